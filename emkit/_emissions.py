"""Emission models shared by HMMEM and SemiSupervisedEM.

An emission gives, for its parameters, the log-density of every row under
every component (``log_prob``); the same, with the statistics of the rows
weighted by a matrix ``W`` of shape (n_samples, n_components) on demand
(``condition(...).statistics(W)``); the parameters from summed statistics
(``estimate``); and the unconstrained coordinates used by SQUAREM. Names in
``update`` are the parameters the M-step changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from numbers import Integral
from typing import Any, NamedTuple

import numpy as np
from scipy.special import log_softmax, softmax
from sklearn.utils.validation import check_array, check_non_negative

from ._categorical import (
    categorical_counts,
    multinomial_counts,
    multinomial_log_prob,
    poisson_log_prob,
    poisson_statistics,
)
from ._gaussian import Conditioned, Gaussian, GaussianStats
from ._inference import categorical_log_prob, mixture_log_prob
from ._missing import check_observed_columns, fill_with_column_means
from ._starts import kmeans_centres, seed_centres
from ._utils import log_dirichlet, normalize_rows
from ._validation import (
    check_finite_array,
    check_positive_definite,
    check_prior,
    check_probabilities,
    check_X,
    naming_errors,
)

# A Poisson rate of exactly 0 makes any positive count impossible (and 0 * log 0
# undefined); rates are kept at least this large.
_MIN_LAMBDA = 1e-10


class GaussianParams(NamedTuple):
    means: np.ndarray
    covars: np.ndarray
    precisions_cholesky: np.ndarray


class GaussianMixtureParams(NamedTuple):
    """Mixture weights (n_states, n_mix), and the Gaussian parameters of the
    ``n_states * n_mix`` components, state by state."""

    weights: np.ndarray
    means: np.ndarray
    covars: np.ndarray
    precisions_cholesky: np.ndarray


class CategoricalParams(NamedTuple):
    emissionprob: np.ndarray


class MultinomialParams(NamedTuple):
    feature_log_prob: np.ndarray


class PoissonParams(NamedTuple):
    lambdas: np.ndarray


_TINY = np.finfo(float).tiny


@dataclass(frozen=True)
class Scored:
    """Log-probabilities of rows under every component, and the rows' statistics on demand.

    What ``condition`` returns; the Gaussian's ``Conditioned`` answers the
    same, and keeps the incomplete rows conditioned for the statistics.
    """

    log_prob: np.ndarray
    statistics: Callable[[np.ndarray], Any]


class _Scoring:
    """``condition`` of the emissions whose statistics reuse nothing of ``log_prob``."""

    def collapsed(self, params, nk) -> bool:
        """Whether a component is spurious: never, for counts and symbols."""
        return False

    def set_priors(self, priors: dict, n_states: int, n_features: int) -> None:
        """Take the estimator's priors that concern this emission (none here), checked."""

    def condition(self, params, X, missing=None) -> Scored:
        return Scored(self.log_prob(params, X, missing), partial(self.statistics, params, X))


