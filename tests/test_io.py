"""emkit.io: JSON models round-trip exactly, and any tampering is refused clearly."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from emkit import HMMEM, EMImputer, GaussianMixtureEM, SemiSupervisedEM
from emkit.io import from_json, to_json

RNG = np.random.default_rng(0)
X = RNG.random((60, 3))
X_MISSING = np.where(X > 0.9, np.nan, X)
Y = np.r_[np.zeros(5, int), np.ones(5, int), -np.ones(50, int)]
SYMBOLS = RNG.integers(0, 4, size=(80, 1))
COUNTS = RNG.poisson(3, (80, 2))
DOCUMENTS = RNG.poisson(2, (60, 5))
TYPES = ["full", "tied", "diag", "spherical"]


def cases():
    for ct in TYPES:
        yield GaussianMixtureEM(2, covariance_type=ct, random_state=0), (X,), X
        yield HMMEM(2, covariance_type=ct, random_state=0), (X,), X
        imputer = EMImputer(n_components=2, covariance_type=ct, add_indicator=True, random_state=0)
        yield imputer, (X_MISSING,), X_MISSING
        yield SemiSupervisedEM(covariance_type=ct), (X, Y), X
    yield (
        HMMEM(2, emission="categorical", update_params=("transmat",), random_state=0),
        (SYMBOLS,),
        SYMBOLS,
    )
    yield HMMEM(2, emission="poisson", random_state=0), (COUNTS,), COUNTS
    yield SemiSupervisedEM(emission="multinomial"), (DOCUMENTS, Y), DOCUMENTS
    labels = np.where(Y == 0, "spam", np.where(Y == 1, "ham", None)).astype(object)
    labels[Y == -1] = -1
    yield SemiSupervisedEM(), (X, labels), X


METHODS = ["predict_proba", "predict", "score_samples", "transform"]


@pytest.mark.parametrize(
    "estimator, args, X_new", list(cases()), ids=lambda value: repr(value)[:60]
)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_round_trip_preserves_every_prediction_exactly(estimator, args, X_new):
    estimator.fit(*args)
    loaded = from_json(to_json(estimator))
    assert type(loaded) is type(estimator)
    for method in METHODS:
        if hasattr(estimator, method):
            expected, got = getattr(estimator, method)(X_new), getattr(loaded, method)(X_new)
            np.testing.assert_array_equal(got, expected, err_msg=method)
    assert to_json(loaded) == to_json(estimator)  # parameters and attributes, NaN included


def test_float32_model_stays_float32():
    gm = GaussianMixtureEM(2, random_state=0).fit(X.astype(np.float32))
    loaded = from_json(to_json(gm))
    assert loaded.means_.dtype == np.float32
    np.testing.assert_array_equal(loaded.predict_proba(X), gm.predict_proba(X))


def saved(**changes):
    """A saved GaussianMixtureEM with entries of the document replaced."""
    gm = GaussianMixtureEM(2, covariance_type="full", random_state=0).fit(X)
    document = json.loads(to_json(gm))
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = document
        for key in parents:
            target = target[key]
        if value is KeyError:
            del target[last]
        else:
            target[last] = value
    return json.dumps(document)


def array(values):
    values = np.asarray(values)
    return {"array": values.ravel().tolist(), "dtype": "float64", "shape": list(values.shape)}


@pytest.mark.parametrize(
    "text, match",
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "not an emkit model"),
        (saved(format="pickle"), "not an emkit model"),
        (saved(version=99), "version 99 is not supported"),
        (saved(version="1"), "version '1' is not supported"),
        (saved(version=True), "version True is not supported"),
        (saved(kind="os.system"), "unknown kind 'os.system'"),
        (saved(params=[]), "must be JSON objects"),
        (saved(params__exec="x"), r"unknown parameters of GaussianMixtureEM: \['exec'\]"),
        (saved(params__n_components=-1), "invalid parameters.*n_components"),
        (saved(params__covariance_type="cubic"), "invalid parameters.*covariance_type"),
        (saved(attributes__means_=KeyError), "means_ is missing"),
        (saved(attributes__n_iter_=-3), "n_iter_ must be a non-negative integer"),
        (saved(attributes__converged_="yes"), "converged_ must be true or false"),
        (saved(attributes__lower_bounds_=["x"]), "lower_bounds_ must be a list of numbers"),
        (saved(attributes__lower_bounds_=[True]), "lower_bounds_ must be a list of numbers"),
        (saved(attributes__lower_bound_=None), "lower_bound_ must be a number"),
        (saved(attributes__lower_bound_={"float": "nan"}), "lower_bound_ must be a number"),
        (saved(attributes__means_=array(np.zeros((3, 3)))), r"means_ has shape \(3, 3\)"),
        (saved(attributes__weights_=array([0.5, 0.6])), "weights_ are not probabilities"),
        (saved(attributes__means_=array(np.full((2, 3), 1e200))), "means_ holds values too large"),
        (saved(attributes__weights_=array([1.5, -0.5])), "weights_ are not probabilities"),
        (saved(attributes__covariances_=array(-np.ones((2, 3, 3)))), "not positive-definite"),
        (
            saved(attributes__means_={"array": [1] * 5, "dtype": "float64", "shape": [2, 3]}),
            "does not hold 6 values",
        ),
        (
            saved(attributes__means_={"array": ["a"] * 6, "dtype": "float64", "shape": [2, 3]}),
            "not float64",
        ),
        (
            saved(attributes__means_={"array": [0] * 6, "dtype": "complex", "shape": [2, 3]}),
            "dtype 'complex'",
        ),
        (saved(attributes__means_={"__reduce__": "os.system"}), "not a value emkit writes"),
        (
            saved(attributes__means_={"array": [0.5] * 6, "dtype": "int64", "shape": [2, 3]}),
            "not int64",  # truncating the floats would change the model
        ),
        (
            saved(attributes__means_={"array": [10**23] * 6, "dtype": "int64", "shape": [2, 3]}),
            "too large for int64",
        ),
        (saved(attributes___private="x"), "'_private' is not a fitted attribute"),
        ('{"format": "emkit-model", "version": 1, "kind": "HMMEM", "x": NaN}', "NaN"),
    ],
)
def test_tampered_documents_are_refused_clearly(text, match):
    with pytest.raises(ValueError, match=match):
        from_json(text)


def test_a_model_changed_after_fit_is_not_saved_unreadable(blobs):
    gm = GaussianMixtureEM(2, random_state=0).fit(blobs[0]).set_params(n_components=3)
    with pytest.raises(ValueError, match="cannot be saved: its parameters no longer match"):
        to_json(gm)


def test_nearly_singular_covariances_are_refused():
    covariances = np.tile(np.diag([1e-320, 1.0, 1.0]), (2, 1, 1))
    with pytest.raises(ValueError, match="too close to singular"):
        from_json(saved(attributes__covariances_=array(covariances)))


def test_class_labels_and_feature_names_are_checked(blobs):
    X, y, _ = blobs
    named = SemiSupervisedEM(random_state=0).fit(X, np.array(["a", "b", "c"], dtype=object)[y])
    numbered = SemiSupervisedEM(random_state=0).fit(X, y)
    for clf, classes in [
        (named, ["b", "a", "c"]),
        (named, ["a", "a", "c"]),
        (numbered, [-1, 0, 1]),
    ]:
        document = json.loads(to_json(clf))
        document["attributes"]["classes_"]["array"] = classes
        with pytest.raises(ValueError, match="classes_ must be distinct, sorted, and not -1"):
            from_json(json.dumps(document))
    columns = [f"c{i}" for i in range(X.shape[1])]
    gm = GaussianMixtureEM(2, random_state=0).fit(pd.DataFrame(X, columns=columns))
    document = json.loads(to_json(gm))
    document["attributes"]["feature_names_in_"]["array"] = ["a"]
    document["attributes"]["feature_names_in_"]["shape"] = [1]
    with pytest.raises(ValueError, match="feature_names_in_ must be n_features_in_ strings"):
        from_json(json.dumps(document))


def test_deeply_nested_attributes_are_refused():
    text = saved(attributes__means_=0).replace('"means_": 0', '"means_": ' + "[" * 600 + "]" * 600)
    with pytest.raises(ValueError, match="nested too deeply"):
        from_json(text)


def test_non_finite_values_are_refused():
    text = saved(attributes__means_=array(np.full((2, 3), 0.125))).replace("0.125", "1e999", 1)
    with pytest.raises(ValueError, match="not finite"):
        from_json(text)


def test_what_cannot_be_saved():
    with pytest.raises(NotFittedError):
        to_json(GaussianMixtureEM())
    with pytest.raises(TypeError, match="to_json saves GaussianMixtureEM"):
        to_json(object())
    fitted = GaussianMixtureEM(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="callback cannot be saved"):
        to_json(fitted.set_params(callback=print))
    with pytest.raises(ValueError, match="random_state cannot be saved"):
        to_json(fitted.set_params(callback=None, random_state=np.random.RandomState(0)))
    with pytest.raises(TypeError, match="takes the JSON text"):
        from_json({"format": "emkit-model"})
