"""Intercommunalités (ATLAS_SPEC §8): commune-level sources → the EPCI of ``epci.json``.

Runs after the five themes (it reads their facilities table and re-reads a few commune files
through a scratch log, so the themes' provenance notes are not written twice). Every source
commune code (COG of an earlier year) is mapped to its commune of the edition's COG with
``communes.json`` — a ``commune-actuelle`` (or one of its ``anciensCodes``) to itself, a
``commune-deleguee`` / ``commune-associee`` to its ``chefLieu``, an ``arrondissement-municipal``
to its commune — then to the EPCI that has it among its ``membres``. What stays unplaced is
counted per source in ``data/BUILD.md`` (:attr:`BuildLog.placements`).

Only what a commune code supports is computed (sum first, then ratios, §3.2): population and
density classes (C01, C04, C05, C07), facility counts and their rate per 100 000 inhabitants,
museum and cinema entries, spending of the member communes over 3 500 inhabitants (D06) and of
the EPCI itself (D09, by SIREN), market-sector cultural employees (N02). Nothing is ever
apportioned from a département value: every other indicator is absent at this level, and the
portrait says so. An EPCI is placed in the département holding most of its population (within
the région holding most of it), the rule of D09 (:func:`reports.data.sources.depenses.place_epci`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reports.data.sources import contexte, depenses, emploi, frequentation, offre_common
from reports.data.sources.base import BuildLog, read_csv, read_excel, to_number
from reports.data.sources.reference import Reference, dep_of_commune, load_json, slugify
from reports.data.sources.theme import ThemeOutput
from reports.data.sources.tidy import COLUMNS, to_rows

COG = "cog_decoupage_administratif/"
EPCI_JSON = COG + "epci.json"
COMMUNES_JSON = COG + "communes.json"
LEVEL = "epci"
#: comparison groups of §8: the median EPCI of the same type
TYPE_GROUP = {"CC": "CC", "CA": "CA", "CU": "CU", "METRO": "CU", "MET69": "CU"}
NOTE_METRO = offre_common.NOTE_METRO_ONLY
NOTE_NO_MUSEUM = "aucun musée de France n'a déclaré de fréquentation"
NOTE_NO_BASE = "pas de valeur de référence (aucune entrée l'année de base)"
NOTE_NO_COMMUNE = "aucune commune de plus de 3 500 habitants"
NOTE_NO_EPCI_SPENDING = "intercommunalité absente du fichier des dépenses"
NOTE_NO_DATA = "aucune donnée pour les communes de l'intercommunalité"
#: ATLAS_SPEC §3.9 museum evolutions: beyond ±200 % a change says more about the source (a
#: museum closed or reopened, sites regrouped) than about attendance: not printed
CHANGE_NS = 200.0
NOTE_NS = (
    "évolution non significative (plus de 200 % en valeur absolue : fermeture, réouverture "
    "ou regroupement de sites d'un musée)"
)


@dataclass
class Composition:
    """The EPCI of the edition's COG and the way to them from any source commune code."""

    epcis: pd.DataFrame  # code, name, slug, type, group, departement, departements, region, …
    members: pd.DataFrame  # commune, name, epci (one row per member commune)
    to_current: dict[str, str]  # source commune code → commune of the COG

    def epci_of(self, codes: pd.Series) -> pd.Series:
        """Source commune codes → EPCI SIREN (NaN where unplaced)."""
        current = codes.astype(str).str.strip().str.zfill(5).map(self.to_current)
        return current.map(self.members.set_index("commune")["epci"])


def commune_mapping(records: list[dict]) -> dict[str, str]:
    """Every code of ``communes.json`` → the ``commune-actuelle`` it belongs to."""
    out: dict[str, str] = {}
    for r in records:
        kind = r.get("type")
        if kind == "commune-actuelle":
            for old in r.get("anciensCodes") or []:
                out.setdefault(old, r["code"])
    for r in records:  # delegated / associated / municipal arrondissements
        kind = r.get("type")
        if kind in ("commune-deleguee", "commune-associee") and r.get("chefLieu"):
            out.setdefault(r["code"], r["chefLieu"])
        elif kind == "arrondissement-municipal" and r.get("commune"):
            out[r["code"]] = r["commune"]
    for r in records:  # a current commune is itself (wins over an old code it reuses)
        if r.get("type") == "commune-actuelle":
            out[r["code"]] = r["code"]
    return out


