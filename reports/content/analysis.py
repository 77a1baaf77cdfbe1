"""Analysis text of the fiches and regional chapters (ATLAS_SPEC §2.9, rules A1–A8).

Every sentence is a fixed French template filled from :class:`~reports.data.store.Store`
values; there is no free prose. A sentence whose inputs are n.d./s.o. is dropped and the
missing input is reported once in :attr:`Analysis.nd_notes` (printed in the notes block).
Numbers go through :mod:`reports.content.present`, so they are exactly the strings of the tables.

``region`` is a région code (``'84'``, ``'01'`` …) or ``'FR'`` for the national fiche, where
rank statements are replaced by the min/max régions and métropole vs DROM values.

This module holds the plan (which sentences make each section's paragraphs) and runs it. The
sentences are in :mod:`~reports.content.sentences_offer`,
:mod:`~reports.content.sentences_attendance` and :mod:`~reports.content.sentences_economy`,
built on :mod:`~reports.content.facts` and :mod:`~reports.content.wording`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from reports import edition
from reports.content import fmt
from reports.content.facts import Ctx, Nd, Skip
from reports.content.sentences_attendance import f01, f03, f04, f05, f09, f11, o07, top_museum
from reports.content.sentences_economy import (
    SPENDING,
    d01,
    d07,
    d08,
    e01,
    e02,
    highest_level,
    n01,
    n02,
    spending,
    top_zone,
)
from reports.content.sentences_offer import (
    OFFERS,
    best_departements,
    c01,
    c03,
    c05,
    c07,
    c13,
    festival_density,
    festival_discipline,
    festival_summer,
    gardens_spr,
    offer,
    offer_sentences,
)
from reports.data.store import Store

SECTIONS = (
    "contexte",
    "offre",
    "festivals",
    "frequentation",
    "cinema",
    "depenses",
    "emploi",
    "entreprises",
)


@dataclass
class Analysis:
    paragraphs: list[str] = field(default_factory=list)
    nd_notes: list[str] = field(default_factory=list)


# --- sections ------------------------------------------------------------------------------
Sentence = Callable[[Ctx], str]


@dataclass(frozen=True)
class _Para:
    sentences: tuple[Sentence, ...] | Callable[[Ctx], list[Sentence]]
    key: str = ""  # if this input is n.d., the paragraph becomes one n.d. sentence
    nd_lead: str = ""  # "Les données … ne sont pas disponibles …"


def _spending_sentences(ctx: Ctx) -> list[Sentence]:
    return [d01] + [lambda c, lv=lv: spending(c, lv) for lv in SPENDING[1:4]]


def _cinema_sentences(ctx: Ctx) -> list[Sentence]:
    return [f09, f11, o07]


PLAN: dict[str, tuple[_Para, ...]] = {
    "contexte": (_Para((c01, c03, c05, c07, c13)),),
    "offre": (
        _Para(lambda c: [*offer_sentences(c), best_departements]),
        _Para((lambda c: offer(c, OFFERS[3]), gardens_spr)),
    ),
    "festivals": (_Para((festival_density, festival_discipline, festival_summer)),),
    "frequentation": (_Para((f01, f03, f04, top_museum, f05)),),
    "cinema": (
        _Para(
            _cinema_sentences,
            key="F09",
            nd_lead=edition.current().text(
                "Les données du CNC sur les cinémas (entrées {cinemas}, "
                "écrans {screens_first}–{screens_last})"
            ),
        ),
    ),
    "depenses": (
        _Para(_spending_sentences),
        _Para((highest_level, d07, d08)),
    ),
    "emploi": (
        _Para(
            (e01, e02, top_zone),
            key="E01_share",  # Mayotte: RP figure « non exploitable » (ATLAS_SPEC §3.9)
            nd_lead="Les données du recensement sur les actifs culturels",
        ),
    ),
    "entreprises": (
        _Para(
            (n01, n02),
            key="N01_share",
            nd_lead="Les données sur les entreprises culturelles marchandes et leurs salariés",
        ),
    ),
}


def _run(ctx: Ctx, sentences: Iterable[Sentence], notes: list[str]) -> list[str]:
    out = []
    for sentence in sentences:
        named = ctx.named  # a dropped sentence has not named the région
        try:
            out.append(sentence(ctx))
        except Nd as nd:
            ctx.named = named
            notes.append(nd.note)
        except Skip:
            ctx.named = named
            continue
    return out


def _nd_paragraph(ctx: Ctx, para: _Para, notes: list[str]) -> str | None:
    """One n.d. sentence when the key input of the paragraph is missing (DROM cinema, Mayotte)."""
    if not para.key or ctx.is_fr:
        return None
    try:
        ctx.get(para.key)
    except Nd as nd:
        v = ctx.raw(para.key, *ctx.where(para.key))
        reason = f" : {v.note.rstrip('.')}" if v.note else ""
        status = fmt.SO if v.status == "so" else fmt.ND
        notes.append(nd.note)
        return f"{para.nd_lead} ne sont pas disponibles pour {ctx.subj()} ({status}{reason})."
    return None


def _context(store: Store, region: str) -> Ctx:
    if region == "FR":
        return Ctx(store, "FR")
    t = store.territory("region", region)
    zone = str(t.get("zone", "") or "").strip().lower()
    return Ctx(store, region, name=str(t["name"]), drom=zone == "drom")


def analyse(section: str, store: Store, region: str) -> Analysis:
    """Paragraphs of analysis text for ``section`` (A1–A8) of région ``region`` or ``'FR'``."""
    if section not in PLAN:
        raise ValueError(f"unknown section {section!r}; expected one of {', '.join(SECTIONS)}")
    ctx = _context(store, region)
    result = Analysis()
    for para in PLAN[section]:
        ctx.named = False  # each paragraph names the région once
        nd = _nd_paragraph(ctx, para, result.nd_notes)
        if nd is not None:
            result.paragraphs.append(nd)
            continue
        sentences = para.sentences(ctx) if callable(para.sentences) else para.sentences
        kept = _run(ctx, sentences, result.nd_notes)
        if kept:
            result.paragraphs.append(" ".join(kept))
    result.nd_notes = list(dict.fromkeys(result.nd_notes))
    return result
