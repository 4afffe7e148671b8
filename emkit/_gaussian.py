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

from ._covariance import _ILL_DEFINED, COVARIANCE_TYPES
from ._missing import Missingness
from ._utils import column_sums

# Parameter constraints of the Gaussian options, shared by every estimator.
GAUSSIAN_CONSTRAINTS: dict = {
    "covariance_type": [StrOptions(set(COVARIANCE_TYPES))],
    "reg_covar": [Interval(Real, 0.0, None, closed="left")],
}


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
        complete = missing.complete
        stats = self.gaussian._complete_statistics(self.X[complete], W[complete], means)
        k, d = means.shape
        nk, sx, sxx = np.zeros(k), np.zeros((k, d)), np.zeros((k, d, d))
        W = np.asarray(W[missing.rows], dtype=float)
        for j, (_, filled, (factors, factor_offsets)) in enumerate(self.conditionals):
            centred = filled - means[j]
            weighted = centred * W[:, j, None]
            nk[j] = W[:, j].sum()
            sx[j] = weighted.sum(axis=0)
            sxx[j] = weighted.T @ centred
            pattern_weights = np.add.reduceat(W[:, j], missing.offsets[:-1])
            _add_inverses(factors, factor_offsets, missing.observed, pattern_weights, sxx[j])
        sxx = self.gaussian.covariance.reduce_second_moments(sxx)
        dtype = stats.sxx.dtype  # X's: float32 data gives float32 parameters
        return stats + GaussianStats(nk.astype(dtype), sx.astype(dtype), sxx.astype(dtype))

    def expectations(self, W) -> np.ndarray:
        """X with each NaN replaced by sum_k W_ik E[x_m | x_o, component k]."""
        filled = np.array(self.X, dtype=float, copy=True)
        if self.missing is not None:
            W = np.asarray(W[self.missing.rows], dtype=float)
            filled[self.missing.rows] = sum(
                W[:, j, None] * expectation
                for j, (_, expectation, _) in enumerate(self.conditionals)
            )
        return filled.astype(self.X.dtype, copy=False)


