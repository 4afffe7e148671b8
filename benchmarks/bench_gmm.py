"""Per-iteration speed of emkit's GaussianMixtureEM against scikit-learn's GaussianMixture.

Both estimators run in this process on the same seeded synthetic data (overlapping
Gaussian components) from the same start: weights, means and precisions computed
once from a k-means labelling, in each covariance type's shape, and passed to both
as ``weights_init``/``means_init``/``precisions_init``. With ``tol=0`` and
``max_iter=n_iter`` both run exactly ``n_iter`` EM iterations (the
ConvergenceWarning this causes is silenced).

Timing: every fit is repeated ``--repeats`` times, alternating the two libraries,
and the best time is kept. The fixed cost of a fit (input validation, turning the
given precisions into Cholesky factors and, for scikit-learn, the final E-step that
makes ``fit_predict`` consistent) is removed by subtracting a one-iteration fit:

    s/iter = (best time with max_iter=n_iter - best time with max_iter=1) / (n_iter - 1)

(``max_iter=0`` cannot be used: scikit-learn 1.9 raises AttributeError for
``max_iter=0`` with ``precisions_init``.) The raw best fit times are printed too.

The ratio is sklearn s/iter / emkit s/iter: above 1 means emkit is faster.
"max rel diff" is the larger of max|a - b| / max|b| over ``means_`` and over
``covariances_`` after the fit, where a is emkit's and b scikit-learn's.

Usage::

    python benchmarks/bench_gmm.py            # 100_000 x 10, 8 components, 20 iterations
    python benchmarks/bench_gmm.py --quick    # small smoke run
    python benchmarks/bench_gmm.py --extra    # also "tied" and "spherical"
    python benchmarks/bench_gmm.py --threads 1  # single-threaded BLAS (threadpoolctl)
    python benchmarks/bench_gmm.py --n-jobs 1   # emkit on one core (default: all cores)

On a machine shared with other busy processes, multi-threaded BLAS can be slowed
several-fold by oversubscription; ``--threads 1`` gives steadier numbers there.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import sklearn
from _common import (
    add_thread_arguments,
    fill_sizes,
    max_rel_diff,
    print_environment,
    thread_settings,
)
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

try:
    import emkit
    from emkit import GaussianMixtureEM
except ImportError:  # run from a source checkout without installing emkit
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import emkit
    from emkit import GaussianMixtureEM

MAIN_TYPES = ("full", "diag")
EXTRA_TYPES = ("tied", "spherical")
REG_COVAR = 1e-6

DEFAULTS = {"n_samples": 100_000, "n_features": 10, "n_components": 8, "n_iter": 20, "repeats": 3}
QUICK = {"n_samples": 5_000, "n_features": 4, "n_components": 3, "n_iter": 5, "repeats": 2}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--n-samples",
        "--n_samples",
        dest="n_samples",
        type=int,
        help=f"default {DEFAULTS['n_samples']}",
    )
    parser.add_argument(
        "--n-features",
        "--n_features",
        dest="n_features",
        type=int,
        help=f"default {DEFAULTS['n_features']}",
    )
    parser.add_argument(
        "--n-components",
        "--n_components",
        dest="n_components",
        type=int,
        help=f"default {DEFAULTS['n_components']}",
    )
    parser.add_argument(
        "--n-iter", "--n_iter", dest="n_iter", type=int, help=f"default {DEFAULTS['n_iter']}"
    )
    parser.add_argument("--repeats", type=int, help="best of this many fits; default 3")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--quick", action="store_true", help=f"small sizes for a smoke run: {QUICK}"
    )
    parser.add_argument("--extra", action="store_true", help="also time 'tied' and 'spherical'")
    add_thread_arguments(parser)
    args = parser.parse_args(argv)
    fill_sizes(args, DEFAULTS, QUICK)
    if args.n_iter < 2 or args.repeats < 1 or args.n_components < 1:
        parser.error("n_iter must be at least 2; repeats and n_components positive")
    return args


def make_data(n_samples, n_features, n_components, seed) -> np.ndarray:
    """Seeded overlapping Gaussian components with random full covariances."""
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.full(n_components, 5.0))
    centres = rng.normal(scale=1.5, size=(n_components, n_features))
    labels = rng.choice(n_components, size=n_samples, p=weights)
    X = rng.standard_normal((n_samples, n_features))
    for k in range(n_components):
        A = rng.standard_normal((n_features, n_features))
        cov = A @ A.T / n_features + 0.3 * np.eye(n_features)
        chol = np.linalg.cholesky(cov * rng.uniform(0.5, 2.0))
        rows = labels == k
        X[rows] = centres[k] + X[rows] @ chol.T
    return X


def initial_parameters(X, labels, n_components, covariance_type):
    """Weights, means and precisions of a hard labelling, in sklearn's shapes."""
    n_samples, n_features = X.shape
    counts = np.bincount(labels, minlength=n_components).astype(float)
    weights = counts / n_samples
    means = np.stack([X[labels == k].mean(axis=0) for k in range(n_components)])
    eye = np.eye(n_features)
    scatters = []
    for k in range(n_components):
        diff = X[labels == k] - means[k]
        scatters.append(diff.T @ diff)
    scatters = np.stack(scatters)
    if covariance_type == "full":
        covariances = scatters / counts[:, None, None] + REG_COVAR * eye
        precisions = np.linalg.inv(covariances)
    elif covariance_type == "tied":
        covariances = scatters.sum(axis=0) / n_samples + REG_COVAR * eye
        precisions = np.linalg.inv(covariances)
    else:
        variances = np.diagonal(scatters, axis1=1, axis2=2) / counts[:, None] + REG_COVAR
        covariances = variances if covariance_type == "diag" else variances.mean(axis=1)
        precisions = 1.0 / covariances
    return weights, means, precisions