def composition(log: BuildLog, ref: Reference) -> Composition:
    epci = load_json(log, EPCI_JSON)
    communes = load_json(log, COMMUNES_JSON)
    names = {r["code"]: r["nom"] for r in communes if r.get("type") == "commune-actuelle"}
    members = pd.DataFrame(
        [
            (m["code"], names.get(m["code"], m.get("nom", "")), e["code"],
             float(m.get("populationTotale") or 0.0))
            for e in epci
            for m in e.get("membres", [])
        ],
        columns=["commune", "name", "epci", "population"],
    )  # fmt: skip
    members["departement"] = members["commune"].map(dep_of_commune)
    members = members[members["departement"].isin(ref.departement_codes)]
    dup = members[members["commune"].duplicated()]
    if len(dup):
        log.note(EPCI_JSON, f"communes membres de deux EPCI (1re conservée) : {len(dup)}")
        members = members.drop_duplicates("commune")
    homes = _homes(members, ref)
    rows = []
    for order, e in enumerate(epci):
        home = homes.get(e["code"])
        if home is None:  # no member commune in the 101 départements
            continue
        region, dep, deps, n = home
        rows.append(
            {
                "code": e["code"],
                "name": e["nom"],
                "slug": slugify(e["nom"]),
                "type": e["type"],
                "group": TYPE_GROUP.get(e["type"], e["type"]),
                "departement": dep,
                "departements": ";".join(deps),
                "region": region,
                "zone": "drom" if dep.startswith("97") else "metro",
                "communes": n,
                "order": order,
            }
        )
    epcis = pd.DataFrame(rows)
    multi = int((epcis["departements"].str.contains(";")).sum())
    log.note(
        EPCI_JSON,
        f"{len(epcis)} EPCI ; {multi} à cheval sur plusieurs départements, affectés au "
        "département qui regroupe la plus grande part de leur population",
    )
    members = members[members["epci"].isin(set(epcis["code"]))].reset_index(drop=True)
    return Composition(epcis, members, commune_mapping(communes))


def _homes(members: pd.DataFrame, ref: Reference) -> dict[str, tuple[str, str, list[str], int]]:
    """EPCI → (région, département, its départements most populous first, communes): the
    région holding most of its members' population, then the département holding most of it
    within that région (ties: the lower code), the rule of D09
    (:func:`reports.data.sources.depenses._majority_place`), for all EPCI at once."""
    m = members.assign(region=members["departement"].map(ref.dep_to_reg))
    by_dep = m.groupby(["epci", "region", "departement"], sort=True)["population"].sum()
    by_reg = by_dep.groupby(level=["epci", "region"], sort=True).sum().reset_index()
    by_reg = by_reg.sort_values(["epci", "population", "region"], ascending=[True, False, True])
    region = by_reg.drop_duplicates("epci").set_index("epci")["region"]
    deps = by_dep.reset_index()
    first = m.drop_duplicates(["epci", "departement"]).reset_index(drop=True)
    seen = {
        (e, d): i for i, (e, d) in enumerate(zip(first["epci"], first["departement"], strict=True))
    }
    deps["seen"] = [seen[(e, d)] for e, d in zip(deps["epci"], deps["departement"], strict=True)]
    home = deps[deps["region"] == deps["epci"].map(region)]
    home = home.sort_values(["epci", "population", "departement"], ascending=[True, False, True])
    home = home.drop_duplicates("epci").set_index("epci")["departement"]
    listed = deps.sort_values(["epci", "population", "seen"], ascending=[True, False, True])
    lists = listed.groupby("epci", sort=False)["departement"].agg(list)
    counts = m.groupby("epci").size()
    return {
        str(e): (str(region[e]), str(home[e]), list(lists[e]), int(counts[e])) for e in region.index
    }