class Gaussian:
    """Gaussian log-densities, statistics and estimates for one covariance type."""

    def __init__(self, covariance_type: str, reg_covar: float):
        self.covariance = COVARIANCE_TYPES[covariance_type]
        self.reg_covar = reg_covar

    def log_prob(self, X, means, precisions_cholesky, missing: Missingness | None = None):
        """Log-density of every row under every component, shape (n, k).

        With ``missing``, rows with NaN get the density of their observed
        values (0 for a row with none).
        """
        return self.condition(X, means, precisions_cholesky, missing).log_prob

    def condition(self, X, means, precisions_cholesky, missing: Missingness | None = None):
        """The log-densities, kept with what the statistics at these parameters reuse.

        ``condition(X, means, ...).statistics(W)`` equals ``statistics(X, W,
        means, ...)``, without conditioning the incomplete rows a second time.
        """
        if missing is None:
            return Conditioned(
                self, X, means, self._complete_log_prob(X, means, precisions_cholesky)
            )
        out = np.empty((X.shape[0], means.shape[0]), dtype=np.result_type(X, means))
        out[missing.complete] = self._complete_log_prob(
            X[missing.complete], means, precisions_cholesky
        )
        conditionals = list(self._conditionals(X, means, precisions_cholesky, missing, True))
        for j, (log_prob_j, _, _) in enumerate(conditionals):
            out[missing.rows, j] = log_prob_j
        return Conditioned(self, X, means, out, missing, conditionals)

    def _complete_log_prob(self, X, means, precisions_cholesky) -> np.ndarray:
        n_features = X.shape[1]
        out = self.covariance.squared_mahalanobis(X, means, precisions_cholesky)
        out *= -0.5
        out += self.covariance.log_det_cholesky(precisions_cholesky, n_features)
        out -= 0.5 * n_features * math.log(2 * math.pi)
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

    def _conditionals(self, X, means, precisions_cholesky, missing, log_prob=False, noise=None):
        """Each component, conditioned on the observed values of the incomplete rows.

        Yields ``(log_prob, filled, factors)`` per component, rows in
        ``missing.rows`` order: the log-density of the observed values and
        the Cholesky factors of the missing blocks of the precision (see
        ``_condition``), if ``log_prob``; and the rows with their missing
        values set to the conditional expectation (plus a draw from the
        conditional distribution, given standard ``noise``).
        """
        k, d = means.shape
        n = len(missing.rows)
        roots = self.covariance.full_matrices(precisions_cholesky, k, d)
        X = np.asarray(X, dtype=float)
        n_missing = d - missing.observed.sum(axis=1)
        factor_offsets = np.concatenate([[0], np.cumsum(n_missing**2)])
        for j in range(k):
            root = np.ascontiguousarray(roots[j], dtype=float)
            out_log_prob = np.empty(n if log_prob else 0)
            filled = np.empty((n, d))
            factors = np.empty(factor_offsets[-1] if log_prob else 0)
            failed = _condition(
                X,
                missing.rows,
                missing.offsets,
                missing.observed,
                np.asarray(means[j], dtype=float),
                root,
                root @ root.T,
                np.empty((0, d)) if noise is None else noise,
                out_log_prob,
                filled,
                factors,
                factor_offsets,
            )
            if failed:
                raise ValueError(_ILL_DEFINED)
            if log_prob:  # the Mahalanobis term of the completed rows, by BLAS
                whitened = (filled - means[j]) @ root
                out_log_prob -= 0.5 * np.einsum("ij,ij->i", whitened, whitened)
            yield out_log_prob, filled, (factors, factor_offsets)

    def estimate(self, stats: GaussianStats, centres):
        """Means, covariances and precision Cholesky factors from statistics.

        ``nk`` gets ``10 * eps`` as in scikit-learn, so that a component with no
        weight keeps its centre and gets ``reg_covar`` as its covariance.
        """
        nk = stats.nk + 10 * np.finfo(stats.nk.dtype).eps
        shift = stats.sx / nk[:, None]
        covariances = self.covariance.estimate(nk, shift, stats.sxx, self.reg_covar)
        precisions_cholesky = self.covariance.precision_cholesky(covariances)
        return centres + shift, covariances, precisions_cholesky

    def unconstrained(self, means, covariances) -> tuple[np.ndarray, np.ndarray]:
        """Means and covariances as arrays in which any values are valid."""
        return means, self.covariance.unconstrained(covariances)

    def from_unconstrained(self, means, values):
        """Means, covariances and precision Cholesky factors from ``unconstrained``."""
        covariances = self.covariance.from_unconstrained(values)
        return means, covariances, self.covariance.precision_cholesky(covariances)

    def n_parameters(self, n_components: int, n_features: int) -> int:
        """Free parameters of the means and covariances."""
        return n_components * n_features + self.covariance.n_parameters(n_components, n_features)


_LOG_2PI = math.log(2 * math.pi)


@numba.njit(nogil=True, cache=True)
def _cholesky(A, n):
    """In-place lower Cholesky factor of A[:n, :n]; False if not positive-definite."""
    for j in range(n):
        total = A[j, j]
        for q in range(j):
            total -= A[j, q] * A[j, q]
        if total <= 0.0:
            return False
        A[j, j] = np.sqrt(total)
        for i in range(j + 1, n):
            total = A[i, j]
            for q in range(j):
                total -= A[i, q] * A[j, q]
            A[i, j] = total / A[j, j]
    return True


