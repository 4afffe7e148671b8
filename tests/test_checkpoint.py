"""Checkpoint(resume=True): a fit stopped anywhere resumes to the result of one never stopped.

The reference is the same fit run without interruption (and without a
checkpoint): a resumed fit must equal it bit for bit in-process, and to 1e-8
per sample after SIGKILLs at random moments in a child process (the chaos
test, which also checks that the file is readable after every kill).
"""

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from emkit import (
    HMMEM,
    BayesianGaussianMixtureEM,
    EMImputer,
    GaussianMixtureEM,
    SemiSupervisedEM,
)
from emkit._checkpoint import Attempt
from emkit.callbacks import Checkpoint, History, chain
from emkit.datasets import load_faithful
from emkit.io import from_json


def _data():
    X = load_faithful().data
    rng = np.random.RandomState(0)
    X_missing = np.where(rng.uniform(size=X.shape) < 0.15, np.nan, X)
    X_two = np.vstack([rng.normal(0, 1, (150, 2)), rng.normal(2, 1, (150, 2))])
    y = np.full(300, -1)
    y[[0, 1, 150, 151]] = [0, 0, 1, 1]
    return X, X_missing, X_two, y


def _cases() -> dict:
    """Fits long enough to be killed many times: (estimator, fit arguments)."""
    X, X_missing, X_two, y = _data()
    return {
        "GaussianMixtureEM": (
            GaussianMixtureEM(3, init_params="kmeans", n_init=3, random_state=0),
            (X,),
        ),
        "HMMEM": (HMMEM(3, n_init=2, init_params="random", random_state=0, tol=1e-7), (X,)),
        "EMImputer": (
            EMImputer(n_components=3, init_params="kmeans", n_init=2, random_state=0, tol=1e-7),
            (X_missing,),
        ),
        "SemiSupervisedEM": (
            SemiSupervisedEM(covariance_type="full", n_init=2, random_state=0, tol=1e-8),
            (X_two, y),
        ),
        "BayesianGaussianMixtureEM": (
            BayesianGaussianMixtureEM(
                n_components=4, init_params="kmeans", n_init=2, random_state=0, tol=1e-6
            ),
            (X,),
        ),
    }


CASES = _cases()


def _fitted(estimator) -> dict:
    """The fitted attributes (``name_``) that are numbers or arrays of numbers."""
    return {
        name: value
        for name, value in vars(estimator).items()
        if name.endswith("_") and not name.startswith("_") and not hasattr(value, "get_params")
    }


def _assert_same_fit(resumed, whole, atol=0.0):
    got, expected = _fitted(resumed), _fitted(whole)
    assert sorted(got) == sorted(expected)
    for name, value in expected.items():
        if atol and np.asarray(value).dtype.kind == "f":
            np.testing.assert_allclose(got[name], value, rtol=0, atol=atol, err_msg=name)
        else:
            np.testing.assert_array_equal(got[name], value, err_msg=name)


def _score_samples(estimator, args):
    """The log-likelihood of each sample (for an HMM, the mean, and the state posteriors);
    the imputed values; the semi-supervised class posteriors."""
    X = args[0]
    if isinstance(estimator, HMMEM):
        return np.r_[estimator.score(X), estimator.predict_proba(X).ravel()]
    if isinstance(estimator, SemiSupervisedEM):
        return estimator.predict_log_proba(X)
    if isinstance(estimator, EMImputer):
        return np.r_[estimator.score_samples(X), estimator.transform(X).ravel()]
    return estimator.score_samples(X)


class PowerCut(Exception):
    pass


def _cut_at(restart: int, iteration: int):
    """A callback that stops the fit at the first record of ``restart`` at ``iteration`` on."""

    def cut(record):
        if record.restart == restart and record.iteration >= iteration:
            raise PowerCut

    return cut


