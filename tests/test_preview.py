"""``atlas preview`` in a real headless Chromium (Playwright + the apt ``chromium`` package).

The server runs in a thread on a free port with a *copy* of ``templates/`` (the tests edit the
copy, never the repository). One région fiche is exercised: sheets, live reload after a template
edit, the error overlay and its recovery, traversal refusal and the on-demand PDF.
"""

from __future__ import annotations

import http.client
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reports.paths import PROJECT_ROOT
from reports.preview.engine import Preview
from reports.preview.files import PreviewPaths, safe_file
from reports.preview.server import ServerThread
from reports.preview.state import page_info

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
SLUG = "bretagne"
NAME = "Bretagne"
TIMEOUT = 20_000  # ms, for one re-render of a fiche

pytestmark = pytest.mark.browser


# -- no browser needed --------------------------------------------------------------------------


def test_safe_file_refuses_everything_outside(tmp_path: Path) -> None:
    base = tmp_path / "styles"
    (base / "fonts").mkdir(parents=True)
    (base / "print.css").write_text("p {}")
    (base / ".hidden").write_text("x")
    (tmp_path / "secret.txt").write_text("secret")
    (base / "link.css").symlink_to(tmp_path / "secret.txt")
    assert safe_file(base, "print.css") == (base / "print.css").resolve()
    for bad in [
        "../secret.txt",
        "fonts/../../secret.txt",
        "/etc/passwd",
        "..",
        ".hidden",
        "fonts",
        "link.css",
        "a\\..\\secret.txt",
        "x\x00.css",
        "",
    ]:
        assert safe_file(base, bad) is None, bad


def test_stylesheet_warnings_name_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "styles").mkdir()
    (tmp_path / "styles" / "print.css").write_text("p { margin: 0 }\nh1 { colr: red }\n")
    preview = Preview(PreviewPaths(root=tmp_path))
    try:
        html = '<html><head><link rel="stylesheet" href="styles/print.css"></head></html>'
        (warning,) = preview.stylesheet_warnings(html)
        assert warning.where == "styles/print.css:2:6"
        assert "colr" in warning.message
    finally:
        preview.close()


def test_preview_html_is_the_html_given_to_weasyprint() -> None:
    """The preview keeps the fiche context between template edits: same string as the build."""
    from reports.documents.fiche import fiche_html
    from reports.documents.session import Session

    preview = Preview(PreviewPaths())
    try:
        entry = next(e for e in preview._entries_sync() if e.slug == SLUG)
        session = Session.open()
        expected = fiche_html(session, session.territory(SLUG))
        assert preview._html_sync(entry) == expected
        assert preview._html_sync(entry) == expected  # second time from the cached context
    finally:
        preview.close()


@pytest.fixture(scope="module")
def session():  # type: ignore[no-untyped-def]
    from reports.documents.session import Session

    return Session.open()


def _pages(pages: list) -> list[tuple]:  # type: ignore[type-arg]
    """Everything the preview shows of a page: size, text fragments at their positions
    (running header and folio included), anchors."""
    out = []
    for page in pages:
        info = page_info(page)
        out.append((info.width, info.height, info.texts, sorted(info.anchors)))
    return out


def _assert_same_pages(whole: list[tuple], composed: list[tuple]) -> None:
    assert len(composed) == len(whole)
    for n, (a, b) in enumerate(zip(whole, composed, strict=True), start=1):
        assert b == a, f"page {n} differs"


