"""The one WeasyPrint call site: HTML + ``styles/`` → PDF, written atomically.

Resources may only come from the project's own ``templates/``, ``styles/``, ``data/`` and
the figure cache: the URL fetcher refuses anything else (no network, no other file).
The PDF is written to a temporary file next to the target and renamed, so a failed build
never replaces the last good PDF.

Publication variants (:func:`pdf_variant_options`): ``tagged`` (the default: PDF/UA-1, i.e. a
tagged PDF with structure tree, language and title), ``pdfa`` (PDF/A-3a and PDF/UA-1),
``print`` (PDF/X-4 and PDF/UA-1, :mod:`reports.render.conformance`) and ``plain`` (untagged,
the reference for timings). Every variant may embed files (the CSV of
the document's data, :mod:`reports.render.attachments`) with fixed dates, so that the same
inputs give the same bytes. ``--print`` is the ``print`` variant and a stylesheet (bleed and
crop marks), :data:`PRINT_STYLESHEET`.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import re
import struct
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote, urlparse

from reports import edition
from reports.errors import RenderError
from reports.integrity import check_pdf, write_error
from reports.paths import Paths
from reports.render import guard
from reports.render.columns import install_column_search
from reports.render.conformance import ARCHIVAL, PRINT, install_conformance
from reports.render.outputs import file_mode, output_target
from reports.render.pending import install_pending_images


class FetchRefused(RenderError):
    pass


# --- publication variants ---------------------------------------------------------------------
#: variant name → WeasyPrint ``write_pdf`` options
VARIANTS: dict[str, dict[str, Any]] = {
    "plain": {},
    "tagged": {"pdf_variant": "pdf/ua-1"},  # PDF 1.7, pdf_tags, XMP with pdfuaid:part 1
    # PDF/A-3a + PDF/UA-1 (tagged, sRGB output intent, /AF), reports.render.conformance
    "pdfa": {"pdf_variant": ARCHIVAL},
    # --print: PDF/X-4 + PDF/UA-1 (PDF 1.6, GTS_PDFX output intent), with PRINT_STYLESHEET
    "print": {"pdf_variant": PRINT},
}
DEFAULT_VARIANT = "tagged"
#: extra stylesheet of ``--print`` (relative to the project root)
PRINT_STYLESHEET = "styles/print-shop.css"


@dataclass(frozen=True)
class EmbeddedFile:
    """A file embedded in the PDF (an *associated file* of the document in PDF/A-3)."""

    name: str
    description: str
    data: bytes
    date: str = ""  # creation / modification date written in the PDF (ISO; '' = the edition's)
    relationship: str = "Data"  # PDF 2.0 / PDF/A-3 AFRelationship


def pdf_variant_options(
    variant: str = DEFAULT_VARIANT,
    *,
    attachments: Iterable[Any] = (),
    date: str = "",
) -> dict[str, Any]:
    """``write_pdf`` options of a publication variant (see :data:`VARIANTS`).

    ``attachments`` are objects with ``name``, ``description`` and ``data`` (bytes), e.g.
    :class:`reports.render.attachments.CsvFile`; they are embedded with ``date`` as their dates.
    The result can be given to :func:`write_pdf` (or, through :func:`weasyprint_options`,
    to ``Document.write_pdf``) and to :func:`options_fingerprint` for cache keys.
    A PDF identifier is always written; it is the MD5 of the content (deterministic).
    """
    date = date or edition.current().date
    if variant not in VARIANTS:
        raise RenderError(
            f"unknown PDF variant {variant!r}", hint=f"use one of {', '.join(VARIANTS)}"
        )
    options: dict[str, Any] = {**VARIANTS[variant], "pdf_identifier": True}
    files = tuple(EmbeddedFile(a.name, a.description, bytes(a.data), date) for a in attachments)
    names = [f.name for f in files]
    if len(set(names)) != len(names):
        raise RenderError(f"duplicate attachment names: {sorted(names)}")
    if files:
        options["attachments"] = files
    return options


def part_options(options: dict[str, Any]) -> dict[str, Any]:
    """Options of a part merged by :mod:`reports.render.merge` (which writes a deterministic
    identifier): no identifier of its own, whose MD5 makes WeasyPrint serialise and compress
    every object twice (a third of the writing time)."""
    return {**options, "pdf_identifier": False}


def _pdf_date(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise RenderError(
            f"invalid document date {text!r}",
            where="editions/<name>.yaml date",
            hint="use an ISO date, YYYY-MM-DD",
        ) from None


def weasyprint_options(options: dict[str, Any]) -> dict[str, Any]:
    """Options of :func:`pdf_variant_options` → keyword arguments of ``Document.write_pdf``
    (:class:`EmbeddedFile` → ``weasyprint.Attachment`` with fixed dates; one use only)."""
    from weasyprint import Attachment

    out = dict(options)
    files = out.pop("attachments", ())
    if files:
        out["attachments"] = [
            Attachment(
                file_obj=io.BytesIO(f.data),
                name=f.name,
                description=f.description,
                created=_pdf_date(f.date),
                modified=_pdf_date(f.date),
                relationship=f.relationship,
            )
            for f in files
        ]
    return out


def options_fingerprint(options: dict[str, Any]) -> str:
    """Stable text of the options (attachments by name and content hash), for cache keys."""
    parts = []
    for key in sorted(options):
        value = options[key]
        if key == "attachments":
            value = [
                (f.name, f.description, f.date, f.relationship, hashlib.sha256(f.data).hexdigest())
                for f in value
            ]
        parts.append(f"{key}={value!r}")
    return "|".join(parts)


#: how long a layout waits for a figure still being drawn (:func:`make_url_fetcher`)
PENDING_TIMEOUT_S = 600.0


def _wait_for(target: Path) -> None:
    """Wait until the figure ``target``, being drawn by another process, exists (figures are
    written atomically: once it exists, it is whole)."""
    deadline = time.monotonic() + PENDING_TIMEOUT_S
    while not target.exists():
        if time.monotonic() > deadline:
            raise RenderError(
                "a figure was never drawn", where=str(target), hint="run again with -v"
            )
        time.sleep(0.005)


def make_url_fetcher(paths: Paths, extra_roots: Iterable[Path] = (), pending: Iterable[Path] = ()):
    """A WeasyPrint URL fetcher limited to ``file:`` URLs under the project's allowed dirs.
    A file of ``pending`` (figures drawn meanwhile by other processes) is waited for."""
    from weasyprint.urls import URLFetcher

    allowed = (paths.templates, paths.styles, paths.data, paths.cache, paths.figures_cache)
    roots = [p.resolve() for p in (*allowed, *extra_roots)]  # figures/ may be a link
    waited = {p.resolve() for p in pending}

    class ProjectFetcher(URLFetcher):
        def is_pending(self, url: str) -> bool:
            """A figure being drawn, not written yet (:mod:`reports.render.pending`)."""
            if not waited or not url.startswith("file:"):
                return False
            target = Path(unquote(urlparse(url).path)).resolve()
            return target in waited and not target.exists()

        def fetch(self, url: str, headers=None):
            parsed = urlparse(url)
            if parsed.scheme == "data":
                return super().fetch(url, headers)
            if parsed.scheme != "file":
                raise FetchRefused(f"refused to fetch {url!r}: only project files may be loaded")
            target = Path(unquote(parsed.path)).resolve()
            if not any(target == r or r in target.parents for r in roots):
                raise FetchRefused(
                    f"refused to fetch {target}: outside templates/styles/data/cache"
                )
            if target in waited:
                _wait_for(target)
            return super().fetch(url, headers)

    return ProjectFetcher(allowed_protocols={"file", "data"})


def _png_idat(data: bytes) -> bytes | None:
    """Concatenated IDAT payload of an 8-bit RGB, non-interlaced PNG, else None."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    pos, chunks = 8, []
    while pos + 8 <= len(data):
        (length,) = struct.unpack("!I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            bit_depth, colour_type, interlace = body[8], body[9], body[12]
            if bit_depth != 8 or colour_type != 2 or interlace != 0:
                return None
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    return b"".join(chunks) or None


@cache
def install_png_passthrough() -> None:
    """Let WeasyPrint embed our opaque RGB PNG figures without re-encoding them.

    WeasyPrint decodes each PNG and compresses it again to extract its IDAT data (1 s per
    fiche). For 8-bit RGB non-interlaced PNGs — what :mod:`reports.figures.assets` writes — the IDAT
    stream of the file is already exactly what the PDF needs (FlateDecode, PNG predictors),
    so it is taken straight from the file. Any other image goes through WeasyPrint's code.
    """
    from weasyprint.images import RasterImage

    original = RasterImage._get_png_data
    if getattr(original, "passthrough", False):
        return  # installed already (wrapping it again would chain the wrappers)

    def get_png_data(pillow_image):
        fp = getattr(pillow_image, "fp", None)
        if pillow_image.format == "PNG" and pillow_image.mode == "RGB" and fp is not None:
            try:
                data = fp.getvalue()
            except AttributeError:
                data = None
            idat = _png_idat(data) if data else None
            if idat is not None:
                return idat
        return original(pillow_image)

    get_png_data.passthrough = True  # type: ignore[attr-defined]
    RasterImage._get_png_data = staticmethod(get_png_data)


def _install_content_image_ids() -> None:
    """Name every raster image of a PDF by its content, not by its URL: WeasyPrint names
    image objects by the MD5 of their URL, so the bytes of a PDF depended on where the
    project and the figure cache are (two clones built different files from the same data)."""
    from weasyprint.images import RasterImage

    original = RasterImage.__init__
    if getattr(original, "by_content", False):
        return

    def init(self, pillow_image, image_id, image_data, filename=None, cache=None,
             orientation="none", *args, **kwargs):  # fmt: skip
        h = hashlib.md5(image_data or image_id.encode(), usedforsecurity=False)
        h.update(str(orientation).encode())  # the same file turned is another image
        original(self, pillow_image, h.hexdigest(), image_data, filename, cache, orientation,
                 *args, **kwargs)  # fmt: skip

    init.by_content = True  # type: ignore[attr-defined]
    RasterImage.__init__ = init


class _UnsizedArrays:
    """WeasyPrint's ``ffi`` for font subsetting, asking cffi for ``T[]`` where it asks for
    ``T[n]``: cffi parses every distinct C type with pycparser (7 ms each), and the glyph
    arrays of each font have a new size (50 ms of every PDF written); the arrays are the same."""

    _SIZED = re.compile(r"\[\d+\]$")

    def __init__(self, ffi: Any) -> None:
        self._ffi = ffi

    def new(self, cdecl: str, init: Any = None) -> Any:
        if init is not None and isinstance(init, list | tuple):
            cdecl = self._SIZED.sub("[]", cdecl)
        return self._ffi.new(cdecl, init)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ffi, name)