def _fit(estimator, args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(*args)


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_estimator_resumes_to_the_uninterrupted_fit(name, tmp_path):
    estimator, args = CASES[name]
    path = tmp_path / "fit.json"
    whole = _fit(clone(estimator), args)
    for restart, iteration in [(0, 5), (1, 9)]:
        cut = chain(Checkpoint(path, every=3, resume=True), _cut_at(restart, iteration))
        with pytest.raises(PowerCut):
            _fit(clone(estimator).set_params(callback=cut), args)
    resumed = _fit(clone(estimator).set_params(callback=Checkpoint(path, resume=True)), args)
    _assert_same_fit(resumed, whole)
    np.testing.assert_array_equal(_score_samples(resumed, args), _score_samples(whole, args))
    saved = from_json(path.read_text())  # the file stays a model of the best iterate
    assert type(saved) is type(estimator)


def _emission_data(emission):
    rng = np.random.RandomState(0)
    states = np.repeat([0, 1, 0, 1], 60)
    if emission == "categorical":
        return np.where(rng.uniform(size=240) < 0.8, states, 2 - states)[:, None]
    if emission in ("poisson", "multinomial"):
        return rng.poisson(np.where(states[:, None] == 0, [1, 5, 2], [6, 1, 2]))
    return rng.normal(states[:, None] * 3.0, 1.0, (240, 2))


@pytest.mark.parametrize("emission", ["gaussian", "gmm", "categorical", "multinomial", "poisson"])
def test_every_hmm_emission_resumes_to_the_uninterrupted_fit(emission, tmp_path):
    X = _emission_data(emission)
    n_mix = {"n_mix": 2} if emission == "gmm" else {}
    hmm = HMMEM(2, emission=emission, n_init=2, init_params="random", random_state=0, **n_mix)
    hmm.set_params(tol=1e-8)
    history = History()
    whole = _fit(clone(hmm).set_params(callback=history), (X,))
    whole.set_params(callback=None)
    last = max(r.iteration for r in history.records if r.restart == 1)
    path = tmp_path / "fit.json"
    cut = chain(Checkpoint(path, every=2, resume=True), _cut_at(1, last // 2))
    with pytest.raises(PowerCut):
        _fit(clone(hmm).set_params(callback=cut), (X,))
    resumed = _fit(clone(hmm).set_params(callback=Checkpoint(path, resume=True)), (X,))
    _assert_same_fit(resumed, whole)


@pytest.mark.parametrize("accelerate", [None, "squarem"])
@pytest.mark.parametrize("restart", [0, 2])
def test_a_restart_killed_anywhere_resumes_exactly(accelerate, restart, tmp_path):
    X = load_faithful().data
    kwargs = dict(n_components=3, covariance_type="tied", n_init=3, random_state=1)
    gm = GaussianMixtureEM(accelerate=accelerate, **kwargs)  # exploring starts
    history = History()
    whole = clone(gm).set_params(callback=history).fit(X)
    iterations = [r.iteration for r in history.records if r.restart == restart]
    path = tmp_path / "fit.json"
    # Every third record, so that each run resumes a few records on, and the last one:
    # resumed there, the restart must stop at once, as the stopping rule did.
    for stop in [*iterations[1::3], iterations[-1]]:
        cut = chain(Checkpoint(path, every=1, resume=True), _cut_at(restart, stop))
        with pytest.raises(PowerCut):
            clone(gm).set_params(callback=cut).fit(X)
    replayed = History()  # records from the last save on
    callback = chain(Checkpoint(path, every=1, resume=True), replayed)
    resumed = clone(gm).set_params(callback=callback).fit(X)
    _assert_same_fit(resumed, whole)
    assert replayed.records[0].restart == restart
    assert len(replayed.records) < len(history.records)


def test_a_fit_killed_while_a_restart_explores_its_start_explores_it_again(tmp_path, monkeypatch):
    import emkit._em

    X = load_faithful().data
    gm = GaussianMixtureEM(3, n_init=3, random_state=0)  # exploring starts
    whole = clone(gm).fit(X)
    explore = emkit._em._explored_start
    calls = []

    def killed_in_the_third(*args):
        calls.append(args)
        if len(calls) == 3:
            raise PowerCut
        return explore(*args)

    monkeypatch.setattr(emkit._em, "_explored_start", killed_in_the_third)
    path = tmp_path / "fit.json"
    with pytest.raises(PowerCut):
        clone(gm).set_params(callback=Checkpoint(path, every=1)).fit(X)
    monkeypatch.undo()
    state = json.loads(path.read_text())["checkpoint"]["driver"]
    assert sorted(state["finished"]["dict"]) == ["0", "1"] and not state["running"]["dict"]
    replayed = History()
    callback = chain(Checkpoint(path, every=1, resume=True), replayed)
    resumed = clone(gm).set_params(callback=callback).fit(X)
    _assert_same_fit(resumed, whole)
    assert {record.restart for record in replayed.records} == {2}


def test_a_restart_killed_while_it_goes_on_from_a_runner_up_resumes_exactly(tmp_path):
    # The fit from the survivor of the exploring start collapses onto the copied row,
    # and the restart goes on from runners-up (tests/test_starts.py).
    X = load_faithful().data
    X = np.vstack([X, np.repeat(X[:1], 20, axis=0)])
    gm = GaussianMixtureEM(4, random_state=2)
    positions = []  # (candidate, iteration) of every record

    def where(record):
        positions.append((record._journal.attempts.get(0, Attempt()).candidate, record.iteration))

    whole = clone(gm).set_params(callback=chain(Checkpoint(tmp_path / "whole.json"), where)).fit(X)
    assert positions[-1][0] >= 2
    path = tmp_path / "fit.json"
    for stop in [*positions[1::5], positions[-1]]:

        def cut(record, stop=stop):
            if (record._journal.attempts.get(0, Attempt()).candidate, record.iteration) >= stop:
                raise PowerCut

        with pytest.raises(PowerCut):
            clone(gm).set_params(callback=chain(Checkpoint(path, every=1, resume=True), cut)).fit(
                X
            )
    state = json.loads(path.read_text())["checkpoint"]["driver"]
    assert state["attempts"]["dict"]  # saved while on a runner-up
    resumed = clone(gm).set_params(callback=Checkpoint(path, resume=True)).fit(X)
    _assert_same_fit(resumed, whole)


def test_parallel_restarts_resume_for_any_n_jobs(tmp_path):
    X = load_faithful().data
    gm = GaussianMixtureEM(3, init_params="kmeans", n_init=4, random_state=0)
    whole = clone(gm).fit(X)
    path = tmp_path / "fit.json"
    cut = chain(Checkpoint(path, every=1, resume=True), _cut_at(2, 15))
    with pytest.raises(PowerCut):
        clone(gm).set_params(callback=cut, n_jobs=2).fit(X)
    state = json.loads(path.read_text())["checkpoint"]["driver"]
    assert state["running"]["dict"]  # restarts saved mid-way
    for n_jobs in [1, 2]:
        path_copy = tmp_path / f"copy{n_jobs}.json"
        path_copy.write_text(path.read_text())
        callback = Checkpoint(path_copy, resume=True)
        resumed = clone(gm).set_params(callback=callback, n_jobs=n_jobs).fit(X)
        _assert_same_fit(resumed, whole)


def test_a_fit_on_a_dask_array_resumes_too(tmp_path):
    import dask.array as da

    X = da.from_array(load_faithful().data, chunks=100)
    gm = GaussianMixtureEM(3, init_params="kmeans", n_init=2, random_state=0)
    whole = clone(gm).fit(X)
    path = tmp_path / "fit.json"
    with pytest.raises(PowerCut):
        clone(gm).set_params(callback=chain(Checkpoint(path, 2), _cut_at(1, 9))).fit(X)
    resumed = clone(gm).set_params(callback=Checkpoint(path, resume=True)).fit(X)
    _assert_same_fit(resumed, whole)


@pytest.mark.parametrize("name", sorted(CASES))
def test_checkpointing_does_not_change_the_fit(name, tmp_path):
    estimator, args = CASES[name]
    plain = _fit(clone(estimator), args)
    saved = _fit(clone(estimator).set_params(callback=Checkpoint(tmp_path / "f.json", 1)), args)
    _assert_same_fit(saved, plain)


def test_resume_without_a_file_starts_afresh_and_resuming_a_finished_fit_ends_there(tmp_path):
    X = load_faithful().data
    path = tmp_path / "fit.json"
    gm = GaussianMixtureEM(2, n_init=2, random_state=0)
    whole = clone(gm).fit(X)
    first = clone(gm).set_params(callback=Checkpoint(path, every=1, resume=True)).fit(X)
    again = clone(gm).set_params(callback=Checkpoint(path, every=1, resume=True)).fit(X)
    _assert_same_fit(first, whole)
    _assert_same_fit(again, whole)


@pytest.mark.parametrize("random_state", [None, np.random.RandomState(5)])
def test_a_random_state_not_an_integer_resumes_with_the_saved_generator(random_state, tmp_path):
    X = load_faithful().data
    path = tmp_path / "fit.json"
    gm = GaussianMixtureEM(3, covariance_type="diag", n_init=3, random_state=random_state)
    history = History()
    cut = chain(Checkpoint(path, every=1, resume=True), history, _cut_at(1, 2))
    with pytest.raises(PowerCut):
        clone(gm).set_params(callback=cut).fit(X)
    state = json.loads(path.read_text())["checkpoint"]["driver"]
    rng = np.random.RandomState()
    from emkit._checkpoint import decode

    rng.set_state(decode(state["rng_state"]))  # the generator as the stopped fit began
    whole = clone(gm).set_params(random_state=rng).fit(X)
    resumed = clone(gm).set_params(callback=Checkpoint(path, resume=True)).fit(X)
    _assert_same_fit(resumed, whole)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda gm, X: (gm.set_params(n_components=2), X), r"parameter n_components: 3 in"),
        (lambda gm, X: (gm.set_params(tol=1e-4), X), r"parameter tol: 1e-05 in the file"),
        (lambda gm, X: (gm, X[:-1]), r"data X: different shape \(\[272, 2\] in the file"),
        (lambda gm, X: (gm, X + 1e-9), r"data X: different values"),
        (
            lambda gm, X: (BayesianGaussianMixtureEM(3, random_state=0), X),
            "estimator GaussianMixtureEM in the file, BayesianGaussianMixtureEM now",
        ),
    ],
)
def test_resuming_another_fit_is_refused_and_leaves_the_estimator_unchanged(
    change, message, tmp_path
):
    X = load_faithful().data
    path = tmp_path / "fit.json"
    gm = GaussianMixtureEM(3, random_state=0, n_init=2)
    with pytest.raises(PowerCut):
        clone(gm).set_params(callback=chain(Checkpoint(path, 1), _cut_at(1, 1))).fit(X)
    other, X_other = change(clone(gm), X)
    other = clone(other).fit(X_other)  # fitted: a refused fit leaves it as it was
    before = {name: np.copy(value) for name, value in _fitted(other).items()}
    other.set_params(callback=Checkpoint(path, resume=True, every=1))
    with pytest.raises(
        ValueError, match=f"Checkpoint file .* was written by another fit.*{message}"
    ):
        other.fit(X_other)
    for name, value in before.items():
        np.testing.assert_array_equal(getattr(other, name), value)
    # n_jobs and verbose change how a fit runs, not its result: allowed
    resumed = clone(gm).set_params(n_jobs=2, verbose=0, callback=Checkpoint(path, resume=True))
    _assert_same_fit(resumed.fit(X), clone(gm).fit(X))


