"""Predictions from a saved model with NumPy alone, for serving.

:func:`from_json` reads what :func:`emkit.io.to_json` writes and returns a
predictor that imports neither scikit-learn, scipy nor numba, so that a
process which serves a model starts quickly and carries few dependencies.
Its inference is the estimators' own: the kernels of ``emkit._inference``,
which the estimators compile with numba and which run here as plain Python
and NumPy. Its results equal the estimator's to rounding.

Supported: every model :func:`emkit.io.to_json` writes, but an imputer that
draws. :class:`~emkit.GaussianMixtureEM` and
:class:`~emkit.BayesianGaussianMixtureEM` (``predict``, ``predict_proba``,
``score_samples``), :class:`~emkit.EMImputer` (``transform`` by conditional
expectations, ``predict_proba``, ``score_samples``), :class:`~emkit.HMMEM`
with any emission (``predict``, ``predict_proba``, ``decode``, ``score``, by
``lengths`` or ``sequence_ids``) and :class:`~emkit.SemiSupervisedEM`
(``predict``, ``predict_proba``, ``predict_log_proba``); Gaussian ones with
missing values (NaN) marginalised as the estimators do. Computations are in
float64. Given a ``key``, a signed document is verified as
:func:`emkit.io.from_json` verifies it (``emkit._signing``).

Complete rows go through NumPy and BLAS; incomplete rows and HMM sequences
through the kernels' Python loops, many times slower than the compiled ones on
large batches: this is for answering few rows from a fresh process.
"""

from __future__ import annotations

import math

import numpy as np

from ._covariance import COVARIANCE_TYPES, structure
from ._inference import (
    _condition,
    _whitened_log_prob,
    categorical_log_prob,
    class_log_proba,
    expected_weights,
    forward_backward,
    mixture_log_prob,
    multinomial_log_prob,
    observed_log_prob,
    poisson_log_prob,
    sequences_of_ids,
    squared_mahalanobis,
    variational_log_offsets,
    viterbi,
)
from ._missing import find_missing
from ._signing import key_bytes, read_document
from ._special import digamma, gammaln
from ._utils import log_normalize

__all__ = [
    "LightBayesianGaussianMixture",
    "LightGaussianMixture",
    "LightHMM",
    "LightImputer",
    "LightSemiSupervised",
    "from_json",
]


# Up to this much work (rows x components x features^2), complete rows take the
# per-row kernel, as in the estimators (``_gaussian._ROWWISE_WORK``); beyond, BLAS.
_ROWWISE_WORK = 2**15


class _Gaussians:
    """Gaussian components: log-densities of rows and conditional expectations.

    ``roots[k]`` is the upper triangular precision Cholesky factor of
    component k (``precision = root @ root.T``).
    """

    def __init__(
        self,
        means: np.ndarray,
        covariance_type: str,
        covariances: np.ndarray,
        mixture_size: int | None = None,
    ):
        k, d = means.shape
        matrices = structure(covariance_type, mixture_size).full_matrices(covariances, k, d)
        try:
            factors = np.linalg.cholesky(matrices)
        except np.linalg.LinAlgError:
            raise ValueError("model file: the covariances are not positive-definite.") from None
        self.means = means
        self.roots = np.ascontiguousarray(np.swapaxes(np.linalg.inv(factors), -1, -2))
        log_det = np.log(np.diagonal(self.roots, axis1=-2, axis2=-1)).sum(axis=-1)
        self.offsets = log_det - 0.5 * d * math.log(2 * math.pi)

    def check(self, X: np.ndarray) -> np.ndarray:
        """X as the components take it: NaN marks a missing value."""
        return X

    def log_prob(self, X: np.ndarray, expectations: bool = False):
        """Log-density of each row's observed values under each component, shape (n, k).

        With ``expectations``, also each component's rows completed by their
        conditional expectations given the observed values, rows in
        ``missing.rows`` order, and ``missing`` (None if nothing is missing).
        """
        n, k = X.shape[0], len(self.means)
        missing = find_missing(X)
        out = np.empty((n, k))
        complete = np.arange(n) if missing is None else missing.complete
        if len(complete):
            out[complete] = self._complete_log_prob(X[complete])
        filled = []
        if missing is not None:
            for j, (log_prob, completed) in enumerate(self._conditionals(X, missing)):
                out[missing.rows, j] = log_prob
                filled.append(completed)
        return (out, filled, missing) if expectations else out

    def _complete_log_prob(self, X: np.ndarray) -> np.ndarray:
        (n, d), k = X.shape, len(self.means)
        if n * k * d**2 <= _ROWWISE_WORK:
            out = np.empty((n, k))
            _whitened_log_prob(X, self.means, self.roots, self.offsets, out)
            return out
        return self.offsets - 0.5 * squared_mahalanobis(X, self.means, self.roots)

    def _conditionals(self, X: np.ndarray, missing):
        """(log-densities of the observed values, completed rows) of each component."""
        n, d = len(missing.rows), X.shape[1]
        n_missing = missing.n_missing
        for mean, root in zip(self.means, self.roots, strict=True):
            covariance = np.empty((0, 0))  # read only where more is missing than observed
            if 2 * n_missing.max() > d:
                inverse_root = np.linalg.inv(root)
                covariance = inverse_root.T @ inverse_root
            log_prob, filled = np.empty(n), np.empty((n, d))
            failed = _condition(
                X,
                missing.rows,
                missing.offsets,
                missing.columns,
                n_missing,
                mean,
                root,
                root @ root.T,
                covariance,
                np.empty((0, d)),
                log_prob,
                filled,
                np.empty(0),
                missing.block_ends,
            )
            if failed:
                raise ValueError("the covariances are not positive-definite.")
            yield observed_log_prob(log_prob, filled, mean, root), filled


