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


def load_penguins(*, return_X_y: bool = False):
    """Load the Palmer penguins measurements, with their missing values.

    Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (ndarray of shape (344, 6), NaN where a measurement is
        missing), ``target`` (species codes 0, 1, 2), ``target_names``,
        ``feature_names`` and ``DESCR``.

    Examples
    --------
    >>> import numpy as np
    >>> from emkit.datasets import load_penguins
    >>> penguins = load_penguins()
    >>> penguins.data.shape, int(np.isnan(penguins.data).sum())
    ((344, 6), 35)
    >>> penguins.target_names
    ['Adelie', 'Chinstrap', 'Gentoo']
    """
    with resources.files(__package__).joinpath("data", "penguins.csv").open("r") as f:
        header = f.readline().strip().split(",")
        rows = [line.strip().split(",") for line in f if line.strip()]
    numeric = header[2:8]
    data = np.array(
        [[np.nan if v == "NA" else float(v) for v in row[2:8]] for row in rows], dtype=float
    )
    target_names = sorted({row[0] for row in rows})
    target = np.array([target_names.index(row[0]) for row in rows])
    if return_X_y:
        return data, target
    descr = resources.files(__package__).joinpath("descr", "penguins.rst").read_text("utf-8")
    return Bunch(
        data=data,
        target=target,
        target_names=target_names,
        feature_names=numeric,
        DESCR=descr,
    )


__all__ = ["load_faithful", "load_penguins"]
