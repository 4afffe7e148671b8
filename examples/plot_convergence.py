"""
Plain EM against SQUAREM: watching a fit converge
=================================================

Fit the same mixture twice from the same start, once by plain EM and once
with SQUAREM (emkit's default), record every iteration with
:class:`~emkit.callbacks.History`, and plot the log-likelihood against the
number of E-steps with :func:`~emkit.plotting.plot_convergence`.
"""

# %%
# Two fits from the same start
# ----------------------------
# Old Faithful with three tied components converges slowly under plain EM:
# the log-likelihood creeps along a plateau before it rises to the optimum.
# ``tol=1e-8`` lets both fits run into the optimum, so that the curves show
# the whole story. Both start from k-means (``init_params="kmeans"``): the
# default start would hand them a fit already at the optimum.

import matplotlib.pyplot as plt

from emkit import GaussianMixtureEM
from emkit.callbacks import History
from emkit.datasets import load_faithful
from emkit.plotting import plot_convergence

X = load_faithful().data
histories = {"plain EM": History(), "SQUAREM": History()}
fits = {}
for name, accelerate in [("plain EM", None), ("SQUAREM", "squarem")]:
    fits[name] = GaussianMixtureEM(
        3,
        covariance_type="tied",
        tol=1e-8,
        init_params="kmeans",
        accelerate=accelerate,
        random_state=0,
        callback=histories[name],
    ).fit(X)
    total = fits[name].score(X) * len(X)
    print(f"{name}: {fits[name].n_iter_} E-steps, log-likelihood {total:.4f}")

# %%
# The traces
# ----------
# Both reach the same optimum. SQUAREM's records are the starts of its
# cycles (two EM steps and one extrapolated jump, three E-steps each), and
# its log-likelihood never decreases between them.

ax = plot_convergence(histories)
ax.set_title("Old Faithful, 3 tied components")
plt.show()