class _GaussianMixtures:
    """A mixture of Gaussians per HMM state (``emission="gmm"``): weights (k, m)."""

    def __init__(self, weights, means, covariance_type: str, covars):
        (k, m), d = weights.shape, means.shape[-1]
        flat = covars.reshape(structure(covariance_type, m).shape(k * m, d))
        self.gaussians = _Gaussians(means.reshape(k * m, d), covariance_type, flat, m)
        with np.errstate(divide="ignore"):  # a weight of 0
            self.log_weights = np.log(weights)

    def check(self, X: np.ndarray) -> np.ndarray:
        return X

    def log_prob(self, X: np.ndarray) -> np.ndarray:
        return mixture_log_prob(self.gaussians.log_prob(X), self.log_weights)[0]


def _check_counts(X: np.ndarray, what: str, integers: bool = True) -> np.ndarray:
    """X of counts, as the estimators' emissions of counts and symbols take them."""
    if np.isnan(X).any():
        raise ValueError(
            f"X contains NaN: X must hold {what} (only Gaussian emissions accept NaN)."
        )
    if integers and (np.mod(X, 1) != 0).any():
        raise ValueError(f"X must hold {what}; found non-integer values.")
    if (X < 0).any():
        raise ValueError(f"X must hold {what}; found negative values.")
    if integers and (X > 2.0**53).any():
        raise ValueError(f"X must hold {what}; found values above 2**53.")
    return X


class _Categorical:
    """One symbol per row (``emission="categorical"``)."""

    def __init__(self, emissionprob):
        self.emissionprob = emissionprob

    def check(self, X: np.ndarray) -> np.ndarray:
        X = _check_counts(X, "symbols (integers 0, 1, ...)")
        n_symbols = self.emissionprob.shape[1]
        if X.size and X.max() >= n_symbols:
            raise ValueError(
                f"X holds symbol {int(X.max())}, unseen at fit time: the model knows "
                f"symbols 0..{n_symbols - 1}."
            )
        return X

    def log_prob(self, X: np.ndarray) -> np.ndarray:
        return categorical_log_prob(X[:, 0].astype(np.int64), self.emissionprob)


class _Poisson:
    """Independent Poisson counts (``emission="poisson"``)."""

    def __init__(self, lambdas):
        self.lambdas = lambdas

    def check(self, X: np.ndarray) -> np.ndarray:
        return _check_counts(X, "non-negative integer counts")

    def log_prob(self, X: np.ndarray) -> np.ndarray:
        return poisson_log_prob(X, self.lambdas, gammaln)


class _Multinomial:
    """Counts of categories (HMMEM's ``emission="multinomial"``, SemiSupervisedEM's).

    HMMEM's rows are integer counts of at least one trial, of ``n_trials``
    trials if that is one number; SemiSupervisedEM's any non-negative numbers.
    """

    def __init__(self, log_emissionprob, counts: bool, n_trials=None):
        self.log_emissionprob = log_emissionprob
        self.counts = counts
        self.n_trials = n_trials

    def check(self, X: np.ndarray) -> np.ndarray:
        if not self.counts:
            return _check_counts(X, "non-negative counts", integers=False)
        X = _check_counts(X, "counts (non-negative integers)")
        totals = X.sum(axis=1)
        if (totals > 2.0**53).any():
            raise ValueError("X must hold counts whose rows sum to at most 2**53.")
        if (totals < 1).any():
            raise ValueError(
                f"X: row {np.argmax(totals < 1)} holds no count; each row counts the "
                "outcomes of at least one trial."
            )
        if isinstance(self.n_trials, int) and (totals != self.n_trials).any():
            row = int(np.argmax(totals != self.n_trials))
            raise ValueError(
                f"X: the counts of each row must sum to n_trials; row {row} sums to "
                f"{int(totals[row])}, not {self.n_trials}."
            )
        return X

    def log_prob(self, X: np.ndarray) -> np.ndarray:
        return multinomial_log_prob(X, self.log_emissionprob, gammaln)


class _Light:
    """Shared input checks."""

    n_features_in_: int

    def _check_X(self, X) -> np.ndarray:
        try:
            X = np.array(X, dtype=np.float64, ndmin=2, copy=True)
        except (TypeError, ValueError):
            raise TypeError("X must be an array of numbers.") from None
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}.")
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but the model takes {self.n_features_in_}."
            )
        if np.isinf(X).any():
            raise ValueError("X holds infinite values; mark missing values as NaN.")
        return X