def _install_unsized_arrays() -> None:
    from weasyprint.pdf import fonts

    if not isinstance(fonts.ffi, _UnsizedArrays):
        fonts.ffi = _UnsizedArrays(fonts.ffi)


def install_engine_patches() -> None:
    """What every WeasyPrint render here relies on (each installed once per process): PNG
    figures embedded as they are, images named by their content."""
    install_png_passthrough()
    _install_content_image_ids()
    install_pending_images()  # a figure being drawn is loaded when the layout reaches it
    install_column_search()  # balanced columns found in a few trials (same columns)
    _install_unsized_arrays()  # no C type parsed for every glyph array (same bytes)
    install_conformance()  # PDF/A-3a, PDF/X-4, /Scope, no /Interpolate (issue 18)
    guard.install_tempdir_cleanup()  # no /tmp/weasyprint-* font folder outlives its process


class Numbers(NamedTuple):
    """What a paginated document is told before its margin boxes are laid out."""

    first: int  # folio of its first page
    total: int = 0  # value of ``counter(pages)``
    #: new text of every ``[data-page]`` element, in document order (None: keep the texts)
    texts: Sequence[str] | None = None


class Paginated:
    """A document laid out up to its margin boxes: what ``ask`` of :func:`deferred_numbering`
    sees. ``len()`` is its page count."""

    def __init__(self, pages: Sequence[Any]) -> None:
        self.boxes = pages  # WeasyPrint page boxes

    def __len__(self) -> int:
        return len(self.boxes)

    def anchors(self, pages: int | None = None) -> dict[str, int]:
        """Anchor → index of the first page (among the first ``pages``) where it is."""
        out: dict[str, int] = {}
        for i, page in enumerate(self.boxes[:pages]):
            for box in page.descendants():
                name = box.style["anchor"]
                if name:
                    out.setdefault(name, i)
        return out


