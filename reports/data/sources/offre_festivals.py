"""Festivals (O10), by dominant discipline (O11.*) and by season (O12, O12.*)."""

from __future__ import annotations

import pandas as pd

from reports import edition
from reports.data.sources.aliases import (
    departement_code,
    departement_lookup,
    region_code,
    region_lookup,
)
from reports.data.sources.base import BuildLog, parse_latlon, read_csv
from reports.data.sources.offre_common import (
    FESTIVALS,
    NOTE_NO_FACILITY,
    Part,
    count_levels,
    counts_and_p100k,
    facilities,
    p100k_meta,
    place,
)
from reports.data.sources.reference import Reference, dep_of_commune, slugify
from reports.data.sources.theme import meta_factory
from reports.data.sources.tidy import default_note, ratio, to_rows

ED = edition.current()
FESTIVALS_YEAR = ED.year("festivals")
FESTIVALS_FALLBACK = ED.year("festivals_fallback")

SEASONS = {
    "avant-saison": "avant_saison",
    "saison": "saison",
    "après-saison": "apres_saison",
}
SEASON_LABELS = {
    "avant_saison": "avant-saison (1er janvier – 20 juin)",
    "saison": "saison estivale (21 juin – 5 septembre)",
    "apres_saison": "après-saison (6 septembre – 31 décembre)",
    "autre": "autre période ou période non renseignée",
}

_meta = meta_factory("offre")


# --- O10–O12 festivals ---------------------------------------------------------------------


def season(period: str) -> str:
    p = period.strip().lower()
    for prefix, slug in SEASONS.items():
        if p.startswith(prefix):
            return slug
    return "autre"


def _festival_communes(raw: pd.DataFrame) -> pd.Series:
    """``Code Insee commune`` zero-padded (564 four-digit codes); ``0``/``#N/A`` → ``""``."""
    code = raw["Code Insee commune"].str.strip()
    code = code.where(~code.str.fullmatch(r"\d{4}"), code.str.zfill(5))
    return code.where(code.str.fullmatch(r"\d{5}|2[AB]\d{3}") & (code != "00000"), "")


def _festival_departements(raw: pd.DataFrame, declared: pd.Series, ref: Reference) -> pd.Series:
    """Département of the commune code when it agrees with the declared région, else of the
    département label (case-insensitive, aliases), else ``""`` (placed at région only)."""
    code = _festival_communes(raw)
    from_code = code.map(dep_of_commune).where(code != "", "")
    from_code = from_code.where(from_code.map(ref.dep_to_reg) == declared, "")
    lookup = departement_lookup(ref)
    from_label = raw["Département principal de déroulement"].map(
        lambda s: departement_code(s, lookup)
    )
    from_label = from_label.where(from_label.map(ref.dep_to_reg) == declared, "")
    return from_code.where(from_code != "", from_label)


def festivals(log: BuildLog, ref: Reference) -> Part:
    cols = [
        "Identifiant",
        "Nom du festival",
        "Code Insee commune",
        "Région principale de déroulement",
        "Département principal de déroulement",
        "Discipline dominante",
        "Période principale de déroulement du festival",
        "Géocodage xy",
    ]
    raw = read_csv(log, FESTIVALS, cols)
    regions = region_lookup(ref)
    declared = raw["Région principale de déroulement"].map(lambda s: region_code(s, regions))
    lat, lon = parse_latlon(raw["Géocodage xy"])
    discipline = raw["Discipline dominante"].str.strip()
    df = pd.DataFrame(
        {
            "id": raw["Identifiant"],
            "name": raw["Nom du festival"],
            "commune": _festival_communes(raw),
            "departement": _festival_departements(raw, declared, ref),
            "region": declared,
            "lat": lat,
            "lon": lon,
            "category": discipline,
            "n": 1.0,
            "season": raw["Période principale de déroulement du festival"].map(season),
            "where": raw["Région principale de déroulement"],
        }
    )
    df = place(log, FESTIVALS, df, ref, lambda r: f"{r['id']} ({r['where']})")
    disciplines = sorted(d for d in df["category"].unique() if d)
    slugs = {d: slugify(d).replace("-", "_") for d in disciplines}
    for d, slug in slugs.items():
        df[f"d_{slug}"] = (df["category"] == d).astype(float)
    for slug in SEASON_LABELS:
        df[f"s_{slug}"] = (df["season"] == slug).astype(float)
    value_cols = ["n", *(f"d_{s}" for s in slugs.values()), *(f"s_{s}" for s in SEASON_LABELS)]
    levels = count_levels(df, ref, value_cols)
    rows = [counts_and_p100k(levels, "O10", "n", FESTIVALS_YEAR)]
    rows += [
        to_rows(ratio(levels, f"d_{s}", "n", 100.0), f"O11.{s}", FESTIVALS_YEAR)
        for s in slugs.values()
    ]
    rows.append(to_rows(ratio(levels, "s_saison", "n", 100.0), "O12", FESTIVALS_YEAR))
    rows += [
        to_rows(ratio(levels, f"s_{s}", "n", 100.0), f"O12.{s}", FESTIVALS_YEAR)
        for s in SEASON_LABELS
    ]
    rows = [default_note(r, NOTE_NO_FACILITY) for r in rows]
    src = "Ministère de la Culture, Deps-doc / France Festivals / Cepel, cartographie nationale"
    meta = [
        _meta(
            "O10",
            "Festivals",
            f"Festivals ayant eu une édition en {FESTIVALS_YEAR} (ou {FESTIVALS_FALLBACK} "
            "s'ils sont "
            "biennaux), dans les 18 régions. Quelques festivals sans département connu sont "
            "comptés à la région seulement.",
            "festivals",
            0,
            src,
            str(FESTIVALS_YEAR),
            additive=True,
        ),
        p100k_meta("O10", "Festivals", src, str(FESTIVALS_YEAR)),
    ]
    for d, s in slugs.items():
        meta.append(
            _meta(
                f"O11.{s}",
                f"Festivals : {d}",
                f"Part des festivals dont la discipline dominante est « {d} ».",
                "%",
                1,
                src,
                str(FESTIVALS_YEAR),
            )
        )
    meta.append(
        _meta(
            "O12",
            "Festivals en saison estivale",
            "Part des festivals se déroulant principalement du 21 juin au 5 septembre.",
            "%",
            1,
            src,
            str(FESTIVALS_YEAR),
        )
    )
    for s, label in SEASON_LABELS.items():
        meta.append(
            _meta(
                f"O12.{s}",
                f"Festivals : {label}",
                f"Part des festivals dont la période principale est : {label}.",
                "%",
                1,
                src,
                str(FESTIVALS_YEAR),
            )
        )
    return Part(rows, facilities(log, FESTIVALS, df, "festival"), meta)
