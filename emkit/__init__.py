"""emkit: scikit-learn estimators trained by expectation-maximization.

The public names are imported when first used (PEP 562), so that ``import emkit``
and ``emkit --help`` do not load numpy, scikit-learn or numba.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._monitor import IterationRecord
    from .bayesian_mixture import BayesianGaussianMixtureEM
    from .hmm import HMMEM
    from .impute import EMImputer
    from .mixture import GaussianMixtureEM
    from .semi_supervised import SemiSupervisedEM
    from .variational_hmm import VariationalHMMEM

__all__ = [
    "HMMEM",
    "BayesianGaussianMixtureEM",
    "EMImputer",
    "GaussianMixtureEM",
    "IterationRecord",
    "SemiSupervisedEM",
    "VariationalHMMEM",
]
__version__ = "0.1.0"

_MODULES = {
    "BayesianGaussianMixtureEM": "bayesian_mixture",
    "HMMEM": "hmm",
    "EMImputer": "impute",
    "GaussianMixtureEM": "mixture",
    "IterationRecord": "_monitor",
    "SemiSupervisedEM": "semi_supervised",
    "VariationalHMMEM": "variational_hmm",
}


def __getattr__(name: str):
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_MODULES[name]}", __name__), name)
    globals()[name] = value  # the next look-up is an ordinary one
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
