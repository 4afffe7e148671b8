"""Imputation by EM under a Gaussian or a Gaussian mixture."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import TransformerMixin, _fit_context
from sklearn.impute import MissingIndicator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_array, check_is_fitted

from ._dask import check_dask_array, is_dask_array, map_rows
from ._em import EM_CONSTRAINTS, ONLINE_CONSTRAINTS
from ._gaussian import GAUSSIAN_CONSTRAINTS
from ._missing import find_missing
from ._mixture_base import INIT_PARAMS, PRIOR_CONSTRAINTS, _BaseGaussianMixture
from ._utils import log_normalize
from ._validation import check_X, naming_errors, unchanged_on_error

_NAN_AND_PLACEHOLDER = (
    "X contains NaN, but missing_values={!r}: mark missing entries one way only (or set "
    "missing_values=np.nan)."
)


def _is_nan(value) -> bool:
    return isinstance(value, float) and np.isnan(value)


class EMImputer(TransformerMixin, _BaseGaussianMixture):
    """Fill missing values by EM under a Gaussian or a Gaussian mixture.

    Fits a Gaussian (``n_components=1``, the classic EM imputer of R's norm
    and Amelia) or a Gaussian mixture to the observed values by exact EM (the
    E-step marginalises over each row's missing columns), then fills each
    missing entry with its conditional expectation given the row's observed
    values; for a mixture, averaged over the row's responsibilities.

    Parameters
    ----------
    missing_values : float or int, default=np.nan
        The placeholder of missing entries.
    n_components : int, default=1
        Number of mixture components.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        Covariance structure, as in :class:`~emkit.GaussianMixtureEM`.
    reg_covar : float, default=1e-6
        Added to the diagonal of the covariances.
    prior, mean_precision_prior, mean_prior, degrees_of_freedom_prior, \
covariance_prior : default=None
        The conjugate prior, as in :class:`~emkit.GaussianMixtureEM`
        (``prior="conjugate"``: maximum a posteriori estimates, which stay
        positive-definite on copied or collinear columns; see
        :ref:`map-prior`).
    tol : float, default=1e-5
        EM stops when the last gain of the mean observed-data log-likelihood
        per row, and the gains still to come, are below ``tol`` (see
        ``stopping``). The imputed values are known to fewer digits: lower
        ``tol`` for more.
    max_iter : int, default=1000
        Maximum number of EM iterations per restart.
    n_init : int, default=1
        Number of restarts.
    init_params : {"short-em", "kmeans", "k-means++", "random", "random_from_data"}, \
default="short-em"
        The start of a mixture (``n_components > 1``), as in
        :class:`~emkit.GaussianMixtureEM`: by default, short EM runs from 16
        starts, the most promising going on (see :ref:`defaults`). Drawn
        from the data with each missing entry replaced by its column mean,
        on at most 10,000 rows.
    sample_posterior : bool, default=False
        Draw each row's missing values from their conditional distribution
        (component drawn from the responsibilities) instead of filling the
        conditional mean: for multiple imputation. Each ``transform`` draws
        from ``random_state`` afresh, so an int gives the same draws on every
        call: use one ``random_state`` per imputed table.
    add_indicator : bool, default=False
        Append a :class:`~sklearn.impute.MissingIndicator` of the columns that
        had missing values at fit time.
    keep_empty_features : bool, default=False
        Keep columns with no observed value at fit time (their missing entries
        filled with 0) instead of dropping them.
    min_value : float or array-like of shape (n_features,), default=-np.inf
        Smallest value of an imputed entry, for every column or one per column
        of X: imputed values below it are raised to it, observed values are
        left as they are (as in :class:`~sklearn.impute.IterativeImputer`).
        With ``sample_posterior``, the draws are clipped likewise.
    max_value : float or array-like of shape (n_features,), default=np.inf
        Largest value of an imputed entry, as ``min_value``; not below it.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation and ``sample_posterior`` draws.
    n_jobs : int, default=None
        Number of threads: restarts run at once, and each E-step's chunks of
        rows are shared among them. Results do not depend on it.
    verbose : int, default=0
        Verbosity of the fit.
    callback : callable, default=None
        Called after every EM iteration of :meth:`fit` (not :meth:`partial_fit`)
        with an :class:`~emkit.IterationRecord`.
    accelerate : {"squarem", None}, default="squarem"
        ``"squarem"`` extrapolates EM steps (SQUAREM: Varadhan & Roland,
        2008), keeping a step only if it does not lower the log-likelihood;
        EM under missing values converges slowly, and this takes several
        times fewer iterations to the same fit. ``None`` is plain EM.
    stopping : {"aitken", "change"}, default="aitken"
        The stopping rule, as in :class:`~emkit.GaussianMixtureEM`:
        ``"aitken"`` also bounds the gains still to come (Aitken's
        delta-squared estimate), ``"change"`` only the last gain.
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
    weights_, means_, covariances_, precisions_, precisions_cholesky_ : ndarray
        The fitted mixture over the columns kept, as in
        :class:`~emkit.GaussianMixtureEM`.
    n_iter_, converged_, lower_bound_, lower_bounds_
        As in :class:`~emkit.GaussianMixtureEM`.
    indicator_ : MissingIndicator or None
        The indicator appended when ``add_indicator``.
    n_features_in_ : int
        Number of columns seen during ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Column names seen during ``fit``, when X has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from emkit import EMImputer
    >>> X = np.array([[1.0, 2.0], [2.0, 4.1], [3.0, np.nan], [4.0, 7.9], [np.nan, 10.0]])
    >>> EMImputer().fit_transform(X).round(2)
    array([[ 1.  ,  2.  ],
           [ 2.  ,  4.1 ],
           [ 3.  ,  5.97],
           [ 4.  ,  7.9 ],
           [ 5.06, 10.  ]])
    """

    _parameter_constraints: dict = {
        **EM_CONSTRAINTS,
        **ONLINE_CONSTRAINTS,
        **GAUSSIAN_CONSTRAINTS,
        "missing_values": [Real],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "init_params": [INIT_PARAMS],
        "sample_posterior": ["boolean"],
        "add_indicator": ["boolean"],
        "keep_empty_features": ["boolean"],
        "min_value": [Interval(Real, None, None, closed="both"), "array-like"],
        "max_value": [Interval(Real, None, None, closed="both"), "array-like"],
        **PRIOR_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        missing_values=np.nan,
        n_components: int = 1,
        covariance_type: str = "full",
        reg_covar: float = 1e-6,
        prior: str | None = None,
        mean_precision_prior: float | None = None,
        mean_prior=None,
        degrees_of_freedom_prior: float | None = None,
        covariance_prior=None,
        tol: float = 1e-5,
        max_iter: int = 1000,
        n_init: int = 1,
        init_params: str = "short-em",
        sample_posterior: bool = False,
        add_indicator: bool = False,
        keep_empty_features: bool = False,
        min_value=-np.inf,
        max_value=np.inf,
        random_state=None,
        n_jobs: int | None = None,
        verbose: int = 0,
        callback=None,
        accelerate="squarem",
        stopping: str = "aitken",
        learning_decay: float = 0.7,
        learning_offset: float = 10.0,
        batch_size: int = 1024,
    ):
        self.missing_values = missing_values
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.reg_covar = reg_covar
        self.prior = prior
        self.mean_precision_prior = mean_precision_prior
        self.mean_prior = mean_prior
        self.degrees_of_freedom_prior = degrees_of_freedom_prior
        self.covariance_prior = covariance_prior
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.sample_posterior = sample_posterior
        self.add_indicator = add_indicator
        self.keep_empty_features = keep_empty_features
        self.min_value = min_value
        self.max_value = max_value
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.callback = callback
        self.accelerate = accelerate
        self.stopping = stopping
        self.learning_decay = learning_decay
        self.learning_offset = learning_offset
        self.batch_size = batch_size

    def _as_nan(self, X, reset: bool) -> np.ndarray:
        """Validated float X with missing entries as NaN."""
        if is_dask_array(X):
            X = check_dask_array(self, X, reset=reset)
            if _is_nan(self.missing_values):
                return X
            if np.isnan(X).any().compute():
                raise ValueError(_NAN_AND_PLACEHOLDER.format(self.missing_values))
            return X.map_blocks(lambda rows: np.where(rows == self.missing_values, np.nan, rows))
        X = check_X(self, X, reset=reset, copy=not _is_nan(self.missing_values))
        if not _is_nan(self.missing_values):
            if np.isnan(X).any():
                raise ValueError(_NAN_AND_PLACEHOLDER.format(self.missing_values))
            X[X == self.missing_values] = np.nan
        return X

    def _limits(self, n_features: int) -> tuple[np.ndarray, np.ndarray]:
        """``min_value`` and ``max_value``: one bound per column of X each, checked."""
        bounds = []
        for name in ("min_value", "max_value"):
            given = getattr(self, name)
            with naming_errors(name):
                value = check_array(
                    np.atleast_1d(given),
                    ensure_2d=False,
                    dtype=np.float64,
                    ensure_all_finite=False,
                )
            if np.ndim(given) == 0:  # one bound for every column
                value = np.repeat(value, n_features)
            if value.shape != (n_features,):
                raise ValueError(
                    f"{name} must be a number or have shape ({n_features},), one bound "
                    f"per column of X, got shape {value.shape}."
                )
            if np.isnan(value).any():
                raise ValueError(f"{name} must not be NaN.")
            bounds.append(value)
        lower, upper = bounds
        if np.any(lower > upper):
            columns = np.flatnonzero(lower > upper)
            raise ValueError(
                f"min_value must not exceed max_value; it does for column(s) "
                f"{columns[:5].tolist()}."
            )
        return lower, upper

    def _clip_imputed(self, filled: np.ndarray, X_all: np.ndarray) -> np.ndarray:
        """``filled`` with its imputed entries (NaN in ``X_all``) clipped to the limits."""
        lower, upper = self._limits(X_all.shape[1])
        columns = slice(None) if self.keep_empty_features else self._kept
        dtype = filled.dtype  # float32 stays float32
        clipped = np.clip(filled, lower[columns].astype(dtype), upper[columns].astype(dtype))
        return np.where(np.isnan(X_all[:, columns]), clipped, filled)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Fit the Gaussian (mixture) to the observed values by EM.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with missing entries; a Dask array runs the E-steps on its
            blocks, and ``transform`` of a Dask array is lazy.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights.

        Returns
        -------
        self : EMImputer
            The fitted imputer.
        """
        with unchanged_on_error(self):
            X = self._as_nan(X, reset=True)
            self._limits(X.shape[1])
            self._fit_em(self._start(X), sample_weight)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the imputer's Gaussian (mixture) with the rows of X, by stepwise EM.

        As :meth:`GaussianMixtureEM.partial_fit`: mini-batches of
        ``batch_size`` rows, step size ``(learning_offset + t) **
        -learning_decay``, and the first call on an unfitted imputer
        initialises on X, whose columns without any observed value are
        dropped (and whose missing values the indicator of ``add_indicator``
        records).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A batch of rows with missing entries.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights.

        Returns
        -------
        self : EMImputer
            The updated imputer.

        Examples
        --------
        >>> import numpy as np
        >>> from emkit import EMImputer
        >>> rng = np.random.RandomState(0)
        >>> X = rng.multivariate_normal([0, 0], [[1, 0.9], [0.9, 1]], 50_000)
        >>> X[rng.rand(*X.shape) < 0.2] = np.nan
        >>> imputer = EMImputer()
        >>> for batch in np.array_split(X, 50):
        ...     imputer = imputer.partial_fit(batch)
        >>> imputer.covariances_[0].round(1)
        array([[1. , 0.9],
               [0.9, 1. ]])
        >>> imputer.transform([[2.0, np.nan]]).round(1)
        array([[2. , 1.8]])
        """
        with unchanged_on_error(self):
            first = not hasattr(self, "means_")
            X = self._as_nan(X, reset=first)
            self._limits(X.shape[1])
            X = self._start(X) if first else X[:, self._kept]
            self._partial_fit_em(X, sample_weight)
        return self

    def _start(self, X) -> np.ndarray:
        """The columns of X to model; records them, and fits the missing indicator."""
        missing = np.isnan(X)
        self._kept = ~np.asarray(missing.all(axis=0))
        if not self._kept.any():
            raise ValueError("X has no observed value at all.")
        self.indicator_ = None
        if self.add_indicator:
            # The indicator depends only on which columns have missing values.
            marks = np.where(np.asarray(missing.any(axis=0)), np.nan, 0.0)[None]
            self.indicator_ = MissingIndicator(error_on_new=False).fit(marks)
        return X[:, self._kept]

    def _kept_columns(self, X, reset=False) -> np.ndarray:
        check_is_fitted(self)
        return self._as_nan(X, reset=reset)[:, self._kept]

    def transform(self, X) -> np.ndarray:
        """Fill the missing entries of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with missing entries, in any pattern.

        Returns
        -------
        X_imputed : ndarray of shape (n_samples, n_features_out)
            X with its missing entries filled (observed entries unchanged),
            within ``min_value`` and ``max_value``;
            empty columns dropped unless ``keep_empty_features``; the missing
            indicator appended if ``add_indicator``.
        """
        check_is_fitted(self)
        if is_dask_array(X):
            if self.sample_posterior:
                raise ValueError(
                    "sample_posterior=True cannot draw on a Dask array: each block would "
                    "repeat random_state's draws. Transform a NumPy array instead."
                )
            return self._by_blocks(self.transform, X, len(self.get_feature_names_out()))
        X_all = self._as_nan(X, reset=False)
        X = X_all[:, self._kept]
        missing = find_missing(X)
        model = self._model(X.shape[1])
        conditioned = model._log_joint(self._params(), X, missing, statistics=False)
        W, _ = log_normalize(conditioned.log_prob)
        if self.sample_posterior:
            args = (X, W, self.means_, self.precisions_cholesky_, missing)
            rng = check_random_state(self.random_state)
            filled = model.gaussian.conditional_samples(*args, rng)
        else:
            filled = conditioned.expectations(W)
        if self.keep_empty_features:  # empty at fit time: observed values kept, NaN -> 0
            out = np.where(np.isnan(X_all), 0.0, X_all)
            out[:, self._kept] = filled
            filled = out
        filled = self._clip_imputed(filled, X_all)
        if self.indicator_ is not None:
            filled = np.hstack([filled, self.indicator_.transform(X_all)])
        return filled

    def predict_proba(self, X) -> np.ndarray:
        """Responsibilities of the components given each row's observed values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with missing entries.

        Returns
        -------
        resp : ndarray of shape (n_samples, n_components)
            Rows sum to 1; a row with nothing observed gets ``weights_``.
        """
        if is_dask_array(X):
            return self._by_blocks(self.predict_proba, X, len(self.weights_))
        return self._posteriors(self._kept_columns(X))[0]

    def score_samples(self, X) -> np.ndarray:
        """Log-likelihood of each row's observed values (0, up to rounding, if none).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with missing entries.

        Returns
        -------
        log_prob : ndarray of shape (n_samples,)
            Marginal log-density of the observed values of each row.
        """
        if is_dask_array(X):
            return self._by_blocks(self.score_samples, X, None)
        return self._posteriors(self._kept_columns(X))[1]

    def _by_blocks(self, method, X, n_columns: int | None):
        """``method`` on each block of rows of the Dask array X, lazily."""
        check_is_fitted(self)
        X = check_dask_array(self, X, reset=False)
        return map_rows(method, X, n_columns, X.dtype)

    def score(self, X, y=None) -> float:
        """Mean observed-data log-likelihood per row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with missing entries.
        y : None
            Ignored.

        Returns
        -------
        log_likelihood : float
            Mean of :meth:`score_samples`.
        """
        return float(self.score_samples(X).mean())

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the output columns.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Input column names; ``feature_names_in_`` or ``x0, x1, ...`` if None.

        Returns
        -------
        feature_names_out : ndarray of str
            Kept columns, then ``missingindicator_<name>`` columns.
        """
        check_is_fitted(self)
        if input_features is None:
            input_features = getattr(
                self, "feature_names_in_", [f"x{i}" for i in range(self.n_features_in_)]
            )
        input_features = np.asarray(input_features, dtype=object)
        if len(input_features) != self.n_features_in_:
            raise ValueError(
                f"input_features should have length {self.n_features_in_}, "
                f"got {len(input_features)}."
            )
        names = input_features if self.keep_empty_features else input_features[self._kept]
        if self.indicator_ is not None:
            indicated = input_features[self.indicator_.features_]
            names = np.r_[names, [f"missingindicator_{name}" for name in indicated]]
        return np.asarray(names, dtype=object)
