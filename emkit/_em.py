"""The one EM driver that every estimator uses.

A model turns a chunk of data into additive sufficient statistics (E-step)
and summed statistics into parameters (M-step); this module does the rest:
restarts, the loop, convergence, history, callbacks and warnings.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, replace
from functools import partial, reduce
from numbers import Integral, Real
from typing import Any, Protocol

import numpy as np
from joblib import effective_n_jobs
from sklearn import get_config
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.parallel import Parallel, delayed  # the caller's config reaches threads

from ._accel import Squarem
from ._checkpoint import Attempt, Journal, RunState, fingerprint, read
from ._missing import Missingness, find_missing
from ._monitor import IterationRecord, Monitor, fit_hooks
from ._starts import sample_rows, threadpools
from ._utils import batches
from ._validation import NonFiniteError, warn

# Parameter constraints of the driver's options, shared by every estimator.
EM_CONSTRAINTS: dict = {
    "n_init": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0.0, None, closed="left")],
    "max_iter": [Interval(Integral, 0, None, closed="left")],
    "accelerate": [None, StrOptions({"squarem"})],
    "stopping": [StrOptions({"aitken", "change"})],
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

    # Optional: the objective from the summed statistics and per-chunk values (``objective``).
    # def objective(self, stats: Any, value: float, params: Any) -> float: ...

    # For stepwise EM: ``stats`` of an E-step at ``old``, as if taken at ``new``.
    def recentred(self, stats: Any, old: Any, new: Any) -> Any: ...

    def from_unconstrained(self, values: Any) -> Any: ...


# Temporaries of a chunk of this size stay in the caches: the E-step of a
# 200k x 20 full-covariance mixture ran 1.5x faster in 2,000-8,000-row chunks
# than in one.
_CACHE_BYTES = 8 * 2**20


def chunk_rows(row_bytes: int, n_rows: int) -> int:
    """Rows per chunk: temporaries within the caches and scikit-learn's ``working_memory``."""
    budget = min(get_config()["working_memory"] * 2**20, _CACHE_BYTES)
    return min(max(int(budget // row_bytes), 1), n_rows)


class InMemory:
    """What the driver asks of data in memory, beyond ``chunks``, ``total_weight`` and
    ``rows_for_init``.

    ``_dask.DaskRows`` answers the same for data on a Dask cluster.
    """

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

    def rows_for_init(self, rng) -> RowData:
        """The rows a start sees: all, or a random sample of ``_starts.START_ROWS``."""
        rows = sample_rows(self.X.shape[0], rng, self.y)
        if rows is None:
            return self
        y = None if self.y is None else self.y[rows]
        return RowData(self.X[rows], self.sample_weight[rows], None, y)

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
            for batch in batches(self.X.shape[0], n_rows)
        ]


@dataclass(frozen=True)
class EMResult:
    params: Any
    lower_bound: float
    lower_bounds: list[float]
    n_iter: int
    converged: bool
    stopped: bool


def objective(model, params, stats, value: float) -> float:
    """What EM increases, from an E-step's summed statistics and per-chunk values.

    The log-likelihood ``value`` plus ``model.log_prior(params)``, unless the
    model defines ``objective(stats, value, params)``: a variational model's
    bound at an E-step is that of the parameters its M-step then gives
    (scikit-learn's ``lower_bound_`` of BayesianGaussianMixture), which
    depends on the statistics.
    """
    own = getattr(model, "objective", None)
    return value + model.log_prior(params) if own is None else own(stats, value, params)


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
        return stats, objective(model, params, stats, log_likelihood)


@dataclass(frozen=True)
class RunOptions:
    """How one EM run goes: stopping rule, acceleration, and what it reports."""

    tol: float
    max_iter: int
    stopping: str = "aitken"
    accelerate: str | None = None
    verbose: int = 0
    verbose_interval: int = 10
    callback: Callable[[IterationRecord], Any] | None = None
    snapshot: Callable | None = None
    journal: Journal | None = None  # where the restarts' states go, for a checkpoint
    give_up_collapsed: bool = False  # stop at the first M-step with a collapsed component


# Relative rounding error of a log-likelihood summed over many rows.
_ROUNDING = 1e-12


def _gain_ratio(change: float, gain: float) -> float:
    """The ratio of a gain to the one before it (nan when there is none)."""
    if not math.isfinite(gain):  # the first E-step's gain is infinite
        return math.nan
    if gain == 0.0:
        return 0.0 if change == 0.0 else math.inf
    return change / gain


def _converged(change: float, ratio: float, tol: float, lower_bound: float) -> bool:
    """Whether the last gain, and the gains still to come, are below ``tol``.

    If each further gain is ``ratio`` times the one before (EM's linear
    convergence), the gains still to come sum to ``change * ratio / (1 -
    ratio)``: Aitken's delta-squared estimate of the limit, less the current
    value. ``ratio=0`` tests the last gain alone (scikit-learn's rule). A gain
    at the rounding level of ``lower_bound`` has no ratio to trust: EM is there.
    """
    if not abs(change) < tol:
        return False
    if change <= 0.0 or ratio <= 0.0 or abs(change) <= _ROUNDING * max(abs(lower_bound), 1.0):
        return True
    return ratio < 1.0 and change * ratio / (1.0 - ratio) < tol


def _run(
    model, data: _Chunks, params, lower_bound, options: RunOptions, monitor=None, state=None
) -> EMResult:
    """EM from ``params``, or from a restart's saved ``state`` (a ``_checkpoint.RunState``).

    ``monitor`` (a ``_monitor.Monitor``) reports the iterations of a restart;
    without one, the run reports nothing.

    With SQUAREM, a cycle from t0 takes two EM steps (t1, t2) and evaluates
    the extrapolated point, which becomes the next t0 if its log-likelihood is
    not below t0's (as in Varadhan & Roland's R package, but never lower);
    otherwise t2 does. ``n_iter`` counts E-steps, and ``lower_bounds`` holds
    the log-likelihoods of the cycles' starting points.

    Convergence is tested on plain EM steps only (an accepted jump that gains
    little says nothing). With ``stopping="aitken"`` the rate at which EM's
    gains shrink comes from two successive gains of plain EM; with SQUAREM,
    from the larger of the squared ratio of the lengths of the cycle's steps
    t0 -> t1 -> t2 (the log-likelihood is quadratic near the optimum) and the
    ratio of the gains of successive cycles' first steps (on a plateau the
    steps shrink but the gains do not).

    With ``options.journal``, every record's ``RunState`` goes to it: the top
    of the loop, its E-step done. Resumed from one, the run redoes that
    E-step (a pure function of the parameters, so the same numbers) and goes
    on exactly as the run that saved it.
    """
    tol, max_iter = options.tol, options.max_iter
    aitken = options.stopping == "aitken"
    journal = None if monitor is None else monitor.journal
    monitor = monitor or Monitor(0, 0, 1, None, None)
    squarem = Squarem() if options.accelerate == "squarem" else None
    lower_bounds: list[float] = []
    converged = stopped = False
    n_iter = 0
    evaluated = None  # the E-step at ``params`` when already done
    jumped = False  # ``params`` is an extrapolated point
    gain = math.nan  # the last record's change, when the next record is one EM step on
    rate = None  # the ratio of gains measured within a SQUAREM cycle
    cycle_gain = math.nan  # the gain of the last SQUAREM cycle's first EM step
    if state is not None:
        params, n_iter, lower_bound = state.params, state.n_iter, state.lower_bound
        lower_bounds = list(state.lower_bounds)
        gain, rate, cycle_gain, jumped = state.gain, state.rate, state.cycle_gain, state.jumped
        if squarem is not None:
            squarem.step_max, squarem.step, squarem.contraction = state.squarem
        monitor.rejected_jumps, monitor.invalid_jumps, monitor.non_finite = state.counts
        evaluated = data.e_step(model, params)
    while evaluated is not None or n_iter < max_iter:
        if evaluated is None:
            evaluated = data.e_step(model, params)
            n_iter += 1
        boundary = None  # the run here, for the journal
        if journal is not None:
            boundary = RunState(
                params,
                n_iter,
                lower_bound,
                tuple(lower_bounds),
                gain,
                rate,
                cycle_gain,
                jumped,
                None if squarem is None else (squarem.step_max, squarem.step, squarem.contraction),
                (monitor.rejected_jumps, monitor.invalid_jumps, monitor.non_finite),
            )
        (stats, log_likelihood), evaluated = evaluated, None
        if not math.isfinite(log_likelihood):
            monitor.non_finite += 1
        change = log_likelihood / data.total_weight - lower_bound
        lower_bound = log_likelihood / data.total_weight
        lower_bounds.append(lower_bound)
        ratio = (_gain_ratio(change, gain) if rate is None else rate) if aitken else 0.0
        converged = not jumped and _converged(change, ratio, tol, lower_bound)
        jumped, gain, rate = False, math.nan, None
        m_step = partial(model.m_step, stats, params)  # for a record's estimator, on demand
        stopped = monitor.report(n_iter, lower_bounds, change, m_step, boundary)
        step1 = model.m_step(stats, params)
        given_up = options.give_up_collapsed and model.collapsed(step1, data.total_weight)
        if converged or stopped or given_up:
            params = step1
            break
        if squarem is None or n_iter + 2 > max_iter:
            params, gain = step1, change
            continue
        stats1, log_likelihood1 = data.e_step(model, step1)
        n_iter += 1
        step2 = model.m_step(stats1, step1)
        candidate = _extrapolated(model, squarem, params, step1, step2)
        change1 = (log_likelihood1 - log_likelihood) / data.total_weight
        ratio = 0.0
        if aitken:  # the steps must shrink, and so must the gains from cycle to cycle
            ratio = max(squarem.contraction**2, _gain_ratio(change1, cycle_gain))
            cycle_gain = change1
        if _converged(change1, ratio, tol, lower_bound):
            params, evaluated, rate = step1, (stats1, log_likelihood1), ratio
            continue  # recorded as converged at the top of the loop
        trial, non_finite = None, False
        if candidate is not None:
            trial, non_finite = _trial_e_step(model, data, candidate)
        n_iter += 1
        monitor.non_finite += non_finite
        jumped = trial is not None and trial[1] >= log_likelihood
        monitor.count_jump(invalid=trial is None, rejected=not jumped)
        squarem.update(jumped)
        params, evaluated = (candidate, trial) if jumped else (step2, None)
    return EMResult(params, lower_bound, lower_bounds, n_iter, converged, stopped)


# The exploring start: successive halving of short plain-EM runs on a sample.
# Measured on benchmarks/defaults.py's panel (doc/defaults.rst).
_SEEDS = 16
_FIRST_ITER = 3
# Aitken's projection of a short run's limit trusts a ratio of gains up to this.
_MAX_RATIO = 0.9
_GROWING_RATIO = 0.75


def _projected_limit(lower_bounds: list[float]) -> float:
    """Where EM from the last of ``lower_bounds`` is heading: Aitken's estimate.

    A run that gains slowly but steadily may end above one that gains fast
    now and stops soon: ranking short runs by where they head, not where they
    are, keeps slow starts of the better optimum in the race.
    """
    value = lower_bounds[-1]
    if len(lower_bounds) < 3:
        return value
    change = value - lower_bounds[-2]
    ratio = _gain_ratio(change, lower_bounds[-2] - lower_bounds[-3])
    if not ratio > 0.0:
        return value
    # Growing gains (leaving a saddle) say little of where the run ends: one more.
    ratio = min(ratio, _MAX_RATIO) if ratio < 1.0 else _GROWING_RATIO
    return value + change * ratio / (1.0 - ratio)


def _explored_start(model, data, row_bytes: int, tol: float, accelerate, seed: int):
    """Where to start EM: the survivor of short runs from many starts, then runners-up.

    Returns functions that return parameters, best first: the survivor and
    the proper runs left behind (by their last rank), for ``_restart`` to go
    on from if the fit from the survivor collapses.

    ``_SEEDS`` starts on at most ``_starts.START_ROWS`` rows: one from
    k-means (the best of the lot on well-separated clusters), the others the
    model's exploring seeds (``init_params(..., "short-em")``). Each runs
    ``_FIRST_ITER`` E-steps of plain EM; then, round after round, the better
    half by projected limit (``_projected_limit``) goes on for twice as many
    E-steps as all runs had so far (successive halving: every round costs
    the same), until one is left or all left have converged (at ``tol``; of
    runs converged to the same value, the first counts). Runs whose
    components collapsed (the model's ``collapsed``) rank below all others,
    and are never a candidate if a proper run is. On a sample smaller than
    the data, runs are ranked by their fit to a second sample (plus their
    projected gain), as the first one rewards overfitting it, and a
    candidate goes on to convergence on the first when called, so that the
    fit on all rows starts close to its end.
    """
    rng = np.random.RandomState(seed)
    sample = data.rows_for_init(rng)
    chunks = _Chunks(sample.chunks(row_bytes), sample.total_weight, None)
    whole = sample.X.shape[0] == data.X.shape[0]
    if not whole:  # rows the runs do not fit, to rank them by: no prize for overfitting
        held_out = data.rows_for_init(rng)
        held_out = _Chunks(held_out.chunks(row_bytes), held_out.total_weight, None)
    side_by_side = getattr(model, "side_by_side", lambda: None)()
    together = None
    if side_by_side is not None:
        together = side_by_side, sample, row_bytes
    runs, error, left_behind = [], None, []  # (rank, params, lower bound, converged)
    for method in ["kmeans"] + ["short-em"] * (_SEEDS - 1):
        try:
            runs.append((None, model.init_params(sample, rng, method), -np.inf, False))
        except ValueError as raised:
            error = raised
    n_iter = _FIRST_ITER
    while True:
        ranked = []
        going = [
            (params, lower_bound) for _, params, lower_bound, converged in runs if not converged
        ]
        results = iter(_race(model, chunks, going, n_iter, tol, together))
        for rank, params, lower_bound, converged in runs:
            if not converged:
                try:
                    run = next(results)
                    if isinstance(run, ValueError):
                        raise run
                    if not whole:
                        held_out_fit = held_out.e_step(model, run.params)[1]
                except ValueError as raised:  # data impossible under, or singular at, it
                    error = raised
                    continue
                params, lower_bound, converged = run.params, run.lower_bound, run.converged
                proper = not model.collapsed(params, sample.total_weight)
                # Rounded, so that runs to one optimum rank in seed order whatever the
                # chunks' rounding: the same survivor for every n_jobs and working_memory.
                # The last two are ranked by where they are: nothing is left to race.
                final = converged or len(runs) <= 2
                limit = lower_bound if final else _projected_limit(run.lower_bounds)
                if not whole:
                    limit += held_out_fit / held_out.total_weight - lower_bound
                rank = (proper, round(limit, 10))
            if not (converged and any(r[3] and r[0] == rank for r in ranked)):  # no twins
                ranked.append((rank, params, lower_bound, converged))
        if not ranked:
            raise error
        ranked.sort(key=lambda run: run[0], reverse=True)  # stable: ties keep seed order
        runs = ranked[: max(len(ranked) // 2, 1)]
        left_behind += [run for run in ranked[len(runs) :] if run[0][0]]
        if len(runs) == 1 or all(run[3] for run in runs):
            break
        n_iter *= 2
    # Never a collapsed run over a proper one; the proper runs left behind by rank.
    left_behind.sort(key=lambda run: run[0], reverse=True)
    candidates = [run for run in runs[:1] + left_behind if run[0][0]] or runs[:1]

    def candidate(params, lower_bound):
        if whole:
            return params
        options = RunOptions(tol, 1000, accelerate=accelerate)
        return _run(model, chunks, params, lower_bound, options).params

    return [partial(candidate, run[1], run[2]) for run in candidates]


def _race(model, data: _Chunks, runs: list, n_iter: int, tol: float, together=None) -> list:
    """Plain EM on ``data`` for ``n_iter`` E-steps, or to convergence, from each of
    ``runs`` ((params, lower bound) pairs): each run's ``EMResult``, or the ValueError
    it met.

    Side by side where the model can (``together``: its ``side_by_side()``, the
    rows and their ``row_bytes`` for one run; chunks hold every run's
    temporaries, so they have fewer rows the more runs go side by side); one
    after the other if it cannot or if a run fails, so that only the failing runs
    drop out.
    """
    if together is not None and len(runs) > 1:
        side_by_side, rows, row_bytes = together
        stacked = _Chunks(rows.chunks(row_bytes * len(runs)), rows.total_weight, None)
        try:
            return _lockstep(side_by_side, stacked, runs, n_iter, tol)
        except ValueError:
            pass
    results = []
    for params, lower_bound in runs:
        try:
            results.append(_run(model, data, params, lower_bound, RunOptions(tol, n_iter)))
        except ValueError as raised:
            results.append(raised)
    return results


def _lockstep(side_by_side, data: _Chunks, runs: list, n_iter: int, tol: float) -> list:
    """``_run``'s plain EM for every run at once, each stopping as ``_run`` would."""
    results: list = [None] * len(runs)
    going = list(range(len(runs)))
    lower_bounds = {run: [] for run in going}
    last = [lower_bound for _, lower_bound in runs]
    gains = [math.nan] * len(runs)
    params = side_by_side.stack([params for params, _ in runs])
    for step in range(1, n_iter + 1):
        each = partial(side_by_side.e_step, params)
        stats, values = reduce(_add_pairs, map(each, data.chunks))
        params = side_by_side.m_step(stats, params)
        finished = []
        for run, value in zip(going, values / data.total_weight, strict=True):
            change = value - last[run]
            converged = _converged(change, _gain_ratio(change, gains[run]), tol, value)
            last[run], gains[run] = value, change
            lower_bounds[run].append(value)
            if converged or step == n_iter:
                finished.append((run, converged))
        if finished:
            each_params = side_by_side.unstack(params)
            for run, converged in finished:
                at = going.index(run)
                results[run] = EMResult(
                    each_params[at], last[run], lower_bounds[run], step, converged, False
                )
            done = {run for run, _ in finished}
            kept = [at for at, run in enumerate(going) if run not in done]
            if not kept:
                break
            going = [going[at] for at in kept]
            params = side_by_side.stack([each_params[at] for at in kept])
    return results


def _restart(
    model,
    data: _Chunks,
    start,
    restart: int,
    lower_bound: float,
    options: RunOptions,
    attempt: Attempt,
    state: RunState | None = None,
):
    """One restart: EM from ``start`` (at ``lower_bound``), or from its saved ``state``.

    ``start`` is parameters, or a function that returns the exploring start's
    candidates (functions that return parameters), best first. If the run
    from a candidate ends with a collapsed component, the next candidate's
    run follows, given up as soon as a component collapses: the first proper
    result is kept, else the first result.
    ``attempt`` says which candidate's run this is (a resumed fit's may not
    be the first).
    """
    journal = options.journal
    monitor = Monitor(
        restart,
        options.verbose,
        options.verbose_interval,
        options.callback,
        options.snapshot,
        journal,
    )
    candidates = None
    while True:
        params = None
        if state is None:
            if candidates is None:
                candidates = start() if callable(start) else [lambda: start]
            params = candidates[attempt.candidate]()
        run_options = replace(options, give_up_collapsed=attempt.candidate > 0)
        result = _run(model, data, params, lower_bound, run_options, monitor, state)
        if result.stopped or not callable(start):
            break
        if not model.collapsed(result.params, data.total_weight):
            break
        first = attempt.first or result
        if candidates is None:  # resumed: the start again, from its seed
            candidates = start()
        if attempt.candidate + 1 == len(candidates):
            result = first
            break
        attempt, state = Attempt(attempt.candidate + 1, first), None
        if journal is not None:
            journal.attempt(restart, attempt)
    if journal is not None:
        journal.finish(restart, result)
    monitor.finish(result.lower_bound, result.converged, result.n_iter)
    return result


def _extrapolated(model, squarem, params0, params1, params2):
    """The SQUAREM point, or None if it is not valid (not positive-definite)."""
    with np.errstate(all="ignore"):
        try:
            return squarem.extrapolate(model, params0, params1, params2)
        except ValueError:
            return None


def _trial_e_step(model, data, candidate):
    """The E-step at a SQUAREM point, or None if the data are impossible under it.

    Also whether it met a non-finite log-likelihood (of the whole data, or of
    a sequence the model rules out: ``NonFiniteError``).
    """
    with np.errstate(all="ignore"):
        try:
            trial = data.e_step(model, candidate)
        except NonFiniteError:
            return None, True
        except ValueError:
            return None, False
    finite = math.isfinite(trial[1])
    return (trial if finite else None), not finite


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


def map_blocks(function: Callable, blocks: list, n_jobs: int | None) -> list:
    """``[function(block) for block in blocks]``, run by up to ``n_jobs`` threads.

    As in ``fit_em``, BLAS runs one thread while several threads share the blocks.
    """
    n_threads = min(effective_n_jobs(n_jobs), len(blocks))
    if n_threads <= 1:
        return [function(block) for block in blocks]
    with threadpools().limit(limits=1, user_api="blas"), ThreadPoolExecutor(n_threads) as pool:
        return list(pool.map(function, blocks))


def _journal(callback, estimator, data, random_state):
    """The journal of a fit whose callback saves it, the state to resume from, and the
    random generator to draw the starts from (that of the saved fit, if resumed)."""
    resume = getattr(callback, "_resume_state", None)
    if resume is None or estimator is None:
        return None, None, random_state
    described = partial(fingerprint, estimator, data)  # hashes the data: when needed
    found = resume()
    if found is None:
        return Journal(described, random_state.get_state()), None, random_state
    document, source = found
    described = described()
    saved = read(document, described, source)
    random_state = np.random.RandomState()
    random_state.set_state(saved.rng_state)
    return Journal(described, saved.rng_state, saved), saved, random_state


def _add_pairs(a, b):
    return a[0] + b[0], a[1] + b[1]


def _rank(model, data, explores: bool, result: EMResult) -> tuple:
    """How restarts rank: by lower bound, and, for exploring starts, proper ones first."""
    proper = not (explores and model.collapsed(result.params, data.total_weight))
    return proper, result.lower_bound


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
    stopping: str = "aitken",
    fitted: Callable[[EMResult], Any] | None = None,
    estimator=None,
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
    callback record can give the estimator as a fit stopped there, and a
    callback's ``end_fit`` gets the fitted estimator (``_monitor.fit_hooks``).

    A model whose ``explores`` is true starts each restart from
    ``_explored_start``, with a seed drawn from ``random_state``; the
    others from ``model.init_params``.

    A ``callback`` with ``_resume_state()`` (``callbacks.Checkpoint``) gets,
    in every record, the driver's state (``_checkpoint.Journal``) to save.
    If ``_resume_state()`` returns a saved state ``(document, source)``, the
    fit resumes from it: the random generator as it was when the saved fit
    began, finished restarts' results as saved, running restarts from their
    saved iteration; refused (ValueError) unless ``estimator``'s class and
    settings and the data are those of the saved fit. The result is that of
    the fit never stopped, for any ``n_jobs``.
    """
    journal, saved, random_state = _journal(callback, estimator, data, random_state)
    # One BLAS thread: threaded OpenBLAS runs the tall, skinny products of EM
    # slower (measured 1.2-2.7x on 2 cores); chunks and restarts run in parallel.
    # Exploring starts run k-means in the restarts' threads: one OpenMP thread
    # too, as a limit set and restored by one thread would change another's.
    explores = warm_start is None and getattr(model, "explores", False)
    with (
        fit_hooks(callback),
        threadpools().limit(limits=1, user_api=None if explores else "blas"),
    ):
        if warm_start is not None:
            starts = [warm_start]
        elif explores:
            # Each restart explores with a seed of its own, drawn now, in parallel.
            seeds = random_state.randint(np.iinfo(np.int32).max, size=n_init)
            explore = partial(_explored_start, model, data, row_bytes, tol, accelerate)
            starts = [(partial(explore, seed), -np.inf) for seed in seeds]
        else:
            starts = [(model.init_params(data, random_state), -np.inf) for _ in range(n_init)]
        chunks = data.chunks(row_bytes)
        n_threads = effective_n_jobs(n_jobs)
        snapshot = None if fitted is None else partial(_snapshot, fitted)
        options = RunOptions(
            tol,
            max_iter,
            stopping,
            accelerate,
            verbose,
            verbose_interval,
            callback,
            snapshot,
            journal,
        )
        done = {} if saved is None else saved.finished
        running = {} if saved is None else saved.running
        attempts = {} if saved is None else saved.attempts
        todo = [i for i in range(len(starts)) if i not in done]
        workers = min(n_threads, len(chunks))
        with ThreadPoolExecutor(workers) if workers > 1 else nullcontext() as pool:
            shared = data.e_steps(chunks, pool)
            ran = Parallel(n_jobs=min(n_threads, max(len(todo), 1)), prefer="threads")(
                delayed(_restart)(
                    model,
                    shared,
                    starts[i][0],
                    i,
                    starts[i][1],
                    options,
                    attempts.get(i, Attempt()),
                    running.get(i),
                )
                for i in todo
            )
    results = {**done, **dict(zip(todo, ran))}
    results = [results[i] for i in range(len(starts))]
    best = results[0]
    for result in results[1:]:
        if _rank(model, data, explores, result) > _rank(model, data, explores, best):
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
    end_fit = getattr(callback, "end_fit", None)
    if end_fit is not None:
        end_fit(None if fitted is None else fitted(best))
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
    scale: float | None = None,
) -> tuple[OnlineState, list[float]]:
    """Stepwise EM over the rows of ``data``, in mini-batches of ``batch_size`` rows.

    Each mini-batch's statistics per unit of weight, ``s_b``, move the running
    statistics to ``(1 - eta) s + eta s_b`` with ``eta = (learning_offset +
    t) ** -learning_decay`` at step ``t`` (Cappé & Moulines, 2009; Liang &
    Klein, 2009); the first step takes ``s_b``, so a single mini-batch is one
    EM step. An M-step follows every update, on ``s`` times the mini-batch's
    weight, or times ``scale`` if given: with ``scale`` the size of the data
    the stream stands for, a variational model's update is stochastic
    variational inference (Hoffman et al., 2013), whose natural-gradient step
    on the conjugate posterior is this convex combination of statistics.
    Returns the new state and the mean log-likelihood (or objective) of each
    mini-batch at the parameters it was scored at.
    """
    log_likelihoods = []
    n_threads = effective_n_jobs(n_jobs)
    with (
        threadpools().limit(limits=1, user_api="blas"),
        ThreadPoolExecutor(n_threads) if n_threads > 1 else nullcontext() as pool,
    ):
        for batch in batches(len(data.sample_weight), batch_size):
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
            params = model.m_step(stats * (weight if scale is None else scale), state.params)
            state = OnlineState(
                params, model.recentred(stats, state.params, params), state.n_steps + 1
            )
            log_likelihoods.append(log_likelihood / weight)
    return state, log_likelihoods


def partial_fit_em(
    estimator, model: Model, data: RowData, row_bytes: int, start, scale: float | None = None
) -> None:
    """``partial_fit``: stepwise EM on ``data`` (``scale``: see ``stepwise_em``), then the
    estimator's fitted attributes.

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
        scale=scale,
    )
    estimator._online = state
    estimator._set_fitted(model, state.params)
    estimator.n_iter_ = state.n_steps
    estimator.converged_ = False
    estimator.lower_bounds_ = [*estimator.lower_bounds_, *log_likelihoods]
    estimator.lower_bound_ = estimator.lower_bounds_[-1] if estimator.lower_bounds_ else -np.inf
