"""Fitted models saved and loaded safely: no pickle, nothing executed on load, everything checked.

``to_json`` writes an estimator's constructor parameters and fitted attributes
with a format version; ``from_json`` rebuilds the estimator and checks what it
read (kind, version, shapes, finiteness, probabilities that sum to one,
positive-definite covariances) before returning it, so that a model file from
an untrusted source either loads as a valid model or raises ``ValueError``.

``save`` and ``load`` do the same for a whole workflow, a scikit-learn
``Pipeline`` ending in an emkit estimator, in skops' safe format (the ``io``
extra); each emkit estimator in it goes through ``from_json``'s checks.

With ``key=``, ``to_json`` signs the document (HMAC-SHA256) and ``from_json``
and ``load`` accept only a document signed with that key, unchanged.
"""

from __future__ import annotations

import copy
import json
import math
import os
import warnings
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.impute import MissingIndicator
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._covariance import COVARIANCE_TYPES
from ._hmm_base import BaseHMM
from ._signing import FORMAT, VERSION, key_bytes, read_document, signed
from ._signing import SIGNATURE_ALGORITHM as SIGNATURE_ALGORITHM  # a public name of emkit.io
from ._validation import largest_value
from .bayesian_mixture import _PRIOR_NAMES, BayesianGaussianMixtureEM
from .hmm import HMMEM
from .impute import EMImputer
from .mixture import GaussianMixtureEM
from .semi_supervised import SemiSupervisedEM, _is_unlabeled
from .variational_hmm import VariationalHMMEM

_KINDS = {
    cls.__name__: cls
    for cls in (
        GaussianMixtureEM,
        HMMEM,
        EMImputer,
        SemiSupervisedEM,
        BayesianGaussianMixtureEM,
        VariationalHMMEM,
    )
}
_HISTORY = ("n_features_in_", "n_iter_", "converged_", "lower_bound_", "lower_bounds_")
_PROBABILITIES = ("weights_", "startprob_", "class_prior_")  # each sums to one
_ROW_PROBABILITIES = ("transmat_", "emissionprob_")  # each row sums to one
_ARRAY_KINDS = {"f": "float", "i": "int", "u": "int", "b": "bool", "U": "str", "O": "str"}


def to_json(estimator: BaseEstimator, *, key: str | bytes | None = None) -> str:
    """A fitted emkit estimator as a JSON document.

    Parameters
    ----------
    estimator : GaussianMixtureEM, BayesianGaussianMixtureEM, HMMEM, VariationalHMMEM, \
EMImputer or SemiSupervisedEM
        A fitted estimator. Its ``callback`` must be None and its
        ``random_state`` None or an integer: functions and random generators
        are not data.
    key : str or bytes, default=None
        A secret key to sign the document with (HMAC-SHA256; a str is taken
        as its UTF-8 bytes). Not empty. The signed document is written in
        its canonical form (see :func:`from_json`) with a ``"signature"``
        entry, and :func:`from_json` given the same key accepts it only
        unchanged, byte for byte.

    Returns
    -------
    text : str
        JSON with the format name and version, the estimator's class, its
        constructor parameters and its fitted attributes (and, with ``key``,
        its signature).

    Raises
    ------
    TypeError
        If ``key`` is not str or bytes.
    ValueError
        If ``key`` is empty, or the estimator cannot be saved.

    Examples
    --------
    >>> from emkit import GaussianMixtureEM
    >>> from emkit.datasets import load_faithful
    >>> from emkit.io import from_json, to_json
    >>> X = load_faithful().data
    >>> gm = GaussianMixtureEM(2, random_state=0).fit(X)
    >>> loaded = from_json(to_json(gm))
    >>> bool((loaded.predict_proba(X) == gm.predict_proba(X)).all())
    True
    >>> signed = to_json(gm, key=b"a secret shared with the readers")
    >>> loaded = from_json(signed, key=b"a secret shared with the readers")
    """
    key = key_bytes(key)
    text = _document(estimator)
    if key is not None:
        text = signed(json.loads(text), key)
    try:  # never write a file that from_json refuses
        from_json(text, key=key)
    except ValueError as error:
        raise ValueError(
            f"{type(estimator).__name__} cannot be saved: its parameters no longer match its "
            f"fitted attributes (set_params after fit? fit again): {error}"
        ) from None
    return text


