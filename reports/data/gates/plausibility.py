"""Plausibility gates of ATLAS_SPEC §3.9: RP employment, library surface, museum attendance
changes."""

from __future__ import annotations

from collections.abc import Iterable

from reports.data.gates.base import (
    CHANGES,
    ED,
    FIRST,
    LIBRARIES,
    MUSEUM_CHANGE,
    RP_PROFESSIONS,
    RP_SECTORS,
    VISITS,
    GateInput,
    Result,
    n,
    pct,
    source_of,
    territory,
)
from reports.data.gates.keys import _offending
from reports.data.sources.emploi import ACTIFS_BAND  # §3.9: outside → "non exploitable"

# --- plausibility (ATLAS_SPEC §3.9) ----------------------------------------------------------


def rp_plausibility(inp: GateInput) -> Iterable[Result]:
    """§3.9 Mayotte employment: a région with actifs per 100 inhabitants outside 20–60 % has
    an RP figure "non exploitable": the emploi reader makes it n.d. (with its départements),
    so a région still valued outside the band fails; a département outside it (Paris, 83 %)
    is a warning. Impossible rows fail: more actifs than inhabitants, more cultural actifs
    than actifs."""
    for prefix, source in (("E01", RP_PROFESSIONS), ("E02", RP_SECTORS)):
        w = inp.wide(["C01", prefix, f"{prefix}_actifs"]).dropna()
        rate = 100 * w[f"{prefix}_actifs"] / w["C01"]
        share = 100 * w[prefix] / w[f"{prefix}_actifs"]
        impossible = (rate > 100) | (share > 100) | (w[f"{prefix}_actifs"] <= 0)
        failures = [
            f"{territory(*k)}: {n(w.loc[k, f'{prefix}_actifs'])} actifs for "
            f"{n(w.loc[k, 'C01'])} inhabitants ({pct(rate[k])}), {n(w.loc[k, prefix])} "
            f"cultural ({pct(share[k], 2)})"
            for k in rate.index[impossible][:FIRST]
        ]
        low, high = ACTIFS_BAND
        out = rate[((rate < low) | (rate > high)) & ~impossible]
        regions = [k for k in out.index if k[0] == "region"]
        failures += [
            f"{territory(*k)}: {pct(out[k], 2)} actifs per 100 inhabitants still has a value "
            "(§3.9: n.d. « donnée du recensement non exploitable pour ce territoire »)"
            for k in regions[:FIRST]
        ]
        others = out.drop(regions)
        warnings = []
        if len(others):
            listed = ", ".join(f"{territory(*k)} {pct(x, 2)}" for k, x in others.items())
            warnings.append(
                f"{prefix}: actifs per 100 inhabitants outside {low:g}–{high:g} % ({listed}), "
                "kept: the §3.9 band is set on régions and a département follows its région "
                "(jobs concentrate in Paris)"
            )
        yield Result(
            "RP plausibility",
            f"indicators.csv: {prefix}_actifs / C01, {prefix} / {prefix}_actifs",
            f"{len(w)} territories, actifs per 100 inhabitants {rate.min():.2f}–{rate.max():.2f} "
            f"%, {len(out)} outside {low:g}–{high:g} %, {int(impossible.sum())} impossible",
            source=source,
            failures=failures,
            warnings=warnings,
        )


def library_surface(inp: GateInput) -> Iterable[Result]:
    """§3.9 O03: no library surface known (coverage 0 %) → O03 n.d., not 0 (the offre reader
    does it; a value left there fails); a covered share below 80 % is printed next to O03."""
    w = inp.wide(["O03", "O03_coverage"])
    zero = w[(w["O03_coverage"] == 0) & w["O03"].notna()]
    low = w[(w["O03_coverage"] < 80)]
    failures = [
        f"O03 {territory(*k)} = {w.loc[k, 'O03']:g} with no library surface known (§3.9: n.d.)"
        for k in zero.index[:FIRST]
    ]
    regions = sum(1 for lvl, _ in low.index if lvl == "region")
    deps = sum(1 for lvl, _ in low.index if lvl == "departement")
    yield Result(
        "library surface",
        "indicators.csv: O03 vs O03_coverage",
        f"{len(zero)} territories with a value but 0 % coverage; coverage < 80 % (covered share "
        f"printed next to O03): {regions} régions, {deps} départements",
        source=LIBRARIES,
        failures=failures,
    )


def attendance_change(inp: GateInput) -> Iterable[Result]:
    """§3.9 museum evolutions: |change| > 200 % → "n.s." with a note; 0 entries in both years
    → not in a top 10. A change below −100 % is impossible and fails."""
    m = inp.tables["museums"]
    both = m[m["entries_base"].notna() & m["entries_last"].notna()]
    base = both["entries_base"]
    change = 100 * (both["entries_last"] / base.where(base > 0) - 1)
    ns = both[(change.abs() > MUSEUM_CHANGE) | ((base == 0) & (both["entries_last"] > 0))]
    zero = both[(base == 0) & (both["entries_last"] == 0)]
    warnings = []
    if len(ns):
        first = ", ".join(f"{r.museofile} {r.name}" for r in ns.head(3).itertuples())
        warnings.append(
            f"{len(ns)} museums with a {ED.text('{museums_base}→{museums_last}')} change "
            f"above {MUSEUM_CHANGE:g} % or from 0 "
            f"(e.g. {first}): print « n.s. » with a note (§3.9)"
        )
    yield Result(
        "attendance change",
        ED.text("museums.csv: entries {museums_base} → {museums_last} per museum"),
        f"{n(len(both))} museums with both years, {len(ns)} above ±{MUSEUM_CHANGE:g} % or from "
        f"0 (n.s.), {len(zero)} with 0 in both years (not to be listed in a top 10)",
        source=VISITS,
        warnings=warnings,
    )
    v = inp.values[inp.values["indicator"].isin(CHANGES) & inp.values["value"].notna()]
    bad = v[v["value"] < -100]
    far = v[(v["value"].abs() > MUSEUM_CHANGE) & (v["value"] >= -100)]
    warnings = []
    if len(far):
        warnings.append(
            "territorial change above ±200 %: "
            + ", ".join(
                f"{r.indicator} {territory(r.level, r.code)} {pct(r.value)}"
                for r in far.itertuples()
            )
        )
    yield Result(
        "attendance change",
        ED.text(
            "indicators.csv: F03 (museums {museums_base}→{museums_last}), "
            "F10 (cinemas {cinemas_previous}→{cinemas})"
        ),
        f"{len(v)} values, {pct(v['value'].min())} to {pct(v['value'].max())}, "
        f"{len(bad)} below −100 %",
        source=source_of(str(bad["indicator"].iloc[0])) if len(bad) else VISITS,
        failures=_offending(bad),
        warnings=warnings,
    )
