"""
Decoding a regime-switching time series with an HMM
===================================================

Draw a time series from a three-state Gaussian hidden Markov model, fit an
:class:`~emkit.HMMEM` to it by Baum-Welch, and plot the series coloured by
its most likely state sequence (the Viterbi path), with the posterior
probability of each state below.
"""

# %%
# A known model
# -------------
# Three regimes with different levels and spreads: a volatile one around
# -1, a calm one around 0 and a high one around 3. Each regime tends to
# persist, and the series starts calm. Fitting with ``max_iter=0`` and every
# ``*_init`` array given builds this model without running EM;
# :meth:`~emkit.HMMEM.sample` then draws one sequence from it, with its
# hidden states.

import matplotlib.pyplot as plt
import numpy as np

from emkit import HMMEM

names = ["volatile", "calm", "high"]
true_transmat = np.array([[0.94, 0.04, 0.02], [0.01, 0.97, 0.02], [0.02, 0.03, 0.95]])
truth = HMMEM(
    3,
    startprob_init=[0.0, 1.0, 0.0],
    transmat_init=true_transmat,
    means_init=[[-1.0], [0.0], [3.0]],
    covars_init=[[2.0], [0.2], [0.3]],
    max_iter=0,
).fit(np.zeros((3, 1)))
X, true_states = truth.sample(600, random_state=0)
print("Observations:", X.shape)

# %%
# Fitting by Baum-Welch
# ---------------------
# The fitted states come in an arbitrary order; sorting them by their means
# puts them in the order of the true ones (volatile, calm, high), so that the
# transition matrices and the states can be compared.

hmm = HMMEM(3, n_init=3, random_state=0).fit(X)
print(f"Converged after {hmm.n_iter_} iterations: {hmm.converged_}")

order = np.argsort(hmm.means_[:, 0])  # order[k]: the fitted state of true state k
rank = np.argsort(order)  # rank[j]: the true state of fitted state j
print("Means:", hmm.means_[order, 0].round(2))
print("Variances:", hmm.covars_[order, 0].round(2))
print("Recovered transition matrix:")
print(hmm.transmat_[np.ix_(order, order)].round(3))
print("True transition matrix:")
print(true_transmat)

# %%
# Decoding
# --------
# ``predict`` returns the Viterbi path, the most likely sequence of states as
# a whole; ``predict_proba`` the posterior probability of each state at each
# time step, given the whole series.

states = rank[hmm.predict(X)]
posteriors = hmm.predict_proba(X)[:, order]
print(f"Viterbi states equal to the true ones: {np.mean(states == true_states):.1%}")

# %%
# The series coloured by the Viterbi state, above the posterior probabilities
# stacked as bands. Where the posteriors hesitate between two states, the
# observations fit both.

colors = ["tab:green", "tab:blue", "tab:orange"]
t = np.arange(len(X))
fig, (top, bottom) = plt.subplots(
    2,
    1,
    sharex=True,
    figsize=(9, 5),
    gridspec_kw={"height_ratios": [3, 1]},
    layout="constrained",
)
top.plot(t, X[:, 0], color="0.75", linewidth=0.8, zorder=1)
for k in range(3):
    steps = states == k
    top.scatter(t[steps], X[steps, 0], s=8, color=colors[k], label=names[k], zorder=2)
top.set_ylabel("observation")
top.legend(title="Viterbi state", loc="upper left", bbox_to_anchor=(1.01, 1.0))
top.set_title("A three-state Gaussian HMM decoded by HMMEM")
bottom.stackplot(t, posteriors.T, colors=colors, step="mid")
bottom.set_ylim(0, 1)
bottom.set_xlim(0, len(X) - 1)
bottom.set_xlabel("time step")
bottom.set_ylabel("posterior")
plt.show()
