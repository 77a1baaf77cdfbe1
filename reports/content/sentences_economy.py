"""Analysis sentences on the cultural economy: public spending, jobs and firms (rules A6
dépenses, A7 emploi, A8 entreprises)."""

from __future__ import annotations

from dataclasses import dataclass

from reports import edition
from reports.content.facts import Ctx, Nd, Skip, component_name, leading, stat
from reports.content.wording import cap
from reports.errors import DataError


# --- A6 dépenses ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Level:
    amount: str
    per_inh: str
    who: str  # "du ministère de la Culture"
    covered: bool = False


SPENDING = (
    _Level("D01", "D01_per_inh", "du ministère de la Culture"),
    _Level("D03", "D03_per_inh", "de la collectivité régionale"),
    _Level("D05", "D05_per_inh", "des départements"),
    _Level("D06", "D06_per_inh", "des communes de plus de 3 500 habitants", covered=True),
    _Level("D09", "D09_per_inh", "des intercommunalités", covered=True),
)


def _per(level: _Level) -> str:
    return " par habitant couvert" if level.covered else " par habitant"


def d01(ctx: Ctx) -> str:
    v = ctx.get("D01")
    lead = (
        f"En {v.year or edition.current().year('spending')}, les dépenses du ministère de la "
        f"Culture {ctx.dans()} "
        f"s'élèvent à {ctx.show(v)}, soit"
    )
    return stat(ctx, "D01_per_inh", lead, after=" par habitant", noun="un montant", rank=True)


def spending(ctx: Ctx, level: _Level) -> str:
    lead = f"Les dépenses culturelles {level.who} atteignent"
    return stat(ctx, level.per_inh, lead, after=_per(level), noun="un montant")


def highest_level(ctx: Ctx) -> str:
    level, code = ctx.where()
    vals: dict[_Level, float] = {}
    for lv in SPENDING:
        try:
            v = ctx.store.get(lv.per_inh, level, code)
        except DataError:
            continue
        if v.value is not None:
            vals[lv] = v.value
    if len(vals) < 2:
        raise Skip
    best = max(vals, key=lambda k: vals[k])
    # its amount per inhabitant is the sentence of that level, just before: not said twice
    return (
        f"Rapportée à la population, la dépense culturelle la plus élevée {ctx.de()} est "
        f"celle {best.who}."
    )


def d07(ctx: Ctx) -> str:
    return stat(
        ctx,
        "D07",
        f"La part de l'investissement dans les dépenses culturelles des communes {ctx.de()} est de",
        noun="un niveau",
    )


def d08(ctx: Ctx) -> str:
    ind = leading(ctx, "D08")
    lead = (
        f"Le premier poste de dépenses culturelles des communes {ctx.de()} est "
        f"« {component_name(ctx, ind)} », avec"
    )
    v = ctx.get(ind)
    if ctx.is_fr:
        return f"{lead} {ctx.show(v)} du total."
    r = ctx.ref(ind)
    return f"{lead} {ctx.show(v)} du total, contre {ctx.show(r)} en France."


# --- A7 emploi / A8 entreprises ------------------------------------------------------------
def _share_with_count(ctx: Ctx, count: str, share: str, what: str, of: str, rank: bool) -> str:
    v = ctx.get(count)
    lead = f"{cap(ctx.subj())} compte {ctx.show(v)} {what}, soit"
    return stat(ctx, share, lead, after=f" {of}", noun="une part", feminine=True, rank=rank)


def e01(ctx: Ctx) -> str:
    return _share_with_count(
        ctx,
        "E01",
        "E01_share",
        "actifs exerçant une profession culturelle",
        "des actifs",
        rank=True,
    )


def e02(ctx: Ctx) -> str:
    return stat(
        ctx,
        "E02_share",
        "Les actifs des secteurs culturels représentent",
        after=f" des actifs {ctx.de()}",
        noun="une part",
        feminine=True,
    )


def top_zone(ctx: Ctx) -> str:
    z = ctx.store.zones_emploi
    if not ctx.is_fr:
        z = z[z["region"] == ctx.code]
    z = z.dropna(subset=["E01_share"])
    if z.empty:
        raise Nd(f"Zones d'emploi : n.d. pour {ctx.full()}.")
    if len(z) < 2:
        raise Skip  # one zone (Mayotte): "the highest" would say nothing
    top = z.loc[z["E01_share"].idxmax()]
    inter = str(top.get("interregional", "")).strip().lower() in {"1", "true", "oui", "yes"}
    flag = " (zone interrégionale)" if inter else ""
    where = "de France" if ctx.is_fr else "de la région"
    return (
        f"Parmi les zones d'emploi {where}, « {top['name']} »{flag} présente la part de "
        "professions culturelles la plus élevée "
        f"({ctx.num('E01_share', float(top['E01_share']))} des actifs)."
    )


def n01(ctx: Ctx) -> str:
    return _share_with_count(
        ctx,
        "N01",
        "N01_share",
        "entreprises culturelles marchandes",
        "des entreprises du secteur marchand",
        rank=True,
    )


def n02(ctx: Ctx) -> str:
    return stat(
        ctx,
        "N02_share",
        "Les salariés des secteurs culturels marchands représentent",
        after=f" des salariés du secteur marchand {ctx.de()}",
        noun="une part",
        feminine=True,
    )
