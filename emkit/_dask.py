"""Exact EM on Dask arrays: the E-step of each block runs where the block is.

The rows are persisted once, in blocks of whole rows, each block already split
into the chunks the in-memory fit would make of it (missingness patterns
found). Every E-step sends the parameters to the blocks, runs the model's
E-step on each, and sums the blocks' statistics in a fixed binary tree, so
that only statistics travel back. Dask is imported only here, and only when
X is a Dask array.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, reduce
from typing import Any

import numpy as np
from sklearn.utils.validation import validate_data

from ._em import RowData, _add_pairs, objective
from ._missing import raise_unobserved
from ._starts import sample_rows
from ._validation import check_magnitude


def is_dask_array(X) -> bool:
    """Whether X is a Dask array (without importing Dask)."""
    return type(X).__module__.partition(".")[0] == "dask" and hasattr(X, "chunks")


def _import_dask():
    try:
        import dask
        import dask.array as da
    except ImportError as error:  # pragma: no cover - the test extra installs Dask
        raise ImportError("Fitting a Dask array needs Dask: pip install 'emkit[dask]'.") from error
    return dask, da


def check_dask_array(estimator, X, *, reset: bool):
    """X as a float Dask array of whole rows per block; the feature checks of ``validate_data``.

    Values are not looked at here: ``DaskRows`` checks them in its one pass.
    """
    _, da = _import_dask()
    validate_data(estimator, X, skip_check_array=True, reset=reset)
    if X.ndim != 2:
        raise ValueError(f"Expected a 2D Dask array X, got {X.ndim} dimension(s).")
    if X.dtype.kind not in "biuf":
        raise TypeError(f"X must hold numbers, got a Dask array of dtype {X.dtype}.")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    return da.asarray(X).rechunk({1: -1})


def map_rows(function, X, n_columns: int | None, dtype):
    """``function`` of each block of rows of X, lazily, as one Dask array.

    With ``n_columns`` None, ``function`` returns one value per row.
    """
    if n_columns is None:
        return X.map_blocks(function, drop_axis=1, dtype=dtype)
    return X.map_blocks(function, chunks=(X.chunks[0], (n_columns,)), dtype=dtype)


def _block_chunks(X, sample_weight, y, row_bytes):
    return RowData(X, sample_weight, None, y).chunks(row_bytes)


def _block_e_step(model, params, chunks):
    return reduce(_add_pairs, (model.e_step(params, chunk) for chunk in chunks))


@dataclass(frozen=True)
class _BlockEsteps:
    """The persisted blocks, each a list of chunks; the driver's E-step over them."""

    blocks: list
    total_weight: float

    def e_step(self, model, params):
        dask, _ = _import_dask()
        shared = dask.delayed(params)  # one key, sent to every worker that needs it
        parts = [dask.delayed(_block_e_step)(model, shared, block) for block in self.blocks]
        while len(parts) > 1:
            pairs = [dask.delayed(_add_pairs)(a, b) for a, b in zip(parts[::2], parts[1::2])]
            parts = pairs + parts[len(pairs) * 2 :]
        stats, log_likelihood = parts[0].compute()
        return stats, objective(model, params, stats, log_likelihood)


@dataclass(frozen=True)
class DaskRows:
    """Rows of a Dask array X, with weights (and labels ``y``) in blocks of the same rows.

    ``sample_weight`` and ``y`` may be NumPy or Dask arrays, or None.
    Creating it persists X and checks, in one pass over the data, that X is
    finite where not NaN and small enough to square, that every column has an
    observed value in a row of positive weight and that the weights are
    non-negative with a positive sum.
    """

    X: Any
    sample_weight: Any
    y: Any = None
    total_weight: float = 0.0
    n_weighted: int = 0  # rows of positive weight

    @classmethod
    def create(cls, X, sample_weight=None, y=None, dtype=None) -> DaskRows:
        dask, da = _import_dask()
        rows = (X.chunks[0],)
        if sample_weight is None:
            sample_weight = da.ones(X.shape[0], dtype=X.dtype, chunks=rows)
        sample_weight = da.asarray(sample_weight)
        if sample_weight.shape != (X.shape[0],):
            raise ValueError(
                f"sample_weight must have shape ({X.shape[0]},) to match X, "
                f"got shape {sample_weight.shape}."
            )
        sample_weight = sample_weight.astype(X.dtype).rechunk(rows)
        if y is not None:
            y = da.asarray(y).rechunk(rows)
        X, sample_weight, y = dask.persist(X, sample_weight, y)
        observed = ~da.isnan(X)
        positive = sample_weight > 0
        infinite, largest, smallest, seen, weighted, negative, total, n_weighted = dask.compute(
            da.isinf(X).any(),
            da.where(observed, X, 0).max(),
            da.where(observed, X, 0).min(),
            observed.any(axis=0),
            (observed & positive[:, None]).any(axis=0),
            (sample_weight < 0).any(),
            sample_weight.sum(),
            positive.sum(),
        )
        if infinite:
            raise ValueError("Input X contains infinity or a value too large for its dtype.")
        check_magnitude(largest, smallest)
        if negative:
            raise ValueError("sample_weight must be non-negative; found negative values.")
        if not total > 0:
            raise ValueError("sample_weight must have a positive sum.")
        raise_unobserved(seen, weighted)
        return cls(X, sample_weight, y, float(total), int(n_weighted))

    @property
    def shape(self) -> tuple[int, int]:
        return self.X.shape

    def rows_for_init(self, rng) -> RowData:
        """The rows a start sees, in memory: all, or a random sample of ``START_ROWS``."""
        rows = sample_rows(self.X.shape[0], rng, self._labels)
        if rows is None:
            return self._all_rows  # fetched once for all restarts
        return self._rows(rows)

    @cached_property
    def _labels(self) -> np.ndarray | None:
        """The rows' class labels in memory (one small column), or None."""
        if self.y is None:
            return None
        dask, _ = _import_dask()
        return dask.compute(self.y)[0]

    @cached_property
    def _all_rows(self) -> RowData:
        return self._rows(slice(None))

    def _rows(self, keep) -> RowData:
        dask, _ = _import_dask()
        y = None if self.y is None else self.y[keep]
        X, w, y = dask.compute(self.X[keep], self.sample_weight[keep], y)
        return RowData(X, w, None, y)

    def chunks(self, row_bytes: int) -> list:
        """Each block of rows, persisted on the workers as the chunks ``RowData`` makes."""
        dask, _ = _import_dask()
        y_blocks = [None] * len(self.X.chunks[0]) if self.y is None else self.y.to_delayed()
        blocks = [
            dask.delayed(_block_chunks)(x, w, y, row_bytes)
            for x, w, y in zip(
                self.X.to_delayed().ravel(), self.sample_weight.to_delayed(), y_blocks
            )
        ]
        return list(dask.persist(*blocks))

    def e_steps(self, chunks: list, pool) -> _BlockEsteps:
        return _BlockEsteps(chunks, self.total_weight)
