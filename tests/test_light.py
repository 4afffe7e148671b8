"""emkit.light: NumPy-only predictions equal to the estimators'."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import special
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from emkit import (
    HMMEM,
    BayesianGaussianMixtureEM,
    EMImputer,
    GaussianMixtureEM,
    SemiSupervisedEM,
    _gaussian,
    _hmm_inference,
    _inference,
    _special,
)
from emkit.io import to_json
from emkit.light import (
    LightBayesianGaussianMixture,
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


def _assert_hmm_equal(light, hmm, X, **by):
    """Every inference of the light HMM equals the estimator's on X split by ``by``."""
    assert_allclose(light.predict_proba(X, **by), hmm.predict_proba(X, **by), **TOL)
    assert_allclose(light.score(X, **by), hmm.score(X, **by), **TOL)
    for algorithm in ("viterbi", "map"):
        log_prob, states = light.decode(X, algorithm=algorithm, **by)
        expected_log_prob, expected_states = hmm.decode(X, algorithm=algorithm, **by)
        assert_allclose(log_prob, expected_log_prob, **TOL)
        assert_array_equal(states, expected_states)
    assert_array_equal(light.predict(X, **by), hmm.predict(X, **by))


def _counts_hmm_data(emission: str):
    """Three sequences from a 2-state chain that switches rarely, with emissions whose
    states differ clearly (so that the fit has something to find)."""
    rng = np.random.RandomState(0)
    states = np.repeat([0, 1, 0, 1, 1, 0], 40)
    if emission == "categorical":
        table = np.array([[0.7, 0.2, 0.1, 0.0], [0.05, 0.15, 0.3, 0.5]])
        X = np.array([[rng.choice(4, p=table[s])] for s in states])
    elif emission == "poisson":
        X = rng.poisson(np.array([[1.0, 8.0], [6.0, 0.5]])[states])
    else:  # multinomial: 10 trials of 3 categories
        table = np.array([[0.6, 0.3, 0.1], [0.1, 0.3, 0.6]])
        X = np.array([rng.multinomial(10, table[s]) for s in states])
    return X, [100, 80, 60]


@pytest.mark.parametrize("emission", ["categorical", "poisson", "multinomial"])
def test_hmm_count_emissions_equal_estimator(emission):
    X, lengths = _counts_hmm_data(emission)
    options = {"n_trials": 10} if emission == "multinomial" else {}
    hmm = HMMEM(2, emission=emission, random_state=0, **options).fit(X, lengths=lengths)
    light = from_json(to_json(hmm))
    assert isinstance(light, LightHMM)
    ids = np.repeat(["a", "b", "c"], lengths)
    _assert_hmm_equal(light, hmm, X, lengths=lengths)
    _assert_hmm_equal(light, hmm, X, sequence_ids=ids)
    _assert_hmm_equal(light, hmm, X[:7], lengths=[7])
    name = {"categorical": "emissionprob_", "poisson": "lambdas_"}.get(emission, "emissionprob_")
    assert_array_equal(getattr(light, name), getattr(hmm, name))


def test_hmm_multinomial_rows_of_their_own_totals_equal_estimator():
    X, lengths = _counts_hmm_data("multinomial")
    X = X.copy()
    X[::3, 0] += 2  # totals 10 and 12
    for n_trials in (None, X.sum(axis=1)):
        hmm = HMMEM(2, emission="multinomial", n_trials=n_trials, random_state=0)
        hmm.fit(X, lengths=lengths)
        _assert_hmm_equal(from_json(to_json(hmm)), hmm, X, lengths=lengths)


