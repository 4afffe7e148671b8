"""Where EM starts: seeds drawn on a bounded sample of the data.

Below the driver and the models: the models' starts (k-means, k-means++,
random rows) and the driver's exploring start (``init_params="short-em"``)
draw their rows here, so no start ever copies all of large data.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from sklearn.cluster import KMeans
from threadpoolctl import ThreadpoolController

# Every start runs on at most this many rows: a random sample of larger data.
# On the 200,000 x 20, 16-component benchmark (benchmarks/defaults.py), short
# runs on 20,000 rows chose as good a start as on 50,000 (the same final
# log-likelihood to 1e-3 per row, three seeds) in 0.4 of the time, while on
# 5,000 rows the full covariances of small components were poorly determined.
START_ROWS = 10_000

# Starting a team of OpenMP threads costs more than scikit-learn's k-means takes
# on a few thousand rows, and far more while other libraries' threads spin on
# the same cores: Old Faithful's fit right after a scikit-learn fit took 5.7 ms
# (median) with two threads, 3.7 ms with one. From 10,000 rows on, two
# threads are faster.
_SERIAL_KMEANS_ROWS = 4096


@cache
def threadpools() -> ThreadpoolController:
    return ThreadpoolController()


def kmeans_threads(n_rows: int):
    """A context for scikit-learn's k-means on ``n_rows`` rows: one OpenMP thread if few."""
    serial = n_rows < _SERIAL_KMEANS_ROWS
    return threadpools().limit(limits=1 if serial else None, user_api="openmp")


def sample_rows(n_rows: int, rng: np.random.RandomState, labels=None) -> np.ndarray | None:
    """Sorted indices of ``START_ROWS`` rows drawn at random, or None to keep all ``n_rows``.

    With class ``labels`` (-1: unlabeled), every labeled row is kept if they
    are at most ``START_ROWS``, so that no class goes missing from a start.
    """
    if n_rows <= START_ROWS:
        return None
    rows = rng.choice(n_rows, START_ROWS, replace=False)
    if labels is not None:
        labeled = np.flatnonzero(np.asarray(labels) >= 0)
        if len(labeled) <= START_ROWS:
            rows = np.union1d(rows, labeled)
    return np.sort(rows)


def kmeans_labels(X, sample_weight, n_clusters: int, rng) -> np.ndarray:
    """Labels of scikit-learn's k-means with one initialisation, as GaussianMixture's start."""
    kmeans = KMeans(n_clusters=n_clusters, n_init=1, random_state=rng)
    with kmeans_threads(len(X)):
        return kmeans.fit(X, sample_weight=sample_weight).labels_


def kmeans_centres(X, n_clusters: int, rng) -> np.ndarray:
    """Cluster centres of scikit-learn's k-means with one initialisation."""
    kmeans = KMeans(n_clusters=n_clusters, n_init=1, random_state=rng)
    with kmeans_threads(len(X)):
        return kmeans.fit(X).cluster_centers_


def seed_centres(X, sample_weight, n_clusters: int, rng) -> np.ndarray:
    """Rows drawn by k-means++'s rule, in units of each column's spread."""
    return X[_seed_rows(_standardised(X, sample_weight), sample_weight, n_clusters, rng)]


def seed_labels(X, sample_weight, n_clusters: int, rng) -> np.ndarray:
    """Each row's nearest seed (``seed_centres``): a random, spread-out partition."""
    scaled = _standardised(X, sample_weight)
    centres = scaled[_seed_rows(scaled, sample_weight, n_clusters, rng)]
    # The squared distances less |x|^2, which every centre shares.
    distances = np.einsum("ij,ij->i", centres, centres)[None, :] - 2.0 * scaled @ centres.T
    return np.argmin(distances, axis=1)


def _seed_rows(scaled, sample_weight, n_clusters: int, rng) -> list[int]:
    """Rows drawn by k-means++'s rule from ``scaled`` (``_standardised`` columns).

    Each seed is a row drawn with probability proportional to its weight
    times its squared distance to the nearest seed so far (Arthur &
    Vassilvitskii, 2007). Without the greedy trials of scikit-learn's
    k-means++ (the best of several draws), which make the seeds of different
    random states alike.
    """
    cumulative = np.cumsum(sample_weight)
    last = len(scaled) - 1
    rows = [min(np.searchsorted(cumulative, rng.uniform(0.0, cumulative[-1]), "right"), last)]
    norms = np.einsum("ij,ij->i", scaled, scaled)
    closest = _squared_distances(scaled, norms, rows[-1])
    for _ in range(1, n_clusters):
        cumulative = np.cumsum(sample_weight * closest)
        if not cumulative[-1] > 0:  # every row on a seed already
            cumulative = np.cumsum(sample_weight)
        row = np.searchsorted(cumulative, rng.uniform(0.0, cumulative[-1]), side="right")
        rows.append(min(row, last))
        closest = np.minimum(closest, _squared_distances(scaled, norms, rows[-1]))
    return rows


def _squared_distances(X, norms, row: int) -> np.ndarray:
    """Squared distances of the rows of X (``norms``: theirs squared) to row ``row``."""
    scale = norms + norms[row]
    distances = scale - 2.0 * (X @ X[row])
    # Rows equal to the seed (the seed too) at 0, not at a rounding error: never drawn.
    distances[distances <= 8 * np.finfo(X.dtype).eps * scale] = 0.0
    return distances


def _standardised(X, sample_weight) -> np.ndarray:
    """X less its weighted mean, in units of each column's weighted standard deviation
    (a constant column: 0). Centred, so that distances from the rows' norms keep
    their digits however far the data lie from the origin."""
    centred = X - sample_weight @ X / sample_weight.sum()
    std = np.sqrt(sample_weight @ centred**2 / sample_weight.sum())
    return centred / np.where(std > 0, std, 1.0)
