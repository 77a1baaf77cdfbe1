"""The full atlas: ``atlas build`` → the ~250-page *Atlas régional de la culture*.

Design (speed is part of it):

* The atlas is cut into **units** rendered as separate WeasyPrint documents: the front matter
  (cover, colophon, sommaire, avant-propos, mode d'emploi), the national chapter, the 18
  regional chapters (each one is :func:`reports.content.model.build_chapter` with the *fiche*
  sections, i.e. exactly the fiche of that région), the annexes (sources, definitions,
  methodology) and the annex lists (maps, charts and tables with their folios) + back cover.
* Chapters are built (HTML, figures drawn) in one worker process per core, then units are
  rendered (PDF) in parallel worker processes (``ProcessPoolExecutor``, one per core, plus
  three: see below); figures come from the content-hash cache of :mod:`reports.figures.assets`, so
  unchanged maps and charts are never redrawn, and a chapter's HTML is kept by a digest of
  everything it is made from (:func:`html_key`), so an unchanged chapter is not built again.
* Page counts (and the page of every anchor) do not depend on a unit's first folio, so they
  are cached by a hash of the unit's HTML (``cache/atlas/pages.json``): a warm build knows
  every start up front and renders each unit once, its folios set after pagination
  (:func:`reports.render.pdf.deferred_numbering`).
* A cold build lays the chapters and the annexes out in order without knowing where they
  start: once paginated, a unit posts its page count on a shared-memory :class:`Board` and
  waits for its first folio, posted as soon as every earlier unit's length is known; so no
  unit is laid out twice. The front matter and the annex lists print the folios of
  everything: they are laid out early with guessed folios (in fixed-width boxes) and, once
  every unit is paginated, given the right ones in place (:class:`reports.render.pdf.Numbers`).
  These two and the annexes, laid out early, wait in the extra processes without taking a
  core.
* Every chapter opens on a recto page: each chapter HTML ends with a "Notes" page which is
  dropped after layout when the next unit would start on a recto anyway.
* The unit PDFs are merged with pikepdf (:mod:`reports.render.merge`); WeasyPrint's bookmarks
  (h1 = chapter, h2 = section) are kept, and the result is written atomically. Units are
  tagged (PDF/UA-1) or PDF/A-3b and carry their CSV: their structure trees and attachments
  are merged and the metadata is taken from the first unit.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import reports
from reports import __version__
from reports.content.model import ChapterCtx, DocCtx, FigureCtx, SectionCtx
from reports.content.tables import Row, TableCtx
from reports.data.territories import FRANCE, Territory
from reports.documents.chapter import build_chapter
from reports.documents.fiche import STYLESHEETS, Session, doc_ctx, render_html
from reports.errors import ConfigError, RenderError
from reports.figures.assets import DEFAULT_DPI, resolution
from reports.paths import Paths
from reports.render.merge import cross_link
from reports.render.pdf import (
    DEFAULT_VARIANT,
    Numbers,
    Paginated,
    TextReplaceError,
    atomic_write,
    deferred_numbering,
    part_options,
    preload_engine,
    render_document,
    write_pdf,
)

ATLAS_STYLESHEETS = [*STYLESHEETS, "styles/atlas.css"]
BODY_MARK = "<!--atlas:body-->"
BODY_END = "<!--atlas:/body-->"
CACHE_VERSION = "1"
FRONT, NATIONAL, ANNEXES, LISTS = "front", "national", "annexes", "lists"
#: page budget of ATLAS_SPEC §1, used as a first guess when nothing is cached
BUDGET = {FRONT: 8, NATIONAL: 32, "metro": 12, "drom": 8, ANNEXES: 8, LISTS: 8}


# --- parts of the atlas (layouts.yaml) ---------------------------------------------------------
@dataclass(frozen=True)
class Part:
    id: str
    title: str
    template: str = ""  # front / back parts
    chapter: str = ""  # "france" | "regions" for chapter parts
    sections: tuple[str, ...] = ()
    extras: tuple[dict, ...] = ()  # national chapter: map pages / rankings
    options: dict[str, Any] = field(default_factory=dict)  # other keys, for the template


def atlas_parts(session: Session) -> list[Part]:
    spec = session.layouts.document("atlas")
    parts: list[Part] = []
    for raw in spec.parts:
        pid = str(raw.get("id", ""))
        where = f"{session.paths.layouts}:{raw.get('__line__', '?')}"
        if "sections_from" in raw:
            sections = session.layouts.document(str(raw["sections_from"])).sections
        else:
            sections = tuple(raw.get("sections") or spec.sections)
        for sid in sections:
            if sid not in session.layouts.sections:
                raise ConfigError(f"atlas part {pid!r}: unknown section {sid!r}", where=where)
        template = str(raw.get("template", ""))
        if template and not (session.paths.templates / template).is_file():
            raise ConfigError(f"atlas part {pid!r}: template {template!r} not found", where=where)
        extras = tuple(
            {k: v for k, v in e.items() if k != "__line__"} for e in raw.get("extras") or ()
        )
        parts.append(
            Part(
                id=pid,
                title=str(raw.get("title", pid)),
                template=template,
                chapter=str(raw.get("chapter", "")),
                sections=sections,
                extras=extras,
                options={
                    k: v
                    for k, v in raw.items()
                    if k
                    not in {
                        "__line__",
                        "id",
                        "title",
                        "template",
                        "chapter",
                        "sections",
                        "sections_from",
                        "extras",
                    }
                },
            )
        )
    return parts


def _part(parts: list[Part], chapter: str) -> Part:
    for p in parts:
        if p.chapter == chapter:
            return p
    raise ConfigError(f"atlas document has no part with chapter: {chapter}")


# --- national chapter extras: France maps by département, rankings of the 18 régions ---------
def national_map(session: Session, ind: str, level: str = "departement") -> FigureCtx:
    """Choropleth of France (metro frame + the five DROM insets) for one indicator."""
    from reports.content.present import unit_label
    from reports.figures import assets, catalogue, classify

    store, paths = session.store, session.paths
    vals = store.level_values(ind, level)
    classes = classify.national_breaks(vals.dropna().to_numpy())
    decimals = int(store.info(ind)["decimals"])
    path = assets.render(
        "reports.figures.maps.choropleth_france",
        catalogue.departements(paths),
        vals,
        classes,
        level=level,
        legend_title=unit_label(store, ind),
        so=catalogue.so_codes(store, ind, level),
        decimals=decimals,
        kind="choropleth",
        cache_dir=paths.figures_cache,
    )
    scope = "par département" if level == "departement" else "par région"
    if level == "departement":
        alt = catalogue.describe_choropleth(store, ind, FRANCE)
    else:
        alt = f"Carte des 18 régions : {store.label(ind).lower()} ({unit_label(store, ind)})."
    return FigureCtx(
        id=f"N-{ind}",
        title=f"{store.label(ind)} {scope}",
        src=_src(path, paths),
        alt=alt,
        source=catalogue.source_line(store, (ind,)),
        kind="map",
        size="half",
        path=str(path),
        data=((ind, level),),
    )


def _src(path: Path, paths: Paths) -> str:
    root = paths.root.resolve()
    p = path.resolve()
    return str(p.relative_to(root)) if root in p.parents else p.as_uri()


def ranking_table(session: Session, tid: str, title: str, inds: list[str]) -> TableCtx:
    """18 régions × indicators (value and rank), ordered by the first indicator's rank."""
    from reports.content.present import format_value, rank_text, unit_label

    store = session.store
    regs = [t for t in session.all_territories() if not t.is_france]
    values = {(i, r.code): store.get(i, "region", r.code) for i in inds for r in regs}

    def order(r: Territory) -> tuple[int, str]:
        v = values[(inds[0], r.code)]
        return (v.rank if v.rank is not None else 99, r.code)

    header = ["Région"]
    for i in inds:
        header += [f"{store.label(i)} ({unit_label(store, i)})", "Rang"]
    rows = []
    for r in sorted(regs, key=order):
        cells = [r.name]
        for i in inds:
            v = values[(i, r.code)]
            cells += [format_value(store, v), rank_text(v)]
        rows.append(Row(cells, "drom" if r.kind == "drom" else ""))
    for code, name in (("FRM", "France métropolitaine"), ("DROM", "DROM"), ("FR", "France")):
        cells = [name]
        for i in inds:
            cells += [format_value(store, store.get(i, "france", code)), ""]
        rows.append(Row(cells, "france"))
    from reports.content.tables import _sources

    return TableCtx(
        id=tid,
        title=title,
        header=header,
        rows=rows,
        source=_sources(store, inds),
        notes=["Rang : classement décroissant parmi les régions renseignées (n.d. exclus)."],
        data=tuple((i, "region") for i in inds),
    )


