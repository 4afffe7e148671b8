"""Inference in hidden Markov models: forward-backward and Viterbi, compiled.

Pure functions of the start probabilities, the transition matrix, a matrix of
per-observation log emission probabilities (n_samples, n_states) and the
sequence boundaries ``starts``/``ends`` (row indices, ``ends`` exclusive). They
know nothing of emissions and run over all sequences in one call. Their source
is in ``_inference`` (plain Python, which the light predictor runs as is);
here numba compiles it.

Forward-backward scales each step: the emission probabilities of step ``t``
are taken relative to their maximum over the states reachable at ``t``, and
the forward variables are renormalised, so that nothing underflows on
sequences of any length while the log-likelihood stays exact.
"""

from __future__ import annotations

from . import _inference
from ._jit import compiled

_forward_backward_one = compiled(_inference._forward_backward_one)
forward_backward = compiled(
    _inference.forward_backward, {"_forward_backward_one": _forward_backward_one}
)
viterbi = compiled(_inference.viterbi)
