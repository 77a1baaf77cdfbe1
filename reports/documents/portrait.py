"""The compact portrait (``portrait`` document of ``layouts.yaml``, 4 pages, ATLAS_SPEC §8): a
département compared with its région and France and ranked among the 101 départements and
among those of its région; a région (``atlas fiche 84 --layout portrait``) compared with France
and ranked among the 18 régions.

Page 1 identity, locator map, key figures with ranks and three key messages; pages 2–3 the
offre and fréquentation, spending, employment and enterprises; page 4 notes and sources. A
section of the document declares its template, its indicators (one comparison table, or the
départements of the région side by side when ``page: members``) and its text (``analysis:``,
written by :mod:`reports.content.portrait` for either level). The document is a fiche
(``fiche.html``, page groups, parts laid out in parallel, tagged PDF, CSV attachments):
:func:`reports.documents.fiche.build_fiche` builds it when the layout is ``portrait``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from reports import edition
from reports.config import SectionSpec
from reports.content import fmt
from reports.content.model import ChapterCtx, DocCtx, FigureCtx
from reports.content.portrait import (
    EPCI_ND,
    EPCI_TYPE_NAMES,
    SENTENCES,
    Portrait,
    PortraitSectionCtx,
    communes_table,
    comparison_table,
    identity,
    key_messages,
    members_table,
)
from reports.content.present import source_line
from reports.content.wording import join
from reports.data.territories import Territory
from reports.documents.chapter import chapter_sources, group_nd_notes, number_chapter
from reports.documents.session import Session, doc_ctx
from reports.errors import ConfigError

#: the layouts a fiche can have (``atlas fiche --layout``)
LAYOUTS = ("fiche", "portrait")
#: page plans of a section that shows départements side by side: ``members`` always (a région
#: of several départements; a DROM: the five DROM), ``members-short`` where the page has room:
#: a région's portrait and a DROM, whose tables have no région columns (one line a row)
MEMBERS = ("members", "members-short")
#: the portrait's own rules, after the shared print stylesheet
PORTRAIT_STYLESHEET = "styles/portrait.css"

METHOD_NOTE = edition.current().text(
    "Les ratios sont calculés en sommant d\u2019abord les numérateurs et les dénominateurs sur "
    "le territoire (jamais en moyennant des ratios). Population de référence : Insee, "
    "population totale {population} (Mayotte : recensement {population_mayotte}). n.d. : "
    "donnée non disponible ; s.o. : sans objet. Les indicateurs qui ne couvrent que la France "
    "métropolitaine sont comparés à la France métropolitaine (métro.)."
)


def layout_for(territory: Territory, layout: str | None) -> str:
    """The layout of ``territory``'s fiche: ``layout`` if given (checked), else ``portrait``
    for a département or an EPCI and ``fiche`` for a région or France."""
    if layout is None:
        return "portrait" if territory.is_departement or territory.is_epci else "fiche"
    if layout not in LAYOUTS:
        raise ConfigError(
            f"unknown layout {layout!r}", where="--layout", hint=f"one of {', '.join(LAYOUTS)}"
        )
    if layout == "fiche" and territory.is_epci:
        raise ConfigError(
            f"the fiche layout is for a région or France, not {territory.name}",
            where="--layout fiche",
            hint="an intercommunalité has the portrait layout (the default)",
        )
    if layout == "fiche" and territory.is_departement:
        raise ConfigError(
            f"the fiche layout is for a région or France, not the département {territory.name}",
            where="--layout fiche",
            hint="a département has the portrait layout (the default)",
        )
    if layout == "portrait" and territory.is_france:
        raise ConfigError(
            "the portrait layout is for a région or a département",
            where="--layout portrait",
            hint="France has the fiche layout (atlas fiche france)",
        )
    return layout


def portrait_path(session: Session, territory: Territory, html: bool = False) -> Path:
    """``output/departements/69-rhone.pdf``; a région's portrait beside its fiche,
    ``output/fiches/auvergne-rhone-alpes-portrait.pdf``."""
    ext = "html" if html else "pdf"
    if territory.is_epci:
        return session.paths.output / "epci" / f"{territory.code}-{territory.slug}.{ext}"
    if territory.is_departement:
        return session.paths.output / "departements" / f"{territory.code}-{territory.slug}.{ext}"
    return session.paths.fiches_output / f"{territory.slug}-portrait.{ext}"


def _locator(session: Session, p: Portrait) -> FigureCtx | None:
    from reports.figures import catalogue
    from reports.figures.portrait import (
        describe_departement_locator,
        draw_departement_locator,
    )

    store, territory, paths = session.store, p.territory, session.paths
    if territory.is_epci:
        return _epci_locator(session, p)
    if not territory.is_departement:  # a région: the situation map of the fiche (M01)
        return catalogue.figure_context("M01", store, territory, paths)
    path = draw_departement_locator(store, territory, paths, slot="half")
    root = paths.root.resolve()
    rel = path.resolve().relative_to(root) if root in path.resolve().parents else path
    return FigureCtx(
        id="locator",
        title=f"Situation dans la région {p.region_name}",
        src=str(rel),
        alt=describe_departement_locator(store, territory),
        source=source_line(store, ("C01",)),
        kind="map",
        size="half",
        path=str(path),
    )


def _epci_locator(session: Session, p: Portrait) -> FigureCtx:
    from reports.figures.portrait import (
        describe_epci_locator,
        draw_epci_locator,
        epci_far_points,
    )

    store, territory, paths = session.store, p.territory, session.paths
    path = draw_epci_locator(store, territory, paths, slot="half")
    root = paths.root.resolve()
    rel = path.resolve().relative_to(root) if root in path.resolve().parents else path
    deps = str(store.epci(territory.code)["departements"]).split(";")
    names = store.territories.set_index(["level", "code"])["name"]
    named = [str(names[("departement", d)]) for d in deps]
    where = (
        " et ".join(named)
        if len(named) <= 2
        else f"{named[0]}, {named[1]} et {len(named) - 2} autres départements"
    )
    far = epci_far_points(store, territory.code)
    many = "s" if far > 1 else ""
    note = (
        f"{far} équipement{many} non représenté{many} : localisé{many} par la source loin des "
        f"autres équipements de {'leur' if far > 1 else 'sa'} commune (plus de 10 km) ; "
        f"compté{many} dans le tableau des communes."
        if far
        else ""
    )
    return FigureCtx(
        id="locator",
        title=f"Équipements de l\u2019intercommunalité ({where})",
        notes=[note] if note else [],
        src=str(rel),
        alt=describe_epci_locator(store, territory),
        source=source_line(store, ("O01", "O02", "O09", "O10", "O13")),
        kind="map",
        size="half",
        path=str(path),
    )


def _nd_notes(p: Portrait, inds: list[str]) -> list[str]:
    notes: list[str] = []
    if p.epci:
        unavailable = [i for i in dict.fromkeys(inds) if p.get(i).note == EPCI_ND]
        if unavailable:
            labels = join([p.store.label(i) for i in unavailable])
            notes.append(
                "À l\u2019échelle intercommunale, seuls les indicateurs calculables à partir "
                "de données communales sont présentés (aucune valeur n\u2019est répartie à "
                f"partir du département) ; non disponibles (n.d.) : {labels}."
            )
        inds = [i for i in inds if i not in unavailable]
    for ind in dict.fromkeys(inds):
        v = p.get(ind)
        if v.value is None and v.note:
            mark = "s.o." if v.status == "so" else "n.d."
            notes.append(f"{p.store.label(ind)} : {mark} — {v.note}.")
    if p.dep and not p.with_region:
        notes.append(
            f"La région {p.region_name} ne compte qu\u2019un département : ses valeurs sont "
            "celles du département, la colonne de la région et le rang dans la région sont omis."
        )
    return notes


def _rank_note(p: Portrait) -> str:
    if p.epci:
        return (
            f"Médiane et rang : parmi les {fmt.fmt_int(p.n_peers)} {p.peers_text} "
            "(composition des EPCI au 1er janvier de l\u2019édition du COG), par valeur "
            "décroissante (1re = la valeur la plus élevée) ; deux valeurs égales ont le même "
            "rang ; une intercommunalité sans donnée n\u2019est pas classée. Les données "
            "communales sont rattachées à l\u2019intercommunalité par le code de la commune "
            "(communes fusionnées depuis : commune nouvelle)."
        )
    if p.dep:
        region = (
            f" et parmi les {len(p.members)} départements de la région {p.region_name}"
            if p.with_region
            else ""
        )
        return (
            f"Rangs : rang parmi les {p.n_peers} départements{region}, par valeur décroissante "
            "(1re = la valeur la plus élevée) ; deux valeurs égales ont le même rang ; un "
            "département sans donnée n\u2019est pas classé, le nombre de départements classés "
            "suit la barre (12e/96)."
        )
    return (
        f"Rangs : rang parmi les {p.n_peers} régions, par valeur décroissante (1re = la valeur "
        "la plus élevée) ; deux valeurs égales ont le même rang ; une région sans donnée "
        "n\u2019est pas classée, le nombre de régions classées suit la barre."
    )


def _section(session: Session, spec: SectionSpec, p: Portrait) -> PortraitSectionCtx | None:
    ctx = PortraitSectionCtx(spec.id, spec.title, spec.template, spec.page, intro=spec.intro)
    ctx.opens_page = not spec.follows
    inds = list(spec.indicators)
    if spec.page == "communes":  # an EPCI's member communes
        ctx.tables.append(communes_table(p, f"portrait-{spec.id}"))
        return ctx
    if spec.page == "members-short" and p.with_region:
        return None  # a département's own tables fill its page
    if spec.page in MEMBERS:
        # a région's page 3 prints its own and France's values in the tables above it
        totals = p.dep or spec.page == "members"
        table = members_table(p, f"portrait-{spec.id}", inds, totals)
        if table is None:
            return None  # a région of one département
        if len(p.members) < 2:  # a DROM: the five départements d'outre-mer
            ctx.title = f"{table.title[:1].upper()}{table.title[1:]}"
            economy = all(i.startswith(("D", "E", "N")) for i in inds)
            table.title = "Principaux indicateurs : " + (
                "dépenses, emploi et entreprises"
                if economy
                else "population, offre et fréquentation"
            )
        ctx.tables.append(table)
    elif inds:
        title = (
            "Chiffres clés"
            if spec.page == "opener"
            else "L\u2019intercommunalité et ses territoires de comparaison"
            if p.epci
            else (
                "Le département, sa région et la France"
                if p.with_region
                else "Le département et la France"
                if p.dep
                else "La région et la France"
            )
        )
        ctx.tables.append(comparison_table(p, f"portrait-{spec.id}", title, inds))
    for name in spec.analysis:
        if name not in SENTENCES:
            raise ConfigError(
                f"no portrait text {name!r}",
                where=f"layouts.yaml sections.{spec.id}.analysis",
                hint=f"one of {', '.join(SENTENCES)}",
            )
        ctx.paragraphs += SENTENCES[name](p)
    if spec.page == "opener":
        ctx.facts = identity(p)
        ctx.locator = _locator(session, p)
    return ctx


def portrait_doc(session: Session, territory: Territory) -> DocCtx:
    store, layouts = session.store, session.layouts
    spec = layouts.document("portrait_epci" if territory.is_epci else "portrait")
    p = Portrait.of(store, territory)
    sections: list[PortraitSectionCtx] = []
    inds: list[str] = []
    for sid in spec.sections:
        sspec = layouts.sections[sid]
        if not sspec.applies_to(territory.kind):
            continue
        section = _section(session, sspec, p)
        if section is None:
            continue
        sections.append(section)
        if sspec.page not in MEMBERS:
            inds += list(sspec.indicators)
    dep = territory.is_departement
    if territory.is_epci:
        kicker = EPCI_TYPE_NAMES.get(territory.epci_type, "Intercommunalité")
        subtitle = (
            f"Portrait culturel comparé au département, à la région {p.region_name}, à la "
            f"France et aux {p.peers_text}"
        )
    elif dep:
        kicker = "Département d\u2019outre-mer" if territory.kind == "drom" else "Département"
        kicker += f" · {territory.code}"
        subtitle = (
            f"Portrait culturel comparé à la région {p.region_name} et à la France"
            if p.with_region
            else "Portrait culturel comparé à la France"
        )
    else:
        kicker = "Région d\u2019outre-mer" if territory.kind == "drom" else "Région"
        subtitle = "Portrait culturel comparé à la France"
    anchor = (
        f"ch-epci-{territory.code}"
        if territory.is_epci
        else f"ch-dep-{territory.code.lower()}-{territory.slug}"
        if dep
        else f"ch-{territory.slug}"
    )
    chapter = ChapterCtx(
        code=territory.code,
        kind=territory.kind,
        anchor=anchor,
        title=territory.name,
        kicker=kicker,
        subtitle=subtitle,
        # printed from an attribute by a continued part: typography sees no attribute (’)
        running_title=(f"{territory.name} ({territory.code})" if dep else territory.name).replace(
            "'", "\u2019"
        ),
        sections=list(sections),
        nd_notes=group_nd_notes(list(dict.fromkeys(_nd_notes(p, inds)))),
        sources=chapter_sources(store, list(sections)),
        method_note=METHOD_NOTE + " " + _rank_note(p),
        key_messages=key_messages(p),
    )
    number_chapter(chapter)
    maps = sum(1 for s in sections for f in s.figures if f.kind == "map")
    for s in sections:
        if s.locator is not None:
            maps += 1
            s.locator.number = f"Carte {maps}"
    doc = doc_ctx(session, "fiche", f"{spec.title} — {territory.name}", [chapter])
    return dataclasses.replace(doc, stylesheets=[*doc.stylesheets, PORTRAIT_STYLESHEET])
