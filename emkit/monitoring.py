"""Data drift: is a new batch of rows still like the data the model was fitted on?"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from scipy import stats
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

__all__ = ["DriftMonitor", "DriftReport"]

# The four statistics share the false-alarm rate alpha (Bonferroni).
_N_TESTS = 4
_MIN_REFERENCE = 100
_OUTLIER_QUANTILE = 0.01
_N_BINS = 10
# Bin shares below this are raised to it, so that an empty bin has a finite PSI.
_PSI_FLOOR = 1e-4


@dataclass(frozen=True)
class DriftReport:
    """What :meth:`DriftMonitor.check` found in a batch.

    Each statistic has a p-value; the batch drifted if any p-value is below
    ``alpha / 4`` (``alpha / (4 * n_features)`` for each feature's missing share).

    Attributes
    ----------
    drift : bool
        Whether any statistic is beyond its threshold.
    reasons : tuple of str
        One line for each statistic beyond its threshold.
    n_rows : int
        Rows in the batch.
    alpha : float
        The false-alarm rate the monitor was built with.
    log_likelihood : float
        The model's mean log-likelihood per row of the batch.
    reference_log_likelihood : float
        The same for the reference.
    log_likelihood_shift : float
        ``log_likelihood - reference_log_likelihood``.
    log_likelihood_threshold : float
        The largest absolute shift that is not drift, for batches of this size.
    log_likelihood_pvalue : float
    psi : ndarray of shape (n_features,)
        Population stability index of each feature against the reference.
    psi_threshold : float
        The largest PSI that is not drift, for batches of this size.
    psi_pvalue : float
        Of the largest PSI.
    outlier_share : float
        Share of the batch's rows whose log-likelihood is below the
        reference's 1% quantile.
    reference_outlier_share : float
    outlier_pvalue : float
        One-sided: more outliers than the reference.
    missing_share : ndarray of shape (n_features,)
        Share of missing values of each feature.
    reference_missing_share : ndarray of shape (n_features,)
    missing_pvalue : ndarray of shape (n_features,)
        Two-sided, for each feature.
    feature_names : tuple of str
    """

    drift: bool
    reasons: tuple[str, ...]
    n_rows: int
    alpha: float
    log_likelihood: float
    reference_log_likelihood: float
    log_likelihood_shift: float
    log_likelihood_threshold: float
    log_likelihood_pvalue: float
    psi: np.ndarray
    psi_threshold: float
    psi_pvalue: float
    outlier_share: float
    reference_outlier_share: float
    outlier_pvalue: float
    missing_share: np.ndarray
    reference_missing_share: np.ndarray
    missing_pvalue: np.ndarray
    feature_names: tuple[str, ...]

    @property
    def detected(self) -> dict[str, bool]:
        """Which statistics are beyond their thresholds.

        Keys ``"log_likelihood"``, ``"psi"``, ``"outliers"`` and ``"missing"``
        (any feature's share); ``drift`` is whether any is True.

        Examples
        --------
        >>> import numpy as np
        >>> from emkit import GaussianMixtureEM
        >>> from emkit.monitoring import DriftMonitor
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(4000, 2))
        >>> gm = GaussianMixtureEM(n_components=1, random_state=0).fit(X[:2000])
        >>> monitor = DriftMonitor(gm, X[2000:], random_state=0)
        >>> batch = rng.normal(size=(500, 2))
        >>> batch[:100, 1] = np.nan  # rows scored on one feature: a higher log-likelihood
        >>> monitor.check(batch).detected
        {'log_likelihood': True, 'psi': False, 'outliers': False, 'missing': True}
        """
        level = self.alpha / _N_TESTS
        return {
            "log_likelihood": bool(self.log_likelihood_pvalue < level),
            "psi": bool(self.psi_pvalue < level),
            "outliers": bool(self.outlier_pvalue < level),
            "missing": bool(np.any(self.missing_pvalue < level / len(self.missing_pvalue))),
        }

    def __str__(self) -> str:
        verdict = "DRIFT" if self.drift else "no drift"
        lines = [
            f"{verdict}: {self.n_rows} rows, false-alarm rate {self.alpha:g}",
            *(f"  - {reason}" for reason in self.reasons),
            f"log-likelihood per row {self.log_likelihood:.4g} "
            f"(reference {self.reference_log_likelihood:.4g}, shift "
            f"{self.log_likelihood_shift:+.3g}, threshold +-{self.log_likelihood_threshold:.3g}, "
            f"p {self.log_likelihood_pvalue:.3g})",
            f"outliers {self.outlier_share:.2%} (reference {self.reference_outlier_share:.2%}, "
            f"p {self.outlier_pvalue:.3g})",
            f"PSI threshold {self.psi_threshold:.3g} (p of the largest {self.psi_pvalue:.3g})",
            f"{'feature':<16}{'PSI':>8}{'missing':>10}{'reference':>11}{'p(missing)':>12}",
        ]
        for j, name in enumerate(self.feature_names):
            lines.append(
                f"{name[:15]:<16}{self.psi[j]:8.3f}{self.missing_share[j]:10.2%}"
                f"{self.reference_missing_share[j]:11.2%}{self.missing_pvalue[j]:12.3g}"
            )
        return "\n".join(lines)


class DriftMonitor:
    """Compare batches of new rows with reference data, through a fitted model.

    Four statistics are computed for each batch, each with a threshold such
    that a batch drawn from the reference's distribution is flagged with
    probability at most ``alpha`` overall (Bonferroni: ``alpha / 4`` each):

    - the shift of the model's mean log-likelihood per row, against the
      reference's; its threshold is calibrated by drawing batches of the same
      size from the reference (without replacement) and comparing them with
      the other reference rows;
    - the population stability index (PSI) of each feature, over ten bins
      cut at the reference's deciles; the largest is compared with a
      threshold calibrated on the same draws;
    - the share of rows whose log-likelihood is below the reference's 1%
      quantile (outliers), against the reference's share;
    - the share of missing values of each feature, against the reference's.

    The shares are compared with a conditional binomial test: given the
    total count ``k + r`` in the batch (``m`` rows) and the reference (``n``
    rows), the batch's count ``k`` is binomial with probability
    ``m / (m + n)`` when both come from one distribution.

    Thresholds depend on the batch size: they are calibrated for each size
    when first needed, and kept.

    Parameters
    ----------
    estimator : fitted estimator
        Anything fitted with a ``score_samples`` method (log-likelihood of
        each row) and ``n_features_in_``: :class:`~emkit.GaussianMixtureEM`,
        :class:`~emkit.BayesianGaussianMixtureEM`, :class:`~emkit.EMImputer`,
        or a ``Pipeline`` ending in one.
    reference : array-like of shape (n_samples, n_features)
        Rows like the ones the model should see, at least 100, and at least
        twice as many as a batch. Rows the model was not fitted on are best:
        the model scores its own training rows a little higher than new ones.
        Missing values (NaN) are allowed where the model allows them.
    batch_size : int, default=None
        Calibrate the thresholds for batches of this size at once (else at
        the first batch of each size).
    alpha : float, default=0.01
        False-alarm rate: the probability that a batch from the reference's
        distribution is reported as drift. In ``(0, 1)``.
    n_resamples : int, default=2000
        Batches drawn from the reference to calibrate each batch size.
    feature_names : sequence of str, default=None
        Names for the report; default: the estimator's ``feature_names_in_``,
        else ``x0, x1, ...``.
    random_state : int, RandomState instance or None, default=None
        For the calibration draws.

    Attributes
    ----------
    reference_log_likelihood_ : float
        The model's mean log-likelihood per row of the reference.
    outlier_threshold_ : float
        Log-likelihood below which a row is an outlier (the reference's 1%
        quantile).
    bin_edges_ : list of ndarray
        Inner bin edges of each feature, for the PSI.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from emkit import GaussianMixtureEM
    >>> from emkit.monitoring import DriftMonitor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(4000, 2))
    >>> gm = GaussianMixtureEM(n_components=1, random_state=0).fit(X[:2000])
    >>> monitor = DriftMonitor(gm, X[2000:], alpha=0.01, random_state=0)
    >>> monitor.check(rng.normal(size=(500, 2))).drift
    False
    >>> shifted = rng.normal(size=(500, 2)) + [1.0, 0.0]
    >>> report = monitor.check(shifted)
    >>> report.drift
    True
    >>> print(report.reasons[0])
    log-likelihood shift -0... beyond +-0...
    """

    def __init__(
        self,
        estimator,
        reference,
        *,
        batch_size: int | None = None,
        alpha: float = 0.01,
        n_resamples: int = 2000,
        feature_names=None,
        random_state=None,
    ) -> None:
        if not hasattr(estimator, "score_samples"):
            raise TypeError(
                f"estimator: {type(estimator).__name__} has no score_samples method; "
                "give a fitted GaussianMixtureEM, BayesianGaussianMixtureEM or EMImputer."
            )
        try:
            check_is_fitted(estimator)
        except NotFittedError as error:
            raise NotFittedError(f"estimator: {error}") from None
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0 < alpha < 1:
            raise ValueError(f"alpha must be a number in (0, 1), got {alpha!r}.")
        for name, value in (("n_resamples", n_resamples), ("batch_size", batch_size)):
            if value is None and name == "batch_size":
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        if n_resamples * alpha / _N_TESTS < 1:
            raise ValueError(
                f"n_resamples={n_resamples} is too few for alpha={alpha}: give at least "
                f"{int(np.ceil(_N_TESTS / alpha))}."
            )
        self.estimator = estimator
        self.alpha = float(alpha)
        self.n_resamples = int(n_resamples)
        self.random_state = random_state
        self.n_features_in_ = int(estimator.n_features_in_)
        R = self._validate(reference, "reference")
        if len(R) < _MIN_REFERENCE:
            raise ValueError(
                f"reference has {len(R)} rows: at least {_MIN_REFERENCE} are needed to "
                "calibrate the thresholds."
            )
        if feature_names is None:
            names = getattr(estimator, "feature_names_in_", None)
            feature_names = (
                names if names is not None else [f"x{j}" for j in range(self.n_features_in_)]
            )
        feature_names = tuple(str(name) for name in feature_names)
        if len(feature_names) != self.n_features_in_:
            raise ValueError(
                f"feature_names has {len(feature_names)} names for {self.n_features_in_} features."
            )
        self.feature_names = feature_names
        self._rng = check_random_state(random_state)
        scores = self._scores(R, "reference")
        self._reference_scores = scores
        self.reference_log_likelihood_ = float(scores.mean())
        self.outlier_threshold_ = float(np.quantile(scores, _OUTLIER_QUANTILE))
        self._reference_outliers = int(np.sum(scores < self.outlier_threshold_))
        self._reference_missing = np.isnan(R).sum(axis=0)
        self.bin_edges_ = []
        for j in range(self.n_features_in_):
            observed = R[:, j][~np.isnan(R[:, j])]
            if observed.size == 0:
                raise ValueError(f"reference: feature {feature_names[j]!r} has no values.")
            quantiles = np.quantile(observed, np.linspace(0, 1, _N_BINS + 1)[1:-1])
            self.bin_edges_.append(np.unique(quantiles))
        self._reference_bins = self._bins(R)
        self._reference_counts = self._counts(self._reference_bins)
        self.n_reference_ = len(R)
        self._null: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        if batch_size is not None:
            self._calibrate(int(batch_size))

    # ------------------------------------------------------------ helpers

    def _validate(self, X, name: str) -> np.ndarray:
        try:
            X = np.asarray(X, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be an array of numbers.") from None
        if X.ndim != 2:
            raise ValueError(f"{name} must be 2-dimensional (rows, features), got {X.ndim}.")
        if X.shape[0] == 0:
            raise ValueError(f"{name} is empty: it has no rows.")
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"{name} has {X.shape[1]} features, but the estimator was fitted on "
                f"{self.n_features_in_}."
            )
        if np.isinf(X).any():
            raise ValueError(f"{name} holds infinite values.")
        return X

    def _scores(self, X, name: str) -> np.ndarray:
        scores = np.asarray(self.estimator.score_samples(X), dtype=float)
        if not np.all(np.isfinite(scores)):
            raise ValueError(f"{name}: the estimator gives some rows no finite log-likelihood.")
        return scores

    def _bins(self, X) -> np.ndarray:
        """Bin index of each value (-1 where missing)."""
        bins = np.empty(X.shape, dtype=np.intp)
        for j, edges in enumerate(self.bin_edges_):
            bins[:, j] = np.searchsorted(edges, X[:, j], side="right")
        bins[np.isnan(X)] = -1
        return bins

    def _counts(self, bins) -> np.ndarray:
        """Counts of shape (n_features, n_bins) of the observed values."""
        d = bins.shape[1]
        # One bincount over all features: feature j's bins are j * n_bins + bin, missing last.
        flat = np.where(bins >= 0, bins + _N_BINS * np.arange(d), _N_BINS * d)
        counts = np.bincount(flat.ravel(), minlength=_N_BINS * d + 1)
        return counts[:-1].reshape(d, _N_BINS).astype(float)

    @staticmethod
    def _psi(counts, reference_counts) -> np.ndarray:
        """PSI of each feature, from bin counts of shape (..., n_features, n_bins)."""

        def shares(c):
            total = np.maximum(c.sum(axis=-1, keepdims=True), 1)
            return np.maximum(c / total, _PSI_FLOOR)

        p, q = shares(counts), shares(reference_counts)
        return np.sum((p - q) * np.log(p / q), axis=-1)

    def _calibrate(self, m: int) -> tuple[np.ndarray, np.ndarray]:
        """Absolute log-likelihood shifts and largest PSIs of batches of m reference rows."""
        if m in self._null:
            return self._null[m]
        n = self.n_reference_
        if n < 2 * m:
            raise ValueError(
                f"X has {m} rows: the reference ({n} rows) must have at least twice as "
                "many rows as a batch to calibrate the thresholds."
            )
        scores, bins, total = self._reference_scores, self._reference_bins, self._reference_counts
        score_sum = scores.sum()
        shifts = np.empty(self.n_resamples)
        psis = np.empty(self.n_resamples)
        for b in range(self.n_resamples):
            chosen = self._rng.choice(n, size=m, replace=False)
            inside = scores[chosen].sum()
            shifts[b] = abs(inside / m - (score_sum - inside) / (n - m))
            counts = self._counts(bins[chosen])
            psis[b] = self._psi(counts, total - counts).max()
        self._null[m] = (np.sort(shifts), np.sort(psis))
        return self._null[m]

    def _threshold(self, null: np.ndarray) -> float:
        """The smallest value of the statistic whose p-value is below alpha / 4."""
        # p = (1 + #{null >= t}) / (B + 1) < level  <=>  #{null >= t} < level * (B + 1) - 1
        level = self.alpha / _N_TESTS
        allowed = int(np.ceil(level * (len(null) + 1) - 1)) - 1  # largest count still drift
        return float(null[len(null) - 1 - allowed]) if allowed >= 0 else np.inf

    @staticmethod
    def _pvalue(null: np.ndarray, value: float) -> float:
        beyond = len(null) - np.searchsorted(null, value, side="left")
        return (1 + beyond) / (len(null) + 1)

    def _share_pvalue(self, k, m: int, r, *, alternative: str) -> float:
        """Conditional binomial test of k events in m rows against r in the reference's n."""
        if k + r == 0:
            return 1.0
        p = m / (m + self.n_reference_)
        return float(stats.binomtest(int(k), int(k + r), p, alternative=alternative).pvalue)

    # ------------------------------------------------------------- public

    def check(self, X) -> DriftReport:
        """Compare a batch of rows with the reference.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            The batch; missing values (NaN) where the model allows them.

        Returns
        -------
        report : DriftReport
            ``report.drift`` says whether the batch drifted; ``str(report)``
            is a readable summary.
        """
        X = self._validate(X, "X")
        m = len(X)
        shifts, psis = self._calibrate(m)
        level = self.alpha / _N_TESTS
        names = self.feature_names
        reasons = []

        scores = self._scores(X, "X")
        mean = float(scores.mean())
        shift = mean - self.reference_log_likelihood_
        ll_threshold = self._threshold(shifts)
        ll_p = self._pvalue(shifts, abs(shift))
        if ll_p < level:
            reasons.append(f"log-likelihood shift {shift:+.3g} beyond +-{ll_threshold:.3g}")

        psi = self._psi(self._counts(self._bins(X)), self._reference_counts)
        psi_threshold = self._threshold(psis)
        psi_p = self._pvalue(psis, float(psi.max()))
        if psi_p < level:
            worst = int(np.argmax(psi))
            reasons.append(f"PSI of {names[worst]!r} {psi[worst]:.3g} beyond {psi_threshold:.3g}")

        outliers = int(np.sum(scores < self.outlier_threshold_))
        outlier_p = self._share_pvalue(
            outliers, m, self._reference_outliers, alternative="greater"
        )
        reference_share = self._reference_outliers / self.n_reference_
        if outlier_p < level:
            reasons.append(f"outliers {outliers / m:.2%} against {reference_share:.2%}")

        missing = np.isnan(X).sum(axis=0)
        missing_p = np.array(
            [
                self._share_pvalue(k, m, r, alternative="two-sided")
                for k, r in zip(missing, self._reference_missing)
            ]
        )
        for j in np.flatnonzero(missing_p < level / self.n_features_in_):
            reasons.append(
                f"missing {names[j]!r} {missing[j] / m:.2%} against "
                f"{self._reference_missing[j] / self.n_reference_:.2%}"
            )

        return DriftReport(
            drift=bool(reasons),
            reasons=tuple(reasons),
            n_rows=m,
            alpha=self.alpha,
            log_likelihood=mean,
            reference_log_likelihood=self.reference_log_likelihood_,
            log_likelihood_shift=shift,
            log_likelihood_threshold=ll_threshold,
            log_likelihood_pvalue=ll_p,
            psi=psi,
            psi_threshold=psi_threshold,
            psi_pvalue=psi_p,
            outlier_share=outliers / m,
            reference_outlier_share=reference_share,
            outlier_pvalue=outlier_p,
            missing_share=missing / m,
            reference_missing_share=self._reference_missing / self.n_reference_,
            missing_pvalue=missing_p,
            feature_names=names,
        )
