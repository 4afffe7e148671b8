import numpy as np
import pytest
import scipy.sparse as sp
from scipy.stats import multivariate_normal
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from emkit import EMImputer, GaussianMixtureEM
from emkit.datasets import load_penguins


def correlated(n=500, seed=0):
    rng = np.random.RandomState(seed)
    cov = np.array(
        [[1.0, 0.8, 0.5, 0.0], [0.8, 1.0, 0.4, 0.1], [0.5, 0.4, 1.0, 0.3], [0, 0.1, 0.3, 1]]
    )
    return rng.multivariate_normal([1.0, -2.0, 0.5, 3.0], cov, size=n)


def with_holes(X, fraction=0.2, seed=0):
    X = X.copy()
    X[np.random.RandomState(seed).rand(*X.shape) < fraction] = np.nan
    return X


def test_single_gaussian_fills_the_conditional_mean():
    X = with_holes(correlated())
    imputer = EMImputer().fit(X)
    filled = imputer.transform(X)
    observed = ~np.isnan(X)
    np.testing.assert_array_equal(filled[observed], X[observed])
    mean, cov = imputer.means_[0], imputer.covariances_[0]
    for i in np.flatnonzero(np.isnan(X).any(axis=1))[:40]:
        o, m = observed[i], ~observed[i]
        expected = mean[m] + cov[np.ix_(m, o)] @ np.linalg.solve(
            cov[np.ix_(o, o)], X[i, o] - mean[o]
        )
        np.testing.assert_allclose(filled[i, m], expected, rtol=1e-10)


def test_mixture_fills_the_responsibility_weighted_conditional_means():
    rng = np.random.RandomState(1)
    X = np.vstack([correlated(300, 1), correlated(300, 2) + 6.0])
    X = with_holes(X, 0.25)
    imputer = EMImputer(n_components=2, random_state=0).fit(X)
    filled, resp = imputer.transform(X), imputer.predict_proba(X)
    for i in rng.choice(np.flatnonzero(np.isnan(X).any(axis=1)), 30, replace=False):
        o = ~np.isnan(X[i])
        m = ~o
        densities = np.array(
            [
                w * multivariate_normal(mu[o], c[np.ix_(o, o)]).pdf(X[i, o])
                for w, mu, c in zip(imputer.weights_, imputer.means_, imputer.covariances_)
            ]
        )
        np.testing.assert_allclose(resp[i], densities / densities.sum(), rtol=1e-8)
        expected = sum(
            r * (mu[m] + c[np.ix_(m, o)] @ np.linalg.solve(c[np.ix_(o, o)], X[i, o] - mu[o]))
            for r, mu, c in zip(resp[i], imputer.means_, imputer.covariances_)
        )
        np.testing.assert_allclose(filled[i, m], expected, rtol=1e-8)
    assert imputer.score(X) == pytest.approx(np.mean(np.log(np.exp(imputer.score_samples(X)))))


@pytest.mark.parametrize("accelerate", [None, "squarem"])
def test_fit_equals_gaussian_mixture_on_the_same_data(accelerate):
    X = with_holes(correlated())
    imputer = EMImputer(n_components=2, random_state=0, accelerate=accelerate).fit(X)
    mixture = GaussianMixtureEM(2, random_state=0, accelerate=accelerate).fit(X)
    assert imputer.n_iter_ == mixture.n_iter_
    assert imputer.lower_bound_ == pytest.approx(mixture.lower_bound_, rel=1e-10)
    # The imputer's copy of X's columns has another memory layout, which BLAS rounds
    # otherwise (by an ulp); SQUAREM's jumps along this flat likelihood (two components
    # of one Gaussian) grow that to ~3e-8 over its ~100 E-steps.
    rtol = 1e-8 if accelerate is None else 1e-6
    np.testing.assert_allclose(imputer.means_, mixture.means_, rtol=rtol)
    np.testing.assert_allclose(imputer.score_samples(X), mixture.score_samples(X))


