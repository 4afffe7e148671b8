"""What the driver reports while it runs: callback records and verbose output."""

from __future__ import annotations

import time
from dataclasses import dataclass


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
    """

    restart: int
    iteration: int
    log_likelihood: float
    change: float
    elapsed: float


class Monitor:
    """Times one restart, prints verbose output and calls the callback."""

    def __init__(self, restart: int, verbose: int, verbose_interval: int, callback):
        self.restart = restart
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.callback = callback
        self.start = self.last_print = time.perf_counter()
        if verbose >= 1:
            print(f"Initialization {restart}")

    def report(self, iteration: int, log_likelihood: float, change: float) -> bool:
        """Report one iteration; True if the callback asks to stop."""
        now = time.perf_counter()
        if self.verbose >= 1 and iteration % self.verbose_interval == 0:
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
        record = IterationRecord(
            self.restart, iteration, float(log_likelihood), float(change), now - self.start
        )
        return bool(self.callback(record))

    def finish(self, log_likelihood: float, converged: bool) -> None:
        if self.verbose >= 1:
            state = "converged" if converged else "did not converge"
            elapsed = time.perf_counter() - self.start
            print(
                f"Initialization {state}. time lapse {elapsed:.5f}s\t "
                f"lower bound {log_likelihood:.5f}"
            )
