"""A generative classifier fitted by EM on labeled and unlabeled rows."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from numbers import Integral, Real
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.cluster import KMeans
from sklearn.metrics import accuracy_score
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from . import _inference
from ._dask import DaskRows, check_dask_array, is_dask_array, map_rows
from ._em import (
    EM_CONSTRAINTS,
    ONLINE_CONSTRAINTS,
    RowData,
    fit_em,
    fitted_copy,
    partial_fit_em,
    set_fit_attributes,
)
from ._emissions import GaussianEmission, MultinomialEmission
from ._gaussian import GAUSSIAN_CONSTRAINTS
from ._missing import check_observed_columns, fill_with_column_means, find_missing
from ._mixture_base import PRIOR_CONSTRAINTS, ConjugatePrior
from ._starts import kmeans_threads, seed_labels
from ._utils import column_sums, log_normalize
from ._validation import check_1d, check_sample_weight, unchanged_on_error

# The Gaussian emission's covariances are ``covariances_`` here, as in GaussianMixture.
_ATTRIBUTE_NAMES = {"covars_": "covariances_"}


class ClassMixtureParams(NamedTuple):
    weights: np.ndarray
    emission: Any


@dataclass(frozen=True)
class ClassMixtureStats:
    nk: np.ndarray
    emission: Any

    def __add__(self, other: ClassMixtureStats) -> ClassMixtureStats:
        return ClassMixtureStats(self.nk + other.nk, self.emission + other.emission)

    def __mul__(self, scale: float) -> ClassMixtureStats:
        return ClassMixtureStats(self.nk * scale, self.emission * scale)


class ClassMixtureModel:
    """A mixture whose components belong to classes, for the driver.

    Component ``k`` belongs to class ``k // n_per_class``. A labeled row
    (``y >= 0``, the class index) is responsible to its class's components
    only; an unlabeled row (``y == -1``) to all of them. The row weights hold
    ``sample_weight`` times ``unlabeled_weight`` for unlabeled rows.
    """

    def __init__(self, n_classes: int, n_per_class: int, emission, init_params: str = "kmeans"):
        self.n_classes = n_classes
        self.n_per_class = n_per_class
        self.emission = emission
        self.init_method = init_params
        self.component_class = np.repeat(np.arange(n_classes), n_per_class)

    @property
    def explores(self) -> bool:
        """Whether the driver starts from the best of short runs (``init_params="short-em"``)."""
        return self.init_method == "short-em" and self.n_per_class > 1

    def collapsed(self, params: ClassMixtureParams, total_weight: float) -> bool:
        """Whether a component is spurious (see ``Gaussian.collapsed``)."""
        return self.emission.collapsed(params.emission, params.weights * total_weight)

    def init_params(self, data: RowData, rng, method: str | None = None) -> ClassMixtureParams:
        """Estimates from the labeled rows; within a class, from a split of its rows.

        The split is k-means' (``init_params="kmeans"``, and for sparse X), or
        the rows' nearest k-means++ seeds (a seed of the exploring start).
        """
        data = data.rows_for_init(rng)
        method = method or self.init_method
        W = np.zeros((data.X.shape[0], self.n_classes * self.n_per_class))
        for c in range(self.n_classes):
            rows = np.flatnonzero(data.y == c)
            first = c * self.n_per_class
            if self.n_per_class == 1:
                W[rows, first] = 1.0
            else:
                X, weights = data.X[rows], data.sample_weight[rows]
                if sp.issparse(X) or method == "kmeans":
                    if not sp.issparse(X):
                        X = fill_with_column_means(X, np.ones(len(rows)))
                    kmeans = KMeans(self.n_per_class, n_init=1, random_state=rng)
                    with kmeans_threads(len(rows)):
                        labels = kmeans.fit(X, sample_weight=weights).labels_
                else:
                    X = fill_with_column_means(X, np.ones(len(rows)))
                    labels = seed_labels(X, weights, self.n_per_class, rng)
                W[rows, first + labels] = 1.0
        W *= data.sample_weight[:, None]
        nk = W.sum(axis=0) + 10 * np.finfo(float).eps
        return ClassMixtureParams(nk / nk.sum(), self.emission.fit_weighted(data.X, W))

    def log_joint(self, params: ClassMixtureParams, X, missing=None) -> np.ndarray:
        """log p(x_i, component k) for every row and component."""
        return _plus_log_weights(self.emission.log_prob(params.emission, X, missing), params)

    def e_step(self, params: ClassMixtureParams, chunk: RowData):
        scored = self.emission.condition(params.emission, chunk.X, chunk.missing)
        log_joint = _plus_log_weights(scored.log_prob, params)
        other_class = (chunk.y[:, None] >= 0) & (chunk.y[:, None] != self.component_class)
        W, log_norm = log_normalize(np.where(other_class, -np.inf, log_joint))
        W *= chunk.sample_weight[:, None]
        emission = scored.statistics(W)
        return ClassMixtureStats(column_sums(W), emission), float(chunk.sample_weight @ log_norm)

    def m_step(self, stats: ClassMixtureStats, params: ClassMixtureParams):
        nk = stats.nk + 10 * np.finfo(float).eps
        emission = self.emission.estimate(stats.emission, params.emission, self.emission.names)
        return ClassMixtureParams(nk / nk.sum(), emission)

    def log_prior(self, params: ClassMixtureParams) -> float:
        return self.emission.log_prior(params.emission)

    def recentred(self, stats, old: ClassMixtureParams, new: ClassMixtureParams):
        emission = self.emission.recentred(stats.emission, old.emission, new.emission)
        return ClassMixtureStats(stats.nk, emission)

    def unconstrained(self, params: ClassMixtureParams) -> tuple:
        return (np.log(params.weights), *self.emission.unconstrained(params.emission))

    def from_unconstrained(self, values) -> ClassMixtureParams:
        log_weights, *emission = values
        return ClassMixtureParams(softmax(log_weights), self.emission.from_unconstrained(emission))

    def n_parameters(self, params: ClassMixtureParams) -> int:
        n_emission = self.emission.n_parameters(params.emission, self.emission.names)
        return n_emission + len(params.weights) - 1

    def class_log_proba(self, params: ClassMixtureParams, X, missing=None) -> np.ndarray:
        """log P(class | x) for every row and class, shape (n, n_classes)."""
        return _inference.class_log_proba(self.log_joint(params, X, missing), self.n_classes)


def _plus_log_weights(log_prob: np.ndarray, params: ClassMixtureParams) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return log_prob + np.log(params.weights)


def _is_unlabeled(y: np.ndarray) -> np.ndarray:
    """True where y is -1, the mark of an unlabeled row."""
    if y.dtype.kind in "iuf":
        return y == -1
    if y.dtype.kind == "O":
        return np.array([isinstance(value, Real) and value == -1 for value in y], dtype=bool)
    return np.zeros(len(y), dtype=bool)  # strings and other labels


def _encode_labels(y, n_samples: int, classes=None) -> tuple[np.ndarray, np.ndarray]:
    """Class indices of y (-1 for unlabeled rows) and the classes, or a clear error.

    With ``classes`` (known classes, as ``partial_fit`` has after its first
    call), y may have no labeled row, and every label must be one of them.
    """
    y = check_1d(y)
    if len(y) != n_samples:
        raise ValueError(f"y has {len(y)} entries, but X has {n_samples} rows.")
    if y.dtype.kind == "f":
        not_a_label = ~np.isfinite(y)
    else:
        not_a_label = np.array([value is None or value != value for value in y], dtype=bool)
    if not_a_label.any():
        raise ValueError(
            f"y contains {y[not_a_label][0]}: mark unlabeled rows with -1, as in "
            "sklearn.semi_supervised."
        )
    labeled = ~_is_unlabeled(y)
    encoded = np.full(n_samples, -1, dtype=np.int64)
    if classes is not None:
        unknown = ~np.isin(y[labeled], classes)
        if unknown.any():
            raise ValueError(
                f"y holds the label {y[labeled][unknown][0]!r}, which is not among "
                f"the classes {classes.tolist()}."
            )
        encoded[labeled] = np.searchsorted(classes, y[labeled])
        return encoded, classes
    if not labeled.any():
        raise ValueError(
            "y has no labeled row (every entry is -1): nothing to learn classes from."
        )
    check_classification_targets(y[labeled])
    classes, codes = np.unique(y[labeled], return_inverse=True)
    if len(classes) < 2:
        raise ValueError(
            f"The labeled rows of y hold only one class ({classes[0]!r}); a classifier "
            "needs at least two."
        )
    encoded[labeled] = codes.ravel()
    return encoded, classes


class SemiSupervisedEM(ClassifierMixin, ConjugatePrior, BaseEstimator):
    """Classifier fitted by EM on labeled and unlabeled rows (Nigam et al., 2000).

    A generative model: each class is a mixture of ``n_components_per_class``
    components (Gaussian, or multinomial for counts such as word counts). EM
    fits it to all rows: a labeled row keeps its class (its responsibilities
    stay on that class's components) and an unlabeled row, marked
    ``y == -1`` as in :mod:`sklearn.semi_supervised`, gets soft
    responsibilities over all classes, weighted by ``unlabeled_weight``.

    Parameters
    ----------
    n_components_per_class : int, default=1
        Mixture components per class (Nigam's many-components-per-class
        extension); each class needs at least as many labeled rows.
    emission : {"gaussian", "multinomial"}, default="gaussian"
        ``"gaussian"``: real features (NaN marks a missing value);
        ``"multinomial"``: non-negative counts (dense or sparse, e.g. the
        output of ``CountVectorizer``).
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        Covariance structure of Gaussian components.
    reg_covar : float, default=1e-6
        Added to the diagonal of every Gaussian covariance.
    prior, mean_precision_prior, mean_prior, degrees_of_freedom_prior, \
covariance_prior : default=None
        The conjugate prior of Gaussian emissions, as in
        :class:`~emkit.GaussianMixtureEM` (``prior="conjugate"``: maximum a
        posteriori estimates; see :ref:`map-prior`).
    alpha : float, default=1.0
        Additive (Lidstone) smoothing of the multinomial probabilities, as in
        :class:`~sklearn.naive_bayes.MultinomialNB` (1 is Laplace smoothing).
    unlabeled_weight : float, default=1.0
        Weight of an unlabeled row relative to a labeled one (Nigam's
        lambda), in [0, 1]. With 0, the model is fitted to the labeled rows
        only: a supervised generative classifier.
    n_init : int, default=1
        Restarts; the fit with the highest log-likelihood is kept.
    init_params : {"short-em", "kmeans"}, default="short-em"
        How a class's labeled rows are first split among its components
        (with ``n_components_per_class > 1``): ``"short-em"`` is the
        exploring start of :class:`~emkit.GaussianMixtureEM` (short EM runs
        from 16 splits, one by k-means and 15 by spread-out seeds, the most
        promising going on; see :ref:`defaults`); ``"kmeans"`` is one
        k-means split. Sparse X is always split by k-means. On more than
        10,000 rows, the starts see a random sample of 10,000 and every
        labeled row (if at most 10,000 are). :meth:`partial_fit` starts from
        a k-means split.
    tol : float, default=1e-5
        EM stops when the last gain of the mean log-likelihood per (weighted)
        row, and the gains still to come, are below ``tol`` (see
        ``stopping``).
    max_iter : int, default=1000
        Maximum number of EM iterations per restart.
    accelerate : {"squarem", None}, default="squarem"
        ``"squarem"`` extrapolates EM steps (SQUAREM), keeping a step only
        if it does not lower the log-likelihood; ``None`` is plain EM.
    stopping : {"aitken", "change"}, default="aitken"
        The stopping rule, as in :class:`~emkit.GaussianMixtureEM`:
        ``"aitken"`` also bounds the gains still to come (Aitken's
        delta-squared estimate), ``"change"`` only the last gain.
    random_state : int, RandomState instance or None, default=None
        Seeds the split of classes into components.
    n_jobs : int, default=None
        Number of threads: restarts run at once, and each E-step's chunks of
        rows are shared among them. Results do not depend on it.
    verbose : int, default=0
        Verbosity of the fit.
    callback : callable, default=None
        Called after every EM iteration of :meth:`fit` (not :meth:`partial_fit`)
        with an :class:`~emkit.IterationRecord`; returning True stops that restart.
    learning_decay : float, default=0.7
        Exponent of the step size of :meth:`partial_fit`, as in
        :class:`~emkit.GaussianMixtureEM`.
    learning_offset : float, default=10.0
        Offset of that step size.
    batch_size : int, default=1024
        Rows per stepwise-EM update in :meth:`partial_fit`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels (without -1).
    weights_ : ndarray of shape (n_classes * n_components_per_class,)
        Mixing weights of the components; component ``k`` belongs to class
        ``classes_[k // n_components_per_class]``.
    class_prior_ : ndarray of shape (n_classes,)
        Probability of each class, the sum of its components' weights.
    means_, covariances_ : ndarray
        Gaussian components, as in :class:`~emkit.GaussianMixtureEM`.
    feature_log_prob_ : ndarray of shape (n_components, n_features)
        Multinomial components: log probability of each feature (word).
    transduction_ : ndarray of shape (n_samples,)
        The label of every training row: its given label, or the predicted
        one for an unlabeled row.
    n_iter_, converged_, lower_bound_, lower_bounds_
        As in :class:`~emkit.GaussianMixtureEM`: the log-likelihood of the
        labeled rows (with their classes) and of the unlabeled rows (weighted
        by ``unlabeled_weight``), per unit of row weight; for multinomial
        emissions plus the log of the Dirichlet prior that ``alpha`` stands for.
    n_features_in_ : int
        Number of features seen during fit.

    See Also
    --------
    sklearn.semi_supervised.SelfTrainingClassifier : Self-training around any classifier.
    sklearn.semi_supervised.LabelSpreading : Graph-based label propagation.

    References
    ----------
    K. Nigam, A. McCallum, S. Thrun and T. Mitchell (2000). Text classification
    from labeled and unlabeled documents using EM. Machine Learning 39, 103-134.

    Examples
    --------
    >>> import numpy as np
    >>> from emkit import SemiSupervisedEM
    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(3, 1, (100, 2))])
    >>> truth = np.repeat([0, 1], 100)
    >>> y = np.full(200, -1)
    >>> y[[0, 100]] = [0, 1]  # one labeled row per class
    >>> clf = SemiSupervisedEM(covariance_type="spherical").fit(X, y)
    >>> clf.classes_
    array([0, 1])
    >>> clf.means_.round(1)  # the true means are (0, 0) and (3, 3)
    array([[-0.1,  0.1],
           [ 2.8,  2.8]])
    >>> print(f"{clf.score(X, truth):.3f}")
    0.965

    From the two labeled rows alone, the class means are far off:

    >>> supervised = SemiSupervisedEM(covariance_type="spherical", unlabeled_weight=0)
    >>> supervised.fit(X, y).means_.round(1)
    array([[1.8, 0.4],
           [2.6, 2.8]])
    """

    _parameter_constraints: dict = {
        **EM_CONSTRAINTS,
        **ONLINE_CONSTRAINTS,
        **GAUSSIAN_CONSTRAINTS,
        "n_components_per_class": [Interval(Integral, 1, None, closed="left")],
        "emission": [StrOptions({"gaussian", "multinomial"})],
        "alpha": [Interval(Real, 0.0, None, closed="neither")],
        "unlabeled_weight": [Interval(Real, 0.0, 1.0, closed="both")],
        "init_params": [StrOptions({"short-em", "kmeans"})],
        **PRIOR_CONSTRAINTS,
    }

    def __init__(
        self,
        n_components_per_class: int = 1,
        *,
        emission: str = "gaussian",
        covariance_type: str = "full",
        reg_covar: float = 1e-6,
        prior: str | None = None,
        mean_precision_prior: float | None = None,
        mean_prior=None,
        degrees_of_freedom_prior: float | None = None,
        covariance_prior=None,
        alpha: float = 1.0,
        unlabeled_weight: float = 1.0,
        n_init: int = 1,
        init_params: str = "short-em",
        tol: float = 1e-5,
        max_iter: int = 1000,
        accelerate="squarem",
        stopping: str = "aitken",
        random_state=None,
        n_jobs: int | None = None,
        verbose: int = 0,
        callback=None,
        learning_decay: float = 0.7,
        learning_offset: float = 10.0,
        batch_size: int = 1024,
    ):
        self.n_components_per_class = n_components_per_class
        self.emission = emission
        self.covariance_type = covariance_type
        self.reg_covar = reg_covar
        self.prior = prior
        self.mean_precision_prior = mean_precision_prior
        self.mean_prior = mean_prior
        self.degrees_of_freedom_prior = degrees_of_freedom_prior
        self.covariance_prior = covariance_prior
        self.alpha = alpha
        self.unlabeled_weight = unlabeled_weight
        self.n_init = n_init
        self.init_params = init_params
        self.tol = tol
        self.max_iter = max_iter
        self.accelerate = accelerate
        self.stopping = stopping
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.callback = callback
        self.learning_decay = learning_decay
        self.learning_offset = learning_offset
        self.batch_size = batch_size

    def _emission(self):
        if self.emission == "gaussian":
            return GaussianEmission(self.covariance_type, self.reg_covar)
        if self.prior is not None:
            raise ValueError(
                f"prior={self.prior!r} is a prior of Gaussian emissions; "
                "emission='multinomial' is smoothed by alpha."
            )
        return MultinomialEmission(self.alpha)

    def _n_components(self) -> int:
        return len(self.classes_) * self.n_components_per_class

    def _model(self, hyper=None) -> ClassMixtureModel:
        emission = self._emission()
        if hyper is not None:
            emission.prior = emission.gaussian.conjugate_prior(hyper, self._n_components())
        n_classes = len(self.classes_)
        return ClassMixtureModel(
            n_classes, self.n_components_per_class, emission, self.init_params
        )

    def _fitted_model(self) -> ClassMixtureModel:
        """The model of the fitted parameters."""
        return self._model(self._hyperparameters(None, None, self._n_components()))

    def _params(self) -> ClassMixtureParams:
        def get(name):
            return getattr(self, _ATTRIBUTE_NAMES.get(name, name))

        return ClassMixtureParams(self.weights_, self._emission().from_attributes(get))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to labeled and unlabeled rows by EM.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training rows; sparse only for ``emission="multinomial"``; a Dask
            array (Gaussian emissions) runs the E-steps on its blocks.
        y : array-like of shape (n_samples,)
            Class labels, -1 for an unlabeled row (with string labels, an
            object array holding the integer -1 there, as in
            :class:`~sklearn.semi_supervised.SelfTrainingClassifier`).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights.

        Returns
        -------
        self : SemiSupervisedEM
            The fitted classifier.
        """
        with unchanged_on_error(self):
            X = self._check_X(X, reset=True)
            labels, self.classes_ = _encode_labels(y, X.shape[0])
            row_weight = self._row_weight(labels, sample_weight)
            self._check_first_data(X, labels, row_weight)
            if is_dask_array(X):
                data = DaskRows.create(X, row_weight, y=labels)
            else:
                data = RowData(X, row_weight, y=labels)
            hyper = self._hyperparameters(X, row_weight, self._n_components())
            model = self._model(hyper)
            result = fit_em(
                model,
                data,
                row_bytes=self._row_bytes(X),
                n_init=self.n_init,
                tol=self.tol,
                max_iter=self.max_iter,
                random_state=check_random_state(self.random_state),
                n_jobs=self.n_jobs,
                verbose=self.verbose,
                callback=self.callback,
                accelerate=self.accelerate,
                stopping=self.stopping,
                fitted=partial(fitted_copy, self, model),
                estimator=self,
            )
            set_fit_attributes(self, model, result)
            self._set_hyperparameters(hyper)
            self._online = None  # a later partial_fit starts a stream from this fit
            predicted = np.asarray(self._class_log_proba(X).argmax(axis=1))
            self.transduction_ = self.classes_[np.where(labels >= 0, labels, predicted)]
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update the classifier with labeled and unlabeled rows, by stepwise EM.

        As :meth:`GaussianMixtureEM.partial_fit`: mini-batches of
        ``batch_size`` rows, step size ``(learning_offset + t) **
        -learning_decay``. The first call on an unfitted classifier learns the
        classes (from ``classes`` if given, as in scikit-learn's incremental
        classifiers, else from the labeled rows of y) and initialises on X,
        which must then hold ``n_components_per_class`` labeled rows of each
        class. Later batches may be all unlabeled. ``transduction_`` is not
        kept: a stream has no fixed training rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A batch of rows.
        y : array-like of shape (n_samples,)
            Class labels, -1 for an unlabeled row.
        classes : array-like of shape (n_classes,), default=None
            All the classes, at the first call.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights.

        Returns
        -------
        self : SemiSupervisedEM
            The updated classifier.

        Examples
        --------
        >>> import numpy as np
        >>> from emkit import SemiSupervisedEM
        >>> rng = np.random.RandomState(0)
        >>> clf = SemiSupervisedEM(covariance_type="spherical")
        >>> for _ in range(20):
        ...     truth = rng.randint(2, size=500)
        ...     X = rng.normal(3.0 * truth[:, None], 1.0, (500, 2))
        ...     y = np.where(rng.rand(500) < 0.02, truth, -1)  # 2% labeled
        ...     clf = clf.partial_fit(X, y, classes=[0, 1])
        >>> bool(np.abs(clf.means_ - [[0, 0], [3, 3]]).max() < 0.1)  # the true means
        True
        """
        with unchanged_on_error(self):
            first = not hasattr(self, "classes_")
            X = self._check_X(X, reset=first)
            if first:
                known = None if classes is None else np.unique(np.asarray(classes))
                if known is not None and len(known) < 2:
                    raise ValueError(
                        f"classes holds {len(known)} class(es); a classifier needs at least two."
                    )
                labels, self.classes_ = _encode_labels(y, X.shape[0], known)
            else:
                labels, _ = _encode_labels(y, X.shape[0], self.classes_)
            data = RowData(X, self._row_weight(labels, sample_weight), y=labels)
            fitted_prior = not first and hasattr(self, "mean_prior_")
            X_prior = None if fitted_prior else X
            hyper = self._hyperparameters(X_prior, data.sample_weight, self._n_components())
            model = self._model(hyper)

            fitted = hasattr(self, "weights_")
            if fitted:
                # Loaded by from_json: the settings are those of the file's fit.
                per_class = len(self.weights_) // len(self.classes_)
                loaded = {**self._structure(), "n_components_per_class": per_class}
                previous = getattr(self, "_fitted_structure", loaded)
                if previous != self._structure():
                    described = ", ".join(f"{name}={value!r}" for name, value in previous.items())
                    raise ValueError(
                        f"partial_fit continues the previous fit, which had {described}; "
                        "call fit to fit a different model."
                    )

            def start() -> ClassMixtureParams:
                if fitted:
                    return self._params()
                self._check_first_data(X, labels, data.sample_weight)
                # Stepwise EM cannot run the exploring start's short runs: k-means instead.
                method = "kmeans" if model.explores else None
                return model.init_params(data, check_random_state(self.random_state), method)

            partial_fit_em(self, model, data, self._row_bytes(X), start)
            self._set_hyperparameters(hyper)
        return self

    def _check_first_data(self, X, labels, row_weight) -> None:
        """Raise unless every class has enough labeled rows of positive weight to start from.

        Gaussian emissions also need an observed value in a row of positive weight in every column.
        """
        m = self.n_components_per_class
        counted = labels >= 0
        if m > 1:  # k-means splits the rows of positive weight among the class's components
            counted &= row_weight > 0
        counts = np.bincount(labels[counted], minlength=len(self.classes_))
        if counts.min() < m:
            label = self.classes_.tolist()[counts.argmin()]
            raise ValueError(
                f"Class {label!r} has {counts.min()} labeled row(s) of positive weight, "
                f"fewer than n_components_per_class={m}."
            )
        if self.emission == "gaussian" and not is_dask_array(X):
            check_observed_columns(X, row_weight)

    def _row_weight(self, labels, sample_weight) -> np.ndarray:
        """``sample_weight``, times ``unlabeled_weight`` on the unlabeled rows."""
        sample_weight = check_sample_weight(sample_weight, len(labels), np.float64)
        row_weight = sample_weight * np.where(labels >= 0, 1.0, self.unlabeled_weight)
        if not row_weight.any():
            raise ValueError(
                "sample_weight is 0 on every labeled row and unlabeled_weight=0: "
                "no row is left to fit."
            )
        return row_weight

    def _structure(self) -> dict:
        """The settings that shape the fitted parameters."""
        structure = {
            "n_components_per_class": self.n_components_per_class,
            "emission": self.emission,
        }
        if self.emission == "gaussian":
            structure["covariance_type"] = self.covariance_type
        return structure

    def _row_bytes(self, X) -> int:
        return 8 * len(self.classes_) * self.n_components_per_class * (X.shape[1] + 4)

    def _check_X(self, X, reset: bool):
        """Validated X; a Dask array stays one (Gaussian emissions only)."""
        if not is_dask_array(X):
            return self._emission().check_X(self, X, reset=reset)
        if self.emission != "gaussian":
            raise ValueError(
                "A Dask array X needs emission='gaussian'; emission='multinomial' takes "
                "NumPy or SciPy sparse counts."
            )
        return check_dask_array(self, X, reset=reset)

    def _class_log_proba(self, X):
        """log p(class | row) of validated X: lazily, block by block, for a Dask array."""
        model, params = self._model(), self._params()

        def log_proba(rows):
            return model.class_log_proba(params, rows, find_missing(rows))

        if is_dask_array(X):
            return map_rows(log_proba, X, len(self.classes_), X.dtype)
        return log_proba(X)

    def _set_fitted(self, model, params) -> None:
        vars(self).pop("transduction_", None)  # the labels of other parameters
        self._fitted_structure = self._structure()
        self.weights_ = params.weights
        self.class_prior_ = params.weights.reshape(-1, self.n_components_per_class).sum(axis=1)
        for name, value in model.emission.attributes(params.emission).items():
            setattr(self, _ATTRIBUTE_NAMES.get(name, name), value)

    def predict_log_proba(self, X) -> np.ndarray:
        """Log-probability of each class given each row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        return self._class_log_proba(self._check_X(X, reset=False))

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each class given each row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        return np.exp(self.predict_log_proba(X))

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Predicted classes.
        """
        best = self.predict_log_proba(X).argmax(axis=1)
        if is_dask_array(best):
            return best.map_blocks(self.classes_.take, dtype=self.classes_.dtype)
        return self.classes_[best]

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy on the labeled rows of (X, y); rows with ``y == -1`` are left out.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test rows.
        y : array-like of shape (n_samples,)
            True labels, -1 for rows without one.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        Returns
        -------
        score : float
            Fraction of the labeled rows classified correctly.
        """
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        y = check_1d(y)
        if len(y) != X.shape[0]:
            raise ValueError(f"y has {len(y)} entries, but X has {X.shape[0]} rows.")
        labeled = np.flatnonzero(~_is_unlabeled(y))
        if not len(labeled):
            raise ValueError("y has no labeled row (every entry is -1): nothing to score.")
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, len(y), np.float64)[labeled]
            if not sample_weight.any():
                raise ValueError("sample_weight is 0 on every labeled row: nothing to score.")
        best = np.asarray(self._class_log_proba(_safe_indexing(X, labeled)).argmax(axis=1))
        return accuracy_score(y[labeled], self.classes_[best], sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self.emission == "gaussian"
        tags.input_tags.sparse = self.emission == "multinomial"
        tags.input_tags.positive_only = self.emission == "multinomial"
        tags.classifier_tags.poor_score = self.emission == "multinomial"  # as MultinomialNB
        return tags
