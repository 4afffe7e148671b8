"""Numerics under stress: finite parameters or a clear error that says what to do."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import emkit._covariance
from emkit import HMMEM, EMImputer, GaussianMixtureEM, SemiSupervisedEM
from emkit._covariance import structure

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
RNG = np.random.RandomState(0)
TWO_CLUSTERS = RNG.standard_normal((200, 3)) + np.repeat([[0, 0, 0], [5, 5, 5]], 100, axis=0)

STRESS = {
    "scale 1e-150": TWO_CLUSTERS * 1e-150,
    "scale 1e-50": TWO_CLUSTERS * 1e-50,
    "scale 1e+50": TWO_CLUSTERS * 1e50,
    "scale 1e+90": TWO_CLUSTERS * 1e90,
    "variances 1e12 apart": TWO_CLUSTERS * [1e-6, 1.0, 1e6],
    "d > n": RNG.standard_normal((5, 20)),
    "exact duplicates": np.repeat(TWO_CLUSTERS[:3], 50, axis=0),
    "fewer distinct points than components": np.repeat(TWO_CLUSTERS[:2], 50, axis=0),
    "one distinct point": np.repeat(TWO_CLUSTERS[:1], 50, axis=0),
}
ESTIMATORS = {
    "mixture": lambda cov: GaussianMixtureEM(3, covariance_type=cov, random_state=0),
    "imputer": lambda cov: EMImputer(n_components=3, covariance_type=cov, random_state=0),
    "hmm": lambda cov: HMMEM(3, covariance_type=cov, random_state=0),
}


def assert_finite_fit(estimator):
    for name, value in vars(estimator).items():
        if name.endswith("_") and isinstance(value, np.ndarray) and value.dtype.kind == "f":
            assert np.isfinite(value).all(), name


def quietly(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return function(*args, **kwargs)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("case", STRESS)
def test_stressed_data_give_finite_fits(case, estimator, covariance_type):
    X = STRESS[case]
    model = quietly(ESTIMATORS[estimator](covariance_type).fit, X)
    assert_finite_fit(model)
    assert np.isfinite(model.score(X))


def test_huge_values_are_refused_with_what_to_do():
    for make in ESTIMATORS.values():
        with pytest.raises(ValueError, match="StandardScaler"):
            make("full").fit(TWO_CLUSTERS * 1e150)


def test_an_emptied_component_keeps_its_place_with_reg_covar():
    # As in scikit-learn: no re-seeding; the component keeps its mean, gets
    # reg_covar as covariance and a weight of about zero.
    X = np.r_[RNG.normal(0, 1, (100, 2)), RNG.normal(8, 1, (100, 2))]
    gm = GaussianMixtureEM(3, means_init=[[0, 0], [8, 8], [1000, 1000]], reg_covar=1e-6)
    gm = quietly(gm.fit, X)
    assert_finite_fit(gm)
    np.testing.assert_array_equal(gm.means_[2], [1000, 1000])
    np.testing.assert_allclose(gm.covariances_[2], 1e-6 * np.eye(2))
    assert gm.weights_[2] < 1e-12
    np.testing.assert_allclose(gm.weights_.sum(), 1.0)


@pytest.mark.parametrize("emission", ["gaussian", "categorical", "poisson", "multinomial"])
def test_hmm_states_never_visited_unreachable_and_length_one_sequences(emission):
    rng = np.random.RandomState(1)
    X = {
        "gaussian": rng.standard_normal((100, 2)),
        "categorical": rng.randint(2, size=(100, 1)),
        "poisson": rng.poisson(2, (100, 2)),
        "multinomial": rng.multinomial(4, [0.3, 0.7], size=100),
    }[emission]
    many = quietly(HMMEM(5, emission=emission, random_state=0).fit, X)  # more states than needed
    assert_finite_fit(many)
    np.testing.assert_allclose(many.transmat_.sum(axis=1), 1.0)
    singles = quietly(HMMEM(2, emission=emission, random_state=0).fit, X, lengths=[1] * 100)
    assert_finite_fit(singles)
    # A state that cannot be entered keeps a zero start probability and column.
    transmat = np.array([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    hmm = HMMEM(3, emission=emission, transmat_init=transmat, startprob_init=[0.5, 0.5, 0.0])
    hmm = quietly(hmm.fit, X)
    assert_finite_fit(hmm)
    assert hmm.startprob_[2] == 0.0 and np.all(hmm.transmat_[:2, 2] == 0.0)
    np.testing.assert_allclose(hmm.transmat_.sum(axis=1), 1.0)
    assert np.isfinite(hmm.score(X))


class Interrupt:
    """A callback that presses Ctrl-C at the first record from the third iteration on.

    (With SQUAREM, records skip the E-steps of rejected jumps: 1, 4, 7, ...)
    """

    def __call__(self, record):
        if record.iteration >= 3:
            raise KeyboardInterrupt


@pytest.mark.parametrize(
    "make, args",
    [
        (lambda cb: GaussianMixtureEM(3, random_state=0, callback=cb), (TWO_CLUSTERS,)),
        (lambda cb: EMImputer(n_components=2, random_state=0, callback=cb), (TWO_CLUSTERS,)),
        (lambda cb: HMMEM(3, random_state=0, callback=cb), (TWO_CLUSTERS,)),
        (
            lambda cb: SemiSupervisedEM(random_state=0, callback=cb),
            (TWO_CLUSTERS, np.r_[0, 1, np.full(198, -1)]),
        ),
    ],
)
def test_keyboard_interrupt_leaves_the_estimator_as_it_was(make, args):
    estimator = make(None).fit(*args)
    before = {
        k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(estimator).items()
    }
    before_tol = estimator.tol
    estimator.set_params(callback=Interrupt(), tol=0.0)
    with pytest.raises(KeyboardInterrupt):
        estimator.fit(*args)
    estimator.set_params(callback=None, tol=before_tol)
    assert vars(estimator).keys() == before.keys()
    for name, value in before.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(estimator, name), value)


def _scatter(X, W, centres):
    """sum_i W[i, k] (x_i - c_k)(x_i - c_k)^T for each k, by definition."""
    deviations = X[:, None, :] - centres[None]
    return np.einsum("ik,ikd,ike->kde", W, deviations, deviations)


@pytest.mark.parametrize("group_bytes", [1, 2**12, 2**20])  # one, three, all per product
def test_full_second_moments_are_each_components_weighted_scatter(monkeypatch, group_bytes):
    monkeypatch.setattr(emkit._covariance, "_GROUP_BYTES", group_bytes)
    rng = np.random.RandomState(0)
    X, W = rng.normal(size=(50, 3)) + 1e3, rng.uniform(size=(50, 7))
    centres = rng.normal(size=(7, 3)) + 1e3
    got = structure("full").second_moments(X, W, W.sum(axis=0), centres)
    np.testing.assert_allclose(got, _scatter(X, W, centres), rtol=1e-10)


def test_tied_second_moments_are_each_mixtures_pooled_scatter():
    rng = np.random.RandomState(1)
    X, W = rng.normal(size=(40, 3)) + 1e3, rng.uniform(size=(40, 6))
    centres = rng.normal(size=(6, 3)) + 1e3
    scatter = _scatter(X, W, centres)
    nk = W.sum(axis=0)
    tied = structure("tied").second_moments(X, W, nk, centres)
    np.testing.assert_allclose(tied, scatter.sum(axis=0), rtol=1e-10)
    per_mixture = structure("tied", 3).second_moments(X, W, nk, centres)
    expected = np.stack([scatter[:3].sum(axis=0), scatter[3:].sum(axis=0)])
    np.testing.assert_allclose(per_mixture, expected, rtol=1e-10)