def test_resuming_an_hmm_on_other_sequences_is_refused(tmp_path):
    X = load_faithful().data
    path = tmp_path / "fit.json"
    hmm = HMMEM(2, random_state=0)
    with pytest.raises(PowerCut):
        clone(hmm).set_params(callback=chain(Checkpoint(path, 1), _cut_at(0, 1))).fit(X)
    hmm.set_params(callback=Checkpoint(path, resume=True))
    with pytest.raises(ValueError, match=r"data lengths \(sequence starts\): different shape"):
        hmm.fit(X, lengths=[100, 172])
    with pytest.raises(ValueError, match=r"parameter tol: 1e-05 in the file, 0.001 now"):
        hmm.set_params(tol=np.float64(1e-3)).fit(X)
    hmm.set_params(tol=np.float64(1e-5)).fit(X)  # a NumPy float equal to the saved one


_ATTEMPT = "emkit._checkpoint:Attempt"


def test_a_file_that_is_no_checkpoint_is_refused(tmp_path):
    X = load_faithful().data
    path = tmp_path / "fit.json"
    gm = GaussianMixtureEM(2, random_state=0)
    path.write_text("{not json")
    with pytest.raises(ValueError, match=r"holds no fit to resume.*delete it"):
        clone(gm).set_params(callback=Checkpoint(path, resume=True)).fit(X)
    from emkit.io import to_json

    path.write_text(to_json(clone(gm).fit(X)))  # a model, without the driver's state
    with pytest.raises(ValueError, match="holds no fit to resume"):
        clone(gm).set_params(callback=Checkpoint(path, resume=True)).fit(X)
    whole = clone(gm).fit(X)
    with pytest.raises(PowerCut):
        clone(gm).set_params(callback=chain(Checkpoint(path, 1), _cut_at(0, 1))).fit(X)
    document = json.loads(path.read_text())
    state = document["checkpoint"]["driver"]
    tampered = [
        {**state, "version": 99},
        {**state, "running": {"dict": {"0": {"type": "os:system", "fields": {}}}}},
        {**state, "running": {"dict": {"0": {"type": "emkit._em:EMResult", "fields": {}}}}},
        {**state, "finished": {"dict": {"0": {"array": "###", "dtype": "<f8", "shape": [1]}}}},
        {**state, "attempts": {"dict": {"0": {"type": "emkit._em:EMResult", "fields": {}}}}},
        {**state, "attempts": {"dict": {"0": {"type": _ATTEMPT, "fields": {"candidate": -1}}}}},
        {**state, "attempts": [1]},
    ]
    before = {name: np.copy(value) for name, value in _fitted(whole).items()}
    for driver in tampered:
        document["checkpoint"]["driver"] = driver
        path.write_text(json.dumps(document))
        whole.set_params(callback=Checkpoint(path, resume=True))
        with pytest.raises(ValueError, match=r"Checkpoint file .*(version 99|invalid driver)"):
            whole.fit(X)
        for name, value in before.items():  # a fitted estimator, left as it was
            np.testing.assert_array_equal(getattr(whole, name), value)
    with pytest.raises(TypeError, match="resume must be True or False"):
        Checkpoint(path, resume=1)


