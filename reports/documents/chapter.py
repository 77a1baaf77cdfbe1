"""A chapter (one territory) of a document: its sections filled with analysis text, tables
and figures, its n.d. notes and its sources.

The same chapter is a fiche's body and an atlas chapter. Everything it holds is already
formatted (:mod:`reports.content.model`); templates compute nothing.
"""

from __future__ import annotations

from reports.config import Layouts, SectionSpec
from reports.content.analysis import analyse
from reports.content.model import ChapterCtx, SectionCtx
from reports.content.tables import OPENER_CHARS, build_table
from reports.data.store import Store
from reports.data.territories import Territory
from reports.figures import catalogue
from reports.paths import Paths

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
    kind = territory.kind
    ctx = SectionCtx(spec.id, spec.title, spec.template, spec.page, intro=spec.intro)
    nd: list[str] = []
    for name in spec.analysis:
        analysis = analyse(name, store, territory.code)
        ctx.paragraphs += analysis.paragraphs
        nd += analysis.nd_notes
    for tid in spec.tables_for(kind):
        table = build_table(store, layouts.tables[tid], territory.code)
        if spec.template.endswith("opener.html"):  # key figures: half the page width
            table.line_chars = OPENER_CHARS
        ctx.tables.append(table)
    for fid in spec.figures_for(kind):
        fig = catalogue.figure_context(fid, store, territory, paths)
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
