import numpy as np
import pytest
from sklearn import config_context
from sklearn.model_selection import GridSearchCV, KFold, check_cv, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from emkit import HMMEM, GaussianMixtureEM, SemiSupervisedEM
from emkit.model_selection import AllRowsSplit, aic_scorer, bic_scorer

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


def test_grid_search_on_full_data_selects_the_true_model(blobs):
    X = blobs[0]  # three components with different full covariances
    search = GridSearchCV(
        GaussianMixtureEM(random_state=0),
        {"n_components": range(1, 7), "covariance_type": COVARIANCE_TYPES},
        scoring=bic_scorer,
        cv=AllRowsSplit(),
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
    semi = SemiSupervisedEM().fit(X, y)
    for estimator in [semi, make_pipeline(StandardScaler(), semi).fit(X, y)]:
        for scorer in [bic_scorer, aic_scorer]:
            with pytest.raises(TypeError, match="not SemiSupervisedEM"):
                scorer(estimator, X)


def test_all_rows_split_trains_and_tests_on_every_row(blobs):
    X = blobs[0]
    cv = check_cv(AllRowsSplit())
    assert cv.get_n_splits(X) == 1
    [(train, test)] = list(cv.split(X, groups=np.arange(len(X))))
    np.testing.assert_array_equal(train, np.arange(len(X)))
    np.testing.assert_array_equal(test, np.arange(len(X)))
    scores = cross_val_score(GaussianMixtureEM(3, random_state=0), X, cv=AllRowsSplit())
    assert scores[0] == GaussianMixtureEM(3, random_state=0).fit(X).score(X)


def test_a_pipeline_is_scored_by_its_final_step_on_the_transformed_data(blobs):
    X = blobs[0] * [1.0, 10.0, 100.0] + 50.0
    scaled = StandardScaler().fit_transform(X)
    pipeline = make_pipeline(StandardScaler(), GaussianMixtureEM(random_state=0))
    search = GridSearchCV(
        pipeline,
        {"gaussianmixtureem__n_components": range(1, 6)},
        scoring={"bic": bic_scorer, "aic": aic_scorer},
        refit="bic",
        cv=AllRowsSplit(),
    ).fit(X)
    assert search.best_params_ == {"gaussianmixtureem__n_components": 3}
    for criterion in ["bic", "aic"]:
        expected = [
            -getattr(GaussianMixtureEM(k, random_state=0).fit(scaled), criterion)(scaled)
            for k in range(1, 6)
        ]
        np.testing.assert_allclose(search.cv_results_[f"mean_test_{criterion}"], expected)
    # nested pipelines and "passthrough" steps too
    nested = make_pipeline("passthrough", search.best_estimator_)
    assert bic_scorer(nested, X) == search.best_score_


def test_metadata_reaches_a_pipelines_final_step(blobs):
    X = blobs[0]
    w = np.random.RandomState(0).randint(0, 4, len(X))
    with config_context(enable_metadata_routing=True):
        pipeline = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=True),
            GaussianMixtureEM(random_state=0).set_fit_request(sample_weight=True),
        )
        search = GridSearchCV(
            pipeline,
            {"gaussianmixtureem__n_components": [1, 2, 3, 4]},
            scoring=bic_scorer.set_score_request(sample_weight=True),
            cv=AllRowsSplit(),
        ).fit(X, sample_weight=w)
    repeated = np.repeat(X, w, axis=0)  # integer weights are repeated rows
    expected = [
        bic_scorer(
            make_pipeline(StandardScaler(), GaussianMixtureEM(k, random_state=0)).fit(repeated),
            repeated,
        )
        for k in [1, 2, 3, 4]
    ]
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], expected, rtol=1e-6)


def sample_hmm(n_sequences=10, length=100):
    """Sequences of a 3-state Gaussian HMM, and their ids."""
    truth = HMMEM(
        3,
        startprob_init=[0.6, 0.3, 0.1],
        transmat_init=[[0.9, 0.08, 0.02], [0.05, 0.9, 0.05], [0.1, 0.1, 0.8]],
        means_init=[[0.0, 0.0], [4.0, 1.0], [-2.0, 5.0]],
        covars_init=[[1.0, 0.5], [0.3, 0.8], [1.5, 1.0]],
        max_iter=0,
    ).fit(np.zeros((3, 2)))
    rng = np.random.RandomState(0)
    X = np.vstack([truth.sample(length, random_state=rng)[0] for _ in range(n_sequences)])
    return X, np.repeat(np.arange(n_sequences), length)


def test_hmm_sequence_ids_reach_a_pipelines_final_step():
    X, ids = sample_hmm()
    lengths = np.bincount(ids)
    with config_context(enable_metadata_routing=True):
        hmm = HMMEM(random_state=0).set_fit_request(sequence_ids=True)
        search = GridSearchCV(
            make_pipeline(StandardScaler(), hmm),
            {"hmmem__n_components": [1, 2, 3, 4]},
            scoring=bic_scorer.set_score_request(sequence_ids=True),
            cv=AllRowsSplit(),
        ).fit(X, sequence_ids=ids)
    assert search.best_params_ == {"hmmem__n_components": 3}
    scaled = StandardScaler().fit_transform(X)
    best = HMMEM(3, random_state=0).fit(scaled, lengths=lengths)
    assert search.best_score_ == pytest.approx(-best.bic(scaled, lengths=lengths), rel=1e-10)
