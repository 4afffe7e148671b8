"""HMMEM with a Gaussian mixture per state (emission="gmm"), against hmmlearn's GMMHMM
and closed forms."""

import json
import warnings

import numpy as np
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from sklearn.exceptions import ConvergenceWarning

from emkit import HMMEM, GaussianMixtureEM
from emkit.io import from_json, to_json
from emkit.utils import align_components

hmmlearn = pytest.importorskip("hmmlearn.hmm")
BaseHMM = pytest.importorskip("hmmlearn.base").BaseHMM

COVARIANCE_TYPES = ["diag", "full", "spherical", "tied"]
K, M, D = 3, 2, 2


def unit_covars(covariance_type, k=K, m=M, d=D):
    """Identity covariances in GMMHMM's shape of ``covariance_type``."""
    return {
        "diag": np.ones((k, m, d)),
        "full": np.tile(np.eye(d), (k, m, 1, 1)),
        "spherical": np.ones((k, m)),
        "tied": np.tile(np.eye(d), (k, 1, 1)),
    }[covariance_type]


def full_covars(covars, covariance_type, m=M, d=D):
    """(k, m, d, d) matrices from GMMHMM-shaped covariances."""
    if covariance_type == "full":
        return covars
    if covariance_type == "tied":
        return np.repeat(covars[:, None], m, axis=1)
    if covariance_type == "spherical":
        covars = np.repeat(covars[..., None], d, axis=-1)
    return covars[..., None] * np.eye(d)


def random_data(seed=0):
    rng = np.random.RandomState(seed)
    lengths = rng.randint(20, 60, size=8)
    n = lengths.sum()
    X = rng.randn(n, D) + 2.0 * rng.randint(0, 3, size=(n, 1))
    X += 1.5 * rng.randint(0, 2, size=(n, 1)) * np.array([1.0, -1.0])
    start = {
        "startprob_init": rng.dirichlet(np.ones(K)),
        "transmat_init": rng.dirichlet(np.ones(K), size=K),
        "weights_init": rng.dirichlet(np.ones(M), size=K),
        "means_init": X[rng.choice(n, K * M, replace=False)].reshape(K, M, D),
    }
    return X, lengths, start


class GMMHMMWithoutKMeans(hmmlearn.GMMHMM):
    """GMMHMM without the k-means that its ``_init`` runs, and discards, with
    ``init_params=""`` (seconds per fit); the iterates are GMMHMM's."""

    def _init(self, X, lengths=None):
        BaseHMM._init(self, X, lengths)
        self._init_covar_priors()
        self._fix_priors_shape()


def hmmlearn_gmmhmm(covariance_type, start, covars, **kwargs):
    """GMMHMM from ``start``, with neutral priors: its default spherical prior is not."""
    spherical = {"covars_prior": -(D + 2) / 2} if covariance_type == "spherical" else {}
    k, m = np.shape(start["weights_init"])
    reference = GMMHMMWithoutKMeans(
        k, m, covariance_type=covariance_type, init_params="", tol=-np.inf, **spherical, **kwargs
    )
    reference.startprob_ = start["startprob_init"]
    reference.transmat_ = start["transmat_init"]
    reference.weights_ = start["weights_init"]
    reference.means_ = start["means_init"]
    reference.covars_ = covars
    return reference


def plain_baum_welch(covariance_type, start, covars, max_iter, **kwargs):
    k, m = np.shape(start["weights_init"])
    return HMMEM(
        k,
        emission="gmm",
        n_mix=m,
        covariance_type=covariance_type,
        covars_init=covars,
        reg_covar=0.0,
        max_iter=max_iter,
        tol=0.0,
        accelerate=None,
        **start,
        **kwargs,
    )


def fit_quietly(model, X, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, **kwargs)


# ---------------------------------------------------------------- against hmmlearn


