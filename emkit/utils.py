"""Utilities for fitted models."""

from __future__ import annotations

import copy
from dataclasses import is_dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.utils.validation import check_is_fitted

from ._mixture_base import _BaseGaussianMixture
from .hmm import HMMEM


def align_components(reference, model):
    """``model`` with its components (HMM states) in the order that best matches ``reference``.

    EM numbers components arbitrarily: two fits of the same data from other
    seeds can find the same components in another order ("label
    switching"). Permuting a refitted model to match the model it replaces
    keeps component ids stable, for instance in reports or downstream
    features. The matching minimises the total symmetric Kullback-Leibler
    divergence between matched components (Hungarian assignment): between
    Gaussian components for mixtures and Gaussian HMMs, between emission
    distributions for categorical, multinomial and Poisson HMMs.

    Parameters
    ----------
    reference : GaussianMixtureEM, EMImputer or HMMEM
        The fitted model whose order to follow.
    model : same class as ``reference``
        A fitted model with as many components and features.

    Returns
    -------
    aligned : same class as ``model``
        A copy of ``model`` with its components permuted: the same
        distribution, with component ``i`` matched to ``reference``'s ``i``.
        After ``partial_fit``, the copy starts a new stream.

    Examples
    --------
    >>> from emkit import GaussianMixtureEM
    >>> from emkit.datasets import load_faithful
    >>> from emkit.utils import align_components
    >>> X = load_faithful().data
    >>> kwargs = dict(covariance_type="tied", init_params="random_from_data")
    >>> a = GaussianMixtureEM(3, random_state=0, **kwargs).fit(X)
    >>> b = GaussianMixtureEM(3, random_state=1, **kwargs).fit(X)
    >>> float((a.predict(X) == b.predict(X)).mean())  # the same clusters, numbered otherwise
    0.0
    >>> float((a.predict(X) == align_components(a, b).predict(X)).mean())
    1.0
    """
    if not isinstance(model, (_BaseGaussianMixture, HMMEM)):
        raise TypeError(
            "align_components takes GaussianMixtureEM, EMImputer or HMMEM models, "
            f"got {type(model).__name__}."
        )
    if type(reference) is not type(model):
        raise TypeError(
            f"reference and model must be of the same class, got {type(reference).__name__} "
            f"and {type(model).__name__}."
        )
    check_is_fitted(reference)
    check_is_fitted(model)
    params, reference_params = model._params(), reference._params()
    if _shapes(params) != _shapes(reference_params):
        raise ValueError(
            "reference and model must have as many components and features, and the "
            f"same covariance type: their parameters have shapes {_shapes(reference_params)} "
            f"and {_shapes(params)}."
        )
    fitted = model._fitted_model()
    _, order = linear_sum_assignment(fitted.divergences(reference_params, params))
    aligned = copy.copy(model)
    vars(aligned).pop("_online", None)
    aligned._set_fitted(fitted, fitted.permuted(params, order))
    return aligned


def _shapes(params) -> list:
    """Shapes of all arrays in a parameter structure."""
    values = vars(params).values() if is_dataclass(params) else params
    shapes = []
    for value in values:
        nested = isinstance(value, tuple) or is_dataclass(value)
        shapes.extend(_shapes(value) if nested else [np.shape(value)])
    return shapes
