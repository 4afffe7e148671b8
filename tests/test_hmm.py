import warnings

import numpy as np
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_validate

from emkit import HMMEM
from emkit._hmm_base import _row_bytes
from emkit.model_selection import bic_scorer

hmmlearn = pytest.importorskip("hmmlearn.hmm")

COVARIANCE_TYPES = ["diag", "full", "spherical", "tied"]


def sample_gaussian_hmm(n_sequences=20, length=150, random_state=0):
    truth = {
        "startprob": np.array([0.6, 0.3, 0.1]),
        "transmat": np.array([[0.9, 0.08, 0.02], [0.05, 0.9, 0.05], [0.1, 0.1, 0.8]]),
        "means": np.array([[0.0, 0.0], [4.0, 1.0], [-2.0, 5.0]]),
        "covars": np.array([[1.0, 0.5], [0.3, 0.8], [1.5, 1.0]]),
    }
    model = HMMEM(
        3,
        startprob_init=truth["startprob"],
        transmat_init=truth["transmat"],
        means_init=truth["means"],
        covars_init=truth["covars"],
        max_iter=0,
    ).fit(np.zeros((3, 2)))
    rng = np.random.RandomState(random_state)
    pieces = [model.sample(length, random_state=rng) for _ in range(n_sequences)]
    X = np.vstack([p[0] for p in pieces])
    states = np.concatenate([p[1] for p in pieces])
    return X, states, np.full(n_sequences, length), truth


@pytest.fixture(scope="module")
def sampled():
    return sample_gaussian_hmm()