# --- placing the rows of a source ----------------------------------------------------------


def placed(
    log: BuildLog, comp: Composition, source: str, df: pd.DataFrame, code_col: str,
    label: Callable[[pd.Series], str] | None = None,
) -> pd.DataFrame:  # fmt: skip
    """``df`` with an ``epci`` column; rows of no EPCI are dropped and counted for BUILD.md."""
    df = df.assign(epci=comp.epci_of(df[code_col]))
    lost = df[df["epci"].isna()]
    examples = [label(r) if label else str(r[code_col]) for _, r in lost.head(10).iterrows()]
    log.placements.append((source, len(df), len(lost), examples))
    return df[df["epci"].notna()]


def sums(df: pd.DataFrame, cols: list[str], codes: list[str]) -> pd.DataFrame:
    """Σ ``cols`` per EPCI, every EPCI of ``codes`` (0 where the source has no row)."""
    return df.groupby("epci")[cols].sum(min_count=1).reindex(codes).fillna(0.0)


# --- the indicators ------------------------------------------------------------------------


def _year(outputs: dict[str, ThemeOutput], ind: str) -> int:
    for out in outputs.values():
        v = out.values
        hit = v[(v["indicator"] == ind) & (v["level"] == "france")]
        if len(hit):
            return int(hit["year"].max())
    raise KeyError(ind)


def _rows(series: pd.Series, ind: str, year: int, note: str) -> pd.DataFrame:
    rows = to_rows({LEVEL: series}, ind, year)
    rows.loc[rows["status"] == "nd", "note"] = note
    return rows


def _population(log: BuildLog, comp: Composition, ref: Reference) -> pd.DataFrame:
    pop = placed(log, comp, "Population.xls (Insee)", ref.commune_pop, "commune")
    return sums(pop, ["population"], list(comp.epcis["code"]))


def context_rows(
    log: BuildLog, scratch: BuildLog, comp: Composition, ref: Reference, outputs, pop: pd.Series
) -> list[pd.DataFrame]:
    codes = list(comp.epcis["code"])
    parts = [_rows(pop, "C01", _year(outputs, "C01"), NOTE_NO_DATA)]
    base = ref.commune_pop[["commune", "population"]]
    sheet = "Grille communale de densité"
    grid = contexte._commune_table(scratch, contexte.GRILLE, sheet, sheet).merge(base, on="commune")
    grid = placed(log, comp, "Grille communale de densité.xls", grid, "commune")
    year = _year(outputs, "C05")
    wide = grid.pivot_table(index="epci", columns=sheet, values="population", aggfunc="sum")
    wide = wide.reindex(index=codes, columns=list(contexte.GRID_CLASSES)).fillna(0.0)
    den = pop.where(pop > 0)
    for label, slug in contexte.GRID_CLASSES.items():
        parts.append(_rows(wide[label] / den * 100, f"C04.{slug}", year, NOTE_NO_DATA))
    rural = wide["Peu dense"] + wide["Très peu dense"]
    parts.append(_rows(rural / den * 100, "C05", year, NOTE_NO_DATA))
    sheet = "Aires d'attraction des villes"
    aav = read_excel(scratch, contexte.AIRES, sheet, ["Code Insee", "Typologie"])
    classe = aav["Typologie"].map(contexte.size_class)
    aav = pd.DataFrame({"commune": aav["Code Insee"].str.strip(), "classe": classe})
    aav = aav.merge(base, on="commune")
    aav = placed(log, comp, "Aires d'attraction des villes.xls", aav, "commune")
    hors = aav[aav["classe"] == contexte.HORS_AIRE]
    out = sums(hors, ["population"], codes)["population"]
    parts.append(_rows(out / den * 100, "C07", _year(outputs, "C07"), NOTE_NO_DATA))
    return parts


