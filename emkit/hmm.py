"""Hidden Markov models fitted by Baum-Welch (EM) on the shared driver."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from numbers import Integral, Real
from typing import Any, NamedTuple

import numpy as np
from scipy.sparse.csgraph import connected_components
from scipy.special import softmax
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted

from . import _starts
from ._em import (
    EM_CONSTRAINTS,
    InMemory,
    chunk_rows,
    fit_em,
    fitted_copy,
    map_blocks,
    set_fit_attributes,
)
from ._emissions import (
    CategoricalEmission,
    GaussianEmission,
    GaussianMixtureEmission,
    MultinomialTrialsEmission,
    PoissonEmission,
)
from ._gaussian import GAUSSIAN_CONSTRAINTS
from ._hmm_inference import forward_backward, viterbi
from ._missing import Missingness, find_missing
from ._utils import column_sums, log_dirichlet, normalize_rows
from ._validation import (
    NonFiniteError,
    check_prior,
    check_probabilities,
    naming_errors,
    unchanged_on_error,
    warn,
)
from .emissions import CustomEmission, Emission

# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class SequenceData(InMemory):
    """Stacked sequences: rows ``starts[s]:ends[s]`` of X are sequence s."""

    X: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    missing: Missingness | None = None

    @property
    def total_weight(self) -> float:
        return float(len(self.X))

    def rows_for_init(self, rng) -> SequenceData:
        """The sequences a start sees: all, or whole ones drawn at random.

        Sequences in random order until ``_starts.START_ROWS`` rows; a first
        one longer than that gives a window of ``START_ROWS`` rows.
        """
        size = _starts.START_ROWS
        if len(self.X) <= size:
            return self
        windows, n_rows = [], 0
        for s in rng.permutation(len(self.starts)):
            start, end = self.starts[s], self.ends[s]
            if end - start > size - n_rows:
                if n_rows:
                    break
                start += rng.randint(end - start - size + 1)
                end = start + size
            windows.append((start, end))
            n_rows += end - start
        starts, ends = np.array(sorted(windows)).T
        X = np.concatenate([self.X[a:b] for a, b in zip(starts, ends)])
        new_ends = np.cumsum(ends - starts)
        return SequenceData(X, new_ends - (ends - starts), new_ends, find_missing(X))

    def chunks(self, row_bytes: int) -> list[SequenceData]:
        """Blocks of whole sequences of about the rows ``working_memory`` allows."""
        n_rows = chunk_rows(row_bytes, len(self.X))
        block = self.starts // n_rows
        cuts = np.flatnonzero(np.diff(block)) + 1
        out = []
        for first, last in zip(np.r_[0, cuts], np.r_[cuts, len(self.starts)]):
            a, b = self.starts[first], self.ends[last - 1]
            X = self.X[a:b]
            starts, ends = self.starts[first:last] - a, self.ends[first:last] - a
            out.append(SequenceData(X, starts, ends, find_missing(X)))
        return out


def _check_y_is_not_lengths(y, X) -> None:
    """hmmlearn's fit(X, lengths) passed positionally would land in y here.

    y is ignored, and refused where it could be lengths: when it has not one
    entry per row, or one per row all equal to 1 (sequences of one row; for a
    single row, one sequence either way).
    """
    if y is None or np.ndim(y) != 1:
        return
    try:
        n_samples = len(X)
    except TypeError:  # not rows at all: the check of X says so
        return
    y = np.asarray(y)
    ones = len(y) == n_samples > 1 and y.dtype.kind in "iuf" and bool(np.all(y == 1))
    if len(y) != n_samples or ones:
        which = ", all 1 as the lengths of one-row sequences would be," if ones else ""
        raise ValueError(
            f"y has {len(y)} entries for {n_samples} rows{which} and is ignored; to give "
            "the lengths of the sequences, pass lengths=... by keyword."
        )


def _check_lengths(lengths) -> np.ndarray:
    """``lengths`` as a 1-D array of positive integers (of any numeric dtype)."""
    with naming_errors("lengths"):
        lengths = check_array(lengths, ensure_2d=False, dtype=None, input_name="lengths")
        integers = lengths.ndim == 1 and np.issubdtype(lengths.dtype, np.number)
        if not (integers and np.all(np.mod(lengths, 1) == 0)):
            raise ValueError(f"lengths must be a 1-D array of integers, got {lengths!r}.")
    if np.any(lengths <= 0):
        raise ValueError(f"lengths must be positive, got {lengths[lengths <= 0][:5]}.")
    return lengths


def sequence_bounds(
    n_samples: int, lengths=None, sequence_ids=None, total="the number of rows of X"
):
    """(starts, ends) of the sequences given by ``lengths`` or ``sequence_ids``.

    ``total`` names ``n_samples`` in the errors.
    """
    if lengths is not None and sequence_ids is not None:
        raise ValueError("Give either lengths or sequence_ids, not both.")
    if sequence_ids is not None:
        ids = np.asarray(sequence_ids)
        if ids.ndim != 1 or len(ids) != n_samples:
            raise ValueError(
                f"sequence_ids must have one id per row of X: shape ({n_samples},), "
                f"got {ids.shape}."
            )
        if ids.dtype.kind in "fc" and not np.all(np.isfinite(ids)):
            raise ValueError("sequence_ids must be finite: found NaN or infinity.")
        if n_samples == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        starts = np.r_[0, np.flatnonzero(ids[1:] != ids[:-1]) + 1]
        run_ids = ids[starts]
        with naming_errors("sequence_ids"):  # ids that cannot be compared with each other
            n_distinct = len(np.unique(run_ids))
        if n_distinct != len(run_ids):
            repeated = run_ids[np.argmax([np.sum(run_ids == i) > 1 for i in run_ids])]
            raise ValueError(
                f"sequence_ids: the rows of sequence {repeated} are not contiguous; the "
                "rows of each sequence must be consecutive and in time order."
            )
        return starts.astype(np.int64), np.r_[starts[1:], n_samples].astype(np.int64)
    lengths = _check_lengths([n_samples] if lengths is None else lengths)
    if np.any(lengths > n_samples):  # also keeps their sum from overflowing
        raise ValueError(
            f"lengths must sum to {total} ({n_samples}), got a length of {lengths.max()}."
        )
    lengths = lengths.astype(np.int64)
    if lengths.sum() != n_samples:
        raise ValueError(f"lengths must sum to {total} ({n_samples}), got {lengths.sum()}.")
    ends = np.cumsum(lengths)
    return ends - lengths, ends


# -------------------------------------------------------------------------- model


def _row_bytes(n_states: int, n_features: int) -> int:
    """Bytes of the temporaries of one observation, for the blocks of sequences."""
    return 8 * n_states * (n_features + 2 * n_states + 4)


_FIT_ADVICE = "Check the *_init arguments, or let EM update the parameters that contain zeros."
_INFERENCE_ADVICE = (
    "Every state path has probability zero, so they have no state posteriors and no most "
    "likely path; score gives them log-likelihood -inf."
)


def _check_possible(log_likelihoods: np.ndarray, advice: str = _FIT_ADVICE) -> None:
    if not np.all(np.isfinite(log_likelihoods)):
        impossible = np.flatnonzero(~np.isfinite(log_likelihoods))
        raise NonFiniteError(
            f"Sequence(s) {impossible[:5].tolist()} have zero probability under the model: "
            f"a zero start, transition or emission probability rules them out. {advice}"
        )


def _stationary_distribution(startprob: np.ndarray, transmat: np.ndarray) -> np.ndarray:
    """The long-run distribution of the states of the chain started from ``startprob``.

    The limit of the mean of ``startprob @ transmat**t`` over t = 0..T-1 as T
    grows: a distribution ``pi`` with ``pi @ transmat == pi``. Each closed class of states (which
    the chain never leaves once in it) has one stationary distribution; the
    result weights each class's by the probability that the chain ends up in
    that class. An irreducible chain, periodic or not, is one closed class, and
    the result is its unique stationary distribution, whatever ``startprob``.
    """
    edges = transmat > 0
    n_classes, labels = connected_components(edges, directed=True, connection="strong")
    i, j = np.nonzero(edges)
    closed_class = np.ones(n_classes, dtype=bool)
    closed_class[labels[i][labels[i] != labels[j]]] = False
    closed = closed_class[labels]
    # Mass in each closed state at the entry into its class: start there, or get
    # there from the transient states (expected visits startprob_T (I - P_TT)^-1).
    mass = startprob[closed]
    transient = ~closed
    if transient.any():
        leave = np.eye(int(transient.sum())) - transmat[np.ix_(transient, transient)]
        visits = np.linalg.solve(leave.T, startprob[transient])
        mass = mass + visits @ transmat[np.ix_(transient, closed)]
    pi = np.zeros(len(startprob))
    for label in np.flatnonzero(closed_class):
        states = np.flatnonzero(labels == label)
        weight = mass[labels[closed] == label].sum()
        # The one solution of pi (P - I) = 0, sum(pi) = 1 on an irreducible class.
        block = transmat[np.ix_(states, states)]
        system = np.vstack([block.T - np.eye(len(states)), np.ones(len(states))])
        target = np.r_[np.zeros(len(states)), 1.0]
        pi[states] = weight * np.linalg.lstsq(system, target, rcond=None)[0]
    pi = np.maximum(pi, 0.0)  # rounding
    return pi / pi.sum()


def _warn_if_degenerate(n_parameters: int, X: np.ndarray) -> None:
    """Warn, as hmmlearn does, when the data have fewer values than the model has parameters."""
    n_values = int(np.count_nonzero(~np.isnan(X))) if X.dtype.kind == "f" else X.size
    if n_values < n_parameters:
        warn(
            f"HMMEM has {n_parameters} free parameters, but X holds only {n_values} observed "
            "values: the fit is degenerate, as the data cannot determine them all. Use fewer "
            "states or more data, or fix parameters (update_params, with *_init values)."
        )


def _cumulative(probabilities: np.ndarray) -> np.ndarray:
    """Cumulative sums along the last axis, ending in exactly 1.

    ``searchsorted(c, u, "right")`` for u uniform in [0, 1) then draws index
    i with its probability, and never one of probability zero.
    """
    cumulative = np.cumsum(probabilities, axis=-1)
    return cumulative / cumulative[..., -1:]


def _draw(probabilities: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """Indices drawn from ``probabilities`` by uniform numbers in [0, 1)."""
    return np.searchsorted(_cumulative(probabilities), uniform, "right")


class HMMParams(NamedTuple):
    startprob: np.ndarray
    transmat: np.ndarray
    emission: Any


@dataclass(frozen=True)
class HMMStats:
    start: np.ndarray
    transitions: np.ndarray
    emission: Any

    def __add__(self, other: HMMStats) -> HMMStats:
        return HMMStats(
            self.start + other.start,
            self.transitions + other.transitions,
            self.emission + other.emission,
        )


class HMMModel:
    """Baum-Welch for the driver: forward-backward E-step, Dirichlet-MAP M-step."""

    def __init__(
        self,
        n_states: int,
        emission,
        init_params: str,
        given: dict,
        startprob_prior: np.ndarray,
        transmat_prior: np.ndarray,
        update: frozenset,
    ):
        self.n_states = n_states
        self.emission = emission
        self.init_method = init_params
        self.given = given
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.update = update
        # Zeros of startprob_init and transmat_init are structural: they stay zero.
        k = n_states
        self.start_allowed = given.get("startprob", np.ones(k)) > 0
        self.transition_allowed = given.get("transmat", np.ones((k, k))) > 0

    @property
    def explores(self) -> bool:
        """Whether the driver starts from the best of short runs (``init_params="short-em"``)."""
        given = any(self.given.get(name) is not None for name in self.emission.names)
        explores = getattr(self.emission, "explores", True)
        return self.init_method == "short-em" and self.n_states > 1 and explores and not given

    def collapsed(self, params: HMMParams, total_weight: float) -> bool:
        """Whether a state's emission is spurious (a Gaussian variance at the floor)."""
        return self.emission.collapsed(params.emission, np.full(self.n_states, np.inf))

    def init_params(self, data: SequenceData, rng, method: str | None = None) -> HMMParams:
        """Initial parameters by ``method`` (``init_params`` if None), on a sample of big data."""
        k = self.n_states
        startprob = self.given.get("startprob")
        transmat = self.given.get("transmat")
        X = data.rows_for_init(rng).X
        emission = self.emission.init(X, k, method or self.init_method, self.given, rng)
        return HMMParams(
            np.full(k, 1.0 / k) if startprob is None else startprob,
            np.full((k, k), 1.0 / k) if transmat is None else transmat,
            emission,
        )

    def frame_log_prob(self, params: HMMParams, X, missing) -> np.ndarray:
        log_prob = self.emission.log_prob(params.emission, X, missing)
        return np.ascontiguousarray(log_prob, dtype=float)

    def e_step(self, params: HMMParams, chunk: SequenceData):
        scored = self.emission.condition(params.emission, chunk.X, chunk.missing)
        log_frameprob = np.ascontiguousarray(scored.log_prob, dtype=float)
        posteriors, xi, log_likelihoods = forward_backward(
            params.startprob, params.transmat, log_frameprob, chunk.starts, chunk.ends
        )
        _check_possible(log_likelihoods)
        stats = HMMStats(column_sums(posteriors[chunk.starts]), xi, scored.statistics(posteriors))
        return stats, float(log_likelihoods.sum())

    def m_step(self, stats: HMMStats, params: HMMParams) -> HMMParams:
        startprob, transmat = params.startprob, params.transmat
        if "startprob" in self.update:
            counts = np.maximum(stats.start + self.startprob_prior - 1.0, 0.0)
            startprob = normalize_rows(np.where(self.start_allowed, counts, 0.0), startprob)
        if "transmat" in self.update:
            counts = np.maximum(stats.transitions + self.transmat_prior - 1.0, 0.0)
            counts = np.where(self.transition_allowed, counts, 0.0)
            transmat = normalize_rows(counts, transmat)
        emission = self.emission.estimate(stats.emission, params.emission, self.update)
        return HMMParams(startprob, transmat, emission)

    def divergences(self, a: HMMParams, b: HMMParams) -> np.ndarray:
        """Divergences between the emissions of the states of two models."""
        return self.emission.divergences(a.emission, b.emission)

    def permuted(self, params: HMMParams, order: np.ndarray) -> HMMParams:
        """The model with its states in order ``order``."""
        return HMMParams(
            params.startprob[order],
            params.transmat[np.ix_(order, order)],
            self.emission.permuted(params.emission, order),
        )

    def log_prior(self, params: HMMParams) -> float:
        """Log of the prior densities, up to a constant (0 for flat priors)."""
        total = self.emission.log_prior(params.emission)
        if "startprob" in self.update:
            total += log_dirichlet(self.startprob_prior, params.startprob, self.start_allowed)
        if "transmat" in self.update:
            total += log_dirichlet(self.transmat_prior, params.transmat, self.transition_allowed)
        return float(total)

    def unconstrained(self, params: HMMParams) -> tuple:
        """Log probabilities (-inf for zeros) and the emission's unconstrained arrays."""
        with np.errstate(divide="ignore"):
            logs = np.log(params.startprob), np.log(params.transmat)
        return (*logs, *self.emission.unconstrained(params.emission))

    def from_unconstrained(self, values) -> HMMParams:
        start, transitions, *emission = values
        return HMMParams(
            softmax(start),
            softmax(transitions, axis=1),
            self.emission.from_unconstrained(emission),
        )

    def n_parameters(self, params: HMMParams) -> int:
        count = self.emission.n_parameters(params.emission, self.update)
        if "startprob" in self.update:
            count += int(self.start_allowed.sum()) - 1
        if "transmat" in self.update:
            count += int(self.transition_allowed.sum()) - self.n_states
        return count