def test_squarem_reaches_the_optimum_of_plain_em_in_fewer_iterations():
    X = with_holes(correlated(), 0.3)
    plain = EMImputer(accelerate=None, reg_covar=0, tol=1e-12, max_iter=5000).fit(X)
    fast = EMImputer(reg_covar=0, tol=1e-12).fit(X)
    assert fast.converged_ and plain.converged_
    assert fast.n_iter_ <= plain.n_iter_ / 2
    np.testing.assert_allclose(fast.means_, plain.means_, atol=1e-5)
    np.testing.assert_allclose(fast.covariances_, plain.covariances_, atol=1e-5)
    assert fast.lower_bounds_[-1] >= plain.lower_bounds_[-1] - 1e-10
    assert np.all(np.diff(fast.lower_bounds_) >= -1e-13)  # rounding only


def test_float32_stays_float32_and_agrees_with_float64():
    X = with_holes(correlated())
    X32 = X.astype(np.float32)
    kwargs = dict(n_components=2, random_state=0, tol=0, max_iter=20, accelerate=None)
    with pytest.warns(ConvergenceWarning):
        fit64 = EMImputer(**kwargs).fit(X)
    with pytest.warns(ConvergenceWarning):
        fit32 = EMImputer(**kwargs).fit(X32)
    for name in ["weights_", "means_", "covariances_"]:
        assert getattr(fit32, name).dtype == np.float32, name
        difference = np.max(np.abs(getattr(fit32, name) - getattr(fit64, name)))
        assert difference <= 1e-5 * np.max(np.abs(getattr(fit64, name))), name
    filled = fit32.transform(X32)
    assert filled.dtype == np.float32
    np.testing.assert_allclose(filled, fit64.transform(X), rtol=1e-5, atol=1e-5)


def test_better_than_column_means_on_correlated_data():
    complete = correlated(2000)
    X = with_holes(complete, 0.3)
    mask = np.isnan(X)
    em = EMImputer().fit_transform(X)
    mean = SimpleImputer().fit_transform(X)
    rmse_em = np.sqrt(np.mean((em[mask] - complete[mask]) ** 2))
    rmse_mean = np.sqrt(np.mean((mean[mask] - complete[mask]) ** 2))
    assert rmse_em < 0.85 * rmse_mean


def test_empty_rows_columns_and_new_patterns():
    X = with_holes(correlated())
    X[:, 2] = np.nan
    X[5] = np.nan
    imputer = EMImputer().fit(X)
    out = imputer.transform(X)
    assert out.shape == (len(X), 3)
    np.testing.assert_allclose(out[5], imputer.weights_ @ imputer.means_)
    assert imputer.score_samples(X)[5] == pytest.approx(0.0, abs=1e-12)
    kept = EMImputer(keep_empty_features=True).fit(X)
    out = kept.transform(X)
    assert out.shape == X.shape and np.all(out[:, 2] == 0)
    names = EMImputer(add_indicator=True).fit(X).get_feature_names_out()
    assert list(names[:3]) == ["x0", "x1", "x3"]
    assert list(names[3:]) == ["missingindicator_x0", "missingindicator_x1",
                               "missingindicator_x2", "missingindicator_x3"]  # fmt: skip
    new = correlated(20, 5)
    new[:, 0] = np.nan  # a pattern unseen at fit time
    filled = imputer.transform(new)
    assert not np.isnan(filled).any()


def test_missing_values_placeholder():
    X = with_holes(correlated())
    marked = np.where(np.isnan(X), -999.0, X)
    a = EMImputer(random_state=0).fit_transform(X)
    b = EMImputer(missing_values=-999, random_state=0).fit_transform(marked)
    np.testing.assert_allclose(a, b)
    with pytest.raises(ValueError, match="X contains NaN, but missing_values=-999"):
        EMImputer(missing_values=-999).fit(X)


def test_add_indicator():
    X = with_holes(correlated())
    out = EMImputer(add_indicator=True).fit_transform(X)
    np.testing.assert_array_equal(out[:, 4:], np.isnan(X))


