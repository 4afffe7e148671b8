"""HMMEM's hmmlearn surface: stationary distribution, sampling, impossible
sequences, the degenerate-fit warning and the one-sequence warning."""

import json
import logging
import warnings

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from emkit import HMMEM
from emkit._hmm_base import _draw
from emkit.io import from_json, to_json

hmmlearn = pytest.importorskip("hmmlearn.hmm")

# A categorical model whose start probabilities are far from its stationary
# distribution, so that a chain that ran on across sequences would show.
STARTPROB = np.array([0.7, 0.2, 0.1])
TRANSMAT = np.array([[0.5, 0.3, 0.2], [0.1, 0.6, 0.3], [0.05, 0.15, 0.8]])
EMISSIONPROB = np.array([[0.8, 0.1, 0.1], [0.2, 0.6, 0.2], [0.1, 0.2, 0.7]])


def built(startprob=STARTPROB, transmat=TRANSMAT, emissionprob=EMISSIONPROB, **params):
    """The categorical HMM of these parameters (max_iter=0: no EM)."""
    k, m = np.shape(emissionprob)
    return HMMEM(
        k,
        emission="categorical",
        startprob_init=startprob,
        transmat_init=transmat,
        emissionprob_init=emissionprob,
        max_iter=0,
        **params,
    ).fit(np.arange(max(k, m))[:, None] % m)


def assert_frequencies_match(counts, probabilities):
    """Counts of outcomes (last axis) agree with their probabilities within 5 standard errors."""
    counts = np.atleast_2d(counts)
    probabilities = np.atleast_2d(probabilities)
    n = counts.sum(axis=1, keepdims=True)
    assert np.all(n > 1000)  # enough draws for the normal approximation
    standard_error = np.sqrt(probabilities * (1 - probabilities) / n)
    np.testing.assert_array_less(np.abs(counts / n - probabilities), 5 * standard_error + 1e-12)


def hmmlearn_stationary(transmat):
    reference = hmmlearn.CategoricalHMM(len(transmat))
    reference.transmat_ = np.asarray(transmat)
    return reference.get_stationary_distribution()


# ------------------------------------------------------------ stationary distribution


@pytest.mark.parametrize("a, b", [(0.1, 0.3), (0.5, 0.5), (0.01, 0.9), (1.0, 1.0), (1e-6, 0.2)])
def test_stationary_distribution_of_two_states_is_the_closed_form(a, b):
    transmat = [[1 - a, a], [b, 1 - b]]
    hmm = built([0.5, 0.5], transmat, EMISSIONPROB[:2])
    pi = hmm.get_stationary_distribution()
    np.testing.assert_allclose(pi, np.array([b, a]) / (a + b), rtol=1e-9)


@pytest.mark.parametrize("seed", range(20))
def test_stationary_distribution_equals_hmmlearn_on_ergodic_chains(seed):
    rng = np.random.RandomState(seed)
    k = rng.randint(2, 9)
    transmat = rng.dirichlet(np.full(k, 0.5), size=k)
    hmm = built(rng.dirichlet(np.ones(k)), transmat, rng.dirichlet(np.ones(3), size=k))
    pi = hmm.get_stationary_distribution()
    assert pi.shape == (k,)
    assert pi.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(pi @ transmat, pi, atol=1e-12)
    np.testing.assert_allclose(pi, hmmlearn_stationary(transmat), atol=1e-10)


@pytest.mark.parametrize(
    "transmat, expected",
    [
        ([[0.0, 1.0], [1.0, 0.0]], [0.5, 0.5]),
        ([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], [1 / 3, 1 / 3, 1 / 3]),
        # period 2 with unequal halves: the chain alternates {0} and {1, 2}
        ([[0.0, 0.25, 0.75], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]], [0.5, 0.125, 0.375]),
    ],
)
def test_stationary_distribution_of_periodic_chains_is_the_unique_one(transmat, expected):
    k = len(transmat)
    for startprob in np.eye(k):  # whatever the start
        hmm = built(startprob, transmat, EMISSIONPROB[:k])
        np.testing.assert_allclose(hmm.get_stationary_distribution(), expected, atol=1e-12)
    np.testing.assert_allclose(hmmlearn_stationary(transmat), expected, atol=1e-12)