def fit_time(estimator_class, X, params, max_iter):
    estimator = estimator_class(max_iter=max_iter, **params)
    start = time.perf_counter()
    estimator.fit(X)
    return time.perf_counter() - start, estimator


def bench_type(X, labels, args, covariance_type):
    weights, means, precisions = initial_parameters(X, labels, args.n_components, covariance_type)
    params = {
        "n_components": args.n_components,
        "covariance_type": covariance_type,
        "tol": 0.0,
        "reg_covar": REG_COVAR,
        "weights_init": weights,
        "means_init": means,
        "precisions_init": precisions,
        "random_state": args.seed,
    }
    # Plain EM on both sides: the same iterates, so per-iteration times compare.
    classes = {
        "sklearn": GaussianMixture,
        "emkit": partial(GaussianMixtureEM, accelerate=None),
    }
    for cls in classes.values():  # warm-up: page in code paths and BLAS threads
        fit_time(cls, X, params, 1)
    best = {(name, it): math.inf for name in classes for it in (1, args.n_iter)}
    fitted = {}
    for _ in range(args.repeats):
        for max_iter in (args.n_iter, 1):
            for name, cls in classes.items():
                seconds, estimator = fit_time(cls, X, params, max_iter)
                best[name, max_iter] = min(best[name, max_iter], seconds)
                if max_iter == args.n_iter:
                    fitted[name] = estimator
    per_iter = {
        name: max(best[name, args.n_iter] - best[name, 1], 0.0) / (args.n_iter - 1)
        for name in classes
    }
    sk, em = fitted["sklearn"], fitted["emkit"]
    diff_means = max_rel_diff(em.means_, sk.means_)
    diff_cov = max_rel_diff(em.covariances_, sk.covariances_)
    print(
        f"{covariance_type}: n_iter_ sklearn={sk.n_iter_} emkit={em.n_iter_}; "
        f"lower_bound_ sklearn={sk.lower_bound_:.12f} emkit={em.lower_bound_:.12f}\n"
        f"    max rel diff means_={diff_means:.1e} covariances_={diff_cov:.1e}; "
        f"best fit time max_iter=1/{args.n_iter}: "
        f"sklearn {best['sklearn', 1]:.4f}/{best['sklearn', args.n_iter]:.4f} s, "
        f"emkit {best['emkit', 1]:.4f}/{best['emkit', args.n_iter]:.4f} s"
    )
    ratio = per_iter["sklearn"] / per_iter["emkit"] if per_iter["emkit"] > 0 else math.nan
    return per_iter["sklearn"], per_iter["emkit"], ratio, max(diff_means, diff_cov)


def main(argv=None) -> None:
    args = parse_args(argv)
    with thread_settings(args):
        run(args)


def run(args: argparse.Namespace) -> None:
    start = time.perf_counter()
    print_environment(np, sklearn, emkit)
    print(
        f"n_samples={args.n_samples} n_features={args.n_features} "
        f"n_components={args.n_components} n_iter={args.n_iter} repeats={args.repeats} "
        f"seed={args.seed} emkit n_jobs={args.n_jobs}{' (quick)' if args.quick else ''}"
    )
    X = make_data(args.n_samples, args.n_features, args.n_components, args.seed)
    labels = KMeans(args.n_components, n_init=1, random_state=args.seed).fit(X).labels_
    types = MAIN_TYPES + (EXTRA_TYPES if args.extra else ())
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for covariance_type in types:
            result = bench_type(X, labels, args, covariance_type)
            label = covariance_type + (" (extra)" if covariance_type in EXTRA_TYPES else "")
            rows.append((label, *result))
    print()
    print("| covariance_type | sklearn s/iter | emkit s/iter | ratio | max rel diff |")
    print("|---|---:|---:|---:|---:|")
    for label, sk, em, ratio, diff in rows:
        print(f"| {label} | {sk:.3e} | {em:.3e} | {ratio:.2f} | {diff:.1e} |")
    print()
    print("ratio = sklearn s/iter / emkit s/iter (> 1: emkit faster)")
    print(f"total time {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
