"""Where EM starts: emkit._starts, and the driver's exploring start (init_params="short-em")."""

import warnings

import numpy as np
import pytest
from sklearn import config_context
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

import emkit._em
import emkit._hmm_base
import emkit._missing
import emkit._starts
from emkit import (
    HMMEM,
    BayesianGaussianMixtureEM,
    EMImputer,
    GaussianMixtureEM,
    SemiSupervisedEM,
)
from emkit._gaussian import Gaussian
from emkit._hmm_base import SequenceData
from emkit._starts import sample_rows, seed_centres, seed_labels
from emkit.callbacks import History
from emkit.datasets import load_faithful

FITTED = ["weights_", "means_", "covariances_", "precisions_cholesky_"]
FAITHFUL = load_faithful().data


def collapsed(gm, X) -> bool:
    """``Gaussian.collapsed`` of a fitted GaussianMixtureEM on X."""
    gaussian = Gaussian(gm.covariance_type, gm.reg_covar)
    return gaussian.collapsed(gm.covariances_, gm.weights_ * len(X), X.shape[1])


# --------------------------------------------------------------------- seeds


def spread_rows(n=200, seed=0):
    """Rows in columns of very different units, and positive weights."""
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n, 3)) * [1.0, 1e3, 1e-3] + rng.randint(0, 4, (n, 1)) * [3, 3e3, 0]
    return X, rng.uniform(0.5, 2.0, n)


@pytest.mark.parametrize("seed", range(5))
def test_seeds_do_not_depend_on_the_units_of_the_columns(seed):
    X, w = spread_rows()
    scale = np.array([1e-4, 7.0, 1e5])
    centres = seed_centres(X, w, 4, np.random.RandomState(seed))
    scaled = seed_centres(X * scale, w, 4, np.random.RandomState(seed))
    np.testing.assert_allclose(scaled / scale, centres, rtol=1e-12)  # the same rows
    labels = seed_labels(X, w, 4, np.random.RandomState(seed))
    np.testing.assert_array_equal(
        seed_labels(X * scale, w, 4, np.random.RandomState(seed)), labels
    )


def test_seed_labels_are_the_nearest_seed_in_standardised_units():
    X, w = spread_rows()
    centres = seed_centres(X, w, 5, np.random.RandomState(3))
    labels = seed_labels(X, w, 5, np.random.RandomState(3))
    mean = w @ X / w.sum()
    std = np.sqrt(w @ (X - mean) ** 2 / w.sum())
    distances = (((X[:, None, :] - centres[None]) / std) ** 2).sum(axis=2)
    np.testing.assert_array_equal(labels, np.argmin(distances, axis=1))
    assert len(np.unique(labels)) == 5  # every seed is its own row's nearest


def test_seeds_are_rows_of_positive_weight():
    X, w = spread_rows()
    # Far-out rows of no weight: k-means++'s rule would favour them, were they drawn at all.
    X[:20] = 1e6 * np.arange(1, 21)[:, None]
    w[:20] = 0.0
    w[-1] = 0.0  # the last row too (the draw clips to the last index)
    allowed = {tuple(row) for row in X[w > 0]}
    for seed in range(30):
        centres = seed_centres(X, w, 6, np.random.RandomState(seed))
        assert all(tuple(row) in allowed for row in centres)


def test_seeds_of_rows_that_are_all_alike():
    X = np.ones((10, 2))
    centres = seed_centres(X, np.ones(10), 3, np.random.RandomState(0))
    np.testing.assert_array_equal(centres, np.ones((3, 2)))
    assert set(seed_labels(X, np.ones(10), 3, np.random.RandomState(0))) <= {0, 1, 2}


@pytest.mark.parametrize("seed", range(5))
def test_seeds_do_not_depend_on_where_the_data_lie(seed):
    # Far from the origin, squared distances from the rows' norms would lose all digits.
    X, w = spread_rows()
    offset = np.array([1e9, -1e12, 1e3])
    centres = seed_centres(X, w, 4, np.random.RandomState(seed))
    shifted = seed_centres(X + offset, w, 4, np.random.RandomState(seed))
    np.testing.assert_allclose(shifted - offset, centres, atol=1e-3)  # the same rows
    labels = seed_labels(X, w, 4, np.random.RandomState(seed))
    np.testing.assert_array_equal(
        seed_labels(X + offset, w, 4, np.random.RandomState(seed)), labels
    )


