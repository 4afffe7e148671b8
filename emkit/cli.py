"""The ``emkit`` command (also ``python -m emkit``)."""

from __future__ import annotations

import argparse
import os
import sys
import warnings

import numpy as np

from ._covariance import COVARIANCE_TYPES


def demo(plot_path: str | None) -> int:
    """Choose a mixture for Old Faithful by BIC and print the table."""
    from .datasets import load_faithful
    from .mixture import GaussianMixtureEM

    if plot_path is not None:
        directory = os.path.dirname(plot_path) or "."
        if not os.path.isdir(directory):
            raise CommandError(f"--plot {plot_path}: there is no directory {directory!r}.")
        if not os.path.splitext(plot_path)[1]:
            plot_path += ".png"  # as matplotlib would, so that the message says the real name
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


class CommandError(ValueError):
    """Bad input to a command: printed as one line, exit status 1."""


KINDS = ("gmm", "hmm", "impute", "semi")


def _estimator(kind: str, n_components: int, args):
    from . import HMMEM, EMImputer, GaussianMixtureEM, SemiSupervisedEM

    common = dict(covariance_type=args.covariance_type, callback=_progress())
    if kind == "semi":
        return SemiSupervisedEM(n_components_per_class=n_components, **common)
    cls = {"gmm": GaussianMixtureEM, "hmm": HMMEM, "impute": EMImputer}[kind]
    return cls(n_components=n_components, random_state=args.random_state, **common)


def _progress():
    """A callback that shows restarts, E-steps and log-likelihood on a terminal, else None."""
    if not sys.stderr.isatty():
        return None

    def show(record) -> None:
        print(
            f"\rrestart {record.restart}, E-step {record.iteration}, "
            f"log-likelihood per row {record.log_likelihood:.6g}   ",
            end="",
            file=sys.stderr,
            flush=True,
        )

    return show


def _data(args, table, path: str):
    """Features, the sequence ids or labels the options name, and the feature names."""
    special = {}
    for option in ("sequence_column", "label_column"):
        key = getattr(args, option)
        if key is not None:
            special[option] = table.column(key, path)
    features = [c for c in range(table.n_columns) if c not in special.values()]
    if not features:
        raise CommandError(f"{path}: no feature columns left.")
    X = table.numbers(features, path)
    extra = {}
    if "sequence_column" in special:
        ids = [row[special["sequence_column"]].strip() for row in table.cells]
        extra["sequence_ids"] = np.unique(ids, return_inverse=True)[1]
    if "label_column" in special:
        extra["y"] = _labels([row[special["label_column"]].strip() for row in table.cells])
    names = [table.names[c] for c in features] if table.names else None
    return X, extra, names


def _labels(cells: list[str]) -> np.ndarray:
    """Class labels; missing cells (empty, NA, NaN) and -1 mark unlabeled rows."""
    from ._csv import MISSING

    cells = ["-1" if cell.lower() in MISSING else cell for cell in cells]
    try:
        return np.array([int(cell) for cell in cells])
    except ValueError:
        return np.array([-1 if cell == "-1" else cell for cell in cells], dtype=object)


def _check_columns(kind: str, extra: dict) -> None:
    """Raise if --sequence-column or --label-column is given to a model that has no use for it."""
    if "sequence_ids" in extra and kind != "hmm":
        raise CommandError("--sequence-column is for hmm models.")
    if "y" in extra and kind != "semi":
        raise CommandError("--label-column is for semi models.")