def _document(estimator: BaseEstimator) -> str:
    """The JSON text of :func:`to_json`, before it is read back."""
    kind = type(estimator).__name__
    if kind not in _KINDS or type(estimator) is not _KINDS[kind]:
        raise TypeError(
            f"to_json saves {', '.join(_KINDS)}; got {type(estimator).__module__}.{kind}."
        )
    check_is_fitted(estimator)
    params = estimator.get_params(deep=False)
    if params.get("callback") is not None:
        raise ValueError("callback cannot be saved; set callback=None first.")
    if not isinstance(params.get("emission", ""), str):
        raise ValueError(
            f"emission={type(params['emission']).__name__}(...) is code, which a model file "
            "does not hold; save such a model with skops.io.dump, and load it with "
            "skops.io.load, trusting the emission's class."
        )
    if not (params["random_state"] is None or isinstance(params["random_state"], Integral)):
        raise ValueError(
            "random_state cannot be saved unless it is None or an integer, got "
            f"{params['random_state']!r}."
        )
    attributes = {name: _encode(getattr(estimator, name)) for name in _saved(estimator)}
    if isinstance(estimator, EMImputer):
        attributes["kept_columns"] = _encode(estimator._kept)
        if estimator.indicator_ is not None:
            attributes["indicator_features"] = _encode(estimator.indicator_.features_)
    if isinstance(estimator, BaseHMM):  # for the warning that X is taken as one sequence
        attributes["n_fit_sequences"] = int(getattr(estimator, "_n_fit_sequences", 1))
    document = {
        "format": FORMAT,
        "version": VERSION,
        "kind": kind,
        "params": {name: _encode(value) for name, value in params.items()},
        "attributes": attributes,
    }
    return json.dumps(document, allow_nan=False)


def from_json(text: str | bytes, *, key: str | bytes | None = None) -> BaseEstimator:
    """The estimator saved by :func:`to_json`, checked.

    Parameters
    ----------
    text : str or bytes
        A document written by :func:`to_json`: the text, not the name of a
        file (``from_json(open(path).read())``, or :func:`load`).
    key : str or bytes, default=None
        The key the document was signed with (``to_json(..., key=key)``).
        Given a key, only a document signed with it and unchanged is
        accepted: the ``"signature"`` entry's ``"value"`` must be the
        HMAC-SHA256, under the key, of the canonical content, the document
        without its ``"signature"`` entry serialised as
        ``json.dumps(content, sort_keys=True, separators=(",", ":"),
        ensure_ascii=True, allow_nan=False)`` in ASCII bytes; and the text
        must be the canonical serialisation of the whole document (a
        leading byte order mark aside), so that reformatting it is refused
        too. Without a key, a signed document loads as an unsigned one: its
        signature is not checked.

    Returns
    -------
    estimator : GaussianMixtureEM, BayesianGaussianMixtureEM, HMMEM, VariationalHMMEM, \
EMImputer or SemiSupervisedEM
        The fitted estimator; its predictions equal those of the saved one.

    Raises
    ------
    TypeError
        If ``key`` is not str or bytes.
    ValueError
        If the text is not JSON, not an emkit model of a known kind and
        version, or holds parameters that are not a valid model: missing or
        misshapen attributes, values that are not finite, probabilities that
        do not sum to one, covariances that are not positive-definite. Given
        a key: if ``key`` is empty, or the document is unsigned, signed with
        another key, or tampered with (changed after signing); the message
        says which, and never shows the key.

    Examples
    --------
    >>> from emkit.io import from_json
    >>> from_json('{"format": "emkit-model", "version": 1, "kind": "Pickle"}')
    Traceback (most recent call last):
    ...
    ValueError: model file: unknown kind 'Pickle'; emkit.io reads GaussianMixtureEM, HMMEM, \
EMImputer, SemiSupervisedEM, BayesianGaussianMixtureEM, VariationalHMMEM.
    """
    if isinstance(text, os.PathLike) or (isinstance(text, str) and _names_a_file(text)):
        raise ValueError(
            f"from_json takes the JSON text, not a path ({os.fspath(text)!r}): use "
            "from_json(open(path).read()), or emkit.io.load(path)."
        )
    if not isinstance(text, (str, bytes, bytearray)):
        raise TypeError(f"from_json takes the JSON text, got {type(text).__name__}.")
    key = key_bytes(key)
    kind, params, attributes = read_document(text, key, _KINDS, "emkit.io")
    estimator = _KINDS[kind]()
    unknown = set(params) - set(estimator.get_params(deep=False))
    if unknown:
        raise ValueError(f"model file: unknown parameters of {kind}: {sorted(unknown)}.")
    try:
        estimator.set_params(**{name: _decode(value, name) for name, value in params.items()})
        estimator._validate_params()
    except (TypeError, ValueError, RecursionError) as error:
        raise ValueError(f"model file: invalid parameters: {error}") from None
    try:
        attributes = {name: _decode(value, name) for name, value in attributes.items()}
    except RecursionError:
        raise ValueError("model file: attributes nested too deeply.") from None
    try:
        _restore(estimator, attributes)
    except (TypeError, KeyError, IndexError, AttributeError) as error:  # a safety net
        raise ValueError(f"model file: invalid attributes ({error!r}).") from None
    try:  # the initial values, as a refit would check them
        estimator._fitted_model()
    except (TypeError, ValueError) as error:
        raise ValueError(f"model file: invalid parameters: {error}") from None
    return estimator


