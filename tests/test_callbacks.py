"""emkit.callbacks: what the ready callbacks record, when they stop, what they print."""

import io
import itertools

import numpy as np
import pytest

from emkit import HMMEM, EMImputer, GaussianMixtureEM, SemiSupervisedEM
from emkit.callbacks import Checkpoint, EarlyStopping, History, ProgressBar, chain
from emkit.datasets import load_faithful
from emkit.io import from_json

X = load_faithful().data


def test_history_holds_every_restart_trace_even_from_threads():
    history = History()
    gm = GaussianMixtureEM(
        3, n_init=4, n_jobs=2, init_params="random", random_state=0, callback=history
    ).fit(X)
    traces = history.log_likelihoods()
    assert sorted(traces) == [0, 1, 2, 3]
    assert len(history.records) == sum(len(trace) for trace in traces.values())
    assert max(traces.values(), key=lambda trace: trace[-1]) == gm.lower_bounds_


@pytest.mark.parametrize("patience, min_gain", [(1, 1e-2), (3, 1e-3), (5, 1e-4)])
def test_early_stopping_stops_at_the_first_run_of_small_gains(patience, min_gain):
    # From k-means: a long run with stretches of small gains (the default start is
    # so close to the optimum that EM stops after a few E-steps).
    kwargs = dict(covariance_type="tied", init_params="kmeans", accelerate=None, random_state=0)
    history = History()
    GaussianMixtureEM(3, callback=history, **kwargs).fit(X)
    changes = [record.change for record in history.records]
    stalled, expected = 0, None
    for iteration, change in enumerate(changes, start=1):
        stalled = stalled + 1 if iteration > 1 and change < min_gain else 0
        if stalled >= patience:
            expected = iteration
            break
    assert expected is not None and expected < len(changes)
    early = GaussianMixtureEM(3, callback=EarlyStopping(patience, min_gain), **kwargs).fit(X)
    assert early.n_iter_ == expected
    assert not early.converged_


def test_early_stopping_works_for_hmms_too():
    stop_at_once = EarlyStopping(patience=1, min_gain=np.inf)  # any gain is too small
    hmm = HMMEM(3, random_state=0, accelerate=None, callback=stop_at_once).fit(X)
    assert hmm.n_iter_ == 2 and not hmm.converged_


def test_progress_bar_prints_one_line_per_record():
    out = io.StringIO()
    history = History()
    callback = chain(ProgressBar(file=out, use_tqdm=False), history)
    GaussianMixtureEM(2, n_init=2, random_state=0, callback=callback).fit(X)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(history.records)
    for line, record in zip(lines, history.records):
        assert line == (
            f"restart {record.restart}, E-step {record.iteration}: "
            f"log-likelihood per sample {record.log_likelihood:.6g}"
        )


def test_chain_calls_every_callback_and_stops_when_one_asks():
    history = History()
    gm = GaussianMixtureEM(
        3, covariance_type="tied", accelerate=None, random_state=0,
        callback=chain(history, EarlyStopping(1, 1e-2)),
    ).fit(X)  # fmt: skip
    assert len(history.records) == gm.n_iter_
    assert [r.log_likelihood for r in history.records] == gm.lower_bounds_


def test_bad_arguments():
    with pytest.raises(ValueError, match="patience must be a positive integer"):
        EarlyStopping(patience=0)
    with pytest.raises(ValueError, match="min_gain must be non-negative"):
        EarlyStopping(min_gain=np.nan)
    try:
        import tqdm  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install tqdm"):
            ProgressBar(use_tqdm=True)


def test_progress_bar_with_tqdm_counts_the_e_steps():
    pytest.importorskip("tqdm")
    out = io.StringIO()
    progress = ProgressBar(file=out, use_tqdm=True)
    gm = GaussianMixtureEM(2, n_init=2, accelerate=None, random_state=0, callback=progress)
    gm.fit(X)
    assert sorted(progress._bars) == [0, 1]
    assert gm.n_iter_ in [bar.n for bar in progress._bars.values()]  # one record per E-step
    assert "restart 0" in out.getvalue() and "log_likelihood=" in out.getvalue()


@pytest.mark.parametrize("accelerate", [None, "squarem"])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_record_gives_the_estimator_a_fit_stopped_there_returns(accelerate):
    history = History()
    kwargs = dict(covariance_type="tied", accelerate=accelerate, random_state=0, tol=0)
    GaussianMixtureEM(3, max_iter=12, callback=history, **kwargs).fit(X)
    for record in history.records[:4]:
        stopped = GaussianMixtureEM(
            3, callback=lambda r, k=record.iteration: r.iteration >= k, **kwargs
        )
        stopped.fit(X)
        snapshot = record.estimator()
        assert snapshot.n_iter_ == stopped.n_iter_ == record.iteration
        for name in ["weights_", "means_", "covariances_", "precisions_cholesky_"]:
            np.testing.assert_array_equal(getattr(snapshot, name), getattr(stopped, name))
        assert snapshot.lower_bounds_ == stopped.lower_bounds_
        assert snapshot.callback is None and not snapshot.converged_


@pytest.mark.parametrize(
    "estimator, args",
    [
        (HMMEM(2, random_state=0), (X,)),
        (
            EMImputer(n_components=2, add_indicator=True, random_state=0),
            (np.where(X > 80, np.nan, X),),
        ),
        (SemiSupervisedEM(), (X, np.r_[[0, 1], -np.ones(len(X) - 2, int)])),
    ],
)
def test_every_estimator_saves_its_iterates(tmp_path, estimator, args):
    path = tmp_path / "model.json"
    estimator.set_params(callback=Checkpoint(path, every=1)).fit(*args)
    saved = from_json(path.read_text())
    assert type(saved) is type(estimator)
    assert saved.lower_bound_ == estimator.lower_bounds_[-1]
    assert np.isfinite(saved.score(*args))