def test_hmm_count_emissions_log_prob_is_the_distribution():
    """The shared formulas against scipy.stats, through the light predictor."""
    from scipy import stats

    for emission in ("poisson", "multinomial", "categorical"):
        X, lengths = _counts_hmm_data(emission)
        hmm = HMMEM(2, emission=emission, random_state=0).fit(X, lengths=lengths)
        frames = from_json(to_json(hmm))._emission.log_prob(X.astype(float))
        if emission == "poisson":
            expected = [stats.poisson(lam).logpmf(X).sum(axis=1) for lam in hmm.lambdas_]
        elif emission == "multinomial":
            expected = [stats.multinomial(10, p).logpmf(X) for p in hmm.emissionprob_]
        else:
            with np.errstate(divide="ignore"):
                expected = [np.log(p[X[:, 0]]) for p in hmm.emissionprob_]
        assert_allclose(frames, np.array(expected).T, rtol=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("missing", [False, True])
def test_hmm_gaussian_mixtures_equal_estimator(data, covariance_type, missing):
    X, X_nan = data
    lengths = [200, 150, 100]
    hmm = HMMEM(2, emission="gmm", n_mix=2, covariance_type=covariance_type, random_state=0)
    hmm.fit(X, lengths=lengths)
    light = from_json(to_json(hmm))
    assert isinstance(light, LightHMM)
    X_test = X_nan if missing else X
    _assert_hmm_equal(light, hmm, X_test, lengths=lengths)
    _assert_hmm_equal(light, hmm, X_test[:5], lengths=[2, 3])
    assert_array_equal(light.weights_, hmm.weights_)


def test_hmm_sequence_ids_equal_estimator(data):
    X, X_nan = data
    lengths = [200, 150, 100]
    hmm = HMMEM(3, random_state=0).fit(X, lengths=lengths)
    light = from_json(to_json(hmm))
    ids = np.repeat([7, 3, 5], lengths)  # in any order, but contiguous
    _assert_hmm_equal(light, hmm, X_nan, sequence_ids=ids)
    assert_allclose(
        light.predict_proba(X, sequence_ids=ids), light.predict_proba(X, lengths=lengths)
    )
    for by in ({"sequence_ids": np.r_[ids[1:], 7]}, {"sequence_ids": ids[:-1]}):
        with pytest.raises(ValueError) as expected:
            hmm.predict(X, **by)
        with pytest.raises(
            ValueError, match=f"^{re.escape(str(expected.value))}$"
        ):  # the same message
            light.predict(X, **by)
    with pytest.raises(ValueError, match="either lengths or sequence_ids"):
        light.predict(X, lengths=lengths, sequence_ids=ids)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("prior", ["dirichlet_process", "dirichlet_distribution"])
def test_bayesian_mixture_equals_estimator(data, covariance_type, prior):
    X, X_nan = data
    bgm = BayesianGaussianMixtureEM(
        n_components=5,
        covariance_type=covariance_type,
        weight_concentration_prior_type=prior,
        random_state=0,
    ).fit(X)
    light = from_json(to_json(bgm))
    assert isinstance(light, LightBayesianGaussianMixture)
    for rows in (X[:4], X, X_nan):  # the per-row kernel, BLAS, and missing values
        assert_allclose(light.score_samples(rows), bgm.score_samples(rows), **TOL)
        assert_allclose(light.predict_proba(rows), bgm.predict_proba(rows), **TOL)
        assert_array_equal(light.predict(rows), bgm.predict(rows))
    assert_allclose(light.weights_, bgm.weights_, **TOL)


def test_semi_supervised_multinomial_equals_estimator():
    rng = np.random.RandomState(0)
    table = np.array([[0.5, 0.3, 0.1, 0.1], [0.1, 0.1, 0.3, 0.5]])
    y = np.repeat([0, 1], 60)
    X = np.array([rng.multinomial(20, table[c]) for c in y]).astype(float)
    X[::4] *= 0.5  # SemiSupervisedEM's counts need not be integers (tf-idf weights)
    y[np.arange(120) % 6 != 0] = -1
    clf = SemiSupervisedEM(emission="multinomial", n_components_per_class=2, random_state=0)
    clf.fit(X, y)
    light = from_json(to_json(clf))
    assert isinstance(light, LightSemiSupervised)
    assert_allclose(light.predict_log_proba(X), clf.predict_log_proba(X), **TOL)
    assert_allclose(light.predict_proba(X), clf.predict_proba(X), **TOL)
    assert_array_equal(light.predict(X), clf.predict(X))
    with pytest.raises(ValueError, match="X must hold non-negative counts; found negative"):
        light.predict(-X[:2])


def test_digamma_and_gammaln_equal_scipys():
    """The light predictor's special functions, over a wide range of positive arguments."""
    x = np.concatenate(
        [np.logspace(-12, 300, 4001), np.linspace(1e-3, 30, 30001), [1.4616321449683622]]
    )
    expected = special.digamma(x)
    assert np.all(
        np.abs(_special.digamma(x) - expected) <= 1e-14 * np.maximum(1, np.abs(expected))
    )
    assert_allclose(_special.digamma(3.0), special.digamma(3.0), rtol=1e-15)
    assert np.isnan(_special.digamma([0.0, -1.5, np.nan])).all()
    assert_allclose(
        _special.digamma(x[:-3].reshape(-1, 10)),
        expected[:-3].reshape(-1, 10),
        rtol=1e-14,
        atol=1e-14,
    )
    counts = np.r_[np.arange(0.0, 1000.0), 2.0**40, 1.5, 0.25]
    assert_allclose(_special.gammaln(counts + 1), special.gammaln(counts + 1), rtol=1e-14)


def test_count_input_errors_as_estimator():
    X, lengths = _counts_hmm_data("categorical")
    hmm = HMMEM(2, emission="categorical", random_state=0).fit(X, lengths=lengths)
    light = from_json(to_json(hmm))
    with pytest.raises(ValueError, match="X holds symbol 7, unseen at fit time"):
        light.predict([[0], [7]])
    with pytest.raises(ValueError, match="found negative values"):
        light.predict([[0], [-1]])
    with pytest.raises(ValueError, match="found non-integer values"):
        light.predict([[0.5]])
    with pytest.raises(ValueError, match="X contains NaN"):
        light.predict([[np.nan]])
    X, lengths = _counts_hmm_data("multinomial")
    hmm = HMMEM(2, emission="multinomial", n_trials=10, random_state=0).fit(X, lengths=lengths)
    light = from_json(to_json(hmm))
    for bad, match in [([[1, 2, 3]], "row 0 sums to 6, not 10"), ([[0, 0, 0]], "holds no count")]:
        for model in (hmm, light):
            with pytest.raises(ValueError, match=match):
                model.predict(bad)


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
    # The formulas of emissions and variational mixtures: the estimators' modules use
    # _inference's functions, with scipy's special functions.
    from emkit import _categorical, _emissions, _hmm_base, bayesian_mixture

    assert _emissions.categorical_log_prob is _inference.categorical_log_prob
    assert _emissions.mixture_log_prob is _inference.mixture_log_prob
    assert bayesian_mixture.variational_log_offsets is _inference.variational_log_offsets
    assert _hmm_base.sequences_of_ids is _inference.sequences_of_ids
    counts = np.array([[0.0, 3.0], [2.0, 1.0]])
    rates, log_probs = np.array([[1.0, 2.0], [0.5, 4.0]]), np.log([[0.5, 0.5], [0.2, 0.8]])
    assert_array_equal(
        _categorical.poisson_log_prob(counts, rates),
        _inference.poisson_log_prob(counts, rates, special.gammaln),
    )
    assert_array_equal(
        _categorical.multinomial_log_prob(counts, log_probs),
        _inference.multinomial_log_prob(counts, log_probs, special.gammaln),
    )


def test_no_heavy_imports(data):
    """Importing emkit.light, loading (verifying signatures) and predicting load no sklearn,
    scipy or numba, for every kind of model."""
    X, X_nan = data
    gaussian_rows = [[0.5, np.nan, 1.0], [1.0, 2.0, 3.0]]
    cases = [
        (GaussianMixtureEM(2, random_state=0).fit(X), gaussian_rows),
        (BayesianGaussianMixtureEM(n_components=3, random_state=0).fit(X), gaussian_rows),
        (EMImputer(random_state=0).fit(X_nan), gaussian_rows),
        (HMMEM(2, random_state=0).fit(X), gaussian_rows),
        (HMMEM(2, emission="gmm", n_mix=2, random_state=0).fit(X), gaussian_rows),
        (SemiSupervisedEM(random_state=0).fit(X[:4], [0, -1, 1, -1]), gaussian_rows),
    ]
    for emission in ("categorical", "poisson", "multinomial"):
        counts, lengths = _counts_hmm_data(emission)
        hmm = HMMEM(2, emission=emission, random_state=0).fit(counts, lengths=lengths)
        cases.append((hmm, counts[:3].tolist()))
    counts, _ = _counts_hmm_data("multinomial")
    clf = SemiSupervisedEM(emission="multinomial", random_state=0)
    cases.append((clf.fit(counts, np.r_[0, 1, np.full(len(counts) - 2, -1)]), counts[:3].tolist()))
    documents = [[to_json(model, key="serving key"), rows] for model, rows in cases]
    script = (
        "import json, sys\n"
        "import emkit.light\n"
        "documents = json.loads(sys.stdin.read())\n"
        "for text, rows in documents:\n"
        "    model = emkit.light.from_json(text, key='serving key')\n"
        "    for method in ('predict', 'predict_proba', 'score_samples', 'transform',\n"
        "                   'decode', 'score'):\n"
        "        if hasattr(model, method):\n"
        "            getattr(model, method)(rows)\n"
        "try:\n"
        "    emkit.light.from_json(documents[0][0], key='another key')\n"
        "    sys.exit('a wrong key was accepted')\n"
        "except ValueError as error:\n"
        "    assert 'signed with a different key' in str(error)\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy', 'numba')]\n"
        "print(json.dumps(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(documents),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
        check=False,
    )
    assert result.returncode == 0, result.stderr
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
    for kind in ('"Pickle"', "[]", "{}", "null"):
        with pytest.raises(ValueError, match="unknown kind"):
            from_json(f'{{"format": "emkit-model", "version": 1, "kind": {kind}}}')
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
    document = json.loads(to_json(HMMEM(2, random_state=0).fit(X)))
    document["params"]["emission"] = "beta"
    with pytest.raises(ValueError, match=r"HMMEM with emission 'gaussian', .*got emission='beta'"):
        from_json(json.dumps(document))
    document = json.loads(to_json(SemiSupervisedEM(random_state=0).fit(X[:4], [0, -1, 1, -1])))
    document["params"]["emission"] = "poisson"
    with pytest.raises(ValueError, match="SemiSupervisedEM with emission='gaussian' or"):
        from_json(json.dumps(document))
    light_hmm = from_json(to_json(HMMEM(2, random_state=0).fit(X)))
    with pytest.raises(ValueError, match="lengths sum to 3"):
        light_hmm.predict(X, lengths=[1, 2])
    with pytest.raises(ValueError, match="algorithm must be"):
        light_hmm.decode(X, algorithm="best")
