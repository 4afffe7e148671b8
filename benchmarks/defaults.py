"""emkit's defaults against scikit-learn's: where a first fit lands, and at what cost.

Side by side in one process, on the same data:

* ``--panel`` (the default): the real data sets of ``_panel.CASES``, 10 seeds
  each. For each case and seed, emkit's default fit (``n_init=1``) and
  scikit-learn's ``GaussianMixture`` with ``n_init=1`` and ``n_init=10``. A fit
  *reaches* the case's best known optimum (``_panel.BEST_KNOWN``) if its
  log-likelihood per row is within 1e-4 of it and no component collapsed
  (``Gaussian.collapsed``: fewer rows than its covariance needs, or a variance
  at the ``reg_covar`` floor). Printed: how often each reaches it, the mean
  shortfall per row, and the panel's total wall time, with the ratios.
* ``--large``: 200,000 x 20, 16 full components and 500,000 x 20, 16 diagonal
  ones (the overlapping mixture of ``bench_gmm.py``), three seeds each: emkit's
  defaults against scikit-learn's defaults (time) and scikit-learn's
  ``n_init=3`` (log-likelihood). As for the panel, each library first fits
  untimed once.
* ``--memory``: peak resident memory of a diagonal 16-component fit on
  1,000,000 x 20, each library in a fresh process, above what the process
  holds after importing it and making the data (Linux: the peak is reset
  through ``/proc/self/clear_refs`` once the data are made).
* ``--brute-force``: the best known optima of the panel: fits from every start
  of emkit (each ``init_params``, 60 seeds) to ``tol=1e-10``.

Usage::

    python benchmarks/defaults.py [--panel] [--large] [--memory] [--brute-force]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
from _common import print_environment
from _panel import BEST_KNOWN, CASES
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

try:
    import emkit
    from emkit import GaussianMixtureEM
except ImportError:  # run from a source checkout without installing emkit
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import emkit
    from emkit import GaussianMixtureEM

REACHED = 1e-4  # per row
SEEDS = range(10)


def collapsed(fitted, X) -> bool:
    """Whether a component of a fitted mixture (either library's) collapsed."""
    gm = GaussianMixtureEM(fitted.n_components, covariance_type=fitted.covariance_type)
    model = gm.set_params(reg_covar=fitted.reg_covar)._model(X.shape[1])
    nk = fitted.weights_ * len(X)
    return model.gaussian.collapsed(fitted.covariances_, nk, X.shape[1])


def timed_fit(estimator, X):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X)
    return estimator, time.perf_counter() - start


def warm_up(*estimator_classes) -> None:
    """Untimed fits of each class: each library's first fits in a process load what it
    loads once (emkit's compiled kernels from numba's cache, about 0.3 s)."""
    X = CASES["faithful full k=3"][0]()
    for cls in estimator_classes:
        for covariance_type in ("full", "tied", "diag", "spherical"):
            timed_fit(cls(2, covariance_type=covariance_type, random_state=0), X)


def brute_force() -> None:
    print("Best known optima (log-likelihood per row), not collapsed:")
    for name, (load, k, covariance_type) in CASES.items():
        X = load()
        best, found = -np.inf, []
        for init in ("short-em", "kmeans", "k-means++", "random", "random_from_data"):
            for seed in range(60):
                gm = GaussianMixtureEM(
                    k,
                    covariance_type=covariance_type,
                    init_params=init,
                    tol=1e-10,
                    max_iter=10_000,
                    random_state=seed,
                )
                gm, _ = timed_fit(gm, X)
                if not collapsed(gm, X):
                    value = gm.score(X)
                    found.append(value)
                    best = max(best, value)
        share = np.mean(np.asarray(found) > best - REACHED)
        print(f'    "{name}": {best!r},  # reached by {share:.0%} of the proper fits')


