"""The MLflowLogger callback against the real MLflow, with a local file store."""

import pickle
import sys
import warnings

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient
from sklearn.base import clone

from emkit import (
    HMMEM,
    BayesianGaussianMixtureEM,
    EMImputer,
    GaussianMixtureEM,
    SemiSupervisedEM,
)
from emkit.callbacks import History, MLflowLogger, chain
from emkit.datasets import load_faithful
from emkit.io import from_json

X = load_faithful().data
# Each metric logged at every record, and the record's attribute it holds.
PER_RECORD = {
    "log_likelihood": "log_likelihood",
    "elapsed_seconds": "elapsed",
    "rejected_jumps": "rejected_jumps",
    "invalid_jumps": "invalid_jumps",
    "non_finite": "non_finite",
}


@pytest.fixture
def client(tmp_path, monkeypatch):
    """A client of a new local file store, which is the tracking URI meanwhile."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 asks for the opt-in
    previous = mlflow.get_tracking_uri()
    uri = (tmp_path / "mlruns").as_uri()
    mlflow.set_tracking_uri(uri)
    yield MlflowClient(uri)
    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.set_tracking_uri(previous)


def _history(client, run_id, key):
    """A metric's values in the order of their steps, and the steps."""
    metrics = sorted(client.get_metric_history(run_id, key), key=lambda metric: metric.step)
    return [metric.value for metric in metrics], [metric.step for metric in metrics]


def _saved_model(client, run_id, tmp_path, artifact_file="model.json"):
    path = client.download_artifacts(run_id, artifact_file, str(tmp_path / "download"))
    with open(path, encoding="utf-8") as file:
        return from_json(file.read())


def _expected_params(estimator):
    params = estimator.get_params(deep=True)
    del params["callback"]
    return {name: str(value) for name, value in params.items()}


def _check_run(client, run_id, estimator, history, tmp_path, data):
    """The run holds the fit's parameters, every record, and a model that predicts the same."""
    run = client.get_run(run_id)
    assert run.data.params == _expected_params(estimator)
    records = history.records
    for restart in {record.restart for record in records}:
        own = [record for record in records if record.restart == restart]
        for name, attribute in PER_RECORD.items():
            values, steps = _history(client, run_id, f"{name}/restart_{restart}")
            assert values == [float(getattr(record, attribute)) for record in own]
            assert steps == [record.iteration for record in own]
    # The returned restart's trace is lower_bounds_, step by step.
    traces = [
        _history(client, run_id, f"log_likelihood/restart_{r}")[0]
        for r in {record.restart for record in records}
    ]
    assert estimator.lower_bounds_ in traces
    assert run.data.metrics["lower_bound_"] == estimator.lower_bound_
    assert run.data.metrics["n_iter_"] == estimator.n_iter_
    assert run.data.metrics["converged_"] == float(estimator.converged_)
    saved = _saved_model(client, run_id, tmp_path)
    assert type(saved) is type(estimator)
    np.testing.assert_array_equal(saved.predict(data), estimator.predict(data))
    assert saved.score(data) == estimator.score(data)
    assert saved.callback is None and saved.n_iter_ == estimator.n_iter_


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_mixture_fit_is_logged_to_the_active_run(client, tmp_path, n_jobs):
    history, logger = History(), MLflowLogger()
    gm = GaussianMixtureEM(
        3, n_init=3, n_jobs=n_jobs, random_state=0, callback=chain(history, logger)
    )
    with mlflow.start_run() as run:
        gm.fit(X)
        assert mlflow.active_run().info.run_id == run.info.run_id  # left open
    assert logger.run_id_ == run.info.run_id
    assert {record.restart for record in history.records} == {0, 1, 2}
    _check_run(client, run.info.run_id, gm, history, tmp_path, X)
    for restart in range(3):
        converged, steps = _history(client, run.info.run_id, f"converged/restart_{restart}")
        last = [record for record in history.records if record.restart == restart][-1]
        assert converged in ([0.0], [1.0]) and steps[0] >= last.iteration


def test_an_hmm_fit_without_an_active_run_gets_a_run_of_its_own(client, tmp_path):
    history, logger = History(), MLflowLogger(artifact_file="models/hmm.json")
    hmm = HMMEM(3, init_params="kmeans", random_state=0, callback=chain(history, logger))
    hmm.fit(X, lengths=[136, 136])
    assert mlflow.active_run() is None  # the logger's own run is over
    run = client.get_run(logger.run_id_)
    assert run.info.status == "FINISHED"
    assert history.records[-1].rejected_jumps > 0  # SQUAREM: records skip iterations
    values, steps = _history(client, logger.run_id_, "log_likelihood/restart_0")
    assert values == hmm.lower_bounds_
    assert steps == [record.iteration for record in history.records]
    saved = _saved_model(client, logger.run_id_, tmp_path, "models/hmm.json")
    np.testing.assert_array_equal(saved.transmat_, hmm.transmat_)
    np.testing.assert_array_equal(saved.predict(X, [136, 136]), hmm.predict(X, [136, 136]))
    assert saved._n_fit_sequences == hmm._n_fit_sequences == 2
    assert run.data.params == _expected_params(hmm)


