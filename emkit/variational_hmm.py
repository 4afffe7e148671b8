"""Variational Bayesian hidden Markov models, fitted on emkit's EM driver.

Variational Bayes is Baum-Welch in another guise: the E-step runs
forward-backward on the sub-normalised probabilities ``exp(E[log p])`` under
the posterior (Dirichlet on the start and transition probabilities and on
categorical emissions, normal-Wishart on Gaussian emissions), and returns the
same additive statistics as Baum-Welch; the M-step adds them to the prior's
to give the posterior. The log of the sub-normalised likelihood less the
divergence of the posterior from the prior is the lower bound (ELBO) that
every iteration raises, so the driver gives chunks, threads, restarts,
SQUAREM and callbacks here as for every other model. Prediction, scoring
and sampling are HMMEM's, at the posterior means (as in hmmlearn).
"""

from __future__ import annotations

from functools import partial
from numbers import Integral, Real
from typing import Any, NamedTuple

import numpy as np
from scipy.special import digamma
from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ._categorical import categorical_counts
from ._em import EM_CONSTRAINTS, fit_em, fitted_copy, set_fit_attributes
from ._emissions import CategoricalEmission, GaussianEmission, _initial_centres
from ._gaussian import Gaussian, GaussianStats, weighted_moments
from ._hmm_base import (
    BaseHMM,
    HMMStats,
    SequenceData,
    _check_possible,
    _check_y_is_not_lengths,
    _row_bytes,
)
from ._hmm_inference import forward_backward
from ._inference import expected_log_density_offsets
from ._utils import column_sums
from ._validation import check_finite_array, check_positive_definite, unchanged_on_error
from ._variational import (
    expected_log_dirichlet,
    kl_dirichlet,
    kl_wishart,
)

_EPS = 10 * np.finfo(float).eps

# --------------------------------------------------------------------- checks


def _positive(value, shape: tuple[int, ...], name: str, lower: float = 0.0) -> np.ndarray:
    """A number (for every entry) or an array of exactly ``shape``, finite and above
    ``lower``."""
    if np.ndim(value) == 0 and shape:
        value = np.full(shape, value, dtype=float)
    if shape:
        array = check_finite_array(value, shape, name)
    elif np.ndim(value) == 0 and isinstance(value, Real | np.ndarray) and np.isfinite(value):
        array = np.asarray(float(value))
    else:
        raise ValueError(f"{name} must be a finite number, got {value!r}.")
    if not np.all(array > lower):
        raise ValueError(f"{name} must be greater than {lower}, got {array.min()}.")
    return array


def _scale(value, covariance, n_states: int, n_features: int, name: str) -> np.ndarray:
    """An inverse Wishart scale in the covariance type's shape (a number: on the
    diagonal), positive-definite."""
    shape = covariance.shape(n_states, n_features)
    if np.ndim(value) == 0:
        value = covariance.add_to_diagonal(np.zeros(shape), float(value))
    array = check_finite_array(value, shape, name)
    check_positive_definite(covariance.full_matrices(array, n_states, n_features), name)
    return array


# ------------------------------------------------------------------ emissions


class CategoricalPosterior(NamedTuple):
    emissionprob: np.ndarray  # Dirichlet concentrations, (n_states, n_symbols)


class GaussianPosterior(NamedTuple):
    """Normal-Wishart posteriors: means (n_states, n_features), their precision
    ``beta`` in rows (n_states,), the Wishart's degrees of freedom (n_states,), or ()
    if tied, and inverse scales in the covariance type's shape."""

    means: np.ndarray
    beta: np.ndarray
    dof: np.ndarray
    scale: np.ndarray