def random_start(rng, k, X):
    return {
        "startprob_init": rng.dirichlet(np.ones(k)),
        "transmat_init": rng.dirichlet(np.ones(k), size=k),
        "means_init": X[rng.choice(len(X), k, replace=False)],
    }


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_reproduces_hmmlearn_gaussian_iterates(covariance_type):
    rng = np.random.RandomState(0)
    k, d = 3, 2
    lengths = rng.randint(20, 60, size=6)
    X = rng.randn(lengths.sum(), d) + 2.0 * rng.randint(0, 3, size=(lengths.sum(), 1))
    start = random_start(rng, k, X)
    covars = {
        "diag": np.ones((k, d)),
        "full": np.tile(np.eye(d), (k, 1, 1)),
        "spherical": np.ones(k),
        "tied": np.eye(d),
    }[covariance_type]
    for n_iter in [1, 4, 25]:
        reference = hmmlearn.GaussianHMM(
            k,
            covariance_type=covariance_type,
            covars_prior=0,
            covars_weight=1,
            init_params="",
            n_iter=n_iter,
            tol=-np.inf,
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
        )
        with pytest.warns(ConvergenceWarning):
            ours.fit(X, lengths=lengths)
        np.testing.assert_allclose(ours.startprob_, reference.startprob_, rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(ours.transmat_, reference.transmat_, rtol=1e-6)
        np.testing.assert_allclose(ours.means_, reference.means_, rtol=1e-6)
        # hmmlearn keeps spherical variances repeated over the features.
        expected = reference._covars_
        expected = expected[:, 0] if covariance_type == "spherical" else expected
        np.testing.assert_allclose(ours.covars_, expected, rtol=1e-6, atol=1e-12)
        assert ours.score(X, lengths=lengths) == pytest.approx(
            reference.score(X, lengths) / len(X), rel=1e-10
        )


def test_reproduces_hmmlearn_categorical_iterates():
    rng = np.random.RandomState(1)
    k, n_symbols = 3, 5
    lengths = rng.randint(20, 60, size=6)
    X = rng.randint(0, n_symbols, size=(lengths.sum(), 1))
    start = {
        "startprob_init": rng.dirichlet(np.ones(k)),
        "transmat_init": rng.dirichlet(np.ones(k), size=k),
        "emissionprob_init": rng.dirichlet(np.ones(n_symbols), size=k),
    }
    for n_iter in [1, 4, 25]:
        reference = hmmlearn.CategoricalHMM(
            k, n_features=n_symbols, init_params="", n_iter=n_iter, tol=-np.inf
        )
        reference.startprob_ = start["startprob_init"]
        reference.transmat_ = start["transmat_init"]
        reference.emissionprob_ = start["emissionprob_init"]
        reference.fit(X, lengths)
        ours = HMMEM(k, emission="categorical", max_iter=n_iter, tol=0, accelerate=None, **start)
        with pytest.warns(ConvergenceWarning):
            ours.fit(X, lengths=lengths)
        np.testing.assert_allclose(ours.startprob_, reference.startprob_, rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(ours.transmat_, reference.transmat_, rtol=1e-6)
        np.testing.assert_allclose(ours.emissionprob_, reference.emissionprob_, rtol=1e-6)


def sample_multinomial(n_rows, n_trials, emissionprob, rng, transmat=None):
    """Rows of counts from states following ``transmat`` (or drawn independently)."""
    k = len(emissionprob)
    states = rng.randint(0, k, n_rows)
    if transmat is not None:
        for t in range(1, n_rows):
            states[t] = rng.choice(k, p=transmat[states[t - 1]])
    trials = np.broadcast_to(n_trials, (n_rows,))
    return np.array([rng.multinomial(m, emissionprob[s]) for m, s in zip(trials, states)])


@pytest.mark.parametrize("per_row", [False, True], ids=["one n_trials", "n_trials per row"])
def test_reproduces_hmmlearn_multinomial_iterates(per_row):
    rng = np.random.RandomState(2)
    k, d, n_iter = 3, 4, 25
    lengths = rng.randint(20, 60, size=6)
    n = lengths.sum()
    n_trials = rng.randint(1, 12, size=n) if per_row else 8
    X = sample_multinomial(n, n_trials, rng.dirichlet(np.ones(d), size=k), rng)
    start = {
        "startprob_init": rng.dirichlet(np.ones(k)),
        "transmat_init": rng.dirichlet(np.ones(k), size=k),
        "emissionprob_init": rng.dirichlet(np.ones(d), size=k),
    }
    reference = hmmlearn.MultinomialHMM(
        k, n_trials=n_trials, init_params="", n_iter=n_iter, tol=-np.inf
    )
    reference.startprob_ = start["startprob_init"]
    reference.transmat_ = start["transmat_init"]
    reference.emissionprob_ = start["emissionprob_init"]
    reference.fit(X, lengths)
    ours = HMMEM(
        k,
        emission="multinomial",
        n_trials=n_trials,
        max_iter=n_iter,
        tol=0,
        accelerate=None,
        stopping="change",
        **start,
    )
    with pytest.warns(ConvergenceWarning):
        ours.fit(X, lengths=lengths)
    # hmmlearn's history: log p(X) before each M-step, as emkit's lower_bounds_ per row.
    np.testing.assert_allclose(
        np.array(ours.lower_bounds_) * n, list(reference.monitor_.history), rtol=1e-10
    )
    np.testing.assert_allclose(ours.startprob_, reference.startprob_, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(ours.transmat_, reference.transmat_, rtol=1e-6)
    np.testing.assert_allclose(ours.emissionprob_, reference.emissionprob_, rtol=1e-6)
    assert ours.score(X, lengths=lengths) * n == pytest.approx(
        reference.score(X, lengths), rel=1e-10
    )
    np.testing.assert_array_equal(ours.predict(X, lengths=lengths), reference.predict(X, lengths))


def test_multinomial_log_probabilities_are_the_multinomial_pmf():
    from scipy.stats import multinomial

    emissionprob = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])  # a category of probability 0
    X = np.array([[3, 1, 0], [0, 2, 3], [4, 0, 0], [1, 1, 2], [2, 0, 0]])  # n_trials=None
    hmm = HMMEM(
        2,
        emission="multinomial",
        startprob_init=[0.5, 0.5],
        transmat_init=[[0.5, 0.5], [0.5, 0.5]],
        emissionprob_init=emissionprob,
        max_iter=0,
    ).fit(X)
    # With uniform transitions, the rows are independent draws from the mixture.
    pmf = np.array([[multinomial.pmf(x, x.sum(), p) for p in emissionprob] for x in X])
    assert hmm.score(X) * len(X) == pytest.approx(np.log(pmf @ [0.5, 0.5]).sum(), rel=1e-12)
    posteriors = hmm.predict_proba(X)
    np.testing.assert_array_equal(posteriors[[1, 3], 0], 0.0)  # impossible under state 0


def test_recovers_a_sampled_multinomial_hmm():
    rng = np.random.RandomState(0)
    transmat = np.array([[0.9, 0.05, 0.05], [0.1, 0.85, 0.05], [0.05, 0.1, 0.85]])
    emissionprob = np.array([[0.6, 0.2, 0.1, 0.1], [0.1, 0.1, 0.4, 0.4], [0.25, 0.5, 0.25, 0.0]])
    truth = HMMEM(
        3,
        emission="multinomial",
        n_trials=10,
        startprob_init=[0.5, 0.3, 0.2],
        transmat_init=transmat,
        emissionprob_init=emissionprob,
        max_iter=0,
    ).fit(np.full((3, 4), [10, 0, 0, 0]))
    pieces = [truth.sample(500, random_state=rng) for _ in range(10)]
    X = np.vstack([x for x, _ in pieces])
    states = np.concatenate([z for _, z in pieces])
    assert X.dtype.kind == "i" and np.all(X.sum(axis=1) == 10)
    for n_trials in [10, None]:
        hmm = HMMEM(3, emission="multinomial", n_trials=n_trials, random_state=0)
        hmm.fit(X, lengths=[500] * 10)
        order = match_states(hmm.emissionprob_, emissionprob)
        np.testing.assert_allclose(hmm.emissionprob_[order], emissionprob, atol=0.02)
        np.testing.assert_allclose(hmm.transmat_[np.ix_(order, order)], transmat, atol=0.03)
        assert np.mean(hmm.predict(X, lengths=[500] * 10) == order[states]) > 0.95
        assert hmm.converged_ and hmm.n_trials_ == 10
        drawn, _ = hmm.sample(50, random_state=0)  # n_trials=None: the total fit saw
        np.testing.assert_array_equal(drawn.sum(axis=1), 10)


def test_multinomial_sample_needs_one_number_of_trials():
    rng = np.random.RandomState(0)
    X = np.r_[rng.multinomial(5, [0.5, 0.5], size=20), rng.multinomial(7, [0.2, 0.8], size=20)]
    hmm = HMMEM(2, emission="multinomial", random_state=0).fit(X)
    assert hmm.n_trials_ is None
    with pytest.raises(ValueError, match="set n_trials to the number of trials to draw"):
        hmm.sample(5)
    per_row = HMMEM(2, emission="multinomial", n_trials=X.sum(axis=1), random_state=0).fit(X)
    np.testing.assert_allclose(per_row.emissionprob_, hmm.emissionprob_)
    drawn, _ = hmm.set_params(n_trials=3).sample(5, random_state=0)
    np.testing.assert_array_equal(drawn.sum(axis=1), 3)


@pytest.mark.parametrize("init_params", ["short-em", "kmeans", "random"])
def test_multinomial_categories_missing_from_the_start_sample_stay_possible(
    monkeypatch, init_params
):
    import emkit._starts

    # The start sees 100 of 3,000 rows; the one count of category 3 is almost surely
    # not among them. Short runs on the sample would give it probability 0.
    monkeypatch.setattr(emkit._starts, "START_ROWS", 100)
    rng = np.random.RandomState(0)
    X = sample_multinomial(3000, 6, np.array([[0.8, 0.2, 0.0, 0.0], [0.1, 0.3, 0.6, 0.0]]), rng)
    X[1234] = [5, 0, 0, 1]
    hmm = HMMEM(2, emission="multinomial", init_params=init_params, random_state=0).fit(X)
    assert np.any(hmm.emissionprob_[:, 3] > 0)
    assert np.isfinite(hmm.score(X))


MULTINOMIAL_X = np.random.RandomState(3).multinomial(5, [0.2, 0.3, 0.5], size=30)
BAD_MULTINOMIAL = [
    ({}, MULTINOMIAL_X - 1, "X must hold counts.*negative"),
    ({}, MULTINOMIAL_X + 0.5, "X must hold counts.*non-integer"),
    ({}, np.where(MULTINOMIAL_X == 0, np.nan, MULTINOMIAL_X), "X contains NaN: multinomial"),
    ({}, np.r_[MULTINOMIAL_X, [[0, 0, 0]]], "X: row 30 holds no count"),
    ({"n_trials": 6}, MULTINOMIAL_X, "row 0 sums to 5, not 6"),
    ({"n_trials": np.r_[5, 6, [5] * 28]}, MULTINOMIAL_X, "row 1 sums to 5, not 6"),
    ({"n_trials": 0}, MULTINOMIAL_X, "'n_trials' parameter"),
    ({"n_trials": np.full(30, 0)}, MULTINOMIAL_X, "n_trials must be from 1 to 2\\*\\*53"),
    ({"n_trials": [5] * 29}, MULTINOMIAL_X, r"n_trials must have one entry per row.*\(30,\)"),
    ({"n_trials": np.full((30, 1), 5)}, MULTINOMIAL_X, "n_trials must be a positive integer"),
    ({"n_trials": np.full(30, 5.5)}, MULTINOMIAL_X, "n_trials must hold integers"),
    ({"n_trials": True}, MULTINOMIAL_X, "n_trials must be a positive integer"),
    ({"emissionprob_init": [[0.5, 0.5]] * 2}, MULTINOMIAL_X, r"emissionprob_init .*\(2, 3\)"),
    ({"emissionprob_init": [[0.5, 0.4, 0.2]] * 2}, MULTINOMIAL_X, "emissionprob_init must sum"),
]


@pytest.mark.parametrize("params, X, match", BAD_MULTINOMIAL)
def test_bad_multinomial_input_is_refused_and_leaves_the_model_as_it_was(params, X, match):
    hmm = HMMEM(2, emission="multinomial", random_state=0).fit(MULTINOMIAL_X)
    before = {name: value for name, value in vars(hmm).items() if name.endswith("_")}
    with pytest.raises(ValueError, match=match):
        hmm.set_params(**params).fit(X)
    for name, value in vars(hmm).items():
        if name.endswith("_"):
            assert value is before[name], name


def test_multinomial_inference_checks_the_rows():
    hmm = HMMEM(2, emission="multinomial", n_trials=5, random_state=0).fit(MULTINOMIAL_X)
    for method in ["score", "predict", "predict_proba", "decode", "bic"]:
        with pytest.raises(ValueError, match="X has 4 features, but HMMEM is expecting 3"):
            getattr(hmm, method)(np.c_[MULTINOMIAL_X, MULTINOMIAL_X[:, :1]])
        with pytest.raises(ValueError, match="row 0 sums to 6, not 5"):
            getattr(hmm, method)(MULTINOMIAL_X + np.array([1, 0, 0]))
    # n_trials per row, or None: other rows are scored with their own totals.
    for n_trials in [np.full(30, 5), None]:
        hmm.set_params(n_trials=n_trials).fit(MULTINOMIAL_X)
        assert np.isfinite(hmm.score(MULTINOMIAL_X[:7] + np.array([1, 0, 0])))


def match_states(fitted_means, true_means):
    from scipy.optimize import linear_sum_assignment

    cost = ((fitted_means[:, None] - true_means[None]) ** 2).sum(-1)
    return linear_sum_assignment(cost)[1].argsort()  # order[j] = fitted state of true j


def test_recovers_a_sampled_gaussian_hmm(sampled):
    X, states, lengths, truth = sampled
    hmm = HMMEM(3, n_init=2, random_state=0).fit(X, lengths=lengths)
    order = match_states(hmm.means_, truth["means"])
    np.testing.assert_allclose(hmm.means_[order], truth["means"], atol=0.1)
    np.testing.assert_allclose(hmm.covars_[order], truth["covars"], atol=0.1)
    np.testing.assert_allclose(hmm.transmat_[np.ix_(order, order)], truth["transmat"], atol=0.03)
    assert np.mean(hmm.predict(X, lengths=lengths) == order[states]) > 0.95
    assert hmm.converged_


def test_recovers_categorical_and_poisson_emissions():
    rng = np.random.RandomState(0)
    transmat = np.array([[0.95, 0.05], [0.1, 0.9]])
    emissionprob = np.array([[0.7, 0.2, 0.1, 0.0], [0.05, 0.05, 0.3, 0.6]])
    lambdas = np.array([[1.0, 8.0], [6.0, 0.5]])
    categorical = HMMEM(
        2,
        emission="categorical",
        transmat_init=transmat,
        emissionprob_init=emissionprob,
        startprob_init=[0.5, 0.5],
        max_iter=0,
    ).fit([[0], [3]])
    X, _ = categorical.sample(20_000, random_state=rng)
    fitted = HMMEM(2, emission="categorical", n_init=3, random_state=0).fit(X)
    order = np.argsort(-fitted.emissionprob_[:, 0])
    np.testing.assert_allclose(fitted.emissionprob_[order], emissionprob, atol=0.03)
    np.testing.assert_allclose(fitted.transmat_[np.ix_(order, order)], transmat, atol=0.03)

    poisson = HMMEM(
        2,
        emission="poisson",
        transmat_init=transmat,
        lambdas_init=lambdas,
        startprob_init=[0.5, 0.5],
        max_iter=0,
    ).fit([[0, 1], [3, 2]])
    X, _ = poisson.sample(20_000, random_state=rng)
    fitted = HMMEM(2, emission="poisson", random_state=0).fit(X)
    order = np.argsort(fitted.lambdas_[:, 0])
    np.testing.assert_allclose(fitted.lambdas_[order], lambdas, rtol=0.05)
    np.testing.assert_allclose(fitted.transmat_[np.ix_(order, order)], transmat, atol=0.03)


@pytest.mark.filterwarnings("ignore:HMMEM has .* free parameters")  # some draws are small
@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n_states=st.integers(1, 4),
    emission=st.sampled_from(["gaussian", "categorical", "poisson", "multinomial"]),
    covariance_type=st.sampled_from(COVARIANCE_TYPES),
    accelerate=st.sampled_from([None, "squarem"]),
)
def test_baum_welch_never_decreases_the_log_likelihood(
    seed, n_states, emission, covariance_type, accelerate
):
    rng = np.random.RandomState(seed)
    lengths = rng.randint(5, 40, size=rng.randint(1, 5))
    n = lengths.sum()
    if emission == "gaussian":
        X = rng.standard_normal((n, 2)) * 3 + rng.randint(0, 3, size=(n, 1)) * 5
    elif emission == "categorical":
        X = rng.randint(0, 4, size=(n, 1))
    elif emission == "multinomial":
        X = sample_multinomial(n, rng.randint(1, 10), rng.dirichlet(np.ones(3), size=2), rng)
    else:
        X = rng.poisson(rng.uniform(0.5, 10), size=(n, 2))
    hmm = HMMEM(
        n_states,
        emission=emission,
        covariance_type=covariance_type,
        init_params="random",
        max_iter=25,
        tol=0,
        reg_covar=0.0,  # exact EM: reg_covar > 0 makes the M-step inexact
        random_state=seed,
        accelerate=accelerate,
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            hmm.fit(X, lengths=lengths)
    except ValueError as error:  # a state collapsed onto too few points
        assert "ill-defined empirical covariance" in str(error)
        reject()
    bounds = np.array(hmm.lower_bounds_)
    assert np.all(np.isfinite(bounds))
    assert np.all(np.diff(bounds) >= -1e-9 * np.abs(bounds[1:]))


@pytest.mark.parametrize("accelerate", [None, "squarem"])
def test_structural_zeros_stay_zero(accelerate):
    X, _, lengths, _ = sample_gaussian_hmm(5, 100)
    left_right = np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5], [0.0, 0.0, 1.0]])
    hmm = HMMEM(
        3, transmat_init=left_right, transmat_prior=2.0, random_state=0, accelerate=accelerate
    )
    hmm.fit(X, lengths=lengths)
    assert np.all(hmm.transmat_[left_right == 0] == 0)
    np.testing.assert_allclose(hmm.transmat_.sum(axis=1), 1.0)


