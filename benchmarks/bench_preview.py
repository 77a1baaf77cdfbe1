"""Refresh time of ``atlas preview`` after a template edit (budget: ≤ 1 s for one fiche).

Usage::

    .venv/bin/python benchmarks/bench_preview.py [--slug bretagne] [--runs 5]
        [--all] [--no-browser] [--pagedjs /path/to/paged.polyfill.js]

1. Server side: the re-render of one fiche (figures cached) — HTML, WeasyPrint layout, PDF
   bytes, text layer — and the rasterisation of its pages by ``pdftoppm``.
2. End to end (headless Chromium, ``/usr/bin/chromium``): a real server on a copy of
   ``templates/``; a template is edited and the time is taken from the file write to
   (a) the new text on the sheets and (b) every sheet image swapped in.
3. ``--all``: server-side render time and page count of every fiche.
4. ``--pagedjs FILE``: the alternative that was not chosen — the same HTML/CSS paginated by
   Paged.js in Chromium — compared with WeasyPrint: page counts and the page on which each
   section starts, for every fiche. (Paged.js is not vendored; pass its ``dist`` file, e.g.
   from ``npm pack pagedjs``.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reports.paths import PROJECT_ROOT  # noqa: E402
from reports.preview import Preview, PreviewPaths, ServerThread  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.0f} ms"


def summary(label: str, values: list[float]) -> None:
    print(
        f"  {label:<34} median {ms(statistics.median(values))}   "
        f"min {ms(min(values))}   max {ms(max(values))}   (n={len(values)})"
    )


# -- 1. server side ---------------------------------------------------------------------------


async def server_side(slug: str, runs: int) -> None:
    preview = Preview(PreviewPaths())
    try:
        t = time.perf_counter()
        state = await preview.state(slug)  # first render also fills the figure cache
        if state.error or state.good is None:
            raise SystemExit(f"cannot render {slug}: {state.error}")
        print(f"first render of {slug} (figures may be drawn): {ms(time.perf_counter() - t)}")
        parts: dict[str, list[float]] = {}
        raster96: list[float] = []
        raster_all: list[float] = []
        for _ in range(runs):
            preview.generation += 1  # what a template edit does
            state = await preview.state(slug)
            good = state.good
            assert good is not None and good.generation == preview.generation
            for k, v in good.timings.items():
                parts.setdefault(k, []).append(v)
            t = time.perf_counter()
            await preview.page_png(slug, good.generation, 1, 96)
            raster96.append(time.perf_counter() - t)
            t = time.perf_counter()
            await asyncio.gather(
                *(
                    preview.page_png(slug, good.generation, n, 192)
                    for n in range(1, len(good.pages) + 1)
                )
            )
            raster_all.append(time.perf_counter() - t)
        print(f"server-side re-render of {slug}, {len(good.pages)} pages, figures cached:")
        for k in ("html", "layout", "text", "total"):
            summary(f"{k}", parts[k])
        summary("page 1 painted + pdftoppm @96 dpi", raster96)
        summary(f"all {len(good.pages)} pages painted + @192 dpi", raster_all)
    finally:
        preview.close()


async def all_fiches() -> None:
    preview = Preview(PreviewPaths())
    try:
        entries, problem = await preview.entries()
        if problem:
            raise SystemExit(str(problem))
        print("every fiche (server-side render, figures cached after the first pass):")
        for e in entries:
            if e.kind != "fiche":
                continue
            await preview.state(e.slug)
            preview.generation += 1
            state = await preview.state(e.slug)
            good = state.good
            if good is None:
                print(f"  {e.slug:<28} ERROR {state.error}")
                continue
            print(f"  {e.slug:<28} {len(good.pages):3d} pages  {ms(good.timings['total'])}")
    finally:
        preview.close()


# -- 2. end to end in Chromium ----------------------------------------------------------------


def launch(pw: Any) -> Any:
    return pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def end_to_end(slug: str, runs: int) -> None:
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="bench-preview-"))
    templates = tmp / "templates"
    shutil.copytree(PROJECT_ROOT / "templates", templates)
    opener = templates / "sections" / "opener.html"
    original = opener.read_text(encoding="utf-8")
    text_times: list[float] = []
    full_times: list[float] = []
    try:
        with (
            ServerThread(PreviewPaths(templates_override=templates)) as srv,
            sync_playwright() as pw,
        ):
            browser = launch(pw)
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.set_default_timeout(60_000)
            page.goto(f"{srv.url}/doc/{slug}")
            page.wait_for_selector("body[data-state=ok]")
            for i in range(runs):
                mark = f"BENCHMARK{i}X"
                gen = int(page.evaluate("document.body.dataset.generation"))
                t0 = time.perf_counter()
                opener.write_text(
                    original.replace('<p class="kicker">', f'<p class="kicker">{mark} '),
                    encoding="utf-8",
                )
                page.wait_for_function(
                    "m => document.querySelector('.sheet .text-layer').innerText.includes(m)",
                    arg=mark,
                    polling="raf",
                )
                text_times.append(time.perf_counter() - t0)
                page.wait_for_function(
                    "g => +document.body.dataset.generation > g", arg=gen, polling="raf"
                )
                full_times.append(time.perf_counter() - t0)
                time.sleep(0.3)
            browser.close()
    finally:
        opener.write_text(original, encoding="utf-8")
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"end to end in Chromium, template edit → refreshed sheets ({slug}):")
    summary("edit → new page 1 on screen", text_times)
    summary("edit → every sheet swapped", full_times)


# -- 4. Paged.js vs WeasyPrint -----------------------------------------------------------------

PAGEDJS_PROBE = """
async () => {
  await window.PagedPolyfill.preview();
  const pages = document.querySelectorAll('.pagedjs_page');
  const starts = {};
  for (const s of document.querySelectorAll('.pagedjs_page section.section[id]')) {
    if (s.dataset.splitFrom) continue;
    const p = s.closest('.pagedjs_page');
    starts[s.id] = +p.dataset.pageNumber;
  }
  return {pages: pages.length, starts};
}
"""


def pagedjs_compare(polyfill: Path) -> None:
    from playwright.sync_api import sync_playwright

    script = polyfill.read_text(encoding="utf-8")
    rows = []
    with ServerThread(PreviewPaths()) as srv, sync_playwright() as pw:
        browser = launch(pw)
        from reports.build import Session

        for territory in Session.open().all_territories():
            slug = territory.slug
            with urllib.request.urlopen(f"{srv.url}/api/doc/{slug}", timeout=300) as r:
                state = json.loads(r.read())
            wp_starts: dict[str, int] = {}
            for p in state["pages"]:
                for a in p["anchors"]:
                    wp_starts.setdefault(a, p["n"])
            page = browser.new_page()
            page.goto(f"{srv.url}/{slug}.html", wait_until="load")
            page.add_script_tag(content="window.PagedConfig = {auto: false};")
            page.add_script_tag(content=script)
            t = time.perf_counter()
            res = page.evaluate(PAGEDJS_PROBE)
            elapsed = time.perf_counter() - t
            page.close()
            diffs = [
                f"{sid.split('-')[-1]} {wp_starts.get(sid)}→{p}"
                for sid, p in res["starts"].items()
                if wp_starts.get(sid) != p
            ]
            rows.append((slug, len(state["pages"]), res["pages"], diffs, elapsed))
        browser.close()
    print("Paged.js 0.4.3 in Chromium vs WeasyPrint (same HTML and CSS):")
    print(f"  {'fiche':<28}{'WeasyPrint':>11}{'Paged.js':>10}  sections starting elsewhere")
    for slug, wp, pj, diffs, elapsed in rows:
        moved = ", ".join(diffs[:4]) + (" …" if len(diffs) > 4 else "")
        print(f"  {slug:<28}{wp:>11}{pj:>10}  {len(diffs):2d} {moved}  ({elapsed:.1f} s)")
    same = sum(1 for _, wp, pj, d, _ in rows if wp == pj and not d)
    print(
        f"  identical pagination: {same}/{len(rows)} fiches; page count differs for "
        f"{sum(1 for _, wp, pj, _, _ in rows if wp != pj)}; "
        f"total pages WeasyPrint {sum(r[1] for r in rows)}, Paged.js {sum(r[2] for r in rows)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slug", default="bretagne")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--all", action="store_true", help="render time of every fiche")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--pagedjs", type=Path, help="paged.polyfill.js to compare with")
    args = parser.parse_args()
    import logging

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    if shutil.which("pdftoppm") is None:
        raise SystemExit("pdftoppm (poppler-utils) is required")
    asyncio.run(server_side(args.slug, args.runs))
    if args.all:
        asyncio.run(all_fiches())
    if not args.no_browser:
        if CHROMIUM.exists():
            end_to_end(args.slug, args.runs)
        else:
            print("end to end skipped: /usr/bin/chromium is not installed")
    if args.pagedjs:
        pagedjs_compare(args.pagedjs)


if __name__ == "__main__":
    main()
