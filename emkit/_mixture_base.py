"""The Gaussian-mixture model for the driver, and the estimator base that
GaussianMixtureEM and EMImputer share (no estimator module imports another)."""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from functools import partial, reduce
from numbers import Real

import numpy as np
from scipy.special import softmax
from sklearn.base import BaseEstimator
from sklearn.cluster import kmeans_plusplus
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ._dask import DaskRows, is_dask_array
from ._em import (
    RowData,
    chunk_rows,
    fit_em,
    fitted_copy,
    partial_fit_em,
    set_fit_attributes,
)
from ._gaussian import Gaussian, GaussianPrior
from ._inference import mixture_log_prob
from ._missing import check_observed_columns, fill_with_column_means, find_missing
from ._starts import kmeans_labels, seed_labels
from ._utils import batches, column_sums, log_normalize
from ._validation import (
    check_finite_array,
    check_positive_definite,
    check_probabilities,
    check_sample_weight,
)

# The conjugate prior's hyperparameters, by scikit-learn's BayesianGaussianMixture names.
PRIOR_HYPERPARAMETERS = (
    "mean_precision_prior",
    "mean_prior",
    "degrees_of_freedom_prior",
    "covariance_prior",
)
PRIOR_CONSTRAINTS: dict = {
    "prior": [StrOptions({"conjugate"}), None],
    "mean_precision_prior": [Interval(Real, 0.0, None, closed="neither"), None],
    "mean_prior": ["array-like", None],
    "degrees_of_freedom_prior": [Interval(Real, 0.0, None, closed="neither"), None],
    "covariance_prior": [Interval(Real, 0.0, None, closed="neither"), "array-like", None],
}

# The starts of a Gaussian mixture: scikit-learn's four, and the exploring one.
INIT_PARAMS = StrOptions({"short-em", "kmeans", "k-means++", "random", "random_from_data"})


@dataclass(frozen=True)
class MixtureParams:
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    precisions_cholesky: np.ndarray


def _gaussian_part(params: MixtureParams) -> tuple:
    return params.means, params.covariances, params.precisions_cholesky


