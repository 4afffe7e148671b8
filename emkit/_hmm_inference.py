"""Inference in hidden Markov models: forward-backward and Viterbi.

Pure functions of the start probabilities, the transition matrix, a matrix of
per-observation log emission probabilities (n_samples, n_states) and the
sequence boundaries ``starts``/``ends`` (row indices, ``ends`` exclusive). They
know nothing of emissions, run over all sequences in one call, and are
compiled by numba.

Forward-backward scales each step: the emission probabilities of step ``t``
are taken relative to their maximum over the states reachable at ``t``, and
the forward variables are renormalised, so that nothing underflows on
sequences of any length while the log-likelihood stays exact.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(nogil=True, cache=True)
def _forward_backward_one(startprob, transmat, log_frameprob, posteriors, xi):
    """One sequence; writes state posteriors, adds expected transitions to xi."""
    n_steps, n_states = log_frameprob.shape
    frames = np.empty((n_steps, n_states))
    scales = np.empty(n_steps)
    predicted = np.empty(n_states)
    log_likelihood = 0.0
    for t in range(n_steps):
        if t == 0:
            predicted[:] = startprob
        else:
            for j in range(n_states):
                total = 0.0
                for i in range(n_states):
                    total += posteriors[t - 1, i] * transmat[i, j]
                predicted[j] = total
        top = -np.inf
        for j in range(n_states):
            if predicted[j] > 0.0 and log_frameprob[t, j] > top:
                top = log_frameprob[t, j]
        if top == -np.inf:
            return -np.inf
        total = 0.0
        for j in range(n_states):
            frames[t, j] = np.exp(log_frameprob[t, j] - top) if predicted[j] > 0.0 else 0.0
            posteriors[t, j] = predicted[j] * frames[t, j]
            total += posteriors[t, j]
        for j in range(n_states):
            posteriors[t, j] /= total
        scales[t] = total
        log_likelihood += np.log(total) + top
    # Backward: posteriors hold the normalised forward variables until overwritten.
    beta = np.ones(n_states)
    weighted = np.empty(n_states)
    for t in range(n_steps - 1, -1, -1):
        if t < n_steps - 1:
            for j in range(n_states):
                weighted[j] = frames[t + 1, j] * beta[j] / scales[t + 1]
            for i in range(n_states):
                alpha = posteriors[t, i]
                total = 0.0
                for j in range(n_states):
                    term = transmat[i, j] * weighted[j]
                    xi[i, j] += alpha * term
                    total += term
                beta[i] = total
        total = 0.0
        for i in range(n_states):
            posteriors[t, i] *= beta[i]
            total += posteriors[t, i]
        for i in range(n_states):
            posteriors[t, i] /= total
    return log_likelihood


@numba.njit(nogil=True, cache=True)
def forward_backward(startprob, transmat, log_frameprob, starts, ends):
    """State posteriors, expected transition counts and log-likelihoods.

    Returns
    -------
    posteriors : (n_samples, n_states) state probabilities given each sequence.
    xi : (n_states, n_states) expected transitions summed over all sequences.
    log_likelihoods : (n_sequences,) log p(sequence); -inf if impossible.
    """
    n_states = startprob.shape[0]
    posteriors = np.zeros(log_frameprob.shape)
    xi = np.zeros((n_states, n_states))
    log_likelihoods = np.empty(starts.shape[0])
    for s in range(starts.shape[0]):
        a, b = starts[s], ends[s]
        log_likelihoods[s] = _forward_backward_one(
            startprob, transmat, log_frameprob[a:b], posteriors[a:b], xi
        )
    return posteriors, xi, log_likelihoods


@numba.njit(nogil=True, cache=True)
def viterbi(log_startprob, log_transmat, log_frameprob, starts, ends):
    """Most likely state path of every sequence and its log-probability."""
    n_samples, n_states = log_frameprob.shape
    states = np.empty(n_samples, dtype=np.int64)
    log_probs = np.empty(starts.shape[0])
    for s in range(starts.shape[0]):
        a, b = starts[s], ends[s]
        delta = log_startprob + log_frameprob[a]
        backpointers = np.empty((b - a, n_states), dtype=np.int64)
        previous = np.empty(n_states)
        for t in range(1, b - a):
            previous[:] = delta
            for j in range(n_states):
                best, arg = -np.inf, 0
                for i in range(n_states):
                    value = previous[i] + log_transmat[i, j]
                    if value > best:
                        best, arg = value, i
                delta[j] = best + log_frameprob[a + t, j]
                backpointers[t, j] = arg
        state = np.argmax(delta)
        log_probs[s] = delta[state]
        for t in range(b - a - 1, -1, -1):
            states[a + t] = state
            state = backpointers[t, state]
    return log_probs, states
