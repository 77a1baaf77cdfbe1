"""The atlas worker processes: a chapter's HTML (figures drawn there), a unit laid out and
written, and the shared-memory :class:`Board` on which a unit posts its page count and
waits for its first folio."""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports.data.territories import FRANCE
from reports.documents.atlas.parts import NATIONAL, Part, atlas_parts, chapter
from reports.documents.atlas.units import chapter_part, static_plan, unit_html
from reports.documents.session import Session, doc_ctx
from reports.errors import RenderError
from reports.figures.assets import DEFAULT_DPI, resolution
from reports.paths import Paths
from reports.processes import check_parent, on_orphan, pid_alive, worker_task
from reports.render import guard
from reports.render.pdf import (
    Numbers,
    Paginated,
    TextReplaceError,
    atomic_write,
    deferred_numbering,
    render_document,
    write_pdf,
)

# --- worker processes -------------------------------------------------------------------------
_SESSION: Session | None = None
_PARTS: list[Part] = []


def init_worker(root: str, data: str | None, cache: str | None, board: Board | None = None) -> None:
    global _SESSION, _PARTS, _BOARD
    _BOARD = board
    if board is not None:  # the atlas process was killed: nobody else removes the board
        on_orphan(shutil.rmtree, board.directory, True)  # (first: the imports take seconds)
    import matplotlib
    import pikepdf  # noqa: F401  (imported here, where a stop exits quietly: a SIGTERM
    # during its lazy import in a task, at the PDF check, made nanobind print a traceback)

    matplotlib.use("Agg")
    if data:
        os.environ["ATLAS_DATA"] = data
    if cache:
        os.environ["ATLAS_CACHE"] = cache
    _SESSION = Session.open(Paths(root=Path(root)))
    _PARTS = atlas_parts(_SESSION)


def _session() -> Session:
    assert _SESSION is not None, "worker not initialised"
    return _SESSION


@worker_task
def task_chapter_html(
    unit_id: str, dpi: int = DEFAULT_DPI, attach: bool = True
) -> tuple[str, str, dict[str, Any], tuple]:
    """Worker: the HTML of one chapter, its figure list for the annexes (figures
    drawn at ``dpi``: 300 for ``--print``) and, if ``attach``, the CSV of its sections."""
    from reports.render.attachments import document_csvs

    session = _session()
    territory = FRANCE if unit_id == NATIONAL else session.territory(unit_id)
    with resolution(dpi):
        ctx = chapter(session, _PARTS, territory)
    html = unit_html(session, [chapter_part(ctx)], pad=True, running=ctx.running_title)
    files: tuple = ()
    if attach:
        doc = doc_ctx(session, "atlas", ctx.title, [ctx])
        files = tuple(document_csvs(session.store, session.layouts, doc))
    figs = {
        "chapter": ctx.title,
        "anchor": ctx.anchor,
        "figures": [
            {
                "id": f.number or f.id,
                "title": f.title,
                "kind": f.kind,
                "anchor": f"{ctx.anchor}-{f.id}",
            }
            for s in ctx.sections
            for f in s.figures
        ],
        "tables": [
            {"id": t.number or t.id, "title": t.title, "anchor": f"{ctx.anchor}-{t.id}"}
            for s in ctx.sections
            for t in s.tables
        ],
        "sections": [{"title": s.title, "anchor": f"{ctx.anchor}-{s.id}"} for s in ctx.sections],
    }
    return unit_id, html, figs, files


@worker_task
def task_cover(dpi: int = DEFAULT_DPI) -> None:
    """Worker: the cover map of the front matter drawn into the figure cache, after the
    chapters' HTML (on the core the last chapter leaves free): the atlas process, which
    needs it before any layout, then finds it drawn (it drew it itself, 1 s while both cores
    waited, importing the drawing stack for that one map)."""
    with resolution(dpi):
        static_plan(_session())


@dataclass
class RenderResult:
    unit_id: str
    pages: int  # content pages (pad page excluded)
    anchors: dict[str, int]
    pad: bool
    pdf: str | None
    seconds: float
    start: int  # first folio it was written with


BOARD_PREFIX = "atlas-board-"  # + the atlas process's pid


