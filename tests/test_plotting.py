import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

from emkit import HMMEM, EMImputer, GaussianMixtureEM
from emkit.callbacks import History
from emkit.datasets import load_faithful
from emkit.model_selection import aic_scorer, bic_scorer

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from emkit.plotting import (  # noqa: E402
    plot_convergence,
    plot_criterion,
    plot_hmm_states,
    plot_imputation,
    plot_mixture,
)

X = load_faithful().data


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_plot_mixture_draws_one_ellipse_per_component(covariance_type):
    gm = GaussianMixtureEM(3, covariance_type=covariance_type, random_state=0).fit(X)
    ax = plot_mixture(gm, X)
    assert len(ax.patches) == 3
    centres = np.array([patch.center for patch in ax.patches])
    np.testing.assert_allclose(centres, gm.means_)
    with pytest.raises(ValueError, match="plot_mixture draws data of 2 or more features"):
        plot_mixture(gm, X[:, :1])


def test_plot_mixture_projects_wider_data_on_principal_axes():
    rng = np.random.default_rng(0)
    wide = np.c_[X, rng.normal(scale=1e-3, size=(len(X), 2))]  # two near-constant features
    gm = GaussianMixtureEM(2, random_state=0).fit(wide)
    ax = plot_mixture(gm, wide)
    axes = np.linalg.svd(wide - wide.mean(axis=0), full_matrices=False)[2][:2].T
    centres = np.array([patch.center for patch in ax.patches])
    np.testing.assert_allclose(centres, gm.means_ @ axes)
    assert ax.get_xlabel() == "principal axis 1"
    points = ax.collections[0].get_offsets()
    np.testing.assert_allclose(points, wide @ axes)


@pytest.mark.parametrize("scorer, name", [(bic_scorer, "BIC"), (aic_scorer, "AIC")])
def test_plot_criterion_draws_each_setting_and_circles_the_best(scorer, name):
    grid = {"n_components": [1, 2, 3, 4], "covariance_type": ["full", "tied", "diag"]}
    all_rows = [(np.arange(len(X)), np.arange(len(X)))]
    search = GridSearchCV(GaussianMixtureEM(random_state=0), grid, scoring=scorer, cv=all_rows)
    ax = plot_criterion(search.fit(X))
    lines = ax.lines[:3]
    assert [line.get_label() for line in lines] == [
        "covariance_type=full", "covariance_type=tied", "covariance_type=diag"
    ]  # fmt: skip
    for line, covariance_type in zip(lines, grid["covariance_type"]):
        expected = [
            getattr(
                GaussianMixtureEM(k, covariance_type=covariance_type, random_state=0).fit(X),
                name.lower(),
            )(X)
            for k in grid["n_components"]
        ]
        np.testing.assert_allclose(line.get_ydata(), expected)
    best = ax.lines[-1]
    assert best.get_xdata()[0] == search.best_params_["n_components"]
    assert best.get_ydata()[0] == pytest.approx(-search.best_score_)
    assert ax.get_ylabel() == f"{name} (lower is better)"
    with pytest.raises(ValueError, match="no parameter 'reg_covar'"):
        plot_criterion(search, x="reg_covar")


def test_plot_convergence_draws_every_restart_of_every_fit():
    fits = {"plain EM": History(), "SQUAREM": History()}
    for accelerate, name in [(None, "plain EM"), ("squarem", "SQUAREM")]:
        GaussianMixtureEM(
            3, n_init=2, accelerate=accelerate, init_params="random", random_state=0,
            callback=fits[name],
        ).fit(X)  # fmt: skip
    ax = plot_convergence(fits)
    assert len(ax.lines) == 4
    assert [line.get_label() for line in ax.lines][::2] == ["plain EM", "SQUAREM"]
    trace = fits["SQUAREM"].log_likelihoods()[1]
    np.testing.assert_array_equal(ax.lines[3].get_ydata(), trace)


def test_plot_hmm_states_colours_by_state_with_posterior_bands():
    rng = np.random.default_rng(0)
    series = np.r_[np.zeros(40), np.full(40, 6.0)][:, None] + rng.normal(size=(80, 1))
    hmm = HMMEM(2, random_state=0).fit(series)
    ax = plot_hmm_states(hmm, series)
    bands = ax.posterior_ax.collections
    assert len(bands) == 2
    np.testing.assert_allclose(ax.collections[0].get_offsets()[:, 1], series[:, 0])
    top = bands[-1].get_paths()[0].vertices[:, 1].max()
    assert top == pytest.approx(1.0)


def test_plot_imputation_compares_observed_and_imputed_values():
    rng = np.random.default_rng(0)
    data = rng.multivariate_normal([0, 0], [[1, 0.8], [0.8, 1]], size=300)
    holes = data.copy()
    holes[rng.random(300) < 0.3, 1] = np.nan
    ax = plot_imputation(EMImputer().fit(holes), holes, feature=1)
    n_missing = int(np.isnan(holes[:, 1]).sum())
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == [f"observed ({300 - n_missing})", f"imputed ({n_missing})"]
    heights = [patch.get_height() for patch in ax.patches]
    widths = [patch.get_width() for patch in ax.patches]
    half = len(heights) // 2
    for part in (slice(0, half), slice(half, None)):  # each histogram is a density
        assert np.dot(heights[part], widths[part]) == pytest.approx(1.0)


def test_plot_mixture_skips_rows_with_missing_values():
    rng = np.random.default_rng(0)
    wide = np.c_[X, rng.normal(size=(len(X), 1))]
    holes = wide.copy()
    holes[:10, 2] = np.nan
    gm = GaussianMixtureEM(2, random_state=0).fit(holes)
    ax = plot_mixture(gm, holes)
    axes = np.linalg.svd(wide[10:] - wide[10:].mean(axis=0), full_matrices=False)[2][:2].T
    points = ax.collections[0].get_offsets()
    np.testing.assert_allclose(points[10:], wide[10:] @ axes)
    assert np.isnan(np.asarray(points[:10], dtype=float)).all()


def test_plot_imputation_draws_the_column_of_x_asked_for():
    rng = np.random.default_rng(0)
    data = rng.multivariate_normal([0, 100], [[1, 0.8], [0.8, 1]], size=300)
    holes = np.c_[data[:, :1], np.full(300, np.nan), data[:, 1:]]  # column 1 is empty
    holes[rng.random(300) < 0.3, 2] = -99.0
    holes = np.where(np.isnan(holes), -99.0, holes)
    imputer = EMImputer(missing_values=-99.0).fit(holes)
    ax = plot_imputation(imputer, holes, feature=2)
    n_missing = int((holes[:, 2] == -99.0).sum())
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == [f"observed ({300 - n_missing})", f"imputed ({n_missing})"]
    assert ax.patches[0].get_x() > 90  # column 2's values, about 100
    with pytest.raises(ValueError, match="feature 1 had no observed value"):
        plot_imputation(imputer, holes, feature=1)


def test_plot_mixture_leaves_out_the_emptied_components_of_a_variational_fit():
    from emkit import BayesianGaussianMixtureEM

    variational = BayesianGaussianMixtureEM(n_components=6, random_state=0).fit(X)
    kept = int((variational.weights_ >= 0.02).sum())
    assert 0 < kept < 6
    assert len(plot_mixture(variational, X, min_weight=0.02).patches) == kept
    assert len(plot_mixture(variational, X).patches) == 6
    matplotlib.pyplot.close("all")
