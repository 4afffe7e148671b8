import copy
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture

from emkit import BayesianGaussianMixtureEM, GaussianMixtureEM
from emkit._em import RowData
from emkit._missing import find_missing
from emkit.datasets import load_faithful

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
WEIGHT_PRIORS = ["dirichlet_process", "dirichlet_distribution"]
FITTED = [
    "weights_",
    "means_",
    "covariances_",
    "precisions_",
    "precisions_cholesky_",
    "mean_precision_",
    "degrees_of_freedom_",
    "weight_concentration_",
    "mean_prior_",
    "covariance_prior_",
    "weight_concentration_prior_",
    "mean_precision_prior_",
    "degrees_of_freedom_prior_",
]
# What reproduces scikit-learn's iterates: its start, plain iterations, its stopping rule.
AS_SKLEARN = dict(init_params="kmeans", accelerate=None, stopping="change")


def assert_same_fit(ours, theirs, rtol=1e-6):
    for name in FITTED:
        np.testing.assert_allclose(
            np.asarray(getattr(ours, name), dtype=float),
            np.asarray(getattr(theirs, name), dtype=float),
            rtol=rtol,
            atol=1e-12,
            err_msg=name,
        )
    lower_bounds = [float(np.ravel(value)[0]) for value in theirs.lower_bounds_]
    np.testing.assert_allclose(ours.lower_bounds_, lower_bounds, rtol=rtol)
    np.testing.assert_allclose(ours.lower_bound_, lower_bounds[-1], rtol=rtol)
    assert ours.n_iter_ == theirs.n_iter_


