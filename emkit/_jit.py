"""numba compilation of the plain-Python kernels of ``_inference``."""

from __future__ import annotations

import types

import numba


def compiled(function, helpers: dict | None = None, **options):
    """``function`` compiled by numba (``nogil``, cached), calling compiled ``helpers``.

    ``helpers`` maps the names of the kernels ``function`` calls to their
    compiled versions: numba cannot call plain Python, so ``function`` is
    compiled with those names rebound, and ``_inference`` itself is left as it
    is for the light predictor.
    """
    if helpers:
        namespace = {**function.__globals__, **helpers}
        clone = types.FunctionType(
            function.__code__, namespace, function.__name__, function.__defaults__
        )
        clone.__qualname__, clone.__doc__ = function.__qualname__, function.__doc__
        function = clone
    return numba.njit(nogil=True, cache=True, **options)(function)
