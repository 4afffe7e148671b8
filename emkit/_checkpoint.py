"""The EM driver's state at an iteration boundary, as JSON and back, to resume a fit.

What the driver needs to go on exactly as if it had never stopped: the state of
the random generator when the fit began (every restart's start is drawn from it
up front, so drawing them again gives the same starts), the result of each
finished restart, and each running restart's state at the top of its last
recorded iteration (``RunState``), and which of its exploring start's
candidates it runs from (``Attempt``). Exploring starts are not saved: a
restart with no state yet explores again, from the same seed, to the same
start (as does one that must go on to its next candidate).

Floats are written as ``float.hex`` strings and arrays as their bytes in
base64, so that a resumed fit computes with the very same numbers. Parameter
objects are rebuilt only as emkit's own dataclasses and named tuples:
nothing in a checkpoint names code to run.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

FORMAT = "emkit-driver-state"
VERSION = 1

# Settings that change how a fit runs or reports, never what it computes.
_FREE_SETTINGS = ("callback", "n_jobs", "verbose", "verbose_interval")
# The driver's data, as the user gave them.
_DATA_NAMES = {"starts": "lengths (sequence starts)", "ends": "lengths (sequence ends)"}


@dataclass(frozen=True)
class RunState:
    """A restart at the top of an iteration: its E-step at ``params`` done.

    ``n_iter`` counts that E-step; ``lower_bound`` and ``lower_bounds`` are as
    before it. The rest is what ``_em._run`` carries from one iteration to
    the next: the stopping rule's gains, SQUAREM's step bounds
    (``step_max, step, contraction``) and the monitor's counts (rejected and
    invalid jumps, non-finite values).
    """

    params: Any
    n_iter: int
    lower_bound: float
    lower_bounds: tuple
    gain: float
    rate: float | None
    cycle_gain: float
    jumped: bool
    squarem: tuple | None
    counts: tuple


@dataclass(frozen=True)
class Attempt:
    """Which of an exploring start's candidates a restart runs from (0: the first),
    and the first candidate's result once its run ended collapsed."""

    candidate: int = 0
    first: Any = None


class Journal:
    """What a fit's restarts have done so far, for a checkpoint to save.

    Restarts in threads update it at once: each running restart its last
    ``RunState`` (and its ``Attempt``, past the first candidate), each
    finished one its ``EMResult``.
    """

    def __init__(self, fingerprint: Callable[[], dict] | dict, rng_state, saved=None):
        self._lock = threading.Lock()
        self._fingerprint = fingerprint  # a function until needed: it hashes the data
        self.rng_state = rng_state
        self.finished: dict[int, Any] = {} if saved is None else dict(saved.finished)
        self.running: dict[int, RunState] = {} if saved is None else dict(saved.running)
        self.attempts: dict[int, Attempt] = {} if saved is None else dict(saved.attempts)

    def record(self, restart: int, state: RunState) -> None:
        with self._lock:
            self.running[restart] = state

    def attempt(self, restart: int, attempt: Attempt) -> None:
        """A restart goes on from another candidate: its last state is no more."""
        with self._lock:
            self.running.pop(restart, None)
            self.attempts[restart] = attempt

    def finish(self, restart: int, result) -> None:
        with self._lock:
            self.running.pop(restart, None)
            self.attempts.pop(restart, None)
            self.finished[restart] = result

    def document(self) -> dict:
        """The driver's state as a JSON-ready dict."""
        with self._lock:
            if callable(self._fingerprint):  # hashing the data once, at the first save
                self._fingerprint = self._fingerprint()
            content = {
                "fingerprint": self._fingerprint,
                "rng_state": self.rng_state,
                "finished": {str(i): result for i, result in sorted(self.finished.items())},
                "running": {str(i): state for i, state in sorted(self.running.items())},
                "attempts": {str(i): a for i, a in sorted(self.attempts.items())},
            }
        return {"format": FORMAT, "version": VERSION, **{k: encode(v) for k, v in content.items()}}