@pytest.mark.parametrize("slug", ["bretagne", "guadeloupe"])  # a metro and a DROM fiche
def test_section_by_section_layout_equals_the_whole_document(session, slug: str) -> None:  # type: ignore[no-untyped-def]
    """reports.preview.incremental: same pages, same text at the same place, same folios and running
    headers as WeasyPrint's layout of the whole document (the PDF's)."""
    from reports.documents.fiche import fiche_html
    from reports.preview.incremental import Composer
    from reports.render.pdf import render_document

    html = fiche_html(session, session.territory(slug))
    whole = render_document(html, session.paths, base_url=session.paths.root)
    composer = Composer(session.paths)
    composition = composer.compose(html)
    # really piece by piece: a fiche's page groups (the opener; the sections that flow after
    # the contexte, layouts.yaml `follows: true`) are laid out apart
    assert composition.laid_out == composition.pieces >= 2
    _assert_same_pages(_pages(whole.pages), _pages([p.page for p in composition.pages]))
    total = len(whole.pages)
    last = page_info(composition.pages[-1].page)
    assert any(t[5] == f"page {total} / {total}" for t in last.texts)

    # an edit that adds a page to one section: only that section is laid out again, the
    # later pages are re-numbered, the totals change everywhere — still the whole's pages
    long = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 240
    edited = html.replace("</h2>", f"</h2><p>{long}</p>", 2)
    composition = composer.compose(edited)
    assert composition.laid_out == 1 < composition.pieces  # the opener's pages are kept
    whole = render_document(edited, session.paths, base_url=session.paths.root)
    assert len(whole.pages) > total
    _assert_same_pages(_pages(whole.pages), _pages([p.page for p in composition.pages]))


def test_documents_that_cannot_be_cut_are_laid_out_whole() -> None:
    from reports.preview.incremental import NotSplittable, split_sections

    good = (
        "<html><head></head><body><article>"
        '<section id="a">A<section id="x">x</section></section>\n<section id="b">B</section>'
        "</article></body></html>"
    )
    split = split_sections(good)
    assert [s[:16] for s in split.sections] == ['<section id="a">', '<section id="b">']
    assert 'style="display:none !important" id="a"' in split.piece(1)
    for bad in [
        good.replace("<article>", "<article><p>intro</p>"),  # content outside the sections
        good.replace("</article>", "</article><p>after</p>"),
        good.replace("<article>", "<div>").replace("</article>", "</div>"),
        good.replace('\n<section id="b">B</section>', ""),  # a single section
    ]:
        with pytest.raises(NotSplittable):
            split_sections(bad)


def test_stylesheet_edit_relays_every_section_and_template_edit_one(tmp_path: Path) -> None:
    """The preview's own render: a stylesheet change lays every section out again, a section
    template edit only its section; unchanged pages keep their image URL (not repainted)."""
    import asyncio

    root = tmp_path / "project"
    root.mkdir()
    for name in ("templates", "styles"):
        shutil.copytree(PROJECT_ROOT / name, root / name)
    shutil.copy2(PROJECT_ROOT / "layouts.yaml", root / "layouts.yaml")
    real = PreviewPaths()
    (root / "cache").symlink_to(real.cache.resolve(), target_is_directory=True)
    preview = Preview(PreviewPaths(root=root, data_override=real.data.resolve()))

    async def render() -> Any:
        preview.generation += 1
        state = await preview.state(SLUG)
        assert state.error is None and state.good is not None
        return state.good

    try:
        first = asyncio.run(render())
        opener = root / "templates" / "sections" / "opener.html"
        opener.write_text(
            opener.read_text(encoding="utf-8").replace('class="kicker">', 'class="kicker">Z '),
            encoding="utf-8",
        )
        second = asyncio.run(render())
        assert second.timings["sections_laid_out"] == 1
        assert second.pages[0].key != first.pages[0].key
        assert [p.key for p in second.pages[1:]] == [p.key for p in first.pages[1:]]
        css = root / "styles" / "print.css"
        css.write_text(css.read_text(encoding="utf-8") + "\n.kicker { color: red; }\n")
        third = asyncio.run(render())
        assert third.timings["sections_laid_out"] == third.timings["sections"] >= 2
        # a stylesheet using page selectors the composition cannot honour: whole layout
        css.write_text(css.read_text(encoding="utf-8") + "\n@page :first { margin-top: 30mm }\n")
        fourth = asyncio.run(render())
        assert fourth.timings["sections"] == 0
    finally:
        preview.close()


