"""emkit.io: JSON models round-trip exactly, and any tampering is refused clearly."""

import json
import sys

import numpy as np
import pandas as pd
import pytest
import skops.io
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

from emkit import (
    HMMEM,
    BayesianGaussianMixtureEM,
    EMImputer,
    GaussianMixtureEM,
    SemiSupervisedEM,
    VariationalHMMEM,
)
from emkit.io import from_json, load, save, to_json

RNG = np.random.default_rng(0)
X = RNG.random((60, 3))
X_MISSING = np.where(X > 0.9, np.nan, X)
Y = np.r_[np.zeros(5, int), np.ones(5, int), -np.ones(50, int)]
SYMBOLS = RNG.integers(0, 4, size=(80, 1))
COUNTS = RNG.poisson(3, (80, 2))
DOCUMENTS = RNG.poisson(2, (60, 5))
TRIALS = RNG.multinomial(6, [0.2, 0.3, 0.5], size=50)
TYPES = ["full", "tied", "diag", "spherical"]


def cases():
    for ct in TYPES:
        yield GaussianMixtureEM(2, covariance_type=ct, random_state=0), (X,), X
        yield HMMEM(2, covariance_type=ct, random_state=0), (X,), X
        yield VariationalHMMEM(2, covariance_type=ct, random_state=0), (X,), X
        gmm_hmm = HMMEM(2, emission="gmm", n_mix=2, covariance_type=ct, random_state=0)
        yield gmm_hmm, (X_MISSING,), X_MISSING
        imputer = EMImputer(n_components=2, covariance_type=ct, add_indicator=True, random_state=0)
        yield imputer, (X_MISSING,), X_MISSING
        yield SemiSupervisedEM(covariance_type=ct), (X, Y), X
        for prior in ["dirichlet_process", "dirichlet_distribution"]:
            bayesian = BayesianGaussianMixtureEM(
                3, covariance_type=ct, weight_concentration_prior_type=prior, random_state=0
            )
            yield bayesian, (X_MISSING,), X_MISSING
    yield (
        HMMEM(2, emission="categorical", update_params=("transmat",), random_state=0),
        (SYMBOLS,),
        SYMBOLS,
    )
    yield VariationalHMMEM(2, emission="categorical", random_state=0), (SYMBOLS,), SYMBOLS
    yield HMMEM(2, emission="poisson", random_state=0), (COUNTS,), COUNTS
    yield HMMEM(2, emission="multinomial", n_trials=6, random_state=0), (TRIALS,), TRIALS
    for n_trials in [None, DOCUMENTS.sum(axis=1) + 5]:  # totals that differ
        multinomial = HMMEM(2, emission="multinomial", n_trials=n_trials, random_state=0)
        yield multinomial, (DOCUMENTS + 1,), DOCUMENTS + 1
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


def multinomial_document(**attributes):
    hmm = HMMEM(2, emission="multinomial", n_trials=6, random_state=0).fit(TRIALS)
    document = json.loads(to_json(hmm))
    for name, value in attributes.items():
        if value is KeyError:
            del document["attributes"][name]
        else:
            document["attributes"][name] = value
    return json.dumps(document)


@pytest.mark.parametrize(
    "attributes, match",
    [
        ({"n_trials_": KeyError}, "n_trials_ is missing"),
        ({"n_trials_": 5}, r"n_trials_ \(5\) must equal n_trials \(6\)"),
        ({"n_trials_": None}, r"n_trials_ \(None\) must equal n_trials \(6\)"),
        ({"n_trials_": 0}, "n_trials_ must be an integer from 1 to 2\\*\\*53 or null"),
        ({"n_trials_": 6.0}, "n_trials_ must be an integer from 1 to 2\\*\\*53 or null"),
        ({"n_trials_": True}, "n_trials_ must be an integer from 1 to 2\\*\\*53 or null"),
        ({"emissionprob_": array([[0.5, 0.5]] * 2)}, r"emissionprob_ has shape \(2, 2\)"),
        ({"emissionprob_": array([[0.5, 0.6, -0.1]] * 2)}, "emissionprob_ are not probabilities"),
    ],
)
def test_tampered_multinomial_hmms_are_refused(attributes, match):
    with pytest.raises(ValueError, match=match):
        from_json(multinomial_document(**attributes))


