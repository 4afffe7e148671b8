"""The README's code runs as written, and measured figures are quoted once."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PERFORMANCE = ROOT / "doc" / "performance.rst"

# A measured range such as "23.3-23.8" or "0.97-1.00": digits on both sides of
# the hyphen (so not "1e-6", "2-core" or "x86_64").
RANGE = re.compile(r"(?<![\w.])\d+(?:\.\d+)?-\d+(?:\.\d+)?(?![\w.])")


def python_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", markdown, flags=re.DOTALL | re.MULTILINE)


def test_readme_python_blocks_run_in_order(tmp_path, monkeypatch):
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 2
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)  # anything a snippet writes lands here
    namespace = {"__name__": "__readme__"}
    for number, block in enumerate(blocks, start=1):
        exec(compile(block, f"README.md, python block {number}", "exec"), namespace)


def test_python_blocks_are_found_in_order():
    markdown = "```python\na = 1\n```\ntext\n```bash\nls\n```\n```python\nb = a\n```\n"
    assert python_blocks(markdown) == ["a = 1\n", "b = a\n"]


def test_readme_relative_links_exist():
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README.read_text(encoding="utf-8"))
    relative = [link for link in links if "://" not in link]
    assert relative
    missing = [link for link in relative if not (ROOT / link).exists()]
    assert missing == []


def documentation_files() -> list[Path]:
    """Every file that quotes figures to users, doc/performance.rst aside."""
    pages = sorted((ROOT / "doc").glob("*.rst"))
    docstrings = sorted((ROOT / "emkit").rglob("*.py"))
    return [path for path in [README, *pages, *docstrings] if path != PERFORMANCE]


def test_measured_ranges_are_quoted_only_on_the_performance_page():
    # doc/performance.rst is the one home of the benchmarks' figures; the README,
    # the other pages and the docstrings link to it, so a new run changes one line.
    ranges = set(RANGE.findall(PERFORMANCE.read_text(encoding="utf-8")))
    assert {"22.7-32.1", "0.97-1.00"} <= ranges  # the pattern finds the table's figures
    quoted_elsewhere = {}
    for path in documentation_files():
        found = ranges & set(RANGE.findall(path.read_text(encoding="utf-8")))
        if found:
            quoted_elsewhere[path.relative_to(ROOT).as_posix()] = sorted(found)
    assert quoted_elsewhere == {}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ratio 23.3-23.8 / 21.3-21.8", ["23.3-23.8", "21.3-21.8"]),
        ("RMSE 0.97-1.00, 10-15% faster", ["0.97-1.00", "10-15"]),
        ("tol=1e-6 on a 2-core x86_64 machine, v1.2-rc", []),
    ],
)
def test_range_pattern(text, expected):
    assert RANGE.findall(text) == expected