@pytest.mark.parametrize("fixed", ["means", "covars"])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_reproduces_hmmlearn_gmmhmm_iterates(covariance_type, fixed):
    # With the means or the covariances fixed, hmmlearn's update is the M-step
    # of EM (see the next test for both at once).
    X, lengths, start = random_data()
    covars = unit_covars(covariance_type)
    letters = {"means": "stwc", "covars": "stwm"}[fixed]
    update = tuple(
        n for n in ("startprob", "transmat", "weights", "means", "covars") if n != fixed
    )
    for n_iter in [1, 25]:
        reference = hmmlearn_gmmhmm(covariance_type, start, covars, params=letters, n_iter=n_iter)
        reference.fit(X, lengths)
        ours = plain_baum_welch(covariance_type, start, covars, n_iter, update_params=update)
        fit_quietly(ours, X, lengths=lengths)
        np.testing.assert_allclose(
            np.array(ours.lower_bounds_) * len(X), list(reference.monitor_.history), rtol=1e-10
        )
        for name in ["startprob_", "transmat_", "weights_", "means_", "covars_"]:
            np.testing.assert_allclose(
                getattr(ours, name), getattr(reference, name), rtol=1e-6, atol=1e-12, err_msg=name
            )
        assert ours.score(X, lengths=lengths) * len(X) == pytest.approx(
            reference.score(X, lengths), rel=1e-10
        )


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_hmmlearn_centres_the_covariances_on_the_previous_means(covariance_type):
    # hmmlearn 0.3.3's GMMHMM, updating means and covariances, estimates the
    # covariances about the means before the update: a conditional
    # maximisation (ECM), not EM's M-step. Its first iterate is EM's, with the
    # covariances of EM with the means fixed.
    X, lengths, start = random_data()
    covars = unit_covars(covariance_type)
    reference = hmmlearn_gmmhmm(covariance_type, start, covars, n_iter=1).fit(X, lengths)
    ours = fit_quietly(plain_baum_welch(covariance_type, start, covars, 1), X, lengths=lengths)
    about_previous = plain_baum_welch(covariance_type, start, covars, 1, update_params=("covars",))
    fit_quietly(about_previous, X, lengths=lengths)
    for name in ["startprob_", "transmat_", "weights_", "means_"]:
        np.testing.assert_allclose(getattr(ours, name), getattr(reference, name), rtol=1e-6)
    np.testing.assert_allclose(about_previous.covars_, reference.covars_, rtol=1e-6)
    assert not np.allclose(ours.covars_, reference.covars_, rtol=1e-3)

    # Both have EM's fixed points: on well-separated data, the same maximum.
    X, _, lengths, truth, _ = sample_gmm_hmm(10, 100)
    start = {
        "startprob_init": np.full(2, 0.5),
        "transmat_init": np.full((2, 2), 0.5),
        "weights_init": np.full((2, 2), 0.5),
        "means_init": truth["means"] + 0.5,
    }
    covars = unit_covars(covariance_type, k=2)
    reference = hmmlearn_gmmhmm(covariance_type, start, covars, n_iter=200).fit(X, lengths)
    ours = fit_quietly(plain_baum_welch(covariance_type, start, covars, 200), X, lengths=lengths)
    assert ours.lower_bound_ * len(X) == pytest.approx(reference.monitor_.history[-1], rel=1e-10)
    np.testing.assert_allclose(ours.means_, reference.means_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.covars_, reference.covars_, rtol=1e-6, atol=1e-8)