def bayesian_document(covariance_type="full", **attributes):
    bgm = BayesianGaussianMixtureEM(2, covariance_type=covariance_type, random_state=0).fit(X)
    document = json.loads(to_json(bgm))
    for name, value in attributes.items():
        if value is KeyError:
            del document["attributes"][name]
        else:
            document["attributes"][name] = value
    return json.dumps(document)


@pytest.mark.parametrize(
    "document, match",
    [
        (bayesian_document(mean_precision_=KeyError), "mean_precision_ is missing"),
        (bayesian_document(covariance_prior_=KeyError), "covariance_prior_ is missing"),
        (bayesian_document(mean_precision_=array([1.0, -1.0])), "mean_precision_ must hold"),
        (bayesian_document(mean_precision_=array([1.0])), "mean_precision_ must hold"),
        (
            bayesian_document(weight_concentration_=array(np.ones(2))),
            r"weight_concentration_ must hold .* shape \(2, 2\)",
        ),
        (
            bayesian_document(weight_concentration_=[array(np.ones(2)), array(-np.ones(2))]),
            "weight_concentration_ must hold",
        ),
        (bayesian_document(weight_concentration_="x"), "weight_concentration_ must hold"),
        (bayesian_document(degrees_of_freedom_=array([0.5, 3.0])), "degrees_of_freedom_ must"),
        (
            bayesian_document("tied", degrees_of_freedom_=array([3.0, 3.0])),
            r"degrees_of_freedom_ must hold .* shape \(\)",
        ),
        (bayesian_document(weight_concentration_prior_=0.0), "weight_concentration_prior_"),
        (bayesian_document(mean_precision_prior_=-1.0), "mean_precision_prior_"),
        (bayesian_document(degrees_of_freedom_prior_=1.0), "degrees_of_freedom_prior_"),
        (bayesian_document(mean_prior_=array([1.0])), "mean_prior_"),
        (bayesian_document(covariance_prior_=array(-np.eye(3))), "covariance_prior_"),
        (bayesian_document(covariance_prior_=2.0), "covariance_prior_"),
        (bayesian_document("spherical", covariance_prior_=-2.0), "covariance_prior_"),
    ],
)
def test_tampered_bayesian_mixtures_are_refused(document, match):
    with pytest.raises(ValueError, match=match):
        from_json(document)


def variational_hmm_document(covariance_type="full", emission="gaussian", **attributes):
    data = SYMBOLS if emission == "categorical" else X
    model = VariationalHMMEM(2, emission=emission, covariance_type=covariance_type)
    document = json.loads(to_json(model.set_params(random_state=0).fit(data)))
    for name, value in attributes.items():
        if value is KeyError:
            del document["attributes"][name]
        else:
            document["attributes"][name] = value
    return json.dumps(document)


