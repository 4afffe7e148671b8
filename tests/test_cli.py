import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from emkit import HMMEM, EMImputer, GaussianMixtureEM
from emkit.datasets import load_faithful
from emkit.io import from_json, to_json


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "emkit", *args], capture_output=True, text=True, timeout=300
    )


def test_demo_prints_the_bic_table_and_the_chosen_model(tmp_path):
    plot = tmp_path / "demo.png"
    result = run("demo", "--plot", str(plot))
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
        (["impute", "DATA", "--label-column", "a"], "a,b\n1,2\n3,\n4,5\n", "is for semi"),
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


def test_a_model_fitted_on_a_dataframe_checks_the_csv_header(tmp_path):
    pd = pytest.importorskip("pandas")
    X = load_faithful().data
    frame = pd.DataFrame(X, columns=["eruptions", "waiting"])
    (tmp_path / "m.json").write_text(to_json(GaussianMixtureEM(2, random_state=0).fit(frame)))
    write_csv(tmp_path / "same.csv", X[:5], ["eruptions", "waiting"])
    result = run("predict", str(tmp_path / "m.json"), str(tmp_path / "same.csv"))
    assert result.returncode == 0 and result.stderr == "", result.stderr
    write_csv(tmp_path / "other.csv", X[:5], ["waiting", "eruptions"])
    result = run("predict", str(tmp_path / "m.json"), str(tmp_path / "other.csv"))
    assert result.returncode == 1 and "the model was fitted on ['eruptions', 'waiting']" in (
        result.stderr
    )


def test_a_model_file_may_start_with_a_byte_order_mark(tmp_path):
    model = GaussianMixtureEM(2, random_state=0).fit(load_faithful().data)
    (tmp_path / "m.json").write_text("\ufeff" + to_json(model), encoding="utf-8")
    result = run("info", str(tmp_path / "m.json"))
    assert result.returncode == 0 and "GaussianMixtureEM fitted on 2 features" in result.stdout
