"""An HTTP JSON service for a saved model: ``emkit serve MODEL.json``.

Starlette on uvicorn, with Prometheus metrics (``pip install "emkit[serve]"``).
The body is TensorFlow Serving's and KServe v1's: ``{"instances": [...]}`` in,
``{"predictions": [...]}`` out. The model is the estimator ``emkit.io.load``
returns, so predictions are the estimator's own. Every response names the
model it came from: the sha256 of the model file's bytes and emkit's version.

The web framework is imported when an app is made, not with this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import hmac
import json
import logging
import math
import signal
import threading
import time
from dataclasses import dataclass, field

from . import __version__

METHODS = ("predict", "predict_proba", "score_samples", "transform")
DEFAULT_MAX_BODY_BYTES = 1 << 20
logger = logging.getLogger("emkit.serve")


def _web():
    """Starlette, uvicorn and prometheus_client, or an ImportError naming the extra."""
    try:
        import prometheus_client
        import starlette.applications
        import uvicorn
    except ImportError as error:
        raise ImportError(
            f"emkit.serve needs starlette, uvicorn and prometheus-client; {error.name} is "
            'missing: pip install "emkit[serve]"'
        ) from None
    return starlette, uvicorn, prometheus_client


class BadRequest(ValueError):
    """Input the service refuses: answered with ``status`` and the message, as JSON."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class _Model:
    """A loaded model and what a request needs to know of it."""

    estimator: object
    sha256: str
    methods: tuple[str, ...]
    n_features: int
    feature_names: tuple[str, ...] | None
    allow_nan: bool
    drift_monitor: object = None  # with a drift reference: the model's DriftMonitor


def _read_model(path: str, key: bytes | None) -> _Model:
    """Load the model file (verified with a key), hashed from the very bytes loaded."""
    from .io import _from_bytes

    with open(path, "rb") as file:
        data = file.read()
    estimator = _from_bytes(data, key)
    names = getattr(estimator, "feature_names_in_", None)
    try:
        allow_nan = estimator.__sklearn_tags__().input_tags.allow_nan
    except AttributeError:
        allow_nan = False
    return _Model(
        estimator=estimator,
        sha256=hashlib.sha256(data).hexdigest(),
        methods=tuple(m for m in METHODS if hasattr(estimator, m)),
        n_features=int(estimator.n_features_in_),
        feature_names=None if names is None else tuple(str(n) for n in names),
        allow_nan=bool(allow_nan),
    )


def _rows(body: bytes, model: _Model):
    """The float array of a request body ``{"instances": [...]}``, or BadRequest saying why."""
    import numpy as np

    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest(f"the body is not JSON ({error}).") from None
    except RecursionError:
        raise BadRequest("the body is not JSON of rows (nested too deep).") from None
    if not isinstance(document, dict) or "instances" not in document:
        raise BadRequest('the body must be a JSON object with "instances": a list of rows.')
    instances = document["instances"]
    if not isinstance(instances, list) or not instances:
        raise BadRequest('"instances" must be a non-empty list of rows.')
    names, width = model.feature_names, model.n_features
    rows = []
    for i, row in enumerate(instances):
        if isinstance(row, dict):
            if names is None:
                raise BadRequest(
                    f"instances[{i}] is an object, but the model records no feature names: "
                    f"give each row as a list of {width} numbers."
                )
            unknown = [key for key in row if key not in names]
            if unknown:
                raise BadRequest(
                    f"instances[{i}]: unknown feature names {unknown}; the model's features "
                    f"are {list(names)}."
                )
            missing = [name for name in names if name not in row]
            if missing:
                raise BadRequest(f"instances[{i}]: no value for feature(s) {missing}.")
            row = [row[name] for name in names]
        elif not isinstance(row, list):
            raise BadRequest(
                f"instances[{i}] must be a list of {width} numbers"
                + (" or an object keyed by feature name." if names else ".")
            )
        if len(row) != width:
            raise BadRequest(f"instances[{i}] has {len(row)} features; the model takes {width}.")
        for j, value in enumerate(row):
            if value is None:
                if not model.allow_nan:
                    raise BadRequest(f"instances[{i}][{j}] is null; this model needs every value.")
            elif isinstance(value, bool) or not isinstance(value, (int, float)):
                raise BadRequest(f"instances[{i}][{j}] is {value!r}, not a number.")
            elif not math.isfinite(value) if isinstance(value, float) else abs(value) > 1e308:
                raise BadRequest(
                    f"instances[{i}][{j}] is {value!r}: only finite numbers are accepted"
                    + (" (null marks a missing value)." if model.allow_nan else "."),
                    status=422,
                )
        rows.append(row)
    return np.array(rows, dtype=float)  # None becomes nan: a missing value