def _count_rows(
    counts: pd.Series, pop: pd.Series, ind: str, year: int, note: str = NOTE_NO_DATA
) -> list[pd.DataFrame]:
    return [
        _rows(counts, ind, year, note),
        _rows(counts / pop.where(pop > 0) * 1e5, f"{ind}_p100k", year, note),
    ]


def museum_communes(
    log: BuildLog, scratch: BuildLog, comp: Composition, visits: pd.DataFrame
) -> pd.DataFrame:
    """The musées de France of Muséofile with a commune code: that of the museum's busiest
    site in the visits file, else the one commune of its postcode (and town name)."""
    mf = read_csv(scratch, offre_common.MUSEOFILE, ["Identifiant", "Code_postal", "Ville"], sep="|")
    mf = mf.assign(id=mf["Identifiant"].str.strip()).drop_duplicates("id")
    site = visits.sort_values(["year", "total"], ascending=[False, False], na_position="last")
    site = site.drop_duplicates("IDMuseofile").set_index("IDMuseofile")
    mf["commune"] = mf["id"].map(site["commune"])
    by_cp = _postcodes(scratch)
    todo = mf["commune"].isna()
    mf.loc[todo, "commune"] = [
        _by_postcode(by_cp, cp, town) for cp, town in zip(
            mf.loc[todo, "Code_postal"], mf.loc[todo, "Ville"], strict=True)
    ]  # fmt: skip
    mf["commune"] = mf["commune"].fillna("")
    return placed(log, comp, "museofile.csv (Muséofile)", mf, "commune",
                  lambda r: f"{r['id']} {r['Ville']}")  # fmt: skip


def _postcodes(scratch: BuildLog) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for r in load_json(scratch, COMMUNES_JSON):
        if r.get("type") != "commune-actuelle":
            continue
        for cp in r.get("codesPostaux") or []:
            out.setdefault(cp, []).append((r["code"], slugify(r["nom"])))
    return out


def _by_postcode(by_cp: dict[str, list[tuple[str, str]]], cp: str, town: str) -> str | None:
    hits = by_cp.get(str(cp).strip().zfill(5), [])
    if len(hits) == 1:
        return hits[0][0]
    name = slugify(str(town)).replace("saint-", "st-")
    same = [c for c, n in hits if n.replace("saint-", "st-") == name]
    return same[0] if len(same) == 1 else None


POINT_TYPES = ("musee", "bibliotheque", "archives", "festival", "jardin", "cinema", "cinema_drom")
#: facilities whose address is a building (the reference location of their commune)
ANCHOR_TYPES = ("musee", "bibliotheque", "archives", "cinema")
#: a point farther than this from its commune's other facilities is not drawn (km), or than
#: twice the radius of a disc of the commune's area (Arles: 759 km², 31 km)
FAR_KM = 10.0


def _far_from_commune(points: pd.DataFrame, area: pd.Series) -> pd.Series:
    """True for a point farther than :data:`FAR_KM` (or twice its commune's equivalent
    radius) from the median location of the buildings (libraries, cinemas, museums,
    archives) of the same commune: the festivals file geocodes some festivals of Lyon
    30–60 km away, in the Beaujolais. Points of a commune without such a building are kept."""
    anchors = points[points["type"].isin(ANCHOR_TYPES)]
    ref = anchors.groupby("commune")[["lon", "lat"]].median()
    lon = points["commune"].map(ref["lon"])
    lat = points["commune"].map(ref["lat"])
    dx = (points["lon"] - lon) * 111.32 * np.cos(np.radians(lat))
    dy = (points["lat"] - lat) * 110.57
    radius = np.sqrt(points["commune"].map(area).fillna(0.0) / np.pi)
    limit = np.maximum(FAR_KM, 2 * radius)
    return pd.Series(np.hypot(dx, dy) > limit, index=points.index).fillna(False)