def test_stationary_distribution_of_reducible_chains_is_the_long_run_one_from_startprob():
    left_right = [[0.9, 0.1, 0.0], [0.0, 0.8, 0.2], [0.0, 0.0, 1.0]]
    hmm = built([0.5, 0.5, 0.0], left_right)
    np.testing.assert_array_equal(hmm.get_stationary_distribution(), [0.0, 0.0, 1.0])
    # Every state closed: the chain stays where it starts.
    hmm = built([0.2, 0.3, 0.5], np.eye(3))
    np.testing.assert_allclose(hmm.get_stationary_distribution(), [0.2, 0.3, 0.5])
    # From state 0, the chain ends in state 1 with probability 0.2 / 0.5, in 2 with 0.3 / 0.5.
    splitting = [[0.5, 0.2, 0.3], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    hmm = built([1.0, 0.0, 0.0], splitting)
    np.testing.assert_allclose(hmm.get_stationary_distribution(), [0.0, 0.4, 0.6], atol=1e-15)


@pytest.mark.parametrize("seed", range(30))
def test_stationary_distribution_is_the_limit_of_the_chain_from_startprob(seed):
    # Random sparse chains, mostly reducible. The lazy chain (P + I) / 2 has the
    # stationary distributions of P and is aperiodic, so startprob (P + I)^t / 2^t
    # converges to the mean of startprob P^t over t: the long-run distribution.
    rng = np.random.RandomState(seed)
    k = rng.randint(2, 8)
    transmat = rng.dirichlet(np.ones(k), size=k) * (rng.rand(k, k) < 0.4)
    transmat[np.arange(k), rng.randint(k, size=k)] += 0.1  # no empty row
    transmat /= transmat.sum(axis=1, keepdims=True)
    startprob = rng.dirichlet(np.ones(k))
    pi = built(
        startprob, transmat, rng.dirichlet(np.ones(3), size=k)
    ).get_stationary_distribution()
    lazy = (transmat + np.eye(k)) / 2
    for _ in range(60):  # lazy ** 2**60
        lazy = lazy @ lazy
        lazy /= lazy.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(pi, startprob @ lazy, atol=1e-9)
    np.testing.assert_allclose(pi @ transmat, pi, atol=1e-12)
    assert np.all(pi >= 0) and pi.sum() == pytest.approx(1.0, abs=1e-12)


def test_stationary_distribution_needs_a_fitted_model():
    with pytest.raises(NotFittedError):
        HMMEM(2).get_stationary_distribution()


# ---------------------------------------------------------------------------- sample


def transition_counts(states, lengths):
    """Counts of transitions i -> j inside the sequences, never across their boundaries."""
    k = states.max() + 1
    within = np.ones(len(states), dtype=bool)
    within[np.cumsum(lengths)[:-1]] = False  # the first state of every sequence but one
    within[0] = False
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (states[:-1][within[1:]], states[1:][within[1:]]), 1)
    return counts


def test_sampled_sequences_follow_startprob_transmat_and_emissions():
    hmm = built()
    lengths = np.random.RandomState(1).randint(1, 12, size=8000)  # some of one row
    X, states = hmm.sample(lengths=lengths, random_state=0)
    assert X.shape == (lengths.sum(), 1) and states.shape == (lengths.sum(),)
    starts = np.cumsum(lengths) - lengths
    assert_frequencies_match(np.bincount(states[starts], minlength=3), STARTPROB)
    assert_frequencies_match(transition_counts(states, lengths), TRANSMAT)
    emissions = np.zeros((3, 3), dtype=np.int64)
    np.add.at(emissions, (states, X[:, 0]), 1)
    assert_frequencies_match(emissions, EMISSIONPROB)


