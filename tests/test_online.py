"""Stepwise (online) EM: partial_fit of GaussianMixtureEM and EMImputer."""

import warnings

import numpy as np
import pytest
from scipy.stats import multivariate_normal
from sklearn.exceptions import ConvergenceWarning

from emkit import EMImputer, GaussianMixtureEM, SemiSupervisedEM
from emkit._gaussian import Gaussian
from emkit.utils import align_components

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
FITTED = ["weights_", "means_", "covariances_", "precisions_cholesky_"]


def one_em_step(estimator, X, sample_weight=None, y=None, **params):
    """``estimator`` fitted by a single plain EM step."""
    estimator.set_params(max_iter=1, accelerate=None, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if y is None:
            return estimator.fit(X, sample_weight=sample_weight)
        return estimator.fit(X, y, sample_weight=sample_weight)


def with_holes(X, fraction, seed=0):
    X = X.copy()
    X[np.random.RandomState(seed).rand(*X.shape) < fraction] = np.nan
    return X


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("holes", [0.0, 0.2])
def test_one_call_with_one_batch_is_one_em_step(blobs, covariance_type, holes):
    X = with_holes(blobs[0], holes)
    w = np.random.RandomState(1).uniform(0.5, 2.0, len(X))
    # partial_fit starts from k-means (init_params="short-em" too); fit from the same.
    kwargs = {"covariance_type": covariance_type, "init_params": "kmeans", "random_state": 0}
    online = GaussianMixtureEM(3, batch_size=len(X), **kwargs).partial_fit(X, sample_weight=w)
    batch = GaussianMixtureEM(3, **kwargs)
    one_em_step(batch, X, w)
    for name in FITTED:
        np.testing.assert_allclose(getattr(online, name), getattr(batch, name), rtol=1e-10)
    assert online.n_iter_ == 1 and not online.converged_
    assert online.lower_bounds_ == pytest.approx(batch.lower_bounds_, rel=1e-12)


def raw_moments(X, weights, means, covariances):
    """Per unit weight: sum_i r_ik, sum_i r_ik x_i and sum_i r_ik x_i x_i^T."""
    densities = np.column_stack(
        [w * multivariate_normal(m, c).pdf(X) for w, m, c in zip(weights, means, covariances)]
    )
    resp = densities / densities.sum(axis=1, keepdims=True)
    n = len(X)
    return resp.sum(axis=0) / n, resp.T @ X / n, np.einsum("ik,id,ie->kde", resp, X, X) / n


def test_steps_follow_the_stepwise_em_recursion(blobs):
    # The running statistics, written as raw moments (which mix linearly
    # whatever the centring), against the recursion of Cappé & Moulines.
    X = blobs[0]
    batches = np.array_split(X, 6)
    decay, offset, reg = 0.6, 2.0, 1e-6
    start = GaussianMixtureEM(3, random_state=0, batch_size=100).partial_fit(batches[0])
    params = (start.weights_, start.means_, start.covariances_)
    gm = GaussianMixtureEM(
        3,
        reg_covar=reg,
        batch_size=100,
        learning_decay=decay,
        learning_offset=offset,
        weights_init=params[0],
        means_init=params[1],
        precisions_init=np.linalg.inv(params[2]),
    )
    running = None
    for t, batch in enumerate(batches):
        moments = raw_moments(batch, *params)
        if running is None:
            running = moments
        else:
            eta = (offset + t) ** -decay
            running = tuple((1 - eta) * r + eta * m for r, m in zip(running, moments))
        nk, sx, sxx = running
        means = sx / nk[:, None]
        covariances = sxx / nk[:, None, None] - np.einsum("kd,ke->kde", means, means)
        covariances += reg * np.eye(3)
        params = (nk / nk.sum(), means, covariances)
    gm.partial_fit(X)
    assert gm.n_iter_ == 6
    np.testing.assert_allclose(gm.weights_, params[0], rtol=1e-9)
    np.testing.assert_allclose(gm.means_, params[1], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(gm.covariances_, params[2], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_recentred_statistics_equal_statistics_at_the_new_centres(blobs, covariance_type):
    X = blobs[0]
    rng = np.random.RandomState(0)
    W = rng.dirichlet(np.ones(3), len(X))
    old, new = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    gaussian = Gaussian(covariance_type, 0.0)
    moved = gaussian.recentred(gaussian.statistics(X, W, old), old, new)
    direct = gaussian.statistics(X, W, new)
    for name in ["nk", "sx", "sxx"]:
        np.testing.assert_allclose(getattr(moved, name), getattr(direct, name), rtol=1e-10)


def test_streaming_a_million_rows_reaches_the_batch_fit():
    rng = np.random.RandomState(0)
    weights = np.array([0.5, 0.3, 0.2])
    means = np.array([[0.0, 0.0, 0.0], [4.0, 4.0, 0.0], [-4.0, 3.0, 2.0]])
    covariances = np.array(
        [np.eye(3), 0.25 * np.eye(3), [[1, 0.8, 0], [0.8, 1, 0.3], [0, 0.3, 2]]]
    )
    labels = rng.choice(3, size=1_000_000, p=weights)
    X = np.empty((1_000_000, 3))
    for k in range(3):
        rows = labels == k
        X[rows] = rng.multivariate_normal(means[k], covariances[k], rows.sum())
    online = GaussianMixtureEM(3, random_state=0)
    for batch in np.array_split(X, 200):
        online.partial_fit(batch)
    batch_fit = GaussianMixtureEM(3, random_state=0).fit(X)
    assert online.score(X) == pytest.approx(batch_fit.score(X), rel=0.01)
    order = np.argsort(online.means_[:, 0])
    truth = np.argsort(means[:, 0])
    np.testing.assert_allclose(online.weights_[order], weights[truth], atol=0.01)
    np.testing.assert_allclose(online.means_[order], means[truth], atol=0.05)
    np.testing.assert_allclose(online.covariances_[order], covariances[truth], atol=0.05)


def test_partial_fit_after_fit_continues_from_the_fitted_parameters(blobs):
    X = blobs[0]
    fitted = GaussianMixtureEM(3, random_state=0).fit(X[:400])
    start = {
        "weights_init": fitted.weights_,
        "means_init": fitted.means_,
        "precisions_init": fitted.precisions_,
    }
    fitted.set_params(batch_size=200).partial_fit(X[400:])
    expected = one_em_step(GaussianMixtureEM(3), X[400:], **start)
    for name in FITTED:
        np.testing.assert_allclose(getattr(fitted, name), getattr(expected, name), rtol=1e-9)
    assert fitted.n_iter_ == 1 and len(fitted.lower_bounds_) == 1


def test_imputer_one_batch_is_one_em_step_and_a_stream_recovers_the_covariance():
    rng = np.random.RandomState(0)
    cov = np.array([[1.0, 0.6, 0.3], [0.6, 1.0, 0.5], [0.3, 0.5, 1.0]])
    X = with_holes(rng.multivariate_normal([1.0, 2.0, 3.0], cov, 40_000), 0.25)
    online = EMImputer(batch_size=1000).partial_fit(X[:1000])
    batch = one_em_step(EMImputer(), X[:1000])
    for name in FITTED:
        np.testing.assert_allclose(getattr(online, name), getattr(batch, name), rtol=1e-10)
    for chunk in np.array_split(X[1000:], 39):
        online.partial_fit(chunk)
    np.testing.assert_allclose(online.means_[0], [1.0, 2.0, 3.0], atol=0.03)
    np.testing.assert_allclose(online.covariances_[0], cov, atol=0.03)
    full = EMImputer().fit(X)
    np.testing.assert_allclose(online.transform(X[:100]), full.transform(X[:100]), atol=0.05)


def test_float32_stays_float32(blobs):
    X = np.random.RandomState(0).permutation(blobs[0]).astype(np.float32)  # an iid stream
    gm = GaussianMixtureEM(3, random_state=0, batch_size=100).fit(X).partial_fit(X)
    assert gm.means_.dtype == np.float32 and gm.covariances_.dtype == np.float32
    X = X.astype(float)
    reference = GaussianMixtureEM(3, random_state=0, batch_size=100).fit(X).partial_fit(X)
    # The same optimum; the exploring start's runs to it tie, and rounding
    # (float32's, not float64's) may choose another run and so another order.
    gm = align_components(reference, gm)
    np.testing.assert_allclose(gm.means_, reference.means_, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"learning_decay": 0.5}, "learning_decay"),
        ({"learning_decay": 1.5}, "learning_decay"),
        ({"learning_offset": 0.0}, "learning_offset"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_bad_parameters(blobs, params, match):
    with pytest.raises(ValueError, match=match):
        GaussianMixtureEM(3, **params).partial_fit(blobs[0])


def test_failed_partial_fit_leaves_the_estimator_unchanged(blobs):
    X = blobs[0]
    gm = GaussianMixtureEM(3, random_state=0, batch_size=100).partial_fit(X)
    before = {name: getattr(gm, name).copy() for name in FITTED}
    state = gm._online
    with pytest.raises(ValueError, match="features"):
        gm.partial_fit(X[:, :2])
    with pytest.raises(ValueError, match="sample_weight"):
        gm.partial_fit(X, sample_weight=np.ones(3))
    for name in FITTED:
        np.testing.assert_array_equal(getattr(gm, name), before[name])
    assert gm._online is state
    with pytest.raises(ValueError, match="n_components"):
        GaussianMixtureEM(10).partial_fit(X[:5])


def test_partial_fit_refuses_changed_settings(blobs):
    gm = GaussianMixtureEM(3, random_state=0).fit(blobs[0]).partial_fit(blobs[0])
    for params in [{"n_components": 2}, {"covariance_type": "diag"}]:
        with pytest.raises(ValueError, match="partial_fit continues the previous fit"):
            gm.set_params(**params).partial_fit(blobs[0])
        gm.set_params(n_components=3, covariance_type="full")


@pytest.mark.parametrize("emission", ["gaussian", "multinomial"])
def test_semi_supervised_one_batch_is_one_em_step(blobs, emission):
    X, y, _ = blobs
    if emission == "multinomial":
        X = np.random.RandomState(0).poisson(np.exp(X / 3))
    labels = np.where(np.random.RandomState(1).rand(len(y)) < 0.3, y, -1)
    kwargs = {"emission": emission, "random_state": 0}
    online = SemiSupervisedEM(batch_size=len(X), **kwargs).partial_fit(X, labels)
    batch = one_em_step(SemiSupervisedEM(**kwargs), X, y=labels)
    names = {"gaussian": ["means_", "covariances_"], "multinomial": ["feature_log_prob_"]}
    for name in ["weights_", *names[emission]]:
        np.testing.assert_allclose(getattr(online, name), getattr(batch, name), rtol=1e-10)
    np.testing.assert_array_equal(online.classes_, [0, 1, 2])
    assert not hasattr(online, "transduction_")


def test_semi_supervised_stream_with_few_labels_learns_the_classes():
    rng = np.random.RandomState(0)
    means = np.array([[0.0, 0.0], [3.0, 3.0]])
    clf = SemiSupervisedEM(covariance_type="spherical", random_state=0)
    for _ in range(40):
        truth = rng.randint(2, size=500)
        X = rng.normal(means[truth], 1.0)
        y = np.array(["no", "yes"], dtype=object)[truth]
        y[rng.rand(500) >= 0.02] = -1  # 2% labeled
        clf.partial_fit(X, y, classes=["no", "yes"])
    np.testing.assert_allclose(clf.means_, means, atol=0.1)
    truth = rng.randint(2, size=2000)
    X = rng.normal(means[truth], 1.0)
    assert clf.score(X, np.array(["no", "yes"], dtype=object)[truth]) > 0.9
    with pytest.raises(ValueError, match="not among the classes"):
        clf.partial_fit(X[:5], np.array(["maybe"] * 5, dtype=object))
    assert clf.n_iter_ == 40


def test_semi_supervised_partial_fit_after_fit_refuses_changed_settings(blobs):
    X, y, _ = blobs
    clf = SemiSupervisedEM(random_state=0).fit(X, y)
    clf.partial_fit(X, y)
    assert clf.n_iter_ == 1 and not hasattr(clf, "transduction_")
    for params in [
        {"n_components_per_class": 2},
        {"covariance_type": "diag"},
        {"covariance_type": "tied"},  # (k, d, d) full covariances would be taken as tied
        {"emission": "multinomial"},
    ]:
        with pytest.raises(ValueError, match="partial_fit continues the previous fit"):
            clf.set_params(**params).partial_fit(np.abs(X).round(), y)
        clf.set_params(n_components_per_class=1, covariance_type="full", emission="gaussian")