class TextReplaceError(RenderError):
    """The new texts of a laid-out document do not fit in place (lay it out again)."""


#: innermost last: ``ask(paginated) -> Numbers | (first, total)`` of :func:`deferred_numbering`
_NUMBERING: list[Callable[[Paginated], tuple]] = []


@contextmanager
def deferred_numbering(ask: Callable[[Paginated], tuple]) -> Iterator[None]:
    """Number the pages of the documents rendered in this block after their pagination.

    A document cut in parts (:mod:`reports.render.pagination`) is paginated part by part, but each
    part's folios depend on the page counts of the others. WeasyPrint lays out every page
    first and the margin boxes (running heads, "page x / y") only then: at that moment,
    ``ask(paginated)`` is called (:class:`Paginated`: page count, anchors) and returns
    :class:`Numbers`: the folio of the first page, the value of ``counter(pages)`` and,
    optionally, the final text of every ``[data-page]`` element (folios printed in the body,
    e.g. a table of contents laid out before the pages it lists were known: they sit in
    fixed-width boxes, so their digits never move anything else). No part is laid out twice.
    Blocks nest: a document rendered inside ``ask`` gets the innermost block's ``ask``.
    """
    install_numbering_hook()
    _NUMBERING.append(ask)
    try:
        yield
    finally:
        _NUMBERING.pop()


