import os

import numpy as np
import pytest
from hypothesis import settings

# CI replays the same generated cases on every run (HYPOTHESIS_PROFILE=ci), so
# that a landing does not hinge on luck; local runs draw new ones.
settings.register_profile("ci", derandomize=True, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def make_blobs_with_covariances(n_samples=600, random_state=0):
    """Three overlapping Gaussian components with known parameters."""
    rng = np.random.RandomState(random_state)
    weights = np.array([0.5, 0.3, 0.2])
    means = np.array([[0.0, 0.0, 0.0], [4.0, 4.0, 0.0], [-4.0, 3.0, 2.0]])
    factors = [np.eye(3), 0.5 * np.eye(3), np.array([[1.0, 0, 0], [0.8, 0.6, 0], [0, 0.3, 1.2]])]
    covariances = np.array([f @ f.T for f in factors])
    counts = rng.multinomial(n_samples, weights)
    X = np.vstack(
        [rng.multivariate_normal(m, c, size=n) for m, c, n in zip(means, covariances, counts)]
    )
    y = np.repeat(np.arange(3), counts)
    return X, y, (weights, means, covariances)


@pytest.fixture
def blobs():
    return make_blobs_with_covariances()


@pytest.fixture(scope="session")
def reliability_cases():
    """The reliability sweep's reproducers: where reg_covar EM let the objective fall."""
    rng = np.random.RandomState(2)
    base = np.r_[rng.randn(150, 3), rng.randn(150, 3) + 2.5]
    copied = np.c_[base, base[:, 0], base[:, 0]]
    float32 = np.c_[base, base[:, 1] + 1e-9].astype(np.float32).astype(float)
    scales = base * [1e-6, 1.0, 1e6]
    with_nan = copied.copy()
    with_nan[rng.rand(*copied.shape) < 0.3] = np.nan
    constant = np.c_[base, np.ones(len(base))]
    return {
        "copied": copied,
        "float32": float32,
        "scales": scales,
        "nan": with_nan,
        "constant": constant,
    }
