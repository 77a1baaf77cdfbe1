"""`atlas data build` time and determinism: two builds into temporary directories, as a
fresh process each (what a user runs), then byte comparison and table sizes.
Usage: python benchmarks/bench_data.py"""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build(data_dir: Path) -> float:
    env = {**os.environ, "ATLAS_DATA": str(data_dir)}
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "reports", "data", "build"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - t0


def files(d: Path) -> list[Path]:
    return sorted(p.relative_to(d) for p in d.rglob("*") if p.is_file())


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "a" / "data", Path(tmp) / "b" / "data"
        ta, tb = build(a), build(b)
        same = files(a) == files(b) and all(
            filecmp.cmp(a / f, b / f, shallow=False) for f in files(a)
        )
        print(
            f"atlas data build: {ta:.1f} s, {tb:.1f} s (budget 60 s); "
            f"byte-identical: {'yes' if same else 'NO'}"
        )
        total = 0
        for f in files(a):
            size = (a / f).stat().st_size
            total += size
            lines = sum(1 for _ in (a / f).open("rb")) - 1 if f.suffix == ".csv" else None
            rows = f"{lines:>8,} rows" if lines is not None else " " * 13
            print(f"  {str(f):<28} {size / 1024:>8.0f} KiB {rows}")
        print(f"  {'total':<28} {total / 1024:>8.0f} KiB")


if __name__ == "__main__":
    main()
