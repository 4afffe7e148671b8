"""The ``emkit`` command (also ``python -m emkit``)."""

from __future__ import annotations

import argparse
import sys
import warnings

import numpy as np

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


def demo(plot_path: str | None) -> int:
    """Choose a mixture for Old Faithful by BIC and print the table."""
    from .datasets import load_faithful
    from .mixture import GaussianMixtureEM

    faithful = load_faithful()
    X = faithful.data
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    print(f"Old Faithful: {X.shape[0]} eruptions, features {', '.join(faithful.feature_names)}")
    print(
        "Standardised; reg_covar=1e-3 exceeds the variance of rounding waiting times\n"
        "to whole minutes, so that no component collapses onto one recorded value.\n"
    )
    print("BIC of GaussianMixtureEM (lower is better)\n")
    print("k  " + "".join(f"{name:>12}" for name in COVARIANCE_TYPES))
    best, best_bic = None, np.inf
    for k in range(1, 7):
        row = []
        for covariance_type in COVARIANCE_TYPES:
            model = GaussianMixtureEM(
                k, covariance_type=covariance_type, reg_covar=1e-3, n_init=3, random_state=0
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(X)
            bic = model.bic(X)
            row.append(bic)
            if bic < best_bic:
                best, best_bic = model, bic
        print(f"{k:<3}" + "".join(f"{bic:12.1f}" for bic in row))
    print(
        f"\nChosen: {best.n_components} components, covariance_type="
        f"{best.covariance_type!r}, BIC {best_bic:.1f}, "
        f"log-likelihood {best.score(X) * len(X):.4f}"
    )
    for j in np.argsort(-best.weights_):
        mean = ", ".join(f"{m:.3f}" for m in best.means_[j])
        print(f"  weight {best.weights_[j]:.3f}  mean ({mean})")
    if plot_path is not None:
        try:
            import matplotlib

            from .plotting import plot_mixture

            matplotlib.use("Agg")
        except ImportError:
            print("\n(no plot: install matplotlib, e.g. pip install 'emkit[plot]')")
        else:
            ax = plot_mixture(best, X)
            ax.set_xlabel(f"{faithful.feature_names[0]} (standardised)")
            ax.set_ylabel(f"{faithful.feature_names[1]} (standardised)")
            ax.set_title(f"Old Faithful: {best.n_components} components ({best.covariance_type})")
            ax.figure.savefig(plot_path, dpi=100)
            print(f"\nWrote {plot_path}")
    return 0


def info(path: str) -> int:
    """Print what a model file holds, after checking it as ``from_json`` does."""
    from .io import from_json

    try:
        with open(path, encoding="utf-8") as file:
            model = from_json(file.read())
    except (OSError, ValueError) as error:
        print(f"emkit info: {path}: {error}", file=sys.stderr)
        return 1
    n_features = getattr(model, "_kept", np.ones(model.n_features_in_, bool)).sum()
    print(f"{type(model).__name__} fitted on {n_features} features")
    for name, value in model.get_params(deep=False).items():
        if value is not None and not isinstance(value, np.ndarray):
            print(f"  {name} = {value!r}")
    converged = "converged" if model.converged_ else "not converged"
    bound = f"{model.lower_bound_:.6g}"
    print(f"EM: {model.n_iter_} E-steps, {converged}, log-likelihood per row {bound}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="emkit", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser(
        "demo", help="fit Gaussian mixtures to the bundled Old Faithful data"
    )
    demo_parser.add_argument(
        "--plot",
        default="emkit-demo.png",
        metavar="PATH",
        help="where to write the picture of the chosen mixture (default: %(default)s)",
    )
    demo_parser.add_argument("--no-plot", action="store_true", help="do not draw")
    info_parser = commands.add_parser("info", help="check a model file and say what it holds")
    info_parser.add_argument("model", metavar="MODEL.json", help="written by emkit.io.to_json")
    args = parser.parse_args(argv)
    if args.command == "info":
        return info(args.model)
    return demo(None if args.no_plot else args.plot)


if __name__ == "__main__":
    sys.exit(main())
