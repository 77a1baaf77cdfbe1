"""Fréquentation: museum visits (F01–F07) and cinema (F08–F11), ATLAS_SPEC §2.3 and §3.6.

Museums: only the preferred file (edition ``files: museum_visits``; the edition's years
``museums_first``–``museums_last``; rows of later years left out), no
splicing with the older exports; Saint-Pierre-et-Miquelon excluded; département from
``dep(codeInseeCommune)``; exact duplicate rows dropped, then one row per (site, year) kept
(the first in file order) and logged; an empty ``total`` is n.d. (left out of sums), never 0.

Cinema: CNC establishments of the edition's ``cinemas`` year (F08–F10) and the CNC series of
active establishments ``screens_first``–``screens_last`` (F11), both metropolitan only →
DROM and France entière (FR) are n.d.
"""

from __future__ import annotations

import pandas as pd

from reports import edition
from reports.data.sources.aliases import departement_code, departement_lookup
from reports.data.sources.base import BuildLog, read_csv, to_number
from reports.data.sources.frequentation_history import museum_series
from reports.data.sources.reference import Reference, dep_of_commune
from reports.data.sources.theme import IndicatorMeta, ThemeOutput, meta_factory
from reports.data.sources.tidy import (
    COLUMNS,
    drom_departements,
    fill_notes,
    mark,
    population_levels,
    ratio,
    roll_up,
    sums_by_departement,
    to_rows,
)

THEME = "frequentation"
ED = edition.current()
VISITS = ED.file("museum_visits")
MUSEOFILE = ED.file("museofile")
CNC = ED.file("cinemas")
CNC_SERIES = ED.file("screens_series")

MUSEUM_YEARS = ED.span("museums_first", "museums_last")
SCREEN_YEARS = ED.span("screens_first", "screens_last")
BASE, LAST = ED.year("museums_base"), ED.year("museums_last")  # F03: BASE → LAST
CIN, CIN_PREV = ED.year("cinemas"), ED.year("cinemas_previous")
POP = ED.year("population")
SPM = "Saint-Pierre-et-Miquelon"
METRO_NOTE = "source limitée à la France métropolitaine"
NO_MUSEUM_NOTE = "aucun musée de France n'a déclaré de fréquentation"
NO_BASE_NOTE = "pas de valeur de référence (aucune entrée l'année de base)"

SRC_MUSEES = "Ministère de la Culture, Fréquentation des musées de France"
SRC_CNC = f"CNC, Établissements cinématographiques {CIN}"
SRC_CNC_SERIES = ED.text(
    "CNC, établissements actifs {screens_first}–{screens_last} (compilation Data For Good)"
)


# --------------------------------------------------------------------------- museums: input
def load_visits(log: BuildLog, ref: Reference) -> pd.DataFrame:
    """Clean museum-visit rows: one per (site, year), SPM excluded, numbers as floats."""
    required = ["IDPatrimostat", "IDMuseofile", "region", "codeInseeCommune", "annee", "total"]
    required += ["gratuit", "payant", "nom_du_musee", "ville"]
    raw = read_csv(log, VISITS, required, sep=";")
    df = raw[raw["region"].str.strip() != SPM].copy()
    log.note(VISITS, f"{len(raw) - len(df)} lignes de {SPM} exclues")
    df["commune"] = df["codeInseeCommune"].str.strip().str.zfill(5)
    df["departement"] = df["commune"].map(dep_of_commune)
    known = df["departement"].isin(ref.departement_codes)
    if not known.all():
        bad = df[~known]
        log.unplaced(VISITS, [f"{r.IDPatrimostat} ({r.commune})" for r in bad.itertuples()])
    df = _dedup_visits(log, df[known])
    df["year"] = to_number(df["annee"], where=VISITS, column="annee").astype(int)
    later = df["year"] > LAST
    if later.any():  # an earlier edition rebuilt from a newer file
        log.note(VISITS, f"{int(later.sum())} lignes postérieures à {LAST} hors de l'édition")
        df = df[~later].copy()
    for col in ("total", "gratuit", "payant"):
        df[col] = to_number(df[col], where=VISITS, column=col)
    empty = df[df["total"].isna()]
    if len(empty):
        ids = ", ".join(f"{r.IDPatrimostat} ({r.year})" for r in empty.itertuples())
        log.note(VISITS, f"`total` vide = n.d., exclu des sommes : {ids}")
    df["region"] = df["departement"].map(ref.dep_to_reg)
    log.kept(VISITS, len(df))
    return df.reset_index(drop=True)


