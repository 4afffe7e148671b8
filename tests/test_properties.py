"""Properties that hold for every fit, checked on random problems with hypothesis.

Each problem is a small random mixture (1-4 features, 1-3 components, any
covariance type, some values missing or not, weights or not). Fits start from
an explicit point, so that two fits meant to agree start alike.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning

from emkit import HMMEM, EMImputer, GaussianMixtureEM, SemiSupervisedEM
from emkit.io import from_json, to_json

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
FITTED = ["weights_", "means_", "covariances_", "precisions_cholesky_"]
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def problems(draw, holes=True):
    """(X, estimator parameters with an explicit start, sample_weight, seed)."""
    seed = draw(st.integers(0, 2**31 - 1))
    n_samples = draw(st.integers(12, 60))
    n_features = draw(st.integers(1, 4))
    k = draw(st.integers(1, 3))
    covariance_type = draw(st.sampled_from(COVARIANCE_TYPES))
    rng = np.random.RandomState(seed)
    centres = rng.uniform(-6, 6, (k, n_features))
    X = centres[rng.randint(k, size=n_samples)] + rng.standard_normal((n_samples, n_features))
    X *= rng.uniform(0.1, 10, n_features)
    if holes and draw(st.booleans()):
        X[rng.rand(*X.shape) < 0.15] = np.nan
        X[0] = X[1] = np.where(np.isnan(X[0]), 0.0, X[0])  # every column observed
    weights = rng.uniform(0.2, 3.0, n_samples) if draw(st.booleans()) else None
    filled = np.where(np.isnan(X), np.nanmean(X, axis=0), X)
    scale = 1.0 / filled.var(axis=0).clip(1e-3)
    precisions = {
        "full": np.broadcast_to(np.diag(scale), (k, n_features, n_features)),
        "tied": np.diag(scale),
        "diag": np.broadcast_to(scale, (k, n_features)),
        "spherical": np.full(k, scale.mean()),
    }[covariance_type]
    params = {
        "n_components": k,
        "covariance_type": covariance_type,
        "reg_covar": 1e-3,
        "weights_init": np.full(k, 1.0 / k),
        "means_init": filled[rng.choice(n_samples, k, replace=False)],
        "precisions_init": np.array(precisions),
    }
    return X, params, weights, seed


def fit(estimator, X, sample_weight=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, sample_weight=sample_weight)


def plain(params, max_iter=15):
    return GaussianMixtureEM(**params, tol=0, max_iter=max_iter, accelerate=None)


def assert_same(a, b, rtol, atol=0.0):
    for name in FITTED:
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=rtol, atol=atol)


@SETTINGS
@given(problem=problems(), accelerate=st.sampled_from([None, "squarem"]))
def test_log_likelihood_of_kept_iterates_never_decreases(problem, accelerate):
    # Exact EM needs reg_covar=0 (with it, the M-step is not an exact maximiser);
    # draws where a component collapses then raise, and are rejected.
    X, params, w, _ = problem
    gm = GaussianMixtureEM(**{**params, "reg_covar": 0.0}, tol=0, max_iter=25)
    try:
        fit(gm.set_params(accelerate=accelerate), X, w)
    except ValueError as error:
        assert "ill-defined" in str(error)
        reject()
    bounds = np.array(gm.lower_bounds_)
    assert np.all(np.diff(bounds) >= -1e-10 * np.abs(bounds[1:]))


@SETTINGS
@given(problem=problems())
def test_row_order_does_not_change_the_fit(problem):
    X, params, w, seed = problem
    order = np.random.RandomState(seed).permutation(len(X))
    a = fit(plain(params), X, w)
    b = fit(plain(params), X[order], None if w is None else w[order])
    assert_same(a, b, rtol=1e-7, atol=1e-9)


@SETTINGS
@given(problem=problems())
def test_chunk_size_does_not_change_the_fit(problem):
    X, params, w, _ = problem
    a = fit(plain(params), X, w)
    with config_context(working_memory=1e-4):  # chunks of one or two rows
        b = fit(plain(params), X, w)
    assert_same(a, b, rtol=1e-10, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(problem=problems())
def test_n_jobs_does_not_change_the_fit_bit_for_bit(problem):
    X, params, w, _ = problem
    with config_context(working_memory=1e-4):
        a = fit(GaussianMixtureEM(**params, n_jobs=1), X, w)
        b = fit(GaussianMixtureEM(**params, n_jobs=2), X, w)
    for name in FITTED:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


@SETTINGS
@given(problem=problems(), repeats=st.lists(st.integers(0, 3), min_size=12, max_size=12))
def test_integer_weights_equal_repeated_rows(problem, repeats):
    X, params, _, _ = problem
    w = np.resize(np.array(repeats, dtype=float), len(X))
    w[: params["n_components"] + 1] += 1.0  # enough rows for the components
    a = fit(plain(params), X, w)
    b = fit(plain(params), np.repeat(X, w.astype(int), axis=0))
    assert_same(a, b, rtol=1e-8, atol=1e-10)


@SETTINGS
@given(problem=problems())
def test_probabilities_scores_and_json_round_trip(problem):
    X, params, w, _ = problem
    gm = fit(GaussianMixtureEM(**params, max_iter=20), X, w)
    proba = gm.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert gm.score(X) == pytest.approx(gm.score_samples(X).mean(), rel=1e-12)
    loaded = from_json(to_json(gm))
    np.testing.assert_array_equal(loaded.predict_proba(X), proba)
    np.testing.assert_array_equal(loaded.score_samples(X), gm.score_samples(X))


@settings(max_examples=150, deadline=None)
@given(problem=problems())
def test_imputer_keeps_observed_values_and_round_trips(problem):
    X, params, w, _ = problem
    params = {name: value for name, value in params.items() if not name.endswith("_init")}
    imputer = fit(EMImputer(**params, max_iter=20, random_state=0), X, w)
    filled = imputer.transform(X)
    observed = ~np.isnan(X)
    np.testing.assert_array_equal(filled[observed], X[observed])
    assert np.isfinite(filled).all()
    np.testing.assert_allclose(imputer.predict_proba(X).sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(from_json(to_json(imputer)).transform(X), filled)


@settings(max_examples=150, deadline=None)
@given(problem=problems(holes=False), n_sequences=st.integers(1, 4))
def test_hmm_probabilities_scores_and_json_round_trip(problem, n_sequences):
    X, params, _, seed = problem
    cuts = np.sort(
        np.random.RandomState(seed).choice(np.arange(1, len(X)), n_sequences - 1, False)
    )
    lengths = np.diff(np.r_[0, cuts, len(X)])
    hmm = HMMEM(params["n_components"], covariance_type=params["covariance_type"], max_iter=10)
    hmm = fit_hmm(hmm.set_params(random_state=seed), X, lengths)
    posteriors = hmm.predict_proba(X, lengths=lengths)
    np.testing.assert_allclose(posteriors.sum(axis=1), 1.0, rtol=1e-10)
    np.testing.assert_allclose(hmm.transmat_.sum(axis=1), 1.0, rtol=1e-10)
    loaded = from_json(to_json(hmm))
    np.testing.assert_array_equal(
        loaded.predict(X, lengths=lengths), hmm.predict(X, lengths=lengths)
    )
    assert loaded.score(X, lengths=lengths) == hmm.score(X, lengths=lengths)


def fit_hmm(hmm, X, lengths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # Small generated data can hold fewer values than the model has parameters.
        warnings.filterwarnings("ignore", "HMMEM has .* free parameters", UserWarning)
        return hmm.fit(X, lengths=lengths)


@settings(max_examples=150, deadline=None)
@given(problem=problems())
def test_semi_supervised_probabilities_and_json_round_trip(problem):
    X, params, w, seed = problem
    rng = np.random.RandomState(seed)
    y = np.where(rng.rand(len(X)) < 0.5, rng.randint(2, size=len(X)), -1)
    y[:2] = [0, 1]
    clf = SemiSupervisedEM(covariance_type=params["covariance_type"], reg_covar=1e-3, max_iter=20)
    clf = fit_semi(clf, X, y, w)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    labeled = y >= 0
    np.testing.assert_array_equal(clf.transduction_[labeled], y[labeled])
    np.testing.assert_array_equal(from_json(to_json(clf)).predict_proba(X), proba)


def fit_semi(clf, X, y, w):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y, sample_weight=w)
