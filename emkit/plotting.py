"""Plots of fitted emkit models (needs the optional extra ``emkit[plot]``)."""

from __future__ import annotations

from numbers import Integral

import numpy as np


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError("emkit.plotting needs matplotlib: pip install 'emkit[plot]'") from exc
    return plt


def plot_mixture(estimator, X, ax=None, *, n_std: float = 2.0, min_weight: float = 0.0):
    """Scatter data coloured by component, with each component's ellipse.

    Data of more than two features are drawn on their first two principal
    axes (of the rows without missing values), with the components' means
    and covariances projected on them. Rows with missing values (NaN) are
    not drawn.

    Parameters
    ----------
    estimator : fitted GaussianMixtureEM or BayesianGaussianMixtureEM
        A mixture.
    X : array-like of shape (n_samples, n_features)
        Rows to draw.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure if None.
    n_std : float, default=2.0
        Half-axes of the ellipses in standard deviations.
    min_weight : float, default=0.0
        Components of a smaller weight get no ellipse (the emptied components
        of a variational fit).

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from emkit import GaussianMixtureEM
    >>> from emkit.datasets import load_faithful
    >>> from emkit.plotting import plot_mixture
    >>> X = load_faithful().data
    >>> ax = plot_mixture(GaussianMixtureEM(2, random_state=0).fit(X), X)
    >>> len(ax.patches)
    2
    """
    plt = _pyplot()
    from matplotlib.patches import Ellipse

    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] < 2:
        raise ValueError(f"plot_mixture draws data of 2 or more features; X has shape {X.shape}.")
    if ax is None:
        _, ax = plt.subplots()
    labels = estimator.predict(X)
    k, d = estimator.means_.shape
    covariance = estimator._fitted_model().gaussian.covariance
    matrices = covariance.full_matrices(estimator.covariances_, k, d)
    axes = np.eye(d)[:, :2]
    if d > 2:  # the first two principal axes of X's complete rows
        rows = X[~np.isnan(X).any(axis=1)]
        axes = np.linalg.svd(rows - rows.mean(axis=0), full_matrices=False)[2][:2].T
        ax.set_xlabel("principal axis 1")
        ax.set_ylabel("principal axis 2")
    X, means, matrices = X @ axes, estimator.means_ @ axes, axes.T @ matrices @ axes
    colours = plt.get_cmap("tab10")(np.arange(k) % 10)
    ax.scatter(X[:, 0], X[:, 1], c=colours[labels], s=12, alpha=0.7)
    for mean, matrix, colour, weight in zip(means, matrices, colours, estimator.weights_):
        if weight < min_weight:
            continue
        values, vectors = np.linalg.eigh(matrix)
        angle = np.degrees(np.arctan2(vectors[1, 1], vectors[0, 1]))
        width, height = 2 * n_std * np.sqrt(values[::-1])
        ax.add_patch(Ellipse(mean, width, height, angle=angle, fill=False, color=colour, lw=2))
        ax.plot(*mean, marker="x", color="black")
    return ax


