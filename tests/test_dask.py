"""Exact EM on Dask arrays, on a real two-process LocalCluster."""

import sys

import joblib
import numpy as np
import pytest

import emkit._starts
from emkit import HMMEM, EMImputer, GaussianMixtureEM, SemiSupervisedEM

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
FITTED = ["weights_", "means_", "covariances_", "precisions_cholesky_"]


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def with_holes(X, fraction, seed=0):
    X = X.copy()
    X[np.random.RandomState(seed).rand(*X.shape) < fraction] = np.nan
    return X


def assert_same_fit(a, b, rtol=1e-8):
    assert a.n_iter_ == b.n_iter_
    for name in FITTED:
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_mixture_on_the_cluster_equals_the_in_memory_fit(client, blobs, covariance_type):
    X = with_holes(np.tile(blobs[0], (3, 1)), 0.1)
    w = np.random.RandomState(0).uniform(0.5, 2.0, len(X))
    dX = da.from_array(X, chunks=(500, 3))
    kwargs = {"covariance_type": covariance_type, "random_state": 0}
    local = GaussianMixtureEM(3, **kwargs).fit(X, sample_weight=w)
    with distributed.get_task_stream(client) as tasks:
        remote = GaussianMixtureEM(3, **kwargs).fit(dX, sample_weight=da.from_array(w, 700))
    assert any("_block_e_step" in str(task["key"]) for task in tasks.data)
    assert_same_fit(local, remote)

    proba = remote.predict_proba(dX)
    assert isinstance(proba, da.Array) and isinstance(remote.predict(dX), da.Array)
    np.testing.assert_allclose(proba.compute(), local.predict_proba(X), rtol=1e-8, atol=1e-12)
    np.testing.assert_array_equal(remote.predict(dX).compute(), local.predict(X))
    np.testing.assert_allclose(remote.score_samples(dX).compute(), local.score_samples(X))
    assert remote.score(dX) == pytest.approx(local.score(X), rel=1e-10)
    assert remote.bic(dX) == pytest.approx(local.bic(X), rel=1e-10)


def test_large_data_initialise_on_a_sample(client, blobs, monkeypatch):
    X = np.random.RandomState(1).permutation(np.tile(blobs[0], (5, 1)))
    monkeypatch.setattr(emkit._starts, "START_ROWS", 300)  # as if X were larger
    remote = GaussianMixtureEM(3, random_state=0, tol=1e-10).fit(da.from_array(X, 1000))
    local = GaussianMixtureEM(3, random_state=0, tol=1e-10).fit(X)
    order_remote, order_local = np.argsort(remote.means_[:, 0]), np.argsort(local.means_[:, 0])
    np.testing.assert_allclose(remote.means_[order_remote], local.means_[order_local], rtol=1e-6)


def test_imputer_on_the_cluster_equals_the_in_memory_fit(client):
    rng = np.random.RandomState(0)
    cov = np.array([[1.0, 0.6, 0.3], [0.6, 1.0, 0.5], [0.3, 0.5, 1.0]])
    X = with_holes(rng.multivariate_normal([1.0, 2.0, 3.0], cov, 3000), 0.25)
    X[:, 2][:40] = np.nan
    dX = da.from_array(X, chunks=(400, 3))
    for kwargs in [{}, {"n_components": 2, "random_state": 0}, {"add_indicator": True}]:
        local, remote = EMImputer(**kwargs).fit(X), EMImputer(**kwargs).fit(dX)
        assert_same_fit(local, remote)
        filled = remote.transform(dX)
        assert isinstance(filled, da.Array)
        np.testing.assert_allclose(filled.compute(), local.transform(X), rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(remote.predict_proba(dX).compute(), local.predict_proba(X))
        assert remote.score(dX) == pytest.approx(local.score(X), rel=1e-10)
    placeholder = np.where(np.isnan(X), -1.0, X)
    remote = EMImputer(missing_values=-1.0).fit(da.from_array(placeholder, chunks=(400, 3)))
    assert_same_fit(EMImputer().fit(X), remote)
    with pytest.raises(ValueError, match="sample_posterior"):
        EMImputer(sample_posterior=True).fit(dX).transform(dX)


def test_hmm_restarts_run_on_the_cluster_through_joblib(client):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(1200, 2))
    X[300:600] += 3.0
    local = HMMEM(3, n_init=4, n_jobs=2, random_state=0).fit(X, lengths=[600, 600])
    with distributed.get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
        remote = HMMEM(3, n_init=4, n_jobs=2, random_state=0).fit(X, lengths=[600, 600])
    assert len(tasks.data) > 0
    np.testing.assert_array_equal(remote.means_, local.means_)
    np.testing.assert_array_equal(remote.transmat_, local.transmat_)


