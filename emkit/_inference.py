"""The numerical kernels of inference, in plain Python and NumPy, imported by nothing heavier.

One source serves two callers. The estimators compile the loop kernels with
numba (``_jit.compiled``, in ``_gaussian`` and ``_hmm_inference``); the light
predictor (``emkit.light``) runs the same functions as plain Python, so that a
served model needs NumPy only and its results are the estimators' (to rounding:
numba may reassociate sums). Keep this module free of numba, scipy and
scikit-learn imports; ``tests/test_light.py`` checks that it is.

The kernels:

- ``_whitened_log_prob``: Gaussian log-densities of complete rows, one row at a
  time (what the estimators use on small problems);
- ``squared_mahalanobis``: the same quadratic form by BLAS, for many rows;
- ``_condition``: a Gaussian conditioned on each incomplete row's observed
  values, giving the log-density of the observed values and the conditional
  expectation of the missing ones;
- ``forward_backward`` and ``viterbi``: inference in hidden Markov models,
  on the sequences of ``lengths`` or ``sequence_ids`` (``sequences_of_ids``);

and the formulas both callers need:

- the log-probabilities of the emissions of counts and symbols
  (``categorical_log_prob``, ``multinomial_log_prob``, ``poisson_log_prob``)
  and of a mixture of Gaussians per HMM state (``mixture_log_prob``);
- a variational Gaussian mixture's expected log-weights and the offsets of its
  log-densities (``variational_log_offsets``).

Where a formula needs a special function (``gammaln``, ``digamma``), the
caller passes it: the estimators scipy's, the light predictor its own
(``_special``), so that neither module here imports scipy.
"""

from __future__ import annotations

import math

import numpy as np

_LOG_2 = math.log(2.0)
_LOG_2PI = math.log(2 * math.pi)


def squared_distances(y, centres):
    """out[i, k] = |y[i, k] - centres[k]|^2, for y of shape (n, k, d).

    NumPy's version; the estimators pass ``squared_mahalanobis`` a compiled
    one that makes a single pass over ``y``.
    """
    y = y - centres
    return np.einsum("nkd,nkd->nk", y, y)


def squared_mahalanobis(X, means, roots, squared_distances=squared_distances):
    """out[i, k] = |(X[i] - means[k]) @ roots[k]|^2, for (k, d, d) factors ``roots``."""
    # One stacked GEMM: block k of X @ [U_1 ... U_K] is X @ U_k.
    k, d, _ = roots.shape
    stacked = roots.transpose(1, 0, 2).reshape(d, k * d)
    y = (X @ stacked).reshape(X.shape[0], k, d)
    return squared_distances(y, np.einsum("kd,kde->ke", means, roots))


def _whitened_log_prob(X, means, roots, offsets, out):
    """out[i, k] = offsets[k] - |(X[i] - means[k]) @ roots[k]|^2 / 2."""
    (n, d), n_components = X.shape, means.shape[0]
    y = np.empty(d)
    for i in range(n):
        for k in range(n_components):
            for f in range(d):
                y[f] = X[i, f] - means[k, f]
            total = 0.0
            for g in range(d):
                s = 0.0
                for f in range(d):
                    s += y[f] * roots[k, f, g]
                total += s * s
            out[i, k] = offsets[k] - 0.5 * total


# ------------------------------------------------------------ missing values


def _cholesky(A, n, inverse_diagonal):
    """In-place lower Cholesky factor of A[:n, :n], 1 / its diagonal in inverse_diagonal.

    Returns False if A[:n, :n] is not positive-definite.
    """
    for j in range(n):
        total = A[j, j]
        for q in range(j):
            total -= A[j, q] * A[j, q]
        if total <= 0.0:
            return False
        A[j, j] = np.sqrt(total)
        inverse = 1.0 / A[j, j]
        inverse_diagonal[j] = inverse
        for i in range(j + 1, n):
            total = A[i, j]
            for q in range(j):
                total -= A[i, q] * A[j, q]
            A[i, j] = total * inverse
    return True


def _solve_lower(L, n, v, inverse_diagonal):
    """v[:n] <- L^-1 v[:n] for the lower triangular L[:n, :n] (see ``_cholesky``)."""
    for c in range(n):
        total = v[c]
        for b in range(c):
            total -= L[c, b] * v[b]
        v[c] = total * inverse_diagonal[c]


