"""The EM driver, through GaussianMixtureEM: restarts, chunks, history, callbacks."""

import warnings

import numpy as np
import pytest
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from emkit import GaussianMixtureEM, IterationRecord
from emkit._accel import Squarem
from emkit._em import _converged, _gain_ratio, _projected_limit
from emkit.datasets import load_faithful

FITTED = ["weights_", "means_", "covariances_", "precisions_cholesky_"]


@pytest.mark.parametrize("n_init", [1, 4])
@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_results_do_not_depend_on_n_jobs(blobs, covariance_type, n_init):
    X = blobs[0]
    kwargs = dict(
        covariance_type=covariance_type, n_init=n_init, init_params="random", random_state=0
    )
    # Many chunks of rows, so that threads share each E-step as well as the restarts.
    with config_context(working_memory=0.001):
        serial = GaussianMixtureEM(3, n_jobs=1, **kwargs).fit(X)
        parallel = GaussianMixtureEM(3, n_jobs=2, **kwargs).fit(X)
    for name in FITTED:
        np.testing.assert_array_equal(getattr(serial, name), getattr(parallel, name))
    assert serial.lower_bounds_ == parallel.lower_bounds_


def test_best_restart_is_kept(blobs):
    X = blobs[0]
    bounds = []
    GaussianMixtureEM(
        3, n_init=5, init_params="random", random_state=0, callback=bounds.append
    ).fit(X)
    final = {}
    for record in bounds:
        final[record.restart] = record.log_likelihood
    gm = GaussianMixtureEM(3, n_init=5, init_params="random", random_state=0).fit(X)
    assert gm.lower_bound_ == max(final.values())
    assert sorted(final) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_chunked_e_steps_equal_one_chunk(blobs, covariance_type):
    X = blobs[0]
    kwargs = dict(
        covariance_type=covariance_type, tol=0, max_iter=20, random_state=0, accelerate=None
    )
    with pytest.warns(ConvergenceWarning):
        whole = GaussianMixtureEM(3, **kwargs).fit(X)
    # 0.001 MiB holds a few rows of (n_components x n_features) temporaries.
    with config_context(working_memory=0.001), pytest.warns(ConvergenceWarning):
        chunked = GaussianMixtureEM(3, **kwargs).fit(X)
    for name in FITTED:
        np.testing.assert_allclose(getattr(chunked, name), getattr(whole, name), rtol=1e-10)
    np.testing.assert_allclose(chunked.lower_bounds_, whole.lower_bounds_, rtol=1e-12)


def test_lower_bounds_history_and_convergence():
    X = load_faithful().data
    gm = GaussianMixtureEM(
        3,
        covariance_type="tied",
        tol=1e-4,
        random_state=0,
        accelerate=None,
        init_params="kmeans",
        stopping="change",
    )
    gm.fit(X)
    assert gm.n_iter_ > 10
    assert gm.converged_
    assert len(gm.lower_bounds_) == gm.n_iter_
    assert gm.lower_bound_ == gm.lower_bounds_[-1]
    assert abs(gm.lower_bounds_[-1] - gm.lower_bounds_[-2]) < 1e-4
    assert abs(gm.lower_bounds_[-2] - gm.lower_bounds_[-3]) >= 1e-4


def test_convergence_warning_when_max_iter_is_reached(blobs):
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        gm = GaussianMixtureEM(3, tol=0, max_iter=3, random_state=0).fit(blobs[0])
    assert not gm.converged_ and gm.n_iter_ == 3


def test_callback_receives_records_and_can_stop(blobs):
    records = []

    def stop_at_third(record):
        records.append(record)
        return record.iteration == 3

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a stop asked for by the callback is not a warning
        gm = GaussianMixtureEM(
            3,
            n_init=2,
            random_state=0,
            callback=stop_at_third,
            accelerate=None,
            init_params="kmeans",
            tol=1e-8,  # not converged by the third E-step: only the callback stops
        ).fit(blobs[0])
    assert [(r.restart, r.iteration) for r in records] == [
        (0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3)
    ]  # fmt: skip
    assert all(isinstance(r, IterationRecord) for r in records)
    assert records[0].change == np.inf
    assert records[1].change == pytest.approx(
        records[1].log_likelihood - records[0].log_likelihood
    )
    assert all(r.elapsed >= 0 for r in records)
    assert gm.n_iter_ == 3 and not gm.converged_
    with pytest.raises(AttributeError):
        records[0].iteration = 5


