import numpy as np
import pytest

from emkit import GaussianMixtureEM
from emkit.datasets import load_faithful

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from emkit.plotting import plot_mixture  # noqa: E402


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_plot_mixture_draws_one_ellipse_per_component(covariance_type):
    X = load_faithful().data
    gm = GaussianMixtureEM(3, covariance_type=covariance_type, random_state=0).fit(X)
    ax = plot_mixture(gm, X)
    assert len(ax.patches) == 3
    centres = np.array([patch.center for patch in ax.patches])
    np.testing.assert_allclose(centres, gm.means_)
    with pytest.raises(ValueError, match="plot_mixture draws 2-D data"):
        plot_mixture(gm, np.c_[X, X])
