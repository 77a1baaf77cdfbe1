"""``atlas preview``: a live-reloading proof of the documents, paginated exactly like the PDF.

Approach — WeasyPrint's own pages, rendered server-side
--------------------------------------------------------
Two ways give sheets that break like the PDF: a pagination polyfill (Paged.js) applied to the
same HTML/CSS in the browser, or the pages WeasyPrint itself lays out. The preview uses the
second. The HTML string is :func:`reports.documents.fiche.fiche_html`'s (a test checks it),
laid out by :func:`reports.render.pdf.render_document` (the very call ``build_fiche`` makes)
or, section by section, by :mod:`reports.preview.incremental` (tested to give the same pages);
each page is painted
alone to PDF bytes in memory and rasterised by ``pdftoppm`` when the browser asks. The page
breaks, running headers (``string-set``), ``counter(pages)``, hyphenation, widows/orphans and
the figure sizes are therefore identical to the PDF *by construction*, not approximately. On top
of each page image sits a transparent text layer taken from WeasyPrint's layout boxes (position
and size of every text fragment), so the sheets can be searched (Ctrl+F), selected and tested.
The exact HTML is also served (``/<slug>.html``) and shown beside the sheets on request.

Measurements (2-core shared machine, load 1.5-5; ``benchmarks/bench_preview.py``):

* Paged.js 0.4.3 (MIT) on the same HTML/CSS in Chromium vs WeasyPrint, 18 fiches (Normandie
  failed in WeasyPrint, a figure PNG bug): the page count differs for 4 (Île-de-France 16→15,
  Hauts-de-France 15→16, Nouvelle-Aquitaine 19→17, Occitanie 13→16) and up to 8 sections
  start on another page; Paged.js itself took 0.5-1.7 s per fiche. Its breaks can only
  approximate the PDF's, and closing the gap means chasing engine differences (line breaking,
  font metrics, hyphenation, table/flex fragmentation) fiche by fiche.
* WeasyPrint pages for Bretagne (12 pages, figures cached), after a template edit: Jinja
  only ≈ 35 ms (the fiche context — data, text, figures — is kept until ``data/`` or
  ``layouts.yaml`` change; that step alone is ≈ 650 ms), WeasyPrint layout of the whole
  document 1.0-1.9 s (Pango line breaking, table sizing): over the budget by itself.

Incremental layout (:mod:`reports.preview.incremental`)
-----------------------------------------------
Every section starts a page, so each one is laid out as its own WeasyPrint document (same
head and wrappers, the other sections ``display: none``), cached by a hash of its HTML and of
the stylesheets; the running headers, folios and ``page x / y`` are then rebuilt by
WeasyPrint's own ``make_margin_boxes`` with the whole document's page numbers, total and named
strings. The pages are identical to the whole layout's — same count, same text at the same
positions, same footers (tested for Bretagne, Guadeloupe and France, and after an edit adding a
page) — and a document the composition cannot honour (``@page :first``, counters, left/right
breaks…) is laid out whole. Each page gets a content key: its image URL, so unchanged pages are
neither repainted nor reloaded after an edit.

Measured (same machine; ``benchmarks/bench_preview.py``): a section template edit re-lays out
one section, 75-190 ms server side (+1 page included: later pages are only re-numbered), and
the edited sheet shows its new text and image in Chromium 0.43-0.65 s after the file is
written. A stylesheet edit re-lays out every section: ≈ 1.2-2.0 s server side (whole document
1.0-1.9 s) and 2.2 s end to end — over the budget; the per-section layouts are kept in the
server process (page images are painted from them), so worker processes would have to own
their sections' boxes, which was not done.

Live reload
-----------
``watchfiles.awatch`` watches ``templates/``, ``styles/``, ``data/`` (recursively) and
``layouts.yaml``. A change bumps a generation counter, eagerly re-renders the documents that
have a viewer open and pushes a server-sent event; the viewer fetches ``/api/doc/<slug>`` and
swaps the sheets in place (scroll position kept). A :class:`~reports.errors.ReportsError`
(template syntax/undefined errors, ``layouts.yaml`` problems, missing data) or any other
exception shows an overlay naming the file and line; the last good sheets stay underneath and
the server keeps running. WeasyPrint's CSS warnings are shown in a banner with the stylesheet's
file:line:column.

Security
--------
Bound to 127.0.0.1 unless ``--host`` says otherwise; on loopback, Host headers other than
localhost are refused (DNS rebinding). Only ``styles/``, ``cache/figures/`` and the
preview's own assets are served as files; a path with ``..``, a hidden segment, a symlink
leading outside, or anything else is a 404. ``data/`` and the rest of the project are never served.
"""

