"""emkit.monitoring.DriftMonitor: false alarms, power, the statistics' values, bad input."""

import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from emkit import BayesianGaussianMixtureEM, EMImputer, GaussianMixtureEM
from emkit.monitoring import DriftMonitor, DriftReport

N_FEATURES = 10
WEIGHTS = np.array([0.3, 0.3, 0.4])


def mixture_sampler(seed=0):
    """Draws from a fixed 10-feature mixture of three full-covariance Gaussians."""
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=2.0, size=(3, N_FEATURES))
    roots = rng.normal(size=(3, N_FEATURES, N_FEATURES)) / np.sqrt(N_FEATURES)
    covariances = roots @ roots.transpose(0, 2, 1) + 0.5 * np.eye(N_FEATURES)

    def sample(n, rng, weights=WEIGHTS):
        labels = rng.choice(3, size=n, p=weights / weights.sum())
        X = np.empty((n, N_FEATURES))
        for k in range(3):
            rows = labels == k
            X[rows] = rng.multivariate_normal(means[k], covariances[k], size=rows.sum())
        return X

    return sample


@pytest.fixture(scope="module")
def setting():
    sample = mixture_sampler()
    rng = np.random.default_rng(1)
    train, reference = sample(4000, rng), sample(10_000, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GaussianMixtureEM(3, random_state=0).fit(train)
    monitor = DriftMonitor(model, reference, batch_size=1000, alpha=0.01, random_state=0)
    return sample, model, reference, monitor


def test_false_alarms_and_power_on_the_issues_targets(setting):
    """A fast version of benchmarks/bench_drift.py: few batches, fixed seeds."""
    sample, _, reference, monitor = setting
    rng = np.random.default_rng(2)
    null = [monitor.check(sample(1000, rng)).drift for _ in range(20)]
    assert sum(null) <= 1
    sd0 = reference[:, 0].std()

    def shifted():
        X = sample(1000, rng)
        X[:, 0] += 0.5 * sd0
        return X

    def reweighted():
        weights = WEIGHTS * [0.5, 1, 1]
        weights[1:] *= (1 - weights[0]) / weights[1:].sum()
        return sample(1000, rng, weights)

    def holed():
        X = sample(1000, rng)
        X[rng.choice(1000, size=100, replace=False), 0] = np.nan
        return X

    for make, reason in ((shifted, "PSI of 'x0'"), (reweighted, "PSI"), (holed, "missing 'x0'")):
        reports = [monitor.check(make()) for _ in range(5)]
        assert all(report.drift for report in reports)
        assert all(any(reason in line for line in report.reasons) for report in reports)


def test_statistics_are_what_they_say(setting):
    sample, model, reference, monitor = setting
    X = sample(1000, np.random.default_rng(3))
    report = monitor.check(X)
    assert isinstance(report, DriftReport)
    assert report.log_likelihood == pytest.approx(model.score(X))
    assert report.reference_log_likelihood == pytest.approx(model.score(reference))
    assert report.log_likelihood_shift == pytest.approx(model.score(X) - model.score(reference))
    scores = model.score_samples(reference)
    assert np.mean(scores < monitor.outlier_threshold_) == pytest.approx(0.01, abs=1e-3)
    assert report.outlier_share == np.mean(model.score_samples(X) < monitor.outlier_threshold_)
    np.testing.assert_array_equal(report.missing_share, 0.0)
    # The thresholds and the p-values tell the same story.
    level = monitor.alpha / 4
    assert (report.log_likelihood_pvalue < level) == (
        abs(report.log_likelihood_shift) > report.log_likelihood_threshold
    )
    assert (report.psi_pvalue < level) == (report.psi.max() > report.psi_threshold)
    text = str(report)
    assert text.startswith("DRIFT" if report.drift else "no drift")
    assert all(f"x{j}" in text for j in range(N_FEATURES))


def test_psi_of_a_shifted_normal_matches_the_closed_form():
    rng = np.random.default_rng(4)
    reference = rng.normal(size=(40_000, 1))
    model = GaussianMixtureEM(1, random_state=0).fit(reference[:2000])
    monitor = DriftMonitor(model, reference, n_resamples=400, random_state=0)
    report = monitor.check(rng.normal(0.5, 1.0, size=(20_000, 1)))
    edges = stats.norm.ppf(np.linspace(0, 1, 11))
    q = np.full(10, 0.1)
    p = np.diff(stats.norm.cdf(edges, loc=0.5))
    assert report.psi[0] == pytest.approx(np.sum((p - q) * np.log(p / q)), abs=0.01)
    assert report.drift and report.psi[0] > 0.1  # "a moderate shift" by the usual reading


def test_missing_shares_use_the_conditional_binomial_test():
    rng = np.random.default_rng(5)
    reference = rng.normal(size=(2000, 2))
    reference[:100, 1] = np.nan  # 5% missing
    model = EMImputer(random_state=0).fit(reference)
    monitor = DriftMonitor(model, reference, n_resamples=800, random_state=0)
    X = rng.normal(size=(500, 2))
    X[:50, 1] = np.nan  # 10%
    report = monitor.check(X)
    np.testing.assert_allclose(report.missing_share, [0, 0.1])
    np.testing.assert_allclose(report.reference_missing_share, [0, 0.05])
    # Given 150 missing in all, the batch's count is Binomial(150, 500 / 2500) under no drift;
    # two-sided: the chance of a count no likelier than the 50 seen.
    pmf = stats.binom.pmf(np.arange(151), 150, 500 / 2500)
    expected = pmf[pmf <= pmf[50] * (1 + 1e-7)].sum()
    assert report.missing_pvalue[1] == pytest.approx(expected, rel=1e-6)
    assert report.missing_pvalue[0] == 1.0
    assert report.drift and "missing 'x1' 10.00% against 5.00%" in report.reasons


def test_a_pipeline_or_a_bayesian_mixture_is_monitored_too():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(1600, 2)) * [1.0, 100.0]
    pipeline = make_pipeline(StandardScaler(), GaussianMixtureEM(2, random_state=0))
    pipeline.fit(X[:600])
    bayesian = BayesianGaussianMixtureEM(n_components=3, random_state=0).fit(X[:600])
    for model in (pipeline, bayesian):
        monitor = DriftMonitor(model, X[600:], n_resamples=400, random_state=0)
        batch = X[600:900] + np.array([0.0, 100.0])  # one standard deviation in feature 1
        report = monitor.check(batch)
        assert report.log_likelihood == pytest.approx(model.score(batch))
        assert report.drift and report.psi[1] > report.psi_threshold > report.psi[0]