@dataclass
class _Limiter:
    """A token bucket per client: ``rate`` requests a second, bursts of up to ``burst``."""

    rate: float
    burst: float
    buckets: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        with self.lock:
            tokens, then = self.buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.rate)
            if len(self.buckets) > 10_000:  # forget the clients whose bucket is full again
                self.buckets = {
                    c: (t, s)
                    for c, (t, s) in self.buckets.items()
                    if t + (now - s) * self.rate < self.burst
                }
            allowed = tokens >= 1.0
            self.buckets[client] = (tokens - 1.0 if allowed else tokens, now)
            return allowed


# Statistics of a drift check, as the label of the per-statistic gauges.
DRIFT_STATISTICS = ("log_likelihood", "psi", "outliers", "missing")
# Full windows waiting for their check beyond which new ones are dropped (and counted).
_MAX_PENDING_WINDOWS = 4


class _Drift:
    """The last ``window`` rows scored, checked for drift whenever they fill a window.

    Rows are added by the event loop; each full window is checked by one
    thread of its own, in order, so that requests never wait for a check.
    The figures of the last window checked are gauges of ``registry``.
    """

    def __init__(self, reference, window: int, alpha: float, n_resamples: int, registry):
        from concurrent.futures import ThreadPoolExecutor

        import numpy as np
        import prometheus_client as prom

        for name, value in (("drift_window", window), ("drift_n_resamples", n_resamples)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
            raise ValueError(f"drift_alpha must be a number in (0, 1), got {alpha!r}.")
        self.reference = np.asarray(reference, dtype=float)
        self.window = window
        self.alpha = alpha
        self.n_resamples = n_resamples
        self.rows: list = []  # arrays of rows not yet in a window checked
        self.n_rows = 0
        self.pending = 0
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="emkit-drift")

        def gauge(name, documentation, labels=()):
            return prom.Gauge(f"emkit_drift{name}", documentation, labels, registry=registry)

        def counter(name, documentation):
            return prom.Counter(f"emkit_drift{name}", documentation, registry=registry)

        self.checked = counter("_windows", "Windows of rows checked for drift")
        self.drifted = counter("_windows_drifted", "Windows of rows that drifted")
        self.dropped = counter(
            "_windows_dropped", "Full windows not checked: the checks fell behind"
        )
        self.errors = counter("_check_errors", "Drift checks that failed (see the log)")
        self.drift = gauge("", "1 if the last window checked drifted, else 0")
        self.detected = gauge(
            "_detected", "1 if the statistic is beyond its threshold", ["statistic"]
        )
        self.pvalue = gauge(
            "_pvalue", "p-value of the statistic in the last window", ["statistic"]
        )
        self.shift = gauge(
            "_log_likelihood_shift", "Mean log-likelihood per row, less the reference's"
        )
        self.shift_threshold = gauge(
            "_log_likelihood_threshold", "Largest absolute shift that is not drift"
        )
        self.psi = gauge("_psi", "Population stability index of the feature", ["feature"])
        self.psi_threshold = gauge("_psi_threshold", "Largest PSI that is not drift")
        self.outlier_share = gauge("_outlier_share", "Share of rows below the reference's 1%")
        self.missing_share = gauge("_missing_share", "Share of missing values", ["feature"])
        self.missing_pvalue = gauge(
            "_missing_pvalue", "p-value of the feature's share of missing values", ["feature"]
        )
        gauge("_window_rows", "Rows in a window checked for drift").set(window)
        self.buffered = gauge("_buffered_rows", "Rows scored, waiting for a window to fill")

    def monitor_for(self, estimator):
        """A DriftMonitor of ``estimator`` on the reference, calibrated for the window."""
        from .monitoring import DriftMonitor

        try:
            return DriftMonitor(
                estimator,
                self.reference,
                batch_size=self.window,
                alpha=self.alpha,
                n_resamples=self.n_resamples,
                random_state=0,
            )
        except (TypeError, ValueError) as error:
            raise ValueError(f"the drift reference does not suit this model: {error}") from None

    def add(self, X, monitor, loop) -> None:
        """Keep the rows of a request; send each window that fills to ``monitor``'s check.

        ``monitor`` is that of the model that answered the request.
        """
        import numpy as np

        self.rows.append(X)
        self.n_rows += len(X)
        while self.n_rows >= self.window:
            rows = np.concatenate(self.rows)
            window, rest = rows[: self.window], rows[self.window :]
            self.rows, self.n_rows = ([rest] if len(rest) else []), len(rest)
            if self.pending >= _MAX_PENDING_WINDOWS:
                self.dropped.inc()
                continue
            self.pending += 1
            future = loop.run_in_executor(self.executor, self.check, monitor, window)
            future.add_done_callback(lambda _: self._done())
        self.buffered.set(self.n_rows)

    def _done(self) -> None:
        self.pending -= 1  # on the event loop, as add

    def check(self, monitor, window) -> None:
        try:
            report = monitor.check(window)
        except Exception:
            self.errors.inc()
            logger.exception("the drift check of a window failed")
            return
        self.checked.inc()
        self.drifted.inc(report.drift)
        self.drift.set(report.drift)
        detected = report.detected
        pvalues = {
            "log_likelihood": report.log_likelihood_pvalue,
            "psi": report.psi_pvalue,
            "outliers": report.outlier_pvalue,
            "missing": float(report.missing_pvalue.min()),
        }
        for statistic in DRIFT_STATISTICS:
            self.detected.labels(statistic).set(detected[statistic])
            self.pvalue.labels(statistic).set(pvalues[statistic])
        self.shift.set(report.log_likelihood_shift)
        self.shift_threshold.set(report.log_likelihood_threshold)
        self.psi_threshold.set(report.psi_threshold)
        self.outlier_share.set(report.outlier_share)
        for j, name in enumerate(report.feature_names):
            self.psi.labels(name).set(report.psi[j])
            self.missing_share.labels(name).set(report.missing_share[j])
            self.missing_pvalue.labels(name).set(report.missing_pvalue[j])
        if report.drift:
            logger.warning("drift in the last %d rows: %s", len(window), "; ".join(report.reasons))


