"""Gaussian emissions for every model, on top of the covariance structures.

The statistics take a weight matrix ``W`` of shape (n_samples, n_components):
responsibilities for a mixture, state posteriors for an HMM, fixed or soft
labels for the semi-supervised classifier, each row scaled by its
``sample_weight``. They are centred on the current means and add across
chunks of rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

import numba
import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from . import _inference
from ._covariance import _ILL_DEFINED, COVARIANCE_TYPES, structure, triangular_inverse
from ._covariance_kernels import _scaled_deviations
from ._jit import compiled
from ._missing import Missingness
from ._utils import column_sums
from ._validation import check_positive_definite, check_prior

# Parameter constraints of the Gaussian options, shared by every estimator.
GAUSSIAN_CONSTRAINTS: dict = {
    "covariance_type": [StrOptions(set(COVARIANCE_TYPES))],
    "reg_covar": [Interval(Real, 0.0, None, closed="left")],
}


# Up to this much work (rows x components x features^2), the log-densities and
# statistics of complete rows take one compiled pass over the rows: NumPy and
# BLAS calls cost more than such small arithmetic. Old Faithful's E-step
# (272 x 2, k = 3) takes 33 instead of 53 us; at a few times this size, BLAS
# is as fast.
_ROWWISE_WORK = 2**15


def _rowwise(n_rows: int, n_components: int, n_features: int) -> bool:
    return n_rows * n_components * n_features**2 <= _ROWWISE_WORK


@numba.njit(nogil=True, cache=True)
def _centred_moments(X, W, centres, nk, sx, sxx):
    """Into zeroed nk, sx, sxx: ``GaussianStats`` of full covariances, in one pass."""
    (n, d), n_components = X.shape, centres.shape[0]
    y = np.empty(d)
    for i in range(n):
        for k in range(n_components):
            w = W[i, k]
            nk[k] += w
            for f in range(d):
                y[f] = X[i, f] - centres[k, f]
                sx[k, f] += w * y[f]
            for f in range(d):
                for g in range(f + 1):
                    sxx[k, f, g] += w * y[f] * y[g]
    for k in range(n_components):
        for f in range(d):
            for g in range(f):
                sxx[k, g, f] = sxx[k, f, g]


@dataclass(frozen=True)
class GaussianStats:
    """Weighted sufficient statistics, centred on ``centres``.

    ``nk[k] = sum_i W_ik``, ``sx[k] = sum_i W_ik (x_i - c_k)`` and
    ``sxx`` the centred second moments in the covariance type's shape.
    """

    nk: np.ndarray
    sx: np.ndarray
    sxx: np.ndarray

    def __add__(self, other: GaussianStats) -> GaussianStats:
        return GaussianStats(self.nk + other.nk, self.sx + other.sx, self.sxx + other.sxx)

    def __mul__(self, scale: float) -> GaussianStats:
        return GaussianStats(self.nk * scale, self.sx * scale, self.sxx * scale)

    __rmul__ = __mul__


@dataclass(frozen=True)
class GaussianPrior:
    """A normal-inverse-Wishart (inverse-gamma) prior on a Gaussian family.

    Each mean is normal about ``means``, worth ``means_weight`` rows; the
    covariances have prior ``scatter`` (in their type's shape) and ``dof``: the
    log-density is ``-(dof log|S| + tr(S^-1 (scatter + means_weight (m - means)
    (m - means)^T))) / 2`` per covariance S, and the posterior mode is ``(scatter
    of the rows and the pseudo-rows + scatter) / (weight + dof)``. Both hmmlearn's
    priors (``Gaussian.prior``) and the conjugate prior (``conjugate_prior``)
    take this form.
    """

    means: np.ndarray
    means_weight: np.ndarray
    scatter: np.ndarray
    dof: np.ndarray


@dataclass(frozen=True)
class Conditioned:
    """Log-densities of rows under a Gaussian family, from ``Gaussian.condition``."""

    gaussian: Gaussian
    X: np.ndarray
    means: np.ndarray
    log_prob: np.ndarray
    missing: Missingness | None = None
    conditionals: list | None = None

    def statistics(self, W) -> GaussianStats:
        """Statistics with weights ``W``, centred on the means conditioned on."""
        missing, means = self.missing, self.means
        if missing is None:
            return self.gaussian._complete_statistics(self.X, W, means)
        k, d = means.shape
        nk, sx, sxx = np.zeros(k), np.zeros((k, d)), np.zeros((k, d, d))
        weights = np.asarray(W[missing.rows], dtype=float)
        scaled = np.empty((len(weights), d))
        for j, (_, filled, blocks) in enumerate(self.conditionals):
            w = weights[:, j]
            _scaled_deviations(filled, means, weights, j, scaled[None])
            nk[j] = w.sum()
            sx[j] = np.sqrt(w) @ scaled
            np.matmul(scaled.T, scaled, out=sxx[j])  # a symmetric rank-k update
            pattern_weights = np.add.reduceat(w, missing.offsets[:-1])
            _add_blocks(blocks, missing, pattern_weights, sxx[j])
        sxx = self.gaussian.covariance.reduce_second_moments(sxx)
        dtype = self.X.dtype  # float32 data gives float32 parameters
        stats = GaussianStats(nk.astype(dtype), sx.astype(dtype), sxx.astype(dtype))
        complete = missing.complete
        if len(complete):
            stats += self.gaussian._complete_statistics(self.X[complete], W[complete], means)
        return stats

    def expectations(self, W) -> np.ndarray:
        """X with each NaN replaced by sum_k W_ik E[x_m | x_o, component k]."""
        filled = np.array(self.X, dtype=float, copy=True)
        if self.missing is not None:
            W = np.asarray(W[self.missing.rows], dtype=float)
            expected = sum(
                W[:, j, None] * expectation
                for j, (_, expectation, _) in enumerate(self.conditionals)
            )
            rows = filled[self.missing.rows]
            # Only the NaN: the weighted sum of a row's observed values can be an ulp off.
            filled[self.missing.rows] = np.where(np.isnan(rows), expected, rows)
        return filled.astype(self.X.dtype, copy=False)


class Gaussian:
    """Gaussian log-densities, statistics and estimates for one covariance type.

    With ``mixture_size``, the components come in consecutive mixtures of that
    many (one per HMM state), and a ``tied`` covariance is shared within each
    mixture (see ``_covariance``).
    """

    def __init__(self, covariance_type: str, reg_covar: float, mixture_size: int | None = None):
        self.covariance = structure(covariance_type, mixture_size)
        self.reg_covar = reg_covar

    def log_prob(self, X, means, precisions_cholesky, missing: Missingness | None = None):
        """Log-density of every row under every component, shape (n, k).

        With ``missing``, rows with NaN get the density of their observed
        values (0 for a row with none).
        """
        return self.condition(X, means, precisions_cholesky, missing, statistics=False).log_prob

    def condition(
        self,
        X,
        means,
        precisions_cholesky,
        missing: Missingness | None = None,
        statistics: bool = True,
        mahalanobis: bool = True,
    ):
        """The log-densities, kept with what the statistics at these parameters reuse.

        ``condition(X, means, ...).statistics(W)`` equals ``statistics(X, W,
        means, ...)``, without conditioning the incomplete rows a second time.
        With ``statistics=False``, the conditional covariances that only
        ``statistics`` needs are not computed. With ``mahalanobis=False``, the
        log-densities lack their Mahalanobis terms (see ``single_e_step``).
        """
        if missing is None:
            log_prob = self._complete_log_prob(X, means, precisions_cholesky, mahalanobis)
            return Conditioned(self, X, means, log_prob)
        out = np.empty((X.shape[0], means.shape[0]), dtype=np.result_type(X, means))
        if len(missing.complete):
            out[missing.complete] = self._complete_log_prob(
                X[missing.complete], means, precisions_cholesky, mahalanobis
            )
        conditionals = list(
            self._conditionals(
                X, means, precisions_cholesky, missing, True, statistics, mahalanobis=mahalanobis
            )
        )
        for j, (log_prob_j, _, _) in enumerate(conditionals):
            out[missing.rows, j] = log_prob_j
        return Conditioned(self, X, means, out, missing, conditionals)

    def single_e_step(self, X, weights, mean, precisions_cholesky, missing=None):
        """Statistics, and the weighted sum of the rows' log-densities, for one component.

        With one component every responsibility is 1, and the sum needs no
        density of a row: with x_i the row completed by its conditional mean,
        S the statistics' second moments about ``mean`` and m_i the number of
        missing values, sum_i w_i (x_i - mean)' P (x_i - mean) = tr(P S) -
        sum_i w_i m_i, since each conditional covariance C of missing values
        has tr(P_mm C) = m (C is the inverse of P_mm).
        """
        conditioned = self.condition(X, mean, precisions_cholesky, missing, mahalanobis=False)
        stats = conditioned.statistics(weights[:, None])
        precisions = self.covariance.precisions(precisions_cholesky)
        quadratic = float(np.sum(precisions * stats.sxx))  # tr(P S) in any covariance type
        if missing is not None:
            quadratic -= weights[missing.rows] @ missing.row_n_missing
        return stats, float(weights @ conditioned.log_prob[:, 0]) - 0.5 * quadratic

    def _complete_log_prob(
        self, X, means, precisions_cholesky, mahalanobis: bool = True
    ) -> np.ndarray:
        (n, d), k = X.shape, means.shape[0]
        dtype = np.result_type(X, means, precisions_cholesky)
        offsets = self.covariance.log_det_cholesky(precisions_cholesky, d)
        offsets = offsets - 0.5 * d * math.log(2 * math.pi)
        if not mahalanobis:
            return np.broadcast_to(offsets, (n, k)).astype(dtype)
        if _rowwise(n, k, d):
            roots = self.covariance.full_matrices(precisions_cholesky, k, d)
            out = np.empty((n, k), dtype)
            _whitened_log_prob(X, means, roots, np.broadcast_to(offsets, (k,)), out)
            return out
        out = self.covariance.squared_mahalanobis(X, means, precisions_cholesky)
        out = out.astype(dtype, copy=False)
        out *= -0.5
        out += offsets
        return out

    def statistics(
        self, X, W, centres, precisions_cholesky=None, missing: Missingness | None = None
    ) -> GaussianStats:
        """Statistics centred on ``centres``.

        With ``missing``, ``centres`` and ``precisions_cholesky`` are the
        current parameters, and each incomplete row contributes its
        conditional expectations given its observed values (the exact EM
        statistics).
        """
        if missing is None:
            return self._complete_statistics(X, W, centres)
        return self.condition(X, centres, precisions_cholesky, missing).statistics(W)

    def _complete_statistics(self, X, W, centres) -> GaussianStats:
        (n, d), k = X.shape, centres.shape[0]
        if _rowwise(n, k, d):
            dtype = np.result_type(X, W, centres)
            nk, sx, sxx = np.zeros(k, dtype), np.zeros((k, d), dtype), np.zeros((k, d, d), dtype)
            _centred_moments(X, W, centres, nk, sx, sxx)
            return GaussianStats(nk, sx, self.covariance.reduce_second_moments(sxx))
        nk = column_sums(W)
        return GaussianStats(
            nk=nk,
            sx=W.T @ X - nk[:, None] * centres,
            sxx=self.covariance.second_moments(X, W, nk, centres),
        )

    def conditional_samples(self, X, W, means, precisions_cholesky, missing, rng):
        """X with each row's NaN drawn from its conditional distribution.

        The component of each row is drawn from its ``W``, then the missing
        values from that component's Gaussian given the observed ones.
        """
        filled = np.array(X, dtype=float, copy=True)
        if missing is not None:
            W = W[missing.rows]
            draws = rng.random_sample(len(W))[:, None]
            chosen = np.minimum((draws > W.cumsum(axis=1)).sum(axis=1), W.shape[1] - 1)
            noise = rng.standard_normal((len(W), X.shape[1]))
            conditionals = self._conditionals(X, means, precisions_cholesky, missing, noise=noise)
            for j, (_, sample, _) in enumerate(conditionals):
                rows = chosen == j
                filled[missing.rows[rows]] = sample[rows]
        return filled.astype(X.dtype, copy=False)

    def _conditionals(
        self,
        X,
        means,
        precisions_cholesky,
        missing,
        log_prob=False,
        covariances=False,
        noise=None,
        mahalanobis=True,
    ):
        """Each component, conditioned on the observed values of the incomplete rows.

        Yields ``(log_prob, filled, blocks)`` per component, rows in
        ``missing.rows`` order: the log-density of the observed values, if
        ``log_prob`` (without its Mahalanobis term unless ``mahalanobis``);
        the rows with their missing values set to the conditional expectation
        (plus a draw from the conditional distribution, given standard
        ``noise``); and each pattern's conditional covariance of its missing
        values (see ``_condition``), if ``covariances``.
        """
        k, d = means.shape
        n = len(missing.rows)
        roots = self.covariance.full_matrices(precisions_cholesky, k, d)
        X = np.asarray(X, dtype=float)
        n_missing, ends = missing.n_missing, missing.block_ends
        for j in range(k):
            root = np.ascontiguousarray(roots[j], dtype=float)
            covariance = np.empty((0, 0))  # read only where more is missing than observed
            if 2 * n_missing.max() > d:
                inverse_root = triangular_inverse(root, lower=False)
                covariance = inverse_root.T @ inverse_root
            out_log_prob = np.empty(n if log_prob else 0)
            filled = np.empty((n, d))
            blocks = np.empty(ends[-1] if covariances else 0)
            failed = _condition(
                X,
                missing.rows,
                missing.offsets,
                missing.columns,
                n_missing,
                np.asarray(means[j], dtype=float),
                root,
                root @ root.T,
                covariance,
                np.empty((0, d)) if noise is None else noise,
                out_log_prob,
                filled,
                blocks,
                ends,
            )
            if failed:
                raise ValueError(_ILL_DEFINED)
            if log_prob and mahalanobis:
                out_log_prob = _inference.observed_log_prob(out_log_prob, filled, means[j], root)
            yield out_log_prob, filled, blocks

    def recentred(self, stats: GaussianStats, old_centres, new_centres) -> GaussianStats:
        """Statistics centred on ``old_centres``, centred on ``new_centres`` instead."""
        shift = old_centres - new_centres  # x - new = (x - old) + shift
        cross = shift[:, :, None] * stats.sx[:, None, :]
        full = cross + np.swapaxes(cross, 1, 2)
        full += stats.nk[:, None, None] * shift[:, :, None] * shift[:, None, :]
        return GaussianStats(
            stats.nk,
            stats.sx + stats.nk[:, None] * shift,
            stats.sxx + self.covariance.reduce_second_moments(full),
        )

    def estimate(self, stats: GaussianStats, centres, prior=None, fixed_means: bool = False):
        """Means, covariances and precision Cholesky factors from statistics.

        ``nk`` gets ``10 * eps`` as in scikit-learn, so that a component with no
        weight keeps its centre and gets ``reg_covar`` as its covariance. With
        a ``GaussianPrior``, the posterior mode; with ``fixed_means``, the
        covariances about ``centres``, which stay the means.
        """
        eps = 10 * np.finfo(stats.nk.dtype).eps
        rows = stats.nk + eps
        if prior is not None:  # the means' prior acts as weighted rows at its means
            delta = prior.means - centres
            w = prior.means_weight
            outer = w[:, None, None] * delta[:, :, None] * delta[:, None, :]
            stats = GaussianStats(
                stats.nk + w,
                stats.sx + w[:, None] * delta,
                stats.sxx + self.covariance.reduce_second_moments(outer),
            )
        if fixed_means:
            stats = GaussianStats(stats.nk, np.zeros_like(stats.sx), stats.sxx)
        nk = stats.nk + eps
        shift = stats.sx / nk[:, None]
        reg_covar = self.reg_covar if prior is None else 0.0
        covariances = self.covariance.estimate(nk, shift, stats.sxx, reg_covar)
        if prior is not None:  # (scatter + prior scatter) / (rows + prior dof)
            pooled = self.covariance.pooled
            covariances = (covariances * pooled(nk) + prior.scatter) / (
                pooled(rows) + pooled(prior.dof)
            )
            covariances = self.covariance.add_to_diagonal(covariances, self.reg_covar)
        precisions_cholesky = self.covariance.precision_cholesky(covariances)
        return centres + shift, covariances, precisions_cholesky

    def prior(self, means, means_weight, covars_prior, covars_weight, n_components, n_features):
        """The ``GaussianPrior`` of hmmlearn's parameters, checked; None if it is flat."""
        covariance, k, d = self.covariance, n_components, n_features
        shape = covariance.shape(k, d)
        weights = (k,) if covariance.per_component else ()
        means = check_prior(means, (k, d), "means_prior", lower=None)
        means_weight = check_prior(means_weight, (k,), "means_weight")
        covars_weight = check_prior(covars_weight, weights, "covars_weight")
        if np.ndim(covars_prior) == 0:  # a number: on the diagonal
            scatter = covariance.add_to_diagonal(np.zeros(shape), float(covars_prior))
            check_prior(covars_prior, (), "covars_prior")
        else:
            scatter = check_prior(covars_prior, shape, "covars_prior", lower=None)
            matrices = covariance.full_matrices(scatter, k, d)
            check_positive_definite(matrices, "covars_prior", semi=True)
        dof = covariance.prior_dof(covars_weight, d)
        if not (np.any(means_weight) or np.any(scatter) or np.any(dof)):
            return None
        return GaussianPrior(means, means_weight, scatter, dof)

    def conjugate_prior(self, hyper: dict, n_components: int) -> GaussianPrior:
        """The ``GaussianPrior`` of a conjugate prior in scikit-learn's hyperparameters
        (those ``conjugate_hyperparameters`` returns)."""
        d = len(hyper["mean_prior"])
        scatter, dof = self.covariance.conjugate(
            hyper["covariance_prior"], hyper["degrees_of_freedom_prior"], n_components, d
        )
        means = np.broadcast_to(hyper["mean_prior"], (n_components, d))
        weight = np.full(n_components, float(hyper["mean_precision_prior"]))
        return GaussianPrior(means, weight, scatter, dof)

    def conjugate_hyperparameters(self, given: dict, X, sample_weight, n_components: int):
        """The conjugate prior's hyperparameters: those ``given`` (not None), checked, and
        for the others mclust's defaults from the data (Fraley & Raftery 2007): a mean
        precision of 0.01, the data's mean, n_features + 2 degrees of freedom and the
        data's covariance (its mean variance for diag and spherical) / k ** (2 / d).
        Data with NaN, or a singular covariance, give their variances instead (the
        mean positive one for a constant column)."""
        d = X.shape[1]
        hyper = {}
        kappa = given.get("mean_precision_prior")
        hyper["mean_precision_prior"] = 0.01 if kappa is None else float(kappa)
        if not hyper["mean_precision_prior"] > 0:
            raise ValueError(f"mean_precision_prior must be positive, got {kappa}.")
        nu = given.get("degrees_of_freedom_prior")
        hyper["degrees_of_freedom_prior"] = d + 2.0 if nu is None else float(nu)
        if not hyper["degrees_of_freedom_prior"] > d - 1:
            raise ValueError(
                f"degrees_of_freedom_prior must be greater than n_features - 1 = {d - 1}, "
                f"got {nu}."
            )
        mean, covariance = None, None
        if given.get("mean_prior") is None or given.get("covariance_prior") is None:
            mean, covariance = weighted_moments(X, sample_weight)
            if np.linalg.eigvalsh(covariance)[0] <= 1e-12 * np.trace(covariance):
                # Singular (copied or constant columns): the variances, none zero.
                variances = np.diag(covariance).copy()
                positive = variances > 0
                variances[~positive] = variances[positive].mean() if positive.any() else 1.0
                covariance = np.diag(variances)
        if given.get("mean_prior") is None:
            hyper["mean_prior"] = mean
        else:
            hyper["mean_prior"] = check_prior(given["mean_prior"], (d,), "mean_prior", None)
        shape = self.covariance.prior_scale_shape(d)
        if given.get("covariance_prior") is None:
            scale = self.covariance.default_prior_scale(covariance) / n_components ** (2.0 / d)
        else:
            scale = check_prior(given["covariance_prior"], shape, "covariance_prior", None)
        matrices = self.covariance.full_matrices(np.asarray(scale)[None], 1, d)
        check_positive_definite(matrices, "covariance_prior")
        hyper["covariance_prior"] = scale
        return hyper

    def log_prior(self, prior, means, covariances, precisions_cholesky) -> float:
        """Log-density of the normal-inverse-Wishart ``prior``, up to a constant."""
        if prior is None:
            return 0.0
        d = means.shape[1]
        precisions = self.covariance.precisions(precisions_cholesky)
        log_det = -2.0 * self.covariance.log_det_cholesky(precisions_cholesky, d)
        distances = np.diagonal(
            self.covariance.squared_mahalanobis(prior.means, means, precisions_cholesky)
        )
        total = np.sum(prior.dof * log_det)
        total += np.sum(self.covariance.trace_product(precisions, prior.scatter, d))
        return float(-0.5 * (total + np.sum(prior.means_weight * distances)))

    def collapsed(self, covariances, nk, n_features: int) -> bool:
        """Whether a component is a spurious maximum of the likelihood.

        It is if it holds less weight than ``covariance.rows_needed`` rows, or
        has a variance at the floor that ``reg_covar`` sets (at most ten times
        it): it sits on a few rows or on a subspace of the data. ``nk`` is the
        weight of each component.
        """
        k, d = len(nk), n_features
        matrices = self.covariance.full_matrices(covariances, k, d)
        smallest = np.linalg.eigvalsh(matrices)[..., 0]
        floor = 10 * self.reg_covar + np.finfo(smallest.dtype).eps * np.max(np.abs(matrices))
        return bool(np.any(nk < self.covariance.rows_needed(d)) or np.any(smallest <= floor))

    def unconstrained(self, means, covariances) -> tuple[np.ndarray, np.ndarray]:
        """Means and covariances as arrays in which any values are valid."""
        return means, self.covariance.unconstrained(covariances)

    def from_unconstrained(self, means, values):
        """Means, covariances and precision Cholesky factors from ``unconstrained``."""
        return means, *self.covariance.from_unconstrained(values)

    def divergences(self, a, b) -> np.ndarray:
        """Symmetric Kullback-Leibler divergences between the components of two families.

        ``a`` and ``b`` are (means, covariances, precisions_cholesky); entry
        ``[i, j]`` compares component ``i`` of ``a`` with component ``j`` of ``b``.
        """
        (means_a, covariances_a, factors_a), (means_b, covariances_b, factors_b) = a, b
        (k, d), n = means_a.shape, len(means_b)
        full, precisions = self.covariance.full_matrices, self.covariance.precisions
        cov_a, cov_b = full(covariances_a, k, d), full(covariances_b, n, d)
        prec_a, prec_b = full(precisions(factors_a), k, d), full(precisions(factors_b), n, d)
        traces = np.einsum("ide,jde->ij", prec_a, cov_b) + np.einsum("ide,jde->ij", cov_a, prec_b)
        delta = means_a[:, None, :] - means_b[None, :, :]
        quadratic = np.einsum("ijd,ide,ije->ij", delta, prec_a, delta)
        quadratic += np.einsum("ijd,jde,ije->ij", delta, prec_b, delta)
        return 0.5 * (traces + quadratic) - d

    def permuted(self, params: tuple, order: np.ndarray) -> tuple:
        """(means, covariances, precisions_cholesky) in component order ``order``."""
        means, covariances, factors = params
        covariance = self.covariance
        return (
            means[order],
            covariance.permuted(covariances, order),
            covariance.permuted(factors, order),
        )

    def n_parameters(self, n_components: int, n_features: int) -> int:
        """Free parameters of the means and covariances."""
        return n_components * n_features + self.covariance.n_parameters(n_components, n_features)


# The kernels of ``_inference``, compiled. Reassociated sums run in SIMD lanes.
_FAST = {"reassoc", "contract"}
_whitened_log_prob = compiled(_inference._whitened_log_prob)
_cholesky = compiled(_inference._cholesky, fastmath=_FAST)
_solve_lower = compiled(_inference._solve_lower, fastmath=_FAST)
_condition = compiled(
    _inference._condition,
    {"_cholesky": _cholesky, "_solve_lower": _solve_lower},
    fastmath=_FAST,
)


def _add_blocks(blocks, missing: Missingness, weights, out) -> None:
    """out += weights[p] C_p in the missing rows and columns of each pattern p.

    ``blocks`` holds the lower triangles of the C_p, as ``_condition`` leaves them.
    """
    _add_lower_blocks(blocks, missing.block_ends, missing.columns, missing.n_missing, weights, out)


@numba.njit(nogil=True, cache=True)
def _add_lower_blocks(blocks, ends, columns, n_missing, weights, out):
    d = columns.shape[1]
    lower = np.zeros((d, d))  # the missing columns are in increasing order
    for p in range(columns.shape[0]):
        n = n_missing[p]
        m_idx = columns[p, d - n :]
        start = ends[p]
        for a in range(n):
            for b in range(a + 1):
                lower[m_idx[a], m_idx[b]] += weights[p] * blocks[start + b]
            start += a + 1
    for a in range(d):
        for b in range(a):
            out[a, b] += lower[a, b]
            out[b, a] += lower[a, b]
        out[a, a] += lower[a, a]


def weighted_moments(X, sample_weight, ddof: float = 0.0):
    """The mean and covariance of the rows of X (NumPy or Dask), weights as repeated
    rows (``ddof`` as np.cov's with ``fweights``, none where the weights sum to one row
    or less); with NaN, each column's observed values give its mean and variance, and
    the covariance is diagonal."""
    observed = ~np.isnan(X)
    w = sample_weight[:, None] * observed
    total = w.sum(axis=0)
    mean = (w * np.where(observed, X, 0.0)).sum(axis=0) / total
    centred = np.where(observed, X - mean, 0.0)
    divisor = total - np.where(total > 1.0, ddof, 0.0)
    if bool(observed.all()):
        mean, scatter, divisor = _computed(mean, (centred * w).T @ centred, divisor)
        return mean, scatter / divisor[0]
    mean, variance = _computed(mean, (w * centred**2).sum(axis=0) / divisor)
    return mean, np.diag(variance)


def _computed(*arrays):
    """NumPy arrays of NumPy or Dask ones."""
    return tuple(np.asarray(getattr(a, "compute", lambda a=a: a)()) for a in arrays)
