"""False-alarm rate and power of emkit.monitoring.DriftMonitor.

Data: a 10-feature mixture of three Gaussians with weights (0.3, 0.3, 0.4),
means drawn from N(0, 2^2 I) and random full covariances (seeded). A
GaussianMixtureEM(3) is fitted on 5,000 rows; the monitor's reference is
10,000 other rows; batches have 1,000 rows; alpha = 1%.

Rates of batches reported as drift:

- null: batches from the same mixture (target: at most 2%);
- (a) feature 0 shifted by 0.5 of its standard deviation (target: >= 95%);
- (b) the first component's weight changed by 50% (0.3 -> 0.15, and
  0.3 -> 0.45), the others rescaled (target: >= 95%);
- (c) 10% of feature 0's values missing, completely at random (target: >= 95%).

Usage::

    python benchmarks/bench_drift.py                 # 500 batches each
    python benchmarks/bench_drift.py --batches 100   # quicker
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

N_FEATURES = 10
WEIGHTS = np.array([0.3, 0.3, 0.4])


def mixture(seed: int = 0):
    """Means and covariances of the benchmark's mixture."""
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=2.0, size=(len(WEIGHTS), N_FEATURES))
    covariances = []
    for _ in WEIGHTS:
        A = rng.normal(size=(N_FEATURES, N_FEATURES)) / np.sqrt(N_FEATURES)
        covariances.append(A @ A.T + 0.5 * np.eye(N_FEATURES))
    return means, np.array(covariances)


def sample(n: int, rng, weights=WEIGHTS, params=None) -> np.ndarray:
    means, covariances = mixture() if params is None else params
    labels = rng.choice(len(weights), size=n, p=weights / weights.sum())
    X = np.empty((n, N_FEATURES))
    for k in range(len(weights)):
        rows = labels == k
        X[rows] = rng.multivariate_normal(means[k], covariances[k], size=rows.sum())
    return X


def scenarios(rng, batch_size: int, sd0: float, params):
    """Batch makers: name -> function of nothing returning one batch."""

    def null():
        return sample(batch_size, rng, params=params)

    def shift():
        X = sample(batch_size, rng, params=params)
        X[:, 0] += 0.5 * sd0
        return X

    def weight(factor):
        def make():
            weights = WEIGHTS.copy()
            weights[0] *= factor
            weights[1:] *= (1 - weights[0]) / weights[1:].sum()
            return sample(batch_size, rng, weights, params=params)

        return make

    def missing():
        X = sample(batch_size, rng, params=params)
        X[rng.choice(batch_size, size=batch_size // 10, replace=False), 0] = np.nan
        return X

    return {
        "null (same distribution)": null,
        "(a) feature 0 + 0.5 sd": shift,
        "(b) weight 0.3 -> 0.15": weight(0.5),
        "(b) weight 0.3 -> 0.45": weight(1.5),
        "(c) 10% of feature 0 missing": missing,
    }


def setup(seed: int = 0, n_train: int = 5000, n_reference: int = 10_000):
    """The fitted model, the reference rows and the mixture's parameters."""
    from emkit import GaussianMixtureEM

    rng = np.random.default_rng(seed)
    params = mixture()
    train = sample(n_train, rng, params=params)
    reference = sample(n_reference, rng, params=params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GaussianMixtureEM(len(WEIGHTS), n_init=3, random_state=seed).fit(train)
    return model, reference, params, rng


def main() -> None:
    from emkit.monitoring import DriftMonitor

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=500, help="batches per scenario")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--alpha", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    model, reference, params, rng = setup(args.seed)
    start = time.perf_counter()
    monitor = DriftMonitor(
        model, reference, batch_size=args.batch_size, alpha=args.alpha, random_state=args.seed
    )
    print(
        f"reference {len(reference)} rows, batch {args.batch_size}, alpha {args.alpha}: "
        f"calibrated in {time.perf_counter() - start:.2f} s"
    )
    sd0 = np.sqrt(np.var(sample(200_000, np.random.default_rng(1), params=params)[:, 0]))
    for name, make in scenarios(rng, args.batch_size, sd0, params).items():
        start = time.perf_counter()
        reports = [monitor.check(make()) for _ in range(args.batches)]
        rate = np.mean([report.drift for report in reports])
        by = {
            "loglik": np.mean([r.log_likelihood_pvalue < args.alpha / 4 for r in reports]),
            "psi": np.mean([r.psi_pvalue < args.alpha / 4 for r in reports]),
            "outliers": np.mean([r.outlier_pvalue < args.alpha / 4 for r in reports]),
            "missing": np.mean(
                [r.missing_pvalue.min() < args.alpha / 4 / N_FEATURES for r in reports]
            ),
        }
        detail = ", ".join(f"{key} {value:.1%}" for key, value in by.items())
        print(
            f"{name:<30} drift in {rate:6.1%} of {args.batches} batches ({detail}); "
            f"{(time.perf_counter() - start) / args.batches * 1e3:.1f} ms a batch"
        )


if __name__ == "__main__":
    main()
