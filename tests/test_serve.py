"""``emkit serve``: a real server process, spoken to over HTTP (issue 22).

Two servers are started: one plain (predictions, bad input, metrics,
concurrency, reload), one with a token, a rate limit, a body limit and a
signing key.
"""

import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
pytest.importorskip("prometheus_client")
httpx = pytest.importorskip("httpx")

import emkit  # noqa: E402
from emkit import EMImputer, GaussianMixtureEM  # noqa: E402
from emkit.datasets import load_faithful  # noqa: E402
from emkit.io import load, to_json  # noqa: E402

# The models record their feature names; the tests predict in-process from arrays.
pytestmark = pytest.mark.filterwarnings("ignore:X does not have valid feature names")
ROOT = Path(__file__).resolve().parents[1]
NAMES = ("eruptions", "waiting")
TOKEN = "serve-token-8f2c"
KEY = "serve-key-41d7"


def fitted(n_components: int) -> GaussianMixtureEM:
    X = load_faithful().data
    model = GaussianMixtureEM(n_components, random_state=0).fit(X)
    model.feature_names_in_ = np.array(NAMES, dtype=object)  # as emkit fit records them
    return model


def write_model(path: Path, model, key=None) -> str:
    """Write the model; its sha256, as the server reports it."""
    path.write_text(to_json(model, key=key))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, model_path: Path, log_path: Path, *options: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("EMKIT_MODEL_KEY", None)
        command = [sys.executable, "-m", "emkit", "serve", str(model_path), "--port"]
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(
            [*command, str(self.port), *options],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
        )
        deadline = time.monotonic() + 120
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {log_path.read_text()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not answer: {log_path.read_text()}")
            time.sleep(0.2)
        self.client = httpx.Client(base_url=self.url, timeout=30)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()

    def hangup(self):
        self.process.send_signal(signal.SIGHUP)

    def metric(self, line_start: str, headers=None) -> float:
        text = self.client.get("/metrics", headers=headers).text
        values = [
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith(line_start)
        ]
        return sum(values)


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    directory = tmp_path_factory.mktemp("plain")
    model = fitted(2)
    sha256 = write_model(directory / "model.json", model)
    server = Server(directory / "model.json", directory / "server.log")
    server.model_path, server.model, server.sha256 = directory / "model.json", model, sha256
    yield server
    server.stop()


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    directory = tmp_path_factory.mktemp("guarded")
    (directory / "token").write_text(TOKEN + "\n")
    (directory / "key").write_text(KEY)
    sha256 = write_model(directory / "model.json", fitted(2), key=KEY)
    server = Server(
        directory / "model.json",
        directory / "server.log",
        "--token-file",
        str(directory / "token"),
        "--key-file",
        str(directory / "key"),
        "--rate-limit",
        "20",
        "--max-body-bytes",
        "2000",
    )
    server.model_path, server.sha256, server.directory = (
        directory / "model.json",
        sha256,
        directory,
    )
    yield server
    server.stop()


def predictions(response) -> np.ndarray:
    assert response.status_code == 200, response.text
    return np.array(response.json()["predictions"])


# ------------------------------------------------------------------ answers


def test_predictions_equal_the_estimators_exactly(plain):
    X = load_faithful().data
    loaded = load(plain.model_path)
    for method in ("predict", "predict_proba", "score_samples"):
        response = plain.client.post(f"/{method}", json={"instances": X.tolist()})
        expected = getattr(loaded, method)(X)
        np.testing.assert_array_equal(predictions(response), expected)
        np.testing.assert_array_equal(expected, getattr(plain.model, method)(X))
        assert response.headers["X-Model-Hash"] == plain.sha256
        assert response.headers["X-Emkit-Version"] == emkit.__version__
    one = plain.client.post("/predict_proba", json={"instances": [X[7].tolist()]})
    np.testing.assert_array_equal(predictions(one), loaded.predict_proba(X[7:8]))


def test_healthz_names_the_model(plain):
    response = plain.client.get("/healthz")
    assert response.json() == {
        "status": "ok",
        "model": "GaussianMixtureEM",
        "model_hash": plain.sha256,
        "emkit_version": emkit.__version__,
        "methods": ["predict", "predict_proba", "score_samples"],
        "n_features_in": 2,
        "feature_names": list(NAMES),
    }
    assert response.headers["X-Model-Hash"] == plain.sha256


def test_rows_may_be_objects_keyed_by_feature_name(plain):
    X = load_faithful().data[:30]
    rows = [{"waiting": w, "eruptions": e} for e, w in X.tolist()]  # any key order
    mixed = [rows[0], X[1].tolist()]
    np.testing.assert_array_equal(
        predictions(plain.client.post("/predict_proba", json={"instances": rows})),
        plain.model.predict_proba(X),
    )
    np.testing.assert_array_equal(
        predictions(plain.client.post("/predict", json={"instances": mixed})),
        plain.model.predict(X[:2]),
    )


def test_null_is_a_missing_value_for_a_model_that_takes_them(plain):
    response = plain.client.post("/predict_proba", json={"instances": [[None, 70.0]]})
    np.testing.assert_array_equal(
        predictions(response), plain.model.predict_proba([[np.nan, 70.0]])
    )


@pytest.mark.parametrize(
    "route, body, status, message",
    [
        ("/predict", b"{not json", 400, "the body is not JSON"),
        ("/predict", b"[" * 100_000, 400, "nested too deep"),
        ("/predict", b"", 400, "the body is not JSON"),
        ("/predict", b'{"rows": [[1, 2]]}', 400, '"instances"'),
        ("/predict", b"[[1, 2]]", 400, '"instances"'),
        ("/predict", b'{"instances": []}', 400, "non-empty list"),
        ("/predict", b'{"instances": [[1, 2, 3]]}', 400, "has 3 features; the model takes 2"),
        ("/predict", b'{"instances": [[1, "2"]]}', 400, "instances[0][1] is '2', not a number"),
        ("/predict", b'{"instances": [[1, true]]}', 400, "not a number"),
        ("/predict", b'{"instances": [3]}', 400, "instances[0] must be a list of 2 numbers"),
        ("/predict", b'{"instances": [[1, NaN]]}', 422, "only finite numbers"),
        ("/predict", b'{"instances": [[1, Infinity]]}', 422, "only finite numbers"),
        ("/predict", b'{"instances": [[1, 1e999]]}', 422, "only finite numbers"),
        ("/predict", b'{"instances": [{"eruptions": 1, "wait": 2}]}', 400, "unknown feature"),
        ("/predict", b'{"instances": [{"eruptions": 1}]}', 400, "no value for feature"),
        ("/score_samples", b'{"instances": [[1e300, 1]]}', 400, "Scale X first"),
        ("/transform", b'{"instances": [[1, 2]]}', 404, "GaussianMixtureEM has no transform"),
        ("/nowhere", b"{}", 404, "Not Found"),
    ],
)
def test_bad_input_is_a_4xx_json_error_naming_what_is_wrong(plain, route, body, status, message):
    response = plain.client.post(route, content=body)
    assert response.status_code == status, response.text
    assert message in response.json()["error"]
    assert "Traceback" not in response.text
    assert response.headers["X-Model-Hash"] == plain.sha256


def test_a_route_answers_only_its_method(plain):
    response = plain.client.get("/predict")
    assert response.status_code == 405 and "Method Not Allowed" in response.json()["error"]


def test_metrics_count_requests_errors_rows_and_refused_non_finite_values(plain):
    before = {
        name: plain.metric(name)
        for name in (
            'emkit_requests_total{route="/predict"}',
            'emkit_request_errors_total{route="/predict",status="400"}',
            'emkit_rows_scored_total{route="/predict"}',
            "emkit_non_finite_inputs_refused_total",
            'emkit_request_duration_seconds_count{route="/predict"}',
        )
    }
    plain.client.post("/predict", json={"instances": [[1.0, 50.0]] * 5})
    plain.client.post("/predict", json={"instances": [[1.0]]})
    plain.client.post("/predict", content=b'{"instances": [[NaN, 1]]}')
    after = {name: plain.metric(name) for name in before}
    assert {name: after[name] - before[name] for name in before} == {
        'emkit_requests_total{route="/predict"}': 3,
        'emkit_request_errors_total{route="/predict",status="400"}': 1,
        'emkit_rows_scored_total{route="/predict"}': 5,
        "emkit_non_finite_inputs_refused_total": 1,
        'emkit_request_duration_seconds_count{route="/predict"}': 3,
    }
    response = plain.client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE emkit_request_duration_seconds histogram" in response.text
    assert 'emkit_model_reloads_total{outcome="failure"}' in response.text


def test_concurrent_requests_all_succeed_and_agree(plain):
    X = load_faithful().data
    rng = np.random.default_rng(0)
    batches = [rng.choice(len(X), size=rng.integers(1, 50)) for _ in range(16 * 8)]
    answers, failures = {}, []

    def client(start: int):
        with httpx.Client(base_url=plain.url, timeout=60) as session:
            for i in range(start, len(batches), 16):
                response = session.post(
                    "/predict_proba", json={"instances": X[batches[i]].tolist()}
                )
                if response.status_code != 200:
                    failures.append(response.text)
                else:
                    answers[i] = np.array(response.json()["predictions"])

    threads = [threading.Thread(target=client, args=(start,)) for start in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(answers) == len(batches)
    for i, rows in enumerate(batches):
        np.testing.assert_array_equal(answers[i], plain.model.predict_proba(X[rows]))


# ------------------------------------------------------------------ reload


def wait_for(condition, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_sighup_reloads_during_traffic_without_a_failed_request(plain):
    X = load_faithful().data
    other = fitted(3)
    expected = {plain.sha256: plain.model.predict_proba(X), None: other.predict_proba(X)}
    seen, failures, stop = [], [], threading.Event()

    def client():
        with httpx.Client(base_url=plain.url, timeout=60) as session:
            while not stop.is_set():
                response = session.post("/predict_proba", json={"instances": X.tolist()})
                if response.status_code != 200:
                    failures.append(response.text)
                else:
                    seen.append((response.headers["X-Model-Hash"], response.json()))

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: len(seen) >= 4, "answers before the reload")
        other_sha256 = write_model(plain.model_path, other)
        expected[other_sha256] = expected.pop(None)
        plain.hangup()
        wait_for(lambda: seen and seen[-1][0] == other_sha256, "the new model's answers")
        count = len(seen)
        wait_for(lambda: len(seen) >= count + 4, "more answers after the reload")
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    try:
        assert failures == []
        hashes = [sha256 for sha256, _ in seen]
        assert set(hashes) == {plain.sha256, other_sha256}
        assert hashes.index(other_sha256) > 0
        for sha256, body in seen:  # each answer is wholly the model its header names
            np.testing.assert_array_equal(np.array(body["predictions"]), expected[sha256])
        assert plain.client.get("/healthz").json()["model_hash"] == other_sha256
    finally:
        restore(plain)


def restore(server):
    write_model(server.model_path, server.model)
    server.hangup()
    wait_for(
        lambda: server.client.get("/healthz").json()["model_hash"] == server.sha256,
        "the first model back",
    )


def test_a_broken_file_on_reload_keeps_the_last_good_model(plain):
    failed = 'emkit_model_reloads_total{outcome="failure"}'
    before = plain.metric(failed)
    try:
        plain.model_path.write_text('{"not": "a model"')
        plain.hangup()
        wait_for(lambda: plain.metric(failed) == before + 1, "the failure to be counted")
        response = plain.client.post("/reload")
        assert response.status_code == 422
        assert f"reload failed, still serving {plain.sha256}" in response.json()["error"]
        assert plain.metric(failed) == before + 2
        X = load_faithful().data[:10]
        served = plain.client.post("/predict", json={"instances": X.tolist()})
        np.testing.assert_array_equal(predictions(served), plain.model.predict(X))
        assert served.headers["X-Model-Hash"] == plain.sha256
        assert "reload failed, still serving" in plain.log_path.read_text()
    finally:
        restore(plain)


def test_an_imputer_answers_transform_with_null_for_missing_values(plain):
    X = load_faithful().data.copy()
    X[::7, 1] = np.nan
    imputer = EMImputer(random_state=0).fit(X)
    try:
        sha256 = write_model(plain.model_path, imputer)
        reloaded = plain.client.post("/reload")
        assert reloaded.json() == {"status": "reloaded", "model_hash": sha256}
        rows = [[None if np.isnan(v) else v for v in row] for row in X[:50].tolist()]
        response = plain.client.post("/transform", json={"instances": rows})
        np.testing.assert_array_equal(predictions(response), imputer.transform(X[:50]))
        assert response.headers["X-Model-Hash"] == sha256
        missing = plain.client.post("/predict", json={"instances": rows})
        assert missing.status_code == 404
        assert "EMImputer has no predict; this model answers /predict_proba" in missing.text
    finally:
        restore(plain)


# ---------------------------------------------------- token, limits, key


def authorized(token: str = TOKEN) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_a_bearer_token_is_needed_except_for_healthz(guarded):
    body = {"instances": [[3.0, 70.0]]}
    refused = [
        guarded.client.post("/predict", json=body),
        guarded.client.post("/predict", json=body, headers=authorized("wrong")),
        guarded.client.post("/predict", json=body, headers={"Authorization": TOKEN}),
        guarded.client.get("/metrics"),
        guarded.client.post("/reload"),
    ]
    for response in refused:
        assert response.status_code == 401, response.text
        assert "bearer token" in response.json()["error"]
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.headers["X-Model-Hash"] == guarded.sha256
        assert TOKEN not in response.text
    assert guarded.client.post("/predict", json=body, headers=authorized()).status_code == 200
    assert guarded.client.get("/metrics", headers=authorized()).status_code == 200
    assert guarded.client.get("/healthz").status_code == 200


def test_a_body_over_the_limit_is_refused(guarded):
    big = {"instances": [[3.0, 70.0]] * 200}  # about 2,400 bytes; the limit is 2,000
    response = guarded.client.post("/predict", json=big, headers=authorized())
    assert response.status_code == 413 and "over 2000 bytes" in response.json()["error"]
    chunks = (b'{"instances": [' + b"[3.0, 70.0], " * 100 for _ in range(3))  # no length given
    response = guarded.client.post("/predict", content=chunks, headers=authorized())
    assert response.status_code == 413


def test_each_client_is_rate_limited(guarded):
    body = {"instances": [[3.0, 70.0]]}
    statuses = []

    def client():
        with httpx.Client(base_url=guarded.url, timeout=30) as session:
            for _ in range(25):
                statuses.append(
                    session.post("/predict", json=body, headers=authorized()).status_code
                )

    threads = [threading.Thread(target=client) for _ in range(8)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert set(statuses) == {200, 429}
    # a bucket of 20 (full: the tests before waited), refilled at 20 a second
    assert statuses.count(200) <= 20 + 20 * elapsed + 1
    refused = guarded.client.post("/predict", json=body, headers=authorized())
    if refused.status_code == 429:
        assert "requests a second" in refused.json()["error"]
    time.sleep(0.2)  # four tokens back
    assert guarded.client.post("/predict", json=body, headers=authorized()).status_code == 200
    assert guarded.client.get("/healthz").status_code == 200  # never limited
    time.sleep(1.0)  # a full bucket for the next test


def test_with_a_key_an_unsigned_or_changed_model_is_refused_on_reload(guarded):
    failed = 'emkit_model_reloads_total{outcome="failure"}'
    before = guarded.metric(failed, authorized())
    text = guarded.model_path.read_text()
    try:
        write_model(guarded.model_path, fitted(3))  # unsigned
        response = guarded.client.post("/reload", headers=authorized())
        assert response.status_code == 422 and "unsigned" in response.json()["error"]
        assert '"max_iter":1000,' in text
        guarded.model_path.write_text(text.replace('"max_iter":1000,', '"max_iter":999,'))
        response = guarded.client.post("/reload", headers=authorized())
        assert response.status_code == 422 and "tampered" in response.json()["error"]
        assert guarded.metric(failed, authorized()) == before + 2
        assert guarded.client.get("/healthz").json()["model_hash"] == guarded.sha256
    finally:
        guarded.model_path.write_text(text)
    response = guarded.client.post("/reload", headers=authorized())
    assert response.json() == {"status": "reloaded", "model_hash": guarded.sha256}
    assert KEY not in guarded.log_path.read_text()


def test_with_a_key_an_unsigned_model_is_refused_at_start(tmp_path):
    write_model(tmp_path / "unsigned.json", fitted(1))
    (tmp_path / "key").write_text(KEY)
    result = subprocess.run(
        [
            *(sys.executable, "-m", "emkit", "serve", str(tmp_path / "unsigned.json")),
            *("--key-file", str(tmp_path / "key"), "--port", str(free_port())),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert result.returncode == 1
    assert re.fullmatch(r"emkit serve: .*unsigned, and a key was given.*\n", result.stderr)


def test_without_the_extra_the_error_names_it(tmp_path):
    code = (
        "import sys\n"
        "sys.modules['uvicorn'] = None\n"
        "from emkit.cli import main\n"
        f"sys.exit(main(['serve', {str(tmp_path / 'm.json')!r}]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 1
    assert 'pip install "emkit[serve]"' in result.stderr and "uvicorn" in result.stderr


def test_the_body_format_is_json_with_instances_and_predictions(plain):
    response = plain.client.post("/predict", content=json.dumps({"instances": [[2.0, 60.0]]}))
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()) == {"predictions"}


def test_a_token_file_that_cannot_be_read_or_is_empty_is_refused(tmp_path):
    (tmp_path / "empty").write_text(" \n")
    for token_file, message in [
        (tmp_path / "absent", "cannot read it (No such file or directory)"),
        (tmp_path / "empty", "the file is empty"),
    ]:
        result = subprocess.run(
            [sys.executable, "-m", "emkit", "serve", "m.json", "--token-file", str(token_file)],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=120,
        )
        assert result.returncode == 1
        assert result.stderr == f"emkit serve: --token-file {token_file}: {message}.\n"


# ------------------------------------------------------------------ drift watch

WINDOW = 200
DRIFT_ALPHA = 0.01


def drift_data(n_rows: int, seed: int, shift: float = 0.0) -> np.ndarray:
    """Rows of one three-feature Gaussian; ``shift`` moves the first feature."""
    rng = np.random.RandomState(seed)
    rows = rng.multivariate_normal([0.0, 1.0, -1.0], np.diag([1.0, 2.0, 0.5]), n_rows)
    rows[:, 0] += shift
    return rows


@pytest.fixture(scope="module")
def watched(tmp_path_factory):
    """A server watching drift in windows of WINDOW rows against a reference file."""
    directory = tmp_path_factory.mktemp("watched")
    model = GaussianMixtureEM(2, random_state=0).fit(drift_data(2000, 0))
    reference = drift_data(1000, 1)
    np.savetxt(directory / "reference.csv", reference, delimiter=",")
    sha256 = write_model(directory / "model.json", model)
    server = Server(
        directory / "model.json",
        directory / "server.log",
        *("--reference", str(directory / "reference.csv")),
        *("--drift-window", str(WINDOW), "--drift-alpha", str(DRIFT_ALPHA)),
    )
    server.model_path, server.model, server.sha256 = directory / "model.json", model, sha256
    # What the server reads from the CSV file: the reference as written, to the digit.
    server.reference = np.loadtxt(directory / "reference.csv", delimiter=",")
    yield server
    server.stop()


def drift_monitor(model, reference):
    """The monitor the server builds, built here."""
    from emkit.monitoring import DriftMonitor

    return DriftMonitor(
        model, reference, batch_size=WINDOW, alpha=DRIFT_ALPHA, n_resamples=2000, random_state=0
    )


def send(server, rows, sizes):
    """Score ``rows`` in requests of ``sizes`` rows, one after the other."""
    start = 0
    for size in sizes:
        response = server.client.post("/predict", json={"instances": rows[start : start + size]})
        assert response.status_code == 200, response.text
        start += size
    assert start == len(rows)


def checked_windows(server) -> float:
    return server.metric("emkit_drift_windows_total ")


def assert_figures_are_the_reports(server, report):
    """Every drift figure on /metrics is that of ``report``, exactly."""
    metric = server.metric
    assert metric("emkit_drift ") == float(report.drift)
    pvalues = {
        "log_likelihood": report.log_likelihood_pvalue,
        "psi": report.psi_pvalue,
        "outliers": report.outlier_pvalue,
        "missing": report.missing_pvalue.min(),
    }
    for statistic, detected in report.detected.items():
        assert metric(f'emkit_drift_detected{{statistic="{statistic}"}}') == float(detected)
        assert metric(f'emkit_drift_pvalue{{statistic="{statistic}"}}') == pvalues[statistic]
    assert metric("emkit_drift_log_likelihood_shift ") == report.log_likelihood_shift
    assert metric("emkit_drift_log_likelihood_threshold ") == report.log_likelihood_threshold
    assert metric("emkit_drift_psi_threshold ") == report.psi_threshold
    assert metric("emkit_drift_outlier_share ") == report.outlier_share
    for j, name in enumerate(report.feature_names):
        assert metric(f'emkit_drift_psi{{feature="{name}"}}') == report.psi[j]
        assert metric(f'emkit_drift_missing_share{{feature="{name}"}}') == report.missing_share[j]
        assert (
            metric(f'emkit_drift_missing_pvalue{{feature="{name}"}}') == report.missing_pvalue[j]
        )


def test_traffic_like_the_reference_leaves_the_drift_gauge_at_zero(watched):
    before = checked_windows(watched)
    drifted = watched.metric("emkit_drift_windows_drifted_total ")
    rows = drift_data(WINDOW + 50, 2)
    send(watched, rows.tolist(), [120, 80, 50])  # a window and 50 rows into the next
    wait_for(lambda: checked_windows(watched) == before + 1, "the window's check")
    report = drift_monitor(watched.model, watched.reference).check(rows[:WINDOW])
    assert not report.drift
    assert_figures_are_the_reports(watched, report)
    assert watched.metric("emkit_drift_windows_drifted_total ") == drifted
    assert watched.metric("emkit_drift_buffered_rows ") == 50
    assert watched.metric("emkit_drift_window_rows ") == WINDOW
    # The next window takes the 50 rows kept, then new ones.
    more = drift_data(WINDOW - 50, 3)
    send(watched, more.tolist(), [WINDOW - 50])
    wait_for(lambda: checked_windows(watched) == before + 2, "the next window's check")
    report = drift_monitor(watched.model, watched.reference).check(
        np.vstack([rows[WINDOW:], more])
    )
    assert_figures_are_the_reports(watched, report)
    assert watched.metric("emkit_drift_buffered_rows ") == 0


def test_shifted_traffic_sets_the_drift_gauge_to_one(watched):
    before = checked_windows(watched)
    drifted = watched.metric("emkit_drift_windows_drifted_total ")
    rows = drift_data(WINDOW, 4, shift=1.0)
    send(watched, rows.tolist(), [WINDOW])
    wait_for(lambda: checked_windows(watched) == before + 1, "the window's check")
    report = drift_monitor(watched.model, watched.reference).check(rows)
    assert report.drift and report.detected["psi"]
    assert_figures_are_the_reports(watched, report)
    assert watched.metric("emkit_drift ") == 1
    assert watched.metric('emkit_drift_detected{statistic="psi"}') == 1
    assert watched.metric("emkit_drift_windows_drifted_total ") == drifted + 1
    logged = f"drift in the last {WINDOW} rows: {'; '.join(report.reasons)}"
    assert logged in watched.log_path.read_text()


def test_a_reload_checks_the_next_windows_with_the_new_models_monitor(watched):
    before = checked_windows(watched)
    other = GaussianMixtureEM(3, random_state=0).fit(drift_data(2000, 5))
    rows = drift_data(WINDOW, 6)
    try:
        send(watched, rows[:100].tolist(), [100])  # kept over the reload
        other_sha256 = write_model(watched.model_path, other)
        watched.hangup()
        wait_for(
            lambda: watched.client.get("/healthz").json()["model_hash"] == other_sha256,
            "the new model",
        )
        assert checked_windows(watched) == before  # counters go on; nothing checked yet
        send(watched, rows[100:].tolist(), [100])
        wait_for(lambda: checked_windows(watched) == before + 1, "the window's check")
        report = drift_monitor(other, watched.reference).check(rows)
        assert_figures_are_the_reports(watched, report)
        assert report.log_likelihood_threshold != (
            drift_monitor(watched.model, watched.reference).check(rows).log_likelihood_threshold
        )
    finally:
        restore(watched)


def test_a_model_the_reference_does_not_suit_is_refused_on_reload(watched):
    failed = 'emkit_model_reloads_total{outcome="failure"}'
    before = watched.metric(failed)
    try:
        write_model(watched.model_path, GaussianMixtureEM(1).fit(drift_data(100, 7)[:, :2]))
        response = watched.client.post("/reload")
        assert response.status_code == 422
        assert "the drift reference does not suit this model" in response.json()["error"]
        assert watched.metric(failed) == before + 1
        assert watched.client.get("/healthz").json()["model_hash"] == watched.sha256
    finally:
        restore(watched)


def test_a_reference_that_does_not_suit_the_model_is_refused_at_start(tmp_path):
    write_model(tmp_path / "model.json", GaussianMixtureEM(1).fit(drift_data(500, 0)))
    np.savetxt(tmp_path / "small.csv", drift_data(300, 1), delimiter=",")
    result = subprocess.run(
        [
            *(sys.executable, "-m", "emkit", "serve", str(tmp_path / "model.json")),
            *("--reference", str(tmp_path / "small.csv"), "--port", str(free_port())),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert result.returncode == 1
    assert "the drift reference does not suit this model" in result.stderr
    assert "at least twice as many rows" in result.stderr


def test_every_metric_the_docs_name_is_emitted(tmp_path):
    from emkit.callbacks import PrometheusMetrics
    from emkit.serve import make_app

    metrics = PrometheusMetrics()
    GaussianMixtureEM(2, random_state=0, callback=metrics).fit(load_faithful().data)
    model = GaussianMixtureEM(2, random_state=0).fit(drift_data(500, 0))
    write_model(tmp_path / "model.json", model)
    app = make_app(str(tmp_path / "model.json"), reference=drift_data(1000, 1), drift_window=100)
    app.state.drift.check(app.state.model().drift_monitor, drift_data(100, 2))  # one window
    emitted = set()
    for registry in (metrics.registry, app.state.registry):
        for family in registry.collect():
            # A counter's samples are name_total; one with labels has none before it counts.
            total = [f"{family.name}_total"] if family.type == "counter" else []
            emitted |= {family.name, *total, *(sample.name for sample in family.samples)}
    monitoring = (ROOT / "doc" / "monitoring.rst").read_text()
    named = set(re.findall(r"\bemkit_\w+", monitoring[monitoring.index("Alerts: a runbook") :]))
    named |= set(re.findall(r"``(emkit_\w+)", (ROOT / "doc" / "serving.rst").read_text()))
    named.discard("emkit_fit")  # PrometheusMetrics' prefix
    assert "emkit_drift_windows_dropped_total" in named
    assert named <= emitted, sorted(named - emitted)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"drift_window": 0}, "drift_window must be a positive integer"),
        ({"drift_window": 2.5}, "drift_window must be a positive integer"),
        ({"drift_n_resamples": 0}, "drift_n_resamples must be a positive integer"),
        ({"drift_alpha": 1.0}, r"drift_alpha must be a number in \(0, 1\)"),
        ({"drift_window": 600}, "reference does not suit this model.*at least twice"),
        ({"reference": drift_data(1000, 1)[:, :2]}, "reference does not suit.*2 features"),
    ],
)
def test_bad_drift_options_are_refused_naming_them(tmp_path, options, message):
    from emkit.serve import make_app

    write_model(tmp_path / "model.json", GaussianMixtureEM(1).fit(drift_data(200, 0)))
    options = {"reference": drift_data(1000, 1), **options}
    with pytest.raises(ValueError, match=message):
        make_app(str(tmp_path / "model.json"), **options)


def test_windows_beyond_four_waiting_are_dropped_and_counted(tmp_path):
    from concurrent.futures import Future

    from emkit.serve import make_app

    class StalledLoop:  # checks sent to it never finish
        def run_in_executor(self, executor, function, *args):
            return Future()

    write_model(tmp_path / "model.json", GaussianMixtureEM(1).fit(drift_data(200, 0)))
    app = make_app(str(tmp_path / "model.json"), reference=drift_data(1000, 1), drift_window=100)
    drift, value = app.state.drift, app.state.registry.get_sample_value
    drift.add(drift_data(650, 2), app.state.model().drift_monitor, StalledLoop())
    assert value("emkit_drift_windows_dropped_total") == 2  # six windows, four waiting
    assert value("emkit_drift_windows_total") == 0
    assert value("emkit_drift_buffered_rows") == 50
