"""VariationalHMMEM: hmmlearn's iterates and lower bound from the same start, the
bound's monotonicity, priors' checks, inference."""

import math
import warnings

import numpy as np
import pytest
import sklearn
from hmmlearn.vhmm import VariationalCategoricalHMM, VariationalGaussianHMM
from sklearn.exceptions import ConvergenceWarning

from emkit import HMMEM, VariationalHMMEM

LENGTHS = [100, 120, 80]
K = 3


def _relative(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.abs(b)))


def _categorical_setup(rng):
    m = 5
    X = rng.randint(0, m, size=(sum(LENGTHS), 1))
    priors = {
        "startprob_prior": rng.uniform(0.5, 2, K),
        "transmat_prior": rng.uniform(0.5, 2, (K, K)),
        "emissionprob_prior": rng.uniform(0.5, 2, (K, m)),
    }
    starts = {
        "startprob_posterior_init": rng.uniform(1, 5, K),
        "transmat_posterior_init": rng.uniform(1, 50, (K, K)),
        "emissionprob_posterior_init": rng.uniform(1, 50, (K, m)),
    }
    return X, priors, starts


def _scales(rng, covariance_type: str, d: int, factor: float):
    """Positive-definite inverse scales in the covariance type's shape."""
    A = rng.normal(size=(K, d, d))
    full = factor * (A @ A.transpose(0, 2, 1) + np.eye(d))
    return {
        "full": full,
        "tied": full[0],
        "diag": np.diagonal(full, axis1=1, axis2=2).copy(),
        "spherical": full[:, 0, 0].copy(),
    }[covariance_type]


def _gaussian_setup(rng, covariance_type: str):
    d = 2
    centres = np.repeat(rng.normal(scale=3, size=(K, d)), 100, axis=0)
    X = rng.normal(size=(sum(LENGTHS), d)) + centres
    tied = covariance_type == "tied"
    priors = {
        "startprob_prior": rng.uniform(0.5, 2, K),
        "transmat_prior": rng.uniform(0.5, 2, (K, K)),
        "means_prior": rng.normal(size=(K, d)),
        "beta_prior": rng.uniform(0.5, 2, K),
        "dof_prior": 3.0 if tied else rng.uniform(2, 4, K),
        "scale_prior": _scales(rng, covariance_type, d, 0.1),
    }
    starts = {
        "startprob_posterior_init": rng.uniform(1, 5, K),
        "transmat_posterior_init": rng.uniform(1, 50, (K, K)),
        "means_posterior_init": X[rng.choice(len(X), K, replace=False)],
        "beta_posterior_init": rng.uniform(20, 100, K),
        "dof_posterior_init": 300.0 if tied else rng.uniform(20, 100, K),
        "scale_posterior_init": _scales(rng, covariance_type, d, 50.0),
    }
    return X, priors, starts


def _hmmlearn_fit(model, priors, starts, X, n_iter):
    """hmmlearn from the same priors and posteriors: nothing initialised, no stopping."""
    model.set_params(init_params="", n_iter=n_iter)
    model.monitor_.tol, model.monitor_.n_iter = -np.inf, n_iter  # made in __init__
    for name, value in {**priors, **starts}.items():
        setattr(model, name.replace("_init", "") + "_", value)
    return model.fit(X, LENGTHS)


# Observed: the posteriors agree to 1e-12 relative (emkit's Gaussian statistics are
# centred on the means, hmmlearn's raw moments), the lower bounds to 1e-13.


