"""The four covariance structures of a Gaussian family.

This is the only module that branches on ``covariance_type``: each structure is
one object with the same operations, and everything else calls them.

Shapes of the parameters, for ``k`` components and ``d`` features:

=========== ============ =================================================
type        covariances  meaning
=========== ============ =================================================
full        (k, d, d)    each component has its own general matrix
tied        (d, d)       all components share one general matrix
diag        (k, d)       each component has its own diagonal matrix
spherical   (k,)         each component has its own single variance
=========== ============ =================================================

Components may come in mixtures of ``size`` consecutive components, one
mixture per HMM state (``structure(covariance_type, mixture_size)``). Only
``tied`` depends on it: a tied matrix is shared by the components of a
mixture, so there is one per mixture, shape ``(k / size, d, d)``, as in
hmmlearn's GMMHMM; the other types have one matrix per component anyway.

Precisions are kept as Cholesky factors ``U`` with ``precision = U @ U.T``, as
in scikit-learn's ``precisions_cholesky_``.

Second moments are always centred on fixed per-component centres ``c`` (the
current means): ``sum_i w_ik (x_i - c_k)(x_i - c_k)^T``. Centred moments add
across chunks of rows, and the M-step corrects for the small shift between
``c`` and the new means, so no precision is lost to raw moments.

The module imports NumPy only, so that the light predictor (``emkit.light``)
takes its shapes and full matrices from here too: the operations that need
numba's kernels (``_covariance_kernels``) or scipy's LAPACK import them when
called.
"""

from __future__ import annotations

import numpy as np

from ._inference import squared_mahalanobis

_ILL_DEFINED = (
    "Fitting the mixture model failed because some components have ill-defined "
    "empirical covariance (for instance caused by singleton or collapsed samples). "
    "Try to decrease the number of components, increase reg_covar, or scale the "
    "input data X."
)


def _trtri(matrices: np.ndarray):
    """LAPACK's triangular inverse ``trtri`` for ``matrices``' type, called directly:
    scipy.linalg's wrappers cost more than the work on small matrices."""
    from scipy import linalg

    return linalg.get_lapack_funcs(("trtri",), (matrices,))[0]


def triangular_inverse(factor: np.ndarray, lower: bool) -> np.ndarray:
    """Inverse of a triangular matrix."""
    return _trtri(factor)(factor, lower=int(lower))[0]


def _inverse_transposed(factors: np.ndarray) -> np.ndarray:
    """inv(L).T for each lower Cholesky factor L of covariances: the precision Cholesky factors."""
    from ._covariance_kernels import _inverses_transposed

    matrices = np.ascontiguousarray(factors.reshape(-1, *factors.shape[-2:]))  # tied: one
    out = np.empty_like(matrices)
    _inverses_transposed(matrices, out)
    return out.reshape(factors.shape)


