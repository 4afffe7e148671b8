"""Categorical, multinomial and Poisson emissions: count statistics weighted per state."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.special import gammaln
from sklearn.utils.extmath import safe_sparse_dot

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


def multinomial_log_prob(X, log_emissionprob: np.ndarray) -> np.ndarray:
    """log of the multinomial probability of every row of counts X (dense or sparse) under
    every row of probabilities ``exp(log_emissionprob)``, its total the number of trials.

    A count of a category of probability 0 is impossible (-inf); a category of
    probability 0 with no count adds nothing (0 log 0 = 0).
    """
    possible = np.isfinite(log_emissionprob)
    log_prob = safe_sparse_dot(X, np.where(possible, log_emissionprob, 0.0).T, dense_output=True)
    if not possible.all():
        impossible = safe_sparse_dot(X, (~possible).T.astype(float), dense_output=True) > 0
        log_prob[impossible] = -np.inf
    return log_prob + log_multinomial_coefficient(X)[:, None]


def multinomial_counts(X, W: np.ndarray) -> np.ndarray:
    """counts[k, f] = sum of W[i, k] * X[i, f] over rows i, for counts X dense or sparse."""
    return np.asarray(safe_sparse_dot(X.T, W, dense_output=True)).T


def log_multinomial_coefficient(X) -> np.ndarray:
    """log(n_i! / prod_f x_if!) for every row of counts X (dense or sparse)."""
    if sp.issparse(X):
        terms = X.copy()
        terms.data = gammaln(terms.data + 1)  # gammaln(1) = 0 for the zeros
    else:
        terms = gammaln(X + 1)
    totals = np.asarray(X.sum(axis=1)).ravel()
    return gammaln(totals + 1) - np.asarray(terms.sum(axis=1)).ravel()


def poisson_log_prob(X: np.ndarray, lambdas: np.ndarray) -> np.ndarray:
    """Sum over features of log Poisson(x_if | lambda_kf), shape (n, k)."""
    return X @ np.log(lambdas).T - lambdas.sum(axis=1) - gammaln(X + 1).sum(axis=1)[:, None]


def poisson_statistics(X: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per state: total weight and weighted sum of the counts."""
    return column_sums(W), W.T @ X