@pytest.mark.parametrize("emission", ["gaussian", "categorical", "poisson"])
def test_priors_below_one_give_sparse_rows_and_a_finite_objective(emission):
    # Below 1 a Dirichlet density is infinite at zero probabilities, which the
    # M-step sets: the objective takes the density over the positive ones.
    rng = np.random.RandomState(0)
    X = {
        "gaussian": np.r_[rng.randn(50, 2), rng.randn(50, 2) + 4],
        "categorical": rng.randint(3, size=(100, 1)),
        "poisson": rng.poisson(3, (100, 2)),
    }[emission]
    for prior in [0.0, 0.5]:
        hmm = HMMEM(3, emission=emission, transmat_prior=prior, startprob_prior=prior)
        hmm.set_params(random_state=0, max_iter=200).fit(X, lengths=[10] * 10)
        assert hmm.converged_ and np.all(np.isfinite(hmm.lower_bounds_))
        assert np.any(hmm.transmat_ == 0)
        np.testing.assert_allclose(hmm.transmat_.sum(axis=1), 1.0)


def test_update_params_fixes_the_others(sampled):
    X, _, lengths, truth = sampled
    hmm = HMMEM(
        3,
        means_init=truth["means"],
        update_params=("startprob", "transmat", "covars"),
        random_state=0,
    ).fit(X, lengths=lengths)
    np.testing.assert_array_equal(hmm.means_, truth["means"])
    assert not np.allclose(hmm.transmat_, 1 / 3)
    with pytest.raises(ValueError, match="'update_params' parameter of HMMEM must be"):
        HMMEM(3, update_params="stmc").fit(X)
    with pytest.raises(ValueError, match="update_params must be a tuple of names"):
        HMMEM(3, update_params=("emissionprob",)).fit(X)


