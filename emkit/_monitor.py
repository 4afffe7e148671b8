"""What the driver reports while it runs: callback records and verbose output."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any


@dataclass(frozen=True)
class IterationRecord:
    """One EM iteration, as passed to ``callback``.

    Attributes
    ----------
    restart : int
        Index of the restart (``0 .. n_init - 1``).
    iteration : int
        Iteration within the restart, from 1.
    log_likelihood : float
        Mean log-likelihood per sample of the parameters the iteration started
        from (scikit-learn's ``lower_bound_``).
    change : float
        Change of ``log_likelihood`` since the previous iteration (``inf`` on
        the first).
    elapsed : float
        Seconds since the restart began.
    rejected_jumps : int
        SQUAREM jumps of this restart so far that would have lowered the
        log-likelihood, each replaced by the plain EM step (0 without
        ``accelerate``).
    invalid_jumps : int
        SQUAREM jumps of this restart so far whose parameters were not valid
        (a covariance not positive-definite, a value not finite, data
        impossible under them), each replaced by the plain EM step; counted in
        ``rejected_jumps`` too.
    non_finite : int
        Non-finite values met in this restart so far: E-steps (at EM iterates
        or at SQUAREM points) whose log-likelihood was NaN or infinite, or
        that found a sequence the parameters rule out (log-likelihood -inf).
        Each such E-step counts once; a SQUAREM point found this way is also
        counted in ``invalid_jumps``. Zero-probability entries that EM keeps
        at zero are not counted, nor are covariances that are not
        positive-definite (``invalid_jumps`` only).
    """

    restart: int
    iteration: int
    log_likelihood: float
    change: float
    elapsed: float
    rejected_jumps: int = 0
    invalid_jumps: int = 0
    non_finite: int = 0
    _snapshot: Callable[[], Any] | None = field(default=None, repr=False, compare=False)
    # The driver's state (``_checkpoint.Journal``), for a callback that saves it.
    _journal: Any = field(default=None, repr=False, compare=False)

    def estimator(self):
        """The estimator as its fit would return it, had it stopped at this record.

        A fitted copy (``n_iter_`` is ``iteration``, ``lower_bound_`` is
        ``log_likelihood``, ``converged_`` is False, ``callback`` is None): its
        parameters are those of the M-step that follows this record's E-step.
        It predicts, can be saved with :func:`emkit.io.to_json`, and a
        :class:`~emkit.GaussianMixtureEM` continues from it with
        ``warm_start=True``. None for records not made by a fit.
        """
        return None if self._snapshot is None else self._snapshot()


class Monitor:
    """Times one restart, prints verbose output and calls the callback."""

    def __init__(
        self, restart: int, verbose: int, verbose_interval: int, callback, snapshot, journal=None
    ):
        self.restart = restart
        self.journal = journal
        self.snapshot = snapshot
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.callback = callback
        self.start = self.last_print = time.perf_counter()
        self.next_print = verbose_interval  # SQUAREM records skip iterations
        self.rejected_jumps = self.invalid_jumps = self.non_finite = 0
        if verbose >= 1:
            print(f"Initialization {restart}")

    def count_jump(self, invalid: bool, rejected: bool) -> None:
        self.invalid_jumps += invalid
        self.rejected_jumps += rejected

    def report(
        self, iteration: int, lower_bounds: list, change: float, m_step, state=None
    ) -> bool:
        """Report one iteration; True if the callback asks to stop.

        ``state``: the restart's ``_checkpoint.RunState`` at this iteration, for the journal.
        """
        log_likelihood = lower_bounds[-1]
        now = time.perf_counter()
        if self.verbose >= 1 and iteration >= self.next_print:
            self.next_print = (iteration // self.verbose_interval + 1) * self.verbose_interval
            if self.verbose >= 2:
                print(
                    f"  Iteration {iteration}\t time lapse {now - self.last_print:.5f}s"
                    f"\t ll change {change:.5g}"
                )
            else:
                print(f"  Iteration {iteration}")
            self.last_print = now
        if self.callback is None:
            return False
        if self.journal is not None and state is not None:
            self.journal.record(self.restart, state)
        snapshot = None
        if self.snapshot is not None:
            snapshot = partial(self.snapshot, m_step, iteration, list(lower_bounds))
        elapsed = now - self.start
        record = IterationRecord(
            self.restart,
            iteration,
            float(log_likelihood),
            float(change),
            elapsed,
            self.rejected_jumps,
            self.invalid_jumps,
            self.non_finite,
            snapshot,
            self.journal,
        )
        return bool(self.callback(record))

    def finish(self, log_likelihood: float, converged: bool, n_iter: int) -> None:
        end_restart = getattr(self.callback, "end_restart", None)
        if end_restart is not None:
            end_restart(self.restart, n_iter, converged)
        if self.verbose >= 1:
            state = "converged" if converged else "did not converge"
            elapsed = time.perf_counter() - self.start
            print(
                f"Initialization {state}. time lapse {elapsed:.5f}s\t "
                f"lower bound {log_likelihood:.5f}"
            )


@contextmanager
def fit_hooks(callback) -> Iterator[None]:
    """A fit's ``begin_fit()`` before it, and ``end_fit(None)`` if it raises.

    Optional methods of a callback, called in the thread that calls ``fit``
    (records and ``end_restart`` may come from the restarts' threads). The
    driver calls ``end_fit(estimator)`` itself when the fit succeeds.
    """
    begin_fit = getattr(callback, "begin_fit", None)
    if begin_fit is not None:
        begin_fit()
    try:
        yield
    except BaseException:
        end_fit = getattr(callback, "end_fit", None)
        if end_fit is not None:
            end_fit(None)
        raise
