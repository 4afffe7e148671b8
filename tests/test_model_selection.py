import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score

from emkit import EMImputer, GaussianMixtureEM, SemiSupervisedEM
from emkit.model_selection import aic_scorer, bic_scorer

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


def test_grid_search_on_full_data_selects_the_true_model(blobs):
    X = blobs[0]  # three components with different full covariances
    all_rows = [(np.arange(len(X)), np.arange(len(X)))]
    search = GridSearchCV(
        GaussianMixtureEM(random_state=0),
        {"n_components": range(1, 7), "covariance_type": COVARIANCE_TYPES},
        scoring=bic_scorer,
        cv=all_rows,
    ).fit(X)
    assert search.best_params_ == {"n_components": 3, "covariance_type": "full"}
    best = search.best_estimator_
    assert search.best_score_ == pytest.approx(-best.bic(X))
    scores = search.cv_results_["mean_test_score"]
    fits = [
        GaussianMixtureEM(random_state=0, **params).fit(X)
        for params in search.cv_results_["params"]
    ]
    np.testing.assert_allclose(scores, [-gm.bic(X) for gm in fits])


def test_scorers_on_held_out_folds(blobs):
    X = blobs[0]
    rng = np.random.RandomState(0)
    X = X[rng.permutation(len(X))]
    search = GridSearchCV(
        GaussianMixtureEM(random_state=0), {"n_components": range(1, 6)}, scoring=bic_scorer, cv=3
    ).fit(X)
    assert search.best_params_ == {"n_components": 3}
    aic = cross_val_score(GaussianMixtureEM(3, random_state=0), X, scoring=aic_scorer, cv=3)
    train, test = next(KFold(3).split(X))
    gm = GaussianMixtureEM(3, random_state=0).fit(X[train])
    assert aic[0] == pytest.approx(-gm.aic(X[test]))


def test_score_is_the_default_cross_validation_metric(blobs):
    X = blobs[0]
    scores = cross_val_score(GaussianMixtureEM(3, random_state=0), X, cv=2)
    gm = GaussianMixtureEM(3, random_state=0).fit(X[len(X) // 2 :])
    assert scores[0] == pytest.approx(gm.score(X[: len(X) // 2]))


def test_scorers_name_an_estimator_without_the_criterion(blobs):
    X, y, _ = blobs
    for estimator in [EMImputer().fit(X), SemiSupervisedEM().fit(X, y)]:
        for scorer in [bic_scorer, aic_scorer]:
            with pytest.raises(TypeError, match=f"not {type(estimator).__name__}"):
                scorer(estimator, X)
