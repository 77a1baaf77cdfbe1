"""Batch throughput: N régions built by `atlas batch` on a LocalCluster of 1 worker, then of
2 workers (the throughput ratio), with the peak memory of each worker process (its
``ru_maxrss``, reported by the worker with each fiche). One run of each (the machine is
shared: ±30 % between identical runs).

Each run writes to a fresh output folder (nothing skipped) with a fresh PDF cache: by default
the figures come from the usual cache (``figures cached``: every fiche laid out by WeasyPrint,
no figure drawn); ``--cold`` starts from an empty cache (every figure drawn too). The wall
time includes starting the cluster and each worker's first Session.

``--level departement|epci`` times the portraits of that level instead (the first N, or
``-n 0`` for all of them); ``--workers 2`` alone gives the budget runs (101 départements
cold and cached, 1 255 EPCI cold).

Usage: python benchmarks/bench_batch.py [-n N] [--level L] [--cold] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def one_run(codes: list[str], workers: int, cold: bool, level: str = "region") -> dict:
    from reports.batch import run_batch
    from reports.paths import Paths

    figures = Paths().figures_cache
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        cache = Path(tmp) / "cache"
        cache.mkdir()
        if not cold and figures.is_dir():
            (cache / "figures").symlink_to(figures.resolve(), target_is_directory=True)
        previous = os.environ.get("ATLAS_CACHE")
        os.environ["ATLAS_CACHE"] = str(cache)  # the workers get it (reports.batch.run)
        try:
            t0 = time.perf_counter()
            report = run_batch(
                level, only=codes, out_root=Path(tmp) / "out", workers=workers, progress=False
            )
            wall = time.perf_counter() - t0
        finally:
            if previous is None:
                os.environ.pop("ATLAS_CACHE", None)
            else:
                os.environ["ATLAS_CACHE"] = previous
    if report.failed:
        raise SystemExit(f"failed: {[(r.code, r.error) for r in report.failed]}")
    peaks: dict[int, float] = defaultdict(float)
    for _code, _seconds, _cpu, pid, peak in report.tasks:
        peaks[pid] = max(peaks[pid], peak)
    seconds = [s for _c, s, _u, _p, _m in report.tasks]
    cpu = [u for _c, _s, u, _p, _m in report.tasks]
    return {
        "workers": workers,
        "wall": wall,
        "fiches": len(report.built),
        "per_fiche": statistics.mean(seconds),
        "median": statistics.median(seconds),
        "cpu": statistics.mean(cpu),
        "throughput": len(report.built) / wall * 60,
        "peak_mb": max(peaks.values()),
        "peaks": dict(peaks),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=6, help="territories (the first N; 0: all)")
    ap.add_argument("--level", default="region", choices=["region", "departement", "epci"])
    ap.add_argument("--cold", action="store_true", help="empty cache: figures drawn too")
    ap.add_argument("--workers", default="1,2", help="worker counts to compare")
    opts = ap.parse_args()

    from reports.batch.plan import territories_of
    from reports.documents.session import Session

    session = Session.open()
    codes = [t.code for t in territories_of(session, opts.level)]
    codes = codes[: opts.n] if opts.n else codes
    mode = "cold (empty cache)" if opts.cold else "figures cached (PDFs laid out)"
    shown = ", ".join(codes[:8]) + (" …" if len(codes) > 8 else "")
    print(f"atlas batch, {len(codes)} {opts.level} ({shown}), {mode}, {os.cpu_count()} cores")
    rows = []
    for w in opts.workers.split(","):
        print(f"load average before {w} worker(s): {os.getloadavg()[0]:.2f}")
        rows.append(one_run(codes, int(w), opts.cold, opts.level))
    print(
        f"{'workers':>7} {'wall s':>8} {'fiches/min':>10} {'s/fiche (worker)':>17}"
        f" {'median':>7} {'CPU s/fiche':>12} {'peak MB/worker':>15}"
    )
    for r in rows:
        print(
            f"{r['workers']:>7} {r['wall']:>8.1f} {r['throughput']:>10.1f} {r['per_fiche']:>17.2f}"
            f" {r['median']:>7.2f} {r['cpu']:>12.2f} {r['peak_mb']:>15.0f}"
        )
    if len(rows) > 1:
        ratio = rows[-1]["throughput"] / rows[0]["throughput"]
        print(f"throughput {rows[-1]['workers']} vs {rows[0]['workers']} worker(s): {ratio:.2f}×")
    client = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"client process peak: {client:.0f} MB")


if __name__ == "__main__":
    main()
