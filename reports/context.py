"""Builds the documented context objects that templates lay out.

Everything a template prints is here, already formatted: section titles, analysis
paragraphs, tables (rows of strings), figures (file, caption, alt text, source line),
notes. Templates compute nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reports.config import Layouts, SectionSpec
from reports.datastore import Store
from reports.paths import Paths
from reports.tables import OPENER_CHARS, TableCtx, build_table
from reports.territories import Territory


@dataclass
class FigureCtx:
    id: str
    title: str
    src: str  # URL relative to the project root
    alt: str
    source: str
    kind: str = "map"  # map | chart
    size: str = "half"  # full | half | third
    notes: list[str] = field(default_factory=list)
    path: str = ""  # file on disk (for caching / checks)
    data: tuple[tuple[str, str], ...] = ()  # (indicator, level) drawn, when not in figures.py


@dataclass
class SectionCtx:
    id: str
    title: str
    template: str
    page: str
    intro: str = ""
    paragraphs: list[str] = field(default_factory=list)
    tables: list[TableCtx] = field(default_factory=list)
    figures: list[FigureCtx] = field(default_factory=list)
    boxes: list[str] = field(default_factory=list)


@dataclass
class ChapterCtx:
    code: str
    kind: str  # metro | drom | france
    anchor: str
    title: str
    kicker: str
    subtitle: str
    running_title: str
    sections: list[SectionCtx]
    nd_notes: list[str]
    sources: list[str]
    method_note: str
    continued: bool = False  # a later part of the chapter rendered on its own (build.py)


@dataclass
class DocCtx:
    kind: str  # fiche | atlas
    title: str
    subtitle: str
    author: str
    date: str
    version: str
    edition: str
    stylesheets: list[str]
    chapters: list[ChapterCtx]
    extra: dict = field(default_factory=dict)


METHOD_NOTE = (
    "Les ratios sont calculés en sommant d'abord les numérateurs et les dénominateurs sur le "
    "territoire (jamais en moyennant des ratios). Population de référence : Insee, population "
    "totale 2018 (Mayotte : recensement 2017). n.d. : donnée non disponible ; s.o. : sans objet. "
    "Les rangs sont établis parmi les régions renseignées. Les classes des cartes sont calculées "
    "une fois sur les 101 départements (seuils naturels de Jenks) et sont identiques dans toutes "
    "les fiches."
)


def _indicators_of_section(layouts: Layouts, spec: SectionSpec, kind: str) -> list[str]:
    inds: list[str] = list(spec.indicators)
    for tid in spec.tables_for(kind):
        t = layouts.tables[tid]
        inds += list(t.indicators) + [i for p in t.pairs for i in p]
    return inds


def _nd_notes(store: Store, inds: list[str], territory: Territory) -> list[str]:
    notes: list[str] = []
    if territory.is_france:
        return notes
    for ind in dict.fromkeys(inds):
        v = store.get(ind, "region", territory.code)
        if v.value is None and v.note:
            mark = "s.o." if v.status == "so" else "n.d."
            line = f"{store.label(ind)} : {mark} — {v.note}."
            if line not in notes:
                notes.append(line)
    return notes


def _sources(store: Store, inds: list[str]) -> list[str]:
    out: list[str] = []
    for ind in dict.fromkeys(inds):
        if ind not in store.meta.index:
            continue
        m = store.info(ind)
        line = f"{m['source']} ({m['vintage']})" if m["vintage"] else m["source"]
        if line not in out:
            out.append(line)
    return out


def build_section(
    store: Store,
    layouts: Layouts,
    spec: SectionSpec,
    territory: Territory,
    paths: Paths,
) -> tuple[SectionCtx, list[str]]:
    from reports import figures, text

    kind = territory.kind
    ctx = SectionCtx(spec.id, spec.title, spec.template, spec.page, intro=spec.intro)
    nd: list[str] = []
    for name in spec.analysis:
        analysis = text.analyse(name, store, territory.code)
        ctx.paragraphs += analysis.paragraphs
        nd += analysis.nd_notes
    for tid in spec.tables_for(kind):
        table = build_table(store, layouts.tables[tid], territory.code)
        if spec.template.endswith("opener.html"):  # key figures: half the page width
            table.line_chars = OPENER_CHARS
        ctx.tables.append(table)
    for fid in spec.figures_for(kind):
        fig = figures.figure_context(fid, store, territory, paths)
        if fig is not None:
            ctx.figures.append(fig)
    if spec.id == "offre" and kind == "drom":
        ctx.boxes.append(
            "Les données du CNC sur les établissements cinématographiques (2022) et la série "
            "2003-2023 couvrent la seule France métropolitaine : les indicateurs de fréquentation "
            "du cinéma sont non disponibles (n.d.) pour les DROM. Le nombre de cinémas provient "
            "de la base des équipements du Deps (millésime ≈ 2019)."
        )
    return ctx, nd


def build_chapter(
    store: Store,
    layouts: Layouts,
    doc_sections: tuple[str, ...],
    territory: Territory,
    paths: Paths,
) -> ChapterCtx:
    sections: list[SectionCtx] = []
    nd: list[str] = []
    inds: list[str] = []
    for sid in doc_sections:
        spec = layouts.sections[sid]
        if not spec.applies_to(territory.kind):
            continue
        section, section_nd = build_section(store, layouts, spec, territory, paths)
        sections.append(section)
        nd += section_nd
        inds += _indicators_of_section(layouts, spec, territory.kind)
    nd_all = list(dict.fromkeys(nd + _nd_notes(store, inds, territory)))
    if territory.is_france:
        kicker, subtitle = (
            "France entière",
            "18 régions, dont 5 départements et régions d'outre-mer",
        )
    elif territory.kind == "drom":
        kicker, subtitle = "Région d'outre-mer", "Portrait culturel comparé à la France"
    else:
        kicker, subtitle = "Région", "Portrait culturel comparé à la France"
    return ChapterCtx(
        code=territory.code,
        kind=territory.kind,
        anchor=f"ch-{territory.slug}",
        title=territory.name,
        kicker=kicker,
        subtitle=subtitle,
        running_title=territory.name,
        sections=sections,
        nd_notes=nd_all,
        sources=_sources(store, inds),
        method_note=METHOD_NOTE,
    )
