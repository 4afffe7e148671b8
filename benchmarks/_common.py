"""Helpers shared by the benchmark scripts (run them as ``python benchmarks/bench_*.py``)."""

from __future__ import annotations

import contextlib
import os
import platform
from pathlib import Path

import joblib
import numpy as np
import threadpoolctl


def load_average() -> str:
    try:
        return "load average {:.2f}, {:.2f}, {:.2f}".format(*os.getloadavg())
    except OSError:
        return "load average unavailable"


def print_environment(*modules) -> None:
    """Print Python, the given modules' versions, the CPUs, the load and numpy's BLAS."""
    versions = ", ".join(f"{module.__name__} {module.__version__}" for module in modules)
    print(
        f"python {platform.python_version()}, {versions}, "
        f"{os.cpu_count()} CPUs ({platform.machine()}), {load_average()}"
    )
    blas = [info for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"]
    numpy_blas = [info for info in blas if "numpy" in info.get("filepath", "")]
    for info in numpy_blas or blas:
        owner = "numpy" if numpy_blas else "loaded"
        print(
            f"{owner} BLAS: internal_api={info['internal_api']} "
            f"num_threads={info['num_threads']} version={info.get('version')} "
            f"architecture={info.get('architecture')} "
            f"({Path(info.get('filepath', '?')).name})"
        )
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    if coretype is not None:
        print(f"OPENBLAS_CORETYPE={coretype} (set in the environment, left unchanged)")


def max_rel_diff(a, b) -> float:
    """Largest absolute difference relative to the largest entry of ``b``."""
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def add_thread_arguments(parser, threads: int | None = None) -> None:
    """``--threads`` (BLAS/OpenMP limit of both libraries) and ``--n-jobs`` (emkit's)."""
    parser.add_argument(
        "--threads",
        type=int,
        default=threads,
        help="limit BLAS/OpenMP threads to this number with threadpoolctl "
        + (f"(default {threads}; 0 leaves them unchanged)" if threads else "(default: unchanged)"),
    )
    parser.add_argument(
        "--n-jobs",
        "--n_jobs",
        dest="n_jobs",
        type=int,
        default=-1,
        help="emkit's n_jobs, threads that share each E-step's chunks (default -1: all "
        "cores, as the reference libraries' BLAS uses by default)",
    )


def thread_settings(args) -> contextlib.ExitStack:
    """The context ``--threads`` and ``--n-jobs`` ask for; prints them."""
    stack = contextlib.ExitStack()
    if args.threads:
        stack.enter_context(threadpoolctl.threadpool_limits(args.threads))
    stack.enter_context(joblib.parallel_config(n_jobs=args.n_jobs))
    limit = f"limited to {args.threads}" if args.threads else "unchanged"
    print(f"BLAS/OpenMP threads {limit} (--threads); emkit n_jobs={args.n_jobs} (--n-jobs)")
    return stack


def fill_sizes(args, defaults: dict, quick: dict) -> None:
    """Give each size left unset on the command line its default (``quick`` with --quick)."""
    for name, value in (quick if args.quick else defaults).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
