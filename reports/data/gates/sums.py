"""Gates on the values: shares and coverage at most 100 %, Σ départements = région and
Σ régions = France for additive indicators."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from reports.data.gates.base import (
    CHANGES,
    COVERAGE_WARN,
    FIRST,
    FRANCE_EXTRA,
    SUM_ABS_TOL,
    SUM_REL_TOL,
    SUM_SHORTFALL,
    GateInput,
    Result,
    n,
    pct,
    source_of,
    territory,
)
from reports.data.gates.keys import _offending

# --- shares and coverage ---------------------------------------------------------------------


def shares_at_most_100(inp: GateInput) -> Iterable[Result]:
    pct_ids = set(inp.meta.index[inp.meta["unit"] == "%"]) - CHANGES
    pct_ids = {i for i in pct_ids if not i.endswith("_coverage")}
    v = inp.values[inp.values["indicator"].isin(pct_ids) & inp.values["value"].notna()]
    bad = v[v["value"] > 100 + SUM_ABS_TOL]
    yield Result(
        "shares ≤ 100 %",
        "indicators.csv: percentage shares (unit %, changes and coverage apart)",
        f"{n(len(v))} values, max {pct(v['value'].max(), 2)}, {len(bad)} above 100 %",
        source=source_of(str(bad["indicator"].iloc[0])) if len(bad) else "",
        failures=_offending(bad),
    )


def coverage_at_most_100(inp: GateInput) -> Iterable[Result]:
    """§3.9 "coverage above 100 %": La Réunion's D06 covered population is 100.3 % of POP
    (population vintages differ) → printed "≈ 100 %" with a note, never more than 100 %."""
    ids = sorted(i for i in inp.meta.index if i.endswith("_coverage"))
    v = inp.values[inp.values["indicator"].isin(ids) & inp.values["value"].notna()]
    above = v[v["value"] > 100 + SUM_ABS_TOL]
    bad = v[(v["value"] > COVERAGE_WARN) | (v["value"] < 0)]
    soft = above[above["value"] <= COVERAGE_WARN]
    warnings = []
    if len(soft):
        listed = ", ".join(
            f"{r.indicator} {territory(r.level, r.code)} {pct(r.value, 2)}"
            for r in soft.itertuples()
        )
        warnings.append(
            f"covered population above 100 % (population vintages differ; print « ≈ 100 % », "
            f"§3.9): {listed}"
        )
    yield Result(
        "coverage ≤ 100 %",
        f"indicators.csv: {', '.join(ids)}",
        f"{n(len(v))} values, {len(above)} above 100 % (max {pct(v['value'].max(), 2)}), "
        f"{len(bad)} above {COVERAGE_WARN:g} % or negative",
        source=source_of(str(bad["indicator"].iloc[0])) if len(bad) else "",
        failures=_offending(bad),
        warnings=warnings,
    )


# --- Σ départements = région, Σ régions = France ---------------------------------------------


def additive_sums(inp: GateInput) -> Iterable[Result]:
    v = inp.values[inp.values["indicator"].isin(inp.additive)]
    keys = ["indicator", "year", "region"]
    dep = v[v["level"] == "departement"].assign(region=lambda d: d["code"].map(inp.dep_region))
    dep_sum = dep.groupby(keys)["value"].sum()  # n.d./s.o. départements count as 0
    reg = v[v["level"] == "region"].rename(columns={"code": "region"}).set_index(keys)["value"]
    reg = reg.dropna()
    diff = reg - dep_sum.reindex(reg.index).fillna(0.0)
    ind = diff.index.get_level_values("indicator")
    shortfall = ind.isin(list(SUM_SHORTFALL)) & (diff > 0)  # région-only rows, checked below
    off = diff[(diff.abs() > SUM_ABS_TOL + SUM_REL_TOL * reg.abs()) & ~shortfall]
    failures = [
        (i, f"{i} {y} région {r}: Σ départements {reg[(i, y, r)] - d:g} ≠ {reg[(i, y, r)]:g}")
        for (i, y, r), d in off.items()
    ]
    notes = []
    for (name, year), gap in diff[shortfall].groupby(level=["indicator", "year"]):
        total = reg.xs((name, year), level=["indicator", "year"]).sum()
        share = gap.sum() / total if total else 0.0
        where = ", ".join(f"{r} {n(x)}" for (_i, _y, r), x in gap.items())
        limit = SUM_SHORTFALL[str(name)]
        note = (
            f"{name} {year}: {n(gap.sum())} counted at région level only ({where}), "
            f"{pct(100 * share, 2)} of France"
        )
        notes.append(f"{note} ≤ {pct(100 * limit)}")
        if share > limit:
            failures.append((str(name), f"{note} > {pct(100 * limit)}"))
    groups = v[["indicator", "year"]].drop_duplicates()
    figure = (
        f"{len(groups)} additive indicator-years, {n(len(reg))} régions compared, "
        f"{len(failures)} off (tolerance {SUM_ABS_TOL:g} absolute + {SUM_REL_TOL:g} relative)"
    )
    if notes:
        figure += "; " + "; ".join(notes)
    yield Result(
        "Σ départements = région",
        "indicators.csv: additive indicators (indicator_meta additive = true)",
        figure,
        source=source_of(failures[0][0]) if failures else "",
        failures=[text for _i, text in failures],
    )
    yield from _france_sums(inp, v)


def _france_sums(inp: GateInput, v: pd.DataFrame) -> Iterable[Result]:
    reg = v[v["level"] == "region"].copy()
    reg["zone"] = reg["code"].map(inp.region_zone)
    groups = {
        "FR": reg.groupby(["indicator", "year"])["value"].sum(),
        "FRM": reg[reg["zone"] == "metro"].groupby(["indicator", "year"])["value"].sum(),
        "DROM": reg[reg["zone"] == "drom"].groupby(["indicator", "year"])["value"].sum(),
    }
    fr = v[v["level"] == "france"].set_index(["code", "indicator", "year"])["value"].dropna()
    everything = inp.values[inp.values["level"] == "france"]
    extra_of = everything.set_index(["code", "indicator", "year"])["value"]
    failures, checked, extras = [], 0, []
    for (code, ind, year), value in fr.items():
        total = groups[str(code)].get((ind, year), 0.0)
        checked += 1
        tol = SUM_ABS_TOL + SUM_REL_TOL * abs(value)
        extra_id = FRANCE_EXTRA.get(str(ind)) if code == "FR" else None
        if extra_id is not None:
            extra = float(extra_of.get((code, extra_id, year), 0.0) or 0.0)
            gap, exact = value - total, ind == extra_id.split("_")[0]
            ok = abs(gap - extra) <= tol if exact else -tol <= gap <= extra + tol
            if not ok:
                failures.append(f"{ind} {year} FR: Σ régions {total:g} + {extra_id} {extra:g} "
                                f"≠ {value:g}")  # fmt: skip
            elif exact:
                extras.append(f"{ind} FR = Σ régions + {extra_id} ({n(extra)} €)")
            continue
        if abs(total - value) > tol:
            failures.append(f"{ind} {year} {code}: Σ régions {total:g} ≠ {value:g}")
    figure = f"{checked} France rows compared, {len(failures)} off"
    if extras:
        figure += "; " + "; ".join(extras)
    yield Result(
        "Σ régions = France",
        "indicators.csv: additive indicators, FR / FRM / DROM rows",
        figure,
        source=source_of(failures[0].split()[0]) if failures else "",
        failures=failures[:FIRST],
    )