class _Mixture(_Light):
    """Mixtures: the log-densities of rows under the components plus the log weights.

    ``attributes`` are the estimator's fitted attributes the predictor shows;
    ``log_weights`` default to the logs of ``weights``.
    """

    def __init__(self, weights, components, attributes: dict, log_weights=None):
        self.weights_ = weights
        vars(self).update(attributes)
        self._components = components
        if log_weights is None:
            with np.errstate(divide="ignore"):
                log_weights = np.log(weights)
        self._log_weights = log_weights

    def _rows(self, X) -> np.ndarray:
        """X as the model takes it, checked."""
        return self._components.check(self._check_X(X))

    def _log_joint(self, X: np.ndarray, expectations: bool = False):
        components = self._components
        result = components.log_prob(X, expectations) if expectations else components.log_prob(X)
        log_prob = result[0] if expectations else result
        log_prob += self._log_weights
        return result

    def _posteriors(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Responsibilities and log-likelihoods of the rows."""
        return log_normalize(self._log_joint(self._rows(X)))


class LightGaussianMixture(_Mixture):
    """A fitted Gaussian mixture that predicts with NumPy alone.

    Built by :func:`from_json` from a saved :class:`~emkit.GaussianMixtureEM`;
    its predictions equal the estimator's (to rounding).

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
    means_ : ndarray of shape (n_components, n_features)
    covariance_type : str
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from emkit import GaussianMixtureEM
    >>> from emkit.io import to_json
    >>> from emkit.light import from_json
    >>> X = np.random.default_rng(0).normal(size=(200, 2)) + np.repeat([[0, 0], [5, 5]], 100, 0)
    >>> gm = GaussianMixtureEM(2, random_state=0).fit(X)
    >>> light = from_json(to_json(gm))
    >>> bool(np.allclose(light.predict_proba(X), gm.predict_proba(X), rtol=0, atol=1e-12))
    True
    >>> light.predict([[5.0, np.nan]]) == gm.predict([[5.0, np.nan]])
    array([ True])
    """

    def predict_proba(self, X) -> np.ndarray:
        """Posterior probability of each component for each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows, NaN where a value is missing.

        Returns
        -------
        resp : ndarray of shape (n_samples, n_components)
            Responsibilities given each row's observed values.

        Examples
        --------
        >>> from emkit import GaussianMixtureEM
        >>> from emkit.io import to_json
        >>> from emkit.light import from_json
        >>> gm = GaussianMixtureEM(2, random_state=0).fit([[0.0], [0.2], [5.0], [5.2]])
        >>> light = from_json(to_json(gm))
        >>> light.predict_proba([[0.1], [5.1]]).round(3)
        array([[1., 0.],
               [0., 1.]])
        """
        return self._posteriors(X)[0]

    def predict(self, X) -> np.ndarray:
        """Most likely component of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows, NaN where a value is missing.

        Returns
        -------
        labels : ndarray of shape (n_samples,)

        Examples
        --------
        >>> from emkit import GaussianMixtureEM
        >>> from emkit.io import to_json
        >>> from emkit.light import from_json
        >>> gm = GaussianMixtureEM(2, random_state=0).fit([[0.0], [0.2], [5.0], [5.2]])
        >>> light = from_json(to_json(gm))
        >>> light.predict([[0.1], [5.1]])
        array([0, 1])
        """
        return self.predict_proba(X).argmax(axis=1)

    def score_samples(self, X) -> np.ndarray:
        """Log-likelihood of each row (of its observed values).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows, NaN where a value is missing.

        Returns
        -------
        log_prob : ndarray of shape (n_samples,)

        Examples
        --------
        >>> from emkit import GaussianMixtureEM
        >>> from emkit.io import to_json
        >>> from emkit.light import from_json
        >>> gm = GaussianMixtureEM(2, random_state=0).fit([[0.0], [0.2], [5.0], [5.2]])
        >>> light = from_json(to_json(gm))
        >>> light.score_samples([[0.1], [float("nan")]]).round(2)
        array([0.69, 0.  ])
        """
        return self._posteriors(X)[1]


class LightBayesianGaussianMixture(LightGaussianMixture):
    """A fitted :class:`~emkit.BayesianGaussianMixtureEM` that predicts with NumPy alone.

    Its ``predict_proba`` and ``score_samples`` are the estimator's (and
    scikit-learn's): each component's Gaussian at its expected precision,
    plus its expected log-weight and the corrections of the expected
    log-density (``digamma`` terms), normalised over the components.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        The expected mixing weights.
    weight_concentration_, mean_precision_, degrees_of_freedom_
        The variational posterior, as the estimator's.
    means_ : ndarray of shape (n_components, n_features)
    covariance_type : str
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from emkit import BayesianGaussianMixtureEM
    >>> from emkit.io import to_json
    >>> from emkit.light import from_json
    >>> X = np.random.default_rng(0).normal(size=(200, 2)) + np.repeat([[0, 0], [5, 5]], 100, 0)
    >>> bgm = BayesianGaussianMixtureEM(n_components=4, random_state=0).fit(X)
    >>> light = from_json(to_json(bgm))
    >>> bool(np.allclose(light.predict_proba(X), bgm.predict_proba(X), rtol=0, atol=1e-12))
    True
    >>> bool(np.allclose(light.score_samples(X), bgm.score_samples(X), rtol=1e-12))
    True
    """


class LightSemiSupervised(_Mixture):
    """A fitted :class:`~emkit.SemiSupervisedEM` that classifies with NumPy alone.

    Components ``k`` belong to class ``classes_[k // n_components_per_class]``.

    Examples
    --------
    >>> import numpy as np
    >>> from emkit import SemiSupervisedEM
    >>> from emkit.io import to_json
    >>> from emkit.light import from_json
    >>> X = np.random.default_rng(0).normal(size=(200, 2)) + np.repeat([[0, 0], [4, 4]], 100, 0)
    >>> y = np.full(200, -1)
    >>> y[:5], y[100:105] = 0, 1
    >>> clf = SemiSupervisedEM(random_state=0).fit(X, y)
    >>> light = from_json(to_json(clf))
    >>> light.predict([[0.0, 0.0], [4.0, np.nan]])
    array([0, 1])
    """

    def __init__(self, weights, components, attributes: dict, classes):
        super().__init__(weights, components, attributes)
        self.classes_ = classes

    def predict_log_proba(self, X) -> np.ndarray:
        """Log-probability of each class given each row's observed values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows, NaN where a value is missing.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.

        Examples
        --------
        >>> from emkit import SemiSupervisedEM
        >>> from emkit.io import to_json
        >>> from emkit.light import from_json
        >>> X = [[0.0], [0.3], [0.2], [0.1], [5.0], [5.3], [5.2], [5.1]]
        >>> clf = SemiSupervisedEM(random_state=0).fit(X, [0, 0, -1, -1, 1, 1, -1, -1])
        >>> from_json(to_json(clf)).predict_log_proba([[0.1], [5.1]]).round(2)
        array([[    0.  , -1019.92],
               [ -979.92,     0.  ]])
        """
        return class_log_proba(self._log_joint(self._rows(X)), len(self.classes_))

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each class given each row's observed values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows, NaN where a value is missing.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.

        Examples
        --------
        >>> from emkit import SemiSupervisedEM
        >>> from emkit.io import to_json
        >>> from emkit.light import from_json
        >>> X = [[0.0], [0.3], [0.2], [0.1], [5.0], [5.3], [5.2], [5.1]]
        >>> clf = SemiSupervisedEM(random_state=0).fit(X, [0, 0, -1, -1, 1, 1, -1, -1])
        >>> from_json(to_json(clf)).predict_proba([[0.1], [5.1]]).round(3)
        array([[1., 0.],
               [0., 1.]])
        """
        return np.exp(self.predict_log_proba(X))

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows, NaN where a value is missing.

        Returns
        -------
        labels : ndarray of shape (n_samples,)

        Examples
        --------
        >>> import numpy as np
        >>> from emkit import SemiSupervisedEM
        >>> from emkit.io import to_json
        >>> from emkit.light import from_json
        >>> X = [[0.0], [0.3], [0.2], [0.1], [5.0], [5.3], [5.2], [5.1]]
        >>> y = np.array(["a", "a", -1, -1, "b", "b", -1, -1], dtype=object)
        >>> clf = SemiSupervisedEM(random_state=0).fit(X, y)
        >>> from_json(to_json(clf)).predict([[0.1], [5.1]])
        array(['a', 'b'], dtype=object)
        """
        return self.classes_[self.predict_log_proba(X).argmax(axis=1)]


class LightImputer(_Mixture):
    """A fitted :class:`~emkit.EMImputer` that imputes with NumPy alone.

    ``transform`` fills each missing value with its conditional expectation
    given the row's observed values (``sample_posterior=False``), then clips
    to ``min_value``/``max_value`` and appends the missing indicator as the
    imputer does.

    Examples
    --------
    >>> import numpy as np
    >>> from emkit import EMImputer
    >>> from emkit.io import to_json
    >>> from emkit.light import from_json
    >>> X = np.random.default_rng(0).multivariate_normal([0, 0], [[1, 0.8], [0.8, 1]], 200)
    >>> X[::7, 1] = np.nan
    >>> imputer = EMImputer(random_state=0).fit(X)
    >>> light = from_json(to_json(imputer))
    >>> bool(np.allclose(light.transform(X), imputer.transform(X), rtol=0, atol=1e-12))
    True
    """

    def __init__(self, weights, components, attributes: dict, options: dict):
        super().__init__(weights, components, attributes)
        self._options = options
        self.n_features_in_ = len(options["kept"])

    def _as_nan(self, X) -> np.ndarray:
        X = self._check_X(X)
        placeholder = self._options["missing_values"]
        if not (isinstance(placeholder, float) and math.isnan(placeholder)):
            if np.isnan(X).any():
                raise ValueError(
                    f"X holds NaN, but missing values are marked {placeholder!r}; "
                    "mark them one way only."
                )
            X[X == placeholder] = np.nan
        return X

    def predict_proba(self, X) -> np.ndarray:
        """Responsibilities of the components given each row's observed values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with missing entries.

        Returns
        -------
        resp : ndarray of shape (n_samples, n_components)

        Examples
        --------
        >>> from emkit import EMImputer
        >>> from emkit.io import to_json
        >>> from emkit.light import from_json
        >>> nan = float("nan")
        >>> imputer = EMImputer(random_state=0).fit([[1, 2], [2, nan], [3, 5], [4, 6]])
        >>> light = from_json(to_json(imputer))
        >>> light.predict_proba([[1.0, nan]])
        array([[1.]])
        """
        return self._posteriors(X)[0]

    def score_samples(self, X) -> np.ndarray:
        """Log-likelihood of each row's observed values (0, up to rounding, if none).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with missing entries.

        Returns
        -------
        log_prob : ndarray of shape (n_samples,)

        Examples
        --------
        >>> from emkit import EMImputer
        >>> from emkit.io import to_json
        >>> from emkit.light import from_json
        >>> nan = float("nan")
        >>> imputer = EMImputer(random_state=0).fit([[1, 2], [2, nan], [3, 5], [4, 6]])
        >>> from_json(to_json(imputer)).score_samples([[nan, nan]]).round(6)
        array([0.])
        """
        return self._posteriors(X)[1]

    def _rows(self, X) -> np.ndarray:
        return self._as_nan(X)[:, self._options["kept"]]

    def transform(self, X) -> np.ndarray:
        """Fill the missing entries of X with their conditional expectations.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with missing entries, in any pattern.

        Returns
        -------
        X_imputed : ndarray of shape (n_samples, n_features_out)
            As :meth:`emkit.EMImputer.transform`.

        Examples
        --------
        >>> from emkit import EMImputer
        >>> from emkit.io import to_json
        >>> from emkit.light import from_json
        >>> nan = float("nan")
        >>> imputer = EMImputer(random_state=0).fit([[1, 2], [2, nan], [3, 5], [4, 6]])
        >>> light = from_json(to_json(imputer))
        >>> light.transform([[2.5, nan]]).round(2)
        array([[2.5 , 4.11]])
        """
        options = self._options
        X_all = self._as_nan(X)
        X = X_all[:, options["kept"]]
        log_prob, completed, missing = self._log_joint(X, expectations=True)
        filled = X.copy()
        if missing is not None:
            W = log_normalize(log_prob)[0][missing.rows]
            expected = sum(W[:, j, None] * rows for j, rows in enumerate(completed))
            rows = filled[missing.rows]
            filled[missing.rows] = np.where(np.isnan(rows), expected, rows)
        columns = options["kept"]
        if options["keep_empty_features"]:
            out = np.where(np.isnan(X_all), 0.0, X_all)
            out[:, columns] = filled
            filled, columns = out, slice(None)
        lower, upper = options["limits"]
        clipped = np.clip(filled, lower[columns], upper[columns])
        filled = np.where(np.isnan(X_all[:, columns]), clipped, filled)
        if options["indicator"] is not None:
            indicator = np.isnan(X_all[:, options["indicator"]])
            filled = np.hstack([filled, indicator.astype(filled.dtype)])
        return filled


class LightHMM(_Light):
    """A fitted :class:`~emkit.HMMEM` that infers with NumPy alone.

    Any of the estimator's emissions: ``"gaussian"``, ``"gmm"``,
    ``"categorical"``, ``"poisson"`` and ``"multinomial"``; its fitted
    attributes (``means_``, ``emissionprob_``, ...) are the estimator's.
    Without ``lengths`` or ``sequence_ids``, ``X`` is one sequence.
    Forward-backward and Viterbi are the estimator's (the same source, run as
    plain Python), and so are the emissions' log-probabilities.

    Examples
    --------
    >>> import numpy as np
    >>> from emkit import HMMEM
    >>> from emkit.io import to_json
    >>> from emkit.light import from_json
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(0, 1, (50, 1)), rng.normal(6, 1, (50, 1))])
    >>> hmm = HMMEM(2, random_state=0).fit(X, lengths=[60, 40])
    >>> light = from_json(to_json(hmm))
    >>> bool((light.predict(X, lengths=[60, 40]) == hmm.predict(X, lengths=[60, 40])).all())
    True
    """

    def __init__(self, startprob, transmat, emission, attributes: dict):
        self.startprob_ = startprob
        self.transmat_ = transmat
        vars(self).update(attributes)
        self._emission = emission

    def _prepare(self, X, lengths, sequence_ids):
        """Log-probabilities of the frames, and the sequences' starts and ends."""
        X = self._emission.check(self._check_X(X))
        if lengths is not None and sequence_ids is not None:
            raise ValueError("Give either lengths or sequence_ids, not both.")
        if sequence_ids is not None:
            starts, ends = sequences_of_ids(sequence_ids, len(X))
        else:
            lengths = np.asarray([len(X)] if lengths is None else lengths)
            if lengths.ndim != 1 or lengths.dtype.kind not in "iu" or (lengths < 1).any():
                raise ValueError("lengths must be a 1-D array of positive integers.")
            if lengths.sum() != len(X):
                raise ValueError(f"lengths sum to {lengths.sum()}, but X has {len(X)} rows.")
            ends = np.cumsum(lengths).astype(np.int64)
            starts = ends - lengths
        return self._emission.log_prob(X), starts, ends

    def _forward_backward(self, X, lengths, sequence_ids):
        log_frameprob, starts, ends = self._prepare(X, lengths, sequence_ids)
        return forward_backward(self.startprob_, self.transmat_, log_frameprob, starts, ends)

    def predict_proba(self, X, lengths=None, sequence_ids=None) -> np.ndarray:
        """Posterior probability of each state at each observation.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observations, NaN where a value is missing (Gaussian emissions).
        lengths : array-like of int, default=None
            Lengths of the consecutive sequences in X.
        sequence_ids : array-like of shape (n_samples,), default=None
            The sequence of each row, as :meth:`emkit.HMMEM.fit` takes them.
            Give ``lengths`` or ``sequence_ids``, or neither for one sequence.

        Returns
        -------
        posteriors : ndarray of shape (n_samples, n_components)

        Examples
        --------
        >>> from emkit import HMMEM
        >>> from emkit.io import to_json
        >>> from emkit.light import from_json
        >>> X = [[0.0], [0.2], [0.1], [0.3], [0.2], [5.0], [5.2], [5.1], [5.3], [5.2]]
        >>> light = from_json(to_json(HMMEM(2, random_state=0).fit(X)))
        >>> light.predict_proba([[0.0], [6.0]]).round(3)
        array([[0., 1.],
               [1., 0.]])
        """
        posteriors, _, log_likelihoods = self._forward_backward(X, lengths, sequence_ids)
        _check_possible(log_likelihoods)
        return posteriors

    def score(self, X, lengths=None, sequence_ids=None) -> float:
        """Mean log-likelihood per observation, as :meth:`emkit.HMMEM.score`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        lengths, sequence_ids : array-like, default=None
            Sequence boundaries, as in :meth:`predict_proba`.

        Returns
        -------
        log_likelihood : float

        Examples
        --------
        >>> from emkit import HMMEM
        >>> from emkit.io import to_json
        >>> from emkit.light import from_json
        >>> X = [[0.0], [0.2], [0.1], [0.3], [0.2], [5.0], [5.2], [5.1], [5.3], [5.2]]
        >>> light = from_json(to_json(HMMEM(2, random_state=0).fit(X)))
        >>> round(light.score([[0.0], [6.0]]), 2)
        -17.02
        """
        posteriors, _, log_likelihoods = self._forward_backward(X, lengths, sequence_ids)
        return float(log_likelihoods.sum() / len(posteriors))

    def decode(self, X, lengths=None, sequence_ids=None, algorithm: str = "viterbi"):
        """Most likely states and their log-probability, as :meth:`emkit.HMMEM.decode`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        lengths, sequence_ids : array-like, default=None
            Sequence boundaries, as in :meth:`predict_proba`.
        algorithm : {"viterbi", "map"}, default="viterbi"

        Returns
        -------
        log_prob : float
        states : ndarray of shape (n_samples,)

        Examples
        --------
        >>> from emkit import HMMEM
        >>> from emkit.io import to_json
        >>> from emkit.light import from_json
        >>> X = [[0.0], [0.2], [0.1], [0.3], [0.2], [5.0], [5.2], [5.1], [5.3], [5.2]]
        >>> light = from_json(to_json(HMMEM(2, random_state=0).fit(X)))
        >>> light.decode([[0.0], [6.0]])[1]
        array([1, 0])
        """
        if algorithm == "map":
            posteriors = self.predict_proba(X, lengths, sequence_ids)
            return float(np.log(posteriors.max(axis=1)).sum()), posteriors.argmax(axis=1)
        if algorithm != "viterbi":
            raise ValueError(f"algorithm must be 'viterbi' or 'map', got {algorithm!r}.")
        log_frameprob, starts, ends = self._prepare(X, lengths, sequence_ids)
        with np.errstate(divide="ignore"):
            log_start, log_trans = np.log(self.startprob_), np.log(self.transmat_)
        log_probs, states = viterbi(log_start, log_trans, log_frameprob, starts, ends)
        _check_possible(log_probs)
        return float(log_probs.sum()), states

    def predict(self, X, lengths=None, sequence_ids=None) -> np.ndarray:
        """Viterbi path of each sequence.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        lengths, sequence_ids : array-like, default=None
            Sequence boundaries, as in :meth:`predict_proba`.

        Returns
        -------
        states : ndarray of shape (n_samples,)

        Examples
        --------
        >>> from emkit import HMMEM
        >>> from emkit.io import to_json
        >>> from emkit.light import from_json
        >>> X = [[0.0], [0.2], [0.1], [0.3], [0.2], [5.0], [5.2], [5.1], [5.3], [5.2]]
        >>> light = from_json(to_json(HMMEM(2, random_state=0).fit(X)))
        >>> light.predict([[0.0], [0.5], [6.0]])
        array([1, 1, 0])
        """
        return self.decode(X, lengths, sequence_ids)[1]


