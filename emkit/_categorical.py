"""Categorical and Poisson emissions: count statistics weighted per state."""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from ._utils import column_sums


def categorical_log_prob(symbols: np.ndarray, emissionprob: np.ndarray) -> np.ndarray:
    """log emissionprob[k, x_i] for every row and state, shape (n, k)."""
    with np.errstate(divide="ignore"):
        return np.log(emissionprob).T[symbols]


def categorical_counts(symbols: np.ndarray, W: np.ndarray, n_symbols: int) -> np.ndarray:
    """counts[k, s] = sum of W[i, k] over rows i with symbol s."""
    return np.stack(
        [np.bincount(symbols, weights=W[:, k], minlength=n_symbols) for k in range(W.shape[1])]
    )


def poisson_log_prob(X: np.ndarray, lambdas: np.ndarray) -> np.ndarray:
    """Sum over features of log Poisson(x_if | lambda_kf), shape (n, k)."""
    return X @ np.log(lambdas).T - lambdas.sum(axis=1) - gammaln(X + 1).sum(axis=1)[:, None]


def poisson_statistics(X: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per state: total weight and weighted sum of the counts."""
    return column_sums(W), W.T @ X