def national_extras(session: Session, extras: Iterable[dict]) -> list[SectionCtx]:
    out: list[SectionCtx] = []
    for n, e in enumerate(extras, 1):
        sec = SectionCtx(
            id=str(e["id"]),
            title=str(e["title"]),
            template="atlas/national_section.html",
            page=str(e.get("page", "map-full")),
            intro=str(e.get("intro", "")),
        )
        for ind in e.get("maps") or ():
            ind, _, level = str(ind).partition("@")
            sec.figures.append(national_map(session, ind, level or "departement"))
        if e.get("ranking"):
            title = str(e.get("ranking_title", f"Classement des 18 régions — {sec.title}"))
            sec.tables.append(ranking_table(session, f"R{n:02d}", title, list(e["ranking"])))
        out.append(sec)
    return out


# --- chapters -------------------------------------------------------------------------------
def chapter(session: Session, parts: list[Part], territory: Territory) -> ChapterCtx:
    """A chapter: the fiche sections of ``territory`` (+ the national extras for France)."""
    part = _part(parts, "france" if territory.is_france else "regions")
    ctx = build_chapter(session.store, session.layouts, part.sections, territory, session.paths)
    if territory.is_france:
        ctx.title = "France entière"
        ctx.running_title = "France entière"
        ctx.anchor = "ch-national"
        extra = national_extras(session, part.extras)
        notes_at = next(
            (i for i, s in enumerate(ctx.sections) if s.template == "sections/notes.html"),
            len(ctx.sections),
        )
        ctx.sections[notes_at:notes_at] = extra
    return ctx