def make_app(
    model_path: str,
    *,
    key: bytes | None = None,
    token: bytes | None = None,
    rate_limit: float | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    reference=None,
    drift_window: int = 1000,
    drift_alpha: float = 0.01,
    drift_n_resamples: int = 2000,
):
    """The ASGI app that serves the model in ``model_path`` (Starlette).

    Parameters
    ----------
    model_path : str
        A model file written by :func:`emkit.io.to_json` or :func:`emkit.io.save`,
        read with :func:`emkit.io.load`; read again on ``POST /reload`` and on
        ``SIGHUP`` (under uvicorn).
    key : bytes, default=None
        Accept only a model file signed with this key (HMAC-SHA256, see
        :func:`emkit.io.from_json`), on start and on every reload.
    token : bytes, default=None
        Every route but ``GET /healthz`` needs the header
        ``Authorization: Bearer TOKEN``; else 401.
    rate_limit : float, default=None
        The requests a second each client (IP address) may make, in bursts of
        up to ``max(1, rate_limit)``; beyond, 429. ``/healthz`` is not limited.
    max_body_bytes : int, default=1048576
        A larger request body is refused with 413.
    reference : array-like of shape (n_rows, n_features), default=None
        Watch the rows scored for drift against these reference rows (in
        the model's column order): the rows of every request answered are
        kept, and each ``drift_window`` of them is checked, in a thread of
        its own, by :class:`emkit.monitoring.DriftMonitor` built with
        ``batch_size=drift_window``, ``alpha=drift_alpha``,
        ``n_resamples=drift_n_resamples`` and ``random_state=0``; the last
        window's figures are ``emkit_drift_*`` metrics (see the serving
        guide). A reloaded model gets a new monitor on the same reference;
        a model it does not suit (no ``score_samples``, other features) is
        refused, at start and on reload. None: no drift watch.
    drift_window : int, default=1000
        Rows in a window; the reference needs at least twice as many.
    drift_alpha : float, default=0.01
        The monitor's false-alarm rate per window.
    drift_n_resamples : int, default=2000
        The monitor's draws to calibrate its thresholds.

    Returns
    -------
    app : starlette.applications.Starlette
        Routes ``POST /predict``, ``/predict_proba``, ``/score_samples``,
        ``/transform`` (404 for a method the model lacks), ``POST /reload``,
        ``GET /healthz`` and ``GET /metrics`` (Prometheus' text format).

    Raises
    ------
    ImportError
        If starlette, uvicorn or prometheus-client is not installed.
    OSError, ValueError
        If the model file cannot be read or loaded (or verified, given a key).

    Examples
    --------
    >>> import os, tempfile
    >>> from emkit import GaussianMixtureEM
    >>> from emkit.io import to_json
    >>> gm = GaussianMixtureEM(2, random_state=0).fit([[0.0], [0.1], [5.0], [5.2]])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> with open(path, "w") as file:
    ...     _ = file.write(to_json(gm))
    >>> app = make_app(path, rate_limit=100.0)
    >>> [route.path for route in app.routes]  # doctest: +NORMALIZE_WHITESPACE
    ['/predict', '/predict_proba', '/score_samples', '/transform', '/healthz', '/metrics',
     '/reload']
    >>> app.state.model().methods  # GaussianMixtureEM has no transform: 404 there
    ('predict', 'predict_proba', 'score_samples')

    Run it with any ASGI server (``emkit serve`` runs uvicorn), then:

    .. code-block:: console

       $ curl -s localhost:8000/predict -d '{"instances": [[0.05], [5.1]]}'
       {"predictions":[0,1]}
    """
    _, _, prometheus_client = _web()
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException
    from starlette.responses import Response
    from starlette.routing import Route

    if not isinstance(max_body_bytes, int) or max_body_bytes < 1:
        raise ValueError(f"max_body_bytes must be a positive integer, got {max_body_bytes!r}.")
    if rate_limit is not None and not (0 < rate_limit < math.inf):
        raise ValueError(f"rate_limit must be a positive number, got {rate_limit!r}.")
    if token is not None and not token:
        raise ValueError("token must not be empty.")
    registry = prometheus_client.CollectorRegistry()
    drift = None
    if reference is not None:
        drift = _Drift(reference, drift_window, drift_alpha, drift_n_resamples, registry)

    def read_model() -> _Model:
        model = _read_model(model_path, key)
        if drift is not None:
            model = dataclasses.replace(model, drift_monitor=drift.monitor_for(model.estimator))
        return model

    state = {"model": read_model()}
    limiter = None if rate_limit is None else _Limiter(rate_limit, max(1.0, rate_limit))
    reload_lock = threading.Lock()

    requests = prometheus_client.Counter(
        "emkit_requests", "HTTP requests, by route", ["route"], registry=registry
    )
    errors = prometheus_client.Counter(
        "emkit_request_errors",
        "HTTP requests answered with an error (4xx, 5xx), by route and status",
        ["route", "status"],
        registry=registry,
    )
    latency = prometheus_client.Histogram(
        "emkit_request_duration_seconds",
        "Time from request to response, by route",
        ["route"],
        buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        registry=registry,
    )
    rows_scored = prometheus_client.Counter(
        "emkit_rows_scored", "Rows answered, by route", ["route"], registry=registry
    )
    non_finite = prometheus_client.Counter(
        "emkit_non_finite_inputs_refused",
        "Requests refused for a non-finite value (NaN, Infinity)",
        registry=registry,
    )
    reloads = prometheus_client.Counter(
        "emkit_model_reloads",
        "Attempts to load the model file again, by outcome",
        ["outcome"],
        registry=registry,
    )
    reloads.labels("success")
    reloads.labels("failure")

    def identity(model: _Model) -> dict:
        return {"X-Model-Hash": model.sha256, "X-Emkit-Version": __version__}

    def answer(content: dict, status: int = 200, model: _Model | None = None) -> Response:
        # json.dumps as Python writes it: floats round-trip exactly; never a 500 for an infinity
        body = json.dumps(content, separators=(",", ":")).encode("utf-8")
        return Response(
            body, status, identity(model or state["model"]), media_type="application/json"
        )

    def reload() -> tuple[bool, str]:
        with reload_lock:
            try:
                model = read_model()
            except (OSError, ValueError, TypeError, ImportError) as error:
                reloads.labels("failure").inc()
                message = f"{model_path}: {error}"
                logger.error("reload failed, still serving %s: %s", state["model"].sha256, message)
                return False, message
            state["model"] = model
            reloads.labels("success").inc()
            logger.info("reloaded %s: sha256 %s", model_path, model.sha256)
            return True, model.sha256

    async def body_of(request) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_body_bytes:
            raise BadRequest(f"the body is over {max_body_bytes} bytes.", status=413)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_body_bytes:
                raise BadRequest(f"the body is over {max_body_bytes} bytes.", status=413)
            chunks.append(chunk)
        return b"".join(chunks)

    def guard(request, *, limited: bool = True) -> None:
        client = request.client.host if request.client else "?"
        if limited and limiter is not None and not limiter.allow(client):
            raise BadRequest(f"over {rate_limit:g} requests a second: slow down.", status=429)
        if token is not None:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                given.strip().encode("utf-8", "surrogateescape"), token
            ):
                raise BadRequest("a valid bearer token is needed (Authorization header).", 401)

    def route(name: str, handler, methods: list[str], *, open_route: bool = False):
        async def endpoint(request):
            requests.labels(name).inc()
            started = time.perf_counter()
            try:
                if not open_route:
                    guard(request, limited=name != "/metrics")
                response = await handler(request)
            except BadRequest as error:
                response = answer({"error": str(error)}, error.status)
                if error.status == 401:
                    response.headers["WWW-Authenticate"] = "Bearer"
            except Exception:  # a bug, never a traceback to the client
                logger.exception("%s failed", name)
                response = answer({"error": "internal error: see the server's log."}, 500)
            if response.status_code >= 400:
                errors.labels(name, str(response.status_code)).inc()
            latency.labels(name).observe(time.perf_counter() - started)
            return response

        return Route(name, endpoint, methods=methods)

    def scorer(method: str):
        async def handler(request):
            model = state["model"]  # this request's model, whatever a reload does meanwhile
            if method not in model.methods:
                raise BadRequest(
                    f"{type(model.estimator).__name__} has no {method}; this model answers "
                    + ", ".join(f"/{m}" for m in model.methods)
                    + ".",
                    status=404,
                )
            body = await body_of(request)
            try:
                X = _rows(body, model)
            except BadRequest as error:
                if error.status == 422:
                    non_finite.inc()
                raise
            try:
                predictions = await run_in_threadpool(getattr(model.estimator, method), X)
            except (ValueError, TypeError) as error:  # the estimator's own check of X
                raise BadRequest(str(error)) from None
            rows_scored.labels(f"/{method}").inc(len(X))
            if drift is not None:
                drift.add(X, model.drift_monitor, asyncio.get_running_loop())
            return answer({"predictions": predictions.tolist()}, model=model)

        return handler

    async def healthz(request):
        model = state["model"]
        return answer(
            {
                "status": "ok",
                "model": type(model.estimator).__name__,
                "model_hash": model.sha256,
                "emkit_version": __version__,
                "methods": list(model.methods),
                "n_features_in": model.n_features,
                "feature_names": None
                if model.feature_names is None
                else list(model.feature_names),
            },
            model=model,
        )

    async def reload_route(request):
        loaded, detail = await run_in_threadpool(reload)
        if not loaded:
            raise BadRequest(
                f"reload failed, still serving {state['model'].sha256}: {detail}", status=422
            )
        return answer({"status": "reloaded", "model_hash": detail})

    async def metrics(request):
        return Response(
            prometheus_client.generate_latest(registry),
            headers=identity(state["model"]),
            media_type=prometheus_client.CONTENT_TYPE_LATEST,
        )

    async def http_error(request, error: HTTPException):
        return answer(
            {"error": f"{request.method} {request.url.path}: {error.detail}"}, error.status_code
        )

    hangups: set = set()  # the reloads SIGHUP started and that still run

    def hangup(loop) -> None:
        future = loop.run_in_executor(None, reload)
        hangups.add(future)
        future.add_done_callback(hangups.discard)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGHUP, hangup, loop)
        except (AttributeError, NotImplementedError, RuntimeError, ValueError):
            pass  # no SIGHUP (Windows), or not the main thread: POST /reload still works
        yield
        try:
            loop.remove_signal_handler(signal.SIGHUP)
        except (AttributeError, NotImplementedError, RuntimeError, ValueError):
            pass

    routes = [route(f"/{method}", scorer(method), ["POST"]) for method in METHODS]
    routes += [
        route("/healthz", healthz, ["GET"], open_route=True),
        route("/metrics", metrics, ["GET"]),
        route("/reload", reload_route, ["POST"]),
    ]
    app = Starlette(
        routes=routes, exception_handlers={HTTPException: http_error}, lifespan=lifespan
    )
    app.state.reload = reload
    app.state.model = lambda: state["model"]
    app.state.registry = registry
    app.state.drift = drift
    return app


