"""Cinemas: CNC (edition year ``cinemas``) for the métropole (O04–O08), base Deps for the DROM
(O04D)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reports import edition
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

ED = edition.current()
CIN, CIN_DROM, POP = ED.year("cinemas"), ED.year("cinemas_drom"), ED.year("population")


# --- O04–O08 CNC (metro), O04D Deps base (DROM) --------------------------------------------


def cinemas_cnc(log: BuildLog, ref: Reference) -> Part:
    cols = [
        "N° auto",
        "nom",
        "code INSEE",
        "DEP",
        "écrans",
        "fauteuils",
        f"entrées {CIN}",
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
            "value": num(f"entrées {CIN}"),
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
            to_rows(levels, "O04", CIN, "n"),
            counts_and_p100k(levels, "O05", "screens", CIN),
            to_rows(ratio(levels, "seats", "population", 1000.0), "O06", CIN),
            to_rows(ratio(levels, "ae", "n", 100.0), "O07", CIN),
            to_rows(levels, "O08", CIN, "multiplex"),
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
            f"Cinémas actifs en {CIN} (établissements fixes et itinérants), France métropolitaine.",
            "établissements",
            0,
            True,
        ),
        (
            "O05",
            "Écrans de cinéma",
            f"Nombre d'écrans des établissements actifs en {CIN}.",
            "écrans",
            0,
            True,
        ),
        (
            "O06",
            "Fauteuils de cinéma pour 1 000 habitants",
            f"Fauteuils des établissements actifs en {CIN} pour 1 000 habitants "
            f"(population {POP}).",
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
        _meta(i, lab, d, u, dec, src, str(CIN), additive=add, scope="metro")
        for i, lab, d, u, dec, add in what
    ]
    meta.insert(2, p100k_meta("O05", "Écrans de cinéma", src, str(CIN), scope="metro"))
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
        f"{int((~drom).sum())} cinéma(s) de métropole ignorés "
        f"(CNC {CIN} utilisé pour la métropole)",
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
        [
            to_rows(levels, "O04D", CIN_DROM, "n"),
            to_rows(levels, "O04D_salles", CIN_DROM, "salles"),
        ],
        ignore_index=True,
    )
    metro = metro_territories(ref)
    metro["france"] = ["FRM", "FR"]
    rows = mark_territories(rows, metro, "so", NOTE_DROM_ONLY)
    src = f"Ministère de la Culture, Deps, base des équipements (données CNC ≈{CIN_DROM})"
    meta = [
        _meta(
            "O04D",
            "Cinémas (base Deps, DROM)",
            "Cinémas des départements et régions "
            f"d'outre-mer d'après la base des équipements Deps (millésime ≈{CIN_DROM}), à défaut "
            f"de données CNC {CIN} pour l'outre-mer.",
            "établissements",
            0,
            src,
            f"≈{CIN_DROM}",
            additive=True,
            scope="drom",
        ),
        _meta(
            "O04D_salles",
            "Salles de cinéma (base Deps, DROM)",
            f"Nombre de salles des cinémas des DROM (base des équipements Deps, ≈{CIN_DROM}).",
            "salles",
            0,
            src,
            f"≈{CIN_DROM}",
            additive=True,
            scope="drom",
        ),
    ]
    return Part([rows], facilities(log, DEPS_CINEMA, df, "cinema_drom", sheet), meta)
