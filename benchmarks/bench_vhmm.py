"""Per-iteration speed of emkit's VariationalHMMEM against hmmlearn's variational HMMs.

Three cases, each on seeded data sampled from a known, well-separated model
(sticky transitions; Gaussian means far apart, or peaked categorical emissions):

(a) many short sequences (default 500 x 200), d=4, 6 states, full covariances:
    ``VariationalGaussianHMM(covariance_type="full")``;
(b) the same data with diagonal covariances (``covariance_type="diag"``);
(c) one long sequence (default 200_000 symbols) of 20 symbols, 6 states:
    ``VariationalCategoricalHMM``.

Both libraries start from the same priors and posteriors: Dirichlet
concentrations drawn uniformly (priors in [0.5, 2], posteriors worth the data),
posterior means at random rows of X, ``beta`` and ``dof`` posteriors of each
state's share of the rows, inverse scales at that share times the identity
(times the data's variances for ``"diag"``). hmmlearn runs with
``init_params=""``, the start set as attributes and no stopping
(``monitor_.tol = -inf``), once with ``implementation="scaling"`` and once
with its default ``"log"``; emkit runs ``VariationalHMMEM(max_iter=n_iter,
tol=0, accelerate=None)`` with the start as ``*_posterior_init``. Both run
exactly ``n_iter`` iterations with the same iterates ("max rel diff" is the
largest max|a - b| / max|b| over the posteriors, vs scaling / vs log).

Timing: every fit is repeated ``--repeats`` times, alternating the libraries,
and the best time is kept; the fixed cost of a fit is removed by subtracting a
one-iteration fit: ``s/iter = (best time with n_iter - best time with 1) /
(n_iter - 1)``. Every case first runs each library once, untimed (numba's
compilation or cache loading stays out of the figures).

ratio = hmmlearn s/iter / emkit s/iter: above 1 means emkit is faster.

Usage::

    python benchmarks/bench_vhmm.py              # default sizes, about a minute on 2 cores
    python benchmarks/bench_vhmm.py --quick      # small smoke run
    python benchmarks/bench_vhmm.py --cases c    # only some of the cases
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from pathlib import Path

import hmmlearn
import numba
import numpy as np
import sklearn
from _common import (
    add_thread_arguments,
    fill_sizes,
    max_rel_diff,
    print_environment,
    thread_settings,
)
from hmmlearn.vhmm import VariationalCategoricalHMM, VariationalGaussianHMM
from sklearn.exceptions import ConvergenceWarning

try:
    import emkit
    from emkit import VariationalHMMEM
except ImportError:  # run from a source checkout without installing emkit
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import emkit
    from emkit import VariationalHMMEM

IMPLEMENTATIONS = ("scaling", "log")
DEFAULTS = {
    "n_sequences": 500,
    "length": 200,
    "long_length": 200_000,
    "n_features": 4,
    "n_states": 6,
    "n_symbols": 20,
    "n_iter": 6,
    "repeats": 2,
}
QUICK = {
    "n_sequences": 20,
    "length": 100,
    "long_length": 5_000,
    "n_features": 3,
    "n_states": 3,
    "n_symbols": 6,
    "n_iter": 3,
    "repeats": 1,
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in DEFAULTS:
        parser.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            type=int,
            help=f"default {DEFAULTS[name]} ({QUICK[name]} with --quick)",
        )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cases", default="abc", help="which of the cases a, b, c to run")
    parser.add_argument("--quick", action="store_true", help=f"small sizes: {QUICK}")
    add_thread_arguments(parser)
    args = parser.parse_args(argv)
    fill_sizes(args, DEFAULTS, QUICK)
    if args.n_iter < 2 or args.repeats < 1:
        parser.error("--n-iter must be at least 2 and --repeats at least 1")
    return args


def sticky_transmat(k: int) -> np.ndarray:
    transmat = np.full((k, k), 0.05 / (k - 1))
    np.fill_diagonal(transmat, 0.95)
    return transmat


def states_of(n_sequences: int, length: int, k: int, rng) -> np.ndarray:
    cumulative = np.cumsum(sticky_transmat(k), axis=1)
    states = np.empty((n_sequences, length), dtype=int)
    states[:, 0] = rng.integers(k, size=n_sequences)
    draws = rng.random((n_sequences, length))
    for t in range(1, length):
        states[:, t] = (draws[:, t, None] > cumulative[states[:, t - 1]]).sum(axis=1)
    return states.ravel()


def gaussian_data(args, rng):
    k, d = args.n_states, args.n_features
    means = rng.normal(scale=5.0, size=(k, d))
    states = states_of(args.n_sequences, args.length, k, rng)
    X = means[states] + rng.normal(size=(len(states), d))
    return X, [args.length] * args.n_sequences


def categorical_data(args, rng):
    k, m = args.n_states, args.n_symbols
    emissionprob = rng.dirichlet(np.full(m, 0.3), size=k)
    states = states_of(1, args.long_length, k, rng)
    cumulative = np.cumsum(emissionprob, axis=1)
    symbols = (rng.random(len(states))[:, None] > cumulative[states]).sum(axis=1)
    return np.minimum(symbols, m - 1)[:, None], None


def dirichlet_start(n: int, n_sequences: int, args, rng) -> tuple[dict, dict]:
    k = args.n_states
    priors = {
        "startprob_prior": rng.uniform(0.5, 2.0, k),
        "transmat_prior": rng.uniform(0.5, 2.0, (k, k)),
    }
    posteriors = {
        "startprob_posterior_init": rng.uniform(0.5, 2.0, k) * n_sequences / k,
        "transmat_posterior_init": rng.uniform(0.5, 2.0, (k, k)) * n / k / k,
    }
    return priors, posteriors


def gaussian_start(X, lengths, covariance_type: str, args, rng):
    (n, d), k = X.shape, args.n_states
    priors, posteriors = dirichlet_start(n, len(lengths), args, rng)
    share = n / k
    if covariance_type == "full":
        scale_prior = np.broadcast_to(1e-3 * np.eye(d), (k, d, d)).copy()
        scale = np.broadcast_to(share * np.eye(d), (k, d, d)).copy()
    else:  # diag
        scale_prior = np.full((k, d), 1e-3)
        scale = share * np.tile(X.var(axis=0), (k, 1))
    priors |= {
        "means_prior": np.tile(X.mean(axis=0), (k, 1)),
        "beta_prior": np.ones(k),
        "dof_prior": np.full(k, float(d)),
        "scale_prior": scale_prior,
    }
    posteriors |= {
        "means_posterior_init": X[rng.choice(n, k, replace=False)],
        "beta_posterior_init": np.full(k, share),
        "dof_posterior_init": np.full(k, share),
        "scale_posterior_init": scale,
    }
    return priors, posteriors


def categorical_start(X, args, rng):
    k, m, n = args.n_states, args.n_symbols, len(X)
    priors, posteriors = dirichlet_start(n, 1, args, rng)
    priors["emissionprob_prior"] = np.full((k, m), 1.0 / m)
    posteriors["emissionprob_posterior_init"] = rng.dirichlet(np.ones(m), size=k) * n / k
    return priors, posteriors


def make_hmmlearn(case: str, priors: dict, posteriors: dict, n_iter: int, implementation: str):
    k = len(priors["startprob_prior"])
    if case == "c":
        m = priors["emissionprob_prior"].shape[1]
        model = VariationalCategoricalHMM(
            k, n_features=m, init_params="", n_iter=n_iter, implementation=implementation
        )
    else:
        model = VariationalGaussianHMM(
            k,
            covariance_type="full" if case == "a" else "diag",
            init_params="",
            n_iter=n_iter,
            implementation=implementation,
        )
    model.monitor_.tol = -np.inf  # exactly n_iter iterations
    for name, value in priors.items():
        setattr(model, name + "_", value)
    for name, value in posteriors.items():
        setattr(model, name.removesuffix("_init") + "_", value)
    return model


def make_emkit(case: str, priors: dict, posteriors: dict, n_iter: int, n_jobs: int):
    options = {"emission": "categorical"} if case == "c" else {}
    if case in "ab":
        options["covariance_type"] = "full" if case == "a" else "diag"
    return VariationalHMMEM(
        len(priors["startprob_prior"]),
        **options,
        **priors,
        **posteriors,
        max_iter=n_iter,
        tol=0.0,
        accelerate=None,
        n_jobs=n_jobs,
    )


def fit_time(make, X, lengths, emkit_side: bool) -> tuple[float, object]:
    start = time.perf_counter()
    model = make().fit(X, lengths=lengths) if emkit_side else make().fit(X, lengths)
    return time.perf_counter() - start, model


def bench(case: str, X, lengths, priors, posteriors, args):
    """Best times of each library with n_iter and with 1 iteration, and the fits."""
    makers = {
        "emkit": lambda n: make_emkit(case, priors, posteriors, n, args.n_jobs),
        **{
            impl: (lambda n, impl=impl: make_hmmlearn(case, priors, posteriors, n, impl))
            for impl in IMPLEMENTATIONS
        },
    }
    for name, make in makers.items():  # untimed: compilation, first touch
        fit_time(lambda make=make: make(2), X, lengths, name == "emkit")
    best = {(name, n): math.inf for name in makers for n in (1, args.n_iter)}
    fitted = {}
    for _ in range(args.repeats):
        for n in (1, args.n_iter):
            for name, make in makers.items():
                seconds, model = fit_time(
                    lambda make=make, n=n: make(n), X, lengths, name == "emkit"
                )
                best[name, n] = min(best[name, n], seconds)
                fitted[name] = model
    per_iter = {
        name: (best[name, args.n_iter] - best[name, 1]) / (args.n_iter - 1) for name in makers
    }
    names = [name.removesuffix("_init") + "_" for name in posteriors]
    diffs = [
        max(max_rel_diff(getattr(fitted["emkit"], a), getattr(fitted[impl], a)) for a in names)
        for impl in IMPLEMENTATIONS
    ]
    return per_iter, diffs


def main(argv=None) -> None:
    args = parse_args(argv)
    with thread_settings(args), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        run(args)


def run(args) -> None:
    print_environment(np, sklearn, hmmlearn, numba, emkit)
    print(
        f"(a), (b) {args.n_sequences} x {args.length}, n_features={args.n_features}; "
        f"(c) {args.long_length} symbols of {args.n_symbols}; n_states={args.n_states} "
        f"n_iter={args.n_iter} repeats={args.repeats} seed={args.seed}"
        f"{' (quick)' if args.quick else ''}\n"
    )
    rng = np.random.default_rng(args.seed)
    X_ab, lengths_ab = gaussian_data(args, rng)
    X_c, _ = categorical_data(args, rng)
    cases = {
        "a": ("Gaussian full, many sequences", X_ab, lengths_ab, "full"),
        "b": ("Gaussian diag, many sequences", X_ab, lengths_ab, "diag"),
        "c": ("categorical, one sequence", X_c, None, None),
    }
    rows = []
    for case, (title, X, lengths, covariance_type) in cases.items():
        if case not in args.cases:
            continue
        if case == "c":
            priors, posteriors = categorical_start(X, args, rng)
        else:
            priors, posteriors = gaussian_start(X, lengths, covariance_type, args, rng)
        per_iter, diffs = bench(case, X, lengths, priors, posteriors, args)
        rows.append((f"({case}) {title}", per_iter, diffs))
        print(f"({case}) done: {per_iter}")
    print()
    print(
        "| case | emkit s/iter | hmmlearn scaling | ratio scaling | hmmlearn log | ratio log "
        "| max rel diff (vs scaling / vs log) |"
    )
    print("|---|---|---|---|---|---|---|")
    for title, t, diffs in rows:
        print(
            f"| {title} | {t['emkit']:.4f} | {t['scaling']:.4f} | "
            f"{t['scaling'] / t['emkit']:.1f} | {t['log']:.4f} | {t['log'] / t['emkit']:.1f} "
            f"| {diffs[0]:.1e} / {diffs[1]:.1e} |"
        )


if __name__ == "__main__":
    main()