# -------------------------------------------------------------------- closed forms


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_one_component_per_state_is_a_gaussian_hmm(covariance_type):
    # With n_mix=1, a state's "tied" covariance is its own full matrix.
    X, lengths, start = random_data(1)
    means = start["means_init"][:, 0]
    gaussian_type = "full" if covariance_type == "tied" else covariance_type
    covars = unit_covars(covariance_type, m=1)
    common = {
        "startprob_init": start["startprob_init"],
        "transmat_init": start["transmat_init"],
        "reg_covar": 0.0,
        "max_iter": 10,
        "tol": 0.0,
        "accelerate": None,
    }
    gmm = HMMEM(
        K,
        emission="gmm",
        covariance_type=covariance_type,
        means_init=means[:, None],
        covars_init=covars,
        **common,
    )
    gaussian = HMMEM(
        K,
        covariance_type=gaussian_type,
        means_init=means,
        covars_init=unit_covars(gaussian_type, m=1)[:, 0],
        **common,
    )
    fit_quietly(gmm, X, lengths=lengths)
    fit_quietly(gaussian, X, lengths=lengths)
    np.testing.assert_allclose(gmm.lower_bounds_, gaussian.lower_bounds_, rtol=1e-12)
    np.testing.assert_array_equal(gmm.weights_, 1.0)
    np.testing.assert_allclose(gmm.means_[:, 0], gaussian.means_, rtol=1e-10)
    np.testing.assert_allclose(gmm.covars_.reshape(gaussian.covars_.shape), gaussian.covars_)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_one_state_is_a_gaussian_mixture(covariance_type):
    # One state: every posterior is 1, and the state's mixture is fitted as a
    # GaussianMixtureEM is ("tied" then shares one matrix among all components).
    rng = np.random.RandomState(2)
    X = np.r_[rng.randn(150, 2), rng.randn(100, 2) * 0.5 + 3, rng.randn(50, 2) + np.array([0, 4])]
    m = 3
    weights = np.array([0.5, 0.3, 0.2])
    means = X[[0, 160, 280]]
    covars = unit_covars(covariance_type, k=1, m=m)[0]
    precisions = (
        1.0 / covars if covariance_type in ("diag", "spherical") else np.linalg.inv(covars)
    )
    mixture = GaussianMixtureEM(
        m,
        covariance_type=covariance_type,
        weights_init=weights,
        means_init=means,
        precisions_init=precisions,
        reg_covar=0.0,
        max_iter=15,
        tol=0.0,
        accelerate=None,
    )
    hmm = HMMEM(
        1,
        emission="gmm",
        n_mix=m,
        covariance_type=covariance_type,
        weights_init=weights[None],
        means_init=means[None],
        covars_init=covars[None],
        reg_covar=0.0,
        max_iter=15,
        tol=0.0,
        accelerate=None,
    )
    fit_quietly(mixture, X)
    fit_quietly(hmm, X)
    np.testing.assert_allclose(hmm.lower_bounds_, mixture.lower_bounds_, rtol=1e-10)
    np.testing.assert_allclose(hmm.weights_[0], mixture.weights_, rtol=1e-8)
    np.testing.assert_allclose(hmm.means_[0], mixture.means_, rtol=1e-8)
    np.testing.assert_allclose(hmm.covars_[0], mixture.covariances_, rtol=1e-8)
    assert hmm.score(X) == pytest.approx(mixture.score(X), rel=1e-12)


def test_missing_values_are_marginalised_out_of_each_component():
    weights = np.array([[0.3, 0.7]])
    means = np.array([[[0.0, 1.0, 2.0], [2.0, -1.0, 0.5]]])
    covars = np.array([[[[2.0, 0.5, 0.3], [0.5, 1.0, 0.2], [0.3, 0.2, 1.5]], np.eye(3) * 0.5]])
    hmm = HMMEM(
        1,
        emission="gmm",
        n_mix=2,
        covariance_type="full",
        weights_init=weights,
        means_init=means,
        covars_init=covars,
        max_iter=0,
    ).fit(np.zeros((2, 3)))
    row = np.array([[0.4, np.nan, 1.1]])
    observed = [0, 2]
    expected = logsumexp(
        [
            np.log(weights[0, j])
            + multivariate_normal(
                means[0, j, observed], covars[0, j][np.ix_(observed, observed)]
            ).logpdf(row[0, observed])
            for j in range(2)
        ]
    )
    assert hmm.score(row) == pytest.approx(expected, rel=1e-12)
    assert hmm.score([[np.nan, np.nan, np.nan]]) == pytest.approx(0.0, abs=1e-15)


def test_sampled_rows_have_the_moments_of_the_mixture():
    weights = np.array([[0.25, 0.75]])
    means = np.array([[[0.0, 1.0], [3.0, -1.0]]])
    covars = np.array([[[[1.0, 0.5], [0.5, 2.0]], [[0.5, -0.2], [-0.2, 0.3]]]])
    hmm = HMMEM(
        1,
        emission="gmm",
        n_mix=2,
        covariance_type="full",
        weights_init=weights,
        means_init=means,
        covars_init=covars,
        max_iter=0,
    ).fit(np.zeros((2, 2)))
    X, states = hmm.sample(200_000, random_state=0)
    np.testing.assert_array_equal(states, 0)
    mean = weights[0] @ means[0]
    second = np.einsum(
        "j,jde->de", weights[0], covars[0] + means[0, :, :, None] * means[0, :, None]
    )
    np.testing.assert_allclose(X.mean(axis=0), mean, atol=0.01)
    np.testing.assert_allclose(np.cov(X.T), second - np.outer(mean, mean), atol=0.02)


