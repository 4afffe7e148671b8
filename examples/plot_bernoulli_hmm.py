"""
An emission of your own: independent binary features
=====================================================

Each hour, a smart home records which of five sensors fired (motion in the
kitchen, the hall, the bedroom; the door; the television). A hidden Markov
model with one probability per sensor and state, the *Bernoulli emission*,
finds the household's routines (asleep, at home, away) from these on/off rows.

HMMEM has no Bernoulli emission built in; this script writes one on the
public contract, :class:`emkit.emissions.Emission`, in one small class: the
rest (restarts, the exploring start, SQUAREM, ``predict``, BIC, ``sample``)
comes with HMMEM.
"""

# %%
# The emission
# ------------
# Parameters are a tuple of arrays with the states first: here one array,
# ``probs`` (n_states, n_features). The statistics a block of rows gives are
# its weighted row count and the weighted number of times each sensor fired,
# and they add over blocks. The M-step divides one by the other.
# SQUAREM moves the log-odds, which no step can push out of (0, 1).

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import expit, logit

from emkit import HMMEM
from emkit.emissions import Emission

_EPS = 1e-10  # probabilities stay in [_EPS, 1 - _EPS]: no row is impossible


class Bernoulli(Emission):
    """Independent binary features: P(x_f = 1 | state) = probs[state, f]."""

    names = ("probs",)

    def __init__(self, probs_init=None):
        self.probs_init = probs_init
        self.explores = probs_init is None  # a given start is not explored

    def check_X(self, X):
        X = super().check_X(X)
        if not np.isin(X, (0.0, 1.0)).all():
            raise ValueError("X must hold 0 and 1 only (a Bernoulli emission).")
        return X

    def init(self, X, n_states, rng):
        if self.probs_init is not None:
            return (np.array(self.probs_init, dtype=float),)
        return (rng.uniform(0.25, 0.75, (n_states, X.shape[1])),)

    def log_prob(self, params, X):
        (probs,) = params
        return X @ np.log(probs).T + (1.0 - X) @ np.log1p(-probs).T

    def statistics(self, params, X, W):
        return np.c_[W.sum(axis=0), W.T @ X]  # (n_states, 1 + n_features)

    def estimate(self, stats, params):
        counts, fired = stats[:, :1], stats[:, 1:]
        # A state that no row visits keeps its probabilities.
        probs = np.where(counts > 0, fired / np.maximum(counts, _EPS), params[0])
        return (np.clip(probs, _EPS, 1.0 - _EPS),)

    def n_parameters(self, params):
        return {"probs": params[0].size}

    def unconstrained(self, params):
        return (logit(params[0]),)

    def from_unconstrained(self, values):
        return (np.clip(expit(values[0]), _EPS, 1.0 - _EPS),)

    def sample(self, params, states, rng):
        probs = params[0][states]
        return (rng.random_sample(probs.shape) < probs).astype(float)


# %%
# A known household
# -----------------
# Three routines: asleep (the bedroom sensor now and then), at home (the
# kitchen, the hall and the television), away (almost nothing). ``max_iter=0``
# with every parameter given builds the model without fitting it;
# :meth:`~emkit.HMMEM.sample` draws 30 days of hours from it.

sensors = ["kitchen", "hall", "bedroom", "door", "tv"]
true_probs = np.array(
    [
        [0.02, 0.05, 0.40, 0.01, 0.01],  # asleep
        [0.70, 0.50, 0.20, 0.10, 0.60],  # at home
        [0.03, 0.03, 0.02, 0.05, 0.01],  # away
    ]
)
true_transmat = np.array([[0.90, 0.10, 0.00], [0.08, 0.84, 0.08], [0.00, 0.15, 0.85]])
truth = HMMEM(
    3,
    emission=Bernoulli(probs_init=true_probs),
    startprob_init=[1.0, 0.0, 0.0],
    transmat_init=true_transmat,
    max_iter=0,
).fit(np.zeros((3, 5)))
X, true_states = truth.sample(24 * 30, random_state=0)
lengths = [24] * 30  # one sequence a day

# %%
# Fitting and choosing the number of routines
# -------------------------------------------
# BIC counts the emission's free parameters as its ``n_parameters`` says.

fits = {
    k: HMMEM(k, emission=Bernoulli(), n_init=2, random_state=0).fit(X, lengths=lengths)
    for k in (1, 2, 3, 4)
}
bics = {k: hmm.bic(X, lengths=lengths) for k, hmm in fits.items()}
print("BIC by number of states:", {k: round(b, 1) for k, b in bics.items()})
hmm = fits[min(bics, key=bics.get)]
print(f"Chosen: {hmm.n_components} states")

print("Fitted probabilities of each sensor (rows: states):")
print(hmm.probs_.round(2))

# %%
# The routines found
# ------------------
# Each state's probability of each sensor firing, beside the truth's.

fig, axes = plt.subplots(1, 2, figsize=(8, 3), sharey=True)
for ax, probs, title in [(axes[0], true_probs, "true"), (axes[1], hmm.probs_, "fitted")]:
    ax.imshow(probs, vmin=0, vmax=1, cmap="Greys")
    ax.set_xticks(range(len(sensors)), sensors, rotation=45)
    ax.set_title(f"{title} P(sensor fires | state)")
axes[0].set_ylabel("state")
fig.tight_layout()
plt.show()
