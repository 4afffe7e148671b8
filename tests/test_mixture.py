import warnings

import numpy as np
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from scipy.stats import multivariate_normal
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import StandardScaler

import emkit._mixture_base
from emkit import GaussianMixtureEM, _gaussian
from emkit.datasets import load_faithful

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
FITTED = ["weights_", "means_", "covariances_", "precisions_cholesky_", "precisions_"]


def assert_same_params(a, b, rtol):
    for name in FITTED:
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=rtol, err_msg=name)


def explicit_start(X, covariance_type, n_components=3, seed=0):
    """weights_init, means_init and precisions_init from a rough sklearn fit."""
    rough = GaussianMixture(
        n_components, covariance_type=covariance_type, max_iter=1, random_state=seed
    )
    with pytest.warns(ConvergenceWarning):
        rough.fit(X)
    return {
        "weights_init": rough.weights_,
        "means_init": rough.means_,
        "precisions_init": rough.precisions_,
    }


@pytest.fixture(params=["rowwise", "blas"])
def e_step_path(request, monkeypatch):
    """Small E-steps run as one compiled pass over the rows; this fixture forces either path."""
    monkeypatch.setattr(_gaussian, "_ROWWISE_WORK", 10**12 if request.param == "rowwise" else 0)
    return request.param


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("max_iter", [1, 2, 7, 40])
def test_reproduces_sklearn_iterates_from_same_random_state(
    blobs, covariance_type, max_iter, e_step_path
):
    X = blobs[0]
    kwargs = dict(covariance_type=covariance_type, tol=0, max_iter=max_iter, random_state=1)
    with pytest.warns(ConvergenceWarning):
        ours = GaussianMixtureEM(3, accelerate=None, init_params="kmeans", **kwargs).fit(X)
    with pytest.warns(ConvergenceWarning):
        theirs = GaussianMixture(3, **kwargs).fit(X)
    assert_same_params(ours, theirs, rtol=1e-8)
    np.testing.assert_allclose(ours.lower_bounds_, theirs.lower_bounds_, rtol=1e-10)
    assert ours.n_iter_ == theirs.n_iter_ == max_iter


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_reproduces_sklearn_at_its_default_tol(covariance_type):
    # scikit-learn's settings: its start, plain EM, and its stopping rule at its tol.
    X = load_faithful().data
    kwargs = dict(covariance_type=covariance_type, tol=1e-3, max_iter=100, random_state=0)
    ours = GaussianMixtureEM(
        3, init_params="kmeans", accelerate=None, stopping="change", **kwargs
    ).fit(X)
    theirs = GaussianMixture(3, **kwargs).fit(X)
    assert_same_params(ours, theirs, rtol=1e-8)
    np.testing.assert_allclose(ours.lower_bounds_, theirs.lower_bounds_, rtol=1e-10)
    assert ours.n_iter_ == theirs.n_iter_ > 2
    assert ours.converged_ and theirs.converged_


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_reproduces_sklearn_iterates_from_given_parameters(blobs, covariance_type):
    X = blobs[0]
    start = explicit_start(X, covariance_type)
    for max_iter in [1, 3, 25]:
        kwargs = dict(covariance_type=covariance_type, tol=0, max_iter=max_iter, **start)
        with pytest.warns(ConvergenceWarning):
            ours = GaussianMixtureEM(3, accelerate=None, **kwargs).fit(X)
        with pytest.warns(ConvergenceWarning):
            theirs = GaussianMixture(3, **kwargs).fit(X)
        assert_same_params(ours, theirs, rtol=1e-8)


