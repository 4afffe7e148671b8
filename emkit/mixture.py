"""Gaussian mixture models fitted by EM."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.base import DensityMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from ._dask import check_dask_array, is_dask_array, map_rows
from ._em import (
    EM_CONSTRAINTS,
    ONLINE_CONSTRAINTS,
)
from ._gaussian import GAUSSIAN_CONSTRAINTS, Gaussian
from ._mixture_base import (
    INIT_PARAMS,
    PRIOR_CONSTRAINTS,
    _BaseGaussianMixture,
    sample_mixture,
)
from ._validation import (
    check_sample_weight,
    check_X,
    unchanged_on_error,
)


class GaussianMixtureEM(DensityMixin, _BaseGaussianMixture):
    """Gaussian mixture model fitted by expectation-maximization.

    A drop-in for :class:`sklearn.mixture.GaussianMixture` (same parameters,
    attributes and methods) that adds ``sample_weight``, parallel restarts
    (``n_jobs``), a per-iteration ``callback`` and bounded-memory E-steps,
    with a default start that explores many and a default stopping rule
    that stops close to the optimum (see :ref:`defaults`).

    Parameters
    ----------
    n_components : int, default=1
        Number of mixture components.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        Structure of the covariance matrices: each component has its own
        general matrix (``"full"``), all share one (``"tied"``), each has its
        own diagonal (``"diag"``) or a single variance (``"spherical"``).
    tol : float, default=1e-5
        EM stops when the mean log-likelihood per sample is within about
        ``tol`` of where it is heading: the last gain, and with
        ``stopping="aitken"`` the gains still to come, are below ``tol``.
        scikit-learn's ``1e-3``, on the last gain alone, stops plain EM
        short of the optimum on slowly converging data (see
        :ref:`mixture-squarem`).
    reg_covar : float, default=1e-6
        Non-negative value added to the diagonal of every covariance, so that
        covariances stay positive-definite.
    prior : {"conjugate"} or None, default=None
        ``"conjugate"``: maximum a posteriori estimation under the conjugate
        prior (normal means, inverse-Wishart covariances; inverse-gamma
        variances for ``"diag"`` and ``"spherical"``), with mclust's
        data-based defaults. The M-step is the posterior mode, and EM (and
        SQUAREM) increase the log posterior, which ``lower_bounds_`` records;
        ``bic``/``aic`` use the log-likelihood at the estimate. It keeps every
        covariance positive-definite on singular and near-singular data
        (copied or collinear columns, features at very different scales), the
        principled cure that ``reg_covar`` approximates; with it, set
        ``reg_covar=0`` for an exact EM (see :ref:`map-prior`).
    mean_precision_prior : float, default=None
        With ``prior``: the means' prior is worth this many rows (None: 0.01).
    mean_prior : array-like of shape (n_features,), default=None
        With ``prior``: the means' prior mean (None: the data's mean).
    degrees_of_freedom_prior : float, default=None
        With ``prior``: degrees of freedom of the covariances' prior, above
        n_features - 1 (None: n_features + 2).
    covariance_prior : float or array-like, default=None
        With ``prior``: the covariances' prior scale, (n_features, n_features)
        for ``"full"`` and ``"tied"``, (n_features,) for ``"diag"``, a number
        for ``"spherical"`` (None: the data's covariance, or mean variance for
        ``"diag"`` and ``"spherical"``, divided by ``n_components ** (2 /
        n_features)``).
    max_iter : int, default=1000
        Maximum number of EM iterations per restart.
    n_init : int, default=1
        Number of restarts; the one with the highest log-likelihood is kept.
    init_params : {"short-em", "kmeans", "k-means++", "random", "random_from_data"}, \
