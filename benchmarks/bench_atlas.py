"""Atlas build benchmark: cold (empty caches), warm, plain single-process WeasyPrint, peak RSS.

Usage: .venv/bin/python benchmarks/bench_atlas.py [--skip-plain]
Each build runs in a fresh subprocess; peak RSS is the max resident set of the process tree
(RUSAGE_CHILDREN covers the largest waited-for descendant, i.e. the biggest single process);
peak PSS is the whole tree's memory, sampled every 0.2 s (shared pages counted once).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


PEAK_TREE: list[float] = [0.0]  # MB: the largest sum of PSS over a build's process tree


def run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    while proc.poll() is None:
        PEAK_TREE[0] = max(PEAK_TREE[0], _tree_pss(proc.pid))
        time.sleep(0.2)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, args)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return time.perf_counter() - t0, peak_kb / 1024


def _tree_pss(root: int) -> float:
    """Memory of a process and its descendants in MB (proportional set size: shared pages,
    e.g. copy-on-write after fork, are split between the processes sharing them)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-plain", action="store_true")
    opts = ap.parse_args()
    cache = Path(tempfile.mkdtemp(prefix="atlas-bench-cache-"))
    out = Path(tempfile.mkdtemp(prefix="atlas-bench-out-"))
    env = dict(os.environ, ATLAS_CACHE=str(cache))
    build = [PY, "-m", "reports", "build", "-o", str(out / "atlas.pdf")]
    try:
        cold, rss1 = run(build, env)
        warm, rss2 = run(build, env)
        shutil.rmtree(cache / "atlas" / "pdf", ignore_errors=True)
        warm_render, rss3 = run(build, env)
        html_s, _ = run([*build[:-2], "--html", "-o", str(out / "atlas.html")], env)
        plain = None
        if not opts.skip_plain:
            code = (
                "import sys; from weasyprint import HTML; "
                f"HTML(filename={str(out / 'atlas.html')!r}, base_url={str(ROOT)!r}+'/')"
                f".write_pdf({str(out / 'plain.pdf')!r})"
            )
            plain, _ = run([PY, "-c", code], env)
        from pypdf import PdfReader

        pages = len(PdfReader(str(out / "atlas.pdf")).pages)
        print(f"pages                         {pages}")
        print(f"cold build (empty caches)     {cold:7.1f} s")
        print(f"warm build (all caches)       {warm:7.1f} s")
        print(f"warm build, unit PDFs redone  {warm_render:7.1f} s")
        print(f"--html (one HTML file)        {html_s:7.1f} s")
        if plain is not None:
            print(f"plain WeasyPrint, 1 process   {plain:7.1f} s")
            print(f"warm-render / plain           {warm_render / plain:7.2f}")
        print(f"peak RSS (largest process)    {max(rss1, rss2, rss3):7.0f} MB")
        print(f"peak PSS (all processes)      {PEAK_TREE[0]:7.0f} MB")
        print(f"cores                         {os.cpu_count()}")
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