def _names_a_file(text: str) -> bool:
    """Whether text is a file name rather than JSON: it ends in .json or names a file."""
    name = text.strip()
    if name.startswith(("{", "[")):
        return False
    return name.lower().endswith(".json") or os.path.isfile(name)


# --------------------------------------------------------------- whole models

# Beside the types skops trusts (scikit-learn's estimators, numpy arrays, Python's
# containers): emkit's four estimators, rebuilt and checked by from_json below, and the
# numpy dtypes SimpleImputer keeps.
_TRUSTED = [*(f"{cls.__module__}.{cls.__name__}" for cls in _KINDS.values()), "numpy.dtype"]


def save(model: BaseEstimator, path: str | os.PathLike, *, key: str | bytes | None = None) -> None:
    """Save a fitted emkit estimator, or a scikit-learn Pipeline ending in one.

    The file is written in skops' safe format (``pip install "emkit[io]"``):
    no pickle, and :func:`load` builds only trusted types, executes nothing,
    and checks every emkit estimator in it as :func:`from_json` does.

    Parameters
    ----------
    model : estimator or Pipeline
        A fitted GaussianMixtureEM, HMMEM, EMImputer or SemiSupervisedEM, or a
        fitted ``Pipeline`` of scikit-learn preprocessing steps (scalers,
        ``SimpleImputer``, ``PCA``, a ``ColumnTransformer`` of those, or an
        ``EMImputer``) whose last step is one of them. Each emkit estimator
        must be one :func:`to_json` can save (``callback=None``).
    path : str or path-like
        The file to write (by convention, ``.skops``).
    key : str or bytes, default=None
        Refused: skops' files cannot be signed (yet). Sign a single
        estimator with ``to_json(model, key=key)`` instead; :func:`load`
        reads it.

    Raises
    ------
    ImportError
        If skops is not installed.
    TypeError, ValueError
        If the model is not one of the above, or one of its emkit estimators
        cannot be saved, or a ``key`` is given; nothing is written.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from emkit import GaussianMixtureEM
    >>> from emkit.datasets import load_faithful
    >>> from emkit.io import load, save
    >>> X = load_faithful().data
    >>> pipe = make_pipeline(StandardScaler(), GaussianMixtureEM(2, random_state=0)).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "faithful.skops")
    >>> save(pipe, path)
    >>> bool(np.array_equal(load(path).predict_proba(X), pipe.predict_proba(X)))
    True
    """
    if key_bytes(key) is not None:
        raise ValueError(
            "save cannot sign: skops' files are not signed. Write a single estimator signed "
            "with emkit.io.to_json(model, key=...) instead (emkit.io.load reads it)."
        )
    skops_io = _skops()
    if _final_estimator(model) is None:
        raise TypeError(
            f"save takes a fitted {', '.join(_KINDS)} or a Pipeline ending in one; "
            f"got {type(model).__name__}."
        )
    # As from_json would give them: the file holds what to_json saves, nothing more.
    model = _replace_estimators(model, lambda estimator: from_json(to_json(estimator)), {})
    data = skops_io.dumps(model)
    _from_skops(data)  # never write a file that load refuses
    with open(path, "wb") as file:
        file.write(data)


