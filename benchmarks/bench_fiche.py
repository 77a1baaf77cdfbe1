"""Fiche build time: cold (empty figure and PDF caches), warm with figures cached (PDF
re-rendered), and warm (nothing changed).  Each run is a fresh `atlas fiche` process, as a
user would type it.  The machine is shared and noisy (±30 % between identical runs), so each
measure is repeated and the best and the median are printed.

Usage: python benchmarks/bench_fiche.py [-n REPEAT] [REGION ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ATLAS = [sys.executable, "-m", "reports"]


def run(region: str, cache: Path, out: Path) -> float:
    env = {**os.environ, "ATLAS_CACHE": str(cache)}
    t0 = time.perf_counter()
    subprocess.run(
        [*ATLAS, "fiche", region, "-o", str(out)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - t0


def measure(region: str) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        cache, out = Path(tmp) / "cache", Path(tmp) / "fiche.pdf"
        cold = run(region, cache, out)
        shutil.rmtree(cache / "pdf")
        figs = run(region, cache, out)
        warm = run(region, cache, out)
        return cold, figs, warm


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", "--repeat", type=int, default=3)
    ap.add_argument("regions", nargs="*", default=["84", "04"])
    opts = ap.parse_args()
    print(f"{'région':<8} {'cold':>15} {'figures cached':>15} {'warm':>15}   (best / median)")
    for region in opts.regions:
        runs = [measure(region) for _ in range(opts.repeat)]
        cells = []
        for values in zip(*runs, strict=True):
            cells.append(f"{min(values):>6.2f} / {statistics.median(values):>5.2f}")
        print(f"{region:<8} " + " ".join(f"{c:>15}" for c in cells))


if __name__ == "__main__":
    main()
