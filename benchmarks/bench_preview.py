"""Refresh time of ``atlas preview`` after a template edit (budget: ≤ 1 s for one fiche).

Usage::

    .venv/bin/python benchmarks/bench_preview.py [--slug bretagne] [--runs 5]
        [--all] [--no-browser] [--pagedjs /path/to/paged.polyfill.js]

1. Server side: the re-render of one fiche (figures cached) — HTML, WeasyPrint layout, PDF
   bytes, text layer — and the rasterisation of its pages by ``pdftoppm``.
2. End to end (headless Chromium, ``/usr/bin/chromium``): a real server on a copy of the
   project (templates, styles, layouts.yaml; data and figure cache shared); a section template,
   a template edit adding a page, and a stylesheet are edited, and the time is taken from the
   file write to the edited sheet showing the new text *and* its new page image.
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
from reports.preview.engine import Preview  # noqa: E402
from reports.preview.files import PreviewPaths  # noqa: E402
from reports.preview.server import ServerThread  # noqa: E402

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
        f"  {label:<40} median {ms(statistics.median(values))}   "
        f"min {ms(min(values))}   max {ms(max(values))}   (n={len(values)})"
    )


# -- 1. server side ---------------------------------------------------------------------------


async def server_side(slug: str, runs: int) -> None:
    """Layout of one fiche: whole document vs section by section (reports.preview.incremental)."""
    from reports.preview.incremental import Composer
    from reports.render.pdf import render_document

    preview = Preview(PreviewPaths())
    try:
        t = time.perf_counter()
        state = await preview.state(slug)  # first render also fills the figure cache
        if state.error or state.good is None:
            raise SystemExit(f"cannot render {slug}: {state.error}")
        print(f"first render of {slug} (figures may be drawn): {ms(time.perf_counter() - t)}")
        html = state.good.html
        paths = preview.paths
        sections = html.count('<section class="section')
        long = "Lorem ipsum dolor sit amet. " * 200
        edits = {
            "one section (opener)": lambda i: html.replace(
                '<p class="kicker">', f'<p class="kicker">E{i} '
            ),
            "one section, +1 page": lambda i: html.replace(
                '<p class="fine">', f'<p class="fine">E{i} {long}'
            ),
        }
        parts: dict[str, list[float]] = {}
        for _ in range(runs):
            t = time.perf_counter()
            whole = render_document(html, paths, base_url=paths.root)
            parts.setdefault("whole document (the PDF's layout)", []).append(
                time.perf_counter() - t
            )
            composer = Composer(paths)  # empty cache: what a stylesheet edit costs
            t = time.perf_counter()
            composed = composer.compose(html)
            parts.setdefault(f"every section ({sections}, stylesheet edit)", []).append(
                time.perf_counter() - t
            )
            assert len(composed.pages) == len(whole.pages)
            for label, edit in edits.items():
                for i in range(2):
                    t = time.perf_counter()
                    composer.compose(edit(i))
                    parts.setdefault(label, []).append(time.perf_counter() - t)
            preview.generation += 1
            await preview.state(slug)  # the preview's own render: all from the cache
            preview._pngs.clear()
            preview._page_pdfs.clear()
            t = time.perf_counter()
            good = preview._states[slug].good
            assert good is not None
            await preview.sheet_png(good.pages[0].key, 96)
            parts.setdefault("page 1 painted + pdftoppm @96 dpi", []).append(
                time.perf_counter() - t
            )
        print(f"server side, {slug}, {len(whole.pages)} pages, figures cached:")
        for label, values in parts.items():
            summary(label, values)
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


def project_copy() -> tuple[Path, PreviewPaths]:
    """A throw-away project root: copies of templates/, styles/ and layouts.yaml (edited by
    the benchmark), the real data/ and figure cache (figures come from the cache)."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-preview-"))
    shutil.copytree(PROJECT_ROOT / "templates", tmp / "templates")
    shutil.copytree(PROJECT_ROOT / "styles", tmp / "styles")
    shutil.copy2(PROJECT_ROOT / "layouts.yaml", tmp / "layouts.yaml")
    (tmp / "cache").symlink_to(PreviewPaths().cache.resolve(), target_is_directory=True)
    return tmp, PreviewPaths(root=tmp, data_override=PreviewPaths().data.resolve())