@dataclass(frozen=True)
class Saved:
    """A driver state read back: see ``Journal``."""

    rng_state: tuple
    finished: dict
    running: dict
    attempts: dict


def read(document: Any, fingerprint: dict, source: str) -> Saved:
    """The driver state of ``document``, if written by a fit with this ``fingerprint``.

    Raises ValueError, naming ``source``, if the document is not a driver
    state, or says what differs from the fit at hand.
    """
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{source} holds no emkit driver state.")
    if document.get("version") != VERSION:
        raise ValueError(
            f"{source}: driver state version {document.get('version')!r} is not supported; "
            f"this emkit reads version {VERSION}."
        )
    try:
        saved_fingerprint = decode(document["fingerprint"])
        rng_state = tuple(decode(document["rng_state"]))
        finished = {int(i): value for i, value in decode(document["finished"]).items()}
        running = {int(i): value for i, value in decode(document["running"]).items()}
        attempts = {  # absent from states saved by earlier emkit
            int(i): value for i, value in decode(document.get("attempts", {"dict": {}})).items()
        }
        differences = _differences(saved_fingerprint, fingerprint)
    except (KeyError, TypeError, AttributeError, ValueError, RecursionError) as error:
        raise ValueError(f"{source}: invalid driver state ({error!r}).") from None
    if differences:
        raise ValueError(
            f"{source} was written by another fit: {'; '.join(differences)}. Resume "
            "with the same estimator, parameters and data, or delete the file (or set "
            "resume=False) to start afresh."
        )
    if not all(isinstance(state, RunState) for state in running.values()):
        raise ValueError(f"{source}: invalid driver state (a running restart).")
    if not all(
        isinstance(attempt, Attempt)
        and isinstance(attempt.candidate, int)
        and attempt.candidate >= 0
        for attempt in attempts.values()
    ):
        raise ValueError(f"{source}: invalid driver state (a restart's attempt).")
    return Saved(rng_state, finished, running, attempts)


def _differences(saved: dict, now: dict) -> list[str]:
    """What differs between two fingerprints, in words."""
    if saved["estimator"] != now["estimator"]:
        return [f"estimator {saved['estimator']} in the file, {now['estimator']} now"]
    differences = []
    for name in sorted(set(saved["params"]) | set(now["params"])):
        before, after = saved["params"].get(name), now["params"].get(name)
        if before != after:
            differences.append(f"parameter {name}: {before} in the file, {after} now")
    for name in sorted(set(saved["data"]) | set(now["data"])):
        before, after = saved["data"].get(name), now["data"].get(name)
        if before != after:
            what = "values" if before and after and before[0] == after[0] else "shape"
            shapes = f"{before and before[0]} in the file, {after and after[0]} now"
            differences.append(
                f"data {_DATA_NAMES.get(name, name)}: different {what}"
                + ("" if what == "values" else f" ({shapes})")
            )
    return differences


def fingerprint(estimator, data) -> dict:
    """What a fit's result depends on: the estimator's class and settings, and its data.

    Settings by value (arrays and objects by digest); ``random_state`` only
    if an integer, as a resumed fit draws from the generator state saved with
    the checkpoint. Data as the shape and SHA-256 of each array the driver's
    data holds (rows, weights, labels, sequence bounds).
    """
    params = {}
    for name, value in estimator.get_params(deep=False).items():
        if name in _FREE_SETTINGS:
            continue
        if name == "random_state" and not isinstance(value, (int, np.integer)):
            value = None
        params[name] = _digest(value)
    arrays = {}
    fields = [f.name for f in dataclasses.fields(data)] if dataclasses.is_dataclass(data) else []
    for name in fields:
        value = getattr(data, name)
        if hasattr(value, "shape") and hasattr(value, "dtype"):
            arrays[name] = [list(value.shape), _digest(value)]
    return {"estimator": type(estimator).__name__, "params": params, "data": arrays}


