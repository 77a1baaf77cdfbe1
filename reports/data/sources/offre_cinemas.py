"""Cinemas: CNC 2022 for the métropole (O04–O08), base Deps for the DROM (O04D)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reports.data.sources.base import (
    BuildLog,
    parse_latlon,
    read_csv,
    read_excel,
    to_number,
    zero_pad_code,
)
from reports.data.sources.offre_common import (
    CNC,
    DEPS_CINEMA,
    NOTE_DROM_ONLY,
    NOTE_METRO_ONLY,
    NOTE_NO_FACILITY,
    Part,
    count_levels,
    counts_and_p100k,
    facilities,
    p100k_meta,
    place,
)
from reports.data.sources.reference import Reference, dep_of_commune
from reports.data.sources.theme import meta_factory
from reports.data.sources.tidy import (
    default_note,
    drom_territories,
    mark_territories,
    metro_territories,
    ratio,
    to_rows,
)

_meta = meta_factory("offre")


# --- O04–O08 CNC 2022 (metro), O04D Deps base (DROM) ---------------------------------------


def cinemas_cnc(log: BuildLog, ref: Reference) -> Part:
    cols = [
        "N° auto",
        "nom",
        "code INSEE",
        "DEP",
        "écrans",
        "fauteuils",
        "entrées 2022",
        "AE",
        "multiplexe",
        "latitude",
        "longitude",
    ]
    raw = read_csv(log, CNC, cols)

    def num(col: str) -> pd.Series:
        return to_number(raw[col], where=CNC, column=col)

    df = pd.DataFrame(
        {
            "id": raw["N° auto"],
            "name": raw["nom"],
            "commune": raw["code INSEE"],
            "departement": zero_pad_code(raw["DEP"], 2),
            "region": "",
            "lat": num("latitude"),
            "lon": num("longitude"),
            "category": np.where(raw["AE"].str.upper() == "OUI", "AE", ""),
            "value": num("entrées 2022"),
            "n": 1.0,
            "screens": num("écrans"),
            "seats": num("fauteuils"),
            "ae": (raw["AE"].str.upper() == "OUI").astype(float),
            "multiplex": (raw["multiplexe"].str.upper() == "OUI").astype(float),
        }
    )
    df = place(log, CNC, df, ref, lambda r: f"{r['id']} {r['name']}")
    levels = count_levels(df, ref, ["n", "screens", "seats", "ae", "multiplex"])
    rows = pd.concat(
        [
            to_rows(levels, "O04", 2022, "n"),
            counts_and_p100k(levels, "O05", "screens", 2022),
            to_rows(ratio(levels, "seats", "population", 1000.0), "O06", 2022),
            to_rows(ratio(levels, "ae", "n", 100.0), "O07", 2022),
            to_rows(levels, "O08", 2022, "multiplex"),
        ],
        ignore_index=True,
    )
    drom = drom_territories(ref)
    drom["france"] = ["DROM", "FR"]
    rows = mark_territories(rows, drom, "nd", NOTE_METRO_ONLY)
    rows = default_note(rows, NOTE_NO_FACILITY)
    src = "CNC, établissements cinématographiques actifs (data.culture.gouv.fr)"
    what = [
        (
            "O04",
            "Établissements cinématographiques",
            "Cinémas actifs en 2022 (établissements fixes et itinérants), France métropolitaine.",
            "établissements",
            0,
            True,
        ),
        (
            "O05",
            "Écrans de cinéma",
            "Nombre d'écrans des établissements actifs en 2022.",
            "écrans",
            0,
            True,
        ),
        (
            "O06",
            "Fauteuils de cinéma pour 1 000 habitants",
            "Fauteuils des établissements actifs en 2022 pour 1 000 habitants (population 2018).",
            "pour 1 000 hab.",
            1,
            False,
        ),
        (
            "O07",
            "Part des cinémas Art et Essai",
            "Part des établissements classés Art et Essai.",
            "%",
            1,
            False,
        ),
        ("O08", "Multiplexes", "Établissements classés multiplexes.", "établissements", 0, True),
    ]
    meta = [
        _meta(i, lab, d, u, dec, src, "2022", additive=add, scope="metro")
        for i, lab, d, u, dec, add in what
    ]
    meta.insert(2, p100k_meta("O05", "Écrans de cinéma", src, "2022", scope="metro"))
    return Part([rows], facilities(log, CNC, df, "cinema"), meta)


def cinemas_drom(log: BuildLog, ref: Reference) -> Part:
    sheet = "Feuil1"
    cols = [
        "Identifiant",
        "Nom",
        "Code_Insee",
        "Nombre_de_salles_de_cinema",
        "Nombre_de_fauteuils_de_cinema",
        "Coordonnées GPS",
    ]
    raw = read_excel(log, DEPS_CINEMA, sheet, cols)
    drom = raw["Code_Insee"].str.strip().str.startswith("97")
    log.note(
        DEPS_CINEMA,
        f"{int((~drom).sum())} cinéma(s) de métropole ignorés (CNC 2022 utilisé pour la métropole)",
        sheet=sheet,
    )
    raw = raw[drom]
    lat, lon = parse_latlon(raw["Coordonnées GPS"])
    salles = to_number(
        raw["Nombre_de_salles_de_cinema"],
        where=f"{DEPS_CINEMA} [sheet {sheet}]",
        column="Nombre_de_salles_de_cinema",
    )
    df = pd.DataFrame(
        {
            "id": raw["Identifiant"],
            "name": raw["Nom"],
            "commune": raw["Code_Insee"],
            "departement": raw["Code_Insee"].map(dep_of_commune),
            "region": "",
            "lat": lat,
            "lon": lon,
            "value": salles,
            "n": 1.0,
            "salles": salles.fillna(0.0),
        }
    )
    df = place(log, DEPS_CINEMA, df, ref, lambda r: r["id"], sheet=sheet)
    levels = count_levels(df, ref, ["n", "salles"], with_population=False)
    rows = pd.concat(
        [to_rows(levels, "O04D", 2019, "n"), to_rows(levels, "O04D_salles", 2019, "salles")],
        ignore_index=True,
    )
    metro = metro_territories(ref)
    metro["france"] = ["FRM", "FR"]
    rows = mark_territories(rows, metro, "so", NOTE_DROM_ONLY)
    src = "Ministère de la Culture, Deps, base des équipements (données CNC ≈2019)"
    meta = [
        _meta(
            "O04D",
            "Cinémas (base Deps, DROM)",
            "Cinémas des départements et régions "
            "d'outre-mer d'après la base des équipements Deps (millésime ≈2019), à défaut "
            "de données CNC 2022 pour l'outre-mer.",
            "établissements",
            0,
            src,
            "≈2019",
            additive=True,
            scope="drom",
        ),
        _meta(
            "O04D_salles",
            "Salles de cinéma (base Deps, DROM)",
            "Nombre de salles des cinémas des DROM (base des équipements Deps, ≈2019).",
            "salles",
            0,
            src,
            "≈2019",
            additive=True,
            scope="drom",
        ),
    ]
    return Part([rows], facilities(log, DEPS_CINEMA, df, "cinema_drom", sheet), meta)