@pytest.mark.parametrize(
    "document, match",
    [
        (variational_hmm_document(means_posterior_=KeyError), "means_posterior_ is missing"),
        (variational_hmm_document(scale_prior_=KeyError), "scale_prior_ is missing"),
        (
            variational_hmm_document(startprob_posterior_=array([1.0, -1.0])),
            "startprob_posterior_ must be greater than 0",
        ),
        (
            variational_hmm_document(transmat_posterior_=array(np.ones(2))),
            r"transmat_posterior_ must have shape \(2, 2\)",
        ),
        (
            variational_hmm_document(beta_posterior_=array([1.0, 0.0])),
            "beta_posterior_ must be greater than 0",
        ),
        (
            variational_hmm_document(dof_posterior_=array([1.5, 30.0])),
            "dof_posterior_ must be greater than 2",
        ),
        (
            variational_hmm_document("tied", dof_posterior_=array([30.0, 30.0])),
            "dof_posterior_ must be a finite number",
        ),
        (
            variational_hmm_document(scale_posterior_=array(-np.ones((2, 3, 3)))),
            "scale_posterior_ must be",
        ),
        (
            variational_hmm_document("diag", scale_posterior_=array(np.ones((2, 2)))),
            r"scale_posterior_ must have shape \(2, 3\)",
        ),
        (variational_hmm_document(beta_prior_=array([1.0, -1.0])), "beta_prior"),
        (variational_hmm_document(dof_prior_=array([0.5, 3.0])), "dof_prior"),
        (variational_hmm_document(means_prior_=array(np.zeros(3))), "means_prior"),
        (
            variational_hmm_document(
                emission="categorical", emissionprob_posterior_=array(np.ones((2, 3)))
            ),
            r"emissionprob_posterior_ must have shape \(2, 4\)",
        ),
        (
            variational_hmm_document(
                emission="categorical", emissionprob_prior_=array(-np.ones((2, 4)))
            ),
            "emissionprob_prior",
        ),
    ],
)
def test_tampered_variational_hmms_are_refused(document, match):
    with pytest.raises(ValueError, match=match):
        from_json(document)


def test_a_loaded_variational_hmm_derives_its_posterior_means():
    model = VariationalHMMEM(2, random_state=0).fit(X)
    document = json.loads(to_json(model))
    assert "startprob_" not in document["attributes"]  # derived, so never out of step
    loaded = from_json(json.dumps(document))
    for name in ("startprob_", "transmat_", "means_", "covars_"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(model, name))


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


def test_from_json_given_a_path_says_it_takes_the_text(tmp_path):
    path = tmp_path / "model.txt"
    path.write_text(to_json(GaussianMixtureEM(2, random_state=0).fit(X)))
    for given in ("model.json", str(path), path):
        with pytest.raises(ValueError, match=r"takes the JSON text, not a path.*open\(path\)"):
            from_json(given)


# ------------------------------------------------- whole models: save and load (skops)


def pipelines():
    yield make_pipeline(StandardScaler(), GaussianMixtureEM(2, random_state=0)), (X,), X
    columns = ColumnTransformer(
        [
            ("scaled", make_pipeline(SimpleImputer(), StandardScaler()), [0, 1]),
            ("filled", SimpleImputer(strategy="median"), [2]),
        ]
    )
    yield make_pipeline(columns, PCA(2), HMMEM(2, random_state=0)), (X_MISSING,), X_MISSING
    yield (
        make_pipeline(
            EMImputer(n_components=2, random_state=0), MinMaxScaler(), SemiSupervisedEM()
        ),
        (X_MISSING, Y),
        X_MISSING,
    )
    yield make_pipeline(RobustScaler(), EMImputer(random_state=0)), (X_MISSING,), X_MISSING


@pytest.mark.parametrize(
    "model, args, X_new",
    [*cases(), *pipelines()],
    ids=lambda value: repr(value).replace("\n", "")[:60],
)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_save_and_load_preserve_every_prediction_exactly(tmp_path, model, args, X_new):
    model.fit(*args)
    save(model, tmp_path / "model.skops")
    loaded = load(tmp_path / "model.skops")
    assert type(loaded) is type(model)
    for method in METHODS:
        if hasattr(model, method):
            expected, got = getattr(model, method)(X_new), getattr(loaded, method)(X_new)
            np.testing.assert_array_equal(got, expected, err_msg=method)


def written_by_skops(tmp_path, model):
    """A file as anyone could write it with skops, without save's checks."""
    path = tmp_path / "model.skops"
    path.write_bytes(skops.io.dumps(model))
    return path


def scaled_mixture():
    return make_pipeline(StandardScaler(), GaussianMixtureEM(2, random_state=0)).fit(X)


def test_load_checks_each_emkit_estimator_as_from_json_does(tmp_path):
    pipeline = scaled_mixture()
    pipeline[-1].weights_ = np.array([0.5, 0.6])
    with pytest.raises(ValueError, match="weights_ are not probabilities summing to 1"):
        load(written_by_skops(tmp_path, pipeline))
    with pytest.raises(ValueError, match="weights_ are not probabilities summing to 1"):
        save(pipeline, tmp_path / "refused.skops")  # never writes a file that load refuses
    assert not (tmp_path / "refused.skops").exists()


