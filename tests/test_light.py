"""emkit.light: NumPy-only predictions equal to the estimators'."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from emkit import (
    HMMEM,
    EMImputer,
    GaussianMixtureEM,
    SemiSupervisedEM,
    _gaussian,
    _hmm_inference,
    _inference,
)
from emkit.io import to_json
from emkit.light import (
    LightGaussianMixture,
    LightHMM,
    LightImputer,
    LightSemiSupervised,
    from_json,
)

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
ROOT = Path(__file__).resolve().parents[1]
TOL = {"rtol": 1e-12, "atol": 1e-12}


def _with_nan(X, rng):
    """X with NaN in many patterns: one missing, most missing, all missing."""
    X = X.copy()
    X[rng.random_sample(X.shape) < 0.25] = np.nan
    X[::7, 1:] = np.nan  # more missing than observed
    X[5] = np.nan  # nothing observed
    return X


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    means = np.array([[0.0, 0.0, 0.0], [4.0, 4.0, 0.0], [-4.0, 3.0, 2.0]])
    factor = np.array([[1.0, 0.0, 0.0], [0.8, 0.6, 0.0], [0.0, 0.3, 1.2]])
    X = np.vstack([rng.normal(size=(150, 3)) @ factor.T + m for m in means])
    return X, _with_nan(X, rng)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("missing", [False, True])
def test_mixture_equals_estimator(data, covariance_type, missing):
    X, X_nan = data
    gm = GaussianMixtureEM(3, covariance_type=covariance_type, random_state=0).fit(X)
    light = from_json(to_json(gm))
    assert isinstance(light, LightGaussianMixture)
    X_test = X_nan if missing else X
    for rows in (X_test[:4], X_test):  # the per-row kernel, and BLAS
        assert_allclose(light.score_samples(rows), gm.score_samples(rows), **TOL)
        assert_allclose(light.predict_proba(rows), gm.predict_proba(rows), **TOL)
        assert_array_equal(light.predict(rows), gm.predict(rows))


def test_mixture_score_samples_is_the_mixture_density(data):
    X, _ = data
    gm = GaussianMixtureEM(3, random_state=0).fit(X)
    light = from_json(to_json(gm))
    rows = X[:20]
    densities = [
        np.log(w) + multivariate_normal(m, c).logpdf(rows)
        for w, m, c in zip(gm.weights_, gm.means_, gm.covariances_, strict=True)
    ]
    assert_allclose(light.score_samples(rows), logsumexp(densities, axis=0), rtol=1e-10)
    # A row with its last value missing: the density of its first two.
    row = np.array([[0.5, -0.2, np.nan]])
    marginals = [
        np.log(w) + multivariate_normal(m[:2], c[:2, :2]).logpdf(row[0, :2])
        for w, m, c in zip(gm.weights_, gm.means_, gm.covariances_, strict=True)
    ]
    assert_allclose(light.score_samples(row), [logsumexp(marginals)], rtol=1e-10)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("n_components", [1, 2])
def test_imputer_equals_estimator(data, covariance_type, n_components):
    _, X_nan = data
    imputer = EMImputer(
        n_components=n_components, covariance_type=covariance_type, random_state=0
    ).fit(X_nan)
    light = from_json(to_json(imputer))
    assert isinstance(light, LightImputer)
    for rows in (X_nan[:8], X_nan):
        assert_allclose(light.transform(rows), imputer.transform(rows), **TOL)
        assert_allclose(light.predict_proba(rows), imputer.predict_proba(rows), **TOL)
        assert_allclose(light.score_samples(rows), imputer.score_samples(rows), **TOL)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("labels", ["int", "str"])
def test_semi_supervised_equals_estimator(data, covariance_type, labels):
    X, X_nan = data
    y = np.repeat([0, 1, 2], 150)
    if labels == "str":  # -1 among strings: an object array
        y = np.array(["setosa", "versicolor", "virginica"], dtype=object)[y]
    y[np.arange(len(y)) % 10 != 0] = -1
    clf = SemiSupervisedEM(
        n_components_per_class=2, covariance_type=covariance_type, random_state=0
    ).fit(X, y)
    light = from_json(to_json(clf))
    assert isinstance(light, LightSemiSupervised)
    for rows in (X[:4], X, X_nan):
        assert_allclose(light.predict_log_proba(rows), clf.predict_log_proba(rows), **TOL)
        assert_allclose(light.predict_proba(rows), clf.predict_proba(rows), **TOL)
        assert_array_equal(light.predict(rows), clf.predict(rows))


def test_imputer_options_equal_estimator(data):
    _, X_nan = data
    X = np.hstack([X_nan, np.full((len(X_nan), 1), np.nan)])  # an empty column
    X = np.where(np.isnan(X), -1.0, X)
    for keep_empty in (False, True):
        imputer = EMImputer(
            missing_values=-1.0,
            add_indicator=True,
            keep_empty_features=keep_empty,
            min_value=[-1.0, 0.0, -np.inf, 0.0],
            max_value=2.0,
            random_state=0,
        ).fit(X)
        light = from_json(to_json(imputer))
        assert_allclose(light.transform(X), imputer.transform(X), **TOL)


def test_imputer_sample_posterior_is_refused(data):
    _, X_nan = data
    imputer = EMImputer(sample_posterior=True, random_state=0).fit(X_nan)
    with pytest.raises(ValueError, match="sample_posterior=True"):
        from_json(to_json(imputer))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("missing", [False, True])
def test_hmm_equals_estimator(data, covariance_type, missing):
    X, X_nan = data
    lengths = [200, 150, 100]
    hmm = HMMEM(3, covariance_type=covariance_type, random_state=0).fit(X, lengths=lengths)
    light = from_json(to_json(hmm))
    assert isinstance(light, LightHMM)
    X_test = X_nan if missing else X
    by = {"lengths": lengths}
    assert_allclose(light.predict_proba(X_test, **by), hmm.predict_proba(X_test, **by), **TOL)
    assert_allclose(light.score(X_test, **by), hmm.score(X_test, **by), **TOL)
    for algorithm in ("viterbi", "map"):
        log_prob, states = light.decode(X_test, algorithm=algorithm, **by)
        expected_log_prob, expected_states = hmm.decode(X_test, algorithm=algorithm, **by)
        assert_allclose(log_prob, expected_log_prob, **TOL)
        assert_array_equal(states, expected_states)
    assert_array_equal(light.predict(X_test, **by), hmm.predict(X_test, **by))
    assert_array_equal(light.predict(X_test[:1]), hmm.predict(X_test[:1], lengths=[1]))


def test_hmm_forward_backward_brute_force():
    """The plain-Python source against enumeration of every state path."""
    rng = np.random.RandomState(1)
    k, n = 3, 5
    startprob = rng.dirichlet(np.ones(k))
    transmat = rng.dirichlet(np.ones(k), size=k)
    log_frameprob = rng.normal(size=(n, k))
    paths = np.array(np.meshgrid(*[range(k)] * n, indexing="ij")).reshape(n, -1).T
    log_joint = np.array(
        [
            np.log(startprob[p[0]])
            + np.log(transmat[p[:-1], p[1:]]).sum()
            + log_frameprob[np.arange(n), p].sum()
            for p in paths
        ]
    )
    starts, ends = np.array([0]), np.array([n])
    posteriors, _, log_likelihood = _inference.forward_backward(
        startprob, transmat, log_frameprob, starts, ends
    )
    assert_allclose(log_likelihood, [logsumexp(log_joint)], rtol=1e-12)
    weights = np.exp(log_joint - logsumexp(log_joint))
    expected = np.array([[weights[paths[:, t] == j].sum() for j in range(k)] for t in range(n)])
    assert_allclose(posteriors, expected, atol=1e-12)
    log_prob, states = _inference.viterbi(
        np.log(startprob), np.log(transmat), log_frameprob, starts, ends
    )
    assert_array_equal(states, paths[log_joint.argmax()])
    assert_allclose(log_prob, [log_joint.max()], rtol=1e-12)


def test_one_source_for_both_paths():
    """The compiled kernels are the plain-Python ones of _inference, compiled."""
    pairs = [
        (_gaussian._condition, _inference._condition),
        (_gaussian._whitened_log_prob, _inference._whitened_log_prob),
        (_hmm_inference.forward_backward, _inference.forward_backward),
        (_hmm_inference.viterbi, _inference.viterbi),
    ]
    for compiled, source in pairs:
        assert compiled.py_func.__code__ is source.__code__


def test_no_heavy_imports(data):
    """Importing emkit.light, loading (verifying signatures) and predicting load no sklearn,
    scipy or numba."""
    X, X_nan = data
    models = [
        GaussianMixtureEM(2, random_state=0).fit(X),
        EMImputer(random_state=0).fit(X_nan),
        HMMEM(2, random_state=0).fit(X),
        SemiSupervisedEM(random_state=0).fit(X[:4], [0, -1, 1, -1]),
    ]
    texts = [to_json(model, key="serving key") for model in models]
    script = (
        "import json, sys\n"
        "import numpy as np\n"
        "import emkit.light\n"
        "texts = json.loads(sys.stdin.read())\n"
        "X = np.array([[0.5, np.nan, 1.0], [1.0, 2.0, 3.0]])\n"
        "gm, imputer, hmm, clf = (emkit.light.from_json(t, key='serving key') for t in texts)\n"
        "gm.predict(X); gm.predict_proba(X); gm.score_samples(X)\n"
        "imputer.transform(X); hmm.predict(X); hmm.predict_proba(X); hmm.decode(X)\n"
        "clf.predict(X); clf.predict_proba(X)\n"
        "try:\n"
        "    emkit.light.from_json(texts[0], key='another key')\n"
        "    sys.exit('a wrong key was accepted')\n"
        "except ValueError as error:\n"
        "    assert 'signed with a different key' in str(error)\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy', 'numba')]\n"
        "print(json.dumps(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
        check=True,
    )
    assert json.loads(result.stdout) == []


def test_bad_input(data):
    X, _ = data
    gm = GaussianMixtureEM(2, random_state=0).fit(X)
    text = to_json(gm)
    light = from_json(text)
    with pytest.raises(ValueError, match="X has 2 features, but the model takes 3"):
        light.predict(X[:, :2])
    with pytest.raises(ValueError, match="infinite"):
        light.predict([[np.inf, 0.0, 0.0]])
    with pytest.raises(TypeError, match="JSON text"):
        from_json(None)
    with pytest.raises(ValueError, match="not valid JSON"):
        from_json("{")
    with pytest.raises(ValueError, match="not an emkit model"):
        from_json("{}")
    document = json.loads(text)
    document["attributes"]["covariances_"]["array"][0] = -1.0
    with pytest.raises(ValueError, match="not positive-definite"):
        from_json(json.dumps(document))
    document = json.loads(text)
    document["attributes"]["weights_"]["array"] = [0.9, 0.9]
    with pytest.raises(ValueError, match="weights_ must be probabilities"):
        from_json(json.dumps(document))
    document = json.loads(text)
    document["attributes"]["means_"]["shape"] = [3, 2]
    with pytest.raises(ValueError, match="covariances_ has shape"):
        from_json(json.dumps(document))
    hmm = HMMEM(2, emission="gmm", n_mix=2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="emission='gaussian' and n_mix=1"):
        from_json(to_json(hmm))
    light_hmm = from_json(to_json(HMMEM(2, random_state=0).fit(X)))
    with pytest.raises(ValueError, match="lengths sum to 3"):
        light_hmm.predict(X, lengths=[1, 2])
    with pytest.raises(ValueError, match="algorithm must be"):
        light_hmm.decode(X, algorithm="best")
