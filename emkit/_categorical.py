"""Categorical, multinomial and Poisson emissions: count statistics weighted per state.

Their log-probabilities are ``_inference``'s, which the light predictor shares.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln
from sklearn.utils.extmath import safe_sparse_dot

from . import _inference
from ._utils import column_sums


def categorical_counts(symbols: np.ndarray, W: np.ndarray, n_symbols: int) -> np.ndarray:
    """counts[k, s] = sum of W[i, k] over rows i with symbol s."""
    return np.stack(
        [np.bincount(symbols, weights=W[:, k], minlength=n_symbols) for k in range(W.shape[1])]
    )


def multinomial_log_prob(X, log_emissionprob: np.ndarray) -> np.ndarray:
    """``_inference.multinomial_log_prob`` with scipy's gammaln."""
    return _inference.multinomial_log_prob(X, log_emissionprob, gammaln)


def multinomial_counts(X, W: np.ndarray) -> np.ndarray:
    """counts[k, f] = sum of W[i, k] * X[i, f] over rows i, for counts X dense or sparse."""
    return np.asarray(safe_sparse_dot(X.T, W, dense_output=True)).T


def poisson_log_prob(X: np.ndarray, lambdas: np.ndarray) -> np.ndarray:
    """``_inference.poisson_log_prob`` with scipy's gammaln."""
    return _inference.poisson_log_prob(X, lambdas, gammaln)


def poisson_statistics(X: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per state: total weight and weighted sum of the counts."""
    return column_sums(W), W.T @ X