def _dedup_visits(log: BuildLog, df: pd.DataFrame) -> pd.DataFrame:
    """Drop exact duplicates, then keep the first row of each (site, year) and log it."""
    exact = df.duplicated(keep="first")
    for r in df[exact].itertuples():
        log.note(VISITS, f"doublon exact supprimé : {r.IDPatrimostat} {r.annee}")
    df = df[~exact]
    dup = df.duplicated(["IDPatrimostat", "annee"], keep="first")
    for r in df[dup].itertuples():
        kept = df[(df["IDPatrimostat"] == r.IDPatrimostat) & (df["annee"] == r.annee)].iloc[0]
        log.note(
            VISITS,
            f"doublon {r.IDPatrimostat} {r.annee} : total {kept['total']} conservé "
            f"(1re ligne), {r.total} écarté",
        )
    return df[~dup].copy()


# --------------------------------------------------------------------------- museums: F01–F07
def _year_levels(df: pd.DataFrame, year: int, ref: Reference) -> dict[str, pd.DataFrame]:
    """Σ total / gratuit on rows with both present / reporting sites, for one year."""
    y = df[df["year"] == year].copy()
    both = y["total"].notna() & y["gratuit"].notna()
    y["free_num"] = y["gratuit"].where(both)
    y["free_den"] = y["total"].where(both)
    y["sites"] = (y["total"] > 0).astype(float)
    y["reported"] = y["total"].notna().astype(float)
    cols = ["total", "free_num", "free_den", "sites", "reported"]
    dep = sums_by_departement(y, "departement", cols, ref)
    dep["total"] = dep["total"].where(dep["reported"] > 0)  # nobody reported → n.d., not 0
    return roll_up(dep, ref)


def museum_rows(df: pd.DataFrame, ref: Reference) -> pd.DataFrame:
    pop = population_levels(ref)
    by_year = {y: _year_levels(df, y, ref) for y in MUSEUM_YEARS}
    parts: list[pd.DataFrame] = []
    for y, lv in by_year.items():
        parts.append(to_rows(lv, "F01", y, "total"))
        parts.append(to_rows(lv, "F06", y, "sites"))
        base = by_year[BASE]
        index = {k: 100 * lv[k]["total"] / base[k]["total"].where(base[k]["total"] > 0) for k in lv}
        parts.append(to_rows(index, "F04", y))
    for y in (BASE, LAST):
        per_inh = {k: by_year[y][k]["total"] / pop[k]["population"] for k in pop}
        parts.append(to_rows(per_inh, "F02", y))
    a, b = by_year[BASE], by_year[LAST]
    change = {k: 100 * (b[k]["total"] / a[k]["total"].where(a[k]["total"] > 0) - 1) for k in a}
    parts.append(to_rows(change, "F03", LAST))
    parts.append(to_rows(ratio(b, "free_num", "free_den", 100.0), "F05", LAST))
    parts.append(to_rows(ratio(b, "total", "sites"), "F07", LAST))
    rows = pd.concat(parts, ignore_index=True)
    rows = _note_missing_year(rows, "F04", "F01")
    rows = fill_notes(rows, NO_BASE_NOTE, ["F03", "F04"])
    return fill_notes(rows, NO_MUSEUM_NOTE)


