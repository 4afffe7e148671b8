"""Scorers for choosing emkit models by information criteria.

scikit-learn's ``GridSearchCV`` maximises its score, so the scorers return
minus the criterion. They call the estimator's ``bic``/``aic`` on the rows
they are given: held-out folds by default, or all rows with a ``cv`` that
trains and scores on the full data (see the user guide).
"""

from __future__ import annotations


def bic_scorer(estimator, X, y=None, **kwargs) -> float:
    """Minus the Bayesian information criterion, for ``scoring=``.

    Parameters
    ----------
    estimator : fitted emkit estimator
        Any estimator with a ``bic`` method.
    X : array-like of shape (n_samples, n_features)
        Rows on which the criterion is computed.
    y : None
        Ignored.
    **kwargs : dict
        Passed to ``estimator.bic`` (for example ``sample_weight``).

    Returns
    -------
    score : float
        ``-estimator.bic(X)``: higher is better.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import GridSearchCV
    >>> from emkit import GaussianMixtureEM
    >>> from emkit.model_selection import bic_scorer
    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.normal(-3, 1, (100, 2)), rng.normal(3, 1, (100, 2))])
    >>> all_rows = [(np.arange(len(X)), np.arange(len(X)))]
    >>> search = GridSearchCV(
    ...     GaussianMixtureEM(random_state=0),
    ...     {"n_components": [1, 2, 3, 4]},
    ...     scoring=bic_scorer,
    ...     cv=all_rows,
    ... ).fit(X)
    >>> search.best_params_
    {'n_components': 2}
    """
    return -float(estimator.bic(X, **kwargs))


def aic_scorer(estimator, X, y=None, **kwargs) -> float:
    """Minus the Akaike information criterion, for ``scoring=``.

    Parameters
    ----------
    estimator : fitted emkit estimator
        Any estimator with an ``aic`` method.
    X : array-like of shape (n_samples, n_features)
        Rows on which the criterion is computed.
    y : None
        Ignored.
    **kwargs : dict
        Passed to ``estimator.aic``.

    Returns
    -------
    score : float
        ``-estimator.aic(X)``: higher is better.

    Examples
    --------
    >>> import numpy as np
    >>> from emkit import GaussianMixtureEM
    >>> from emkit.model_selection import aic_scorer
    >>> X = np.random.RandomState(0).normal(size=(50, 2))
    >>> gm = GaussianMixtureEM(random_state=0).fit(X)
    >>> aic_scorer(gm, X) == -gm.aic(X)
    True
    """
    return -float(estimator.aic(X, **kwargs))


__all__ = ["aic_scorer", "bic_scorer"]