def plot_criterion(search, ax=None, *, x: str = "n_components"):
    """Information criterion of each candidate of a grid search, one line per setting.

    Parameters
    ----------
    search : fitted GridSearchCV
        Scored by :data:`~emkit.model_selection.bic_scorer` or
        :data:`~emkit.model_selection.aic_scorer` (minus the criterion).
    ax : matplotlib Axes, default=None
        Where to draw; a new figure if None.
    x : str, default="n_components"
        The parameter along the horizontal axis; the other parameters of the
        grid (``covariance_type``, ...) give one line each.

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on; the best candidate is circled.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn.model_selection import GridSearchCV
    >>> from emkit import GaussianMixtureEM
    >>> from emkit.datasets import load_faithful
    >>> from emkit.model_selection import bic_scorer
    >>> from emkit.plotting import plot_criterion
    >>> X = load_faithful().data
    >>> grid = {"n_components": [1, 2, 3], "covariance_type": ["full", "tied"]}
    >>> all_rows = [(np.arange(len(X)), np.arange(len(X)))]
    >>> search = GridSearchCV(
    ...     GaussianMixtureEM(random_state=0), grid, scoring=bic_scorer, cv=all_rows
    ... ).fit(X)
    >>> ax = plot_criterion(search)
    >>> [line.get_label() for line in ax.lines[:2]]
    ['covariance_type=full', 'covariance_type=tied']
    """
    plt = _pyplot()
    results = search.cv_results_
    if f"param_{x}" not in results:
        raise ValueError(f"the grid search has no parameter {x!r} to draw along.")
    if ax is None:
        _, ax = plt.subplots()
    criterion = -np.asarray(results["mean_test_score"], dtype=float)
    others = sorted({key for params in results["params"] for key in params} - {x})
    settings = [tuple(params.get(key) for key in others) for params in results["params"]]
    for setting in dict.fromkeys(settings):
        rows = [i for i, s in enumerate(settings) if s == setting]
        rows.sort(key=lambda i: results["params"][i][x])
        label = ", ".join(f"{key}={value}" for key, value in zip(others, setting)) or None
        values = [results["params"][i][x] for i in rows]
        ax.plot(values, criterion[rows], marker="o", label=label)
    best = search.best_index_
    ax.plot(results["params"][best][x], criterion[best], "o", ms=14, mfc="none", color="black")
    name = getattr(search.scorer_, "_criterion", "criterion").upper()
    if all(isinstance(params[x], Integral) for params in results["params"]):
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(x)
    ax.set_ylabel(f"{name} (lower is better)")
    if others:
        ax.legend()
    return ax


def plot_convergence(histories, ax=None):
    """Log-likelihood against E-steps, one line per restart of each fit.

    Parameters
    ----------
    histories : History or dict of str to History
        Filled by :class:`emkit.callbacks.History` during fits; a dict labels
        each fit, e.g. ``{"plain EM": ..., "SQUAREM": ...}``.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure if None.

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from emkit import GaussianMixtureEM
    >>> from emkit.callbacks import History
    >>> from emkit.datasets import load_faithful
    >>> from emkit.plotting import plot_convergence
    >>> X = load_faithful().data
    >>> fits = {"plain EM": History(), "SQUAREM": History()}
    >>> for accelerate, name in [(None, "plain EM"), ("squarem", "SQUAREM")]:
    ...     _ = GaussianMixtureEM(3, covariance_type="tied", accelerate=accelerate,
    ...                           random_state=0, callback=fits[name]).fit(X)
    >>> ax = plot_convergence(fits)
    >>> [line.get_label() for line in ax.lines]
    ['plain EM', 'SQUAREM']
    """
    plt = _pyplot()
    if not isinstance(histories, dict):
        histories = {None: histories}
    if ax is None:
        _, ax = plt.subplots()
    colours = plt.get_cmap("tab10")
    for j, (name, history) in enumerate(histories.items()):
        by_restart: dict[int, list] = {}
        for record in history.records:
            by_restart.setdefault(record.restart, []).append(record)
        for restart, records in sorted(by_restart.items()):
            steps = [record.iteration for record in records]
            values = [record.log_likelihood for record in records]
            label = name if restart == min(by_restart) else None
            ax.plot(steps, values, marker=".", color=colours(j % 10), label=label)
    ax.set_xlabel("E-steps")
    ax.set_ylabel("log-likelihood per sample")
    if any(name is not None for name in histories):
        ax.legend()
    return ax


