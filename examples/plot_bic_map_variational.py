"""
Three ways to choose the number of components
=============================================

On the Old Faithful geyser data, compare three answers to "how many
components?":

* **BIC** over maximum likelihood fits of :class:`~emkit.GaussianMixtureEM`
  with 1 to 6 components;
* **BIC over MAP fits** (``prior="conjugate"``), as mclust does: the
  conjugate prior keeps every covariance regular, and BIC counts the
  log-likelihood at the MAP estimate;
* **variational Bayes** with a Dirichlet-process prior
  (:class:`~emkit.BayesianGaussianMixtureEM`): one fit with 10 components,
  which empties those the data do not need.
"""

# %%
# Fits
# ----
# Full covariances, 272 eruptions (eruption time and waiting time, minutes).

import matplotlib.pyplot as plt
import numpy as np

from emkit import BayesianGaussianMixtureEM, GaussianMixtureEM
from emkit.datasets import load_faithful
from emkit.plotting import plot_mixture

X = load_faithful().data
candidates = range(1, 7)
maximum_likelihood = [GaussianMixtureEM(k, random_state=0).fit(X) for k in candidates]
map_fits = [GaussianMixtureEM(k, prior="conjugate", random_state=0).fit(X) for k in candidates]
bic = [gm.bic(X) for gm in maximum_likelihood]
bic_map = [gm.bic(X) for gm in map_fits]
chosen, chosen_map = int(np.argmin(bic)), int(np.argmin(bic_map))
variational = BayesianGaussianMixtureEM(
    n_components=10, weight_concentration_prior_type="dirichlet_process", random_state=0
).fit(X)
effective = int((variational.weights_ > 0.02).sum())
print(f"BIC (maximum likelihood) chooses {candidates[chosen]} components")
print(f"BIC (MAP, conjugate prior) chooses {candidates[chosen_map]} components")
print(f"Variational, Dirichlet process: {effective} of 10 components weigh over 2%")
print("Variational weights:", variational.weights_.round(3))

# %%
# The criteria and the fits
# -------------------------
# Left: BIC of both families of fits (lower is better). Right: the chosen
# maximum likelihood fit and the variational fit, whose near-empty
# components are not drawn.

fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
axes[0].plot(candidates, bic, "o-", label="maximum likelihood")
axes[0].plot(candidates, bic_map, "s--", label="MAP (conjugate prior)")
axes[0].set_xlabel("components")
axes[0].set_ylabel("BIC")
axes[0].legend()
plot_mixture(maximum_likelihood[chosen], X, ax=axes[1])
axes[1].set_title(f"BIC: {candidates[chosen]} components")
plot_mixture(variational, X, ax=axes[2], min_weight=0.02)
axes[2].set_title(f"Dirichlet process: {effective} of 10 kept")
fig.tight_layout()
plt.show()
