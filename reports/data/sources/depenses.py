"""Dépenses publiques de la culture (edition year ``spending``; D01–D09), ATLAS_SPEC §2.4,
§3.3–3.5, §3.7.

* Amounts are converted to euros on load (× 1 000 for the four collectivity files in k€; the
  ministry file is already in €). ``Dépenses culturelles des départements.xlsx`` is never read.
* Per inhabitant = Σ € / Σ population of the *distinct spending entities* (the ``Population``
  column of the spending file itself), never POP(T).
* Ministry (D01, D02): names only → exact join on the COG names, the build fails on any
  unmatched name; régions from the ``Région`` sheet, départements from ``Département``
  (the Région sheet total exceeds Σ Département: not every State euro has a département).
* EPCI (D09): SIREN → member communes (``epci.json``, COG of the edition) → région holding most
  of the population, then the département holding most of it within that région. EPCI absent from
  ``epci.json`` are placed through the festivals file (``Code Insee EPCI`` → communes); the
  rest is ``D09_unplaced`` (France row only).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from reports import edition
from reports.data.sources.base import BuildLog, read_csv, read_excel, to_number
from reports.data.sources.reference import Reference, dep_of_commune, load_json
from reports.data.sources.theme import IndicatorMeta, ThemeOutput
from reports.data.sources.tidy import (
    COLUMNS,
    complete,
    fill_notes,
    mark,
    population_levels,
    region_sums_to_france,
    roll_up,
    sums_by_departement,
    to_rows,
)
from reports.errors import DataError

THEME = "depenses"
ED = edition.current()
YEAR, EPCI_YEAR, POP = ED.year("spending"), ED.year("epci"), ED.year("population")
XLS = "atlas_culture_deps/excel_files/"
MINISTRY = XLS + "Dépenses du ministère de la Culture.xls"
REGIONS = XLS + "Dépenses culturelles des régions.xls"
DEPARTEMENTS = XLS + "Dépenses culturelles des départements.xls"  # never the .xlsx (§3.4)
COMMUNES = XLS + "Dépenses culturelles des communes.xls"
EPCI = XLS + "Dépenses culturelles des intercommunalités.xls"
SHEET = "Dépenses culturelles"
EPCI_JSON = "cog_decoupage_administratif/epci.json"
FESTIVALS = "festivals/festivals-global-festivals-_-pl.csv"

AMOUNTS = ["fonct", "invest", "total"]
KEUR = 1000.0

MIN_COLS = {
    "Dépénses Fonctionnement": "fonct",
    "Dépénses Investissement": "invest",
    "Dépénses totales": "total",
    "Population": "population",
}
COLL_COLS = {
    "Fonctionnement": "fonct",
    "Investissement": "invest",
    "Total": "total",
    "Population": "population",
}

# D04: régions report either one "Patrimoines" line or its parts → harmonised (§3.6).
REGION_SECTORS = {
    "Activités artistiques et action culturelle": "activites_artistiques",
    "Patrimoines": "patrimoines",
    "Archives": "patrimoines",
    "Bibliothèques et médiathèques": "patrimoines",
    "Musées": "patrimoines",
    "Patrimoine (musées, monuments...)": "patrimoines",
}
REGION_SECTOR_LABELS = {
    "activites_artistiques": "Activités artistiques et action culturelle",
    "patrimoines": "Patrimoines (archives, bibliothèques, musées, monuments)",
}
# D08: the 13 sectors of the communes file.
COMMUNE_SECTORS = {
    "Action culturelle": "action_culturelle",
    "Archives": "archives",
    "Arts plastiques et autres activités artistiques": "arts_plastiques",
    "Bibliothèques et médiathèques": "bibliotheques",
    "Cinémas et autres salles de spectacles": "cinemas_salles",
    "Conservation et diffusion des patrimoines": "conservation_patrimoines",
    "Entretien du patrimoine culturel": "entretien_patrimoine",
    "Expression artistique": "expression_artistique",
    "Expression musicale, lyrique et chorégraphique": "musique",
    "Musées": "musees",
    "Non précisé": "non_precise",
    "Services communs": "services_communs",
    "Théâtres": "theatres",
}

SO_REGION_DEP = "dépenses des conseils régionaux : indicateur régional uniquement"
SO_MAYOTTE = "compétences régionales exercées par le Département"
SO_DEPS = {
    "2A": "compétences départementales exercées par la Collectivité de Corse (voir dépenses "
    "régionales)",
    "2B": "compétences départementales exercées par la Collectivité de Corse (voir dépenses "
    "régionales)",
    "75": "Ville de Paris : dépenses comptées avec les communes",
    "972": "collectivité territoriale unique de Martinique (voir dépenses régionales)",
    "973": "collectivité territoriale unique de Guyane (voir dépenses régionales)",
}
SO_DEP_REGIONS = {
    "94": "compétences départementales exercées par la Collectivité de Corse (voir dépenses "
    "régionales)",
    "02": "collectivité territoriale unique de Martinique (voir dépenses régionales)",
    "03": "collectivité territoriale unique de Guyane (voir dépenses régionales)",
}
SO_EPCI_ELSEWHERE = (
    "communes membres d'un EPCI affecté à un autre département (règle de la population majoritaire)"
)
ND_EPCI = "aucune intercommunalité du territoire dans le fichier des dépenses"
SO_UNPLACED = "montant des EPCI non affectés : ligne France uniquement"
ND_MARKER = (
    "montant de −1 € dans toutes les colonnes du fichier du ministère (marqueur, non une dépense)"
)

SRC_MIN = f"Ministère de la Culture (Deps), dépenses régionalisées {YEAR}"
SRC_COLL = f"Ministère de la Culture (Deps) d'après DGFiP, comptes {YEAR}"


@dataclass
class Levels:
    """Frames indexed by code per level, columns fonct/invest/total/population (+ extras)."""

    frames: dict[str, pd.DataFrame]

    def col(self, name: str) -> dict[str, pd.Series]:
        return {k: f[name] for k, f in self.frames.items()}

    def div(self, num: str, den: str, factor: float = 1.0) -> dict[str, pd.Series]:
        return {k: f[num] / f[den].where(f[den] != 0) * factor for k, f in self.frames.items()}


# --------------------------------------------------------------------------- loading
def _amounts(
    df: pd.DataFrame, rel: str, sheet: str, cols: dict[str, str], scale: float
) -> pd.DataFrame:
    where = f"{rel} [sheet {sheet}]"
    out = pd.DataFrame(index=df.index)
    for src, dst in cols.items():
        out[dst] = to_number(df[src], where=where, column=src)
        if dst in AMOUNTS:
            out[dst] = out[dst] * scale
    return out


def load_ministry(log: BuildLog, sheet: str, names: dict[str, str], key: str) -> pd.DataFrame:
    """One ministry sheet → frame indexed by COG code (exact name join, fail on mismatch)."""
    df = read_excel(log, MINISTRY, sheet, [key, *MIN_COLS])
    df = df[df[key].str.strip() != ""]
    unmatched = sorted(set(df[key]) - set(names))
    if unmatched:
        raise DataError(
            f"column {key!r}: name(s) not in the COG list: {', '.join(map(repr, unmatched))}",
            where=f"{log.sources_dir / MINISTRY} [sheet {sheet}]",
            hint="the ministry file has names only (ATLAS_SPEC §3.5): fix the name in the "
            "workbook or add an explicit alias in reports/data/sources/depenses.py",
        )
    out = _amounts(df, MINISTRY, sheet, MIN_COLS, 1.0)
    out.index = df[key].map(names)
    missing = sorted(set(names.values()) - set(out.index))
    if missing:
        log.note(MINISTRY, f"territoires absents : {', '.join(missing)}", sheet=sheet)
    log.kept(MINISTRY, len(out), sheet=sheet)
    return out.groupby(level=0).sum(min_count=1)


def load_collectivity(log: BuildLog, rel: str, key: str, label: str) -> pd.DataFrame:
    """A k€ collectivity file → rows with entity, secteur, fonct, invest, total (€), population."""
    df = read_excel(log, rel, SHEET, [key, label, "Secteur", *COLL_COLS])
    out = _amounts(df, rel, SHEET, COLL_COLS, KEUR)
    out.insert(0, "entity", df[key].str.strip())
    out.insert(1, "name", df[label].str.strip())
    out.insert(2, "secteur", df["Secteur"].str.strip())
    pops = out.groupby("entity")["population"].nunique()
    if (pops > 1).any():
        raise DataError(
            f"column 'Population': several values for {', '.join(pops[pops > 1].index[:5])}",
            where=f"{log.sources_dir / rel} [sheet {SHEET}]",
            hint="one population per spending entity is expected; check the source",
        )
    return out


def per_entity(rows: pd.DataFrame) -> pd.DataFrame:
    """Sector rows → one row per entity: Σ amounts, its (single) population."""
    g = rows.groupby("entity")
    out = g[AMOUNTS].sum(min_count=1)
    out["population"] = g["population"].first()
    return out


# --------------------------------------------------------------------------- indicator rows
def amount_rows(lv: Levels, prefix: str, invest_share: str | None = None) -> list[pd.DataFrame]:
    """Dxx €, Dxx_per_inh, Dxx_fonct, Dxx_invest (+ optional invest share id)."""
    parts = [
        to_rows(lv.col("total"), prefix, YEAR),
        to_rows(lv.div("total", "population"), f"{prefix}_per_inh", YEAR),
        to_rows(lv.col("fonct"), f"{prefix}_fonct", YEAR),
        to_rows(lv.col("invest"), f"{prefix}_invest", YEAR),
    ]
    if invest_share:
        parts.append(to_rows(lv.div("invest", "total", 100.0), invest_share, YEAR))
    return parts


def sector_levels(
    rows: pd.DataFrame, codes: list[str], sectors: list[str], ref: Reference
) -> dict[str, pd.DataFrame]:
    """Σ ``total`` per sector by ``geo`` (département or région codes) → every level."""
    t = rows.pivot_table(index="geo", columns="sector", values="total", aggfunc="sum")
    t = t.reindex(columns=sectors).fillna(0.0).reindex(codes)
    t["_all"] = t[sectors].sum(axis=1, min_count=1)
    if codes == ref.departement_codes:
        return roll_up(t, ref)
    return {"region": t, "france": region_sums_to_france(t)}


def sector_rows(
    levels: dict[str, pd.DataFrame], prefix: str, sectors: list[str]
) -> list[pd.DataFrame]:
    """``prefix.<sector>`` = Σ total of the sector / Σ total × 100 (sum first)."""
    lv = Levels(levels)
    return [to_rows(lv.div(s, "_all", 100.0), f"{prefix}.{s}", YEAR) for s in sectors]


# --------------------------------------------------------------------------- themes
def marker_rows(frame: pd.DataFrame) -> list[str]:
    """Codes whose ministry amounts are −1 € in every column: a marker of the workbook (Corse-
    du-Sud and Haute-Corse, whose credits are counted with the Collectivité de Corse), not a
    spending (data gates, ATLAS_SPEC §3.9) → n.d."""
    return sorted(frame.index[(frame[AMOUNTS] == -1.0).all(axis=1)])


def ministry_rows(log: BuildLog, ref: Reference) -> list[pd.DataFrame]:
    reg = load_ministry(log, "Région", ref.region_name_to_code(), "Région")
    dep = load_ministry(log, "Département", ref.dep_name_to_code(), "Département")
    reg = reg.reindex(ref.region_codes)
    dep = dep.reindex(ref.departement_codes)
    markers = {"region": marker_rows(reg), "departement": marker_rows(dep)}
    lv = Levels({"departement": dep, "region": reg, "france": region_sums_to_france(reg)})
    rows = pd.concat(amount_rows(lv, "D01", invest_share="D02"), ignore_index=True)
    for level, codes in markers.items():
        if codes:
            log.note(MINISTRY, f"{ND_MARKER} : {', '.join(codes)}",
                     sheet="Région" if level == "region" else "Département")  # fmt: skip
            sel = rows["level"] == level
            marked = mark(rows[sel], codes, "nd", ND_MARKER)
            rows = pd.concat([rows[~sel], marked], ignore_index=True)
    return [rows]


def region_council_rows(log: BuildLog, ref: Reference) -> list[pd.DataFrame]:
    rows = load_collectivity(log, REGIONS, "Code INSEE", "Région")
    unknown = sorted(set(rows["entity"]) - set(ref.region_codes))
    if unknown:
        raise DataError(
            f"column 'Code INSEE': unknown région code(s) {', '.join(unknown)}",
            where=f"{log.sources_dir / REGIONS} [sheet {SHEET}]",
            hint="expected current INSEE région codes (01…94)",
        )
    rows["sector"] = _sector_ids(rows, REGION_SECTORS, REGIONS)
    log.kept(REGIONS, len(rows), sheet=SHEET)
    reg = per_entity(rows).reindex(ref.region_codes)
    lv = Levels({"region": reg, "france": region_sums_to_france(reg)})
    parts = amount_rows(lv, "D03")
    rows["geo"] = rows["entity"]
    sectors = list(REGION_SECTOR_LABELS)
    parts += sector_rows(sector_levels(rows, ref.region_codes, sectors, ref), "D04", sectors)
    return parts


def departement_council_rows(log: BuildLog, ref: Reference) -> list[pd.DataFrame]:
    rows = load_collectivity(log, DEPARTEMENTS, "Code INSEE", "Département")
    unknown = sorted(set(rows["entity"]) - set(ref.departement_codes))
    if unknown:
        raise DataError(
            f"column 'Code INSEE': unknown département code(s) {', '.join(unknown)}",
            where=f"{log.sources_dir / DEPARTEMENTS} [sheet {SHEET}]",
            hint="expected INSEE département codes (01…95, 2A, 2B, 971…976)",
        )
    log.kept(DEPARTEMENTS, len(rows), sheet=SHEET)
    dep = per_entity(rows).reindex(ref.departement_codes)
    return amount_rows(Levels(roll_up(dep, ref)), "D05")


def commune_rows(log: BuildLog, ref: Reference) -> list[pd.DataFrame]:
    rows = load_collectivity(log, COMMUNES, "Code INSEE", "Commune")
    rows["entity"] = rows["entity"].str.zfill(5)
    rows["geo"] = rows["entity"].map(dep_of_commune)
    known = rows["geo"].isin(ref.departement_codes)
    if not known.all():
        bad = rows[~known].drop_duplicates("entity")
        log.unplaced(COMMUNES, [f"{r.entity} {r.name}" for r in bad.itertuples()], sheet=SHEET)
    rows = rows[known].copy()
    rows["sector"] = _sector_ids(rows, COMMUNE_SECTORS, COMMUNES)
    log.kept(COMMUNES, len(rows), sheet=SHEET)
    ent = per_entity(rows)
    ent["departement"] = ent.index.map(dep_of_commune)
    dep = sums_by_departement(ent, "departement", [*AMOUNTS, "population"], ref)
    levels = roll_up(dep, ref)
    pop = population_levels(ref)
    for k, frame in levels.items():
        frame["pop_t"] = pop[k]["population"]
    lv = Levels(levels)
    parts = amount_rows(lv, "D06", invest_share="D07")
    parts.append(to_rows(lv.div("population", "pop_t", 100.0), "D06_coverage", YEAR))
    sectors = _ids(COMMUNE_SECTORS)
    levels = sector_levels(rows, ref.departement_codes, sectors, ref)
    parts += sector_rows(levels, "D08", sectors)
    return parts


def _ids(mapping: dict[str, str]) -> list[str]:
    return list(dict.fromkeys(mapping.values()))


def _sector_ids(rows: pd.DataFrame, mapping: dict[str, str], rel: str) -> pd.Series:
    unknown = sorted(set(rows["secteur"]) - set(mapping))
    if unknown:
        raise DataError(
            f"column 'Secteur': unknown sector(s) {', '.join(map(repr, unknown))}",
            where=f"{rel} [sheet {SHEET}]",
            hint="add the sector to the mapping in reports/data/sources/depenses.py",
        )
    return rows["secteur"].map(mapping)


# --------------------------------------------------------------------------- EPCI (D09)


def _majority_place(members: pd.DataFrame, ref: Reference) -> tuple[str, str] | None:
    """(région, département) holding most of the members' population, or None."""
    m = members.assign(departement=members["commune"].map(dep_of_commune))
    m = m[m["departement"].isin(ref.departement_codes)]
    if m.empty:
        return None
    m = m.assign(region=m["departement"].map(ref.dep_to_reg))
    region = m.groupby("region")["population"].sum().sort_index().idxmax()
    dep = m[m["region"] == region].groupby("departement")["population"].sum().sort_index()
    return str(region), str(dep.idxmax())