@cache
def install_numbering_hook() -> None:
    """Wrap WeasyPrint's pagination (to keep the page boxes) and its margin-box layout
    (called once per page, after pagination) so that inside :func:`deferred_numbering` the
    ``page`` and ``pages`` counters are the parts' and ``[data-page]`` texts are replaced."""
    import weasyprint.layout as layout

    all_pages, margin_boxes = layout.make_all_pages, layout.make_margin_boxes

    def make_all_pages(context, *args, **kwargs):
        pages = []
        for page in all_pages(context, *args, **kwargs):
            pages.append(page)
            yield page
        context.deferred_pages = pages  # the last pagination loop's pages

    def make_margin_boxes(context, page, state):
        if _NUMBERING:
            numbers = getattr(context, "deferred_numbers", None)
            if numbers is None:  # first page of this document: pagination is over
                pages = context.deferred_pages
                numbers = Numbers(*_NUMBERING[-1](Paginated(pages)))
                context.deferred_numbers = numbers
                context.deferred_texts = _text_slots(pages[0], numbers.texts)
            if context.deferred_texts:
                _replace_texts(context, page, context.deferred_texts)
            offset = numbers.first - 1
            quotes, counters, scopes, groups = state
            folio = list(counters.get("page", [0]))
            folio[-1] += offset
            pages_counter = [numbers.total]
            state = [quotes, {**counters, "page": folio, "pages": pages_counter}, scopes, groups]
        return margin_boxes(context, page, state)

    layout.make_all_pages = make_all_pages
    layout.make_margin_boxes = make_margin_boxes


