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


def test_load_penguins_keeps_the_real_missing_values():
    from emkit.datasets import load_penguins

    penguins = load_penguins()
    X, y = penguins.data, penguins.target
    assert X.shape == (344, 6) and y.shape == (344,)
    assert penguins.target_names == ["Adelie", "Chinstrap", "Gentoo"]
    np.testing.assert_array_equal(np.bincount(y), [152, 68, 124])
    np.testing.assert_array_equal(np.isnan(X).sum(axis=0), [2, 2, 2, 2, 14, 13])
    np.testing.assert_array_equal(X[1, :4], [39.5, 17.4, 186, 3800])
    X2, y2 = load_penguins(return_X_y=True)
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)
