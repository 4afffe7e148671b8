"""Bad input is answered by a clear error, before any work, leaving the model as it was."""

import numpy as np
import pytest
import scipy.sparse as sp

from emkit import GaussianMixtureEM

RNG = np.random.RandomState(0)
X = RNG.standard_normal((40, 2))


def X_with(value):
    bad = X.copy()
    bad[3, 1] = value
    return bad


BAD_FITS = [
    # (description, fit arguments, constructor arguments, error type, message pattern)
    ("nan column", {"X": np.c_[X, np.full(40, np.nan)]}, {}, ValueError, "no observed value"),
    ("inf", {"X": X_with(np.inf)}, {}, ValueError, "X contains infinity"),
    ("1-D", {"X": X[:, 0]}, {}, ValueError, "Expected 2D array"),
    ("3-D", {"X": X[:, :, None]}, {}, ValueError, "dim 3"),
    ("empty", {"X": X[:0]}, {}, ValueError, "0 sample"),
    ("one row", {"X": X[:1]}, {}, ValueError, "1 sample"),
    ("strings", {"X": np.array([["a", "b"]] * 5)}, {}, ValueError, "string"),
    ("complex", {"X": X + 1j}, {}, ValueError, "Complex data not supported"),
    ("sparse", {"X": sp.csr_matrix(X)}, {}, TypeError, "[Ss]parse data was passed for X"),
    ("few rows", {"X": X[:3]}, {"n_components": 5}, ValueError, "n_samples >= n_components"),
    ("weights shape", {}, {"weights_init": [1.0]}, ValueError, "weights_init must have shape"),
    ("weights sum", {}, {"weights_init": [0.3, 0.3]}, ValueError, "weights_init must sum to 1"),
    ("weights neg", {}, {"weights_init": [1.5, -0.5]}, ValueError, "weights_init must lie in"),
    ("means shape", {}, {"means_init": [[0, 0]]}, ValueError, "means_init must have shape"),
    (
        "means nan",
        {},
        {"means_init": [[0, 0], [np.nan, 1]]},
        ValueError,
        "means_init contains NaN",
    ),
    (
        "precisions shape",
        {},
        {"precisions_init": np.ones((2, 2))},
        ValueError,
        r"precisions_init must have shape \(2, 2, 2\)",
    ),
    (
        "precisions not PD",
        {},
        {"precisions_init": np.array([[[1, 2], [2, 1]], [[1, 0], [0, 1]]])},
        ValueError,
        "precisions_init must be positive-definite",
    ),
    (
        "precisions not symmetric",
        {},
        {"precisions_init": np.array([[[1, 0.5], [0, 1]], [[1, 0], [0, 1]]])},
        ValueError,
        "precisions_init must be symmetric",
    ),
    (
        "diag precisions negative",
        {},
        {"covariance_type": "diag", "precisions_init": [[1, -1], [1, 1]]},
        ValueError,
        "precisions_init must be positive-definite",
    ),
    ("weight length", {"sample_weight": np.ones(3)}, {}, ValueError, r"sample_weight must have"),
    ("weight 2-D", {"sample_weight": np.ones((40, 1))}, {}, ValueError, "sample_weight must have"),
    ("weight negative", {"sample_weight": -np.ones(40)}, {}, ValueError, "sample_weight must be"),
    ("weight zero", {"sample_weight": np.zeros(40)}, {}, ValueError, "sample_weight must not be"),
    ("weight nan", {"sample_weight": X_with(np.nan)[:, 1]}, {}, ValueError, "sample_weight"),
    ("n_components", {}, {"n_components": 0}, ValueError, "'n_components' parameter"),
    ("covariance_type", {}, {"covariance_type": "ful"}, ValueError, "'covariance_type'"),
    ("tol", {}, {"tol": -1.0}, ValueError, "'tol' parameter"),
    ("accelerate", {}, {"accelerate": "fast"}, ValueError, "'accelerate' parameter"),
]


@pytest.mark.parametrize(
    "fit_args, params, error, match", [case[1:] for case in BAD_FITS], ids=[c[0] for c in BAD_FITS]
)
def test_bad_fit_input_raises_and_leaves_the_model_unchanged(fit_args, params, error, match):
    gm = GaussianMixtureEM(2, random_state=0).fit(X + 10)
    before = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(gm).items()}
    gm.set_params(**params)
    fit_args = {"X": X, **fit_args}
    with pytest.raises(error, match=match):
        gm.fit(**fit_args)
    gm.set_params(**{name: before[name] for name in params})
    assert vars(gm).keys() == before.keys()
    for name, value in vars(gm).items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, before[name])
        else:
            assert value == before[name], name


def test_unchanged_after_failed_fit_with_new_feature_count():
    gm = GaussianMixtureEM(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="sample_weight"):
        gm.fit(np.c_[X, X], sample_weight=-np.ones(40))
    assert gm.n_features_in_ == 2
    gm.predict(X)


def test_warm_start_with_another_model_shape_is_refused():
    gm = GaussianMixtureEM(2, warm_start=True, random_state=0).fit(X)
    gm.set_params(n_components=3)
    with pytest.raises(ValueError, match="warm_start=True continues the previous fit"):
        gm.fit(X)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score_samples", "score", "bic"])
def test_predicting_with_wrong_features_or_nan(method):
    gm = GaussianMixtureEM(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="X has 3 features, but GaussianMixtureEM is expecting 2"):
        getattr(gm, method)(np.ones((5, 3)))
    with pytest.raises(ValueError, match="X contains infinity"):
        getattr(gm, method)(X_with(np.inf))


def test_not_fitted_and_bad_sample_size():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        GaussianMixtureEM().predict(X)
    gm = GaussianMixtureEM(2, random_state=0).fit(X)
    for n_samples in [0, -1, 2.5]:
        with pytest.raises(ValueError, match="n_samples must be a positive integer"):
            gm.sample(n_samples)
    with pytest.raises(ValueError, match="sample_weight must have"):
        gm.score(X, sample_weight=np.ones(3))