@pytest.mark.parametrize(
    "X, error, match",
    [
        (da.ones(10, chunks=5), ValueError, "2D Dask array"),
        (da.from_array(np.array([[1.0, np.inf]] * 6), chunks=3), ValueError, "infinity"),
        (da.from_array(np.array([["a", "b"]] * 6)), TypeError, "numbers"),
        (da.from_array(np.array([[1.0, np.nan]] * 6), chunks=3), ValueError, "column"),
        (da.from_array(np.array([[1.0, 2.0]] * 6) * 1e200, chunks=3), ValueError, "Scale X"),
        (da.from_array(np.array([[1.0, 2.0]] * 6, np.float32) * 1e20), ValueError, "Scale X"),
    ],
)
def test_bad_dask_input(client, X, error, match):
    gm = GaussianMixtureEM(2, random_state=0).fit(np.random.RandomState(0).normal(size=(20, 2)))
    means = gm.means_.copy()
    with pytest.raises(error, match=match):
        gm.fit(X)
    np.testing.assert_array_equal(gm.means_, means)


def test_bad_dask_weights_and_new_features(client, blobs):
    dX = da.from_array(blobs[0], chunks=200)
    with pytest.raises(ValueError, match="non-negative"):
        GaussianMixtureEM(3).fit(dX, sample_weight=-da.ones(len(blobs[0]), chunks=200))
    with pytest.raises(ValueError, match="sample_weight must have shape"):
        GaussianMixtureEM(3).fit(dX, sample_weight=np.ones(5))
    only_zero_weight = np.c_[blobs[0][:, :1], np.where(np.arange(len(blobs[0])) < 5, 1.0, np.nan)]
    weights = (np.arange(len(blobs[0])) >= 5).astype(float)
    with pytest.raises(ValueError, match="sample_weight is positive on 1 row"):
        GaussianMixtureEM(3).fit(dX, sample_weight=(np.arange(len(blobs[0])) == 0).astype(float))
    with pytest.raises(ValueError, match=r"column\(s\) \[1\] are observed only in rows whose"):
        GaussianMixtureEM(3).fit(
            da.from_array(only_zero_weight, chunks=200), sample_weight=weights
        )
    gm = GaussianMixtureEM(3, random_state=0).fit(dX)
    with pytest.raises(ValueError, match="features"):
        gm.predict(dX[:, :2])


def test_without_dask_the_error_names_the_extra(blobs, monkeypatch):
    dX = da.from_array(blobs[0], chunks=200)
    monkeypatch.setitem(sys.modules, "dask", None)
    with pytest.raises(ImportError, match=r"emkit\[dask\]"):
        GaussianMixtureEM(3).fit(dX)


def test_semi_supervised_on_the_cluster_equals_the_in_memory_fit(client, blobs):
    X, y, _ = blobs
    X = with_holes(X, 0.1)
    truth = np.array(["a", "b", "c"], dtype=object)[y]
    labels = truth.copy()
    labels[np.random.RandomState(0).rand(len(y)) < 0.8] = -1
    dX = da.from_array(X, chunks=150)
    local = SemiSupervisedEM(random_state=0).fit(X, labels)
    remote = SemiSupervisedEM(random_state=0).fit(dX, da.from_array(labels, chunks=150))
    assert local.n_iter_ == remote.n_iter_
    for name in ["weights_", "means_", "covariances_"]:
        np.testing.assert_allclose(getattr(remote, name), getattr(local, name), rtol=1e-8)
    np.testing.assert_array_equal(remote.transduction_, local.transduction_)
    predicted = remote.predict(dX)
    assert isinstance(predicted, da.Array)
    np.testing.assert_array_equal(predicted.compute(), local.predict(X))
    np.testing.assert_allclose(remote.predict_proba(dX).compute(), local.predict_proba(X))
    assert remote.score(dX, truth) == local.score(X, truth)
    with pytest.raises(ValueError, match="emission='gaussian'"):
        SemiSupervisedEM(emission="multinomial").fit(abs(dX), labels)