def test_proof_of_a_rendering_is_atlas_check_of_its_pdf() -> None:
    """The preview proofreads what it laid out (a tagged PDF of its pages, after the render,
    once idle): the same findings, page by page, as ``atlas check`` on the built fiche."""
    import asyncio

    from reports.documents.fiche import build_fiche
    from reports.documents.session import Session
    from reports.proof.check import check_pdf

    preview = Preview(PreviewPaths())

    async def render_and_proofread() -> Any:
        state = await preview.state(SLUG)
        assert state.error is None and state.good is not None
        assert preview.proof_pending(SLUG)  # scheduled, not run during the render
        while preview.proof_pending(SLUG):
            await asyncio.sleep(0.05)
        return state.good, preview.proof(SLUG)

    try:
        good, proof = asyncio.run(render_and_proofread())
        assert proof is not None and proof.error is None
        assert proof.generation == good.generation
        assert proof.keys == [p.key for p in good.pages]
        seen = {
            (proof.keys.index(key) + 1, f["rule"])
            for key, found in proof.findings.items()
            for f in found
        }
        session = Session.open()
        built = build_fiche(session, session.territory(SLUG), preview.tmp / "built.pdf")
        expected = {(f.page, f.rule) for f in check_pdf(built).findings}
        assert seen == expected
    finally:
        preview.close()


# -- real server + real browser -------------------------------------------------------------------


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("preview") / "templates"
    shutil.copytree(PROJECT_ROOT / "templates", copy)
    return copy


@pytest.fixture(scope="module")
def server(templates: Path) -> Iterator[ServerThread]:
    with ServerThread(PreviewPaths(templates_override=templates)) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed (make setup installs the apt package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser, server):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT)
    yield pg
    context.close()


def open_fiche(page, server: ServerThread) -> int:  # type: ignore[no-untyped-def]
    page.goto(f"{server.url}/doc/{SLUG}")
    page.wait_for_selector("body[data-state=ok]")
    return int(page.evaluate("document.body.dataset.generation"))


def get(server: ServerThread, path: str) -> tuple[int, bytes, str]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    conn.request("GET", path)  # sent as is: no client-side normalisation of ../
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, body, resp.getheader("Content-Type") or ""


def test_index_lists_every_fiche(page, server: ServerThread) -> None:  # type: ignore[no-untyped-def]
    page.goto(server.url + "/")
    links = page.locator(".fiches li")
    assert links.count() == 19  # 18 régions + France
    assert page.locator(f'a[href="/doc/{SLUG}"]').count() >= 1
    assert page.locator('a[href="/doc/france"]').count() == 1


def test_fiche_page_shows_title_and_sheets(page, server: ServerThread) -> None:  # type: ignore[no-untyped-def]
    open_fiche(page, server)
    assert NAME in page.locator("#doc-title").inner_text()
    sheets = page.locator(".sheet")
    count = sheets.count()
    assert count >= 3
    assert page.locator(".sheet-label").first.inner_text() == f"page 1 / {count}"
    first = sheets.first
    assert NAME in first.locator(".text-layer").inner_text()
    # the visible sheet is WeasyPrint's page image, decoded by the browser (others load lazily)
    page.wait_for_function("document.querySelector('.sheet .page-img').naturalWidth > 500")
    box = first.bounding_box()
    assert box is not None and abs(box["height"] / box["width"] - 297 / 210) < 0.01
    # running header / page number painted by WeasyPrint: in the text layer of page 2
    assert f"page 2 / {count}" in sheets.nth(1).locator(".text-layer").inner_text()
    # no error, no page-level JS error
    assert page.locator("#preview-overlay").is_hidden()


def test_template_edit_reloads_the_page(page, server: ServerThread, templates: Path) -> None:  # type: ignore[no-untyped-def]
    opener = templates / "sections" / "opener.html"
    original = opener.read_text(encoding="utf-8")
    gen = open_fiche(page, server)
    page.evaluate("window.__notReloaded = true")
    try:
        opener.write_text(
            original.replace('<p class="kicker">', '<p class="kicker">PREVIEWMARK '),
            encoding="utf-8",
        )
        page.wait_for_function(
            "document.querySelector('.sheet .text-layer').innerText.includes('PREVIEWMARK')"
        )
        assert int(page.evaluate("document.body.dataset.generation")) > gen
        assert page.evaluate("window.__notReloaded") is True  # swapped in place, scroll kept
    finally:
        opener.write_text(original, encoding="utf-8")
    page.wait_for_function(
        "!document.querySelector('.sheet .text-layer').innerText.includes('PREVIEWMARK')"
    )


