"""Analysis sentences on the territory and its cultural offer (rules A1 contexte, A2 offre,
A3 festivals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reports.content.facts import (
    Ctx,
    Skip,
    component_name,
    extreme_names,
    leading,
    metro_drom,
    min_max,
    rank_clause,
    share_of,
    stat,
)
from reports.content.wording import cap, join, plural
from reports.data.store import Value
from reports.errors import DataError


# --- A1 contexte ---------------------------------------------------------------------------
def c01(ctx: Ctx) -> str:
    v = ctx.get("C01")
    year = f" en {v.year}" if v.year else ""
    year += f" ({v.note.rstrip('.')})" if v.note else ""
    if ctx.is_fr:
        return (
            f"La France compte {ctx.show(v)} habitants{year}"
            f"{metro_drom(ctx, 'C01', None)}{min_max(ctx, 'C01', None)}."
        )
    return (
        f"{cap(ctx.subj())} compte {ctx.show(v)} habitants{year}, soit "
        f"{share_of(ctx, 'C01')} de la population française{rank_clause(ctx, v)} "
        "par sa population."
    )


def c03(ctx: Ctx) -> str:
    return stat(
        ctx,
        "C03",
        f"La densité de population {ctx.de()} est de",
        suffix=" habitants par km²",
        noun="un niveau",
    )


def c05(ctx: Ctx) -> str:
    return stat(
        ctx,
        "C05",
        f"Les communes peu ou très peu denses {ctx.de()} regroupent",
        after=" de la population",
        noun="une part",
        feminine=True,
    )


def c07(ctx: Ctx) -> str:
    return stat(
        ctx,
        "C07",
        f"Les communes hors attraction des villes {ctx.de()} regroupent",
        after=" de la population",
        noun="une part",
        feminine=True,
        zero=f"Aucune commune {ctx.de()} n’est hors attraction des villes "
        "(en France, {ref} de la population)",
    )


def c13(ctx: Ctx) -> str:
    v = ctx.get("C13")
    n = v.value or 0
    if n == 0:
        return f"Aucune commune {ctx.de()} ne participe au programme « Action cœur de ville »."
    communes = plural(n, "commune participe", "communes participent")
    # the place first: a sentence does not open on a numeral (DESIGN.md "Words")
    text = f"{cap(ctx.dans())}, {ctx.show(v)} {communes} au programme « Action cœur de ville »"
    if ctx.is_fr:
        return text + metro_drom(ctx, "C13", None) + "."
    return f"{text} (sur {ctx.show(ctx.ref('C13'))} en France)."


# --- A2 offre ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Offer:
    count: str
    ratio: str
    noun: tuple[str, str]  # singular, plural
    short: str  # for the "best département" sentence


OFFERS = (
    _Offer("O01", "O01_p100k", ("musée de France", "musées de France"), "les musées"),
    _Offer(
        "O02",
        "O02_p100k",
        ("bibliothèque municipale", "bibliothèques municipales"),
        "les bibliothèques",
    ),
    _Offer("O05", "O05_p100k", ("écran de cinéma", "écrans de cinéma"), "les écrans de cinéma"),
    _Offer("O10", "O10_p100k", ("festival", "festivals"), "les festivals"),
)


def offer(ctx: Ctx, o: _Offer) -> str:
    v = ctx.get(o.count)
    noun = plural(v.value or 0, *o.noun)
    if ctx.is_fr:
        lead = f"{cap(ctx.subj(o.count))} compte {ctx.show(v)} {noun}, soit"
    else:
        total = "de la France métropolitaine" if ctx.metro(o.count) else "du total national"
        lead = (
            f"{cap(ctx.subj())} compte {ctx.show(v)} {noun} "
            f"({share_of(ctx, o.count)} {total}), soit"
        )
    return stat(ctx, o.ratio, lead, suffix=" pour 100 000 habitants", noun="un taux", rank=True)


def _vintage(ctx: Ctx, ind: str, v: Value) -> str:
    try:
        text = ctx.store.info(ind)["vintage"].strip()
    except (KeyError, DataError):
        text = ""
    text = text if text and text.lower() != "nan" else str(v.year or "")
    return text if text.startswith("≈") else "≈" + text


def _cinema_drom(ctx: Ctx) -> str:
    """DROM: the Deps equipment base (edition year ``cinemas_drom``) replaces the CNC count,
    metropolitan only."""
    where = "DROM" if ctx.is_fr else ctx.code
    level = "france" if ctx.is_fr else "region"
    who = "les DROM" if ctx.is_fr else ctx.subj()
    v = ctx.need(ctx.raw("O04D", level, where), who)
    head = f"D'après la base des équipements du Deps (millésime {_vintage(ctx, 'O04D', v)}), {who}"
    n = v.value or 0
    if n == 0:
        return f"{head} {'ne comptent' if ctx.is_fr else 'ne compte'} aucun cinéma."
    verb = "comptent" if ctx.is_fr else "compte"
    text = f"{head} {verb} {ctx.show(v)} {plural(n, 'cinéma', 'cinémas')}"
    s = ctx.raw("O04D_salles", level, where)
    if s.value:
        text += f" totalisant {ctx.show(s)} {plural(s.value, 'salle', 'salles')}"
    return text + " ; les données du CNC sont limitées à la France métropolitaine."


def best_departements(ctx: Ctx) -> str:
    deps = None if ctx.is_fr else ctx.store.departements_of(ctx.code)
    if deps is not None and len(deps) < 2:
        raise Skip
    groups: dict[str, list[str]] = {}  # département(s) → what they lead, in OFFERS order
    for o in OFFERS:
        if ctx.drom and ctx.metro(o.ratio):
            continue
        s = ctx.store.level_values(o.ratio, "departement").dropna()
        if deps is not None:
            s = s[s.index.isin(deps)]
        if s.empty:
            continue
        best = float(s.max())
        names = extreme_names(ctx, s, best, ctx.dep_name)
        groups.setdefault(names, []).append(f"{o.short} ({ctx.num(o.ratio, best)})")
    if not groups:
        raise Skip
    # one subject, one list: "Corse-du-Sud pour les musées (3,2), les bibliothèques (11,4) …"
    items = [f"{names} pour {join(what)}" for names, what in groups.items()]
    if len(items) == 1:
        return f"Département le mieux doté pour 100 000 habitants : {items[0]}."
    return f"Départements les mieux dotés pour 100 000 habitants : {' ; '.join(items)}."


GARDEN = ("jardin remarquable", "jardins remarquables")
SPR = ("site patrimonial remarquable", "sites patrimoniaux remarquables")


def _count_phrase(ctx: Ctx, ind: str, noun: tuple[str, str]) -> str:
    """``25 jardins remarquables (5,3 % du total national)``."""
    v = ctx.get(ind)
    text = f"{ctx.show(v)} {plural(v.value or 0, *noun)}"
    return text if ctx.is_fr else f"{text} ({share_of(ctx, ind)} du total national)"


def gardens_spr(ctx: Ctx) -> str:
    """O13 + O14 counts; a true zero is written ``aucun`` (exhaustive label lists)."""
    items = {"O13": GARDEN, "O14": SPR}
    zero = [noun[0] for ind, noun in items.items() if not ctx.get(ind).value]
    subj = cap(ctx.subj())
    if len(zero) == len(items):
        return f"{subj} ne compte aucun {' ni '.join(zero)}."
    some = [_count_phrase(ctx, ind, noun) for ind, noun in items.items() if noun[0] not in zero]
    tail = f", mais aucun {zero[0]}" if zero else ""
    return f"{subj} compte également {join(some)}{tail}."


def offer_sentences(ctx: Ctx) -> list[Callable[[Ctx], str]]:
    out: list[Callable[[Ctx], str]] = []
    for o in OFFERS[:3]:
        if o.count == "O05" and ctx.drom:
            out.append(_cinema_drom)
        else:
            out.append(lambda c, o=o: offer(c, o))
    if ctx.is_fr:
        out.append(_cinema_drom)
    return out


# --- A3 festivals --------------------------------------------------------------------------
def festival_density(ctx: Ctx) -> str:
    return stat(
        ctx,
        "O10_p100k",
        f"La densité de festivals {ctx.de()} est de",
        suffix=" pour 100 000 habitants",
        noun="un niveau",
    )


def festival_discipline(ctx: Ctx) -> str:
    ind = leading(ctx, "O11")
    lead = (
        f"La discipline dominante la plus fréquente est « {component_name(ctx, ind)} », "
        "qui concerne"
    )
    if ctx.is_fr:
        return stat(ctx, ind, lead, after=" des festivals")
    v, r = ctx.get(ind), ctx.ref(ind)
    return f"{lead} {ctx.show(v)} des festivals {ctx.de()}, contre {ctx.show(r)} en France."


#: above this share of festivals in "autre période ou période non renseignée", the seasons
#: say nothing of the territory (the DROM give a month, "Juillet", which O12 counts there)
SEASON_UNKNOWN_MAX = 50.0


def festival_summer(ctx: Ctx) -> str:
    other = ctx.get("O12.autre")
    if other.value is not None and other.value > SEASON_UNKNOWN_MAX:
        raise Skip  # "Aucun festival … en saison estivale" would be false (Guyane: 2 in July)
    return stat(
        ctx,
        "O12",
        "Les festivals organisés en saison estivale (21 juin–5 septembre) représentent",
        after=f" des festivals {ctx.de()}",
        noun="une part",
        feminine=True,
        zero=f"Aucun festival {ctx.de()} n’a lieu en saison estivale (21 juin–5 septembre), "
        "contre {ref} des festivals en France",
    )