# --- units ----------------------------------------------------------------------------------
@dataclass
class Unit:
    id: str  # front | national | <région code> | annexes | lists
    title: str
    anchor: str
    kind: str  # front | chapter | annexes | lists
    territory: Territory | None = None
    html: str = ""
    key: str = ""  # hash of the HTML (without the folios it prints)
    pages: int = 0  # content pages (without the pad page)
    anchors: dict[str, int] = field(default_factory=dict)  # anchor → page index in unit
    known: str = ""  # "hash" | "actual" | "stale" | "" (budget guess)
    start: int = 0
    pad: bool = False
    rendered: tuple[str, int] | None = None  # (key, start) of the written PDF
    pdf: Path | None = None
    seconds: float = 0.0
    files: tuple = ()  # CSV attachments of a chapter (reports.render.attachments.CsvFile)
    files_key: str = ""  # hash of their names and bytes (part of the unit PDF cache key)


def _units(session: Session) -> list[Unit]:
    units = [Unit(FRONT, "Pages liminaires", "front", "front")]
    units.append(Unit(NATIONAL, "France entière", "ch-national", "chapter", FRANCE))
    for t in session.all_territories():
        if not t.is_france:
            units.append(Unit(t.code, t.name, f"ch-{t.slug}", "chapter", t))
    units.append(Unit(ANNEXES, "Annexes", "annexes", ANNEXES))
    units.append(Unit(LISTS, "Annexes (listes)", "annexe-cartes", LISTS))
    return units


def _budget(u: Unit) -> int:
    if u.territory is None:
        return BUDGET[u.id]
    return BUDGET[NATIONAL] if u.territory.is_france else BUDGET[u.territory.kind]


def atlas_doc(session: Session, parts: list[dict[str, Any]], **extra: Any) -> DocCtx:
    spec = session.layouts.document("atlas")
    doc = doc_ctx(session, "atlas", spec.title, [])
    doc.stylesheets = list(ATLAS_STYLESHEETS)
    doc.extra = {"parts": parts, **extra}
    return doc


def unit_html(session: Session, parts: list[dict[str, Any]], **extra: Any) -> str:
    return render_html(session, "atlas.html", atlas_doc(session, parts, **extra))


def chapter_part(ctx: ChapterCtx) -> dict[str, Any]:
    return {"kind": "chapter", "chapter": ctx}


@dataclass
class Plan:
    """What the front matter and the annexes print: starts and pages of everything."""

    entries: list[dict[str, Any]]  # sommaire lines
    maps: list[dict[str, Any]]  # annex: list of maps
    figures: list[dict[str, Any]]  # annex: list of charts and tables
    html_mode: bool = False  # single HTML: pages by target-counter()
    cover: FigureCtx | None = None
    vintages: str = ""
    licences: list[str] = field(default_factory=list)
    n_indicators: int = 0


