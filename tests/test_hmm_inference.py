"""Forward-backward and Viterbi against brute-force enumeration of all state paths."""

import itertools

import numpy as np
import pytest
from scipy.special import logsumexp

from emkit._hmm_inference import forward_backward, viterbi


def random_model(rng, n_states, n_steps, zeros=False):
    startprob = rng.dirichlet(np.ones(n_states))
    transmat = rng.dirichlet(np.ones(n_states), size=n_states)
    if zeros:  # a left-right topology
        transmat = np.triu(transmat)
        transmat /= transmat.sum(axis=1, keepdims=True)
    log_frameprob = rng.normal(scale=3.0, size=(n_steps, n_states))
    return startprob, transmat, log_frameprob


def brute_force(startprob, transmat, log_frameprob):
    n_steps, n_states = log_frameprob.shape
    paths = np.array(list(itertools.product(range(n_states), repeat=n_steps)))
    with np.errstate(divide="ignore"):
        log_p = np.log(startprob[paths[:, 0]]) + log_frameprob[0, paths[:, 0]]
        for t in range(1, n_steps):
            log_p += np.log(transmat[paths[:, t - 1], paths[:, t]]) + log_frameprob[t, paths[:, t]]
    total = logsumexp(log_p)
    weights = np.exp(log_p - total)
    posteriors = np.zeros((n_steps, n_states))
    xi = np.zeros((n_states, n_states))
    for t in range(n_steps):
        np.add.at(posteriors[t], paths[:, t], weights)
        if t:
            np.add.at(xi, (paths[:, t - 1], paths[:, t]), weights)
    best = np.argmax(log_p)
    return total, posteriors, xi, log_p[best], paths[best]


@pytest.mark.parametrize("seed", range(12))
def test_against_enumeration_of_all_paths(seed):
    rng = np.random.RandomState(seed)
    n_states = rng.randint(1, 4)
    lengths = rng.randint(1, 6, size=rng.randint(1, 4))
    startprob, transmat, log_frameprob = random_model(
        rng, n_states, lengths.sum(), zeros=seed % 3 == 0
    )
    ends = np.cumsum(lengths)
    starts = ends - lengths
    posteriors, xi, log_likelihoods = forward_backward(
        startprob, transmat, log_frameprob, starts, ends
    )
    with np.errstate(divide="ignore"):
        log_probs, states = viterbi(
            np.log(startprob), np.log(transmat), log_frameprob, starts, ends
        )
    expected_xi = np.zeros_like(xi)
    for s, (a, b) in enumerate(zip(starts, ends)):
        total, post, seq_xi, best_log_p, best_path = brute_force(
            startprob, transmat, log_frameprob[a:b]
        )
        assert log_likelihoods[s] == pytest.approx(total, rel=1e-12)
        np.testing.assert_allclose(posteriors[a:b], post, atol=1e-12)
        expected_xi += seq_xi
        assert log_probs[s] == pytest.approx(best_log_p, rel=1e-12)
        np.testing.assert_array_equal(states[a:b], best_path)
    np.testing.assert_allclose(xi, expected_xi, atol=1e-12)


def test_long_sequence_with_many_states_stays_finite():
    rng = np.random.RandomState(0)
    n_states, n_steps = 50, 1_000_000
    startprob, transmat, _ = random_model(rng, n_states, 1)
    log_frameprob = rng.normal(loc=-40.0, scale=20.0, size=(n_steps, n_states))
    starts, ends = np.array([0]), np.array([n_steps])
    posteriors, xi, log_likelihoods = forward_backward(
        startprob, transmat, log_frameprob, starts, ends
    )
    assert np.isfinite(log_likelihoods[0])
    np.testing.assert_allclose(posteriors.sum(axis=1), 1.0)
    assert xi.sum() == pytest.approx(n_steps - 1)
    log_probs, states = viterbi(np.log(startprob), np.log(transmat), log_frameprob, starts, ends)
    assert np.isfinite(log_probs[0]) and log_probs[0] <= log_likelihoods[0]
    assert states.min() >= 0 and states.max() < n_states


def test_unreachable_states_and_far_outliers():
    # A left-right chain whose emissions favour an unreachable state by 1000 nats.
    startprob = np.array([1.0, 0.0, 0.0])
    transmat = np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5], [0.0, 0.0, 1.0]])
    log_frameprob = np.array([[0.0, -5.0, 1000.0], [-1.0, -2.0, 0.0], [-3.0, -1.0, -2.0]])
    starts, ends = np.array([0]), np.array([3])
    posteriors, xi, log_likelihoods = forward_backward(
        startprob, transmat, log_frameprob, starts, ends
    )
    total, post, seq_xi, _, _ = brute_force(startprob, transmat, log_frameprob)
    assert log_likelihoods[0] == pytest.approx(total, rel=1e-12)
    np.testing.assert_allclose(posteriors, post, atol=1e-12)
    np.testing.assert_allclose(xi, seq_xi, atol=1e-12)


def test_impossible_sequence_has_minus_infinite_log_likelihood():
    startprob = np.array([1.0, 0.0])
    transmat = np.eye(2)
    log_frameprob = np.array([[-np.inf, 0.0]])
    _, _, log_likelihoods = forward_backward(
        startprob, transmat, log_frameprob, np.array([0]), np.array([1])
    )
    assert log_likelihoods[0] == -np.inf
