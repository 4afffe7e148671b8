"""Exact EM on a Dask cluster against the same fit in memory.

Starts a ``distributed.LocalCluster`` of ``--workers`` processes (one thread
each) and fits the same GaussianMixtureEM (plain EM, a fixed number of
iterations, the same start) to a NumPy array and to a Dask array of the same
rows. Prints the time per iteration of both and their ratio, the largest
difference of the fitted means, the scheduler's cost per task (from a fit
whose blocks hold almost no work), and the bytes that travel per E-step.

    python benchmarks/bench_dask.py
"""

from __future__ import annotations

import argparse
import pickle
import time
import warnings

import dask.array as da
import distributed
import numpy as np
from _common import load_average
from sklearn.exceptions import ConvergenceWarning

from emkit import GaussianMixtureEM


def fit_time(X, n_iter: int, start: dict, **kwargs) -> tuple[float, GaussianMixtureEM]:
    gm = GaussianMixtureEM(
        len(start["means_init"]), max_iter=n_iter, tol=0, accelerate=None, **start, **kwargs
    )
    begin = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm.fit(X)
    return time.perf_counter() - begin, gm


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=1_000_000)
    parser.add_argument("--n-features", type=int, default=20)
    parser.add_argument("--n-components", type=int, default=16)
    parser.add_argument("--block-rows", type=int, default=125_000)
    parser.add_argument("--n-iter", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    rng = np.random.RandomState(0)
    k, d = args.n_components, args.n_features
    centres = rng.normal(scale=3.0, size=(k, d))
    X = centres[rng.randint(k, size=args.n_samples)] + rng.standard_normal((args.n_samples, d))
    start = {  # all given: both fits start from the same point without looking at X
        "weights_init": np.full(k, 1.0 / k),
        "means_init": X[rng.choice(len(X), k, replace=False)],
        "precisions_init": np.broadcast_to(np.eye(d), (k, d, d)),
    }
    print(f"{args.n_samples} x {d}, {k} components (full), {load_average()}")
    with (
        distributed.LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=50,
        ) as cluster,
        distributed.Client(cluster),
    ):
        with warnings.catch_warnings():  # "large graph": this X is sent from memory on purpose
            warnings.simplefilter("ignore", UserWarning)
            dX = da.from_array(X, chunks=(args.block_rows, d)).persist()
        fit_time(dX, 1, start)  # workers import emkit and compile its kernels
        memory_time, local = fit_time(X, args.n_iter, start, n_jobs=args.workers)
        dask_time, remote = fit_time(dX, args.n_iter, start)
        # The fit's first E-step also persists the blocks: time two fits and
        # take the difference per extra iteration.
        one_time, _ = fit_time(dX, 1, start)
        per_iteration = (dask_time - one_time) / (args.n_iter - 1)
        memory_one, _ = fit_time(X, 1, start, n_jobs=args.workers)
        memory_per_iteration = (memory_time - memory_one) / (args.n_iter - 1)
        print(
            f"time per iteration: in memory (n_jobs={args.workers}) "
            f"{memory_per_iteration:.3f} s, Dask ({args.workers} worker processes, "
            f"{dX.numblocks[0]} blocks) {per_iteration:.3f} s, ratio "
            f"{per_iteration / memory_per_iteration:.2f}"
        )
        print(f"max |means difference| {np.abs(local.means_ - remote.means_).max():.1e}")

        # Scheduler cost: blocks of 100 rows hold almost no work.
        tiny = da.from_array(X[:50_000, :2], chunks=(100, 2)).persist()
        tiny_start = {
            **start,
            "means_init": start["means_init"][:, :2],
            "precisions_init": np.broadcast_to(np.eye(2), (k, 2, 2)),
        }
        two, _ = fit_time(tiny, 2, tiny_start)
        six, _ = fit_time(tiny, 6, tiny_start)
        tasks = 2 * tiny.numblocks[0] - 1  # an E-step per block, then pairwise sums
        print(
            f"scheduler cost: {(six - two) / 4:.3f} s per E-step of {tasks} tasks, "
            f"{(six - two) / 4 / tasks * 1e6:.0f} us per task"
        )
        stats_bytes = len(
            pickle.dumps(
                local._model(d).gaussian.statistics(X[:10], np.ones((10, k)), local.means_)
            )
        )
        params_bytes = len(pickle.dumps(local._params()))
        print(
            f"bytes per E-step: parameters {params_bytes} to each worker, statistics "
            f"{stats_bytes} per block and per pairwise sum"
        )


if __name__ == "__main__":
    main()