def commune_areas(scratch: BuildLog, comp: Composition, ref: Reference) -> pd.Series:
    """km² of each commune of the COG: population / density (the density file), summed over
    the source communes merged into it."""
    sheet = "Densité de la population"
    dens = contexte._commune_table(scratch, contexte.DENSITE, sheet, sheet)
    dens = dens.merge(ref.commune_pop[["commune", "population"]], on="commune")
    d = to_number(dens[sheet], where=contexte.DENSITE, column=sheet)
    dens["area"] = (dens["population"] / d).where(d > 0)
    return dens.groupby(dens["commune"].map(comp.to_current))["area"].sum()


def points(
    comp: Composition, fac: pd.DataFrame, museums: pd.DataFrame, area: pd.Series
) -> pd.DataFrame:
    """The located facilities of every EPCI (its locator map): epci, type, id, name, lon, lat.
    Facilities are placed by their commune code, a museum as for O01."""
    fac = fac[fac["type"].isin(POINT_TYPES) & fac["lon"].notna() & fac["lat"].notna()]
    fac = fac.assign(type=fac["type"].replace({"cinema_drom": "cinema"}))  # Deps base, DROM
    current = fac["commune"].fillna("").astype(str).str.zfill(5).map(comp.to_current)
    by_commune = fac.assign(commune=current, epci=comp.epci_of(fac["commune"].fillna("")))
    is_museum = by_commune["type"] == "musee"
    mus = museums.set_index("id")
    by_commune.loc[is_museum, "epci"] = by_commune.loc[is_museum, "id"].map(mus["epci"])
    by_commune.loc[is_museum, "commune"] = by_commune.loc[is_museum, "id"].map(
        mus["commune"].astype(str).str.zfill(5).map(comp.to_current)
    )
    out = by_commune[by_commune["epci"].notna()].copy()
    out["drawn"] = ~_far_from_commune(out, area)
    cols = ["epci", "commune", "type", "id", "name", "lon", "lat", "drawn"]
    return out[cols].sort_values(["epci", "type", "id"], kind="mergesort").reset_index(drop=True)


def offer_rows(
    log: BuildLog, scratch: BuildLog, comp: Composition, ref: Reference, outputs, pop: pd.Series
) -> tuple[list[pd.DataFrame], pd.DataFrame, pd.DataFrame]:
    codes = list(comp.epcis["code"])
    fac = outputs["offre"].tables["facilities"]
    parts: list[pd.DataFrame] = []
    for type_, ind, src in (
        ("bibliotheque", "O02", "Geoloc Biblios.xlsx (bibliothèques)"),
        ("archives", "O09", "Archives.xlsx"),
        ("festival", "O10", "festivals (Panorama des festivals)"),
        ("jardin", "O13", "liste-des-jardins-remarquables.csv"),
    ):
        rows = placed(log, comp, src, fac[fac["type"] == type_].assign(n=1.0), "commune",
                      lambda r: f"{r['id']} ({r['commune']})")  # fmt: skip
        parts += _count_rows(sums(rows, ["n"], codes)["n"], pop, ind, _year(outputs, ind))
    spr = read_csv(scratch, offre_common.SPR, ["Code INSEE", "Nombre de SPR", "numéro du SPR"])
    spr = spr[to_number(spr["Nombre de SPR"], where=offre_common.SPR, column="Nombre de SPR") == 1]
    spr = placed(log, comp, "sites_patrimoniaux_remarquables.csv", spr.assign(n=1.0), "Code INSEE",
                 lambda r: f"{r['numéro du SPR']} ({r['Code INSEE']})")  # fmt: skip
    parts += _count_rows(sums(spr, ["n"], codes)["n"], pop, "O14", _year(outputs, "O14"))
    visits = frequentation.load_visits(scratch, ref)
    museums = museum_communes(log, scratch, comp, visits).assign(n=1.0)
    parts += _count_rows(sums(museums, ["n"], codes)["n"], pop, "O01", _year(outputs, "O01"))
    return parts, visits, points(comp, fac, museums, commune_areas(scratch, comp, ref))


