import subprocess
import sys

import pytest

from emkit import GaussianMixtureEM
from emkit.datasets import load_faithful
from emkit.io import to_json


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
