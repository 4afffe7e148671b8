"""emkit: scikit-learn estimators trained by expectation-maximization."""

from ._monitor import IterationRecord
from .hmm import HMMEM
from .mixture import GaussianMixtureEM

__all__ = ["HMMEM", "GaussianMixtureEM", "IterationRecord"]
__version__ = "0.1.0"