def load(path: str | os.PathLike, *, key: str | bytes | None = None) -> BaseEstimator:
    """The model saved by :func:`save` (or :func:`to_json`), checked.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save` (skops' format; needs skops), or a
        JSON document written by :func:`to_json` (read by :func:`from_json`).
    key : str or bytes, default=None
        The key the JSON document was signed with: it must be signed with
        it, and unchanged (see :func:`from_json`). A file in skops' format,
        which is never signed, is then refused.

    Returns
    -------
    model : estimator or Pipeline
        The fitted model; its predictions equal those of the saved one.

    Raises
    ------
    ImportError
        If the file is in skops' format and skops is not installed.
    TypeError
        If ``key`` is not str or bytes.
    ValueError
        If the file is not such a model: it holds a type other than
        scikit-learn's, numpy's and emkit's, an emkit estimator that
        :func:`from_json` refuses, or preprocessing steps that do not turn a
        row of zeros into as many finite numbers as the estimator takes.
        Given a key: if it is empty, or the file is unsigned (skops' files
        are), signed with another key, or tampered with.

    Examples
    --------
    >>> import os, tempfile
    >>> from emkit import EMImputer
    >>> from emkit.io import load, to_json
    >>> imputer = EMImputer(random_state=0).fit([[1.0, 2.0], [2.0, float("nan")], [3.0, 5.0]])
    >>> path = os.path.join(tempfile.mkdtemp(), "imputer.json")
    >>> with open(path, "w") as file:
    ...     _ = file.write(to_json(imputer))
    >>> load(path).transform([[4.0, float("nan")]]).shape
    (1, 2)
    """
    key = key_bytes(key)
    with open(path, "rb") as file:
        data = file.read()
    return _from_bytes(data, key)


def _from_bytes(data: bytes, key: str | bytes | None) -> BaseEstimator:
    """The model in a file's bytes, as :func:`load` reads it (``emkit serve`` hashes them too)."""
    key = key_bytes(key)
    if data[:4] == b"PK\x03\x04":  # a zip archive: skops' format
        if key is not None:
            raise ValueError(
                "model file: unsigned (skops' format, which is never signed), and a key was "
                "given: only a JSON model signed with that key is accepted."
            )
        return _from_skops(data)
    return from_json(data, key=key)


def _skops():
    try:
        import skops.io
    except ImportError:
        raise ImportError('emkit.io.save and load need skops: pip install "emkit[io]"') from None
    return skops.io


def _final_estimator(model) -> BaseEstimator | None:
    """The emkit estimator that model is or ends in, else None."""
    if isinstance(model, Pipeline) and isinstance(model.steps, list) and model.steps:
        model = model.steps[-1][-1] if isinstance(model.steps[-1], tuple) else None
    return model if type(model) in _KINDS.values() else None


def _from_skops(data: bytes) -> BaseEstimator:
    skops_io = _skops()
    try:
        model = skops_io.loads(data, trusted=_TRUSTED)
    except Exception as error:  # skops raises many kinds of error on a damaged file
        raise ValueError(f"model file: not one that emkit.io.save writes ({error}).") from None
    if _final_estimator(model) is None:
        raise ValueError(
            f"model file: holds a {type(model).__name__}, not an emkit estimator or a "
            "Pipeline ending in one."
        )
    try:
        model = _replace_estimators(model, _read_back, {})
    except RecursionError:
        raise ValueError("model file: nested too deeply.") from None
    if isinstance(model, Pipeline) and len(model.steps) > 1:
        _check_steps(model)
    return model