def attendance_rows(
    log: BuildLog, scratch: BuildLog, comp: Composition, ref: Reference, outputs,
    pop: pd.Series, visits: pd.DataFrame, museums: pd.Series,
) -> list[pd.DataFrame]:  # fmt: skip
    codes = list(comp.epcis["code"])
    base, last = frequentation.BASE, frequentation.LAST
    v = placed(log, comp, "Fréquentation des musées de France", visits, "commune",
               lambda r: f"{r['IDPatrimostat']} ({r['commune']})")  # fmt: skip
    v = v[v["total"].notna()]
    by = v.pivot_table(index="epci", columns="year", values="total", aggfunc="sum")
    by = by.reindex(index=codes, columns=[base, last])
    none = museums.reindex(codes).fillna(0) == 0
    f01 = _rows(by[last], "F01", last, NOTE_NO_MUSEUM)
    f02 = _rows(by[last] / pop.where(pop > 0), "F02", last, NOTE_NO_MUSEUM)
    change = (by[last] / by[base].where(by[base] > 0) - 1) * 100
    change = change.where(by[last].notna())
    f03 = _rows(change.where(change.abs() <= CHANGE_NS), "F03", last, NOTE_NO_BASE)
    f03.loc[f03["code"].map(by[last].isna()), "note"] = NOTE_NO_MUSEUM
    f03.loc[f03["code"].map(change.abs() > CHANGE_NS), "note"] = NOTE_NS
    parts = [f01, f02, f03]
    for rows in parts:  # no museum at all: not applicable rather than missing
        so = rows["code"].map(none) & rows["value"].isna()
        rows.loc[so, ["status", "note"]] = ["so", "aucun musée de France"]
    cnc = frequentation.load_cnc(scratch, ref).assign(n=1.0)
    cnc["screens"] = to_number(cnc["écrans"], where=frequentation.CNC, column="écrans")
    cnc = placed(log, comp, "CNC, établissements cinématographiques", cnc, "code INSEE")
    s = sums(cnc, ["n", "screens", "entries"], codes)
    year = _year(outputs, "F08")
    parts += [
        _rows(s["n"], "O04", _year(outputs, "O04"), NOTE_METRO),
        *_count_rows(s["screens"], pop, "O05", _year(outputs, "O05")),
        _rows(s["entries"], "F08", year, NOTE_METRO),
        _rows(s["entries"] / pop.where(pop > 0), "F09", year, NOTE_METRO),
    ]
    drom = set(comp.epcis.loc[comp.epcis["zone"] == "drom", "code"])
    for rows in parts[3:]:
        sel = rows["code"].isin(drom)
        rows.loc[sel, ["value", "status", "note"]] = [np.nan, "nd", NOTE_METRO]
    return parts


def spending_rows(
    log: BuildLog, scratch: BuildLog, comp: Composition, pop_epci: pd.Series
) -> list[pd.DataFrame]:
    codes = list(comp.epcis["code"])
    year = depenses.YEAR
    com = depenses.load_collectivity(scratch, depenses.COMMUNES, "Code INSEE", "Commune")
    ent = depenses.per_entity(com).reset_index()
    ent["entity"] = ent["entity"].str.zfill(5)
    ent = placed(log, comp, "Dépenses culturelles des communes.xls", ent, "entity")
    s = sums(ent, [*depenses.AMOUNTS, "population"], codes)
    has = s["population"] > 0
    parts = [
        _rows(s["total"].where(has), "D06", year, NOTE_NO_COMMUNE),
        _rows((s["total"] / s["population"]).where(has), "D06_per_inh", year, NOTE_NO_COMMUNE),
        _rows((s["population"] / pop_epci.where(pop_epci > 0) * 100), "D06_coverage", year,
              NOTE_NO_DATA),
        _rows((s["invest"] / s["total"].where(s["total"] != 0) * 100).where(has), "D07", year,
              NOTE_NO_COMMUNE),
    ]  # fmt: skip
    for rows in parts[:2] + parts[3:]:
        so = rows["code"].map(~has)
        rows.loc[so, "status"] = "so"
    epci = depenses.load_collectivity(scratch, depenses.EPCI, "Code SIREN", "EPCI")
    own = depenses.per_entity(epci)
    log.placements.append(
        ("Dépenses culturelles des intercommunalités.xls", len(own),
         int((~own.index.isin(codes)).sum()),
         [str(c) for c in own.index[~own.index.isin(codes)][:10]])
    )  # fmt: skip
    own = own.reindex(codes)
    parts += [
        _rows(own["total"], "D09", year, NOTE_NO_EPCI_SPENDING),
        _rows(own["total"] / own["population"].where(own["population"] > 0), "D09_per_inh",
              year, NOTE_NO_EPCI_SPENDING),
    ]  # fmt: skip
    return parts