class GaussianMixtureModel:
    """The E-step and M-step of a Gaussian mixture, for the driver.

    ``weights_init``, ``means_init`` and ``precisions_init`` are validated
    arrays or None; any that is None is estimated from initial
    responsibilities drawn by ``init_params``, as scikit-learn does.
    """

    def __init__(
        self,
        n_components: int,
        gaussian: Gaussian,
        init_params: str = "short-em",
        weights_init=None,
        means_init=None,
        precisions_init=None,
        prior: GaussianPrior | None = None,
    ):
        self.n_components = n_components
        self.gaussian = gaussian
        self.init_params_method = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.prior = prior

    @property
    def explores(self) -> bool:
        """Whether the driver starts from the best of short runs (``init_params="short-em"``)."""
        given = (self.weights_init, self.means_init, self.precisions_init)
        return (
            self.init_params_method == "short-em"
            and self.n_components > 1
            and all(value is None for value in given)
        )

    def collapsed(self, params: MixtureParams, total_weight: float) -> bool:
        """Whether a component is spurious (see ``Gaussian.collapsed``)."""
        nk = params.weights * total_weight
        return self.gaussian.collapsed(params.covariances, nk, params.means.shape[1])

    def row_bytes(self, X) -> int:
        """Bytes of the E-step's temporaries per row of X."""
        return X.itemsize * self.n_components * (X.shape[1] + 4)

    def _initial_responsibilities(self, X, sample_weight, rng, method: str):
        """Initial responsibilities: each row's component (-1: none), or a matrix ("random")."""
        n_samples, k = X.shape[0], self.n_components
        labels = np.full(n_samples, -1)
        if k == 1:  # every method gives the same single component
            labels[:] = 0
        elif method == "kmeans":
            labels = kmeans_labels(X, sample_weight, k, rng)
        elif method == "short-em":  # one seed of the exploring start
            labels = seed_labels(X, sample_weight, k, rng)
        elif method == "k-means++":
            _, indices = kmeans_plusplus(X, k, random_state=rng, sample_weight=sample_weight)
            labels[indices] = np.arange(k)
        elif method == "random":
            resp = rng.uniform(size=(n_samples, k)).astype(X.dtype)
            return resp / resp.sum(axis=1)[:, np.newaxis]
        else:  # "random_from_data": only rows of positive weight can be picked
            uniform = np.all(sample_weight == sample_weight[0])
            p = None if uniform else sample_weight / sample_weight.sum()
            labels[rng.choice(n_samples, size=k, replace=False, p=p)] = np.arange(k)
        return labels

    def init_params(self, data: RowData, rng, method: str | None = None) -> MixtureParams:
        """Initial parameters by ``method`` (``init_params`` if None), on a sample of big data."""
        given = (self.weights_init, self.means_init, self.precisions_init)
        if any(value is None for value in given):
            estimated = self._estimate(*self.initial_statistics(data, rng, method))
        else:
            estimated = None
        weights = estimated.weights if self.weights_init is None else self.weights_init
        means = estimated.means if self.means_init is None else self.means_init
        if self.precisions_init is None:
            covariances = estimated.covariances
            precisions_cholesky = estimated.precisions_cholesky
        else:
            covariance = self.gaussian.covariance
            covariances = covariance.inverse(self.precisions_init)
            precisions_cholesky = covariance.precision_cholesky(covariances)
        return MixtureParams(weights, means, covariances, precisions_cholesky)

    def initial_statistics(self, data: RowData, rng, method: str | None = None):
        """Statistics of the initial responsibilities by ``method`` (``init_params`` if
        None) on a sample of big data, and the centres they are centred on."""
        data = data.rows_for_init(rng)
        X, w = fill_with_column_means(data.X, data.sample_weight), data.sample_weight
        resp = self._initial_responsibilities(X, w, rng, method or self.init_params_method)
        # Chunk by chunk: a dense copy of the responsibilities would be the
        # largest array of a large fit.
        blocks = batches(len(X), chunk_rows(self.row_bytes(X), len(X)))

        def weights(batch):
            W = resp[batch]
            if W.ndim == 1:  # one-hot
                W = W[:, None] == np.arange(self.n_components)
            return W * w[batch, None]

        nk = sum(column_sums(weights(b)) for b in blocks) + 10 * np.finfo(X.dtype).eps
        centres = sum(weights(b).T @ X[b] for b in blocks) / nk[:, None]
        stats = (self.gaussian.statistics(X[b], weights(b), centres) for b in blocks)
        return reduce(operator.add, stats), centres

    def log_joint(self, params: MixtureParams, X, missing=None) -> np.ndarray:
        """log p(x_i, z_i = k) for every row and component (of observed values)."""
        return self._log_joint(params, X, missing, statistics=False).log_prob

    def _log_joint(self, params: MixtureParams, X, missing, statistics: bool = True):
        """``Gaussian.condition`` with the log weights added to the log-densities."""
        conditioned = self.gaussian.condition(
            X, params.means, params.precisions_cholesky, missing, statistics
        )
        log_prob = conditioned.log_prob
        with np.errstate(divide="ignore"):
            log_prob += np.log(params.weights)
        return conditioned

    def e_step(self, params: MixtureParams, chunk: RowData):
        if self.n_components == 1:  # every responsibility is 1
            args = (chunk.X, chunk.sample_weight, params.means, params.precisions_cholesky)
            return self.gaussian.single_e_step(*args, chunk.missing)
        conditioned = self._log_joint(params, chunk.X, chunk.missing)
        W, log_norm = log_normalize(conditioned.log_prob)
        W *= chunk.sample_weight[:, None]
        return conditioned.statistics(W), float(chunk.sample_weight @ log_norm)

    def m_step(self, stats, params: MixtureParams) -> MixtureParams:
        return self._estimate(stats, params.means)

    def _estimate(self, stats, centres) -> MixtureParams:
        means, covariances, precisions_cholesky = self.gaussian.estimate(
            stats, centres, self.prior
        )
        nk = stats.nk + 10 * np.finfo(stats.nk.dtype).eps
        return MixtureParams(nk / nk.sum(), means, covariances, precisions_cholesky)

    def log_prior(self, params: MixtureParams) -> float:
        return self.gaussian.log_prior(self.prior, *_gaussian_part(params))

    def recentred(self, stats, old: MixtureParams, new: MixtureParams):
        return self.gaussian.recentred(stats, old.means, new.means)

    def divergences(self, a: MixtureParams, b: MixtureParams) -> np.ndarray:
        """Divergences between the components of two mixtures (see ``align_components``)."""
        return self.gaussian.divergences(_gaussian_part(a), _gaussian_part(b))

    def permuted(self, params: MixtureParams, order: np.ndarray) -> MixtureParams:
        """The mixture with its components in order ``order``."""
        return MixtureParams(
            params.weights[order], *self.gaussian.permuted(_gaussian_part(params), order)
        )

    def unconstrained(self, params: MixtureParams) -> tuple:
        return (
            np.log(params.weights),
            *self.gaussian.unconstrained(params.means, params.covariances),
        )

    def from_unconstrained(self, values) -> MixtureParams:
        log_weights, means, covariances = values
        return MixtureParams(
            softmax(log_weights), *self.gaussian.from_unconstrained(means, covariances)
        )

    def n_parameters(self, params: MixtureParams) -> int:
        n_features = params.means.shape[1]
        n_gaussian = self.gaussian.n_parameters(self.n_components, n_features)
        return n_gaussian + self.n_components - 1

    def side_by_side(self) -> SideBySide | None:
        """Mixtures that run EM side by side (the exploring start's runs), or None with
        a prior."""
        return None if self.prior is not None else SideBySide(self)