# ---------------------------------------------------------------------- estimator


class HMMEM(BaseEstimator):
    """Hidden Markov model fitted by Baum-Welch (EM).

    Gaussian (all four covariance types), Gaussian mixture (hmmlearn's
    GMMHMM), categorical, multinomial or Poisson emissions;
    many sequences at once, given by ``lengths`` (as in hmmlearn) or by
    ``sequence_ids`` (one id per row, which scikit-learn's metadata routing
    splits with the rows, so that ``GroupKFold`` cross-validation works).
    Forward-backward and Viterbi are compiled with numba.

    Parameters
    ----------
    n_components : int, default=1
        Number of hidden states.
    emission : {"gaussian", "gmm", "categorical", "multinomial", "poisson"} or Emission, \
            default="gaussian"
        Emission distribution. ``"gmm"``: a mixture of ``n_mix`` Gaussians per
        state. Categorical X is one column of integer symbols
        ``0 .. n_symbols - 1``; multinomial X holds the counts of
        ``n_features`` categories, each row the outcomes of its number of
        trials (``n_trials``), as hmmlearn's ``MultinomialHMM``; Poisson X
        holds non-negative integer counts. An instance of a subclass of
        :class:`emkit.emissions.Emission` is an emission of your own; its
        parameters become attributes ``name_`` (see :ref:`custom-emissions`).
    covariance_type : {"diag", "full", "tied", "spherical"}, default="diag"
        Covariance structure of Gaussian emissions, and of the components of
        Gaussian mixture emissions. With ``emission="gmm"``, ``"tied"`` shares
        one matrix among the components of each state, as hmmlearn's GMMHMM
        does (with ``"gaussian"``, one matrix for all states).
    n_mix : int, default=1
        Number of Gaussian components in each state's mixture
        (``emission="gmm"``).
    n_init : int, default=1
        Number of restarts; the one with the highest log-likelihood is kept.
    init_params : {"short-em", "kmeans", "random"}, default="short-em"
        Initial Gaussian means or Poisson rates. ``"short-em"`` runs plain
        Baum-Welch for a few E-steps from 16 starts (k-means centres, and 15
        seeds drawn by k-means++'s rule without greedy trials), keeps the
        better half by the limit Aitken's method projects (on larger data,
        by the fit to a second sample plus the projected gain), and doubles
        their E-steps, round after round, until one is left; the fit starts
        from the survivor (see :ref:`defaults`). ``"kmeans"``: k-means centres;
        ``"random"``: random rows. Every start runs on whole sequences drawn
        at random up to 10,000 rows, or a window of 10,000 rows of one longer
        sequence. Categorical emission probabilities start random (one start:
        short runs on a sample would rule out its unseen symbols); multinomial
        ones, for the same reason, at k-means centres of the rows' proportions
        (``"random"``: random rows' proportions), each category kept above 0.
        Gaussian covariances start at the data's covariance. A Gaussian
        mixture's means start at ``n_mix`` centres, found by the same method,
        among the rows nearest each state's centre (as hmmlearn's GMMHMM runs
        k-means twice), its weights equal. With emission parameters given
        (``weights_init``, ``means_init``, ``covars_init``, ``emissionprob_init``,
        ``lambdas_init``), there are no short runs.
    startprob_init, transmat_init : array-like, default=None
        Initial start probabilities (n_components,) and transition matrix
        (n_components, n_components); uniform if None. Zeros in
        ``transmat_init`` stay zero (left-right and other topologies).
    weights_init : array-like of shape (n_components, n_mix), default=None
        Initial mixture weights of Gaussian mixture emissions; each row sums
        to 1.
    means_init, covars_init : array-like, default=None
        Initial Gaussian means, (n_components, n_features) or for Gaussian
        mixtures (n_components, n_mix, n_features), and covariances (in the
        shape of ``covars_``).
    emissionprob_init : array-like of shape (n_components, n_symbols), default=None
        Initial categorical emission probabilities; multinomial: of shape
        (n_components, n_features).
    lambdas_init : array-like of shape (n_components, n_features), default=None
        Initial Poisson rates.
    n_trials : int, array-like of shape (n_samples,) or None, default=None
        Multinomial emissions: the number of trials of each row, which its
        counts must sum to. An int holds for the rows of every method; an
        array gives the trials of each row of the X passed to ``fit`` (other
        methods take each row's total, as hmmlearn does); None takes each
        row's total. ``sample`` draws rows of ``n_trials`` trials if it is an
        int, else of the total that all the rows of ``fit`` shared
        (``n_trials_``).
    startprob_prior, transmat_prior : float or array-like, default=1.0
        Dirichlet concentrations of the start and transition probabilities,
        for every entry or of shape (n_components,) and (n_components,
        n_components); 1.0 is no prior, below 1 favours zero probabilities.
    emissionprob_prior : float or array-like, default=1.0
        Dirichlet concentrations of categorical or multinomial emission
        probabilities, (n_components, n_symbols or n_features).
    lambdas_prior, lambdas_weight : float or array-like, default=0.0
        Gamma prior of the Poisson rates, density proportional to
        ``rate ** lambdas_prior * exp(-lambdas_weight * rate)``, (n_components,
        n_features).
    means_prior, means_weight : float or array-like, default=0.0
        Normal prior of the Gaussian means: about ``means_prior``
        (n_components, n_features), worth ``means_weight`` (n_components,)
        observations.
    covars_prior, covars_weight : float or array-like, default=0.0 and 1.0
        Inverse-Wishart prior of the Gaussian covariances: scale
        ``covars_prior`` in the shape of ``covars_`` (a number: on the
        diagonal), degrees of freedom ``covars_weight`` (n_components,), a
        number for ``"tied"``. The defaults are flat; hmmlearn's updates
        (see :ref:`hmm`, "Priors on the emissions").
    reg_covar : float, default=1e-6
        Added to the diagonal of Gaussian covariances.
    update_params : tuple of str, default=None
        Parameters that EM updates, among ``"startprob"``, ``"transmat"`` and
        the emission's (``"means"``, ``"covars"``; ``"weights"``, ``"means"``,
        ``"covars"`` for Gaussian mixtures; ``"emissionprob"`` for categorical
        and multinomial; ``"lambdas"``). None updates all.
    tol : float, default=1e-5
        EM stops when the mean log-likelihood per observation is within about
        ``tol`` of where it is heading (see ``stopping``). hmmlearn's ``tol``
        bounds the gain of the total log-likelihood instead.
    max_iter : int, default=1000
        Maximum number of iterations per restart.
    accelerate : {"squarem", None}, default="squarem"
        ``"squarem"`` extrapolates Baum-Welch steps (SQUAREM), keeping a step
        only if it does not lower the log-likelihood; ``None`` is plain
        Baum-Welch, which reproduces hmmlearn's iterates from the same start
        (GMMHMM's when it updates the means or the covariances, not both: it
        then centres the covariances on the previous means, an ECM step).
    stopping : {"aitken", "change"}, default="aitken"
        The stopping rule, as in :class:`~emkit.GaussianMixtureEM`:
        ``"aitken"`` stops when the last gain and the gains still to come
        (Aitken's delta-squared estimate) are below ``tol``; ``"change"``
        when the last gain is, as hmmlearn does (with ``tol`` per
        observation).
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisations and :meth:`sample`.
    n_jobs : int, default=None
        Number of threads: restarts run at once, and the blocks of sequences
        of each E-step, and of ``predict``, ``predict_proba``, ``decode`` and
        ``score``, are shared among them. Results do not depend on it.
    verbose : int, default=0
        Verbosity, as in :class:`~emkit.GaussianMixtureEM`.
    callback : callable, default=None
        Called after every iteration with an :class:`~emkit.IterationRecord`;
        returning True stops that restart.

    Attributes
    ----------
    startprob_ : ndarray of shape (n_components,)
        Start probabilities.
    transmat_ : ndarray of shape (n_components, n_components)
        Transition probabilities; row i is the distribution of the next state.
    means_, covars_ : ndarray
        Gaussian emissions: means and covariances (shape by ``covariance_type``,
        as ``GaussianMixtureEM.covariances_``). For Gaussian mixtures, see
        ``weights_``.
    weights_ : ndarray of shape (n_components, n_mix)
        Gaussian mixture emissions: the mixture weights of each state. Then
        ``means_`` has shape (n_components, n_mix, n_features), and
        ``covars_[k]`` holds state k's components' covariances, as
        ``GaussianMixtureEM.covariances_`` with ``n_mix`` components (the
        shapes of hmmlearn's GMMHMM):

        =========== =================================================
        type        ``covars_``
        =========== =================================================
        full        (n_components, n_mix, n_features, n_features)
        tied        (n_components, n_features, n_features)
        diag        (n_components, n_mix, n_features)
        spherical   (n_components, n_mix)
        =========== =================================================
    emissionprob_ : ndarray of shape (n_components, n_symbols)
        Categorical emissions; multinomial: (n_components, n_features), the
        probabilities of the categories in each state.
    n_trials_ : int or None
        Multinomial emissions: the number of trials that every row of the X
        passed to ``fit`` had, or None if their totals differ.
    lambdas_ : ndarray of shape (n_components, n_features)
        Poisson emissions.
    converged_, n_iter_, lower_bound_, lower_bounds_
        As in :class:`~emkit.GaussianMixtureEM`; log-likelihoods are means
        per observation, plus the log of the prior densities (divided by the
        number of observations) when a prior is not flat: the objective that
        EM increases.
    n_features_in_ : int
        Number of columns of X seen during ``fit``.

    Notes
    -----
    A sequence that a zero start, transition or emission probability rules
    out has probability zero: :meth:`score` returns ``-inf`` for it (and
    ``bic`` and ``aic`` ``inf``), as hmmlearn's ``score`` does, while
    :meth:`predict_proba`, :meth:`predict`, :meth:`decode` and :meth:`fit`
    raise a ``ValueError`` naming it: it has no posteriors and no most likely
    path.

    ``fit`` warns (``UserWarning``) when the model has more free parameters
    (those EM updates, as ``bic`` counts them) than X has observed values,
    as hmmlearn warns of a degenerate solution; not with ``max_iter=0``,
    which estimates nothing. A model fitted on several sequences warns when
    ``score``, ``predict``, ``predict_proba``, ``decode``, ``bic`` or ``aic``
    get neither ``lengths`` nor ``sequence_ids``.

    Examples
    --------
    >>> import numpy as np
    >>> from emkit import HMMEM
    >>> rng = np.random.RandomState(0)
    >>> states = np.repeat([0, 1, 0, 1], 50)
    >>> X = rng.normal(loc=3.0 * states, size=200)[:, None]
    >>> hmm = HMMEM(2, random_state=0).fit(X)
    >>> hmm.means_.round(1).ravel()
    array([0.2, 2.9])
    >>> hmm.transmat_.round(2)
    array([[0.98, 0.02],
           [0.01, 0.99]])
    >>> hmm.predict(X[48:53])
    array([0, 0, 1, 1, 1])

    Several sequences, given by their lengths or by one id per row:

    >>> ids = np.repeat([10, 20], 100)
    >>> hmm.score(X, sequence_ids=ids) == hmm.score(X, lengths=[100, 100])
    True

    The long-run share of time in each state, and two new sequences drawn
    from the model:

    >>> hmm.get_stationary_distribution().round(2)
    array([0.34, 0.66])
    >>> X_new, states_new = hmm.sample(lengths=[10, 20], random_state=0)
    >>> X_new.shape, states_new.shape
    ((30, 1), (30,))

    A mixture of two Gaussians in each state (hmmlearn's GMMHMM):

    >>> mixed = HMMEM(2, emission="gmm", n_mix=2, random_state=0).fit(X)
    >>> mixed.weights_.shape, mixed.means_.shape, mixed.covars_.shape
    ((2, 2), (2, 2, 1), (2, 2, 1))
    """

    _parameter_constraints: dict = {
        **EM_CONSTRAINTS,
        **GAUSSIAN_CONSTRAINTS,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "emission": [
            StrOptions({"gaussian", "gmm", "categorical", "multinomial", "poisson"}),
            Emission,
        ],
        "n_mix": [Interval(Integral, 1, None, closed="left")],
        "init_params": [StrOptions({"short-em", "kmeans", "random"})],
        "startprob_init": ["array-like", None],
        "transmat_init": ["array-like", None],
        "weights_init": ["array-like", None],
        "means_init": ["array-like", None],
        "covars_init": ["array-like", None],
        "emissionprob_init": ["array-like", None],
        "lambdas_init": ["array-like", None],
        "n_trials": [Interval(Integral, 1, None, closed="left"), "array-like", None],
        "startprob_prior": [Interval(Real, 0.0, None, closed="left"), "array-like"],
        "transmat_prior": [Interval(Real, 0.0, None, closed="left"), "array-like"],
        "emissionprob_prior": [Interval(Real, 0.0, None, closed="left"), "array-like"],
        "lambdas_prior": [Interval(Real, 0.0, None, closed="left"), "array-like"],
        "lambdas_weight": [Interval(Real, 0.0, None, closed="left"), "array-like"],
        "means_prior": [Real, "array-like"],
        "means_weight": [Interval(Real, 0.0, None, closed="left"), "array-like"],
        "covars_prior": [Interval(Real, 0.0, None, closed="left"), "array-like"],
        "covars_weight": [Interval(Real, 0.0, None, closed="left"), "array-like"],
        "update_params": [tuple, list, None],
    }

    def __init__(
        self,
        n_components: int = 1,
        *,
        emission: str = "gaussian",
        covariance_type: str = "diag",
        n_mix: int = 1,
        n_init: int = 1,
        init_params: str = "short-em",
        startprob_init=None,
        transmat_init=None,
        weights_init=None,
        means_init=None,
        covars_init=None,
        emissionprob_init=None,
        lambdas_init=None,
        n_trials=None,
        startprob_prior=1.0,
        transmat_prior=1.0,
        emissionprob_prior=1.0,
        lambdas_prior=0.0,
        lambdas_weight=0.0,
        means_prior=0.0,
        means_weight=0.0,
        covars_prior=0.0,
        covars_weight=1.0,
        reg_covar: float = 1e-6,
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
        self.n_mix = n_mix
        self.n_init = n_init
        self.init_params = init_params
        self.startprob_init = startprob_init
        self.transmat_init = transmat_init
        self.weights_init = weights_init
        self.means_init = means_init
        self.covars_init = covars_init
        self.emissionprob_init = emissionprob_init
        self.lambdas_init = lambdas_init
        self.n_trials = n_trials
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.emissionprob_prior = emissionprob_prior
        self.lambdas_prior = lambdas_prior
        self.lambdas_weight = lambdas_weight
        self.means_prior = means_prior
        self.means_weight = means_weight
        self.covars_prior = covars_prior
        self.covars_weight = covars_weight
        self.reg_covar = reg_covar
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

    def _emission(self):
        if isinstance(self.emission, Emission):
            return CustomEmission(self.emission)
        if self.emission == "gaussian":
            return GaussianEmission(self.covariance_type, self.reg_covar)
        if self.emission == "gmm":
            return GaussianMixtureEmission(self.n_mix, self.covariance_type, self.reg_covar)
        if self.emission == "categorical":
            return CategoricalEmission()
        if self.emission == "multinomial":
            return MultinomialTrialsEmission(self.n_trials, getattr(self, "n_trials_", None))
        return PoissonEmission()

    def _update(self, emission) -> frozenset:
        names = ("startprob", "transmat", *emission.names)
        if self.update_params is None:
            return frozenset(names)
        unknown = set(self.update_params) - set(names)
        if unknown:
            raise ValueError(
                f"update_params must be a tuple of names among {names} for "
                f"emission={self.emission!r}, got {self.update_params!r}."
            )
        return frozenset(self.update_params)

    def _model(self, n_features: int) -> HMMModel:
        k = self.n_components
        emission = self._emission()
        given = {
            "weights": self.weights_init,
            "means": self.means_init,
            "covars": self.covars_init,
            "emissionprob": self.emissionprob_init,
            "lambdas": self.lambdas_init,
        }
        checked = emission.check_init(given, k, n_features)
        priors = {
            name: getattr(self, name)
            for name in (
                "emissionprob_prior",
                "lambdas_prior",
                "lambdas_weight",
                "means_prior",
                "means_weight",
                "covars_prior",
                "covars_weight",
            )
        }
        emission.set_priors(priors, k, n_features)
        if self.startprob_init is not None:
            checked["startprob"] = check_probabilities(self.startprob_init, (k,), "startprob_init")
        if self.transmat_init is not None:
            checked["transmat"] = check_probabilities(self.transmat_init, (k, k), "transmat_init")
        return HMMModel(
            k,
            emission,
            self.init_params,
            checked,
            check_prior(self.startprob_prior, (k,), "startprob_prior"),
            check_prior(self.transmat_prior, (k, k), "transmat_prior"),
            self._update(emission),
        )

    def _fitted_model(self) -> HMMModel:
        """The model of the fitted parameters."""
        return self._model(self.n_features_in_)

    def _params(self) -> HMMParams:
        emission = self._emission().from_attributes(lambda name: getattr(self, name))
        return HMMParams(self.startprob_, self.transmat_, emission)

    def _prepare(self, X, lengths, sequence_ids, reset: bool):
        if not reset:
            check_is_fitted(self)
        X = self._emission().check_X(self, X, reset=reset)
        starts, ends = sequence_bounds(len(X), lengths, sequence_ids)
        return SequenceData(X, starts, ends)  # each block finds its missing values

    # -- fitting

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, lengths=None, sequence_ids=None):
        """Fit the model by Baum-Welch.

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
            Give ``lengths`` or ``sequence_ids``, or neither for one sequence.

        Returns
        -------
        self : HMMEM
            The fitted estimator.
        """
        with unchanged_on_error(self):
            data = self._prepare(X, lengths, sequence_ids, reset=True)
            _check_y_is_not_lengths(y, data.X)
            n_samples, n_features = data.X.shape
            mixed = self.emission == "gmm"  # a start needs a row per Gaussian
            components = "n_components * n_mix" if mixed else "n_components"
            n_densities = self.n_components * (self.n_mix if mixed else 1)
            if n_samples < n_densities:
                raise ValueError(
                    f"X: expected n_samples >= {components} but got {components} = "
                    f"{n_densities}, n_samples = {n_samples}."
                )
            model = self._model(n_features)
            # A categorical table needs every symbol of the data, a start's sample or not.
            model.given["largest"] = data.X.max(axis=0)
            # What the emission learns from the data beside EM (the rows' common total).
            data_attributes = getattr(model.emission, "data_attributes", lambda X: {})
            for name, value in data_attributes(data.X).items():
                setattr(self, name, value)
            k = self.n_components
            result = fit_em(
                model,
                data,
                row_bytes=_row_bytes(k, n_features),
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
            if self.max_iter > 0:  # max_iter=0 estimates nothing: it builds a model
                _warn_if_degenerate(model.n_parameters(result.params), data.X)
            set_fit_attributes(self, model, result)
            self._n_fit_sequences = len(data.starts)
        return self

    def _set_fitted(self, model, params: HMMParams) -> None:
        self.startprob_ = params.startprob
        self.transmat_ = params.transmat
        for name, value in model.emission.attributes(params.emission).items():
            setattr(self, name, value)

    # -- inference

    def _by_blocks(self, X, lengths, sequence_ids, infer) -> list:
        """``infer(params, log_frameprob, block)`` on blocks of whole sequences, in order.

        The blocks are those of ``fit``, and ``n_jobs`` threads share them.
        """
        data = self._prepare(X, lengths, sequence_ids, reset=False)
        model, params = self._model(data.X.shape[1]), self._params()

        def run(block: SequenceData):
            log_frameprob = model.frame_log_prob(params, block.X, block.missing)
            return infer(params, log_frameprob, block)

        blocks = data.chunks(_row_bytes(self.n_components, data.X.shape[1]))
        return map_blocks(run, blocks, self.n_jobs)

    def _forward_backward(self, X, lengths, sequence_ids):
        """State posteriors and the log-likelihood of each sequence.

        An impossible sequence has log-likelihood -inf, and no posteriors.
        """

        def infer(params, log_frameprob, block):
            posteriors, _, log_likelihoods = forward_backward(
                params.startprob, params.transmat, log_frameprob, block.starts, block.ends
            )
            return posteriors, log_likelihoods

        posteriors, log_likelihoods = zip(
            *self._by_blocks(X, lengths, sequence_ids, infer), strict=True
        )
        return np.concatenate(posteriors), np.concatenate(log_likelihoods)

    def _posteriors(self, X, lengths, sequence_ids) -> np.ndarray:
        posteriors, log_likelihoods = self._forward_backward(X, lengths, sequence_ids)
        _check_possible(log_likelihoods, _INFERENCE_ADVICE)
        return posteriors

    def _warn_if_one_sequence(self, method: str, lengths, sequence_ids) -> None:
        """Warn that X is one sequence to ``method`` when fit had several and none are given."""
        n_fit = getattr(self, "_n_fit_sequences", 1)
        if lengths is None and sequence_ids is None and n_fit > 1:
            warn(
                f"{type(self).__name__} was fitted on {n_fit} sequences, but {method} got "
                "neither lengths nor sequence_ids, so X is taken as one sequence. Pass lengths "
                "(lengths=[len(X)] for one sequence) or sequence_ids; in cross-validation, "
                "enable scikit-learn's metadata routing and request sequence_ids for "
                "scoring (set_score_request(sequence_ids=True) on the estimator or the scorer)."
            )

    def score(self, X, y=None, lengths=None, sequence_ids=None) -> float:
        """Mean log-likelihood per observation.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observations.
        y : None
            Ignored.
        lengths, sequence_ids : array-like, default=None
            Sequence boundaries, as in :meth:`fit`. Without either, X is one
            sequence; a UserWarning says so if ``fit`` had several.

        Returns
        -------
        log_likelihood : float
            ``log p(X) / n_samples``, summed over sequences; ``-inf`` if a
            sequence has probability zero under the model (a zero start,
            transition or emission probability rules out every state path),
            as in hmmlearn.
        """
        _check_y_is_not_lengths(y, X)
        _, log_likelihoods = self._forward_backward(X, lengths, sequence_ids)
        self._warn_if_one_sequence("score", lengths, sequence_ids)
        return float(log_likelihoods.sum() / len(X))

    def predict_proba(self, X, lengths=None, sequence_ids=None) -> np.ndarray:
        """Posterior probability of each state at each observation.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observations.
        lengths, sequence_ids : array-like, default=None
            Sequence boundaries, as in :meth:`fit`.

        Returns
        -------
        posteriors : ndarray of shape (n_samples, n_components)
            State posteriors given the whole of each sequence.

        Raises
        ------
        ValueError
            If a sequence has probability zero under the model: it has no
            posteriors (:meth:`score` gives it ``-inf``).
        """
        posteriors = self._posteriors(X, lengths, sequence_ids)
        self._warn_if_one_sequence("predict_proba", lengths, sequence_ids)
        return posteriors

    def decode(self, X, lengths=None, sequence_ids=None, algorithm: str = "viterbi"):
        """Most likely states and their log-probability.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observations.
        lengths, sequence_ids : array-like, default=None
            Sequence boundaries, as in :meth:`fit`.
        algorithm : {"viterbi", "map"}, default="viterbi"
            ``"viterbi"``: the most likely path of each sequence, and the sum
            of their joint log-probabilities with the observations.
            ``"map"``: the most likely state at each step, and the sum of the
            logs of those posteriors.

        Returns
        -------
        log_prob : float
            See ``algorithm``.
        states : ndarray of shape (n_samples,)
            The decoded states.

        Raises
        ------
        ValueError
            If a sequence has probability zero under the model: every path
            is as unlikely as any other, so none is the most likely
            (hmmlearn returns ``-inf`` and an arbitrary path).
        """
        decoded = self._decode(X, lengths, sequence_ids, algorithm)
        self._warn_if_one_sequence("decode", lengths, sequence_ids)
        return decoded

    def _decode(self, X, lengths, sequence_ids, algorithm: str):
        if algorithm == "map":
            posteriors = self._posteriors(X, lengths, sequence_ids)
            return float(np.log(posteriors.max(axis=1)).sum()), posteriors.argmax(axis=1)
        if algorithm != "viterbi":
            raise ValueError(f"algorithm must be 'viterbi' or 'map', got {algorithm!r}.")

        def infer(params, log_frameprob, block):
            with np.errstate(divide="ignore"):
                log_start, log_trans = np.log(params.startprob), np.log(params.transmat)
            return viterbi(log_start, log_trans, log_frameprob, block.starts, block.ends)

        log_probs, states = zip(*self._by_blocks(X, lengths, sequence_ids, infer), strict=True)
        log_probs = np.concatenate(log_probs)
        _check_possible(log_probs, _INFERENCE_ADVICE)
        return float(log_probs.sum()), np.concatenate(states)

    def predict(self, X, lengths=None, sequence_ids=None) -> np.ndarray:
        """Viterbi path: the most likely state sequence of each sequence.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observations.
        lengths, sequence_ids : array-like, default=None
            Sequence boundaries, as in :meth:`fit`.

        Returns
        -------
        states : ndarray of shape (n_samples,)
            The state of each observation.

        Raises
        ------
        ValueError
            If a sequence has probability zero under the model, as :meth:`decode`.
        """
        states = self._decode(X, lengths, sequence_ids, "viterbi")[1]
        self._warn_if_one_sequence("predict", lengths, sequence_ids)
        return states

    def sample(
        self,
        n_samples: int | None = None,
        random_state=None,
        currstate: int | None = None,
        *,
        lengths=None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw sequences from the model.

        Parameters
        ----------
        n_samples : int, default=None
            Number of observations: 1 if None, or the sum of ``lengths`` when
            they are given. With ``lengths``, it must equal their sum.
        random_state : int, RandomState instance or None, default=None
            Seed; ``None`` uses the estimator's ``random_state``.
        currstate : int, default=None
            The state of the first observation of every sequence, instead of
            one drawn from ``startprob_``, as in hmmlearn. To continue a
            sequence whose last state is ``z``, draw ``sample(n + 1,
            currstate=z)`` and drop its first row.
        lengths : array-like of int, default=None
            Lengths of independent sequences to draw, stacked in X as
            :meth:`fit` takes them (``fit(X, lengths=lengths)``): each starts
            afresh from ``startprob_`` (or ``currstate``), and no transition
            links one sequence to the next. None draws one sequence.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            Observations.
        states : ndarray of shape (n_samples,)
            The hidden states.

        Examples
        --------
        >>> import numpy as np
        >>> from emkit import HMMEM
        >>> hmm = HMMEM(
        ...     2,
        ...     startprob_init=[1.0, 0.0],
        ...     transmat_init=[[0.9, 0.1], [0.2, 0.8]],
        ...     means_init=[[0.0], [5.0]],
        ...     covars_init=[[1.0], [1.0]],
        ...     max_iter=0,
        ... ).fit(np.zeros((2, 1)))
        >>> X, states = hmm.sample(lengths=[3, 4], random_state=0)
        >>> X.shape, states[[0, 3]]  # both sequences start in state 0
        ((7, 1), array([0, 0]))
        >>> X, states = hmm.sample(5, currstate=1, random_state=0)
        >>> int(states[0])
        1
        """
        check_is_fitted(self)
        k = self.n_components
        if n_samples is None:
            n_samples = 1 if lengths is None else sum(int(n) for n in _check_lengths(lengths))
        if not isinstance(n_samples, Integral) or isinstance(n_samples, bool) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
        if currstate is not None and (
            not isinstance(currstate, Integral)
            or isinstance(currstate, bool)
            or not 0 <= currstate < k
        ):
            raise ValueError(
                f"currstate must be a state: an integer from 0 to {k - 1}, got {currstate!r}."
            )
        starts, _ = sequence_bounds(n_samples, lengths, total="n_samples")
        rng = check_random_state(self.random_state if random_state is None else random_state)
        params = self._params()
        states = np.empty(n_samples, dtype=np.int64)
        if currstate is None:
            states[starts] = _draw(params.startprob, rng.random_sample(len(starts)))
        else:
            states[starts] = currstate
        draws = rng.random_sample(n_samples)
        follows = np.ones(n_samples, dtype=bool)
        follows[starts] = False
        cumulative = _cumulative(params.transmat)
        for t in np.flatnonzero(follows):
            states[t] = np.searchsorted(cumulative[states[t - 1]], draws[t], "right")
        return self._emission().sample(params.emission, states, rng), states

    def get_stationary_distribution(self) -> np.ndarray:
        """The stationary distribution of the chain of states, as in hmmlearn.

        The distribution ``pi`` with ``pi @ transmat_ == pi``: the share of
        time the chain spends in each state in the long run. When the chain
        can reach every state from every other (an irreducible chain,
        periodic or not), it is unique and equals hmmlearn's, the left
        eigenvector of ``transmat_`` for the eigenvalue 1. Otherwise (a
        reducible chain), it is the long-run distribution of the chain
        started from ``startprob_``: the mass that ends in each closed set of
        states (one the chain never leaves, such as the last state of a
        left-right model) is spread as that set's own stationary
        distribution, and the states the chain leaves for good get none.

        Returns
        -------
        pi : ndarray of shape (n_components,)
            Non-negative, summing to 1.

        Examples
        --------
        >>> import numpy as np
        >>> from emkit import HMMEM
        >>> hmm = HMMEM(
        ...     2,
        ...     transmat_init=[[0.9, 0.1], [0.3, 0.7]],
        ...     means_init=[[0.0], [5.0]],
        ...     covars_init=[[1.0], [1.0]],
        ...     max_iter=0,
        ... ).fit(np.zeros((2, 1)))
        >>> pi = hmm.get_stationary_distribution()
        >>> pi  # (0.3, 0.1) / (0.1 + 0.3)
        array([0.75, 0.25])
        >>> np.allclose(pi @ hmm.transmat_, pi)
        True
        """
        check_is_fitted(self)
        return _stationary_distribution(self.startprob_, self.transmat_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self.emission in ("gaussian", "gmm")
        return tags

    def _criterion(self, name, X, lengths, sequence_ids, penalty) -> float:
        _, log_likelihoods = self._forward_backward(X, lengths, sequence_ids)
        self._warn_if_one_sequence(name, lengths, sequence_ids)
        n_parameters = self._fitted_model().n_parameters(self._params())
        return float(-2 * log_likelihoods.sum() + n_parameters * penalty(len(X)))

    def bic(self, X, lengths=None, sequence_ids=None) -> float:
        """Bayesian information criterion on X (lower is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observations.
        lengths, sequence_ids : array-like, default=None
            Sequence boundaries, as in :meth:`fit`, or X is one sequence (as
            in :meth:`score`).

        Returns
        -------
        bic : float
            ``-2 log L + n_parameters * log(n_samples)``, counting the free
            parameters that EM updates.
        """
        return self._criterion("bic", X, lengths, sequence_ids, math.log)

    def aic(self, X, lengths=None, sequence_ids=None) -> float:
        """Akaike information criterion on X (lower is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observations.
        lengths, sequence_ids : array-like, default=None
            Sequence boundaries, as in :meth:`fit`, or X is one sequence (as
            in :meth:`score`).

        Returns
        -------
        aic : float
            ``-2 log L + 2 n_parameters``.
        """
        return self._criterion("aic", X, lengths, sequence_ids, lambda n: 2.0)
