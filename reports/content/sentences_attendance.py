"""Analysis sentences on attendance: museum visits and cinema (rules A4 fréquentation des
musées, A5 cinéma)."""

from __future__ import annotations

import pandas as pd

from reports import edition
from reports.content.facts import Ctx, Nd, Skip, extreme_names, metro_drom, min_max, share_of, stat
from reports.content.wording import pct, town

# --- A4 fréquentation des musées -----------------------------------------------------------
ED = edition.current()
TOP_YEAR, BASE, TROUGH = ED.year("museums_last"), ED.year("museums_base"), ED.year("museums_trough")


def f01(ctx: Ctx) -> str:
    v = ctx.get("F01")
    where = "" if ctx.is_fr else f" {ctx.de()}"
    lead = f"En {v.year}, les musées de France{where} ont accueilli {ctx.show(v)} visiteurs"
    if ctx.is_fr:
        return lead + metro_drom(ctx, "F01", v.year) + min_max(ctx, "F01", v.year) + "."
    return f"{lead}, soit {share_of(ctx, 'F01', v.year)} des entrées nationales."


def f03(ctx: Ctx) -> str:
    return stat(ctx, "F03", f"Par rapport à {BASE}, leur fréquentation a évolué de", change=True)


def f04(ctx: Ctx) -> str:
    lead = f"En {TROUGH}, l'indice de fréquentation (base 100 en {BASE}) est tombé à"
    return stat(ctx, "F04", lead, year=TROUGH)


def top_museum(ctx: Ctx) -> str:
    m = ctx.store.museums
    if not ctx.is_fr:
        m = m[m["region"] == ctx.code]
    m = m.dropna(subset=["entries_last"])
    if m.empty:
        raise Nd(f"Musée le plus fréquenté : n.d. pour {ctx.full()}.")
    top = m.loc[m["entries_last"].idxmax()]
    total = ctx.get("F01", TOP_YEAR)
    if not total.value:
        raise Skip
    share = pct(100 * float(top["entries_last"]) / total.value)
    where = "de France" if ctx.is_fr else "de la région"
    scope = "nationales" if ctx.is_fr else "régionales"
    ville = top.get("ville")
    where_town = f" ({town(ville)})" if isinstance(ville, str) and ville else ""
    return (
        f"Le musée le plus fréquenté {where}, « {top['name']} »{where_town}, a reçu "
        f"{ctx.num('F01', float(top['entries_last']))} entrées en {TOP_YEAR}, soit {share} "
        f"des entrées {scope}."
    )


def f05(ctx: Ctx) -> str:
    return stat(
        ctx,
        "F05",
        f"Les entrées gratuites dans les musées {ctx.de()} représentent",
        after=" des entrées",
        noun="une part",
        feminine=True,
    )


# --- A5 cinéma -----------------------------------------------------------------------------
def f09(ctx: Ctx) -> str:
    v = ctx.get("F09")
    year = f"En {v.year}, l" if v.year else "L"
    lead = f"{year}es cinémas {ctx.de('F09')} ont enregistré"
    return stat(
        ctx,
        "F09",
        lead,
        suffix=" entrée par habitant" if (v.value or 0) < 2 else " entrées par habitant",
        noun="un niveau",
    )


def _screens_change(ctx: Ctx, level: str, code: str, first: int, last: int) -> float | None:
    s = ctx.store.series("F11", level, code)
    a, b = s.get(first), s.get(last)
    if a is None or b is None or pd.isna(a) or pd.isna(b) or a == 0:
        return None
    return 100 * (float(b) / float(a) - 1)


def f11(ctx: Ctx) -> str:
    ctx.ref("F11")  # n.d. check
    ref = ctx.store.series("F11", "france", "FRM").dropna()
    first, last = int(ref.index.min()), int(ref.index.max())
    a, b = ctx.get("F11", first), ctx.get("F11", last)
    level, code = ctx.where("F11")
    change = _screens_change(ctx, level, code, first, last)
    text = (
        f"Le parc d'écrans {ctx.de('F11')} est passé de {ctx.show(a)} en {first} à "
        f"{ctx.show(b)} en {last} ({ctx.change('F11', change)})"
    )
    if not ctx.is_fr:
        fr = _screens_change(ctx, "france", "FRM", first, last)
        return f"{text}, contre {ctx.change('F11', fr)} pour la France métropolitaine."
    changes = {
        c: _screens_change(ctx, "region", str(c), first, last)
        for c in ctx.store.level_values("F11", "region", last).dropna().index
    }
    s = pd.Series({k: v for k, v in changes.items() if v is not None}, dtype=float)
    if s.empty:
        return text + "."
    lo, hi = float(s.min()), float(s.max())
    if lo == hi:
        return text + "."
    return (
        f"{text} ; les évolutions régionales vont de {ctx.change('F11', lo)} "
        f"({extreme_names(ctx, s, lo, ctx.region_name)}) à {ctx.change('F11', hi)} "
        f"({extreme_names(ctx, s, hi, ctx.region_name)})."
    )


def o07(ctx: Ctx) -> str:
    return stat(
        ctx,
        "O07",
        "Les établissements classés Art et Essai représentent",
        after=f" des cinémas {ctx.de('O07')}",
        noun="une part",
        feminine=True,
    )
