"""Plots of fitted emkit models (needs the optional extra ``emkit[plot]``)."""

from __future__ import annotations

import numpy as np


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError("emkit.plotting needs matplotlib: pip install 'emkit[plot]'") from exc
    return plt


def plot_mixture(estimator, X, ax=None, *, n_std: float = 2.0):
    """Scatter 2-D data coloured by component, with each component's ellipse.

    Parameters
    ----------
    estimator : fitted GaussianMixtureEM
        A mixture fitted on two features.
    X : array-like of shape (n_samples, 2)
        Rows to draw.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure if None.
    n_std : float, default=2.0
        Half-axes of the ellipses in standard deviations.

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
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_mixture draws 2-D data; X has shape {X.shape}.")
    if ax is None:
        _, ax = plt.subplots()
    labels = estimator.predict(X)
    k, d = estimator.means_.shape
    covariance = estimator._model(d).gaussian.covariance
    matrices = covariance.full_matrices(estimator.covariances_, k, d)
    colours = plt.get_cmap("tab10")(np.arange(k) % 10)
    ax.scatter(X[:, 0], X[:, 1], c=colours[labels], s=12, alpha=0.7)
    for mean, matrix, colour in zip(estimator.means_, matrices, colours):
        values, vectors = np.linalg.eigh(matrix)
        angle = np.degrees(np.arctan2(vectors[1, 1], vectors[0, 1]))
        width, height = 2 * n_std * np.sqrt(values[::-1])
        ax.add_patch(Ellipse(mean, width, height, angle=angle, fill=False, color=colour, lw=2))
        ax.plot(*mean, marker="x", color="black")
    return ax


__all__ = ["plot_mixture"]
