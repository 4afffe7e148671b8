"""prior="conjugate": MAP estimation under the conjugate prior, with mclust's defaults."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

from emkit import EMImputer, GaussianMixtureEM, SemiSupervisedEM
from emkit.datasets import load_faithful
from emkit.io import from_json, to_json

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
HYPER = ("mean_precision_prior", "mean_prior", "degrees_of_freedom_prior", "covariance_prior")


def one_component_mode(X, covariance_type, kappa, mu, nu, scale):
    """Fraley & Raftery (2007)'s posterior mode of one Gaussian, written out per model."""
    n, d = X.shape
    xbar = X.mean(axis=0)
    W = (X - xbar).T @ (X - xbar)
    shrunk = kappa * n / (kappa + n) * np.outer(xbar - mu, xbar - mu)
    mean = (n * xbar + kappa * mu) / (kappa + n)
    if covariance_type in ("full", "tied"):
        return mean, (scale + W + shrunk) / (nu + n + d + 2)
    if covariance_type == "diag":
        return mean, (scale + np.diag(W) + np.diag(shrunk)) / (nu + n + 3)
    return mean, (scale + np.trace(W) + np.trace(shrunk)) / (nu + (n + 1) * d + 2)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_one_component_is_the_closed_form_posterior_mode(covariance_type):
    rng = np.random.RandomState(0)
    X = rng.randn(40, 3) @ rng.randn(3, 3) + 5.0
    d = 3
    scale = {
        "full": np.eye(d) * 2.0 + 0.3,
        "tied": np.eye(d) * 2.0 + 0.3,
        "diag": np.array([1.0, 2.0, 3.0]),
        "spherical": 1.5,
    }[covariance_type]
    hyper = dict(mean_precision_prior=0.5, mean_prior=[1.0, -1.0, 0.0])
    hyper |= dict(degrees_of_freedom_prior=4.5, covariance_prior=scale)
    gm = GaussianMixtureEM(1, covariance_type=covariance_type, prior="conjugate", reg_covar=0.0)
    gm.set_params(**hyper).fit(X)
    mean, covariance = one_component_mode(
        X, covariance_type, 0.5, np.array(hyper["mean_prior"]), 4.5, scale
    )
    np.testing.assert_allclose(gm.means_[0], mean, rtol=1e-12)
    expected = covariance if covariance_type == "tied" else np.asarray(covariance)[None]
    np.testing.assert_allclose(gm.covariances_, expected, rtol=1e-10)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_defaults_are_mclusts(covariance_type):
    X = load_faithful().data
    n, d = X.shape
    gm = GaussianMixtureEM(3, covariance_type=covariance_type, prior="conjugate", tol=1e-12)
    gm.set_params(random_state=0).fit(X)
    assert gm.mean_precision_prior_ == 0.01
    assert gm.degrees_of_freedom_prior_ == d + 2
    np.testing.assert_allclose(gm.mean_prior_, X.mean(axis=0))
    covariance = np.cov(X.T, bias=True) / 3 ** (2 / d)
    expected = {
        "full": covariance,
        "tied": covariance,
        "diag": np.full(d, np.trace(covariance) / d),
        "spherical": np.trace(covariance) / d,
    }[covariance_type]
    np.testing.assert_allclose(gm.covariance_prior_, expected, rtol=1e-12)
    # bic and aic are those of the log-likelihood at the estimate (mclust's).
    n_parameters = gm._n_parameters()
    assert gm.bic(X) == pytest.approx(-2 * gm.score(X) * n + n_parameters * np.log(n))
    assert gm.lower_bound_ == pytest.approx(
        gm.score(X) + gm._fitted_model().log_prior(gm._params()) / n, rel=1e-9
    )


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_the_m_step_maximises_the_expected_log_posterior(covariance_type):
    rng = np.random.RandomState(1)
    X = np.r_[rng.randn(60, 2), rng.randn(60, 2) * 0.5 + 3.0]
    gm = GaussianMixtureEM(
        2, covariance_type=covariance_type, prior="conjugate", reg_covar=0.0, max_iter=2,
        accelerate=None, random_state=0,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm.fit(X)
    model, params = gm._fitted_model(), gm._params()
    resp = gm.predict_proba(X)
    best = model.m_step(model.gaussian.statistics(X, resp, params.means), params)

    def objective(p):
        log_joint = model.log_joint(p, X)  # log weight + log density, per row and component
        return float(np.sum(resp * log_joint) + model.log_prior(p))

    at_best = objective(best)
    values = model.unconstrained(best)
    for _ in range(20):
        moved = [v + 1e-3 * rng.randn(*np.shape(v)) for v in values]
        if covariance_type in ("full", "tied"):
            moved[2] = np.where(np.tri(2, dtype=bool), moved[2], 0.0)
        assert objective(model.from_unconstrained(moved)) <= at_best + 1e-9


@pytest.mark.parametrize("case", ["copied", "float32", "scales", "nan"])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("accelerate", [None, "squarem"])
def test_the_log_posterior_never_falls_on_singular_data(
    reliability_cases, case, covariance_type, accelerate
):
    X = reliability_cases[case]
    gm = GaussianMixtureEM(
        3, covariance_type=covariance_type, prior="conjugate", reg_covar=0.0, tol=1e-10,
        max_iter=300, accelerate=accelerate, random_state=0,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm.fit(X)
    bounds = np.array(gm.lower_bounds_)
    assert np.all(np.isfinite(bounds))
    assert np.all(np.diff(bounds) >= -1e-10 * np.abs(bounds[1:]))


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n_features=st.integers(1, 4),
    n_components=st.integers(1, 4),
    covariance_type=st.sampled_from(COVARIANCE_TYPES),
    accelerate=st.sampled_from([None, "squarem"]),
    missing=st.booleans(),
    weighted=st.booleans(),
)
def test_map_em_never_lowers_the_log_posterior(
    seed, n_features, n_components, covariance_type, accelerate, missing, weighted
):
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((80, n_features)) * rng.uniform(0.1, 10, n_features)
    X[:40] += rng.uniform(-5, 5, n_features)
    if missing:
        X[rng.rand(*X.shape) < 0.2] = np.nan
        X[0] = 1.0  # every column observed somewhere
    w = rng.uniform(0, 3, len(X)) if weighted else None
    gm = GaussianMixtureEM(
        n_components, covariance_type=covariance_type, prior="conjugate", reg_covar=0.0,
        tol=0, max_iter=30, accelerate=accelerate, random_state=seed,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm.fit(X, sample_weight=w)
    bounds = np.array(gm.lower_bounds_)
    assert np.all(np.isfinite(bounds))
    assert np.all(np.diff(bounds) >= -1e-10 * np.abs(bounds[1:]))


def test_the_imputer_and_the_classifier_take_the_prior(reliability_cases):
    X = reliability_cases["nan"]
    imputer = EMImputer(n_components=2, prior="conjugate", reg_covar=0.0, random_state=0).fit(X)
    assert np.all(np.diff(imputer.lower_bounds_) >= -1e-10 * np.abs(imputer.lower_bounds_[1:]))
    assert imputer.degrees_of_freedom_prior_ == X.shape[1] + 2
    assert not np.isnan(imputer.transform(X)).any()
    rng = np.random.RandomState(3)
    Xc = reliability_cases["copied"]
    y = np.repeat([0, 1], 150)
    partial = np.where(rng.rand(300) < 0.9, -1, y)
    clf = SemiSupervisedEM(prior="conjugate", reg_covar=0.0, random_state=0).fit(Xc, partial)
    assert np.all(np.diff(clf.lower_bounds_) >= -1e-10 * np.abs(clf.lower_bounds_[1:]))
    assert clf.score(Xc, y) > 0.9
    with pytest.raises(ValueError, match="prior of Gaussian emissions"):
        SemiSupervisedEM(emission="multinomial", prior="conjugate").fit(np.abs(Xc).round(), y)


def test_json_keeps_the_fits_hyperparameters_and_partial_fit_goes_on_with_them():
    X = load_faithful().data
    gm = GaussianMixtureEM(2, prior="conjugate", random_state=0).fit(X)
    loaded = from_json(to_json(gm))
    for name in HYPER:
        np.testing.assert_array_equal(getattr(loaded, f"{name}_"), getattr(gm, f"{name}_"))
    np.testing.assert_array_equal(loaded.predict_proba(X), gm.predict_proba(X))
    gm.partial_fit(X[:50] + 100.0)  # the prior stays that of the fit, not of this batch
    np.testing.assert_allclose(gm.mean_prior_, X.mean(axis=0), rtol=1e-12)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"prior": "flat"}, "'prior' parameter"),
        ({"mean_precision_prior": -1.0}, "'mean_precision_prior' parameter"),
        ({"mean_prior": [1.0, 2.0, 3.0]}, r"mean_prior must be .* shape \(2,\)"),
        ({"degrees_of_freedom_prior": 0.5}, "degrees_of_freedom_prior must be greater than"),
        ({"covariance_prior": np.ones((3, 3))}, r"covariance_prior must be .* shape \(2, 2\)"),
        ({"covariance_prior": [[1.0, 2.0], [2.0, 1.0]]}, "covariance_prior must be positive-def"),
        ({"covariance_type": "diag", "covariance_prior": [1.0, -1.0]}, "positive-definite"),
        ({"covariance_type": "spherical", "covariance_prior": [1.0, 1.0]}, r"shape \(\)"),
    ],
)  # fmt: skip
def test_bad_hyperparameters_are_named_and_leave_a_fitted_model_as_it_was(params, match):
    X = load_faithful().data
    gm = GaussianMixtureEM(2, prior="conjugate", random_state=0).fit(X)
    before = gm.means_.copy()
    with pytest.raises(ValueError, match=match):
        gm.set_params(**params).fit(X)
    np.testing.assert_array_equal(gm.means_, before)


def test_a_dask_array_gives_the_in_memory_fit():
    da = pytest.importorskip("dask.array")
    rng = np.random.RandomState(4)
    X = np.r_[rng.randn(500, 3), rng.randn(500, 3) + 3.0]
    kwargs = dict(prior="conjugate", init_params="kmeans", random_state=0)
    memory = GaussianMixtureEM(2, **kwargs).fit(X)
    blocks = GaussianMixtureEM(2, **kwargs).fit(da.from_array(X, chunks=250))
    np.testing.assert_allclose(blocks.covariance_prior_, memory.covariance_prior_, rtol=1e-12)
    np.testing.assert_allclose(blocks.means_, memory.means_, rtol=1e-10, atol=1e-12)
