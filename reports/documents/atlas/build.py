"""``atlas build``: chapter HTML in parallel, then the units laid out in parallel until
every folio is right, then merged (see :mod:`reports.documents.atlas`)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports import __version__
from reports.documents.atlas.caches import (
    PageCache,
    cached_html,
    cached_unit_pdf,
    files_key,
    html_key,
    keep_html,
    keep_unit_pdf,
    prune_html,
    prune_pdfs,
    text_hash,
)
from reports.documents.atlas.parts import ANNEXES, FRONT, LISTS, atlas_parts
from reports.documents.atlas.units import (
    Unit,
    annex_html,
    atlas_units,
    front_html,
    lists_html,
    make_plan,
    place_units,
    printed_numbers,
    single_html,
    strip_numbers,
)
from reports.documents.atlas.workers import (
    Board,
    RenderResult,
    init_worker,
    task_chapter_html,
    task_cover,
    task_render,
)
from reports.documents.session import Session
from reports.errors import RenderError
from reports.figures.assets import resolution
from reports.integrity import check_pdf
from reports.processes import worker_pool
from reports.render.pdf import (
    DEFAULT_VARIANT,
    atomic_write,
    part_options,
    preload_engine,
)


# --- progress ---------------------------------------------------------------------------------
class Progress:
    """One bar per unit on a terminal (rich); nothing when stderr is not a TTY."""

    def __init__(self, units: list[Unit], enabled: bool | None = None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress

        console = Console(stderr=True)
        self.enabled = console.is_terminal if enabled is None else enabled
        self.bar = RichProgress(
            TextColumn("{task.description:<28}"),
            BarColumn(bar_width=24),
            TextColumn("{task.fields[state]}"),
            TimeElapsedColumn(),
            console=console,
            disable=not self.enabled,
            transient=False,
        )
        self.tasks = {u.id: self.bar.add_task(u.title, total=3, state="en attente") for u in units}

    def __enter__(self) -> Progress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)

    def step(self, unit_id: str, state: str, advance: float = 1, done: bool = False) -> None:
        task = self.tasks[unit_id]
        if done:
            self.bar.update(task, completed=3, state=state)
        else:
            self.bar.update(task, advance=advance, state=state)


# --- orchestration ----------------------------------------------------------------------------
@dataclass
class AtlasReport:
    path: Path
    pages: int
    seconds: float
    passes: int
    renders: int
    units: list[Unit]
    chapters_built: int = 0  # chapter HTML built (the others came from the cache)


def build_atlas(
    session: Session | None = None,
    out: Path | None = None,
    *,
    html: bool = False,
    workers: int | None = None,
    progress: bool | None = None,
    log: Callable[[str], None] | None = None,
    print_: bool = False,
    variant: str = DEFAULT_VARIANT,
) -> AtlasReport:
    """Build the atlas PDF (or, with ``html=True``, the whole atlas as one HTML file).

    ``print_`` (issue 7, ``atlas build --print``): PDF/X-4, 3 mm bleed and crop marks on every
    page. ``variant`` (issue 7): ``tagged`` (PDF/UA-1, default), ``pdfa`` (PDF/A-3a and
    PDF/UA-1, issue 18) or ``plain``;
    tagged and archival atlases carry the CSV of every chapter section as attachments, and
    their unit structure trees are merged into one (:mod:`reports.render.merge`).
    """
    from reports.documents.publication import (
        check_publication,
        figure_dpi,
        pdf_options,
        print_stylesheets,
        publication_variant,
        styles_digest,
    )

    check_publication(html, variant, print_)
    edition = publication_variant(variant, print_)  # the PDF variant written
    extra_css = tuple(print_stylesheets(print_))
    suffix = f"-{variant}" + ("-print" if print_ else "")  # each edition cached apart
    attach = variant != "plain"
    t0 = time.perf_counter()
    session = session or Session.open()
    paths = session.paths
    # unit layouts and PDFs depend on the stylesheets too: salt every cache key with them
    css = styles_digest(paths)
    target = out or paths.output / ("atlas.html" if html else "atlas.pdf")
    atlas = atlas_parts(session)
    units = atlas_units(session)
    workers = max(1, workers or os.cpu_count() or 1)
    # three processes more than cores: the annexes, the annex lists and the front matter, laid
    # out early, wait there for their start (and folios) without taking a core
    processes = workers + 3
    cache = PageCache(paths.cache / "atlas" / "pages.json")
    figs: dict[str, dict[str, Any]] = {}
    renders = 0
    passes = 0
    board = Board(len(units))
    slots = {u.id: i for i, u in enumerate(units)}
    initargs = (
        str(paths.root),
        os.environ.get("ATLAS_DATA"),
        os.environ.get("ATLAS_CACHE"),
        board,
    )
    dpi = figure_dpi(print_)
    with (
        resolution(dpi),  # the cover map is drawn here
        Progress(units, progress) as bar,
        ExitStack() as stack,
    ):
        stack.callback(board.close)  # once every worker has stopped (the pools exit first)
        # 1. chapter HTML (figures drawn or fetched from the cache) in parallel, one process
        # per core (drawing is CPU-bound; only these import the drawing stack)
        by_id = {u.id: u for u in units}
        html_dir, hkey = paths.cache / "atlas" / "html", html_key(paths, dpi, attach)

        def chapter_ready(result: tuple, state: str = "HTML prêt") -> None:
            uid, text, info, files = result
            u = by_id[uid]
            u.html, u.key, figs[uid] = text, text_hash(text, css), info
            u.files, u.files_key = files, files_key(files)
            cache.lookup(u)
            bar.step(uid, state)

        pending = []
        for u in units:
            if u.kind == "chapter":
                kept = cached_html(html_dir, hkey, u.id, paths)
                if kept is None:
                    pending.append(u)
                else:
                    chapter_ready(kept, "HTML (cache)")
        built = len(pending)
        html_futs: set[Future] = set()
        cover: list[Future] = []  # the cover map, drawn by a worker once the chapters are sent
        with worker_pool(workers, init_worker, initargs) if pending else nullcontext() as html_pool:
            while pending or html_futs:
                while pending and len(html_futs) < workers:
                    html_futs.add(
                        html_pool.submit(task_chapter_html, pending.pop(0).id, dpi, attach)
                    )
                if not pending and not cover:
                    cover.append(html_pool.submit(task_cover, dpi))
                if not html:  # meanwhile, WeasyPrint is imported once for all layout processes
                    preload_engine()
                done_html, html_futs = wait(html_futs, return_when=FIRST_COMPLETED)
                for fut in done_html:
                    result = fut.result()
                    keep_html(html_dir, hkey, result)
                    chapter_ready(result)
            for fut in cover:
                fut.result()  # (its error, if any, is the atlas's)
        prune_html(html_dir, hkey)
        if not html:
            preload_engine()  # (if no chapter was built) before the layout processes fork
        if log:
            log(f"chapter HTML ready at {time.perf_counter() - t0:.1f} s")
        if html:
            text = single_html(session, atlas, units, figs)
            atomic_write(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))
            for u in units:
                bar.step(u.id, "écrit", done=True)
            return AtlasReport(target, 0, time.perf_counter() - t0, 0, 0, units, built)

        # 2. lay out / render until every offset is right, in processes forked now (they
        # share the WeasyPrint modules loaded above)
        pool = stack.enter_context(worker_pool(processes, init_worker, initargs))

        def unit_key(u: Unit) -> str:  # what shapes a unit PDF, except its start
            return text_hash(u.html, f"{css}{suffix}{u.files_key}")

        def numbered(u: Unit) -> str:  # the front matter or the lists, with every folio
            plan = make_plan(session, units, figs)
            return (front_html if u.id == FRONT else lists_html)(session, atlas, plan)

        pdf_dir = paths.cache / "atlas" / "pdf"
        pdf_dir.mkdir(parents=True, exist_ok=True)
        for _ in range(6):
            passes += 1
            # the front matter and the annex lists print the plan; their own length shifts
            # it: twice. The rest of the annexes prints no folio.
            for _step in range(2):
                place_units(units)
                plan = make_plan(session, units, figs)
                for u, text in (
                    (by_id[FRONT], front_html(session, atlas, plan)),
                    (by_id[ANNEXES], by_id[ANNEXES].html or annex_html(session, atlas)),
                    (by_id[LISTS], lists_html(session, atlas, plan)),
                ):
                    key = text_hash(strip_numbers(text), css)
                    if key != u.key or not u.html:
                        u.key = key
                        cache.lookup(u)
                    u.html = text
            place_units(units)
            settled = _certain(units) == {u.id for u in units}
            todo = []
            for u in units:
                if u.rendered == (unit_key(u), u.start):
                    continue
                cached = pdf_dir / f"{unit_key(u)}-{u.start}{suffix}.pdf"
                # an unchanged unit with the same start (the front matter and the lists also
                # print the folios of others: reused only once every length is certain)
                reusable = settled or u.kind not in (FRONT, LISTS)
                pad = u.kind != LISTS and (u.start + u.pages) % 2 == 0
                # its digest and page count checked: a damaged unit PDF is rendered again
                if u.known == "hash" and reusable and cached_unit_pdf(cached, u.pages + pad):
                    u.pdf, u.rendered = cached, (unit_key(u), u.start)
                    u.pad = pad
                    bar.step(u.id, f"{u.pages} p. (p. {u.start}, cache)", done=True)
                    continue
                todo.append(u)
            if not todo:
                if all(u.rendered for u in units):
                    break
                continue
            if log:
                log(
                    f"pass {passes}: {len(todo)} units ({', '.join(u.id for u in todo)}) "
                    f"at {time.perf_counter() - t0:.1f} s"
                )
            # the annex lists and the annexes (the longest units) first, then the front
            # matter and the chapters in order, at most one task per process. Every unit is
            # written at once: once paginated, it waits for its first folio, posted as soon
            # as every earlier unit's length is known (a chapter never waits long; the
            # others wait in the extra processes, without taking a core). The front matter
            # and the annex lists, unless everything was known, are laid out with guessed
            # folios and told the right ones once every unit is paginated. No unit is laid
            # out twice.
            queue = sorted(todo, key=lambda x: {LISTS: 0, ANNEXES: 1, FRONT: 2}.get(x.kind, 3))
            futs: dict[Future, Unit] = {}
            waiting: list[Unit] = []  # units laid out in a worker, start not posted yet
            while queue or futs:
                # one layout per core (and one more, to cover the writing): a unit that has
                # posted its pages only waits, it does not count
                while queue and len(futs) < processes and _busy(futs, board, slots) <= workers:
                    place_units(units)
                    u = queue.pop(0)
                    deferred = not settled or u.kind in ("chapter", ANNEXES)
                    start = "any" if deferred else str(u.start)
                    pdf = pdf_dir / f"{unit_key(u)}-{start}{suffix}.pdf"
                    board.clear(slots[u.id])
                    if deferred:
                        waiting.append(u)
                    fut = pool.submit(
                        task_render,
                        u.id,
                        u.html,
                        u.start,
                        u.kind != LISTS,  # the last unit has no pad page
                        str(pdf),
                        str(paths.root),
                        extra_css,
                        part_options(pdf_options(session, edition, u.files)),
                        slots[u.id] if deferred else None,
                    )
                    futs[fut] = u
                _post_starts(units, waiting, board, slots, numbered)
                done, _pending = wait(futs, timeout=0.01, return_when=FIRST_COMPLETED)
                for fut in done:
                    u = futs.pop(fut)
                    try:
                        res: RenderResult = fut.result()
                    except BaseException:
                        board.abort()
                        raise
                    start = res.start
                    renders += 1
                    changed = (u.pages, u.anchors) != (res.pages, res.anchors)
                    if log and u.known == "hash" and changed:
                        log(f"  {u.id}: cached layout {u.pages} p. differs from {res.pages} p.")
                    u.pages, u.anchors, u.known = res.pages, res.anchors, "actual"
                    u.seconds += res.seconds
                    cache.store(u)
                    if res.pdf is None:
                        bar.step(u.id, f"{u.pages} p., mise en page", advance=1)
                        continue
                    u.pdf, u.pad = Path(res.pdf), res.pad
                    if u.pdf.name != f"{unit_key(u)}-{start}{suffix}.pdf":  # start was asked
                        u.pdf = u.pdf.replace(pdf_dir / f"{unit_key(u)}-{start}{suffix}.pdf")
                    keep_unit_pdf(u.pdf, u.pages + u.pad)  # its digest, for the next build
                    u.rendered = (unit_key(u), start)
                    bar.step(u.id, f"{u.pages} p. (p. {start})", done=True)
            # a unit written with a start that later proved wrong is rendered again
            place_units(units)
            for u in units:
                if u.rendered and u.rendered[1] != u.start:
                    if log:
                        log(f"  {u.id}: start {u.rendered[1]} → {u.start}, render again")
                    u.rendered = None
        else:
            raise RenderError("atlas pagination did not converge")
        cache.save()
        if log:
            cpu = time.process_time()
            log(f"merge at {time.perf_counter() - t0:.1f} s (this process: {cpu:.1f} s of CPU)")
        pool.shutdown(wait=False)  # the workers exit while the units are merged
        total = _merge(session, units, target, variant)
        prune_pdfs(pdf_dir, {u.pdf for u in units if u.pdf})
    if log:
        log(f"{passes} passes, {renders} renders; render seconds by unit:")
        log("  " + ", ".join(f"{u.id} {u.seconds:.1f}" for u in units if u.seconds))
    return AtlasReport(target, total, time.perf_counter() - t0, passes, renders, units, built)


def _busy(futs: dict[Future, Unit], board: Board, slots: dict[str, int]) -> int:
    """Units being laid out (those that posted their page count only wait, or write)."""
    return sum(1 for u in futs.values() if not board.pages[slots[u.id]])


def _post_starts(
    units: list[Unit],
    waiting: list[Unit],
    board: Board,
    slots: dict[str, int],
    numbered: Callable[[Unit], str],
) -> None:
    """Post the first folio of every waiting unit whose earlier units all have a known
    length (page counts posted by the workers count as known); the front matter and the
    annex lists, which print folios of every unit, wait for every unit's pages and anchors
    and are told their folios too (``numbered``: their HTML with the right ones)."""
    if not waiting:
        return
    for u in waiting:
        posted = board.posted(slots[u.id])
        if posted:
            (u.pages, u.anchors), u.known = posted, "actual"
    place_units(units)
    certain = _certain(units)
    everything = all(u.known in {"hash", "actual"} for u in units)
    for u in list(waiting):
        if not board.pages[slots[u.id]] or u.id not in certain:
            continue
        texts = None
        if u.kind in (FRONT, LISTS):
            if not everything:
                continue
            text = numbered(u)
            same = strip_numbers(text) == strip_numbers(u.html)
            # other content (not only other folios): no text fits, the unit is laid out again
            texts = printed_numbers(text) if same else []
            u.html = text
        board.post_start(slots[u.id], u.start, texts)
        waiting.remove(u)


def _certain(units: list[Unit]) -> set[str]:
    """Units whose start is certain (every earlier page count known by content hash or by
    layout): they are written; the others are only laid out to learn their page count."""
    out: set[str] = set()
    ok = True
    for u in units:
        if ok:
            out.add(u.id)
        # the front matter has a fixed length by construction (atlas.css), not a guess
        ok = ok and (u.known in {"hash", "actual"} or u.id == FRONT)
    return out


def _merge(session: Session, units: list[Unit], target: Path, variant: str = "plain") -> int:
    """Concatenate the unit PDFs (outline and links kept); a tagged or archival atlas gets one
    merged structure tree, the attachments of every unit and the metadata of the first
    (:mod:`reports.render.merge`)."""
    from reports.render.merge import merge_pdfs

    spec = session.layouts.document("atlas")
    info = {
        "/Title": f"{spec.title} — {session.setting('edition')}",
        "/Author": session.setting("author"),
        "/Subject": "Statistiques culturelles régionales",
        "/Creator": f"atlas (reports {__version__})",
        "/Producer": "WeasyPrint + pikepdf",
    }
    sources = [u.pdf for u in units if u.pdf is not None]
    assert len(sources) == len(units), "every unit is rendered before the merge"
    pages = 0

    def write(tmp: Path) -> None:
        nonlocal pages
        pages = merge_pdfs(
            sources,
            tmp,
            tagged=variant != "plain",
            info=info,
            lang="fr",
            continued=[i for i, u in enumerate(units) if u.kind == LISTS],
        )
        tmp.chmod(0o644)

    # the merged PDF replaces the last atlas only if it opens, with every unit's pages
    expected = sum(u.pages + u.pad for u in units)
    atomic_write(target, write, check=lambda tmp, t: check_pdf(tmp, t, pages=expected))
    return pages
