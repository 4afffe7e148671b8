"""Bad input is answered by a clear error, before any work, leaving the model as it was."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from emkit import (
    HMMEM,
    BayesianGaussianMixtureEM,
    EMImputer,
    GaussianMixtureEM,
    SemiSupervisedEM,
    VariationalHMMEM,
)

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


@pytest.mark.parametrize("before, after", [("diag", "tied"), ("tied", "diag")])
def test_continuing_with_another_covariance_type_of_the_same_shape_is_refused(before, after):
    # Two components on two features: diag and tied covariances are both 2 x 2.
    for method, kwargs in [("fit", {"warm_start": True}), ("partial_fit", {})]:
        gm = GaussianMixtureEM(2, covariance_type=before, random_state=0, **kwargs).fit(X)
        fitted = snapshot(gm)
        gm.set_params(covariance_type=after)
        with pytest.raises(ValueError, match=f"which had .*covariance_type='{before}'"):
            getattr(gm, method)(X)
        assert_unchanged(gm, fitted)


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


# --------------------------------------------------------------------------- the battery
# Every estimator and method against malformed X (and other arguments): a
# ValueError or TypeError that names the argument, or a finite result; and a
# fitted estimator that a failed fit leaves as it was.

RNG2 = np.random.RandomState(1)
GAUSSIAN_X = RNG2.standard_normal((40, 2)) + np.repeat([[0.0, 0.0], [4.0, 4.0]], 20, axis=0)
COUNTS = RNG2.poisson(3, (40, 2)).astype(float)
SYMBOLS = RNG2.randint(3, size=(40, 1))
TRIALS = RNG2.multinomial(6, [0.2, 0.3, 0.5], size=40)
LABELS = np.repeat([0, 1], 20)
LABELS[::3] = -1

ESTIMATORS = {
    "mixture": (lambda: GaussianMixtureEM(2, random_state=0), GAUSSIAN_X, False),
    "bayesian": (lambda: BayesianGaussianMixtureEM(2, random_state=0), GAUSSIAN_X, False),
    "imputer": (lambda: EMImputer(random_state=0), GAUSSIAN_X, False),
    "hmm": (lambda: HMMEM(2, random_state=0), GAUSSIAN_X, False),
    "hmm-categorical": (lambda: HMMEM(2, emission="categorical", random_state=0), SYMBOLS, False),
    "hmm-poisson": (lambda: HMMEM(2, emission="poisson", random_state=0), COUNTS, False),
    "hmm-multinomial": (lambda: HMMEM(2, emission="multinomial", random_state=0), TRIALS, False),
    "hmm-gmm": (lambda: HMMEM(2, emission="gmm", n_mix=2, random_state=0), GAUSSIAN_X, False),
    "vhmm": (lambda: VariationalHMMEM(2, random_state=0), GAUSSIAN_X, False),
    "vhmm-diag": (lambda: VariationalHMMEM(2, covariance_type="diag"), GAUSSIAN_X, False),
    "vhmm-categorical": (
        lambda: VariationalHMMEM(2, emission="categorical", random_state=0),
        SYMBOLS,
        False,
    ),
    "semi": (lambda: SemiSupervisedEM(random_state=0), GAUSSIAN_X, True),
    "semi-multinomial": (lambda: SemiSupervisedEM(emission="multinomial"), COUNTS, True),
}
METHODS = ["fit", "partial_fit", "predict", "predict_proba", "score_samples", "score", "transform"]


def with_entry(A, value):
    A = np.array(A, dtype=object if isinstance(value, str) else float)
    A[3, 0] = value
    return A


def read_only(A):
    A = A.copy()
    A.setflags(write=False)
    return A


def first_column_nan(A):
    return np.c_[np.full(len(A), np.nan), A[:, 1:]]


MALFORMED = {
    "nan entry": lambda A: with_entry(A, np.nan),
    "inf entry": lambda A: with_entry(A, np.inf),
    "-inf entry": lambda A: with_entry(A, -np.inf),
    "all nan": lambda A: np.full(A.shape, np.nan),
    "all-nan row": lambda A: np.vstack([A, np.full(A.shape[1], np.nan)]),
    "all-nan column": first_column_nan,
    "no rows": lambda A: A[:0],
    "one row": lambda A: A[:1],
    "no columns": lambda A: A[:, :0],
    "wrong feature count": lambda A: np.c_[A, A],
    "1-D": lambda A: A[:, 0],
    "3-D": lambda A: A[:, :, None],
    "scalar": lambda A: 3.0,
    "None": lambda A: None,
    "dict": lambda A: {"a": 1},
    "string": lambda A: "X",
    "strings": lambda A: np.full(A.shape, "a"),
    "one string": lambda A: with_entry(A, "x"),
    "numeric strings": lambda A: A.astype(str),
    "objects None": lambda A: np.full(A.shape, None, dtype=object),
    "complex": lambda A: A + 1j,
    "booleans": lambda A: A > 1,
    "datetimes": lambda A: np.full(A.shape, np.datetime64("2020-01-01")),
    "ragged list": lambda A: [[1.0, 2.0], [3.0]],
    "list of lists": lambda A: A.tolist(),
    "tuple of tuples": lambda A: tuple(map(tuple, A)),
    "huge 1e300": lambda A: A * 1e300,
    "huge 1e150": lambda A: A * 1e150,
    "tiny 1e-300": lambda A: A * 1e-300,
    "tiny 1e-150": lambda A: A * 1e-150,
    "float16": lambda A: A.astype(np.float16),
    "float32": lambda A: A.astype(np.float32),
    "int64": lambda A: np.round(A).astype(np.int64),
    "uint8": lambda A: np.abs(np.round(A)).astype(np.uint8),
    "huge ints": lambda A: np.full(A.shape, 2**62),
    "negative": lambda A: -np.abs(A) - 1,
    "fractional": lambda A: A + 0.5,
    "duplicated rows": lambda A: np.repeat(A[:1], len(A), axis=0),
    "constant column": lambda A: np.c_[A[:, :1], np.ones((len(A), A.shape[1] - 1))],
    "Fortran order": lambda A: np.asfortranarray(A),
    "non-contiguous": lambda A: np.repeat(A, 2, axis=1)[:, ::2],
    "read-only": read_only,
    "masked array": lambda A: np.ma.masked_array(A, mask=np.zeros(A.shape, bool)),
    "matrix": lambda A: np.asmatrix(A),
    "sparse": lambda A: sp.csr_matrix(A),
    "dataframe": lambda A: pd.DataFrame(A, columns=[f"c{i}" for i in range(A.shape[1])]),
    "dataframe mixed": lambda A: pd.DataFrame({"a": A[:, 0], "b": ["s"] * len(A)}),
    "series": lambda A: pd.Series(A[:, 0]),
}


def call(estimator, method, X, needs_y):
    if method in ("fit", "partial_fit", "score") and needs_y:
        n = X.shape[0] if hasattr(X, "shape") and len(X.shape) else 40
        return getattr(estimator, method)(X, np.resize(LABELS, n))
    return getattr(estimator, method)(X)


def snapshot(estimator) -> dict:
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(estimator).items()}


def assert_unchanged(estimator, before):
    assert vars(estimator).keys() == before.keys()
    for name, value in vars(estimator).items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, before[name])


def assert_finite(result):
    if isinstance(
        result,
        (GaussianMixtureEM, BayesianGaussianMixtureEM, EMImputer, HMMEM, SemiSupervisedEM),
    ):
        for name, value in vars(result).items():
            if name.endswith("_") and isinstance(value, np.ndarray) and value.dtype.kind == "f":
                assert np.isfinite(value).all(), name
    elif np.asarray(result).dtype.kind == "f":
        assert np.isfinite(result).all()


@pytest.mark.parametrize("malformed", MALFORMED)
@pytest.mark.parametrize("name", ESTIMATORS)
def test_malformed_X_everywhere(name, malformed):
    make, good, needs_y = ESTIMATORS[name]
    with warnings.catch_warnings():
        # also: np.matrix's PendingDeprecationWarning, DataFrames' feature-name UserWarning
        for category in (ConvergenceWarning, PendingDeprecationWarning, UserWarning):
            warnings.simplefilter("ignore", category)
        fitted = call(make(), "fit", good, needs_y)
        for method in METHODS:
            if not hasattr(fitted, method):
                continue
            estimator = make() if method in ("fit", "partial_fit") else fitted
            before = snapshot(fitted)
            try:
                result = call(estimator, method, MALFORMED[malformed](good), needs_y)
            except (ValueError, TypeError) as error:
                assert re.search(r"\b(X|y)\b", str(error)), (method, str(error))
                if method == "fit":  # a failed refit leaves the fitted model as it was
                    with pytest.raises(type(error)):
                        call(fitted, "fit", MALFORMED[malformed](good), needs_y)
                    assert_unchanged(fitted, before)
                continue
            assert_finite(result)


BAD_SAMPLE_WEIGHTS = {
    "short": np.ones(3),
    "2-D": np.ones((40, 1)),
    "negative": -np.ones(40),
    "all zero": np.zeros(40),
    "nan": np.r_[np.nan, np.ones(39)],
    "inf": np.r_[np.inf, np.ones(39)],
    "strings": np.full(40, "a"),
    "complex": np.ones(40) + 1j,
    "dict": {"a": 1},
    "scalar": 2.0,
    "subnormal": np.full(40, 1e-320),
}


@pytest.mark.parametrize("weights", BAD_SAMPLE_WEIGHTS)
@pytest.mark.parametrize("name", ["mixture", "bayesian", "imputer", "semi", "semi-multinomial"])
def test_bad_sample_weight(name, weights):
    make, good, needs_y = ESTIMATORS[name]
    fitted = call(make(), "fit", good, needs_y)
    before = snapshot(fitted)
    args = (good, LABELS) if needs_y else (good,)
    methods = ["fit", "partial_fit"] + (["score"] if name in ("mixture", "bayesian") else [])
    for method in methods:
        if not hasattr(fitted, method):
            continue
        with pytest.raises((ValueError, TypeError), match="sample_weight"):
            getattr(fitted, method)(*args, sample_weight=BAD_SAMPLE_WEIGHTS[weights])
        assert_unchanged(fitted, before)


BAD_SEQUENCES = {
    "lengths too long": ({"lengths": [30, 30]}, "lengths"),
    "lengths too short": ({"lengths": [10, 10]}, "lengths"),
    "zero length": ({"lengths": [0, 40]}, "lengths"),
    "negative length": ({"lengths": [-10, 50]}, "lengths"),
    "fractional lengths": ({"lengths": [20.5, 19.5]}, "lengths"),
    "2-D lengths": ({"lengths": [[20, 20]]}, "lengths"),
    "string lengths": ({"lengths": ["20", "a"]}, "lengths"),
    "both": ({"lengths": [20, 20], "sequence_ids": np.repeat([0, 1], 20)}, "sequence_ids"),
    "short sequence_ids": ({"sequence_ids": np.zeros(5)}, "sequence_ids"),
    "2-D sequence_ids": ({"sequence_ids": np.zeros((40, 2))}, "sequence_ids"),
    "nan sequence_ids": ({"sequence_ids": np.r_[np.nan, np.zeros(39)]}, "sequence_ids"),
    "mixed sequence_ids": (
        {"sequence_ids": np.array(["a"] * 20 + [1] * 20, object)},
        "sequence_ids",
    ),
    "overflowing lengths": ({"lengths": [2**62] * 3 + [2**62 + 40]}, "lengths"),
    "huge float lengths": ({"lengths": [1e20]}, "lengths"),
    "lengths as y": ({"y": [20, 20]}, "lengths"),
    "ones as y": ({"y": [1] * 40}, "lengths"),
}


@pytest.mark.parametrize("case", BAD_SEQUENCES)
@pytest.mark.parametrize("name", ["hmm", "hmm-categorical", "hmm-poisson", "hmm-multinomial"])
def test_bad_sequences(name, case):
    make, good, _ = ESTIMATORS[name]
    fitted = make().fit(good)
    before = snapshot(fitted)
    kwargs, argument = BAD_SEQUENCES[case]
    for method in ["fit", "predict", "predict_proba", "score", "decode"]:
        if method != "fit" and "y" in kwargs and method != "score":
            continue
        with pytest.raises((ValueError, TypeError), match=argument):
            getattr(fitted, method)(good, **kwargs)
        assert_unchanged(fitted, before)


ZERO_WEIGHT_CASES = {
    # an observed value only in rows of weight 0: the column has nothing to estimate from
    "column seen only at weight 0": (
        np.c_[GAUSSIAN_X[:, :1], np.where(np.arange(40) < 3, 1.0, np.nan)],
        (np.arange(40) >= 3).astype(float),
        r"column\(s\) \[1\] are observed only in rows whose sample_weight is 0",
    ),
    "fewer weighted rows than components": (
        GAUSSIAN_X,
        (np.arange(40) == 0).astype(float),
        "sample_weight is positive on 1 row",
    ),
}


@pytest.mark.parametrize("case", ZERO_WEIGHT_CASES)
@pytest.mark.parametrize("init_params", ["kmeans", "random_from_data"])
@pytest.mark.parametrize("name", ["mixture", "imputer"])
def test_weights_that_leave_nothing_to_start_from(name, init_params, case):
    make, good, _ = ESTIMATORS[name]
    X, weights, match = ZERO_WEIGHT_CASES[case]
    params = {"init_params": init_params, "n_components": 2}
    fitted = make().set_params(**params).fit(good)
    before = snapshot(fitted)
    for method in ["fit", "partial_fit"]:
        with pytest.raises(ValueError, match=match):
            getattr(make().set_params(**params), method)(X, sample_weight=weights)
    with pytest.raises(ValueError, match=match):
        fitted.fit(X, sample_weight=weights)
    assert_unchanged(fitted, before)


def test_collapsed_variance_of_incomplete_rows_is_named():
    # Without reg_covar a state's variance underflows: the squares of its precision would overflow.
    rng = np.random.RandomState(0)
    X = np.r_[rng.randn(50, 2), rng.randn(50, 2) + 4]
    X[rng.rand(*X.shape) < 0.3] = np.nan
    # From k-means, whose start leads there (the exploring start passes over such runs).
    hmm = HMMEM(
        3,
        covariance_type="spherical",
        reg_covar=0,
        init_params="kmeans",
        accelerate=None,
        random_state=0,
    )
    with pytest.raises(ValueError, match="ill-defined empirical covariance"):
        hmm.fit(X)


def test_symbols_too_large_for_a_table_are_named():
    # A table of 2 x 2**50 floats, 16 PiB: beyond any address space.
    with pytest.raises(ValueError, match=r"does not fit in memory.*OrdinalEncoder"):
        HMMEM(2, emission="categorical", random_state=0).fit([[0], [1], [2**50]])


def test_semi_supervised_weights_that_leave_nothing_to_fit():
    make, good, _ = ESTIMATORS["semi"]
    labeled = (LABELS >= 0).astype(float)
    with pytest.raises(ValueError, match="no row is left to fit"):
        make().set_params(unlabeled_weight=0.0).fit(good, LABELS, sample_weight=1 - labeled)
    class_one_unweighted = np.where(LABELS == 1, 0.0, 1.0)
    with pytest.raises(ValueError, match=r"Class 1 has 0 labeled row\(s\) of positive weight"):
        make().set_params(n_components_per_class=2).fit(
            good, LABELS, sample_weight=class_one_unweighted
        )
    X = np.c_[good[:, :1], np.where(np.arange(40) < 3, 1.0, np.nan)]
    with pytest.raises(ValueError, match="observed only in rows whose sample_weight is 0"):
        make().fit(X, LABELS, sample_weight=(np.arange(40) >= 3).astype(float))
    with pytest.raises(ValueError, match="classes holds 1 class"):
        make().partial_fit(good, np.where(LABELS == 1, 0, LABELS), classes=[0])


@pytest.mark.parametrize("weights", ["short", "long", "scalar", "strings", "negative"])
def test_semi_supervised_score_checks_sample_weight(weights):
    make, good, _ = ESTIMATORS["semi"]
    fitted = make().fit(good, LABELS)
    bad = {"short": np.ones(3), "long": np.ones(41), "scalar": 2.0}
    bad |= {"strings": np.full(40, "a"), "negative": -np.ones(40)}
    with pytest.raises((ValueError, TypeError), match="sample_weight"):
        fitted.score(good, LABELS, sample_weight=bad[weights])
    with pytest.raises(ValueError, match="sample_weight is 0 on every labeled row"):
        fitted.score(good, LABELS, sample_weight=(LABELS < 0).astype(float))


BAD_LABELS = {
    "short": (LABELS[:5], "y"),
    "2-D": (LABELS[:, None].repeat(2, axis=1), "y"),
    "all unlabeled": (np.full(40, -1), "y"),
    "one class": (np.where(LABELS == 1, 0, LABELS), "y"),
    "nan": (np.r_[np.nan, LABELS[1:]].astype(float), "y"),
    "None entries": (np.r_[None, LABELS[1:]].astype(object), "y"),
    "continuous": (np.linspace(0, 1, 40), "y"),
    "class with too few rows": (np.r_[1, np.zeros(39, int)], "n_components_per_class"),
}


@pytest.mark.parametrize("case", BAD_LABELS)
@pytest.mark.parametrize("name", ["semi", "semi-multinomial"])
def test_bad_labels(name, case):
    make, good, _ = ESTIMATORS[name]
    fitted = make().fit(good, LABELS)
    before = snapshot(fitted)
    y, argument = BAD_LABELS[case]
    if case == "class with too few rows":
        fitted.set_params(n_components_per_class=2)
    # partial_fit knows the classes: later batches may be unlabeled or of one class
    continuing = case in ("all unlabeled", "one class")
    for method in ["fit"] if continuing else ["fit", "partial_fit"]:
        with pytest.raises((ValueError, TypeError), match=argument):
            getattr(fitted, method)(good, y)
        assert_unchanged(fitted, before)


BAD_PARAMETERS = {
    "n_components": [0, -1, 1.5, "2"],
    "n_components_per_class": [0, 1.5],
    "covariance_type": ["ful", 3],
    "n_mix": [0, 1.5],
    "reg_covar": [-1e-6, "a"],
    "tol": [-1.0, None],
    "max_iter": [-1, 2.5],
    "n_init": [0],
    "accelerate": ["fast", True],
    "learning_decay": [0.5, 1.5],
    "learning_offset": [0.0, -1.0],
    "batch_size": [0, 2.5],
    "init_params": ["k-means"],
    "emission": ["normal"],
    "n_trials": [0, -1, 1.5, "5"],
    "alpha": [0.0, -1.0],
    "unlabeled_weight": [-0.1, 1.5],
    "random_state": ["seed"],
    "min_value": [np.nan, "low", [0.0, 1.0, 2.0]],
    "max_value": [np.nan, [[1.0, 1.0]]],
}


@pytest.mark.parametrize("name", ESTIMATORS)
def test_bad_constructor_values_are_refused_by_fit(name):
    make, good, needs_y = ESTIMATORS[name]
    checked = 0
    for parameter, values in BAD_PARAMETERS.items():
        if parameter not in make().get_params():
            continue
        for value in values:
            with pytest.raises((ValueError, TypeError), match=parameter):
                call(make().set_params(**{parameter: value}), "fit", good, needs_y)
            checked += 1
    assert checked >= 10


BAD_PRIORS = {
    # (constructor arguments, the argument the error names)
    "concentration zero": ({"weight_concentration_prior": 0.0}, "weight_concentration_prior"),
    "concentration negative": ({"weight_concentration_prior": -1.0}, "weight_concentration_prior"),
    "concentration inf": ({"weight_concentration_prior": np.inf}, "weight_concentration_prior"),
    "concentration nan": ({"weight_concentration_prior": np.nan}, "weight_concentration_prior"),
    "concentration array": ({"weight_concentration_prior": [1.0, 1.0]}, "weight_concentration"),
    "mean precision zero": ({"mean_precision_prior": 0.0}, "mean_precision_prior"),
    "mean precision negative": ({"mean_precision_prior": -2.0}, "mean_precision_prior"),
    "mean precision inf": ({"mean_precision_prior": np.inf}, "mean_precision_prior"),
    "mean prior scalar": ({"mean_prior": 1.0}, "mean_prior"),
    "mean prior short": ({"mean_prior": [0.0]}, "mean_prior"),
    "mean prior 2-D": ({"mean_prior": [[0.0, 0.0]]}, "mean_prior"),
    "mean prior nan": ({"mean_prior": [0.0, np.nan]}, "mean_prior"),
    "mean prior strings": ({"mean_prior": ["a", "b"]}, "mean_prior"),
    "dof below d - 1": ({"degrees_of_freedom_prior": 0.5}, "degrees_of_freedom_prior"),
    "dof negative": ({"degrees_of_freedom_prior": -3.0}, "degrees_of_freedom_prior"),
    "dof inf": ({"degrees_of_freedom_prior": np.inf}, "degrees_of_freedom_prior"),
    "covariance negative": ({"covariance_prior": -1.0}, "covariance_prior"),
    "covariance scalar for full": ({"covariance_prior": 1.0}, "covariance_prior"),
    "covariance shape": ({"covariance_prior": np.eye(3)}, "covariance_prior"),
    "covariance 1-D for full": ({"covariance_prior": [1.0, 1.0]}, "covariance_prior"),
    "covariance not PD": ({"covariance_prior": [[1.0, 2.0], [2.0, 1.0]]}, "covariance_prior"),
    "covariance asymmetric": ({"covariance_prior": [[1.0, 0.5], [0.0, 1.0]]}, "covariance_prior"),
    "covariance nan": ({"covariance_prior": [[1.0, np.nan], [np.nan, 1.0]]}, "covariance_prior"),
    "diag covariance negative": (
        {"covariance_type": "diag", "covariance_prior": [1.0, -1.0]},
        "covariance_prior",
    ),
    "diag covariance matrix": (
        {"covariance_type": "diag", "covariance_prior": np.eye(2)},
        "covariance_prior",
    ),
    "spherical covariance array": (
        {"covariance_type": "spherical", "covariance_prior": [1.0, 1.0]},
        "covariance_prior",
    ),
    "spherical covariance zero": (
        {"covariance_type": "spherical", "covariance_prior": 0.0},
        "covariance_prior",
    ),
    "weight prior type": (
        {"weight_concentration_prior_type": "dirichlet"},
        "weight_concentration",
    ),
}


@pytest.mark.parametrize("case", BAD_PRIORS)
def test_bad_priors_raise_before_any_work_and_leave_the_model_unchanged(case, monkeypatch):
    params, argument = BAD_PRIORS[case]
    fitted = BayesianGaussianMixtureEM(2, random_state=0).fit(GAUSSIAN_X)
    before = snapshot(fitted)
    fitted.set_params(**params)

    def no_work(*args, **kwargs):
        raise AssertionError("EM ran before the priors were checked")

    monkeypatch.setattr("emkit.bayesian_mixture.fit_em", no_work)
    with pytest.raises(ValueError, match=argument):
        fitted.fit(GAUSSIAN_X)
    fitted.set_params(**{name: before[name] for name in params})
    assert_unchanged(fitted, before)


# ------------------------------------------------------------------------------ warnings


@pytest.mark.parametrize("name", ESTIMATORS)
def test_convergence_warning_points_at_the_callers_line(name):
    make, good, needs_y = ESTIMATORS[name]
    estimator = make().set_params(max_iter=1, tol=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call(estimator, "fit", good, needs_y)
    [warning] = [w for w in caught if w.category is ConvergenceWarning]
    assert warning.filename == __file__
    assert "max_iter=1" in str(warning.message)
    if name == "mixture":  # the remedies emkit has, once
        for remedy in ["max_iter", "lower_bounds_", "callback", "n_init", "init_params"]:
            assert remedy in str(warning.message)
        assert "reg_covar" in str(warning.message) and "scale" in str(warning.message)


def test_convergence_warning_suggests_squarem_only_without_it():
    with pytest.warns(ConvergenceWarning) as squarem:
        GaussianMixtureEM(2, max_iter=1, tol=0, random_state=0).fit(GAUSSIAN_X)
    with pytest.warns(ConvergenceWarning) as plain:
        GaussianMixtureEM(2, max_iter=1, tol=0, accelerate=None, random_state=0).fit(GAUSSIAN_X)
    assert "squarem" not in str(squarem[0].message)
    assert 'accelerate="squarem"' in str(plain[0].message)


@pytest.mark.parametrize("method", ["fit", "score"])
def test_column_y_warning_points_at_the_callers_line(method):
    from sklearn.exceptions import DataConversionWarning

    semi = SemiSupervisedEM(random_state=0).fit(GAUSSIAN_X, LABELS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        getattr(semi, method)(GAUSSIAN_X, LABELS[:, None])
    [warning] = caught
    assert warning.category is DataConversionWarning
    assert warning.filename == __file__