def _check_possible(log_likelihoods: np.ndarray) -> None:
    if np.isneginf(log_likelihoods).any():
        raise ValueError(
            "a sequence has probability zero under the model (a zero start, transition or "
            "emission probability rules out every state path)."
        )


def from_json(
    text: str | bytes, *, key: str | bytes | None = None
) -> (
    LightGaussianMixture
    | LightBayesianGaussianMixture
    | LightImputer
    | LightHMM
    | LightSemiSupervised
):
    """A NumPy-only predictor of the model that :func:`emkit.io.to_json` saved.

    Importing :mod:`emkit.light`, loading and predicting import neither
    scikit-learn, scipy nor numba.

    Parameters
    ----------
    text : str or bytes
        A document written by :func:`emkit.io.to_json` of a
        :class:`~emkit.GaussianMixtureEM`, a
        :class:`~emkit.BayesianGaussianMixtureEM`, an
        :class:`~emkit.EMImputer` (``sample_posterior=False``), an
        :class:`~emkit.HMMEM` (any emission the document can hold:
        ``"gaussian"``, ``"gmm"``, ``"categorical"``, ``"poisson"``,
        ``"multinomial"``) or a :class:`~emkit.SemiSupervisedEM`
        (``"gaussian"`` or ``"multinomial"``).
    key : str or bytes, default=None
        The key the document was signed with (``emkit.io.to_json(model,
        key=key)``): only a document signed with it and unchanged, byte for
        byte, is accepted, as by :func:`emkit.io.from_json` (the same checks,
        by the same code, with the same messages). Without a key, a signed
        document loads as an unsigned one.

    Returns
    -------
    predictor : LightGaussianMixture, LightBayesianGaussianMixture, LightImputer, \
LightHMM or LightSemiSupervised

    Raises
    ------
    TypeError
        If ``text`` is not str or bytes, or ``key`` is not str or bytes.
    ValueError
        If the text is not such a model, or its parameters are not a valid
        model (shapes, finiteness, probabilities, positive-definite
        covariances). :func:`emkit.io.from_json` checks more; load untrusted
        files with it once. Given a key: if ``key`` is empty, or the
        document is unsigned, signed with another key, or tampered with; the
        message says which, and never shows the key.

    Examples
    --------
    >>> from emkit.light import from_json
    >>> from_json('{"format": "emkit-model", "version": 1, "kind": "Pickle"}')
    Traceback (most recent call last):
    ...
    ValueError: model file: unknown kind 'Pickle'; emkit.light reads GaussianMixtureEM, \
BayesianGaussianMixtureEM, EMImputer, HMMEM, SemiSupervisedEM.

    A signed document, read with the key it was signed with:

    >>> from emkit import GaussianMixtureEM
    >>> from emkit.io import to_json
    >>> gm = GaussianMixtureEM(2, random_state=0).fit([[0.0], [0.2], [5.0], [5.2]])
    >>> signed = to_json(gm, key=b"a secret shared with the servers")
    >>> from_json(signed, key=b"a secret shared with the servers").predict([[0.1], [5.1]])
    array([0, 1])
    >>> from_json(to_json(gm), key=b"a secret shared with the servers")
    Traceback (most recent call last):
    ...
    ValueError: model file: unsigned, and a key was given: ...
    """
    if not isinstance(text, (str, bytes, bytearray)):
        raise TypeError(f"from_json takes the JSON text, got {type(text).__name__}.")
    key = key_bytes(key)
    kind, params, attributes = read_document(text, key, _BUILDERS, "emkit.light")
    try:
        return _BUILDERS[kind](params, attributes)
    except (KeyError, TypeError, IndexError) as error:
        raise ValueError(f"model file: invalid {kind} ({error!r}).") from None


