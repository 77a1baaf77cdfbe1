"""Indicator value → printed string, the same everywhere (tables, text, alt texts, legends).

The number of decimals and the unit come from ``indicator_meta.csv`` (declared once per
indicator); amounts in euros print as M€, per-inhabitant euros with two decimals.
n.d. / s.o. print as such, never as 0.
"""

from __future__ import annotations

from collections.abc import Iterable

from reports.content import fmt
from reports.data.store import Store, Value


def unit_kind(unit: str) -> str:
    u = unit.strip().lower()
    if u in {"%", "pourcentage"} or u.startswith("%"):
        return "pct"
    if "€" in u and "/" not in u and "par" not in u:
        return "meur"
    if "€" in u:
        return "eur"
    return "num"


#: percentage changes: signed in tables as in the text (« +4,6 % », ATLAS_SPEC §3.9)
CHANGES = frozenset({"F03", "F10"})
#: ATLAS_SPEC §3.9 "coverage above 100 %": a covered share never prints above 100 %
ABOUT_100 = f"≈{fmt.NBSP}100{fmt.NBSP}%"


def is_coverage(indicator: str) -> bool:
    return indicator.endswith("_coverage")


def format_number(store: Store, indicator: str, value: float | None) -> str:
    """Format ``value`` of ``indicator`` with its declared decimals and unit kind."""
    meta = store.info(indicator)
    decimals = int(meta["decimals"]) if meta["decimals"].strip() else 0
    kind = unit_kind(meta["unit"])
    if is_coverage(indicator) and not fmt.is_missing(value) and float(value or 0) > 100:
        return ABOUT_100  # population vintages differ (La Réunion D06)
    if kind == "pct":
        return fmt.fmt_pct(value, decimals, sign=indicator in CHANGES)
    if kind == "meur":
        return fmt.fmt_meur(value, 1)
    if kind == "eur":
        return fmt.fmt_eur(value, 2)
    return fmt.fmt_number(value, decimals)


def format_value(store: Store, v: Value) -> str:
    """A :class:`Value` → string; n.d. / s.o. when missing (status decides which)."""
    if v.value is None:
        return fmt.SO if v.status == "so" else fmt.ND
    return format_number(store, v.indicator, v.value)


def unit_label(store: Store, indicator: str) -> str:
    """Unit as printed in a column header (``M€`` for euro amounts)."""
    unit = store.info(indicator)["unit"]
    return "M€" if unit_kind(unit) == "meur" else unit


def rank_text(v: Value) -> str:
    if v.rank is None or v.rank_of is None:
        return ""
    return fmt.fmt_rank_short(v.rank, v.rank_of)


def source_line(store: Store, indicators: Iterable[str]) -> str:
    """``Source : a ; b`` of the indicators, each source once, in order: an indicator's
    source may itself list several (``Fréquentation des musées de France ; Insee,
    population``), each of which may be another indicator's; unknown indicators are skipped."""
    seen: dict[str, None] = {}
    for ind in indicators:
        if ind in store.meta.index:
            for part in store.info(ind)["source"].split(" ; "):
                if part.strip():
                    seen.setdefault(part.strip())
    return "Source : " + " ; ".join(seen) if seen else ""
