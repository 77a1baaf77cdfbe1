"""One document rendered as parts in parallel, numbered as a single document.

WeasyPrint lays a document out on one core. A fiche is cut at section boundaries (every
section opens a page, so a part's pagination does not depend on the others) into parts laid
out at the same time by separate processes; each part waits, after its pagination and before
its margin boxes, for the page counts of the others (:func:`reports.render.pdf.deferred_numbering`),
so the folios and the "page x / y" total are those of the whole document and no part is laid
out twice. The part PDFs are then merged (:mod:`reports.render.merge`).

* :class:`RenderServer` — one process forked *before* the document is built: it imports
  WeasyPrint (0.7 s) while the caller builds the HTML, then renders the first part itself
  and forks one helper per other part.
* :func:`render_in_process` — the same parts rendered one inside the other in this process
  (no fork: a multi-threaded caller such as the preview server, or a single core).

Both write the same part files, hence the same merged bytes.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import shutil
import tempfile
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reports.errors import RenderError
from reports.integrity import check_pdf
from reports.paths import Paths
from reports.processes import (
    WorkerStopped,
    child_started,
    exit_stopped,
    on_orphan,
    stop_processes,
)
from reports.render.pdf import (
    Paginated,
    atomic_write,
    deferred_numbering,
    part_options,
    render_document,
    warm_up_engine,
    write_pdf,
)


@dataclass(frozen=True)
class PartJob:
    """One part: its HTML, the PDF to write and the ``write_pdf`` options (publication
    variant; the lightest part carries the attachments)."""

    html: str
    out: Path
    options: dict[str, Any] = field(default_factory=dict)
    stylesheets: tuple[str, ...] = ()  # project-relative, after the document's own
    pending: tuple[Path, ...] = ()  # figures being drawn meanwhile: waited for by the layout


def _numbers(counts: Sequence[int]) -> list[tuple[int, int]]:
    """(first folio, total) of each part, from the parts' page counts."""
    total, first, out = sum(counts), 1, []
    for n in counts:
        out.append((first, total))
        first += n
    return out


def _render(job: PartJob, root: Path, ask: Callable[[Paginated], tuple[int, int]]) -> int:
    paths = Paths(root=root)
    with deferred_numbering(ask):
        document = render_document(
            job.html,
            paths,
            base_url=root,
            stylesheets=[root / s for s in job.stylesheets],
            strict=True,  # a WeasyPrint warning is an error (reports.render.guard)
            pending=job.pending,
        )
    write_pdf(document, job.out, **job.options)
    return len(document.pages)


def render_in_process(jobs: Sequence[PartJob], root: Path) -> list[int]:
    """Render ``jobs`` in this process: part *i*, once paginated, renders part *i + 1* before
    its own margin boxes, so the last part knows every count. Returns the page counts."""
    counts: list[int] = []

    def chain(i: int) -> None:
        def ask(doc: Paginated) -> tuple[int, int]:
            counts.append(len(doc))
            if i + 1 < len(jobs):
                chain(i + 1)
            return _numbers(counts)[i]

        _render(jobs[i], root, ask)

    if jobs:
        chain(0)
    return counts


# --- forked processes -------------------------------------------------------------------------
def _send_error(conn, exc: BaseException) -> None:
    if not isinstance(exc, RenderError):
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        exc = RenderError(f"rendering failed: {text}")
    with contextlib.suppress(OSError):  # the other end is gone: nobody to tell
        conn.send(("error", exc))


def _expect(conn, kind: str) -> Any:
    try:
        got, value = conn.recv()
    except EOFError:
        raise RenderError("a rendering process ended unexpectedly") from None
    if got == "error":
        raise value
    if got != kind:
        raise RenderError(f"rendering process protocol: expected {kind!r}, got {got!r}")
    return value


def _helper(conn, job: PartJob, root: Path, parent: int) -> None:
    """Forked from the server: render one part, asking the server for its numbers."""
    child_started(parent)

    def ask(doc: Paginated) -> tuple[int, int]:
        conn.send(("pages", len(doc)))
        return _expect(conn, "numbers")

    try:
        conn.send(("done", _render(job, root, ask)))
    except WorkerStopped:  # stopped (SIGTERM, or the server is gone): exit quietly
        raise
    except BaseException as exc:  # reported to the server, which raises it
        _send_error(conn, exc)


def _serve(conn, caller_end, root: Path, parent: int) -> None:
    """The server process: import WeasyPrint, wait for the jobs, render them."""
    child_started(parent)
    caller_end.close()  # so that the caller closing its end reads as end of file here
    try:
        warm_up_engine(Paths(root=root))
        jobs = conn.recv()
        for folder in {job.out.parent for job in jobs or ()}:
            if folder.name.startswith(".parts-"):  # the caller's, if it is killed
                on_orphan(shutil.rmtree, folder, True)
        if jobs:
            conn.send(("done", _render_forked(jobs, root)))
    except EOFError:  # the caller went away (e.g. the PDF was cached)
        pass
    except WorkerStopped:  # stopped: its helpers were stopped on the way out
        exit_stopped()
    except BaseException as exc:
        _send_error(conn, exc)


