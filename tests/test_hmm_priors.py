"""MAP Baum-Welch: hmmlearn's priors, as numbers or arrays, and the objective EM raises."""

import hmmlearn.hmm as hmmlearn
import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from emkit import HMMEM
from emkit._hmm_inference import forward_backward

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def gaussian_data(rng, k=3, d=2):
    lengths = rng.randint(20, 60, size=6)
    X = rng.randn(lengths.sum(), d) + 2.0 * rng.randint(0, k, size=(lengths.sum(), 1))
    return X, lengths


def dirichlet_priors(rng, k):
    return {
        "startprob_prior": 1.0 + rng.gamma(2.0, size=k),
        "transmat_prior": 1.0 + rng.gamma(2.0, size=(k, k)),
    }


def gaussian_priors(rng, covariance_type, k, d):
    """Priors of every kind in hmmlearn's shapes for ``covariance_type``."""
    psi = rng.randn(k, d, d)
    psi = psi @ np.swapaxes(psi, 1, 2) + np.eye(d)  # positive-definite scales
    return {
        "means_prior": rng.randn(k, d),
        "means_weight": rng.gamma(2.0, size=k),
        "covars_prior": {
            "full": psi,
            "tied": psi[0],
            "diag": rng.gamma(2.0, size=(k, d)),
            "spherical": rng.gamma(2.0, size=k),
        }[covariance_type],
        "covars_weight": (d + 3.0 if covariance_type == "tied" else d + rng.gamma(3.0, size=k)),
    }


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_reproduces_hmmlearn_map_iterates_with_gaussian_priors(covariance_type):
    rng = np.random.RandomState(0)
    k, d = 3, 2
    X, lengths = gaussian_data(rng, k, d)
    start = {
        "startprob_init": rng.dirichlet(np.ones(k)),
        "transmat_init": rng.dirichlet(np.ones(k), size=k),
        "means_init": X[rng.choice(len(X), k, replace=False)],
    }
    covars = {
        "diag": np.ones((k, d)),
        "full": np.tile(np.eye(d), (k, 1, 1)),
        "spherical": np.ones(k),
        "tied": np.eye(d),
    }[covariance_type]
    priors = {**dirichlet_priors(rng, k), **gaussian_priors(rng, covariance_type, k, d)}
    hmmlearn_priors = dict(priors)
    if covariance_type in ("full", "tied"):  # hmmlearn takes one weight for all states
        priors["means_weight"] = hmmlearn_priors["means_weight"] = 1.5
    else:  # and per state, as a column
        hmmlearn_priors["means_weight"] = priors["means_weight"][:, None]
    if covariance_type == "spherical":  # hmmlearn averages diagonal estimates
        hmmlearn_priors["covars_prior"] = priors["covars_prior"][:, None]
    priors["covars_weight"] = hmmlearn_priors["covars_weight"] = d + 2.5  # one number there
    for n_iter in [1, 5]:
        reference = hmmlearn.GaussianHMM(
            k,
            covariance_type=covariance_type,
            init_params="",
            n_iter=n_iter,
            tol=-np.inf,
            **hmmlearn_priors,
        )
        reference.startprob_ = start["startprob_init"]
        reference.transmat_ = start["transmat_init"]
        reference.means_ = start["means_init"]
        reference.covars_ = covars
        reference.fit(X, lengths)
        ours = HMMEM(
            k,
            covariance_type=covariance_type,
            reg_covar=0.0,
            covars_init=covars,
            max_iter=n_iter,
            tol=0,
            accelerate=None,
            **start,
            **priors,
        ).fit(X, lengths=lengths)
        np.testing.assert_allclose(ours.startprob_, reference.startprob_, rtol=1e-6)
        np.testing.assert_allclose(ours.transmat_, reference.transmat_, rtol=1e-6)
        np.testing.assert_allclose(ours.means_, reference.means_, rtol=1e-6)
        expected = reference._covars_
        expected = expected[:, 0] if covariance_type == "spherical" else expected
        np.testing.assert_allclose(ours.covars_, expected, rtol=1e-6)