def serve(
    model_path: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    key: bytes | None = None,
    token: bytes | None = None,
    rate_limit: float | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    reference=None,
    drift_window: int = 1000,
    drift_alpha: float = 0.01,
    drift_n_resamples: int = 2000,
    log_level: str = "info",
) -> None:
    """Serve the model in ``model_path`` over HTTP with uvicorn until interrupted.

    The parameters are :func:`make_app`'s, and uvicorn's ``host`` and ``port``.
    ``SIGHUP`` loads the model file again; a file that fails to load or verify
    leaves the last good model serving (logged, and counted in
    ``emkit_model_reloads_total{outcome="failure"}``).

    Examples
    --------
    .. code-block:: python

       from emkit.serve import serve

       serve("model.json", port=8000)  # until Ctrl-C
    """
    import warnings

    _, uvicorn, _ = _web()
    app = make_app(
        model_path,
        key=key,
        token=token,
        rate_limit=rate_limit,
        max_body_bytes=max_body_bytes,
        reference=reference,
        drift_window=drift_window,
        drift_alpha=drift_alpha,
        drift_n_resamples=drift_n_resamples,
    )
    # Rows come as arrays, by name or by position, checked against the model above.
    warnings.filterwarnings("ignore", message="X does not have valid feature names")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s emkit serve: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    logger.info(
        "%s from %s (sha256 %s), emkit %s, on http://%s:%d",
        type(app.state.model().estimator).__name__,
        model_path,
        app.state.model().sha256,
        __version__,
        host,
        port,
    )
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False)
    uvicorn.Server(config).run()