def employment_rows(log: BuildLog, comp: Composition, outputs) -> list[pd.DataFrame]:
    src = next(s for s in emploi.SOURCES if s.prefix == "N02")
    df = read_excel(log, src.rel, "Commune", [emploi.CODE, src.count_col, src.total_col])
    where = f"{src.rel} [sheet Commune]"
    df = pd.DataFrame(
        {
            "commune": df[emploi.CODE].str.strip(),
            "count": to_number(df[src.count_col], where=where, column=src.count_col),
            "total": to_number(df[src.total_col], where=where, column=src.total_col),
        }
    )
    log.kept(src.rel, len(df), sheet="Commune")
    df = placed(log, comp, "Salariés actifs des secteurs culturels marchands.xls [Commune]",
                df, "commune")  # fmt: skip
    codes = list(comp.epcis["code"])
    s = df.groupby("epci")[["count", "total"]].sum(min_count=1).reindex(codes)
    year = _year(outputs, "N02")
    return [
        _rows(s["count"], "N02", year, NOTE_NO_DATA),
        _rows(s["count"] / s["total"].where(s["total"] > 0) * 100, "N02_share", year,
              NOTE_NO_DATA),
        _rows(s["total"], "N02_total", year, NOTE_NO_DATA),
    ]  # fmt: skip


def member_population(comp: Composition, ref: Reference) -> pd.DataFrame:
    """The member communes with their population of the edition's denominator
    (``Population.xls``, summed over the source communes merged into each)."""
    pop = ref.commune_pop.assign(current=ref.commune_pop["commune"].map(comp.to_current))
    by = pop.groupby("current")["population"].sum()
    members = comp.members.drop(columns="population")
    members["population"] = members["commune"].map(by)
    cols = ["epci", "commune", "name", "departement", "population"]
    return members[cols].sort_values(["epci", "commune"], kind="mergesort").reset_index(drop=True)


def build(
    log: BuildLog, ref: Reference, outputs: dict[str, ThemeOutput]
) -> dict[str, pd.DataFrame]:
    """The EPCI tables of ``data/``: ``epci`` (one row per EPCI), ``epci_communes`` (their
    member communes), ``epci_indicators`` (tidy rows, level ``epci``) and ``epci_points``
    (located facilities, for the locator map)."""
    comp = composition(log, ref)
    scratch = BuildLog(log.sources_dir)
    pop = _population(log, comp, ref)["population"]
    parts = context_rows(log, scratch, comp, ref, outputs, pop)
    offer, visits, located = offer_rows(log, scratch, comp, ref, outputs, pop)
    museums = next(p for p in offer if p["indicator"].iat[0] == "O01").set_index("code")["value"]
    parts += offer
    parts += attendance_rows(log, scratch, comp, ref, outputs, pop, visits, museums)
    parts += spending_rows(log, scratch, comp, pop)
    parts += employment_rows(log, comp, outputs)
    values = pd.concat(parts, ignore_index=True)[COLUMNS]
    values = values.assign(rank=np.nan, rank_of=np.nan)
    epcis = comp.epcis.assign(population=comp.epcis["code"].map(pop))
    return {
        "epci": epcis,
        "epci_communes": member_population(comp, ref),
        "epci_indicators": values,
        "epci_points": located,
    }