# ------------------------------------------------------------------- recovery


def sample_gmm_hmm(n_sequences=30, length=200, random_state=0):
    truth = {
        "startprob": np.array([0.7, 0.3]),
        "transmat": np.array([[0.95, 0.05], [0.1, 0.9]]),
        "weights": np.array([[0.4, 0.6], [0.7, 0.3]]),
        "means": np.array([[[0.0, 0.0], [2.5, 3.0]], [[9.0, 0.0], [10.0, 4.0]]]),
        "covars": np.array([[[0.5, 0.3], [0.4, 0.6]], [[0.8, 0.5], [0.3, 0.3]]]),
    }
    model = HMMEM(
        2,
        emission="gmm",
        n_mix=2,
        **{f"{name}_init": value for name, value in truth.items()},
        max_iter=0,
    ).fit(np.zeros((4, 2)))
    rng = np.random.RandomState(random_state)
    pieces = [model.sample(length, random_state=rng) for _ in range(n_sequences)]
    X = np.vstack([p[0] for p in pieces])
    states = np.concatenate([p[1] for p in pieces])
    return X, states, np.full(n_sequences, length), truth, model


@pytest.fixture(scope="module")
def sampled():
    return sample_gmm_hmm()


def in_true_order(fitted, truth):
    """The fitted states, and each state's components, in the order of ``truth``'s."""
    cost = ((fitted.means_.mean(axis=1)[:, None] - truth["means"].mean(axis=1)) ** 2).sum(-1)
    states = linear_sum_assignment(cost)[1].argsort()
    mixes = [
        linear_sum_assignment(
            ((fitted.means_[s][:, None] - truth["means"][t][None]) ** 2).sum(-1)
        )[1].argsort()
        for t, s in enumerate(states)
    ]
    return states, np.array(mixes)


def test_recovers_a_sampled_gmm_hmm(sampled):
    X, states, lengths, truth, _ = sampled
    hmm = HMMEM(2, emission="gmm", n_mix=2, random_state=0).fit(X, lengths=lengths)
    order, mixes = in_true_order(hmm, truth)
    rows = order[:, None]
    np.testing.assert_allclose(hmm.means_[rows, mixes], truth["means"], atol=0.1)
    np.testing.assert_allclose(hmm.covars_[rows, mixes], truth["covars"], atol=0.1)
    np.testing.assert_allclose(hmm.weights_[rows, mixes], truth["weights"], atol=0.03)
    np.testing.assert_allclose(hmm.transmat_[np.ix_(order, order)], truth["transmat"], atol=0.02)
    assert np.mean(hmm.predict(X, lengths=lengths) == order[states]) > 0.99
    assert hmm.converged_


def test_recovers_it_with_missing_values(sampled):
    X, _, lengths, truth, _ = sampled
    gappy = X.copy()
    gappy[np.random.RandomState(0).random_sample(X.shape) < 0.15] = np.nan
    hmm = HMMEM(2, emission="gmm", n_mix=2, random_state=0).fit(gappy, lengths=lengths)
    order, mixes = in_true_order(hmm, truth)
    rows = order[:, None]
    np.testing.assert_allclose(hmm.means_[rows, mixes], truth["means"], atol=0.15)
    np.testing.assert_allclose(hmm.weights_[rows, mixes], truth["weights"], atol=0.05)
    # A fully missing observation adds no emission term.
    longer = np.vstack([gappy[:200], [[np.nan, np.nan]]])
    assert hmm.score(longer, lengths=[201]) * 201 == pytest.approx(
        hmm.score(gappy[:200], lengths=[200]) * 200, rel=1e-12
    )


