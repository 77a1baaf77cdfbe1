"""What the project changes in WeasyPrint's layout: balanced columns found by a search
(:mod:`reports.render.columns`) and figures loaded when the layout reaches them
(:mod:`reports.render.pending`). Both lay out what WeasyPrint does, in less time."""

from __future__ import annotations

import io
import re
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from reports.documents.atlas.parts import atlas_parts
from reports.documents.atlas.units import annex_html
from reports.documents.session import Session
from reports.errors import RenderError
from reports.paths import Paths
from reports.render import pending
from reports.render.columns import install_column_search
from reports.render.pdf import render_document


@pytest.fixture(scope="module")
def session() -> Session:
    return Session.open(Paths())


def _glossary(session: Session, theme: str) -> str:
    """The annexes of the atlas with only the definitions of ``theme``: three balanced
    columns of definitions, none split (each dt/dd has widows and orphans 2, dt keeps with
    its dd: WeasyPrint's balancing cannot tell what height the next one needs)."""
    html = annex_html(session, atlas_parts(session))
    head, body = html.split('<section class="annex"', 1)
    blocks = re.findall(r"<h3>Définitions — .*?</dl>", body, flags=re.S)
    (block,) = [b for b in blocks if b.startswith(f"<h3>Définitions — {theme}")]
    return f'{head}<section class="annex">{block}<p>Fin.</p></section></section></body></html>'


def _text_positions(document) -> list[tuple[int, str, float, float]]:
    out = []

    def walk(box, page: int) -> None:
        text = getattr(box, "text", None)
        if text:
            out.append((page, text, round(box.position_x, 2), round(box.position_y, 2)))
        for child in getattr(box, "children", ()):
            walk(child, page)

    for i, page in enumerate(document.pages):
        walk(page._page_box, i)
    return out


def test_column_search_lays_out_the_columns_weasyprint_finds(session, monkeypatch):
    from weasyprint.layout import block

    assert install_column_search(), "WeasyPrint's columns_layout is not the expected source"
    patched = block.columns_layout
    trials = {"n": 0}
    original_block_layout = block.block_box_layout

    def counting(context, box, *args, **kwargs):
        if getattr(box, "is_column", False):
            trials["n"] += 1
        return original_block_layout(context, box, *args, **kwargs)

    monkeypatch.setattr(block, "block_box_layout", counting)
    paths = Paths()
    counts: dict[str, tuple[int, int]] = {}
    for n in ("Fréquentation", "Offre culturelle"):  # a third of a page, a page
        html = _glossary(session, n)
        trials["n"] = 0
        ours = _text_positions(render_document(html, paths, base_url=paths.root))
        ours_trials = trials["n"]
        monkeypatch.setattr(block, "columns_layout", patched.original)
        trials["n"] = 0
        theirs = _text_positions(render_document(html, paths, base_url=paths.root))
        theirs_trials = trials["n"]
        monkeypatch.setattr(block, "columns_layout", patched)
        # the same text in the same column of the same page, at most 1 px higher or lower
        # (the height tried last differs by less than WeasyPrint's 1 px step; a margin cut at
        # the column foot may follow it)
        assert [t[:3] for t in ours] == [t[:3] for t in theirs], f"{n}: other columns"
        assert max(abs(a[3] - b[3]) for a, b in zip(ours, theirs, strict=True)) < 1, n
        counts[n] = (ours_trials, theirs_trials)
        assert ours_trials <= theirs_trials, counts
    # WeasyPrint crawls 1 px at a time there (141 trials): a search needs well under half
    assert counts["Fréquentation"][0] < counts["Fréquentation"][1] / 2, counts


def _png(path: Path, size: tuple[int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format="PNG")
    tmp = path.with_suffix(".tmp")  # written whole, then renamed, as the figure cache does
    tmp.write_bytes(buf.getvalue())
    tmp.replace(path)


def test_pending_figure_is_loaded_when_the_layout_reaches_it(tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_CACHE", str(tmp_path))
    paths = Paths()
    figure = paths.figures_cache / "ab" / "late.png"
    html = f'<p>Texte avant la figure.</p><img src="{figure.as_uri()}" alt="carte">'
    _png(figure, (400, 300))
    expected = render_document(html, paths).write_pdf()
    figure.unlink()

    made: list[pending.PendingImage] = []
    original = pending.PendingImage

    def spy(*args):
        made.append(original(*args))
        return made[-1]

    monkeypatch.setattr(pending, "PendingImage", spy)
    later = threading.Timer(0.3, _png, (figure, (400, 300)))
    later.start()
    t0 = time.monotonic()
    document = render_document(html, paths, pending=[figure])
    later.join()
    assert made, "the boxes were built only once the figure existed"
    assert time.monotonic() - t0 >= 0.25  # the layout waited for the figure
    assert document.write_pdf() == expected  # the same bytes as with the figure there


def test_pending_figure_never_drawn_is_an_error(tmp_path, monkeypatch):
    from reports.render import pdf

    monkeypatch.setenv("ATLAS_CACHE", str(tmp_path))
    monkeypatch.setattr(pdf, "PENDING_TIMEOUT_S", 0.2)
    paths = Paths()
    figure = paths.figures_cache / "ab" / "never.png"
    html = f'<p>Texte.</p><img src="{figure.as_uri()}" alt="carte">'
    with pytest.raises(RenderError, match="never.png"):
        render_document(html, paths, pending=[figure])