def _condition(
    X,
    rows,
    offsets,
    columns,
    n_missing,
    mean,
    root,
    precision,
    covariance,
    noise,
    log_prob,
    filled,
    blocks,
    ends,
):
    """One component's Gaussian, conditioned on each incomplete row's observed values.

    Given its observed values x_o, a row's missing values x_m are distributed
    as N(mu_m + S_mo S_oo^-1 (x_o - mu_o), S_mm - S_mo S_oo^-1 S_om) (S the
    covariance), or equally, with the precision P = root root^T (root upper
    triangular, the precision Cholesky factor), as N(mu_m - P_mm^-1 P_mo (x_o -
    mu_o), P_mm^-1). Each pattern factorises the smaller block: P_mm = L L^T if
    no more values are missing than observed, else S_oo = L L^T. With x the
    row completed by its conditional mean, log N_o(x_o) = log N(x) + m/2 log
    2pi + 1/2 log det C (C the conditional covariance).

    Pattern p holds rows ``rows[offsets[p]:offsets[p + 1]]``, misses the last
    ``n_missing[p]`` columns of ``columns[p]`` and observes the others. Row r
    of ``filled`` is X row ``rows[r]`` completed by its conditional mean, plus
    ``chol(C) noise[r, :m]`` if ``noise`` has rows (a draw). If ``log_prob``
    has rows, it gets log N_o(x_o) except the Mahalanobis term -||root^T (x -
    mu)||^2 / 2, left to the caller (it equals the observed values'
    Mahalanobis term). If ``blocks`` has entries, the lower triangle of the C
    of pattern p goes to ``blocks[ends[p]:ends[p + 1]]``, row by row.
    ``covariance`` is read only by patterns with more values missing than
    observed. Returns True if a block is not positive-definite.
    """
    d = mean.shape[0]
    log_det_root = 0.0
    for f in range(d):
        log_det_root += np.log(root[f, f])
    L = np.empty((d, d))
    T = np.empty((d, d))  # L^-1 S_om; or L^-1, transposed, in the precision form
    C = np.empty((d, d))
    u = np.empty(d)
    delta = np.zeros(d)
    inverse_diagonal = np.empty(d)  # of L
    scratch = np.empty(d)
    for p in range(offsets.shape[0] - 1):
        n_m = n_missing[p]
        n_o = d - n_m
        o_idx = columns[p, :n_o]
        m_idx = columns[p, n_o:]
        by_precision = n_m <= n_o
        n_f = n_m if by_precision else n_o
        for a in range(n_f):
            for b in range(a + 1):
                if by_precision:
                    L[a, b] = precision[m_idx[a], m_idx[b]]
                else:
                    L[a, b] = covariance[o_idx[a], o_idx[b]]
        if not _cholesky(L, n_f, inverse_diagonal):
            return True
        # log det root + 1/2 log det C: C = (L L^T)^-1, or det S = det S_oo det C
        constant = -0.5 * n_o * _LOG_2PI + (log_det_root if by_precision else 0.0)
        product = 1.0
        for a in range(n_f):
            product *= L[a, a]
        if 1e-300 < product < 1e300:  # one log, unless the product leaves the normal range
            constant -= np.log(product)
        else:
            for a in range(n_f):
                constant -= np.log(L[a, a])
        if not by_precision:  # T = L^-1 S_om, row by row
            for a in range(n_o):
                for c in range(n_m):
                    T[a, c] = covariance[o_idx[a], m_idx[c]]
                for b in range(a):
                    factor = L[a, b]
                    for c in range(n_m):
                        T[a, c] -= factor * T[b, c]
                factor = inverse_diagonal[a]
                for c in range(n_m):
                    T[a, c] *= factor
        if blocks.shape[0] > 0 or noise.shape[0] > 0:
            if by_precision:  # C = M^T M, M = L^-1 (lower), T = M^T
                for j in range(n_m):
                    T[j, j] = inverse_diagonal[j]
                    for i in range(j + 1, n_m):
                        total = 0.0
                        for q in range(j, i):
                            total += L[i, q] * T[j, q]
                        T[j, i] = -total * inverse_diagonal[i]
                for a in range(n_m):
                    for b in range(a + 1):
                        total = 0.0
                        for q in range(a, n_m):
                            total += T[a, q] * T[b, q]
                        C[a, b] = total
            else:  # C = S_mm - T^T T
                for a in range(n_m):
                    for b in range(a + 1):
                        C[a, b] = covariance[m_idx[a], m_idx[b]]
                for q in range(n_o):
                    for a in range(n_m):
                        factor = T[q, a]
                        for b in range(a + 1):
                            C[a, b] -= factor * T[q, b]
            if blocks.shape[0] > 0:
                start = ends[p]
                for a in range(n_m):
                    for b in range(a + 1):
                        blocks[start + b] = C[a, b]
                    start += a + 1
            if noise.shape[0] > 0 and not _cholesky(C, n_m, scratch):
                return True
        for r in range(offsets[p], offsets[p + 1]):
            i = rows[r]
            if by_precision:  # u = -L^-T L^-1 P_mo (x_o - mu_o)
                for a in range(n_o):
                    delta[o_idx[a]] = X[i, o_idx[a]] - mean[o_idx[a]]
                for c in range(n_m):
                    delta[m_idx[c]] = 0.0
                for c in range(n_m):
                    total = 0.0
                    for f in range(d):
                        total += precision[m_idx[c], f] * delta[f]
                    u[c] = total
                _solve_lower(L, n_m, u, inverse_diagonal)
                for c in range(n_m - 1, -1, -1):
                    total = u[c]
                    for b in range(c + 1, n_m):
                        total -= L[b, c] * u[b]
                    u[c] = total * inverse_diagonal[c]
                for c in range(n_m):
                    u[c] = -u[c]
            else:  # u = T^T L^-1 (x_o - mu_o)
                for a in range(n_o):
                    delta[a] = X[i, o_idx[a]] - mean[o_idx[a]]
                _solve_lower(L, n_o, delta, inverse_diagonal)
                for c in range(n_m):
                    u[c] = 0.0
                for a in range(n_o):
                    factor = delta[a]
                    for c in range(n_m):
                        u[c] += factor * T[a, c]
            if noise.shape[0] > 0:
                for c in range(n_m):
                    for b in range(c + 1):
                        u[c] += C[c, b] * noise[r, b]
            if log_prob.shape[0] > 0:
                log_prob[r] = constant
            for a in range(n_o):
                filled[r, o_idx[a]] = X[i, o_idx[a]]
            for c in range(n_m):
                filled[r, m_idx[c]] = mean[m_idx[c]] + u[c]
    return False