def _digest(value) -> str:
    """A short text that differs when ``value`` does."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    if isinstance(value, np.ndarray):
        value = np.ascontiguousarray(value)
        if value.dtype.hasobject:
            return "array:" + _digest(value.tolist())
        hashed = hashlib.sha256(f"{value.dtype.str}{value.shape}".encode())
        hashed.update(value.view(np.uint8).reshape(-1))
        return f"array {value.dtype.str} {value.shape} sha256:{hashed.hexdigest()[:16]}"
    if isinstance(value, (list, tuple)):
        return f"{type(value).__name__}[{', '.join(_digest(v) for v in value)}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_digest(v)}" for k, v in sorted(value.items())) + "}"
    if hasattr(value, "get_params"):
        return f"{type(value).__qualname__}({_digest(value.get_params(deep=False))})"
    if hasattr(value, "compute") and hasattr(value, "shape"):  # a Dask array: not read
        return f"{type(value).__qualname__} {value.dtype} {value.shape}"
    return type(value).__qualname__


def encode(value) -> Any:
    """``value`` as JSON-ready data that ``decode`` turns back into an equal value."""
    if isinstance(value, np.generic):
        value = value.item()  # a NumPy scalar: the same number as a Python one
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return {"float": value.hex()}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"a checkpoint cannot hold an array of dtype {value.dtype}.")
        data = base64.b64encode(np.ascontiguousarray(value).tobytes()).decode("ascii")
        return {"array": data, "dtype": value.dtype.str, "shape": list(value.shape)}
    if dataclasses.is_dataclass(value) or (isinstance(value, tuple) and hasattr(value, "_fields")):
        cls = type(value)
        if not cls.__module__.startswith("emkit."):
            raise TypeError(
                f"a checkpoint holds emkit's parameter types only, got {cls.__module__}."
                f"{cls.__qualname__}."
            )
        names = value._fields if isinstance(value, tuple) else _field_names(value)
        fields = {name: encode(getattr(value, name)) for name in names}
        return {"type": f"{cls.__module__}:{cls.__qualname__}", "fields": fields}
    if isinstance(value, tuple):
        return {"tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {"dict": {key: encode(v) for key, v in value.items()}}
    raise TypeError(f"a checkpoint cannot hold {type(value).__qualname__}.")


def _field_names(value) -> list[str]:
    return [field.name for field in dataclasses.fields(value) if field.init]


def decode(value) -> Any:
    """The value ``encode`` turned into ``value``; raises TypeError or ValueError if none."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict) or len(value) not in (1, 2, 3):
        raise TypeError(f"unexpected {type(value).__name__}")
    if set(value) == {"float"}:
        return float.fromhex(value["float"])
    if set(value) == {"array", "dtype", "shape"}:
        dtype = np.dtype(value["dtype"])
        if dtype.kind not in "biuf":
            raise TypeError(f"arrays of dtype {dtype} are not read")
        raw = base64.b64decode(value["array"], validate=True)
        return np.frombuffer(raw, dtype).reshape([int(n) for n in value["shape"]]).copy()
    if set(value) == {"tuple"}:
        return tuple(decode(v) for v in value["tuple"])
    if set(value) == {"dict"}:
        return {str(key): decode(v) for key, v in value["dict"].items()}
    if set(value) == {"type", "fields"}:
        return _instance(value["type"], {k: decode(v) for k, v in value["fields"].items()})
    raise TypeError(f"unexpected keys {sorted(value)}")


def _instance(name: str, fields: dict):
    """An emkit dataclass or named tuple named ``module:qualname``; no other class."""
    module, _, qualname = name.partition(":")
    if not module.startswith("emkit.") or "." in qualname:
        raise TypeError(f"type {name!r} is not one of emkit's parameter types")
    cls = getattr(importlib.import_module(module), qualname, None)
    is_named_tuple = isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields")
    if not (is_named_tuple or (isinstance(cls, type) and dataclasses.is_dataclass(cls))):
        raise TypeError(f"type {name!r} is not one of emkit's parameter types")
    return cls(**fields)
