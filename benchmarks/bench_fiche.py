"""Fiche build time: cold (empty figure and PDF caches), warm with figures cached (PDF
re-rendered), and warm (nothing changed).  Each run is a fresh `atlas fiche` process, as a
user would type it.  Usage: python benchmarks/bench_fiche.py [REGION ...]"""

from __future__ import annotations

import os
import shutil
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


def main() -> None:
    regions = sys.argv[1:] or ["84", "04"]
    print(f"{'région':<8} {'cold':>7} {'figures cached':>15} {'warm':>7}")
    for region in regions:
        with tempfile.TemporaryDirectory() as tmp:
            cache, out = Path(tmp) / "cache", Path(tmp) / "fiche.pdf"
            cold = run(region, cache, out)
            shutil.rmtree(cache / "pdf")
            figs = run(region, cache, out)
            warm = min(run(region, cache, out) for _ in range(3))
            print(f"{region:<8} {cold:>6.2f}s {figs:>14.2f}s {warm:>6.2f}s")


if __name__ == "__main__":
    main()
