"""Cold start: a fresh process to its first single-row prediction, emkit.light against emkit.io.

Each run is a new Python process (``subprocess``) that reads a saved model and
predicts one row; timed from before the process starts to its exit, since a
serving process pays it all: the interpreter, the imports, the load and the
first prediction (with emkit.io, numba's compiled kernels load from its cache
on disk; one untimed warm-up run of each fills the cache first).

- full: ``import emkit; from emkit.io import from_json; from_json(text).predict(row)``
- light: ``from emkit.light import from_json; from_json(text).predict(row)``

Model: ``GaussianMixtureEM(3)`` fitted on Old Faithful (272 x 2), or with
``--kind hmm``/``imputer`` a Gaussian ``HMMEM(3)`` or an ``EMImputer(n_components=2)``
(``transform`` of a row with a missing value). Target (issue 22): light's
median at most a quarter of full's, a ratio full / light of at least 4.

Usage::

    python benchmarks/bench_cold_start.py                  # 20 runs of each
    python benchmarks/bench_cold_start.py --runs 5 --kind hmm
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import emkit  # noqa: E402
from emkit import HMMEM, EMImputer, GaussianMixtureEM  # noqa: E402
from emkit.datasets import load_faithful  # noqa: E402
from emkit.io import to_json  # noqa: E402

PROGRAMS = {
    "full": (
        "import sys\nimport emkit\nfrom emkit.io import from_json\n"
        "model = from_json(open(sys.argv[1]).read())\n"
    ),
    "light": (
        "import sys\nfrom emkit.light import from_json\n"
        "model = from_json(open(sys.argv[1]).read())\n"
    ),
}
PREDICT = {
    "mixture": "print(model.predict([[3.5, 70.0]]))\n",
    "hmm": "print(model.predict([[3.5, 70.0]]))\n",
    "imputer": "print(model.transform([[3.5, float('nan')]]))\n",
}


def saved_model(kind: str, directory: str) -> str:
    X = load_faithful().data
    if kind == "mixture":
        model = GaussianMixtureEM(3, random_state=0).fit(X)
    elif kind == "hmm":
        model = HMMEM(3, random_state=0).fit(X)
    else:
        X = X.copy()
        X[::5, 1] = np.nan
        model = EMImputer(n_components=2, random_state=0).fit(X)
    path = Path(directory) / f"{kind}.json"
    path.write_text(to_json(model))
    return str(path)


def cold_start(program: str, path: str) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", program, path],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return time.perf_counter() - start, result.stdout.strip()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--kind", choices=sorted(PREDICT), default="mixture")
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}, emkit from {Path(emkit.__file__).parent}")
    with tempfile.TemporaryDirectory() as directory:
        path = saved_model(args.kind, directory)
        programs = {name: text + PREDICT[args.kind] for name, text in PROGRAMS.items()}
        outputs = {name: cold_start(program, path)[1] for name, program in programs.items()}
        if outputs["full"] != outputs["light"]:
            raise SystemExit(f"predictions differ: {outputs}")
        times = {name: [] for name in programs}
        for _ in range(args.runs):  # alternated, so that both see the same load
            for name, program in programs.items():
                times[name].append(cold_start(program, path)[0])
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        print(
            f"{name:5s}: median {medians[name] * 1e3:7.1f} ms over {args.runs} cold starts "
            f"(min {min(values) * 1e3:.1f}, max {max(values) * 1e3:.1f}); "
            f"prediction {outputs[name]}"
        )
    ratio = medians["full"] / medians["light"]
    print(f"ratio full / light: {ratio:.2f} (target: at least 4)")


if __name__ == "__main__":
    main()
