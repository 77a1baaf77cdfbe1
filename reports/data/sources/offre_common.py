"""Shared plumbing of the offre readers: source file names, notes, placing and counting.

Every source is reduced to one row per facility with a ``departement`` code (or only a
``region`` code when the département is unknown), counted per département, rolled up, and
divided by POP(T) (Insee) for the per-100 000 ratios. Rows that cannot be placed are
logged with :meth:`BuildLog.unplaced`, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from reports import edition
from reports.data.sources.base import BuildLog
from reports.data.sources.reference import Reference
from reports.data.sources.theme import IndicatorMeta, meta_factory
from reports.data.sources.tidy import (
    add_population,
    add_region_only,
    ratio,
    roll_up,
    sums_by_departement,
    to_rows,
)

ED = edition.current()
MUSEOFILE = ED.file("museofile")
BIBLIOS = "bibliotheques_deps/Geoloc Biblios.xlsx"
CNC = ED.file("cinemas")
DEPS_CINEMA = "cinemas_deps_base/Base Equipements DEPS_last_fix_address cinema.xlsx"
ARCHIVES = "archives_deps/Archives.xlsx"
FESTIVALS = "festivals/festivals-global-festivals-_-pl.csv"
JARDINS = "jardins_remarquables/liste-des-jardins-remarquables.csv"
SPR = "sites_patrimoniaux_remarquables/sites_patrimoniaux_remarquables.csv"
BASILIC = "basilic_counts_by_commune_derived/nbre_equipement_parcommuneetcodepostal_ET_LatitudeLongitude.csv"  # noqa: E501

FACILITY_COLUMNS = [
    "type",
    "id",
    "name",
    "commune",
    "departement",
    "region",
    "lon",
    "lat",
    "category",
    "value",
]
NOTE_METRO_ONLY = "source limitée à la France métropolitaine"
NOTE_DROM_ONLY = "indicateur propre aux DROM (voir O04 pour la métropole)"
NOTE_NO_FACILITY = "aucun équipement : ratio sans objet"
# Rough WGS84 boxes (lat_min, lat_max, lon_min, lon_max) to catch misplaced geocodes.
BOXES = {
    "metro": (41.0, 51.5, -5.5, 10.0),
    "971": (15.8, 16.6, -61.9, -60.9),
    "972": (14.3, 15.0, -61.3, -60.7),
    "973": (2.0, 6.0, -54.7, -51.5),
    "974": (-21.5, -20.8, 55.1, 55.9),
    "976": (-13.1, -12.5, 44.9, 45.4),
}


@dataclass
class Part:
    """What one source contributes: tidy rows, facility points, metadata."""

    rows: list[pd.DataFrame] = field(default_factory=list)
    facilities: pd.DataFrame | None = None
    meta: list[IndicatorMeta] = field(default_factory=list)


_meta = meta_factory("offre")


def p100k_meta(id: str, what: str, source: str, vintage: str, scope: str = "all") -> IndicatorMeta:
    return _meta(
        f"{id}_p100k",
        f"{what} pour 100 000 habitants",
        f"{what} rapportés à la population {ED.year('population')} (Insee), "
        "pour 100 000 habitants.",
        "pour 100 000 hab.",
        1,
        source,
        vintage,
        scope=scope,
    )


# --- placing rows --------------------------------------------------------------------------


def place(
    log: BuildLog,
    rel: str,
    df: pd.DataFrame,
    ref: Reference,
    label: Callable[[pd.Series], str],
    sheet: str | None = None,
) -> pd.DataFrame:
    """Keep rows whose ``departement`` is one of the 101 (or with a valid ``region`` only).

    ``df`` must have ``departement`` and ``region`` columns ("" when unknown); the région is
    filled from the département. Other rows are logged as unplaced with ``label(row)``.
    """
    d2r = ref.dep_to_reg
    dep_ok = df["departement"].isin(d2r)
    df = df.assign(region=np.where(dep_ok, df["departement"].map(d2r), df["region"]))
    df.loc[~dep_ok, "departement"] = ""
    ok = df["region"].isin(ref.region_codes)
    if (~ok).any():
        log.unplaced(rel, [label(r) for _, r in df[~ok].iterrows()], sheet=sheet)
    region_only = ok & ~dep_ok
    if region_only.any():
        examples = ", ".join(label(r) for _, r in df[region_only].head(10).iterrows())
        log.note(
            rel,
            f"{int(region_only.sum())} ligne(s) placée(s) à la région seulement "
            f"(département inconnu) : {examples}",
            sheet=sheet,
        )
    kept = df[ok].copy()
    log.kept(rel, len(kept), sheet=sheet)
    return kept


def count_levels(
    df: pd.DataFrame, ref: Reference, cols: list[str], *, with_population: bool = True
) -> dict[str, pd.DataFrame]:
    """Σ ``cols`` per département, rolled up; rows placed at région only are added there."""
    at_dep = df[df["departement"] != ""]
    levels = roll_up(sums_by_departement(at_dep, "departement", cols, ref), ref)
    at_reg = df[df["departement"] == ""]
    if len(at_reg):
        extra = at_reg.groupby("region")[cols].sum()
        levels = add_region_only(levels, extra, ref)
    return add_population(levels, ref) if with_population else levels


def counts_and_p100k(levels: dict[str, pd.DataFrame], id: str, col: str, year: int) -> pd.DataFrame:
    return pd.concat(
        [
            to_rows(levels, id, year, col),
            to_rows(ratio(levels, col, "population", 100_000.0), f"{id}_p100k", year),
        ],
        ignore_index=True,
    )


def check_box(log: BuildLog, rel: str, df: pd.DataFrame, sheet: str | None = None) -> pd.DataFrame:
    """Blank coordinates that fall outside their territory's box (misplaced geocodes)."""
    zone = np.where(df["departement"].str.startswith("97"), df["departement"], "metro")
    bad = pd.Series(False, index=df.index)
    for key, (la0, la1, lo0, lo1) in BOXES.items():
        sel = (zone == key) & df["lat"].notna()
        out = ~df["lat"].between(la0, la1) | ~df["lon"].between(lo0, lo1)
        bad |= sel & out
    if bad.any():
        ids = ", ".join(df.loc[bad, "id"].astype(str).head(10))
        log.note(
            rel,
            f"{int(bad.sum())} coordonnée(s) hors du territoire ignorée(s) : {ids}",
            sheet=sheet,
        )
        df = df.copy()
        df.loc[bad, ["lat", "lon"]] = np.nan
    return df


def facilities(
    log: BuildLog, rel: str, df: pd.DataFrame, type_: str, sheet: str | None = None
) -> pd.DataFrame:
    df = df.assign(type=type_)
    for col in FACILITY_COLUMNS:
        if col not in df:
            df[col] = "" if col not in ("lat", "lon", "value") else np.nan
    df = check_box(log, rel, df[FACILITY_COLUMNS], sheet)
    return df.assign(lat=df["lat"].round(6), lon=df["lon"].round(6))
