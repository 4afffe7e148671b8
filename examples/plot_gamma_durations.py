"""
An emission of your own: gamma-distributed durations
====================================================

A machine's jobs take a few seconds when it runs well and much longer, and
more variably, when it is degraded; the state persists from job to job. An
HMM with a *gamma emission* (a shape and a scale per state) tells the two
apart from the durations alone.

The emission is written on the public contract,
:class:`emkit.emissions.Emission`. Its statistics are a tuple of three
arrays (they add entry by entry), and its M-step solves for the shape by
Newton's method: an exact M-step, so Baum-Welch still never lowers the
log-likelihood.
"""

# %%
# The emission
# ------------
# The weighted log-likelihood of a state is maximised at
# ``scale = mean / shape``, where ``shape`` solves
# ``log(shape) - digamma(shape) = log(mean) - mean of log x``: a decreasing
# function of ``shape``, so Newton's method from Minka's (2002) approximation
# finds its one root in a few steps.

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import digamma, gammaln, polygamma

from emkit import HMMEM
from emkit.emissions import Emission


def _gamma_shape(s):
    """The shape a with log(a) - digamma(a) = s, for every s > 0."""
    a = (3.0 - s + np.sqrt((s - 3.0) ** 2 + 24.0 * s)) / (12.0 * s)
    for _ in range(50):
        step = (np.log(a) - digamma(a) - s) / (1.0 / a - polygamma(1, a))
        a = np.maximum(a - step, a / 10.0)  # Newton, kept positive
        if np.all(np.abs(step) <= 1e-12 * a):
            break
    return a


class Gamma(Emission):
    """Independent gamma features: x_f ~ Gamma(shapes[state, f], scales[state, f])."""

    names = ("shapes", "scales")

    def __init__(self, shapes_init=None, scales_init=None):
        self.shapes_init = shapes_init
        self.scales_init = scales_init
        self.explores = shapes_init is None  # a given start is not explored

    def check_X(self, X):
        X = super().check_X(X)
        if np.any(X <= 0):
            raise ValueError("X must be positive (a gamma emission).")
        return X

    def init(self, X, n_states, rng):
        if self.shapes_init is not None:
            return (np.array(self.shapes_init, float), np.array(self.scales_init, float))
        means = X[rng.choice(len(X), n_states, replace=False)]
        return (np.ones_like(means), means)  # exponentials about random rows

    def log_prob(self, params, X):
        shapes, scales = params
        log_x = np.log(X)
        return (
            log_x @ (shapes - 1.0).T
            - X @ (1.0 / scales).T
            - (shapes * np.log(scales) + gammaln(shapes)).sum(axis=1)
        )

    def statistics(self, params, X, W):
        return W.sum(axis=0), W.T @ X, W.T @ np.log(X)

    def estimate(self, stats, params):
        counts, sums, log_sums = stats
        counts = counts[:, None]
        seen = counts > 0  # a state that no row visits keeps its parameters
        mean = sums / np.where(seen, counts, 1.0)
        mean_log = log_sums / np.where(seen, counts, 1.0)
        s = np.maximum(np.log(np.where(seen, mean, 1.0)) - mean_log, 1e-12)  # >= 0: Jensen
        shapes = np.where(seen, _gamma_shape(s), params[0])
        return shapes, np.where(seen, mean / shapes, params[1])

    def n_parameters(self, params):
        return {"shapes": params[0].size, "scales": params[1].size}

    def unconstrained(self, params):
        return tuple(np.log(p) for p in params)

    def from_unconstrained(self, values):
        return tuple(np.exp(v) for v in values)

    def sample(self, params, states, rng):
        shapes, scales = params
        return rng.gamma(shapes[states], scales[states])


# %%
# A known machine
# ---------------
# Healthy: durations around 2 s (shape 8); degraded: around 6 s and spread
# out (shape 1.5). 4,000 jobs in a row.

truth = HMMEM(
    2,
    emission=Gamma(shapes_init=[[8.0], [1.5]], scales_init=[[0.25], [4.0]]),
    startprob_init=[0.9, 0.1],
    transmat_init=[[0.97, 0.03], [0.10, 0.90]],
    max_iter=0,
).fit(np.ones((2, 1)))
X, true_states = truth.sample(4000, random_state=0)

# %%
# Fitting
# -------

hmm = HMMEM(2, emission=Gamma(), random_state=0).fit(X)
order = np.argsort(hmm.shapes_[:, 0] * hmm.scales_[:, 0])  # healthy first
print("Shapes:", hmm.shapes_[order, 0].round(2), " scales:", hmm.scales_[order, 0].round(2))
print("Transition matrix:")
print(hmm.transmat_[np.ix_(order, order)].round(3))
states = np.argsort(order)[hmm.predict(X)]
print(f"Jobs whose state is recovered: {np.mean(states == true_states):.1%}")

# %%
# The durations and the decoded state
# -----------------------------------

fig, ax = plt.subplots(figsize=(8, 3))
shown = slice(0, 300)
ax.scatter(np.arange(300), X[shown, 0], c=states[shown], cmap="coolwarm", s=8)
ax.set_xlabel("job")
ax.set_ylabel("duration (s)")
ax.set_title("Durations, coloured by the decoded state (red: degraded)")
fig.tight_layout()
plt.show()