def _emkit_fit(priors, starts, X, n_iter, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return VariationalHMMEM(
            K, **priors, **starts, max_iter=n_iter, tol=0.0, accelerate=None, **options
        ).fit(X, lengths=LENGTHS)


# hmmlearn leaves out -n_features / 2 * log(2 pi) per observation of Gaussian emissions.
def _log_2pi_term(X) -> float:
    return X.size / 2 * math.log(2 * math.pi)


@pytest.mark.parametrize("n_iter", [1, 3, 10])
def test_categorical_iterates_are_hmmlearn_s(n_iter):
    X, priors, starts = _categorical_setup(np.random.RandomState(0))
    theirs = _hmmlearn_fit(VariationalCategoricalHMM(K, n_features=5), priors, starts, X, n_iter)
    ours = _emkit_fit(priors, starts, X, n_iter, emission="categorical")
    for name in ("startprob_posterior_", "transmat_posterior_", "emissionprob_posterior_"):
        assert _relative(getattr(ours, name), getattr(theirs, name)) < 1e-10, name
    for name in ("startprob_", "transmat_", "emissionprob_"):
        assert _relative(getattr(ours, name), getattr(theirs, name)) < 1e-10, name
    bounds = np.array(ours.lower_bounds_) * len(X)
    assert _relative(bounds, theirs.monitor_.history) < 1e-12
    assert ours.n_iter_ == n_iter


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
@pytest.mark.parametrize("n_iter", [1, 3, 10])
def test_gaussian_iterates_are_hmmlearn_s(covariance_type, n_iter):
    X, priors, starts = _gaussian_setup(np.random.RandomState(1), covariance_type)
    theirs = VariationalGaussianHMM(K, covariance_type=covariance_type)
    theirs = _hmmlearn_fit(theirs, priors, starts, X, n_iter)
    ours = _emkit_fit(priors, starts, X, n_iter, covariance_type=covariance_type)
    names = ("startprob", "transmat", "means", "beta", "dof", "scale")
    for name in names:
        name = name + "_posterior_"
        assert _relative(getattr(ours, name), getattr(theirs, name)) < 1e-10, name
    assert _relative(ours.covars_, theirs._covars_) < 1e-10
    bounds = np.array(ours.lower_bounds_) * len(X) + _log_2pi_term(X)
    assert _relative(bounds, theirs.monitor_.history) < 1e-12


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
def test_fixed_means_are_hmmlearn_s_params(covariance_type):
    X, priors, starts = _gaussian_setup(np.random.RandomState(12), covariance_type)
    theirs = VariationalGaussianHMM(K, covariance_type=covariance_type, params="stm")
    theirs = _hmmlearn_fit(theirs, priors, starts, X, 10)
    update = ("startprob", "transmat", "means")
    ours = _emkit_fit(priors, starts, X, 10, covariance_type=covariance_type, update_params=update)
    for name in ("startprob", "transmat", "means", "beta", "dof", "scale"):
        name = name + "_posterior_"
        assert _relative(getattr(ours, name), getattr(theirs, name)) < 1e-10, name
    np.testing.assert_array_equal(ours.scale_posterior_, starts["scale_posterior_init"])
    bounds = np.array(ours.lower_bounds_) * len(X) + _log_2pi_term(X)
    assert _relative(bounds, theirs.monitor_.history) < 1e-12


def test_fixed_transitions_are_hmmlearn_s_params():
    X, priors, starts = _categorical_setup(np.random.RandomState(13))
    theirs = VariationalCategoricalHMM(K, n_features=5, params="se")
    transmat = starts["transmat_posterior_init"]
    # hmmlearn sets transmat_ in its M-step only, and reads it after every one.
    theirs.transmat_ = transmat / transmat.sum(axis=1, keepdims=True)
    theirs = _hmmlearn_fit(theirs, priors, starts, X, 10)
    update = ("startprob", "emissionprob")
    ours = _emkit_fit(priors, starts, X, 10, emission="categorical", update_params=update)
    np.testing.assert_array_equal(ours.transmat_posterior_, starts["transmat_posterior_init"])
    for name in ("startprob_posterior_", "emissionprob_posterior_"):
        assert _relative(getattr(ours, name), getattr(theirs, name)) < 1e-10, name
    assert _relative(np.array(ours.lower_bounds_) * len(X), theirs.monitor_.history) < 1e-12


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
def test_the_wishart_alone_still_raises_the_bound(covariance_type):
    # hmmlearn's params="stc" leaves its inverse scales not positive-definite here.
    X, priors, starts = _gaussian_setup(np.random.RandomState(1), covariance_type)
    update = ("startprob", "transmat", "covars")
    ours = _emkit_fit(priors, starts, X, 10, covariance_type=covariance_type, update_params=update)
    np.testing.assert_array_equal(ours.means_posterior_, starts["means_posterior_init"])
    np.testing.assert_array_equal(ours.beta_posterior_, starts["beta_posterior_init"])
    bounds = np.array(ours.lower_bounds_)
    assert np.all(np.diff(bounds) >= -1e-12 * np.abs(bounds[1:]))  # rounding at the top


def test_update_params_names_the_emission_s_parameters():
    with pytest.raises(ValueError, match="update_params"):
        VariationalHMMEM(2, update_params=("emissionprob",)).fit(np.zeros((4, 1)))
    model = VariationalHMMEM(2, update_params=("means",), random_state=0)
    X, _ = _clusters(np.random.RandomState(14))
    model.fit(X)
    assert model._fitted_model().n_parameters(model._params()) == 2 * 2


def _clusters(rng, n=400):
    states = np.repeat(np.arange(4) % 2, n // 4)
    return rng.normal(loc=3.0 * states[:, None], size=(n, 2)), states


@pytest.mark.parametrize("accelerate", [None, "squarem"])
@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
def test_the_bound_never_drops(covariance_type, accelerate):
    X, _ = _clusters(np.random.RandomState(2))
    model = VariationalHMMEM(
        3, covariance_type=covariance_type, accelerate=accelerate, tol=1e-8, random_state=0
    ).fit(X, lengths=[100, 300])
    bounds = np.array(model.lower_bounds_)
    assert np.all(np.diff(bounds) >= -1e-12 * np.abs(bounds[1:]))
    assert model.converged_


@pytest.mark.parametrize("accelerate", [None, "squarem"])
def test_the_categorical_bound_never_drops(accelerate):
    rng = np.random.RandomState(3)
    states = np.repeat([0, 1, 0, 1], 100)
    X = np.where(states == 0, rng.randint(0, 3, 400), rng.randint(2, 5, 400))[:, None]
    model = VariationalHMMEM(
        2, emission="categorical", accelerate=accelerate, tol=1e-8, random_state=0
    ).fit(X)
    bounds = np.array(model.lower_bounds_)
    assert np.all(np.diff(bounds) >= -1e-12 * np.abs(bounds[1:]))
    # The symbols each state emits: {0, 1, 2} and {2, 3, 4}.
    first = model.emissionprob_[model.predict(X[:1])[0]]
    assert first[:3].sum() > 0.95


def test_squarem_reaches_the_plain_fit_s_bound_sooner():
    rng = np.random.RandomState(4)
    states = np.repeat(np.arange(6) % 3, 100)
    X = rng.normal(loc=1.0 * states[:, None], size=(600, 2))  # overlapping: EM is slow
    options = {"covariance_type": "diag", "tol": 1e-8, "random_state": 0}
    plain = VariationalHMMEM(3, accelerate=None, **options).fit(X)
    fast = VariationalHMMEM(3, accelerate="squarem", **options).fit(X)
    assert fast.lower_bound_ == pytest.approx(plain.lower_bound_, abs=1e-6)
    assert fast.n_iter_ < plain.n_iter_


def test_recovers_known_parameters():
    rng = np.random.RandomState(5)
    truth = HMMEM(
        2,
        covariance_type="full",
        startprob_init=[1.0, 0.0],
        transmat_init=[[0.95, 0.05], [0.1, 0.9]],
        means_init=[[0.0, 0.0], [4.0, 4.0]],
        covars_init=[[[1.0, 0.3], [0.3, 1.0]], [[0.5, 0.0], [0.0, 2.0]]],
        max_iter=0,
    ).fit(np.zeros((2, 2)))
    X, _ = truth.sample(4000, random_state=rng)
    model = VariationalHMMEM(2, random_state=0).fit(X)
    order = np.argsort(model.means_[:, 0])
    np.testing.assert_allclose(model.means_[order], truth.means_, atol=0.1)
    np.testing.assert_allclose(model.covars_[order], truth.covars_, atol=0.15)
    np.testing.assert_allclose(model.transmat_[np.ix_(order, order)], truth.transmat_, atol=0.03)


def test_inference_is_hmmem_s_at_the_posterior_means():
    X, _ = _clusters(np.random.RandomState(6))
    model = VariationalHMMEM(2, covariance_type="diag", random_state=0).fit(X)
    plain = HMMEM(
        2,
        covariance_type="diag",
        startprob_init=model.startprob_,
        transmat_init=model.transmat_,
        means_init=model.means_,
        covars_init=model.covars_,
        max_iter=0,
    ).fit(X)
    assert model.score(X) == pytest.approx(plain.score(X), rel=1e-12)
    np.testing.assert_array_equal(model.predict(X), plain.predict(X))
    np.testing.assert_allclose(model.predict_proba(X), plain.predict_proba(X), atol=1e-12)
    assert model.decode(X, algorithm="map")[0] == pytest.approx(
        plain.decode(X, algorithm="map")[0]
    )
    assert model.bic(X) == pytest.approx(plain.bic(X))
    sampled, states = model.sample(50, random_state=0)
    expected, expected_states = plain.sample(50, random_state=0)
    np.testing.assert_allclose(sampled, expected)
    np.testing.assert_array_equal(states, expected_states)


def test_categorical_inference_refuses_unseen_symbols():
    X = np.array([[0], [1], [2], [1], [0], [2]])
    model = VariationalHMMEM(2, emission="categorical", random_state=0).fit(X)
    assert model.emissionprob_.shape == (2, 3)
    with pytest.raises(ValueError, match="symbol 3"):
        model.predict([[3]])


def test_defaults_are_hmmlearn_s_priors():
    X, _ = _clusters(np.random.RandomState(7))
    model = VariationalHMMEM(2, covariance_type="tied", max_iter=0).fit(X)
    np.testing.assert_allclose(model.startprob_prior_, 0.5)
    np.testing.assert_allclose(model.transmat_prior_, 0.5)
    np.testing.assert_allclose(model.means_prior_, np.tile(X.mean(axis=0), (2, 1)))
    np.testing.assert_allclose(model.beta_prior_, 1.0)
    assert model.dof_prior_ == 2.0
    np.testing.assert_allclose(model.scale_prior_, 1e-3 * np.eye(2))
    cat = VariationalHMMEM(2, emission="categorical", max_iter=0).fit([[0], [3], [1]])
    np.testing.assert_allclose(cat.emissionprob_prior_, 0.25)


@pytest.mark.parametrize(
    ("options", "name"),
    [
        ({"startprob_prior": -1.0}, "startprob_prior"),
        ({"startprob_prior": np.ones(3)}, "startprob_prior"),
        ({"transmat_prior": np.ones((2, 3))}, "transmat_prior"),
        ({"means_prior": np.zeros((2, 3))}, "means_prior"),
        ({"beta_prior": 0.0}, "beta_prior"),
        ({"dof_prior": 1.0}, "dof_prior"),
        ({"dof_prior": [3.0, 3.0], "covariance_type": "tied"}, "dof_prior"),
        ({"scale_prior": -1.0}, "scale_prior"),
        ({"scale_prior": np.ones((2, 2, 2))}, "scale_prior"),
        ({"means_posterior_init": np.zeros((3, 2))}, "means_posterior_init"),
        ({"scale_posterior_init": np.zeros((2, 2))}, "scale_posterior_init"),
        ({"emission": "categorical", "emissionprob_prior": -1.0}, "emissionprob_prior"),
        ({"emission": "categorical", "emissionprob_prior": np.ones((2, 1))}, "emissionprob"),
        ({"emission": "categorical", "transmat_posterior_init": np.zeros((2, 2))}, "transmat"),
    ],
)
def test_bad_priors_are_named_and_leave_the_fit_unchanged(options, name):
    rng = np.random.RandomState(8)
    X = rng.normal(size=(40, 2))
    symbols = rng.randint(0, 3, size=(40, 1))
    data = symbols if options.get("emission") == "categorical" else X
    model = VariationalHMMEM(2, emission=options.get("emission", "gaussian"), random_state=0)
    model.fit(data)
    before = {key: np.copy(value) for key, value in vars(model).items() if key.endswith("_")}
    model.set_params(**options, max_iter=10**9)
    with pytest.raises(ValueError, match=name):
        model.fit(data)
    for key, value in before.items():
        np.testing.assert_array_equal(getattr(model, key), value)


def test_missing_values_are_refused():
    X = np.random.RandomState(9).normal(size=(20, 2))
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        VariationalHMMEM(2).fit(X)


def test_restarts_and_threads_give_the_same_fit():
    X, _ = _clusters(np.random.RandomState(10))
    one = VariationalHMMEM(2, n_init=3, random_state=0).fit(X, lengths=[200, 200])
    two = VariationalHMMEM(2, n_init=3, n_jobs=2, random_state=0).fit(X, lengths=[200, 200])
    np.testing.assert_array_equal(one.means_posterior_, two.means_posterior_)
    assert one.lower_bound_ == two.lower_bound_


def test_callback_sees_every_iteration():
    X, _ = _clusters(np.random.RandomState(11))
    records = []
    model = VariationalHMMEM(2, random_state=0, accelerate=None, callback=records.append).fit(X)
    assert len(records) == model.n_iter_


def test_blocks_of_sequences_give_the_same_fit():
    X, _ = _clusters(np.random.RandomState(15), n=2000)
    lengths = [100] * 20
    options = {"accelerate": None, "random_state": 0, "max_iter": 20, "tol": 0.0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        whole = VariationalHMMEM(2, **options).fit(X, lengths=lengths)
        with sklearn.config_context(working_memory=0.01):  # blocks of a few sequences
            blocks = VariationalHMMEM(2, **options).fit(X, lengths=lengths)
    np.testing.assert_allclose(blocks.lower_bounds_, whole.lower_bounds_, rtol=1e-12)
    np.testing.assert_allclose(blocks.scale_posterior_, whole.scale_posterior_, rtol=1e-10)
