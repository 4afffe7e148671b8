"""The panel of real data sets of ``defaults.py``, and their best known optima.

Each case is a data set that ships with scikit-learn or emkit, prepared as a
user would (standardised where the features have different units), with a
number of components and a covariance type. ``BEST_KNOWN`` holds the highest
log-likelihood per row of a fit whose components did not collapse, found by
``python benchmarks/defaults.py --brute-force`` (hundreds of fits from every
start, run to ``tol=1e-10``); the printed table of that run is in
doc/defaults.rst.
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from emkit.datasets import load_faithful, load_penguins


def _standardised(X):
    return StandardScaler().fit_transform(X)


def _penguins():
    X = load_penguins().data
    return _standardised(X[~np.isnan(X).any(axis=1)])


def _digits():
    return PCA(10, random_state=0).fit_transform(load_digits().data)


# name: (data, n_components, covariance_type)
CASES = {
    "faithful full k=3": (lambda: load_faithful().data, 3, "full"),
    "faithful full k=4": (lambda: load_faithful().data, 4, "full"),
    "iris full k=3": (lambda: load_iris().data, 3, "full"),
    "iris full k=4": (lambda: load_iris().data, 4, "full"),
    "wine std full k=3": (lambda: _standardised(load_wine().data), 3, "full"),
    "breast cancer std full k=2": (lambda: _standardised(load_breast_cancer().data), 2, "full"),
    "breast cancer std diag k=4": (lambda: _standardised(load_breast_cancer().data), 4, "diag"),
    "digits PCA-10 full k=10": (_digits, 10, "full"),
    "penguins std full k=3": (_penguins, 3, "full"),
    "diabetes std tied k=3": (lambda: _standardised(load_diabetes().data), 3, "tied"),
}

# Filled in from ``defaults.py --brute-force``: log-likelihood per row.
BEST_KNOWN: dict[str, float] = {
    "faithful full k=3": -4.097205419022057,  # reached by 13% of the proper fits
    "faithful full k=4": -4.066287614698206,  # reached by 4% of the proper fits
    "iris full k=3": -1.201236517075346,  # reached by 69% of the proper fits
    "iris full k=4": -0.9850516083785734,  # reached by 0% of the proper fits
    "wine std full k=3": -11.52467764978646,  # reached by 1% of the proper fits
    "breast cancer std full k=2": 0.6776788600830982,  # reached by 0% of the proper fits
    "breast cancer std diag k=4": -28.221349667510317,  # reached by 6% of the proper fits
    "digits PCA-10 full k=10": -31.576394741176983,  # reached by 0% of the proper fits
    "penguins std full k=3": -4.979531762513801,  # reached by 72% of the proper fits
    "diabetes std tied k=3": -9.616507610310482,  # reached by 8% of the proper fits
}