def _fit(kind: str, X, extra: dict, args):
    """Fit, choosing n_components by BIC over 1..--max-components when asked."""
    routed = {"sequence_ids": extra["sequence_ids"]} if "sequence_ids" in extra else {}
    y = extra.get("y")
    _check_columns(kind, extra)
    if kind == "semi" and y is None:
        raise CommandError("semi needs --label-column (empty cells or -1: unlabeled rows).")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if args.n_components == "auto":
            if kind == "semi":
                raise CommandError("--n-components auto is for gmm, hmm and impute.")
            bics = {}
            for k in range(1, min(args.max_components, len(X)) + 1):
                # impute: the same mixture, fitted with its missing values, scores itself
                scorer = _estimator("gmm" if kind == "impute" else kind, k, args)
                bics[k] = scorer.fit(X, **routed).bic(X, **routed)
                print(f"n_components={k}: BIC {bics[k]:.2f}")
            n_components = min(bics, key=bics.get)
            print(f"chosen by BIC: n_components={n_components}")
        else:
            n_components = int(args.n_components)
        model = _estimator(kind, n_components, args)
        model.fit(X, *([] if y is None else [y]), **routed)
    if model.callback is not None:
        print(file=sys.stderr)
        model.set_params(callback=None)
    return model


def _load(path: str):
    from .io import from_json

    try:
        with open(path, encoding="utf-8-sig") as file:  # as CSV files, a BOM is allowed
            return from_json(file.read())
    except OSError as error:
        raise CommandError(f"{path}: cannot read the model ({error.strerror}).") from None
    except ValueError as error:
        raise CommandError(f"{path}: {error}") from None


def fit_command(args) -> int:
    from ._csv import read
    from .io import to_json

    X, extra, _ = _data(args, read(args.data, args.delimiter), args.data)
    model = _fit(args.model, X, extra, args)
    with open(args.out, "w", encoding="utf-8") as file:
        file.write(to_json(model))
    converged = "converged" if model.converged_ else "NOT converged"
    print(f"{type(model).__name__}: {model.n_iter_} E-steps, {converged}; wrote {args.out}")
    return 0


def predict_command(args) -> int:
    from ._csv import read

    model = _load(args.model_file)
    X, extra, names = _data(args, read(args.data, args.delimiter), args.data)
    kind = {"HMMEM": "hmm", "SemiSupervisedEM": "semi"}.get(type(model).__name__, "gmm")
    _check_columns(kind, {name: value for name, value in extra.items() if name != "y"})
    fitted_names = getattr(model, "feature_names_in_", None)  # fitted in Python on a DataFrame
    if fitted_names is not None and names is not None and names != list(fitted_names):
        raise CommandError(
            f"{args.data}: feature columns {names}, but the model was fitted on "
            f"{list(fitted_names)}."
        )
    with warnings.catch_warnings():  # the columns are checked above, by name or by position
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        _predict(model, X, extra, names, args)
    return 0


def _predict(model, X, extra: dict, names, args) -> None:
    from ._csv import write
    from .impute import EMImputer
    from .mixture import GaussianMixtureEM

    routed = {"sequence_ids": extra["sequence_ids"]} if "sequence_ids" in extra else {}
    if isinstance(model, EMImputer):
        if args.output != "labels":
            raise CommandError("an impute model fills the empty cells: leave out --output.")
        write(args.out, list(model.get_feature_names_out(names)), model.transform(X))
    elif args.output == "proba":
        proba = model.predict_proba(X, **routed)
        classes = getattr(model, "classes_", range(proba.shape[1]))
        write(args.out, [f"p_{c}" for c in classes], proba)
    elif args.output == "loglik":
        if not isinstance(model, GaussianMixtureEM):
            raise CommandError("--output loglik is for gmm models.")
        write(args.out, ["log_likelihood"], model.score_samples(X))
    else:
        write(args.out, ["label"], model.predict(X, **routed))


def impute_command(args) -> int:
    from ._csv import read, write

    X, extra, names = _data(args, read(args.data, args.delimiter), args.data)
    model = _fit("impute", X, extra, args)
    write(args.out, list(model.get_feature_names_out(names)), model.transform(X))
    return 0


def info_command(args) -> int:
    """Print what a model file holds, after checking it as ``from_json`` does."""
    model = _load(args.model_file)
    n_features = getattr(model, "_kept", np.ones(model.n_features_in_, bool)).sum()
    print(f"{type(model).__name__} fitted on {n_features} features")
    for name, value in model.get_params(deep=False).items():
        if value is not None and not isinstance(value, np.ndarray):
            print(f"  {name} = {value!r}")
    converged = "converged" if model.converged_ else "not converged"
    bound = f"{model.lower_bound_:.6g}"
    print(f"EM: {model.n_iter_} E-steps, {converged}, log-likelihood per row {bound}")
    return 0


