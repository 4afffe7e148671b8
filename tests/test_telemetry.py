"""Training telemetry: IterationRecord.non_finite and the PrometheusMetrics callback."""

import dataclasses
import http.server
import pickle
import threading
import warnings

import numpy as np
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from sklearn.base import clone

from emkit import HMMEM, GaussianMixtureEM
from emkit.callbacks import History, PrometheusMetrics, chain
from emkit.datasets import load_faithful

X = load_faithful().data
KWARGS = dict(covariance_type="tied", init_params="kmeans", random_state=0)


def _fit_with_metrics(make, **metrics_kwargs):
    """A fit with History and PrometheusMetrics; the estimator, the history, the metrics."""
    history, metrics = History(), PrometheusMetrics(**metrics_kwargs)
    estimator = make(chain(history, metrics)).fit(X)
    return estimator, history, metrics


@pytest.mark.parametrize(
    "make",
    [
        lambda callback: GaussianMixtureEM(3, callback=callback, **KWARGS),
        lambda callback: HMMEM(3, init_params="kmeans", random_state=0, callback=callback),
    ],
    ids=["mixture", "hmm"],
)
def test_the_registry_holds_the_fits_values(make):
    labels = {"model": "faithful"}
    estimator, history, metrics = _fit_with_metrics(make, labels=labels)
    value = metrics.registry.get_sample_value
    last = history.records[-1]
    assert last.rejected_jumps > 0  # SQUAREM jumped, and some jumps were rejected
    assert value("emkit_fit_iterations_total", labels) == estimator.n_iter_
    at_restart = {**labels, "restart": "0"}
    assert value("emkit_fit_log_likelihood", at_restart) == estimator.lower_bounds_[-1]
    assert value("emkit_fit_elapsed_seconds", at_restart) == last.elapsed
    assert value("emkit_fit_converged", at_restart) == float(estimator.converged_)
    assert value("emkit_fit_restart", labels) == 0
    assert value("emkit_fit_rejected_jumps_total", labels) == last.rejected_jumps
    assert value("emkit_fit_invalid_jumps_total", labels) == last.invalid_jumps
    assert value("emkit_fit_non_finite_total", labels) == 0 == last.non_finite


def test_counters_add_up_over_restarts_and_fits():
    registry = CollectorRegistry()
    metrics = PrometheusMetrics(registry, prefix="gm")
    assert metrics.registry is registry
    history = History()
    gm = GaussianMixtureEM(3, n_init=3, callback=chain(history, metrics), **KWARGS)
    fits = [gm.fit(X).n_iter_ for _ in range(2)]  # n_iter_ of the best restart only
    traces = history.log_likelihoods()
    per_restart = {}  # each restart's E-steps (same in both fits: same seed)
    for record in history.records:
        per_restart[record.restart] = record.iteration
    assert fits[0] in per_restart.values()
    assert registry.get_sample_value("gm_iterations_total") == 2 * sum(per_restart.values())
    rejected = sum(
        r.rejected_jumps for r in history.records if r.iteration == per_restart[r.restart]
    )
    assert registry.get_sample_value("gm_rejected_jumps_total") == rejected
    for restart, trace in traces.items():
        labels = {"restart": str(restart)}
        assert registry.get_sample_value("gm_log_likelihood", labels) == trace[-1]
    assert registry.get_sample_value("gm_restart") == history.records[-1].restart


def _nan_means(original):
    def extrapolate(self, model, *params):
        point = original(self, model, *params)
        return dataclasses.replace(point, means=point.means * np.nan)

    return extrapolate


def _impossible_start(original):
    def extrapolate(self, model, *params):
        point = original(self, model, *params)
        return point._replace(startprob=np.zeros_like(point.startprob))

    return extrapolate


@pytest.mark.parametrize(
    "make, fault",
    [
        (lambda callback: GaussianMixtureEM(3, callback=callback, **KWARGS), _nan_means),
        (
            lambda callback: HMMEM(3, init_params="kmeans", random_state=0, callback=callback),
            _impossible_start,
        ),
    ],
    ids=["nan-log-likelihood", "impossible-sequences"],
)
def test_non_finite_values_are_counted_without_changing_the_fit(make, fault, monkeypatch):
    from emkit._accel import Squarem

    # Every SQUAREM point is broken: each jump meets a non-finite log-likelihood (a NaN
    # mean; or a start probability of zero, which rules out every sequence).
    monkeypatch.setattr(Squarem, "extrapolate", fault(Squarem.extrapolate))
    estimator, history, metrics = _fit_with_metrics(make)
    last = history.records[-1]
    assert last.non_finite == last.invalid_jumps == last.rejected_jumps > 0
    for before, after in zip(history.records, history.records[1:]):
        assert after.non_finite - before.non_finite == (after.iteration - before.iteration == 3)
    assert metrics.registry.get_sample_value("emkit_fit_non_finite_total") == last.non_finite
    # Broken jumps are replaced by plain EM steps: log-likelihood never decreases.
    assert np.all(np.diff(estimator.lower_bounds_) >= -1e-12 * np.abs(estimator.lower_bound_))


