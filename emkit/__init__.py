"""emkit: scikit-learn estimators trained by expectation-maximization."""

from ._monitor import IterationRecord
from .hmm import HMMEM
from .impute import EMImputer
from .mixture import GaussianMixtureEM
from .semi_supervised import SemiSupervisedEM

__all__ = ["HMMEM", "EMImputer", "GaussianMixtureEM", "IterationRecord", "SemiSupervisedEM"]
__version__ = "0.1.0"
