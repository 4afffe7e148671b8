"""Online EM (``partial_fit``) against the exact fit of the same rows.

scikit-learn's GaussianMixture has no ``partial_fit``, so the reference is
emkit's own exact EM (``fit``) on all rows. Prints the time of one pass of
stepwise EM over the rows, fed in calls of ``--rows-per-call`` rows, the time
of the exact fit, their ratio, and the gap in mean log-likelihood on all rows.

    python benchmarks/bench_online.py
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import print_environment

import emkit
from emkit import GaussianMixtureEM

MEANS = np.array([[0.0, 0.0, 0.0], [4.0, 4.0, 0.0], [-4.0, 3.0, 2.0]])
COVARIANCES = np.array(
    [np.eye(3), 0.25 * np.eye(3), [[1.0, 0.8, 0.0], [0.8, 1.0, 0.3], [0.0, 0.3, 2.0]]]
)
WEIGHTS = np.array([0.5, 0.3, 0.2])


def make_data(n_samples: int, seed: int) -> np.ndarray:
    """Rows of the 3-component mixture of tests/test_online.py, in random order."""
    rng = np.random.RandomState(seed)
    labels = rng.choice(3, size=n_samples, p=WEIGHTS)
    X = np.empty((n_samples, 3))
    for k in range(3):
        rows = labels == k
        X[rows] = rng.multivariate_normal(MEANS[k], COVARIANCES[k], rows.sum())
    return X


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=1_000_000)
    parser.add_argument("--rows-per-call", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=2, help="best of this many runs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print_environment(np, emkit)
    X = make_data(args.n_samples, args.seed)
    calls = range(0, len(X), args.rows_per_call)
    for batch_size in (1024, args.rows_per_call):
        online_time = exact_time = np.inf
        for _ in range(args.repeats):
            start = time.perf_counter()
            online = GaussianMixtureEM(3, random_state=args.seed, batch_size=batch_size)
            for first in calls:
                online.partial_fit(X[first : first + args.rows_per_call])
            online_time = min(online_time, time.perf_counter() - start)
            start = time.perf_counter()
            exact = GaussianMixtureEM(3, random_state=args.seed).fit(X)
            exact_time = min(exact_time, time.perf_counter() - start)
        online_score, exact_score = online.score(X), exact.score(X)
        print(
            f"batch_size={batch_size}: one online pass {online_time:.3f} s "
            f"({online.n_iter_} updates), exact fit {exact_time:.3f} s ({exact.n_iter_} "
            f"E-steps), ratio {exact_time / online_time:.2f}; mean log-likelihood "
            f"{online_score:.6f} vs {exact_score:.6f} "
            f"(relative gap {abs(online_score - exact_score) / abs(exact_score):.1e})"
        )


if __name__ == "__main__":
    main()
