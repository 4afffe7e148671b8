"""
Imputing the Palmer penguins' missing measurements
==================================================

Fill the missing blood isotope ratios and body measurements of the Palmer
penguins with :class:`~emkit.EMImputer`, under one Gaussian and under a
mixture of three, and compare the imputers in front of a classifier of the
species.
"""

# %%
# Data
# ----
# 344 penguins of three species, six measurements each. The missing values
# are real: two birds have no measurement at all, and a dozen have no isotope
# ratio (not enough blood was drawn).

import matplotlib.pyplot as plt
import numpy as np
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from emkit import EMImputer
from emkit.datasets import load_penguins

penguins = load_penguins()
X, y = penguins.data, penguins.target
missing = np.isnan(X)
for name, count in zip(penguins.feature_names, missing.sum(axis=0)):
    print(f"{name:>18}: {count} missing")

# %%
# One Gaussian and a mixture of three
# -----------------------------------
# The columns are in millimetres, grams and per mil: standardise them first,
# in a pipeline. :class:`~sklearn.preprocessing.StandardScaler` ignores the
# missing values when it fits and leaves them missing. ``score`` is the mean
# log-likelihood of the observed values of each row, higher with three
# components, one per species.

imputers = {
    "1 component": make_pipeline(StandardScaler(), EMImputer()),
    "3 components": make_pipeline(StandardScaler(), EMImputer(n_components=3, random_state=0)),
}
filled = {}
for name, pipeline in imputers.items():
    pipeline.fit(X)
    print(f"{name}: mean log-likelihood {pipeline.score(X):.3f}")
    # Back to the original units.
    filled[name] = pipeline[0].inverse_transform(pipeline.transform(X))

# %%
# The imputed isotope ratios
# --------------------------
# Observed ratios are dots, imputed ones crosses with a black edge, coloured
# by species. One Gaussian fills each gap by one linear regression on the
# bird's observed measurements, the same for all species; the mixture by the
# regression of the component that those measurements point to, so that the
# filled ratios of the Adelie birds lie along their component's regression
# line. The two birds with no measurement at all, an Adelie and a Gentoo, get
# the mean of the model: their two crosses overlap, at about the mean ratios.

i, j = penguins.feature_names.index("delta_13_c"), penguins.feature_names.index("delta_15_n")
imputed = missing[:, i] | missing[:, j]
colours = ["tab:orange", "tab:purple", "tab:cyan"]
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), sharex=True, sharey=True)
for ax, (name, X_filled) in zip(axes, filled.items()):
    for species, (label, colour) in enumerate(zip(penguins.target_names, colours)):
        rows = y == species
        ax.scatter(
            X_filled[rows & ~imputed, i],
            X_filled[rows & ~imputed, j],
            s=12,
            color=colour,
            alpha=0.5,
            label=label,
        )
        ax.scatter(
            X_filled[rows & imputed, i],
            X_filled[rows & imputed, j],
            s=70,
            marker="X",
            color=colour,
            edgecolor="black",
            label=f"{label}, imputed",
        )
    ax.set_title(f"EMImputer, {name}")
    ax.set_xlabel("delta_13_c (per mil)")
axes[0].set_ylabel("delta_15_n (per mil)")
axes[1].legend(fontsize="small")
fig.tight_layout()

# %%
# In front of a classifier
# ------------------------
# Cross-validated accuracy of a logistic regression of the species, with
# the imputer fitted on the training folds only, inside the pipeline.

cv = StratifiedKFold(5, shuffle=True, random_state=0)
candidates = {
    "SimpleImputer (mean)": SimpleImputer(),
    "EMImputer, 1 component": EMImputer(),
    "EMImputer, 3 components": EMImputer(n_components=3, random_state=0),
}


def accuracies(X):
    for name, imputer in candidates.items():
        model = make_pipeline(StandardScaler(), imputer, LogisticRegression())
        scores = cross_val_score(model, X, y, cv=cv)
        print(f"{name:>24}: {scores.mean():.3f} (+/- {scores.std():.3f})")


accuracies(X)

# %%
# With only 35 missing entries, most birds are complete, and their body
# measurements alone tell the species apart: the imputer makes no difference.
#
# Hiding more values
# ------------------
# Hide 30% of the entries, completely at random, on top of the real gaps,
# and the imputers part.

rng = np.random.RandomState(0)
X_sparse = X.copy()
X_sparse[rng.random_sample(X.shape) < 0.3] = np.nan
print(f"{np.isnan(X_sparse).mean():.0%} of the entries missing")
accuracies(X_sparse)

# %%
# The hidden values are known, so the imputations can also be checked
# directly: root mean squared error over the hidden entries, each column in
# units of its standard deviation.

hidden = np.isnan(X_sparse) & ~missing
scale = np.nanstd(X, axis=0)
for name, imputer in candidates.items():
    X_filled = make_pipeline(StandardScaler(), imputer).fit(X_sparse)
    X_filled = X_filled[0].inverse_transform(X_filled.transform(X_sparse))
    errors = ((X_filled - X) / scale)[hidden]
    print(f"{name:>24}: RMSE {np.sqrt(np.mean(errors**2)):.3f}")

plt.show()
