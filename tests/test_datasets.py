import numpy as np

from emkit.datasets import load_faithful


def test_load_faithful():
    faithful = load_faithful()
    X = faithful.data
    assert X.shape == (272, 2) and X.dtype == np.float64
    assert faithful.feature_names == ["eruptions", "waiting"]
    np.testing.assert_array_equal(X[:3], [[3.6, 79], [1.8, 54], [3.333, 74]])
    # R: mean(faithful$eruptions), mean(faithful$waiting)
    np.testing.assert_allclose(X.mean(axis=0), [3.487783, 70.897059], rtol=1e-6)
    assert "Old Faithful" in faithful.DESCR
    X2, y = load_faithful(return_X_y=True)
    np.testing.assert_array_equal(X, X2)
    assert y is None
