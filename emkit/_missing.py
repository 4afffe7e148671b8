"""Missing values (NaN): rows grouped by their pattern of missing columns."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class Missingness:
    """Rows of X grouped by pattern of missing columns.

    ``complete`` lists the rows that take the complete-data path: the rows
    with nothing missing if they are the majority. Pattern ``p`` holds rows
    ``rows[offsets[p]:offsets[p + 1]]`` and observes the columns where
    ``observed[p]`` is True; as a minority, the complete rows are one more
    pattern, which costs less than the complete-data path's fixed costs.
    """

    complete: np.ndarray
    rows: np.ndarray
    offsets: np.ndarray
    observed: np.ndarray

    @cached_property
    def n_missing(self) -> np.ndarray:
        """Number of missing columns of each pattern."""
        return self.observed.shape[1] - self.observed.sum(axis=1)

    @cached_property
    def row_n_missing(self) -> np.ndarray:
        """Number of missing columns of each row of ``rows``."""
        return np.repeat(self.n_missing, np.diff(self.offsets))

    @cached_property
    def block_ends(self) -> np.ndarray:
        """Offsets of each pattern's conditional covariance, packed as a lower triangle."""
        return np.concatenate([[0], np.cumsum(self.n_missing * (self.n_missing + 1) // 2)])

    @cached_property
    def columns(self) -> np.ndarray:
        """Each pattern's observed columns, then its missing ones, both in order."""
        return np.argsort(~self.observed, axis=1, kind="stable")


def find_missing(X: np.ndarray) -> Missingness | None:
    """Group the rows of X by missingness pattern; None if nothing is missing.

    Sparse X (count data, validated to be finite) has nothing missing.
    """
    # A sparse matrix exists only if scipy.sparse is loaded: the light predictor never loads it.
    sparse = sys.modules.get("scipy.sparse")
    if sparse is not None and sparse.issparse(X):
        return None
    mask = np.isnan(X)
    incomplete = mask.any(axis=1)
    if not incomplete.any():
        return None
    if 2 * incomplete.sum() > len(X):
        incomplete[:] = True
    rows = np.flatnonzero(incomplete)
    # One bytes key per row (its mask, 8 columns a byte): sorting those is fast.
    packed = np.ascontiguousarray(np.packbits(mask[rows], axis=1))
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    offsets = np.searchsorted(inverse[order], np.arange(len(first) + 1))
    return Missingness(np.flatnonzero(~incomplete), rows[order], offsets, ~mask[rows[first]])


def fill_with_column_means(X: np.ndarray, sample_weight: np.ndarray) -> np.ndarray:
    """X with each NaN replaced by its column's weighted mean (a start for EM)."""
    mask = np.isnan(X)
    if not mask.any():
        return X
    observed_weight = sample_weight @ ~mask
    means = (sample_weight @ np.where(mask, 0.0, X)) / observed_weight
    return np.where(mask, means, X)


def check_observed_columns(X: np.ndarray, sample_weight: np.ndarray | None = None) -> None:
    """Raise if a column of X has no observed value (in a row of positive weight)."""
    missing = np.isnan(X)
    positive = None if sample_weight is None else sample_weight > 0
    weighted = None if positive is None or positive.all() else ~missing[positive].all(axis=0)
    raise_unobserved(~missing.all(axis=0), weighted)


def raise_unobserved(observed: np.ndarray, weighted: np.ndarray | None = None) -> None:
    """Raise if a column is not ``observed`` (anywhere), or not in a row of positive weight."""
    empty = np.flatnonzero(~observed)
    if len(empty):
        raise ValueError(
            f"X column(s) {empty.tolist()} have no observed value; drop them before fitting."
        )
    unweighted = [] if weighted is None else np.flatnonzero(~weighted)
    if len(unweighted):
        raise ValueError(
            f"X column(s) {unweighted.tolist()} are observed only in rows whose "
            "sample_weight is 0: give them weight, or drop the columns."
        )
