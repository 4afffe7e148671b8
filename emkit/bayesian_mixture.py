"""Variational Bayesian Gaussian mixtures, fitted on emkit's EM driver.

Variational inference is EM in another guise: the E-step computes
responsibilities under the expected log-parameters, and turns them into the
same additive statistics (``nk``, ``sx``, ``sxx``) as EM; the M-step turns
summed statistics into the parameters of the conjugate posterior (Dirichlet
or stick-breaking Beta on the weights, normal-Wishart on each component).
So the driver gives chunks, threads, restarts, SQUAREM, callbacks and
``sample_weight`` here as it does for every other model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from numbers import Integral, Real

import numpy as np
from scipy.special import betaln, digamma, gammaln
from sklearn.base import BaseEstimator, DensityMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._em import (
    EM_CONSTRAINTS,
    ONLINE_CONSTRAINTS,
    RowData,
    fit_em,
    fitted_copy,
    partial_fit_em,
    set_fit_attributes,
)
from ._gaussian import GAUSSIAN_CONSTRAINTS, Gaussian, weighted_moments
from ._inference import (
    expected_log_weights,
    expected_weights,
    variational_log_offsets,
    wishart_halves,
)
from ._missing import check_observed_columns, find_missing
from ._mixture_base import INIT_PARAMS, GaussianMixtureModel, sample_mixture
from ._utils import log_normalize, row_sums
from ._validation import (
    check_positive_definite,
    check_prior,
    check_sample_weight,
    check_X,
    unchanged_on_error,
)

_LOG_2 = math.log(2.0)
_LOG_2PI = math.log(2.0 * math.pi)
WEIGHT_PRIOR_TYPES = ("dirichlet_process", "dirichlet_distribution")
_PRIOR_NAMES = (
    "weight_concentration_prior",
    "mean_precision_prior",
    "mean_prior",
    "degrees_of_freedom_prior",
    "covariance_prior",
)


@dataclass(frozen=True)
class VariationalPrior:
    """scikit-learn's priors: on the weights, a stick-breaking (``process``) or
    Dirichlet prior of concentration ``weight_concentration``; on each component,
    a normal-Wishart prior of mean ``mean``, ``mean_precision`` pseudo-rows,
    ``degrees_of_freedom`` and ``covariance`` (one covariance of the type's shape)."""

    process: bool
    weight_concentration: float
    mean_precision: float
    mean: np.ndarray
    degrees_of_freedom: float
    covariance: np.ndarray


@dataclass(frozen=True)
class VariationalParams:
    """The variational posterior, in scikit-learn's parameters.

    ``weight_concentration`` is (k,) for a Dirichlet, (2, k) for the sticks' Beta
    distributions; ``degrees_of_freedom`` is (k,), or () for tied covariances;
    ``covariances`` are the inverses of the expected precisions, as scikit-learn's.
    """

    weight_concentration: np.ndarray
    mean_precision: np.ndarray
    means: np.ndarray
    degrees_of_freedom: np.ndarray
    covariances: np.ndarray
    precisions_cholesky: np.ndarray

    @property
    def weights(self) -> np.ndarray:
        """The expected mixing weights."""
        return expected_weights(self.weight_concentration)

    def expected_log_weights(self) -> np.ndarray:
        """E[log pi_k] under the posterior of the weights."""
        return expected_log_weights(self.weight_concentration, digamma)


def _cholesky_exists(matrices: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(matrices)
    except np.linalg.LinAlgError:
        return False
    return True


def _as_components(covariance, one: np.ndarray) -> np.ndarray:
    """One covariance as the type's array for a single component."""
    return one[None] if covariance.per_component else one


class VariationalMixtureModel(GaussianMixtureModel):
    """The variational E-step and M-step of a Bayesian Gaussian mixture, for the driver.

    The E-step returns the Gaussian statistics of the responsibilities and the
    entropy of the responsibilities (plus, for rows with missing values, that
    of the missing values' distribution); ``objective`` adds the part of
    scikit-learn's lower bound that depends on the parameters the M-step
    then gives. ``priors`` is None for a model that only predicts.
    """

    def __init__(
        self,
        n_components: int,
        gaussian: Gaussian,
        init_params: str,
        priors: VariationalPrior | None,
    ):
        super().__init__(n_components, gaussian, init_params)
        self.priors = priors

    def init_params(self, data: RowData, rng, method: str | None = None) -> VariationalParams:
        return self._estimate(*self.initial_statistics(data, rng, method))

    def side_by_side(self) -> None:
        """None: the side-by-side runs take the maximum-likelihood mixture's steps."""
        return None

    def collapsed(self, params: VariationalParams, total_weight: float) -> bool:
        # The prior keeps every covariance away from singular, and a component
        # left empty is how the model drops it: no start is spurious.
        return False

    def _log_joint(self, params: VariationalParams, X, missing, statistics: bool = True):
        """``Gaussian.condition`` at the expected precisions, plus each component's
        expected log-weight and the expectations' corrections (log rho of Bishop's 10.46)."""
        conditioned = self.gaussian.condition(
            X, params.means, params.precisions_cholesky, missing, statistics
        )
        offsets = variational_log_offsets(
            params.weight_concentration,
            params.mean_precision,
            params.degrees_of_freedom,
            params.means.shape[1],
            digamma,
        )
        log_prob = conditioned.log_prob
        log_prob += offsets
        return conditioned

    def e_step(self, params: VariationalParams, chunk: RowData):
        conditioned = self._log_joint(params, chunk.X, chunk.missing)
        resp, log_norm = log_normalize(conditioned.log_prob)
        # -sum_k r log r, with log r = log rho - log_norm
        entropy = log_norm - row_sums(resp * conditioned.log_prob)
        if chunk.missing is not None:
            rows = chunk.missing.rows
            entropy[rows] += self._missing_entropy(params, conditioned, resp[rows], chunk.missing)
        w = chunk.sample_weight
        return conditioned.statistics(resp * w[:, None]), float(w @ entropy)

    def _missing_entropy(self, params, conditioned, resp, missing) -> np.ndarray:
        """sum_k r_ik H_ik for each incomplete row: H_ik is the entropy of the missing
        values' Gaussian given component k, ``m_i / 2 + log N_o(x_o) - log N(x)`` with x
        the row completed by its conditional mean (see ``_gaussian._condition``)."""
        k, d = params.means.shape
        covariance = self.gaussian.covariance
        roots = covariance.full_matrices(params.precisions_cholesky, k, d)
        log_dets = np.broadcast_to(covariance.log_det_cholesky(params.precisions_cholesky, d), k)
        total = 0.5 * missing.row_n_missing.astype(float)  # sum_k r_ik = 1
        for j, (log_prob, filled, _) in enumerate(conditioned.conditionals):
            whitened = (filled - params.means[j]) @ roots[j]
            squared = np.einsum("ij,ij->i", whitened, whitened)
            completed = log_dets[j] - 0.5 * d * _LOG_2PI - 0.5 * squared
            total += resp[:, j] * (log_prob - completed)
        return total

    def _estimate(self, stats, centres) -> VariationalParams:
        """The variational M-step: the posterior given the statistics (Bishop's 10.58-10.63,
        normalised as scikit-learn's, whose statistics include ``reg_covar``)."""
        prior, covariance = self.priors, self.gaussian.covariance
        nk = stats.nk + 10 * np.finfo(stats.nk.dtype).eps
        shift = stats.sx / nk[:, None]
        data_means = centres + shift
        scatter = covariance.estimate(nk, shift, stats.sxx, self.gaussian.reg_covar)
        mean_precision = prior.mean_precision + nk
        weighted_means = prior.mean_precision * prior.mean + nk[:, None] * data_means
        means = weighted_means / mean_precision[:, None]
        # The data means' spread about the prior mean, as the covariance type's moments.
        delta = data_means - prior.mean
        spread = (nk * prior.mean_precision / mean_precision)[:, None, None] * (
            delta[:, :, None] * delta[:, None, :]
        )
        zero = np.zeros_like(shift)
        scatter = scatter + covariance.estimate(
            nk, zero, covariance.reduce_second_moments(spread), 0.0
        )
        # Rows per covariance: each component's, or (tied) the mean over components.
        rows = nk if covariance.per_component else np.mean(nk)
        degrees_of_freedom = prior.degrees_of_freedom + rows
        shape = np.shape(rows) + (1,) * (scatter.ndim - np.ndim(rows))
        rows, dof = np.reshape(rows, shape), np.reshape(degrees_of_freedom, shape)
        covariances = (prior.covariance + rows * scatter) / dof
        if prior.process:
            later = np.hstack((np.cumsum(nk[::-1])[-2::-1], 0.0))  # sum_{j > k} nk_j
            concentration = np.array([1.0 + nk, prior.weight_concentration + later])
        else:
            concentration = prior.weight_concentration + nk
        return VariationalParams(
            concentration,
            mean_precision,
            means,
            np.asarray(degrees_of_freedom),
            covariances,
            covariance.precision_cholesky(covariances),
        )

    def objective(self, stats, entropy: float, params: VariationalParams) -> float:
        """scikit-learn's lower bound, at the parameters the M-step gives from ``stats``."""
        return entropy + self.bound(self.m_step(stats, params))

    def bound(self, params: VariationalParams) -> float:
        """The lower bound less the entropies: the log normalisers of the posterior,
        without the constants scikit-learn leaves out."""
        k, d = params.means.shape
        covariance = self.gaussian.covariance
        nu = np.broadcast_to(params.degrees_of_freedom, k)
        log_det = covariance.log_det_cholesky(params.precisions_cholesky, d) - 0.5 * d * np.log(
            params.degrees_of_freedom
        )
        log_wishart = -(
            nu * np.broadcast_to(log_det, k)
            + nu * d * 0.5 * _LOG_2
            + gammaln(wishart_halves(nu, d)).sum(axis=-1)
        )
        concentration = params.weight_concentration
        if concentration.ndim == 2:
            log_norm_weight = -np.sum(betaln(*concentration))
        else:
            log_norm_weight = gammaln(concentration.sum()) - np.sum(gammaln(concentration))
        return float(
            -np.sum(log_wishart)
            - log_norm_weight
            - 0.5 * d * np.sum(np.log(params.mean_precision))
        )

    def unconstrained(self, params: VariationalParams) -> tuple:
        d = params.means.shape[1]
        return (
            np.log(params.weight_concentration),
            np.log(params.mean_precision),
            np.log(params.degrees_of_freedom - (d - 1)),
            *self.gaussian.unconstrained(params.means, params.covariances),
        )

    def from_unconstrained(self, values) -> VariationalParams:
        log_concentration, log_mean_precision, log_dof, means, covariances = values
        means, covariances, precisions_cholesky = self.gaussian.from_unconstrained(
            means, covariances
        )
        return VariationalParams(
            np.exp(log_concentration),
            np.exp(log_mean_precision),
            means,
            (means.shape[1] - 1) + np.exp(log_dof),
            covariances,
            precisions_cholesky,
        )


class BayesianGaussianMixtureEM(DensityMixin, BaseEstimator):
    """Variational Bayesian Gaussian mixture, fitted on emkit's EM driver.

    A drop-in for :class:`sklearn.mixture.BayesianGaussianMixture` (same
    parameters, priors, attributes and methods; with ``init_params="kmeans"``,
    ``accelerate=None`` and ``stopping="change"``, the same iterates and lower
    bound as scikit-learn's from the same ``random_state``) that adds
    ``sample_weight``, missing values (NaN), parallel restarts and E-steps
    (``n_jobs``), a per-iteration ``callback``, SQUAREM acceleration and the
    exploring start of :class:`~emkit.GaussianMixtureEM` (see
    :ref:`bayesian-mixture`).

    Parameters
    ----------
    n_components : int, default=1
        Number of components: an upper bound, as the fit empties the ones the
        data do not need.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        Structure of the covariance matrices, as in
        :class:`~emkit.GaussianMixtureEM`.
    tol : float, default=1e-3
        The fit stops when the lower bound (a total over the rows, as
        scikit-learn's) gains less than ``tol``; with ``stopping="aitken"``,
        when the gains still to come do too.
    reg_covar : float, default=1e-6
        Added to the diagonal of the data's covariance estimates, as in
        scikit-learn.
    max_iter : int, default=1000
        Maximum number of iterations (E-steps) per restart. scikit-learn's
        100 often stops short of convergence.
    n_init : int, default=1
        Number of restarts; the one with the highest lower bound is kept.
    init_params : {"short-em", "kmeans", "k-means++", "random", "random_from_data"}, \
default="short-em"
        Where the fit starts: ``"short-em"`` is the exploring start of
        :class:`~emkit.GaussianMixtureEM` (short plain runs of this model from
        16 starts, ranked by the lower bound they head for); the others are
        scikit-learn's starts (initial responsibilities). Every start runs on
        at most 10,000 rows, a random sample of larger data.
    weight_concentration_prior_type : {"dirichlet_process", \
"dirichlet_distribution"}, default="dirichlet_process"
        The prior on the weights: a stick-breaking (Dirichlet process) or a
        Dirichlet distribution.
    weight_concentration_prior : float, default=None
        Positive concentration of that prior (``gamma`` or ``alpha``): smaller
        values put the weight on fewer components. None means
        ``1 / n_components``.
    mean_precision_prior : float, default=None
        Positive precision of the prior on the means, in rows (``beta_0``).
        None means 1.
    mean_prior : array-like of shape (n_features,), default=None
        Prior mean of the means; None means the mean of X.
    degrees_of_freedom_prior : float, default=None
        Degrees of freedom of the Wishart prior on the precisions, greater
        than ``n_features - 1``; None means ``n_features``.
    covariance_prior : float or array-like, default=None
        Prior on the covariances: an array of shape (n_features, n_features)
        for ``"full"`` and ``"tied"``, (n_features,) for ``"diag"``, a number
        for ``"spherical"``. None means the covariance of X (its diagonal, or
        its mean variance).
    random_state : int, RandomState instance or None, default=None
        Seeds the starts and :meth:`sample`. With an int, the fit is the same
        for every ``n_jobs``.
    warm_start : bool, default=False
        If True, each ``fit`` starts from the previous solution with a single
        restart.
    verbose : int, default=0
        1 prints each restart and every ``verbose_interval`` iterations; 2 also
        prints times and changes (of the lower bound per row).
    verbose_interval : int, default=10
        Iterations between two verbose prints.
    n_jobs : int, default=None
        Number of threads for restarts and each E-step's chunks of rows.
        Results do not depend on it.
    callback : callable, default=None
        Called after every iteration with an ``IterationRecord`` whose
        ``log_likelihood`` is the lower bound per unit of weight (``lower_bound_``
        divided by the number of rows, or the sum of ``sample_weight``).
        Returning True stops that restart.
    accelerate : {"squarem", None}, default="squarem"
        ``"squarem"`` extrapolates the iterations (on the log-concentrations,
        log-precisions and Cholesky factors of the covariances), keeping a
        step only if it does not lower the lower bound. ``None`` runs plain
        iterations, which reproduce scikit-learn's.
    stopping : {"aitken", "change"}, default="aitken"
        ``"change"``: scikit-learn's rule, the last gain below ``tol``.
        ``"aitken"``: the gains still to come, estimated from the ratio of
        successive gains, are below ``tol`` too.
    learning_decay : float, default=0.7
        Exponent ``kappa``, in (0.5, 1], of the step size of :meth:`partial_fit`
        at its ``t``-th mini-batch, ``(learning_offset + t) ** -kappa``, as in
        :class:`~sklearn.decomposition.LatentDirichletAllocation`.
    learning_offset : float, default=10.0
        Positive offset of that step size: larger values damp the first
        mini-batches.
    batch_size : int, default=1024
        Rows per update in :meth:`partial_fit`; :meth:`fit` does not use it.
    total_samples : float, default=1e6
        The number of rows (total weight) the stream of :meth:`partial_fit`
        stands for: each update weighs the mini-batch's statistics as that
        many rows against the prior, as
        :class:`~sklearn.decomposition.LatentDirichletAllocation` does.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        Expected mixing weights.
    means_ : ndarray of shape (n_components, n_features)
        Posterior means of the component means.
    covariances_ : ndarray
        Inverses of the expected precisions, of shape depending on
        ``covariance_type`` as in :class:`~emkit.GaussianMixtureEM`.
    precisions_ : ndarray
        Expected precisions, same shape as ``covariances_``.
    precisions_cholesky_ : ndarray
        Cholesky factors of ``precisions_``.
    weight_concentration_prior_ : float
        The concentration of the prior on the weights.
    weight_concentration_ : ndarray of shape (n_components,) or tuple of two
        Dirichlet concentrations, or the two parameters of each stick's Beta
        distribution (Dirichlet process).
    mean_precision_prior_ : float
        The precision of the prior on the means.
    mean_precision_ : ndarray of shape (n_components,)
        Posterior precisions of the means, in rows.
    mean_prior_ : ndarray of shape (n_features,)
        The prior mean of the means.
    degrees_of_freedom_prior_ : float
        The prior's degrees of freedom.
    degrees_of_freedom_ : ndarray of shape (n_components,), or float (tied)
        Posterior degrees of freedom.
    covariance_prior_ : float or ndarray
        The prior on the covariances.
    converged_ : bool
        Whether the best restart converged.
    n_iter_ : int
        Iterations (E-steps) of the best restart.
    lower_bound_ : float
        scikit-learn's lower bound (the evidence lower bound without its
        constant terms, a total over the rows) at the last iteration.
    lower_bounds_ : list of float
        ``lower_bound_`` at every iteration of the best restart.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of features seen during ``fit``, when X has string column names.

    See Also
    --------
    sklearn.mixture.BayesianGaussianMixture : The model this one replaces.
    emkit.GaussianMixtureEM : Maximum-likelihood mixtures.

    Notes
    -----
    Missing values (NaN) are fitted exactly within the variational family:
    each row's missing values get a Gaussian factor of their own (given its
    component), the E-step conditions on the observed values as
    :class:`~emkit.GaussianMixtureEM` does, and the lower bound gains those
    factors' entropies. With NaN in X, the default ``mean_prior`` and
    ``covariance_prior`` come from each column's observed values (a diagonal
    covariance).

    Examples
    --------
    >>> import numpy as np
    >>> from emkit import BayesianGaussianMixtureEM
    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.normal(-4, 1, (300, 2)), rng.normal(4, 1, (200, 2))])
    >>> bgm = BayesianGaussianMixtureEM(n_components=6, random_state=0).fit(X)
    >>> print(np.round(np.sort(bgm.weights_)[::-1], 2))
    [0.6 0.4 0.  0.  0.  0. ]
    >>> bgm.predict([[-4, -4], [4, 4]])
    array([1, 0])
    """

    _parameter_constraints: dict = {
        **EM_CONSTRAINTS,
        **ONLINE_CONSTRAINTS,
        **GAUSSIAN_CONSTRAINTS,
        "total_samples": [Interval(Real, 0.0, None, closed="neither")],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "init_params": [INIT_PARAMS],
        "weight_concentration_prior_type": [StrOptions(set(WEIGHT_PRIOR_TYPES))],
        "weight_concentration_prior": [None, Interval(Real, 0.0, None, closed="neither")],
        "mean_precision_prior": [None, Interval(Real, 0.0, None, closed="neither")],
        "mean_prior": [None, "array-like"],
        "degrees_of_freedom_prior": [None, Interval(Real, 0.0, None, closed="neither")],
        "covariance_prior": [None, "array-like", Interval(Real, 0.0, None, closed="neither")],
        "warm_start": ["boolean"],
        "verbose_interval": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: str = "full",
        tol: float = 1e-3,
        reg_covar: float = 1e-6,
        max_iter: int = 1000,
        n_init: int = 1,
        init_params: str = "short-em",
        weight_concentration_prior_type: str = "dirichlet_process",
        weight_concentration_prior: float | None = None,
        mean_precision_prior: float | None = None,
        mean_prior=None,
        degrees_of_freedom_prior: float | None = None,
        covariance_prior=None,
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
        total_samples: float = 1e6,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weight_concentration_prior_type = weight_concentration_prior_type
        self.weight_concentration_prior = weight_concentration_prior
        self.mean_precision_prior = mean_precision_prior
        self.mean_prior = mean_prior
        self.degrees_of_freedom_prior = degrees_of_freedom_prior
        self.covariance_prior = covariance_prior
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
        self.total_samples = total_samples

    # ------------------------------------------------------------------ fit

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Fit the variational posterior to X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; NaN marks missing values.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights; an integer weight acts as that many
            copies of the row (in the default priors too).

        Returns
        -------
        self : BayesianGaussianMixtureEM
            The fitted estimator.
        """
        with unchanged_on_error(self):
            X = check_X(self, X, reset=True, ensure_min_samples=2)
            sample_weight = check_sample_weight(sample_weight, X.shape[0], X.dtype)
            self._fit(X, sample_weight)
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

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the posterior with the rows of X, by stochastic variational inference.

        X is taken in mini-batches of ``batch_size`` rows. Each mini-batch's
        statistics, weighed as ``total_samples`` rows, move the posterior's
        natural parameters by a step of size ``(learning_offset + t) **
        -learning_decay`` at the ``t``-th mini-batch (Hoffman, Blei, Wang and
        Paisley, 2013): a natural-gradient step on the lower bound, which for
        this conjugate model is a convex combination of the statistics. The
        first call on an unfitted estimator sets the priors from X (as
        :meth:`fit` does) and starts from ``init_params`` (k-means for
        ``"short-em"``); after :meth:`fit`, a call starts a new stream from
        the fitted posterior and priors. ``n_iter_`` counts the stream's
        mini-batches, ``lower_bounds_`` holds each mini-batch's lower bound
        per row (as if it were all the data) before its update, and
        ``converged_`` stays False.

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
        self : BayesianGaussianMixtureEM
            The updated estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from emkit import BayesianGaussianMixtureEM
        >>> rng = np.random.RandomState(0)
        >>> X = rng.permutation(np.r_[rng.normal(-3, 1, 20_000), rng.normal(3, 1, 20_000)])
        >>> bgm = BayesianGaussianMixtureEM(2, total_samples=len(X), random_state=0)
        >>> for batch in np.array_split(X[:, None], 40):  # as if read from a stream
        ...     bgm = bgm.partial_fit(batch)
        >>> np.sort(bgm.means_.ravel()).round(1), bgm.weights_.round(1), bgm.n_iter_
        (array([-3.,  3.]), array([0.5, 0.5]), 40)
        """
        with unchanged_on_error(self):
            X = check_X(self, X, reset=not hasattr(self, "means_"))
            sample_weight = check_sample_weight(sample_weight, X.shape[0], X.dtype)
            self._partial_fit(X, sample_weight)
        return self

    def _partial_fit(self, X, sample_weight) -> None:
        data = RowData(X, sample_weight)
        continued = None
        if hasattr(self, "means_"):  # raises if the settings have changed since
            continued = self._continued(X.shape[1], "partial_fit", "call fit")
            priors = self._priors(X.shape[1])
        else:
            self._check_rows(X, sample_weight)
            priors = self._priors(X.shape[1], X, sample_weight)
        model = self._model(priors)

        def start() -> VariationalParams:
            if continued is not None:
                return continued
            # A stream cannot run the exploring start's short runs: k-means instead.
            method = "kmeans" if model.explores else None
            return model.init_params(data, check_random_state(self.random_state), method)

        partial_fit_em(self, model, data, model.row_bytes(X), start, scale=self.total_samples)

    def _check_rows(self, X, sample_weight) -> None:
        """Raise if X, with its weights, cannot start a mixture of ``n_components``."""
        if X.shape[0] < self.n_components:
            raise ValueError(
                f"X: expected n_samples >= n_components but got n_components = "
                f"{self.n_components}, n_samples = {X.shape[0]}."
            )
        check_observed_columns(X, sample_weight)
        n_weighted = np.count_nonzero(sample_weight)
        if n_weighted < self.n_components:
            raise ValueError(
                f"sample_weight is positive on {n_weighted} row(s) only, fewer than "
                f"n_components = {self.n_components}."
            )

    def _fit(self, X, sample_weight) -> None:
        self._check_rows(X, sample_weight)
        priors = self._priors(X.shape[1], X, sample_weight)
        total = float(sample_weight.sum())
        warm_start = None
        if self.warm_start and hasattr(self, "converged_"):
            warm_start = (self._continued(X.shape[1]), self.lower_bound_ / total)
        model = self._model(priors)
        # The driver works per unit of weight; scikit-learn's tol and bound are totals.
        result = fit_em(
            model,
            RowData(X, sample_weight),
            row_bytes=model.row_bytes(X),
            n_init=self.n_init,
            tol=self.tol / total,
            max_iter=self.max_iter,
            random_state=check_random_state(self.random_state),
            n_jobs=self.n_jobs,
            verbose=self.verbose,
            verbose_interval=self.verbose_interval,
            callback=self.callback,
            warm_start=warm_start,
            accelerate=self.accelerate,
            stopping=self.stopping,
            fitted=partial(self._fitted_copy, model, total),
            estimator=self,
        )
        set_fit_attributes(self, model, result)
        self._set_totals(total)
        self._online = None  # a later partial_fit starts a stream from this fit

    def _fitted_copy(self, model, total: float, result):
        copied = fitted_copy(self, model, result)
        copied._set_totals(total)
        return copied

    def _set_totals(self, total: float) -> None:
        """``lower_bound_`` and ``lower_bounds_`` as totals over the rows."""
        self.lower_bound_ = self.lower_bound_ * total
        self.lower_bounds_ = [value * total for value in self.lower_bounds_]

    def _model(self, priors: VariationalPrior | None) -> VariationalMixtureModel:
        gaussian = Gaussian(self.covariance_type, self.reg_covar)
        return VariationalMixtureModel(self.n_components, gaussian, self.init_params, priors)

    def _priors(self, n_features: int, X=None, sample_weight=None) -> VariationalPrior:
        """The priors: those given, checked, and scikit-learn's defaults from the data.

        With X None, the fitted ones (``*_prior_``, of a loaded model), checked alike.
        """
        k, d = self.n_components, n_features
        covariance = Gaussian(self.covariance_type, self.reg_covar).covariance
        suffix = "_" if X is None else ""
        given = {name: getattr(self, name + suffix) for name in _PRIOR_NAMES}
        for name in ("weight_concentration_prior", "mean_precision_prior"):
            value = given[name]
            if value is not None and not (isinstance(value, Real) and 0 < value < math.inf):
                raise ValueError(f"{name}{suffix} must be positive and finite, got {value!r}.")
        nu = given["degrees_of_freedom_prior"]
        if nu is not None and not (isinstance(nu, Real) and d - 1 < nu < math.inf):
            raise ValueError(
                f"degrees_of_freedom_prior{suffix} must be finite and greater than "
                f"n_features - 1 = {d - 1}, got {nu}."
            )
        mean, scale = given["mean_prior"], given["covariance_prior"]
        if mean is not None:
            mean = _exact_prior(mean, (d,), "mean_prior" + suffix)
        if scale is not None:
            shape = covariance.prior_scale_shape(d)
            scale = _exact_prior(scale, shape, "covariance_prior" + suffix)
            matrices = covariance.full_matrices(_as_components(covariance, scale), 1, d)
            check_positive_definite(matrices, "covariance_prior" + suffix)
        if mean is None or scale is None:
            data_mean, data_covariance = weighted_moments(X, sample_weight, ddof=1.0)
            mean = data_mean if mean is None else mean
            if scale is None:  # the covariance in the type's shape (diagonal, mean variance)
                moments = covariance.reduce_second_moments(data_covariance[None])
                one = covariance.estimate(np.ones(1), np.zeros((1, d)), moments, 0.0)
                scale = one[0] if covariance.per_component else one
                if self.reg_covar == 0 and not _cholesky_exists(
                    covariance.full_matrices(_as_components(covariance, scale), 1, d)
                ):
                    raise ValueError(
                        "covariance_prior: its default, the covariance of X, is singular (a "
                        "constant column, or columns that copy or combine others), and "
                        "reg_covar=0. Give a positive-definite covariance_prior, or a "
                        "positive reg_covar."
                    )
        alpha, beta = given["weight_concentration_prior"], given["mean_precision_prior"]
        return VariationalPrior(
            process=self.weight_concentration_prior_type == "dirichlet_process",
            weight_concentration=1.0 / k if alpha is None else float(alpha),
            mean_precision=1.0 if beta is None else float(beta),
            mean=mean,
            degrees_of_freedom=float(d) if nu is None else float(nu),
            covariance=scale,
        )

    def _fitted_model(self) -> VariationalMixtureModel:
        """The model of the fitted priors, checked."""
        return self._model(self._priors(self.n_features_in_))

    def _restore_fitted(self) -> None:
        """Check the posterior and priors of a loaded model, and derive ``weights_``.

        ``emkit.io.from_json`` calls it once the shapes of ``means_`` and
        ``covariances_`` are checked.
        """
        k, d = self.means_.shape
        process = self.weight_concentration_prior_type == "dirichlet_process"
        per_component = Gaussian(self.covariance_type, self.reg_covar).covariance.per_component
        expected = {
            "weight_concentration_": ((2, k) if process else (k,), 0.0),
            "mean_precision_": ((k,), 0.0),
            "degrees_of_freedom_": ((k,) if per_component else (), d - 1.0),
        }
        for name, (shape, lower) in expected.items():
            try:
                value = np.asarray(getattr(self, name), dtype=float)
            except (TypeError, ValueError):
                value = np.full(1, np.nan)
            if value.shape != shape or not np.all(np.isfinite(value) & (value > lower)):
                raise ValueError(
                    f"{name} must hold finite numbers greater than {lower}, of shape {shape}."
                )
        self._priors(d)
        concentration = np.asarray(self.weight_concentration_, dtype=float)
        self.weight_concentration_ = tuple(concentration) if process else concentration
        self.weights_ = self._params().weights

    def _continued(
        self, n_features: int, what: str = "warm_start=True", instead: str = "set warm_start=False"
    ) -> VariationalParams:
        """The fitted parameters, to go on from; raises if the settings have changed."""
        covariance = Gaussian(self.covariance_type, self.reg_covar).covariance
        process = self.weight_concentration_prior_type == "dirichlet_process"
        settings = (self.covariance_type, process)
        fitted_type, fitted_process = getattr(self, "_fitted_settings", settings)
        if (
            self.means_.shape != (self.n_components, n_features)
            or self.covariances_.shape != covariance.shape(self.n_components, n_features)
            or getattr(self, "_fitted_settings", settings) != settings
        ):
            raise ValueError(
                f"{what} continues the previous fit, which had "
                f"n_components={self.means_.shape[0]}, n_features={self.means_.shape[1]}, "
                f"covariance_type={fitted_type!r} and "
                f"weight_concentration_prior_type={WEIGHT_PRIOR_TYPES[1 - fitted_process]!r}; "
                f"{instead} to fit a different model."
            )
        return self._params()

    def _set_fitted(self, model: VariationalMixtureModel, params: VariationalParams) -> None:
        priors = model.priors
        self._fitted_settings = (model.gaussian.covariance.name, priors.process)
        concentration = params.weight_concentration
        self.weight_concentration_ = tuple(concentration) if priors.process else concentration
        self.mean_precision_ = params.mean_precision
        self.means_ = params.means
        dof = params.degrees_of_freedom
        self.degrees_of_freedom_ = dof if dof.ndim else float(dof)
        self.covariances_ = params.covariances
        self.precisions_cholesky_ = params.precisions_cholesky
        self.precisions_ = model.gaussian.covariance.precisions(params.precisions_cholesky)
        self.weights_ = params.weights
        self.weight_concentration_prior_ = priors.weight_concentration
        self.mean_precision_prior_ = priors.mean_precision
        self.mean_prior_ = priors.mean
        self.degrees_of_freedom_prior_ = priors.degrees_of_freedom
        scale = priors.covariance
        self.covariance_prior_ = scale if scale.ndim else float(scale)

    def _params(self) -> VariationalParams:
        return VariationalParams(
            np.asarray(self.weight_concentration_),
            self.mean_precision_,
            self.means_,
            np.asarray(self.degrees_of_freedom_),
            self.covariances_,
            self.precisions_cholesky_,
        )

    # ------------------------------------------------------------ inference

    def _posteriors(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Responsibilities, and the log-sum over components of log rho (scikit-learn's
        ``score_samples``); NaN entries are marginalised out."""
        check_is_fitted(self)
        X = check_X(self, X, reset=False)
        log_rho = self._model(None).log_joint(self._params(), X, find_missing(X))
        return log_normalize(log_rho)

    def score_samples(self, X) -> np.ndarray:
        """Log of the sum over components of each row's unnormalised responsibilities.

        As scikit-learn's: the weighted log-densities at the expected
        log-weights and log-precisions (not the posterior predictive density).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score; NaN marks missing values.

        Returns
        -------
        log_prob : ndarray of shape (n_samples,)
        """
        return self._posteriors(X)[1]

    def score(self, X, y=None, sample_weight=None) -> float:
        """Mean of :meth:`score_samples` (weighted by ``sample_weight``).

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
        score : float
        """
        log_prob = self.score_samples(X)
        sample_weight = check_sample_weight(sample_weight, len(log_prob), log_prob.dtype)
        return float(np.average(log_prob, weights=sample_weight))

    def predict_proba(self, X) -> np.ndarray:
        """Responsibilities of the components for each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify; NaN marks missing values.

        Returns
        -------
        resp : ndarray of shape (n_samples, n_components)
            Each row sums to 1.
        """
        return self._posteriors(X)[0]

    def predict(self, X) -> np.ndarray:
        """Most likely component of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify; NaN marks missing values.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        return self._posteriors(X)[0].argmax(axis=1)

    def sample(self, n_samples: int = 1, random_state=None):
        """Draw rows from the mixture of the expected weights, means and covariances.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw.
        random_state : int, RandomState instance or None, default=None
            Seed; None uses the estimator's ``random_state``.

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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def _exact_prior(value, shape: tuple[int, ...], name: str) -> np.ndarray:
    """A finite float array of exactly ``shape`` (a number for shape ())."""
    if shape and isinstance(value, Real):
        raise ValueError(f"{name} must be an array of shape {shape}, got the number {value!r}.")
    array = check_prior(value, shape, name, lower=None)
    return array if shape else array.reshape(())