def test_broken_template_shows_overlay_then_recovers(  # type: ignore[no-untyped-def]
    page, server: ServerThread, templates: Path
) -> None:
    opener = templates / "sections" / "opener.html"
    original = opener.read_text(encoding="utf-8")
    open_fiche(page, server)
    lines = original.splitlines(keepends=True)
    try:
        opener.write_text("".join([*lines[:2], "{{ broken( }}\n", *lines[2:]]), encoding="utf-8")
        page.wait_for_selector("#preview-overlay:not([hidden])")
        assert page.locator("#overlay-title").inner_text() == "Template error"
        assert "templates/sections/opener.html:3" in page.locator("#overlay-where").inner_text()
        assert page.locator(".sheet").count() >= 3  # last good pages stay underneath
        status, _, _ = get(server, "/")
        assert status == 200  # the server keeps running
    finally:
        opener.write_text(original, encoding="utf-8")
    page.wait_for_selector("#preview-overlay", state="hidden")
    page.wait_for_selector("body[data-state=ok]")
    assert NAME in page.locator(".sheet .text-layer").first.inner_text()


@pytest.mark.parametrize(
    "path",
    [
        "/styles/../../etc/passwd",
        "/styles/%2e%2e/%2e%2e/etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/cache/figures/..%2f..%2fpyproject.toml",
        "/_preview/..%2f..%2flayouts.yaml",
        "/styles/.%2e/layouts.yaml",
        "/data/territories.csv",
        "/layouts.yaml",
        "/reports/preview/server.py",
        "/etc/passwd",
    ],
)
def test_traversal_and_other_files_are_404(server: ServerThread, path: str) -> None:
    status, body, _ = get(server, path)
    assert status == 404, path
    assert b"root:" not in body


def test_project_assets_are_served(server: ServerThread) -> None:
    assert get(server, "/styles/print.css")[0] == 200
    assert get(server, "/_preview/preview.js")[0] == 200


def test_pdf_on_demand_has_the_sheets_page_count(server: ServerThread) -> None:
    import json

    from pypdf import PdfReader

    status, body, ctype = get(server, f"/api/doc/{SLUG}")
    assert status == 200
    sheets = len(json.loads(body)["pages"])
    status, pdf, ctype = get(server, f"/pdf/{SLUG}.pdf")
    assert status == 200 and ctype == "application/pdf" and pdf.startswith(b"%PDF")
    assert len(PdfReader(io.BytesIO(pdf)).pages) == sheets


def test_check_findings_show_on_their_sheet(  # type: ignore[no-untyped-def]
    page, server: ServerThread, templates: Path
) -> None:
    """A placeholder put in the opener: its ``atlas check`` finding shows on page 1 (badge and
    list under the sheet) after the live refresh, and goes away when the text is fixed."""
    import json

    opener = templates / "sections" / "opener.html"
    original = opener.read_text(encoding="utf-8")
    open_fiche(page, server)
    page.wait_for_function("document.body.dataset.proofGeneration !== undefined")
    placeholder = '.sheet-wrap .proof li[data-rule="placeholder"]'
    assert page.locator(placeholder).count() == 0
    try:
        opener.write_text(
            original.replace('<p class="subtitle">', '<p class="subtitle">[à compléter] '),
            encoding="utf-8",
        )
        page.wait_for_selector(placeholder)
        first = page.locator(".sheet-wrap").first
        assert first.locator('.proof li[data-rule="placeholder"]').count() == 1
        assert "[à compléter]" in first.locator(".proof").inner_text()
        assert first.locator(".sheet .proof-badge").is_visible()
        assert page.locator(placeholder).count() == 1  # on its sheet only
        assert "check finding" in page.locator("#proof-count").inner_text()
        key = first.get_attribute("data-key")
        status, body, _ = get(server, f"/api/proof/{SLUG}")
        assert status == 200
        found = json.loads(body)["findings"][key]
        assert any(f["rule"] == "placeholder" for f in found)
    finally:
        opener.write_text(original, encoding="utf-8")
    page.wait_for_function(f"!document.querySelector('{placeholder}')")
    assert get(server, "/api/proof/nowhere")[0] == 404