def _array(attributes: dict, name: str, shape: tuple | None = None) -> np.ndarray:
    """A float array of the document, checked."""
    value = attributes[name]
    if not (isinstance(value, dict) and set(value) == {"array", "dtype", "shape"}):
        raise ValueError(f"model file: {name} is not an array.")
    try:
        array = np.array(value["array"], dtype=np.float64).reshape(value["shape"])
    except (TypeError, ValueError):
        raise ValueError(f"model file: {name} is not an array of numbers.") from None
    if shape is not None and array.shape != shape:
        raise ValueError(f"model file: {name} has shape {array.shape}, expected {shape}.")
    if not np.isfinite(array).all():
        raise ValueError(f"model file: {name} holds values that are not finite.")
    return array


def _probabilities(attributes: dict, name: str, shape: tuple) -> np.ndarray:
    array = _array(attributes, name, shape)
    if (array < 0).any() or not np.allclose(array.sum(axis=-1), 1.0, rtol=0, atol=1e-6):
        raise ValueError(f"model file: {name} must be probabilities that sum to one.")
    return array


def _gaussians(params: dict, attributes: dict, covariances: str, mixture_size=None):
    """The Gaussian components, and the attributes that show them, checked.

    With ``mixture_size``, ``means_`` holds a mixture of that many per HMM
    state, shape (n_states, mixture_size, n_features), and ``covariances``
    the mixtures' covariances in the shape ``emkit.HMMEM`` gives them.
    """
    covariance_type = params["covariance_type"]
    if covariance_type not in COVARIANCE_TYPES:
        raise ValueError(f"model file: unknown covariance_type {covariance_type!r}.")
    means = _array(attributes, "means_")
    if means.ndim != (2 if mixture_size is None else 3):
        raise ValueError(f"model file: means_ must be {2 if mixture_size is None else 3}-D.")
    k, d = means.shape[0], means.shape[-1]
    if mixture_size is None:
        shape = structure(covariance_type).shape(k, d)
    else:
        shape = (k, *structure(covariance_type).shape(mixture_size, d))
    shown = {
        "means_": means,
        "covariance_type": covariance_type,
        covariances: _array(attributes, covariances, shape),
        "n_features_in_": d,
    }
    if mixture_size is None:
        return _Gaussians(means, covariance_type, shown[covariances]), shown
    weights = _probabilities(attributes, "weights_", (k, mixture_size))
    shown["weights_"] = weights
    return _GaussianMixtures(weights, means, covariance_type, shown[covariances]), shown


