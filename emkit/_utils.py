"""Small numerical helpers shared by the models.

NumPy reduces along a short axis of a tall array slowly (the (n, k) arrays of
log-probabilities and weights here); these helpers use GEMV and column-wise
ufuncs instead, several times faster.
"""

from __future__ import annotations

import numpy as np


def batches(n: int, size: int) -> list[slice]:
    """Consecutive slices of ``size`` of ``range(n)``, the last one shorter
    (scikit-learn's ``gen_batches`` checks its arguments at each call, which
    costs more than a small E-step)."""
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]


def row_sums(a: np.ndarray) -> np.ndarray:
    return a @ np.ones(a.shape[1], dtype=a.dtype)


def column_sums(a: np.ndarray) -> np.ndarray:
    return np.ones(a.shape[0], dtype=a.dtype) @ a


def row_max(a: np.ndarray) -> np.ndarray:
    top = a[:, 0].copy()
    for j in range(1, a.shape[1]):
        np.maximum(top, a[:, j], out=top)
    return top


def log_normalize(log_prob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``log_prob`` as probabilities, and their log-sum-exp.

    One ``exp`` over the array serves both results.
    """
    top = row_max(log_prob)
    top[~np.isfinite(top)] = 0.0
    prob = np.exp(log_prob - top[:, None])
    total = row_sums(prob)
    prob /= total[:, None]
    with np.errstate(divide="ignore"):
        return prob, np.log(total) + top


def normalize_rows(counts: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Rows of counts as probabilities; a row without counts keeps its previous value."""
    totals = counts.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, counts / totals, previous)


def log_dirichlet(concentration, probabilities: np.ndarray, allowed=True) -> float:
    """Log-density of Dirichlet priors (concentrations broadcast over the probabilities),
    up to a constant, over the ``allowed`` probabilities that are positive.

    Below a concentration of 1 the density is infinite where a probability is
    zero, and the M-step sets probabilities to zero: the density is taken on
    the face of the simplex where the probabilities are positive.
    """
    positive = (probabilities > 0) & allowed
    terms = (np.asarray(concentration) - 1.0) * np.log(np.where(positive, probabilities, 1.0))
    return float(np.sum(terms, where=positive))
