"""A chapter (one territory) of a document: its sections filled with analysis text, tables
and figures, its n.d. notes and its sources.

The same chapter is a fiche's body and an atlas chapter. Everything it holds is already
formatted (:mod:`reports.content.model`); templates compute nothing.
"""

from __future__ import annotations

import re

from reports import edition
from reports.config import Layouts, SectionSpec
from reports.content.analysis import analyse
from reports.content.keys import key_messages
from reports.content.model import ChapterCtx, SectionCtx
from reports.content.tables import OPENER_CHARS, build_table
from reports.data.store import Store
from reports.data.territories import Territory
from reports.figures import catalogue
from reports.paths import Paths

METHOD_NOTE = edition.current().text(
    "Les ratios sont calculés en sommant d'abord les numérateurs et les dénominateurs sur le "
    "territoire (jamais en moyennant des ratios). Population de référence : Insee, population "
    "totale {population} (Mayotte : recensement {population_mayotte}). n.d. : donnée non "
    "disponible ; s.o. : sans objet. "
    "Les rangs sont établis parmi les régions renseignées. Les classes des cartes sont calculées "
    "une fois sur les 101 départements (méthode indiquée sous chaque carte) et sont identiques "
    "dans toutes les fiches."
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


_ND_LINE = re.compile(
    r"^(?P<label>.+?) : (?P<mark>n\.d\.|s\.o\.)(?: pour [^,]+,| —) (?P<why>.+?)\.?$"
)


def _lower_first(label: str) -> str:
    """ "Écrans de cinéma" → "écrans de cinéma" inside a list (an acronym keeps its capitals)."""
    return label[0].lower() + label[1:] if len(label) > 1 and label[1].islower() else label


def group_nd_notes(notes: list[str]) -> list[str]:
    """The n.d. / s.o. notes with one line per reason (DESIGN.md: explained once): "A : n.d.
    pour la région X, why." and "B : n.d. — why." become "A et b : n.d. — why." (a label that
    extends another one of the line left out); a line of another form is kept as it is."""
    groups: dict[tuple[str, str], list[str]] = {}
    out: list[str | tuple[str, str]] = []
    for note in notes:
        m = _ND_LINE.match(note)
        if m is None:
            out.append(note)
            continue
        key = (m["mark"], m["why"].strip())
        if key not in groups:
            groups[key] = []
            out.append(key)
        if m["label"] not in groups[key]:
            groups[key].append(m["label"])
    lines: list[str] = []
    for item in out:
        if isinstance(item, str):
            lines.append(item)
            continue
        # "Écrans de cinéma" says it of "Écrans de cinéma pour 100 000 habitants" too
        labels = [x for x in groups[item] if not any(x.startswith(y + " ") for y in groups[item])]
        named = [labels[0], *(_lower_first(x) for x in labels[1:])]
        joined = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " et " + named[-1]
        lines.append(f"{joined} : {item[0]} — {item[1]}.")
    return list(dict.fromkeys(lines))


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


def _years(vintage: str) -> tuple[int, int] | None:
    found = [int(y) for y in re.findall(r"(?:19|20)\d\d", vintage)]
    return (min(found), max(found)) if found else None


def _vintages(store: Store) -> dict[str, list[str]]:
    """Each source of indicator_meta.csv (one by one: a line joined by " ; " is split) → its
    vintages, without one that lies within another (a change over years within a series)."""
    out: dict[str, list[str]] = {}
    for source, vintage in zip(store.meta["source"], store.meta["vintage"], strict=True):
        v = str(vintage)
        if not v or v == "nan":
            continue
        for part in str(source).split(" ; "):
            if v not in out.setdefault(part, []):
                out[part].append(v)
    return {part: _outer(vs) for part, vs in out.items()}


def _outer(vintages: list[str]) -> list[str]:
    """``vintages`` without one whose years lie within those of another kept before it."""

    def span(v: str) -> int:
        years = _years(v)
        return years[1] - years[0] if years else 0

    def within(v: str, w: str) -> bool:
        a, b = _years(v), _years(w)
        return a is not None and b is not None and b[0] <= a[0] and a[1] <= b[1]

    kept: list[str] = []
    for v in sorted(vintages, key=span, reverse=True):  # stable: source order among equals
        if not any(within(v, w) for w in kept):
            kept.append(v)
    return kept


def chapter_sources(store: Store, sections: list[SectionCtx]) -> list[str]:
    """The sources printed under the tables and figures of ``sections``, each once, with its
    vintage when the source line does not give a year (DESIGN.md: a chapter's notes list only
    the sources used in that chapter)."""
    vintages = _vintages(store)
    out: list[str] = []
    lines = [t.source for s in sections for t in s.tables]
    lines += [f.source for s in sections for f in s.figures]
    for line in lines:
        text = re.sub(r"^Sources?\s*:\s*", "", line or "").strip()
        for part in text.split(" ; ") if text else ():
            part = part.strip().rstrip(".")
            if not re.search(r"(?:19|20)\d\d", part) and vintages.get(part):
                years = ", ".join(vintages[part])  # in the source's own brackets, if it has some
                part = f"{part[:-1]}, {years})" if part.endswith(")") else f"{part} ({years})"
            if part and part not in out:
                out.append(part)
    return out


def number_chapter(chapter: ChapterCtx) -> None:
    """Reader-facing numbers of the tables and figures of ``chapter``, in the order they are
    printed, restarting in each chapter: "Tableau 1", "Carte 1", "Graphique 1" (ATLAS_SPEC
    §10: never an internal key)."""
    count = {"Tableau": 0, "Carte": 0, "Graphique": 0}
    for section in chapter.sections:
        for table in section.tables:
            count["Tableau"] += 1
            table.number = f"Tableau {count['Tableau']}"
        for fig in section.figures:
            word = "Carte" if fig.kind == "map" else "Graphique"
            count[word] += 1
            fig.number = f"{word} {count[word]}"


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
        if layouts.tables[tid].kind == "zones_emploi" and len(table.rows) < 2:
            continue  # one zone (Mayotte): a one-row ranking says nothing
        if spec.template.endswith("opener.html") and not territory.is_france:
            table.line_chars = OPENER_CHARS  # key figures: half the page width (France: full)
        ctx.tables.append(table)
    for fid in spec.figures_for(kind):
        fig = catalogue.figure_context(fid, store, territory, paths)
        if fig is not None:
            ctx.figures.append(fig)
    if spec.id == "offre" and kind == "drom":
        ctx.boxes.append(
            edition.current().text(
                "Les données du CNC sur les établissements cinématographiques ({cinemas}) et la "
                "série {screens_first}–{screens_last} couvrent la seule France métropolitaine : "
                "les indicateurs de fréquentation du cinéma sont non disponibles (n.d.) pour les "
                "DROM. Le nombre de cinémas provient de la base des équipements du Deps "
                "(millésime ≈ {cinemas_drom})."
            )
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
    specs = [layouts.sections[sid] for sid in doc_sections]
    specs = [spec for spec in specs if spec.applies_to(territory.kind)]
    # the first section (the opener) is built last, so its figures are drawn last: a cold
    # fiche lays out its long part as soon as that part's figures exist, and the opener's
    # figures are drawn meanwhile (reports.render.pagination); the chapter is the same
    order = [*specs[1:], *specs[:1]]
    built = {spec.id: build_section(store, layouts, spec, territory, paths) for spec in order}
    for spec in specs:
        section, section_nd = built[spec.id]
        section.opens_page = not spec.follows  # layouts.yaml: page groups of a fiche
        sections.append(section)
        nd += section_nd
        inds += _indicators_of_section(layouts, spec, territory.kind)
    nd_all = group_nd_notes(list(dict.fromkeys(nd + _nd_notes(store, inds, territory))))
    if territory.is_france:
        kicker, subtitle = (
            "France entière",
            "18 régions, dont 5 départements et régions d'outre-mer",
        )
    elif territory.kind == "drom":
        kicker, subtitle = "Région d'outre-mer", "Portrait culturel comparé à la France"
    else:
        kicker, subtitle = "Région", "Portrait culturel comparé à la France"
    chapter = ChapterCtx(
        code=territory.code,
        kind=territory.kind,
        anchor=f"ch-{territory.slug}",
        title=territory.name,
        kicker=kicker,
        subtitle=subtitle,
        running_title=territory.name.replace("'", "\u2019"),  # a running head is an attribute
        sections=sections,
        nd_notes=nd_all,
        sources=chapter_sources(store, sections) or _sources(store, inds),
        method_note=METHOD_NOTE,
        key_messages=key_messages(
            store,
            "FR" if territory.is_france else territory.code,
            territory.name,
            territory.kind == "drom",
        ),
    )
    number_chapter(chapter)
    return chapter