def test_lengths_and_sequence_ids_agree(sampled):
    X, _, lengths, _ = sampled
    ids = np.repeat(np.arange(len(lengths)) * 7 + 3, lengths)
    by_lengths = HMMEM(3, random_state=0).fit(X, lengths=lengths)
    by_ids = HMMEM(3, random_state=0).fit(X, sequence_ids=ids)
    np.testing.assert_array_equal(by_lengths.means_, by_ids.means_)
    np.testing.assert_array_equal(by_lengths.transmat_, by_ids.transmat_)
    assert by_lengths.score(X, lengths=lengths) == by_ids.score(X, sequence_ids=ids)
    with pytest.warns(UserWarning, match="taken as one sequence"):
        one_sequence = by_lengths.score(X)
    assert one_sequence == by_lengths.score(X, lengths=[len(X)])
    assert one_sequence != by_lengths.score(X, lengths=lengths)


def test_chunked_e_steps_equal_one_chunk(sampled):
    X, _, lengths, _ = sampled
    kwargs = dict(max_iter=10, tol=0, random_state=0, accelerate=None)
    with pytest.warns(ConvergenceWarning):
        whole = HMMEM(3, **kwargs).fit(X, lengths=lengths)
    with config_context(working_memory=0.01), pytest.warns(ConvergenceWarning):
        chunked = HMMEM(3, **kwargs).fit(X, lengths=lengths)
    for name in ["startprob_", "transmat_", "means_", "covars_"]:
        np.testing.assert_allclose(getattr(chunked, name), getattr(whole, name), rtol=1e-10)


