"""Expectations and divergences of the conjugate posteriors of variational models.

Dirichlet posteriors of probabilities and Wishart posteriors of precisions,
as the variational mixture and the variational HMMs use them. A Wishart of
``nu`` degrees of freedom is given by its inverse scale ``S`` (its mean
precision is ``nu S^-1``), as hmmlearn's ``scale_posterior_``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import digamma, gammaln

from ._inference import wishart_halves

LOG_2 = math.log(2.0)


def expected_log_dirichlet(concentration: np.ndarray) -> np.ndarray:
    """E[log p] under Dirichlet distributions along the last axis."""
    return digamma(concentration) - digamma(concentration.sum(axis=-1, keepdims=True))


def kl_dirichlet(q: np.ndarray, p: np.ndarray) -> float:
    """KL(Dir(q) || Dir(p)), summed over the distributions along the last axis."""
    q_sum, p_sum = q.sum(axis=-1), p.sum(axis=-1)
    return float(
        np.sum(gammaln(q_sum) - gammaln(p_sum))
        - np.sum(gammaln(q) - gammaln(p))
        + np.sum((q - p) * expected_log_dirichlet(q))
    )


def expected_log_det_wishart(nu, log_det_scale, n_features: int):
    """E[log |Lambda|] of Wishart precisions with inverse scales of log-determinant
    ``log_det_scale``."""
    halves = wishart_halves(nu, n_features)
    return digamma(halves).sum(axis=-1) + n_features * LOG_2 - log_det_scale


def _log_normaliser(nu, log_det_scale, n_features: int):
    """Log of the Wishart's normalising constant, less the ``log pi`` term that cancels
    in a divergence."""
    halves = wishart_halves(nu, n_features)
    return gammaln(halves).sum(axis=-1) - 0.5 * nu * (log_det_scale - n_features * LOG_2)


def kl_wishart(nu_q, scale_q: np.ndarray, nu_p, scale_p: np.ndarray) -> float:
    """KL(W(nu_q, scale_q^-1) || W(nu_p, scale_p^-1)), summed over a stack of (d, d)
    inverse scales."""
    d = scale_q.shape[-1]
    log_det_q = np.linalg.slogdet(scale_q)[1]
    log_det_p = np.linalg.slogdet(scale_p)[1]
    trace = np.einsum("...ij,...ji->...", scale_p, np.linalg.inv(scale_q))
    return float(
        np.sum(
            0.5 * (nu_q - nu_p) * expected_log_det_wishart(nu_q, log_det_q, d)
            + 0.5 * nu_q * (trace - d)
            + _log_normaliser(nu_p, log_det_p, d)
            - _log_normaliser(nu_q, log_det_q, d)
        )
    )