class Board:
    """Shared memory between the atlas process and its workers. A unit being laid out posts
    its page count in its slot (its anchors in a file beside) and waits for the folio it
    starts on, which the atlas process posts once every earlier unit's length is known
    (:func:`_post_starts`), with, for the front matter and the annex lists, the folios they
    print (:class:`reports.render.pdf.Numbers`)."""

    def __init__(self, slots: int) -> None:
        import multiprocessing
        import shutil
        import tempfile
        import weakref

        self.pages = multiprocessing.Array("i", slots, lock=False)
        self.starts = multiprocessing.Array("i", slots, lock=False)
        self.directory = Path(tempfile.mkdtemp(prefix=f"{BOARD_PREFIX}{os.getpid()}-"))
        self.close = weakref.finalize(self, shutil.rmtree, self.directory, True)
        _remove_stale_boards(self.directory.parent)

    def _file(self, slot: int, what: str) -> Path:
        return self.directory / f"{slot}.{what}.json"

    def clear(self, slot: int) -> None:
        self.pages[slot] = self.starts[slot] = 0
        for what in ("anchors", "texts"):
            self._file(slot, what).unlink(missing_ok=True)

    def wait_start(
        self, slot: int, pages: int, anchors: dict[str, int], poll: float = 0.005
    ) -> tuple[int, list[str] | None]:
        """Worker side: post ``pages`` (+1, so that 0 means "not yet") and ``anchors``, wait
        for a start; returns it with the texts to print, if any (None: keep the texts)."""
        _write_json(self._file(slot, "anchors"), anchors)
        self.pages[slot] = pages + 1
        while (start := self.starts[slot]) == 0:
            check_parent()  # never waits for an atlas process that is gone
            time.sleep(poll)
        if start < 0:
            raise RenderError("atlas build aborted (another unit failed)")
        texts = self._file(slot, "texts")
        return start, json.loads(texts.read_text(encoding="utf-8")) if texts.is_file() else None

    def posted(self, slot: int) -> tuple[int, dict[str, int]] | None:
        """Atlas side: the page count and anchors a waiting unit posted, if it has."""
        if not self.pages[slot]:
            return None
        anchors = json.loads(self._file(slot, "anchors").read_text(encoding="utf-8"))
        return self.pages[slot] - 1, anchors

    def post_start(self, slot: int, start: int, texts: list[str] | None = None) -> None:
        if texts is not None:
            _write_json(self._file(slot, "texts"), texts)
        self.starts[slot] = start

    def abort(self) -> None:
        """Release every waiting worker with an error (a unit failed: nothing to wait for)."""
        for slot in range(len(self.starts)):
            self.starts[slot] = -1


def _remove_stale_boards(folder: Path) -> None:
    """The boards of atlas processes that are gone (killed before their workers had started:
    nobody was left to remove them)."""
    for path in folder.glob(f"{BOARD_PREFIX}*-*"):
        pid = path.name[len(BOARD_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(path, True)


def _write_json(path: Path, value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False)
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


_BOARD: Board | None = None


@worker_task
def task_render(
    unit_id: str,
    html: str,
    start: int,
    pad_allowed: bool,
    out: str | None,
    root: str,
    extra_css: tuple[str, ...] = (),  # issue 7: --print stylesheet (reports.documents.fiche)
    options: dict[str, Any] | None = None,  # issue 7: pdf_variant_options (tags, files)
    slot: int | None = None,
) -> RenderResult:
    """Worker: lay out one unit starting at folio ``start``; write its PDF if ``out``.
    Folios are set after pagination (:func:`reports.render.pdf.deferred_numbering`).

    With a ``slot`` of the :class:`Board`, the start is not given but asked for once the
    unit is paginated (:func:`reports.render.pdf.deferred_numbering`): a chapter is laid out once,
    whatever the length of the chapters before it, still being laid out elsewhere. The front
    matter and the annex lists are laid out with the folios of a guess and told the right
    ones then (they sit in fixed-width boxes); if one does not fit, the unit is not written
    (``pdf`` None) and is laid out again with them.
    The HTML ends with a "Notes" page (when ``pad_allowed``) that is kept only when the
    next unit would otherwise start on a verso page.
    """
    t0 = time.perf_counter()
    paths = Paths(root=Path(root))
    sheets = [paths.root / s for s in extra_css]
    board = _BOARD
    layout: dict[str, Any] = {}

    def ask(doc: Paginated) -> Numbers:
        nonlocal start
        content = len(doc) - 1 if pad_allowed else len(doc)
        layout.update(pages=content, anchors=doc.anchors(content))
        if slot is None:
            return Numbers(start)  # the atlas prints no page total
        assert board is not None, "worker started without a board"
        start, texts = board.wait_start(slot, content, layout["anchors"])
        return Numbers(start, 0, texts)

    try:
        with deferred_numbering(ask):
            document = render_document(
                html, paths, base_url=paths.root, stylesheets=sheets, strict=True
            )
    except TextReplaceError:  # its folios do not fit where it printed guesses: lay out again
        seconds = time.perf_counter() - t0
        return RenderResult(unit_id, layout["pages"], layout["anchors"], False, None, seconds, 0)
    content = layout["pages"]
    pad = pad_allowed and (start + content) % 2 == 0
    if pad_allowed and not pad:
        document = document.copy(document.pages[:content])
    if out:
        write_pdf(document, Path(out), **(options or {}))  # removes its font folder too
    else:
        guard.release(document.font_config)
    return RenderResult(
        unit_id, content, layout["anchors"], pad, out, time.perf_counter() - t0, start
    )