def _template_parts(atlas: list[Part], back: bool) -> list[dict[str, Any]]:
    """Front matter parts (before the first chapter) or back parts (after the last one)."""
    chapter_at = [i for i, p in enumerate(atlas) if p.chapter]
    first, last = (chapter_at[0], chapter_at[-1]) if chapter_at else (len(atlas), len(atlas))
    chosen = atlas[last + 1 :] if back else atlas[:first]
    return [
        {"kind": "part", "id": p.id, "title": p.title, "template": p.template, **p.options}
        for p in chosen
        if p.template
    ]


def _front_parts(atlas: list[Part]) -> list[dict[str, Any]]:
    return _template_parts(atlas, back=False)


def _back_parts(atlas: list[Part]) -> list[dict[str, Any]]:
    return _template_parts(atlas, back=True)


def _annex_parts(atlas: list[Part]) -> list[dict[str, Any]]:
    """The first back part (sources, definitions, methodology: no folio of other units)."""
    return _back_parts(atlas)[:1]


def _list_parts(atlas: list[Part]) -> list[dict[str, Any]]:
    """The other back parts: the lists of maps and figures print every chapter's folios."""
    return _back_parts(atlas)[1:]


def annex_context(session: Session) -> dict[str, Any]:
    """Sources & definitions from indicator_meta.csv, grouped by theme."""
    meta = session.store.meta
    themes = {
        "contexte": "Contexte socio-démographique",
        "offre": "Offre culturelle",
        "frequentation": "Fréquentation",
        "depenses": "Dépenses publiques de la culture",
        "emploi": "Emploi et entreprises culturels",
    }
    groups: dict[str, list[dict[str, str]]] = {}
    sources: dict[str, dict[str, Any]] = {}
    for _, m in meta.iterrows():
        theme = themes.get(str(m["theme"]), str(m["theme"]).capitalize())
        groups.setdefault(theme, []).append(
            {
                "id": str(m["id"]),
                "label": str(m["label"]),
                "definition": str(m["definition"]),
                "unit": str(m["unit"]),
                "vintage": str(m["vintage"]),
            }
        )
        s = sources.setdefault(
            str(m["source"]),
            {
                "source": str(m["source"]),
                "vintages": set(),
                "licence": str(m["licence"]),
                "ids": [],
            },
        )
        s["vintages"].add(str(m["vintage"]))
        s["ids"].append(str(m["id"]))
    src_list = [
        {
            "source": s["source"],
            "vintage": ", ".join(sorted(v for v in s["vintages"] if v and v != "nan")),
            "licence": s["licence"],
            "ids": _compact_ids(s["ids"]),
        }
        for s in sources.values()
    ]
    return {"definitions": groups, "sources": src_list}


def _compact_ids(ids: list[str]) -> str:
    base = list(dict.fromkeys(i.split(".")[0].split("_")[0] for i in ids))
    return ", ".join(base)


# --- worker processes -------------------------------------------------------------------------
_SESSION: Session | None = None
_PARTS: list[Part] = []


def _init_worker(
    root: str, data: str | None, cache: str | None, board: Board | None = None
) -> None:
    global _SESSION, _PARTS, _BOARD
    import matplotlib

    _BOARD = board

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
            {"id": f.id, "title": f.title, "kind": f.kind, "anchor": f"{ctx.anchor}-{f.id}"}
            for s in ctx.sections
            for f in s.figures
        ],
        "tables": [
            {"id": t.id, "title": t.title, "anchor": f"{ctx.anchor}-{t.id}"}
            for s in ctx.sections
            for t in s.tables
        ],
        "sections": [{"title": s.title, "anchor": f"{ctx.anchor}-{s.id}"} for s in ctx.sections],
    }
    return unit_id, html, figs, files


@dataclass
class RenderResult:
    unit_id: str
    pages: int  # content pages (pad page excluded)
    anchors: dict[str, int]
    pad: bool
    pdf: str | None
    seconds: float
    start: int  # first folio it was written with


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
        self.directory = Path(tempfile.mkdtemp(prefix="atlas-board-"))
        self.close = weakref.finalize(self, shutil.rmtree, self.directory, True)

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