def observed_log_prob(constants, filled, mean, root):
    """log N_o(x_o) of incomplete rows, from ``_condition``'s ``log_prob`` (``constants``)
    and ``filled`` rows: the Mahalanobis term of the completed rows, by BLAS."""
    whitened = (filled - mean) @ root
    return constants - 0.5 * np.einsum("ij,ij->i", whitened, whitened)


def log_sum_exp(a: np.ndarray, axis: int) -> np.ndarray:
    """log(sum(exp(a))) along ``axis``, without overflow; -inf where every entry is."""
    top = np.max(a, axis=axis, keepdims=True)
    top[~np.isfinite(top)] = 0.0
    with np.errstate(divide="ignore"):
        return np.log(np.sum(np.exp(a - top), axis=axis)) + np.squeeze(top, axis=axis)


def class_log_proba(log_joint: np.ndarray, n_classes: int) -> np.ndarray:
    """log P(class | x) from log p(x, component), the classes' components consecutive."""
    per_class = log_sum_exp(log_joint.reshape(len(log_joint), n_classes, -1), axis=2)
    return per_class - log_sum_exp(per_class, axis=1)[:, None]


# ------------------------------------------------------------ variational mixtures


def wishart_halves(degrees_of_freedom, n_features: int) -> np.ndarray:
    """(nu - j) / 2 for j < d, along a last axis: the arguments of the Wishart's
    digamma and gamma sums."""
    return 0.5 * np.subtract.outer(degrees_of_freedom, np.arange(n_features))


def expected_weights(concentration: np.ndarray) -> np.ndarray:
    """The expected mixing weights under a Dirichlet posterior of concentrations (k,),
    or a stick-breaking one of the sticks' Beta parameters (2, k)."""
    if concentration.ndim == 1:
        return concentration / concentration.sum()
    a, b = concentration
    left = b / (a + b)  # the expected share of each stick left to the next ones
    weights = a / (a + b) * np.hstack((1.0, np.cumprod(left[:-1])))
    return weights / weights.sum()


def expected_log_weights(concentration: np.ndarray, digamma) -> np.ndarray:
    """E[log pi_k] under the posterior of the weights (see ``expected_weights``)."""
    if concentration.ndim == 1:
        return digamma(concentration) - digamma(concentration.sum())
    a, b = concentration
    digamma_sum = digamma(a + b)
    left = np.cumsum(digamma(b) - digamma_sum)[:-1]
    return digamma(a) - digamma_sum + np.hstack((0.0, left))


def expected_log_density_offsets(
    mean_precision, degrees_of_freedom, n_features: int, digamma
) -> np.ndarray:
    """What a Gaussian log-density at the expected precision lacks of its expectation
    under normal-Wishart posteriors (Bishop's 10.64-10.65): half the expected log
    determinant of the precision less that of the expected precision, less d / beta."""
    d, nu = n_features, degrees_of_freedom
    log_det = d * _LOG_2 + digamma(wishart_halves(nu, d)).sum(axis=-1) - d * np.log(nu)
    return 0.5 * (log_det - d / mean_precision)