def test_checkpoint_resumes_after_a_crash(tmp_path):
    path = tmp_path / "model.json"
    # From k-means: a run long enough to crash in (the default start converges in 3 E-steps).
    kwargs = dict(covariance_type="tied", init_params="kmeans", accelerate=None, random_state=0)
    whole = GaussianMixtureEM(3, **kwargs).fit(X)

    def crash(record):
        if record.iteration == 9:
            raise RuntimeError("power cut")

    crashing = GaussianMixtureEM(3, callback=chain(Checkpoint(path, every=4), crash), **kwargs)
    with pytest.raises(RuntimeError, match="power cut"):
        crashing.fit(X)
    saved = from_json(path.read_text())
    done = saved.n_iter_
    assert done == 8  # the best iterate when the last write happened
    resumed = saved.set_params(warm_start=True).fit(X)
    for name in ["weights_", "means_", "covariances_"]:
        np.testing.assert_allclose(getattr(resumed, name), getattr(whole, name), rtol=1e-12)
    assert done + resumed.n_iter_ == whole.n_iter_
    with pytest.raises(ValueError, match="every must be a positive integer"):
        Checkpoint(path, every=0)


def test_records_count_the_rejected_and_invalid_jumps(monkeypatch):
    # From k-means: a run long enough for SQUAREM to jump (and have jumps rejected).
    kwargs = dict(covariance_type="tied", init_params="kmeans", random_state=0)
    history = History()
    GaussianMixtureEM(3, callback=history, **kwargs).fit(X)
    records = history.records
    # A rejected jump costs the cycle a third E-step; an accepted one becomes the next start.
    for before, after in itertools.pairwise(records):
        rejected = after.iteration - before.iteration == 3
        assert after.rejected_jumps - before.rejected_jumps == rejected
    assert records[-1].rejected_jumps > 0 and records[-1].invalid_jumps == 0

    def invalid(*args):
        raise ValueError("not positive-definite")

    monkeypatch.setattr("emkit._accel.Squarem.extrapolate", invalid)
    history = History()
    GaussianMixtureEM(3, callback=history, **kwargs).fit(X)
    gaps = [b.iteration - a.iteration for a, b in itertools.pairwise(history.records)]
    last = history.records[-1]
    assert last.invalid_jumps == last.rejected_jumps == gaps.count(3) > 0
    assert set(gaps) <= {1, 3}  # every jump invalid: no cycle of two E-steps
    plain = History()
    GaussianMixtureEM(3, callback=plain, accelerate=None, **kwargs).fit(X)
    assert all(r.rejected_jumps == r.invalid_jumps == 0 for r in plain.records)


@pytest.mark.parametrize(
    "make", [History, lambda: ProgressBar(use_tqdm=False), lambda: Checkpoint("unused.json")]
)
def test_callbacks_are_cloned_and_pickled_with_their_estimator(make, tmp_path, monkeypatch):
    import pickle

    from sklearn.base import clone
    from sklearn.model_selection import cross_val_score

    monkeypatch.chdir(tmp_path)
    X = load_faithful().data
    gm = GaussianMixtureEM(2, random_state=0, callback=make())
    assert type(clone(gm).callback) is type(gm.callback)
    scores = cross_val_score(gm, X, cv=2)
    assert np.all(np.isfinite(scores))
    restored = pickle.loads(pickle.dumps(gm.fit(X)))
    np.testing.assert_array_equal(restored.means_, gm.means_)


def test_a_reused_checkpoint_writes_the_new_fit(tmp_path):
    X = load_faithful().data
    checkpoint = Checkpoint(tmp_path / "model.json", every=1)
    GaussianMixtureEM(2, random_state=0, callback=checkpoint).fit(X / 10)
    second = GaussianMixtureEM(2, random_state=0, callback=checkpoint).fit(X)
    saved = from_json((tmp_path / "model.json").read_text())
    np.testing.assert_array_equal(saved.means_, second.means_)


@pytest.mark.parametrize("interval", [2, 4, 10])
def test_verbose_prints_once_per_interval_with_squarem(interval, capsys):
    history = History()
    gm = GaussianMixtureEM(3, covariance_type="tied", random_state=0, verbose=1, callback=history)
    gm.set_params(verbose_interval=interval).fit(load_faithful().data)
    printed = [int(line.split()[1]) for line in capsys.readouterr().out.splitlines()
               if line.strip().startswith("Iteration")]  # fmt: skip
    # SQUAREM records skip iterations: a line for each record that passes a multiple
    records = [record.iteration for record in history.records]
    passing = [r for p, r in zip([0, *records], records) if r // interval > p // interval]
    assert printed == passing and len(printed) >= gm.n_iter_ // (2 * interval)


def test_semi_supervised_snapshots_have_no_labels_of_the_final_fit():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(3, 1, (100, 2))])
    y = np.full(200, -1)
    y[[0, 100]] = [0, 1]
    history = History()
    clf = SemiSupervisedEM(covariance_type="spherical", callback=history).fit(X, y)
    assert hasattr(clf, "transduction_")
    assert not hasattr(history.records[0].estimator(), "transduction_")
