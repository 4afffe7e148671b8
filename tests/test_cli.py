import inspect
import io
import os
import re
import subprocess
import sys
import threading
import warnings
from contextlib import redirect_stderr, redirect_stdout

import numpy as np
import pytest
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

import emkit
from emkit import HMMEM, EMImputer, GaussianMixtureEM, SemiSupervisedEM
from emkit.cli import COVARIANCE_TYPES, ESTIMATOR_DEFAULTS, main
from emkit.datasets import load_faithful
from emkit.io import from_json, load, to_json

# A model fitted with named columns warns when Python gives it a bare array, as scikit-learn's.
by_position = pytest.mark.filterwarnings("ignore:X does not have valid feature names")


@pytest.fixture(autouse=True)
def no_model_key(monkeypatch):
    """A key in the caller's environment would make the command refuse unsigned models."""
    monkeypatch.delenv("EMKIT_MODEL_KEY", raising=False)


def run(*args):
    """``emkit ARGS`` in this process: what a subprocess would print and return, without
    paying the interpreter's start-up and numba's compilation once per command."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr), warnings.catch_warnings():
        warnings.simplefilter("default")  # printed to stderr, as a fresh interpreter does
        try:
            code = main([str(arg) for arg in args])
        except SystemExit as exit:  # argparse: --help, --version, a bad option
            code = exit.code if isinstance(exit.code, int) else 2 if exit.code else 0
    return subprocess.CompletedProcess(args, code, stdout.getvalue(), stderr.getvalue())


def run_installed(*args):
    return subprocess.run(
        [sys.executable, "-m", "emkit", *args], capture_output=True, text=True, timeout=300
    )


def test_demo_prints_the_bic_table_and_the_chosen_model(tmp_path):
    plot = tmp_path / "demo.png"
    result = run_installed("demo", "--plot", str(plot))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split() == [
        "k", "full", "tied", "diag", "spherical"
    ])  # fmt: skip
    table = [line.split() for line in lines[header + 1 : header + 7]]
    assert [row[0] for row in table] == ["1", "2", "3", "4", "5", "6"]
    bics = [[float(v) for v in row[1:]] for row in table]
    chosen = next(line for line in lines if line.startswith("Chosen:"))
    assert f"BIC {min(map(min, bics)):.1f}" in chosen
    assert "3 components, covariance_type='tied'" in chosen
    pytest.importorskip("matplotlib")
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_plot_and_bad_command():
    assert "Wrote" not in run("demo", "--no-plot").stdout
    result = run("nonsense")
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_info_checks_the_model_file_and_describes_it(tmp_path):
    gm = GaussianMixtureEM(3, covariance_type="tied", random_state=0).fit(load_faithful().data)
    path = tmp_path / "model.json"
    path.write_text(to_json(gm))
    result = run("info", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "GaussianMixtureEM fitted on 2 features"
    assert "  covariance_type = 'tied'" in result.stdout
    assert f"EM: {gm.n_iter_} E-steps, converged" in result.stdout
    path.write_text(to_json(gm).replace('"kind": "GaussianMixtureEM"', '"kind": "Other"'))
    result = run("info", str(path))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith(f"emkit info: {path}: model file: unknown kind 'Other'")
    result = run("info", str(tmp_path / "missing.json"))
    assert result.returncode == 1 and "No such file" in result.stderr


def write_csv(path, rows, header=None, delimiter=","):
    """Rows of cells (numbers, strings; NaN and None as empty cells) as a CSV file."""

    def cell(value):
        if value is None or (isinstance(value, float) and value != value):
            return ""
        return repr(float(value)) if isinstance(value, (float, np.floating)) else str(value)

    lines = [] if header is None else [delimiter.join(header)]
    lines += [delimiter.join(cell(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")


def command_csv(*args):
    """The header and rows of the CSV a command prints."""
    result = run(*args)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    return lines[0].split(","), [line.split(",") for line in lines[1:]]


@by_position
def test_fit_auto_predict_and_info_agree_with_the_library(tmp_path):
    X = load_faithful().data
    data, model_file = str(tmp_path / "faithful.csv"), str(tmp_path / "gmm.json")
    write_csv(tmp_path / "faithful.csv", X, header=["eruptions", "waiting"])
    options = ["--n-components", "auto", "--max-components", "4", "--covariance-type", "tied"]
    result = run("fit", "gmm", data, *options, "--out", model_file)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no progress display when not on a terminal
    bics = [
        GaussianMixtureEM(k, covariance_type="tied", random_state=0).fit(X).bic(X)
        for k in (1, 2, 3, 4)
    ]
    for k, bic in enumerate(bics, start=1):
        assert f"n_components={k}: BIC {bic:.2f}" in result.stdout
    best = int(np.argmin(bics)) + 1
    assert f"chosen by BIC: n_components={best}" in result.stdout
    with open(model_file) as file:
        model = from_json(file.read())
    expected = GaussianMixtureEM(best, covariance_type="tied", random_state=0).fit(X)
    np.testing.assert_array_equal(model.means_, expected.means_)
    header, rows = command_csv("predict", model_file, data)
    assert header == ["label"]
    np.testing.assert_array_equal(np.array(rows, dtype=int)[:, 0], model.predict(X))
    header, rows = command_csv("predict", model_file, data, "--output", "proba")
    assert header == [f"p_{k}" for k in range(best)]
    np.testing.assert_array_equal(np.array(rows, dtype=float), model.predict_proba(X))
    _, rows = command_csv("predict", model_file, data, "--output", "loglik")
    np.testing.assert_array_equal(np.array(rows, dtype=float)[:, 0], model.score_samples(X))


def test_impute_fills_empty_cells_as_emimputer_does(tmp_path):
    X = load_faithful().data
    holes = X.copy()
    holes[np.random.default_rng(0).random(X.shape) < 0.1] = np.nan
    data, out = tmp_path / "holes.csv", tmp_path / "filled.csv"
    write_csv(data, holes, delimiter=";")  # no header, another delimiter
    result = run("impute", str(data), "--delimiter", ";", "--out", str(out))
    assert result.returncode == 0, result.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == "x0,x1"
    filled = np.array([line.split(",") for line in lines[1:]], dtype=float)
    np.testing.assert_array_equal(filled, EMImputer(random_state=0).fit_transform(holes))
    result = run("impute", str(data))  # the delimiter forgotten
    assert result.returncode == 1
    assert "is not a number (cells separated by ';'? use --delimiter)" in result.stderr


def test_hmm_by_sequence_column(tmp_path):
    rng = np.random.default_rng(1)
    values = np.r_[rng.normal(0, 1, 40), rng.normal(4, 1, 40)]
    ids = np.repeat(["a", "b"], 40)
    data, model_file = str(tmp_path / "seq.csv"), str(tmp_path / "hmm.json")
    write_csv(tmp_path / "seq.csv", zip(ids, values), header=["id", "value"])
    by_id = ["--sequence-column", "id"]
    result = run("fit", "hmm", data, "--n-components", "2", *by_id, "--out", model_file)
    assert result.returncode == 0, result.stderr
    sequence_ids = np.repeat([0, 1], 40)
    expected = HMMEM(2, random_state=0).fit(values[:, None], sequence_ids=sequence_ids)
    _, rows = command_csv("predict", model_file, data, *by_id)
    states = expected.predict(values[:, None], sequence_ids=sequence_ids)
    np.testing.assert_array_equal(np.array(rows, dtype=int)[:, 0], states)
    result = run("predict", model_file, data, *by_id, "--output", "loglik")
    assert result.returncode == 1 and "--output loglik is for gmm models" in result.stderr


def test_semi_by_label_column(tmp_path):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(100, 2)) + np.repeat([[0, 0], [4, 0]], 50, axis=0)
    labels = [None] * 100
    labels[0], labels[50] = "dog", "cat"
    data, model_file = str(tmp_path / "semi.csv"), str(tmp_path / "semi.json")
    rows = [[*x, label] for x, label in zip(X, labels)]
    write_csv(tmp_path / "semi.csv", rows, header=["x", "y", "label"])
    by_label = ["--label-column", "label"]
    result = run("fit", "semi", data, *by_label, "--out", model_file)
    assert result.returncode == 0, result.stderr
    header, _ = command_csv("predict", model_file, data, *by_label, "--output", "proba")
    assert header == ["p_cat", "p_dog"]
    _, rows = command_csv("predict", model_file, data, *by_label)
    predicted = [row[0] for row in rows]
    assert predicted[:50].count("dog") > 45 and predicted[50:].count("cat") > 45


FIT = ["fit", "gmm", "DATA", "--out", "OUT"]


@pytest.mark.parametrize(
    "args, text, message",
    [
        (FIT, "a,b\n1,x\n", "line 2, column 1 ('b'): 'x' is not a number."),
        (FIT, "1,2\n3\n", "line 2 has 1 cells, expected 2"),
        (FIT, "a,b\n1,2\n3,inf\n", "line 3, column 1 ('b'): 'inf' is not finite."),
        (FIT, "a,b\n1,2\n3,1_0\n", "line 3, column 1 ('b'): '1_0' is not a number."),
        (FIT, "", "the file has no rows"),
        ([*FIT, "--label-column", "z"], "a,b\n1,2\n", "no column 'z'"),
        (["fit", "semi", "DATA", "--out", "OUT"], "1,2\n3,4\n", "semi needs --label-column"),
        (["predict", "MODEL", "DATA"], "1,2,3\n", "expecting 2 features"),
        (["predict", "DATA", "DATA"], "1,2\n", "not valid JSON"),
        (["info", "DATA"], "1,2\n", "not valid JSON"),
        (["fit", "gmm", "MISSING", "--out", "OUT"], None, "cannot read the file"),
        ([*FIT, "--sequence-column", "a"], "a,b,c\n1,2,3\n4,5,6\n", "is for hmm models"),
        (["predict", "MODEL", "DATA", "--sequence-column", "a"], "a,b,c\n1,2,3\n", "hmm"),
        (["demo", "--plot", "MISSING/x.png"], None, "there is no directory"),
    ],
)
def test_bad_input_gets_one_line_and_exit_status_1(tmp_path, args, text, message):
    if text is not None:
        (tmp_path / "data.csv").write_text(text)
    model = GaussianMixtureEM(random_state=0).fit(load_faithful().data)
    (tmp_path / "model.json").write_text(to_json(model))
    names = {"DATA": "data.csv", "MODEL": "model.json", "OUT": "out.json", "MISSING": "no"}
    result = run(*[str(tmp_path / names[a]) if a in names else a for a in args])
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1 and message in result.stderr, result.stderr


def test_bad_options_are_usage_errors():
    result = run("fit", "gmm", "x.csv", "--out", "m.json", "--n-components", "0")
    assert result.returncode == 2 and "positive integer or 'auto'" in result.stderr
    result = run("fit", "gmm", "x.csv", "--out", "m.json", "--max-components", "0")
    assert result.returncode == 2 and "expected a positive integer" in result.stderr
    result = run("impute", "x.csv", "--delimiter", ";;")
    assert result.returncode == 2 and "expected one character" in result.stderr
    result = run("demo", "--no-plot", "--plot", "x.png")
    assert result.returncode == 2 and "not allowed with argument" in result.stderr
    result = run("impute", "x.csv", "--label-column", "a")  # impute takes no labels
    assert result.returncode == 2 and "unrecognized arguments: --label-column" in result.stderr
    result = run("fit", "gmm", "x.csv", "--out", "m.json", "--tol", "-1")
    assert result.returncode == 2 and "expected a non-negative number" in result.stderr


def test_impute_keeps_rows_and_names_in_their_columns(tmp_path):
    # An empty column is dropped, as by EMImputer; the header follows the kept columns.
    (tmp_path / "empty.csv").write_text("a,b,c\n1,,3\n2,,4\n3,,1\n5,,2\n")
    header, rows = command_csv("impute", str(tmp_path / "empty.csv"))
    assert header == ["a", "c"] and rows[0] == ["1.0", "3.0"]
    # One column: a blank line is an empty cell, not a gap (blank lines at the end are).
    (tmp_path / "one.csv").write_text("x\n1.0\n\n3.0\n\n5.0\n\n")
    header, rows = command_csv("impute", str(tmp_path / "one.csv"))
    assert header == ["x"] and [row[0] for row in rows] == ["1.0", "3.0", "3.0", "3.0", "5.0"]
    # NA in the first row is a missing value, not a header; '\t' is a tab.
    (tmp_path / "na.csv").write_text("NA\t1\n2\t3\n4\t5\n6\t7\n")
    header, rows = command_csv("impute", str(tmp_path / "na.csv"), "--delimiter", "\\t")
    assert header == ["x0", "x1"] and len(rows) == 4 and rows[0][1] == "1.0"


def test_na_labels_are_unlabeled_rows(tmp_path):
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(0, 1, (30, 2)), rng.normal(5, 1, (30, 2))]
    labels = np.array(["cat"] * 30 + ["dog"] * 30, dtype=object)
    labels[rng.rand(60) < 0.5] = "NA"
    write_csv(tmp_path / "d.csv", [[*x, label] for x, label in zip(X, labels)], ["a", "b", "y"])
    model_file = str(tmp_path / "m.json")
    fitted = run(
        "fit", "semi", str(tmp_path / "d.csv"), "--label-column", "y", "--out", model_file
    )
    assert fitted.returncode == 0, fitted.stderr
    data = [str(tmp_path / "d.csv"), "--label-column", "y"]
    header, _ = command_csv("predict", model_file, *data, "--output", "proba")
    assert header == ["p_cat", "p_dog"]


def test_fit_shows_progress_on_a_terminal(tmp_path):
    pty = pytest.importorskip("pty")
    data = tmp_path / "faithful.csv"
    write_csv(data, load_faithful().data)
    leader, follower = pty.openpty()
    shown = []

    def drain():  # read while the command runs, so that it never blocks on a full terminal
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed
                return
            if not chunk:
                return
            shown.append(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    command = [sys.executable, "-m", "emkit", "fit", "gmm", str(data), "--n-components", "2"]
    out = str(tmp_path / "m.json")
    result = subprocess.run([*command, "--out", out], stderr=follower, timeout=300)
    os.close(follower)
    reader.join(timeout=10)
    os.close(leader)
    assert result.returncode == 0
    assert b"\rrestart 0, E-step 1, log-likelihood per row" in b"".join(shown)


def test_a_model_fitted_on_a_dataframe_takes_the_csv_columns_by_name(tmp_path):
    pd = pytest.importorskip("pandas")
    X = load_faithful().data
    frame = pd.DataFrame(X, columns=["eruptions", "waiting"])
    model = GaussianMixtureEM(2, random_state=0).fit(frame)
    (tmp_path / "m.json").write_text(to_json(model))
    write_csv(tmp_path / "other.csv", X[:, ::-1], ["waiting", "eruptions"])
    _, rows = command_csv("predict", str(tmp_path / "m.json"), str(tmp_path / "other.csv"))
    np.testing.assert_array_equal(np.array(rows, dtype=int)[:, 0], model.predict(frame))
    write_csv(tmp_path / "one.csv", X[:, :1], ["eruptions"])
    result = run("predict", str(tmp_path / "m.json"), str(tmp_path / "one.csv"))
    assert result.returncode == 1 and "no column 'waiting'; the model was fitted on" in (
        result.stderr
    )


def test_a_model_file_may_start_with_a_byte_order_mark(tmp_path):
    model = GaussianMixtureEM(2, random_state=0).fit(load_faithful().data)
    (tmp_path / "m.json").write_text("\ufeff" + to_json(model), encoding="utf-8")
    result = run("info", str(tmp_path / "m.json"))
    assert result.returncode == 0 and "GaussianMixtureEM fitted on 2 features" in result.stdout


# ------------------------------------------------ columns by name (issue 19, items 1 and 2)


def clusters(n=60, seed=0):
    """Two well-separated clusters in three columns of very different scales."""
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 0.0, 0.0], [3.0, 30.0, 300.0]])
    return centers[np.repeat([0, 1], n // 2)] + rng.normal(size=(n, 3)) * [1, 10, 100]


def load_json(path):
    with open(path) as file:
        return from_json(file.read())


@by_position
def test_fit_keeps_the_header_and_predict_takes_columns_by_name(tmp_path):
    X = clusters()
    write_csv(tmp_path / "train.csv", X, ["a", "b", "c"])
    model_file = str(tmp_path / "m.json")
    result = run(
        "fit", "gmm", str(tmp_path / "train.csv"), "--n-components", "2", "--out", model_file
    )
    assert result.returncode == 0, result.stderr
    model = load_json(model_file)
    assert list(model.feature_names_in_) == ["a", "b", "c"]
    write_csv(tmp_path / "shuffled.csv", X[:, [2, 0, 1]], ["c", "a", "b"])
    write_csv(tmp_path / "headerless.csv", X)  # by position, as before
    for data in ("shuffled.csv", "headerless.csv"):
        for output, method in [("labels", model.predict), ("loglik", model.score_samples)]:
            _, rows = command_csv("predict", model_file, str(tmp_path / data), "--output", output)
            np.testing.assert_array_equal(np.array(rows, dtype=float)[:, 0], method(X))
    write_csv(tmp_path / "two.csv", X[:, :2], ["a", "b"])
    write_csv(tmp_path / "four.csv", np.c_[X, X[:, 0]], ["a", "b", "c", "d"])
    for data, message in [
        ("two.csv", "two.csv: no column 'c'; the model was fitted on ['a', 'b', 'c']"),
        ("four.csv", "four.csv: column 'd' is not one the model was fitted on"),
    ]:
        result = run("predict", model_file, str(tmp_path / data))
        assert result.returncode == 1 and result.stdout == ""
        assert len(result.stderr.splitlines()) == 1 and message in result.stderr, result.stderr
    _, rows = command_csv("predict", model_file, str(tmp_path / "four.csv"), "--drop", "d")
    np.testing.assert_array_equal(np.array(rows, dtype=int)[:, 0], model.predict(X))


@by_position
def test_an_impute_model_fills_the_columns_it_knows_by_name(tmp_path):
    X = clusters()
    X[::4, 1] = np.nan
    write_csv(tmp_path / "train.csv", X, ["a", "b", "c"])
    model_file = str(tmp_path / "m.json")
    result = run("fit", "impute", str(tmp_path / "train.csv"), "--out", model_file)
    assert result.returncode == 0, result.stderr
    write_csv(tmp_path / "shuffled.csv", X[:, [1, 2, 0]], ["b", "c", "a"])
    header, rows = command_csv("predict", model_file, str(tmp_path / "shuffled.csv"))
    assert header == ["a", "b", "c"]
    np.testing.assert_array_equal(np.array(rows, dtype=float), load_json(model_file).transform(X))


def test_a_pandas_csv_with_its_row_index_and_chosen_columns(tmp_path):
    pd = pytest.importorskip("pandas")
    X = clusters()
    frame = pd.DataFrame(X, columns=["a", "b", "c"], index=np.arange(100, 160))
    frame.to_csv(tmp_path / "frame.csv")  # the row index first, in a column with no name
    data, model_file = str(tmp_path / "frame.csv"), str(tmp_path / "m.json")
    result = run("fit", "gmm", data, "--n-components", "2", "--out", model_file)
    assert result.returncode == 0, result.stderr
    assert "first column has no name: read as the row index" in result.stderr
    model = load_json(model_file)
    assert list(model.feature_names_in_) == ["a", "b", "c"]
    np.testing.assert_array_equal(model.means_, GaussianMixtureEM(2, random_state=0).fit(X).means_)
    for option, columns in [("--columns", [2, 0]), ("--drop", [0, 2])]:
        names = {"--columns": "c,a", "--drop": "b"}[option]
        result = run("fit", "gmm", data, option, names, "--out", model_file)
        assert result.returncode == 0, result.stderr
        model = load_json(model_file)
        assert list(model.feature_names_in_) == [["a", "b", "c"][c] for c in columns]
        expected = GaussianMixtureEM(random_state=0).fit(X[:, columns])
        np.testing.assert_array_equal(model.means_, expected.means_)
    result = run("fit", "gmm", data, "--columns", "a,z", "--out", model_file)
    assert result.returncode == 1 and "no column 'z'" in result.stderr
    (tmp_path / "twice.csv").write_text("a,b,a\n1,2,3\n4,5,6\n")
    result = run("fit", "gmm", str(tmp_path / "twice.csv"), "--out", model_file)
    assert result.returncode == 1 and "two columns are named 'a'" in result.stderr


# ------------------------------------------------------------ --standardize (item 4)


@by_position
def test_standardize_saves_the_scaler_with_the_model_and_predict_applies_both(tmp_path):
    X = clusters()
    data, model_file = str(tmp_path / "d.csv"), str(tmp_path / "m.skops")
    write_csv(tmp_path / "d.csv", X, ["a", "b", "c"])
    result = run("fit", "gmm", data, "--n-components", "2", "--standardize", "--out", model_file)
    assert result.returncode == 0, result.stderr
    pipeline = load(model_file)
    assert isinstance(pipeline, Pipeline) and isinstance(pipeline[0], StandardScaler)
    expected = make_pipeline(StandardScaler(), GaussianMixtureEM(2, random_state=0)).fit(X)
    np.testing.assert_array_equal(pipeline.predict_proba(X), expected.predict_proba(X))
    write_csv(tmp_path / "shuffled.csv", X[:, [2, 1, 0]], ["c", "b", "a"])
    _, rows = command_csv(
        "predict", model_file, str(tmp_path / "shuffled.csv"), "--output", "proba"
    )
    np.testing.assert_array_equal(np.array(rows, dtype=float), expected.predict_proba(X))
    info = run("info", model_file).stdout
    assert "Pipeline: standardize (StandardScaler), then gmm (GaussianMixtureEM)" in info


def test_standardize_imputes_in_the_datas_units(tmp_path):
    X = clusters()
    holes = np.where(np.random.default_rng(1).random(X.shape) < 0.1, np.nan, X)
    scaler = StandardScaler().fit(holes)
    filled = EMImputer(random_state=0).fit_transform(scaler.transform(holes))
    expected = np.where(np.isnan(holes), scaler.inverse_transform(filled), holes)
    data, model_file = str(tmp_path / "holes.csv"), str(tmp_path / "m.skops")
    write_csv(tmp_path / "holes.csv", holes)
    _, rows = command_csv("impute", data, "--standardize")
    np.testing.assert_array_equal(np.array(rows, dtype=float), expected)
    result = run("fit", "impute", data, "--standardize", "--out", model_file)
    assert result.returncode == 0, result.stderr
    _, rows = command_csv("predict", model_file, data)
    np.testing.assert_array_equal(np.array(rows, dtype=float), expected)


def test_standardize_without_skops_names_the_extra(tmp_path):
    write_csv(tmp_path / "d.csv", clusters())
    code = (
        "import sys\n"
        "sys.modules['skops'] = None\n"
        "from emkit.cli import main\n"
        f"sys.exit(main(['fit', 'gmm', {str(tmp_path / 'd.csv')!r}, '--standardize', "
        f"'--out', {str(tmp_path / 'm.skops')!r}]))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert 'pip install "emkit[io]"' in result.stderr
    assert not (tmp_path / "m.skops").exists()


# ----------------------------------------------- the command a user expects (item 5)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fit_options_reach_the_estimator(tmp_path):
    X = clusters()
    write_csv(tmp_path / "d.csv", X)
    params = dict(
        n_components=2, covariance_type="diag", n_init=3, reg_covar=0.01, max_iter=7, tol=1e-3,
        random_state=5,
    )  # fmt: skip
    options = [f"--{name.replace('_', '-')}={value}" for name, value in params.items()]
    result = run("fit", "gmm", str(tmp_path / "d.csv"), *options, "--out", str(tmp_path / "m"))
    assert result.returncode == 0, result.stderr
    model = load_json(tmp_path / "m")
    assert {name: model.get_params()[name] for name in params} == params
    np.testing.assert_array_equal(model.means_, GaussianMixtureEM(**params).fit(X).means_)


def option_help(text):
    """Each option of a --help text, with its help on one line."""
    options, name = {}, None
    for line in text.split("options:", 1)[1].splitlines():
        match = re.match(r"  (-[-\w]+)", line)
        if match:
            name = match.group(1)
            options[name] = line[match.end() :]
        elif name is not None:
            options[name] += line
    return {name: " ".join(help_text.split()) for name, help_text in options.items()}


def test_help_shows_the_estimators_defaults_and_only_what_a_command_takes():
    for cls in (GaussianMixtureEM, HMMEM, EMImputer, SemiSupervisedEM):
        parameters = inspect.signature(cls).parameters
        assert {name: parameters[name].default for name in ESTIMATOR_DEFAULTS} == (
            ESTIMATOR_DEFAULTS
        ), cls
        assert parameters["covariance_type"].default == ("diag" if cls is HMMEM else "full")
    from emkit._covariance import COVARIANCE_TYPES as types

    assert COVARIANCE_TYPES == tuple(types)
    fit_help = run("fit", "--help").stdout
    options = option_help(fit_help)
    for option, default in [
        ("--n-components", "1; hmm: required"),
        ("--max-components", 8),
        ("--covariance-type", "full; hmm: diag"),
        *((f"--{name.replace('_', '-')}", value) for name, value in ESTIMATOR_DEFAULTS.items()),
        ("--random-state", 0),
        ("--delimiter", "','"),
    ]:
        assert f"(default: {default}" in options[option], (option, options[option])
    assert "%(" not in fit_help and "``" not in fit_help
    impute_options = set(option_help(run("impute", "--help").stdout))
    # impute writes no model file, so takes no key to sign it with
    assert impute_options == set(options) - {"--sequence-column", "--label-column", "--key-file"}


def test_version_is_emkits():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"emkit {emkit.__version__}"


def test_class_labels_print_as_they_were_given(tmp_path):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 2)) + np.repeat([[0, 0], [5, 0]], 30, axis=0)
    labels = pd.Series(np.repeat([1, 2], 30)).where(rng.random(60) < 0.3)
    labels[[0, 30]] = [1, 2]
    frame = pd.DataFrame(X, columns=["x", "y"]).assign(label=labels)
    frame.to_csv(tmp_path / "d.csv", index=False)  # pandas writes the labels 1.0 and 2.0
    assert ",1.0\n" in (tmp_path / "d.csv").read_text()
    data, model_file = [str(tmp_path / "d.csv"), "--label-column", "label"], str(tmp_path / "m")
    assert run("fit", "semi", *data, "--out", model_file).returncode == 0
    _, rows = command_csv("predict", model_file, *data)
    assert {row[0] for row in rows} == {"1", "2"}
    header, _ = command_csv("predict", model_file, *data, "--output", "proba")
    assert header == ["p_1", "p_2"]


def test_hmm_states_are_chosen_by_bic_or_asked_for(tmp_path):
    rng = np.random.default_rng(4)
    states = np.tile(np.repeat([0, 1, 0, 1], 10), 4)
    values = rng.normal(5.0 * states, 1.0)
    sequence_ids = np.repeat([0, 1, 2, 3], 40)
    write_csv(tmp_path / "d.csv", zip(np.array(list("abcd"))[sequence_ids], values), ["id", "v"])
    data, model_file = str(tmp_path / "d.csv"), str(tmp_path / "m.json")
    by_id = ["--sequence-column", "id"]
    result = run("fit", "hmm", data, *by_id, "--out", model_file)
    assert result.returncode == 1 and "hmm needs --n-components" in result.stderr
    assert not os.path.exists(model_file)
    auto = ["--n-components", "auto", "--max-components", "3"]
    result = run("fit", "hmm", data, *by_id, *auto, "--out", model_file)
    assert result.returncode == 0, result.stderr
    X = values[:, None]
    bics = [
        HMMEM(k, random_state=0)
        .fit(X, sequence_ids=sequence_ids)
        .bic(X, sequence_ids=sequence_ids)
        for k in (1, 2, 3)
    ]
    assert int(np.argmin(bics)) + 1 == 2  # the truth, which the command finds
    assert "chosen by BIC: n_components=2" in result.stdout
    result = run("predict", model_file, data)
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1
    assert "the model was fitted with --sequence-column id" in result.stderr


def test_a_failed_write_names_the_file_and_why(tmp_path):
    write_csv(tmp_path / "d.csv", clusters())
    data, model_file = str(tmp_path / "d.csv"), str(tmp_path / "m.json")
    assert run("fit", "gmm", data, "--out", model_file).returncode == 0
    nowhere = str(tmp_path / "no" / "m.json")
    for args, message in [
        (
            ["fit", "gmm", data, "--out", nowhere],
            f"{nowhere}: cannot write the file (no directory",
        ),
        (["predict", model_file, data, "--out", str(tmp_path)], "(it is a directory)"),
        (
            ["fit", "gmm", data, "--out", "/dev/full"],
            "/dev/full: cannot write the model (No space",
        ),
        (["predict", model_file, data, "--out", "/dev/full"], "/dev/full: cannot write the file"),
    ]:
        if "/dev/full" in args and not os.path.exists("/dev/full"):
            continue  # a device that refuses every write, on Linux
        result = run(*args)
        assert result.returncode == 1 and result.stdout == "", result.stdout
        assert len(result.stderr.splitlines()) == 1 and message in result.stderr, result.stderr


# ------------------------------------------------------- start-up (issue 18, item 4)


@pytest.mark.parametrize("argv", [["--help"], ["--version"]])
def test_help_and_version_answer_without_numpy(argv):
    code = (
        "import contextlib, io, sys\n"
        "from emkit.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    try:\n"
        f"        main({argv!r})\n"
        "    except SystemExit as exit:\n"
        "        assert exit.code == 0, exit.code\n"
        "heavy = [m for m in ('numpy', 'scipy', 'sklearn', 'numba') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "print(out.getvalue(), end='')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    if argv == ["--version"]:
        assert result.stdout == f"emkit {emkit.__version__}\n"
    else:
        assert result.stdout.startswith("usage: emkit")


def test_public_names_are_imported_when_first_used():
    code = (
        "import sys, emkit\n"
        "assert 'numpy' not in sys.modules\n"
        "assert set(emkit.__all__) <= set(dir(emkit))\n"
        "from emkit import GaussianMixtureEM\n"
        "assert GaussianMixtureEM.__module__ == 'emkit.mixture' and 'numpy' in sys.modules\n"
        "assert emkit.IterationRecord is sys.modules['emkit._monitor'].IterationRecord\n"
        "try:\n"
        "    emkit.GaussianMixture\n"
        "except AttributeError as error:\n"
        "    assert 'GaussianMixture' in str(error)\n"
        "else:\n"
        "    raise AssertionError('no AttributeError')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# ------------------------------------------------------ signed model files (issue 22)

SECRET = "cli-secret-never-shown-3e8d"


@by_position
def test_fit_signs_and_predict_and_info_verify_with_a_key_file(tmp_path):
    X = load_faithful().data
    data = str(tmp_path / "faithful.csv")
    write_csv(tmp_path / "faithful.csv", X)
    key_file, wrong_file = tmp_path / "key", tmp_path / "wrong"
    key_file.write_text(SECRET + "\n")  # as echo writes it: the line break is not the key
    wrong_file.write_text("another-" + SECRET)
    signed, unsigned = str(tmp_path / "signed.json"), str(tmp_path / "unsigned.json")
    fit = ["fit", "gmm", data, "--n-components", "2"]
    results = [run(*fit, "--out", signed, "--key-file", key_file), run(*fit, "--out", unsigned)]
    assert all(result.returncode == 0 for result in results), results
    with open(signed) as file:
        model = from_json(file.read(), key=SECRET)  # signed with the key, without its newline
    np.testing.assert_array_equal(model.predict_proba(X), load_json(unsigned).predict_proba(X))
    for output in ("labels", "proba"):
        expected = command_csv("predict", unsigned, data, "--output", output)
        results.append(run("predict", signed, data, "--output", output, "--key-file", key_file))
        assert results[-1].returncode == 0, results[-1].stderr
        assert command_csv(
            "predict", signed, data, "--output", output, "--key-file", key_file
        ) == (expected)
    results.append(run("info", signed, "--key-file", key_file))
    assert results[-1].stdout.startswith("Signature: verified (HMAC-SHA256)\n")
    refused = {
        ("predict", signed, data, "--key-file", wrong_file): "signed with a different key",
        ("info", signed, "--key-file", wrong_file): "signed with a different key",
        ("predict", unsigned, data, "--key-file", key_file): "unsigned, and a key was given",
        ("info", unsigned, "--key-file", key_file): "unsigned, and a key was given",
    }
    for args, message in refused.items():
        results.append(run(*args))
        assert results[-1].returncode == 1 and message in results[-1].stderr
        assert results[-1].stdout == ""
    assert run("info", signed).returncode == 0  # without a key, a signed model loads
    for result in results:
        assert SECRET not in result.stdout + result.stderr


def test_the_key_may_come_from_the_environment(tmp_path, monkeypatch):
    X = load_faithful().data
    data, model_file = str(tmp_path / "faithful.csv"), str(tmp_path / "m.json")
    write_csv(tmp_path / "faithful.csv", X)
    monkeypatch.setenv("EMKIT_MODEL_KEY", SECRET)
    results = [run("fit", "gmm", data, "--out", model_file)]
    with open(model_file) as file:
        from_json(file.read(), key=SECRET)
    results.append(run("info", model_file))
    assert results[-1].stdout.startswith("Signature: verified")
    (tmp_path / "wrong").write_text("wrong")
    results.append(run("info", model_file, "--key-file", tmp_path / "wrong"))  # the file wins
    assert results[-1].returncode == 1 and "signed with a different key" in results[-1].stderr
    results.append(run("fit", "gmm", data, "--standardize", "--out", tmp_path / "m.skops"))
    assert results[-1].returncode == 1
    assert "--standardize saves in skops' format, which cannot be signed" in results[-1].stderr
    assert not (tmp_path / "m.skops").exists()
    monkeypatch.setenv("EMKIT_MODEL_KEY", "")
    results.append(run("info", model_file))
    assert results[-1].returncode == 1 and "EMKIT_MODEL_KEY is set but empty" in results[-1].stderr
    for result in results:
        assert SECRET not in result.stdout + result.stderr


def test_bad_key_files_are_refused_before_any_work(tmp_path):
    write_csv(tmp_path / "d.csv", load_faithful().data)
    (tmp_path / "empty").write_text("\n")
    fit = ["fit", "gmm", tmp_path / "d.csv", "--out", tmp_path / "m.json"]
    result = run(*fit, "--key-file", tmp_path / "empty")
    assert result.returncode == 1 and "the file is empty" in result.stderr
    result = run(*fit, "--key-file", tmp_path / "none")
    assert result.returncode == 1 and "cannot read it (No such file or directory)" in result.stderr
    assert not (tmp_path / "m.json").exists()


# ------------------------------------------------------------ drift (issue 23)


@by_position
def test_drift_prints_the_report_and_exits_0_or_1(tmp_path):
    rng = np.random.default_rng(0)
    header = ["a", "b", "c"]
    write_csv(tmp_path / "train.csv", rng.normal(size=(600, 3)), header)
    write_csv(tmp_path / "ref.csv", rng.normal(size=(1000, 3)), header)
    write_csv(tmp_path / "same.csv", rng.normal(size=(300, 3)), header)
    shifted = rng.normal(size=(300, 3)) + np.array([0, 1, 0])
    write_csv(tmp_path / "shifted.csv", shifted[:, [2, 0, 1]], ["c", "a", "b"])  # by name
    model = str(tmp_path / "m.json")
    assert run("fit", "gmm", tmp_path / "train.csv", "--out", model).returncode == 0
    drift = ["drift", model, "--reference", tmp_path / "ref.csv", "--n-resamples", "800"]
    same = run(*drift, tmp_path / "same.csv")
    assert same.returncode == 0, same.stderr
    assert same.stdout.startswith("no drift: 300 rows, false-alarm rate 0.01\n")
    moved = run(*drift, tmp_path / "shifted.csv")
    assert moved.returncode == 1, moved.stderr
    assert moved.stdout.startswith("DRIFT: 300 rows")
    assert "PSI of 'b'" in moved.stdout and moved.stderr == ""

    # The report is DriftMonitor's, with the same seed.
    from emkit.monitoring import DriftMonitor

    with open(model) as file:
        gm = from_json(file.read())
    reference = np.loadtxt(tmp_path / "ref.csv", delimiter=",", skiprows=1)
    monitor = DriftMonitor(gm, reference, n_resamples=800, random_state=0, feature_names=header)
    assert moved.stdout == str(monitor.check(shifted)) + "\n"


def test_drift_exits_2_on_bad_input(tmp_path):
    rng = np.random.default_rng(1)
    write_csv(tmp_path / "train.csv", rng.normal(size=(300, 2)))
    write_csv(tmp_path / "small.csv", rng.normal(size=(50, 2)))
    write_csv(tmp_path / "three.csv", rng.normal(size=(300, 3)))
    model = str(tmp_path / "m.json")
    assert run("fit", "gmm", tmp_path / "train.csv", "--out", model).returncode == 0
    data, ref = tmp_path / "train.csv", tmp_path / "train.csv"
    cases = {
        (model, data, "--reference", tmp_path / "small.csv"): "reference has 50 rows",
        (model, data, "--reference", ref): "X has 300 rows: the reference (300 rows)",
        (model, tmp_path / "three.csv", "--reference", ref): "X has 3 features",
        (model, data, "--reference", tmp_path / "none.csv"): "none.csv",
        (tmp_path / "none.json", data, "--reference", ref): "cannot read the model",
        (model, data, "--reference", ref, "--alpha", "1"): "expected a number between 0 and 1",
    }
    for args, message in cases.items():
        result = run("drift", *args)
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)
        assert result.stdout == ""
