"""The preview engine: the document list, rendering on one worker thread, page images,
per-generation caches and file-change notification (no web framework here: the routes are in
:mod:`reports.preview.app`)."""

from __future__ import annotations

import asyncio
import gc
import html as html_lib
import logging
import os
import re
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from reports.errors import ReportsError
from reports.paths import Paths
from reports.preview.files import PreviewPaths, safe_file
from reports.preview.state import (
    LRU,
    DocEntry,
    DocState,
    PageInfo,
    Problem,
    Proof,
    Rendered,
    capture_weasyprint,
    page_info,
)

log = logging.getLogger(__name__)

MIN_DPI, MAX_DPI = 48, 240
#: the proof of a rendering waits until the worker has had nothing to do for this long (s):
#: the viewer's page images are painted first, and a quick series of edits (a save, a look,
#: a save: bench_preview edits ≈ 0.4 s after each refresh) is not queued behind a proof job.
#: bench_preview, opener edit, same load: 372 ms without the proof; with it 617 ms at 0.2 s
#: (the edit waited for the tagged PDF), 408 ms at 1 s, 372 ms at 0.6 s.
PROOF_IDLE = 0.6
_LINK_RE = re.compile(r"<link\b[^>]*\brel=[\"']stylesheet[\"'][^>]*>", re.IGNORECASE)
_HREF_RE = re.compile(r"\bhref=[\"']([^\"']+)[\"']", re.IGNORECASE)
_AT_RE = re.compile(r"\bat (\d+):(\d+)")
_TITLE_RE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)


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
        self._docs: LRU = LRU(4)  # (slug, generation) -> laid-out Document
        self._keyed: LRU = LRU(600)  # page key -> (slug, Document, index)
        self._infos: LRU = LRU(600)  # page key -> PageInfo
        self._page_pdfs: LRU = LRU(200)  # page key -> one-page PDF bytes
        self._contexts: dict[str, Any] = {}  # slug -> DocCtx, valid until data/layouts change
        self._pngs: LRU = LRU(400)  # (page key, dpi) -> png bytes
        self._css_warnings: LRU = LRU(32)  # (path, text) -> warnings
        self._composer: Any = None  # preview.incremental.Composer (section-by-section layout)
        self._raster = asyncio.Semaphore(max(1, os.cpu_count() or 1))
        self._listeners: set[asyncio.Queue[dict[str, Any]]] = set()
        self._proofs: dict[str, Proof] = {}  # slug -> last proof (atlas check findings)
        self._proof_tasks: dict[str, asyncio.Future[None]] = {}
        self._busy = 0  # jobs on the worker thread and page rasterisations under way
        self._last_job = 0.0  # time.monotonic() when the last one ended
        self.viewers: dict[str, int] = {}
        self.tmp = Path(tempfile.mkdtemp(prefix="atlas-preview-"))
        self.closing = asyncio.Event()  # set on the server's loop (stops the watcher)
        self.stopping = False  # plain flag, may be set from any thread (ends SSE streams)

    def close(self) -> None:
        self.stopping = True
        for task in self._proof_tasks.values():
            task.cancel()
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
        from reports.documents.session import Session

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
            if "atlas" in session.layouts.documents:
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
        from reports.documents.atlas.parts import atlas_parts, chapter
        from reports.documents.atlas.units import chapter_part, unit_html
        from reports.documents.session import render_html

        session = self._ensure_session()
        if entry.kind == "fiche":
            # = fiche.fiche_html(session, territory), with the context (data, figures) kept
            # while only templates or styles change: a template edit re-renders Jinja only.
            doc = self._contexts.get(entry.slug)
            if doc is None:
                doc = fiche.fiche_doc(session, session.territory(entry.key))
                self._contexts[entry.slug] = doc
            return render_html(session, "fiche.html", doc)
        if entry.kind == "chapter":  # as atlas.workers.task_chapter_html builds a unit
            ctx = self._contexts.get(entry.slug)
            if ctx is None:
                ctx = chapter(session, atlas_parts(session), session.territory(entry.key))
                self._contexts[entry.slug] = ctx
            return unit_html(
                session,
                [chapter_part(ctx)],
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

    def _render_sync(self, slug: str, generation: int, submitted: float | None = None) -> Rendered:
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
            # waited on the worker thread behind page paintings or a proof job
            "queued": t0 - submitted if submitted is not None else 0.0,
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
        from reports.documents.atlas.build import build_atlas

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
            return build_atlas(session, out=out, progress=False).path
        raise _Failed(Problem("a chapter has no PDF of its own", hint="open the atlas PDF"))

    # -- async API ---------------------------------------------------------------------------

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        self._busy += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
        finally:
            self._busy -= 1
            self._last_job = time.monotonic()

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
        fresh: Rendered | None = None
        try:
            submitted = time.perf_counter()
            rendered: Rendered = await self.run(self._render_sync, slug, gen, submitted)
            self._docs.put((slug, gen), rendered.document)
            state = DocState(gen, rendered, None)
            fresh = rendered
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
        if fresh is not None and self._states.get(slug) is state:
            self._schedule_proof(slug, fresh)
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
            self._busy += 1
            try:
                out, err, code = await _pdftoppm(pdf, dpi)
            finally:
                self._busy -= 1
                self._last_job = time.monotonic()
        if code != 0 or not out:
            log.warning("pdftoppm failed on %s page %d: %s", slug, page, err.decode()[:200])
            return None
        self._pngs.put(key, out)
        return out

    # -- proof: the atlas check findings of each sheet --------------------------------------

    def _schedule_proof(self, slug: str, rendered: Rendered) -> None:
        """Proofread ``rendered`` once the worker is idle (a newer rendering cancels it)."""
        old = self._proof_tasks.pop(slug, None)
        if old is not None:
            old.cancel()
        if os.environ.get("ATLAS_PREVIEW_PROOF") == "0":  # off (benchmarks: before/after)
            return
        task = asyncio.ensure_future(self._proofread(slug, rendered))
        self._proof_tasks[slug] = task

        def done(t: asyncio.Future[None]) -> None:
            if self._proof_tasks.get(slug) is t:
                del self._proof_tasks[slug]

        task.add_done_callback(done)

    async def _idle(self, own: float | None = None) -> None:
        """Until the worker has been idle for :data:`PROOF_IDLE` (a job that ended at ``own``,
        the proof's own, does not count)."""

        def waiting() -> bool:
            recent = time.monotonic() - self._last_job < PROOF_IDLE
            return bool(self._busy) or (recent and self._last_job != own)

        while not self.stopping and waiting():
            await asyncio.sleep(0.05)

    async def _proofread(self, slug: str, rendered: Rendered) -> None:
        """Write the laid-out pages as a tagged PDF, run :func:`reports.proof.check.check_pdf`
        on it, keep the findings by page key and tell the viewers. Two jobs on the worker
        thread, each started only when it is idle and the rendering still current: an edit
        made meanwhile waits at most for one of them (≈ 0.1-0.3 s)."""

        def current() -> bool:
            state = self._states.get(slug)
            return (
                not self.stopping
                and self.generation == rendered.generation
                and state is not None
                and state.good is rendered
            )

        try:
            await self._idle()
            if not current():
                return
            pdf, written = await self.run(self._proof_pdf_sync, rendered)
            await self._idle(own=self._last_job)
            if not current():
                return
            proof = await self.run(self._proof_check_sync, slug, rendered, pdf)
            proof.seconds += written
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a proof failure never breaks the preview
            log.exception("preview: proofreading %s failed", slug)
            keys = [p.key for p in rendered.pages]
            proof = Proof(rendered.generation, keys, {}, 0.0, f"{type(exc).__name__}: {exc}")
        if self.stopping:
            return
        self._proofs[slug] = proof
        n = sum(len(v) for v in proof.findings.values())
        log.info(
            "preview: %s gen %d proofread in %.2fs: %d finding(s)",
            slug,
            proof.generation,
            proof.seconds,
            n,
        )
        self._broadcast({"proof": slug, "generation": proof.generation, "findings": n})

    def _proof_pdf_sync(self, rendered: Rendered) -> tuple[bytes, float]:
        """The laid-out document as a tagged PDF (the structure tree the rules read)."""
        t0 = time.perf_counter()
        pdf = rendered.document.write_pdf(pdf_tags=True)
        return pdf, time.perf_counter() - t0

    def _proof_check_sync(self, slug: str, rendered: Rendered, pdf: bytes) -> Proof:
        from reports.proof.check import check_pdf

        t0 = time.perf_counter()
        path = self.tmp / f"proof-{slug}.pdf"
        path.write_bytes(pdf)
        try:
            report = check_pdf(path, figures_cache=self.paths.figures_cache)
        finally:
            path.unlink(missing_ok=True)
        keys = [p.key for p in rendered.pages]
        findings: dict[str, list[dict[str, Any]]] = {}
        for f in sorted(report.findings, key=lambda f: f.page):
            if 1 <= f.page <= len(keys):
                findings.setdefault(keys[f.page - 1], []).append(
                    {"rule": f.rule, "message": f.message, "count": f.count}
                )
        del report
        seconds = time.perf_counter() - t0
        gc.collect()  # now, while idle: not in the middle of the next render's layout
        return Proof(rendered.generation, keys, findings, seconds)

    def proof(self, slug: str) -> Proof | None:
        """The last proof of ``slug`` (maybe of an earlier generation: see :class:`Proof`)."""
        return self._proofs.get(slug)

    def proof_pending(self, slug: str) -> bool:
        return slug in self._proof_tasks

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
        self._broadcast({"generation": self.generation, "changed": self.changed})

    def _broadcast(self, event: dict[str, Any]) -> None:
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


async def _pdftoppm(pdf: bytes, dpi: int) -> tuple[bytes, bytes, int | None]:
    """(PNG bytes, stderr, exit code) of a one-page PDF rasterised at ``dpi``."""
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
    return out, err, proc.returncode


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