class _Categorical:
    """Dirichlet posteriors of categorical emission probabilities."""

    names = ("emissionprob",)
    prior_names = ("emissionprob_prior",)
    Posterior = CategoricalPosterior

    def __init__(self):
        self.point = CategoricalEmission()  # the emission at the posterior means
        self.prior = None

    def n_symbols(self, X, given: dict) -> int:
        """The table's width: that of a given prior or start, or the data's symbols."""
        for name in ("emissionprob_prior", "emissionprob_posterior_init"):
            if np.ndim(given.get(name)) == 2:
                return np.shape(given[name])[1]
        return int(X.max()) + 1

    def set_prior(self, given: dict, n_states: int, X) -> dict:
        m = self.n_symbols(X, given)
        if X is not None and X.max() >= m:
            raise ValueError(
                f"X holds symbol {X.max()}, but emissionprob_prior or "
                f"emissionprob_posterior_init has only {m} symbols."
            )
        value = given["emissionprob_prior"]
        self.prior = _positive(
            1.0 / m if value is None else value, (n_states, m), "emissionprob_prior"
        )
        return {"emissionprob_prior_": self.prior}

    def check_posteriors(self, given: dict, n_states: int, n_features: int, suffix: str):
        """The posteriors in ``given`` (by name, less ``suffix``) that are not None, checked."""
        value = given["emissionprob"]
        if value is None:
            return {}
        shape = (n_states, self.prior.shape[1])
        return {"emissionprob": _positive(value, shape, "emissionprob" + suffix)}

    def init(self, X, n_rows: int, method: str, given: dict, rng) -> CategoricalPosterior:
        if "emissionprob" in given:
            return CategoricalPosterior(given["emissionprob"])
        n_states = self.prior.shape[0]
        probabilities = rng.rand(*self.prior.shape)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        return CategoricalPosterior(self.prior + n_rows / n_states * probabilities)

    def condition(self, posterior: CategoricalPosterior, X):
        symbols = X[:, 0]
        log_prob = expected_log_dirichlet(posterior.emissionprob).T[symbols]
        m = posterior.emissionprob.shape[1]
        return log_prob, partial(categorical_counts, symbols, n_symbols=m)

    def estimate(self, counts, posterior: CategoricalPosterior, update) -> CategoricalPosterior:
        if "emissionprob" not in update:
            return posterior
        return CategoricalPosterior(self.prior + counts)

    def divergence(self, posterior: CategoricalPosterior) -> float:
        return kl_dirichlet(posterior.emissionprob, self.prior)

    def unconstrained(self, posterior: CategoricalPosterior) -> tuple:
        return (np.log(posterior.emissionprob),)

    def from_unconstrained(self, values) -> CategoricalPosterior:
        return CategoricalPosterior(np.exp(values[0]))

    def attributes(self, posterior: CategoricalPosterior) -> dict:
        concentration = posterior.emissionprob
        return {
            "emissionprob_posterior_": concentration,
            "emissionprob_": concentration / concentration.sum(axis=1, keepdims=True),
        }