def test_sample_posterior_draws_from_the_conditional_distribution():
    X = with_holes(correlated(300), 0.3)
    imputer = EMImputer(sample_posterior=True, random_state=0).fit(X)
    first, second = imputer.transform(X), imputer.transform(X)
    np.testing.assert_array_equal(first, second)
    observed = ~np.isnan(X)
    np.testing.assert_array_equal(first[observed], X[observed])
    mean_fill = EMImputer().fit(X).transform(X)
    draws = np.mean([imputer.set_params(random_state=s).transform(X) for s in range(400)], axis=0)
    # Conditional variances are at most 1: the mean of 400 draws is within 5 sd.
    np.testing.assert_allclose(draws[~observed], mean_fill[~observed], atol=5 / np.sqrt(400))
    assert not np.allclose(first[~observed], mean_fill[~observed])


def test_in_a_pipeline_before_a_classifier():
    X, y = load_penguins(return_X_y=True)
    pipeline = make_pipeline(StandardScaler(), EMImputer(), LogisticRegression(max_iter=1000))
    scores = cross_val_score(pipeline, X, y, cv=5)
    assert scores.mean() > 0.95
    search = GridSearchCV(pipeline, {"emimputer__n_components": [1, 2]}, cv=3).fit(X, y)
    assert search.best_params_["emimputer__n_components"] in (1, 2)


@pytest.mark.parametrize(
    "X, error, match",
    [
        (np.array([[1.0, np.inf], [2.0, 3.0]]), ValueError, "infinity"),
        (np.array([["a", "b"], ["c", "d"]]), ValueError, "string"),
        (sp.csr_matrix(np.eye(3)), TypeError, "[Ss]parse data"),
        (np.full((3, 2), np.nan), ValueError, "no observed value"),
    ],
)
def test_bad_input(X, error, match):
    with pytest.raises(error, match=match):
        EMImputer().fit(X)


def test_wrong_number_of_features_at_transform():
    imputer = EMImputer().fit(with_holes(correlated()))
    with pytest.raises(ValueError, match="X has 3 features, but EMImputer is expecting 4"):
        imputer.transform(np.ones((2, 3)))


def test_keep_empty_features_keeps_later_observed_values():
    X = with_holes(correlated())
    X[:, 1] = np.nan
    imputer = EMImputer(keep_empty_features=True).fit(X)
    new = correlated(5, 3)
    new[0, 0] = np.nan
    out = imputer.transform(new)
    np.testing.assert_array_equal(out[:, 1], new[:, 1])
    assert not np.isnan(out).any()


# ------------------------------------------------------------- min_value, max_value


@pytest.mark.parametrize("sample_posterior", [False, True])
def test_min_and_max_value_clip_imputed_entries_only(sample_posterior):
    X = with_holes(correlated())
    X[0, 0], X[1, 3] = -10.0, 10.0  # observed values far outside the bounds stay
    X[2, 2] = np.nan
    lower, upper = [0.0, -2.5, 0.4, -np.inf], [1.5, -1.5, np.inf, 3.2]
    kwargs = dict(sample_posterior=sample_posterior, random_state=0)
    free = EMImputer(**kwargs).fit(X)
    bounded = EMImputer(min_value=lower, max_value=upper, **kwargs).fit(X)
    # the bounds do not change the fit
    np.testing.assert_array_equal(bounded.covariances_, free.covariances_)
    missing = np.isnan(X)
    expected = np.where(missing, np.clip(free.transform(X), lower, upper), X)
    np.testing.assert_array_equal(bounded.transform(X), expected)
    assert bounded.transform(X)[0, 0] == -10.0 and bounded.transform(X)[1, 3] == 10.0
    imputed = bounded.transform(X)[missing]
    assert (imputed != free.transform(X)[missing]).sum() > 20  # the bounds bite
    # one number bounds every column
    scalar = EMImputer(min_value=-1.0, max_value=1.0, **kwargs).fit(X).transform(X)
    np.testing.assert_array_equal(scalar, np.where(missing, np.clip(free.transform(X), -1, 1), X))


