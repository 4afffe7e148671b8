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

import numba
import numpy as np

from ._covariance import _ILL_DEFINED, COVARIANCE_TYPES
from ._missing import Missingness
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
        self._incomplete_rows(_LOG_PROB, X, means, covariances, missing, log_prob=out)
        return out

    def _incomplete_rows(self, mode, X, means, covariances, missing, **outputs):
        """Run the compiled pass over the incomplete rows, filling ``outputs``."""
        k, d = means.shape
        full = np.ascontiguousarray(self.covariance.full_matrices(covariances, k, d), float)
        arrays = {
            "W": np.zeros((0, k)),
            "log_prob": np.zeros((0, k)),
            "nk": np.zeros(k),
            "sx": np.zeros((k, d)),
            "sxx": np.zeros((k, d, d)),
            "filled": np.zeros((0, d)),
            "chosen": np.zeros(0, dtype=np.int64),
            "noise": np.zeros((0, d)),
        }
        arrays.update(outputs)
        failed = _incomplete_pass(
            mode,
            np.asarray(X, dtype=float),
            missing.rows,
            missing.offsets,
            missing.observed,
            np.asarray(means, dtype=float),
            full,
            *(arrays[name] for name in ("W", "log_prob", "nk", "sx", "sxx", "filled")),
            arrays["chosen"],
            arrays["noise"],
        )
        if failed:
            raise ValueError(_ILL_DEFINED)
        return arrays

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
        out = self._incomplete_rows(
            _STATISTICS, X, centres, covariances, missing, W=np.asarray(W, dtype=float)
        )
        sxx = self.covariance.reduce_second_moments(out["sxx"])
        return stats + GaussianStats(out["nk"], out["sx"], sxx.astype(stats.sxx.dtype))

    def _complete_statistics(self, X, W, centres) -> GaussianStats:
        nk = column_sums(W)
        return GaussianStats(
            nk=nk,
            sx=W.T @ X - nk[:, None] * centres,
            sxx=self.covariance.second_moments(X, W, nk, centres),
        )

    def conditional_expectations(self, X, W, means, covariances, missing: Missingness | None):
        """X with each NaN replaced by sum_k W_ik E[x_m | x_o, component k]."""
        filled = np.array(X, dtype=float, copy=True)
        if missing is not None:
            W = np.asarray(W, dtype=float)
            self._incomplete_rows(_EXPECTATION, X, means, covariances, missing, W=W, filled=filled)
        return filled.astype(X.dtype, copy=False)

    def conditional_samples(self, X, W, means, covariances, missing, rng):
        """X with each row's NaN drawn from its conditional distribution.

        The component of each row is drawn from its ``W``, then the missing
        values from that component's Gaussian given the observed ones.
        """
        filled = np.array(X, dtype=float, copy=True)
        if missing is not None:
            draws = rng.random_sample(len(X))[:, None]
            chosen = np.minimum((draws > W.cumsum(axis=1)).sum(axis=1), W.shape[1] - 1)
            noise = rng.standard_normal(X.shape)
            self._incomplete_rows(
                _SAMPLE, X, means, covariances, missing, filled=filled, chosen=chosen, noise=noise
            )
        return filled.astype(X.dtype, copy=False)

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


_LOG_PROB, _STATISTICS, _EXPECTATION, _SAMPLE = 0, 1, 2, 3
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
def _incomplete_pass(
    mode, X, rows, offsets, observed, means, full, W, log_prob, nk, sx, sxx, filled, chosen, noise
):
    """One pass over the incomplete rows, pattern by pattern, component by component.

    With L the Cholesky factor of the observed block S_oo of a component's
    covariance, z = L^-1 (x_o - mu_o) gives the marginal log-density, B =
    L^-1 S_om gives E[x_m | x_o] = mu_m + B^T z and Cov[x_m | x_o] = S_mm - B^T B.
    ``mode`` selects the output: log-densities, EM statistics centred on the
    means, conditional expectations averaged by W, or conditional draws for
    the components ``chosen``. Returns True if a covariance is not
    positive-definite.
    """
    k, d = means.shape
    L = np.empty((d, d))
    B = np.empty((d, d))
    C = np.empty((d, d))
    z = np.empty(d)
    e = np.empty(d)
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
        for j in range(k):
            for a in range(n_o):
                for b in range(n_o):
                    L[a, b] = full[j, o_idx[a], o_idx[b]]
            if not _cholesky(L, n_o):
                return True
            half_log_det = 0.0
            for a in range(n_o):
                half_log_det += np.log(L[a, a])
            if mode != _LOG_PROB:
                for c in range(n_m):
                    for a in range(n_o):
                        total = full[j, o_idx[a], m_idx[c]]
                        for b in range(a):
                            total -= L[a, b] * B[b, c]
                        B[a, c] = total / L[a, a]
                for c1 in range(n_m):
                    for c2 in range(n_m):
                        total = full[j, m_idx[c1], m_idx[c2]]
                        for a in range(n_o):
                            total -= B[a, c1] * B[a, c2]
                        C[c1, c2] = total
                if mode == _SAMPLE and not _cholesky(C, n_m):
                    return True
            for r in range(offsets[p], offsets[p + 1]):
                i = rows[r]
                if mode == _SAMPLE and chosen[i] != j:
                    continue
                squared = 0.0
                for a in range(n_o):
                    total = X[i, o_idx[a]] - means[j, o_idx[a]]
                    for b in range(a):
                        total -= L[a, b] * z[b]
                    z[a] = total / L[a, a]
                    squared += z[a] * z[a]
                if mode == _LOG_PROB:
                    log_prob[i, j] = -0.5 * (n_o * _LOG_2PI + squared) - half_log_det
                    continue
                for c in range(n_m):  # E[x_m | x_o] - mu_m
                    total = 0.0
                    for a in range(n_o):
                        total += B[a, c] * z[a]
                    e[m_idx[c]] = total
                if mode == _EXPECTATION:
                    for c in range(n_m):
                        f = m_idx[c]
                        if j == 0:
                            filled[i, f] = 0.0
                        filled[i, f] += W[i, j] * (means[j, f] + e[f])
                elif mode == _SAMPLE:
                    for c1 in range(n_m):
                        total = means[j, m_idx[c1]] + e[m_idx[c1]]
                        for c2 in range(c1 + 1):
                            total += C[c1, c2] * noise[i, c2]
                        filled[i, m_idx[c1]] = total
                else:
                    w = W[i, j]
                    if w == 0.0:
                        continue
                    for a in range(n_o):
                        e[o_idx[a]] = X[i, o_idx[a]] - means[j, o_idx[a]]
                    nk[j] += w
                    for f in range(d):
                        sx[j, f] += w * e[f]
                        for g in range(d):
                            sxx[j, f, g] += w * e[f] * e[g]
                    for c1 in range(n_m):
                        for c2 in range(n_m):
                            sxx[j, m_idx[c1], m_idx[c2]] += w * C[c1, c2]
    return False