def _text_slots(first_page: Any, texts: Sequence[str] | None) -> dict[Any, str]:
    """``[data-page]`` element → its new text (elements in document order)."""
    if texts is None:
        return {}
    root = first_page.children[0].element
    elements = [el for el in root.iter() if el.get("data-page") is not None]
    if len(elements) != len(texts):
        raise TextReplaceError(f"{len(texts)} texts for {len(elements)} [data-page] elements")
    return dict(zip(elements, texts, strict=True))


def _replace_texts(context: Any, page: Any, slots: dict[Any, str]) -> None:
    """Give the text boxes of ``slots`` elements on ``page`` their new text, in place: the
    line is not laid out again; the text keeps the edge of its block it touched (right,
    left, else its centre) and must fit in the block."""
    from weasyprint.formatting_structure.boxes import LineBox, TextBox
    from weasyprint.text.line_break import split_first_line

    def walk(box: Any, block: Any) -> Iterator[tuple[Any, Any]]:
        for child in getattr(box, "children", ()):
            if isinstance(child, TextBox):
                yield child, block
            else:
                yield from walk(child, box if isinstance(child, LineBox) else block)

    for box, block in list(walk(page, None)):
        text = slots.get(box.element)
        if text is None or box.element_tag != box.element.tag or text == box.text:
            continue
        layout, _length, resume, width, _height, _baseline = split_first_line(
            text, box.style, context, None, box.justification_spacing
        )
        left = block.content_box_x()
        right = left + block.width
        old_left, old_right = box.position_x, box.position_x + box.width
        if abs(old_right - right) < 0.01:
            new_left = right - width
        elif abs(old_left - left) < 0.01:
            new_left = old_left
        else:
            new_left = (old_left + old_right - width) / 2
        if resume is not None or new_left < left - 0.01 or new_left + width > right + 0.01:
            raise TextReplaceError(f"{text!r} does not fit in place")
        box.position_x, box.text, box.pango_layout, box.width = new_left, text, layout, width


@contextmanager
def _no_library_search() -> Iterator[None]:
    """``ctypes.util.find_library`` answers "not found" inside this block.

    WeasyPrint opens each C library by trying several names in turn; cffi resolves each bare
    name with ``find_library``, which runs ``ldconfig -p`` (or gcc) every time: 22 searches,
    0.3 s of every process start.  Each list also holds the Linux soname
    (``libpango-1.0.so.0``), which the dynamic loader opens without a search."""
    import ctypes.util

    search = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        yield
    finally:
        ctypes.util.find_library = search


def _import_engine() -> None:
    """Import WeasyPrint, its C libraries opened by their sonames on Linux; where one is not
    found so, the import is done again the usual way (its messages then printed)."""
    if "weasyprint.text.ffi" in sys.modules or not sys.platform.startswith("linux"):
        import weasyprint.text.ffi  # noqa: F401

        return
    try:
        with redirect_stdout(io.StringIO()), _no_library_search():
            import weasyprint.text.ffi  # noqa: F401
    except OSError:
        for name in [m for m in sys.modules if m.partition(".")[0] == "weasyprint"]:
            del sys.modules[name]
        import weasyprint.text.ffi  # noqa: F401


def preload_engine() -> None:
    """Import WeasyPrint (0.7 s) ahead of time, e.g. while figures are drawn elsewhere."""
    _import_engine()
    import pikepdf  # noqa: F401 (every PDF written is opened again: reports.integrity)
    import weasyprint  # noqa: F401
    import weasyprint.text.fonts  # noqa: F401

    install_engine_patches()