def _note_missing_year(rows: pd.DataFrame, indicator: str, source: str) -> pd.DataFrame:
    """n.d. rows of ``indicator`` whose ``source`` value of the same year is n.d. too."""
    key = ["level", "code", "year"]
    nd_src = rows.loc[(rows["indicator"] == source) & (rows["status"] == "nd"), key]
    hit = rows[key].apply(tuple, axis=1).isin(set(nd_src.apply(tuple, axis=1)))
    sel = (rows["indicator"] == indicator) & (rows["status"] == "nd") & hit
    rows = rows.copy()
    rows.loc[sel, "note"] = NO_MUSEUM_NOTE
    return rows


# --------------------------------------------------------------------------- museums table
def museums_table(log: BuildLog, df: pd.DataFrame, ref: Reference) -> pd.DataFrame:
    """One row per (IDMuseofile, région) with visits in the base or the last year (T04, M08).

    A museum with sites in several régions (e.g. the musée national de la Marine: Paris,
    Brest, Toulon…) gets one row per région, summing only that région's sites, so a regional
    top 10 never counts another région's visitors. Town = the busiest site of the région.
    """
    d = df[df["IDMuseofile"].str.strip() != ""].copy()
    no_id = df.loc[df["IDMuseofile"].str.strip() == "", "IDPatrimostat"].unique()
    if len(no_id):
        log.note(VISITS, f"sites sans IDMuseofile (hors table musées) : {', '.join(no_id)}")
    d["IDMuseofile"] = d["IDMuseofile"].str.strip()
    d["region"] = d["departement"].map(ref.dep_to_reg)
    entries = (
        d[d["year"].isin([BASE, LAST])]
        .pivot_table(index=["IDMuseofile", "region"], columns="year", values="total", aggfunc="sum")
        .reindex(columns=[BASE, LAST])
    )
    entries = entries.dropna(how="all")
    main = _main_site(d)
    out = pd.DataFrame(index=entries.index)
    out["entries_base"] = entries[BASE]
    out["entries_last"] = entries[LAST]
    out = out.join(main)
    out = out.reset_index().join(_museofile(log, ref), on="IDMuseofile", how="left")
    out["name"] = out["mf_name"].where(out["mf_name"].fillna("") != "", out["site_name"])
    out["ville"] = out["site_ville"].where(out["site_ville"].fillna("") != "", out["mf_ville"])
    # Muséofile coordinates locate the museum's main site: keep them only in its région
    split = out.duplicated("IDMuseofile", keep=False)
    if split.any():
        mf_region = out["mf_departement"].map(ref.dep_to_reg)
        away = split & (mf_region != out["region"])
        out.loc[away, ["lon", "lat"]] = float("nan")
        log.note(
            VISITS,
            "musées à sites dans plusieurs régions (une ligne par région) : "
            + ", ".join(sorted(out.loc[split, "IDMuseofile"].unique())),
        )
    out = out.rename(columns={"IDMuseofile": "museofile"})
    cols = ["museofile", "name", "ville", "commune", "departement", "region"]
    cols += ["entries_base", "entries_last", "lon", "lat"]
    return out[cols].sort_values(["museofile", "region"]).reset_index(drop=True)


def _main_site(d: pd.DataFrame) -> pd.DataFrame:
    """Commune/name of the busiest site (latest year first) of each museum in each région."""
    s = d.sort_values(["year", "total"], ascending=[False, False], na_position="last")
    s = s.drop_duplicates(["IDMuseofile", "region"]).set_index(["IDMuseofile", "region"])
    return pd.DataFrame(
        {
            "commune": s["commune"],
            "departement": s["departement"],
            "site_name": s["nom_du_musee"].str.strip(),
            "site_ville": s["ville"].str.strip(),
        }
    )


