"""The ``emkit`` command (also ``python -m emkit``).

Only the standard library is imported at the top: numpy, scikit-learn and the
estimators are imported inside the subcommands, so that ``emkit --help`` and
``emkit --version`` answer at once.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

from . import __version__

# emkit._covariance.COVARIANCE_TYPES, written out so that --help needs no numpy (tested equal).
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
KINDS = ("gmm", "hmm", "impute", "semi")
# The four estimators' defaults, as --help shows them: the command passes these options
# only when they are given (tested equal to the estimators' signatures).
ESTIMATOR_DEFAULTS = {"n_init": 1, "reg_covar": 1e-6, "max_iter": 1000, "tol": 1e-5}
KEY_VARIABLE = "EMKIT_MODEL_KEY"  # the key itself, when --key-file is not given


def demo(plot_path: str | None) -> int:
    """Choose a mixture for Old Faithful by BIC and print the table."""
    import numpy as np

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


def _estimator(kind: str, n_components: int | None, args):
    from . import HMMEM, EMImputer, GaussianMixtureEM, SemiSupervisedEM

    names = ("covariance_type", *ESTIMATOR_DEFAULTS)
    options = {name: getattr(args, name) for name in names if getattr(args, name) is not None}
    options.update(random_state=args.random_state, callback=_progress())
    if n_components is not None:
        options["n_components_per_class" if kind == "semi" else "n_components"] = n_components
    cls = {"gmm": GaussianMixtureEM, "hmm": HMMEM, "impute": EMImputer, "semi": SemiSupervisedEM}
    return cls[kind](**options)


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


# ---------------------------------------------------------------- the data


def _data(args, model=None):
    """Features, the sequence ids or labels the options name, and the feature names.

    A model that records the names of its features (``feature_names_in_``)
    takes its columns from a file with a header by name, in any order.
    """
    import numpy as np

    from ._csv import read

    path = args.data
    table = read(path, args.delimiter)
    special = {}
    for option in ("sequence_column", "label_column"):
        key = getattr(args, option, None)
        if key is not None:
            special[option] = table.column(key, path)
    features = _chosen_columns(args, table, special.values())
    names = [table.names[c] for c in features] if table.names else None
    fitted = None if model is None else getattr(model, "feature_names_in_", None)
    if names is not None:
        twice = next((name for name in names if names.count(name) > 1), None)
        if twice is not None:
            raise CommandError(f"{path}: two columns are named {twice!r}.")
        if fitted is not None:
            features = _by_name(table, features, list(fitted), path)
            names = list(fitted)
    if not features:
        raise CommandError(f"{path}: no feature columns left.")
    X = table.numbers(features, path)
    extra = {}
    if "sequence_column" in special:
        ids = [row[special["sequence_column"]].strip() for row in table.cells]
        extra["sequence_ids"] = np.unique(ids, return_inverse=True)[1]
    if "label_column" in special:
        extra["y"] = _labels([row[special["label_column"]].strip() for row in table.cells])
    return X, extra, names


def _chosen_columns(args, table, special) -> list[int]:
    """The columns --columns names, else all but pandas' row index; less --drop's, less special."""
    path = args.data
    if args.columns is not None:
        features = [table.column(key, path) for key in _keys(args.columns)]
    else:
        features = list(range(table.n_columns))
        if table.index_column:
            features.remove(0)
            print(
                f"{path}: the first column has no name: read as the row index (as pandas' "
                "to_csv writes it) and left out.",
                file=sys.stderr,
            )
    dropped = [table.column(key, path) for key in _keys(args.drop or "")]
    return [c for c in dict.fromkeys(features) if c not in dropped and c not in special]


def _keys(text: str) -> list[str]:
    return [key.strip() for key in text.split(",") if key.strip()]


def _by_name(table, features: list[int], fitted: list[str], path: str) -> list[int]:
    """The columns of the model's features, in the model's order."""
    available = {table.names[c]: c for c in features}
    missing = [name for name in fitted if name not in available]
    if missing:
        raise CommandError(
            f"{path}: no column {', '.join(map(repr, missing))}; the model was fitted on {fitted}."
        )
    extra = [name for name in available if name not in fitted]
    if extra:
        raise CommandError(
            f"{path}: column {', '.join(map(repr, extra))} is not one the model was fitted on "
            f"({fitted}): leave it out with --drop."
        )
    return [available[name] for name in fitted]


def _labels(cells: list[str]):
    """Class labels as given: numbers (integers if whole) if all are numbers, else text.

    Missing cells (empty, NA, NaN) and -1 mark unlabeled rows.
    """
    import numpy as np

    from ._csv import MISSING, _is_number

    missing = [cell.lower() in MISSING for cell in cells]
    if all(_is_number(cell) for cell in cells):
        values = np.array([-1.0 if gone else float(cell) for cell, gone in zip(cells, missing)])
        if np.all(np.isfinite(values)):
            whole = np.all(values == np.round(values)) and np.all(np.abs(values) < 2**53)
            return values.astype(int) if whole else values
    return np.array(
        [-1 if gone or cell == "-1" else cell for cell, gone in zip(cells, missing)], dtype=object
    )


def _check_columns(kind: str, args, *, predicting: bool = False) -> None:
    """Refuse --sequence-column or --label-column for a model that has no use for it."""
    if getattr(args, "sequence_column", None) is not None and kind != "hmm":
        raise CommandError("--sequence-column is for hmm models.")
    if getattr(args, "label_column", None) is not None and kind != "semi" and not predicting:
        raise CommandError("--label-column is for semi models.")


def _check_options(kind: str, args) -> None:
    """Refuse options that do not go together, before reading anything."""
    if kind == "semi" and args.label_column is None:
        raise CommandError("semi needs --label-column (empty cells or -1: unlabeled rows).")
    if kind == "semi" and args.n_components == "auto":
        raise CommandError("--n-components auto is for gmm, hmm and impute.")
    if kind == "hmm" and args.n_components is None:
        raise CommandError(
            "hmm needs --n-components: a number of states, or auto to choose it by BIC."
        )


def _check_out(path: str | None) -> None:
    """Refuse, before any work, a file to write that is a directory or has none."""
    if path is None:
        return
    directory = os.path.dirname(path) or "."
    if os.path.isdir(path):
        raise CommandError(f"{path}: cannot write the file (it is a directory).")
    if not os.path.isdir(directory):
        raise CommandError(f"{path}: cannot write the file (no directory {directory!r}).")


# ----------------------------------------------------------------- the model


def _fit(kind: str, X, extra: dict, args):
    """The fitted model: the estimator, after a StandardScaler with --standardize.

    With --n-components auto, the number of components is the one of lowest BIC
    among 1..--max-components.
    """
    routed = {"sequence_ids": extra["sequence_ids"]} if "sequence_ids" in extra else {}
    y = extra.get("y")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scaler = None
        if args.standardize:
            from sklearn.preprocessing import StandardScaler

            scaler = StandardScaler().fit(X)
            X = scaler.transform(X)
        n_components = args.n_components
        if n_components == "auto":
            bics = {}
            for k in range(1, min(args.max_components, len(X)) + 1):
                # impute: the same mixture, fitted with its missing values, scores itself
                scorer = _estimator("gmm" if kind == "impute" else kind, k, args)
                bics[k] = scorer.fit(X, **routed).bic(X, **routed)
                print(f"n_components={k}: BIC {bics[k]:.2f}")
            n_components = min(bics, key=bics.get)
            print(f"chosen by BIC: n_components={n_components}")
        model = _estimator(kind, None if n_components is None else int(n_components), args)
        model.fit(X, *([] if y is None else [y]), **routed)
    if model.callback is not None:
        print(file=sys.stderr)
        model.set_params(callback=None)
    if scaler is None:
        return model
    from sklearn.pipeline import Pipeline

    return Pipeline([("standardize", scaler), (kind, model)])


def _steps(model):
    """The preprocessing of a model (None if it has none) and its estimator."""
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline):
        return model[:-1], model.steps[-1][1]
    return None, model


def _record(model, names: list[str] | None, args) -> None:
    """Keep in the model the names of its feature columns, and its sequence column."""
    import numpy as np

    preprocessing, estimator = _steps(model)
    if names is not None:
        first = estimator if preprocessing is None else model.steps[0][1]
        first.feature_names_in_ = np.array(names, dtype=object)
    if getattr(args, "sequence_column", None) is not None:
        estimator.sequence_column_ = args.sequence_column


def _key(args) -> bytes | None:
    """The key to sign or verify models with: --key-file's bytes, else $EMKIT_MODEL_KEY.

    One line break at the end of the file (as ``echo`` and editors write) is
    not part of the key. The key itself is never printed.
    """
    path = getattr(args, "key_file", None)
    if path is not None:
        try:
            with open(path, "rb") as file:
                key = file.read()
        except OSError as error:
            raise CommandError(f"--key-file {path}: cannot read it ({error.strerror}).") from None
        key = key.removesuffix(b"\n").removesuffix(b"\r")
        if not key:
            raise CommandError(f"--key-file {path}: the file is empty.")
        return key
    if KEY_VARIABLE in os.environ:
        if not os.environ[KEY_VARIABLE]:
            raise CommandError(f"{KEY_VARIABLE} is set but empty: unset it, or set a key.")
        return os.environ[KEY_VARIABLE].encode("utf-8")
    return None


def _save(model, path: str, key: bytes | None) -> None:
    """Write a model as JSON (signed with a key), or a Pipeline with emkit.io.save."""
    from sklearn.pipeline import Pipeline

    from .io import save, to_json

    try:
        if isinstance(model, Pipeline):
            save(model, path)
        else:
            text = to_json(model, key=key)
            with open(path, "w", encoding="utf-8") as file:
                file.write(text)
    except OSError as error:
        raise CommandError(f"{path}: cannot write the model ({error.strerror}).") from None


def _load(path: str, key: bytes | None):
    from .io import load

    try:
        return load(path, key=key)
    except OSError as error:
        raise CommandError(f"{path}: cannot read the model ({error.strerror}).") from None
    except ValueError as error:
        raise CommandError(f"{path}: {error}") from None


def _imputed(model, X, names):
    """The column names and X with its empty cells filled, in X's units.

    After preprocessing (--standardize), the filled values are mapped back by
    its ``inverse_transform``; the observed cells are X's. Columns that
    EMImputer drops (no value at all) are left out, as EMImputer leaves them out.
    """
    import numpy as np

    preprocessing, imputer = _steps(model)
    names = list(model.get_feature_names_out(names))
    if preprocessing is None:
        return names, imputer.transform(X)
    filled = imputer.transform(preprocessing.transform(X))
    kept = imputer._kept
    if len(kept) != X.shape[1] or not hasattr(preprocessing, "inverse_transform"):
        raise CommandError("the imputer's preprocessing cannot be undone, column by column.")
    full = np.full((len(X), len(kept)), np.nan)
    full[:, kept] = filled[:, : kept.sum()]
    back = preprocessing.inverse_transform(full)[:, kept]
    observed = X[:, kept]
    values = np.where(np.isnan(observed), back, observed)
    return names, np.hstack([values, filled[:, kept.sum() :]])  # then the indicator, if any


# -------------------------------------------------------------- the commands


def fit_command(args) -> int:
    kind = args.model
    _check_options(kind, args)
    _check_out(args.out)
    key = _key(args)
    if key is not None and args.standardize:
        raise CommandError(
            "--standardize saves in skops' format, which cannot be signed: leave out "
            f"--standardize, or the key (--key-file, {KEY_VARIABLE})."
        )
    if args.standardize:
        from .io import _skops

        _skops()  # the Pipeline is saved in skops' format
    X, extra, names = _data(args)
    _check_columns(kind, args)
    model = _fit(kind, X, extra, args)
    _record(model, names, args)
    _save(model, args.out, key)
    estimator = _steps(model)[1]
    converged = "converged" if estimator.converged_ else "NOT converged"
    print(
        f"{type(estimator).__name__}: {estimator.n_iter_} E-steps, {converged}; wrote {args.out}"
    )
    return 0


def predict_command(args) -> int:
    model = _load(args.model_file, _key(args))
    estimator = _steps(model)[1]
    kind = {"HMMEM": "hmm", "SemiSupervisedEM": "semi"}.get(type(estimator).__name__, "gmm")
    _check_columns(kind, args, predicting=True)
    recorded = getattr(estimator, "sequence_column_", None)
    if recorded is not None and args.sequence_column is None:
        raise CommandError(
            f"{args.model_file}: the model was fitted with --sequence-column {recorded}: "
            "give the sequence ids of these rows the same way."
        )
    _check_out(args.out)
    X, extra, names = _data(args, model)
    with warnings.catch_warnings():  # the columns are checked above, by name or by position
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        _predict(model, X, extra, names, args)
    return 0


def _predict(model, X, extra: dict, names, args) -> None:
    from ._csv import write
    from .impute import EMImputer
    from .mixture import GaussianMixtureEM

    preprocessing, estimator = _steps(model)
    routed = {"sequence_ids": extra["sequence_ids"]} if "sequence_ids" in extra else {}
    if isinstance(estimator, EMImputer):
        if args.output != "labels":
            raise CommandError("an impute model fills the empty cells: leave out --output.")
        write(args.out, *_imputed(model, X, names))
        return
    X = X if preprocessing is None else preprocessing.transform(X)
    if args.output == "proba":
        proba = estimator.predict_proba(X, **routed)
        classes = getattr(estimator, "classes_", range(proba.shape[1]))
        write(args.out, [f"p_{c}" for c in classes], proba)
    elif args.output == "loglik":
        if not isinstance(estimator, GaussianMixtureEM):
            raise CommandError("--output loglik is for gmm models.")
        write(args.out, ["log_likelihood"], estimator.score_samples(X))
    else:
        write(args.out, ["label"], estimator.predict(X, **routed))


def impute_command(args) -> int:
    from ._csv import write

    _check_options("impute", args)
    _check_out(args.out)
    X, extra, names = _data(args)
    _check_columns("impute", args)
    model = _fit("impute", X, extra, args)
    write(args.out, *_imputed(model, X, names))
    return 0


def info_command(args) -> int:
    """Print what a model file holds, after checking it as ``emkit.io.load`` does."""
    key = _key(args)
    model = _load(args.model_file, key)
    if key is not None:
        print("Signature: verified (HMAC-SHA256)")
    preprocessing, estimator = _steps(model)
    if preprocessing is not None:
        steps = ", then ".join(f"{name} ({type(step).__name__})" for name, step in model.steps)
        print(f"Pipeline: {steps}")
    kept = getattr(estimator, "_kept", None)
    n_features = estimator.n_features_in_ if kept is None else int(kept.sum())
    print(f"{type(estimator).__name__} fitted on {n_features} features")
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        print(f"  columns: {', '.join(names)}")
    for name, value in estimator.get_params(deep=False).items():
        if value is not None and not hasattr(value, "shape"):
            print(f"  {name} = {value!r}")
    converged = "converged" if estimator.converged_ else "not converged"
    bound = f"{estimator.lower_bound_:.6g}"
    print(f"EM: {estimator.n_iter_} E-steps, {converged}, log-likelihood per row {bound}")
    return 0


def serve_command(args) -> int:
    """Serve a model file over HTTP until interrupted (SIGHUP: load it again)."""
    from .serve import _web, serve

    _web()  # the extra, before reading anything
    token = None
    if args.token_file is not None:
        try:
            with open(args.token_file, "rb") as file:
                token = file.read().strip()  # as an HTTP header's value is read
        except OSError as error:
            raise CommandError(
                f"--token-file {args.token_file}: cannot read it ({error.strerror})."
            ) from None
        if not token:
            raise CommandError(f"--token-file {args.token_file}: the file is empty.")
    key = _key(args)
    reference = None
    if args.reference is not None:  # columns by the model's names, as emkit drift reads them
        import argparse

        where = argparse.Namespace(data=args.reference, delimiter=",", columns=None, drop=None)
        reference, _, _ = _data(where, _load(args.model_file, key))
    try:
        serve(
            args.model_file,
            host=args.host,
            port=args.port,
            key=key,
            token=token,
            rate_limit=args.rate_limit,
            max_body_bytes=args.max_body_bytes,
            reference=reference,
            drift_window=args.drift_window,
            drift_alpha=args.drift_alpha,
        )
    except OSError as error:
        raise CommandError(
            f"{args.model_file}: cannot read the model ({error.strerror})."
        ) from None
    except ValueError as error:
        raise CommandError(f"{args.model_file}: {error}") from None
    return 0


def drift_command(args) -> int:
    """Print a drift report of a batch against reference rows: exit status 1 if drift."""
    import copy

    from .monitoring import DriftMonitor

    model = _load(args.model_file, _key(args))
    X, _, names = _data(args, model)
    reference_args = copy.copy(args)
    reference_args.data = args.reference
    R, _, _ = _data(reference_args, model)
    with warnings.catch_warnings():  # the columns are checked above, by name or by position
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        try:
            monitor = DriftMonitor(
                model,
                R,
                alpha=args.alpha,
                n_resamples=args.n_resamples,
                feature_names=names,
                random_state=args.random_state,
            )
        except TypeError as error:  # a model without score_samples
            raise CommandError(f"{args.model_file}: {error}") from None
        report = monitor.check(X)
    print(report)
    return 1 if report.drift else 0


# --------------------------------------------------------------- the options


def _add_data_options(parser, *, special_columns: bool) -> None:
    parser.add_argument(
        "data", metavar="DATA.csv", help="numbers, empty cells missing ('-': standard input)"
    )
    parser.add_argument(
        "--delimiter",
        default=",",
        type=_delimiter,
        help="cell separator (default: ','; '\\t' for a tab)",
    )
    parser.add_argument(
        "--columns",
        metavar="NAMES",
        help="the feature columns, by header name or number from 0, comma-separated "
        "(default: all the others)",
    )
    parser.add_argument(
        "--drop", metavar="NAMES", help="columns to leave out, comma-separated (default: none)"
    )
    if special_columns:
        parser.add_argument(
            "--sequence-column",
            metavar="NAME",
            help="hmm: the column of sequence ids, whose rows are consecutive (default: none, "
            "one sequence)",
        )
        parser.add_argument(
            "--label-column",
            metavar="NAME",
            help="semi: the class labels; empty cells, NA or -1: unlabeled (default: none)",
        )


def _add_model_options(parser, *, saving: bool) -> None:
    parser.add_argument(
        "--n-components",
        type=_n_components,
        metavar="K",
        help="a positive integer, or 'auto' to choose by BIC (default: 1; hmm: required; "
        "semi: per class)",
    )
    parser.add_argument(
        "--max-components",
        type=_positive,
        default=8,
        metavar="K",
        help="the most components auto tries (default: 8)",
    )
    parser.add_argument(
        "--covariance-type",
        choices=COVARIANCE_TYPES,
        help="the shape of the covariance matrices (default: full; hmm: diag)",
    )
    defaults = ESTIMATOR_DEFAULTS
    parser.add_argument(
        "--n-init",
        type=_positive,
        metavar="N",
        help=f"EM runs from different starts, the best kept (default: {defaults['n_init']})",
    )
    parser.add_argument(
        "--reg-covar",
        type=_non_negative,
        metavar="X",
        help=f"added to the covariances' diagonal (default: {defaults['reg_covar']})",
    )
    parser.add_argument(
        "--max-iter",
        type=_positive,
        metavar="N",
        help=f"the most E-steps of a run (default: {defaults['max_iter']})",
    )
    parser.add_argument(
        "--tol",
        type=_non_negative,
        metavar="X",
        help="stop when the mean log-likelihood per row is within this of where EM is heading "
        f"(default: {defaults['tol']})",
    )
    parser.add_argument("--random-state", type=int, default=0, metavar="SEED", help="(default: 0)")
    parser.add_argument(
        "--standardize",
        action="store_true",
        help="scale each column to mean 0 and variance 1 before the model"
        + (": the file keeps both, in skops' format (pip install 'emkit[io]')" if saving else ""),
    )


def _add_key_option(parser, *, signing: bool) -> None:
    parser.add_argument(
        "--key-file",
        metavar="PATH",
        help=(
            "sign the model with the key in this file (HMAC-SHA256)"
            if signing
            else "accept only a model signed with the key in this file"
        )
        + f" (default: the key in ${KEY_VARIABLE}, if set; else none)",
    )


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


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if 0 <= value < float("inf"):
        return value
    raise argparse.ArgumentTypeError(f"expected a non-negative number, got {text!r}")


def _positive_number(text: str) -> float:
    value = _non_negative(text)
    if value > 0:
        return value
    raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")


def _n_components(text: str) -> str:
    if text == "auto" or _is_positive(text):
        return text
    raise argparse.ArgumentTypeError(f"expected a positive integer or 'auto', got {text!r}")


def _alpha(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if 0 < value < 1:
        return value
    raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="emkit", description="Fit, apply and check EM models on CSV files."
    )
    parser.add_argument("--version", action="version", version=f"emkit {__version__}")
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
    fit_parser = commands.add_parser("fit", help="fit a model to a CSV file and save it")
    fit_parser.add_argument("model", choices=KINDS, help="what to fit")
    _add_data_options(fit_parser, special_columns=True)
    _add_model_options(fit_parser, saving=True)
    fit_parser.add_argument(
        "--out",
        required=True,
        metavar="MODEL",
        help="the model file to write: JSON, or skops' format with --standardize (required)",
    )
    _add_key_option(fit_parser, signing=True)
    predict_parser = commands.add_parser("predict", help="apply a saved model to a CSV file")
    predict_parser.add_argument("model_file", metavar="MODEL", help="written by emkit fit")
    _add_data_options(predict_parser, special_columns=True)
    predict_parser.add_argument(
        "--output",
        choices=("labels", "proba", "loglik"),
        default="labels",
        help="labels, probabilities of each, or log-likelihood of each row (default: labels)",
    )
    predict_parser.add_argument(
        "--out", metavar="FILE.csv", help="the file to write (default: standard output)"
    )
    _add_key_option(predict_parser, signing=False)
    impute_parser = commands.add_parser("impute", help="fill the empty cells of a CSV file")
    _add_data_options(impute_parser, special_columns=False)
    _add_model_options(impute_parser, saving=False)
    impute_parser.add_argument(
        "--out", metavar="FILE.csv", help="the file to write (default: standard output)"
    )
    info_parser = commands.add_parser("info", help="check a model file and say what it holds")
    info_parser.add_argument("model_file", metavar="MODEL", help="written by emkit fit")
    _add_key_option(info_parser, signing=False)
    serve_parser = commands.add_parser(
        "serve", help="answer predictions over HTTP (JSON; pip install 'emkit[serve]')"
    )
    serve_parser.add_argument("model_file", metavar="MODEL", help="written by emkit fit")
    serve_parser.add_argument(
        "--host", default="127.0.0.1", help="the address to listen on (default: %(default)s)"
    )
    serve_parser.add_argument(
        "--port", type=int, default=8000, help="the port to listen on (default: %(default)s)"
    )
    serve_parser.add_argument(
        "--token-file",
        metavar="PATH",
        help="require 'Authorization: Bearer TOKEN', TOKEN this file's text, on every route "
        "but /healthz (default: no authentication)",
    )
    serve_parser.add_argument(
        "--rate-limit",
        type=_positive_number,
        metavar="R",
        help="requests a second each client address may make, else 429 (default: no limit)",
    )
    serve_parser.add_argument(
        "--max-body-bytes",
        type=_positive,
        default=1 << 20,
        metavar="N",
        help="a larger request body is refused with 413 (default: %(default)s)",
    )
    serve_parser.add_argument(
        "--reference",
        metavar="REF.csv",
        help="watch the rows scored for drift against these rows (as emkit drift's "
        "--reference), window by window; figures on /metrics (default: no drift watch)",
    )
    serve_parser.add_argument(
        "--drift-window",
        type=_positive,
        default=1000,
        metavar="N",
        help="with --reference: rows scored per drift check; the reference needs at least "
        "twice as many (default: %(default)s)",
    )
    serve_parser.add_argument(
        "--drift-alpha",
        type=_alpha,
        default=0.01,
        metavar="ALPHA",
        help="with --reference: the false-alarm rate of each window's check "
        "(default: %(default)s)",
    )
    _add_key_option(serve_parser, signing=False)
    drift_parser = commands.add_parser(
        "drift",
        help="check whether a batch of rows drifted from reference rows "
        "(exit status 0: no, 1: drift, 2: bad input)",
    )
    drift_parser.add_argument("model_file", metavar="MODEL", help="written by emkit fit")
    _add_data_options(drift_parser, special_columns=False)
    drift_parser.add_argument(
        "--reference",
        required=True,
        metavar="REF.csv",
        help="rows like the ones the model should see, with the same columns, at least twice "
        "as many as the batch; best not the rows the model was fitted on (required)",
    )
    drift_parser.add_argument(
        "--alpha",
        type=_alpha,
        default=0.01,
        help="false-alarm rate: the chance that a batch like the reference is called drift "
        "(default: %(default)s)",
    )
    drift_parser.add_argument(
        "--n-resamples",
        type=_positive,
        default=2000,
        metavar="N",
        help="batches drawn from the reference to set the thresholds (default: %(default)s)",
    )
    drift_parser.add_argument(
        "--random-state", type=int, default=0, metavar="SEED", help="(default: 0)"
    )
    _add_key_option(drift_parser, signing=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    run = {
        "demo": lambda args: demo(None if args.no_plot else args.plot),
        "fit": fit_command,
        "predict": predict_command,
        "impute": impute_command,
        "info": info_command,
        "serve": serve_command,
        "drift": drift_command,
    }[args.command]
    try:
        return run(args)
    except BrokenPipeError:  # the reader stopped early, as `| head` does: not an error
        sys.stdout = open(os.devnull, "w")  # nothing more may reach the closed pipe
        return 0
    except (ValueError, OSError, ImportError) as error:  # CommandError and CSVError too
        print(f"emkit {args.command}: {error}", file=sys.stderr)
        return 2 if args.command == "drift" else 1  # drift's 1 means drift


if __name__ == "__main__":
    sys.exit(main())
