"""The hidden Markov model for the driver, and the estimator base that HMMEM and
VariationalHMMEM share (no estimator module imports another)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral
from typing import Any, NamedTuple

import numpy as np
from scipy.sparse.csgraph import connected_components
from scipy.special import softmax
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted

from . import _starts
from ._em import (
    InMemory,
    chunk_rows,
    map_blocks,
)
from ._hmm_inference import forward_backward, viterbi
from ._inference import sequences_of_ids
from ._missing import Missingness, find_missing
from ._utils import column_sums, log_dirichlet, normalize_rows
from ._validation import (
    NonFiniteError,
    naming_errors,
    warn,
)

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
        return sequences_of_ids(sequence_ids, n_samples)
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


class BaseHMM(BaseEstimator):
    """What HMMEM and VariationalHMMEM share: inference, scoring and sampling at the
    fitted ``startprob_``, ``transmat_`` and emission parameters, with the emission
    of ``_emission()``."""

    def _params(self) -> HMMParams:
        emission = self._emission().from_attributes(lambda name: getattr(self, name))
        return HMMParams(self.startprob_, self.transmat_, emission)

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

    def _prepare(self, X, lengths, sequence_ids, reset: bool):
        if not reset:
            check_is_fitted(self)
        X = self._emission().check_X(self, X, reset=reset)
        starts, ends = sequence_bounds(len(X), lengths, sequence_ids)
        return SequenceData(X, starts, ends)  # each block finds its missing values

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
