"""Input checks shared by the estimators."""

from __future__ import annotations

import os
import re
import sys
import warnings
from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp
from sklearn.base import _fit_context
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.validation import check_array, column_or_1d, validate_data

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
# scikit-learn's _fit_context wraps every fit: its frame lies between the user's line and emkit's.
_FIT_CONTEXT = _fit_context(prefer_skip_nested_validation=True)(lambda estimator: None).__code__


class NonFiniteError(ValueError):
    """A ValueError raised because a log-likelihood was not finite.

    The driver counts these in ``IterationRecord.non_finite``; other
    ValueErrors (a covariance not positive-definite) it does not. Users see
    it as the ValueError it always was: it is named so in tracebacks.
    """


NonFiniteError.__module__, NonFiniteError.__qualname__ = "builtins", "ValueError"


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` pointing at the line that called emkit's public method.

    The stack level is that of the first frame outside emkit (as pandas finds
    it), so the warning names the user's file and line however deep the call.
    """
    frame, level = sys._getframe(1), 2
    while frame.f_back is not None and (
        frame.f_code.co_filename.startswith(_PACKAGE) or frame.f_code is _FIT_CONTEXT
    ):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def check_1d(y) -> np.ndarray:
    """``column_or_1d(y, warn=True)``, warning about a column y at the user's line."""
    options = {"ensure_all_finite": False, "ensure_min_samples": 0, "input_name": "y"}
    y = check_array(y, ensure_2d=False, dtype=None, **options)
    if y.ndim == 2 and y.shape[1] == 1:
        warn(
            "A column-vector y was passed when a 1d array was expected: y is taken as its "
            "one column. Give y of shape (n_samples,), for example with y.ravel().",
            DataConversionWarning,
        )
    return column_or_1d(y)


def check_X(estimator, X, *, reset: bool, **options):
    """``validate_data`` for X, as float with NaN allowed unless ``options`` say otherwise.

    Its errors name X, and values too large to square are refused with what to do.
    """
    options = {"dtype": [np.float64, np.float32], "ensure_all_finite": "allow-nan", **options}
    # np.errstate: sums that overflow in the finiteness check
    with naming_errors("X"), np.errstate(all="ignore"):
        X = validate_data(estimator, X, reset=reset, **options)
    values = X.data if sp.issparse(X) else X
    if values.dtype.kind == "f" and values.size:
        # fmax/fmin skip NaN and, unlike np.abs, make no copy of X
        check_magnitude(np.fmax.reduce(values, axis=None), np.fmin.reduce(values, axis=None))
    return X


def largest_value(dtype) -> float:
    """The largest magnitude EM handles in ``dtype``.

    EM sums squares of the values: beyond the cube root of the largest float
    (1e102 for float64, 7e12 for float32), the sums can overflow.
    """
    return float(np.finfo(dtype).max ** (1 / 3))


def check_magnitude(largest, smallest) -> None:
    """Raise if X's values from ``smallest`` to ``largest`` (NumPy floats) are too large for EM."""
    size = max(float(largest), -float(smallest))
    if size > largest_value(largest.dtype):
        raise ValueError(
            f"X has values as large as {size:.3g}; EM squares them, which overflows. "
            "Scale X first, for instance with sklearn.preprocessing.StandardScaler."
        )


@contextmanager
def naming_errors(name: str):
    """Let every ValueError or TypeError of the block name the argument ``name``."""
    try:
        yield
    except (ValueError, TypeError) as error:
        if re.search(rf"\b{name}\b", str(error)):
            raise
        raise type(error)(f"{name}: {error}") from error


@contextmanager
def unchanged_on_error(estimator):
    """Restore ``estimator``'s attributes if the block raises.

    Fitting replaces attributes and never mutates their arrays in place, so a
    shallow copy of ``__dict__`` is enough; this covers ``KeyboardInterrupt``.
    """
    saved = dict(estimator.__dict__)
    try:
        yield
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(saved)
        raise


def check_sample_weight(sample_weight, n_samples: int, dtype) -> np.ndarray:
    """Non-negative finite weights, one per row, not all zero; ones if None."""
    if sample_weight is None:
        return np.ones(n_samples, dtype=dtype)
    with naming_errors("sample_weight"):
        sample_weight = check_array(
            sample_weight, ensure_2d=False, dtype=dtype, input_name="sample_weight"
        )
    if sample_weight.ndim != 1 or sample_weight.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight must have shape ({n_samples},) to match X, "
            f"got shape {sample_weight.shape}."
        )
    if np.any(sample_weight < 0):
        raise ValueError("sample_weight must be non-negative; found negative values.")
    if not np.any(sample_weight > 0):
        raise ValueError("sample_weight must not be all zero.")
    tiny = np.finfo(sample_weight.dtype).tiny
    if np.any((sample_weight > 0) & (sample_weight < tiny)):
        raise ValueError(
            f"sample_weight has positive values below {tiny:.3g}, the smallest normal "
            "float, whose reciprocals overflow: scale the weights up."
        )
    return sample_weight


def check_probabilities(value, shape: tuple[int, ...], name: str, dtype=np.float64) -> np.ndarray:
    """Non-negative finite probabilities of ``shape`` whose last axis sums to 1, as ``dtype``.

    The sums are checked to the rounding of the value's own type: float32
    probabilities that sum to 1 in float32 are accepted, as scikit-learn does.
    """
    value = check_array(value, ensure_2d=False, dtype=[np.float64, np.float32], input_name=name)
    if value.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {value.shape}.")
    if np.any(value < 0) or np.any(value > 1):
        raise ValueError(f"{name} must lie in [0, 1], got min {value.min()}, max {value.max()}.")
    sums = value.sum(axis=-1)
    atol = 1e-6 if value.dtype == np.float32 else 1e-8
    if not np.allclose(sums, 1.0, rtol=0, atol=atol):
        raise ValueError(f"{name} must sum to 1 along its last axis, got sums {sums}.")
    return value.astype(dtype, copy=False)


def check_finite_array(value, shape: tuple[int, ...], name: str, dtype=np.float64) -> np.ndarray:
    """A finite array of ``dtype`` of exactly ``shape``."""
    value = check_array(value, ensure_2d=False, allow_nd=True, dtype=dtype, input_name=name)
    if value.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {value.shape}.")
    return value


def check_positive_definite(matrices: np.ndarray, name: str, semi: bool = False) -> None:
    """Raise unless every (d, d) matrix is symmetric positive-definite (``semi``: or
    semi-definite, to rounding)."""
    if not np.allclose(matrices, np.swapaxes(matrices, -1, -2)):
        raise ValueError(f"{name} must be symmetric.")
    smallest = np.linalg.eigvalsh(matrices).min(initial=np.inf)
    if semi and smallest < -1e-12 * np.abs(matrices).max(initial=0.0):
        raise ValueError(f"{name} must be positive semi-definite.")
    if not semi and smallest <= 0:
        raise ValueError(f"{name} must be positive-definite.")


def check_prior(value, shape: tuple[int, ...], name: str, lower: float | None = 0.0) -> np.ndarray:
    """A prior's parameter as a float array of ``shape``: a number (for every entry) or
    an array of exactly ``shape``, finite and at least ``lower``."""
    scalar = np.ndim(value) == 0
    options = {"ensure_2d": False, "allow_nd": True, "ensure_min_samples": 0}
    with naming_errors(name):
        array = check_array([value] if scalar else value, dtype=np.float64, **options)
    if scalar:
        array = np.full(shape, array[0])
    elif array.shape != shape:
        raise ValueError(
            f"{name} must be a number or an array of shape {shape}, got {array.shape}."
        )
    if lower is not None and np.any(array < lower):
        raise ValueError(f"{name} must be at least {lower}, got {array.min()}.")
    return array
