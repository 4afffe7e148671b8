"""The one EM driver that every estimator uses.

A model turns a chunk of data into additive sufficient statistics (E-step)
and summed statistics into parameters (M-step); this module does the rest:
restarts, the loop, convergence, history, callbacks and warnings.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from typing import Any, Protocol

import numpy as np
from joblib import Parallel, delayed
from sklearn import get_config
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import gen_batches

from ._missing import Missingness, find_missing
from ._monitor import IterationRecord, Monitor


class Model(Protocol):
    def init_params(self, data: Any, rng: np.random.RandomState) -> Any: ...

    def e_step(self, params: Any, chunk: Any) -> tuple[Any, float]: ...

    def m_step(self, stats: Any, params: Any) -> Any: ...

    def n_parameters(self, params: Any) -> int: ...


def chunk_rows(row_bytes: int, n_rows: int) -> int:
    """Rows per chunk so that temporaries fit scikit-learn's ``working_memory``."""
    rows = int(get_config()["working_memory"] * 2**20 // row_bytes)
    return min(max(rows, 1), n_rows)


@dataclass(frozen=True)
class RowData:
    """Rows of ``X`` with their weights; chunks are views of consecutive rows.

    A chunk also knows its rows' patterns of missing values (NaN), found once.
    """

    X: np.ndarray
    sample_weight: np.ndarray
    missing: Missingness | None = None

    @property
    def total_weight(self) -> float:
        return float(self.sample_weight.sum())

    def chunks(self, row_bytes: int) -> list[RowData]:
        """Split into chunks that fit scikit-learn's ``working_memory``."""
        n_rows = chunk_rows(row_bytes, len(self.X))
        return [
            RowData(self.X[batch], self.sample_weight[batch], find_missing(self.X[batch]))
            for batch in gen_batches(len(self.X), n_rows)
        ]


@dataclass(frozen=True)
class EMResult:
    params: Any
    lower_bound: float
    lower_bounds: list[float]
    n_iter: int
    converged: bool
    stopped: bool


def _run(model, chunks, total_weight, params, restart, lower_bound, options) -> EMResult:
    tol, max_iter, verbose, verbose_interval, callback = options
    monitor = Monitor(restart, verbose, verbose_interval, callback)
    lower_bounds: list[float] = []
    converged = stopped = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        stats, log_likelihood = reduce(_add_pairs, (model.e_step(params, c) for c in chunks))
        params = model.m_step(stats, params)
        change = log_likelihood / total_weight - lower_bound
        lower_bound = log_likelihood / total_weight
        lower_bounds.append(lower_bound)
        converged = abs(change) < tol
        stopped = monitor.report(n_iter, lower_bound, change)
        if converged or stopped:
            break
    monitor.finish(lower_bound, converged)
    return EMResult(params, lower_bound, lower_bounds, n_iter, converged, stopped)


def _add_pairs(a, b):
    return a[0] + b[0], a[1] + b[1]


def fit_em(
    model: Model,
    data: RowData,
    *,
    row_bytes: int,
    n_init: int,
    tol: float,
    max_iter: int,
    random_state: np.random.RandomState,
    n_jobs: int | None = None,
    verbose: int = 0,
    verbose_interval: int = 10,
    callback: Callable[[IterationRecord], Any] | None = None,
    warm_start: tuple[Any, float] | None = None,
) -> EMResult:
    """Fit ``model`` to ``data`` by EM and return the best restart.

    Initial parameters of all restarts are drawn first, one after the other
    from ``random_state`` (as scikit-learn does), and only then are the EM
    loops run, in parallel when ``n_jobs`` asks for it. The result is thus
    the same for every ``n_jobs``. ``warm_start=(params, lower_bound)``
    replaces the initialisation by a single run from ``params``.
    """
    if warm_start is not None:
        starts = [warm_start]
    else:
        starts = [(model.init_params(data, random_state), -np.inf) for _ in range(n_init)]
    chunks = data.chunks(row_bytes)
    options = (tol, max_iter, verbose, verbose_interval, callback)
    results = Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(_run)(model, chunks, data.total_weight, params, i, lower_bound, options)
        for i, (params, lower_bound) in enumerate(starts)
    )
    best = results[0]
    for result in results[1:]:
        if result.lower_bound > best.lower_bound:
            best = result
    if max_iter > 0 and not best.converged and not best.stopped:
        warnings.warn(
            "Best performing initialization did not converge. Try different init "
            "parameters, or increase max_iter, tol, or check for degenerate data.",
            ConvergenceWarning,
            stacklevel=3,
        )
    return best