def _museofile(log: BuildLog, ref: Reference) -> pd.DataFrame:
    lookup = departement_lookup(ref)
    mf = read_csv(
        log,
        MUSEOFILE,
        ["Identifiant", "Nom_officiel", "Ville", "Departement", "Coordonnees"],
        sep="|",
    )
    coords = mf["Coordonnees"].str.split(",", n=1, expand=True).reindex(columns=[0, 1])
    lat = pd.to_numeric(coords[0].str.strip(), errors="coerce")
    lon = pd.to_numeric(coords[1].str.strip(), errors="coerce")
    out = pd.DataFrame(
        {
            "mf_name": mf["Nom_officiel"].str.strip().to_numpy(),
            "mf_ville": mf["Ville"].str.strip().to_numpy(),
            "mf_departement": mf["Departement"]
            .map(lambda x: departement_code(x, lookup))
            .to_numpy(),
            "lat": lat.to_numpy(),
            "lon": lon.to_numpy(),
        },
        index=mf["Identifiant"].str.strip(),
    )
    log.kept(MUSEOFILE, len(out))
    return out[~out.index.duplicated()]


# --------------------------------------------------------------------------- cinema
def load_cnc(log: BuildLog, ref: Reference) -> pd.DataFrame:
    now, before = f"entrées {CIN}", f"entrées {CIN_PREV}"
    cols = ["code INSEE", "écrans", now, before]
    df = read_csv(log, CNC, cols, sep=";")
    df["departement"] = df["code INSEE"].str.strip().str.zfill(5).map(dep_of_commune)
    known = df["departement"].isin(ref.departement_codes)
    if not known.all():
        log.unplaced(CNC, list(df.loc[~known, "code INSEE"]))
    df = df[known].copy()
    for col in (now, before):
        df[col] = to_number(df[col], where=CNC, column=col)
    both = df[now].notna() & df[before].notna()
    log.note(CNC, f"F10 : {int((~both).sum())} établissements sans entrées {CIN_PREV} exclus")
    df["entries"] = df[now]
    df["now_both"] = df[now].where(both)
    df["before_both"] = df[before].where(both)
    log.kept(CNC, len(df))
    return df


def cinema_rows(log: BuildLog, ref: Reference) -> pd.DataFrame:
    df = load_cnc(log, ref)
    dep = sums_by_departement(df, "departement", ["entries", "now_both", "before_both"], ref)
    lv = roll_up(dep, ref)
    pop = population_levels(ref)
    parts = [
        to_rows(lv, "F08", CIN, "entries"),
        to_rows({k: lv[k]["entries"] / pop[k]["population"] for k in lv}, "F09", CIN),
        to_rows(ratio(lv, "now_both", "before_both", 100.0), "F10", CIN),
    ]
    rows = pd.concat(parts, ignore_index=True)
    rows["value"] = rows["value"].where(rows["indicator"] != "F10", rows["value"] - 100.0)
    rows = pd.concat([rows, screen_rows(log, ref)], ignore_index=True)
    return fill_notes(rows, "aucun établissement cinématographique renseigné")


def screen_rows(log: BuildLog, ref: Reference) -> pd.DataFrame:
    """F11: Σ ``ECRANS`` per year, commune code coalesced from CODE COMMUNE / DEPCOM."""
    df = read_csv(log, CNC_SERIES, ["year", "CODE COMMUNE", "DEPCOM", "ECRANS"], sep=";")
    code = df["CODE COMMUNE"].str.strip()
    code = code.where(code != "", df["DEPCOM"].str.strip()).str.zfill(5)
    df["departement"] = code.map(dep_of_commune)
    known = df["departement"].isin(ref.departement_codes) & (code != "00000")
    if not known.all():
        log.unplaced(CNC_SERIES, list(df.loc[~known, "year"] + " " + code[~known]))
    df = df[known].copy()
    df["year"] = to_number(df["year"], where=CNC_SERIES, column="year").astype(int)
    df["screens"] = to_number(df["ECRANS"], where=CNC_SERIES, column="ECRANS")
    log.kept(CNC_SERIES, len(df))
    parts = []
    for y in SCREEN_YEARS:
        lv = roll_up(sums_by_departement(df[df["year"] == y], "departement", ["screens"], ref), ref)
        parts.append(to_rows(lv, "F11", y, "screens"))
    return pd.concat(parts, ignore_index=True)


