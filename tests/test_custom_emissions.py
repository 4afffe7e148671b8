"""Emissions of one's own (emkit.emissions.Emission): the two of examples/, tested as built-ins."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from scipy.special import gammaln
from sklearn import config_context
from sklearn.base import clone

from emkit import HMMEM
from emkit.emissions import Emission
from emkit.io import save, to_json

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load_example(name):
    """The example script as a module (it runs: small data, plots to the Agg backend)."""
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bernoulli():
    return load_example("plot_bernoulli_hmm").Bernoulli


@pytest.fixture(scope="module")
def gamma():
    return load_example("plot_gamma_durations").Gamma


START = dict(startprob_init=[0.6, 0.4], transmat_init=[[0.8, 0.2], [0.3, 0.7]])
PLAIN = dict(accelerate=None, stopping="change", tol=0.0)


def binary_sequences(n=600, seed=0):
    rng = np.random.RandomState(seed)
    states = np.repeat(rng.randint(2, size=n // 20), 20)
    return (rng.random_sample(n) < np.where(states == 1, 0.8, 0.15)).astype(float)[:, None]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # tol=0
def test_bernoulli_reproduces_the_categorical_iterates_from_the_same_start(bernoulli):
    X = binary_sequences()
    p = np.array([[0.3], [0.6]])
    ours = HMMEM(2, emission=bernoulli(probs_init=p), max_iter=25, **START, **PLAIN).fit(X)
    categorical = HMMEM(
        2, emission="categorical", emissionprob_init=np.c_[1 - p, p], max_iter=25, **START, **PLAIN
    ).fit(X.astype(int))
    np.testing.assert_allclose(ours.lower_bounds_, categorical.lower_bounds_, rtol=1e-12)
    np.testing.assert_allclose(ours.probs_[:, 0], categorical.emissionprob_[:, 1], rtol=1e-10)
    np.testing.assert_allclose(ours.transmat_, categorical.transmat_, rtol=1e-10)
    assert ours.bic(X) == pytest.approx(categorical.bic(X.astype(int)), rel=1e-12)


def gamma_truth(gamma, n=3000, seed=0):
    truth = HMMEM(
        2,
        emission=gamma(shapes_init=[[6.0, 2.0], [1.5, 9.0]], scales_init=[[0.5, 1.0], [3.0, 0.2]]),
        startprob_init=[0.5, 0.5],
        transmat_init=[[0.95, 0.05], [0.08, 0.92]],
        max_iter=0,
    ).fit(np.ones((2, 2)))
    X, states = truth.sample(n, random_state=seed)
    return truth, X, states


def test_gamma_recovers_a_sampled_model(gamma):
    truth, X, states = gamma_truth(gamma, n=6000)
    assert X.shape == (6000, 2) and np.all(X > 0)
    fitted = HMMEM(2, emission=gamma(), random_state=0).fit(X)
    order = np.argsort(fitted.scales_[:, 1])[::-1]  # the state of scale 1.0 first
    np.testing.assert_allclose(fitted.shapes_[order], truth.shapes_, rtol=0.15)
    np.testing.assert_allclose(fitted.scales_[order], truth.scales_, rtol=0.15)
    np.testing.assert_allclose(fitted.transmat_[np.ix_(order, order)], truth.transmat_, atol=0.03)
    # Decoding as well as the true model does.
    accuracy = np.mean(order[states] == fitted.predict(X))
    assert accuracy >= np.mean(states == truth.predict(X)) - 0.01
    # The one-state fit is the closed-form maximum likelihood gamma of each column.
    one = HMMEM(1, emission=gamma(), tol=1e-12).fit(X)
    shapes, scales = one.shapes_[0], one.scales_[0]
    log_lik = (shapes - 1) * np.log(X) - X / scales - shapes * np.log(scales) - gammaln(shapes)
    assert one.score(X) == pytest.approx(log_lik.sum(axis=1).mean(), rel=1e-12)
    np.testing.assert_allclose(shapes * scales, X.mean(axis=0), rtol=1e-10)


@pytest.mark.parametrize("name", ["bernoulli", "gamma"])
def test_plain_baum_welch_never_decreases_and_squarem_reaches_its_optimum(name, request):
    emission = request.getfixturevalue(name)
    if name == "gamma":
        X = gamma_truth(emission, n=1500)[1]
    else:
        X = np.c_[binary_sequences(), binary_sequences(seed=1)]
    plain = HMMEM(2, emission=emission(), accelerate=None, tol=1e-9, random_state=0).fit(X)
    assert np.all(np.diff(plain.lower_bounds_) >= -1e-12)
    fast = HMMEM(2, emission=emission(), tol=1e-9, random_state=0).fit(X)
    assert fast.lower_bound_ >= plain.lower_bound_ - 1e-6
    assert fast.n_iter_ < plain.n_iter_


def test_blocks_threads_and_restarts_do_not_change_the_fit(gamma):
    X = gamma_truth(gamma, n=2000)[1]
    lengths = [100] * 20
    kwargs = dict(emission=gamma(), n_init=2, random_state=0)
    one = HMMEM(2, **kwargs).fit(X, lengths=lengths)
    with config_context(working_memory=0.01):  # blocks of a few sequences each
        blocks = HMMEM(2, **kwargs, n_jobs=2).fit(X, lengths=lengths)
        threads = HMMEM(2, **kwargs, n_jobs=1).fit(X, lengths=lengths)
    for name in ("shapes_", "scales_", "transmat_"):
        np.testing.assert_array_equal(getattr(blocks, name), getattr(threads, name))
        np.testing.assert_allclose(getattr(blocks, name), getattr(one, name), rtol=1e-8)


def test_update_params_sample_and_parameter_count(bernoulli):
    X = binary_sequences()
    p = np.array([[0.3], [0.6]])
    fixed = HMMEM(2, emission=bernoulli(probs_init=p), update_params=("transmat",), **START)
    fixed.fit(X)
    np.testing.assert_array_equal(fixed.probs_, p)
    assert fixed._fitted_model().n_parameters(fixed._params()) == 2  # the transitions only
    free = HMMEM(2, emission=bernoulli(), random_state=0).fit(X)
    assert free._fitted_model().n_parameters(free._params()) == 1 + 2 + 2
    rows, states = free.sample(500, random_state=1)
    assert rows.shape == (500, 1) and set(np.unique(rows)) <= {0.0, 1.0}
    assert np.abs(rows[:, 0].mean() - free.probs_[states, 0].mean()) < 0.1
    np.testing.assert_array_equal(free.sample(50, random_state=2)[0], free.sample(50, 2)[0])
    assert clone(free).get_params()["emission"].probs_init is None


def test_model_files_name_what_they_cannot_hold_and_skops_keeps_it(bernoulli, tmp_path):
    X = binary_sequences()
    hmm = HMMEM(2, emission=bernoulli(), random_state=0).fit(X)
    for write in (to_json, lambda model: save(model, tmp_path / "m.skops")):
        with pytest.raises(ValueError, match=r"emission=Bernoulli\(\.\.\.\) is code.*skops.io"):
            write(hmm)
    sio = pytest.importorskip("skops.io")
    hmm = HMMEM(2, emission=Broken(), random_state=0).fit(X + 1.0)  # a class skops can import
    sio.dump(hmm, tmp_path / "custom.skops")
    trusted = sio.get_untrusted_types(file=tmp_path / "custom.skops")
    assert set(trusted) == {"emkit.hmm.HMMEM", "test_custom_emissions.Broken"}
    loaded = sio.load(tmp_path / "custom.skops", trusted=trusted)
    np.testing.assert_array_equal(loaded.predict_proba(X + 1.0), hmm.predict_proba(X + 1.0))


class Broken(Emission):
    """An emission whose answers break the contract in the ways ``how`` says."""

    names = ("rates",)

    def __init__(self, how=""):
        self.how = how

    def init(self, X, n_states, rng):
        if self.how == "init":
            return np.ones((n_states, X.shape[1]))  # an array, not a tuple of arrays
        return (np.ones((n_states + (self.how == "states"), X.shape[1])),)

    def log_prob(self, params, X):
        return -X @ params[0].T if self.how != "log_prob" else np.zeros(len(X))

    def statistics(self, params, X, W):
        return W.T @ X

    def estimate(self, stats, params):
        return (stats + 1.0,)

    def n_parameters(self, params):
        return {"rates": params[0].size}


@pytest.mark.parametrize(
    "emission, match",
    [
        (Broken("init"), r"Broken.init must return a tuple of 1 arrays"),
        (Broken("states"), r"Broken.init returned rates that is not an array with one entry"),
        (Broken("log_prob"), r"Broken.log_prob must return an array of shape \(n_samples, "),
        (type("NoNames", (Broken,), {"names": ()})(), r"NoNames.names must be a non-empty"),
        (type("Clash", (Broken,), {"names": ("transmat",)})(), r"Clash.names must be"),
        (Broken, r"'emission' parameter of HMMEM must be"),  # the class, not an instance
        (object(), r"'emission' parameter of HMMEM must be"),
    ],
)
def test_a_broken_contract_is_named_and_leaves_a_fitted_model_as_it_was(emission, match):
    X = np.abs(np.random.RandomState(0).normal(size=(40, 2)))
    hmm = HMMEM(2, emission=Broken(), random_state=0).fit(X)
    before = hmm.rates_.copy()
    with pytest.raises(ValueError, match=match):
        hmm.set_params(emission=emission).fit(X)
    np.testing.assert_array_equal(hmm.rates_, before)


def test_an_emission_missing_a_method_cannot_be_made():
    class Incomplete(Emission):
        names = ("p",)

        def init(self, X, n_states, rng):
            return (np.ones(n_states),)

    with pytest.raises(TypeError, match="abstract"):
        Incomplete()


def test_the_emissions_own_check_of_X_is_applied(bernoulli):
    hmm = HMMEM(2, emission=bernoulli(), random_state=0).fit(binary_sequences())
    with pytest.raises(ValueError, match="0 and 1 only"):
        hmm.predict([[0.5]])
    with pytest.raises(ValueError, match="NaN"):
        HMMEM(2, emission=bernoulli()).fit([[np.nan], [1.0], [0.0]])
