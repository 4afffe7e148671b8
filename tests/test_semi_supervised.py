"""SemiSupervisedEM: supervised limits, gains from unlabeled rows, pipelines, bad input."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.naive_bayes import GaussianNB, MultinomialNB
from sklearn.pipeline import make_pipeline

from emkit import SemiSupervisedEM

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


def word_counts(n_docs, n_words=300, n_classes=3, seed=0, overlap=0.9):
    """Documents from known class multinomials that share most of their words."""
    rng = np.random.RandomState(seed)
    background = 1.0 / np.arange(1, n_words + 1)
    background /= background.sum()
    topics = rng.dirichlet(np.full(n_words, 0.1), size=n_classes)
    probs = overlap * background + (1 - overlap) * topics
    y = rng.randint(0, n_classes, n_docs)
    lengths = rng.poisson(60, n_docs) + 1
    X = np.array([rng.multinomial(n, probs[c]) for n, c in zip(lengths, y)], dtype=float)
    return X, y, probs


def keep_labels(y, per_class, seed=0):
    """y with all but ``per_class`` labels per class replaced by -1."""
    rng = np.random.RandomState(seed)
    partial = np.full(len(y), -1)
    for c in np.unique(y):
        keep = rng.choice(np.flatnonzero(y == c), per_class, replace=False)
        partial[keep] = c
    return partial


def gaussian_classes(n=300, seed=0):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 3, n)
    means = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
    return means[y] + rng.standard_normal((n, 2)), y, means


def test_no_unlabeled_weight_is_multinomial_naive_bayes():
    X, y, _ = word_counts(400)
    partial = keep_labels(y, 20)
    labeled = partial >= 0
    em = SemiSupervisedEM(emission="multinomial", unlabeled_weight=0.0, alpha=0.5)
    em.fit(X, partial)
    nb = MultinomialNB(alpha=0.5).fit(X[labeled], y[labeled])
    np.testing.assert_allclose(em.feature_log_prob_, nb.feature_log_prob_, rtol=1e-12)
    np.testing.assert_allclose(np.log(em.class_prior_), nb.class_log_prior_, rtol=1e-12)
    np.testing.assert_allclose(em.predict_proba(X), nb.predict_proba(X), atol=1e-10)


def test_no_unlabeled_weight_is_gaussian_naive_bayes_with_diagonal_covariances():
    X, y, _ = gaussian_classes()
    partial = keep_labels(y, 15)
    labeled = partial >= 0
    nb = GaussianNB().fit(X[labeled], y[labeled])
    # GaussianNB adds var_smoothing * (largest variance) to every variance: reg_covar here.
    em = SemiSupervisedEM(covariance_type="diag", unlabeled_weight=0.0, reg_covar=nb.epsilon_)
    em.fit(X, partial)
    np.testing.assert_allclose(em.means_, nb.theta_, rtol=1e-12)
    np.testing.assert_allclose(em.covariances_, nb.var_, rtol=1e-10)
    np.testing.assert_allclose(em.class_prior_, nb.class_prior_, rtol=1e-12)
    np.testing.assert_allclose(em.predict_proba(X), nb.predict_proba(X), atol=1e-10)


def test_unlabeled_documents_improve_on_labeled_only():
    X, y, probs = word_counts(1500, seed=1)
    partial = keep_labels(y, 3, seed=1)
    test_X, test_y, _ = word_counts(1000, seed=1)
    kwargs = dict(emission="multinomial", alpha=0.1)
    semi = SemiSupervisedEM(**kwargs).fit(X, partial)
    alone = SemiSupervisedEM(unlabeled_weight=0.0, **kwargs).fit(X, partial)
    assert semi.score(test_X, test_y) > alone.score(test_X, test_y) + 0.05
    error = np.abs(np.exp(semi.feature_log_prob_) - probs).sum()
    assert error < np.abs(np.exp(alone.feature_log_prob_) - probs).sum()


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_one_label_per_class_recovers_the_gaussian_classes(covariance_type):
    X, y, means = gaussian_classes(600)
    partial = keep_labels(y, 1)
    clf = SemiSupervisedEM(covariance_type=covariance_type).fit(X, partial)
    np.testing.assert_allclose(clf.means_, means, atol=0.4)
    # The classes overlap: compare with the Bayes classifier, which knows the truth.
    bayes = np.argmin(((X[:, None, :] - means) ** 2).sum(axis=2), axis=1)
    assert clf.score(X, y) > np.mean(bayes == y) - 0.02
    labeled = partial >= 0
    np.testing.assert_array_equal(clf.transduction_[labeled], partial[labeled])
    np.testing.assert_array_equal(clf.transduction_[~labeled], clf.predict(X[~labeled]))


def test_several_components_per_class_fit_a_class_in_two_clusters():
    # Class 0 sits on both sides of class 1: one spherical Gaussian per class
    # puts both means near the origin, two per class find the clusters.
    rng = np.random.RandomState(0)
    centres = np.array([[-4.0, 0.0], [4.0, 0.0], [0.0, -4.0], [0.0, 4.0]])
    cluster = rng.randint(0, 4, 800)
    X = centres[cluster] + 0.7 * rng.standard_normal((800, 2))
    y = cluster // 2
    partial = keep_labels(cluster, 2) // 2  # two labels per cluster, -1 stays -1
    partial[partial < 0] = -1
    kwargs = dict(covariance_type="spherical", random_state=0)
    one = SemiSupervisedEM(**kwargs).fit(X, partial)
    two = SemiSupervisedEM(n_components_per_class=2, n_init=3, **kwargs).fit(X, partial)
    assert one.score(X, y) < 0.75
    assert two.score(X, y) > 0.98
    assert two.weights_.shape == (4,)
    np.testing.assert_allclose(two.class_prior_, np.bincount(y) / len(y), atol=0.05)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    emission=st.sampled_from(["gaussian", "multinomial"]),
    covariance_type=st.sampled_from(COVARIANCE_TYPES),
    n_per_class=st.integers(1, 2),
    unlabeled_weight=st.sampled_from([0.3, 1.0]),
    accelerate=st.sampled_from([None, "squarem"]),
)
def test_log_likelihood_never_decreases(
    seed, emission, covariance_type, n_per_class, unlabeled_weight, accelerate
):
    if emission == "gaussian":
        X, y, _ = gaussian_classes(120, seed % 1000)
    else:
        X, y, _ = word_counts(120, n_words=40, seed=seed % 1000)
    partial = keep_labels(y, 4, seed)
    clf = SemiSupervisedEM(
        n_per_class,
        emission=emission,
        covariance_type=covariance_type,
        reg_covar=0.0,  # exact EM
        unlabeled_weight=unlabeled_weight,
        tol=0,
        max_iter=25,
        accelerate=accelerate,
        random_state=seed,
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, partial)
    except ValueError as error:  # a Gaussian component collapsed, with reg_covar=0
        assert "ill-defined" in str(error)
        reject()
    bounds = np.array(clf.lower_bounds_)
    assert np.all(np.isfinite(bounds))
    assert np.all(np.diff(bounds) >= -1e-10 * np.abs(bounds[1:]))


def test_sparse_counts_equal_dense():
    X, y, _ = word_counts(300)
    partial = keep_labels(y, 5)
    dense = SemiSupervisedEM(emission="multinomial").fit(X, partial)
    sparse = SemiSupervisedEM(emission="multinomial").fit(sp.csr_matrix(X), partial)
    np.testing.assert_allclose(sparse.feature_log_prob_, dense.feature_log_prob_, rtol=1e-10)
    np.testing.assert_allclose(sparse.lower_bounds_, dense.lower_bounds_, rtol=1e-10)
    np.testing.assert_allclose(
        sparse.predict_proba(sp.csr_matrix(X)), dense.predict_proba(X), atol=1e-10
    )


def test_integer_sample_weight_equals_repeated_rows():
    X, y, _ = gaussian_classes(200)
    partial = keep_labels(y, 5)
    weights = np.random.RandomState(0).randint(0, 3, len(X))
    weights[partial >= 0] += 1  # every labeled row stays
    weighted = SemiSupervisedEM(covariance_type="diag", accelerate=None, tol=1e-10)
    weighted.fit(X, partial, sample_weight=weights)
    repeated = SemiSupervisedEM(covariance_type="diag", accelerate=None, tol=1e-10)
    repeated.fit(np.repeat(X, weights, axis=0), np.repeat(partial, weights))
    np.testing.assert_allclose(weighted.means_, repeated.means_, rtol=1e-7)
    np.testing.assert_allclose(weighted.covariances_, repeated.covariances_, rtol=1e-7)


def test_string_labels_and_missing_values():
    X, y, _ = gaussian_classes(300)
    names = np.array(["ant", "bee", "cat"], dtype=object)[y]
    partial = np.where(keep_labels(y, 5) >= 0, names, -1)
    X[::7, 1] = np.nan  # those rows tell classes "ant" and "cat" apart badly
    clf = SemiSupervisedEM(covariance_type="diag").fit(X, partial)
    assert list(clf.classes_) == ["ant", "bee", "cat"]
    assert clf.score(X, names) > 0.8
    assert np.all(np.isfinite(clf.predict_proba(X)))


def test_text_pipeline_and_grid_search_over_unlabeled_weight():
    rng = np.random.RandomState(0)
    words = {0: "ball goal team match score", 1: "vote party law court election"}
    shared = "the a of and to in news today".split()
    docs, y = [], []
    for _ in range(200):
        c = rng.randint(2)
        topic = words[c].split()
        docs.append(" ".join(rng.choice(topic + shared, 12)))
        y.append(c)
    y = np.array(y)
    partial = keep_labels(y, 10)
    pipeline = make_pipeline(CountVectorizer(), SemiSupervisedEM(emission="multinomial"))
    assert pipeline.fit(docs, partial).score(docs, y) > 0.95
    # Stratifying on y with -1 as a class keeps labeled rows in every fold;
    # score counts the labeled rows of the test fold only.
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    scores = cross_val_score(pipeline, docs, partial, cv=cv)
    assert np.all(scores > 0.9)
    grid = {"semisupervisedem__unlabeled_weight": [0.0, 0.5, 1.0]}
    search = GridSearchCV(pipeline, grid, cv=cv).fit(docs, partial)
    assert search.best_score_ > 0.9


def test_results_do_not_depend_on_n_jobs():
    X, y, _ = gaussian_classes(300)
    partial = keep_labels(y, 6)
    kwargs = dict(n_components_per_class=2, n_init=3, random_state=0)
    with config_context(working_memory=0.001):  # threads share each E-step's chunks too
        serial = SemiSupervisedEM(n_jobs=1, **kwargs).fit(X, partial)
        parallel = SemiSupervisedEM(n_jobs=2, **kwargs).fit(X, partial)
    np.testing.assert_array_equal(serial.means_, parallel.means_)
    assert serial.lower_bounds_ == parallel.lower_bounds_


X_BAD, Y_BAD = gaussian_classes(30)[:2]


@pytest.mark.parametrize(
    "params, X, y, match",
    [
        ({}, X_BAD, np.full(30, -1), "no labeled row"),
        ({}, X_BAD, np.where(np.arange(30) < 5, 1, -1), "only one class"),
        ({}, X_BAD, Y_BAD[:-1], "y has 29 entries, but X has 30 rows"),
        ({}, X_BAD, np.where(Y_BAD == 0, np.nan, Y_BAD), "y contains nan: mark unlabeled"),
        ({}, X_BAD, np.where(Y_BAD == 0, None, Y_BAD), "y contains None: mark unlabeled"),
        ({"emission": "multinomial"}, X_BAD, Y_BAD, "Negative values in data"),
        ({"emission": "multinomial"}, np.where(X_BAD > 5, np.nan, 1.0), Y_BAD, "NaN"),
        ({"n_components_per_class": 3}, X_BAD, np.r_[0, 0, 1, 1, 1, [-1] * 25], "fewer than"),
        ({"unlabeled_weight": 1.5}, X_BAD, Y_BAD, "unlabeled_weight"),
        ({"alpha": 0.0}, X_BAD, Y_BAD, "alpha"),
    ],
)
def test_bad_input_is_refused_and_a_fitted_classifier_is_kept(params, X, y, match):
    clf = SemiSupervisedEM(emission=params.get("emission", "gaussian"))
    clf.fit(np.abs(X_BAD), Y_BAD)
    before = {name: value for name, value in vars(clf).items() if name.endswith("_")}
    clf.set_params(**params)
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y)
    for name, value in before.items():
        np.testing.assert_array_equal(getattr(clf, name), value)


def test_a_different_number_of_features_at_predict():
    clf = SemiSupervisedEM().fit(X_BAD, Y_BAD)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X_BAD[:, :1])