WARM_UP_HTML = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>-</title>
<link rel="stylesheet" href="styles/print.css"></head><body><h1>Échauffement</h1>
<p>Texte <b>gras</b> <i>italique</i> <span style="font-weight:600">demi-gras</span>.</p>
<table><tr><th>a</th><td>1 234,5</td></tr></table></body></html>"""


def warm_up_engine(paths: Paths) -> None:
    """Lay out and write a small tagged page with the project's stylesheet: the first real
    document then finds fonts, image plugins and lazily imported modules loaded (0.1 s)."""
    preload_engine()
    try:  # lenient: a problem of the stylesheet or the fonts is reported by the documents
        document = render_document(WARM_UP_HTML, paths, base_url=paths.root)
    except RenderError:
        return
    try:
        document.write_pdf(io.BytesIO(), **VARIANTS[DEFAULT_VARIANT])
    finally:
        guard.release(document.font_config)  # no /tmp/weasyprint-* folder left


def render_document(
    html: str,
    paths: Paths,
    *,
    base_url: Path | None = None,
    stylesheets: Iterable[Path] = (),
    strict: bool = False,
    pending: Iterable[Path] = (),
):
    """HTML string → laid-out WeasyPrint Document (pages known, not yet written).

    ``pending``: figures still being drawn by other processes, waited for when the layout
    needs them (so the style cascade is done meanwhile).

    ``strict`` (every build): any WeasyPrint warning — a CSS error, a font that cannot be
    loaded, a resource refused or missing — is a :class:`RenderError` naming the file
    (:mod:`reports.render.guard`); otherwise (the preview, which shows them) only a resource
    that could not be loaded is. Write the document with :func:`write_pdf`, which is strict
    too and removes the document's temporary font folder.
    """
    from weasyprint import CSS, HTML

    install_engine_patches()
    if strict:  # syntax errors WeasyPrint passes over in silence, found before any layout
        sheets = [*guard.linked_stylesheets(html, base_url or paths.templates), *stylesheets]
        guard.raise_problems(guard.stylesheet_problems(sheets, paths.root))
    fonts = guard.font_configuration()  # refuses missing and damaged font files
    fetcher = make_url_fetcher(paths, pending=pending)
    try:
        with guard.capture(paths.root) as problems:
            css = [
                CSS(filename=str(s), font_config=fonts, url_fetcher=fetcher) for s in stylesheets
            ]
            doc = HTML(
                string=html, base_url=str(base_url or paths.templates) + "/", url_fetcher=fetcher
            ).render(stylesheets=css, font_config=fonts)
        if strict:
            guard.raise_problems(problems)
        missing = [p for p in problems if p.message.startswith("Failed to load")]
        if missing:  # a figure left out of the page would go unnoticed
            raise RenderError(
                f"{len(missing)} figure(s) or resource(s) could not be loaded: "
                f"{missing[0].message}",
                where=missing[0].where,
                hint="check ATLAS_CACHE, or delete the figure cache to draw the figures again",
            )
    except BaseException:
        guard.release(fonts)  # the document will not be written: its fonts go now
        raise
    return doc


#: errors of a write that cannot succeed (full disk, quota, file size limit, read-only, rights)
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM}


def atomic_write(target: Path, write, check: Callable[[Path, Path], None] | None = None) -> Path:
    """Call ``write(tmp_path)``, then ``check(tmp_path, target)`` (e.g.
    :func:`reports.integrity.check_pdf`: a PDF that does not open never replaces the last good
    one), then rename onto ``target``; the temp file is removed on failure, and a failed write
    (full disk…) is a one-line :class:`RenderError` naming ``target``."""
    target = output_target(target)  # through a symlink; never onto a device or into /proc
    tmp: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        tmp = Path(name)
        write(tmp)
        if check is not None:
            check(tmp, target)
        tmp.chmod(file_mode())  # the umask's mode (0o644 under 022), not mkstemp's 0o600
        tmp.replace(target)
        tmp = None
    except OSError as exc:
        if exc.errno in _WRITE_ERRNOS:
            raise write_error(target, exc) from None
        raise
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
    return target


def write_pdf(document, target: Path, **options) -> Path:
    """Write a rendered Document atomically (options: :func:`pdf_variant_options`, or any
    ``Document.write_pdf`` option). Strict (WeasyPrint's warnings while writing, e.g. an
    image inside an SVG, are errors); the PDF is checked before it replaces ``target``; the
    document's temporary font folder is removed."""

    def write(tmp: Path) -> None:
        guard.finished(
            document, lambda: document.write_pdf(str(tmp), **weasyprint_options(options))
        )

    return atomic_write(target, write, check=check_pdf)
