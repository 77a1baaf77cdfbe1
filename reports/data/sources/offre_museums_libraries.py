"""Musées de France (O01, Muséofile) and municipal libraries (O02, O03, base Deps)."""

from __future__ import annotations

import pandas as pd

from reports import edition
from reports.data.sources.aliases import departement_code, departement_lookup
from reports.data.sources.base import (
    BuildLog,
    parse_latlon,
    read_csv,
    read_excel,
    to_number,
    zero_pad_code,
)
from reports.data.sources.offre_common import (
    BIBLIOS,
    MUSEOFILE,
    Part,
    count_levels,
    counts_and_p100k,
    facilities,
    p100k_meta,
    place,
)
from reports.data.sources.reference import Reference
from reports.data.sources.theme import meta_factory
from reports.data.sources.tidy import ratio, to_rows

ED = edition.current()
MUSEUMS_LIST, LIBRARIES = ED.year("museums_list"), ED.year("libraries")

_meta = meta_factory("offre")


# --- O01 Muséofile -------------------------------------------------------------------------


def museums(log: BuildLog, ref: Reference) -> Part:
    cols = ["Identifiant", "Nom_officiel", "Ville", "Departement", "Region", "Coordonnees"]
    df = read_csv(log, MUSEOFILE, cols, sep="|")
    lookup = departement_lookup(ref)
    lat, lon = parse_latlon(df["Coordonnees"])
    df = pd.DataFrame(
        {
            "id": df["Identifiant"],
            "name": df["Nom_officiel"],
            "departement": df["Departement"].map(lambda s: departement_code(s, lookup)),
            "region": "",
            "lat": lat,
            "lon": lon,
            "label": df["Departement"] + " / " + df["Identifiant"],
            "n": 1.0,
        }
    )
    df = place(log, MUSEOFILE, df, ref, lambda r: r["label"])
    levels = count_levels(df, ref, ["n"])
    meta = [
        _meta(
            "O01",
            "Musées de France",
            "Musées bénéficiant de l'appellation « musée de "
            "France » (Muséofile), hors Saint-Pierre-et-Miquelon.",
            "musées",
            0,
            "Ministère de la Culture, Muséofile",
            str(MUSEUMS_LIST),
            additive=True,
        ),
        p100k_meta(
            "O01", "Musées de France", "Ministère de la Culture, Muséofile", str(MUSEUMS_LIST)
        ),
    ]
    return Part(
        [counts_and_p100k(levels, "O01", "n", MUSEUMS_LIST)],
        facilities(log, MUSEOFILE, df, "musee"),
        meta,
    )


# --- O02, O03 libraries --------------------------------------------------------------------


ND_SURFACE = "surface non renseignée pour les bibliothèques du territoire"


def surface_rows(levels: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """O03 = 100 × Σ surface / POP(T) over libraries of known surface; a territory where no
    library has a known surface (Mayotte: all 5) is n.d., not 0 (ATLAS_SPEC §3.9), so it is
    out of the ranks (17 régions)."""
    known = {lvl: f["surface"].where(f["with_surface"] > 0) for lvl, f in levels.items()}
    o03 = {lvl: known[lvl] / f["population"].where(f["population"] != 0) * 100.0
           for lvl, f in levels.items()}  # fmt: skip
    rows = to_rows(o03, "O03", LIBRARIES)
    rows.loc[rows["status"] == "nd", "note"] = ND_SURFACE
    return rows


def libraries(log: BuildLog, ref: Reference) -> Part:
    sheet = "Sheet1"
    gps = "Coordonnées GPS [lat,lon]"
    cols = [
        "Identifiant_Deps",
        "Nom",
        "Code_Insee",
        "DEPETA",
        "REG_ETA",
        "Surface_Bibliotheque",
        gps,
    ]
    raw = read_excel(log, BIBLIOS, sheet, cols)
    com = raw["REG_ETA"].str.strip() == "99"
    if com.any():
        log.note(
            BIBLIOS,
            f"{int(com.sum())} ligne(s) de collectivités d'outre-mer (REG_ETA = 99) exclues",
            sheet=sheet,
        )
    raw = raw[~com]
    dupes = raw["Identifiant_Deps"][raw["Identifiant_Deps"].duplicated()]
    if len(dupes):
        log.note(
            BIBLIOS,
            f"identifiant(s) en double, comptés deux fois : {', '.join(dupes)}",
            sheet=sheet,
        )
    dep = zero_pad_code(raw["DEPETA"], 2)
    dep = dep.where(dep != "97", raw["Code_Insee"].str.strip().str[:3])
    surface = to_number(
        raw["Surface_Bibliotheque"],
        where=f"{BIBLIOS} [sheet {sheet}]",
        column="Surface_Bibliotheque",
    )
    lat, lon = parse_latlon(raw[gps])
    df = pd.DataFrame(
        {
            "id": raw["Identifiant_Deps"],
            "name": raw["Nom"],
            "commune": raw["Code_Insee"],
            "departement": dep,
            "region": zero_pad_code(raw["REG_ETA"], 2),
            "lat": lat,
            "lon": lon,
            "value": surface,
            "n": 1.0,
            "surface": surface.fillna(0.0),
            "with_surface": surface.notna().astype(float),
        }
    )
    df = place(log, BIBLIOS, df, ref, lambda r: r["id"], sheet=sheet)
    levels = count_levels(df, ref, ["n", "surface", "with_surface"])
    rows = [
        counts_and_p100k(levels, "O02", "n", LIBRARIES),
        surface_rows(levels),
        to_rows(ratio(levels, "with_surface", "n", 100.0), "O03_coverage", LIBRARIES),
    ]
    src = "Ministère de la Culture, Service du livre et de la lecture (base Deps)"
    meta = [
        _meta(
            "O02",
            "Bibliothèques municipales",
            "Sites de bibliothèques municipales (hors collectivités d'outre-mer).",
            "bibliothèques",
            0,
            src,
            f"≈{LIBRARIES}",
            additive=True,
        ),
        p100k_meta("O02", "Bibliothèques municipales", src, f"≈{LIBRARIES}"),
        _meta(
            "O03",
            "Surface de lecture publique",
            "Surface des bibliothèques municipales "
            "(m²) pour 100 habitants ; bibliothèques de surface connue seulement "
            "(voir O03_coverage).",
            "m² pour 100 hab.",
            1,
            src,
            f"≈{LIBRARIES}",
        ),
        _meta(
            "O03_coverage",
            "Bibliothèques de surface connue",
            "Part des bibliothèques municipales dont la surface est renseignée.",
            "%",
            1,
            src,
            f"≈{LIBRARIES}",
        ),
    ]
    return Part(rows, facilities(log, BIBLIOS, df, "bibliotheque", sheet), meta)