def _symmetric_kl(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """sum_f (a_if - b_jf)(log a_if - log b_jf) for every i, j: the symmetric
    Kullback-Leibler divergence of categorical distributions (rows of
    probabilities) or of independent Poisson rates."""
    log_a, log_b = np.log(np.maximum(a, _TINY)), np.log(np.maximum(b, _TINY))
    return np.einsum("ijf,ijf->ij", a[:, None] - b[None], log_a[:, None] - log_b[None])


def _initial_centres(X, n_states: int, method: str, rng) -> np.ndarray:
    """One centre per state: k-means cluster centres, k-means++ seeds (a seed of the
    exploring start), or distinct rows drawn at random."""
    if method == "kmeans":
        return kmeans_centres(X, n_states, rng)
    if method == "short-em":
        return seed_centres(X, np.ones(len(X)), n_states, rng)
    return X[rng.choice(len(X), n_states, replace=False)]


def _check_real_X(estimator, X, reset: bool) -> np.ndarray:
    """Real rows, NaN allowed; at fit, every column observed somewhere."""
    X = check_X(estimator, X, reset=reset)
    if reset:
        check_observed_columns(X)
    return X


class GaussianEmission:
    names = ("means", "covars")

    def __init__(self, covariance_type: str, reg_covar: float):
        self.gaussian = Gaussian(covariance_type, reg_covar)
        self.prior = None  # a GaussianPrior: MAP estimates

    def set_priors(self, priors: dict, n_states: int, n_features: int) -> None:
        names = ("means_prior", "means_weight", "covars_prior", "covars_weight")
        self.prior = self.gaussian.prior(*(priors[name] for name in names), n_states, n_features)

    def check_X(self, estimator, X, reset: bool) -> np.ndarray:
        return _check_real_X(estimator, X, reset)

    def check_init(self, given: dict, n_states: int, n_features: int) -> dict:
        covariance = self.gaussian.covariance
        checked = {}
        if given.get("means") is not None:
            checked["means"] = check_finite_array(
                given["means"], (n_states, n_features), "means_init"
            )
        if given.get("covars") is not None:
            covars = check_finite_array(
                given["covars"], covariance.shape(n_states, n_features), "covars_init"
            )
            matrices = covariance.full_matrices(covars, n_states, n_features)
            check_positive_definite(matrices, "covars_init")
            checked["covars"] = covars
        return checked

    def init(self, X, n_states, method, given, rng) -> GaussianParams:
        covariance = self.gaussian.covariance
        X = fill_with_column_means(X, np.ones(len(X)))
        means = given.get("means")
        if means is None:
            means = _initial_centres(X, n_states, method, rng)
        covars = given.get("covars")
        if covars is None:
            # The covariance of all the data, for every state.
            centre = X.mean(axis=0, keepdims=True)
            stats = self.gaussian.statistics(X, np.ones((len(X), 1), X.dtype), centre)
            _, one, _ = self.gaussian.estimate(stats, centre)
            covars = np.broadcast_to(one, covariance.shape(n_states, X.shape[1])).copy()
        return GaussianParams(means, covars, covariance.precision_cholesky(covars))

    def collapsed(self, params: GaussianParams, nk) -> bool:
        """Whether a component is spurious (see ``Gaussian.collapsed``)."""
        return self.gaussian.collapsed(params.covars, nk, params.means.shape[1])

    def log_prob(self, params: GaussianParams, X, missing=None) -> np.ndarray:
        return self.gaussian.log_prob(X, params.means, params.precisions_cholesky, missing)

    def condition(self, params: GaussianParams, X, missing=None) -> Conditioned:
        return self.gaussian.condition(X, params.means, params.precisions_cholesky, missing)

    def recentred(self, stats: GaussianStats, old: GaussianParams, new: GaussianParams):
        return self.gaussian.recentred(stats, old.means, new.means)

    def divergences(self, a: GaussianParams, b: GaussianParams) -> np.ndarray:
        return self.gaussian.divergences(a, b)

    def permuted(self, params: GaussianParams, order) -> GaussianParams:
        return GaussianParams(*self.gaussian.permuted(params, order))

    def estimate(self, stats: GaussianStats, params: GaussianParams, update) -> GaussianParams:
        means, covars, precisions_cholesky = self.gaussian.estimate(
            stats, params.means, self.prior, fixed_means="means" not in update
        )
        if "covars" not in update:
            covars, precisions_cholesky = params.covars, params.precisions_cholesky
        return GaussianParams(means, covars, precisions_cholesky)

    def log_prior(self, params: GaussianParams) -> float:
        return self.gaussian.log_prior(self.prior, *params)

    def unconstrained(self, params: GaussianParams) -> tuple:
        return self.gaussian.unconstrained(params.means, params.covars)

    def from_unconstrained(self, values) -> GaussianParams:
        return GaussianParams(*self.gaussian.from_unconstrained(*values))

    def n_parameters(self, params: GaussianParams, update) -> int:
        k, d = params.means.shape
        count = k * d if "means" in update else 0
        if "covars" in update:
            count += self.gaussian.covariance.n_parameters(k, d)
        return count

    def sample(self, params: GaussianParams, states, rng) -> np.ndarray:
        k, d = params.means.shape
        matrices = self.gaussian.covariance.full_matrices(params.covars, k, d)
        factors = np.linalg.cholesky(matrices)
        noise = rng.standard_normal((len(states), d))
        return params.means[states] + np.einsum("nij,nj->ni", factors[states], noise)

    def fit_weighted(self, X, W) -> GaussianParams:
        """The parameters estimated from rows weighted by W (NaN: the column mean)."""
        X = fill_with_column_means(X, np.ones(len(X)))
        nk = W.sum(axis=0) + 10 * np.finfo(float).eps
        centres = (W.T @ X) / nk[:, None]
        stats = self.gaussian.statistics(X, W, centres)
        return GaussianParams(*self.gaussian.estimate(stats, centres, self.prior))

    def attributes(self, params: GaussianParams) -> dict:
        return {"means_": params.means, "covars_": params.covars}

    def from_attributes(self, get) -> GaussianParams:
        """The parameters from fitted attributes; ``get(name)`` returns one."""
        covars = get("covars_")
        precisions_cholesky = self.gaussian.covariance.precision_cholesky(covars)
        return GaussianParams(get("means_"), covars, precisions_cholesky)


def _nearest(X, centres) -> np.ndarray:
    """The index of each row's nearest centre."""
    return np.argmin(-2.0 * X @ centres.T + np.einsum("kd,kd->k", centres, centres), axis=1)


def _mixture_centres(X, n_states: int, n_mix: int, method: str, rng) -> np.ndarray:
    """``n_mix`` centres per state, shape (n_states, n_mix, n_features).

    One centre per state by ``method``, then ``n_mix`` centres by ``method``
    among the rows nearest each state's centre (its ``n_mix`` nearest rows
    if fewer are), as hmmlearn's GMMHMM runs k-means on the states' clusters.
    """
    centres = _initial_centres(X, n_states, method, rng)
    nearest = _nearest(X, centres)
    out = np.empty((n_states, n_mix, X.shape[1]))
    for state, centre in enumerate(centres):
        rows = X[nearest == state]
        if len(rows) < n_mix:
            rows = X[np.argsort(((X - centre) ** 2).sum(axis=1), kind="stable")[:n_mix]]
        out[state] = _initial_centres(rows, n_mix, method, rng)
    return out


class GaussianMixtureEmission:
    """A mixture of ``n_mix`` Gaussians per state, as hmmlearn's GMMHMM.

    The ``n_states * n_mix`` components are one ``Gaussian`` family, state
    ``s``'s mixture the components ``s * n_mix ... (s + 1) * n_mix - 1``, whose
    statistics are weighted by the state posterior times the component's
    share of the state's density. ``tied`` shares a covariance within each
    state's mixture. The attributes have hmmlearn's shapes: a state's
    ``covars_[s]`` has the shape of a ``GaussianMixtureEM``'s ``covariances_``
    with ``n_mix`` components.
    """

    names = ("weights", "means", "covars")

    def __init__(self, n_mix: int, covariance_type: str, reg_covar: float):
        self.n_mix = n_mix
        self.gaussian = Gaussian(covariance_type, reg_covar, mixture_size=n_mix)
        self.one_mixture = Gaussian(covariance_type, reg_covar)  # a state's, for the shapes

    def set_priors(self, priors: dict, n_states: int, n_features: int) -> None:
        """No prior on the Gaussians of a mixture: the Gaussian emission's must be flat."""
        dof = self.one_mixture.covariance.prior_dof
        for name, flat in [
            ("means_weight", lambda weight: weight == 0),
            ("covars_prior", lambda scatter: scatter == 0),
            ("covars_weight", lambda weight: dof(weight, n_features) == 0),
        ]:
            with naming_errors(name):
                value = np.asarray(priors[name], dtype=float)
            if not np.all(flat(value)):
                raise ValueError(
                    f"{name}: emission='gmm' takes no prior on its Gaussians; leave "
                    "means_weight, covars_prior and covars_weight at their flat defaults "
                    "(0, 0 and 1)."
                )

    def covars_shape(self, n_states: int, n_features: int) -> tuple[int, ...]:
        """The shape of ``covars_``: a mixture's covariances per state."""
        return (n_states, *self.one_mixture.covariance.shape(self.n_mix, n_features))

    def _flat_covars(self, covars, n_features: int) -> np.ndarray:
        n_components = len(covars) * self.n_mix
        return covars.reshape(self.gaussian.covariance.shape(n_components, n_features))

    def check_X(self, estimator, X, reset: bool) -> np.ndarray:
        return _check_real_X(estimator, X, reset)

    def check_init(self, given: dict, n_states: int, n_features: int) -> dict:
        k, m, d = n_states, self.n_mix, n_features
        checked = {}
        if given.get("weights") is not None:
            checked["weights"] = check_probabilities(given["weights"], (k, m), "weights_init")
        if given.get("means") is not None:
            checked["means"] = check_finite_array(given["means"], (k, m, d), "means_init")
        if given.get("covars") is not None:
            covars = check_finite_array(given["covars"], self.covars_shape(k, d), "covars_init")
            flat = self._flat_covars(covars, d)
            matrices = self.gaussian.covariance.full_matrices(flat, k * m, d)
            check_positive_definite(matrices, "covars_init")
            checked["covars"] = covars
        return checked

    def init(self, X, n_states, method, given, rng) -> GaussianMixtureParams:
        """Means by ``_mixture_centres``, equal weights, and every component at the
        covariance of all the data, unless given."""
        k, m, d = n_states, self.n_mix, X.shape[1]
        X = fill_with_column_means(X, np.ones(len(X)))
        means = given.get("means")
        if means is None:
            means = _mixture_centres(X, k, m, method, rng)
        weights = given.get("weights")
        if weights is None:
            weights = np.full((k, m), 1.0 / m)
        covars = given.get("covars")
        if covars is None:
            centre = X.mean(axis=0, keepdims=True)
            stats = self.one_mixture.statistics(X, np.ones((len(X), 1), X.dtype), centre)
            _, one, _ = self.one_mixture.estimate(stats, centre)
            covars = np.broadcast_to(one, self.gaussian.covariance.shape(k * m, d)).copy()
        else:
            covars = self._flat_covars(covars, d)
        precisions_cholesky = self.gaussian.covariance.precision_cholesky(covars)
        return GaussianMixtureParams(weights, means.reshape(k * m, d), covars, precisions_cholesky)

    def collapsed(self, params: GaussianMixtureParams, nk) -> bool:
        """Whether a component is spurious (see ``Gaussian.collapsed``).

        ``nk`` is the weight of each state, which its components share.
        """
        nk = np.repeat(nk, self.n_mix)
        return self.gaussian.collapsed(params.covars, nk, params.means.shape[1])

    def log_prob(self, params: GaussianMixtureParams, X, missing=None) -> np.ndarray:
        log_prob = self.gaussian.log_prob(X, params.means, params.precisions_cholesky, missing)
        with np.errstate(divide="ignore"):  # a weight of 0
            return mixture_log_prob(log_prob, np.log(params.weights))[0]

    def condition(self, params: GaussianMixtureParams, X, missing=None) -> Scored:
        conditioned = self.gaussian.condition(X, params.means, params.precisions_cholesky, missing)
        with np.errstate(divide="ignore"):
            log_prob, share = mixture_log_prob(conditioned.log_prob, np.log(params.weights))

        def statistics(W) -> GaussianStats:
            """Statistics with state posteriors ``W``, shape (n, n_states)."""
            weights = np.repeat(W, self.n_mix, axis=1)
            weights *= share
            return conditioned.statistics(weights)

        return Scored(log_prob, statistics)

    def recentred(self, stats: GaussianStats, old, new) -> GaussianStats:
        return self.gaussian.recentred(stats, old.means, new.means)

    def divergences(self, a: GaussianMixtureParams, b: GaussianMixtureParams) -> np.ndarray:
        """The mean symmetric Kullback-Leibler divergence between the components of two
        states' mixtures, weighted by their weights: an upper bound of the divergence
        between the mixtures (KL divergence is jointly convex)."""
        between = self.gaussian.divergences(a[1:], b[1:])
        k, m = a.weights.shape
        between = between.reshape(k, m, len(b.weights), m)
        return np.einsum("si,tj,sitj->st", a.weights, b.weights, between)

    def permuted(self, params: GaussianMixtureParams, order) -> GaussianMixtureParams:
        components = (np.asarray(order)[:, None] * self.n_mix + np.arange(self.n_mix)).ravel()
        return GaussianMixtureParams(
            params.weights[order], *self.gaussian.permuted(params[1:], components)
        )

    def estimate(
        self, stats: GaussianStats, params: GaussianMixtureParams, update
    ) -> GaussianMixtureParams:
        if "means" not in update:  # covariances about the fixed means
            stats = GaussianStats(stats.nk, np.zeros_like(stats.sx), stats.sxx)
        means, covars, precisions_cholesky = self.gaussian.estimate(stats, params.means)
        if "covars" not in update:
            covars, precisions_cholesky = params.covars, params.precisions_cholesky
        weights = params.weights
        if "weights" in update:
            weights = normalize_rows(stats.nk.reshape(weights.shape), weights)
        return GaussianMixtureParams(weights, means, covars, precisions_cholesky)

    def log_prior(self, params: GaussianMixtureParams) -> float:
        return 0.0

    def unconstrained(self, params: GaussianMixtureParams) -> tuple:
        """Log weights (-inf for zeros), and the Gaussian's unconstrained arrays."""
        with np.errstate(divide="ignore"):
            log_weights = np.log(params.weights)
        return (log_weights, *self.gaussian.unconstrained(params.means, params.covars))

    def from_unconstrained(self, values) -> GaussianMixtureParams:
        log_weights, *gaussian = values
        return GaussianMixtureParams(
            softmax(log_weights, axis=1), *self.gaussian.from_unconstrained(*gaussian)
        )

    def n_parameters(self, params: GaussianMixtureParams, update) -> int:
        (k, m), d = params.weights.shape, params.means.shape[1]
        count = k * (m - 1) if "weights" in update else 0
        if "means" in update:
            count += k * m * d
        if "covars" in update:
            count += self.gaussian.covariance.n_parameters(k * m, d)
        return count

    def sample(self, params: GaussianMixtureParams, states, rng) -> np.ndarray:
        (k, m), d = params.weights.shape, params.means.shape[1]
        draws = rng.random_sample(len(states))[:, None]
        chosen = (draws > params.weights.cumsum(axis=1)[states]).sum(axis=1)
        components = states * m + np.minimum(chosen, m - 1)
        matrices = self.gaussian.covariance.full_matrices(params.covars, k * m, d)
        factors = np.linalg.cholesky(matrices)
        noise = rng.standard_normal((len(states), d))
        return params.means[components] + np.einsum("nij,nj->ni", factors[components], noise)

    def attributes(self, params: GaussianMixtureParams) -> dict:
        k, d = len(params.weights), params.means.shape[1]
        return {
            "weights_": params.weights,
            "means_": params.means.reshape(k, self.n_mix, d),
            "covars_": params.covars.reshape(self.covars_shape(k, d)),
        }

    def from_attributes(self, get) -> GaussianMixtureParams:
        """The parameters from fitted attributes; ``get(name)`` returns one."""
        weights, means = get("weights_"), get("means_")
        d = means.shape[-1]
        covars = self._flat_covars(get("covars_"), d)
        precisions_cholesky = self.gaussian.covariance.precision_cholesky(covars)
        return GaussianMixtureParams(weights, means.reshape(-1, d), covars, precisions_cholesky)


def _check_counts(estimator, X, reset: bool, what: str) -> np.ndarray:
    X = check_X(estimator, X, reset=reset, dtype=None, ensure_all_finite=True)
    if not (np.issubdtype(X.dtype, np.number) and not np.issubdtype(X.dtype, np.complexfloating)):
        raise ValueError(f"X must hold {what}; got dtype {X.dtype}.")
    if np.issubdtype(X.dtype, np.floating) and np.any(np.mod(X, 1) != 0):
        raise ValueError(f"X must hold {what}; found non-integer values.")
    if np.any(X < 0):
        raise ValueError(f"X must hold {what}; found negative values.")
    if np.any(X > np.float64(2**53)):
        raise ValueError(f"X must hold {what}; found values above 2**53.")
    return X.astype(np.int64)


class CategoricalEmission(_Scoring):
    names = ("emissionprob",)
    # Short runs on a sample would give its unseen symbols probability 0.
    explores = False
    concentration = 1.0  # of the Dirichlet prior of each state's probabilities: none

    def set_priors(self, priors: dict, n_states: int, n_features: int) -> None:
        # Checked against the table's width in init, where it is known.
        self.concentration = priors["emissionprob_prior"]

    def _concentration(self, shape: tuple[int, int]) -> np.ndarray:
        return check_prior(self.concentration, shape, "emissionprob_prior")

    def check_X(self, estimator, X, reset: bool) -> np.ndarray:
        X = _check_counts(estimator, X, reset, "symbols (integers 0, 1, ...)")
        if X.shape[1] != 1:
            raise ValueError(
                f"Categorical X must be a single column of symbols, got {X.shape[1]} columns."
            )
        if not reset:
            n_symbols = estimator.emissionprob_.shape[1]
            if X.max() >= n_symbols:
                raise ValueError(
                    f"X holds symbol {X.max()}, unseen at fit time: the model knows "
                    f"symbols 0..{n_symbols - 1}."
                )
        return X

    def check_init(self, given: dict, n_states: int, n_features: int) -> dict:
        emissionprob = given.get("emissionprob")
        if emissionprob is None:
            return {}
        emissionprob = np.asarray(emissionprob)
        shape = (n_states, emissionprob.shape[-1] if emissionprob.ndim == 2 else -1)
        return {"emissionprob": check_probabilities(emissionprob, shape, "emissionprob_init")}

    def init(self, X, n_states, method, given, rng) -> CategoricalParams:
        emissionprob = given.get("emissionprob")
        largest = int(np.max(given.get("largest", X.max())))  # of all the data, not X alone
        if emissionprob is None:
            try:
                emissionprob = rng.rand(n_states, largest + 1)
            except MemoryError:
                raise ValueError(
                    f"X holds symbol {largest}: a table of {n_states} x {largest + 1} emission "
                    "probabilities does not fit in memory. Symbols are the codes 0..m-1 of m "
                    "categories; sklearn.preprocessing.OrdinalEncoder makes them."
                ) from None
            emissionprob /= emissionprob.sum(axis=1, keepdims=True)
        elif largest >= emissionprob.shape[1]:
            raise ValueError(
                f"X holds symbol {largest}, but emissionprob_init has only "
                f"{emissionprob.shape[1]} symbols."
            )
        return CategoricalParams(emissionprob)

    def log_prob(self, params: CategoricalParams, X, missing=None) -> np.ndarray:
        return categorical_log_prob(X[:, 0], params.emissionprob)

    def statistics(self, params: CategoricalParams, X, W, missing=None) -> np.ndarray:
        return categorical_counts(X[:, 0], W, params.emissionprob.shape[1])

    def estimate(self, counts, params: CategoricalParams, update) -> CategoricalParams:
        if "emissionprob" not in update:
            return params
        counts = counts + (self._concentration(counts.shape) - 1.0)
        return CategoricalParams(normalize_rows(np.maximum(counts, 0.0), params.emissionprob))

    def divergences(self, a: CategoricalParams, b: CategoricalParams) -> np.ndarray:
        return _symmetric_kl(a.emissionprob, b.emissionprob)

    def permuted(self, params: CategoricalParams, order) -> CategoricalParams:
        return CategoricalParams(params.emissionprob[order])

    def log_prior(self, params: CategoricalParams) -> float:
        probabilities = params.emissionprob
        return log_dirichlet(self._concentration(probabilities.shape), probabilities)

    def unconstrained(self, params: CategoricalParams) -> tuple:
        with np.errstate(divide="ignore"):
            return (np.log(params.emissionprob),)

    def from_unconstrained(self, values) -> CategoricalParams:
        return CategoricalParams(softmax(values[0], axis=1))

    def n_parameters(self, params: CategoricalParams, update) -> int:
        k, m = params.emissionprob.shape
        return k * (m - 1) if "emissionprob" in update else 0

    def sample(self, params: CategoricalParams, states, rng) -> np.ndarray:
        cumulative = params.emissionprob.cumsum(axis=1)[states]
        draws = rng.random_sample(len(states))[:, None]
        return (draws > cumulative).sum(axis=1)[:, None]

    def attributes(self, params: CategoricalParams) -> dict:
        return {"emissionprob_": params.emissionprob}

    def from_attributes(self, get) -> CategoricalParams:
        return CategoricalParams(get("emissionprob_"))


# A start's emission probabilities keep this share spread evenly over the categories,
# so that none starts at 0: EM never revives a zero probability.
_START_SPREAD = 0.01


def check_n_trials(n_trials):
    """None, a positive integer, or a 1-D array of positive integers (one per row)."""
    if n_trials is None:
        return None
    with naming_errors("n_trials"):  # a ragged list
        scalar = np.ndim(n_trials) == 0
    if scalar:
        if isinstance(n_trials, bool) or not isinstance(n_trials, Integral) or n_trials < 1:
            raise ValueError(f"n_trials must be a positive integer, got {n_trials!r}.")
        return n_trials
    with naming_errors("n_trials"):
        trials = check_array(n_trials, ensure_2d=False, dtype=None, input_name="n_trials")
    if trials.ndim != 1:
        raise ValueError(
            "n_trials must be a positive integer, or a 1-D array of one per row of X; got "
            f"an array of shape {trials.shape}."
        )
    if trials.dtype.kind not in "iuf" or np.any(np.mod(trials, 1) != 0):
        raise ValueError(f"n_trials must hold integers, got {trials[:5]!r}.")
    bad = (trials < 1) | (trials > 2.0**53)  # larger totals are refused in X
    if np.any(bad):
        raise ValueError(f"n_trials must be from 1 to 2**53, got {trials[bad][:5]}.")
    return trials.astype(np.int64)


class MultinomialTrialsEmission(CategoricalEmission):
    """Counts of ``n_features`` categories in ``n_trials`` draws: hmmlearn's MultinomialHMM.

    ``emissionprob[k]`` are state k's category probabilities, estimated by
    maximum likelihood as the categorical's (one trial, one symbol) are. The
    formulas are those of ``MultinomialEmission``, SemiSupervisedEM's smoothed
    one. ``n_trials``: None (each row's own total), an integer every row sums
    to, or one per row of the X given to ``fit``. ``fitted_trials``: the total
    that all the rows ``fit`` saw share (None if they differ), which ``sample``
    draws unless ``n_trials`` is one number.
    """

    # Short runs on a sample would give the categories it lacks probability 0 for
    # good, and a row that counts one of them would be impossible: one start instead,
    # from k-means on the rows' proportions.
    explores = False

    def __init__(self, n_trials=None, fitted_trials: int | None = None):
        self.n_trials = n_trials
        self.fitted_trials = fitted_trials

    def check_X(self, estimator, X, reset: bool) -> np.ndarray:
        n_trials = check_n_trials(self.n_trials)
        try:
            X = _check_counts(estimator, X, reset, "counts (non-negative integers)")
        except ValueError as error:
            if "X contains NaN" not in str(error):
                raise
            raise ValueError(
                "X contains NaN: multinomial emissions take rows of counts without missing "
                "values (only Gaussian emissions accept NaN)."
            ) from None
        totals = X.sum(axis=1, dtype=float)
        if np.any(totals > 2.0**53):
            raise ValueError("X must hold counts whose rows sum to at most 2**53.")
        if np.any(totals < 1):
            raise ValueError(
                f"X: row {np.argmax(totals < 1)} holds no count; each row counts the "
                "outcomes of at least one trial."
            )
        if isinstance(n_trials, np.ndarray):
            if not reset:  # the trials of fit's rows; other rows have their own totals
                return X.astype(float)
            if n_trials.shape != (len(X),):
                raise ValueError(
                    f"n_trials must have one entry per row of X: shape ({len(X)},), got "
                    f"{n_trials.shape}."
                )
        if n_trials is not None and np.any(totals != n_trials):
            row = int(np.argmax(totals != n_trials))
            wanted = n_trials if np.ndim(n_trials) == 0 else n_trials[row]
            raise ValueError(
                f"X: the counts of each row must sum to n_trials; row {row} sums to "
                f"{int(totals[row])}, not {wanted}."
            )
        return X.astype(float)

    def data_attributes(self, X) -> dict:
        """``n_trials_``: the total of every row of X, if they share one, else None."""
        totals = X.sum(axis=1)
        return {"n_trials_": int(totals[0]) if np.all(totals == totals[0]) else None}

    def check_init(self, given: dict, n_states: int, n_features: int) -> dict:
        check_n_trials(self.n_trials)
        emissionprob = given.get("emissionprob")
        if emissionprob is None:
            return {}
        shape = (n_states, n_features)
        return {"emissionprob": check_probabilities(emissionprob, shape, "emissionprob_init")}

    def init(self, X, n_states, method, given, rng) -> CategoricalParams:
        emissionprob = given.get("emissionprob")
        if emissionprob is None:
            proportions = X / X.sum(axis=1, keepdims=True)
            method = "random" if method == "random" else "kmeans"
            centres = _initial_centres(proportions, n_states, method, rng)
            emissionprob = (1 - _START_SPREAD) * centres + _START_SPREAD / X.shape[1]
            emissionprob /= emissionprob.sum(axis=1, keepdims=True)
        return CategoricalParams(emissionprob)

    def log_prob(self, params: CategoricalParams, X, missing=None) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return multinomial_log_prob(X, np.log(params.emissionprob))

    def statistics(self, params: CategoricalParams, X, W, missing=None) -> np.ndarray:
        return multinomial_counts(X, W)

    def sample(self, params: CategoricalParams, states, rng) -> np.ndarray:
        trials = self.n_trials if isinstance(self.n_trials, Integral) else self.fitted_trials
        if trials is None:
            raise ValueError(
                "sample draws rows of one number of trials, but the rows of X given to fit "
                "have different totals: set n_trials to the number of trials to draw."
            )
        k, n_features = params.emissionprob.shape
        X = np.empty((len(states), n_features), dtype=np.int64)
        for state in range(k):
            rows = states == state
            X[rows] = rng.multinomial(trials, params.emissionprob[state], size=rows.sum())
        return X


@dataclass(frozen=True)
class PoissonStats:
    nk: np.ndarray
    sx: np.ndarray

    def __add__(self, other: PoissonStats) -> PoissonStats:
        return PoissonStats(self.nk + other.nk, self.sx + other.sx)


class PoissonEmission(_Scoring):
    names = ("lambdas",)
    # Gamma prior of each rate, density ~ lambda**alpha * exp(-beta * lambda): none.
    alpha = beta = 0.0

    def set_priors(self, priors: dict, n_states: int, n_features: int) -> None:
        shape = (n_states, n_features)
        self.alpha = check_prior(priors["lambdas_prior"], shape, "lambdas_prior")
        self.beta = check_prior(priors["lambdas_weight"], shape, "lambdas_weight")

    def check_X(self, estimator, X, reset: bool) -> np.ndarray:
        return _check_counts(estimator, X, reset, "non-negative integer counts").astype(float)

    def check_init(self, given: dict, n_states: int, n_features: int) -> dict:
        lambdas = given.get("lambdas")
        if lambdas is None:
            return {}
        lambdas = check_finite_array(lambdas, (n_states, n_features), "lambdas_init")
        if np.any(lambdas <= 0):
            raise ValueError("lambdas_init must be positive.")
        return {"lambdas": lambdas}

    def init(self, X, n_states, method, given, rng) -> PoissonParams:
        lambdas = given.get("lambdas")
        if lambdas is None:
            lambdas = np.maximum(_initial_centres(X, n_states, method, rng), _MIN_LAMBDA)
        return PoissonParams(lambdas)

    def log_prob(self, params: PoissonParams, X, missing=None) -> np.ndarray:
        return poisson_log_prob(X, params.lambdas)

    def statistics(self, params: PoissonParams, X, W, missing=None) -> PoissonStats:
        return PoissonStats(*poisson_statistics(X, W))

    def estimate(self, stats: PoissonStats, params: PoissonParams, update) -> PoissonParams:
        if "lambdas" not in update:
            return params
        nk = stats.nk + 10 * np.finfo(float).eps
        lambdas = (stats.sx + self.alpha) / (nk[:, None] + self.beta)
        return PoissonParams(np.maximum(lambdas, _MIN_LAMBDA))

    def divergences(self, a: PoissonParams, b: PoissonParams) -> np.ndarray:
        return _symmetric_kl(a.lambdas, b.lambdas)

    def permuted(self, params: PoissonParams, order) -> PoissonParams:
        return PoissonParams(params.lambdas[order])

    def log_prior(self, params: PoissonParams) -> float:
        lambdas = params.lambdas
        return float(np.sum(self.alpha * np.log(lambdas) - self.beta * lambdas))

    def unconstrained(self, params: PoissonParams) -> tuple:
        return (np.log(params.lambdas),)

    def from_unconstrained(self, values) -> PoissonParams:
        return PoissonParams(np.exp(values[0]))

    def n_parameters(self, params: PoissonParams, update) -> int:
        return params.lambdas.size if "lambdas" in update else 0

    def sample(self, params: PoissonParams, states, rng) -> np.ndarray:
        return rng.poisson(params.lambdas[states])

    def attributes(self, params: PoissonParams) -> dict:
        return {"lambdas_": params.lambdas}

    def from_attributes(self, get) -> PoissonParams:
        return PoissonParams(get("lambdas_"))


class MultinomialEmission(_Scoring):
    """Word counts: row i is a draw of its total count from the component's multinomial.

    Probabilities are estimated with Lidstone smoothing ``alpha`` (Laplace for
    1), as :class:`sklearn.naive_bayes.MultinomialNB` does. X may be sparse.
    """

    names = ("feature_log_prob",)

    def __init__(self, alpha: float):
        self.alpha = alpha

    def check_X(self, estimator, X, reset: bool):
        X = check_X(estimator, X, reset=reset, accept_sparse="csr", ensure_all_finite=True)
        check_non_negative(X, f"X of {type(estimator).__name__} (emission='multinomial': counts)")
        return X

    def log_prob(self, params: MultinomialParams, X, missing=None) -> np.ndarray:
        return multinomial_log_prob(X, params.feature_log_prob)

    def statistics(self, params, X, W, missing=None) -> np.ndarray:
        return multinomial_counts(X, W)

    def recentred(self, counts, old: MultinomialParams, new: MultinomialParams):
        return counts  # counts are not centred

    def fit_weighted(self, X, W) -> MultinomialParams:
        return self.estimate(self.statistics(None, X, W), None, self.names)

    def estimate(self, counts, params, update) -> MultinomialParams:
        smoothed = counts + self.alpha
        return MultinomialParams(np.log(smoothed) - np.log(smoothed.sum(axis=1, keepdims=True)))

    def log_prior(self, params: MultinomialParams) -> float:
        """Smoothing ``alpha`` is the MAP estimate under a Dirichlet(alpha + 1) prior."""
        return self.alpha * float(params.feature_log_prob.sum())

    def unconstrained(self, params: MultinomialParams) -> tuple:
        return (params.feature_log_prob,)

    def from_unconstrained(self, values) -> MultinomialParams:
        return MultinomialParams(log_softmax(values[0], axis=1))

    def n_parameters(self, params: MultinomialParams, update) -> int:
        k, d = params.feature_log_prob.shape
        return k * (d - 1)

    def attributes(self, params: MultinomialParams) -> dict:
        return {"feature_log_prob_": params.feature_log_prob}

    def from_attributes(self, get) -> MultinomialParams:
        return MultinomialParams(get("feature_log_prob_"))