def _render_forked(jobs: Sequence[PartJob], root: Path) -> list[int]:
    fork = multiprocessing.get_context("fork")
    helpers = []
    try:
        gc.freeze()  # the helpers' collections never walk (so never copy) the engine they inherit
        try:
            for job in jobs[1:]:
                mine, theirs = fork.Pipe()
                proc = fork.Process(target=_helper, args=(theirs, job, root, os.getpid()))
                proc.start()
                theirs.close()
                helpers.append((proc, mine))
        finally:
            gc.unfreeze()
        counts: list[int] = []

        def ask(doc: Paginated) -> tuple[int, int]:
            counts[:] = [len(doc)] + [_expect(conn, "pages") for _, conn in helpers]
            numbers = _numbers(counts)
            for (_, conn), number in zip(helpers, numbers[1:], strict=True):
                conn.send(("numbers", number))
            return numbers[0]

        _render(jobs[0], root, ask)
        for proc, conn in helpers:
            _expect(conn, "done")
            proc.join()
        return counts
    finally:
        stop_processes([proc for proc, _ in helpers])


class RenderServer:
    """A process with WeasyPrint loaded, started early, that renders the parts of one
    document (:meth:`render`) or is dismissed (:meth:`close`). Use as a context manager."""

    def __init__(self, root: Path) -> None:
        fork = multiprocessing.get_context("fork")
        self._conn, theirs = fork.Pipe()
        self._proc = fork.Process(target=_serve, args=(theirs, self._conn, root, os.getpid()))
        self._proc.start()
        theirs.close()

    def render(self, jobs: Sequence[PartJob], ready: Callable[[], None] | None = None) -> list[int]:
        """Render ``jobs`` (each part written to its ``out``); returns the page counts.
        ``ready`` is called once the jobs are sent (e.g. to wait for the figures the jobs
        list as pending, while the server begins their layout)."""
        try:
            # the server may have ended already: then the error it sent first says why
            with contextlib.suppress(BrokenPipeError):
                self._conn.send(list(jobs))
            if ready is not None:
                ready()
            return _expect(self._conn, "done")
        except BaseException:  # a failure or a stop: the parts are not waited for
            self.close()
            raise
        finally:
            self._conn.close()
            self._proc.join()

    def close(self) -> None:
        """Dismiss the server (idempotent): it has nothing to finish."""
        self._conn.close()
        stop_processes([self._proc])

    def __enter__(self) -> RenderServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def can_fork(workers: int | None) -> bool:
    """Fork rendering processes unless told to stay in one process (``workers=1``)."""
    return (workers or os.cpu_count() or 1) > 1


def render_parts(
    parts: Sequence[str],
    target: Path,
    root: Path,
    options: dict[str, Any],
    stylesheets: Sequence[str] = (),
    server: RenderServer | None = None,
    ready: Callable[[], None] | None = None,
    pending: Sequence[Path] = (),
) -> int:
    """Render the HTML ``parts`` of one document into ``target`` (written atomically) by
    ``server``, or in this process without one; returns the page count. The lightest part
    carries the attachments; the parts' outlines continue the first part's.

    ``pending``: figures still being drawn; ``ready()`` waits for them. With a server, the
    parts' layout begins meanwhile (each part waits for a pending figure when it needs it)."""
    from reports.render.merge import merge_pdfs

    def waiting() -> None:  # while the server lays the parts out
        if ready is not None:
            ready()
        if len(parts) > 1:
            import pikepdf  # noqa: F401  (the merge's, imported here rather than after the parts)

    def run(jobs: list[PartJob]) -> list[int]:
        if server:
            return server.render(jobs, waiting)
        if ready is not None:
            ready()
        return render_in_process(jobs, root)

    extra = tuple(stylesheets)
    waited = tuple(pending) if server else ()
    target.parent.mkdir(parents=True, exist_ok=True)
    if len(parts) == 1:
        return sum(run([PartJob(parts[0], target, options, extra, waited)]))
    # the attachments go with the lightest part (the shortest HTML: in a fiche the opener,
    # laid out long before the page group that follows it); the merged file keeps the first
    # part's metadata
    mine = part_options(options)
    others = {k: v for k, v in mine.items() if k != "attachments"}
    light = min(range(len(parts)), key=lambda i: len(parts[i]))
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".parts-") as tmp:
        jobs = [
            PartJob(
                html, Path(tmp) / f"part-{i}.pdf", mine if i == light else others, extra, waited
            )
            for i, html in enumerate(parts)
        ]
        run(jobs)
        pages = 0

        def merge(out: Path) -> None:
            nonlocal pages
            sources = [job.out for job in jobs]
            tagged = bool(options.get("pdf_variant"))
            pages = merge_pdfs(sources, out, tagged=tagged, continued=range(1, len(sources)))

        atomic_write(target, merge, check=lambda tmp, t: check_pdf(tmp, t, pages=pages))
        return pages
