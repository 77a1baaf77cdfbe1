"""What the atlas holds, from ``layouts.yaml``: its parts, the national chapter's extras
(France maps by département, rankings of the 18 régions) and a chapter of a territory."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reports import edition
from reports.content.model import ChapterCtx, FigureCtx, SectionCtx
from reports.content.present import source_line
from reports.content.tables import Row, TableCtx, column_label
from reports.data.territories import FRANCE, Territory
from reports.documents import compare
from reports.documents.chapter import build_chapter, chapter_sources, number_chapter
from reports.documents.session import STYLESHEETS, Session
from reports.errors import ConfigError
from reports.paths import Paths

ATLAS_STYLESHEETS = [*STYLESHEETS, "styles/atlas.css"]
BODY_MARK = "<!--atlas:body-->"
BODY_END = "<!--atlas:/body-->"


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


def part_for(parts: list[Part], chapter: str) -> Part:
    for p in parts:
        if p.chapter == chapter:
            return p
    raise ConfigError(f"atlas document has no part with chapter: {chapter}")


# --- national chapter extras: France maps by département, rankings of the 18 régions ---------
def national_map(session: Session, ind: str, level: str = "departement") -> FigureCtx:
    """Choropleth of France (metro frame + the five DROM insets) for one indicator."""
    from reports.content.present import unit_label
    from reports.figures import assets, describe, draw, inputs, style

    store, paths = session.store, session.paths
    vals = store.level_values(ind, level)
    classes = draw.national_classes(store, ind, level)
    decimals = int(store.info(ind)["decimals"])
    path = assets.render(
        "reports.figures.choropleth.choropleth_france",
        inputs.departements(paths),
        vals,
        classes,
        level=level,
        legend_title=unit_label(store, ind),
        so=inputs.so_codes(store, ind, level),
        decimals=decimals,
        width=style.slot_width("half"),
        kind="choropleth",
        cache_dir=paths.figures_cache,
    )
    scope = "par département" if level == "departement" else "par région"
    if level == "departement":
        alt = describe.describe_choropleth(store, ind, FRANCE)
    else:
        alt = describe.describe_choropleth_region_level(store, ind)
    return FigureCtx(
        id=f"N-{ind}",
        title=f"{store.label(ind)} {scope}",
        src=_src(path, paths),
        alt=alt,
        source=source_line(store, (ind,)),
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
    from reports.content.present import format_value, rank_text

    store = session.store
    regs = [t for t in session.all_territories() if not t.is_france]
    values = {(i, r.code): store.get(i, "region", r.code) for i in inds for r in regs}

    def order(r: Territory) -> tuple[int, str]:
        v = values[(inds[0], r.code)]
        return (v.rank if v.rank is not None else 99, r.code)

    header = ["Région"]
    for i in inds:
        header += [column_label(store, i), "Rang"]
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
    return TableCtx(
        id=tid,
        title=title,
        header=header,
        rows=rows,
        source=source_line(store, inds),
        notes=["Rang : classement décroissant parmi les régions renseignées (n.d. exclus)."],
        data=tuple((i, "region") for i in inds),
    )


def national_extras(session: Session, extras: Iterable[dict]) -> list[SectionCtx]:
    out: list[SectionCtx] = []
    text = edition.current().text  # "{spending}" → the edition's year, as in every layout text
    for n, e in enumerate(extras, 1):
        sec = SectionCtx(
            id=str(e["id"]),
            title=text(str(e["title"])),
            template="atlas/national_section.html",
            page=str(e.get("page", "map-full")),
            intro=text(str(e.get("intro", ""))),
        )
        for ind in e.get("maps") or ():
            ind, _, level = str(ind).partition("@")
            sec.figures.append(national_map(session, ind, level or "departement"))
        if e.get("ranking"):
            theme = sec.title.split(" : les ")[0]  # "Offre culturelle : les départements"
            title = text(str(e.get("ranking_title", f"Classement des 18 régions — {theme}")))
            sec.tables.append(ranking_table(session, f"R{n:02d}", title, list(e["ranking"])))
        out.append(sec)
    return out


# --- chapters -------------------------------------------------------------------------------
def _notes_index(ctx: ChapterCtx) -> int:
    """Where sections go that come before the chapter's notes (its last section)."""
    return next(
        (i for i, s in enumerate(ctx.sections) if s.template == "sections/notes.html"),
        len(ctx.sections),
    )


def chapter(session: Session, parts: list[Part], territory: Territory) -> ChapterCtx:
    """A chapter: the fiche sections of ``territory`` (+ the national extras for France)."""
    part = part_for(parts, "france" if territory.is_france else "regions")
    ctx = build_chapter(session.store, session.layouts, part.sections, territory, session.paths)
    if territory.is_france:
        ctx.title = "France entière"
        ctx.running_title = "France entière"
        ctx.anchor = "ch-national"
        extra = national_extras(session, part.extras)
        notes_at = _notes_index(ctx)
        ctx.sections[notes_at:notes_at] = extra
        number_chapter(ctx)
        ctx.sources = chapter_sources(session.store, ctx.sections) or ctx.sources
    evolutions = compare.changes_section(session.paths, territory)  # --compare-with
    if evolutions is not None:
        ctx.sections.insert(_notes_index(ctx), evolutions)
        number_chapter(ctx)
    return ctx