def test_inference_methods_and_parameter_count(sampled):
    X, _, lengths, _, truth = sampled
    hmm = HMMEM(2, emission="gmm", n_mix=2, covariance_type="full", random_state=0)
    hmm.fit(X, lengths=lengths)
    log_prob, states = hmm.decode(X, lengths=lengths)
    np.testing.assert_array_equal(states, hmm.predict(X, lengths=lengths))
    assert log_prob <= hmm.score(X, lengths=lengths) * len(X)
    posteriors = hmm.predict_proba(X, lengths=lengths)
    np.testing.assert_allclose(posteriors.sum(axis=1), 1.0)
    assert hmm.score(X, lengths=lengths) >= truth.score(X, lengths=lengths)
    # start, transitions, weights, means, full covariances
    n_parameters = 1 + 2 + 2 + 2 * 2 * 2 + 2 * 2 * 3
    total = hmm.score(X, lengths=lengths) * len(X)
    assert hmm.bic(X, lengths=lengths) == pytest.approx(-2 * total + n_parameters * np.log(len(X)))
    sample, sample_states = hmm.sample(50, random_state=0)
    assert sample.shape == (50, 2) and set(np.unique(sample_states)) <= {0, 1}


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_states_permute_with_their_mixtures(sampled, covariance_type):
    X, _, lengths, _, _ = sampled
    X, lengths = X[:1000], lengths[:5]
    hmm = HMMEM(2, emission="gmm", n_mix=2, covariance_type=covariance_type, random_state=0)
    hmm.fit(X, lengths=lengths)
    swapped = HMMEM(
        2,
        emission="gmm",
        n_mix=2,
        covariance_type=covariance_type,
        startprob_init=hmm.startprob_[::-1],
        transmat_init=hmm.transmat_[::-1, ::-1],
        weights_init=hmm.weights_[::-1],
        means_init=hmm.means_[::-1],
        covars_init=hmm.covars_[::-1],
        max_iter=0,
    ).fit(X)
    aligned = align_components(hmm, swapped)
    for name in ["startprob_", "transmat_", "weights_", "means_", "covars_"]:
        np.testing.assert_allclose(getattr(aligned, name), getattr(hmm, name), err_msg=name)
    assert swapped.score(X, lengths=lengths) == pytest.approx(hmm.score(X, lengths=lengths))


@pytest.mark.parametrize("init_params", ["short-em", "kmeans", "random"])
def test_each_state_starts_with_its_components_in_one_cluster(sampled, init_params):
    # The true states lie on either side of x = 5.5. A start's state takes its
    # n_mix means among the rows nearest its centre: with k-means centres (and
    # after short-em's runs), all on one side, the two states on both.
    X, _, lengths, _, _ = sampled
    start = HMMEM(2, emission="gmm", n_mix=2, init_params=init_params, max_iter=0)
    start.set_params(random_state=0).fit(X, lengths=lengths)
    if init_params == "random":  # rows of X
        assert all(np.any(np.all(X == mean, axis=1)) for mean in start.means_.reshape(-1, 2))
    else:
        sides = start.means_[:, :, 0] > 5.5
        assert set(sides.all(axis=1) | ~sides.any(axis=1)) == {True}
        assert sorted(sides[:, 0]) == [False, True]
    if init_params != "short-em":  # the others are where they start
        np.testing.assert_array_equal(start.weights_, 0.5)
        np.testing.assert_allclose(start.covars_, np.tile(X.var(axis=0), (2, 2, 1)), rtol=1e-6)


def test_squarem_reaches_the_plain_baum_welch_optimum(sampled):
    X, _, lengths, _, _ = sampled
    X, lengths = X[:2000], lengths[:10]
    kwargs = dict(emission="gmm", n_mix=2, tol=1e-10, max_iter=5000, random_state=0)
    plain = HMMEM(2, accelerate=None, **kwargs).fit(X, lengths=lengths)
    fast = HMMEM(2, accelerate="squarem", **kwargs).fit(X, lengths=lengths)
    assert fast.converged_ and fast.n_iter_ <= plain.n_iter_ + 3
    assert fast.lower_bound_ >= plain.lower_bound_ - 1e-9
    np.testing.assert_allclose(fast.means_, plain.means_, atol=1e-3)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n_states=st.integers(1, 3),
    n_mix=st.integers(1, 3),
    covariance_type=st.sampled_from(COVARIANCE_TYPES),
    accelerate=st.sampled_from([None, "squarem"]),
)
def test_baum_welch_never_decreases_the_log_likelihood(
    seed, n_states, n_mix, covariance_type, accelerate
):
    rng = np.random.RandomState(seed)
    lengths = rng.randint(10, 60, size=rng.randint(1, 5))
    n = lengths.sum()
    X = rng.standard_normal((n, 2)) * 2 + rng.randint(0, 4, size=(n, 1)) * 4
    X[rng.random_sample(X.shape) < 0.1] = np.nan
    X[np.isnan(X).all(axis=1), 0] = 0.0
    hmm = HMMEM(
        n_states,
        emission="gmm",
        n_mix=n_mix,
        covariance_type=covariance_type,
        init_params="random",
        max_iter=25,
        tol=0,
        reg_covar=0.0,  # exact EM
        random_state=seed,
        accelerate=accelerate,
    )
    try:
        fit_quietly(hmm, X, lengths=lengths)
    except ValueError as error:  # a component collapsed onto too few points
        assert "ill-defined empirical covariance" in str(error)
        reject()
    bounds = np.array(hmm.lower_bounds_)
    assert np.all(np.isfinite(bounds))
    assert np.all(np.diff(bounds) >= -1e-9 * np.abs(bounds[1:]))


