"""The units of the atlas laid out one by one (front matter, chapters, annexes, lists), their
HTML, and the plan the front matter and the annex lists print (sommaire, lists of figures)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reports import edition
from reports.content.model import ChapterCtx, DocCtx, FigureCtx
from reports.data.territories import FRANCE, Territory
from reports.documents import compare
from reports.documents.atlas.parts import (
    ANNEXES,
    ATLAS_STYLESHEETS,
    BODY_END,
    BODY_MARK,
    BUDGET,
    FRONT,
    LISTS,
    NATIONAL,
    Part,
)
from reports.documents.session import EDITION_SETTINGS, Session, doc_ctx, render_html
from reports.render.merge import cross_link


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


def atlas_units(session: Session) -> list[Unit]:
    units = [Unit(FRONT, "Pages liminaires", "front", "front")]
    units.append(Unit(NATIONAL, "France entière", "ch-national", "chapter", FRANCE))
    for t in session.all_territories():
        if not t.is_france:
            units.append(Unit(t.code, t.name, f"ch-{t.slug}", "chapter", t))
    units.append(Unit(ANNEXES, "Annexes", "annexes", ANNEXES))
    units.append(Unit(LISTS, "Annexes (listes)", "annexe-cartes", LISTS))
    return units


def budget(u: Unit) -> int:
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


def template_parts(atlas: list[Part], back: bool) -> list[dict[str, Any]]:
    """Front matter parts (before the first chapter) or back parts (after the last one)."""
    chapter_at = [i for i, p in enumerate(atlas) if p.chapter]
    first, last = (chapter_at[0], chapter_at[-1]) if chapter_at else (len(atlas), len(atlas))
    chosen = atlas[last + 1 :] if back else atlas[:first]
    return [
        {"kind": "part", "id": p.id, "title": p.title, "template": p.template, **p.options}
        for p in chosen
        if p.template
    ]


def front_parts(atlas: list[Part]) -> list[dict[str, Any]]:
    return template_parts(atlas, back=False)


def back_parts(atlas: list[Part]) -> list[dict[str, Any]]:
    return template_parts(atlas, back=True)


def annex_parts(atlas: list[Part]) -> list[dict[str, Any]]:
    """The first back part (sources, definitions, methodology: no folio of other units)."""
    return back_parts(atlas)[:1]


def list_parts(atlas: list[Part]) -> list[dict[str, Any]]:
    """The other back parts: the lists of maps and figures print every chapter's folios."""
    return back_parts(atlas)[1:]


#: the place counts of the third-party Basilic aggregate: one glossary entry, one caveat
BASILIC_PREFIX = "O15."
BASILIC_LABEL = "Lieux culturels par type (base Basilic)"
BASILIC_DEFINITION = (
    "Nombre de lieux de chaque type ({types}) d’après un agrégat par commune de la base "
    "Basilic du ministère de la Culture établi par Data For Good (fin {year}), qui n’est pas une "
    "publication officielle ; pour les théâtres, nombre de salles."
)


_KEY = re.compile(r"\b[A-Z]\d{2}(?:[._][\w.]*\w)?\b")  # an indicator key in a definition


def _stated_licence(licence: str) -> str:
    """A licence the source states; an expected, unverified one is not printed."""
    text = licence.strip()
    if not text or text == "nan" or re.search(r"non vérifi|attendue|expected", text, re.I):
        return ""
    return text


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
    places: list[str] = []  # the Basilic place types, defined in one entry
    basilic: dict[str, str] = {}
    labels = {str(i): str(label) for i, label in zip(meta["id"], meta["label"], strict=True)}

    def readable(text: str) -> str:  # "(voir O03_coverage)" → "(voir « Bibliothèques … »)"
        return _KEY.sub(lambda k: f"« {labels[k[0]]} »" if k[0] in labels else k[0], text)

    for _, m in meta.iterrows():
        theme = themes.get(str(m["theme"]), str(m["theme"]).capitalize())
        entry = {
            "id": str(m["id"]),
            "label": str(m["label"]),
            "definition": readable(str(m["definition"])),
            "unit": str(m["unit"]),
            "vintage": str(m["vintage"]),
        }
        if entry["id"].startswith(BASILIC_PREFIX):
            places.append(re.sub(r"\s*\(Basilic[^)]*\)", "", entry["label"]).lower())
            if not basilic:
                basilic = dict(entry, id=BASILIC_PREFIX.rstrip("."), label=BASILIC_LABEL)
                groups.setdefault(theme, []).append(basilic)
            basilic["definition"] = BASILIC_DEFINITION.format(
                types=", ".join(places), year=edition.current().year("basilic")
            )
        else:
            groups.setdefault(theme, []).append(entry)
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
            "licence": _stated_licence(s["licence"]),
            "ids": _compact_ids(s["ids"]),
        }
        for s in sources.values()
    ]
    licences = any(s["licence"] for s in src_list)
    return {"definitions": groups, "sources": src_list, "licences": licences}


