"""Shared aggregation helpers: sum counts first, then recompute ratios (ATLAS_SPEC §3.2).

The tidy indicator table has one row per (indicator, level, code, year)::

    indicator  level        code  year  value   status  note
    O01        departement  01    y₁    12.0
    O04        region       01    y₂            nd      source limitée à la France métropolitaine

``level`` is ``departement`` (101 codes), ``region`` (18 codes) or ``france`` with codes
``FR`` (18 régions), ``FRM`` (France métropolitaine, 13 régions) and ``DROM`` (5 régions).
``status`` is ``""`` (value present), ``nd`` (no data) or ``so`` (not applicable); a missing
value is never 0.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from reports.data.sources.reference import DROM_REGIONS, METRO_REGIONS, Reference

COLUMNS = ["indicator", "level", "code", "year", "value", "status", "note"]
FRANCE_GROUPS = {"FR": METRO_REGIONS + DROM_REGIONS, "FRM": METRO_REGIONS, "DROM": DROM_REGIONS}


def sums_by_departement(
    df: pd.DataFrame, dep_col: str, value_cols: Iterable[str], ref: Reference
) -> pd.DataFrame:
    """Σ of ``value_cols`` per département code (all 101, 0 where the source has no row).

    Use only for sources that cover the territory (a true 0); mark uncovered territories
    afterwards with :func:`mark`.
    """
    cols = list(value_cols)
    g = df.groupby(dep_col)[cols].sum(min_count=1)
    g = g.reindex(ref.departement_codes)
    return g.fillna(0.0)


def roll_up(dep_sums: pd.DataFrame, ref: Reference) -> dict[str, pd.DataFrame]:
    """Département sums → {'departement', 'region', 'france'} frames indexed by code."""
    d2r = ref.dep_to_reg
    reg = dep_sums.groupby(dep_sums.index.map(d2r)).sum(min_count=1).reindex(ref.region_codes)
    fr = pd.DataFrame({k: reg.loc[v].sum(min_count=1) for k, v in FRANCE_GROUPS.items()}).T
    return {"departement": dep_sums, "region": reg, "france": fr}


def region_sums_to_france(reg: pd.DataFrame) -> pd.DataFrame:
    """Région-level frame (indexed by région code) → France rows FR / FRM / DROM."""
    return pd.DataFrame({k: reg.reindex(v).sum(min_count=1) for k, v in FRANCE_GROUPS.items()}).T


def to_rows(
    levels: dict[str, pd.Series | pd.DataFrame],
    indicator: str,
    year: int,
    column: str | None = None,
) -> pd.DataFrame:
    """{'region': Series indexed by code, ...} → tidy rows; NaN → status ``nd``."""
    out = []
    for level, s in levels.items():
        if isinstance(s, pd.DataFrame):
            s = s[column] if column else s.iloc[:, 0]
        frame = pd.DataFrame(
            {
                "indicator": indicator,
                "level": level,
                "code": s.index.astype(str),
                "year": int(year),
                "value": s.to_numpy(dtype=float),
            }
        )
        out.append(frame)
    rows = pd.concat(out, ignore_index=True)
    rows["status"] = np.where(rows["value"].isna(), "nd", "")
    rows["note"] = ""
    return rows[COLUMNS]


def ratio(
    levels: dict[str, pd.DataFrame], num: str, den: str, factor: float = 1.0
) -> dict[str, pd.Series]:
    """Σ numerator / Σ denominator × factor at every level (never an average of ratios)."""
    out = {}
    for level, frame in levels.items():
        d = frame[den].where(frame[den] != 0)
        out[level] = frame[num] / d * factor
    return out


def mark(
    rows: pd.DataFrame,
    codes: Iterable[str],
    status: str,
    note: str,
    *,
    indicators: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Blank the value of ``codes`` (any level) and set ``status``/``note`` (n.d. or s.o.)."""
    codes = set(codes)
    sel = rows["code"].isin(codes)
    if indicators is not None:
        sel &= rows["indicator"].isin(set(indicators))
    rows = rows.copy()
    rows.loc[sel, "value"] = np.nan
    rows.loc[sel, "status"] = status
    rows.loc[sel, "note"] = note
    return rows


def drom_departements(ref: Reference) -> list[str]:
    return list(ref.departements.loc[ref.departements["zone"] == "drom", "code"])