def test_results_do_not_depend_on_n_jobs(sampled):
    X, _, lengths, _ = sampled
    kwargs = dict(n_init=3, init_params="random", random_state=0)
    with config_context(working_memory=0.01):  # threads share each E-step's blocks too
        serial = HMMEM(3, n_jobs=1, **kwargs).fit(X, lengths=lengths)
        parallel = HMMEM(3, n_jobs=2, **kwargs).fit(X, lengths=lengths)
    for name in ["startprob_", "transmat_", "means_", "covars_"]:
        np.testing.assert_array_equal(getattr(serial, name), getattr(parallel, name))


def test_inference_in_blocks_of_sequences_shared_by_threads(sampled):
    # Each sequence is independent: block by block, on any number of threads,
    # inference equals inference on each sequence alone.
    X, _, lengths, _ = sampled
    hmm = HMMEM(3, random_state=0).fit(X, lengths=lengths)
    alone = np.split(X, np.cumsum(lengths)[:-1])
    expected_states = np.concatenate([hmm.predict(x, lengths=[len(x)]) for x in alone])
    expected_posteriors = np.concatenate([hmm.predict_proba(x, lengths=[len(x)]) for x in alone])
    expected_score = sum(hmm.score(x, lengths=[len(x)]) * len(x) for x in alone) / len(X)
    for n_jobs in (1, 2):
        hmm.set_params(n_jobs=n_jobs)
        with config_context(working_memory=0.01):  # several blocks of sequences
            assert (
                len(hmm._prepare(X, lengths, None, reset=False).chunks(_row_bytes(3, X.shape[1])))
                > 1
            )
            np.testing.assert_array_equal(hmm.predict(X, lengths=lengths), expected_states)
            np.testing.assert_allclose(
                hmm.predict_proba(X, lengths=lengths), expected_posteriors, rtol=1e-12
            )
            assert hmm.score(X, lengths=lengths) == pytest.approx(expected_score, rel=1e-12)