def epci_membership(log: BuildLog) -> pd.DataFrame:
    """Members of the EPCI (COG of the edition): siren, commune, population (populationTotale)."""
    data = load_json(log, EPCI_JSON)
    rows = [
        (e["code"], m["code"], float(m.get("populationTotale") or 0))
        for e in data
        for m in e.get("membres", [])
    ]
    return pd.DataFrame(rows, columns=["siren", "commune", "population"])


def festival_membership(log: BuildLog, ref: Reference, sirens: list[str]) -> pd.DataFrame:
    """Fallback membership from the festivals file; weights = Population.xls."""
    df = read_csv(log, FESTIVALS, ["Code Insee EPCI", "Code Insee commune"], sep=";")
    df = df[df["Code Insee EPCI"].str.strip().isin(sirens)]
    out = pd.DataFrame(
        {
            "siren": df["Code Insee EPCI"].str.strip(),
            "commune": df["Code Insee commune"].str.strip().str.zfill(5),
        }
    ).drop_duplicates()
    pop = ref.commune_pop.set_index("commune")["population"]
    out["population"] = out["commune"].map(pop).fillna(0.0)
    return out


def place_epci(
    log: BuildLog, ref: Reference, sirens: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SIREN → région, département, how (``epci.json`` / ``festivals``); and the members."""
    members = epci_membership(log)
    places: dict[str, tuple[str, str, str]] = {}
    multi = 0
    for siren, m in members[members["siren"].isin(sirens)].groupby("siren"):
        hit = _majority_place(m, ref)
        if hit:
            places[str(siren)] = (*hit, "epci.json")
            deps = m["commune"].map(dep_of_commune).nunique()
            multi += deps > 1
    log.note(EPCI_JSON, f"{multi} EPCI à cheval sur plusieurs départements : affectés au "
             "territoire qui regroupe la plus grande part de leur population")  # fmt: skip
    missing = [s for s in sirens if s not in places]
    fest = festival_membership(log, ref, missing)
    for siren, m in fest.groupby("siren"):
        hit = _majority_place(m, ref)
        if hit:
            places[str(siren)] = (*hit, "festivals")
    out = pd.DataFrame.from_dict(places, orient="index", columns=["region", "departement", "how"])
    used = pd.concat([members[members["siren"].isin(sirens)], fest], ignore_index=True)
    return out.reindex(sirens), used


def epci_rows(log: BuildLog, ref: Reference) -> list[pd.DataFrame]:
    rows = load_collectivity(log, EPCI, "Code SIREN", "EPCI")
    ent = per_entity(rows)
    ent["name"] = rows.groupby("entity")["name"].first()
    place, members = place_epci(log, ref, list(ent.index))
    ent = ent.join(place)
    unplaced = ent[ent["departement"].isna()]
    via_fest = ent[ent["how"] == "festivals"]
    if len(via_fest):
        names = ", ".join(f"{i} {n}" for i, n in via_fest["name"].items())
        log.note(EPCI, f"EPCI placés via le fichier des festivals : {names}", sheet=SHEET)
    if len(unplaced):
        examples = [f"{i} {r['name']} ({r['total'] / KEUR:.3f} k€)" for i, r in unplaced.iterrows()]
        amount = unplaced["total"].sum() / KEUR
        note = (
            f"{len(unplaced)} EPCI non affectés (absents de epci.json {EPCI_YEAR} et du fichier "
            "des "
            f"festivals) : {amount:.3f} k€"
        )
        log.unplaced(EPCI, examples, sheet=SHEET, note=note)
    kept = rows["entity"].isin(ent.index[ent["departement"].notna()])
    log.kept(EPCI, int(kept.sum()), sheet=SHEET)
    placed = ent[ent["departement"].notna()]
    dep = sums_by_departement(placed, "departement", [*AMOUNTS, "population"], ref)
    levels = roll_up(dep, ref)
    # France = all 740 EPCI of the file, the unplaced ones included (ATLAS_SPEC §2.4, V14);
    # FRM and DROM stay Σ of their régions (an unplaced EPCI has no known side).
    levels["france"].loc["FR", [*AMOUNTS, "population"]] = ent[[*AMOUNTS, "population"]].sum()
    rows_out = pd.concat(amount_rows(Levels(levels), "D09"), ignore_index=True)
    rows_out = _mark_empty_epci(rows_out, dep, members, placed, ref)
    return [rows_out, _unplaced_rows(ref, float(unplaced["total"].sum()), len(unplaced))]


def _mark_empty_epci(
    rows: pd.DataFrame,
    dep: pd.DataFrame,
    members: pd.DataFrame,
    placed: pd.DataFrame,
    ref: Reference,
) -> pd.DataFrame:
    """Territories without any placed EPCI: s.o. if their communes belong to an EPCI placed
    elsewhere (majority rule), else n.d. (no EPCI of the territory in the file)."""
    member_deps = set(
        members.loc[members["siren"].isin(placed.index), "commune"].map(dep_of_commune)
    )
    empty = dep.index[dep["total"].fillna(0) == 0]
    elsewhere = [d for d in empty if d in member_deps]
    absent = [d for d in empty if d not in member_deps]
    ids = [i for i in rows["indicator"].unique() if i.startswith("D09")]
    dep_rows = rows["level"] == "departement"
    marked = mark(rows[dep_rows], elsewhere, "so", SO_EPCI_ELSEWHERE, indicators=ids)
    marked = mark(marked, absent, "nd", ND_EPCI, indicators=ids)
    rows = pd.concat([rows[~dep_rows], marked], ignore_index=True)
    reg = rows.loc[(rows["level"] == "region") & (rows["indicator"] == "D09")]
    empty_regions = list(reg.loc[reg["value"].fillna(0) == 0, "code"])
    reg_rows = rows["level"] == "region"
    marked = mark(rows[reg_rows], empty_regions, "nd", ND_EPCI, indicators=ids)
    return pd.concat([rows[~reg_rows], marked], ignore_index=True)


def _unplaced_rows(ref: Reference, amount: float, count: int) -> pd.DataFrame:
    """D09_unplaced (€), France row only, its note naming how many EPCI: counted in D09 FR."""
    rows = to_rows({"france": pd.Series({"FR": amount})}, "D09_unplaced", YEAR)
    rows["note"] = f"{count} EPCI"
    return complete(rows, ref, "so", SO_UNPLACED)


# --------------------------------------------------------------------------- s.o. marks
def mark_structural(rows: pd.DataFrame, ref: Reference) -> pd.DataFrame:
    """s.o. rows of §3.7: Mayotte régional spending, the 5 départements outside the file."""
    region_ids = [i for i in rows["indicator"].unique() if i.startswith(("D03", "D04"))]
    dep_ids = [i for i in rows["indicator"].unique() if i.startswith("D05")]
    reg = rows["level"] == "region"
    rows = pd.concat(
        [rows[~reg], mark(rows[reg], ["06"], "so", SO_MAYOTTE, indicators=region_ids)],
        ignore_index=True,
    )
    for code, note in SO_DEPS.items():
        sel = rows["level"] == "departement"
        marked = mark(rows[sel], [code], "so", note, indicators=dep_ids)
        rows = pd.concat([rows[~sel], marked], ignore_index=True)
    for code, note in SO_DEP_REGIONS.items():
        sel = rows["level"] == "region"
        marked = mark(rows[sel], [code], "so", note, indicators=dep_ids)
        rows = pd.concat([rows[~sel], marked], ignore_index=True)
    return rows


# --------------------------------------------------------------------------- meta
def _m(id_: str, label: str, definition: str, unit: str, decimals: int, source: str,
       additive: bool = False) -> IndicatorMeta:  # fmt: skip
    return IndicatorMeta(id_, THEME, label, definition, unit, decimals, source, str(YEAR),
                         additive=additive)  # fmt: skip


LEVEL_LABELS = {
    "D01": ("du ministère de la Culture", SRC_MIN,
            f"Crédits exécutés en {YEAR} par le ministère de la Culture (programmes 175, 131, 224, "
            "186, 180, 334, 313, dépenses de personnel comprises) ; valeur régionale issue de la "
            "feuille Région (supérieure à la somme des départements)."),
    "D03": ("de la région", SRC_COLL,
            "Dépenses culturelles du conseil régional (ou de la collectivité territoriale unique, "
            "de la Collectivité de Corse)."),
    "D05": ("des départements", SRC_COLL,
            "Dépenses culturelles des conseils départementaux (96 départements ; hors Corse, "
            "Paris, Martinique et Guyane)."),
    "D06": ("des communes de plus de 3 500 hab.", SRC_COLL,
            "Dépenses culturelles des communes de plus de 3 500 habitants."),
    "D09": ("des intercommunalités", SRC_COLL,
            "Dépenses culturelles des EPCI comptant au moins une commune de plus de 3 500 "
            "habitants, affectés au territoire regroupant la plus grande part de leur population "
            f"(composition des EPCI {EPCI_YEAR})."),
}  # fmt: skip
ADDITIVE = {"D01": False, "D03": False, "D05": True, "D06": True, "D09": True}


def metadata() -> list[IndicatorMeta]:
    out: list[IndicatorMeta] = []
    for pid, (who, src, definition) in LEVEL_LABELS.items():
        add = ADDITIVE[pid]
        out += [
            _m(pid, f"Dépenses culturelles {who}", definition, "€", 1, src, add),
            _m(f"{pid}_per_inh", f"Dépenses culturelles {who} par habitant",
               "Dépenses rapportées à la population des entités qui dépensent (colonne "
               "Population du fichier de dépenses).", "€/hab.", 2, src),
            _m(f"{pid}_fonct", f"Dépenses de fonctionnement {who}", definition, "€", 1, src, add),
            _m(f"{pid}_invest", f"Dépenses d'investissement {who}", definition, "€", 1, src, add),
        ]  # fmt: skip
    out += [
        _m("D02", "Part de l'investissement dans les dépenses du ministère",
           "Dépenses d'investissement / dépenses totales.", "%", 1, SRC_MIN),
        _m("D06_coverage", "Part de la population couverte par les communes de plus de 3 500 hab.",
           "Population des communes de plus de 3 500 habitants présentes dans le fichier / "
           f"population totale {POP}.", "%", 1, SRC_COLL + f" ; Insee, population {POP}"),
        _m("D07", "Part de l'investissement dans les dépenses culturelles des communes",
           "Dépenses d'investissement / dépenses totales des communes de plus de 3 500 hab.",
           "%", 1, SRC_COLL),
        _m("D09_unplaced", "Dépenses des intercommunalités non affectées",
           f"Dépenses des EPCI de {YEAR} absents de la composition {EPCI_YEAR} et non "
           "localisables ; "
           "comptées dans le total France.", "€", 1, SRC_COLL),
    ]  # fmt: skip
    out += [
        _m(f"D04.{k}", f"Part des dépenses culturelles régionales : {v}",
           "Part du secteur dans les dépenses culturelles du conseil régional ; Archives, "
           "Bibliothèques, Musées et Patrimoine regroupés en « Patrimoines ».", "%", 1, SRC_COLL)
        for k, v in REGION_SECTOR_LABELS.items()
    ]  # fmt: skip
    labels = {v: k for k, v in COMMUNE_SECTORS.items()}
    out += [
        _m(f"D08.{k}", f"Part des dépenses culturelles communales : {labels[k]}",
           "Part du secteur dans les dépenses culturelles des communes de plus de 3 500 hab.",
           "%", 1, SRC_COLL)
        for k in _ids(COMMUNE_SECTORS)
    ]  # fmt: skip
    return out


# --------------------------------------------------------------------------- entry point
def build(log: BuildLog, ref: Reference) -> ThemeOutput:
    parts = ministry_rows(log, ref)
    parts += region_council_rows(log, ref)
    parts += departement_council_rows(log, ref)
    parts += commune_rows(log, ref)
    parts += epci_rows(log, ref)
    rows = pd.concat(parts, ignore_index=True)
    rows = complete(rows, ref, "so", SO_REGION_DEP)  # D03/D04: no département rows
    rows = mark_structural(rows, ref)
    rows = fill_notes(rows, "aucune dépense renseignée")
    rows = rows[COLUMNS].sort_values(["indicator", "level", "code", "year"])
    return ThemeOutput(values=rows.reset_index(drop=True), meta=metadata())