TRUE_COVARIANCES = {
    "full": np.array([np.eye(3), [[1, 0.8, 0], [0.8, 1, 0.3], [0, 0.3, 1.5]], 0.25 * np.eye(3)]),
    "tied": np.array([[1, 0.8, 0], [0.8, 1, 0.3], [0, 0.3, 1.5]]),
    "diag": np.array([[1, 2, 0.5], [0.3, 0.3, 1], [1.5, 1, 1]]),
    "spherical": np.array([1, 0.25, 2]),
}


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_recovers_known_parameters(covariance_type):
    rng = np.random.RandomState(3)
    weights = np.array([0.5, 0.3, 0.2])
    means = np.array([[0.0, 0.0, 0.0], [4.0, 4.0, 0.0], [-4.0, 3.0, 2.0]])
    covariances = TRUE_COVARIANCES[covariance_type]
    truth = GaussianMixtureEM(3, covariance_type=covariance_type)
    matrices = truth._model(3).gaussian.covariance.full_matrices(covariances, 3, 3)
    counts = rng.multinomial(20_000, weights)
    X = np.vstack([rng.multivariate_normal(*args) for args in zip(means, matrices, counts)])
    gm = truth.set_params(n_init=2, random_state=0).fit(X)
    order = np.argsort(gm.means_[:, 0])
    true_order = np.argsort(means[:, 0])
    np.testing.assert_allclose(gm.weights_[order], weights[true_order], atol=0.01)
    np.testing.assert_allclose(gm.means_[order], means[true_order], atol=0.05)
    fitted = gm.covariances_ if covariance_type == "tied" else gm.covariances_[order]
    expected = covariances if covariance_type == "tied" else covariances[true_order]
    np.testing.assert_allclose(fitted, expected, atol=0.06)
    assert gm.converged_


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_sample_weight_equals_repeated_rows(blobs, covariance_type):
    X = blobs[0][:200]
    counts = np.random.RandomState(0).randint(0, 4, size=len(X))
    start = explicit_start(X, covariance_type)
    kwargs = dict(covariance_type=covariance_type, tol=0, max_iter=15, **start)
    with pytest.warns(ConvergenceWarning):
        weighted = GaussianMixtureEM(3, **kwargs).fit(X, sample_weight=counts)
    with pytest.warns(ConvergenceWarning):
        repeated = GaussianMixtureEM(3, **kwargs).fit(np.repeat(X, counts, axis=0))
    assert_same_params(weighted, repeated, rtol=1e-9)
    np.testing.assert_allclose(weighted.lower_bounds_, repeated.lower_bounds_, rtol=1e-10)
    X_rep = np.repeat(X, counts, axis=0)
    assert weighted.score(X, sample_weight=counts) == pytest.approx(weighted.score(X_rep))
    assert weighted.bic(X, sample_weight=counts) == pytest.approx(weighted.bic(X_rep))
    assert weighted.aic(X, sample_weight=counts) == pytest.approx(weighted.aic(X_rep))


def test_zero_weight_rows_are_ignored(blobs):
    X = blobs[0]
    outliers = np.full((5, 3), 1e3)
    start = explicit_start(X, "full")
    kwargs = dict(tol=0, max_iter=10, **start)
    w = np.r_[np.ones(len(X)), np.zeros(5)]
    with pytest.warns(ConvergenceWarning):
        a = GaussianMixtureEM(3, **kwargs).fit(np.vstack([X, outliers]), sample_weight=w)
    with pytest.warns(ConvergenceWarning):
        b = GaussianMixtureEM(3, **kwargs).fit(X)
    assert_same_params(a, b, rtol=1e-10)