def test_decode_predict_and_posteriors(sampled):
    X, _, lengths, _ = sampled
    hmm = HMMEM(3, random_state=0).fit(X, lengths=lengths)
    log_prob, states = hmm.decode(X, lengths=lengths)
    np.testing.assert_array_equal(states, hmm.predict(X, lengths=lengths))
    assert log_prob <= hmm.score(X, lengths=lengths) * len(X)
    posteriors = hmm.predict_proba(X, lengths=lengths)
    np.testing.assert_allclose(posteriors.sum(axis=1), 1.0)
    map_log_prob, map_states = hmm.decode(X, lengths=lengths, algorithm="map")
    np.testing.assert_array_equal(map_states, posteriors.argmax(axis=1))
    assert map_log_prob == pytest.approx(np.log(posteriors.max(axis=1)).sum())
    n_parameters = 2 + 6 + 6 + 6  # startprob, transmat, means, diagonal covariances
    total = hmm.score(X, lengths=lengths) * len(X)
    assert hmm.bic(X, lengths=lengths) == pytest.approx(-2 * total + n_parameters * np.log(len(X)))
    assert hmm.aic(X, lengths=lengths) == pytest.approx(-2 * total + 2 * n_parameters)


def test_grid_search_over_whole_sequences_selects_the_true_number_of_states(sampled):
    X, _, lengths, _ = sampled
    ids = np.repeat(np.arange(len(lengths)), lengths)
    with config_context(enable_metadata_routing=True):
        hmm = HMMEM(random_state=0).set_fit_request(sequence_ids=True)
        hmm.set_score_request(sequence_ids=True)
        search = GridSearchCV(hmm, {"n_components": [1, 2, 3, 4, 5]}, cv=GroupKFold(4))
        search.fit(X, groups=ids, sequence_ids=ids)
        assert search.best_params_ == {"n_components": 3}
        scores = cross_validate(
            HMMEM(3, random_state=0).set_fit_request(sequence_ids=True),
            X,
            cv=GroupKFold(4),
            params={"groups": ids, "sequence_ids": ids},
            scoring=bic_scorer.set_score_request(sequence_ids=True),
        )
        train, test = next(GroupKFold(4).split(X, groups=ids))
        fold = HMMEM(3, random_state=0).fit(X[train], sequence_ids=ids[train])
        expected = -fold.bic(X[test], sequence_ids=ids[test])
        assert scores["test_score"][0] == pytest.approx(expected, rel=1e-12)
        with pytest.warns(UserWarning, match="taken as one sequence"):
            assert expected != pytest.approx(-fold.bic(X[test]), rel=1e-6)