# ------------------------------------------------------------------- samples


def test_sample_rows_is_bounded(monkeypatch):
    monkeypatch.setattr(emkit._starts, "START_ROWS", 50)
    rng = np.random.RandomState(0)
    assert sample_rows(50, rng) is None  # small data: all of it
    rows = sample_rows(1000, rng)
    assert len(rows) == 50 and len(np.unique(rows)) == 50
    assert np.all(np.diff(rows) > 0) and rows[0] >= 0 and rows[-1] < 1000


def test_sample_rows_keeps_every_labeled_row(monkeypatch):
    monkeypatch.setattr(emkit._starts, "START_ROWS", 50)
    labels = np.full(1000, -1)
    labeled = np.random.RandomState(1).choice(1000, 30, replace=False)
    labels[labeled] = np.arange(30) % 3
    rows = sample_rows(1000, np.random.RandomState(0), labels)
    assert set(labeled) <= set(rows) and len(rows) <= 50 + 30
    assert np.all(np.diff(rows) > 0)
    # More labeled rows than a start may see: a sample of START_ROWS like any other.
    labels[:] = 0
    assert len(sample_rows(1000, np.random.RandomState(0), labels)) == 50


def sequences(lengths):
    """SequenceData whose row i holds i, so that rows can be traced back."""
    ends = np.cumsum(lengths)
    X = np.arange(ends[-1], dtype=float)[:, None]
    return SequenceData(X, ends - np.asarray(lengths), ends)


@pytest.mark.parametrize("seed", range(5))
def test_sequences_for_a_start_are_whole_and_at_most_start_rows(monkeypatch, seed):
    monkeypatch.setattr(emkit._starts, "START_ROWS", 12)
    lengths = [5, 7, 3, 10, 4, 2, 6]
    data = sequences(lengths)
    originals = {tuple(data.X[a:b, 0]) for a, b in zip(data.starts, data.ends)}
    sample = data.rows_for_init(np.random.RandomState(seed))
    assert 0 < len(sample.X) <= 12
    assert sample.starts[0] == 0 and sample.ends[-1] == len(sample.X)
    np.testing.assert_array_equal(sample.starts[1:], sample.ends[:-1])
    drawn = [tuple(sample.X[a:b, 0]) for a, b in zip(sample.starts, sample.ends)]
    assert set(drawn) <= originals and len(set(drawn)) == len(drawn)  # whole, each once


@pytest.mark.parametrize("seed", range(5))
def test_a_single_long_sequence_gives_a_window(monkeypatch, seed):
    monkeypatch.setattr(emkit._starts, "START_ROWS", 12)
    sample = sequences([40]).rows_for_init(np.random.RandomState(seed))
    assert len(sample.X) == 12 and list(sample.starts) == [0] and list(sample.ends) == [12]
    np.testing.assert_array_equal(np.diff(sample.X[:, 0]), 1.0)  # consecutive rows
    assert 0 <= sample.X[0, 0] <= 40 - 12
    short = sequences([3, 4])
    assert short.rows_for_init(np.random.RandomState(seed)) is short  # small data: all of it