def test_bounds_apply_to_kept_empty_columns_and_follow_the_input_columns():
    X = with_holes(correlated())
    X[:, 1] = np.nan  # empty at fit time: dropped, or kept and filled with 0 (then bounded)
    lower = [-np.inf, 2.0, -np.inf, 3.5]
    dropped = EMImputer(min_value=lower).fit(X).transform(X)
    assert dropped.shape[1] == 3 and np.all(dropped[np.isnan(X[:, 3]), 2] >= 3.5)
    kept = EMImputer(min_value=lower, keep_empty_features=True).fit(X).transform(X)
    np.testing.assert_array_equal(kept[:, 1], 2.0)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"min_value": [0.0, 1.0]}, r"min_value must be a number or have shape \(4,\)"),
        ({"max_value": [[1.0] * 4]}, r"max_value must be a number or have shape \(4,\)"),
        ({"min_value": [0.0, np.nan, 0.0, 0.0]}, "min_value must not be NaN"),
        ({"min_value": ["a"] * 4}, "min_value"),
        ({"min_value": 1.0, "max_value": 0.0}, r"min_value must not exceed max_value.*\[0, 1, 2"),
        ({"min_value": [0, 0, 5, 0], "max_value": 4}, r"for column\(s\) \[2\]"),
        ({"min_value": np.nan}, "min_value"),
    ],
)
def test_bad_bounds_are_refused_before_any_work(params, match):
    X = with_holes(correlated())
    fitted = EMImputer().fit(X)
    means = fitted.means_
    with pytest.raises(ValueError, match=match):
        fitted.set_params(**params).fit(X)
    assert fitted.means_ is means
    with pytest.raises(ValueError, match=match):
        EMImputer(**params).partial_fit(X)
    equal = EMImputer(min_value=1.0, max_value=1.0).fit(X).transform(X)  # min == max is allowed
    np.testing.assert_array_equal(equal[np.isnan(X)], 1.0)


# --------------------------------------------------------------------------- bic, aic


def test_bic_and_aic_are_those_of_the_observed_values():
    X = with_holes(np.vstack([correlated(300, 1), correlated(300, 2) + 6.0]), 0.25)
    imputer = EMImputer(n_components=2, covariance_type="diag", random_state=0).fit(X)
    mixture = GaussianMixtureEM(2, covariance_type="diag", random_state=0).fit(X)
    n_parameters = 1 + 2 * 4 + 2 * 4  # weights, means, diagonal variances
    log_likelihood = imputer.score_samples(X).sum()
    assert imputer.bic(X) == pytest.approx(-2 * log_likelihood + n_parameters * np.log(len(X)))
    assert imputer.aic(X) == pytest.approx(-2 * log_likelihood + 2 * n_parameters)
    assert imputer.bic(X) == pytest.approx(mixture.bic(X), rel=1e-10)
    w = np.random.RandomState(0).randint(0, 3, len(X))
    assert imputer.bic(X, sample_weight=w) == pytest.approx(imputer.bic(np.repeat(X, w, axis=0)))
    # with a placeholder and an empty column, on the columns the imputer models
    X_coded = np.where(np.isnan(X), -99.0, X)
    coded = EMImputer(missing_values=-99.0, n_components=2, covariance_type="diag")
    assert coded.set_params(random_state=0).fit(X_coded).bic(X_coded) == imputer.bic(X)
    X_empty = np.c_[X, np.full(len(X), np.nan)]
    wide = EMImputer(n_components=2, covariance_type="diag", random_state=0).fit(X_empty)
    assert wide.bic(X_empty) == pytest.approx(imputer.bic(X), rel=1e-12)


def test_bic_scorer_chooses_the_number_of_components_of_an_imputer():
    from emkit.model_selection import AllRowsSplit, bic_scorer

    rng = np.random.RandomState(0)
    X = with_holes(np.vstack([correlated(200, s) + 6.0 * s for s in range(3)]), 0.2)
    X = X * [1.0, 10.0, 100.0, 0.1]  # unequal scales: the pipeline scales them
    search = GridSearchCV(
        make_pipeline(StandardScaler(), EMImputer(random_state=0)),
        {"emimputer__n_components": [1, 2, 3, 4, 5]},
        scoring=bic_scorer,
        cv=AllRowsSplit(),
    ).fit(X[rng.permutation(len(X))])
    assert search.best_params_ == {"emimputer__n_components": 3}
    assert not np.isnan(search.cv_results_["mean_test_score"]).any()