BAD = [
    ({"lengths": [100, 100]}, "lengths must sum to the number of rows"),
    ({"lengths": [3000, 0]}, "lengths must be positive"),
    ({"lengths": [3001, -1]}, "lengths must be positive"),
    ({"lengths": [1.5, 2998.5]}, "lengths must be a 1-D array of integers"),
    ({"lengths": [3000], "sequence_ids": np.zeros(3000)}, "either lengths or sequence_ids"),
    ({"sequence_ids": np.zeros(10)}, "sequence_ids must have one id per row"),
    ({"sequence_ids": np.r_[np.zeros(10), np.ones(10), np.zeros(2980)]}, "not contiguous"),
]


@pytest.mark.parametrize("kwargs, match", BAD)
def test_bad_sequence_boundaries(sampled, kwargs, match):
    X = sampled[0]
    hmm = HMMEM(2, random_state=0).fit(X[:50])
    before = hmm.means_.copy()
    with pytest.raises(ValueError, match=match):
        hmm.fit(X, **kwargs)
    np.testing.assert_array_equal(hmm.means_, before)
    with pytest.raises(ValueError, match=match):
        hmm.score(X, **kwargs)


@pytest.mark.parametrize(
    "params, X, match",
    [
        ({"emission": "categorical"}, [[0.5], [1.0]], "non-integer"),
        ({"emission": "categorical"}, [[0, 1], [1, 0]], "single column of symbols"),
        ({"emission": "categorical"}, [[-1], [1]], "negative"),
        ({"emission": "poisson"}, [[1, -2], [0, 3]], "negative"),
        ({"emission": "poisson"}, [[1.5, 2], [0, 3]], "non-integer"),
        ({"emission": "categorical"}, [[np.nan], [1]], "X contains NaN"),
        ({"emission": "poisson"}, [[np.nan], [1]], "X contains NaN"),
        ({}, [[np.inf, 1.0], [0, 1]], "X contains infinity"),
        ({}, [[np.nan, 1.0], [np.nan, 1]], "no observed value"),
        ({"transmat_init": [[0.5, 0.4], [0.5, 0.5]]}, [[0.0], [1.0]], "transmat_init must sum"),
        ({"transmat_init": [[1.5, -0.5], [0.5, 0.5]]}, [[0.0], [1.0]], "transmat_init must lie"),
        ({"startprob_init": [0.2, 0.2]}, [[0.0], [1.0]], "startprob_init must sum"),
        ({"covars_init": [[1.0], [-1.0]]}, [[0.0], [1.0]], "covars_init must be positive"),
        ({"means_init": [[0.0, 1.0]]}, [[0.0], [1.0]], "means_init must have shape"),
        ({"emission": "poisson", "lambdas_init": [[0.0], [1]]}, [[0], [1]], "lambdas_init must"),
    ],
)
def test_bad_input_is_refused(params, X, match):
    with pytest.raises(ValueError, match=match):
        HMMEM(2, **params).fit(X)


@pytest.mark.filterwarnings("ignore:HMMEM has 7 free parameters")  # five rows
def test_unseen_symbols_at_predict():
    hmm = HMMEM(2, emission="categorical", random_state=0).fit([[0], [1], [2], [1], [0]])
    with pytest.raises(ValueError, match="unseen at fit time"):
        hmm.predict([[0], [3]])


def test_zeros_of_the_initial_start_probabilities_stay_zero(sampled):
    X, _, lengths, _ = sampled
    hmm = HMMEM(3, startprob_init=[1.0, 0.0, 0.0], startprob_prior=3.0, random_state=0)
    hmm.fit(X, lengths=lengths)
    np.testing.assert_array_equal(hmm.startprob_[1:], 0.0)


def test_parameter_count_does_not_depend_on_fitted_zeros(sampled):
    X, _, lengths, _ = sampled
    hmm = HMMEM(3, random_state=0).fit(X, lengths=lengths)
    hmm.transmat_ = np.eye(3)  # as if EM had driven transitions to zero
    n_parameters = 2 + 6 + 6 + 6
    expected = -2 * hmm.score(X, lengths=lengths) * len(X) + n_parameters * np.log(len(X))
    assert hmm.bic(X, lengths=lengths) == pytest.approx(expected)