def metro_only(rows: pd.DataFrame, ref: Reference, indicators: list[str]) -> pd.DataFrame:
    """DROM départements, régions, the DROM group and France entière → n.d. (metro source)."""
    drom_regions = list(ref.regions.loc[ref.regions["zone"] == "drom", "code"])
    out = rows
    for level, codes in (
        ("departement", drom_departements(ref)),
        ("region", drom_regions),
        ("france", ["FR", "DROM"]),
    ):
        sub = out[out["level"] == level]
        marked = mark(sub, codes, "nd", METRO_NOTE, indicators=indicators)
        out = pd.concat([out[out["level"] != level], marked], ignore_index=True)
    return out


# --------------------------------------------------------------------------- meta
_meta = meta_factory(THEME)


def metadata() -> list[IndicatorMeta]:
    m, c, s = SRC_MUSEES, SRC_CNC, SRC_CNC_SERIES
    t = ED.text
    museums, screens = t("{museums_first}–{museums_last}"), t("{screens_first}–{screens_last}")
    return [
        _meta("F01", "Entrées dans les musées de France",
              "Total des entrées déclarées par les musées de France pour l'année (hors "
              "Saint-Pierre-et-Miquelon).", "entrées", 0, m, museums, additive=True),
        _meta("F02", "Entrées dans les musées par habitant",
              f"Entrées dans les musées de France rapportées à la population {POP}.",
              "entrées/hab.", 2, f"{m} ; Insee, population {POP}", f"{BASE}, {LAST}"),
        _meta("F03", f"Évolution des entrées dans les musées {BASE}–{LAST}",
              f"Variation des entrées entre {BASE} (avant la crise sanitaire) et {LAST}.",
              "%", 1, m, f"{BASE}–{LAST}"),
        _meta("F04", f"Indice de fréquentation des musées (base 100 en {BASE})",
              f"Entrées de l'année rapportées aux entrées de {BASE}, × 100.",
              "indice", 1, m, museums),
        _meta("F05", "Part des entrées gratuites dans les musées",
              "Entrées gratuites / entrées totales, sur les musées renseignant les deux.",
              "%", 1, m, str(LAST)),
        _meta("F06", "Musées déclarant une fréquentation",
              "Nombre de sites de musées de France déclarant des entrées (> 0) dans l'année.",
              "musées", 0, m, museums, additive=True),
        _meta("F07", "Entrées moyennes par musée",
              "Entrées dans les musées / nombre de musées déclarant une fréquentation.",
              "entrées", 0, m, str(LAST)),
        _meta("F08", "Entrées en salles de cinéma",
              f"Entrées (billets vendus) en {CIN} dans les établissements cinématographiques.",
              "entrées", 0, c, str(CIN), scope="metro", additive=True),
        _meta("F09", "Entrées au cinéma par habitant",
              f"Entrées {CIN} rapportées à la population {POP}.",
              "entrées/hab.", 2, f"{c} ; Insee, population {POP}", str(CIN), scope="metro"),
        _meta("F10", f"Évolution des entrées au cinéma {CIN_PREV}–{CIN}",
              f"Variation des entrées entre {CIN_PREV} et {CIN}, sur les établissements "
              "renseignés les deux années.", "%", 1, c, f"{CIN_PREV}–{CIN}", scope="metro"),
        _meta("F11", "Écrans de cinéma",
              "Nombre d'écrans des établissements cinématographiques actifs dans l'année.",
              "écrans", 0, s, screens, scope="metro", additive=True),
    ]  # fmt: skip


# --------------------------------------------------------------------------- entry point
def build(log: BuildLog, ref: Reference) -> ThemeOutput:
    visits = load_visits(log, ref)
    museums = museum_rows(visits, ref)
    cinema = metro_only(cinema_rows(log, ref), ref, ["F08", "F09", "F10", "F11"])
    values = pd.concat([museums, cinema], ignore_index=True)[COLUMNS]
    values = values.sort_values(["indicator", "level", "code", "year"]).reset_index(drop=True)
    return ThemeOutput(
        values=values,
        tables={
            "museums": museums_table(log, visits, ref),
            "museum_series": museum_series(log, ref),  # the historical series, kept apart
        },
        meta=metadata(),
    )