def test_a_write_that_fails_midway_leaves_the_last_checkpoint(tmp_path, monkeypatch):
    X = load_faithful().data
    path = tmp_path / "fit.json"
    gm = GaussianMixtureEM(3, init_params="kmeans", random_state=0)
    whole = clone(gm).fit(X)
    writes = []
    real_fsync = os.fsync

    def failing_fsync(fd):  # the disk fails on the third save, after the data were written
        writes.append(fd)
        if len(writes) == 3:
            raise OSError("disk full")
        real_fsync(fd)

    monkeypatch.setattr("emkit.callbacks.os.fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        clone(gm).set_params(callback=Checkpoint(path, every=2)).fit(X)
    monkeypatch.undo()
    assert os.path.exists(f"{path}.tmp")  # the new save, unfinished, beside the file
    saved = from_json(path.read_text())
    assert saved.n_iter_ > 1
    resumed = clone(gm).set_params(callback=Checkpoint(path, resume=True)).fit(X)
    _assert_same_fit(resumed, whole)


# ---------------------------------------------------------------- chaos test

# The child process: imports emkit once, then for each kill forks a grandchild that
# fits with Checkpoint(resume=True), and SIGKILLs it after a seeded random number
# of saves and a seeded random pause; after each kill it checks that the file reads.
# A fit that ends before its kill (the machine slow to kill) is started afresh.
_CHILD = """
import json, os, random, signal, sys, time, warnings
sys.path[:0] = [{root!r}, {tests!r}]
warnings.simplefilter("ignore")
from sklearn.base import clone
from emkit.callbacks import Checkpoint, chain
from emkit._checkpoint import decode
from emkit.io import from_json
import test_checkpoint as t

rng = random.Random({seed})
for name, (estimator, args) in sorted(t.CASES.items()):
    clone(estimator).fit(*args)  # compiled once here, for every grandchild
    path = os.path.join({directory!r}, name + ".json")
    kills = 0
    while kills < {kills}:
        saves, pause = rng.randint(1, 4), rng.uniform(0.0, 0.002)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.close(read)
                tick = lambda record: os.write(write, b".") and False
                callback = chain(Checkpoint(path, every=1, resume=True), tick)
                clone(estimator).set_params(callback=callback).fit(*args)
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        seen = 0
        while seen < saves:
            got = os.read(read, saves - seen)
            if not got:
                break
            seen += len(got)
        time.sleep(pause)
        os.kill(pid, signal.SIGKILL)
        status = os.waitpid(pid, 0)[1]
        os.close(read)
        with open(path) as file:
            text = file.read()
        from_json(text)  # the model
        state = json.loads(text)["checkpoint"]["driver"]  # and the fit's state
        parts = ("fingerprint", "rng_state", "finished", "running")
        readable = all(decode(state[part]) is not None for part in parts)
        killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        ended = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0  # the fit ended first
        outcome = dict(name=name, killed=killed, ended=ended, readable=readable)
        print(json.dumps(outcome), flush=True)
        if ended:  # nothing left to kill: a new fit
            os.remove(path)
        elif not killed:  # the fit failed: its error is on stderr
            break
        kills += killed
"""

KILLS = 12  # per case


@pytest.fixture(scope="module")
def chaos(tmp_path_factory):
    """Each case's fit killed KILLS times in a child; the outcome of each kill, and the file."""
    directory = tmp_path_factory.mktemp("chaos")
    here = os.path.dirname(os.path.abspath(__file__))
    code = _CHILD.format(
        root=os.path.dirname(here), tests=here, seed=0, directory=str(directory), kills=KILLS
    )
    # One BLAS thread in the child: forking a process with threads running is unsafe.
    one = dict.fromkeys(["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"], "1")
    child = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **one},
        check=False,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    outcomes: dict = {}
    for line in child.stdout.splitlines():
        outcome = json.loads(line)
        outcomes.setdefault(outcome["name"], []).append(outcome)
    return directory, outcomes


@pytest.mark.parametrize("name", sorted(CASES))
def test_chaos_sigkill_at_random_moments_then_resume(name, chaos):
    directory, outcomes = chaos
    estimator, args = CASES[name]
    assert all(outcome["readable"] for outcome in outcomes[name])
    assert all(outcome["killed"] or outcome["ended"] for outcome in outcomes[name])
    assert sum(outcome["killed"] for outcome in outcomes[name]) == KILLS
    path = directory / f"{name}.json"
    resumed = _fit(clone(estimator).set_params(callback=Checkpoint(path, resume=True)), args)
    whole = _fit(clone(estimator), args)
    np.testing.assert_allclose(
        _score_samples(resumed, args), _score_samples(whole, args), rtol=0, atol=1e-8
    )
    _assert_same_fit(resumed, whole, atol=1e-8)