class _Gaussian:
    """Normal-Wishart posteriors of Gaussian emissions, for each covariance type.

    As hmmlearn's VariationalGaussianHMM: ``diag`` and ``spherical`` keep a
    Wishart whose inverse scale is diagonal (a multiple of the identity), and
    ``tied`` one Wishart for all states.
    """

    names = ("means", "covars")
    prior_names = ("means_prior", "beta_prior", "dof_prior", "scale_prior")
    Posterior = GaussianPosterior

    def __init__(self, covariance_type: str):
        self.gaussian = Gaussian(covariance_type, 0.0)
        self.covariance = self.gaussian.covariance
        self.point = GaussianEmission(covariance_type, 0.0)  # at the posterior means
        self.prior = None

    def set_prior(self, given: dict, n_states: int, X) -> dict:
        covariance, k, d = self.covariance, n_states, X.shape[1]
        means = given["means_prior"]
        if means is None:
            means = np.broadcast_to(weighted_moments(X, np.ones(len(X)))[0], (k, d))
        elif np.ndim(means) == 0:
            means = np.full((k, d), float(means))
        means = check_finite_array(means, (k, d), "means_prior")
        beta = _positive(
            1.0 if given["beta_prior"] is None else given["beta_prior"], (k,), "beta_prior"
        )
        dof_shape = (k,) if covariance.per_component else ()
        dof = given["dof_prior"]
        dof = _positive(d if dof is None else dof, dof_shape, "dof_prior", lower=d - 1.0)
        scale = given["scale_prior"]
        scale = _scale(1e-3 if scale is None else scale, covariance, k, d, "scale_prior")
        self.prior = GaussianPosterior(means, beta, dof, scale)
        return {
            "means_prior_": means,
            "beta_prior_": beta,
            "dof_prior_": dof,
            "scale_prior_": scale,
        }

    def check_posteriors(self, given: dict, n_states: int, n_features: int, suffix: str):
        """The posteriors in ``given`` (by name, less ``suffix``) that are not None, checked."""
        covariance, k, d = self.covariance, n_states, n_features
        checks = {
            "means": lambda value, name: check_finite_array(value, (k, d), name),
            "beta": lambda value, name: _positive(value, (k,), name),
            "dof": lambda value, name: _positive(
                value, (k,) if covariance.per_component else (), name, lower=d - 1.0
            ),
            "scale": lambda value, name: _scale(value, covariance, k, d, name),
        }
        return {
            name: check(given[name], name + suffix)
            for name, check in checks.items()
            if given[name] is not None
        }

    def _rows(self, nk: np.ndarray) -> np.ndarray:
        """The rows behind each Wishart: each state's, or all of them (tied)."""
        return nk if self.covariance.per_component else np.sum(nk)

    def _per_covariance(self, value: np.ndarray, scale: np.ndarray) -> np.ndarray:
        """``value`` (one per Wishart) shaped to broadcast against ``scale``."""
        return np.reshape(value, np.shape(value) + (1,) * (scale.ndim - np.ndim(value)))

    def init(self, X, n_rows: int, method: str, given: dict, rng) -> GaussianPosterior:
        """Means at k-means centres (or random rows) of the sample X, and each state worth
        an equal share of the ``n_rows`` rows of the data, at the sample's covariance."""
        prior = self.prior
        k = len(prior.beta)
        nk = np.full(k, n_rows / k)
        means = given.get("means")
        if means is None:
            means = _initial_centres(X, k, method, rng)
        covariance, d = self.covariance, X.shape[1]
        moments = covariance.reduce_second_moments(weighted_moments(X, np.ones(len(X)))[1][None])
        one = covariance.estimate(np.ones(1), np.zeros((1, d)), moments, 0.0)
        covars = np.broadcast_to(one[0] if covariance.per_component else one, prior.scale.shape)
        rows = self._rows(nk)
        beta = given.get("beta", prior.beta + nk)
        dof = given.get("dof", prior.dof + rows)
        scale = given.get("scale", prior.scale + self._per_covariance(rows, covars) * covars)
        return GaussianPosterior(means, beta, dof, scale)

    def _covars(self, posterior: GaussianPosterior) -> np.ndarray:
        """The inverse of the expected precisions (hmmlearn's ``covars_``)."""
        return posterior.scale / self._per_covariance(posterior.dof, posterior.scale)

    def condition(self, posterior: GaussianPosterior, X):
        """E[log N(x | mu_k, Lambda_k)] for every row and state: the log-density at the
        expected precision, corrected by E[log |Lambda|] - log |E[Lambda]| and the
        uncertainty of the mean (Bishop's 10.64-10.65)."""
        covars = self._covars(posterior)
        factors = self.covariance.precision_cholesky(covars)
        conditioned = self.gaussian.condition(X, posterior.means, factors)
        log_prob = conditioned.log_prob
        d = X.shape[1]
        log_prob += expected_log_density_offsets(posterior.beta, posterior.dof, d, digamma)
        return log_prob, conditioned.statistics

    def estimate(
        self, stats: GaussianStats, posterior: GaussianPosterior, update
    ) -> GaussianPosterior:
        """The normal-Wishart posterior given the statistics (centred on the means).

        Each of the means' posterior (``"means"``) and the Wishart (``"covars"``)
        that ``update`` names is the best given the other's: the Wishart's inverse
        scale holds the scatter about the data's means plus the spread of the
        posterior means about them and about the prior means. (hmmlearn's update of
        the Wishart alone, ``params`` with ``"c"`` but not ``"m"``, is not this one.)
        """
        prior, covariance = self.prior, self.covariance
        nk = stats.nk + _EPS
        shift = stats.sx / nk[:, None]
        data_means = posterior.means + shift
        means, beta = posterior.means, posterior.beta
        if "means" in update:
            beta = prior.beta + nk
            means = (prior.beta[:, None] * prior.means + nk[:, None] * data_means) / beta[:, None]
        if "covars" not in update:
            return GaussianPosterior(means, beta, posterior.dof, posterior.scale)
        scatter = covariance.estimate(nk, shift, stats.sxx, 0.0)
        to_data, to_prior = data_means - means, means - prior.means
        spread = nk[:, None, None] * (to_data[:, :, None] * to_data[:, None, :])
        spread += prior.beta[:, None, None] * (to_prior[:, :, None] * to_prior[:, None, :])
        scatter = scatter + covariance.estimate(
            nk, np.zeros_like(shift), covariance.reduce_second_moments(spread), 0.0
        )
        rows = self._rows(nk)
        scale = prior.scale + self._per_covariance(rows, scatter) * scatter
        return GaussianPosterior(means, beta, prior.dof + rows, scale)

    def divergence(self, posterior: GaussianPosterior) -> float:
        """KL of the normal-Wishart posterior from the prior."""
        prior, covariance = self.prior, self.covariance
        (k, d), full = posterior.means.shape, covariance.full_matrices
        scales = full(posterior.scale, k, d)
        nu = np.broadcast_to(posterior.dof, k)
        # The means' divergence averaged over the precision: it needs E[Lambda] alone.
        delta = posterior.means - prior.means
        quadratic = nu * np.einsum(
            "kd,kd->k", delta, np.linalg.solve(scales, delta[..., None])[..., 0]
        )
        ratio = prior.beta / posterior.beta
        normal = 0.5 * np.sum(d * (ratio - np.log(ratio) - 1.0) + prior.beta * quadratic)
        if covariance.per_component:
            wishart = kl_wishart(posterior.dof, scales, prior.dof, full(prior.scale, k, d))
        else:
            wishart = kl_wishart(posterior.dof, posterior.scale, prior.dof, prior.scale)
        return float(normal + wishart)

    def unconstrained(self, posterior: GaussianPosterior) -> tuple:
        d = posterior.means.shape[1]
        return (
            posterior.means,
            np.log(posterior.beta),
            np.log(posterior.dof - (d - 1.0)),
            self.covariance.unconstrained(posterior.scale),
        )

    def from_unconstrained(self, values) -> GaussianPosterior:
        means, log_beta, log_dof, scale = values
        d = means.shape[1]
        return GaussianPosterior(
            means,
            np.exp(log_beta),
            (d - 1.0) + np.exp(log_dof),
            self.covariance.from_unconstrained(scale)[0],
        )

    def attributes(self, posterior: GaussianPosterior) -> dict:
        dof = posterior.dof
        return {
            "means_posterior_": posterior.means,
            "beta_posterior_": posterior.beta,
            "dof_posterior_": dof if dof.ndim else float(dof),
            "scale_posterior_": posterior.scale,
            "means_": posterior.means,
            "covars_": self._covars(posterior),
        }


