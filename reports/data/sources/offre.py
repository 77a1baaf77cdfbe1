"""Offre culturelle: O01–O15 and the ``facilities`` points table (ATLAS_SPEC §2.2, §3.5–3.7).

Every source is reduced to one row per facility with a ``departement`` code (or only a
``region`` code when the département is unknown), counted per département, rolled up, and
divided by POP(T) (Insee 2018) for the per-100 000 ratios. Rows that cannot be placed are
logged with :meth:`BuildLog.unplaced`, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from reports.data.sources.aliases import (
    departement_code,
    departement_lookup,
    region_code,
    region_lookup,
)
from reports.data.sources.base import (
    BuildLog,
    parse_latlon,
    read_csv,
    read_excel,
    to_number,
    zero_pad_code,
)
from reports.data.sources.reference import Reference, dep_of_commune, slugify
from reports.data.sources.theme import IndicatorMeta, ThemeOutput, meta_factory
from reports.data.sources.tidy import (
    add_population,
    add_region_only,
    default_note,
    drom_territories,
    mark_territories,
    metro_territories,
    ratio,
    roll_up,
    sums_by_departement,
    to_rows,
)

MUSEOFILE = "musees_museofile/museofile.csv"
BIBLIOS = "bibliotheques_deps/Geoloc Biblios.xlsx"
CNC = "cinemas_cnc_2022/etablissements-cinematographiques.csv"
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
ARCHIVE_TYPES = {
    "Archives communales": "communales",
    "Archives départementales": "departementales",
    "Archives régionales": "regionales",
    "Archives nationales": "nationales",
}
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


def _p100k_meta(id: str, what: str, source: str, vintage: str, scope: str = "all") -> IndicatorMeta:
    return _meta(
        f"{id}_p100k",
        f"{what} pour 100 000 habitants",
        f"{what} rapportés à la population 2018 (Insee), pour 100 000 habitants.",
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
            "2025",
            additive=True,
        ),
        _p100k_meta("O01", "Musées de France", "Ministère de la Culture, Muséofile", "2025"),
    ]
    return Part(
        [counts_and_p100k(levels, "O01", "n", 2025)], facilities(log, MUSEOFILE, df, "musee"), meta
    )


# --- O02, O03 libraries --------------------------------------------------------------------


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
        counts_and_p100k(levels, "O02", "n", 2020),
        to_rows(ratio(levels, "surface", "population", 100.0), "O03", 2020),
        to_rows(ratio(levels, "with_surface", "n", 100.0), "O03_coverage", 2020),
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
            "≈2020",
            additive=True,
        ),
        _p100k_meta("O02", "Bibliothèques municipales", src, "≈2020"),
        _meta(
            "O03",
            "Surface de lecture publique",
            "Surface des bibliothèques municipales "
            "(m²) pour 100 habitants ; bibliothèques de surface connue seulement "
            "(voir O03_coverage).",
            "m² pour 100 hab.",
            1,
            src,
            "≈2020",
        ),
        _meta(
            "O03_coverage",
            "Bibliothèques de surface connue",
            "Part des bibliothèques municipales dont la surface est renseignée.",
            "%",
            1,
            src,
            "≈2020",
        ),
    ]
    return Part(rows, facilities(log, BIBLIOS, df, "bibliotheque", sheet), meta)


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
    meta.insert(2, _p100k_meta("O05", "Écrans de cinéma", src, "2022", scope="metro"))
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
    rows = [counts_and_p100k(levels, "O09", "n", 2021)]
    rows += [to_rows(levels, f"O09.{slug}", 2021, slug) for slug in ARCHIVE_TYPES.values()]
    src = "Ministère de la Culture, Service interministériel des Archives de France (base Deps)"
    meta = [
        _meta(
            "O09",
            "Services d'archives",
            "Services d'archives publics (communaux, départementaux, régionaux, nationaux).",
            "services",
            0,
            src,
            "2021",
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
                "2021",
                additive=True,
            )
        )
    meta.append(_p100k_meta("O09", "Services d'archives", src, "2021"))
    return Part(rows, facilities(log, ARCHIVES, df, "archives", sheet), meta)


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
    rows = [counts_and_p100k(levels, "O10", "n", 2019)]
    rows += [to_rows(ratio(levels, f"d_{s}", "n", 100.0), f"O11.{s}", 2019) for s in slugs.values()]
    rows.append(to_rows(ratio(levels, "s_saison", "n", 100.0), "O12", 2019))
    rows += [to_rows(ratio(levels, f"s_{s}", "n", 100.0), f"O12.{s}", 2019) for s in SEASON_LABELS]
    rows = [default_note(r, NOTE_NO_FACILITY) for r in rows]
    src = "Ministère de la Culture, Deps-doc / France Festivals / Cepel, cartographie nationale"
    meta = [
        _meta(
            "O10",
            "Festivals",
            "Festivals ayant eu une édition en 2019 (ou 2018 s'ils sont "
            "biennaux), dans les 18 régions. Quelques festivals sans département connu sont "
            "comptés à la région seulement.",
            "festivals",
            0,
            src,
            "2019",
            additive=True,
        ),
        _p100k_meta("O10", "Festivals", src, "2019"),
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
                "2019",
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
            "2019",
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
                "2019",
            )
        )
    return Part(rows, facilities(log, FESTIVALS, df, "festival"), meta)


# --- O13 jardins, O14 SPR ------------------------------------------------------------------


def jardins(log: BuildLog, ref: Reference) -> Part:
    cols = [
        "identifiant_deps",
        "nom_du_jardin",
        "code_insee",
        "code_insee_departement",
        "code_insee_region",
        "latitude",
        "longitude",
        "types",
    ]
    raw = read_csv(log, JARDINS, cols)
    dep = zero_pad_code(raw["code_insee_departement"], 2)
    df = pd.DataFrame(
        {
            "id": raw["identifiant_deps"],
            "name": raw["nom_du_jardin"],
            "commune": raw["code_insee"],
            "departement": dep,
            "region": zero_pad_code(raw["code_insee_region"], 2),
            "lat": to_number(raw["latitude"], where=JARDINS, column="latitude"),
            "lon": to_number(raw["longitude"], where=JARDINS, column="longitude"),
            "category": raw["types"],
            "n": 1.0,
        }
    )
    declared = df["region"]
    df = place(log, JARDINS, df, ref, lambda r: f"{r['id']} {r['name']}")
    mismatch = df["region"] != declared.loc[df.index]
    if mismatch.any():
        log.note(
            JARDINS,
            f"{int(mismatch.sum())} jardin(s) dont la région diffère de "
            "code_insee_region (département retenu)",
        )
    levels = count_levels(df, ref, ["n"])
    src = "Ministère de la Culture, label « Jardin remarquable »"
    meta = [
        _meta(
            "O13",
            "Jardins remarquables",
            "Jardins labellisés « Jardin remarquable » (liste à avril 2023).",
            "jardins",
            0,
            src,
            "2023",
            additive=True,
        ),
        _p100k_meta("O13", "Jardins remarquables", src, "2023"),
    ]
    return Part(
        [counts_and_p100k(levels, "O13", "n", 2023)], facilities(log, JARDINS, df, "jardin"), meta
    )


def spr(log: BuildLog, ref: Reference) -> Part:
    cols = [
        "Code région",
        "Code département",
        "Code INSEE",
        "Commune",
        "Nombre de SPR",
        "numéro du SPR",
    ]
    raw = read_csv(log, SPR, cols)
    n = to_number(raw["Nombre de SPR"], where=SPR, column="Nombre de SPR")
    main = n == 1
    no_number = (raw["numéro du SPR"].str.strip() == "") & ~main
    log.note(
        SPR,
        f"{int((~main).sum())} ligne(s) sans « Nombre de SPR » = 1 non comptées "
        f"(communes secondaires d'un SPR ; dont {int(no_number.sum())} sans numéro)",
    )
    raw = raw[main]
    df = pd.DataFrame(
        {
            "departement": zero_pad_code(raw["Code département"], 2),
            "region": zero_pad_code(raw["Code région"], 2),
            "label": raw["numéro du SPR"] + " " + raw["Commune"],
            "n": 1.0,
        }
    )
    df = place(log, SPR, df, ref, lambda r: r["label"])
    dup = raw["numéro du SPR"][raw["numéro du SPR"].duplicated() & (raw["numéro du SPR"] != "")]
    if len(dup):
        log.note(
            SPR,
            f"SPR compté dans deux territoires (Σ régions > total national distinct) : "
            f"{', '.join(dup)}",
        )
    levels = count_levels(df, ref, ["n"])
    src = "Ministère de la Culture, liste des sites patrimoniaux remarquables"
    meta = [
        _meta(
            "O14",
            "Sites patrimoniaux remarquables",
            "SPR en vigueur (une ligne principale "
            "par SPR), attribués par département ; un SPR à cheval sur deux régions "
            "(SPR32-40, Le Tréport / Mers-les-Bains) est compté dans chacune.",
            "sites",
            0,
            src,
            "2023",
            additive=True,
        ),
        _p100k_meta("O14", "Sites patrimoniaux remarquables", src, "2023"),
    ]
    return Part([counts_and_p100k(levels, "O14", "n", 2023)], None, meta)


# --- O15 Basilic-derived counts ------------------------------------------------------------


def basilic(log: BuildLog, ref: Reference) -> Part:
    col_type = "Type équipement ou lieu"
    raw = read_csv(log, BASILIC, ["code_insee", col_type, "count"], sep="\t", encoding="utf-8")
    code = raw["code_insee"].str.strip()
    code = code.where(~code.str.fullmatch(r"\d{4}"), code.str.zfill(5))
    df = pd.DataFrame(
        {
            "departement": code.map(dep_of_commune),
            "region": "",
            "commune": code,
            "type": raw[col_type].str.strip(),
            "count": to_number(raw["count"], where=BASILIC, column="count"),
        }
    )
    df = place(log, BASILIC, df, ref, lambda r: f"{r['commune']} {r['type']}")
    types = sorted(t for t in df["type"].unique() if t)
    slugs = {t: slugify(t).replace("-", "_") for t in types}
    for t, s in slugs.items():
        df[s] = df["count"].where(df["type"] == t, 0.0)
    levels = count_levels(df, ref, list(slugs.values()), with_population=False)
    rows = [to_rows(levels, f"O15.{s}", 2024, s) for s in slugs.values()]
    src = "Base Basilic (Ministère de la Culture), agrégat par commune Data For Good, fin 2024"
    meta = [
        _meta(
            f"O15.{s}",
            f"{t} (Basilic, dérivé)",
            f"Nombre de lieux de type « {t} » d'après "
            "un agrégat tiers de la base Basilic (dérivé, non officiel ; pour « Théâtre », "
            "nombre de salles).",
            "lieux",
            0,
            src,
            "2024",
            additive=True,
        )
        for t, s in slugs.items()
    ]
    return Part(rows, None, meta)


# --- theme ---------------------------------------------------------------------------------


def build(log: BuildLog, ref: Reference) -> ThemeOutput:
    parts = [
        museums(log, ref),
        libraries(log, ref),
        cinemas_cnc(log, ref),
        cinemas_drom(log, ref),
        archives(log, ref),
        festivals(log, ref),
        jardins(log, ref),
        spr(log, ref),
        basilic(log, ref),
    ]
    values = pd.concat([r for p in parts for r in p.rows], ignore_index=True)
    points = pd.concat([p.facilities for p in parts if p.facilities is not None], ignore_index=True)
    return ThemeOutput(
        values=values,
        tables={"facilities": points},
        meta=[m for p in parts for m in p.meta],
    )