from __future__ import annotations

import asyncio
import contextlib
import html as html_lib
import json
import logging
import os
import re
import shutil
import socket
import tempfile
import threading
import time
import traceback
import webbrowser
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import jinja2

from reports.errors import ReportsError
from reports.paths import Paths

log = logging.getLogger(__name__)

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
DEFAULT_DPI = 96
MIN_DPI, MAX_DPI = 48, 240
_LINK_RE = re.compile(r"<link\b[^>]*\brel=[\"']stylesheet[\"'][^>]*>", re.IGNORECASE)
_HREF_RE = re.compile(r"\bhref=[\"']([^\"']+)[\"']", re.IGNORECASE)
_AT_RE = re.compile(r"\bat (\d+):(\d+)")
_TITLE_RE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)


# --------------------------------------------------------------------------------------------
# Paths


@dataclass(frozen=True)
class PreviewPaths(Paths):
    """:class:`Paths` whose templates directory can be replaced (tests edit a copy)."""

    templates_override: Path | None = None

    @property
    def templates(self) -> Path:
        if self.templates_override is not None:
            return Path(self.templates_override)
        return self.root / "templates"

    @property
    def preview_assets(self) -> Path:
        """The preview's own pages and scripts (never the print templates)."""
        return self.root / "templates" / "preview"


def safe_file(base: Path, rel: str) -> Path | None:
    """``base/rel`` if it is a regular file inside ``base``; None for anything else.

    Refuses ``..``, ``.`` and hidden segments, absolute paths, backslashes, NUL, and symlinks
    that resolve outside ``base``.
    """
    if not rel or "\x00" in rel or "\\" in rel or rel.startswith("/"):
        return None
    parts = PurePosixPath(rel).parts
    if not parts or any(p in {".", ".."} or p.startswith(".") for p in parts):
        return None
    root = base.resolve()
    target = (root / rel).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        return None
    return target


# --------------------------------------------------------------------------------------------
# Documents and render results


@dataclass(frozen=True)
class DocEntry:
    """One previewable document: a fiche, the atlas, or one of its chapters."""

    slug: str
    title: str
    kind: str  # "fiche" | "atlas" | "chapter"
    key: str = ""  # territory slug for fiches and chapters
    group: str = ""


@dataclass
class Problem:
    """An error (blocking) or a warning, located at ``where`` (file:line) when known."""

    message: str
    where: str | None = None
    hint: str | None = None
    kind: str = "error"  # "error" | "warning"


@dataclass
class PageInfo:
    width: float  # CSS px (1/96 in)
    height: float
    texts: list[list[Any]] = field(default_factory=list)  # [x, y, w, h, font px, text]
    anchors: list[str] = field(default_factory=list)  # element ids placed on this page
    key: str = ""  # content key: same key, same pixels (the image URL, cached across edits)


@dataclass
class Rendered:
    slug: str
    generation: int
    title: str
    html: str
    document: Any  # the laid-out WeasyPrint Document: pages are painted on demand
    pages: list[PageInfo]
    warnings: list[Problem]
    timings: dict[str, float]


@dataclass
class DocState:
    """What the viewer gets: the last good rendering and, if the latest failed, the error."""

    generation: int
    good: Rendered | None = None
    error: Problem | None = None


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if msg not in self.messages:
            self.messages.append(msg)


@contextlib.contextmanager
def capture_weasyprint() -> Iterator[list[str]]:
    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


def page_info(page: Any) -> PageInfo:
    """Size and positioned text fragments of one laid-out WeasyPrint page."""
    from weasyprint.formatting_structure import boxes

    texts: list[list[Any]] = []
    stack = [page._page_box]
    while stack:
        box = stack.pop()
        if isinstance(box, boxes.TextBox):
            text = box.text.replace("\u00ad", "")
            if text.strip():
                texts.append(
                    [
                        round(box.position_x, 1),
                        round(box.position_y, 1),
                        round(box.width, 1),
                        round(box.height, 1),
                        round(float(box.style["font_size"]), 2),
                        text,
                    ]
                )
        children = getattr(box, "children", None)
        if children:
            stack.extend(reversed(children))
    return PageInfo(round(page.width, 2), round(page.height, 2), texts, list(page.anchors))


class _LRU(OrderedDict):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