def variational_log_offsets(
    concentration, mean_precision, degrees_of_freedom, n_features: int, digamma
) -> np.ndarray:
    """What each component adds to the Gaussian log-density at its expected precision to
    give log rho (Bishop's 10.46): its expected log-weight and its
    ``expected_log_density_offsets``."""
    return expected_log_weights(concentration, digamma) + expected_log_density_offsets(
        mean_precision, degrees_of_freedom, n_features, digamma
    )


# ------------------------------------------------------------ emissions


def categorical_log_prob(symbols: np.ndarray, emissionprob: np.ndarray) -> np.ndarray:
    """log emissionprob[k, x_i] for every row and state, shape (n, k)."""
    with np.errstate(divide="ignore"):
        return np.log(emissionprob).T[symbols]


def multinomial_log_prob(X, log_emissionprob: np.ndarray, gammaln) -> np.ndarray:
    """log of the multinomial probability of every row of counts X (dense or sparse) under
    every row of probabilities ``exp(log_emissionprob)``, its total the number of trials.

    A count of a category of probability 0 is impossible (-inf); a category of
    probability 0 with no count adds nothing (0 log 0 = 0).
    """
    possible = np.isfinite(log_emissionprob)
    log_prob = X @ np.where(possible, log_emissionprob, 0.0).T  # dense, X sparse or not
    if not possible.all():
        impossible = X @ (~possible).T.astype(float) > 0
        log_prob[impossible] = -np.inf
    return log_prob + log_multinomial_coefficient(X, gammaln)[:, None]


def log_multinomial_coefficient(X, gammaln) -> np.ndarray:
    """log(n_i! / prod_f x_if!) for every row of counts X (dense, or scipy's sparse)."""
    if hasattr(X, "tocsr"):  # sparse: the zeros add gammaln(1) = 0
        terms = X.copy()
        terms.data = gammaln(terms.data + 1)
    else:
        terms = gammaln(X + 1)
    totals = np.asarray(X.sum(axis=1)).ravel()
    return gammaln(totals + 1) - np.asarray(terms.sum(axis=1)).ravel()


def poisson_log_prob(X: np.ndarray, lambdas: np.ndarray, gammaln) -> np.ndarray:
    """Sum over features of log Poisson(x_if | lambda_kf), shape (n, k)."""
    return X @ np.log(lambdas).T - lambdas.sum(axis=1) - gammaln(X + 1).sum(axis=1)[:, None]


def mixture_log_prob(log_prob: np.ndarray, log_weights: np.ndarray):
    """Log-densities of the states' mixtures, shape (n, n_states), from those of
    their components, shape (n, n_states * n_mix); and each component's share
    of its state's density, in the components' shape. (Also of any mixtures
    side by side: the exploring start's runs.)

    A log-sum-exp over each state's components, one ``exp`` serving both
    results; ufuncs over one component of every state at a time, as NumPy's
    reductions over a short axis are slow (see ``_utils``).
    """
    n, (n_states, n_mix) = len(log_prob), log_weights.shape
    share = (log_prob + log_weights.ravel()).reshape(n, n_states, n_mix)
    top = share[:, :, 0].copy()
    for j in range(1, n_mix):
        np.maximum(top, share[:, :, j], out=top)
    top[~np.isfinite(top)] = 0.0  # a state under which the row is impossible
    share -= top[:, :, None]
    np.exp(share, out=share)
    total = share[:, :, 0].copy()
    for j in range(1, n_mix):
        total += share[:, :, j]
    with np.errstate(divide="ignore", invalid="ignore"):  # the impossible rows
        share /= total[:, :, None]
        return np.log(total) + top, share.reshape(n, n_states * n_mix)


# ------------------------------------------------------------ hidden Markov models


def sequences_of_ids(sequence_ids, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the sequences of ``sequence_ids``, one id per row, each
    sequence's rows consecutive."""
    ids = np.asarray(sequence_ids)
    if ids.ndim != 1 or len(ids) != n_samples:
        raise ValueError(
            f"sequence_ids must have one id per row of X: shape ({n_samples},), got {ids.shape}."
        )
    if ids.dtype.kind in "fc" and not np.all(np.isfinite(ids)):
        raise ValueError("sequence_ids must be finite: found NaN or infinity.")
    if n_samples == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(ids[1:] != ids[:-1]) + 1]
    run_ids = ids[starts]
    try:
        n_distinct = len(np.unique(run_ids))
    except (TypeError, ValueError) as error:  # ids that cannot be compared with each other
        raise type(error)(f"sequence_ids: {error}") from error
    if n_distinct != len(run_ids):
        repeated = run_ids[np.argmax([np.sum(run_ids == i) > 1 for i in run_ids])]
        raise ValueError(
            f"sequence_ids: the rows of sequence {repeated} are not contiguous; the "
            "rows of each sequence must be consecutive and in time order."
        )
    return starts.astype(np.int64), np.r_[starts[1:], n_samples].astype(np.int64)


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