class SideBySide:
    """Mixtures of one ``GaussianMixtureModel`` that run EM side by side.

    The exploring start runs EM from many starts on small data, where calling
    NumPy costs more than its arithmetic. Stacked as the components of one
    ``Gaussian`` family (``tied``: one covariance per mixture), each E-step
    and M-step serves every mixture at once, with the model's own formulas:
    each mixture's responsibilities, statistics and estimates are those of its
    run alone, up to rounding.
    """

    def __init__(self, model: GaussianMixtureModel):
        self.n_components = model.n_components
        self.single = model.gaussian
        self.covariance_type = model.gaussian.covariance.name
        self.gaussian = Gaussian(
            self.covariance_type, model.gaussian.reg_covar, mixture_size=model.n_components
        )

    def stack(self, runs: list[MixtureParams]) -> MixtureParams:
        k, d = len(runs) * self.n_components, runs[0].means.shape[1]
        shape = self.gaussian.covariance.shape(k, d)
        return MixtureParams(
            np.stack([run.weights for run in runs]),
            np.concatenate([run.means for run in runs]),
            np.stack([run.covariances for run in runs]).reshape(shape),
            np.stack([run.precisions_cholesky for run in runs]).reshape(shape),
        )

    def unstack(self, params: MixtureParams) -> list[MixtureParams]:
        (n_runs, k), d = params.weights.shape, params.means.shape[1]
        shape = (n_runs, *self.single.covariance.shape(k, d))
        covariances = params.covariances.reshape(shape)
        precisions_cholesky = params.precisions_cholesky.reshape(shape)
        return [
            MixtureParams(params.weights[j], params.means[j * k : (j + 1) * k], *parts)
            for j, parts in enumerate(zip(covariances, precisions_cholesky, strict=True))
        ]

    def e_step(self, params: MixtureParams, chunk: RowData):
        """Summed statistics, and each mixture's weighted log-likelihood."""
        conditioned = self.gaussian.condition(
            chunk.X, params.means, params.precisions_cholesky, chunk.missing
        )
        with np.errstate(divide="ignore"):
            log_weights = np.log(params.weights)
        log_norm, W = mixture_log_prob(conditioned.log_prob, log_weights)
        W *= chunk.sample_weight[:, None]
        return conditioned.statistics(W), chunk.sample_weight @ log_norm

    def m_step(self, stats, params: MixtureParams) -> MixtureParams:
        means, covariances, precisions_cholesky = self.gaussian.estimate(stats, params.means)
        nk = stats.nk.reshape(params.weights.shape) + 10 * np.finfo(stats.nk.dtype).eps
        weights = nk / nk.sum(axis=1, keepdims=True)
        return MixtureParams(weights, means, covariances, precisions_cholesky)


class ConjugatePrior:
    """``prior="conjugate"`` of a Gaussian estimator: its hyperparameters."""

    def _hyperparameters(self, X, sample_weight, n_components: int) -> dict | None:
        """The conjugate prior's hyperparameters (None without ``prior``): of the fit
        (X None), or those given with data-based defaults from X."""
        if getattr(self, "prior", None) is None:
            return None
        if X is None:  # the fit's (none if it had no prior)
            if not hasattr(self, "mean_prior_"):
                return None
            return {name: getattr(self, f"{name}_") for name in PRIOR_HYPERPARAMETERS}
        given = {name: getattr(self, name) for name in PRIOR_HYPERPARAMETERS}
        gaussian = Gaussian(self.covariance_type, self.reg_covar)
        return gaussian.conjugate_hyperparameters(given, X, sample_weight, n_components)

    def _set_hyperparameters(self, hyper: dict | None) -> None:
        for name in PRIOR_HYPERPARAMETERS:
            if hyper is None:
                self.__dict__.pop(f"{name}_", None)
            else:
                setattr(self, f"{name}_", hyper[name])