# --------------------------------------------------------------------------------------------
# The preview engine (no web framework here: the app below only routes to it)


class Preview:
    """Renders documents on one worker thread, caches per generation, tracks file changes."""

    def __init__(self, paths: Paths | None = None) -> None:
        self.paths = paths or PreviewPaths()
        self.generation = 0
        self.changed: list[str] = []
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="preview-render")
        self._session: Any = None
        self._session_error: Problem | None = None
        self._session_stale = True
        self._entries: list[DocEntry] | None = None
        self._states: dict[str, DocState] = {}
        self._inflight: dict[str, tuple[int, asyncio.Future[DocState]]] = {}
        self._docs: _LRU = _LRU(4)  # (slug, generation) -> laid-out Document
        self._keyed: _LRU = _LRU(600)  # page key -> (slug, Document, index)
        self._infos: _LRU = _LRU(600)  # page key -> PageInfo
        self._page_pdfs: _LRU = _LRU(200)  # page key -> one-page PDF bytes
        self._contexts: dict[str, Any] = {}  # slug -> DocCtx, valid until data/layouts change
        self._pngs: _LRU = _LRU(400)  # (page key, dpi) -> png bytes
        self._css_warnings: _LRU = _LRU(32)  # (path, text) -> warnings
        self._composer: Any = None  # preview.incremental.Composer (section-by-section layout)
        self._raster = asyncio.Semaphore(max(1, os.cpu_count() or 1))
        self._listeners: set[asyncio.Queue[dict[str, Any]]] = set()
        self.viewers: dict[str, int] = {}
        self.tmp = Path(tempfile.mkdtemp(prefix="atlas-preview-"))
        self.closing = asyncio.Event()  # set on the server's loop (stops the watcher)
        self.stopping = False  # plain flag, may be set from any thread (ends SSE streams)

    def close(self) -> None:
        self.stopping = True
        self._executor.shutdown(wait=False, cancel_futures=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- helpers run on the worker thread ----------------------------------------------------

    def short(self, text: str | None) -> str | None:
        """Project-relative file names in messages (``templates/fiche.html:3``)."""
        if text is None:
            return None
        tpl = str(self.paths.templates)
        text = text.replace(tpl + os.sep, "templates/")
        return text.replace(str(self.paths.root) + os.sep, "")

    def problem(self, exc: BaseException) -> Problem:
        if isinstance(exc, ReportsError):
            return Problem(self.short(exc.message) or "", self.short(exc.where), exc.hint)
        where = None
        for frame, lineno in traceback.walk_tb(exc.__traceback__):
            name = frame.f_code.co_filename
            if name.startswith(str(self.paths.root)) and ".venv" not in name:
                where = f"{name}:{lineno}"
        return Problem(f"{type(exc).__name__}: {exc}", self.short(where), "see the server log")

    def _ensure_session(self) -> Any:
        from reports.documents.fiche import Session

        if self._session_stale:
            self._session_stale = False
            self._entries = None
            self._contexts.clear()
            try:
                self._session = Session.open(self.paths)
                self._session_error = None
            except Exception as exc:
                log.warning("preview: cannot open the session: %s", exc)
                self._session = None
                self._session_error = self.problem(exc)
        if self._session is None:
            raise _Failed(self._session_error or Problem("no session"))
        return self._session

    def _entries_sync(self) -> list[DocEntry]:
        session = self._ensure_session()
        if self._entries is None:
            entries: list[DocEntry] = []
            territories = session.all_territories()
            atlas = _atlas_module()
            if atlas is not None and "atlas" in session.layouts.documents:
                entries.append(DocEntry("atlas", "Atlas régional de la culture", "atlas"))
                national = [t for t in territories if t.is_france]
                entries += [
                    DocEntry(f"atlas-{t.slug}", f"Atlas — chapitre {t.name}", "chapter", t.slug)
                    for t in [*national, *(t for t in territories if not t.is_france)]
                ]
            title = session.layouts.document("fiche").title
            entries += [
                DocEntry(t.slug, f"{title} — {t.name}", "fiche", t.slug, t.kind)
                for t in territories
            ]
            self._entries = entries
        return self._entries

    def _entry(self, slug: str) -> DocEntry | None:
        return next((e for e in self._entries_sync() if e.slug == slug), None)

    def _html_sync(self, entry: DocEntry) -> str:
        from reports.documents import fiche

        session = self._ensure_session()
        if entry.kind == "fiche":
            # = build.fiche_html(session, territory), with the context (data, figures) kept
            # while only templates or styles change: a template edit re-renders Jinja only.
            doc = self._contexts.get(entry.slug)
            if doc is None:
                doc = fiche.fiche_doc(session, session.territory(entry.key))
                self._contexts[entry.slug] = doc
            return fiche.render_html(session, "fiche.html", doc)
        if entry.kind == "chapter":  # as reports.documents.atlas.task_chapter_html builds a unit
            atlas = _atlas_module()
            assert atlas is not None
            ctx = self._contexts.get(entry.slug)
            if ctx is None:
                ctx = atlas.chapter(
                    session, atlas.atlas_parts(session), session.territory(entry.key)
                )
                self._contexts[entry.slug] = ctx
            return atlas.unit_html(
                session,
                [atlas.chapter_part(ctx)],
                pad=True,
                running=ctx.running_title,
            )
        raise _Failed(
            Problem(
                "the whole atlas is not laid out in the preview (units of ~250 pages)",
                hint="open one of its chapters, or its PDF (built on demand)",
            )
        )

    def stylesheet_warnings(self, html: str) -> list[Problem]:
        """Parse each stylesheet the HTML links; WeasyPrint's warnings get the file's name."""
        from weasyprint import CSS

        fetcher = _css_fetcher(self.paths)
        problems: list[Problem] = []
        for link in _LINK_RE.findall(html):
            href = _HREF_RE.search(link)
            if not href:
                continue
            path = safe_file(self.paths.root, href.group(1))
            if path is None:
                problems.append(Problem(f"stylesheet not found: {href.group(1)}", kind="warning"))
                continue
            rel = self.short(str(path))
            text = path.read_text(encoding="utf-8")
            cached = self._css_warnings.get((path, text))
            if cached is None:
                with capture_weasyprint() as messages:
                    CSS(string=text, base_url=path.as_uri(), url_fetcher=fetcher)
                cached = []
                for msg in messages:
                    at = _AT_RE.search(msg)
                    where = f"{rel}:{at.group(1)}:{at.group(2)}" if at else rel
                    cached.append(Problem(msg, where, "fix the stylesheet", kind="warning"))
                self._css_warnings.put((path, text), cached)
            problems += [Problem(**asdict(w)) for w in cached]
        return problems

    def _layout_sync(
        self, slug: str, generation: int, html: str
    ) -> tuple[Any, list[PageInfo], list[str], dict[str, Any]]:
        """Laid-out pages: section by section from the cache when the document allows it
        (:mod:`reports.preview.incremental`, same pages as the whole layout), else the whole
        document (:func:`reports.render.pdf.render_document`, the build's own call)."""
        from reports.preview.incremental import Composer, NotSplittable
        from reports.render.pdf import render_document

        if self._composer is None:
            self._composer = Composer(self.paths)
        try:
            composition = self._composer.compose(html)
        except NotSplittable as exc:
            log.info("preview: %s laid out whole (%s)", slug, exc)
        else:
            pages = []
            for i, composed in enumerate(composition.pages):
                info = self._infos.get(composed.key)
                if info is None:
                    info = page_info(composed.page)
                    info.key = composed.key
                    self._infos.put(composed.key, info)
                self._keyed.put(composed.key, (slug, composition.document, i))
                pages.append(info)
            stats = {
                "sections": composition.pieces,
                "sections_laid_out": composition.laid_out,
                **composition.timings,
            }
            return composition.document, pages, composition.warnings, stats
        with capture_weasyprint() as messages:
            document = render_document(html, self.paths, base_url=self.paths.root)
        pages = []
        for i, page in enumerate(document.pages):
            info = page_info(page)
            info.key = f"w{id(self):x}-{slug}-{generation}-{i + 1}"  # whole layout: per generation
            self._keyed.put(info.key, (slug, document, i))
            pages.append(info)
        return document, pages, list(messages), {"sections": 0}

    def _render_sync(self, slug: str, generation: int) -> Rendered:
        t0 = time.perf_counter()
        entry = self._entry(slug)
        if entry is None:
            raise _Failed(Problem(f"no document {slug!r}", hint="see the index"))
        self._ensure_session()
        html = self._html_sync(entry)
        t1 = time.perf_counter()
        warnings = self.stylesheet_warnings(html)
        known = {w.message for w in warnings}
        t1b = time.perf_counter()
        document, pages, messages, stats = self._layout_sync(slug, generation, html)
        warnings += [
            Problem(self.short(m) or m, kind="warning") for m in messages if m not in known
        ]
        t2 = t3 = t4 = time.perf_counter()
        found = _TITLE_RE.search(html)
        title = html_lib.unescape(found.group(1)).strip() if found else entry.title
        timings = {
            "html": t1 - t0,
            "css": t1b - t1,  # stylesheet warnings (cached by content)
            "layout": t2 - t1b,  # WeasyPrint: HTML + CSS → laid-out pages (+ text layer)
            "text": t3 - t2,
            "total": t4 - t0,
            **{k: float(v) for k, v in stats.items()},
        }
        log.info("preview: %s gen %d rendered in %.2fs %s", slug, generation, t4 - t0, timings)
        return Rendered(slug, generation, title, html, document, pages, warnings, timings)

    def page_key(self, slug: str, generation: int, page: int) -> str | None:
        """The content key of page ``page`` of a rendered generation."""
        state = self._states.get(slug)
        if state is None or state.good is None or state.good.generation != generation:
            return None
        if not 1 <= page <= len(state.good.pages):
            return None
        return state.good.pages[page - 1].key

    def _page_pdf_sync(self, key: str) -> bytes | None:
        """One page of a laid-out document painted alone (same boxes, so same pixels)."""
        if key in self._page_pdfs:
            return self._page_pdfs[key]
        found = self._keyed.get(key)
        if found is None:
            return None
        slug, document, index = found
        state = self._states.get(slug)
        good = state.good if state is not None else None
        if (
            good is not None
            and self.generation > good.generation
            and slug in self.viewers
            and all(p.key != key for p in good.pages)
        ):
            return None  # superseded while queued: the viewer asks for the new pages
        pdf = document.copy([document.pages[index]]).write_pdf()
        self._page_pdfs.put(key, pdf)
        return pdf

    def _build_pdf_sync(self, slug: str, generation: int) -> Path:
        """The real build (``build_fiche`` / ``build_atlas``) into the server's temp dir."""
        from reports.documents import fiche

        entry = self._entry(slug)
        if entry is None:
            raise _Failed(Problem(f"no document {slug!r}"))
        session = self._ensure_session()
        out = self.tmp / f"{slug}-{generation}.pdf"
        if out.exists():
            return out
        if entry.kind == "fiche":
            return fiche.build_fiche(session, session.territory(entry.key), out=out, workers=1)
        if entry.kind == "atlas":
            atlas = _atlas_module()
            assert atlas is not None
            return atlas.build_atlas(session, out=out, progress=False).path
        raise _Failed(Problem("a chapter has no PDF of its own", hint="open the atlas PDF"))

    # -- async API ---------------------------------------------------------------------------

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def entries(self) -> tuple[list[DocEntry], Problem | None]:
        try:
            return await self.run(self._entries_sync), None
        except _Failed as exc:
            return [], exc.problem
        except Exception as exc:
            return [], self.problem(exc)

    async def state(self, slug: str) -> DocState:
        """The rendering of ``slug`` at the current generation (rendered once, shared)."""
        gen = self.generation
        cached = self._states.get(slug)
        if cached is not None and cached.generation == gen:
            return cached
        running = self._inflight.get(slug)
        if running is not None and running[0] == gen:
            return await asyncio.shield(running[1])
        future: asyncio.Future[DocState] = asyncio.get_running_loop().create_future()
        self._inflight[slug] = (gen, future)
        previous = cached.good if cached else None
        try:
            rendered: Rendered = await self.run(self._render_sync, slug, gen)
            self._docs.put((slug, gen), rendered.document)
            state = DocState(gen, rendered, None)
        except _Failed as exc:
            state = DocState(gen, previous, exc.problem)
        except Exception as exc:
            log.exception("preview: rendering %s failed", slug)
            state = DocState(gen, previous, self.problem(exc))
        existing = self._states.get(slug)
        if existing is None or existing.generation <= gen:
            self._states[slug] = state
        future.set_result(state)
        if self._inflight.get(slug, (None,))[0] == gen:
            del self._inflight[slug]
        return state

    async def page_png(self, slug: str, generation: int, page: int, dpi: int) -> bytes | None:
        """Page ``page`` of a rendered generation (see :meth:`sheet_png`)."""
        key = self.page_key(slug, generation, page)
        return None if key is None else await self.sheet_png(key, dpi)

    async def sheet_png(self, page_key: str, dpi: int) -> bytes | None:
        """The page image of a page content key: painted once, kept across edits."""
        dpi = max(MIN_DPI, min(MAX_DPI, dpi))
        key = (page_key, dpi)
        if key in self._pngs:
            return self._pngs[key]
        found = self._keyed.get(page_key)
        if found is None:
            return None
        slug, page = found[0], found[2] + 1
        try:
            pdf = await self.run(self._page_pdf_sync, page_key)
        except Exception as exc:  # painting failed (e.g. a broken figure file)
            log.exception("preview: painting page %d of %s failed", page, slug)
            state = self._states.get(slug)
            good = state.good if state is not None else None
            if (
                state is not None
                and good is not None
                and state.error is None
                and any(p.key == page_key for p in good.pages)
            ):
                problem = self.problem(exc)
                problem.message = f"page {page} cannot be painted: {problem.message}"
                state.error = problem
            return None
        if pdf is None:
            return None
        async with self._raster:
            if key in self._pngs:
                return self._pngs[key]
            proc = await asyncio.create_subprocess_exec(
                "pdftoppm",
                "-png",
                "-r",
                str(dpi),
                "-singlefile",
                "-",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await proc.communicate(pdf)
        if proc.returncode != 0 or not out:
            log.warning("pdftoppm failed on %s page %d: %s", slug, page, err.decode()[:200])
            return None
        self._pngs.put(key, out)
        return out

    async def build_pdf(self, slug: str) -> Path | Problem:
        try:
            return await self.run(self._build_pdf_sync, slug, self.generation)
        except _Failed as exc:
            return exc.problem
        except Exception as exc:
            log.exception("preview: PDF build of %s failed", slug)
            return self.problem(exc)

    # -- change notification -----------------------------------------------------------------

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._listeners.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._listeners.discard(queue)

    def on_change(self, changed: list[Path]) -> None:
        """Files changed: new generation, eager re-render of open documents, notify viewers."""
        data, layouts = self.paths.data.resolve(), self.paths.layouts.resolve()
        for p in changed:
            rp = p.resolve()
            if rp == layouts or rp.is_relative_to(data):
                self._session_stale = True
        # the session flag is read on the worker thread: it is set before the next job runs
        self.generation += 1
        self.changed = [self.short(str(p)) or str(p) for p in changed][:10]
        log.info("preview: generation %d after %s", self.generation, ", ".join(self.changed))
        for slug, count in list(self.viewers.items()):
            if count > 0:
                asyncio.ensure_future(self.state(slug))
        event = {"generation": self.generation, "changed": self.changed}
        for queue in list(self._listeners):
            queue.put_nowait(event)

    def watched(self) -> tuple[list[Path], list[Path]]:
        """(recursive dirs, parents watched flat for single files)."""
        dirs = [p for p in (self.paths.templates, self.paths.styles, self.paths.data) if p.is_dir()]
        return dirs, [self.paths.layouts.parent]

    async def watch(self) -> None:
        """Run forever: watchfiles → :meth:`on_change` (layouts.yaml survives atomic saves)."""
        from watchfiles import DefaultFilter, awatch

        dirs, flat = self.watched()
        layouts = self.paths.layouts.resolve()
        data = self.paths.data.resolve()

        def flat_filter(change: Any, path: str) -> bool:
            p = Path(path).resolve()
            return p in (layouts, data)

        async def pump(paths: list[Path], recursive: bool, filt: Any) -> None:
            async for changes in awatch(
                *paths,
                watch_filter=filt,
                recursive=recursive,
                debounce=400,
                step=30,
                stop_event=self.closing,
            ):
                self.on_change(sorted({Path(p) for _, p in changes}))

        tasks = [pump(flat, False, flat_filter)]
        if dirs:
            tasks.append(pump(dirs, True, DefaultFilter()))
        await asyncio.gather(*tasks)


def _atlas_module() -> Any:
    """:mod:`reports.documents.atlas` when it is available (it is developed alongside)."""
    try:
        from reports.documents import atlas
    except ImportError:
        return None
    needed = ("atlas_parts", "chapter", "chapter_part", "unit_html", "build_atlas")
    return atlas if all(hasattr(atlas, n) for n in needed) else None


def _css_fetcher(paths: Paths) -> Any:
    """The project's restricted fetcher; if it cannot be built, one that fetches nothing.

    Parsing a stylesheet only fetches ``@import`` targets; fonts and images are not loaded.
    """
    try:
        from reports.render.pdf import make_url_fetcher

        return make_url_fetcher(paths)
    except ImportError:  # the WeasyPrint ≥ 66 fetcher API
        from weasyprint.urls import URLFetcher

        return URLFetcher(allowed_protocols=["data"])


class _Failed(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


# --------------------------------------------------------------------------------------------
# The web app


def state_json(preview: Preview, slug: str, state: DocState, dpi: int) -> dict[str, Any]:
    good = state.good
    pages = []
    if good is not None:
        n = len(good.pages)
        for i, p in enumerate(good.pages, start=1):
            pages.append(
                {
                    "n": i,
                    "of": n,
                    "src": f"/sheet/{slug}/{p.key}.png?dpi={dpi}",
                    "width": p.width,
                    "height": p.height,
                    "texts": p.texts,
                    "anchors": p.anchors,
                }
            )
    return {
        "slug": slug,
        "generation": state.generation,
        "rendered_generation": good.generation if good else None,
        "title": good.title if good else slug,
        "pages": pages,
        "timings": {k: round(v, 4) for k, v in (good.timings if good else {}).items()},
        "warnings": [asdict(w) for w in (good.warnings if good else [])],
        "error": asdict(state.error) if state.error else None,
        "pdf": f"/pdf/{slug}.pdf",
        "html": f"/{slug}.html",
        "changed": preview.changed,
    }


def create_app(paths: Paths | None = None, *, allowed_hosts: list[str] | None = None) -> Any:
    """The Starlette application (``allowed_hosts`` None = any Host header)."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware
    from starlette.requests import Request
    from starlette.responses import (
        FileResponse,
        HTMLResponse,
        JSONResponse,
        PlainTextResponse,
        Response,
        StreamingResponse,
    )
    from starlette.routing import Route

    preview = Preview(paths)
    pages_env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(preview.paths.preview_assets)),  # type: ignore[attr-defined]
        autoescape=True,
        auto_reload=True,
    )
    if not isinstance(preview.paths, PreviewPaths):  # plain Paths: assets from the project
        pages_env.loader = jinja2.FileSystemLoader(str(preview.paths.root / "templates/preview"))
    assets_dir = Path(pages_env.loader.searchpath[0])  # type: ignore[union-attr]

    def not_found() -> Response:
        return PlainTextResponse("Not Found", status_code=404)

    def page(name: str, **ctx: Any) -> HTMLResponse:
        return HTMLResponse(
            pages_env.get_template(name).render(generation=preview.generation, **ctx),
            headers={"Cache-Control": "no-store"},
        )

    async def index(request: Request) -> Response:
        entries, problem = await preview.entries()
        groups: dict[str, list[DocEntry]] = {}
        for e in entries:
            groups.setdefault(e.kind, []).append(e)
        return page("index.html", groups=groups, problem=problem, root=str(preview.paths.root))

    async def viewer(request: Request) -> Response:
        slug = request.path_params["slug"]
        entries, problem = await preview.entries()
        entry = next((e for e in entries if e.slug == slug), None)
        if entry is None and problem is None:
            return not_found()
        return page("viewer.html", slug=slug, entry=entry, problem=problem)

    def dpi_of(request: Request) -> int:
        try:
            return int(request.query_params.get("dpi", DEFAULT_DPI))
        except ValueError:
            return DEFAULT_DPI

    async def api_doc(request: Request) -> Response:
        slug = request.path_params["slug"]
        entries, problem = await preview.entries()
        if problem is None and not any(e.slug == slug for e in entries):
            return not_found()
        state = await preview.state(slug)
        return JSONResponse(
            state_json(preview, slug, state, dpi_of(request)),
            headers={"Cache-Control": "no-store"},
        )

    async def live_html(request: Request) -> Response:
        slug = request.path_params["slug"]
        state = preview._states.get(slug)
        if state is None or state.generation != preview.generation:
            entries, problem = await preview.entries()
            if problem is None and not any(e.slug == slug for e in entries):
                return not_found()
            state = await preview.state(slug)
        if state.good is None:
            return not_found()
        return HTMLResponse(state.good.html, headers={"Cache-Control": "no-store"})

    async def page_png(request: Request) -> Response:
        p = request.path_params
        png = await preview.page_png(p["slug"], p["gen"], p["n"], dpi_of(request))
        if png is None:
            return not_found()
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-cache"})

    async def sheet_png(request: Request) -> Response:
        key = request.path_params["key"]
        found = preview._keyed.get(key)
        if found is None or found[0] != request.path_params["slug"]:
            return not_found()
        png = await preview.sheet_png(key, dpi_of(request))
        if png is None:
            return not_found()
        # a key names the page's content: the same URL always gives the same pixels
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-cache"})

    async def pdf(request: Request) -> Response:
        slug = request.path_params["slug"]
        entries, problem = await preview.entries()
        if problem is None and not any(e.slug == slug for e in entries):
            return not_found()
        result = await preview.build_pdf(slug)
        if isinstance(result, Problem):
            return JSONResponse({"error": asdict(result)}, status_code=500)
        return FileResponse(
            result,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{slug}.pdf"'},
        )

    async def events(request: Request) -> Response:
        slug = request.query_params.get("doc")
        queue = preview.subscribe()
        if slug:
            preview.viewers[slug] = preview.viewers.get(slug, 0) + 1

        async def stream() -> AsyncIterator[str]:
            try:
                yield f"event: hello\ndata: {json.dumps({'generation': preview.generation})}\n\n"
                while not preview.stopping:
                    try:
                        event = await asyncio.wait_for(queue.get(), timeout=1.0)
                    except TimeoutError:
                        if await request.is_disconnected():
                            break
                        yield ": keep-alive\n\n"
                        continue
                    yield f"event: change\ndata: {json.dumps(event)}\n\n"
            finally:
                preview.unsubscribe(queue)
                if slug:
                    preview.viewers[slug] = max(0, preview.viewers.get(slug, 1) - 1)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    def static(base: Callable[[], Path]) -> Callable[[Request], Any]:
        async def serve_file(request: Request) -> Response:
            target = safe_file(base(), request.path_params["path"])
            if target is None:
                return not_found()
            return FileResponse(target, headers={"Cache-Control": "no-cache"})

        return serve_file

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        task = asyncio.create_task(preview.watch())
        try:
            yield
        finally:
            preview.stopping = True
            preview.closing.set()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            preview.close()

    routes = [
        Route("/", index),
        Route("/doc/{slug:str}", viewer),
        Route("/api/doc/{slug:str}", api_doc),
        Route("/page/{slug:str}/{gen:int}/{n:int}.png", page_png),
        Route("/sheet/{slug:str}/{key:str}.png", sheet_png),
        Route("/pdf/{slug:str}.pdf", pdf),
        Route("/events", events),
        Route("/styles/{path:path}", static(lambda: preview.paths.styles)),
        Route("/cache/figures/{path:path}", static(lambda: preview.paths.figures_cache)),
        Route("/_preview/{path:path}", static(lambda: assets_dir)),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Route("/{slug:str}.html", live_html),
    ]
    middleware = []
    if allowed_hosts is not None:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts))
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.preview = preview
    return app


# --------------------------------------------------------------------------------------------
# Serving


def make_server(
    paths: Paths | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "warning",
) -> Any:
    """A configured ``uvicorn.Server`` (not started)."""
    import uvicorn

    allowed = ["127.0.0.1", "localhost", "[::1]", "::1"] if host in LOOPBACK else None
    app = create_app(paths, allowed_hosts=allowed)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        timeout_graceful_shutdown=2,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    original_exit = server.handle_exit

    def handle_exit(sig: int, frame: Any) -> None:  # end the SSE streams at once on Ctrl-C
        app.state.preview.stopping = True
        original_exit(sig, frame)

    server.handle_exit = handle_exit  # type: ignore[method-assign]
    return server


def serve(
    port: int = 8000,
    host: str = "127.0.0.1",
    open_browser: bool = False,
    paths: Paths | None = None,
) -> None:
    """Run the preview server until interrupted (``atlas preview``)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # shown in the page instead
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    server = make_server(paths, host=host, port=port)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    print(f"atlas preview: {url}  (Ctrl-C to stop)")
    if open_browser:
        threading.Timer(0.8, webbrowser.open, args=(url,)).start()
    server.run()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class ServerThread:
    """Run a preview server in a background thread (tests and benchmarks)."""

    def __init__(self, paths: Paths | None = None, host: str = "127.0.0.1") -> None:
        self.port = free_port(host)
        self.host = host
        self.server = make_server(paths, host=host, port=self.port)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def preview(self) -> Preview:
        return self.server.config.app.state.preview

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("preview server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.preview.stopping = True
        self.server.should_exit = True
        self.thread.join(timeout=10)


if __name__ == "__main__":  # python -m reports.preview.server [port]
    import sys

    serve(port=int(sys.argv[1]) if len(sys.argv) > 1 else 8000)