# ------------------------------------------------------------------- bad input

GOOD = np.random.RandomState(3).randn(30, 2)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_mix": 0}, "n_mix"),
        ({"n_mix": 1.5}, "n_mix"),
        ({"weights_init": np.full((2, 3), 1 / 3)}, r"weights_init must have shape \(2, 2\)"),
        ({"weights_init": [[0.5, 0.6], [0.5, 0.5]]}, "weights_init must sum to 1"),
        ({"weights_init": [[1.5, -0.5], [0.5, 0.5]]}, "weights_init must lie in"),
        ({"means_init": np.zeros((2, 2))}, r"means_init must have shape \(2, 2, 2\)"),
        ({"covars_init": np.ones((2, 2))}, r"covars_init must have shape \(2, 2, 2\)"),
        ({"covars_init": -np.ones((2, 2, 2))}, "covars_init must be positive-definite"),
        (
            {
                "covariance_type": "full",
                "covars_init": np.tile([[1.0, 2.0], [2.0, 1.0]], (2, 2, 1, 1)),
            },
            "covars_init must be positive-definite",
        ),
        (
            {"covariance_type": "tied", "covars_init": np.ones((2, 2, 2, 2))},
            r"covars_init must have shape \(2, 2, 2\)",
        ),
        ({"update_params": ("emissionprob",)}, "update_params must be a tuple of names"),
        ({"n_mix": 16}, "X: expected n_samples >= n_components \\* n_mix but got .* = 32"),
        ({"means_weight": 1.0}, "means_weight: emission='gmm' takes no prior"),
        ({"covars_prior": 0.1}, "covars_prior: emission='gmm' takes no prior"),
        ({"covars_weight": 5.0}, "covars_weight: emission='gmm' takes no prior"),
    ],
)
def test_bad_input_is_refused_before_any_work(params, match):
    fitted = HMMEM(2, emission="gmm", n_mix=2, random_state=0).fit(GOOD)
    before = {name: np.copy(value) for name, value in vars(fitted).items() if name.endswith("_")}
    with pytest.raises(ValueError, match=match):
        fitted.set_params(**params).fit(GOOD)
    for name, value in before.items():
        np.testing.assert_array_equal(getattr(fitted, name), value)


def test_weights_are_a_name_of_the_mixture_emission_only():
    with pytest.raises(ValueError, match="update_params must be a tuple of names"):
        HMMEM(2, update_params=("weights",)).fit(GOOD)
    fixed = HMMEM(
        2,
        emission="gmm",
        n_mix=2,
        weights_init=[[0.5, 0.5], [0.9, 0.1]],
        update_params=("means", "covars"),
        random_state=0,
    ).fit(GOOD)
    # SQUAREM maps them to logs and back: equal up to rounding.
    np.testing.assert_allclose(fixed.weights_, [[0.5, 0.5], [0.9, 0.1]], rtol=1e-14)


def test_model_files_are_checked(sampled):
    X = sampled[0][:400]
    hmm = HMMEM(2, emission="gmm", n_mix=2, covariance_type="full", random_state=0).fit(X)
    document = json.loads(to_json(hmm))
    tampered = json.loads(json.dumps(document))
    tampered["attributes"]["weights_"]["array"] = [0.5, 0.6, 0.5, 0.5]
    with pytest.raises(ValueError, match="weights_ are not probabilities"):
        from_json(json.dumps(tampered))
    tampered = json.loads(json.dumps(document))
    tampered["params"]["n_mix"] = 3
    with pytest.raises(ValueError, match=r"weights_ has shape \(2, 2\); expected \(2, 3\)"):
        from_json(json.dumps(tampered))
