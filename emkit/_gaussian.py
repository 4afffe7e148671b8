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
from ._missing import Missingness, Pattern
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

    def log_prob(
        self, X, means, precisions_cholesky, covariances=None, missing: Missingness | None = None
    ) -> np.ndarray:
        """Log-density of every row under every component, shape (n, k).

        With ``missing``, rows with NaN get the density of their observed
        values (0 for a row with none), which needs ``covariances``.
        """
        if missing is None:
            return self._complete_log_prob(X, means, precisions_cholesky)
        out = np.empty((X.shape[0], means.shape[0]), dtype=np.result_type(X, means))
        complete = missing.complete
        out[complete] = self._complete_log_prob(X[complete], means, precisions_cholesky)
        full = self.covariance.full_matrices(covariances, *means.shape)
        for pattern in missing.patterns:
            o = pattern.observed
            out[pattern.rows] = _marginal_log_prob(
                X[np.ix_(pattern.rows, o)], means[:, o], full[:, o][:, :, o]
            )
        return out

    def _complete_log_prob(self, X, means, precisions_cholesky) -> np.ndarray:
        n_features = X.shape[1]
        out = self.covariance.squared_mahalanobis(X, means, precisions_cholesky)
        out *= -0.5
        out += self.covariance.log_det_cholesky(precisions_cholesky, n_features)
        out -= 0.5 * n_features * math.log(2 * math.pi)
        return out

    def statistics(
        self, X, W, centres, covariances=None, missing: Missingness | None = None
    ) -> GaussianStats:
        """Statistics centred on ``centres``.

        With ``missing``, ``centres`` and ``covariances`` are the current
        parameters, and each incomplete row contributes its conditional
        expectations given its observed values (the exact EM statistics).
        """
        if missing is None:
            return self._complete_statistics(X, W, centres)
        complete = missing.complete
        stats = self._complete_statistics(X[complete], W[complete], centres)
        k, d = centres.shape
        full = self.covariance.full_matrices(covariances, k, d)
        nk = np.zeros_like(stats.nk)
        sx = np.zeros_like(stats.sx)
        sxx = np.zeros((k, d, d), dtype=stats.sx.dtype)
        for pattern in missing.patterns:
            completed, conditional_cov = _conditionals(X[pattern.rows], pattern, centres, full)
            w = W[pattern.rows]
            deviations = completed - centres[:, None, :]
            weighted = w.T[:, :, None] * deviations
            nk += column_sums(w)
            sx += weighted.sum(axis=1)
            sxx += np.swapaxes(weighted, 1, 2) @ deviations
            m = pattern.missing
            sxx[np.ix_(np.arange(k), m, m)] += column_sums(w)[:, None, None] * conditional_cov
        return stats + GaussianStats(nk, sx, self.covariance.reduce_second_moments(sxx))

    def _complete_statistics(self, X, W, centres) -> GaussianStats:
        nk = column_sums(W)
        return GaussianStats(
            nk=nk,
            sx=W.T @ X - nk[:, None] * centres,
            sxx=self.covariance.second_moments(X, W, nk, centres),
        )

    def conditional_expectations(self, X, W, means, covariances, missing: Missingness | None):
        """X with each NaN replaced by sum_k W_ik E[x_m | x_o, component k]."""
        out = np.array(X, copy=True)
        if missing is None:
            return out
        full = self.covariance.full_matrices(covariances, *means.shape)
        for pattern in missing.patterns:
            completed, _ = _conditionals(X[pattern.rows], pattern, means, full)
            m = pattern.missing
            out[np.ix_(pattern.rows, m)] = np.einsum(
                "nk,knd->nd", W[pattern.rows], completed[..., m]
            )
        return out

    def conditional_samples(self, X, W, means, covariances, missing, rng):
        """X with each row's NaN drawn from its conditional distribution.

        The component is drawn from the row's ``W``, then the missing values
        from the Gaussian conditional on the observed ones.
        """
        out = np.array(X, copy=True)
        if missing is None:
            return out
        full = self.covariance.full_matrices(covariances, *means.shape)
        for pattern in missing.patterns:
            completed, conditional_cov = _conditionals(X[pattern.rows], pattern, means, full)
            w = W[pattern.rows]
            draws = rng.random_sample(len(w))[:, None]
            components = np.minimum((draws > w.cumsum(axis=1)).sum(axis=1), w.shape[1] - 1)
            m = pattern.missing
            factors = np.linalg.cholesky(conditional_cov)
            noise = rng.standard_normal((len(w), len(m)))
            mean = completed[components, np.arange(len(w))][:, m]
            out[np.ix_(pattern.rows, m)] = mean + np.einsum(
                "nij,nj->ni", factors[components], noise
            )
        return out

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


def _marginal_log_prob(X_observed, means_observed, covariances_observed) -> np.ndarray:
    """Log-density of rows of observed values under each component, shape (n, k)."""
    n_observed = X_observed.shape[1]
    if n_observed == 0:
        return np.zeros((X_observed.shape[0], means_observed.shape[0]))
    chol = np.linalg.cholesky(covariances_observed)
    deviations = X_observed[None] - means_observed[:, None, :]
    z = np.linalg.solve(chol, np.swapaxes(deviations, 1, 2))
    log_det = np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
    maha = np.einsum("kon,kon->kn", z, z)
    return (-0.5 * (n_observed * math.log(2 * math.pi) + maha) - log_det[:, None]).T


def _conditionals(X_rows, pattern: Pattern, means, full):
    """Rows completed by E[x_m | x_o, k], shape (k, n, d), and Cov[x_m | x_o, k]."""
    o, m = pattern.observed, pattern.missing
    cov_mm = full[:, m][:, :, m]
    completed = np.empty((means.shape[0], X_rows.shape[0], means.shape[1]), dtype=means.dtype)
    completed[:, :, o] = X_rows[:, o]
    if len(o) == 0:
        completed[:, :, m] = means[:, None, m]
        return completed, cov_mm
    cov_mo = full[:, m][:, :, o]
    regression = np.linalg.solve(full[:, o][:, :, o], np.swapaxes(cov_mo, 1, 2))  # (k, o, m)
    deviations = X_rows[None, :, o] - means[:, None, o]
    completed[:, :, m] = means[:, None, m] + deviations @ regression
    return completed, cov_mm - cov_mo @ regression
