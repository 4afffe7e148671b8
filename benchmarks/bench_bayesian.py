"""emkit's BayesianGaussianMixtureEM at its defaults against scikit-learn's
BayesianGaussianMixture at ``tol=1e-6``: time to converge, and the lower bound reached.

The data: 30,000 rows of 6 features from 10 overlapping Gaussian components (centres
drawn at unit scale, covariances near the identity, weights from a Dirichlet), one
data set per seed. scikit-learn runs its defaults (k-means start, Dirichlet process
prior, full covariances) with ``tol=1e-6`` on its total lower bound and a
``max_iter`` large enough to converge; emkit runs its defaults (exploring start,
SQUAREM, Aitken's stopping rule at ``tol=1e-3``), both with ``n_components=10`` and
``random_state=seed``. Both lower bounds are scikit-learn's (the evidence lower
bound without its constant terms, a total over the rows), so they compare directly:
"gain" is emkit's less scikit-learn's, positive when emkit's fit is better. They are
local optima: which start finds the better one varies with the data.

A second table (``--as-sklearn``) runs both for 100 iterations (``tol=0``) on the
first 10,000 rows, emkit with scikit-learn's settings (``init_params="kmeans"``,
``accelerate=None``): the same iterates (its k-means start sees all rows up to
10,000), so the ratio is the speed per iteration alone; "max rel diff" compares the
means.

Timing: one fit each, BLAS and OpenMP limited to ``--threads`` (default 1, steady on a
shared machine); emkit's ``n_jobs`` is ``--n-jobs`` (default -1). The ratio is
scikit-learn's time / emkit's: above 1 means emkit is faster; "total" is the ratio
of the summed times.

Usage::

    python benchmarks/bench_bayesian.py                 # seeds 0-2, about a minute
    python benchmarks/bench_bayesian.py --seeds 0 1 2 3 4 --as-sklearn
    python benchmarks/bench_bayesian.py --quick         # small smoke run
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
from _common import add_thread_arguments, max_rel_diff, print_environment, thread_settings
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture

try:
    import emkit
except ImportError:  # run from a source checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import emkit
from emkit import BayesianGaussianMixtureEM

AS_SKLEARN = dict(init_params="kmeans", accelerate=None, stopping="change", tol=0.0)
SAME_ROWS, SAME_ITER = 10_000, 100


def make_data(n_samples: int, n_features: int, n_components: int, seed: int) -> np.ndarray:
    rng = np.random.RandomState(seed)
    centres = rng.standard_normal((n_components, n_features))
    weights = rng.dirichlet(np.full(n_components, 3.0))
    labels = rng.choice(n_components, n_samples, p=weights)
    factors = rng.standard_normal((n_components, n_features, n_features)) * 0.2
    factors += np.eye(n_features)
    noise = rng.standard_normal((n_samples, n_features))
    return centres[labels] + np.einsum("nij,nj->ni", factors[labels], noise)


def timed(estimator, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        estimator.fit(X)
        return time.perf_counter() - start


def bound(estimator) -> float:
    return float(np.ravel(estimator.lower_bound_)[0])  # scikit-learn's is an array for tied


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-samples", type=int, default=30_000)
    parser.add_argument("--n-features", type=int, default=6)
    parser.add_argument("--n-components", type=int, default=10)
    parser.add_argument("--max-iter", type=int, default=5000, help="scikit-learn's max_iter")
    parser.add_argument("--as-sklearn", action="store_true", help="also emkit as scikit-learn")
    parser.add_argument("--quick", action="store_true", help="3,000 rows, one seed")
    add_thread_arguments(parser, threads=1)
    args = parser.parse_args(argv)
    if args.quick:
        args.n_samples, args.seeds = 3_000, args.seeds[:1]
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    print_environment(np, sklearn, emkit)
    k = args.n_components
    print(f"{args.n_samples} x {args.n_features}, {k} components, full covariances")
    with thread_settings(args):
        rows, totals = [], np.zeros(2)
        extra = []
        for seed in args.seeds:
            X = make_data(args.n_samples, args.n_features, k, seed)
            theirs = BayesianGaussianMixture(
                n_components=k, tol=1e-6, max_iter=args.max_iter, random_state=seed
            )
            ours = BayesianGaussianMixtureEM(k, random_state=seed)
            t_theirs, t_ours = timed(theirs, X), timed(ours, X)
            totals += t_theirs, t_ours
            rows.append((seed, theirs, t_theirs, ours, t_ours))
            if args.as_sklearn:
                rows_same = X[:SAME_ROWS]
                reference = BayesianGaussianMixture(
                    n_components=k, tol=0.0, max_iter=SAME_ITER, random_state=seed
                )
                t_reference = timed(reference, rows_same)
                same = BayesianGaussianMixtureEM(
                    k, random_state=seed, max_iter=SAME_ITER, **AS_SKLEARN
                )
                extra.append((seed, reference, t_reference, same, timed(same, rows_same)))
    header = (
        f"{'seed':>4} {'sklearn s':>9} {'iter':>5} {'emkit s':>8} {'iter':>5} "
        f"{'sklearn bound':>14} {'gain':>9} {'ratio':>6}"
    )
    print("\nemkit at its defaults, scikit-learn at tol=1e-6")
    print(header)
    for seed, theirs, t_theirs, ours, t_ours in rows:
        gain = ours.lower_bound_ - bound(theirs)
        print(
            f"{seed:>4} {t_theirs:>9.2f} {theirs.n_iter_:>5} {t_ours:>8.2f} {ours.n_iter_:>5} "
            f"{bound(theirs):>14.3f} {gain:>+9.3f} {t_theirs / t_ours:>6.1f}"
        )
    gains = [ours.lower_bound_ - bound(theirs) for _, theirs, _, ours, _ in rows]
    print(
        f"total ratio {totals[0] / totals[1]:.1f} (sklearn {totals[0]:.1f} s, emkit "
        f"{totals[1]:.1f} s); emkit's bound higher or equal on {sum(g >= 0 for g in gains)} "
        f"of {len(gains)} seeds, mean gain {np.mean(gains):+.3f}"
    )
    if extra:
        print(f"\n{SAME_ITER} iterations on {SAME_ROWS} rows, emkit with scikit-learn's settings")
        print(f"{'seed':>4} {'sklearn s':>9} {'emkit s':>8} {'max rel diff':>12} {'ratio':>6}")
        for seed, theirs, t_theirs, same, t_same in extra:
            diff, ratio = max_rel_diff(same.means_, theirs.means_), t_theirs / t_same
            print(f"{seed:>4} {t_theirs:>9.2f} {t_same:>8.2f} {diff:>12.1e} {ratio:>6.1f}")


if __name__ == "__main__":
    main()
