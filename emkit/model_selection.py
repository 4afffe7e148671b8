"""Scorers for choosing emkit models by information criteria.

scikit-learn's ``GridSearchCV`` maximises its score, so the scorers return
minus the criterion. They call the estimator's ``bic``/``aic`` on the rows
they are given: held-out folds by default, or all rows with a ``cv`` that
trains and scores on the full data (see the user guide).
"""

from __future__ import annotations

from sklearn.utils.metadata_routing import MetadataRequest


class _CriterionScorer:
    """Minus an information criterion, as a scorer for ``scoring=``.

    ``scorer(estimator, X, y=None, **kwargs)`` returns ``-estimator.bic(X,
    **kwargs)`` (or ``aic``): higher is better. Under scikit-learn's metadata
    routing, ``set_score_request`` returns a copy of the scorer that asks for
    metadata such as ``sequence_ids`` (HMMs) or ``sample_weight``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import GridSearchCV
    >>> from emkit import GaussianMixtureEM
    >>> from emkit.model_selection import aic_scorer, bic_scorer
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
    >>> gm = search.best_estimator_
    >>> bool(aic_scorer(gm, X) == -gm.aic(X))
    True
    """

    def __init__(self, criterion: str, requests: dict | None = None):
        self._criterion = criterion
        self._requests = dict(requests or {})

    def __call__(self, estimator, X, y=None, **kwargs) -> float:
        criterion = getattr(estimator, self._criterion, None)
        if criterion is None:
            raise TypeError(
                f"{self!r} scores estimators with a {self._criterion} method "
                f"(GaussianMixtureEM, HMMEM), not {type(estimator).__name__}."
            )
        return -float(criterion(X, **kwargs))

    def set_score_request(self, **requests) -> _CriterionScorer:
        """A copy of this scorer that requests metadata, e.g. ``sequence_ids=True``."""
        return _CriterionScorer(self._criterion, {**self._requests, **requests})

    def get_metadata_routing(self) -> MetadataRequest:
        """The metadata this scorer requests (scikit-learn's routing protocol)."""
        request = MetadataRequest(owner=self)
        for param, alias in self._requests.items():
            request.score.add_request(param=param, alias=alias)
        return request

    def __repr__(self) -> str:
        return f"{self._criterion}_scorer"


#: Minus the Bayesian information criterion, ``-estimator.bic(X)``.
bic_scorer = _CriterionScorer("bic")
#: Minus the Akaike information criterion, ``-estimator.aic(X)``.
aic_scorer = _CriterionScorer("aic")

__all__ = ["aic_scorer", "bic_scorer"]
