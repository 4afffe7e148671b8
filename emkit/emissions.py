"""Emissions of your own for :class:`~emkit.HMMEM`: the contract.

An emission is the distribution of an observation given the hidden state.
Write one as a subclass of :class:`Emission` and pass an instance as
``HMMEM(emission=...)``: restarts, the exploring start, SQUAREM, blocks of
sequences, ``n_jobs``, ``update_params``, ``predict``/``decode``/``score``,
BIC and ``sample`` then work as for the built-in emissions.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from sklearn.utils.validation import check_array

from ._emissions import Scored
from ._validation import check_X

__all__ = ["Emission"]


class Emission(ABC):
    """Base class of the emission distributions of :class:`~emkit.HMMEM`.

    EM needs five things of an emission; they are the abstract methods.
    Parameters are a tuple of arrays, one per entry of ``names``, each with
    the states along its first axis. The fitted
    HMMEM holds each as an attribute ``name + "_"``, and ``update_params``
    takes the names.

    Statistics are whatever the M-step needs, as an array or a tuple of
    arrays, and must *add*: the statistics of two blocks of rows are the sum
    of theirs. That is what lets EM sum them over blocks of sequences, in
    parallel threads, in any order. Rows come weighted by ``W``, the posterior
    probability of each state at each row.

    Override ``unconstrained`` and ``from_unconstrained`` when the parameters
    are constrained (positive, summing to one): SQUAREM extrapolates the
    unconstrained arrays, and only steps that raise the log-likelihood are
    kept. ``check_X``, ``log_prior`` and ``sample`` have defaults.

    Attributes
    ----------
    names : tuple of str
        Names of the parameters, in the order of the tuple ``init`` returns.
    explores : bool, default=True
        Whether ``init`` draws different starts from different random
        states, so that HMMEM's default start (short runs from 16 of them,
        see :ref:`defaults`) explores. False: one start.

    Examples
    --------
    Exponential observations, one rate per state and feature:

    >>> import numpy as np
    >>> from emkit import HMMEM
    >>> from emkit.emissions import Emission
    >>> class Exponential(Emission):
    ...     names = ("rates",)
    ...     def init(self, X, n_states, rng):
    ...         return (1.0 / X[rng.choice(len(X), n_states)].clip(1e-3),)
    ...     def log_prob(self, params, X):
    ...         rates = params[0]
    ...         return np.log(rates).sum(axis=1) - X @ rates.T
    ...     def statistics(self, params, X, W):
    ...         return np.c_[W.sum(axis=0), W.T @ X]  # counts, then sums per feature
    ...     def estimate(self, stats, params):
    ...         return (stats[:, :1] / stats[:, 1:],)
    ...     def n_parameters(self, params):
    ...         return {"rates": params[0].size}
    ...     def unconstrained(self, params):
    ...         return (np.log(params[0]),)
    ...     def from_unconstrained(self, values):
    ...         return (np.exp(values[0]),)
    >>> rng = np.random.RandomState(0)
    >>> X = np.r_[rng.exponential(1.0, (300, 1)), rng.exponential(10.0, (300, 1))]
    >>> hmm = HMMEM(2, emission=Exponential(), random_state=0).fit(X)
    >>> np.sort(1.0 / hmm.rates_.ravel()).round(1)  # the mean of each state
    array([ 1. , 10.1])
    >>> hmm.predict(X[[0, -1]])
    array([0, 1])
    """

    names: tuple[str, ...] = ()
    explores: bool = True

    def check_X(self, X: np.ndarray) -> np.ndarray:
        """Check the rows of X (an array of shape (n_samples, n_features)) and return them.

        The default refuses NaN and infinity. Raise ``ValueError`` naming X
        for rows the emission cannot take.
        """
        return check_array(X, dtype=np.float64, input_name="X")

    @abstractmethod
    def init(self, X: np.ndarray, n_states: int, rng: np.random.RandomState) -> tuple:
        """Initial parameters for ``n_states`` states, from rows X (at most 10,000)."""

    @abstractmethod
    def log_prob(self, params: tuple, X: np.ndarray) -> np.ndarray:
        """Log-density of every row of X under every state: shape (n_samples, n_states)."""

    @abstractmethod
    def statistics(self, params: tuple, X: np.ndarray, W: np.ndarray):
        """Sufficient statistics of the rows of X weighted by W (n_samples, n_states).

        An array or a tuple of arrays; the statistics of two blocks of rows
        are the sum of theirs.
        """

    @abstractmethod
    def estimate(self, stats, params: tuple) -> tuple:
        """The M-step: parameters that maximise the expected log-likelihood.

        ``stats`` are summed over all rows; ``params`` are the current
        parameters (for what ``stats`` leave undetermined, as a state with no
        weight).
        """

    @abstractmethod
    def n_parameters(self, params: tuple) -> dict[str, int]:
        """The number of free parameters of each name, for BIC and AIC."""

    def unconstrained(self, params: tuple) -> tuple:
        """The parameters as arrays free of constraints (SQUAREM moves these)."""
        return tuple(params)

    def from_unconstrained(self, values: tuple) -> tuple:
        """The parameters from their unconstrained arrays (``unconstrained``'s inverse)."""
        return tuple(values)

    def log_prior(self, params: tuple) -> float:
        """Log prior density of the parameters (0: none); EM then maximises the posterior."""
        return 0.0

    def sample(self, params: tuple, states: np.ndarray, rng: np.random.RandomState):
        """One row drawn from the emission of each state of ``states``."""
        raise NotImplementedError(
            f"{type(self).__name__} has no sample(params, states, rng): HMMEM.sample needs it."
        )


@dataclass(frozen=True)
class _Summed:
    """Statistics that add: an array, or a tuple of arrays added entry by entry."""

    value: Any

    def __add__(self, other: _Summed) -> _Summed:
        if isinstance(self.value, tuple):
            return _Summed(tuple(a + b for a, b in zip(self.value, other.value, strict=True)))
        return _Summed(self.value + other.value)


class CustomEmission:
    """A user's :class:`Emission` as the emissions HMMEM builds in."""

    def __init__(self, emission: Emission):
        names = getattr(emission, "names", None)
        if (
            not isinstance(names, tuple)
            or not names
            or not all(isinstance(name, str) and name.isidentifier() for name in names)
            or len(set(names)) < len(names)
            or {"startprob", "transmat"} & set(names)
        ):
            raise ValueError(
                f"emission: {type(emission).__name__}.names must be a non-empty tuple of "
                "distinct parameter names (identifiers other than 'startprob' and "
                f"'transmat'), got {names!r}."
            )
        self.user = emission
        self.names = names
        self.explores = bool(getattr(emission, "explores", True))

    def check_X(self, estimator, X, reset: bool) -> np.ndarray:
        X = self.user.check_X(check_X(estimator, X, reset=reset, dtype=None))
        if not (isinstance(X, np.ndarray) and X.ndim == 2):
            raise TypeError(
                f"emission: {type(self.user).__name__}.check_X must return a 2-d array, got "
                f"{type(X).__name__}."
            )
        return X

    def check_init(self, given: dict, n_states: int, n_features: int) -> dict:
        return {}  # an emission of one's own starts as its init says

    def set_priors(self, priors: dict, n_states: int, n_features: int) -> None:
        """HMMEM's priors are the built-in emissions'; this one has its ``log_prior``."""

    def _checked(self, params, n_states: int, where: str) -> tuple:
        """``params`` as a tuple of one array per name, states first, or a clear error."""
        if not isinstance(params, tuple) or len(params) != len(self.names):
            raise ValueError(
                f"emission: {type(self.user).__name__}.{where} must return a tuple of "
                f"{len(self.names)} arrays, one per name of {self.names}, got {params!r:.80}."
            )
        for name, value in zip(self.names, params):
            if not (isinstance(value, np.ndarray) and value.ndim >= 1 and len(value) == n_states):
                raise ValueError(
                    f"emission: {type(self.user).__name__}.{where} returned {name} that is not "
                    f"an array with one entry per state ({n_states}) along its first axis."
                )
        return params

    def init(self, X, n_states, method, given, rng) -> tuple:
        return self._checked(tuple(self.user.init(X, n_states, rng)), n_states, "init")

    def collapsed(self, params, nk) -> bool:
        return False

    def condition(self, params, X, missing=None) -> Scored:
        return Scored(self.log_prob(params, X), partial(self.statistics, params, X))

    def log_prob(self, params, X, missing=None) -> np.ndarray:
        log_prob = np.asarray(self.user.log_prob(params, X), dtype=float)
        expected = (len(X), len(params[0]))
        if log_prob.shape != expected:
            raise ValueError(
                f"emission: {type(self.user).__name__}.log_prob must return an array of shape "
                f"(n_samples, n_states) = {expected}, got {log_prob.shape}."
            )
        return log_prob

    def statistics(self, params, X, W, missing=None) -> _Summed:
        return _Summed(self.user.statistics(params, X, W))

    def estimate(self, stats: _Summed, params, update) -> tuple:
        new = tuple(self.user.estimate(stats.value, params))
        self._checked(new, len(params[0]), "estimate")
        return tuple(n if name in update else p for name, n, p in zip(self.names, new, params))

    def permuted(self, params, order) -> tuple:
        return tuple(value[order] for value in params)

    def divergences(self, a, b) -> np.ndarray:
        raise NotImplementedError(
            f"{type(self.user).__name__} defines no divergence between states."
        )

    def log_prior(self, params) -> float:
        return float(self.user.log_prior(params))

    def unconstrained(self, params) -> tuple:
        return tuple(self.user.unconstrained(params))

    def from_unconstrained(self, values) -> tuple:
        return tuple(self.user.from_unconstrained(tuple(values)))

    def n_parameters(self, params, update) -> int:
        counts = self.user.n_parameters(params)
        return sum(int(counts.get(name, 0)) for name in self.names if name in update)

    def sample(self, params, states, rng) -> np.ndarray:
        return np.asarray(self.user.sample(params, states, rng))

    def attributes(self, params) -> dict:
        return {f"{name}_": value for name, value in zip(self.names, params)}

    def from_attributes(self, get) -> tuple:
        return tuple(get(f"{name}_") for name in self.names)