# ---------------------------------------------------------------------- model


class VariationalHMMParams(NamedTuple):
    """Dirichlet concentrations of the start and transition probabilities, and the
    emissions' posterior."""

    startprob: np.ndarray
    transmat: np.ndarray
    emission: Any


class VariationalHMMModel:
    """Variational Bayes for the driver: forward-backward on the sub-normalised
    probabilities, conjugate M-step, and the lower bound as ``objective``."""

    explores = False

    def __init__(
        self,
        n_states: int,
        emission,
        init_params: str,
        given: dict,
        priors: dict,
        update: frozenset,
    ):
        self.n_states = n_states
        self.update = update
        self.emission = emission
        self.init_method = init_params
        self.given = given
        self.priors = priors  # the fitted ``*_prior_`` attributes
        self.startprob_prior = priors["startprob_prior_"]
        self.transmat_prior = priors["transmat_prior_"]

    def init_params(self, data: SequenceData, rng) -> VariationalHMMParams:
        """Uniform start and transition probabilities worth the sequences and rows, and
        the emission's start (unless given, as ``*_posterior_init``)."""
        k, n = self.n_states, len(data.X)
        startprob = self.given.get("startprob", self.startprob_prior + len(data.starts) / k)
        transmat = self.given.get("transmat", self.transmat_prior + n / k / k)
        X = data.rows_for_init(rng).X
        emission = self.emission.init(X, n, self.init_method, self.given, rng)
        return VariationalHMMParams(startprob, transmat, emission)

    def e_step(self, params: VariationalHMMParams, chunk: SequenceData):
        log_prob, statistics = self.emission.condition(params.emission, chunk.X)
        posteriors, xi, log_likelihoods = forward_backward(
            np.exp(expected_log_dirichlet(params.startprob)),
            np.exp(expected_log_dirichlet(params.transmat)),
            np.ascontiguousarray(log_prob, dtype=float),
            chunk.starts,
            chunk.ends,
        )
        _check_possible(log_likelihoods)
        stats = HMMStats(column_sums(posteriors[chunk.starts]), xi, statistics(posteriors))
        return stats, float(log_likelihoods.sum())

    def m_step(self, stats: HMMStats, params: VariationalHMMParams) -> VariationalHMMParams:
        """The posteriors that ``update`` names given the statistics; the others as they
        are (each update is the best given the others, so the bound still rises)."""
        startprob, transmat = params.startprob, params.transmat
        if "startprob" in self.update:
            startprob = self.startprob_prior + stats.start
        if "transmat" in self.update:
            transmat = self.transmat_prior + stats.transitions
        emission = self.emission.estimate(stats.emission, params.emission, self.update)
        return VariationalHMMParams(startprob, transmat, emission)

    def objective(self, stats, value: float, params: VariationalHMMParams) -> float:
        """The lower bound at ``params``: the log sub-normalised likelihood of the data
        (``value``) less the divergence of the posterior from the prior."""
        return value - self.divergence(params)

    def divergence(self, params: VariationalHMMParams) -> float:
        return (
            kl_dirichlet(params.startprob, self.startprob_prior)
            + kl_dirichlet(params.transmat, self.transmat_prior)
            + self.emission.divergence(params.emission)
        )

    def log_prior(self, params) -> float:
        return 0.0  # the bound is ``objective``

    def unconstrained(self, params: VariationalHMMParams) -> tuple:
        return (
            np.log(params.startprob),
            np.log(params.transmat),
            *self.emission.unconstrained(params.emission),
        )

    def from_unconstrained(self, values) -> VariationalHMMParams:
        start, transitions, *emission = values
        return VariationalHMMParams(
            np.exp(start), np.exp(transitions), self.emission.from_unconstrained(emission)
        )

    def n_parameters(self, params) -> int:
        """Free parameters of the model at the posterior means (for BIC and AIC)."""
        k, update = self.n_states, self.update
        count = self.emission.point.n_parameters(params.emission, update)
        count += k - 1 if "startprob" in update else 0
        return count + (k * (k - 1) if "transmat" in update else 0)

    def frame_log_prob(self, params, X, missing) -> np.ndarray:
        """Log emission probabilities at the posterior means (``params`` of HMMEM)."""
        log_prob = self.emission.point.log_prob(params.emission, X, missing)
        return np.ascontiguousarray(log_prob, dtype=float)


