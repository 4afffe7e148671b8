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

    def extrapolate(self, model, params0, params1, params2):
        """The extrapolated parameters from three consecutive EM iterates.

        Coordinates that are not finite in all three (log of a probability
        that is zero) take their value in ``params2``.
        """
        x0, x1, x2 = (model.unconstrained(p) for p in (params0, params1, params2))
        with np.errstate(invalid="ignore"):
            finite = [np.isfinite(a + b + c) for a, b, c in zip(x0, x1, x2, strict=True)]
            r = [np.where(f, b - a, 0.0) for f, a, b in zip(finite, x0, x1, strict=True)]
            v = [np.where(f, c - b, 0.0) - d for f, b, c, d in zip(finite, x1, x2, r, strict=True)]
        r_norm = math.sqrt(sum(float(np.sum(d * d)) for d in r))
        v_norm = math.sqrt(sum(float(np.sum(d * d)) for d in v))
        self.step = 1.0 if v_norm == 0.0 else min(max(r_norm / v_norm, 1.0), self.step_max)
        a = self.step
        x = [
            np.where(f, x + 2 * a * d + a * a * e, c)
            for f, x, d, e, c in zip(finite, x0, r, v, x2, strict=True)
        ]
        return model.from_unconstrained(x)

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
