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

import numpy as np

from ._covariance import COVARIANCE_TYPES
from ._utils import column_sums


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


class Gaussian:
    """Gaussian log-densities, statistics and estimates for one covariance type."""

    def __init__(self, covariance_type: str, reg_covar: float):
        self.covariance = COVARIANCE_TYPES[covariance_type]
        self.reg_covar = reg_covar

    def log_prob(self, X, means, precisions_cholesky) -> np.ndarray:
        """Log-density of every row under every component, shape (n, k)."""
        n_features = X.shape[1]
        out = self.covariance.squared_mahalanobis(X, means, precisions_cholesky)
        out *= -0.5
        out += self.covariance.log_det_cholesky(precisions_cholesky, n_features)
        out -= 0.5 * n_features * math.log(2 * math.pi)
        return out

    def statistics(self, X, W, centres) -> GaussianStats:
        nk = column_sums(W)
        return GaussianStats(
            nk=nk,
            sx=W.T @ X - nk[:, None] * centres,
            sxx=self.covariance.second_moments(X, W, nk, centres),
        )

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

    def n_parameters(self, n_components: int, n_features: int) -> int:
        """Free parameters of the means and covariances."""
        return n_components * n_features + self.covariance.n_parameters(n_components, n_features)