def test_load_derives_what_from_json_derives(tmp_path):
    pipeline = scaled_mixture()
    expected = pipeline.predict_proba(X)
    mixture = pipeline[-1]
    mixture.precisions_cholesky_ = 2 * mixture.precisions_cholesky_  # disagrees with covariances_
    loaded = load(written_by_skops(tmp_path, pipeline))
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)


def damaged(what):
    pipeline = scaled_mixture()
    if what == "function":
        pipeline[-1].callback = print
    elif what == "nan":
        pipeline[0].mean_ = np.array([0.0, np.nan, 0.0])
    elif what == "width":
        pipeline.steps[0] = ("standardscaler", StandardScaler().fit(np.c_[X, X[:, 0]]))
    elif what == "scaler":
        return StandardScaler().fit(X)
    return pipeline


@pytest.mark.parametrize(
    "what, match",
    [
        ("function", r"not one that emkit.io.save writes \(Untrusted types found.*builtins.print"),
        ("scaler", "holds a StandardScaler, not an emkit estimator or a Pipeline ending in one"),
        ("nan", "turn a row of zeros into 3 values, not all finite"),
        ("width", "turn a row of zeros into 4 values; 'gaussianmixtureem' takes 3 features"),
    ],
)
def test_load_refuses_what_is_not_a_checked_emkit_model(tmp_path, what, match):
    with pytest.raises(ValueError, match=match):
        load(written_by_skops(tmp_path, damaged(what)))


def test_load_refuses_a_damaged_archive(tmp_path):
    (tmp_path / "model.skops").write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(ValueError, match=r"not one that emkit\.io\.save writes"):
        load(tmp_path / "model.skops")


def test_what_save_refuses(tmp_path):
    with pytest.raises(TypeError, match="save takes a fitted GaussianMixtureEM"):
        save(StandardScaler().fit(X), tmp_path / "m.skops")
    with pytest.raises(NotFittedError):
        save(make_pipeline(StandardScaler(), GaussianMixtureEM()), tmp_path / "m.skops")
    with pytest.raises(ValueError, match="callback cannot be saved"):
        save(GaussianMixtureEM(2, callback=print, random_state=0).fit(X), tmp_path / "m.skops")
    assert not (tmp_path / "m.skops").exists()


def test_save_and_load_name_the_extra_without_skops(tmp_path, monkeypatch):
    mixture = GaussianMixtureEM(2, random_state=0).fit(X)
    save(mixture, tmp_path / "m.skops")
    (tmp_path / "m.json").write_text(to_json(mixture))
    monkeypatch.setitem(sys.modules, "skops", None)
    monkeypatch.setitem(sys.modules, "skops.io", None)
    with pytest.raises(ImportError, match=r'pip install "emkit\[io\]"'):
        save(mixture, tmp_path / "other.skops")
    with pytest.raises(ImportError, match=r'pip install "emkit\[io\]"'):
        load(tmp_path / "m.skops")
    assert to_json(load(tmp_path / "m.json")) == to_json(mixture)  # JSON needs no skops


def test_array_bounds_with_infinities_round_trip_but_fitted_values_stay_finite():
    rng = np.random.RandomState(0)
    X = rng.randn(50, 2)
    X[::5, 0] = np.nan
    low, high = np.array([-np.inf, 0.0]), np.array([np.inf, 1.5])
    imputer = EMImputer(min_value=low, max_value=high, random_state=0).fit(X)
    loaded = from_json(to_json(imputer))
    np.testing.assert_array_equal(loaded.min_value, low)
    np.testing.assert_array_equal(loaded.transform(X), imputer.transform(X))
    document = json.loads(to_json(imputer))
    document["attributes"]["means_"]["array"][0] = {"float": "inf"}
    with pytest.raises(ValueError, match="model file: means_ holds values that are not"):
        from_json(json.dumps(document))