class _MatrixCovariance:
    """Shared code of ``full`` and ``tied``: general symmetric matrices."""

    per_component = True

    def in_mixtures_of(self, size: int):
        """The structure for components in consecutive mixtures of ``size``."""
        return self

    def precision_cholesky(self, covariances: np.ndarray) -> np.ndarray:
        try:
            factors = np.linalg.cholesky(covariances)
        except np.linalg.LinAlgError:
            raise ValueError(_ILL_DEFINED) from None
        return _inverse_transposed(factors)

    def precisions(self, precisions_cholesky: np.ndarray) -> np.ndarray:
        return precisions_cholesky @ np.swapaxes(precisions_cholesky, -1, -2)

    def inverse(self, matrices: np.ndarray) -> np.ndarray:
        return np.linalg.inv(matrices)

    def log_det_cholesky(self, precisions_cholesky: np.ndarray, n_features: int):
        return np.log(np.diagonal(precisions_cholesky, axis1=-2, axis2=-1)).sum(axis=-1)

    def add_to_diagonal(self, covariances: np.ndarray, value) -> np.ndarray:
        diagonal = np.arange(covariances.shape[-1])
        covariances[..., diagonal, diagonal] += value
        return covariances

    def trace_product(self, precisions: np.ndarray, scatter: np.ndarray, n_features: int):
        """trace(precision @ scatter) of each component (of the one, tied)."""
        return np.sum(precisions * scatter, axis=(-2, -1))

    def prior_dof(self, covars_weight, n_features: int):
        """hmmlearn's inverse-Wishart degrees of freedom beyond the minimum, ``max(w - d, 0)``."""
        return np.maximum(covars_weight - n_features, 0.0)

    def prior_scale_shape(self, n_features: int) -> tuple[int, ...]:
        """The shape of a conjugate prior's scale (scikit-learn's ``covariance_prior``)."""
        return (n_features, n_features)

    def default_prior_scale(self, covariance: np.ndarray):
        """A conjugate prior's scale from a (d, d) covariance: the matrix."""
        return covariance

    def full_matrices(self, covariances, n_components, n_features):
        return np.broadcast_to(covariances, (n_components, n_features, n_features))

    def permuted(self, values: np.ndarray, order: np.ndarray) -> np.ndarray:
        """Per-component values (covariances or their factors) in component order ``order``."""
        return values[order]

    def unconstrained(self, covariances: np.ndarray) -> np.ndarray:
        """Cholesky factors with the log of their diagonal: any values are valid."""
        factors = np.linalg.cholesky(covariances)
        diagonal = np.arange(factors.shape[-1])
        factors[..., diagonal, diagonal] = np.log(factors[..., diagonal, diagonal])
        return factors

    def from_unconstrained(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Covariances and their precision Cholesky factors, from ``unconstrained``."""
        factors = np.where(np.tri(values.shape[-1], dtype=bool), values, 0.0)
        diagonal = np.arange(factors.shape[-1])
        factors[..., diagonal, diagonal] = np.exp(factors[..., diagonal, diagonal])
        return factors @ np.swapaxes(factors, -1, -2), _inverse_transposed(factors)


# Measured on 2 cores: groups of up to 1 MiB of deviations are up to 3x faster
# than one product per component on a few hundred rows, and level on thousands.
_GROUP_BYTES = 2**20


class _Full(_MatrixCovariance):
    name = "full"

    def rows_needed(self, n_features: int) -> int:
        """Rows a component needs for its estimate, without ``reg_covar``, to be regular."""
        return n_features + 1

    def shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        return (n_components, n_features, n_features)

    def n_parameters(self, n_components: int, n_features: int) -> int:
        return n_components * n_features * (n_features + 1) // 2

    def squared_mahalanobis(self, X, means, precisions_cholesky):
        from ._covariance_kernels import _squared_distances

        return squared_mahalanobis(X, means, precisions_cholesky, _squared_distances)

    def second_moments(self, X, W, nk, centres):
        from ._covariance_kernels import _scaled_deviations

        (k, d), n = centres.shape, X.shape[0]
        out = np.empty((k, d, d), dtype=X.dtype)
        # Components in groups whose deviations stay in the caches: one product per
        # group, not one call per component (on small data, the calls cost most).
        group = max(1, min(k, _GROUP_BYTES // max(n * d * X.itemsize, 1)))
        scaled = np.empty((group, n, d), dtype=X.dtype)
        for first in range(0, k, group):
            part = scaled[: min(group, k - first)]
            _scaled_deviations(X, centres, W, first, part)
            np.matmul(np.swapaxes(part, 1, 2), part, out=out[first : first + len(part)])
        return out

    def reduce_second_moments(self, full):
        return full

    def pooled(self, per_component):
        """Per-component weights as the estimate divides by them."""
        return per_component[:, None, None]

    def conjugate(self, scale, nu, n_components: int, n_features: int):
        """(scatter, dof) of the ``GaussianPrior`` of a normal-inverse-Wishart prior with
        ``nu`` degrees of freedom and ``scale`` (mclust's conjugate prior)."""
        k, d = n_components, n_features
        return np.broadcast_to(scale, (k, d, d)).copy(), np.full(k, nu + d + 2.0)

    def estimate(self, nk, shift, second_moments, reg_covar):
        cov = second_moments / nk[:, None, None] - shift[:, :, None] * shift[:, None, :]
        cov[:, np.arange(cov.shape[1]), np.arange(cov.shape[1])] += reg_covar
        return cov


def _tied_squared_mahalanobis(X, means, factors):
    """Squared Mahalanobis distances of X to ``means``, which come in consecutive
    mixtures of one precision Cholesky factor each (``factors``: mixtures x d x d)."""
    n_mixtures, d = factors.shape[0], X.shape[1]
    y = X @ factors
    m = means.reshape(n_mixtures, -1, d) @ factors
    distances = np.einsum("mnd,mnd->mn", y, y)[:, :, None] - 2.0 * (y @ np.swapaxes(m, 1, 2))
    distances += np.einsum("mkd,mkd->mk", m, m)[:, None, :]
    return np.swapaxes(distances, 0, 1).reshape(X.shape[0], -1)


def _tied_second_moments(X, W, nk, centres, n_mixtures: int):
    """Each mixture's sum_k sum_i w_ik (x_i - c_k)(x_i - c_k)^T (mixtures x d x d).

    Expanded with GEMMs (``sum w x^2 - 2 c sum w x + ...``), about an origin
    near the data (the mean of the mixture's centres): the expansion loses
    digits in proportion to the data's distance from the origin.
    """
    n, d = X.shape
    centres = centres.reshape(n_mixtures, -1, d)
    origins = centres.mean(axis=1, keepdims=True)
    Xs, cs = X - origins, centres - origins
    W = np.swapaxes(W.reshape(n, n_mixtures, -1), 0, 1)  # mixtures x n x size
    sx = np.swapaxes(W, 1, 2) @ Xs
    cross = np.swapaxes(cs, 1, 2) @ sx
    scaled = Xs * np.sqrt(W.sum(axis=2))[:, :, None]
    weighted = nk.reshape(n_mixtures, 1, -1) * np.swapaxes(cs, 1, 2)
    return np.swapaxes(scaled, 1, 2) @ scaled - cross - np.swapaxes(cross, 1, 2) + weighted @ cs


def _tied_estimate(nk, shift, second_moments, reg_covar):
    """Each mixture's covariance (mixtures x d x d) from its ``_tied_second_moments``."""
    n_mixtures, d = second_moments.shape[:2]
    nk, shift = nk.reshape(n_mixtures, -1), shift.reshape(n_mixtures, -1, d)
    cov = second_moments - (nk[:, None, :] * np.swapaxes(shift, 1, 2)) @ shift
    cov /= nk.sum(axis=1)[:, None, None]
    cov[:, np.arange(d), np.arange(d)] += reg_covar
    return cov


class _Tied(_MatrixCovariance):
    name = "tied"
    per_component = False  # one covariance for all components

    def rows_needed(self, n_features: int) -> int:
        return 1  # the covariance is pooled over all components

    def shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        return (n_features, n_features)

    def n_parameters(self, n_components: int, n_features: int) -> int:
        return n_features * (n_features + 1) // 2

    def squared_mahalanobis(self, X, means, precisions_cholesky):
        return _tied_squared_mahalanobis(X, means, precisions_cholesky[None])

    def second_moments(self, X, W, nk, centres):
        return _tied_second_moments(X, W, nk, centres, 1)[0]

    def reduce_second_moments(self, full):
        return full.sum(axis=0)

    def pooled(self, per_component):
        return np.sum(per_component)

    def conjugate(self, scale, nu, n_components: int, n_features: int):
        # One inverse-Wishart, and every mean's normal prior scaled by it.
        return np.array(scale, dtype=float), nu + n_features + 1.0 + n_components

    def permuted(self, values: np.ndarray, order: np.ndarray) -> np.ndarray:
        return values  # shared by all components

    def in_mixtures_of(self, size: int):
        return _TiedPerMixture(size)

    def estimate(self, nk, shift, second_moments, reg_covar):
        return _tied_estimate(nk, shift, second_moments[None], reg_covar)[0]


class _TiedPerMixture(_MatrixCovariance):
    """``tied`` for components in consecutive mixtures of ``size``: one matrix per mixture.

    Each mixture is a ``tied`` family of its own, with ``_Tied``'s formulas
    over all mixtures at once. Gaussian mixture emissions take no prior, so
    it has none of the prior's operations (``pooled``).
    """

    name = "tied"

    def __init__(self, size: int):
        self.size = size

    def rows_needed(self, n_features: int) -> int:
        return 1

    def shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        return (n_components // self.size, n_features, n_features)

    def n_parameters(self, n_components: int, n_features: int) -> int:
        return n_components // self.size * _TIED.n_parameters(1, n_features)

    def log_det_cholesky(self, precisions_cholesky: np.ndarray, n_features: int):
        return np.repeat(super().log_det_cholesky(precisions_cholesky, n_features), self.size)

    def full_matrices(self, covariances, n_components, n_features):
        return np.repeat(covariances, self.size, axis=0)

    def squared_mahalanobis(self, X, means, precisions_cholesky):
        return _tied_squared_mahalanobis(X, means, precisions_cholesky)

    def second_moments(self, X, W, nk, centres):
        return _tied_second_moments(X, W, nk, centres, len(centres) // self.size)

    def reduce_second_moments(self, full):
        return full.reshape(-1, self.size, *full.shape[1:]).sum(axis=1)

    def permuted(self, values: np.ndarray, order: np.ndarray) -> np.ndarray:
        return values[order[:: self.size] // self.size]  # the mixtures move whole

    def estimate(self, nk, shift, second_moments, reg_covar):
        return _tied_estimate(nk, shift, second_moments, reg_covar)


class _VectorCovariance:
    """Shared code of ``diag`` and ``spherical``: diagonal matrices."""

    per_component = True

    def in_mixtures_of(self, size: int):
        """The structure for components in consecutive mixtures of ``size``."""
        return self

    def rows_needed(self, n_features: int) -> int:
        return 2

    def precision_cholesky(self, covariances: np.ndarray) -> np.ndarray:
        # Subnormal variances too: the squares of their precisions overflow.
        if not np.all(covariances >= np.finfo(covariances.dtype).tiny):
            raise ValueError(_ILL_DEFINED)
        return 1.0 / np.sqrt(covariances)

    def precisions(self, precisions_cholesky: np.ndarray) -> np.ndarray:
        return precisions_cholesky**2

    def inverse(self, matrices: np.ndarray) -> np.ndarray:
        return 1.0 / matrices

    def _diagonal(self, precisions_cholesky, n_features):
        """Precision Cholesky factors as a (k, d) array."""
        return np.broadcast_to(
            precisions_cholesky.reshape(precisions_cholesky.shape[0], -1),
            (precisions_cholesky.shape[0], n_features),
        )

    def log_det_cholesky(self, precisions_cholesky, n_features):
        return np.log(self._diagonal(precisions_cholesky, n_features)).sum(axis=1)

    def add_to_diagonal(self, covariances: np.ndarray, value) -> np.ndarray:
        return covariances + value

    def trace_product(self, precisions: np.ndarray, scatter: np.ndarray, n_features: int):
        return self._diagonal(precisions * scatter, n_features).sum(axis=1)

    def prior_dof(self, covars_weight, n_features: int):
        """hmmlearn's inverse-gamma degrees of freedom beyond the minimum, ``max(w - 1, 0)``."""
        return np.maximum(covars_weight - 1.0, 0.0)

    def default_prior_scale(self, covariance: np.ndarray):
        """A conjugate prior's scale from a (d, d) covariance: its mean variance (mclust's)."""
        d = covariance.shape[0]
        return np.full(self.prior_scale_shape(d), np.trace(covariance) / d)

    def full_matrices(self, covariances, n_components, n_features):
        diagonal = self._diagonal(covariances, n_features)
        return diagonal[:, :, None] * np.eye(n_features, dtype=diagonal.dtype)

    def unconstrained(self, covariances: np.ndarray) -> np.ndarray:
        """Log variances: any values are valid."""
        return np.log(covariances)

    def permuted(self, values: np.ndarray, order: np.ndarray) -> np.ndarray:
        return values[order]

    def from_unconstrained(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Variances and their precision Cholesky factors, from ``unconstrained``."""
        covariances = np.exp(values)
        return covariances, self.precision_cholesky(covariances)


class _Diag(_VectorCovariance):
    name = "diag"

    def shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        return (n_components, n_features)

    def n_parameters(self, n_components: int, n_features: int) -> int:
        return n_components * n_features

    def reduce_second_moments(self, full):
        return np.diagonal(full, axis1=1, axis2=2).copy()

    def pooled(self, per_component):
        return per_component[:, None]

    def prior_scale_shape(self, n_features: int) -> tuple[int, ...]:
        return (n_features,)

    def conjugate(self, scale, nu, n_components: int, n_features: int):
        # An inverse-gamma prior on each variance.
        k, d = n_components, n_features
        return np.broadcast_to(scale, (k, d)).copy(), np.full(k, nu + 3.0)

    def estimate(self, nk, shift, second_moments, reg_covar):
        return second_moments / nk[:, None] - shift * shift + reg_covar

    def second_moments(self, X, W, nk, centres):
        from ._covariance_kernels import _weighted_squared_deviations

        return _weighted_squared_deviations(X, W, centres)

    def squared_mahalanobis(self, X, means, precisions_cholesky):
        from ._covariance_kernels import _scaled_squared_distances

        return _scaled_squared_distances(X, means, precisions_cholesky)


class _Spherical(_VectorCovariance):
    name = "spherical"

    def shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        return (n_components,)

    def n_parameters(self, n_components: int, n_features: int) -> int:
        return n_components

    def reduce_second_moments(self, full):
        return np.trace(full, axis1=1, axis2=2)

    def pooled(self, per_component):
        return per_component

    def prior_scale_shape(self, n_features: int) -> tuple[int, ...]:
        return ()

    def conjugate(self, scale, nu, n_components: int, n_features: int):
        # An inverse-gamma prior on the variance; the estimate divides its trace by d.
        k, d = n_components, n_features
        return np.full(k, scale / d), np.full(k, (nu + d + 2.0) / d)

    def estimate(self, nk, shift, second_moments, reg_covar):
        return (second_moments / nk - np.sum(shift * shift, axis=1)) / shift.shape[1] + reg_covar

    def second_moments(self, X, W, nk, centres):
        from ._covariance_kernels import _weighted_squared_deviations

        return _weighted_squared_deviations(X, W, centres).sum(axis=1)

    def squared_mahalanobis(self, X, means, precisions_cholesky):
        from ._covariance_kernels import _scaled_squared_distances

        scales = np.repeat(precisions_cholesky[:, None], X.shape[1], axis=1)
        return _scaled_squared_distances(X, means, scales)


COVARIANCE_TYPES = {cls.name: cls() for cls in (_Full, _Tied, _Diag, _Spherical)}
_TIED = COVARIANCE_TYPES["tied"]


def structure(covariance_type: str, mixture_size: int | None = None):
    """The covariance structure, for components in mixtures of ``mixture_size`` if given."""
    covariance = COVARIANCE_TYPES[covariance_type]
    return covariance if mixture_size is None else covariance.in_mixtures_of(mixture_size)