@pytest.mark.parametrize(
    "estimator, args",
    [
        (BayesianGaussianMixtureEM(n_components=2, random_state=0), (X,)),
        (EMImputer(n_components=2, random_state=0), (np.where(X > 80, np.nan, X),)),
        (SemiSupervisedEM(random_state=0), (X, np.r_[[0, 1], -np.ones(len(X) - 2, int)])),
    ],
    ids=["bayesian", "imputer", "semi-supervised"],
)
def test_every_estimator_logs_its_fit(client, tmp_path, estimator, args):
    logger = MLflowLogger()
    estimator.set_params(callback=logger).fit(*args)
    run = client.get_run(logger.run_id_)
    assert run.info.status == "FINISHED"
    assert run.data.params == _expected_params(estimator)
    assert run.data.metrics["lower_bound_"] == estimator.lower_bound_
    saved = _saved_model(client, logger.run_id_, tmp_path)
    method = "transform" if isinstance(estimator, EMImputer) else "predict"
    np.testing.assert_array_equal(
        getattr(saved, method)(args[0]), getattr(estimator, method)(args[0])
    )


def test_a_given_run_is_logged_to_and_left_open(client):
    run_id = client.create_run(client.create_experiment("given")).info.run_id
    logger = MLflowLogger(run_id, artifact_file=None)
    gm = GaussianMixtureEM(2, random_state=0, callback=logger).fit(X)
    run = client.get_run(run_id)
    assert logger.run_id_ == run_id and run.info.status == "RUNNING"
    assert _history(client, run_id, "log_likelihood/restart_0")[0] == gm.lower_bounds_
    assert client.list_artifacts(run_id) == []


def test_a_fit_that_raises_fails_the_loggers_run(client):
    def crash(record):  # after the logger logged the record
        raise KeyError("crash")

    logger = MLflowLogger()
    with pytest.raises(KeyError, match="crash"):
        GaussianMixtureEM(2, random_state=0, callback=chain(logger, crash)).fit(X)
    run = client.get_run(logger.run_id_)
    assert run.info.status == "FAILED"
    assert mlflow.active_run() is None
    assert client.list_artifacts(logger.run_id_) == []
    assert len(_history(client, logger.run_id_, "log_likelihood/restart_0")[0]) == 1


def test_a_second_fit_logs_to_a_new_run(client):
    logger = MLflowLogger()
    gm = GaussianMixtureEM(2, random_state=0, callback=logger).fit(X)
    first = logger.run_id_
    gm.set_params(n_components=3).fit(X)
    assert logger.run_id_ != first
    assert client.get_run(first).data.params["n_components"] == "2"
    assert client.get_run(logger.run_id_).data.params["n_components"] == "3"


def test_logging_failures_warn_once_and_never_fail_the_fit(client):
    logger = MLflowLogger("no-such-run")
    with pytest.warns(UserWarning, match="MLflowLogger could not log") as caught:
        logged = GaussianMixtureEM(2, random_state=0, callback=logger).fit(X)
    assert len([w for w in caught if "MLflowLogger" in str(w.message)]) == 1
    plain = GaussianMixtureEM(2, random_state=0).fit(X)
    np.testing.assert_array_equal(logged.means_, plain.means_)


def test_clones_and_pickles_log_their_own_fits(client):
    gm = GaussianMixtureEM(2, random_state=0, callback=MLflowLogger())
    copy = clone(gm).fit(X)
    restored = pickle.loads(pickle.dumps(gm.fit(X)))
    restored.fit(X)
    runs = {gm.callback.run_id_, copy.callback.run_id_, restored.callback.run_id_}
    assert len(runs) == 3
    for run_id in runs:
        assert _history(client, run_id, "log_likelihood/restart_0")[0] == gm.lower_bounds_


def test_bad_arguments():
    with pytest.raises(TypeError, match="run_id"):
        MLflowLogger(7)
    with pytest.raises(TypeError, match="artifact_file"):
        MLflowLogger(artifact_file="")


def test_without_mlflow_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow raises ImportError
    with pytest.raises(ImportError, match=r"emkit\[mlflow\]"):
        MLflowLogger()


def test_begin_and_end_fit_reach_every_callback_of_a_chain():
    class Hooks:
        def __init__(self):
            self.calls = []

        def __call__(self, record):
            self.calls.append("record")

        def begin_fit(self):
            self.calls.append("begin")

        def end_fit(self, estimator):
            self.calls.append(estimator)

    first, second = Hooks(), Hooks()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gm = GaussianMixtureEM(2, random_state=0, callback=chain(first, second)).fit(X)
    for hooks in (first, second):
        assert hooks.calls[0] == "begin" and hooks.calls[1:-1] == ["record"] * len(
            gm.lower_bounds_
        )
        fitted = hooks.calls[-1]
        assert fitted.callback is None and fitted is not gm
        np.testing.assert_array_equal(fitted.means_, gm.means_)
        assert fitted.lower_bounds_ == gm.lower_bounds_ and fitted.converged_ == gm.converged_