def test_a_covariance_not_positive_definite_is_not_non_finite(monkeypatch):
    def invalid(*args):
        raise ValueError("not positive-definite")

    monkeypatch.setattr("emkit._accel.Squarem.extrapolate", invalid)
    history = History()
    GaussianMixtureEM(3, callback=history, **KWARGS).fit(X)
    last = history.records[-1]
    assert last.invalid_jumps > 0 and last.non_finite == 0


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list = []

    def _record(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.requests.append((self.command, self.path, body.decode()))
        self.send_response(200)
        self.end_headers()

    do_PUT = do_POST = _record

    def log_message(self, *args):
        pass


@pytest.fixture
def pushgateway():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.requests
    server.shutdown()
    server.server_close()


def test_the_registry_is_pushed_when_each_restart_ends(pushgateway):
    url, requests = pushgateway
    metrics = PrometheusMetrics(pushgateway=url, job="nightly")
    gm = GaussianMixtureEM(2, n_init=2, random_state=0, callback=metrics).fit(X)
    assert len(requests) == 2
    method, path, body = requests[-1]
    assert method == "PUT" and path == "/metrics/job/nightly"
    pushed = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }
    for family in metrics.registry.collect():
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            assert pushed[key] == sample.value
    iterations = pushed[("emkit_fit_iterations_total", ())]
    assert iterations >= gm.n_iter_ and pushed[("emkit_fit_restart", ())] == 1


def test_push_every_pushes_every_that_many_records(pushgateway):
    url, requests = pushgateway
    history = History()
    metrics = PrometheusMetrics(pushgateway=url, push_every=2)
    GaussianMixtureEM(2, random_state=0, callback=chain(history, metrics)).fit(X)
    assert len(requests) == len(history.records) // 2 + 1  # and when the restart ends


def test_a_failing_push_warns_once_and_the_fit_goes_on():
    reference = GaussianMixtureEM(2, n_init=2, random_state=0).fit(X)
    # Port 9 on localhost (discard) refuses the connection.
    metrics = PrometheusMetrics(pushgateway="http://127.0.0.1:9", push_every=1)
    gm = GaussianMixtureEM(2, n_init=2, random_state=0, callback=metrics)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gm.fit(X)
    messages = [str(w.message) for w in caught if "could not push" in str(w.message)]
    assert len(messages) == 1 and "127.0.0.1:9" in messages[0]
    np.testing.assert_array_equal(gm.means_, reference.means_)
    assert gm.lower_bounds_ == reference.lower_bounds_


def test_clones_share_the_registry_and_pickles_get_their_own():
    metrics = PrometheusMetrics()
    gm = GaussianMixtureEM(2, random_state=0, callback=metrics)
    assert clone(gm).callback is metrics
    restored = pickle.loads(pickle.dumps(gm))
    assert restored.callback.registry is not metrics.registry
    restored.fit(X)
    assert restored.callback.registry.get_sample_value("emkit_fit_iterations_total") > 0
    assert metrics.registry.get_sample_value("emkit_fit_iterations_total") == 0


def test_bad_arguments(monkeypatch):
    with pytest.raises(ValueError, match="prefix must be a non-empty string"):
        PrometheusMetrics(prefix="")
    with pytest.raises(TypeError, match="labels must be a dict of str to str"):
        PrometheusMetrics(labels={"model": 1})
    with pytest.raises(ValueError, match="labels must not contain 'restart'"):
        PrometheusMetrics(labels={"restart": "0"})
    with pytest.raises(TypeError, match="pushgateway must be a string"):
        PrometheusMetrics(pushgateway=9091)
    with pytest.raises(ValueError, match="push_every must be a positive integer"):
        PrometheusMetrics(push_every=0)
    with pytest.raises(ValueError, match="timeout must be positive"):
        PrometheusMetrics(timeout=0)
    monkeypatch.setitem(__import__("sys").modules, "prometheus_client", None)
    with pytest.raises(ImportError, match=r"emkit\[metrics\]"):
        PrometheusMetrics()