def test_thresholds_are_calibrated_once_per_batch_size(setting):
    sample, model, reference, _ = setting
    monitor = DriftMonitor(model, reference, n_resamples=400, random_state=0)
    rng = np.random.default_rng(6)
    small = monitor.check(sample(200, rng))
    large = monitor.check(sample(2000, rng))
    assert sorted(monitor._null) == [200, 2000]
    # Larger batches vary less: smaller thresholds.
    assert large.log_likelihood_threshold < small.log_likelihood_threshold
    assert large.psi_threshold < small.psi_threshold
    null = monitor._null[200]
    monitor.check(sample(200, rng))
    assert monitor._null[200] is null


def test_bad_input_is_refused_naming_the_argument(setting):
    _, model, reference, monitor = setting
    with pytest.raises(NotFittedError, match="estimator: This GaussianMixtureEM instance is not"):
        DriftMonitor(GaussianMixtureEM(2), reference)
    with pytest.raises(TypeError, match=r"estimator: .* no score_samples"):
        DriftMonitor(object(), reference)
    for alpha in (0, 1, -0.5, 1.5, "0.1", True):
        with pytest.raises(ValueError, match="alpha must be a number in \\(0, 1\\)"):
            DriftMonitor(model, reference, alpha=alpha)
    with pytest.raises(ValueError, match="reference has 50 rows: at least 100"):
        DriftMonitor(model, reference[:50])
    with pytest.raises(ValueError, match=r"reference has 9 features, but the estimator .* 10"):
        DriftMonitor(model, reference[:, :9])
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        DriftMonitor(model, reference, batch_size=0)
    with pytest.raises(ValueError, match=r"n_resamples=100 is too few for alpha=0\.01"):
        DriftMonitor(model, reference, n_resamples=100)
    with pytest.raises(ValueError, match="feature_names has 2 names for 10 features"):
        DriftMonitor(model, reference, feature_names=["a", "b"])
    with pytest.raises(ValueError, match="X has 9 features"):
        monitor.check(reference[:100, :9])
    with pytest.raises(ValueError, match="X is empty"):
        monitor.check(np.empty((0, N_FEATURES)))
    with pytest.raises(ValueError, match="X has 6000 rows: the reference \\(10000 rows\\)"):
        monitor.check(reference[:6000])
    with pytest.raises(TypeError, match="X must be an array of numbers"):
        monitor.check([["a"] * N_FEATURES])


def test_each_statistic_raises_false_alarms_at_its_share_of_alpha():
    # alpha = 0.2 so that the rates are measurable on few batches: each of the four
    # statistics has 0.05, and a batch from the reference's distribution is flagged by
    # the log-likelihood and by the PSI each about 5% of the time, by anything at most 20%.
    rng = np.random.default_rng(8)
    model = GaussianMixtureEM(1, random_state=0).fit(rng.normal(size=(2000, 2)))
    monitor = DriftMonitor(model, rng.normal(size=(5000, 2)), alpha=0.2, random_state=0)
    reports = [monitor.check(rng.normal(size=(100, 2))) for _ in range(400)]
    loglik = np.mean([report.log_likelihood_pvalue < 0.05 for report in reports])
    psi = np.mean([report.psi_pvalue < 0.05 for report in reports])
    # 400 batches: a rate of 5% is 20 +- 4.4 batches; and the rate given one reference varies
    # around 5% with the reference's own sampling noise (3% to 6% over six references).
    assert 0.02 <= loglik <= 0.1 and 0.02 <= psi <= 0.1
    assert np.mean([report.drift for report in reports]) <= 0.2