def test_verbose_output(blobs, capsys):
    GaussianMixtureEM(3, n_init=2, verbose=2, verbose_interval=1, random_state=0).fit(blobs[0])
    out = capsys.readouterr().out
    assert "Initialization 0" in out and "Initialization 1" in out
    assert "Iteration 1\t time lapse" in out
    assert "Initialization converged" in out


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag"])
def test_squarem_reaches_the_plain_em_optimum_in_fewer_e_steps(covariance_type):
    X = StandardScaler().fit_transform(load_faithful().data)
    kwargs = dict(
        covariance_type=covariance_type,
        tol=1e-10,
        max_iter=5000,
        random_state=0,
        init_params="kmeans",
    )
    plain = GaussianMixtureEM(3, accelerate=None, **kwargs).fit(X)
    fast = GaussianMixtureEM(3, accelerate="squarem", **kwargs).fit(X)
    assert fast.converged_
    assert fast.n_iter_ < plain.n_iter_ / 1.5
    assert fast.lower_bound_ >= plain.lower_bound_ - 1e-9
    np.testing.assert_allclose(fast.means_, plain.means_, atol=1e-3)
    np.testing.assert_allclose(fast.covariances_, plain.covariances_, atol=1e-3)


def test_squarem_counts_e_steps_and_records_the_accepted_iterates(blobs):
    records = []
    gm = GaussianMixtureEM(
        4, accelerate="squarem", init_params="random", random_state=1, callback=records.append
    ).fit(blobs[0])
    iterations = [record.iteration for record in records]
    assert iterations == sorted(set(iterations))
    assert iterations[-1] == gm.n_iter_
    assert [record.log_likelihood for record in records] == gm.lower_bounds_
    assert len(gm.lower_bounds_) <= gm.n_iter_


def test_squarem_step_bound_grows_at_the_bound_and_falls_below_a_rejected_step():
    squarem = Squarem()
    squarem.step = 1.0
    squarem.update(accepted=True)
    assert squarem.step_max == 4.0
    squarem.step = 2.5  # accepted below the bound: the bound stays
    squarem.update(accepted=True)
    assert squarem.step_max == 4.0
    squarem.step_max, squarem.step = 64.0, 40.0  # rejected below the bound
    squarem.update(accepted=False)
    assert squarem.step_max == 10.0
    squarem.step = 2.0
    squarem.update(accepted=False)
    assert squarem.step_max == 1.0


class _Identity:
    """A model whose parameters are their own unconstrained arrays."""

    def unconstrained(self, params):
        return params

    def from_unconstrained(self, values):
        return tuple(values)


def test_squarem_extrapolates_each_array_and_keeps_non_finite_coordinates():
    # t0, t1, t2 on a line with shrinking steps: r = t1 - t0, v = t2 - 2 t1 + t0.
    t0 = (np.array([0.0, -np.inf]), np.zeros((2, 2)))
    t1 = (np.array([1.0, -np.inf]), np.full((2, 2), 1.0))
    t2 = (np.array([1.5, -np.inf]), np.full((2, 2), 1.5))
    squarem = Squarem()
    squarem.step_max = 64.0
    weights, matrix = squarem.extrapolate(_Identity(), t0, t1, t2)
    r = np.array([1.0] * 5)  # over the finite coordinates
    v = np.array([-0.5] * 5)
    a = np.linalg.norm(r) / np.linalg.norm(v)
    assert squarem.step == a == 2.0
    expected = 0.0 + 2 * a * 1.0 + a * a * -0.5  # 2.0: the limit of the geometric steps
    np.testing.assert_array_equal(weights, [expected, -np.inf])
    np.testing.assert_array_equal(matrix, np.full((2, 2), expected))
    squarem.step_max = 1.5  # the bound caps the step
    squarem.extrapolate(_Identity(), t0, t1, t2)
    assert squarem.step == 1.5


def test_squarem_results_do_not_depend_on_n_jobs(blobs):
    kwargs = dict(n_init=3, init_params="random", accelerate="squarem", random_state=0)
    with config_context(working_memory=0.001):
        serial = GaussianMixtureEM(3, n_jobs=1, **kwargs).fit(blobs[0])
        parallel = GaussianMixtureEM(3, n_jobs=2, **kwargs).fit(blobs[0])
    for name in FITTED:
        np.testing.assert_array_equal(getattr(serial, name), getattr(parallel, name))


