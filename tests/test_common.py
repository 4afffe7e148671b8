"""scikit-learn's own estimator checks on every public emkit estimator."""

import inspect

from sklearn.base import BaseEstimator
from sklearn.utils.estimator_checks import parametrize_with_checks

import emkit


def _public_estimators():
    return [
        cls()
        for name, cls in sorted(inspect.getmembers(emkit, inspect.isclass))
        if issubclass(cls, BaseEstimator) and not name.startswith("_")
    ]


def test_estimators_are_found():
    assert "GaussianMixtureEM" in {type(est).__name__ for est in _public_estimators()}


@parametrize_with_checks(_public_estimators())
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
