"""Cost of the publication variants (issue 7) on one fiche, PDF cache bypassed.

For each variant: the CSV attachments (when embedded) + WeasyPrint layout + PDF writing,
the fiche context and HTML being built once beforehand (figures come from the figure cache,
the same for every variant). Variants are interleaved and each is timed ``--runs`` times
(median reported), in one process after a warm-up render; CPU is this process's time, which
a loaded machine (other builds on the cores) does not inflate as much as the wall clock.

    plain   untagged, no attachments (the build before issue 7)
    tagged  PDF/UA-1 + CSV attachments (the default output)
    pdfa    PDF/A-3a + PDF/UA-1, + CSV attachments (--pdfa)
    print   PDF/X-4 + PDF/UA-1, + attachments, 3 mm bleed and crop marks (--print)

Usage: python benchmarks/bench_publication.py [REGION] [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reports.documents.fiche import fiche_doc  # noqa: E402
from reports.documents.publication import html_to_pdf, pdf_options, print_stylesheets  # noqa: E402
from reports.documents.session import Session, render_html  # noqa: E402
from reports.render.attachments import document_csvs  # noqa: E402

# name → (PDF variant, attachments, print)
CASES = {
    "plain": ("plain", False, False),
    "tagged": ("tagged", True, False),
    "pdfa": ("pdfa", True, False),
    "print": ("print", True, True),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("region", nargs="?", default="94")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    session = Session.open()
    territory = session.territory(args.region)
    doc = fiche_doc(session, territory)  # figures drawn or taken from the cache, once
    html = render_html(session, "fiche.html", doc)
    times: dict[str, list[float]] = {name: [] for name in CASES}
    cpu: dict[str, list[float]] = {name: [] for name in CASES}  # this process: not the load's
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "fiche.pdf"
        html_to_pdf(session, html, target, pdf_options(session, "plain"), use_cache=False)
        for _ in range(args.runs):
            for name, (variant, attach, print_) in CASES.items():
                t0, c0 = time.perf_counter(), time.process_time()
                files = document_csvs(session.store, session.layouts, doc) if attach else []
                html_to_pdf(
                    session,
                    html,
                    target,
                    pdf_options(session, variant, files),
                    stylesheets=print_stylesheets(print_),
                    use_cache=False,
                )
                times[name].append(time.perf_counter() - t0)
                cpu[name].append(time.process_time() - c0)
                sizes[name] = target.stat().st_size
    base = statistics.median(times["plain"])
    print(f"fiche {territory.name} ({args.region}), median of {args.runs}, PDF cache bypassed")
    best = min(times["plain"])
    cpu_base = statistics.median(cpu["plain"])
    print(
        f"{'variant':<8} {'median':>8} {'vs plain':>9} {'min':>7} {'vs plain':>9} "
        f"{'CPU':>7} {'vs plain':>9} {'size':>9}"
    )
    for name, values in times.items():
        med, low = statistics.median(values), min(values)
        print(
            f"{name:<8} {med:>7.2f}s {100 * (med / base - 1):>+8.1f}% {low:>6.2f}s "
            f"{100 * (low / best - 1):>+8.1f}% {statistics.median(cpu[name]):>6.2f}s "
            f"{100 * (statistics.median(cpu[name]) / cpu_base - 1):>+8.1f}% "
            f"{sizes[name] / 1e6:>7.2f}MB"
        )
    print("runs: " + "; ".join(f"{n} " + " ".join(f"{v:.2f}" for v in t) for n, t in times.items()))


if __name__ == "__main__":
    main()
