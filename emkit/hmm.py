"""Hidden Markov models fitted by Baum-Welch (EM) on the shared driver: HMMEM."""

from __future__ import annotations

from functools import partial
from numbers import Integral, Real

from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ._em import (
    EM_CONSTRAINTS,
    fit_em,
    fitted_copy,
    set_fit_attributes,
)
from ._emissions import (
    CategoricalEmission,
    GaussianEmission,
    GaussianMixtureEmission,
    MultinomialTrialsEmission,
    PoissonEmission,
)
from ._gaussian import GAUSSIAN_CONSTRAINTS
from ._hmm_base import (
    BaseHMM,
    HMMModel,
    HMMParams,
    _check_y_is_not_lengths,
    _row_bytes,
    _warn_if_degenerate,
)
from ._validation import (
    check_prior,
    check_probabilities,
    unchanged_on_error,
)
from .emissions import CustomEmission, Emission


class HMMEM(BaseHMM):
    """Hidden Markov model fitted by Baum-Welch (EM).

    Gaussian (all four covariance types), Gaussian mixture (hmmlearn's
    GMMHMM), categorical, multinomial or Poisson emissions;
    many sequences at once, given by ``lengths`` (as in hmmlearn) or by
    ``sequence_ids`` (one id per row, which scikit-learn's metadata routing
    splits with the rows, so that ``GroupKFold`` cross-validation works).
    Forward-backward and Viterbi are compiled with numba.

    Parameters
    ----------
    n_components : int, default=1
        Number of hidden states.
    emission : {"gaussian", "gmm", "categorical", "multinomial", "poisson"} or Emission, \
            default="gaussian"
        Emission distribution. ``"gmm"``: a mixture of ``n_mix`` Gaussians per
        state. Categorical X is one column of integer symbols
        ``0 .. n_symbols - 1``; multinomial X holds the counts of
        ``n_features`` categories, each row the outcomes of its number of
        trials (``n_trials``), as hmmlearn's ``MultinomialHMM``; Poisson X
        holds non-negative integer counts. An instance of a subclass of
        :class:`emkit.emissions.Emission` is an emission of your own; its
        parameters become attributes ``name_`` (see :ref:`custom-emissions`).
    covariance_type : {"diag", "full", "tied", "spherical"}, default="diag"
        Covariance structure of Gaussian emissions, and of the components of
        Gaussian mixture emissions. With ``emission="gmm"``, ``"tied"`` shares
        one matrix among the components of each state, as hmmlearn's GMMHMM
        does (with ``"gaussian"``, one matrix for all states).
    n_mix : int, default=1
        Number of Gaussian components in each state's mixture
        (``emission="gmm"``).
    n_init : int, default=1
        Number of restarts; the one with the highest log-likelihood is kept.
    init_params : {"short-em", "kmeans", "random"}, default="short-em"
        Initial Gaussian means or Poisson rates. ``"short-em"`` runs plain
        Baum-Welch for a few E-steps from 16 starts (k-means centres, and 15
        seeds drawn by k-means++'s rule without greedy trials), keeps the
        better half by the limit Aitken's method projects (on larger data,
        by the fit to a second sample plus the projected gain), and doubles
        their E-steps, round after round, until one is left; the fit starts
        from the survivor (see :ref:`defaults`). ``"kmeans"``: k-means centres;
        ``"random"``: random rows. Every start runs on whole sequences drawn
        at random up to 10,000 rows, or a window of 10,000 rows of one longer
        sequence. Categorical emission probabilities start random (one start:
        short runs on a sample would rule out its unseen symbols); multinomial
        ones, for the same reason, at k-means centres of the rows' proportions
        (``"random"``: random rows' proportions), each category kept above 0.
        Gaussian covariances start at the data's covariance. A Gaussian
        mixture's means start at ``n_mix`` centres, found by the same method,
        among the rows nearest each state's centre (as hmmlearn's GMMHMM runs
        k-means twice), its weights equal. With emission parameters given
        (``weights_init``, ``means_init``, ``covars_init``, ``emissionprob_init``,
        ``lambdas_init``), there are no short runs.
    startprob_init, transmat_init : array-like, default=None
        Initial start probabilities (n_components,) and transition matrix
        (n_components, n_components); uniform if None. Zeros in
        ``transmat_init`` stay zero (left-right and other topologies).
    weights_init : array-like of shape (n_components, n_mix), default=None
        Initial mixture weights of Gaussian mixture emissions; each row sums
        to 1.
    means_init, covars_init : array-like, default=None
        Initial Gaussian means, (n_components, n_features) or for Gaussian
        mixtures (n_components, n_mix, n_features), and covariances (in the
        shape of ``covars_``).
    emissionprob_init : array-like of shape (n_components, n_symbols), default=None
        Initial categorical emission probabilities; multinomial: of shape
        (n_components, n_features).
    lambdas_init : array-like of shape (n_components, n_features), default=None
        Initial Poisson rates.
    n_trials : int, array-like of shape (n_samples,) or None, default=None
        Multinomial emissions: the number of trials of each row, which its
        counts must sum to. An int holds for the rows of every method; an
        array gives the trials of each row of the X passed to ``fit`` (other
        methods take each row's total, as hmmlearn does); None takes each
        row's total. ``sample`` draws rows of ``n_trials`` trials if it is an
        int, else of the total that all the rows of ``fit`` shared
        (``n_trials_``).
    startprob_prior, transmat_prior : float or array-like, default=1.0
        Dirichlet concentrations of the start and transition probabilities,
        for every entry or of shape (n_components,) and (n_components,
        n_components); 1.0 is no prior, below 1 favours zero probabilities.
    emissionprob_prior : float or array-like, default=1.0
        Dirichlet concentrations of categorical or multinomial emission
        probabilities, (n_components, n_symbols or n_features).
    lambdas_prior, lambdas_weight : float or array-like, default=0.0
        Gamma prior of the Poisson rates, density proportional to
        ``rate ** lambdas_prior * exp(-lambdas_weight * rate)``, (n_components,
        n_features).
    means_prior, means_weight : float or array-like, default=0.0
        Normal prior of the Gaussian means: about ``means_prior``
        (n_components, n_features), worth ``means_weight`` (n_components,)
        observations.
    covars_prior, covars_weight : float or array-like, default=0.0 and 1.0
        Inverse-Wishart prior of the Gaussian covariances: scale
        ``covars_prior`` in the shape of ``covars_`` (a number: on the
        diagonal), degrees of freedom ``covars_weight`` (n_components,), a
        number for ``"tied"``. The defaults are flat; hmmlearn's updates
        (see :ref:`hmm`, "Priors on the emissions").
    reg_covar : float, default=1e-6
        Added to the diagonal of Gaussian covariances.
    update_params : tuple of str, default=None
        Parameters that EM updates, among ``"startprob"``, ``"transmat"`` and
        the emission's (``"means"``, ``"covars"``; ``"weights"``, ``"means"``,
        ``"covars"`` for Gaussian mixtures; ``"emissionprob"`` for categorical
        and multinomial; ``"lambdas"``). None updates all.
    tol : float, default=1e-5
        EM stops when the mean log-likelihood per observation is within about
        ``tol`` of where it is heading (see ``stopping``). hmmlearn's ``tol``
        bounds the gain of the total log-likelihood instead.
    max_iter : int, default=1000
        Maximum number of iterations per restart.
    accelerate : {"squarem", None}, default="squarem"
        ``"squarem"`` extrapolates Baum-Welch steps (SQUAREM), keeping a step
        only if it does not lower the log-likelihood; ``None`` is plain
        Baum-Welch, which reproduces hmmlearn's iterates from the same start
        (GMMHMM's when it updates the means or the covariances, not both: it
        then centres the covariances on the previous means, an ECM step).
    stopping : {"aitken", "change"}, default="aitken"
        The stopping rule, as in :class:`~emkit.GaussianMixtureEM`:
        ``"aitken"`` stops when the last gain and the gains still to come
        (Aitken's delta-squared estimate) are below ``tol``; ``"change"``
        when the last gain is, as hmmlearn does (with ``tol`` per
        observation).
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisations and :meth:`sample`.
    n_jobs : int, default=None
        Number of threads: restarts run at once, and the blocks of sequences
        of each E-step, and of ``predict``, ``predict_proba``, ``decode`` and
        ``score``, are shared among them. Results do not depend on it.
    verbose : int, default=0
        Verbosity, as in :class:`~emkit.GaussianMixtureEM`.
    callback : callable, default=None
        Called after every iteration with an :class:`~emkit.IterationRecord`;
        returning True stops that restart.

    Attributes
    ----------
    startprob_ : ndarray of shape (n_components,)
        Start probabilities.
    transmat_ : ndarray of shape (n_components, n_components)
        Transition probabilities; row i is the distribution of the next state.
    means_, covars_ : ndarray
        Gaussian emissions: means and covariances (shape by ``covariance_type``,
        as ``GaussianMixtureEM.covariances_``). For Gaussian mixtures, see
        ``weights_``.
    weights_ : ndarray of shape (n_components, n_mix)
        Gaussian mixture emissions: the mixture weights of each state. Then
        ``means_`` has shape (n_components, n_mix, n_features), and
        ``covars_[k]`` holds state k's components' covariances, as
        ``GaussianMixtureEM.covariances_`` with ``n_mix`` components (the
        shapes of hmmlearn's GMMHMM):

        =========== =================================================
        type        ``covars_``
        =========== =================================================
        full        (n_components, n_mix, n_features, n_features)
        tied        (n_components, n_features, n_features)
        diag        (n_components, n_mix, n_features)
        spherical   (n_components, n_mix)
        =========== =================================================
    emissionprob_ : ndarray of shape (n_components, n_symbols)
        Categorical emissions; multinomial: (n_components, n_features), the
        probabilities of the categories in each state.
    n_trials_ : int or None
        Multinomial emissions: the number of trials that every row of the X
        passed to ``fit`` had, or None if their totals differ.
    lambdas_ : ndarray of shape (n_components, n_features)
        Poisson emissions.
    converged_, n_iter_, lower_bound_, lower_bounds_
        As in :class:`~emkit.GaussianMixtureEM`; log-likelihoods are means
        per observation, plus the log of the prior densities (divided by the
        number of observations) when a prior is not flat: the objective that
        EM increases.
    n_features_in_ : int
        Number of columns of X seen during ``fit``.

    Notes
    -----
    A sequence that a zero start, transition or emission probability rules
    out has probability zero: :meth:`score` returns ``-inf`` for it (and
    ``bic`` and ``aic`` ``inf``), as hmmlearn's ``score`` does, while
    :meth:`predict_proba`, :meth:`predict`, :meth:`decode` and :meth:`fit`
    raise a ``ValueError`` naming it: it has no posteriors and no most likely
    path.

    ``fit`` warns (``UserWarning``) when the model has more free parameters
    (those EM updates, as ``bic`` counts them) than X has observed values,
    as hmmlearn warns of a degenerate solution; not with ``max_iter=0``,
    which estimates nothing. A model fitted on several sequences warns when
    ``score``, ``predict``, ``predict_proba``, ``decode``, ``bic`` or ``aic``
    get neither ``lengths`` nor ``sequence_ids``.

    Examples
    --------
    >>> import numpy as np
    >>> from emkit import HMMEM
    >>> rng = np.random.RandomState(0)
    >>> states = np.repeat([0, 1, 0, 1], 50)
    >>> X = rng.normal(loc=3.0 * states, size=200)[:, None]
    >>> hmm = HMMEM(2, random_state=0).fit(X)
    >>> hmm.means_.round(1).ravel()
    array([0.2, 2.9])
    >>> hmm.transmat_.round(2)
    array([[0.98, 0.02],
           [0.01, 0.99]])
    >>> hmm.predict(X[48:53])
    array([0, 0, 1, 1, 1])

    Several sequences, given by their lengths or by one id per row:

    >>> ids = np.repeat([10, 20], 100)
    >>> hmm.score(X, sequence_ids=ids) == hmm.score(X, lengths=[100, 100])
    True

    The long-run share of time in each state, and two new sequences drawn
    from the model:

    >>> hmm.get_stationary_distribution().round(2)
    array([0.34, 0.66])
    >>> X_new, states_new = hmm.sample(lengths=[10, 20], random_state=0)
    >>> X_new.shape, states_new.shape
    ((30, 1), (30,))

    A mixture of two Gaussians in each state (hmmlearn's GMMHMM):

    >>> mixed = HMMEM(2, emission="gmm", n_mix=2, random_state=0).fit(X)
    >>> mixed.weights_.shape, mixed.means_.shape, mixed.covars_.shape
    ((2, 2), (2, 2, 1), (2, 2, 1))
    """

    _parameter_constraints: dict = {
        **EM_CONSTRAINTS,
        **GAUSSIAN_CONSTRAINTS,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "emission": [
            StrOptions({"gaussian", "gmm", "categorical", "multinomial", "poisson"}),
            Emission,
        ],
        "n_mix": [Interval(Integral, 1, None, closed="left")],
        "init_params": [StrOptions({"short-em", "kmeans", "random"})],
        "startprob_init": ["array-like", None],
        "transmat_init": ["array-like", None],
        "weights_init": ["array-like", None],
        "means_init": ["array-like", None],
        "covars_init": ["array-like", None],
        "emissionprob_init": ["array-like", None],
        "lambdas_init": ["array-like", None],
        "n_trials": [Interval(Integral, 1, None, closed="left"), "array-like", None],
        "startprob_prior": [Interval(Real, 0.0, None, closed="left"), "array-like"],
        "transmat_prior": [Interval(Real, 0.0, None, closed="left"), "array-like"],
        "emissionprob_prior": [Interval(Real, 0.0, None, closed="left"), "array-like"],
        "lambdas_prior": [Interval(Real, 0.0, None, closed="left"), "array-like"],
        "lambdas_weight": [Interval(Real, 0.0, None, closed="left"), "array-like"],
        "means_prior": [Real, "array-like"],
        "means_weight": [Interval(Real, 0.0, None, closed="left"), "array-like"],
        "covars_prior": [Interval(Real, 0.0, None, closed="left"), "array-like"],
        "covars_weight": [Interval(Real, 0.0, None, closed="left"), "array-like"],
        "update_params": [tuple, list, None],
    }

    def __init__(
        self,
        n_components: int = 1,
        *,
        emission: str = "gaussian",
        covariance_type: str = "diag",
        n_mix: int = 1,
        n_init: int = 1,
        init_params: str = "short-em",
        startprob_init=None,
        transmat_init=None,
        weights_init=None,
        means_init=None,
        covars_init=None,
        emissionprob_init=None,
        lambdas_init=None,
        n_trials=None,
        startprob_prior=1.0,
        transmat_prior=1.0,
        emissionprob_prior=1.0,
        lambdas_prior=0.0,
        lambdas_weight=0.0,
        means_prior=0.0,
        means_weight=0.0,
        covars_prior=0.0,
        covars_weight=1.0,
        reg_covar: float = 1e-6,
        update_params=None,
        tol: float = 1e-5,
        max_iter: int = 1000,
        accelerate="squarem",
        stopping: str = "aitken",
        random_state=None,
        n_jobs: int | None = None,
        verbose: int = 0,
        callback=None,
    ):
        self.n_components = n_components
        self.emission = emission
        self.covariance_type = covariance_type
        self.n_mix = n_mix
        self.n_init = n_init
        self.init_params = init_params
        self.startprob_init = startprob_init
        self.transmat_init = transmat_init
        self.weights_init = weights_init
        self.means_init = means_init
        self.covars_init = covars_init
        self.emissionprob_init = emissionprob_init
        self.lambdas_init = lambdas_init
        self.n_trials = n_trials
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.emissionprob_prior = emissionprob_prior
        self.lambdas_prior = lambdas_prior
        self.lambdas_weight = lambdas_weight
        self.means_prior = means_prior
        self.means_weight = means_weight
        self.covars_prior = covars_prior
        self.covars_weight = covars_weight
        self.reg_covar = reg_covar
        self.update_params = update_params
        self.tol = tol
        self.max_iter = max_iter
        self.accelerate = accelerate
        self.stopping = stopping
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.callback = callback

    # -- pieces

    def _emission(self):
        if isinstance(self.emission, Emission):
            return CustomEmission(self.emission)
        if self.emission == "gaussian":
            return GaussianEmission(self.covariance_type, self.reg_covar)
        if self.emission == "gmm":
            return GaussianMixtureEmission(self.n_mix, self.covariance_type, self.reg_covar)
        if self.emission == "categorical":
            return CategoricalEmission()
        if self.emission == "multinomial":
            return MultinomialTrialsEmission(self.n_trials, getattr(self, "n_trials_", None))
        return PoissonEmission()

    def _model(self, n_features: int) -> HMMModel:
        k = self.n_components
        emission = self._emission()
        given = {
            "weights": self.weights_init,
            "means": self.means_init,
            "covars": self.covars_init,
            "emissionprob": self.emissionprob_init,
            "lambdas": self.lambdas_init,
        }
        checked = emission.check_init(given, k, n_features)
        priors = {
            name: getattr(self, name)
            for name in (
                "emissionprob_prior",
                "lambdas_prior",
                "lambdas_weight",
                "means_prior",
                "means_weight",
                "covars_prior",
                "covars_weight",
            )
        }
        emission.set_priors(priors, k, n_features)
        if self.startprob_init is not None:
            checked["startprob"] = check_probabilities(self.startprob_init, (k,), "startprob_init")
        if self.transmat_init is not None:
            checked["transmat"] = check_probabilities(self.transmat_init, (k, k), "transmat_init")
        return HMMModel(
            k,
            emission,
            self.init_params,
            checked,
            check_prior(self.startprob_prior, (k,), "startprob_prior"),
            check_prior(self.transmat_prior, (k, k), "transmat_prior"),
            self._update(emission),
        )

    def _fitted_model(self) -> HMMModel:
        """The model of the fitted parameters."""
        return self._model(self.n_features_in_)

    # -- fitting

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, lengths=None, sequence_ids=None):
        """Fit the model by Baum-Welch.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observations of all sequences, stacked in time order.
        y : None
            Ignored.
        lengths : array-like of int, default=None
            Lengths of the sequences, summing to n_samples (as in hmmlearn).
        sequence_ids : array-like of shape (n_samples,), default=None
            The sequence of each row; the rows of a sequence are consecutive.
            Give ``lengths`` or ``sequence_ids``, or neither for one sequence.

        Returns
        -------
        self : HMMEM
            The fitted estimator.
        """
        with unchanged_on_error(self):
            data = self._prepare(X, lengths, sequence_ids, reset=True)
            _check_y_is_not_lengths(y, data.X)
            n_samples, n_features = data.X.shape
            mixed = self.emission == "gmm"  # a start needs a row per Gaussian
            components = "n_components * n_mix" if mixed else "n_components"
            n_densities = self.n_components * (self.n_mix if mixed else 1)
            if n_samples < n_densities:
                raise ValueError(
                    f"X: expected n_samples >= {components} but got {components} = "
                    f"{n_densities}, n_samples = {n_samples}."
                )
            model = self._model(n_features)
            # A categorical table needs every symbol of the data, a start's sample or not.
            model.given["largest"] = data.X.max(axis=0)
            # What the emission learns from the data beside EM (the rows' common total).
            data_attributes = getattr(model.emission, "data_attributes", lambda X: {})
            for name, value in data_attributes(data.X).items():
                setattr(self, name, value)
            k = self.n_components
            self._n_fit_sequences = len(data.starts)  # also that of the callback's copies
            result = fit_em(
                model,
                data,
                row_bytes=_row_bytes(k, n_features),
                n_init=self.n_init,
                tol=self.tol,
                max_iter=self.max_iter,
                random_state=check_random_state(self.random_state),
                n_jobs=self.n_jobs,
                verbose=self.verbose,
                callback=self.callback,
                accelerate=self.accelerate,
                stopping=self.stopping,
                fitted=partial(fitted_copy, self, model),
                estimator=self,
            )
            if self.max_iter > 0:  # max_iter=0 estimates nothing: it builds a model
                _warn_if_degenerate(model.n_parameters(result.params), data.X)
            set_fit_attributes(self, model, result)
        return self

    def _set_fitted(self, model, params: HMMParams) -> None:
        self.startprob_ = params.startprob
        self.transmat_ = params.transmat
        for name, value in model.emission.attributes(params.emission).items():
            setattr(self, name, value)

    # -- inference

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self.emission in ("gaussian", "gmm")
        return tags