class _BaseGaussianMixture(ConjugatePrior, BaseEstimator):
    """The fit and criteria shared by GaussianMixtureEM and EMImputer (X may hold NaN)."""

    def _model(self, n_features: int, dtype=np.float64, hyper=None) -> GaussianMixtureModel:
        """The model for the driver, with initial parameters validated as ``dtype`` (X's),
        and the conjugate prior of hyperparameters ``hyper`` (``_hyperparameters``)."""
        k = self.n_components
        gaussian = Gaussian(self.covariance_type, self.reg_covar)
        prior = None if hyper is None else gaussian.conjugate_prior(hyper, k)
        weights = getattr(self, "weights_init", None)
        means = getattr(self, "means_init", None)
        precisions = getattr(self, "precisions_init", None)
        if weights is not None:
            weights = check_probabilities(weights, (k,), "weights_init", dtype)
        if means is not None:
            means = check_finite_array(means, (k, n_features), "means_init", dtype)
        if precisions is not None:
            shape = gaussian.covariance.shape(k, n_features)
            precisions = check_finite_array(precisions, shape, "precisions_init", dtype)
            matrices = gaussian.covariance.full_matrices(precisions, k, n_features)
            check_positive_definite(matrices, "precisions_init")
        return GaussianMixtureModel(
            k, gaussian, self.init_params, weights, means, precisions, prior
        )

    def _fitted_model(self) -> GaussianMixtureModel:
        """The model of the fitted parameters."""
        return self._model(
            self.means_.shape[1], hyper=self._hyperparameters(None, None, self.n_components)
        )

    def _params(self) -> MixtureParams:
        return MixtureParams(
            self.weights_, self.means_, self.covariances_, self.precisions_cholesky_
        )

    def _warm_start(self, n_features: int):
        if not (getattr(self, "warm_start", False) and hasattr(self, "converged_")):
            return None
        params = self._continued("warm_start=True", "set warm_start=False", n_features)
        return params, self.lower_bound_

    def _continued(self, what: str, instead: str, n_features: int) -> MixtureParams:
        """The fitted parameters, to go on from; raises if the settings have changed."""
        covariance = Gaussian(self.covariance_type, self.reg_covar).covariance
        # Loaded by from_json: the covariance type is that of the file's fit.
        fitted_type = getattr(self, "_fitted_covariance_type", self.covariance_type)
        if (
            self.means_.shape != (self.n_components, n_features)
            or self.covariances_.shape != covariance.shape(self.n_components, n_features)
            or fitted_type != self.covariance_type
        ):
            raise ValueError(
                f"{what} continues the previous fit, which had "
                f"n_components={self.means_.shape[0]}, n_features={self.means_.shape[1]} "
                f"and covariance_type={fitted_type!r}; {instead} to fit a different model."
            )
        return self._params()

    def _check_first_data(self, X, sample_weight) -> None:
        """Raise if X, with its validated weights, cannot initialise the mixture.

        A Dask array's values (and weights, None here) are checked by ``DaskRows``.
        """
        if X.shape[0] < self.n_components:
            raise ValueError(
                f"X: expected n_samples >= n_components but got n_components = "
                f"{self.n_components}, n_samples = {X.shape[0]}."
            )
        if not is_dask_array(X):
            check_observed_columns(X, sample_weight)
            self._check_weighted_rows(np.count_nonzero(sample_weight))

    def _check_weighted_rows(self, n_weighted: int) -> None:
        if n_weighted < self.n_components:
            raise ValueError(
                f"sample_weight is positive on {n_weighted} row(s) only, fewer than "
                f"n_components = {self.n_components}."
            )

    def _fit_em(self, X, sample_weight) -> None:
        if is_dask_array(X):
            self._check_first_data(X, None)
            data = DaskRows.create(X, sample_weight)
            self._check_weighted_rows(data.n_weighted)
        else:
            data = RowData(X, check_sample_weight(sample_weight, X.shape[0], X.dtype))
            self._check_first_data(X, data.sample_weight)
        n_features = X.shape[1]
        hyper = self._hyperparameters(X, data.sample_weight, self.n_components)
        model = self._model(n_features, X.dtype, hyper)
        result = fit_em(
            model,
            data,
            row_bytes=model.row_bytes(X),
            n_init=self.n_init,
            tol=self.tol,
            max_iter=self.max_iter,
            random_state=check_random_state(self.random_state),
            n_jobs=self.n_jobs,
            verbose=self.verbose,
            verbose_interval=getattr(self, "verbose_interval", 10),
            callback=self.callback,
            warm_start=self._warm_start(n_features),
            accelerate=self.accelerate,
            stopping=self.stopping,
            fitted=partial(fitted_copy, self, model),
            estimator=self,
        )
        set_fit_attributes(self, model, result)
        self._set_hyperparameters(hyper)
        self._online = None  # a later partial_fit starts a stream from this fit

    def _partial_fit_em(self, X, sample_weight) -> None:
        """Stepwise EM on X; the first call (without a fit before) initialises on X."""
        data = RowData(X, check_sample_weight(sample_weight, X.shape[0], X.dtype))
        fitted_prior = hasattr(self, "means_") and hasattr(self, "mean_prior_")
        X_prior = None if fitted_prior else X
        hyper = self._hyperparameters(X_prior, data.sample_weight, self.n_components)
        model = self._model(X.shape[1], X.dtype, hyper)

        fitted = None
        if hasattr(self, "means_"):  # raises if the settings have changed since
            fitted = self._continued("partial_fit", "call fit", X.shape[1])

        def start() -> MixtureParams:
            if fitted is not None:
                return fitted
            self._check_first_data(X, data.sample_weight)
            # Stepwise EM cannot run the exploring start's short runs: k-means instead.
            method = "kmeans" if model.explores else None
            return model.init_params(data, check_random_state(self.random_state), method)

        partial_fit_em(self, model, data, model.row_bytes(X), start)
        self._set_hyperparameters(hyper)

    def _set_fitted(self, model, params: MixtureParams) -> None:
        self._fitted_covariance_type = model.gaussian.covariance.name
        self.weights_ = params.weights
        self.means_ = params.means
        self.covariances_ = params.covariances
        self.precisions_cholesky_ = params.precisions_cholesky
        self.precisions_ = model.gaussian.covariance.precisions(params.precisions_cholesky)

    def _posteriors(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Responsibilities given the observed values, and log p(observed values)."""
        return log_normalize(self._model(X.shape[1]).log_joint(self._params(), X, find_missing(X)))

    def _n_parameters(self) -> int:
        return self._fitted_model().n_parameters(self._params())

    def _criterion(self, X, sample_weight, penalty_per_parameter) -> float:
        log_prob = self.score_samples(X)
        sample_weight = check_sample_weight(sample_weight, len(log_prob), log_prob.dtype)
        penalty = penalty_per_parameter(float(sample_weight.sum()))
        return float(-2 * (sample_weight @ log_prob) + self._n_parameters() * penalty)

    def bic(self, X, sample_weight=None) -> float:
        """Bayesian information criterion on X (lower is better).

        The log-likelihood is that of the observed values: NaN (or
        ``missing_values``) entries are marginalised out, as in
        :meth:`score_samples`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights; the sample size is their sum.

        Returns
        -------
        bic : float
            ``-2 log L + n_parameters * log(n_samples)``.

        Examples
        --------
        On data with missing values, GaussianMixtureEM and EMImputer fit the
        same mixture and give the same criterion:

        >>> import numpy as np
        >>> from emkit import EMImputer, GaussianMixtureEM
        >>> rng = np.random.RandomState(0)
        >>> X = rng.multivariate_normal([0, 0], [[1, 0.8], [0.8, 1]], size=200)
        >>> X[rng.rand(*X.shape) < 0.2] = np.nan
        >>> gm, imputer = GaussianMixtureEM().fit(X), EMImputer().fit(X)
        >>> print(f"{gm.bic(X):.2f} {imputer.bic(X):.2f}")
        794.17 794.17
        """
        return self._criterion(X, sample_weight, math.log)

    def aic(self, X, sample_weight=None) -> float:
        """Akaike information criterion on X (lower is better).

        The log-likelihood is that of the observed values, as in :meth:`bic`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        Returns
        -------
        aic : float
            ``-2 log L + 2 n_parameters``.
        """
        return self._criterion(X, sample_weight, lambda n: 2.0)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def sample_mixture(weights, means, covariances, covariance, n_samples, rng):
    """``n_samples`` rows drawn from a Gaussian mixture, grouped by component, and the
    component of each; ``covariance`` is the covariance type's object."""
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
    k, n_features = means.shape
    counts = rng.multinomial(n_samples, weights)
    factors = np.linalg.cholesky(covariance.full_matrices(covariances, k, n_features))
    X = np.vstack(
        [
            mean + rng.standard_normal((count, n_features)) @ factor.T
            for mean, factor, count in zip(means, factors, counts)
        ]
    )
    return X, np.repeat(np.arange(k), counts)
