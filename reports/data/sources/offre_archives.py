"""Public archive services (O09 and its O09.<type> breakdown, base Deps)."""

from __future__ import annotations

import pandas as pd

from reports import edition
from reports.data.sources.base import BuildLog, parse_latlon, read_excel, zero_pad_code
from reports.data.sources.offre_common import (
    ARCHIVES,
    Part,
    count_levels,
    counts_and_p100k,
    facilities,
    p100k_meta,
    place,
)
from reports.data.sources.reference import Reference, dep_of_commune
from reports.data.sources.theme import meta_factory
from reports.data.sources.tidy import to_rows

ED = edition.current()
ARCHIVES_YEAR = ED.year("archives")

ARCHIVE_TYPES = {
    "Archives communales": "communales",
    "Archives départementales": "departementales",
    "Archives régionales": "regionales",
    "Archives nationales": "nationales",
}

_meta = meta_factory("offre")


# --- O09 archives --------------------------------------------------------------------------


def archives(log: BuildLog, ref: Reference) -> Part:
    sheet = "Feuil1"
    cols = [
        "Identifiant_Deps",
        "Nom",
        "Code_Insee",
        "N_Departement",
        "N_Region",
        "Filtre_atlas",
        "Coordonnées gps",
    ]
    raw = read_excel(log, ARCHIVES, sheet, cols)
    com = raw["N_Region"].str.strip() == "99"
    log.note(
        ARCHIVES,
        f"{int(com.sum())} service(s) de collectivités d'outre-mer (N_Region = 99) exclus",
        sheet=sheet,
    )
    raw = raw[~com]
    dep = zero_pad_code(raw["N_Departement"], 2)
    dep = dep.where(dep != "", raw["Code_Insee"].map(dep_of_commune))
    kind = raw["Filtre_atlas"].str.strip().map(ARCHIVE_TYPES).fillna("")
    lat, lon = parse_latlon(raw["Coordonnées gps"])
    df = pd.DataFrame(
        {
            "id": raw["Identifiant_Deps"],
            "name": raw["Nom"],
            "commune": raw["Code_Insee"],
            "departement": dep,
            "region": zero_pad_code(raw["N_Region"], 2),
            "lat": lat,
            "lon": lon,
            "category": kind,
            "n": 1.0,
        }
    )
    for slug in ARCHIVE_TYPES.values():
        df[slug] = (df["category"] == slug).astype(float)
    unknown = df["category"] == ""
    if unknown.any():
        log.note(
            ARCHIVES,
            f"{int(unknown.sum())} service(s) sans type Filtre_atlas reconnu "
            "(comptés dans O09 seulement)",
            sheet=sheet,
        )
    df = place(log, ARCHIVES, df, ref, lambda r: r["id"], sheet=sheet)
    levels = count_levels(df, ref, ["n", *ARCHIVE_TYPES.values()])
    rows = [counts_and_p100k(levels, "O09", "n", ARCHIVES_YEAR)]
    rows += [to_rows(levels, f"O09.{slug}", ARCHIVES_YEAR, slug) for slug in ARCHIVE_TYPES.values()]
    src = "Ministère de la Culture, Service interministériel des Archives de France (base Deps)"
    meta = [
        _meta(
            "O09",
            "Services d'archives",
            "Services d'archives publics (communaux, départementaux, régionaux, nationaux).",
            "services",
            0,
            src,
            str(ARCHIVES_YEAR),
            additive=True,
        ),
    ]
    for label, slug in ARCHIVE_TYPES.items():
        meta.append(
            _meta(
                f"O09.{slug}",
                label,
                f"Services classés « {label} ».",
                "services",
                0,
                src,
                str(ARCHIVES_YEAR),
                additive=True,
            )
        )
    meta.append(p100k_meta("O09", "Services d'archives", src, str(ARCHIVES_YEAR)))
    return Part(rows, facilities(log, ARCHIVES, df, "archives", sheet), meta)
