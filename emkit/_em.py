"""The one EM driver that every estimator uses.

A model turns a chunk of data into additive sufficient statistics (E-step)
and summed statistics into parameters (M-step); this module does the rest:
restarts, the loop, convergence, history, callbacks and warnings.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cache, partial, reduce
from numbers import Integral, Real
from typing import Any, Protocol

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn import get_config
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import gen_batches
from sklearn.utils._param_validation import Interval, StrOptions
from threadpoolctl import ThreadpoolController

from ._accel import Squarem
from ._missing import Missingness, find_missing
from ._monitor import IterationRecord, Monitor
from ._validation import warn

# Parameter constraints of the driver's options, shared by every estimator.
EM_CONSTRAINTS: dict = {
    "n_init": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0.0, None, closed="left")],
    "max_iter": [Interval(Integral, 0, None, closed="left")],
    "accelerate": [None, StrOptions({"squarem"})],
    "random_state": ["random_state"],
    "n_jobs": [Integral, None],
    "verbose": ["verbose"],
    "callback": [callable, None],
}


# Parameter constraints of stepwise EM (``partial_fit``), named as in
# scikit-learn's LatentDirichletAllocation.
ONLINE_CONSTRAINTS: dict = {
    "learning_decay": [Interval(Real, 0.5, 1.0, closed="right")],
    "learning_offset": [Interval(Real, 0.0, None, closed="neither")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
}


class Model(Protocol):
    def init_params(self, data: Any, rng: np.random.RandomState) -> Any: ...

    def e_step(self, params: Any, chunk: Any) -> tuple[Any, float]: ...

    def m_step(self, stats: Any, params: Any) -> Any: ...

    def n_parameters(self, params: Any) -> int: ...

    def log_prior(self, params: Any) -> float: ...

    # For accelerate="squarem": the parameters as arrays in which any values are valid.
    def unconstrained(self, params: Any) -> tuple[np.ndarray, ...]: ...

    # For stepwise EM: ``stats`` of an E-step at ``old``, as if taken at ``new``.
    def recentred(self, stats: Any, old: Any, new: Any) -> Any: ...

    def from_unconstrained(self, values: Any) -> Any: ...


# The initialisation runs in memory on at most this much of the data (a random
# sample of larger data): scikit-learn's k-means would copy all of it.
INIT_BYTES = 128 * 2**20

# Temporaries of a chunk of this size stay in the caches: the E-step of a
# 200k x 20 full-covariance mixture ran 1.5x faster in 2,000-8,000-row chunks
# than in one.
_CACHE_BYTES = 8 * 2**20


def chunk_rows(row_bytes: int, n_rows: int) -> int:
    """Rows per chunk: temporaries within the caches and scikit-learn's ``working_memory``."""
    budget = min(get_config()["working_memory"] * 2**20, _CACHE_BYTES)
    return min(max(int(budget // row_bytes), 1), n_rows)


class InMemory:
    """What the driver asks of data in memory, beyond ``chunks`` and ``total_weight``.

    ``_dask.DaskRows`` answers the same for data on a Dask cluster.
    """

    def rows_for_init(self, rng):
        """The data in memory for a model's initialisation: all of it (k-means samples its own)."""
        return self

    def e_steps(self, chunks: list, pool) -> _Chunks:
        """The driver's E-step over ``chunks``, run by the threads of ``pool``."""
        return _Chunks(chunks, self.total_weight, pool)


@dataclass(frozen=True)
class RowData(InMemory):
    """Rows of ``X`` with their weights; chunks are views of consecutive rows.

    A chunk also knows its rows' patterns of missing values (NaN), found once,
    and carries the rows' labels ``y`` if the model has any.
    """

    X: Any
    sample_weight: np.ndarray
    missing: Missingness | None = None
    y: np.ndarray | None = None

    @property
    def total_weight(self) -> float:
        return float(self.sample_weight.sum())

    def chunks(self, row_bytes: int) -> list[RowData]:
        """Split into chunks that fit scikit-learn's ``working_memory``."""
        n_rows = chunk_rows(row_bytes, self.X.shape[0])
        return [
            RowData(
                self.X[batch],
                self.sample_weight[batch],
                find_missing(self.X[batch]),
                None if self.y is None else self.y[batch],
            )
            for batch in gen_batches(self.X.shape[0], n_rows)
        ]


@dataclass(frozen=True)
class EMResult:
    params: Any
    lower_bound: float
    lower_bounds: list[float]
    n_iter: int
    converged: bool
    stopped: bool


@dataclass(frozen=True)
class _Chunks:
    """The chunks of the data, and the threads that run their E-steps."""

    chunks: list
    total_weight: float
    pool: ThreadPoolExecutor | None

    def e_step(self, model, params):
        """Summed statistics, and the objective EM increases: log-likelihood plus log prior.

        The chunks' results are summed in their order, whichever thread ran them.
        """
        each = partial(model.e_step, params)
        results = self.pool.map(each, self.chunks) if self.pool else map(each, self.chunks)
        stats, log_likelihood = reduce(_add_pairs, results)
        return stats, log_likelihood + model.log_prior(params)


def _run(model, data: _Chunks, params, restart, lower_bound, options) -> EMResult:
    """EM from ``params``.

    With SQUAREM, a cycle from t0 takes two EM steps (t1, t2) and evaluates
    the extrapolated point, which becomes the next t0 if its log-likelihood is
    not below t0's (as in Varadhan & Roland's R package, but never lower);
    otherwise t2 does. ``n_iter`` counts E-steps, and ``lower_bounds`` holds
    the log-likelihoods of the cycles' starting points. Convergence is tested
    on plain EM steps only: an accepted jump that gains little says nothing.
    """
    tol, max_iter, verbose, verbose_interval, callback, accelerate, snapshot = options
    monitor = Monitor(restart, verbose, verbose_interval, callback, snapshot)
    squarem = Squarem() if accelerate == "squarem" else None
    lower_bounds: list[float] = []
    converged = stopped = False
    n_iter = 0
    evaluated = None  # the E-step at ``params`` when already done
    jumped = False  # ``params`` is an extrapolated point
    while evaluated is not None or n_iter < max_iter:
        if evaluated is None:
            evaluated = data.e_step(model, params)
            n_iter += 1
        (stats, log_likelihood), evaluated = evaluated, None
        change = log_likelihood / data.total_weight - lower_bound
        lower_bound = log_likelihood / data.total_weight
        lower_bounds.append(lower_bound)
        converged = abs(change) < tol and not jumped
        jumped = False
        m_step = partial(model.m_step, stats, params)  # for a record's estimator, on demand
        stopped = monitor.report(n_iter, lower_bounds, change, m_step)
        step1 = model.m_step(stats, params)
        if converged or stopped:
            params = step1
            break
        if squarem is None or n_iter + 2 > max_iter:
            params = step1
            continue
        stats1, log_likelihood1 = data.e_step(model, step1)
        n_iter += 1
        if abs(log_likelihood1 - log_likelihood) < tol * data.total_weight:
            params, evaluated = step1, (stats1, log_likelihood1)
            continue  # recorded as converged at the top of the loop
        step2 = model.m_step(stats1, step1)
        candidate, trial = _extrapolated_e_step(model, squarem, data, params, step1, step2)
        n_iter += 1
        jumped = trial is not None and trial[1] >= log_likelihood
        monitor.count_jump(invalid=trial is None, rejected=not jumped)
        squarem.update(jumped)
        params, evaluated = (candidate, trial) if jumped else (step2, None)
    monitor.finish(lower_bound, converged)
    return EMResult(params, lower_bound, lower_bounds, n_iter, converged, stopped)


def _extrapolated_e_step(model, squarem, data, params0, params1, params2):
    """The SQUAREM point and its E-step, or None for the E-step if the point is invalid."""
    with np.errstate(all="ignore"):
        try:
            candidate = squarem.extrapolate(model, params0, params1, params2)
            trial = data.e_step(model, candidate)
        except ValueError:  # not positive-definite, or data impossible under the point
            return None, None
    return candidate, trial if np.isfinite(trial[1]) else None


def _snapshot(fitted, m_step, n_iter: int, lower_bounds: list):
    """The estimator as a fit stopped after ``n_iter`` E-steps would return it."""
    return fitted(EMResult(m_step(), lower_bounds[-1], lower_bounds, n_iter, False, True))


def set_fit_attributes(estimator, model, result: EMResult) -> None:
    """The fitted attributes of an estimator: its parameters (``_set_fitted``) and history."""
    estimator._set_fitted(model, result.params)
    estimator.converged_ = result.converged
    estimator.n_iter_ = result.n_iter
    estimator.lower_bound_ = result.lower_bound
    estimator.lower_bounds_ = result.lower_bounds


def fitted_copy(estimator, model, result: EMResult):
    """A shallow copy of ``estimator``, without callback, fitted to ``result``."""
    copied = copy.copy(estimator)
    copied.callback = None
    set_fit_attributes(copied, model, result)
    return copied


@cache
def _threadpools() -> ThreadpoolController:
    return ThreadpoolController()


# Starting a team of OpenMP threads costs more than scikit-learn's k-means takes
# on a few thousand rows, and far more while other libraries' threads spin on
# the same cores: Old Faithful's fit right after a scikit-learn fit took 5.7 ms
# (median) with two threads, 3.7 ms with one. From 10,000 rows on, two
# threads are faster.
_SERIAL_KMEANS_ROWS = 4096


def kmeans_threads(n_rows: int):
    """A context for scikit-learn's k-means on ``n_rows`` rows: one OpenMP thread if few."""
    serial = n_rows < _SERIAL_KMEANS_ROWS
    return _threadpools().limit(limits=1 if serial else None, user_api="openmp")


def map_blocks(function: Callable, blocks: list, n_jobs: int | None) -> list:
    """``[function(block) for block in blocks]``, run by up to ``n_jobs`` threads.

    As in ``fit_em``, BLAS runs one thread while several threads share the blocks.
    """
    n_threads = min(effective_n_jobs(n_jobs), len(blocks))
    if n_threads <= 1:
        return [function(block) for block in blocks]
    with _threadpools().limit(limits=1, user_api="blas"), ThreadPoolExecutor(n_threads) as pool:
        return list(pool.map(function, blocks))


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
    accelerate: str | None = None,
    fitted: Callable[[EMResult], Any] | None = None,
) -> EMResult:
    """Fit ``model`` to ``data`` by EM and return the best restart.

    Initial parameters of all restarts are drawn first, one after the other
    from ``random_state`` (as scikit-learn does), and only then are the EM
    loops run, in parallel when ``n_jobs`` asks for it; ``n_jobs`` threads
    also share the E-steps' chunks of rows. The chunks do not depend on
    ``n_jobs`` and their statistics are summed in order, so the result is
    the same for every ``n_jobs``. ``warm_start=(params, lower_bound)``
    replaces the initialisation by a single run from ``params``.
    ``accelerate="squarem"`` extrapolates EM steps (see ``_accel``); the
    model then maps its parameters to unconstrained arrays and back
    (``unconstrained``, ``from_unconstrained``). ``fitted(result)`` returns
    a copy of the estimator fitted to an ``EMResult``: with it, every
    callback record can give the estimator as a fit stopped there.
    """
    # One BLAS thread: threaded OpenBLAS runs the tall, skinny products of EM
    # slower (measured 1.2-2.7x on 2 cores); chunks and restarts run in parallel.
    with _threadpools().limit(limits=1, user_api="blas"):
        if warm_start is not None:
            starts = [warm_start]
        else:
            starts = [(model.init_params(data, random_state), -np.inf) for _ in range(n_init)]
        chunks = data.chunks(row_bytes)
        n_threads = effective_n_jobs(n_jobs)
        snapshot = None if fitted is None else partial(_snapshot, fitted)
        options = (tol, max_iter, verbose, verbose_interval, callback, accelerate, snapshot)
        workers = min(n_threads, len(chunks))
        with ThreadPoolExecutor(workers) if workers > 1 else nullcontext() as pool:
            shared = data.e_steps(chunks, pool)
            results = Parallel(n_jobs=min(n_threads, len(starts)), prefer="threads")(
                delayed(_run)(model, shared, params, i, lower_bound, options)
                for i, (params, lower_bound) in enumerate(starts)
            )
    best = results[0]
    for result in results[1:]:
        if result.lower_bound > best.lower_bound:
            best = result
    if max_iter > 0 and not best.converged and not best.stopped:
        faster = ', or set accelerate="squarem"' if accelerate is None else ""
        warn(
            f"EM did not converge in max_iter={max_iter} iterations (tol={tol}). Increase "
            f"max_iter{faster}; lower_bounds_ (or a callback) shows the progress. A "
            "log-likelihood that keeps climbing can mean a collapsing component (raise "
            "reg_covar) or unscaled X (scale it); other starts may converge sooner "
            "(n_init > 1, init_params).",
            ConvergenceWarning,
        )
    return best


@dataclass(frozen=True)
class OnlineState:
    """Stepwise EM between two ``partial_fit`` calls.

    ``stats`` are the running statistics per unit of weight, centred as an
    E-step at ``params`` would centre them; None before the first step.
    """

    params: Any
    stats: Any = None
    n_steps: int = 0


def stepwise_em(
    model: Model,
    data: RowData,
    state: OnlineState,
    *,
    row_bytes: int,
    batch_size: int,
    learning_decay: float,
    learning_offset: float,
    n_jobs: int | None = None,
) -> tuple[OnlineState, list[float]]:
    """Stepwise EM over the rows of ``data``, in mini-batches of ``batch_size`` rows.

    Each mini-batch's statistics per unit of weight, ``s_b``, move the running
    statistics to ``(1 - eta) s + eta s_b`` with ``eta = (learning_offset +
    t) ** -learning_decay`` at step ``t`` (Cappé & Moulines, 2009; Liang &
    Klein, 2009); the first step takes ``s_b``, so a single mini-batch is one
    EM step. An M-step follows every update, on ``s`` times the mini-batch's
    weight. Returns the new state and the mean log-likelihood of each
    mini-batch at the parameters it was scored at.
    """
    log_likelihoods = []
    n_threads = effective_n_jobs(n_jobs)
    with (
        _threadpools().limit(limits=1, user_api="blas"),
        ThreadPoolExecutor(n_threads) if n_threads > 1 else nullcontext() as pool,
    ):
        for batch in gen_batches(len(data.sample_weight), batch_size):
            y = None if data.y is None else data.y[batch]
            part = RowData(data.X[batch], data.sample_weight[batch], None, y)
            weight = part.total_weight
            if weight == 0:  # nothing to learn from
                continue
            stats, log_likelihood = _Chunks(part.chunks(row_bytes), weight, pool).e_step(
                model, state.params
            )
            stats = stats * (1.0 / weight)
            if state.stats is not None:
                eta = (learning_offset + state.n_steps) ** -learning_decay
                stats = state.stats * (1.0 - eta) + stats * eta
            # At the scale of one mini-batch, so that a prior (a pseudo-count)
            # weighs as against one batch; the Gaussian estimates do not depend on it.
            params = model.m_step(stats * weight, state.params)
            state = OnlineState(
                params, model.recentred(stats, state.params, params), state.n_steps + 1
            )
            log_likelihoods.append(log_likelihood / weight)
    return state, log_likelihoods


def partial_fit_em(estimator, model: Model, data: RowData, row_bytes: int, start) -> None:
    """``partial_fit``: stepwise EM on ``data``, then the estimator's fitted attributes.

    A new stream (none yet, or after ``fit``) begins at the parameters
    ``start()`` returns. ``n_iter_`` counts the stream's mini-batches,
    ``lower_bounds_`` holds their mean log-likelihoods, and ``converged_``
    stays False: stepwise EM has no convergence test.
    """
    state = getattr(estimator, "_online", None)
    if state is None:
        state = OnlineState(start())
        estimator.lower_bounds_ = []
    state, log_likelihoods = stepwise_em(
        model,
        data,
        state,
        row_bytes=row_bytes,
        batch_size=estimator.batch_size,
        learning_decay=estimator.learning_decay,
        learning_offset=estimator.learning_offset,
        n_jobs=estimator.n_jobs,
    )
    estimator._online = state
    estimator._set_fitted(model, state.params)
    estimator.n_iter_ = state.n_steps
    estimator.converged_ = False
    estimator.lower_bounds_ = [*estimator.lower_bounds_, *log_likelihoods]
    estimator.lower_bound_ = estimator.lower_bounds_[-1] if estimator.lower_bounds_ else -np.inf