def _write_json(path: Path, value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False)
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


_BOARD: Board | None = None


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
            document = render_document(html, paths, base_url=paths.root, stylesheets=sheets)
    except TextReplaceError:  # its folios do not fit where it printed guesses: lay out again
        seconds = time.perf_counter() - t0
        return RenderResult(unit_id, layout["pages"], layout["anchors"], False, None, seconds, 0)
    content = layout["pages"]
    pad = pad_allowed and (start + content) % 2 == 0
    if pad_allowed and not pad:
        document = document.copy(document.pages[:content])
    if out:
        write_pdf(document, Path(out), **(options or {}))
    return RenderResult(
        unit_id, content, layout["anchors"], pad, out, time.perf_counter() - t0, start
    )


# --- chapter HTML cache -----------------------------------------------------------------------
#: libraries whose version can change a chapter's HTML (number formatting, figure keys)
_HTML_LIBRARIES = ("jinja2", "pandas", "numpy", "matplotlib", "geopandas", "shapely", "pyproj")
_IMG_SRC = re.compile(r'<img\b[^>]*?\bsrc="([^"]+)"', re.IGNORECASE)


def html_key(paths: Paths, dpi: int, attach: bool) -> str:
    """Digest of everything a chapter's HTML is made from: the derived data, layouts.yaml, the
    templates, the code of the package and the versions of the libraries that format numbers
    or draw figures (a figure's file name is a digest of its inputs)."""
    from importlib.metadata import PackageNotFoundError, version

    h = hashlib.sha256(f"{__version__}|{dpi}|{attach}".encode())
    for name in _HTML_LIBRARIES:
        try:
            h.update(f"|{name}={version(name)}".encode())
        except PackageNotFoundError:
            h.update(f"|{name}=-".encode())
    package = Path(reports.__file__).resolve().parent
    for root in (paths.data, paths.templates, package):
        for f in sorted(root.rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts:
                h.update(f"\n{f.relative_to(root)}\n".encode())
                h.update(f.read_bytes())
    h.update(paths.layouts.read_bytes())
    return h.hexdigest()[:32]


def _cached_html(directory: Path, key: str, unit_id: str, paths: Paths) -> tuple | None:
    """A chapter's (id, HTML, figure list, CSV files) kept for ``key``, if every image it
    shows is still there (a cleared figure cache makes the chapter build again)."""
    try:
        result = pickle.loads((directory / f"{key}-{unit_id}.pickle").read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    for src in _IMG_SRC.findall(result[1]):
        url = urlparse(src)
        if url.scheme == "data":
            continue
        path = Path(unquote(url.path)) if url.scheme == "file" else paths.root / src
        if not path.is_file():
            return None
    return result


def _keep_html(directory: Path, key: str, result: tuple) -> None:
    data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    atomic_write(directory / f"{key}-{result[0]}.pickle", lambda tmp: tmp.write_bytes(data))


def _prune_html(directory: Path, key: str) -> None:
    """Drop the chapters kept for other keys (older data, templates or code)."""
    for f in directory.glob("*.pickle"):
        if not f.name.startswith(f"{key}-"):
            f.unlink(missing_ok=True)


# --- page-count cache -------------------------------------------------------------------------
class PageCache:
    """Content hash → (pages, anchors); unit id → last (pages, anchors) as a guess."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = {"version": CACHE_VERSION, "by_hash": {}, "by_unit": {}}
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if data.get("version") == CACHE_VERSION:
                    self.data = data
            except (OSError, ValueError):
                pass

    def lookup(self, u: Unit) -> None:
        hit = self.data["by_hash"].get(u.key)
        if hit:
            u.pages, u.anchors, u.known = hit["pages"], hit["anchors"], "hash"
            return
        stale = self.data["by_unit"].get(u.id)
        if stale:
            u.pages, u.anchors, u.known = stale["pages"], stale["anchors"], "stale"
        else:
            u.pages, u.anchors, u.known = _budget(u), {}, ""

    def store(self, u: Unit) -> None:
        entry = {"pages": u.pages, "anchors": u.anchors}
        self.data["by_hash"][u.key] = entry
        self.data["by_unit"][u.id] = entry

    def save(self) -> None:
        by_hash = self.data["by_hash"]
        if len(by_hash) > 400:  # keep the cache small: drop the oldest entries
            for k in list(by_hash)[: len(by_hash) - 400]:
                del by_hash[k]
        text = json.dumps(self.data, ensure_ascii=False, sort_keys=False)
        atomic_write(self.path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _hash(text: str, salt: str = "") -> str:
    return hashlib.sha256((salt + text).encode("utf-8")).hexdigest()[:24]


def _files_key(files: Iterable[Any]) -> str:
    """Hash of attachments' names and bytes (part of a unit PDF's cache key)."""
    h = hashlib.sha256()
    for f in files:
        h.update(f"{f.name}\0{len(f.data)}\0".encode())
        h.update(f.data)
    return h.hexdigest()[:24]


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


def _layout(units: list[Unit]) -> None:
    """Starts and pads from the current page counts (every chapter starts recto)."""
    page = 1
    for i, u in enumerate(units):
        u.start = page
        page += u.pages
        nxt = units[i + 1] if i + 1 < len(units) else None
        u.pad = nxt is not None and page % 2 == 0
        if u.pad:
            page += 1


def _plan(session: Session, units: list[Unit], figs: dict[str, dict[str, Any]]) -> Plan:
    by_id = {u.id: u for u in units}

    def folio(unit: Unit, anchor: str) -> int | None:
        idx = unit.anchors.get(anchor)
        return None if idx is None else unit.start + idx

    def item(unit: Unit, f: dict[str, Any]) -> dict[str, Any]:  # a line of an annex list
        return dict(f, page=folio(unit, f["anchor"]) or 0, href=cross_link(f["anchor"]))

    entries: list[dict[str, Any]] = []
    front = by_id[FRONT]
    for anchor, title in (("avant-propos", "Avant-propos"), ("mode-emploi", "Mode d'emploi")):
        entries.append(
            {"level": 1, "title": title, "page": folio(front, anchor) or 0, "anchor": anchor}
        )
    for u in units:
        if u.kind != "chapter":
            continue
        info = figs[u.id]
        entries.append(
            {
                "level": 1,
                "title": info["chapter"],
                "page": u.start,
                "anchor": u.anchor,
                "kind": u.territory.kind if u.territory else "",
            }
        )
        if u.id == NATIONAL:
            for s in info["sections"]:
                entries.append(
                    {
                        "level": 2,
                        "title": s["title"],
                        "page": folio(u, s["anchor"]) or u.start,
                        "anchor": s["anchor"],
                    }
                )
    ann, lists = by_id[ANNEXES], by_id[LISTS]
    entries.append({"level": 1, "title": "Annexes", "page": ann.start, "anchor": "annexes"})
    for anchor, title in ANNEX_SECTIONS:
        page = folio(ann, anchor) or folio(lists, anchor) or ann.start
        entries.append({"level": 2, "title": title, "page": page, "anchor": anchor})
    maps, charts = [], []
    for u in units:
        if u.kind != "chapter":
            continue
        info = figs[u.id]
        m = [item(u, f) for f in info["figures"] if f["kind"] == "map"]
        c = [item(u, f) for f in info["figures"] if f["kind"] != "map"]
        t = [item(u, f) for f in info["tables"]]
        maps.append({"chapter": info["chapter"], "items": m})
        charts.append({"chapter": info["chapter"], "items": c + t})
    for e in entries:  # the sommaire links to every entry (resolved when units are merged)
        e["href"] = cross_link(e["anchor"])
    return Plan(entries, maps, charts, **_static_plan(session))


_STATIC: dict[str, Any] = {}


def _static_plan(session: Session) -> dict[str, Any]:
    """Cover map, vintages and licences (the same for every pass)."""
    if not _STATIC:
        from reports.figures import catalogue

        meta = session.store.meta
        vintages = sorted({str(v) for v in meta["vintage"] if str(v) and str(v) != "nan"})
        licences = sorted({str(v) for v in meta["licence"] if str(v) and str(v) != "nan"})
        _STATIC.update(
            cover=catalogue.figure_context("M01", session.store, FRANCE, session.paths),
            vintages=", ".join(vintages),
            licences=licences,
            n_indicators=len(meta),
        )
    return dict(_STATIC)


ANNEX_SECTIONS = (
    ("annexe-sources", "Sources et définitions"),
    ("annexe-methodologie", "Méthodologie"),
    ("annexe-cartes", "Liste des cartes"),
    ("annexe-figures", "Liste des graphiques et tableaux"),
    ("annexe-sigles", "Sigles et abréviations"),
)


def _front_html(session: Session, atlas: list[Part], plan: Plan) -> str:
    return unit_html(
        session,
        _front_parts(atlas),
        pad=True,
        running="",
        plan=plan,
        settings=_settings(session),
    )


def _annex_html(session: Session, atlas: list[Part], plan: Plan | None = None) -> str:
    """The annexes without the lists (they print no folio of other units)."""
    return _back_html(session, _annex_parts(atlas), plan, pad=True)


def _lists_html(session: Session, atlas: list[Part], plan: Plan) -> str:
    """The annex lists and the back cover: the last unit, no pad page."""
    return _back_html(session, _list_parts(atlas), plan, pad=False)


def _back_html(session: Session, parts: list[dict[str, Any]], plan: Plan | None, pad: bool) -> str:
    return unit_html(
        session,
        parts,
        pad=pad,
        running="Annexes",
        plan=plan,
        annex=annex_context(session),
        settings=_settings(session),
    )


def _settings(session: Session) -> dict[str, Any]:
    s = dict(session.layouts.settings)
    s.setdefault("year", "2026")
    return s


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

    ``print_`` (issue 7, ``atlas build --print``): 3 mm bleed and crop marks on every page.
    ``variant`` (issue 7): ``tagged`` (PDF/UA-1, default), ``pdfa`` (PDF/A-3b) or ``plain``;
    tagged and archival atlases carry the CSV of every chapter section as attachments, and
    their unit structure trees are merged into one (:mod:`reports.render.merge`).
    """
    from reports.documents.fiche import (
        check_publication,
        figure_dpi,
        pdf_options,
        print_stylesheets,
        styles_digest,
    )

    check_publication(html, variant, print_)
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
    units = _units(session)
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
        # 1. chapter HTML (figures drawn or fetched from the cache) in parallel, one process
        # per core (drawing is CPU-bound; only these import the drawing stack)
        by_id = {u.id: u for u in units}
        html_dir, hkey = paths.cache / "atlas" / "html", html_key(paths, dpi, attach)

        def chapter_ready(result: tuple, state: str = "HTML prêt") -> None:
            uid, text, info, files = result
            u = by_id[uid]
            u.html, u.key, figs[uid] = text, _hash(text, css), info
            u.files, u.files_key = files, _files_key(files)
            cache.lookup(u)
            bar.step(uid, state)

        pending = []
        for u in units:
            if u.kind == "chapter":
                kept = _cached_html(html_dir, hkey, u.id, paths)
                if kept is None:
                    pending.append(u)
                else:
                    chapter_ready(kept, "HTML (cache)")
        built = len(pending)
        html_futs: set[Future] = set()
        with (
            ProcessPoolExecutor(workers, initializer=_init_worker, initargs=initargs)
            if pending
            else nullcontext()
        ) as html_pool:
            while pending or html_futs:
                while pending and len(html_futs) < workers:
                    html_futs.add(
                        html_pool.submit(task_chapter_html, pending.pop(0).id, dpi, attach)
                    )
                if not html:  # meanwhile, WeasyPrint is imported once for all layout processes
                    preload_engine()
                done_html, html_futs = wait(html_futs, return_when=FIRST_COMPLETED)
                for fut in done_html:
                    result = fut.result()
                    _keep_html(html_dir, hkey, result)
                    chapter_ready(result)
        _prune_html(html_dir, hkey)
        if not html:
            preload_engine()  # (if no chapter was built) before the layout processes fork
        if log:
            log(f"chapter HTML ready at {time.perf_counter() - t0:.1f} s")
        if html:
            text = _single_html(session, atlas, units, figs)
            atomic_write(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))
            for u in units:
                bar.step(u.id, "écrit", done=True)
            return AtlasReport(target, 0, time.perf_counter() - t0, 0, 0, units, built)

        # 2. lay out / render until every offset is right, in processes forked now (they
        # share the WeasyPrint modules loaded above)
        pool = stack.enter_context(
            ProcessPoolExecutor(processes, initializer=_init_worker, initargs=initargs)
        )

        def unit_key(u: Unit) -> str:  # what shapes a unit PDF, except its start
            return _hash(u.html, f"{css}{suffix}{u.files_key}")

        def numbered(u: Unit) -> str:  # the front matter or the lists, with every folio
            plan = _plan(session, units, figs)
            return (_front_html if u.id == FRONT else _lists_html)(session, atlas, plan)

        pdf_dir = paths.cache / "atlas" / "pdf"
        pdf_dir.mkdir(parents=True, exist_ok=True)
        for _ in range(6):
            passes += 1
            # the front matter and the annex lists print the plan; their own length shifts
            # it: twice. The rest of the annexes prints no folio.
            for _step in range(2):
                _layout(units)
                plan = _plan(session, units, figs)
                for u, text in (
                    (by_id[FRONT], _front_html(session, atlas, plan)),
                    (by_id[ANNEXES], by_id[ANNEXES].html or _annex_html(session, atlas)),
                    (by_id[LISTS], _lists_html(session, atlas, plan)),
                ):
                    key = _hash(_strip_numbers(text), css)
                    if key != u.key or not u.html:
                        u.key = key
                        cache.lookup(u)
                    u.html = text
            _layout(units)
            settled = _certain(units) == {u.id for u in units}
            todo = []
            for u in units:
                if u.rendered == (unit_key(u), u.start):
                    continue
                cached = pdf_dir / f"{unit_key(u)}-{u.start}{suffix}.pdf"
                # an unchanged unit with the same start (the front matter and the lists also
                # print the folios of others: reused only once every length is certain)
                reusable = settled or u.kind not in (FRONT, LISTS)
                if u.known == "hash" and cached.is_file() and reusable:
                    u.pdf, u.rendered = cached, (unit_key(u), u.start)
                    u.pad = u.kind != LISTS and (u.start + u.pages) % 2 == 0
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
                    _layout(units)
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
                        part_options(pdf_options(session, variant, u.files)),
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
                    u.rendered = (unit_key(u), start)
                    bar.step(u.id, f"{u.pages} p. (p. {start})", done=True)
            # a unit written with a start that later proved wrong is rendered again
            _layout(units)
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
        _prune(pdf_dir, {u.pdf for u in units if u.pdf})
    if log:
        log(f"{passes} passes, {renders} renders; render seconds by unit:")
        log("  " + ", ".join(f"{u.id} {u.seconds:.1f}" for u in units if u.seconds))
    return AtlasReport(target, total, time.perf_counter() - t0, passes, renders, units, built)