def panel() -> None:
    missing = [name for name in CASES if name not in BEST_KNOWN]
    if missing:
        sys.exit(f"No best known optimum for {missing}: run --brute-force first.")
    libraries = {
        "emkit": lambda k, cov, seed: GaussianMixtureEM(k, covariance_type=cov, random_state=seed),
        "sklearn": lambda k, cov, seed: GaussianMixture(k, covariance_type=cov, random_state=seed),
        "sklearn n_init=10": lambda k, cov, seed: GaussianMixture(
            k, covariance_type=cov, n_init=10, random_state=seed
        ),
    }
    warm_up(GaussianMixtureEM, GaussianMixture)
    totals = {name: [0, 0.0, 0.0] for name in libraries}  # reached, shortfall, seconds
    print(f"{'case':<28}" + "".join(f"{name:>26}" for name in libraries))
    print(f"{'':<28}" + "".join(f"{'reached  shortfall  sec':>26}" for _ in libraries))
    for case, (load, k, covariance_type) in CASES.items():
        X, best = load(), BEST_KNOWN[case]
        row = []
        for name, make in libraries.items():
            reached, shortfall, seconds = 0, 0.0, 0.0
            for seed in SEEDS:
                gm, elapsed = timed_fit(make(k, covariance_type, seed), X)
                value, spurious = gm.score(X), collapsed(gm, X)
                reached += value > best - REACHED and not spurious
                shortfall += max(best - value, 0.0) if not spurious else 0.0
                seconds += elapsed
            n = len(SEEDS)
            totals[name][0] += reached
            totals[name][1] += shortfall / n
            totals[name][2] += seconds
            row.append(f"{reached:>8}/{n} {shortfall / n:10.2e} {seconds:6.2f}")
        print(f"{case:<28}" + "".join(f"{cell:>26}" for cell in row))
    n_fits = len(SEEDS) * len(CASES)
    print(
        f"{'total':<28}"
        + "".join(
            f"{f'{r:>5}/{n_fits} {s / len(CASES):10.2e} {t:6.2f}':>26}"
            for r, s, t in totals.values()
        )
    )
    emkit_, sk1, sk10 = totals.values()
    print(
        f"\nreach rate emkit / sklearn n_init=10: {emkit_[0] / max(sk10[0], 1):.2f} (target >= 2)"
        f"\nmean shortfall emkit / sklearn n_init=10: {emkit_[1] / sk10[1]:.2f} (target <= 0.5)"
        f"\nwall time emkit / sklearn n_init=1: {emkit_[2] / sk1[2]:.2f} (target <= 2); "
        f"sklearn n_init=10 / n_init=1: {sk10[2] / sk1[2]:.1f}"
    )


def large() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_gmm import make_data

    warm_up(GaussianMixtureEM, GaussianMixture)
    print(
        "case                         seed  sklearn s  emkit s  ratio   sklearn LL   "
        "sklearn n_init=3 LL   emkit LL"
    )
    for n, covariance_type in [(200_000, "full"), (500_000, "diag")]:
        for seed in range(3):
            X = make_data(n, 20, 16, seed)
            sk, sk_time = timed_fit(
                GaussianMixture(16, covariance_type=covariance_type, random_state=seed), X
            )
            em, em_time = timed_fit(
                GaussianMixtureEM(16, covariance_type=covariance_type, random_state=seed), X
            )
            sk3, _ = timed_fit(
                GaussianMixture(16, covariance_type=covariance_type, n_init=3, random_state=seed),
                X,
            )
            print(
                f"{n:>7} x 20 k=16 {covariance_type:<5} {seed:>7} {sk_time:10.2f} {em_time:8.2f} "
                f"{em_time / sk_time:6.2f} {sk.score(X):12.4f} {sk3.score(X):21.4f} "
                f"{em.score(X):10.4f}"
            )


_MEMORY = """
import sys
sys.path.insert(0, {benchmarks!r})
import numpy as np
from {module} import {cls}
from bench_gmm import make_data


def status(field):
    with open("/proc/self/status") as lines:
        return next(int(line.split()[1]) / 1024 for line in lines if line.startswith(field))


X = make_data(1_000_000, 20, 16, 0)
with open("/proc/self/clear_refs", "w") as refs:  # the peak restarts from here
    refs.write("5")
before = status("VmRSS:")
{cls}(16, covariance_type="diag", random_state=0).fit(X)
print(before, status("VmHWM:"))
"""


def memory() -> None:
    benchmarks = str(Path(__file__).resolve().parent)
    data_mb = 1_000_000 * 20 * 8 / 2**20
    print(f"diag, 16 components, 1,000,000 x 20 ({data_mb:.0f} MiB of data): peak RSS in MiB")
    for module, cls in [("emkit", "GaussianMixtureEM"), ("sklearn.mixture", "GaussianMixture")]:
        code = _MEMORY.format(benchmarks=benchmarks, module=module, cls=cls)
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        before, after = map(float, out.stdout.split())
        print(
            f"  {module:<16} after import and data {before:7.0f}, peak {after:7.0f}, "
            f"fit adds {after - before:5.0f} (target for emkit: <= {data_mb / 2 + 60:.0f})"
        )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag in ("panel", "large", "memory", "brute-force"):
        parser.add_argument(f"--{flag}", action="store_true")
    args = parser.parse_args(argv)
    print_environment(np, sklearn, emkit)
    if args.brute_force:
        brute_force()
    if args.panel or not (args.large or args.memory or args.brute_force):
        panel()
    if args.large:
        large()
    if args.memory:
        memory()


if __name__ == "__main__":
    main()