def plot_hmm_states(hmm, X, ax=None, *, feature: int = 0, **sequences):
    """A time series with the posterior probability of each hidden state below it.

    Parameters
    ----------
    hmm : fitted HMMEM
        The model.
    X : array-like of shape (n_samples, n_features)
        One or more sequences.
    ax : matplotlib Axes, default=None
        Where to draw the series; the posteriors go to a twin panel below.
    feature : int, default=0
        The column of X to draw.
    **sequences : lengths or sequence_ids
        As for :meth:`HMMEM.predict_proba`.

    Returns
    -------
    ax : matplotlib Axes
        The axes of the series, coloured by the most likely state; the
        posteriors are stacked bands on ``ax.posterior_ax``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from emkit import HMMEM
    >>> from emkit.plotting import plot_hmm_states
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[np.zeros(50), np.full(50, 5.0)][:, None] + rng.normal(size=(100, 1))
    >>> ax = plot_hmm_states(HMMEM(2, random_state=0).fit(X), X)
    >>> len(ax.posterior_ax.collections)
    2
    """
    plt = _pyplot()
    X = np.asarray(X)
    posteriors = hmm.predict_proba(X, **sequences)
    states = posteriors.argmax(axis=1)
    if ax is None:
        _, (ax, below) = plt.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    else:
        below = ax.inset_axes([0.0, -0.45, 1.0, 0.3], sharex=ax)
    steps = np.arange(len(X))
    colours = plt.get_cmap("tab10")(np.arange(hmm.n_components) % 10)
    ax.plot(steps, X[:, feature], color="0.6", lw=0.8)
    ax.scatter(steps, X[:, feature], c=colours[states], s=10, zorder=3)
    ax.set_ylabel(f"feature {feature}")
    below.stackplot(steps, posteriors.T, colors=colours, alpha=0.8)
    below.set_ylim(0, 1)
    below.set_ylabel("P(state)")
    below.set_xlabel("step")
    ax.posterior_ax = below
    return ax


def plot_imputation(imputer, X, ax=None, *, feature: int = 0, bins: int = 30):
    """Observed values of a feature against the values an imputer fills in.

    Parameters
    ----------
    imputer : fitted EMImputer
        The imputer.
    X : array-like of shape (n_samples, n_features)
        Data with missing values (NaN, or the imputer's ``missing_values``).
    ax : matplotlib Axes, default=None
        Where to draw; a new figure if None.
    feature : int, default=0
        The column of X to draw.
    bins : int, default=30
        Histogram bins, shared by both distributions.

    Returns
    -------
    ax : matplotlib Axes
        Two density histograms: observed and imputed values.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from emkit import EMImputer
    >>> from emkit.plotting import plot_imputation
    >>> rng = np.random.default_rng(0)
    >>> X = rng.multivariate_normal([0, 0], [[1, 0.8], [0.8, 1]], size=300)
    >>> X[rng.random(300) < 0.3, 0] = np.nan
    >>> ax = plot_imputation(EMImputer().fit(X), X)
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['observed (211)', 'imputed (89)']
    """
    plt = _pyplot()
    missing = np.isnan(imputer._as_nan(X, reset=False))
    kept = imputer._kept
    if not 0 <= feature < len(kept):
        raise ValueError(f"feature must be a column of X, 0 to {len(kept) - 1}; got {feature}.")
    if not (kept[feature] or imputer.keep_empty_features):
        raise ValueError(f"feature {feature} had no observed value at fit: the imputer drops it.")
    column = feature if imputer.keep_empty_features else int(kept[:feature].sum())
    missing = missing[:, feature]
    filled = imputer.transform(X)[:, column]
    if ax is None:
        _, ax = plt.subplots()
    edges = np.histogram_bin_edges(filled, bins=bins)
    for name, values in [("observed", filled[~missing]), ("imputed", filled[missing])]:
        label = f"{name} ({len(values)})"  # a density of no values would divide by zero
        ax.hist(values, bins=edges, density=len(values) > 0, alpha=0.5, label=label)
    ax.set_xlabel(f"feature {feature}")
    ax.set_ylabel("density")
    ax.legend()
    return ax


__all__ = [
    "plot_convergence",
    "plot_criterion",
    "plot_hmm_states",
    "plot_imputation",
    "plot_mixture",
]