def _prune(pdf_dir: Path, keep: set[Path]) -> None:
    """Keep only the unit PDFs of the last build (bounded cache)."""
    for f in pdf_dir.glob("*.pdf"):
        if f not in keep:
            f.unlink(missing_ok=True)


_NUMBER = r'data-page="(\d+)">\d+<'


def _strip_numbers(text: str) -> str:
    """Front / annex HTML without page numbers: its page count does not depend on them."""
    import re

    return re.sub(_NUMBER, 'data-page="">0<', text)


def _printed_numbers(text: str) -> list[str]:
    """The folios of the ``[data-page]`` elements of a unit's HTML, in document order."""
    import re

    return re.findall(_NUMBER, text)


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
    _layout(units)
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
            same = _strip_numbers(text) == _strip_numbers(u.html)
            # other content (not only other folios): no text fits, the unit is laid out again
            texts = _printed_numbers(text) if same else []
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

    atomic_write(target, write)
    return pages


def _body(text: str) -> str:
    """Inner body of a unit's HTML, without its pad page."""
    import re

    inner = text.split(BODY_MARK, 1)[1].split(BODY_END, 1)[0]
    return re.sub(r"<!--atlas:pad-->.*?<!--atlas:/pad-->", "", inner, flags=re.S)


def _single_html(
    session: Session, atlas: list[Part], units: list[Unit], figs: dict[str, dict[str, Any]]
) -> str:
    """The whole atlas as one HTML document (sommaire by ``target-counter``)."""
    plan = _plan(session, units, figs)
    plan.html_mode = True
    front = unit_html(
        session,
        _front_parts(atlas),
        pad=False,
        running="",
        plan=plan,
        settings=_settings(session),
    )
    bodies = [_body(u.html) for u in units if u.kind == "chapter"]
    bodies.append(_body(_annex_html(session, atlas, plan)))
    bodies.append(_body(_lists_html(session, atlas, plan)))
    head, tail = front.split(BODY_END, 1)
    return head + "\n".join(bodies) + BODY_END + tail
