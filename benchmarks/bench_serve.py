"""Latency and throughput of ``emkit serve``, beside the same predictions in-process.

A GaussianMixtureEM (3 components, full covariances) is fitted to 10 features
of seeded Gaussian data and saved as JSON; ``python -m emkit serve`` serves
it on a free local port (uvicorn, one process). ``--clients`` threads (default
16), each with its own keep-alive ``httpx.Client``, send ``POST /predict_proba``
with 1-row and with 1,000-row bodies for ``--seconds`` each; every answer is
checked against the in-process model (exact equality).

Printed per request size: requests, p50 and p99 latency (ms), requests and
rows a second; then the same ``predict_proba`` called in-process, one thread,
on the same arrays (p50 latency and rows a second), and the ratio of the
in-process rate to the served one. Client and server share the machine's
CPUs, so the figures are a floor for a server on its own host.

Usage::

    python benchmarks/bench_serve.py                 # 16 clients, 10 s per size
    python benchmarks/bench_serve.py --seconds 3     # quicker
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_environment

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0, help="per request size")
    args = parser.parse_args()

    import emkit
    from emkit import GaussianMixtureEM
    from emkit.io import to_json

    print_environment(np, emkit, httpx)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 10)) + rng.integers(0, 3, size=(20_000, 1)) * 3.0
    model = GaussianMixtureEM(3, random_state=0).fit(X)
    directory = tempfile.mkdtemp()
    path = os.path.join(directory, "model.json")
    with open(path, "w") as file:
        file.write(to_json(model))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "emkit", "serve", path, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, server)
        print(f"\n{args.clients} clients, {args.seconds:g} s per size, POST /predict_proba")
        header = f"{'rows':>6} {'requests':>9} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}"
        print(header + f" {'rows/s':>10} {'in-process p50 ms':>18} {'rows/s':>10} {'ratio':>6}")
        for n_rows in (1, 1000):
            served = load(url, X, model, n_rows, args.clients, args.seconds)
            local = in_process(model, X, n_rows, args.seconds)
            latencies = np.array(served["latencies"]) * 1e3
            requests_per_s = len(latencies) / served["elapsed"]
            local_rows = n_rows / np.median(local)
            print(
                f"{n_rows:>6} {len(latencies):>9} {np.percentile(latencies, 50):>8.2f} "
                f"{np.percentile(latencies, 99):>8.2f} {requests_per_s:>8.0f} "
                f"{requests_per_s * n_rows:>10.0f} {np.median(local) * 1e3:>18.3f} "
                f"{local_rows:>10.0f} {local_rows / (requests_per_s * n_rows):>6.1f}"
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def wait_until_up(url: str, server) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server exited")
        try:
            if httpx.get(url + "/healthz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("the server did not answer")


def load(url, X, model, n_rows: int, clients: int, seconds: float) -> dict:
    """Send requests of ``n_rows`` rows from ``clients`` threads for ``seconds``."""
    starts = np.arange(0, len(X) - n_rows + 1, max(n_rows, 1))[:50]
    bodies = [{"instances": X[s : s + n_rows].tolist()} for s in starts]
    expected = [model.predict_proba(X[s : s + n_rows]) for s in starts]
    latencies, failures = [], []
    stop = threading.Event()

    def client(offset: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as session:
            i = offset
            while not stop.is_set():
                j = i % len(bodies)
                started = time.perf_counter()
                response = session.post("/predict_proba", json=bodies[j])
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200 or not np.array_equal(
                    np.array(response.json()["predictions"]), expected[j]
                ):
                    failures.append(response.status_code)
                i += clients

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} requests failed or disagreed")
    return {"latencies": latencies, "elapsed": elapsed}


def in_process(model, X, n_rows: int, seconds: float) -> list[float]:
    times, deadline = [], time.perf_counter() + min(seconds, 3.0)
    while time.perf_counter() < deadline:
        rows = X[:n_rows]
        started = time.perf_counter()
        model.predict_proba(rows)
        times.append(time.perf_counter() - started)
    return times


if __name__ == "__main__":
    main()