def _compact_ids(ids: list[str]) -> str:
    base = list(dict.fromkeys(i.split(".")[0].split("_")[0] for i in ids))
    return ", ".join(base)


def place_units(units: list[Unit]) -> None:
    """Starts and pads from the current page counts (every chapter starts recto)."""
    page = 1
    for i, u in enumerate(units):
        u.start = page
        page += u.pages
        nxt = units[i + 1] if i + 1 < len(units) else None
        u.pad = nxt is not None and page % 2 == 0
        if u.pad:
            page += 1


def make_plan(session: Session, units: list[Unit], figs: dict[str, dict[str, Any]]) -> Plan:
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
    return Plan(entries, maps, charts, **static_plan(session))


_STATIC: dict[str, Any] = {}


def static_plan(session: Session) -> dict[str, Any]:
    """Cover map, vintages and licences (the same for every pass)."""
    if not _STATIC:
        from reports.figures import catalogue

        meta = session.store.meta
        # one entry per vintage (a "base, last" vintage is two), each once
        vintages = sorted(
            {
                part.strip()
                for v in meta["vintage"]
                if str(v) and str(v) != "nan"
                for part in str(v).split(",")
            }
        )
        licences = sorted({_stated_licence(str(v)) for v in meta["licence"]} - {""})
        _STATIC.update(
            cover=catalogue.figure_context(
                "M01", session.store, FRANCE, session.paths, slot="cover"
            ),
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


def front_html(session: Session, atlas: list[Part], plan: Plan) -> str:
    parts = front_parts(atlas)
    comparison = compare.active(session.paths)  # --compare-with: "Nouveautés de cette édition"
    for part in parts:
        if comparison is not None and part["id"] == "foreword":
            part["novelties"] = comparison.novelties
    return unit_html(
        session,
        parts,
        pad=True,
        running="",
        plan=plan,
        settings=atlas_settings(session),
    )


def annex_html(session: Session, atlas: list[Part], plan: Plan | None = None) -> str:
    """The annexes without the lists (they print no folio of other units)."""
    return back_html(session, annex_parts(atlas), plan, pad=True)


def lists_html(session: Session, atlas: list[Part], plan: Plan) -> str:
    """The annex lists and the back cover: the last unit, no pad page."""
    return back_html(session, list_parts(atlas), plan, pad=False)


def back_html(session: Session, parts: list[dict[str, Any]], plan: Plan | None, pad: bool) -> str:
    return unit_html(
        session,
        parts,
        pad=pad,
        running="Annexes",
        plan=plan,
        annex=annex_context(session),
        settings=atlas_settings(session),
    )


def atlas_settings(session: Session) -> dict[str, Any]:
    s = dict(session.layouts.settings)
    s.update({key: session.setting(key) for key in EDITION_SETTINGS})
    return s


_NUMBER = r'data-page="(\d+)">\d+<'


def strip_numbers(text: str) -> str:
    """Front / annex HTML without page numbers: its page count does not depend on them."""

    return re.sub(_NUMBER, 'data-page="">0<', text)


def printed_numbers(text: str) -> list[str]:
    """The folios of the ``[data-page]`` elements of a unit's HTML, in document order."""

    return re.findall(_NUMBER, text)


def _body(text: str) -> str:
    """Inner body of a unit's HTML, without its pad page."""

    inner = text.split(BODY_MARK, 1)[1].split(BODY_END, 1)[0]
    return re.sub(r"<!--atlas:pad-->.*?<!--atlas:/pad-->", "", inner, flags=re.S)


def single_html(
    session: Session, atlas: list[Part], units: list[Unit], figs: dict[str, dict[str, Any]]
) -> str:
    """The whole atlas as one HTML document (sommaire by ``target-counter``)."""
    plan = make_plan(session, units, figs)
    plan.html_mode = True
    front = unit_html(
        session,
        front_parts(atlas),
        pad=False,
        running="",
        plan=plan,
        settings=atlas_settings(session),
    )
    bodies = [_body(u.html) for u in units if u.kind == "chapter"]
    bodies.append(_body(annex_html(session, atlas, plan)))
    bodies.append(_body(lists_html(session, atlas, plan)))
    head, tail = front.split(BODY_END, 1)
    return head + "\n".join(bodies) + BODY_END + tail
