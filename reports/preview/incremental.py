"""Incremental layout for ``atlas preview``: a fiche laid out section by section, cached.

Why it is exact
---------------
In the fiche every section starts on a new page (``.section { break-before: page }``), so the
page area of a section — line breaks, page breaks, figure sizes — does not depend on what the
other sections contain. Only the *margin boxes* (running header ``string(chapter)``, folio
``counter(page)``, total ``counter(pages)``) do, and WeasyPrint builds those in a separate last
step of ``layout_document``, from the page counter states and the named strings collected
during pagination.

So :class:`Composer` lays each section out as its own WeasyPrint document — the same
``<head>``, the same ``<body>``/``<article>`` wrappers, the other sections present but
``display: none`` (so ``:nth-child``/sibling selectors match as in the whole document) — and
caches the result by a hash of that HTML and of the stylesheets' text. After an edit only the
sections whose HTML changed are laid out again. Then the document is *composed*: for every
page, WeasyPrint's own ``make_margin_boxes`` is called again with the global page number, the
global page total and the named strings of the whole document (merged from the pieces, with
global page numbers), exactly what the whole-document layout would pass. A changed page count
in one section therefore re-numbers the later pages without laying them out again (≈ 2 ms a
page).

Guards: anything that would make a section depend on the others falls back to the
whole-document layout (:func:`reports.render.pdf.render_document`): HTML not made of sibling
``section`` elements in one ``article``; a section not starting with ``break-before: page``;
``@page :first/:left/:right/:blank/:nth()``; left/right/recto/verso breaks; counters other than
the page counter; ``target-counter()``/``target-text()``; running elements; ``counter(pages)``
in the page area; margins, borders or padding on the wrappers (they would repeat on every
piece). ``tests/test_preview.py`` checks, for a metropolitan région, a DROM and France, that
the composition has the same pages, with the same text at the same positions, as the whole
document.

Stylesheets linked by the HTML are parsed once per content (``CSS`` objects and their
``@font-face`` fonts kept) and given to WeasyPrint with the piece instead of the ``<link>``:
the user origin then used is equivalent here (no other author style in the document, no
``!important`` in WeasyPrint's user-agent sheet); a document with ``<style>`` elements keeps
its ``<link>`` elements and lets WeasyPrint parse them.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reports.paths import Paths

log = logging.getLogger(__name__)

_SECTION_TAG = re.compile(r"<(/?)section\b[^>]*>", re.IGNORECASE)
_ARTICLE_OPEN = re.compile(r"<article\b[^>]*>", re.IGNORECASE)
_BODY_OPEN = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_LINK_TAG = re.compile(r"<link\b[^>]*>\s*", re.IGNORECASE)
_LINK_ATTR = re.compile(r"""\b([a-z-]+)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
_STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
#: CSS features that make a section depend on the others (→ whole-document layout)
_CSS_GUARD = re.compile(
    r"@page[^{]*:\s*(first|left|right|blank|nth)\b"
    r"|\b(page-)?break-(before|after)\s*:\s*(left|right|recto|verso)\b"
    r"|\bcounter-(reset|set|increment)\b"
    r"|\btarget-(counter|counters|text)\s*\("
    r"|\brunning\s*\(|\belement\s*\(",
    re.IGNORECASE,
)
HIDDEN = ' style="display:none !important"'
FORCED = "page"