def _read_back(estimator: BaseEstimator) -> BaseEstimator:
    """The estimator from_json rebuilds, and checks, from this one's saved values."""
    try:
        text = _document(estimator)
    except (TypeError, ValueError, AttributeError) as error:
        raise ValueError(f"model file: invalid {type(estimator).__name__}: {error}") from None
    return from_json(text)


def _replace_estimators(value, replace, memo: dict):
    """value with each emkit estimator in it replaced by ``replace(estimator)``.

    The search goes through scikit-learn estimators' attributes (a Pipeline's
    steps, a ColumnTransformer's transformers) and lists, tuples and dicts;
    what holds a replaced estimator is copied, the rest is kept as it is.
    """
    if id(value) in memo:
        return memo[id(value)]
    result = value
    if type(value) in _KINDS.values():
        result = replace(value)
    elif isinstance(value, (BaseEstimator, list, tuple, dict)):
        old = vars(value) if isinstance(value, BaseEstimator) else value
        old = old if isinstance(old, dict) else dict(enumerate(old))
        new = {key: _replace_estimators(item, replace, memo) for key, item in old.items()}
        if any(new[key] is not item for key, item in old.items()):
            if isinstance(value, BaseEstimator):
                result = copy.copy(value)
                vars(result).update(new)
            elif isinstance(value, dict):
                result = new
            elif hasattr(value, "_make"):  # a named tuple
                result = value._make(new.values())
            else:
                result = type(value)(new.values())
    memo[id(value)] = result
    return result


def _check_steps(pipeline: Pipeline) -> None:
    """The steps before the estimator turn a row of zeros into finite numbers it takes."""
    name, estimator = pipeline.steps[-1]
    n_features = getattr(pipeline.steps[0][1], "n_features_in_", None)
    if not isinstance(n_features, Integral) or n_features < 1:
        raise ValueError("model file: the pipeline's first step has no number of features.")
    zeros = np.zeros((1, int(n_features)))
    names = getattr(pipeline.steps[0][1], "feature_names_in_", None)
    if names is not None:  # a ColumnTransformer may choose its columns by name
        try:
            import pandas
        except ImportError:
            pass
        else:
            zeros = pandas.DataFrame(zeros, columns=list(names))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = np.asarray(pipeline[:-1].transform(zeros), dtype=float)
    except Exception as error:  # any step may refuse what it holds
        raise ValueError(
            f"model file: the steps before {name!r} fail on a row of zeros ({error})."
        ) from None
    if out.shape != (1, estimator.n_features_in_) or not np.all(np.isfinite(out)):
        raise ValueError(
            f"model file: the steps before {name!r} turn a row of zeros into {out.shape[-1]} "
            f"values{'' if np.all(np.isfinite(out)) else ', not all finite'}; {name!r} takes "
            f"{estimator.n_features_in_} features."
        )


# ---------------------------------------------------------------------- values


def _encode(value: Any) -> Any:
    """JSON for a parameter or attribute: arrays tagged with dtype and shape."""
    if isinstance(value, np.ndarray):
        kind = _ARRAY_KINDS.get(value.dtype.kind)
        if kind is None or (kind == "str" and not all(isinstance(v, str) for v in value.flat)):
            raise ValueError(f"cannot save an array of dtype {value.dtype}.")
        dtype = {"U": "str", "O": "object"}.get(value.dtype.kind, value.dtype.name)
        data = [str(v) if kind == "str" else _encode(v.item()) for v in value.ravel()]
        return {"array": data, "dtype": dtype, "shape": list(value.shape)}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return {"float": repr(value)}  # NaN as missing_values
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ValueError(f"cannot save a value of type {type(value).__name__}.")