@numba.njit(nogil=True, cache=True)
def _condition(
    X, rows, offsets, observed, mean, root, precision, noise, log_prob, filled, factors, ends
):
    """One component's Gaussian, conditioned on each incomplete row's observed values.

    Works with the precision matrix P = root root^T of the component (root is
    its upper triangular precision Cholesky factor), so that only the missing
    block is factorised, P_mm = L L^T: the missing values are distributed as
    N(mu_m - P_mm^-1 P_mo (x_o - mu_o), P_mm^-1) given the observed ones, and
    with x the row completed by that mean, log N_o(x_o) = log N(x) +
    m/2 log 2pi - log det L.

    Row r of ``filled`` is X row ``rows[r]`` completed by its conditional mean,
    plus ``L^-T noise[r, :m]`` if ``noise`` has rows (a draw). If ``log_prob``
    has rows, it gets log N_o(x_o) except the Mahalanobis term -||root^T
    (x - mu)||^2 / 2, left to the caller. If ``factors`` has entries, the L of
    pattern p goes to ``factors[ends[p]:ends[p + 1]]`` (m x m, row-major), for
    the conditional covariances. Returns True if some P_mm is not
    positive-definite.
    """
    d = mean.shape[0]
    log_det_root = 0.0
    for f in range(d):
        log_det_root += np.log(root[f, f])
    L = np.empty((d, d))
    u = np.empty(d)
    delta = np.empty(d)
    o_idx = np.empty(d, dtype=np.int64)
    m_idx = np.empty(d, dtype=np.int64)
    for p in range(offsets.shape[0] - 1):
        n_o = 0
        n_m = 0
        for f in range(d):
            if observed[p, f]:
                o_idx[n_o] = f
                n_o += 1
            else:
                m_idx[n_m] = f
                n_m += 1
        for a in range(n_m):
            for b in range(a + 1):
                L[a, b] = precision[m_idx[a], m_idx[b]]
        if not _cholesky(L, n_m):
            return True
        half_log_det = 0.0
        for a in range(n_m):
            half_log_det += np.log(L[a, a])
        if factors.shape[0] > 0:
            for a in range(n_m):
                for b in range(n_m):
                    factors[ends[p] + a * n_m + b] = L[a, b]
        for r in range(offsets[p], offsets[p + 1]):
            i = rows[r]
            for a in range(n_o):
                delta[o_idx[a]] = X[i, o_idx[a]] - mean[o_idx[a]]
            for c in range(n_m):  # u = P_mo (x_o - mu_o), then L^-1 u
                total = 0.0
                for a in range(n_o):
                    total += precision[m_idx[c], o_idx[a]] * delta[o_idx[a]]
                for b in range(c):
                    total -= L[c, b] * u[b]
                u[c] = total / L[c, c]
            for c in range(n_m - 1, -1, -1):  # L^-T
                total = u[c]
                for b in range(c + 1, n_m):
                    total += L[b, c] * delta[m_idx[b]]
                delta[m_idx[c]] = -total / L[c, c]
            if log_prob.shape[0] > 0:
                log_prob[r] = log_det_root - half_log_det - 0.5 * n_o * _LOG_2PI
            if noise.shape[0] > 0:
                for c in range(n_m - 1, -1, -1):  # L^-T noise, in place of u
                    total = noise[r, c]
                    for b in range(c + 1, n_m):
                        total -= L[b, c] * u[b]
                    u[c] = total / L[c, c]
                    delta[m_idx[c]] += u[c]
            for a in range(n_o):
                filled[r, o_idx[a]] = X[i, o_idx[a]]
            for c in range(n_m):
                filled[r, m_idx[c]] = mean[m_idx[c]] + delta[m_idx[c]]
    return False


@numba.njit(nogil=True, cache=True)
def _add_inverses(factors, ends, observed, weights, out):
    """out += sum_p weights[p] P_mm^-1 of each pattern p, in its missing rows and columns.

    ``factors[ends[p]:ends[p + 1]]`` holds the Cholesky factor L of pattern
    p's P_mm, as ``_condition`` leaves it. With M = L^-1 (lower triangular,
    built row by row), P_mm^-1 = M^T M.
    """
    d = observed.shape[1]
    m_idx = np.empty(d, dtype=np.int64)
    M = np.empty((d, d))
    lower = np.zeros((d, d))
    for p in range(observed.shape[0]):
        n = 0
        for f in range(d):
            if not observed[p, f]:
                m_idx[n] = f
                n += 1
        L = ends[p]  # L[a, b] is factors[L + a * n + b]
        for a in range(n):
            for c in range(a):
                M[a, c] = 0.0
            M[a, a] = 1.0
            for b in range(a):
                factor = factors[L + a * n + b]
                for c in range(b + 1):
                    M[a, c] -= factor * M[b, c]
            diagonal = factors[L + a * n + a]
            for c in range(a + 1):
                M[a, c] /= diagonal
        for a in range(n):
            for b in range(a + 1):
                total = 0.0
                for c in range(a, n):
                    total += M[c, a] * M[c, b]
                lower[m_idx[a], m_idx[b]] += weights[p] * total  # m_idx is increasing
    for a in range(d):
        out[a, a] += lower[a, a]
        for b in range(a):
            out[a, b] += lower[a, b]
            out[b, a] += lower[a, b]
