"""Small real data sets shipped with emkit."""

from __future__ import annotations

from importlib import resources

import numpy as np
from sklearn.utils import Bunch


def _read_csv(name: str) -> tuple[np.ndarray, list[str]]:
    with resources.files(__package__).joinpath("data", name).open("r") as f:
        header = f.readline().strip().split(",")
        data = np.loadtxt(f, delimiter=",", ndmin=2)
    return data, header


def load_faithful(*, return_X_y: bool = False):
    """Load the Old Faithful geyser data (272 eruptions, 2 features).

    Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(X, None)`` instead of a Bunch, as scikit-learn's
        loaders do for data sets without a target.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (ndarray of shape (272, 2): eruption time and waiting time,
        in minutes), ``feature_names`` and ``DESCR``.

    Examples
    --------
    >>> from emkit.datasets import load_faithful
    >>> faithful = load_faithful()
    >>> faithful.data.shape
    (272, 2)
    >>> faithful.feature_names
    ['eruptions', 'waiting']
    """
    data, header = _read_csv("faithful.csv")
    if return_X_y:
        return data, None
    descr = resources.files(__package__).joinpath("descr", "faithful.rst").read_text("utf-8")
    return Bunch(data=data, feature_names=header, DESCR=descr)


__all__ = ["load_faithful"]