def _decode(value: Any, name: str) -> Any:
    if isinstance(value, list):
        return [_decode(v, name) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"float"} and value["float"] in ("nan", "inf", "-inf"):
        return float(value["float"])
    if set(value) != {"array", "dtype", "shape"}:
        raise ValueError(f"model file: {name} is not a value emkit writes.")
    dtype, shape, data = value["dtype"], value["shape"], value["array"]
    allowed = ("float64", "float32", "int64", "int32", "bool", "str", "object")
    if dtype not in allowed:
        raise ValueError(f"model file: {name} has dtype {dtype!r}; expected one of {allowed}.")
    if not (isinstance(shape, list) and all(isinstance(s, int) and s >= 0 for s in shape)):
        raise ValueError(f"model file: {name} has an invalid shape {shape!r}.")
    if not isinstance(data, list) or len(data) != math.prod(shape):
        raise ValueError(f"model file: {name} does not hold {math.prod(shape)} values.")
    kinds = {"str": str, "object": str, "bool": bool, "int64": Integral, "int32": Integral}
    kinds = kinds.get(dtype, Real)
    if kinds is Real and not name.endswith("_"):  # a parameter's infinity, as min_value's
        data = [
            _decode(v, name) if isinstance(v, dict) and set(v) == {"float"} else v for v in data
        ]
    if not all(
        isinstance(v, kinds) and (dtype == "bool" or not isinstance(v, bool)) for v in data
    ):
        raise ValueError(f"model file: {name} holds values that are not {dtype}.")
    try:
        array = np.array(data, dtype=dtype).reshape(shape)
    except OverflowError:
        raise ValueError(f"model file: {name} holds values too large for {dtype}.") from None
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)) and name.endswith("_"):
        raise ValueError(f"model file: {name} holds values that are not finite.")
    return array


# ---------------------------------------------------------------- attributes


def _saved(estimator) -> list[str]:
    """The fitted attributes to save; the others are derived from them on load."""
    derived = ("precisions_cholesky_", "precisions_", "indicator_")
    if isinstance(estimator, BayesianGaussianMixtureEM):  # of the weights' posterior
        derived += ("weights_",)
    if isinstance(estimator, VariationalHMMEM):  # the posterior means
        derived += ("startprob_", "transmat_", "emissionprob_", "means_", "covars_")
    names = [n for n in vars(estimator) if n.endswith("_") and not n.startswith("_")]
    return [name for name in names if name not in derived]


def _expected_shapes(estimator) -> dict[str, tuple]:
    """Shapes of the fitted parameters, from the constructor parameters and a few sizes."""
    if isinstance(estimator, VariationalHMMEM):  # checked by _restore_fitted
        return {}
    if isinstance(estimator, HMMEM):
        k, d = estimator.n_components, estimator.n_features_in_
        shapes = {"startprob_": (k,), "transmat_": (k, k)}
        m = estimator.n_mix
        emission = {
            "gaussian": {"means_": (k, d), "covars_": (k, d)},
            "gmm": {"weights_": (k, m), "means_": (k, m, d), "covars_": (k, m, d)},
            "poisson": {"lambdas_": (k, d)},
            "categorical": {"emissionprob_": (k, None)},
            "multinomial": {"emissionprob_": (k, d)},
        }[estimator.emission]
        if estimator.emission == "categorical" and d != 1:
            raise ValueError(f"model file: a categorical HMM has 1 feature, not {d}.")
        return shapes | emission
    if isinstance(estimator, SemiSupervisedEM):
        classes = _get(estimator, "classes_")
        if not (isinstance(classes, np.ndarray) and classes.ndim == 1):
            raise ValueError("model file: classes_ must be an array of class labels.")
        if not np.array_equal(np.unique(classes), classes) or _is_unlabeled(classes).any():
            raise ValueError("model file: classes_ must be distinct, sorted, and not -1.")
        n_classes = len(classes)
        k, d = n_classes * estimator.n_components_per_class, estimator.n_features_in_
        shapes = {"classes_": (n_classes,), "weights_": (k,), "class_prior_": (n_classes,)}
        if estimator.emission == "multinomial":
            return shapes | {"feature_log_prob_": (k, d)}
        return shapes | {"means_": (k, d), "covariances_": (k, d)}
    k, d = estimator.n_components, estimator.n_features_in_
    if isinstance(estimator, BayesianGaussianMixtureEM):  # the rest: _restore_fitted
        return {"means_": (k, d), "covariances_": (k, d)}
    if isinstance(estimator, EMImputer):
        d = int(np.sum(_get(estimator, "_kept")))
    return {"weights_": (k,), "means_": (k, d), "covariances_": (k, d)}


