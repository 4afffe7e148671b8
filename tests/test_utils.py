"""emkit.utils.align_components: stable component ids across refits."""

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from emkit import HMMEM, EMImputer, GaussianMixtureEM, SemiSupervisedEM
from emkit.utils import align_components

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


def shuffled_copy(model, order):
    """``model`` with its components permuted by hand."""
    permuted = model._model(model.means_.shape[1]).permuted(model._params(), order)
    copied = GaussianMixtureEM(**model.get_params())
    copied.__dict__.update(model.__dict__)
    copied._set_fitted(model._model(model.means_.shape[1]), permuted)
    return copied


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_undoes_a_permutation_exactly(blobs, covariance_type):
    gm = GaussianMixtureEM(3, covariance_type=covariance_type, random_state=0).fit(blobs[0])
    shuffled = shuffled_copy(gm, np.array([2, 0, 1]))
    assert not np.array_equal(shuffled.means_, gm.means_)
    aligned = align_components(gm, shuffled)
    for name in ["weights_", "means_", "covariances_", "precisions_cholesky_", "precisions_"]:
        np.testing.assert_array_equal(getattr(aligned, name), getattr(gm, name))
    np.testing.assert_array_equal(shuffled.means_[[1, 2, 0]], gm.means_)  # input untouched


def test_symmetric_kl_matches_its_definition(blobs):
    gm = GaussianMixtureEM(3, random_state=0).fit(blobs[0])
    other = GaussianMixtureEM(3, random_state=1).fit(blobs[0][::2])
    model = gm._model(3)
    divergences = model.divergences(gm._params(), other._params())
    rng = np.random.RandomState(0)
    for i, j in [(0, 0), (1, 2), (2, 1)]:
        a = multivariate_normal(gm.means_[i], gm.covariances_[i])
        b = multivariate_normal(other.means_[j], other.covariances_[j])
        # KL(a||b) + KL(b||a) by Monte Carlo, 200,000 draws each
        xa, xb = a.rvs(200_000, random_state=rng), b.rvs(200_000, random_state=rng)
        estimate = np.mean(a.logpdf(xa) - b.logpdf(xa)) + np.mean(b.logpdf(xb) - a.logpdf(xb))
        assert divergences[i, j] == pytest.approx(estimate, rel=0.02, abs=0.02)


def test_refits_with_other_seeds_keep_component_ids(blobs):
    X = blobs[0]
    # Random starts number the components at random; a tight tol puts refits
    # to one optimum at the same point to well within the atol below.
    kwargs = dict(init_params="random_from_data", tol=1e-8)
    reference = GaussianMixtureEM(3, random_state=0, **kwargs).fit(X)
    permuted = 0
    for seed in range(1, 11):
        refit = GaussianMixtureEM(3, random_state=seed, **kwargs).fit(X)
        if abs(refit.score(X) - reference.score(X)) > 1e-6:
            continue  # another local optimum: nothing to match
        permuted += not np.allclose(refit.means_, reference.means_, atol=1e-4)
        aligned = align_components(reference, refit)
        np.testing.assert_allclose(aligned.means_, reference.means_, atol=1e-4)
        np.testing.assert_array_equal(aligned.predict(X), reference.predict(X))
        assert aligned.score(X) == pytest.approx(refit.score(X), rel=1e-12)
        resp = refit.predict_proba(X)
        np.testing.assert_allclose(
            np.sort(aligned.predict_proba(X), axis=1), np.sort(resp, axis=1)
        )
    assert permuted >= 3  # the refits did number the components otherwise


def test_imputer_components(blobs):
    X = blobs[0].copy()
    X[::7, 1] = np.nan
    reference = EMImputer(n_components=3, random_state=0).fit(X)
    refit = EMImputer(n_components=3, random_state=4).fit(X)
    aligned = align_components(reference, refit)
    np.testing.assert_allclose(aligned.means_, reference.means_, atol=1e-4)
    np.testing.assert_allclose(aligned.transform(X), refit.transform(X))


@pytest.mark.parametrize("emission", ["gaussian", "categorical", "poisson"])
def test_hmm_states(emission):
    rng = np.random.RandomState(0)
    states = np.repeat(rng.permutation(np.tile([0, 1, 2], 20)), 30)
    if emission == "gaussian":
        X = rng.normal(np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]])[states])
    elif emission == "categorical":
        probs = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]])
        X = np.array([rng.choice(3, p=probs[s]) for s in states])[:, None]
    else:
        X = rng.poisson(np.array([[1.0], [6.0], [15.0]])[states])
    fits = [HMMEM(3, emission=emission, random_state=seed).fit(X) for seed in range(4)]
    for refit in fits[1:]:
        aligned = align_components(fits[0], refit)
        np.testing.assert_allclose(aligned.transmat_, fits[0].transmat_, atol=1e-3)
        np.testing.assert_array_equal(aligned.predict(X), fits[0].predict(X))
        assert aligned.score(X) == pytest.approx(refit.score(X), rel=1e-12)


def test_what_cannot_be_aligned(blobs):
    X, y, _ = blobs
    gm3 = GaussianMixtureEM(3, random_state=0).fit(X)
    with pytest.raises(ValueError, match="as many components"):
        align_components(gm3, GaussianMixtureEM(2, random_state=0).fit(X))
    with pytest.raises(ValueError, match="covariance type"):
        align_components(gm3, GaussianMixtureEM(3, covariance_type="diag").fit(X))
    with pytest.raises(TypeError, match="same class"):
        align_components(gm3, EMImputer(n_components=3).fit(X))
    with pytest.raises(TypeError, match="HMMEM models"):
        align_components(gm3, SemiSupervisedEM().fit(X, y))