_PRIORS = (
    "startprob_prior",
    "transmat_prior",
    "emissionprob_prior",
    "means_prior",
    "beta_prior",
    "dof_prior",
    "scale_prior",
)
_INITS = (
    "startprob_posterior_init",
    "transmat_posterior_init",
    "emissionprob_posterior_init",
    "means_posterior_init",
    "beta_posterior_init",
    "dof_posterior_init",
    "scale_posterior_init",
)

# ------------------------------------------------------------------ estimator


class VariationalHMMEM(BaseHMM):
    """Hidden Markov model fitted by variational Bayes (variational EM).

    hmmlearn's ``VariationalCategoricalHMM`` (``emission="categorical"``) and
    ``VariationalGaussianHMM`` (``emission="gaussian"``, all four covariance
    types), on emkit's driver: the posterior of every parameter (Dirichlet on
    the start and transition probabilities and on categorical emissions,
    normal-Wishart on Gaussian emissions) under hmmlearn's priors, with its
    lower bound (ELBO) rising at every iteration. From the same initial
    posteriors, with ``accelerate=None``, the iterates are hmmlearn's.
    Prediction, scoring, decoding and sampling are :class:`~emkit.HMMEM`'s, at
    the posterior means (``startprob_``, ``transmat_``, ``emissionprob_`` or
    ``means_`` and ``covars_``), as in hmmlearn.

    Parameters
    ----------
    n_components : int, default=1
        Number of hidden states.
    emission : {"gaussian", "categorical"}, default="gaussian"
        Emission distribution. Categorical X is one column of integer symbols
        ``0 .. n_symbols - 1``.
    covariance_type : {"full", "diag", "tied", "spherical"}, default="full"
        Structure of the Gaussian emissions' covariances (hmmlearn's default
        is ``"full"`` here too). ``"diag"`` and ``"spherical"`` keep, as
        hmmlearn does, a Wishart posterior whose inverse scale is diagonal
        (a multiple of the identity); ``"tied"``, one Wishart for all states.
    n_init : int, default=1
        Number of restarts; the one with the highest lower bound is kept.
    init_params : {"kmeans", "random"}, default="kmeans"
        Where the Gaussian means start: k-means centres or random rows. The
        other posteriors start uniform (categorical emissions: at random
        probabilities), each state worth an equal share of the data, at the
        data's covariance. Every start runs on a sample of at most 10,000
        rows of whole sequences.
    startprob_prior, transmat_prior : float or array-like, default=None
        Positive Dirichlet concentrations of the start probabilities
        (n_components,) and of each row of the transition matrix
        (n_components, n_components); None is ``1 / n_components``, as in
        hmmlearn.
    emissionprob_prior : float or array-like, default=None
        Positive Dirichlet concentrations of the categorical emission
        probabilities (n_components, n_symbols); None is ``1 / n_symbols``.
    means_prior : float or array-like of shape (n_components, n_features), default=None
        Prior means of the Gaussian means; None is the data's mean.
    beta_prior : float or array-like of shape (n_components,), default=None
        Positive precision of the prior on the means, in rows; None is 1.
    dof_prior : float or array-like of shape (n_components,), default=None
        Degrees of freedom of the Wishart priors of the precisions, greater
        than ``n_features - 1`` (a number for ``"tied"``); None is
        ``n_features``.
    scale_prior : float or array-like, default=None
        Inverse scale of the Wishart priors, in the shape of ``covars_`` (a
        number: on the diagonal), positive-definite; None is ``1e-3``.
    startprob_posterior_init, transmat_posterior_init, \
emissionprob_posterior_init, means_posterior_init, beta_posterior_init, \
dof_posterior_init, scale_posterior_init : array-like, default=None
        Initial posteriors, in the shapes of the fitted ``*_posterior_``
        attributes; those given replace the start's.
    update_params : tuple of str, default=None
        Posteriors that the fit updates, among ``"startprob"``,
        ``"transmat"`` and the emission's: ``"emissionprob"``, or ``"means"``
        (``means_posterior_`` and ``beta_posterior_``) and ``"covars"``
        (``dof_posterior_`` and ``scale_posterior_``). None updates all. Each
        update is the best given the others, so the bound still rises; with
        ``"covars"`` but not ``"means"``, hmmlearn's ``params`` update differs
        (not the best one, its inverse scales can stop being positive-definite).
    tol : float, default=1e-5
        EM stops when the lower bound per observation is within about ``tol``
        of where it is heading (see ``stopping``). hmmlearn's ``tol`` bounds
        the gain of the total instead.
    max_iter : int, default=1000
        Maximum number of iterations (E-steps) per restart.
    accelerate : {"squarem", None}, default="squarem"
        ``"squarem"`` extrapolates the posteriors' steps, keeping a step only
        if the lower bound does not drop; None reproduces hmmlearn's iterates.
    stopping : {"aitken", "change"}, default="aitken"
        The stopping rule, as in :class:`~emkit.HMMEM`.
    random_state : int, RandomState instance or None, default=None
        Seeds the starts and :meth:`sample`.
    n_jobs : int, default=None
        Threads for the restarts and the blocks of sequences, as in
        :class:`~emkit.HMMEM`. Results do not depend on it.
    verbose : int, default=0
        Verbosity, as in :class:`~emkit.GaussianMixtureEM`.
    callback : callable, default=None
        Called after every iteration with an :class:`~emkit.IterationRecord`;
        returning True stops that restart.

    Attributes
    ----------
    startprob_posterior_, transmat_posterior_ : ndarray
        Dirichlet concentrations of the posterior, (n_components,) and
        (n_components, n_components).
    emissionprob_posterior_ : ndarray of shape (n_components, n_symbols)
        Categorical emissions: Dirichlet concentrations of the posterior.
    means_posterior_, beta_posterior_, dof_posterior_, scale_posterior_ : ndarray
        Gaussian emissions: the normal-Wishart posterior; ``dof_posterior_``
        is a float for ``"tied"``, ``scale_posterior_`` has the shape of
        ``covars_``.
    startprob_prior_, transmat_prior_, emissionprob_prior_, means_prior_, \
beta_prior_, dof_prior_, scale_prior_ : ndarray
        The priors, as given or by default.
    startprob_, transmat_, emissionprob_, means_, covars_ : ndarray
        The posterior means of the probabilities and means, and the inverse of
        the expected precisions (``scale_posterior_ / dof_posterior_``), in
        the shapes of :class:`~emkit.HMMEM`'s (``covars_`` by covariance
        type): the plain HMM that predicts.
    converged_, n_iter_ : bool, int
        As in :class:`~emkit.HMMEM`.
    lower_bound_, lower_bounds_ : float, list of float
        The lower bound per observation at the start of each iteration (the
        last, and all): ``lower_bounds_ * n_samples`` is hmmlearn's
        ``monitor_.history``, less ``n_samples * n_features * log(2 pi) / 2``
        for Gaussian emissions (a constant hmmlearn leaves out).
    n_features_in_ : int
        Number of columns of X seen during ``fit``.

    See Also
    --------
    HMMEM : Baum-Welch (maximum likelihood or MAP) fits of the same models.

    Examples
    --------
    >>> import numpy as np
    >>> from emkit import VariationalHMMEM
    >>> rng = np.random.RandomState(0)
    >>> states = np.repeat([0, 1, 0, 1], 50)
    >>> X = rng.normal(loc=3.0 * states, size=200)[:, None]
    >>> vhmm = VariationalHMMEM(2, random_state=0).fit(X)
    >>> vhmm.means_.round(1).ravel()
    array([2.9, 0.2])
    >>> vhmm.transmat_posterior_.round()  # Dirichlet concentrations: counts plus prior
    array([[99.,  2.],
           [ 3., 98.]])
    >>> vhmm.transmat_.round(2)  # their means
    array([[0.98, 0.02],
           [0.03, 0.97]])
    >>> vhmm.predict(X[48:53])
    array([1, 1, 0, 0, 0])
    >>> bool(np.all(np.diff(vhmm.lower_bounds_) >= 0))  # the bound never drops
    True

    Categorical emissions:

    >>> symbols = np.where(states == 0, rng.randint(0, 2, 200), rng.randint(2, 4, 200))
    >>> cat = VariationalHMMEM(2, emission="categorical", random_state=0)
    >>> cat.fit(symbols[:, None]).emissionprob_.round(1)
    array([[0.5, 0.5, 0. , 0. ],
           [0. , 0. , 0.5, 0.5]])
    """

    _parameter_constraints: dict = {
        **EM_CONSTRAINTS,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "emission": [StrOptions({"gaussian", "categorical"})],
        "covariance_type": [StrOptions({"full", "diag", "tied", "spherical"})],
        "init_params": [StrOptions({"kmeans", "random"})],
        **{name: [None, Real, "array-like"] for name in _PRIORS},
        **{name: [None, Real, "array-like"] for name in _INITS},
        "update_params": [tuple, list, None],
    }

    def __init__(
        self,
        n_components: int = 1,
        *,
        emission: str = "gaussian",
        covariance_type: str = "full",
        n_init: int = 1,
        init_params: str = "kmeans",
        startprob_prior=None,
        transmat_prior=None,
        emissionprob_prior=None,
        means_prior=None,
        beta_prior=None,
        dof_prior=None,
        scale_prior=None,
        startprob_posterior_init=None,
        transmat_posterior_init=None,
        emissionprob_posterior_init=None,
        means_posterior_init=None,
        beta_posterior_init=None,
        dof_posterior_init=None,
        scale_posterior_init=None,
        update_params=None,
        tol: float = 1e-5,
        max_iter: int = 1000,
        accelerate="squarem",
        stopping: str = "aitken",
        random_state=None,
        n_jobs: int | None = None,
        verbose: int = 0,
        callback=None,
    ):
        self.n_components = n_components
        self.emission = emission
        self.covariance_type = covariance_type
        self.n_init = n_init
        self.init_params = init_params
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.emissionprob_prior = emissionprob_prior
        self.means_prior = means_prior
        self.beta_prior = beta_prior
        self.dof_prior = dof_prior
        self.scale_prior = scale_prior
        self.startprob_posterior_init = startprob_posterior_init
        self.transmat_posterior_init = transmat_posterior_init
        self.emissionprob_posterior_init = emissionprob_posterior_init
        self.means_posterior_init = means_posterior_init
        self.beta_posterior_init = beta_posterior_init
        self.dof_posterior_init = dof_posterior_init
        self.scale_posterior_init = scale_posterior_init
        self.update_params = update_params
        self.tol = tol
        self.max_iter = max_iter
        self.accelerate = accelerate
        self.stopping = stopping
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.callback = callback

    # -- pieces

    def _variational_emission(self):
        if self.emission == "categorical":
            return _Categorical()
        return _Gaussian(self.covariance_type)

    def _emission(self):
        """The plain emission of the posterior means: HMMEM's inference uses it."""
        return self._variational_emission().point

    def _model(self, n_features: int, X=None) -> VariationalHMMModel:
        """The model with the priors and initial posteriors checked (against X at fit;
        without X, the fitted priors)."""
        k = self.n_components
        emission = self._variational_emission()
        inits = {name: getattr(self, name) for name in _INITS}  # for a table's width
        if X is None:  # a fitted model: its priors are the fitted ones
            for name in ("startprob_prior", "transmat_prior", *emission.prior_names):
                if not hasattr(self, name + "_"):
                    raise ValueError(f"the fitted attribute {name}_ is missing.")
            given = {name: getattr(self, name + "_", None) for name in _PRIORS}
            X = np.zeros((1, n_features), dtype=int)
        else:
            given = {name: getattr(self, name) for name in _PRIORS}
        priors = emission.set_prior({**given, **inits}, k, X)
        for name, shape in (("startprob_prior", (k,)), ("transmat_prior", (k, k))):
            value = given[name]
            priors[name + "_"] = _positive(1.0 / k if value is None else value, shape, name)
        checked = self._checked_posteriors(emission, n_features, "_posterior_init")
        return VariationalHMMModel(
            k, emission, self.init_params, checked, priors, self._update(emission)
        )

    def _checked_posteriors(self, emission, n_features: int, suffix: str) -> dict:
        """The posteriors given as attributes ``name + suffix`` (the constructor's
        ``*_posterior_init``, or the fitted ``*_posterior_``), checked; None left out."""
        k = self.n_components
        names = ("startprob", "transmat", *emission.Posterior._fields)
        given = {name: getattr(self, name + suffix, None) for name in names}
        checked = emission.check_posteriors(given, k, n_features, suffix)
        for name, shape in (("startprob", (k,)), ("transmat", (k, k))):
            if given[name] is not None:
                checked[name] = _positive(given[name], shape, name + suffix)
        return checked

    def _fitted_model(self) -> VariationalHMMModel:
        return self._model(self.n_features_in_)

    def _restore_fitted(self) -> None:
        """Check the priors and posteriors of a loaded model, and derive the posterior
        means (``startprob_``, ``transmat_``, ...) from them.

        ``emkit.io.from_json`` calls it once the other attributes are set.
        """
        model = self._fitted_model()
        names = ("startprob", "transmat", *model.emission.Posterior._fields)
        checked = self._checked_posteriors(model.emission, self.n_features_in_, "_posterior_")
        for name in names:
            if name not in checked:
                raise ValueError(f"the fitted attribute {name}_posterior_ is missing.")
        emission = model.emission.Posterior(*(checked[name] for name in names[2:]))
        self._set_fitted(
            model, VariationalHMMParams(checked["startprob"], checked["transmat"], emission)
        )

    def _prepare(self, X, lengths, sequence_ids, reset: bool):
        data = super()._prepare(X, lengths, sequence_ids, reset)
        if data.X.dtype.kind == "f" and not np.all(np.isfinite(data.X)):
            raise ValueError(
                "Input X contains NaN: VariationalHMMEM does not take missing values (HMMEM does)."
            )
        return data

    # -- fitting

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, lengths=None, sequence_ids=None):
        """Fit the posterior by variational Bayes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observations of all sequences, stacked in time order.
        y : None
            Ignored.
        lengths : array-like of int, default=None
            Lengths of the sequences, summing to n_samples (as in hmmlearn).
        sequence_ids : array-like of shape (n_samples,), default=None
            The sequence of each row; the rows of a sequence are consecutive.

        Returns
        -------
        self : VariationalHMMEM
            The fitted estimator.
        """
        with unchanged_on_error(self):
            data = self._prepare(X, lengths, sequence_ids, reset=True)
            _check_y_is_not_lengths(y, data.X)
            n_samples, n_features = data.X.shape
            if n_samples < self.n_components:
                raise ValueError(
                    f"X: expected n_samples >= n_components but got n_components = "
                    f"{self.n_components}, n_samples = {n_samples}."
                )
            model = self._model(n_features, data.X)
            result = fit_em(
                model,
                data,
                row_bytes=_row_bytes(self.n_components, n_features),
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
            )
            set_fit_attributes(self, model, result)
            self._n_fit_sequences = len(data.starts)
        return self

    def _set_fitted(self, model: VariationalHMMModel, params: VariationalHMMParams) -> None:
        for name, value in model.priors.items():
            setattr(self, name, value)
        self.startprob_posterior_ = params.startprob
        self.transmat_posterior_ = params.transmat
        self.startprob_ = params.startprob / params.startprob.sum()
        self.transmat_ = params.transmat / params.transmat.sum(axis=1, keepdims=True)
        for name, value in model.emission.attributes(params.emission).items():
            setattr(self, name, value)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
