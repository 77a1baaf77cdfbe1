"""The historical museum series (ATLAS_SPEC §4): total entries per year, kept apart.

The Deps workbook (edition ``files: museum_history``, sheet ``FREQUENTATION TOTALE``) gives one
row per museum and one column per year (edition years ``museums_history_first`` to
``museums_history_last``), with régions by name (``NEW REGIONS``) and no commune code, so the
series exists for France and the régions only. Cells that are not numbers are n.d., never 0:
``NC`` (non communiqué), ``F`` (fermé), ``SO`` (sans objet), a withdrawn appellation or a
transfer written out in words (the values seen are listed in :data:`MARKERS`).
Saint-Pierre-et-Miquelon is left out as in the current series. The series is never spliced
with the current one (other museums, other collection): its own table
``museum_series.csv`` and its own footnoted chart.
"""

from __future__ import annotations

import pandas as pd

from reports import edition
from reports.data.sources.aliases import region_code, region_lookup
from reports.data.sources.base import BuildLog, read_excel, to_number
from reports.data.sources.reference import Reference

ED = edition.current()
HISTORY = ED.file("museum_history")
SHEET = "FREQUENTATION TOTALE"
YEARS = ED.span("museums_history_first", "museums_history_last")
SPM = "SAINT-PIERRE ET MIQUELON"
COLUMNS = ["level", "code", "year", "entries", "museums"]
#: non-numeric cells of the workbook (upper-cased prefixes): not reported that year
MARKERS = ("NC", "F", "SO", "RETRAIT D'APP", "TRANSFERT")


def museum_series(log: BuildLog, ref: Reference) -> pd.DataFrame:
    """level (france | region), code (FR | région), year, entries (Σ), museums (reporting)."""
    cols = [str(y) for y in YEARS]
    df = read_excel(log, HISTORY, SHEET, ["REF DU MUSEE", "NEW REGIONS", *cols])
    df = df[df["REF DU MUSEE"].str.strip() != ""]
    spm = df["NEW REGIONS"].str.strip().str.upper() == SPM
    log.note(HISTORY, f"{int(spm.sum())} musée(s) de Saint-Pierre-et-Miquelon exclu(s)", SHEET)
    df = df[~spm].copy()
    lookup = region_lookup(ref)
    df["region"] = df["NEW REGIONS"].map(lambda x: region_code(x, lookup))
    unknown = df["region"] == ""
    if unknown.any():
        log.unplaced(HISTORY, list(df.loc[unknown, "NEW REGIONS"]), sheet=SHEET)
    df = df[~unknown]
    log.kept(HISTORY, len(df), sheet=SHEET)
    long = df.melt(id_vars=["region"], value_vars=cols, var_name="year", value_name="raw")
    marker = long["raw"].str.strip().str.upper()
    marker = marker.isin(MARKERS[:3]) | marker.str.startswith(MARKERS[3:])
    long["entries"] = to_number(
        long["raw"].where(~marker, ""),
        where=f"{HISTORY} [sheet {SHEET}]",
        column=f"{cols[0]}…{cols[-1]}",
    )
    long["year"] = long["year"].astype(int)
    long["reported"] = long["entries"].notna().astype(int)
    by_region = long.groupby(["region", "year"]).agg(
        entries=("entries", lambda s: s.sum(min_count=1)), museums=("reported", "sum")
    )
    regions = by_region.reset_index().rename(columns={"region": "code"}).assign(level="region")
    france = (
        long.groupby("year")
        .agg(entries=("entries", lambda s: s.sum(min_count=1)), museums=("reported", "sum"))
        .reset_index()
        .assign(level="france", code="FR")
    )
    out = pd.concat([france, regions], ignore_index=True)[COLUMNS]
    return out.sort_values(["level", "code", "year"]).reset_index(drop=True)
