"""Missing values (NaN): exact EM over the observed coordinates, in every Gaussian model."""

import warnings

import numpy as np
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from scipy.stats import multivariate_normal
from sklearn.exceptions import ConvergenceWarning

from emkit import HMMEM, GaussianMixtureEM
from emkit._hmm_inference import forward_backward

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


def with_holes(X, fraction, seed=0):
    X = X.copy()
    X[np.random.RandomState(seed).rand(*X.shape) < fraction] = np.nan
    return X


def full_covariances(model):
    k, d = model.means_.shape
    return model._model(d).gaussian.covariance.full_matrices(model.covariances_, k, d)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_marginal_likelihood_of_observed_values_matches_scipy(blobs, covariance_type):
    X = with_holes(blobs[0], 0.3)
    X[:3] = np.nan
    gm = GaussianMixtureEM(3, covariance_type=covariance_type, random_state=0).fit(X)
    covariances = full_covariances(gm)
    expected = []
    for row in X:
        o = ~np.isnan(row)
        if not o.any():
            expected.append(0.0)
            continue
        densities = [
            w * multivariate_normal(m[o], c[np.ix_(o, o)]).pdf(row[o])
            for w, m, c in zip(gm.weights_, gm.means_, covariances)
        ]
        expected.append(np.log(np.sum(densities)))
    np.testing.assert_allclose(gm.score_samples(X), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gm.predict_proba(X[:3]), np.tile(gm.weights_, (3, 1)))


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n_components=st.integers(1, 3),
    covariance_type=st.sampled_from(COVARIANCE_TYPES),
    fraction=st.floats(0.05, 0.5),
    accelerate=st.sampled_from([None, "squarem"]),
)
def test_observed_data_log_likelihood_never_decreases(
    seed, n_components, covariance_type, fraction, accelerate
):
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((120, 3)) @ rng.standard_normal((3, 3))
    X[:60] += rng.uniform(-10, 10, 3)
    X = with_holes(X, fraction, seed)
    gm = GaussianMixtureEM(
        n_components,
        covariance_type=covariance_type,
        init_params="random",
        tol=0,
        max_iter=25,
        reg_covar=0.0,
        random_state=seed,
        accelerate=accelerate,
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            gm.fit(X)
    except ValueError as error:  # a component collapsed, with reg_covar=0
        assert "ill-defined" in str(error) or "no observed value" in str(error)
        reject()
    bounds = np.array(gm.lower_bounds_)
    assert np.all(np.diff(bounds) >= -1e-10 * np.abs(bounds[1:]))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_em_converges_to_a_maximum_of_the_observed_data_likelihood(blobs, covariance_type):
    X = with_holes(blobs[0][:300], 0.25)
    gm = GaussianMixtureEM(
        3,
        covariance_type=covariance_type,
        tol=1e-11,
        max_iter=20_000,
        reg_covar=0.0,
        random_state=0,
    ).fit(X)
    best = gm.score(X)
    for name in ["means_", "covariances_", "weights_"]:
        for sign in [-1, 1]:
            moved = GaussianMixtureEM(3, covariance_type=covariance_type)
            moved.__dict__.update(gm.__dict__)
            value = getattr(gm, name).copy()
            value.flat[0] += sign * 1e-3
            if name == "weights_":
                value /= value.sum()
            setattr(moved, name, value)
            covariance = moved._model(3).gaussian.covariance
            moved.precisions_cholesky_ = covariance.precision_cholesky(moved.covariances_)
            assert moved.score(X) < best


def test_recovers_parameters_from_incomplete_data():
    rng = np.random.RandomState(1)
    means = np.array([[0.0, 0.0, 0.0], [5.0, 5.0, -3.0]])
    cov = np.array([[1.0, 0.6, 0.2], [0.6, 1.0, 0.3], [0.2, 0.3, 1.0]])
    X = np.vstack([rng.multivariate_normal(m, cov, 10_000) for m in means])
    gm = GaussianMixtureEM(2, covariance_type="tied", random_state=0).fit(with_holes(X, 0.3))
    order = np.argsort(gm.means_[:, 0])
    np.testing.assert_allclose(gm.means_[order], means, atol=0.05)
    np.testing.assert_allclose(gm.covariances_, cov, atol=0.05)


def test_complete_rows_take_the_same_path_as_before(blobs):
    X = blobs[0]
    a = GaussianMixtureEM(3, random_state=0).fit(X)
    b = GaussianMixtureEM(3, random_state=0).fit(np.vstack([X, np.full((1, 3), np.nan)]))
    np.testing.assert_allclose(a.score_samples(X), b.score_samples(X), rtol=1e-4)


def test_hmm_with_missing_observations():
    rng = np.random.RandomState(0)
    states = np.repeat([0, 1, 0, 1, 2], 60)
    X = rng.normal(loc=np.array([[0.0, 0.0], [4.0, 1.0], [-3.0, 4.0]])[states])
    X_missing = with_holes(X, 0.2)
    X_missing[10] = np.nan
    hmm = HMMEM(3, max_iter=30, tol=0, reg_covar=0.0, random_state=0)
    with pytest.warns(ConvergenceWarning):
        hmm.fit(X_missing)
    assert np.all(np.diff(hmm.lower_bounds_) >= -1e-10 * np.abs(hmm.lower_bounds_[1:]))
    # A fully missing row has no emission term: log p = 0 for every state.
    model = hmm._model(2)
    params = hmm._params()
    from emkit._missing import find_missing

    log_frameprob = model.frame_log_prob(params, X_missing, find_missing(X_missing))
    np.testing.assert_array_equal(log_frameprob[10], 0.0)
    starts, ends = np.array([0]), np.array([len(X)])
    _, _, ll = forward_backward(hmm.startprob_, hmm.transmat_, log_frameprob, starts, ends)
    assert hmm.score(X_missing) == pytest.approx(ll[0] / len(X), rel=1e-12)
    accuracy = np.mean(hmm.predict(X_missing) == hmm.predict(X))
    assert accuracy > 0.95


def test_hmm_e_step_conditions_incomplete_rows_once(monkeypatch):
    from emkit._gaussian import Gaussian
    from emkit._hmm_base import SequenceData
    from emkit._missing import find_missing

    rng = np.random.RandomState(0)
    X = with_holes(rng.standard_normal((300, 3)), 0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        hmm = HMMEM(3, covariance_type="full", max_iter=3, random_state=0).fit(X)
    model, params = hmm._model(3), hmm._params()
    chunk = SequenceData(X, np.array([0, 100]), np.array([100, 300]), find_missing(X))
    log_frameprob = model.frame_log_prob(params, X, chunk.missing)
    posteriors, xi, ll = forward_backward(
        hmm.startprob_, hmm.transmat_, log_frameprob, chunk.starts, chunk.ends
    )
    gaussian, emission = model.emission.gaussian, params.emission
    expected = gaussian.statistics(
        X, posteriors, emission.means, emission.precisions_cholesky, chunk.missing
    )
    calls = []
    condition = Gaussian.condition
    monkeypatch.setattr(Gaussian, "condition", lambda *args: calls.append(1) or condition(*args))
    stats, log_likelihood = model.e_step(params, chunk)
    assert len(calls) == 1
    assert log_likelihood == pytest.approx(ll.sum(), rel=1e-12)
    np.testing.assert_allclose(stats.transitions, xi, rtol=1e-12)
    for name in ("nk", "sx", "sxx"):
        np.testing.assert_allclose(
            getattr(stats.emission, name), getattr(expected, name), rtol=1e-12, atol=1e-12
        )


def conditional(mean, cov, row):
    """Brute-force conditional mean and covariance of a row's missing values."""
    o, m = ~np.isnan(row), np.isnan(row)
    gain = cov[np.ix_(m, o)] @ np.linalg.inv(cov[np.ix_(o, o)])
    return mean[m] + gain @ (row[o] - mean[o]), cov[np.ix_(m, m)] - gain @ cov[np.ix_(o, m)]


def random_gaussian(rng, d=7):
    """A random mean and covariance, and the full-covariance family with its precision factor."""
    from emkit._gaussian import Gaussian

    factor = rng.standard_normal((d, d))
    cov = factor @ factor.T + 0.5 * np.eye(d)
    mean = rng.standard_normal(d)
    gaussian = Gaussian("full", reg_covar=0.0)
    return mean, cov, gaussian, gaussian.covariance.precision_cholesky(cov[None])


@pytest.mark.parametrize("n_complete", [0, 600])
def test_conditioning_with_any_number_of_missing_values(n_complete):
    # Patterns with fewer missing than observed values factorise the precision's
    # missing block, the others the covariance's observed block: both must agree
    # with the textbook formulas. Complete rows are one more pattern while they
    # are a minority, and take the complete-data path when added as a majority.
    from emkit._missing import find_missing

    rng = np.random.RandomState(0)
    d = 7
    mean, cov, gaussian, precision_cholesky = random_gaussian(rng, d)
    X = rng.multivariate_normal(mean, cov, 300 + n_complete)
    for i, row in enumerate(X[:300]):
        row[rng.permutation(d)[: i % d]] = np.nan  # 0 to d - 1 missing
    missing = find_missing(X)
    n_complete_rows = (~np.isnan(X).any(axis=1)).sum()
    assert len(missing.complete) == (n_complete_rows if n_complete else 0)
    conditioned = gaussian.condition(X, mean[None], precision_cholesky, missing)

    expected_log_prob = [
        multivariate_normal(mean[~np.isnan(r)], cov[np.ix_(~np.isnan(r), ~np.isnan(r))]).logpdf(
            r[~np.isnan(r)]
        )
        for r in X
    ]
    np.testing.assert_allclose(conditioned.log_prob[:, 0], expected_log_prob, rtol=1e-12)
    W = rng.uniform(0.5, 2.0, (len(X), 1))
    filled = X.copy()
    expected_sxx = np.zeros((d, d))
    for i, row in enumerate(X):
        m = np.isnan(row)
        if m.any():
            filled[i, m], block = conditional(mean, cov, row)
            expected_sxx[np.ix_(m, m)] += W[i, 0] * block
    np.testing.assert_allclose(
        conditioned.expectations(np.ones_like(W)), filled, rtol=1e-12, atol=1e-12
    )
    centred = filled - mean
    expected_sxx += (W * centred).T @ centred
    stats = conditioned.statistics(W)
    np.testing.assert_allclose(stats.sx[0], W[:, 0] @ centred, rtol=1e-10)
    np.testing.assert_allclose(stats.sxx[0], expected_sxx, rtol=1e-10)


@pytest.mark.parametrize("n_missing", [2, 5])
def test_conditional_draws_have_the_conditional_covariance(n_missing):
    from emkit._missing import find_missing

    rng = np.random.RandomState(1)
    d = 7
    mean, cov, gaussian, precision_cholesky = random_gaussian(rng, d)
    row = rng.multivariate_normal(mean, cov)
    row[rng.permutation(d)[:n_missing]] = np.nan
    X = np.tile(row, (20_000, 1))
    W = np.ones((len(X), 1))
    args = (X, W, mean[None], precision_cholesky, find_missing(X))
    draws = gaussian.conditional_samples(*args, rng)
    m = np.isnan(row)
    expected_mean, expected_cov = conditional(mean, cov, row)
    scale = np.sqrt(np.diag(expected_cov))
    np.testing.assert_allclose(draws[:, m].mean(axis=0), expected_mean, atol=5 * scale.max() / 140)
    correlation = np.cov(draws[:, m].T) / np.outer(scale, scale)
    np.testing.assert_allclose(correlation, expected_cov / np.outer(scale, scale), atol=0.04)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize("fraction", [0.0, 0.3, 0.7])  # 0.7: rows with nothing observed too
def test_one_component_e_step_sums_the_log_densities(covariance_type, fraction, dtype):
    # With one component the E-step takes the log-likelihood from the statistics
    # (tr(P S) - sum_i w_i m_i) instead of the rows' log-densities.
    from emkit._em import RowData
    from emkit._missing import find_missing

    rng = np.random.RandomState(0)
    X = rng.standard_normal((300, 5)) @ rng.standard_normal((5, 5)) + 3.0
    X[rng.rand(*X.shape) < fraction] = np.nan
    X = X.astype(dtype)
    weights = rng.rand(300).astype(dtype)
    model = GaussianMixtureEM(1, covariance_type=covariance_type)._model(5)
    params = model.init_params(RowData(X, weights), rng)
    missing = find_missing(X)
    stats, log_likelihood = model.e_step(params, RowData(X, weights, missing))
    densities = model.gaussian.condition(X, params.means, params.precisions_cholesky, missing)
    expected = densities.statistics(weights[:, None])
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(log_likelihood, weights @ densities.log_prob[:, 0], rtol=rtol)
    for name in ["nk", "sx", "sxx"]:
        np.testing.assert_allclose(getattr(stats, name), getattr(expected, name), rtol=1e-12)