def _is_number(value) -> bool:
    """A real number, not NaN (-inf: no E-step yet); booleans are not numbers here."""
    return isinstance(value, Real) and not isinstance(value, bool) and value == value


def _get(estimator, name):
    if not hasattr(estimator, name):
        raise ValueError(f"model file: the fitted attribute {name} is missing.")
    return getattr(estimator, name)


def _restore(estimator, attributes: dict) -> None:
    for name, least, what in (("n_features_in_", 1, "positive"), ("n_iter_", 0, "non-negative")):
        value = attributes.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise ValueError(f"model file: {name} must be a {what} integer, got {value!r}.")
    if not isinstance(attributes.get("converged_"), bool):
        raise ValueError("model file: converged_ must be true or false.")
    bounds = attributes.get("lower_bounds_")
    if not isinstance(bounds, list) or not all(_is_number(b) for b in bounds):
        raise ValueError("model file: lower_bounds_ must be a list of numbers.")
    if not _is_number(attributes.get("lower_bound_")):
        raise ValueError("model file: lower_bound_ must be a number.")
    kept = attributes.pop("kept_columns", None)
    indicator = attributes.pop("indicator_features", None)
    n_fit_sequences = attributes.pop("n_fit_sequences", 1)  # files of emkit before it: 1
    if isinstance(estimator, BaseHMM):
        if type(n_fit_sequences) is not int or n_fit_sequences < 1:  # not a bool either
            raise ValueError(
                f"model file: n_fit_sequences must be a positive integer, got {n_fit_sequences!r}."
            )
        estimator._n_fit_sequences = n_fit_sequences
    if isinstance(estimator, EMImputer):
        n = attributes["n_features_in_"]
        if not (isinstance(kept, np.ndarray) and kept.dtype == bool and kept.shape == (n,)):
            raise ValueError("model file: kept_columns must be n_features_in_ booleans.")
        estimator._kept = kept
    for name, value in attributes.items():
        if not name.endswith("_") or name.startswith("_"):
            raise ValueError(f"model file: {name!r} is not a fitted attribute.")
        setattr(estimator, name, value)
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None and not (
        isinstance(names, np.ndarray)
        and names.shape == (estimator.n_features_in_,)
        and all(isinstance(name, str) for name in names)
    ):
        raise ValueError("model file: feature_names_in_ must be n_features_in_ strings.")
    shapes = _expected_shapes(estimator)
    for name in (*_HISTORY, *shapes):
        _get(estimator, name)
    covariance_type = getattr(estimator, "covariance_type", None)
    for name, shape in shapes.items():
        array = getattr(estimator, name)
        if name in ("covars_", "covariances_"):  # (k, d), or a mixture's (m, d) per state
            shape = (*shape[:-2], *COVARIANCE_TYPES[covariance_type].shape(*shape[-2:]))
        if (
            not isinstance(array, np.ndarray)
            or len(shape) != array.ndim
            or any(s is not None and s != a for s, a in zip(shape, array.shape, strict=True))
        ):
            got = getattr(array, "shape", type(array).__name__)
            expected = tuple("any" if s is None else s for s in shape)
            raise ValueError(f"model file: {name} has shape {got}; expected {expected}.")
    _check_values(estimator)
    _derive(estimator, indicator)


def _sums_to_one(p: np.ndarray) -> bool:
    """Whether the last axis of ``p`` sums to 1, up to the rounding of its dtype."""
    tolerance = max(1e-8, 16 * np.finfo(p.dtype).eps * p.shape[-1])
    return bool(np.allclose(p.sum(axis=-1), 1.0, rtol=0, atol=tolerance))