def _mixture(params: dict, attributes: dict) -> LightGaussianMixture:
    gaussians, shown = _gaussians(params, attributes, "covariances_")
    weights = _probabilities(attributes, "weights_", (len(shown["means_"]),))
    return LightGaussianMixture(weights, gaussians, shown)


def _bayesian_mixture(params: dict, attributes: dict) -> LightBayesianGaussianMixture:
    gaussians, shown = _gaussians(params, attributes, "covariances_")
    (k, d), process = shown["means_"].shape, params["weight_concentration_prior_type"]
    if process not in ("dirichlet_process", "dirichlet_distribution"):
        raise ValueError(f"model file: unknown weight_concentration_prior_type {process!r}.")
    concentration = attributes["weight_concentration_"]
    if process == "dirichlet_process":  # the sticks' Beta parameters, a pair of arrays
        if not (isinstance(concentration, list) and len(concentration) == 2):
            raise ValueError("model file: weight_concentration_ must be two arrays.")
        concentration = np.stack(
            [
                _array({"weight_concentration_": c}, "weight_concentration_", (k,))
                for c in concentration
            ]
        )
    else:
        concentration = _array(attributes, "weight_concentration_", (k,))
    mean_precision = _array(attributes, "mean_precision_", (k,))
    if shown["covariance_type"] == "tied":  # one Wishart for all components: a number
        dof = attributes["degrees_of_freedom_"]
        if type(dof) not in (int, float) or not math.isfinite(dof):
            raise ValueError("model file: degrees_of_freedom_ must be a finite number.")
        dof = np.float64(dof)
    else:
        dof = _array(attributes, "degrees_of_freedom_", (k,))
    if not ((concentration > 0).all() and (mean_precision > 0).all() and np.all(dof > d - 1)):
        raise ValueError(
            "model file: weight_concentration_ and mean_precision_ must be positive, and "
            "degrees_of_freedom_ greater than n_features - 1."
        )
    shown |= {
        "weight_concentration_": concentration,
        "mean_precision_": mean_precision,
        "degrees_of_freedom_": dof,
    }
    log_weights = variational_log_offsets(concentration, mean_precision, dof, d, digamma)
    weights = expected_weights(concentration)
    return LightBayesianGaussianMixture(weights, gaussians, shown, log_weights)