#: (label, file, edit(text, i) -> text, text that shows the edit or None, page to look at)
EDITS: list[tuple[str, str, Any, str | None, str]] = [
    (
        "section template (opener, page 1)",
        "templates/sections/opener.html",
        lambda t, i: t.replace('<p class="kicker">', f'<p class="kicker">BENCH{i}X '),
        "BENCH{i}X",
        "first",
    ),
    (
        "section template (notes, last page)",
        "templates/sections/notes.html",
        lambda t, i: t.replace("<h2>{{ section.title }}", f"<h2>BENCH{i}X {{{{ section.title }}}}"),
        "BENCH{i}X",
        "last",
    ),
    (
        "section template, +1 page (folios)",
        "templates/sections/notes.html",
        lambda t, i: t.replace(
            "{{ chapter.method_note }}</p>",
            "{{ chapter.method_note }} "
            + "Lorem ipsum dolor sit amet. " * (180 + i)
            + f"BENCH{i}X</p>",
        ),
        "BENCH{i}X",
        "last",
    ),
    (
        "stylesheet (print.css colour)",
        "styles/print.css",
        lambda t, i: t.replace("--muted: #5a6672;", f"--muted: #5a66{80 + i:02d};"),
        None,
        "first",
    ),
]

SHOWN = """([sel, mark]) => {
  const sheets = document.querySelectorAll('.sheet');
  const sheet = sel === 'first' ? sheets[0] : sheets[sheets.length - 1];
  if (!sheet) return false;
  const img = sheet.querySelector('.page-img');
  const fresh = img && img.complete && img.naturalWidth > 0;
  if (!fresh || img.dataset.src === window.__benchSrc) return false;
  return !mark || sheet.querySelector('.text-layer').innerText.includes(mark);
}"""

REMEMBER = """(sel) => {
  const sheets = document.querySelectorAll('.sheet');
  const sheet = sel === 'first' ? sheets[0] : sheets[sheets.length - 1];
  sheet.scrollIntoView();
  window.__benchSrc = sheet.querySelector('.page-img').dataset.src;
}"""


STATE = """() => {
  const sheets = [...document.querySelectorAll('.sheet')];
  const last = sheets[sheets.length - 1], img = last.querySelector('.page-img');
  return [document.body.dataset.generation, document.body.dataset.state, sheets.length,
    img.dataset.src, window.__benchSrc, img.complete, img.naturalWidth,
    last.querySelector('.text-layer').innerText.slice(-80),
    document.getElementById('status').textContent];
}"""


def end_to_end(slug: str, runs: int) -> None:
    """Edit → the edited sheet shows the new text and its new image, in Chromium."""
    from playwright.sync_api import sync_playwright

    tmp, paths = project_copy()
    originals = {rel: (tmp / rel).read_text(encoding="utf-8") for _, rel, *_ in EDITS}
    results: dict[str, list[float]] = {}
    server_times: dict[str, list[float]] = {}
    try:
        with ServerThread(paths) as srv, sync_playwright() as pw:
            browser = launch(pw)
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.set_default_timeout(30_000)
            page.goto(f"{srv.url}/doc/{slug}")
            page.wait_for_selector("body[data-state=ok]")
            for label, rel, edit, mark, where in EDITS:
                path = tmp / rel
                for i in range(runs + 1):  # the first run warms the pieces' cache
                    page.evaluate(REMEMBER, where)
                    gen = int(page.evaluate("document.body.dataset.generation"))
                    t0 = time.perf_counter()
                    path.write_text(edit(originals[rel], i), encoding="utf-8")
                    try:
                        page.wait_for_function(
                            SHOWN, arg=[where, mark.format(i=i) if mark else None], polling="raf"
                        )
                    except Exception:
                        print(f"timed out: {label} #{i}", page.evaluate(STATE), file=sys.stderr)
                        raise
                    elapsed = time.perf_counter() - t0
                    page.wait_for_function(
                        "g => +document.body.dataset.generation > g", arg=gen, polling="raf"
                    )
                    timings = page.evaluate(
                        f"fetch('/api/doc/{slug}').then(r => r.json()).then(j => j.timings)"
                    )
                    if i > 0:
                        results.setdefault(label, []).append(elapsed)
                        server_times.setdefault(label, []).append(timings.get("total", 0))
                    time.sleep(0.3)
                path.write_text(originals[rel], encoding="utf-8")
                page.wait_for_function(
                    "g => +document.body.dataset.generation > g",
                    arg=int(page.evaluate("document.body.dataset.generation")),
                    polling="raf",
                )
                time.sleep(0.3)
            browser.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"end to end in Chromium, edit → edited sheet refreshed on screen ({slug}):")
    for label, values in results.items():
        summary(label, values)
        summary("  of which server render", server_times[label])


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
        from reports.documents.session import Session

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