def _check_values(estimator) -> None:
    """Probabilities that sum to one, positive rates, and means and rates a fit could give."""
    for name in _PROBABILITIES + _ROW_PROBABILITIES:
        if hasattr(estimator, name):
            p = getattr(estimator, name)
            if np.any(p < 0) or not _sums_to_one(p):
                raise ValueError(f"model file: {name} are not probabilities summing to 1.")
    if hasattr(estimator, "feature_log_prob_"):
        log_prob = estimator.feature_log_prob_
        if np.any(log_prob > 0) or not _sums_to_one(np.exp(log_prob)):
            raise ValueError("model file: exp(feature_log_prob_) rows do not sum to 1.")
    if hasattr(estimator, "lambdas_") and np.any(estimator.lambdas_ <= 0):
        raise ValueError("model file: lambdas_ must be positive.")
    if isinstance(estimator, HMMEM) and estimator.emission == "multinomial":
        _check_n_trials(estimator)
    for name in ("means_", "lambdas_"):  # no fit gives them: its data would be refused
        values = getattr(estimator, name, None)
        if values is not None and np.any(np.abs(values) > largest_value(values.dtype)):
            raise ValueError(f"model file: {name} holds values too large for EM.")


def _check_n_trials(estimator) -> None:
    """n_trials_, the rows' common total at fit (or None), agrees with an integer n_trials."""
    trials = _get(estimator, "n_trials_")
    positive = _is_number(trials) and isinstance(trials, int) and 0 < trials <= 2**53
    if trials is not None and not positive:
        raise ValueError(
            f"model file: n_trials_ must be an integer from 1 to 2**53 or null: {trials!r}."
        )
    if isinstance(estimator.n_trials, Integral) and trials != estimator.n_trials:
        raise ValueError(
            f"model file: n_trials_ ({trials}) must equal n_trials ({estimator.n_trials})."
        )


def _derive(estimator, indicator_features) -> None:
    """Attributes computed from the saved ones: as the fit computes them."""
    if isinstance(estimator, VariationalHMMEM):
        try:
            estimator._restore_fitted()
        except ValueError as error:
            raise ValueError(f"model file: {error}") from None
    covariances = getattr(estimator, "covariances_", getattr(estimator, "covars_", None))
    if covariances is not None:
        covariance = COVARIANCE_TYPES[estimator.covariance_type]
        try:
            precisions_cholesky = covariance.precision_cholesky(covariances)
        except ValueError:
            raise ValueError("model file: the covariances are not positive-definite.") from None
        with np.errstate(over="ignore"):
            precisions = covariance.precisions(precisions_cholesky)
        if not np.all(np.isfinite(precisions)):
            raise ValueError("model file: the covariances are too close to singular.")
        if isinstance(estimator, (GaussianMixtureEM, EMImputer, BayesianGaussianMixtureEM)):
            estimator.precisions_cholesky_ = precisions_cholesky
            estimator.precisions_ = precisions
    if isinstance(estimator, BayesianGaussianMixtureEM):
        fitted = ("weight_concentration_", "mean_precision_", "degrees_of_freedom_")
        for name in fitted + tuple(f"{prior}_" for prior in _PRIOR_NAMES):
            _get(estimator, name)
        try:
            estimator._restore_fitted()
        except ValueError as error:
            raise ValueError(f"model file: {error}") from None
    if isinstance(estimator, EMImputer):
        estimator.indicator_ = None
        if estimator.add_indicator:
            estimator.indicator_ = _missing_indicator(estimator, indicator_features)


def _missing_indicator(estimator, features) -> MissingIndicator:
    """The imputer's fitted MissingIndicator, refitted on one row missing ``features``."""
    n = estimator.n_features_in_
    if not (isinstance(features, np.ndarray) and features.ndim == 1):
        raise ValueError("model file: indicator_features are missing for add_indicator=True.")
    if features.dtype.kind not in "iu" or np.any((features < 0) | (features >= n)):
        raise ValueError("model file: indicator_features must be column indices.")
    row = np.zeros((1, n))
    row[0, features] = np.nan
    return MissingIndicator(error_on_new=False).fit(row)
