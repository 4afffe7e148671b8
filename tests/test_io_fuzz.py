"""Hostile model files: from_json answers a clear error or returns a valid model."""

import copy
import json
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

from emkit import HMMEM, EMImputer, GaussianMixtureEM, SemiSupervisedEM
from emkit.io import from_json, to_json

RNG = np.random.RandomState(0)
X = RNG.standard_normal((60, 2)) + np.repeat([[0, 0], [4, 4]], 30, axis=0)
X_HOLES = np.where(RNG.rand(60, 2) < 0.1, np.nan, X)
COUNTS = RNG.poisson(3, (60, 2))
SYMBOLS = RNG.randint(3, size=(60, 1))
LABELS = np.where(RNG.rand(60) < 0.5, np.repeat([0, 1], 30), -1)
TRIALS = RNG.multinomial(6, [0.2, 0.3, 0.5], size=60)


def fitted_models():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        models = [
            (GaussianMixtureEM(2, covariance_type=c, random_state=0).fit(X), X)
            for c in ["full", "tied", "diag", "spherical"]
        ]
        models += [
            (EMImputer(n_components=2, add_indicator=True, random_state=0).fit(X_HOLES), X_HOLES),
            (HMMEM(2, random_state=0).fit(X), X),
            (HMMEM(2, emission="categorical", random_state=0).fit(SYMBOLS), SYMBOLS),
            (HMMEM(2, emission="poisson", random_state=0).fit(COUNTS), COUNTS),
            (HMMEM(2, emission="multinomial", n_trials=6, random_state=0).fit(TRIALS), TRIALS),
            (SemiSupervisedEM(random_state=0).fit(X, LABELS), X),
            (SemiSupervisedEM(emission="multinomial").fit(COUNTS, LABELS), COUNTS),
        ]
    return [(json.loads(to_json(model)), data) for model, data in models]


DOCUMENTS = fitted_models()

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([1e308, -1e308, 1e-308, 0.0, -1.0, 1e100, 2**63])
    | st.text(max_size=8)
    | st.sampled_from(["NaN", "nan", "inf", "float64", "bool", "object"]),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(["array", "dtype", "shape", "float", "x"]), children, max_size=4
        )
    ),
    max_leaves=12,
)


@st.composite
def mutated_documents(draw):
    """A valid model file with one part replaced, removed or nested deeper."""
    index = draw(st.integers(0, len(DOCUMENTS) - 1))
    document, data = DOCUMENTS[index]
    document = copy.deepcopy(document)
    parent, key = None, None
    node = document
    while isinstance(node, (dict, list)) and node and draw(st.booleans()):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        parent, key = node, draw(st.sampled_from(keys))
        node = node[key]
    if parent is None:
        return json.dumps(draw(json_values)), data
    action = draw(st.sampled_from(["replace", "delete", "nest", "negate", "scale"]))
    if action == "delete":
        del parent[key]
    elif action == "nest":
        parent[key] = [parent[key]]
    elif action in ("negate", "scale") and isinstance(node, (int, float)) and node is not True:
        parent[key] = (
            -node if action == "negate" else node * draw(st.sampled_from([0, 1e300, 1e-300]))
        )
    else:
        parent[key] = draw(json_values)
    return json.dumps(document), data


def assert_clear_error_or_valid_model(text, data):
    try:
        model = from_json(text)
    except ValueError as error:
        assert str(error).startswith("model file:"), str(error)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        if isinstance(model, SemiSupervisedEM):
            proba = model.predict_proba(data)
        elif isinstance(model, EMImputer):
            proba = model.transform(data)
        else:
            proba = model.predict_proba(data)
    assert np.all(np.isfinite(proba))


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutated_documents())
def test_mutated_model_files(case):
    assert_clear_error_or_valid_model(*case)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"a": ' * 50_000 + "1" + "}" * 50_000,
        json.dumps({**DOCUMENTS[0][0], "params": {"n_components": 10**18}}),
        json.dumps({**DOCUMENTS[0][0], "attributes": {"n_features_in_": 10**12}}),
    ],
    ids=["deep list", "deep object", "huge n_components", "huge n_features"],
)
def test_deep_and_huge_documents(text):
    assert_clear_error_or_valid_model(text, X)


def test_huge_declared_arrays_are_not_allocated():
    document = copy.deepcopy(DOCUMENTS[0][0])
    document["attributes"]["means_"] = {
        "array": [0.0],
        "dtype": "float64",
        "shape": [10**9, 10**9],
    }
    with pytest.raises(ValueError, match="does not hold"):
        from_json(json.dumps(document))


@pytest.mark.parametrize("index", range(len(DOCUMENTS)))
@pytest.mark.parametrize("factor", [1e300, -1e300, 1e-300, 0.0])
def test_extreme_parameter_values(index, factor):
    document, data = DOCUMENTS[index]
    for name in document["attributes"]:
        value = document["attributes"][name]
        if not (isinstance(value, dict) and value.get("dtype") == "float64"):
            continue
        changed = copy.deepcopy(document)
        changed["attributes"][name]["array"][0] *= factor
        assert_clear_error_or_valid_model(json.dumps(changed), data)