def test_reproduces_hmmlearn_map_iterates_with_a_categorical_prior():
    rng = np.random.RandomState(1)
    k, m = 3, 5
    lengths = rng.randint(20, 60, size=6)
    X = rng.randint(0, m, size=(lengths.sum(), 1))
    start = {
        "startprob_init": rng.dirichlet(np.ones(k)),
        "transmat_init": rng.dirichlet(np.ones(k), size=k),
        "emissionprob_init": rng.dirichlet(np.ones(m), size=k),
    }
    priors = {**dirichlet_priors(rng, k), "emissionprob_prior": 1.0 + rng.gamma(1.0, size=(k, m))}
    reference = hmmlearn.CategoricalHMM(
        k, n_features=m, init_params="", n_iter=8, tol=-np.inf, **priors
    )
    reference.startprob_ = start["startprob_init"]
    reference.transmat_ = start["transmat_init"]
    reference.emissionprob_ = start["emissionprob_init"]
    reference.fit(X, lengths)
    ours = HMMEM(k, emission="categorical", max_iter=8, tol=0, accelerate=None, **start, **priors)
    ours.fit(X, lengths=lengths)
    np.testing.assert_allclose(ours.transmat_, reference.transmat_, rtol=1e-6)
    np.testing.assert_allclose(ours.emissionprob_, reference.emissionprob_, rtol=1e-6)


def test_poisson_rates_are_the_gamma_posterior_mode():
    """One state: the rate maximising sum(log Poisson) + alpha log(l) - beta l is
    (alpha + sum x) / (beta + n); hmmlearn agrees with one state (with several it
    divides by the rows of all states, not of the state)."""
    rng = np.random.RandomState(2)
    X = rng.poisson([3.0, 7.0], size=(200, 2))
    alpha, beta = np.array([[4.0, 1.0]]), np.array([[2.0, 10.0]])
    ours = HMMEM(1, emission="poisson", lambdas_prior=alpha, lambdas_weight=beta).fit(X)
    np.testing.assert_allclose(ours.lambdas_, (alpha + X.sum(axis=0)) / (beta + len(X)))
    reference = hmmlearn.PoissonHMM(1, lambdas_prior=alpha, lambdas_weight=beta, n_iter=3)
    reference.fit(X)
    np.testing.assert_allclose(ours.lambdas_, reference.lambdas_, rtol=1e-10)


CASES = {
    "full": dict(covariance_type="full"),
    "tied": dict(covariance_type="tied"),
    "diag": dict(covariance_type="diag"),
    "spherical": dict(covariance_type="spherical"),
    "categorical": dict(emission="categorical"),
    "poisson": dict(emission="poisson"),
}


def case_data(name, rng):
    if name == "categorical":
        return rng.randint(0, 4, size=(400, 1))
    if name == "poisson":
        return rng.poisson(rng.choice([1.0, 6.0], size=(400, 1)), size=(400, 2))
    return gaussian_data(rng)[0]


def case_priors(name, rng, k, d):
    priors = dirichlet_priors(rng, k)
    if name == "categorical":
        return priors | {"emissionprob_prior": 1.0 + rng.gamma(1.0, size=(k, 4))}
    if name == "poisson":
        return priors | {"lambdas_prior": rng.gamma(2.0, size=(k, d)), "lambdas_weight": 0.5}
    return priors | gaussian_priors(rng, name, k, d)


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("accelerate", [None, "squarem"])
def test_the_log_posterior_never_decreases(name, accelerate):
    rng = np.random.RandomState(3)
    X = case_data(name, rng)
    k = 3
    priors = case_priors(name, rng, k, X.shape[1])
    hmm = HMMEM(k, **CASES[name], **priors, accelerate=accelerate, tol=1e-10, random_state=0)
    hmm.fit(X)
    assert np.all(np.diff(hmm.lower_bounds_) >= -1e-10 * np.abs(hmm.lower_bounds_[1:]))
    # The objective is the log-likelihood plus the log prior, per observation.
    model, params = hmm._fitted_model(), hmm._params()
    assert hmm.lower_bound_ == pytest.approx(
        hmm.score(X) + model.log_prior(params) / len(X), rel=1e-9, abs=1e-9
    )


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_the_gaussian_m_step_maximises_the_expected_log_posterior(covariance_type):
    """From the fitted parameters, no small move of the means or covariances raises
    the expected complete log-likelihood plus the log prior (at the last E-step)."""
    rng = np.random.RandomState(4)
    X = gaussian_data(rng)[0]
    priors = gaussian_priors(rng, covariance_type, 3, 2)
    hmm = HMMEM(3, covariance_type=covariance_type, **priors, reg_covar=0.0, random_state=0)
    hmm.set_params(max_iter=3, accelerate=None).fit(X)
    model, params = hmm._fitted_model(), hmm._params()
    stats, _ = model.e_step(params, hmm._prepare(X, None, None, reset=False))
    best = model.m_step(stats, params).emission
    emission = model.emission
    log_frameprob = model.frame_log_prob(params, X, None)
    one_sequence = np.array([0]), np.array([len(X)])
    posteriors = forward_backward(params.startprob, params.transmat, log_frameprob, *one_sequence)[
        0
    ]

    def objective(p):
        return float(np.sum(posteriors * emission.log_prob(p, X)) + emission.log_prior(p))

    at_best = objective(best)
    unconstrained = emission.unconstrained(best)
    for _ in range(20):
        moved = [u + 1e-3 * rng.randn(*u.shape) for u in unconstrained]
        if covariance_type in ("full", "tied"):  # keep the factor lower-triangular
            moved[1] = np.where(np.tri(2, dtype=bool), moved[1], 0.0)
        assert objective(emission.from_unconstrained(moved)) <= at_best + 1e-9