@settings(max_examples=400, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n_samples=st.integers(60, 200),
    n_features=st.integers(1, 4),
    n_components=st.integers(1, 4),
    covariance_type=st.sampled_from(COVARIANCE_TYPES),
    init_params=st.sampled_from(["kmeans", "random", "random_from_data"]),
    weighted=st.booleans(),
    accelerate=st.sampled_from([None, "squarem"]),
)
def test_em_log_likelihood_never_decreases(
    seed, n_samples, n_features, n_components, covariance_type, init_params, weighted, accelerate
):
    # Exact EM (reg_covar=0): with reg_covar > 0 the M-step is not an exact maximiser
    # (as in scikit-learn) and a collapsing component can dip the log-likelihood.
    # A component that does collapse raises; such draws are rejected.
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n_samples, n_features)) * rng.uniform(0.1, 10, n_features)
    X[: n_samples // 2] += rng.uniform(-15, 15, n_features)
    w = rng.uniform(0, 3, n_samples) if weighted else None
    gm = GaussianMixtureEM(
        n_components,
        covariance_type=covariance_type,
        init_params=init_params,
        tol=0,
        max_iter=30,
        reg_covar=0.0,
        random_state=seed,
        accelerate=accelerate,
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            gm.fit(X, sample_weight=w)
    except ValueError as error:
        assert "ill-defined empirical covariance" in str(error)
        reject()
    bounds = np.array(gm.lower_bounds_)
    assert np.all(np.isfinite(bounds))
    assert np.all(np.diff(bounds) >= -1e-10 * np.abs(bounds[1:]))


def test_default_tol_reaches_the_optimum_on_old_faithful():
    X = load_faithful().data
    with pytest.warns(ConvergenceWarning):
        optimum = GaussianMixtureEM(
            3, covariance_type="tied", tol=0, max_iter=400, random_state=0
        ).fit(X)
    assert optimum.score(X) * len(X) == pytest.approx(-1126.3159, abs=1e-4)
    default = GaussianMixtureEM(3, covariance_type="tied", random_state=0).fit(X)
    assert default.converged_
    assert default.score(X) * len(X) >= -1126.3159 - 0.01
    sklearn_default = GaussianMixture(3, covariance_type="tied", random_state=0).fit(X)
    assert sklearn_default.score(X) * len(X) < -1126.3159 - 10


@pytest.mark.parametrize("init_params", ["kmeans", "short-em"])
def test_starts_on_a_sample_of_large_data(blobs, monkeypatch, init_params):
    X = blobs[0]
    kwargs = dict(init_params=init_params, random_state=0, tol=1e-10)
    whole = GaussianMixtureEM(3, **kwargs).fit(X)
    # As if X had more rows than a start may see: it sees 100.
    monkeypatch.setattr(emkit._starts, "START_ROWS", 100)
    seen = []  # the rows of each k-means fit and E-step, in order
    e_step, kmeans = emkit._mixture_base.GaussianMixtureModel.e_step, emkit._starts.KMeans.fit
    monkeypatch.setattr(
        emkit._mixture_base.GaussianMixtureModel,
        "e_step",
        lambda self, params, chunk: (
            seen.append(("E", len(chunk.X))) or e_step(self, params, chunk)
        ),
    )
    monkeypatch.setattr(
        emkit._starts.KMeans,
        "fit",
        lambda self, X, **kw: seen.append(("k-means", len(X))) or kmeans(self, X, **kw),
    )
    sampled = GaussianMixtureEM(3, **kwargs).fit(X)
    start = seen[: seen.index(("E", len(X)))]  # all before the first E-step on all rows
    assert ("k-means", 100) in start and all(n <= 100 for _, n in start)  # it saw 100 rows
    if init_params == "short-em":  # short EM runs on the sample
        assert ("E", 100) in start
    again = GaussianMixtureEM(3, **kwargs).fit(X)
    np.testing.assert_array_equal(sampled.means_, again.means_)
    order, reference = np.argsort(sampled.means_[:, 0]), np.argsort(whole.means_[:, 0])
    np.testing.assert_allclose(sampled.means_[order], whole.means_[reference], atol=1e-4)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_float32_fit_stays_float32_and_agrees_with_float64(covariance_type):
    X = StandardScaler().fit_transform(load_faithful().data)
    X32 = X.astype(np.float32)
    # From k-means: float32 rounding could make an exploring start pick another survivor.
    kwargs = dict(
        covariance_type=covariance_type, init_params="kmeans", random_state=0, tol=0, max_iter=20
    )
    with pytest.warns(ConvergenceWarning):
        fit64 = GaussianMixtureEM(3, accelerate=None, **kwargs).fit(X)
    with pytest.warns(ConvergenceWarning):
        fit32 = GaussianMixtureEM(3, accelerate=None, **kwargs).fit(X32)
    for name in FITTED:
        assert getattr(fit32, name).dtype == np.float32, name
        # 20 iterates from the same start: equal up to float32 rounding (eps 1.2e-7),
        # which the tied moments about a common origin amplify most (to ~1e-5).
        difference = np.max(np.abs(getattr(fit32, name) - getattr(fit64, name)))
        assert difference <= 2e-5 * np.max(np.abs(getattr(fit64, name))), name
    assert fit32.predict_proba(X32).dtype == np.float32
    assert fit32.score_samples(X32).dtype == np.float32
    accelerated = GaussianMixtureEM(3, covariance_type=covariance_type, random_state=0).fit(X32)
    assert all(getattr(accelerated, name).dtype == np.float32 for name in FITTED)


def random_data(dtype, covariance_type, n_samples=400, seed=0):
    """Two well-separated components and their parameters in ``dtype``, as scikit-learn's
    RandomData: X, the true labels, and weights/means/precisions to start from."""
    rng = np.random.RandomState(seed)
    weights = rng.rand(2).astype(dtype)
    weights = weights / weights.sum()  # sums to 1 in dtype, not exactly in float64
    means = np.array([[0.0, 0.0], [30.0, 30.0]], dtype=dtype)
    variances = (0.5 + rng.rand(2, 2)).astype(dtype)
    p = weights.astype(float)
    labels = rng.choice(2, size=n_samples, p=p / p.sum())
    X = means[labels] + rng.standard_normal((n_samples, 2)) * np.sqrt(variances[labels])
    precisions = {
        "full": np.array([np.diag(1 / v) for v in variances]),
        "tied": np.diag(1 / variances.mean(axis=0)),
        "diag": 1 / variances,
        "spherical": 1 / variances.mean(axis=1),
    }[covariance_type]
    start = {"weights_init": weights, "means_init": means, "precisions_init": precisions}
    return X.astype(dtype), labels, {name: value.astype(dtype) for name, value in start.items()}


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("given", ["weights_init", "means_init", "precisions_init", "all"])
def test_initial_parameters_keep_the_dtype_of_X(covariance_type, dtype, given):
    # scikit-learn's test_gaussian_mixture_fit_predict and precisions_init_diag
    X, labels, start = random_data(dtype, covariance_type)
    start = start if given == "all" else {given: start[given]}
    gm = GaussianMixtureEM(2, covariance_type=covariance_type, random_state=0, **start)
    predicted = gm.fit_predict(X)
    for name in FITTED:
        assert getattr(gm, name).dtype == dtype, name
    assert np.mean(predicted == labels) in (0.0, 1.0)  # the two components, found exactly
    # the initial parameters themselves, too
    assert gm.set_params(max_iter=0).fit(X).means_.dtype == dtype


def test_float32_weights_init_is_checked_to_float32_rounding():
    # scikit-learn's _check_weights: |1 - sum| <= 1e-6 for float32, 1e-8 for float64
    X = random_data(np.float32, "full")[0]
    weights = np.array([0.1, 0.2, 0.3, 0.4], dtype=np.float32)
    weights = weights / weights.sum()
    assert abs(weights.sum() - 1) == 0 and abs(weights.astype(float).sum() - 1) > 1e-8
    gm = GaussianMixtureEM(4, weights_init=weights, random_state=0).fit(X)
    assert gm.weights_.dtype == np.float32
    for off in [np.float32(1e-5), 1e-7]:  # float32 beyond its tolerance; float64 beyond its
        wrong = np.array([0.5, 0.5 + off, 0.0, 0.0]).astype(type(off))
        with pytest.raises(ValueError, match="weights_init must sum to 1"):
            GaussianMixtureEM(4, weights_init=wrong).fit(X)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_score_is_the_mean_of_score_samples(dtype):
    # scikit-learn's test_score: score(X) is score_samples(X).mean(), exactly
    X = random_data(dtype, "full", n_samples=1001)[0]
    gm = GaussianMixtureEM(2, random_state=0).fit(X)
    log_prob = gm.score_samples(X)
    assert log_prob.dtype == dtype
    assert gm.score(X) == log_prob.mean()
    w = np.random.RandomState(0).uniform(0, 3, len(X)).astype(dtype)
    assert gm.score(X, sample_weight=w) == np.average(log_prob, weights=w)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_rowwise_and_blas_paths_give_the_same_densities_and_statistics(
    monkeypatch, covariance_type, dtype
):
    rng = np.random.RandomState(0)
    X = (rng.standard_normal((300, 3)) * [1.0, 2.0, 0.5] + 10.0).astype(dtype)
    W = (rng.dirichlet(np.ones(4), 300) * rng.uniform(0, 2, (300, 1))).astype(dtype)
    gm = GaussianMixtureEM(4, covariance_type=covariance_type, random_state=0).fit(X)
    gaussian = gm._fitted_model().gaussian
    results = []
    for work in (10**12, 0):
        monkeypatch.setattr(_gaussian, "_ROWWISE_WORK", work)
        log_prob = gaussian.log_prob(X, gm.means_, gm.precisions_cholesky_)
        stats = gaussian.statistics(X, W, gm.means_)
        # float32 data under float64 parameters: float64, on both paths
        mixed = gaussian.log_prob(X, gm.means_.astype(float), gm.precisions_cholesky_)
        results.append([log_prob, stats.nk, stats.sx, stats.sxx, mixed])
    rtol = 1e-12 if dtype == np.float64 else 1e-4
    for rowwise, blas in zip(*results):
        assert rowwise.dtype == blas.dtype
        assert rowwise.shape == blas.shape
        np.testing.assert_allclose(rowwise, blas, rtol=rtol, atol=rtol * np.abs(blas).max())
    assert all(result.dtype == dtype for result in results[0][:4])
    assert results[0][4].dtype == np.float64


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_densities_match_scipy(blobs, covariance_type):
    X = blobs[0]
    gm = GaussianMixtureEM(3, covariance_type=covariance_type, random_state=0).fit(X)
    d = X.shape[1]
    covariances = gm._model(d).gaussian.covariance.full_matrices(gm.covariances_, 3, d)
    joint = np.column_stack(
        [
            w * multivariate_normal(m, c).pdf(X)
            for w, m, c in zip(gm.weights_, gm.means_, covariances)
        ]
    )
    np.testing.assert_allclose(gm.score_samples(X), np.log(joint.sum(axis=1)), rtol=1e-10)
    np.testing.assert_allclose(gm.predict_proba(X), joint / joint.sum(1, keepdims=True))
    assert gm.score(X) == pytest.approx(gm.score_samples(X).mean(), rel=1e-12)
    precisions = gm._model(d).gaussian.covariance.full_matrices(gm.precisions_, 3, d)
    np.testing.assert_allclose(precisions, np.linalg.inv(covariances), rtol=1e-10)
    np.testing.assert_array_equal(gm.fit_predict(X), gm.predict(X))


@pytest.mark.parametrize(
    "covariance_type, n_parameters",
    # k=3, d=3: 2 weights + 9 means + covariance parameters
    [("full", 2 + 9 + 18), ("tied", 2 + 9 + 6), ("diag", 2 + 9 + 9), ("spherical", 2 + 9 + 3)],
)
def test_information_criteria(blobs, covariance_type, n_parameters):
    X = blobs[0]
    gm = GaussianMixtureEM(3, covariance_type=covariance_type, random_state=0).fit(X)
    log_likelihood = gm.score_samples(X).sum()
    assert gm.bic(X) == pytest.approx(-2 * log_likelihood + n_parameters * np.log(len(X)))
    assert gm.aic(X) == pytest.approx(-2 * log_likelihood + 2 * n_parameters)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_sample_follows_the_model(blobs, covariance_type):
    gm = GaussianMixtureEM(3, covariance_type=covariance_type, random_state=0).fit(blobs[0])
    X, y = gm.sample(50_000)
    assert X.shape == (50_000, 3)
    np.testing.assert_allclose(np.bincount(y) / len(y), gm.weights_, atol=0.01)
    for k in range(3):
        np.testing.assert_allclose(X[y == k].mean(axis=0), gm.means_[k], atol=0.05)
    np.testing.assert_array_equal(gm.sample(10)[0], gm.sample(10)[0])
    X2, _ = gm.sample(10, random_state=7)
    np.testing.assert_array_equal(X2, gm.sample(10, random_state=7)[0])


def test_warm_start_continues_the_previous_fit(blobs):
    X = blobs[0]
    kwargs = dict(tol=0, random_state=0, accelerate=None)  # SQUAREM restarts its chain
    with pytest.warns(ConvergenceWarning):
        once = GaussianMixtureEM(3, max_iter=10, **kwargs).fit(X)
    warm = GaussianMixtureEM(3, max_iter=4, warm_start=True, **kwargs)
    with pytest.warns(ConvergenceWarning):
        warm.fit(X)
    warm.set_params(max_iter=6)
    with pytest.warns(ConvergenceWarning):
        warm.fit(X)
    assert_same_params(warm, once, rtol=1e-12)
    assert warm.lower_bounds_ == once.lower_bounds_[4:]


def test_max_iter_zero_returns_the_initialisation(blobs):
    X = blobs[0]
    start = explicit_start(X, "diag")
    gm = GaussianMixtureEM(3, covariance_type="diag", max_iter=0, **start).fit(X)
    np.testing.assert_allclose(gm.means_, start["means_init"])
    np.testing.assert_allclose(gm.precisions_, start["precisions_init"])
    assert gm.n_iter_ == 0 and not gm.converged_


@pytest.mark.filterwarnings(
    "ignore:Number of distinct clusters:sklearn.exceptions.ConvergenceWarning"
)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize(
    "make_data",
    [
        lambda rng: np.c_[rng.standard_normal((50, 2)), np.full(50, 3.0)],  # constant column
        lambda rng: np.repeat(rng.standard_normal((3, 2)), 30, axis=0),  # few distinct rows
        lambda rng: np.r_[rng.standard_normal((60, 2)), [[1e4, 1e4]]],  # a lone far point
    ],
    ids=["constant-column", "duplicates", "lone-point"],
)
def test_degenerate_data_fit_to_finite_parameters(covariance_type, make_data):
    X = make_data(np.random.RandomState(0))
    gm = GaussianMixtureEM(4, covariance_type=covariance_type, random_state=0).fit(X)
    for name in FITTED:
        assert np.all(np.isfinite(getattr(gm, name))), name
    assert np.all(np.isfinite(gm.score_samples(X)))


def test_component_that_loses_all_its_points_stays_finite(blobs):
    X = blobs[0]
    means_init = np.r_[blobs[2][1], [[1e6, 1e6, 1e6]]]
    gm = GaussianMixtureEM(4, means_init=means_init, random_state=0).fit(X)
    assert gm.weights_[3] < 1e-12
    np.testing.assert_allclose(gm.covariances_[3], 1e-6 * np.eye(3))
    for name in FITTED:
        assert np.all(np.isfinite(getattr(gm, name))), name