def test_kmeans_on_few_rows_runs_on_one_openmp_thread():
    from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

    from emkit._starts import kmeans_threads

    default = _openmp_effective_n_threads()
    with kmeans_threads(272):
        assert _openmp_effective_n_threads() == 1
    with kmeans_threads(10**6):
        assert _openmp_effective_n_threads() == default
    assert _openmp_effective_n_threads() == default


# ------------------------------------------------------------- the stopping rule


def geometric_lower_bounds(limit=-2.0, distance=0.5, ratio=0.8, n=12):
    """Lower bounds ``limit - distance * ratio**t``: gains that shrink by ``ratio``."""
    return [limit - distance * ratio**t for t in range(n)]


@pytest.mark.parametrize("ratio", [0.3, 0.8, 0.9])
def test_aitken_projects_the_remaining_gain_of_geometric_gains_exactly(ratio):
    limit, distance = -2.0, 0.5
    bounds = geometric_lower_bounds(limit, distance, ratio)
    for t in range(2, len(bounds)):
        change, gain = bounds[t] - bounds[t - 1], bounds[t - 1] - bounds[t - 2]
        assert _gain_ratio(change, gain) == pytest.approx(ratio, rel=1e-9)
        remaining = limit - bounds[t]  # distance * ratio**t
        assert change * ratio / (1 - ratio) == pytest.approx(remaining, rel=1e-9)
        assert _projected_limit(bounds[: t + 1]) == pytest.approx(limit, rel=1e-12)
        # Converged once both the last gain and the gains to come are below tol.
        tol = max(change, remaining)
        assert _converged(change, ratio, tol * (1 + 1e-6), bounds[t])
        assert not _converged(change, ratio, remaining * (1 - 1e-6), bounds[t])
        # ratio=0 is scikit-learn's rule: the last gain alone.
        assert _converged(change, 0.0, change * (1 + 1e-6), bounds[t])
        assert not _converged(change, 0.0, change * (1 - 1e-6), bounds[t])


def test_aitken_without_a_ratio_to_trust():
    assert _gain_ratio(0.1, np.inf) != _gain_ratio(0.1, np.inf)  # first gain: nan
    assert not _converged(1e-7, np.nan, 1e-5, -2.0)  # no ratio yet: go on
    assert not _converged(1e-7, 1.2, 1e-5, -2.0)  # growing gains: go on
    assert _converged(-1e-9, 0.5, 1e-5, -2.0)  # a loss: EM is at its optimum's rounding
    assert _converged(1e-13, 1.2, 1e-5, -2.0)  # a gain at the rounding of the value
    assert not _converged(2e-5, 0.1, 1e-5, -2.0)
    # The projected limit of a short run trusts ratios up to 0.9: no further.
    bounds = geometric_lower_bounds(ratio=0.99, n=3)
    change = bounds[2] - bounds[1]
    assert _projected_limit(bounds) == pytest.approx(bounds[2] + change * 9, rel=1e-12)


def stopping_data():
    """Old Faithful, iris and wine-standardised, with a covariance type that suits each."""
    from sklearn.datasets import load_iris, load_wine

    wine = StandardScaler().fit_transform(load_wine().data)
    return {
        "faithful": (load_faithful().data, "full"),
        "iris": (load_iris().data, "full"),
        "wine": (wine, "diag"),
    }


@pytest.mark.parametrize("accelerate", [None, "squarem"])
def test_aitken_stops_within_a_few_tol_of_the_limit_and_closer_than_change(accelerate):
    # From one k-means start, a tol=1e-12 run gives the limit the runs head to.
    aitken_gaps, change_gaps = [], []
    for name, (X, covariance_type) in stopping_data().items():
        kwargs = dict(
            covariance_type=covariance_type,
            init_params="kmeans",
            accelerate=accelerate,
            random_state=0,
            max_iter=10_000,
        )
        limit = GaussianMixtureEM(3, tol=1e-12, **kwargs).fit(X).lower_bound_
        for tol in [1e-4, 1e-5, 1e-6]:
            aitken = GaussianMixtureEM(3, tol=tol, **kwargs).fit(X)
            change = GaussianMixtureEM(3, tol=tol, stopping="change", **kwargs).fit(X)
            assert aitken.converged_ and change.converged_
            gap, change_gap = limit - aitken.lower_bound_, limit - change.lower_bound_
            assert -1e-12 <= gap <= 3 * tol, (name, tol, gap / tol)
            assert gap <= change_gap, (name, tol)  # it stops at change's iterate or later
            aitken_gaps.append(gap / tol)
            change_gaps.append(change_gap / tol)
    assert sum(aitken_gaps) < 0.5 * sum(change_gaps)