def territory_index(ref: Reference) -> dict[str, list[str]]:
    """Every (level → codes) the tidy table must cover."""
    return {
        "departement": ref.departement_codes,
        "region": ref.region_codes,
        "france": list(FRANCE_GROUPS),
    }


def population_levels(ref: Reference) -> dict[str, pd.DataFrame]:
    """POP(T) from ``Population.xls`` (single denominator vintage, ATLAS_SPEC §3.3)."""
    dep = sums_by_departement(ref.commune_pop, "departement", ["population"], ref)
    return roll_up(dep, ref)


def complete(rows: pd.DataFrame, ref: Reference, status: str, note: str) -> pd.DataFrame:
    """Add the territories missing for each (indicator, year) as ``status``/``note`` rows."""
    wanted = pd.DataFrame(
        [(lv, c) for lv, codes in territory_index(ref).items() for c in codes],
        columns=["level", "code"],
    )
    keys = rows[["indicator", "year"]].drop_duplicates()
    full = keys.merge(wanted, how="cross")
    have = rows.set_index(["indicator", "year", "level", "code"]).index
    missing = full[~full.set_index(["indicator", "year", "level", "code"]).index.isin(have)]
    if missing.empty:
        return rows
    extra = missing.assign(value=np.nan, status=status, note=note)[COLUMNS]
    return pd.concat([rows, extra], ignore_index=True)


def fill_notes(
    rows: pd.DataFrame, note: str, indicators: Iterable[str] | None = None
) -> pd.DataFrame:
    """Give ``note`` to n.d. rows that have no note yet (e.g. a zero denominator)."""
    sel = (rows["status"] == "nd") & (rows["note"] == "")
    if indicators is not None:
        sel &= rows["indicator"].isin(set(indicators))
    rows = rows.copy()
    rows.loc[sel, "note"] = note
    return rows


# --- level-aware helpers (codes collide between levels: région 01 ≠ département 01) ---------


def population_by_departement(ref: Reference) -> pd.Series:
    """POP(D) for the 101 départements (Population.xls, Insee)."""
    return ref.commune_pop.groupby("departement")["population"].sum().reindex(ref.departement_codes)


def add_population(levels: dict[str, pd.DataFrame], ref: Reference) -> dict[str, pd.DataFrame]:
    """Add a ``population`` column (POP(T)) to département / région / France frames."""
    pop = roll_up(population_by_departement(ref).to_frame("population"), ref)
    return {lvl: frame.assign(population=pop[lvl]["population"]) for lvl, frame in levels.items()}


def drom_territories(ref: Reference) -> dict[str, list[str]]:
    """The DROM as territories of every level (for :func:`mark_territories`)."""
    return {"departement": drom_departements(ref), "region": list(DROM_REGIONS), "france": ["DROM"]}


def metro_territories(ref: Reference) -> dict[str, list[str]]:
    deps = [c for c in ref.departement_codes if c not in set(drom_departements(ref))]
    return {"departement": deps, "region": list(METRO_REGIONS), "france": ["FRM"]}


def mark_territories(
    rows: pd.DataFrame,
    territories: dict[str, Iterable[str]],
    status: str,
    note: str,
    *,
    indicators: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Like :func:`mark`, but selecting (level, code) pairs, so région 01 ≠ département 01."""
    sel = pd.Series(False, index=rows.index)
    for level, codes in territories.items():
        sel |= (rows["level"] == level) & rows["code"].isin(set(codes))
    if indicators is not None:
        sel &= rows["indicator"].isin(set(indicators))
    rows = rows.copy()
    rows.loc[sel, "value"] = np.nan
    rows.loc[sel, "status"] = status
    rows.loc[sel, "note"] = note
    return rows


def default_note(rows: pd.DataFrame, note: str) -> pd.DataFrame:
    """Give ``note`` to every n.d. row that has none yet (e.g. a ratio with a zero denominator)."""
    rows = rows.copy()
    sel = (rows["status"] != "") & (rows["note"] == "")
    rows.loc[sel, "note"] = note
    return rows


def add_region_only(
    levels: dict[str, pd.DataFrame], extra: pd.DataFrame, ref: Reference
) -> dict[str, pd.DataFrame]:
    """Add counts known only at région level (indexed by région code) to région and France."""
    reg = levels["region"].add(extra.reindex(ref.region_codes).fillna(0.0), fill_value=0.0)
    reg = reg[levels["region"].columns]
    return {**levels, "region": reg, "france": region_sums_to_france(reg)}