class _Warnings(logging.Handler):
    """WeasyPrint's warnings of one layout (shown by the preview, not raised)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class NotSplittable(Exception):
    """The document cannot be composed from independent sections: lay it out whole."""


# --------------------------------------------------------------------------------------------
# Splitting the HTML


@dataclass(frozen=True)
class Split:
    prefix: str  # everything up to the first section (head, body and article start tags)
    sections: tuple[str, ...]  # each top-level <section>…</section>
    gaps: tuple[str, ...]  # whitespace after each section (the last one: before </article>)
    suffix: str  # </article> and what follows

    def piece(self, k: int) -> str:
        """Section ``k`` in the document, the other sections present but not displayed."""
        out = [self.prefix]
        for j, (section, gap) in enumerate(zip(self.sections, self.gaps, strict=True)):
            if j == k:
                out.append(section)
            else:
                tag = _SECTION_TAG.match(section)
                assert tag is not None
                out.append("<section" + HIDDEN + tag.group(0)[len("<section") :] + "</section>")
            out.append(gap)
        out.append(self.suffix)
        return "".join(out)


def split_sections(html: str) -> Split:
    """Cut the HTML into its top-level sections (one ``<article>`` of sibling sections)."""
    body = _BODY_OPEN.search(html)
    articles = list(_ARTICLE_OPEN.finditer(html))
    if body is None or len(articles) != 1 or html.lower().count("</article>") != 1:
        raise NotSplittable("not one <article> in <body>")
    article = articles[0]
    end = html.lower().index("</article>")
    if html[body.end() : article.start()].strip() or _after_article(html, end).strip():
        raise NotSplittable("content outside the <article>")
    spans: list[tuple[int, int]] = []
    depth, start = 0, -1
    for m in _SECTION_TAG.finditer(html, article.end(), end):
        if not m.group(1):
            if depth == 0:
                start = m.start()
            depth += 1
        else:
            depth -= 1
            if depth < 0:
                raise NotSplittable("unbalanced </section>")
            if depth == 0:
                spans.append((start, m.end()))
    if depth != 0 or len(spans) < 2:
        raise NotSplittable("fewer than two top-level sections")
    edges = [article.end(), *(x for s in spans for x in s), end]
    between = [html[edges[i] : edges[i + 1]] for i in range(0, len(edges), 2)]
    if any(text.strip() for text in between):
        raise NotSplittable("content between the sections")
    return Split(
        prefix=html[: spans[0][0]],
        sections=tuple(html[a:b] for a, b in spans),
        gaps=tuple(between[1:]),
        suffix=html[end:],
    )


def _after_article(html: str, end: int) -> str:
    rest = html[end + len("</article>") :]
    stop = rest.lower().find("</body>")
    return rest[:stop] if stop >= 0 else rest


# --------------------------------------------------------------------------------------------
# Stylesheets


@dataclass
class Sheets:
    """The stylesheets linked by a document, parsed once per content."""

    key: str  # hash of the texts (and WeasyPrint's version)
    css: list[Any]  # weasyprint.CSS objects, in document order
    font_config: Any
    texts: list[str]


def _links(head: str) -> list[tuple[str, str]]:
    """(tag, href) of the ``<link rel=stylesheet>`` elements, None when not plain."""
    found = []
    for m in _LINK_TAG.finditer(head):
        attrs = {k.lower(): v for k, v in _LINK_ATTR.findall(m.group(0))}
        if attrs.get("rel", "").lower() != "stylesheet":
            continue
        if set(attrs) - {"rel", "href"} or not attrs.get("href"):
            raise NotSplittable("stylesheet link with other attributes")
        found.append((m.group(0), attrs["href"]))
    return found


# --------------------------------------------------------------------------------------------
# Capturing WeasyPrint's layout context (margin boxes are rebuilt from it)

_local = threading.local()
_installed = False


def _install_capture() -> None:
    """Wrap ``layout_document`` so the current thread can keep the LayoutContext it used."""
    global _installed
    if _installed:
        return
    import weasyprint.document as wdoc

    original = wdoc.layout_document

    def layout_document(html: Any, root_box: Any, context: Any, *args: Any, **kw: Any) -> Any:
        captured = getattr(_local, "captured", None)
        if captured is not None:
            captured.append(context)
        return original(html, root_box, context, *args, **kw)

    wdoc.layout_document = layout_document
    _installed = True


@dataclass
class Piece:
    """One section laid out alone: pages with local folios, and what composing needs."""

    key: str
    document: Any
    context: Any
    strings: dict[str, dict[int, list[str]]]  # named strings by local page number
    warnings: list[str]
    seconds: float

    @property
    def count(self) -> int:
        return len(self.document.pages)


@dataclass
class ComposedPage:
    key: str  # content key of the page (piece, page, folio, total, entering strings)
    page: Any  # weasyprint Page, margin boxes for its place in the whole document
    piece: Piece


@dataclass
class Composition:
    document: Any  # a weasyprint Document holding the composed pages
    pages: list[ComposedPage]
    warnings: list[str]
    timings: dict[str, float] = field(default_factory=dict)
    laid_out: int = 0  # pieces laid out (not from the cache)
    pieces: int = 0


class _LRU(OrderedDict):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get_fresh(self, key: Any) -> Any:
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


def _sha(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:24]


class Composer:
    """Lays a document out section by section, with a layout cache; not thread-safe."""

    def __init__(self, paths: Paths, *, cache_size: int = 160) -> None:
        self.paths = paths
        self._pieces: _LRU = _LRU(cache_size)  # piece key -> Piece
        self._pages: _LRU = _LRU(cache_size * 3)  # composed page key -> ComposedPage
        self._sheets: _LRU = _LRU(4)  # texts key -> Sheets

    # -- stylesheets -----------------------------------------------------------------------

    def _sheets_for(self, hrefs: list[str]) -> Sheets:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        from reports.render.pdf import make_url_fetcher

        base = self.paths.root
        files: list[Path] = []
        for href in hrefs:
            target = (base / href).resolve()
            if not target.is_file():
                raise NotSplittable(f"stylesheet not found: {href}")
            files.append(target)
        texts = [f.read_text(encoding="utf-8") for f in files]
        import weasyprint

        key = _sha(weasyprint.__version__, *hrefs, *texts)
        found = self._sheets.get_fresh(key)
        if found is not None:
            return found
        for text in texts:
            guard = _CSS_GUARD.search(_COMMENT.sub("", text))
            if guard:
                raise NotSplittable(f"stylesheet uses {guard.group(0)!r}")
        fonts = FontConfiguration()
        fetcher = make_url_fetcher(self.paths)
        css = [
            CSS(string=t, base_url=f.as_uri(), url_fetcher=fetcher, font_config=fonts)
            for f, t in zip(files, texts, strict=True)
        ]
        sheets = Sheets(key, css, fonts, texts)
        self._sheets.put(key, sheets)
        return sheets

    # -- one piece ---------------------------------------------------------------------------

    def _layout(self, html: str, key: str, sheets: Sheets | None, k: int, section_id: str) -> Piece:
        import time

        from weasyprint import HTML

        from reports.render.pdf import install_engine_patches, make_url_fetcher

        _install_capture()
        install_engine_patches()
        t0 = time.perf_counter()
        handler = _Warnings()
        logger = logging.getLogger("weasyprint")
        logger.addHandler(handler)
        _local.captured = captured = []
        try:
            fetcher = make_url_fetcher(self.paths)
            doc = HTML(
                string=html, base_url=str(self.paths.root) + "/", url_fetcher=fetcher
            ).render(
                stylesheets=sheets.css if sheets else None,
                font_config=sheets.font_config if sheets else None,
            )
        finally:
            _local.captured = None
            logger.removeHandler(handler)
        if len(captured) != 1:
            raise NotSplittable("layout context not captured")
        context = captured[0]
        _check_piece(doc, context, k, section_id)
        strings = {
            name: {p: list(v) for p, v in by_page.items() if v}
            for name, by_page in context.string_set.items()
        }
        return Piece(key, doc, context, strings, handler.messages, time.perf_counter() - t0)

    # -- the document ------------------------------------------------------------------------

    def compose(self, html: str) -> Composition:
        """Lay ``html`` out from cached/new pieces; :class:`NotSplittable` if it cannot be."""
        import time

        t0 = time.perf_counter()
        split = split_sections(html)
        head_end = split.prefix.lower().find("</head>")
        head = split.prefix[: max(head_end, 0)]
        links = _links(head)
        sheets = None
        prefix = split.prefix
        if links and not _STYLE_ELEMENT.search(split.prefix):
            sheets = self._sheets_for([href for _, href in links])
            for tag, _ in links:
                prefix = prefix.replace(tag, "", 1)
            split = Split(prefix, split.sections, split.gaps, split.suffix)
        elif links:  # WeasyPrint parses the linked stylesheets: guard their text
            for _, href in links:
                target = (self.paths.root / href).resolve()
                if target.is_file():
                    text = _COMMENT.sub("", target.read_text(encoding="utf-8"))
                    if guard := _CSS_GUARD.search(text):
                        raise NotSplittable(f"stylesheet uses {guard.group(0)!r}")
        sheets_key = sheets.key if sheets else "inline"
        t1 = time.perf_counter()
        pieces: list[Piece] = []
        laid_out = 0
        for k, section in enumerate(split.sections):
            text = split.piece(k)
            key = _sha(sheets_key, text)
            piece = self._pieces.get_fresh(key)
            if piece is None:
                sid = _section_id(section)
                piece = self._layout(text, key, sheets, k, sid)
                self._pieces.put(key, piece)
                laid_out += 1
            pieces.append(piece)
        t2 = time.perf_counter()
        pages = self._compose(pieces)
        t3 = time.perf_counter()
        document = pieces[0].document.copy([p.page for p in pages])
        warnings: list[str] = []
        for piece in pieces:
            warnings += [w for w in piece.warnings if w not in warnings]
        timings = {"split": t1 - t0, "pieces": t2 - t1, "compose": t3 - t2}
        return Composition(document, pages, warnings, timings, laid_out, len(pieces))

    def _compose(self, pieces: list[Piece]) -> list[ComposedPage]:
        total = sum(p.count for p in pieces)
        merged: dict[str, dict[int, list[str]]] = {}
        offsets = []
        offset = 0
        for piece in pieces:
            offsets.append(offset)
            for name, by_page in piece.strings.items():
                for local, values in by_page.items():
                    merged.setdefault(name, {})[local + offset] = values
            offset += piece.count
        out: list[ComposedPage] = []
        for piece, offset in zip(pieces, offsets, strict=True):
            entering = tuple(
                sorted(
                    (name, by_page[max(p for p in by_page if p <= offset)][-1])
                    for name, by_page in merged.items()
                    if any(p <= offset for p in by_page)
                )
            )
            for i in range(piece.count):
                key = _sha(piece.key, str(i), str(offset), str(total), repr(entering))
                done = self._pages.get_fresh(key)
                if done is None:
                    page = _margin_boxes(piece, i, offset, total, merged)
                    done = ComposedPage(key, page, piece)
                    self._pages.put(key, done)
                out.append(done)
        return out


def _section_id(section: str) -> str:
    tag = _SECTION_TAG.match(section)
    found = re.search(r"""\bid=["']([^"']+)["']""", tag.group(0)) if tag else None
    return found.group(1) if found else ""


def _check_piece(doc: Any, context: Any, k: int, section_id: str) -> None:
    """Raise :class:`NotSplittable` when this piece could lay out differently in the whole."""
    if any(any(v.values()) for v in context.running_elements.values()):
        raise NotSplittable("running elements")
    for entry in context.page_maker:
        if entry[-1].get("pages_wanted"):
            raise NotSplittable("counter(pages) in the page area")
    if not doc.pages:
        raise NotSplittable("a section with no page")
    path = _path_to(doc.pages[0]._page_box.children[0], section_id, 6)
    if not section_id or path is None:
        raise NotSplittable(f"section {section_id!r} not found on its first page")
    *chain, box = path
    if k > 0 and box.style["break_before"] != FORCED:
        raise NotSplittable(f"section {section_id!r} does not start a page")
    if box.style["float"] != "none" or box.style["position"] not in ("static", "relative"):
        raise NotSplittable(f"section {section_id!r} is out of flow")
    for wrapper in chain:
        style = wrapper.style
        for side in ("top", "bottom"):
            edges = (
                style[f"margin_{side}"],
                style[f"padding_{side}"],
                style[f"border_{side}_width"],
            )
            if any(getattr(e, "value", 0 if e == "auto" else e) for e in edges):
                raise NotSplittable(f"<{wrapper.element_tag}> has a {side} margin/border/padding")


def _path_to(box: Any, element_id: str, depth: int) -> list[Any] | None:
    """Boxes from ``box`` down to the first one generated by the element ``element_id``."""
    element = getattr(box, "element", None)
    if element is not None and element.get("id") == element_id:
        return [box]
    if depth == 0:
        return None
    for child in getattr(box, "children", ()) or ():
        found = _path_to(child, element_id, depth - 1)
        if found is not None:
            return [box, *found]
    return None


def _margin_boxes(
    piece: Piece, i: int, offset: int, total: int, strings: dict[str, dict[int, list[str]]]
) -> Any:
    """Page ``i`` of ``piece`` with margin boxes for global page ``offset + i + 1`` of ``total``."""
    from collections import defaultdict

    from weasyprint.formatting_structure import boxes
    from weasyprint.layout.background import layout_box_backgrounds
    from weasyprint.layout.page import make_margin_boxes

    context = piece.context
    original = piece.document.pages[i]
    page_box = original._page_box
    state = copy.deepcopy(context.page_maker[i + 1][3])
    counters = state[1]
    counters["page"] = [counters.get("page", [i + 1])[-1] + offset]
    counters["pages"] = [total]
    store: Any = defaultdict(lambda: defaultdict(list))
    for name, by_page in strings.items():
        for number, values in by_page.items():
            store[name][number] = list(values)
    saved = context.string_set, context.current_page
    context.string_set, context.current_page = store, offset + i + 1
    try:
        new_box = page_box.copy()
        margins = list(make_margin_boxes(context, new_box, state))
    finally:
        context.string_set, context.current_page = saved
    kept = [c for c in page_box.children if not isinstance(c, boxes.MarginBox)]
    new_box.children = tuple(kept + margins)
    for margin in margins:
        layout_box_backgrounds(new_box, margin, context.get_image_from_uri)
    page = copy.copy(original)
    page._page_box = new_box
    return page