SHAPE = "must be a number or an array of shape"
NOT_PSD = np.array([[[1.0, 2.0], [0.0, 1.0]]] * 2)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"startprob_prior": [1.0, 2.0, 3.0]}, rf"startprob_prior {SHAPE} \(2,\)"),
        ({"transmat_prior": np.ones((2, 3))}, rf"transmat_prior {SHAPE} \(2, 2\)"),
        ({"transmat_prior": [[1.0, -1.0], [1.0, 1.0]]}, "transmat_prior must be at least 0"),
        ({"means_prior": np.ones((3, 2))}, rf"means_prior {SHAPE} \(2, 2\)"),
        ({"means_weight": [1.0, np.nan]}, "means_weight: Input contains NaN"),
        ({"covars_prior": np.ones((2, 3))}, rf"covars_prior {SHAPE} \(2, 2\)"),
        ({"covars_prior": -1.0}, "'covars_prior' parameter of HMMEM must be"),
        ({"covars_prior": -np.ones((2, 2))}, "covars_prior must be positive semi"),
        ({"covariance_type": "full", "covars_prior": NOT_PSD}, "covars_prior must be symmetric"),
        ({"covariance_type": "tied", "covars_weight": [3.0, 4.0]}, rf"covars_weight {SHAPE} \(\)"),
        (
            {"emission": "categorical", "emissionprob_prior": np.ones((2, 7))},
            rf"emissionprob_prior {SHAPE} \(2, 3\)",
        ),
        ({"emission": "poisson", "lambdas_prior": np.ones(5)}, rf"lambdas_prior {SHAPE} \(2, 2\)"),
        ({"emission": "poisson", "lambdas_weight": "a lot"}, "'lambdas_weight' parameter of"),
    ],
)
def test_bad_priors_are_named_and_leave_a_fitted_model_as_it_was(params, match):
    rng = np.random.RandomState(5)
    emission = params.get("emission", "gaussian")
    X = {
        "gaussian": rng.randn(60, 2),
        "categorical": rng.randint(0, 3, size=(60, 1)),
        "poisson": rng.poisson(3.0, size=(60, 2)),
    }[emission]
    hmm = HMMEM(2, emission=emission, random_state=0).fit(X)
    before = hmm.transmat_.copy()
    with pytest.raises(ValueError, match=match):
        hmm.set_params(**params).fit(X)
    np.testing.assert_array_equal(hmm.transmat_, before)


def test_flat_priors_give_the_maximum_likelihood_iterates_bit_for_bit():
    rng = np.random.RandomState(6)
    X = gaussian_data(rng)[0]
    plain = HMMEM(3, covariance_type="full", random_state=0).fit(X)
    flat = HMMEM(
        3,
        covariance_type="full",
        random_state=0,
        startprob_prior=np.ones(3),
        transmat_prior=np.ones((3, 3)),
        means_weight=0.0,
        covars_prior=0.0,
        covars_weight=2.0,  # not above n_features: no degrees of freedom added
    ).fit(X)
    np.testing.assert_array_equal(plain.covars_, flat.covars_)
    assert plain.lower_bounds_ == flat.lower_bounds_
    with pytest.warns(ConvergenceWarning):
        HMMEM(3, max_iter=1, tol=0, random_state=0).fit(X)