def test_lengths_passed_positionally_as_in_hmmlearn_are_refused(sampled):
    X, _, lengths, _ = sampled
    with pytest.raises(ValueError, match=r"pass lengths=\.\.\. by keyword"):
        HMMEM(3).fit(X, lengths)
    hmm = HMMEM(3, random_state=0).fit(X, lengths=lengths)
    with pytest.raises(ValueError, match=r"pass lengths=\.\.\. by keyword"):
        hmm.score(X, lengths)
    # n sequences of one row each: as many lengths as rows, all 1
    ones = [1] * len(X)
    before = hmm.means_.copy()
    for method in [hmm.score, hmm.fit]:
        with pytest.raises(ValueError, match="y has 3000 entries for 3000 rows, all 1"):
            method(X, ones)
    np.testing.assert_array_equal(hmm.means_, before)
    assert hmm.score(X, np.zeros(len(X)), lengths=lengths) == hmm.score(X, lengths=lengths)


@pytest.mark.parametrize("method", ["score", "bic", "aic"])
def test_scoring_several_sequences_as_one_warns(sampled, method):
    X, _, lengths, _ = sampled
    hmm = HMMEM(3, random_state=0).fit(X, lengths=lengths)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        as_one = getattr(hmm, method)(X)
    [warning] = caught
    assert warning.category is UserWarning
    assert warning.filename == __file__
    message = str(warning.message)
    assert f"fitted on {len(lengths)} sequences" in message
    for words in ["lengths", "sequence_ids", "metadata routing", "set_score_request"]:
        assert words in message
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert getattr(hmm, method)(X, lengths=[len(X)]) == as_one  # one sequence, said so
        getattr(hmm, method)(X, sequence_ids=np.repeat(np.arange(len(lengths)), lengths))
        one = HMMEM(3, random_state=0).fit(X[: lengths[0]])  # fitted on one sequence
        getattr(one, method)(X)


def test_cross_validation_without_metadata_routing_warns(sampled):
    X, _, lengths, _ = sampled
    ids = np.repeat(np.arange(len(lengths)), lengths)
    # Without routing, fit gets each fold's sequence_ids and score none.
    with pytest.warns(UserWarning, match="metadata routing"):
        cross_validate(
            HMMEM(3, random_state=0),
            X,
            groups=ids,
            cv=GroupKFold(4),
            params={"sequence_ids": ids},
            scoring=bic_scorer,
        )


def test_impossible_sequences_are_refused_at_inference():
    hmm = HMMEM(
        2,
        emission="categorical",
        startprob_init=[1.0, 0.0],
        transmat_init=[[0.5, 0.5], [0.0, 1.0]],
        emissionprob_init=[[1.0, 0.0], [0.0, 1.0]],
        max_iter=0,
    ).fit([[0], [1]])
    for method in ["predict", "predict_proba", "decode"]:
        with pytest.raises(ValueError, match="zero probability under the model"):
            getattr(hmm, method)([[0], [1], [0]])
    assert hmm.score([[0], [1], [0]]) == -np.inf  # as hmmlearn's (tests/test_hmm_surface.py)


@pytest.mark.parametrize("emission", ["gaussian", "categorical", "poisson", "multinomial"])
def test_squarem_reaches_the_plain_baum_welch_optimum(emission):
    rng = np.random.RandomState(0)
    if emission == "gaussian":
        X, _, lengths, _ = sample_gaussian_hmm(5, 100)
    else:
        states = np.repeat(rng.randint(0, 2, 40), 10)
        X = {
            "categorical": lambda: rng.binomial(3, np.where(states == 0, 0.2, 0.8))[:, None],
            "poisson": lambda: rng.poisson(np.where(states == 0, 2.0, 9.0)[:, None] * [1.0, 0.5]),
            "multinomial": lambda: np.array(
                [rng.multinomial(4, [[0.5, 0.3, 0.2], [0.1, 0.3, 0.6]][s]) for s in states]
            ),
        }[emission]()
        lengths = [100] * 4
    kwargs = dict(emission=emission, tol=1e-10, max_iter=5000, random_state=0)
    n_states = 2 if emission != "gaussian" else 3
    plain = HMMEM(n_states, accelerate=None, **kwargs).fit(X, lengths=lengths)
    fast = HMMEM(n_states, accelerate="squarem", **kwargs).fit(X, lengths=lengths)
    assert fast.converged_ and fast.n_iter_ <= plain.n_iter_ + 3  # one cycle's overhead
    assert fast.lower_bound_ >= plain.lower_bound_ - 1e-9
    np.testing.assert_allclose(fast.transmat_, plain.transmat_, atol=1e-4)