default="short-em"
        Where EM starts. ``"short-em"`` runs plain EM for a few E-steps from
        16 starts (k-means, and 15 seeds drawn by k-means++'s rule without
        greedy trials, in units of each column's spread), keeps the better
        half by the limit Aitken's method projects (on larger data, by the
        fit to a second sample plus the projected gain), and doubles their
        E-steps, round after round, until one is left; runs with a
        collapsed component rank last. The fit starts from the survivor.
        The others are scikit-learn's starts: initial responsibilities from
        k-means, k-means++ seeds, random values or random rows. Every start
        runs on at most 10,000 rows, a random sample of larger data (on
        which ``"short-em"``'s survivor first converges). :meth:`partial_fit`
        starts from k-means when ``"short-em"`` is asked for. With
        ``weights_init``, ``means_init`` or ``precisions_init`` given, there
        are no short runs.
    weights_init : array-like of shape (n_components,), default=None
        Initial weights; drawn by ``init_params`` if None.
    means_init : array-like of shape (n_components, n_features), default=None
        Initial means; drawn by ``init_params`` if None.
    precisions_init : array-like, default=None
        Initial precisions (inverse covariances), of the shape of
        ``covariances_``; drawn by ``init_params`` if None.
    random_state : int, RandomState instance or None, default=None
        Seeds the starts and :meth:`sample`. With an int, the fit is the same
        for every ``n_jobs``; with ``init_params="kmeans"``,
        ``accelerate=None``, ``stopping="change"`` and scikit-learn's ``tol``
        and ``max_iter``, it equals scikit-learn's for the same
        ``random_state`` up to rounding (on at most 10,000 rows).
    warm_start : bool, default=False
        If True, each ``fit`` starts from the previous solution with a single
        restart.
    verbose : int, default=0
        1 prints each restart and every ``verbose_interval`` iterations; 2 also
        prints times and log-likelihood changes.
    verbose_interval : int, default=10
        Iterations between two verbose prints (with SQUAREM, whose records
        skip iterations: the first record past each multiple).
    n_jobs : int, default=None
        Number of threads: restarts run at once, and each E-step's chunks of
        rows are shared among them. ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context; -1 means all processors.
        Results do not depend on it.
    callback : callable, default=None
        Called after every iteration of :meth:`fit` (not :meth:`partial_fit`)
        with an ``IterationRecord`` (``restart``, ``iteration``,
        ``log_likelihood``, ``change``, ``elapsed``). Returning True stops
        that restart.
    accelerate : {"squarem", None}, default="squarem"
        ``"squarem"`` extrapolates EM steps (SQUAREM: Varadhan & Roland,
        2008), keeping a step only if it does not lower the log-likelihood:
        usually several times fewer iterations. ``None`` is plain EM, which
        reproduces scikit-learn's iterates (from ``init_params="kmeans"``).
    stopping : {"aitken", "change"}, default="aitken"
        The stopping rule. ``"aitken"``: the last gain of the mean
        log-likelihood per sample and the gains still to come, ``gain * r /
        (1 - r)`` with ``r`` the ratio of successive gains (Aitken's
        delta-squared method), are below ``tol``. ``"change"``:
        scikit-learn's rule, the last gain below ``tol``, which stops short
        where EM gains slowly.
    learning_decay : float, default=0.7
        Exponent ``kappa``, in (0.5, 1], of the step size of :meth:`partial_fit`
        at its ``t``-th mini-batch, ``(learning_offset + t) ** -kappa``: larger
        values shrink the steps faster. Named as in
        :class:`~sklearn.decomposition.LatentDirichletAllocation`.
    learning_offset : float, default=10.0
        Positive offset of that step size: larger values damp the first
        mini-batches.
    batch_size : int, default=1024
        Rows per stepwise-EM update in :meth:`partial_fit`; :meth:`fit` does
        not use it.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        Mixing weights.
    means_ : ndarray of shape (n_components, n_features)
        Component means.
    covariances_ : ndarray
        Component covariances, of shape depending on ``covariance_type``:

        =========== ====================================
        full        (n_components, n_features, n_features)
        tied        (n_features, n_features)
        diag        (n_components, n_features)
        spherical   (n_components,)
        =========== ====================================
    precisions_ : ndarray
        Inverses of the covariances, same shape as ``covariances_``.
    precisions_cholesky_ : ndarray
        Cholesky factors ``U`` of the precisions (``precision = U @ U.T``),
        same shape as ``covariances_``.
    mean_precision_prior_, mean_prior_, degrees_of_freedom_prior_, covariance_prior_
        With ``prior``: the hyperparameters of the fit, those given or the
        data-based defaults.
    converged_ : bool
        Whether the best restart converged.
    n_iter_ : int
        E-steps of the best restart, from its start on (not counting the
        exploring start's runs on the sample).
    lower_bound_ : float
        Mean log-likelihood per sample at the start of the last iteration of
        the best restart.
    lower_bounds_ : list of float
        ``lower_bound_`` at every iteration of the best restart.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of features seen during ``fit``, when X has string column names.

    See Also
    --------
    sklearn.mixture.GaussianMixture : The model this one replaces.

    Examples
    --------
    >>> import numpy as np
    >>> from emkit import GaussianMixtureEM
    >>> X = np.array([[0, 1], [1, 4], [2, 1], [9, 1], [10, 4], [11, 1]])
    >>> gm = GaussianMixtureEM(n_components=2, random_state=0).fit(X)
    >>> gm.means_
    array([[ 1.,  2.],
           [10.,  2.]])
    >>> gm.predict([[0, 0], [12, 3]])
    array([0, 1])

    Weights act as repeated rows:

    >>> w = np.array([1, 3, 1, 1, 1, 1])
    >>> gm.fit(X, sample_weight=w).means_
    array([[ 1. ,  2.8],
           [10. ,  2. ]])
    >>> gm.fit(np.repeat(X, w, axis=0)).means_
    array([[ 1. ,  2.8],
           [10. ,  2. ]])
    """

    _parameter_constraints: dict = {
        **EM_CONSTRAINTS,
        **ONLINE_CONSTRAINTS,
        **GAUSSIAN_CONSTRAINTS,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "init_params": [INIT_PARAMS],
        "weights_init": ["array-like", None],
        "means_init": ["array-like", None],
        "precisions_init": ["array-like", None],
        "warm_start": ["boolean"],
        "verbose_interval": [Interval(Integral, 1, None, closed="left")],
        **PRIOR_CONSTRAINTS,
    }

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: str = "full",
        tol: float = 1e-5,
        reg_covar: float = 1e-6,
        prior: str | None = None,
        mean_precision_prior: float | None = None,
        mean_prior=None,
        degrees_of_freedom_prior: float | None = None,
        covariance_prior=None,
        max_iter: int = 1000,
        n_init: int = 1,
        init_params: str = "short-em",
        weights_init=None,
        means_init=None,
        precisions_init=None,
        random_state=None,
        warm_start: bool = False,
        verbose: int = 0,
        verbose_interval: int = 10,
        n_jobs: int | None = None,
        callback=None,
        accelerate="squarem",
        stopping: str = "aitken",
        learning_decay: float = 0.7,
        learning_offset: float = 10.0,
        batch_size: int = 1024,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.prior = prior
        self.mean_precision_prior = mean_precision_prior
        self.mean_prior = mean_prior
        self.degrees_of_freedom_prior = degrees_of_freedom_prior
        self.covariance_prior = covariance_prior
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.n_jobs = n_jobs
        self.callback = callback
        self.accelerate = accelerate
        self.stopping = stopping
        self.learning_decay = learning_decay
        self.learning_offset = learning_offset
        self.batch_size = batch_size

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Estimate the model parameters with the EM algorithm.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; a Dask array runs the E-steps on its blocks
            (see the scaling guide).
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights; an integer weight acts as that many
            copies of the row.

        Returns
        -------
        self : GaussianMixtureEM
            The fitted estimator.
        """
        with unchanged_on_error(self):
            if is_dask_array(X):
                X = check_dask_array(self, X, reset=True)
            else:
                X = check_X(self, X, reset=True, ensure_min_samples=2)
            self._fit_em(X, sample_weight)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the mixture with the rows of X, by stepwise (online) EM.

        X is taken in mini-batches of ``batch_size`` rows. Each moves running
        sufficient statistics towards its own, with step size
        ``(learning_offset + t) ** -learning_decay`` at the ``t``-th
        mini-batch, then re-estimates the parameters (Cappé & Moulines, 2009).
        The first call on an unfitted estimator initialises the mixture on X by
        ``init_params`` (k-means for ``"short-em"``, whose short runs a stream
        cannot make) and takes its first mini-batch's statistics as they
        are, so that one call with at most ``batch_size`` rows is one EM step.
        After :meth:`fit`, a call starts a new stream from the fitted
        parameters. ``n_iter_`` counts the mini-batches of the stream,
        ``lower_bounds_`` holds their mean log-likelihoods before their
        updates, and ``converged_`` stays False: stepwise EM has no
        convergence test.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A batch of rows; NaN marks missing values.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights.

        Returns
        -------
        self : GaussianMixtureEM
            The updated estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from emkit import GaussianMixtureEM
        >>> rng = np.random.RandomState(0)
        >>> X = np.concatenate([rng.normal(-3, 1, 20_000), rng.normal(3, 1, 20_000)])
        >>> X = rng.permutation(X)[:, None]
        >>> gm = GaussianMixtureEM(n_components=2, random_state=0)
        >>> for batch in np.array_split(X, 40):  # as if read from a stream
        ...     gm = gm.partial_fit(batch)
        >>> np.sort(gm.means_.ravel()).round(1), gm.n_iter_
        (array([-3.,  3.]), 40)
        """
        with unchanged_on_error(self):
            X = check_X(self, X, reset=not hasattr(self, "means_"))
            self._partial_fit_em(X, sample_weight)
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit the model and return the most likely component of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Component labels, equal to ``fit(X).predict(X)``.
        """
        return self.fit(X, y, sample_weight=sample_weight).predict(X)

    def _posteriors_of(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Responsibilities and log-likelihoods of the rows: lazily, block by block, for Dask."""
        check_is_fitted(self)
        if is_dask_array(X):
            X = check_dask_array(self, X, reset=False)
            k = len(self.weights_)
            return (
                map_rows(lambda rows: self._posteriors_of(rows)[0], X, k, X.dtype),
                map_rows(lambda rows: self._posteriors_of(rows)[1], X, None, X.dtype),
            )
        return self._posteriors(check_X(self, X, reset=False))

    def score_samples(self, X) -> np.ndarray:
        """Log-likelihood of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        log_prob : ndarray of shape (n_samples,)
            Log-density of each row under the model.
        """
        return self._posteriors_of(X)[1]

    def score(self, X, y=None, sample_weight=None) -> float:
        """Mean log-likelihood per row (weighted by ``sample_weight``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights.

        Returns
        -------
        log_likelihood : float
            ``score_samples(X).mean()``, or its average weighted by
            ``sample_weight``.
        """
        log_prob = self.score_samples(X)
        if sample_weight is None:
            return float(log_prob.mean())
        sample_weight = check_sample_weight(sample_weight, len(log_prob), log_prob.dtype)
        return float(np.average(log_prob, weights=sample_weight))

    def predict_proba(self, X) -> np.ndarray:
        """Posterior probability of each component for each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        resp : ndarray of shape (n_samples, n_components)
            Responsibilities; each row sums to 1.
        """
        return self._posteriors_of(X)[0]

    def predict(self, X) -> np.ndarray:
        """Most likely component of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Component labels.
        """
        return self._posteriors_of(X)[0].argmax(axis=1)

    def sample(self, n_samples: int = 1, random_state=None):
        """Draw random rows from the fitted mixture.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw.
        random_state : int, RandomState instance or None, default=None
            Seed; ``None`` uses the estimator's ``random_state``.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The rows, grouped by component.
        y : ndarray of shape (n_samples,)
            The component of each row.
        """
        check_is_fitted(self)
        rng = check_random_state(self.random_state if random_state is None else random_state)
        covariance = Gaussian(self.covariance_type, self.reg_covar).covariance
        return sample_mixture(
            self.weights_, self.means_, self.covariances_, covariance, n_samples, rng
        )