def overlapping(n_samples=400, n_features=3, seed=0):
    """Four overlapping clusters of different spreads."""
    rng = np.random.RandomState(seed)
    parts = [
        rng.standard_normal((n_samples // 4, n_features)) * rng.uniform(0.3, 2, n_features)
        + 3 * rng.standard_normal(n_features)
        for _ in range(4)
    ]
    return np.vstack(parts)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("weight_prior", WEIGHT_PRIORS)
@pytest.mark.parametrize("max_iter", [1, 3, 25])
def test_reproduces_sklearn_iterates(covariance_type, weight_prior, max_iter):
    X = overlapping()
    kwargs = dict(
        n_components=5,
        covariance_type=covariance_type,
        weight_concentration_prior_type=weight_prior,
        tol=0,
        max_iter=max_iter,
        random_state=1,
    )
    with pytest.warns(ConvergenceWarning):
        theirs = BayesianGaussianMixture(init_params="kmeans", **kwargs).fit(X)
    with pytest.warns(ConvergenceWarning):
        ours = BayesianGaussianMixtureEM(**kwargs | AS_SKLEARN).fit(X)
    assert_same_fit(ours, theirs)
    np.testing.assert_allclose(ours.score_samples(X), theirs.score_samples(X), rtol=1e-8)
    np.testing.assert_allclose(
        ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-6, atol=1e-10
    )


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_reproduces_sklearn_at_its_default_tol_with_given_priors(covariance_type):
    X = overlapping(n_features=2, seed=3)
    shape = {"full": (2, 2), "tied": (2, 2), "diag": (2,), "spherical": ()}[covariance_type]
    covariance_prior = np.full(shape, 0.3) + (np.eye(2) if len(shape) == 2 else 0.4)
    kwargs = dict(
        n_components=4,
        covariance_type=covariance_type,
        weight_concentration_prior_type="dirichlet_distribution",
        weight_concentration_prior=0.05,
        mean_precision_prior=0.2,
        mean_prior=[1.0, -1.0],
        degrees_of_freedom_prior=3.5,
        covariance_prior=covariance_prior if shape else 0.7,
        max_iter=500,
        random_state=2,
    )
    theirs = BayesianGaussianMixture(init_params="kmeans", **kwargs).fit(X)
    ours = BayesianGaussianMixtureEM(**kwargs | AS_SKLEARN).fit(X)
    assert theirs.converged_ and ours.converged_
    assert_same_fit(ours, theirs)


def test_fit_predict_equals_fit_then_predict():
    X = overlapping()
    bgm = BayesianGaussianMixtureEM(5, random_state=0)
    np.testing.assert_array_equal(bgm.fit_predict(X), bgm.fit(X).predict(X))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_sample_weight_equals_repeated_rows(covariance_type):
    X = overlapping(n_samples=200, seed=4)
    w = np.random.RandomState(0).randint(0, 4, len(X))
    kwargs = dict(covariance_type=covariance_type, tol=0, random_state=0, accelerate=None)
    with pytest.warns(ConvergenceWarning):
        start = BayesianGaussianMixtureEM(4, max_iter=2, **kwargs).fit(X)
    # Both go on from the same start, one with weights, one with repeated rows.
    weighted, repeated = copy.deepcopy(start), copy.deepcopy(start)
    settings = dict(warm_start=True, max_iter=15)
    with pytest.warns(ConvergenceWarning):
        weighted.set_params(**settings).fit(X, sample_weight=w)
    with pytest.warns(ConvergenceWarning):
        repeated.set_params(**settings).fit(np.repeat(X, w, axis=0))
    for name in FITTED:
        np.testing.assert_allclose(
            np.asarray(getattr(weighted, name), dtype=float),
            np.asarray(getattr(repeated, name), dtype=float),
            rtol=1e-9,
            atol=1e-12,
            err_msg=name,
        )
    np.testing.assert_allclose(weighted.lower_bounds_, repeated.lower_bounds_, rtol=1e-10)


def test_same_fit_for_any_n_jobs_and_chunk_size():
    X = overlapping(n_samples=2000, seed=5)
    kwargs = dict(n_components=6, random_state=0)
    reference = BayesianGaussianMixtureEM(**kwargs, n_jobs=1).fit(X)
    with config_context(working_memory=0.05):  # several chunks
        chunked = BayesianGaussianMixtureEM(**kwargs, n_jobs=1).fit(X)
        threaded = BayesianGaussianMixtureEM(**kwargs, n_jobs=2).fit(X)
    np.testing.assert_array_equal(chunked.means_, threaded.means_)
    assert chunked.lower_bounds_ == threaded.lower_bounds_
    np.testing.assert_allclose(chunked.means_, reference.means_, rtol=1e-9)
    np.testing.assert_allclose(chunked.lower_bound_, reference.lower_bound_, rtol=1e-12)


def test_restarts_keep_the_best_lower_bound():
    X = overlapping(seed=6)
    records = []
    kwargs = dict(n_components=5, init_params="random_from_data", random_state=0)
    best = BayesianGaussianMixtureEM(**kwargs, n_init=4, callback=records.append).fit(X)
    last = {record.restart: record.log_likelihood * len(X) for record in records}
    assert sorted(last) == [0, 1, 2, 3]
    assert best.lower_bound_ == pytest.approx(max(last.values()), rel=1e-12)
    assert len(set(np.round(list(last.values()), 6))) > 1  # the restarts differ


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    covariance_type=st.sampled_from(COVARIANCE_TYPES),
    weight_prior=st.sampled_from(WEIGHT_PRIORS),
    init_params=st.sampled_from(["kmeans", "random", "random_from_data"]),
    accelerate=st.sampled_from([None, "squarem"]),
    weighted=st.booleans(),
    missing=st.booleans(),
)
def test_lower_bound_never_decreases(
    seed, covariance_type, weight_prior, init_params, accelerate, weighted, missing
):
    rng = np.random.RandomState(seed)
    X = overlapping(n_samples=120, seed=seed % 100)
    if missing:
        X[rng.rand(*X.shape) < 0.15] = np.nan
        X[np.isnan(X).all(axis=1), 0] = 0.0
    w = rng.uniform(0, 3, len(X)) if weighted else None
    bgm = BayesianGaussianMixtureEM(
        4,
        covariance_type=covariance_type,
        weight_concentration_prior_type=weight_prior,
        init_params=init_params,
        accelerate=accelerate,
        tol=0,
        max_iter=40,
        random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        bgm.fit(X, sample_weight=w)
    bounds = np.array(bgm.lower_bounds_)
    assert np.all(np.isfinite(bounds))
    assert np.all(np.diff(bounds) >= -1e-10 * np.abs(bounds[1:]))


PRIOR_SCALES = {"full": np.eye, "tied": np.eye, "diag": np.ones, "spherical": lambda d: 1.0}


@pytest.mark.parametrize("case", ["copied", "float32", "scales", "constant", "nan"])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("weight_prior", WEIGHT_PRIORS)
@pytest.mark.parametrize("accelerate", [None, "squarem"])
def test_the_bound_never_falls_on_singular_data_without_reg_covar(
    reliability_cases, case, covariance_type, weight_prior, accelerate
):
    """With a positive-definite covariance_prior, every posterior scale matrix is
    positive-definite without reg_covar, and with reg_covar=0 every update is exact
    coordinate ascent. (The default prior, X's covariance, is singular on these data:
    with it and reg_covar, the bound falls on about a quarter of these fits.)"""
    X = reliability_cases[case]
    scale = PRIOR_SCALES[covariance_type](X.shape[1])
    bgm = BayesianGaussianMixtureEM(
        3, covariance_type=covariance_type, weight_concentration_prior_type=weight_prior,
        reg_covar=0.0, covariance_prior=scale, init_params="random", tol=1e-10,
        max_iter=300, accelerate=accelerate, random_state=0,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        bgm.fit(X)
    bounds = np.array(bgm.lower_bounds_)
    assert np.all(np.isfinite(bounds)) and len(bounds) > 2
    assert np.all(np.diff(bounds) >= -1e-10 * np.abs(bounds[1:]))


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag"])
def test_a_singular_default_covariance_prior_without_reg_covar_is_named(
    reliability_cases, covariance_type
):
    X = reliability_cases["constant"]
    bgm = BayesianGaussianMixtureEM(2, covariance_type=covariance_type, random_state=0).fit(X)
    before = copy.deepcopy(bgm.__dict__)
    with pytest.raises(ValueError, match="covariance_prior: its default, the covariance of X"):
        bgm.set_params(reg_covar=0.0).fit(X)
    bgm.set_params(reg_covar=1e-6)
    for name, value in before.items():
        np.testing.assert_equal(getattr(bgm, name), value)


def test_missing_values_entropy_is_that_of_the_conditional_gaussians():
    """The bound of rows with NaN gains sum_k r_ik H_ik, H_ik the entropy of the missing
    values' Gaussian given component k: m/2 (1 + log 2 pi) + log det(P_k[m, m]^-1) / 2."""
    X = overlapping(n_samples=60, n_features=3, seed=7)
    bgm = BayesianGaussianMixtureEM(3, random_state=0).fit(X)
    rng = np.random.RandomState(1)
    X[rng.rand(*X.shape) < 0.3] = np.nan
    X[np.isnan(X).all(axis=1), 1] = 0.5
    model, params = bgm._model(None), bgm._params()
    incomplete = np.isnan(X).any(axis=1)
    chunk = RowData(X[incomplete], np.ones(incomplete.sum()), find_missing(X[incomplete]))
    resp = bgm.predict_proba(X[incomplete])
    conditioned = model._log_joint(params, chunk.X, chunk.missing)
    rows = chunk.missing.rows
    entropies = model._missing_entropy(params, conditioned, resp[rows], chunk.missing)
    precisions = np.asarray(bgm.precisions_)
    expected = []
    for row, r in zip(chunk.X[rows], resp[rows]):
        m = np.isnan(row)
        h = [
            0.5 * m.sum() * (1 + np.log(2 * np.pi))
            + 0.5 * np.linalg.slogdet(np.linalg.inv(p[np.ix_(m, m)]))[1]
            for p in precisions
        ]
        expected.append(r @ h)
    np.testing.assert_allclose(entropies, expected, rtol=1e-10)


def test_missing_values_recover_the_clusters():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(-4, 1, (300, 3)), rng.normal(4, 1, (300, 3))])
    X[rng.rand(*X.shape) < 0.2] = np.nan
    X[np.isnan(X).all(axis=1), 0] = 0.0
    bgm = BayesianGaussianMixtureEM(6, random_state=0).fit(X)
    big = np.sort(bgm.weights_)[::-1][:2]
    assert big.sum() > 0.97
    heavy = bgm.means_[np.argsort(bgm.weights_)[::-1][:2]]
    np.testing.assert_allclose(np.sort(heavy[:, 0]), [-4, 4], atol=0.2)


def test_dirichlet_process_keeps_the_components_bic_chooses_on_old_faithful():
    X = load_faithful().data
    bics = {k: GaussianMixtureEM(k, random_state=0).fit(X).bic(X) for k in range(1, 7)}
    chosen = min(bics, key=bics.get)
    bgm = BayesianGaussianMixtureEM(10, random_state=0).fit(X)
    effective = int(np.sum(bgm.weights_ > 0.02))
    assert effective == chosen


def test_sample_follows_the_fitted_mixture():
    X = overlapping(seed=8)
    bgm = BayesianGaussianMixtureEM(4, random_state=0).fit(X)
    drawn, labels = bgm.sample(20_000, random_state=0)
    counts = np.bincount(labels, minlength=4) / len(labels)
    np.testing.assert_allclose(counts, bgm.weights_, atol=0.02)
    heavy = np.argmax(bgm.weights_)
    np.testing.assert_allclose(drawn[labels == heavy].mean(axis=0), bgm.means_[heavy], atol=0.1)


def test_warm_start_continues_and_callback_sees_every_iteration():
    X = overlapping(seed=9)
    records = []
    kwargs = dict(tol=0, random_state=0, accelerate=None)
    with pytest.warns(ConvergenceWarning):
        first = BayesianGaussianMixtureEM(4, max_iter=5, **kwargs).fit(X)
    with pytest.warns(ConvergenceWarning):
        whole = BayesianGaussianMixtureEM(4, max_iter=12, callback=records.append, **kwargs).fit(X)
    with pytest.warns(ConvergenceWarning):
        first.set_params(warm_start=True, max_iter=7).fit(X)
    np.testing.assert_allclose(first.means_, whole.means_, rtol=1e-10)
    np.testing.assert_allclose(first.lower_bounds_, whole.lower_bounds_[5:], rtol=1e-10)
    assert [r.iteration for r in records] == list(range(1, 13))
    # Records hold the bound per unit of weight; a record's estimator is the fit stopped there.
    np.testing.assert_allclose(
        [r.log_likelihood * len(X) for r in records], whole.lower_bounds_, rtol=1e-12
    )
    stopped = records[4].estimator()
    np.testing.assert_allclose(stopped.lower_bound_, whole.lower_bounds_[4], rtol=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("weight_prior", WEIGHT_PRIORS)
def test_one_minibatch_of_all_rows_is_one_variational_iteration(covariance_type, weight_prior):
    X = overlapping(n_samples=300, seed=10)
    kwargs = dict(
        covariance_type=covariance_type,
        weight_concentration_prior_type=weight_prior,
        init_params="kmeans",
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning):
        batch = BayesianGaussianMixtureEM(4, max_iter=1, tol=0, accelerate=None, **kwargs).fit(X)
    online = BayesianGaussianMixtureEM(4, total_samples=len(X), batch_size=len(X), **kwargs)
    online.partial_fit(X)
    for name in FITTED:
        np.testing.assert_allclose(
            np.asarray(getattr(online, name), dtype=float),
            np.asarray(getattr(batch, name), dtype=float),
            rtol=1e-9,
            atol=1e-12,
            err_msg=name,
        )
    assert online.n_iter_ == 1 and not online.converged_


@pytest.mark.parametrize("weight_prior", WEIGHT_PRIORS)
def test_stochastic_steps_keep_the_posterior_counts_at_total_samples(weight_prior):
    """Each natural-gradient step is a convex combination of statistics scaled to
    total_samples rows, so the posterior's pseudo-counts add up to it after every step."""
    X = overlapping(n_samples=2000, seed=11)
    bgm = BayesianGaussianMixtureEM(
        5,
        weight_concentration_prior_type=weight_prior,
        total_samples=12_345.0,
        batch_size=100,
        random_state=0,
    )
    for batch in np.array_split(X, 4):
        bgm.partial_fit(batch)
        counts = bgm.mean_precision_ - bgm.mean_precision_prior_
        np.testing.assert_allclose(counts.sum(), 12_345.0, rtol=1e-9)
        np.testing.assert_allclose(bgm.degrees_of_freedom_ - bgm.degrees_of_freedom_prior_, counts)
        concentration = np.asarray(bgm.weight_concentration_)
        first = concentration[0] - 1.0 if concentration.ndim == 2 else concentration
        np.testing.assert_allclose(first, counts + (concentration.ndim == 1) * (1 / 5), rtol=1e-9)
    assert bgm.n_iter_ == 20


def test_a_stream_reaches_the_batch_fit():
    rng = np.random.RandomState(0)
    means = np.array([[-4.0, 0.0], [4.0, 1.0], [0.0, 6.0]])
    labels = rng.choice(3, 30_000, p=[0.5, 0.3, 0.2])
    X = means[labels] + rng.standard_normal((30_000, 2))
    kwargs = dict(n_components=3, random_state=0)
    batch = BayesianGaussianMixtureEM(**kwargs).fit(X)
    online = BayesianGaussianMixtureEM(**kwargs, total_samples=len(X), batch_size=500)
    for chunk in np.array_split(X, 10):
        online.partial_fit(chunk)
    order_batch, order_online = np.argsort(batch.means_[:, 0]), np.argsort(online.means_[:, 0])
    np.testing.assert_allclose(online.means_[order_online], batch.means_[order_batch], atol=0.05)
    np.testing.assert_allclose(online.weights_[order_online], [0.5, 0.2, 0.3], atol=0.02)
