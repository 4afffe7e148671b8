"""Ready callbacks for the ``callback`` parameter of every emkit estimator.

A callback is called after every EM iteration of every restart with an
:class:`IterationRecord`; returning True stops that restart. With ``n_jobs``
other than 1, restarts run in threads and call it concurrently: the callbacks
here keep their state per restart and are safe to share. ``clone`` (as in
``cross_val_score``) and pickle copy them with the estimator.

A callback may also have these methods, each optional; :func:`chain` passes
them on:

- ``end_restart(restart, n_iter, converged)``, called when a restart ends (not
  when it raises), from the restart's thread: :class:`PrometheusMetrics` uses it.
- ``begin_fit()``, called when a fit (``fit``, not ``partial_fit``) begins,
  before any record, in the thread that calls ``fit``.
- ``end_fit(estimator)``, called when the fit ends, in that thread: with a
  fitted copy of the estimator as ``fit`` returns it, but with ``callback=None``
  (so that :func:`emkit.io.to_json` saves it), or with None if the fit raised.
  :class:`MLflowLogger` uses both.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections import defaultdict
from numbers import Integral

from ._monitor import IterationRecord
from ._validation import warn

__all__ = [
    "Checkpoint",
    "EarlyStopping",
    "History",
    "IterationRecord",
    "MLflowLogger",
    "ProgressBar",
    "PrometheusMetrics",
    "chain",
]


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
    """Saves a fit as it runs, so that a fit stopped (preempted, killed) can resume.

    Every ``every`` records, and when a restart ends, the file at ``path``
    is replaced by the best iterate so far as an emkit JSON model
    (:func:`emkit.io.from_json` loads it, and a
    :class:`~emkit.GaussianMixtureEM` continues from it with
    ``warm_start=True``) that also holds, in its ``"checkpoint"`` entry, the
    state of the whole fit: which restarts have finished and their results,
    and how far each running restart has gone (its parameters, its
    ``lower_bounds_`` so far, SQUAREM's state), with the random generator's
    state when the fit began.

    Given ``resume=True``, a fit with this callback goes on from that state
    if the file exists (else it starts afresh): finished restarts are not run
    again, running ones go on from their last saved iteration, and the fit
    ends with the very same result as one never stopped, for any ``n_jobs``.
    The work since the last save is redone. So a job on a machine that may
    be taken away at any moment runs the same command every time, with
    ``resume=True``. Resuming is refused (``ValueError``, saying what
    differs) unless the estimator's class and parameters (but ``callback``,
    ``n_jobs`` and ``verbose``) and the data (``X``, ``sample_weight``,
    ``y``, ``lengths``) are those of the saved fit. With ``random_state``
    None or a generator, the resumed fit draws its starts from the generator
    state saved in the file, as the stopped fit did.

    The file is written to a temporary file, flushed to disk and renamed
    over ``path``: a fit killed at any moment leaves either the previous
    checkpoint or the new one, never a part of one. Saving does not change
    the fit: its result is the same, bit for bit, with or without it.

    Parameters
    ----------
    path : str or path-like
        The checkpoint file (a JSON model with the fit's state).
    every : int, default=10
        Save every this many records (all restarts counted together).
    resume : bool, default=False
        Resume from ``path`` if it exists. With False, a fit starts afresh
        and overwrites the file.

    Notes
    -----
    A restart is saved from its first record on, after its start is chosen:
    a fit killed while a restart explores its start (``init_params="short-em"``)
    explores again, from the same seed, to the same start; one killed while
    it goes on from a runner-up of that start (its fit from the survivor
    collapsed, see :ref:`defaults`) resumes on that runner-up. With parallel
    restarts (``n_jobs``), each save holds every restart at its last record.
    Like the model file, the fit's parameters are saved as numbers only; a
    model with a user's emission class (``HMMEM(emission=...)``) cannot be
    saved. A file holds one fit: the fits of a cross-validation or a grid
    search, given one ``Checkpoint(path, resume=True)``, would each resume
    the last one's file and be refused (their data or parameters differ).

    Examples
    --------
    A fit killed in its second restart (here by a callback raising), then run again
    with ``resume=True``, ends where the whole fit ends:

    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from emkit import GaussianMixtureEM
    >>> from emkit.callbacks import Checkpoint, chain
    >>> from emkit.datasets import load_faithful
    >>> from emkit.io import from_json
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.json"
    >>> X = load_faithful().data
    >>> kwargs = dict(n_components=3, init_params="kmeans", n_init=2, random_state=0)
    >>> def power_cut(record):
    ...     if record.restart == 1 and record.iteration >= 8:
    ...         raise KeyboardInterrupt
    >>> try:
    ...     GaussianMixtureEM(callback=chain(Checkpoint(path, every=2), power_cut),
    ...                       **kwargs).fit(X)
    ... except KeyboardInterrupt:
    ...     pass
    >>> from_json(path.read_text()).n_iter_ > 0  # the best iterate so far, as a model
    True
    >>> gm = GaussianMixtureEM(callback=Checkpoint(path, every=2, resume=True), **kwargs)
    >>> gm = gm.fit(X)
    >>> whole = GaussianMixtureEM(**kwargs).fit(X)
    >>> bool(np.all(gm.means_ == whole.means_)) and gm.lower_bounds_ == whole.lower_bounds_
    True
    """

    def __init__(self, path, every: int = 10, *, resume: bool = False):
        if not isinstance(every, int) or isinstance(every, bool) or every < 1:
            raise ValueError(f"every must be a positive integer, got {every!r}.")
        if not isinstance(resume, bool):
            raise TypeError(f"resume must be True or False, got {resume!r}.")
        super().__init__()
        self.path = os.fspath(path)
        self.every = every
        self.resume = resume
        self._forget()

    def _forget(self) -> None:
        """Forget the last fit."""
        self._model = None  # (log-likelihood, JSON document) of the model to write
        self._best: IterationRecord | None = None
        self._written: IterationRecord | None = None
        self._journal = None
        self._count = 0

    def __getstate__(self):
        state = super().__getstate__()
        state.update(_best=None, _written=None, _journal=None, _count=0, _model=None)
        return state

    def _resume_state(self):
        """The driver's saved state and this file's name, or None: called as a fit begins."""
        with self._lock:
            self._model = None
            if not (self.resume and os.path.exists(self.path)):
                return None
            source = f"Checkpoint file {self.path!r}"
            try:
                with open(self.path, encoding="utf-8") as file:
                    document = json.load(file)
                saved = document.pop("checkpoint")
                self._model = (float.fromhex(saved["best"]), document)
                return saved["driver"], source
            except (
                OSError,
                ValueError,
                TypeError,
                KeyError,
                AttributeError,
                RecursionError,
            ) as error:
                raise ValueError(
                    f"{source} holds no fit to resume ({error!r}); delete it, or set "
                    "resume=False, to start afresh."
                ) from None

    def __call__(self, record: IterationRecord) -> bool:
        with self._lock:
            journal = record._journal
            first = record.restart == 0 and record.iteration == 1
            if journal is not self._journal or (journal is None and first):  # a new fit
                loaded = None if journal is None else self._model  # by _resume_state
                self._forget()
                self._model, self._journal = loaded, journal
            self._count += 1
            if self._best is None or record.log_likelihood > self._best.log_likelihood:
                self._best = record
            changed = self._best is not self._written
            if self._count % self.every == 0 and (changed or journal is not None):
                self._write()
        return False

    def end_restart(self, restart: int, n_iter: int, converged: bool) -> None:
        """Save the fit with this restart finished: a resumed fit will not run it again."""
        with self._lock:
            if self._journal is not None and self._best is not None:
                self._write()

    def _write(self) -> None:
        from .io import to_json

        best = self._best
        if best is not self._written:
            self._written = best
            better = self._model is None or best.log_likelihood > self._model[0]
            estimator = best.estimator() if better else None
            if estimator is not None:
                if not isinstance(estimator.random_state, (Integral, type(None))):
                    estimator.random_state = None  # the copy's: a generator is not data
                self._model = (best.log_likelihood, json.loads(to_json(estimator)))
        if self._model is None:
            return
        document = dict(self._model[1])
        if self._journal is not None:
            document["checkpoint"] = {
                "best": float(self._model[0]).hex(),
                "driver": self._journal.document(),
            }
        self._replace(json.dumps(document, allow_nan=False))

    def _replace(self, text: str) -> None:
        """Write ``text`` to the file atomically: a temporary file, on disk, renamed over it."""
        temporary = f"{self.path}.tmp"
        with open(temporary, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.path)
        if hasattr(os, "O_DIRECTORY"):  # the rename itself on disk (POSIX)
            folder = os.path.dirname(os.path.abspath(self.path))
            directory = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)


class PrometheusMetrics(_Locked):
    """Training telemetry: the fit's progress as Prometheus metrics.

    Each record updates metrics in a ``prometheus_client`` registry, which a
    Prometheus server scrapes (``prometheus_client.start_http_server(port,
    registry=...)``) or, for batch jobs, which is pushed to a Pushgateway.
    With ``prefix="emkit_fit"`` (every metric also has the ``labels``):

    ========================================  =======  ===========================
    metric                                    type     value
    ========================================  =======  ===========================
    ``emkit_fit_log_likelihood{restart}``     gauge    log-likelihood per sample
                                                       (``lower_bound_``) of the
                                                       restart's last record
    ``emkit_fit_elapsed_seconds{restart}``    gauge    seconds since the restart
                                                       began, at its last record
    ``emkit_fit_converged{restart}``          gauge    1 if the restart converged,
                                                       0 if not (set when it ends)
    ``emkit_fit_restart``                     gauge    index of the restart of the
                                                       last record
    ``emkit_fit_iterations_total``            counter  E-steps of all restarts
    ``emkit_fit_rejected_jumps_total``        counter  SQUAREM jumps rejected
    ``emkit_fit_invalid_jumps_total``         counter  SQUAREM jumps not valid
    ``emkit_fit_non_finite_total``            counter  non-finite values met
                                                       (``IterationRecord.non_finite``)
    ========================================  =======  ===========================

    Counters add up over restarts and fits, as Prometheus counters do; with
    ``n_init=1`` and a new registry, ``iterations_total`` is the fit's
    ``n_iter_``.

    Parameters
    ----------
    registry : prometheus_client.CollectorRegistry, default=None
        Where the metrics go; None: a new registry.
    prefix : str, default="emkit_fit"
        Start of every metric name.
    labels : dict of str to str, default=None
        Labels and values given to every metric (say, the model's name).
    pushgateway : str, default=None
        Address of a Prometheus Pushgateway (``"localhost:9091"`` or a URL):
        the registry is pushed there (``prometheus_client.push_to_gateway``,
        replacing the job's metrics) when each restart ends, and every
        ``push_every`` records if given. A push that fails never fails the
        fit: the first failure warns, later ones are silent, and later pushes
        are still tried.
    job : str, default="emkit"
        The Pushgateway's job label.
    push_every : int, default=None
        Also push after every this many records (None: only when restarts end).
    timeout : float, default=5.0
        Seconds to wait for the Pushgateway at each push.

    Attributes
    ----------
    registry : prometheus_client.CollectorRegistry
        The registry the metrics are in.

    Notes
    -----
    Needs ``prometheus-client``: ``pip install "emkit[metrics]"``. ``clone``
    (as in ``cross_val_score``) and ``copy.deepcopy`` give this same object, so
    that every fit reports to the one registry; a pickled copy reports to a
    new registry of its own.

    Examples
    --------
    >>> from emkit import GaussianMixtureEM
    >>> from emkit.callbacks import PrometheusMetrics
    >>> from emkit.datasets import load_faithful
    >>> metrics = PrometheusMetrics(labels={"model": "faithful"})
    >>> gm = GaussianMixtureEM(2, random_state=0, callback=metrics).fit(load_faithful().data)
    >>> labels = {"model": "faithful"}
    >>> metrics.registry.get_sample_value("emkit_fit_iterations_total", labels) == gm.n_iter_
    True
    >>> ll = metrics.registry.get_sample_value(
    ...     "emkit_fit_log_likelihood", {**labels, "restart": "0"})
    >>> ll == gm.lower_bounds_[-1]
    True
    """

    def __init__(
        self,
        registry=None,
        *,
        prefix: str = "emkit_fit",
        labels: dict | None = None,
        pushgateway: str | None = None,
        job: str = "emkit",
        push_every: int | None = None,
        timeout: float = 5.0,
    ):
        try:
            import prometheus_client
        except ImportError:
            raise ImportError(
                "PrometheusMetrics needs prometheus-client: pip install 'emkit[metrics]'"
            ) from None
        if not isinstance(prefix, str) or not prefix:
            raise ValueError(f"prefix must be a non-empty string, got {prefix!r}.")
        labels = {} if labels is None else labels
        if not isinstance(labels, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in labels.items()
        ):
            raise TypeError(f"labels must be a dict of str to str, got {labels!r}.")
        if "restart" in labels:
            raise ValueError("labels must not contain 'restart': PrometheusMetrics sets it.")
        if pushgateway is not None and not isinstance(pushgateway, str):
            raise TypeError(f"pushgateway must be a string or None, got {pushgateway!r}.")
        if push_every is not None and (
            not isinstance(push_every, int) or isinstance(push_every, bool) or push_every < 1
        ):
            raise ValueError(f"push_every must be a positive integer or None, got {push_every!r}.")
        if not timeout > 0:
            raise ValueError(f"timeout must be positive, got {timeout!r}.")
        super().__init__()
        self.registry = prometheus_client.CollectorRegistry() if registry is None else registry
        self.prefix = prefix
        self.labels = dict(labels)
        self.pushgateway = pushgateway
        self.job = job
        self.push_every = push_every
        self.timeout = timeout
        self._make_metrics()

    def _make_metrics(self) -> None:
        from prometheus_client import Counter, Gauge

        names = list(self.labels)
        per_restart = [*names, "restart"]

        def make(kind, name, documentation, labelnames):
            metric = kind(
                f"{self.prefix}_{name}", documentation, labelnames, registry=self.registry
            )
            return metric.labels(**self.labels) if labelnames == names and names else metric

        self._log_likelihood = make(
            Gauge, "log_likelihood", "Log-likelihood per sample, by restart.", per_restart
        )
        self._elapsed = make(
            Gauge, "elapsed_seconds", "Seconds since the restart began.", per_restart
        )
        self._converged = make(Gauge, "converged", "1 if the restart converged.", per_restart)
        self._restart = make(Gauge, "restart", "Restart of the last record.", names)
        self._iterations = make(Counter, "iterations", "E-steps, all restarts.", names)
        self._rejected = make(Counter, "rejected_jumps", "SQUAREM jumps rejected.", names)
        self._invalid = make(Counter, "invalid_jumps", "SQUAREM jumps not valid.", names)
        self._non_finite = make(Counter, "non_finite", "Non-finite values met.", names)
        self._last: dict[int, IterationRecord] = {}  # each restart's last record
        self._count = 0
        self._warned = False

    def __deepcopy__(self, memo):
        return self  # clones report to the same registry

    def __getstate__(self):
        state = super().__getstate__()
        for key in [key for key in state if key.startswith("_") or key == "registry"]:
            del state[key]
        return state

    def __setstate__(self, state):
        from prometheus_client import CollectorRegistry

        super().__setstate__(state)
        self.registry = CollectorRegistry()
        self._make_metrics()

    def _per_restart(self, metric, restart: int):
        return metric.labels(**self.labels, restart=str(restart))

    def __call__(self, record: IterationRecord) -> bool:
        with self._lock:
            last = self._last.get(record.restart)
            if last is None or record.iteration <= last.iteration:  # a new run of the restart
                last = IterationRecord(record.restart, 0, 0.0, 0.0, 0.0)
            self._last[record.restart] = record
            self._iterations.inc(record.iteration - last.iteration)
            self._rejected.inc(record.rejected_jumps - last.rejected_jumps)
            self._invalid.inc(record.invalid_jumps - last.invalid_jumps)
            self._non_finite.inc(record.non_finite - last.non_finite)
            self._restart.set(record.restart)
            self._per_restart(self._log_likelihood, record.restart).set(record.log_likelihood)
            self._per_restart(self._elapsed, record.restart).set(record.elapsed)
            self._count += 1
            push = self.push_every is not None and self._count % self.push_every == 0
        if push:
            self.push()
        return False

    def end_restart(self, restart: int, n_iter: int, converged: bool) -> None:
        """Count the E-steps after the restart's last record, and push."""
        with self._lock:
            last = self._last.get(restart)
            done = 0 if last is None else last.iteration
            self._iterations.inc(max(n_iter - done, 0))
            if last is not None:
                self._last[restart] = IterationRecord(
                    restart,
                    n_iter,
                    last.log_likelihood,
                    last.change,
                    last.elapsed,
                    last.rejected_jumps,
                    last.invalid_jumps,
                    last.non_finite,
                )
            self._per_restart(self._converged, restart).set(float(converged))
        self.push()

    def push(self) -> None:
        """Push the registry to ``pushgateway``, if given; warn on the first failure."""
        if self.pushgateway is None:
            return
        from prometheus_client import push_to_gateway

        try:
            push_to_gateway(
                self.pushgateway, job=self.job, registry=self.registry, timeout=self.timeout
            )
        except Exception as error:  # telemetry never fails the fit
            with self._lock:
                first, self._warned = not self._warned, True
            if first:
                warn(
                    f"PrometheusMetrics could not push to {self.pushgateway!r} ({error}); "
                    "the fit goes on, and further failures are not reported."
                )


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

    def resume_state():  # a Checkpoint's saved fit, as on its own (each forgets its last fit)
        found = [c._resume_state() for c in callbacks if hasattr(c, "_resume_state")]
        return next((state for state in found if state is not None), None)

    if any(hasattr(callback, "_resume_state") for callback in callbacks):
        call_all._resume_state = resume_state

    def end_restart(restart: int, n_iter: int, converged: bool) -> None:
        for callback in callbacks:
            end = getattr(callback, "end_restart", None)
            if end is not None:
                end(restart, n_iter, converged)

    def begin_fit() -> None:
        for callback in callbacks:
            begin = getattr(callback, "begin_fit", None)
            if begin is not None:
                begin()

    def end_fit(estimator) -> None:
        for callback in callbacks:
            end = getattr(callback, "end_fit", None)
            if end is not None:
                end(estimator)

    call_all.end_restart = end_restart
    call_all.begin_fit = begin_fit
    call_all.end_fit = end_fit
    return call_all


# MLflow's limit on a parameter's value in its oldest versions (later ones allow more).
_MLFLOW_PARAM_LENGTH = 500


class MLflowLogger(_Locked):
    """Logs each fit to an MLflow run: its parameters, its progress, the fitted model.

    When the fit begins, the run is chosen: ``run_id`` if given, otherwise
    the active run (:func:`mlflow.active_run`) of the thread that calls
    ``fit``; without one, the logger starts a run (:func:`mlflow.start_run`,
    in the current experiment and tracking URI) and ends it when the fit
    ends, with status ``FINISHED``, or ``FAILED`` if the fit raised, as
    ``mlflow.autolog`` does. Then it logs:

    - the estimator's ``get_params()`` (without ``callback``) as the run's
      parameters, each value as ``str`` gives it (cut at 500 characters);
      nested estimators' parameters keep scikit-learn's ``a__b`` names;
    - at each record, with ``step`` the record's iteration (E-steps so
      far), the metrics ``log_likelihood/restart_R`` (per sample, as
      ``lower_bounds_``), ``elapsed_seconds/restart_R``, and the restart's
      counts so far ``rejected_jumps/restart_R``,
      ``invalid_jumps/restart_R`` and ``non_finite/restart_R`` (see
      :class:`IterationRecord`); when a restart ends, ``converged/restart_R``
      (1 or 0) at step ``n_iter``;
    - when the fit ends, the fitted estimator's ``lower_bound_``, ``n_iter_``
      and ``converged_`` (1 or 0) as metrics of those names, at step
      ``n_iter_``, and the estimator as JSON
      (:func:`emkit.io.to_json`, callback left out) in the run's artifacts
      at ``artifact_file``: :func:`emkit.io.from_json` loads it back.

    Logging never fails the fit: the first failure to log (say, a tracking
    server down) warns, later ones are silent.

    Parameters
    ----------
    run_id : str, default=None
        The run to log to, which the logger leaves open; None: the active
        run, or a run of the logger's own (see above).
    artifact_file : str or None, default="model.json"
        Where the fitted model goes in the run's artifacts; None: nowhere.

    Attributes
    ----------
    run_id_ : str or None
        The run the last fit logged to (None if none could be had).

    Notes
    -----
    Needs MLflow (``mlflow-skinny``, or ``mlflow``, which contains it):
    ``pip install "emkit[mlflow]"``. The parameters and metrics are those
    of one fit: fit once per run (in a loop, one run each, e.g. ``with
    mlflow.start_run(nested=True):``), as MLflow refuses to change a
    parameter's value within a run. Records come from the restarts'
    threads when ``n_jobs`` is not 1; the logger logs to the run by its id,
    so they reach it all the same.

    Examples
    --------
    A local store in a new folder (MLflow 3 keeps such a store on request):

    >>> import os, pathlib, tempfile
    >>> import mlflow
    >>> from emkit import GaussianMixtureEM
    >>> from emkit.callbacks import MLflowLogger
    >>> from emkit.datasets import load_faithful
    >>> from emkit.io import from_json
    >>> os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    >>> mlflow.set_tracking_uri(pathlib.Path(tempfile.mkdtemp(), "mlruns").as_uri())
    >>> logger = MLflowLogger()
    >>> with mlflow.start_run() as run:
    ...     gm = GaussianMixtureEM(2, random_state=0, callback=logger).fit(load_faithful().data)
    >>> logger.run_id_ == run.info.run_id
    True
    >>> client = mlflow.MlflowClient()
    >>> client.get_run(run.info.run_id).data.params["n_components"]
    '2'
    >>> trace = client.get_metric_history(run.info.run_id, "log_likelihood/restart_0")
    >>> [metric.value for metric in trace] == gm.lower_bounds_
    True
    >>> path = client.download_artifacts(run.info.run_id, "model.json", tempfile.mkdtemp())
    >>> from_json(pathlib.Path(path).read_text()).lower_bound_ == gm.lower_bound_
    True
    """

    def __init__(self, run_id: str | None = None, *, artifact_file: str | None = "model.json"):
        _import_mlflow()
        if run_id is not None and (not isinstance(run_id, str) or not run_id):
            raise TypeError(f"run_id must be a non-empty string or None, got {run_id!r}.")
        if artifact_file is not None and (not isinstance(artifact_file, str) or not artifact_file):
            raise TypeError(
                f"artifact_file must be a non-empty string or None, got {artifact_file!r}."
            )
        super().__init__()
        self.run_id = run_id
        self.artifact_file = artifact_file
        self.run_id_: str | None = None
        self._tracking_uri: str | None = None
        self._own_run = False
        self._params_logged = False
        self._warned = False

    def begin_fit(self) -> None:
        """Choose the run (see above), in the thread that calls ``fit``."""
        mlflow = _import_mlflow()
        with self._lock:
            self.run_id_, self._own_run, self._params_logged = None, False, False
            try:
                self._tracking_uri = mlflow.get_tracking_uri()
                run = None if self.run_id is not None else mlflow.active_run()
                if self.run_id is not None:
                    self.run_id_ = self.run_id
                elif run is not None:
                    self.run_id_ = run.info.run_id
                else:
                    self.run_id_ = mlflow.start_run().info.run_id
                    self._own_run = True
            except Exception as error:
                self._failed(error)

    def __call__(self, record: IterationRecord) -> bool:
        from mlflow.entities import Metric

        with self._lock:
            if self.run_id_ is None:
                return False
            params = []
            if not self._params_logged:
                self._params_logged = True
                estimator = record.estimator()
                params = [] if estimator is None else _mlflow_params(estimator)
            step, restart = record.iteration, record.restart
            now = _milliseconds()
            values = {
                "log_likelihood": record.log_likelihood,
                "elapsed_seconds": record.elapsed,
                "rejected_jumps": record.rejected_jumps,
                "invalid_jumps": record.invalid_jumps,
                "non_finite": record.non_finite,
            }
            metrics = [
                Metric(f"{name}/restart_{restart}", float(value), now, step)
                for name, value in values.items()
            ]
            self._log(metrics=metrics, params=params)
        return False

    def end_restart(self, restart: int, n_iter: int, converged: bool) -> None:
        """Log ``converged/restart_R``."""
        from mlflow.entities import Metric

        with self._lock:
            if self.run_id_ is not None:
                metric = Metric(
                    f"converged/restart_{restart}", float(converged), _milliseconds(), n_iter
                )
                self._log(metrics=[metric])

    def end_fit(self, estimator) -> None:
        """Log the fitted model and its summary metrics, and end the logger's own run."""
        from mlflow.entities import Metric

        with self._lock:
            if self.run_id_ is None:
                return
            if estimator is not None:
                params = [] if self._params_logged else _mlflow_params(estimator)
                self._params_logged = True
                now = _milliseconds()
                names = ("lower_bound_", "n_iter_", "converged_")
                summary = {name: getattr(estimator, name) for name in names}
                metrics = [
                    Metric(name, float(value), now, estimator.n_iter_)
                    for name, value in summary.items()
                ]
                self._log(metrics=metrics, params=params)
                if self.artifact_file is not None:
                    self._log_model(estimator)
            if self._own_run:
                self._own_run = False
                status = "FINISHED" if estimator is not None else "FAILED"
                try:
                    mlflow = _import_mlflow()
                    active = mlflow.active_run()
                    if active is not None and active.info.run_id == self.run_id_:
                        mlflow.end_run(status)
                    else:  # no longer the thread's active run
                        self._client().set_terminated(self.run_id_, status)
                except Exception as error:
                    self._failed(error)

    def _log_model(self, estimator) -> None:
        from .io import to_json

        try:
            text = to_json(estimator)
        except (TypeError, ValueError) as error:
            self._failed(error)
            return
        try:
            self._client().log_text(self.run_id_, text, self.artifact_file)
        except Exception as error:
            self._failed(error)

    def _client(self):
        from mlflow import MlflowClient

        return MlflowClient(self._tracking_uri)

    def _log(self, *, metrics=(), params=()) -> None:
        try:
            self._client().log_batch(self.run_id_, metrics=list(metrics), params=list(params))
        except Exception as error:  # logging never fails the fit
            self._failed(error)

    def _failed(self, error: Exception) -> None:
        first, self._warned = not self._warned, True
        if first:
            warn(
                f"MLflowLogger could not log to MLflow ({type(error).__name__}: {error}); "
                "the fit goes on, and further failures are not reported."
            )


def _import_mlflow():
    try:
        import mlflow
    except ImportError:
        raise ImportError(
            "MLflowLogger needs MLflow: pip install 'emkit[mlflow]' (or mlflow)"
        ) from None
    return mlflow


def _milliseconds() -> int:
    import time

    return int(time.time() * 1000)


def _mlflow_params(estimator) -> list:
    """The estimator's parameters as MLflow ``Param``s, values as ``str`` gives them."""
    from mlflow.entities import Param

    params = estimator.get_params(deep=True)
    params.pop("callback", None)
    return [Param(name, str(value)[:_MLFLOW_PARAM_LENGTH]) for name, value in params.items()]
