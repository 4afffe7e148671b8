import subprocess
import sys

import pytest


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
