"""SQUAREM: squared extrapolation of EM steps, for any model.

Varadhan & Roland (2008), scheme S3, with the step-length bounds of their R
package ``SQUAREM``. Three consecutive EM iterates t0, t1 = F(t0), t2 = F(t1),
mapped to unconstrained coordinates by the model (log weights, Cholesky
factors with log diagonal, ...), give r = t1 - t0 and v = t2 - 2 t1 + t0; the
extrapolated point is t0 + 2 a r + a^2 v with a = |r| / |v| in [1, step_max]
(a = 1 gives t2). The driver keeps it only if its log-likelihood is finite and
not below that of t0.
"""

from __future__ import annotations

import math

import numpy as np

_STEP_FACTOR = 4.0


class Squarem:
    """Extrapolation with an adaptive bound on the step length."""

    def __init__(self):
        self.step_max = 1.0
        self.step = 1.0
        self.contraction = 0.0

    def extrapolate(self, model, params0, params1, params2):
        """The extrapolated parameters from three consecutive EM iterates.

        Coordinates that are not finite in all three (log of a probability
        that is zero) take their value in ``params2``.
        """
        arrays = [model.unconstrained(p) for p in (params0, params1, params2)]
        x0, x1, x2 = (np.concatenate([a.ravel() for a in values]) for values in arrays)
        with np.errstate(invalid="ignore"):
            r = x1 - x0
            v = x2 - x1 - r
            s = x2 - x1
        finite = np.isfinite(v)  # v is finite only where x0, x1 and x2 are
        r = np.where(finite, r, 0.0)
        v = np.where(finite, v, 0.0)
        r_norm, v_norm = math.sqrt(r @ r), math.sqrt(v @ v)
        # |t2 - t1| / |t1 - t0|: how much EM's steps shrink (for the stopping rule).
        s_norm = np.linalg.norm(np.where(finite, s, 0.0))
        self.contraction = 0.0 if r_norm == 0.0 else float(s_norm / r_norm)
        self.step = 1.0 if v_norm == 0.0 else min(max(r_norm / v_norm, 1.0), self.step_max)
        a = self.step
        x = np.where(finite, x0 + 2 * a * r + a * a * v, x2)
        pieces, start = [], 0
        for part in arrays[2]:
            pieces.append(x[start : start + part.size].reshape(part.shape))
            start += part.size
        return model.from_unconstrained(pieces)

    def update(self, accepted: bool) -> None:
        """Widen the step bound after an accepted full step, narrow it after a rejection.

        The R package narrows the bound only when the rejected step was at the
        bound; narrowing it below any rejected step ends runs of rejections
        of about the same length, seen in slowly converging mixtures.
        """
        if accepted and self.step == self.step_max:
            self.step_max *= _STEP_FACTOR
        elif not accepted:
            self.step_max = max(1.0, self.step / _STEP_FACTOR)