def _imputer(params: dict, attributes: dict) -> LightImputer:
    if params.get("sample_posterior"):
        raise ValueError(
            "model file: emkit.light imputes by conditional expectations; this imputer "
            "draws (sample_posterior=True): use emkit.io.from_json."
        )
    gaussians, shown = _gaussians(params, attributes, "covariances_")
    means = shown["means_"]
    weights = _probabilities(attributes, "weights_", (len(means),))
    kept = np.array(attributes["kept_columns"]["array"], dtype=bool)
    if kept.sum() != means.shape[1]:
        raise ValueError("model file: kept_columns does not match means_.")
    n_all = len(kept)
    limits = []
    for name in ("min_value", "max_value"):
        value = _number(params[name])
        if isinstance(value, dict):
            value = np.array(value["array"], dtype=np.float64)
        limits.append(np.broadcast_to(np.asarray(value, dtype=np.float64), (n_all,)))
    indicator = None
    if "indicator_features" in attributes:
        indicator = np.array(attributes["indicator_features"]["array"], dtype=np.int64)
    options = {
        "kept": kept,
        "missing_values": _number(params["missing_values"]),
        "keep_empty_features": bool(params["keep_empty_features"]),
        "limits": limits,
        "indicator": indicator,
    }
    return LightImputer(weights, gaussians, shown, options)