def _add_data_options(parser, *, fitting: bool) -> None:
    parser.add_argument("data", metavar="DATA.csv", help="numbers; empty cells are missing")
    parser.add_argument(
        "--delimiter",
        default=",",
        type=_delimiter,
        help="cell separator (default: ','; '\\t': tab)",
    )
    parser.add_argument("--sequence-column", metavar="NAME", help="hmm: the sequence ids")
    parser.add_argument(
        "--label-column", metavar="NAME", help="semi: the labels (empty cells: unlabeled)"
    )
    if fitting:
        parser.add_argument(
            "--n-components",
            default="1",
            type=_n_components,
            help="a positive integer, or 'auto' to choose by BIC (default: 1)",
        )
        parser.add_argument("--max-components", type=_positive, default=8, help="for auto")
        parser.add_argument("--covariance-type", choices=list(COVARIANCE_TYPES), default="full")
        parser.add_argument("--random-state", type=int, default=0)


def _delimiter(text: str) -> str:
    text = "\t" if text == "\\t" else text
    if len(text) != 1:
        raise argparse.ArgumentTypeError(f"expected one character (or '\\t'), got {text!r}")
    return text


def _is_positive(text: str) -> bool:
    return text.isdigit() and int(text) >= 1


def _positive(text: str) -> int:
    if _is_positive(text):
        return int(text)
    raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")


def _n_components(text: str) -> str:
    if text == "auto" or _is_positive(text):
        return text
    raise argparse.ArgumentTypeError(f"expected a positive integer or 'auto', got {text!r}")


def main(argv: list[str] | None = None) -> int:
    from ._csv import CSVError

    parser = argparse.ArgumentParser(prog="emkit", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser(
        "demo", help="fit Gaussian mixtures to the bundled Old Faithful data"
    )
    plot_options = demo_parser.add_mutually_exclusive_group()
    plot_options.add_argument(
        "--plot",
        default="emkit-demo.png",
        metavar="PATH",
        help="where to write the picture of the chosen mixture (default: %(default)s)",
    )
    plot_options.add_argument("--no-plot", action="store_true", help="do not draw")
    fit_parser = commands.add_parser("fit", help="fit a model to a CSV file, save it as JSON")
    fit_parser.add_argument("model", choices=KINDS, help="what to fit")
    _add_data_options(fit_parser, fitting=True)
    fit_parser.add_argument("--out", required=True, metavar="MODEL.json")
    predict_parser = commands.add_parser("predict", help="apply a saved model to a CSV file")
    predict_parser.add_argument("model_file", metavar="MODEL.json")
    _add_data_options(predict_parser, fitting=False)
    predict_parser.add_argument(
        "--output", choices=("labels", "proba", "loglik"), default="labels"
    )
    predict_parser.add_argument("--out", metavar="FILE.csv", help="default: standard output")
    impute_parser = commands.add_parser("impute", help="fill the empty cells of a CSV file")
    _add_data_options(impute_parser, fitting=True)
    impute_parser.add_argument("--out", metavar="FILE.csv", help="default: standard output")
    info_parser = commands.add_parser("info", help="check a model file and say what it holds")
    info_parser.add_argument("model_file", metavar="MODEL.json")
    args = parser.parse_args(argv)
    run = {
        "demo": lambda args: demo(None if args.no_plot else args.plot),
        "fit": fit_command,
        "predict": predict_command,
        "impute": impute_command,
        "info": info_command,
    }[args.command]
    try:
        return run(args)
    except BrokenPipeError:  # the reader stopped early, as `| head` does: not an error
        sys.stdout = open(os.devnull, "w")  # nothing more may reach the closed pipe
        return 0
    except (CSVError, CommandError, ValueError, OSError) as error:
        print(f"emkit {args.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