def test_hmm_explores_on_whole_sequences_of_large_data(monkeypatch):
    rng = np.random.RandomState(0)
    lengths = rng.randint(20, 60, 30)
    states = np.concatenate([np.repeat(rng.randint(0, 2, n // 10 + 1), 10)[:n] for n in lengths])
    X = rng.normal(4.0 * states, 1.0)[:, None]
    monkeypatch.setattr(emkit._starts, "START_ROWS", 200)
    whole = {tuple(seq) for seq in np.split(X[:, 0], np.cumsum(lengths)[:-1])}
    seen = []
    e_step = emkit._hmm_base.HMMModel.e_step

    def spy(self, params, chunk):
        seen.append([tuple(chunk.X[a:b, 0]) for a, b in zip(chunk.starts, chunk.ends)])
        return e_step(self, params, chunk)

    monkeypatch.setattr(emkit._hmm_base.HMMModel, "e_step", spy)
    hmm = HMMEM(2, random_state=0).fit(X, lengths=lengths)
    start = [chunk for chunk in seen if sum(map(len, chunk)) <= 200]
    assert start and all(seq in whole for chunk in start for seq in chunk)
    assert np.sort(hmm.means_.ravel()) == pytest.approx([0.0, 4.0], abs=0.2)


# ------------------------------------------------------------------ collapse


def test_collapsed_full_covariances():
    gaussian = Gaussian("full", 1e-6)
    rotation = np.array([[0.6, -0.8], [0.8, 0.6]])
    thin = rotation @ np.diag([4.0, 5e-6]) @ rotation.T  # no small variance on the diagonal
    proper = np.array([np.eye(2), np.diag([2.0, 3.0])])
    assert not gaussian.collapsed(proper, np.array([10.0, 3.0]), 2)
    assert gaussian.collapsed(np.array([np.eye(2), thin]), np.array([10.0, 10.0]), 2)
    assert gaussian.collapsed(proper, np.array([10.0, 2.9]), 2)  # full needs d + 1 rows
    at_floor = np.array([np.eye(2), np.diag([1.0, 1e-5])])  # ten times reg_covar
    above = np.array([np.eye(2), np.diag([1.0, 1.1e-5])])
    assert gaussian.collapsed(at_floor, np.array([10.0, 10.0]), 2)
    assert not gaussian.collapsed(above, np.array([10.0, 10.0]), 2)


def test_collapsed_tied_covariance():
    gaussian = Gaussian("tied", 1e-6)
    assert not gaussian.collapsed(np.eye(2), np.array([1.0, 10.0, 10.0]), 2)
    assert gaussian.collapsed(np.eye(2), np.array([0.9, 10.0, 10.0]), 2)  # less than a row
    flat = np.array([[1.0, 1.0], [1.0, 1.0 + 1e-6]])  # one direction with no spread
    assert gaussian.collapsed(flat, np.array([10.0, 10.0, 10.0]), 2)


def test_collapsed_diagonal_covariances():
    gaussian = Gaussian("diag", 1e-3)
    variances = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, 0.5]])
    assert not gaussian.collapsed(variances, np.array([2.0, 5.0]), 3)
    assert gaussian.collapsed(variances, np.array([1.9, 5.0]), 3)  # two rows needed
    variances[1, 2] = 1e-2  # ten times reg_covar
    assert gaussian.collapsed(variances, np.array([2.0, 5.0]), 3)
    variances[1, 2] = 1.1e-2
    assert not gaussian.collapsed(variances, np.array([2.0, 5.0]), 3)


def test_collapsed_spherical_covariances():
    gaussian = Gaussian("spherical", 1e-6)
    assert not gaussian.collapsed(np.array([1.0, 1.1e-5]), np.array([2.0, 5.0]), 4)
    assert gaussian.collapsed(np.array([1.0, 1e-5]), np.array([2.0, 5.0]), 4)
    assert gaussian.collapsed(np.array([1.0, 1.0]), np.array([1.5, 5.0]), 4)


def with_copies(n_copies):
    """Old Faithful and ``n_copies`` more of its first row: a component there has a
    variance at the reg_covar floor and a far higher likelihood than any other."""
    return np.vstack([FAITHFUL, np.repeat(FAITHFUL[:1], n_copies, axis=0)])


@pytest.mark.parametrize("covariance_type", ["diag", "full"])
def test_the_default_start_does_not_prefer_a_collapsed_component(covariance_type):
    X = with_copies(20)
    trap = GaussianMixtureEM(4, covariance_type=covariance_type, init_params="kmeans")
    trap.fit(X)
    for seed in range(10):
        gm = GaussianMixtureEM(4, covariance_type=covariance_type, random_state=seed).fit(X)
        assert not collapsed(gm, X), seed
        # It gives up the higher likelihood of the collapsed component k-means finds.
        assert collapsed(trap.set_params(random_state=seed).fit(X), X)
        assert gm.score(X) < trap.score(X)


def test_a_restart_goes_on_from_runners_up_until_its_fit_is_proper():
    # From the survivor of the short runs, this fit collapses onto the copies.
    X = with_copies(20)
    history = History()
    gm = GaussianMixtureEM(4, random_state=2, callback=history).fit(X)
    assert not collapsed(gm, X)
    runs = sum(record.iteration == 1 for record in history.records)
    assert runs >= 3  # the survivor's and at least two runners-up'
    assert history.records[-1].iteration == gm.n_iter_  # n_iter_: the kept run's
    # Only the first run goes to its end; the runners-up stop where they collapse.
    assert len(history.records) < runs * gm.n_iter_
    serial, parallel = (
        GaussianMixtureEM(4, n_init=2, random_state=2, n_jobs=n_jobs).fit(X) for n_jobs in [1, 2]
    )
    assert not collapsed(serial, X)
    for name in FITTED:
        np.testing.assert_array_equal(getattr(parallel, name), getattr(serial, name))


def test_a_runner_up_is_given_up_at_its_first_collapsed_step():
    X = with_copies(20)
    model = GaussianMixtureEM(4)._model(X.shape[1])
    data = emkit._em.RowData(X, np.ones(len(X)))
    chunks = emkit._em._Chunks(data.chunks(model.row_bytes(X)), data.total_weight, None)
    start = model.init_params(data, np.random.RandomState(0), "kmeans")  # onto the copies

    def run(max_iter, give_up):
        options = emkit._em.RunOptions(1e-5, max_iter, give_up_collapsed=give_up)
        return emkit._em._run(model, chunks, start, -np.inf, options)

    whole, given_up = run(1000, False), run(1000, True)
    assert model.collapsed(whole.params, len(X)) and whole.converged
    assert model.collapsed(given_up.params, len(X)) and not given_up.converged
    assert given_up.n_iter < whole.n_iter
    assert not model.collapsed(run(given_up.n_iter - 1, False).params, len(X))


def test_of_restarts_from_exploring_starts_a_proper_fit_beats_a_collapsed_one(monkeypatch):
    X = with_copies(20)
    explore = emkit._em._explored_start
    calls = []

    def first_only_kmeans(model, data, *args):
        calls.append(args)
        if len(calls) == 1:  # the k-means start alone, which collapses onto the copies
            return [lambda: model.init_params(data, np.random.RandomState(0), "kmeans")]
        return explore(model, data, *args)

    monkeypatch.setattr(emkit._em, "_explored_start", first_only_kmeans)
    gm = GaussianMixtureEM(4, n_init=2, random_state=1).fit(X)
    assert not collapsed(gm, X)
    monkeypatch.undo()
    trap = GaussianMixtureEM(4, init_params="kmeans", random_state=0).fit(X)
    assert collapsed(trap, X) and trap.score(X) > gm.score(X)


# ------------------------------------------------------------------ the driver


def test_n_iter_counts_only_the_final_runs_e_steps():
    history = History()
    gm = GaussianMixtureEM(3, accelerate=None, random_state=0, callback=history).fit(FAITHFUL)
    assert [r.iteration for r in history.records] == list(range(1, gm.n_iter_ + 1))
    assert len(gm.lower_bounds_) == gm.n_iter_ and gm.converged_


def test_the_default_start_beats_kmeans_on_old_faithful():
    # Three full components: the k-means start ends at -1119.21 (every random state).
    totals = [
        GaussianMixtureEM(3, covariance_type="full", random_state=seed)
        .fit(FAITHFUL)
        .score(FAITHFUL)
        * len(FAITHFUL)
        for seed in range(10)
    ]
    assert sum(total >= -1114.45 for total in totals) >= 9
    kmeans = GaussianMixtureEM(3, init_params="kmeans", random_state=0).fit(FAITHFUL)
    assert kmeans.score(FAITHFUL) * len(FAITHFUL) < -1118


def test_given_parameters_are_not_explored(monkeypatch):
    start = GaussianMixtureEM(3, init_params="kmeans", random_state=0, max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start.fit(FAITHFUL)
    given = dict(
        weights_init=start.weights_, means_init=start.means_, precisions_init=start.precisions_
    )

    def explore(*args):
        raise AssertionError("explored")

    monkeypatch.setattr(emkit._em, "_explored_start", explore)
    default = GaussianMixtureEM(3, random_state=0, **given).fit(FAITHFUL)
    kmeans = GaussianMixtureEM(3, init_params="kmeans", random_state=0, **given).fit(FAITHFUL)
    for name in FITTED:
        np.testing.assert_array_equal(getattr(default, name), getattr(kmeans, name))


def test_partial_fit_starts_from_kmeans():
    default = GaussianMixtureEM(3, random_state=0).partial_fit(FAITHFUL)
    kmeans = GaussianMixtureEM(3, init_params="kmeans", random_state=0).partial_fit(FAITHFUL)
    for name in FITTED:
        np.testing.assert_array_equal(getattr(default, name), getattr(kmeans, name))


def fit_cases():
    """(estimator, fit arguments) of the three estimators that explore, at their defaults."""
    rng = np.random.RandomState(0)
    states = np.repeat(rng.randint(0, 3, 40), 10)
    sequences = rng.normal(3.0 * states[:, None], 1.0, (400, 2))
    y = np.full(len(FAITHFUL), -1)
    y[[0, 1, 2, 3]] = [0, 1, 0, 1]
    return {
        "mixture": (GaussianMixtureEM(3), (FAITHFUL,), {}),
        "hmm": (HMMEM(3), (sequences,), {"lengths": [10] * 40}),
        "semi-supervised": (SemiSupervisedEM(n_components_per_class=2), (FAITHFUL, y), {}),
    }


@pytest.mark.parametrize("working_memory", [None, 0.01])
@pytest.mark.parametrize("name", ["mixture", "hmm", "semi-supervised"])
def test_explored_restarts_do_not_depend_on_n_jobs(name, working_memory):
    estimator, args, kwargs = fit_cases()[name]
    estimator.set_params(n_init=3, random_state=0)
    # A small working memory: many chunks, that threads share as well as the restarts.
    with config_context(working_memory=working_memory or 1024):
        serial = clone(estimator).set_params(n_jobs=1).fit(*args, **kwargs)
        parallel = clone(estimator).set_params(n_jobs=2).fit(*args, **kwargs)
    np.testing.assert_array_equal(serial.means_, parallel.means_)
    assert serial.lower_bounds_ == parallel.lower_bounds_


# ----------------------------------------------------------------- bad values


ESTIMATORS = [
    (GaussianMixtureEM, (FAITHFUL,)),
    (EMImputer, (FAITHFUL,)),
    (HMMEM, (FAITHFUL,)),
    (SemiSupervisedEM, (FAITHFUL, np.r_[[0, 1], -np.ones(len(FAITHFUL) - 2, int)])),
]


@pytest.mark.parametrize("cls, args", ESTIMATORS)
@pytest.mark.parametrize("param", ["init_params", "stopping"])
def test_bad_init_params_and_stopping_are_named(cls, args, param):
    with pytest.raises(ValueError, match=f"'{param}' parameter"):
        cls(**{param: "nope"}).fit(*args)
    fitted = cls(random_state=0).fit(*args)
    before = {k: v for k, v in vars(fitted).items() if k.endswith("_")}
    with pytest.raises(ValueError, match=param):
        fitted.set_params(**{param: "nope"}).fit(*args)
    for key, value in before.items():  # the fitted estimator is left as it was
        assert getattr(fitted, key) is value, key


def test_categorical_symbols_missing_from_the_sample_keep_their_place(monkeypatch):
    # The start sees 100 of 3,000 symbols; the one 7 is almost surely not among them.
    monkeypatch.setattr(emkit._starts, "START_ROWS", 100)
    X = np.random.RandomState(0).randint(0, 3, (3000, 1))
    X[1234, 0] = 7
    hmm = HMMEM(2, emission="categorical", random_state=0).fit(X)
    assert hmm.emissionprob_.shape == (2, 8)
    assert np.isfinite(hmm.score(X))


# ------------------------------------------------------ runs side by side


def race_inputs(covariance_type, missing=False, seed=0, n_runs=5):
    """A model, a sample with weights (NaN if ``missing``) and starts of the race."""
    rng = np.random.RandomState(seed)
    X = FAITHFUL + rng.standard_normal(FAITHFUL.shape) * 0.01
    if missing:
        X[rng.rand(*X.shape) < 0.1] = np.nan
        X[0] = np.nan  # a row with nothing observed
    w = rng.uniform(0.5, 2.0, len(X))
    gm = GaussianMixtureEM(3, covariance_type=covariance_type)
    model = gm._model(X.shape[1])
    sample = emkit._em.RowData(X, w, emkit._missing.find_missing(X))
    starts = [model.init_params(sample, rng, "short-em") for _ in range(n_runs)]
    return model, sample, [(params, -np.inf) for params in starts]


def race(model, sample, row_bytes, runs, n_iter, tol):
    """The exploring start's race on ``sample``, side by side where the model can."""
    data = emkit._em._Chunks(sample.chunks(row_bytes), sample.total_weight, None)
    together = (model.side_by_side(), sample, row_bytes)
    return emkit._em._race(model, data, runs, n_iter, tol, together)


@pytest.mark.parametrize("missing", [False, True])
@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_runs_side_by_side_are_each_run_alone(covariance_type, missing):
    model, sample, runs = race_inputs(covariance_type, missing)
    row_bytes = 64
    side_by_side = race(model, sample, row_bytes, runs, 7, 1e-5)
    data = emkit._em._Chunks(sample.chunks(row_bytes), sample.total_weight, None)
    for (params, lower_bound), together in zip(runs, side_by_side, strict=True):
        alone = emkit._em._run(model, data, params, lower_bound, emkit._em.RunOptions(1e-5, 7))
        assert (together.n_iter, together.converged) == (alone.n_iter, alone.converged)
        np.testing.assert_allclose(together.lower_bounds, alone.lower_bounds, rtol=1e-12)
        for name in ["weights", "means", "covariances", "precisions_cholesky"]:
            np.testing.assert_allclose(
                getattr(together.params, name), getattr(alone.params, name), rtol=1e-9, atol=1e-12
            )


def test_runs_side_by_side_stop_each_at_convergence():
    model, sample, runs = race_inputs("full", n_runs=4)
    ended = race(model, sample, 64, runs, 400, 1e-5)
    assert all(run.converged for run in ended)
    assert len({run.n_iter for run in ended}) > 1  # each stopped at its own E-step
    for run in ended:
        assert len(run.lower_bounds) == run.n_iter
        assert np.all(np.diff(run.lower_bounds) >= -1e-12)  # plain EM never falls


def test_a_failing_run_drops_out_alone():
    # Five copies of one far row, and no reg_covar: from some starts, a
    # component ends up with these rows alone, and a singular covariance.
    X = np.vstack([FAITHFUL, np.full((5, 2), 100.0)])
    model = GaussianMixtureEM(3, reg_covar=0.0)._model(2)
    sample = emkit._em.RowData(X, np.ones(len(X)))
    faithful = emkit._em.RowData(FAITHFUL, np.ones(len(FAITHFUL)))
    rng = np.random.RandomState(0)
    runs = [(model.init_params(faithful, rng, "short-em"), -np.inf) for _ in range(3)]
    ended = race(model, sample, 64, runs, 5, 1e-5)
    data = emkit._em._Chunks(sample.chunks(64), sample.total_weight, None)
    options = emkit._em.RunOptions(1e-5, 5)
    with pytest.raises(ValueError, match="ill-defined empirical covariance"):
        emkit._em._run(model, data, runs[2][0], -np.inf, options)
    assert isinstance(ended[2], ValueError)
    for j in (0, 1):
        alone = emkit._em._run(model, data, runs[j][0], -np.inf, options)
        np.testing.assert_allclose(ended[j].lower_bounds, alone.lower_bounds, rtol=0)


def test_a_prior_or_variational_steps_run_the_race_one_run_at_a_time():
    gm = GaussianMixtureEM(3, prior="conjugate")
    hyper = gm._hyperparameters(FAITHFUL, np.ones(len(FAITHFUL)), 3)
    assert gm._model(2, hyper=hyper).side_by_side() is None
    assert gm._model(2).side_by_side() is not None
    # A variational mixture's steps are not the maximum-likelihood mixture's.
    assert BayesianGaussianMixtureEM(3)._model(None).side_by_side() is None


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_the_start_is_the_same_with_runs_side_by_side_or_alone(covariance_type, monkeypatch):
    X = FAITHFUL
    together = GaussianMixtureEM(4, covariance_type=covariance_type, random_state=1).fit(X)
    model_class = type(together._model(2))
    monkeypatch.setattr(model_class, "side_by_side", lambda self: None)
    alone = GaussianMixtureEM(4, covariance_type=covariance_type, random_state=1).fit(X)
    assert together.n_iter_ == alone.n_iter_
    for name in FITTED:
        np.testing.assert_allclose(getattr(together, name), getattr(alone, name), rtol=1e-8)
