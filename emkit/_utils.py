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


def mixture_log_normalize(log_prob: np.ndarray, log_weights: np.ndarray):
    """Log-densities of mixtures side by side, shape (n, n_mixtures), from those of
    their components, shape (n, n_mixtures * n_mix), and the mixtures' log weights,
    shape (n_mixtures, n_mix); and each component's share of its mixture's
    density (its responsibility), in the components' shape.

    A log-sum-exp over each mixture's components, one ``exp`` serving both
    results; ufuncs over one component of every mixture at a time, as NumPy's
    reductions over a short axis are slow (see above).
    """
    n, (n_mixtures, n_mix) = len(log_prob), log_weights.shape
    share = (log_prob + log_weights.ravel()).reshape(n, n_mixtures, n_mix)
    top = share[:, :, 0].copy()
    for j in range(1, n_mix):
        np.maximum(top, share[:, :, j], out=top)
    top[~np.isfinite(top)] = 0.0  # a mixture under which the row is impossible
    share -= top[:, :, None]
    np.exp(share, out=share)
    total = share[:, :, 0].copy()
    for j in range(1, n_mix):
        total += share[:, :, j]
    with np.errstate(divide="ignore", invalid="ignore"):  # the impossible rows
        share /= total[:, :, None]
        return np.log(total) + top, share.reshape(n, n_mixtures * n_mix)


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
