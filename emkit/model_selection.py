"""Choosing emkit models by information criteria.

scikit-learn's ``GridSearchCV`` maximises its score, so the scorers return
minus the criterion. They call the estimator's ``bic``/``aic`` (a pipeline's
final step's, on the data transformed by the steps before it) on the rows they
are given: held-out folds by default, or all rows with ``cv=AllRowsSplit()``,
which fits and scores every candidate on the full data (see the user guide).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from sklearn.utils.metadata_routing import MetadataRequest
from sklearn.utils.validation import _num_samples


def _scoring_step(estimator, X, criterion: str):
    """The estimator that has ``criterion``, and X as it sees it.

    A pipeline (anything with ``steps``, as scikit-learn's ``Pipeline``) scores
    through its final step, on X transformed by the fitted steps before it.
    """
    while not hasattr(estimator, criterion) and hasattr(estimator, "steps"):
        *transformers, (_, estimator) = estimator.steps
        for _, step in transformers:
            if step is not None and not isinstance(step, str):  # "passthrough"
                X = step.transform(X)
    return estimator, X


class _CriterionScorer:
    """Minus an information criterion, as a scorer for ``scoring=``.

    ``scorer(estimator, X, y=None, **kwargs)`` returns ``-estimator.bic(X,
    **kwargs)`` (or ``aic``): higher is better. A pipeline is scored by its
    final step on X transformed by the steps before it; ``kwargs`` (one entry
    per row, such as ``sample_weight`` or an HMM's ``sequence_ids``) go to that
    step. Under scikit-learn's metadata routing, ``set_score_request`` returns a
    copy of the scorer that asks for such metadata.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from emkit import GaussianMixtureEM
    >>> from emkit.model_selection import AllRowsSplit, aic_scorer, bic_scorer
    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.normal(-3, 1, (100, 2)), rng.normal(3, 1, (100, 2))])
    >>> search = GridSearchCV(
    ...     GaussianMixtureEM(random_state=0),
    ...     {"n_components": [1, 2, 3, 4]},
    ...     scoring=bic_scorer,
    ...     cv=AllRowsSplit(),
    ... ).fit(X)
    >>> search.best_params_
    {'n_components': 2}
    >>> gm = search.best_estimator_
    >>> bool(aic_scorer(gm, X) == -gm.aic(X))
    True

    A pipeline is scored by its last step, on the scaled data:

    >>> model = make_pipeline(StandardScaler(), GaussianMixtureEM(2, random_state=0)).fit(X)
    >>> bool(bic_scorer(model, X) == -model[-1].bic(model[0].transform(X)))
    True
    """

    def __init__(self, criterion: str, requests: dict | None = None):
        self._criterion = criterion
        self._requests = dict(requests or {})

    def __call__(self, estimator, X, y=None, **kwargs) -> float:
        scoring, X = _scoring_step(estimator, X, self._criterion)
        criterion = getattr(scoring, self._criterion, None)
        if criterion is None:
            raise TypeError(
                f"{self!r} scores estimators with a {self._criterion} method "
                f"(GaussianMixtureEM, EMImputer, HMMEM) or pipelines ending in one, "
                f"not {type(scoring).__name__}."
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


class AllRowsSplit:
    """One "split" whose training and test rows are both all the rows.

    The classic BIC and AIC are computed on the data the model was fitted to:
    ``GridSearchCV(..., scoring=bic_scorer, cv=AllRowsSplit())`` fits every
    candidate on all rows and scores it on the same rows, so that
    ``best_params_`` are those of the lowest BIC. Any ``groups`` are ignored.

    Examples
    --------
    >>> import numpy as np
    >>> from emkit.model_selection import AllRowsSplit
    >>> cv = AllRowsSplit()
    >>> cv.get_n_splits()
    1
    >>> [(train.tolist(), test.tolist()) for train, test in cv.split(np.zeros((3, 2)))]
    [([0, 1, 2], [0, 1, 2])]
    """

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """The number of splits: 1.

        Parameters
        ----------
        X, y, groups : object
            Ignored.

        Returns
        -------
        n_splits : int
            Always 1.
        """
        return 1

    def split(self, X, y=None, groups=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield the one split: every row index, for training and for testing.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data; only its number of rows is used.
        y, groups : object
            Ignored.

        Yields
        ------
        train, test : ndarray of shape (n_samples,)
            ``0, 1, ..., n_samples - 1``, both.
        """
        rows = np.arange(_num_samples(X))
        yield rows, rows

    def __repr__(self) -> str:
        return "AllRowsSplit()"


__all__ = ["AllRowsSplit", "aic_scorer", "bic_scorer"]
