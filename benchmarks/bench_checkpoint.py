"""What ``Checkpoint(path, every=..., resume=True)`` costs a fit, and what a resume saves.

Fits the same model with and without a checkpoint (best of ``--repeats``) and
prints both times, their ratio, the size of the file and the time of one
save; then stops a fit half way (a callback raising, after the same number
of records a preemption would have let it run) and prints how long the
resumed fit takes against the whole one. The results are checked equal.

    python benchmarks/bench_checkpoint.py
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np
from _common import print_environment

import emkit
from emkit import HMMEM, GaussianMixtureEM
from emkit.callbacks import Checkpoint, History, chain


def make_data(n_samples: int, n_features: int, seed: int) -> np.ndarray:
    rng = np.random.RandomState(seed)
    centres = rng.normal(0, 1, (5, n_features))  # overlapping: long fits
    return centres[rng.randint(5, size=n_samples)] + rng.normal(size=(n_samples, n_features))


class _Stop(Exception):
    pass


def bench(name: str, make, X, every: int, repeats: int, directory: str) -> None:
    path = os.path.join(directory, f"{name}.json")
    plain_time = saved_time = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        plain = make().fit(X)
        plain_time = min(plain_time, time.perf_counter() - start)
        os.remove(path) if os.path.exists(path) else None
        history = History()
        start = time.perf_counter()
        saved = make().set_params(callback=chain(Checkpoint(path, every), history)).fit(X)
        saved_time = min(saved_time, time.perf_counter() - start)
    assert (
        np.array_equal(plain.means_, saved.means_) and plain.lower_bounds_ == saved.lower_bounds_
    )
    records = len(history.records)
    start = time.perf_counter()
    Checkpoint(path, every)._replace(open(path).read())
    write_time = time.perf_counter() - start
    print(
        f"{name}: {records} records, fit {plain_time:.3f}s, with Checkpoint(every={every}) "
        f"{saved_time:.3f}s, ratio {saved_time / plain_time:.3f}; file "
        f"{os.path.getsize(path) / 1024:.1f} KiB, one write {1000 * write_time:.2f} ms"
    )

    def stop(record):
        if len(history.records) >= records // 2:
            raise _Stop

    history = History()
    try:
        make().set_params(callback=chain(Checkpoint(path, every), history, stop)).fit(X)
    except _Stop:
        pass
    start = time.perf_counter()
    resumed = make().set_params(callback=Checkpoint(path, every, resume=True)).fit(X)
    resumed_time = time.perf_counter() - start
    assert np.array_equal(plain.means_, resumed.means_)
    print(
        f"{name}: stopped after {len(history.records)} of {records} records, resumed in "
        f"{resumed_time:.3f}s against {plain_time:.3f}s for the whole fit, same result"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=200_000)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=2, help="best of this many runs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print_environment(np, emkit)
    X = make_data(args.n_samples, 10, args.seed)
    settings = dict(init_params="random", n_init=2, random_state=args.seed, tol=1e-6)
    with tempfile.TemporaryDirectory() as directory:
        bench(
            "GaussianMixtureEM(5, full)",
            lambda: GaussianMixtureEM(5, **settings),
            X,
            args.every,
            args.repeats,
            directory,
        )
        bench(
            "HMMEM(4, diag)",
            lambda: HMMEM(4, covariance_type="diag", **settings),
            X[: args.n_samples // 4],
            args.every,
            args.repeats,
            directory,
        )


if __name__ == "__main__":
    main()
