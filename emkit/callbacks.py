"""Ready callbacks for the ``callback`` parameter of every emkit estimator.

A callback is called after every EM iteration of every restart with an
:class:`IterationRecord`; returning True stops that restart. With ``n_jobs``
other than 1, restarts run in threads and call it concurrently: the callbacks
here keep their state per restart and are safe to share. ``clone`` (as in
``cross_val_score``) and pickle copy them with the estimator.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import defaultdict

from ._monitor import IterationRecord

__all__ = ["Checkpoint", "EarlyStopping", "History", "IterationRecord", "ProgressBar", "chain"]


class _Locked:
    """A lock for restarts calling at once; copies (``clone``) and pickles get their own."""

    def __init__(self):
        self._lock = threading.Lock()

    def __getstate__(self):
        state = dict(self.__dict__)
        del state["_lock"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.Lock()


class History(_Locked):
    """Collects every record, for plots and for comparing fits.

    Attributes
    ----------
    records : list of IterationRecord
        In the order they arrived.

    Examples
    --------
    >>> from emkit import GaussianMixtureEM
    >>> from emkit.callbacks import History
    >>> from emkit.datasets import load_faithful
    >>> history = History()
    >>> gm = GaussianMixtureEM(2, n_init=2, random_state=0, callback=history)
    >>> gm = gm.fit(load_faithful().data)
    >>> traces = history.log_likelihoods()
    >>> sorted(traces)
    [0, 1]
    >>> max(traces.values(), key=lambda trace: trace[-1]) == gm.lower_bounds_
    True
    """

    def __init__(self):
        super().__init__()
        self.records: list[IterationRecord] = []

    def __call__(self, record: IterationRecord) -> bool:
        with self._lock:
            self.records.append(record)
        return False

    def log_likelihoods(self) -> dict[int, list[float]]:
        """The log-likelihood trace of each restart, by restart index."""
        traces: dict[int, list[float]] = defaultdict(list)
        for record in self.records:
            traces[record.restart].append(record.log_likelihood)
        return dict(traces)


class EarlyStopping:
    """Stops a restart once its log-likelihood gains little for several iterations.

    Parameters
    ----------
    patience : int, default=5
        Number of consecutive records that must each gain less than ``min_gain``.
    min_gain : float, default=1e-4
        Gain of the mean log-likelihood per sample that counts as progress.

    Examples
    --------
    >>> from emkit import GaussianMixtureEM
    >>> from emkit.callbacks import EarlyStopping
    >>> from emkit.datasets import load_faithful
    >>> X = load_faithful().data
    >>> kwargs = dict(covariance_type="tied", init_params="kmeans", accelerate=None,
    ...               random_state=0)
    >>> early = GaussianMixtureEM(3, callback=EarlyStopping(patience=3, min_gain=1e-3),
    ...                           **kwargs).fit(X)
    >>> full = GaussianMixtureEM(3, **kwargs).fit(X)
    >>> early.n_iter_ < full.n_iter_
    True
    """

    def __init__(self, patience: int = 5, min_gain: float = 1e-4):
        if not isinstance(patience, int) or isinstance(patience, bool) or patience < 1:
            raise ValueError(f"patience must be a positive integer, got {patience!r}.")
        if not min_gain >= 0:
            raise ValueError(f"min_gain must be non-negative, got {min_gain!r}.")
        self.patience = patience
        self.min_gain = min_gain
        self._stalled: dict[int, int] = defaultdict(int)

    def __call__(self, record: IterationRecord) -> bool:
        if record.iteration == 1 or record.change >= self.min_gain:
            self._stalled[record.restart] = 0
        else:
            self._stalled[record.restart] += 1
        return self._stalled[record.restart] >= self.patience


class ProgressBar(_Locked):
    """Shows each restart's iterations and log-likelihood as the fit runs.

    With tqdm installed, one tqdm bar per restart; otherwise one line per
    record, rewritten in place on a terminal.

    Parameters
    ----------
    file : file object, default=sys.stderr
        Where to write.
    use_tqdm : bool, default=None
        Use tqdm bars; None: if tqdm is installed.

    Examples
    --------
    >>> import io
    >>> from emkit import GaussianMixtureEM
    >>> from emkit.callbacks import ProgressBar
    >>> from emkit.datasets import load_faithful
    >>> out = io.StringIO()
    >>> progress = ProgressBar(file=out, use_tqdm=False)
    >>> gm = GaussianMixtureEM(2, random_state=0, callback=progress).fit(load_faithful().data)
    >>> out.getvalue().splitlines()[0]
    'restart 0, E-step 1: log-likelihood per sample -4.15538'
    """

    def __init__(self, file=None, *, use_tqdm: bool | None = None):
        super().__init__()
        self.file = file  # None: sys.stderr when writing, which copies cannot hold
        try:
            import tqdm  # noqa: F401
        except ImportError:
            if use_tqdm:
                raise ImportError(
                    "ProgressBar(use_tqdm=True) needs tqdm: pip install tqdm"
                ) from None
            use_tqdm = False
        self.use_tqdm = True if use_tqdm is None else use_tqdm
        self._bars: dict[int, object] = {}

    def __getstate__(self):
        return {**super().__getstate__(), "_bars": {}}  # tqdm bars stay with the original

    def __call__(self, record: IterationRecord) -> bool:
        file = sys.stderr if self.file is None else self.file
        with self._lock:
            if self.use_tqdm:
                self._tqdm(record, file)
            else:
                end = "\r" if getattr(file, "isatty", lambda: False)() else "\n"
                print(
                    f"restart {record.restart}, E-step {record.iteration}: "
                    f"log-likelihood per sample {record.log_likelihood:.6g}",
                    end=end,
                    file=file,
                    flush=True,
                )
        return False

    def _tqdm(self, record: IterationRecord, file) -> None:
        from tqdm import tqdm

        bar = self._bars.get(record.restart)
        if bar is None:
            bar = self._bars[record.restart] = tqdm(
                desc=f"restart {record.restart}", unit=" E-step", file=file
            )
        bar.update(record.iteration - bar.n)
        bar.set_postfix(log_likelihood=f"{record.log_likelihood:.6g}")


class Checkpoint(_Locked):
    """Writes the best iterate so far as a JSON model, every ``every`` records.

    After a crash, :func:`emkit.io.from_json` gives back a usable model, and a
    :class:`~emkit.GaussianMixtureEM` resumes from it with ``warm_start=True``.
    The file is replaced atomically, so it is never half written.

    Parameters
    ----------
    path : str or path-like
        The model file.
    every : int, default=10
        Write (when the best iterate changed) every this many records.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from emkit import GaussianMixtureEM
    >>> from emkit.callbacks import Checkpoint
    >>> from emkit.datasets import load_faithful
    >>> from emkit.io import from_json
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.json"
    >>> X = load_faithful().data
    >>> gm = GaussianMixtureEM(2, random_state=0, callback=Checkpoint(path, every=1)).fit(X)
    >>> saved = from_json(path.read_text())
    >>> saved.lower_bound_ == gm.lower_bounds_[-1]
    True
    """

    def __init__(self, path, every: int = 10):
        if not isinstance(every, int) or isinstance(every, bool) or every < 1:
            raise ValueError(f"every must be a positive integer, got {every!r}.")
        super().__init__()
        self.path = os.fspath(path)
        self.every = every
        self._best: IterationRecord | None = None
        self._written: IterationRecord | None = None
        self._count = 0

    def __call__(self, record: IterationRecord) -> bool:
        with self._lock:
            if record.restart == 0 and record.iteration == 1:  # a new fit
                self._best = self._written = None
                self._count = 0
            self._count += 1
            if self._best is None or record.log_likelihood > self._best.log_likelihood:
                self._best = record
            if self._count % self.every == 0 and self._best is not self._written:
                self._write(self._best)
        return False

    def _write(self, record: IterationRecord) -> None:
        from .io import to_json

        estimator = record.estimator()
        if estimator is None:
            return
        temporary = f"{self.path}.tmp"
        with open(temporary, "w", encoding="utf-8") as file:
            file.write(to_json(estimator))
        os.replace(temporary, self.path)
        self._written = record


def chain(*callbacks):
    """One callback that calls each of ``callbacks``; stops when any asks to.

    Examples
    --------
    >>> from emkit.callbacks import EarlyStopping, History, chain
    >>> history = History()
    >>> callback = chain(history, EarlyStopping(patience=2))
    """

    def call_all(record: IterationRecord) -> bool:
        return any([bool(callback(record)) for callback in callbacks])

    return call_all