def test_currstate_is_the_first_state_of_every_sequence():
    hmm = built()
    lengths = np.full(4000, 2)
    _, states = hmm.sample(lengths=lengths, currstate=2, random_state=0)
    np.testing.assert_array_equal(states[::2], 2)
    assert_frequencies_match(np.bincount(states[1::2], minlength=3), TRANSMAT[2])
    _, states = hmm.sample(50, currstate=1, random_state=0)
    assert states[0] == 1
    _, states = hmm.sample(currstate=np.int64(1), random_state=0)  # as states[-1] gives it
    np.testing.assert_array_equal(states, [1])


def test_sampling_never_draws_what_has_probability_zero():
    transmat = [[0.0, 0.5, 0.5], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]
    hmm = built([0.0, 0.3, 0.7], transmat, [[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    lengths = np.full(2000, 5)
    X, states = hmm.sample(lengths=lengths, random_state=0)
    assert np.all(states != 0)
    assert np.all(transition_counts(states, lengths)[np.asarray(transmat) == 0] == 0)
    assert np.all(X[states == 2] == 1)


@pytest.mark.parametrize("emission", ["gaussian", "categorical", "poisson"])
def test_sample_shapes_and_reproducibility(emission):
    rng = np.random.RandomState(0)
    X = rng.poisson(3, size=(60, 1 if emission == "categorical" else 2))
    hmm = HMMEM(2, emission=emission, random_state=0).fit(X)
    X_new, states = hmm.sample(lengths=[3, 1, 5], random_state=7)
    assert X_new.shape == (9, X.shape[1]) and states.shape == (9,)
    for a, b in zip(hmm.sample(lengths=[3, 1, 5], random_state=7), (X_new, states)):
        np.testing.assert_array_equal(a, b)
    same_total = hmm.sample(9, lengths=[3, 1, 5], random_state=7)
    np.testing.assert_array_equal(same_total[0], X_new)
    # The estimator's random_state seeds a draw without one.
    np.testing.assert_array_equal(hmm.sample(20)[0], hmm.sample(20)[0])
    # One sequence given by its length is the sequence of n_samples.
    for a, b in zip(hmm.sample(20, random_state=3), hmm.sample(lengths=[20], random_state=3)):
        np.testing.assert_array_equal(a, b)
    assert hmm.sample()[0].shape == (1, X.shape[1])
    different = hmm.sample(lengths=[3, 1, 5], random_state=8)[0]
    assert not np.array_equal(different, X_new)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_samples": 0}, "n_samples must be a positive integer"),
        ({"n_samples": -2}, "n_samples must be a positive integer"),
        ({"n_samples": 2.5}, "n_samples must be a positive integer"),
        ({"n_samples": True}, "n_samples must be a positive integer"),
        ({"n_samples": "3"}, "n_samples must be a positive integer"),
        ({"currstate": -1}, "currstate must be a state: an integer from 0 to 2"),
        ({"currstate": 3}, "currstate must be a state"),
        ({"currstate": 1.0}, "currstate must be a state"),
        ({"currstate": True}, "currstate must be a state"),
        ({"currstate": "0"}, "currstate must be a state"),
        ({"lengths": [3, 0]}, "lengths must be positive"),
        ({"lengths": [-1]}, "lengths must be positive"),
        ({"lengths": [1.5, 2.5]}, "lengths must be a 1-D array of integers"),
        ({"lengths": [[1, 2]]}, "lengths must be a 1-D array of integers"),
        ({"lengths": ["a"]}, "lengths"),
        ({"lengths": []}, "lengths"),
        ({"n_samples": 5, "lengths": [2, 2]}, r"lengths must sum to n_samples \(5\), got 4"),
        ({"n_samples": 1, "lengths": [2]}, r"lengths must sum to n_samples \(1\)"),
    ],
)
def test_bad_sample_arguments_are_named(kwargs, match):
    hmm = built()
    before = {name: np.copy(value) for name, value in vars(hmm).items() if name.endswith("_")}
    with pytest.raises((ValueError, TypeError), match=match):
        hmm.sample(**kwargs)
    for name, value in before.items():
        np.testing.assert_array_equal(getattr(hmm, name), value)


def test_sample_needs_a_fitted_model():
    with pytest.raises(NotFittedError):
        HMMEM(2).sample(3)


# ---------------------------------------------------------- sequences ruled out


def reference_of(hmm):
    """hmmlearn's CategoricalHMM with the parameters of ``hmm``."""
    reference = hmmlearn.CategoricalHMM(hmm.n_components, init_params="", implementation="log")
    reference.n_features = hmm.emissionprob_.shape[1]
    reference.startprob_ = hmm.startprob_
    reference.transmat_ = hmm.transmat_
    reference.emissionprob_ = hmm.emissionprob_
    return reference


STRICT = {  # state 0 never emits symbol 1; state 1 never emits 0 and never goes back to 0
    "startprob": [1.0, 0.0],
    "transmat": [[0.5, 0.5], [0.0, 1.0]],
    "emissionprob": [[1.0, 0.0], [0.0, 1.0]],
}
# [1, 0]: the first symbol rules out the start state; [0, 1, 0]: the transition 1 -> 0.
IMPOSSIBLE = {"zero emission": [[1], [0]], "zero transition": [[0], [1], [0]]}


@pytest.mark.parametrize("case", IMPOSSIBLE)
def test_impossible_sequences_score_minus_infinity_as_in_hmmlearn(case):
    hmm = built(**STRICT)
    X = np.array(IMPOSSIBLE[case])
    assert hmm.score(X) == -np.inf
    assert reference_of(hmm).score(X) == -np.inf
    assert hmm.bic(X) == np.inf and hmm.aic(X) == np.inf
    # One impossible sequence among possible ones: the total is -inf.
    possible = np.array([[0], [0], [1], [1]])
    assert np.isfinite(hmm.score(possible))
    together = np.vstack([possible, X])
    assert hmm.score(together, lengths=[4, len(X)]) == -np.inf
    assert reference_of(hmm).score(together, [4, len(X)]) == -np.inf


@pytest.mark.parametrize("case", IMPOSSIBLE)
@pytest.mark.parametrize(
    "method, kwargs",
    [
        ("predict", {}),
        ("predict_proba", {}),
        ("decode", {}),
        ("decode", {"algorithm": "map"}),
    ],
)
def test_impossible_sequences_have_no_posteriors_or_path(case, method, kwargs):
    hmm = built(**STRICT)
    X = np.vstack([[[0], [0], [1]], IMPOSSIBLE[case]])
    with pytest.raises(ValueError, match=r"Sequence\(s\) \[1\] have zero probability") as error:
        getattr(hmm, method)(X, lengths=[3, len(IMPOSSIBLE[case])], **kwargs)
    assert "score gives them log-likelihood -inf" in str(error.value)


def test_fitting_impossible_data_is_refused_and_leaves_the_model():
    params = {f"{name}_init": value for name, value in STRICT.items()}
    hmm = HMMEM(2, emission="categorical", random_state=0, **params)
    hmm.fit([[0], [0], [1], [1], [1]])
    before = {name: np.copy(value) for name, value in vars(hmm).items() if name.endswith("_")}
    with pytest.raises(ValueError, match=r"zero probability under the model.*\*_init arguments"):
        hmm.fit([[0], [1], [0], [0]])
    for name, value in before.items():
        np.testing.assert_array_equal(getattr(hmm, name), value)


# ------------------------------------------------------------------- degenerate fits


def degenerate_warnings(caught):
    return [w for w in caught if "free parameters" in str(w.message)]


def fit_recording(hmm, X, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hmm.fit(X, **kwargs)
    return degenerate_warnings(caught)


@pytest.fixture(scope="module")
def two_features():
    return np.random.RandomState(0).normal(size=(30, 2)) + np.repeat(
        [[0, 0], [5, 5], [0, 9]], 10, 0
    )


def test_fit_warns_when_parameters_outnumber_the_values(two_features):
    # 3 states, diagonal covariances, 2 features: 2 + 6 + 6 + 6 = 20 free parameters.
    [warning] = fit_recording(HMMEM(3, random_state=0), two_features[::3][:9])
    assert warning.category is UserWarning
    assert warning.filename == __file__  # the user's line
    assert "HMMEM has 20 free parameters, but X holds only 18 observed values" in str(
        warning.message
    )
    assert fit_recording(HMMEM(3, random_state=0), two_features[::3][:10]) == []
    # Fixed parameters are not counted: the 6 means alone.
    fixed = HMMEM(3, update_params=("means",), random_state=0)
    assert fit_recording(fixed, two_features[::3][:9]) == []
    # Missing values are not values.
    gappy = two_features[::3][:10].copy()
    gappy[[0, 4], [1, 0]] = np.nan
    [warning] = fit_recording(HMMEM(3, random_state=0), gappy)
    assert "only 18 observed values" in str(warning.message)
    # max_iter=0 estimates nothing.
    assert fit_recording(HMMEM(3, max_iter=0, random_state=0), two_features[:3]) == []


def test_categorical_degenerate_fits_warn():
    # 2 states, 3 symbols: 1 + 2 + 2 * 2 = 7 free parameters.
    hmm = HMMEM(2, emission="categorical", random_state=0)
    [warning] = fit_recording(hmm, [[0], [1], [2], [0], [1], [2]])
    assert "7 free parameters" in str(warning.message)
    assert fit_recording(hmm, [[0], [1], [2], [0], [1], [2], [0]]) == []


@pytest.mark.parametrize("n_rows", [9, 10])
def test_degenerate_warning_threshold_is_hmmlearns(two_features, n_rows, caplog):
    X = two_features[::3][:n_rows]
    with caplog.at_level(logging.WARNING, logger="hmmlearn"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hmmlearn.GaussianHMM(3, n_iter=1, random_state=0).fit(X)
    hmmlearn_warns = "degenerate solution" in caplog.text
    assert hmmlearn_warns == (n_rows == 9)
    assert bool(fit_recording(HMMEM(3, random_state=0), X)) == hmmlearn_warns


# ------------------------------------------------------- several sequences taken as one


@pytest.mark.parametrize("method", ["predict", "predict_proba", "decode"])
def test_inference_on_several_sequences_as_one_warns(method):
    hmm = built()
    X, _ = hmm.sample(lengths=[50] * 6, random_state=0)
    fitted = HMMEM(3, emission="categorical", random_state=0).fit(X, lengths=[50] * 6)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        getattr(fitted, method)(X)
    [warning] = caught
    assert warning.category is UserWarning and warning.filename == __file__
    assert f"fitted on 6 sequences, but {method} got neither lengths" in str(warning.message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(fitted, method)(X, lengths=[len(X)])
        getattr(fitted, method)(X, sequence_ids=np.repeat(np.arange(6), 50))
    # The number of fitted sequences is saved with the model.
    loaded = from_json(to_json(fitted))
    with pytest.warns(UserWarning, match=f"fitted on 6 sequences, but {method}"):
        getattr(loaded, method)(X)
    one = HMMEM(3, emission="categorical", random_state=0).fit(X[:50])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(from_json(to_json(one)), method)(X)


def test_a_draw_at_the_rounding_edge_is_not_of_a_state_of_probability_zero():
    # The ten 0.1 sum to 1 - 1.1e-16 in floating point: a uniform number (below 1)
    # as large as that sum must still give the last state of positive probability.
    probabilities = np.r_[np.full(10, 0.1), 0.0]
    total = probabilities.cumsum()[-1]
    assert total < 1.0
    assert _draw(probabilities, np.array([total]))[0] == 9
    assert _draw(np.array([0.0, 1.0]), np.array([0.0]))[0] == 1


@pytest.mark.parametrize("value", [0, -1, True, 2.5, "3", None, [2]])
def test_a_tampered_count_of_fitted_sequences_is_refused(value):
    X, _ = built().sample(lengths=[20] * 3, random_state=0)
    document = json.loads(to_json(HMMEM(2, emission="categorical").fit(X, lengths=[20] * 3)))
    assert document["attributes"]["n_fit_sequences"] == 3
    document["attributes"]["n_fit_sequences"] = value
    with pytest.raises(ValueError, match="n_fit_sequences must be a positive integer"):
        from_json(json.dumps(document))
    del document["attributes"]["n_fit_sequences"]  # as emkit wrote it before the count
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from_json(json.dumps(document)).predict(X)