def _number(value):
    """A parameter's value, with JSON's stand-ins for NaN and infinities decoded."""
    if isinstance(value, list):
        return [_number(v) for v in value]
    if isinstance(value, dict) and set(value) == {"float"}:
        return float(value["float"])
    return value


def _semi_supervised(params: dict, attributes: dict) -> LightSemiSupervised:
    emission = params.get("emission")
    if emission == "gaussian":
        components, shown = _gaussians(params, attributes, "covariances_")
        n_components = len(shown["means_"])
    elif emission == "multinomial":
        log_prob = _array(attributes, "feature_log_prob_")
        if log_prob.ndim != 2:
            raise ValueError("model file: feature_log_prob_ must be 2-D.")
        components = _Multinomial(log_prob, counts=False)
        shown = {"feature_log_prob_": log_prob, "n_features_in_": log_prob.shape[1]}
        n_components = len(log_prob)
    else:
        raise ValueError(
            "model file: emkit.light serves SemiSupervisedEM with emission='gaussian' or "
            f"'multinomial'; got emission={emission!r} (use emkit.io.from_json)."
        )
    weights = _probabilities(attributes, "weights_", (n_components,))
    saved = attributes["classes_"]
    dtypes = {"object": object, "str": str, "int64": np.int64, "int32": np.int32}
    dtype = dtypes.get(saved["dtype"], np.float64)
    classes = np.array(saved["array"], dtype=dtype).reshape(saved["shape"])
    if classes.ndim != 1 or n_components % max(len(classes), 1):
        raise ValueError("model file: classes_ does not match the components.")
    return LightSemiSupervised(weights, components, shown, classes)


def _hmm(params: dict, attributes: dict) -> LightHMM:
    emission, n_mix = params.get("emission"), params.get("n_mix", 1)
    if emission in ("gaussian", "gmm"):
        if emission == "gmm" and (type(n_mix) is not int or n_mix < 1):
            raise ValueError(f"model file: n_mix must be a positive integer, got {n_mix!r}.")
        mixture_size = n_mix if emission == "gmm" else None
        frames, shown = _gaussians(params, attributes, "covars_", mixture_size)
        k = len(shown["means_"])
    elif emission in ("categorical", "multinomial"):
        emissionprob = _array(attributes, "emissionprob_")
        if emissionprob.ndim != 2:
            raise ValueError("model file: emissionprob_ must be 2-D.")
        emissionprob = _probabilities(attributes, "emissionprob_", emissionprob.shape)
        (k, n_symbols), trials = emissionprob.shape, _number(params.get("n_trials"))
        if emission == "categorical":
            frames, n_features = _Categorical(emissionprob), 1
        else:
            with np.errstate(divide="ignore"):  # a probability of 0
                log_emissionprob = np.log(emissionprob)
            trials = trials if type(trials) is int else None  # rows' own totals: not checked
            frames, n_features = _Multinomial(log_emissionprob, True, trials), n_symbols
        shown = {"emissionprob_": emissionprob, "n_features_in_": n_features}
    elif emission == "poisson":
        lambdas = _array(attributes, "lambdas_")
        if lambdas.ndim != 2 or not (lambdas > 0).all():
            raise ValueError("model file: lambdas_ must be a 2-D array of positive rates.")
        frames, shown = (
            _Poisson(lambdas),
            {"lambdas_": lambdas, "n_features_in_": lambdas.shape[1]},
        )
        k = len(lambdas)
    else:
        raise ValueError(
            "model file: emkit.light serves HMMEM with emission 'gaussian', 'gmm', "
            f"'categorical', 'poisson' or 'multinomial'; got emission={emission!r}."
        )
    startprob = _probabilities(attributes, "startprob_", (k,))
    transmat = _probabilities(attributes, "transmat_", (k, k))
    return LightHMM(startprob, transmat, frames, shown)


_BUILDERS = {
    "GaussianMixtureEM": _mixture,
    "BayesianGaussianMixtureEM": _bayesian_mixture,
    "EMImputer": _imputer,
    "HMMEM": _hmm,
    "SemiSupervisedEM": _semi_supervised,
}
