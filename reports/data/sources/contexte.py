"""Contexte socio-démographique: C01–C07, C11, C13 (ATLAS_SPEC §2.1).

All shares are Σ population of the communes in a class / POP(T) (Insee population of the edition's
``population`` year,
`Population.xls`), summed per département first, then rolled up (never an average of ratios).
"""

from __future__ import annotations

import pandas as pd

from reports import edition
from reports.data.sources.base import BuildLog, read_excel, to_number
from reports.data.sources.reference import Reference, dep_of_commune, slugify
from reports.data.sources.theme import IndicatorMeta, ThemeOutput, meta_factory
from reports.data.sources.tidy import (
    default_note,
    mark_territories,
    ratio,
    roll_up,
    sums_by_departement,
    to_rows,
)

ED = edition.current()
POP, POP_976 = ED.year("population"), ED.year("population_mayotte")
GRID, AAV = ED.year("density_grid"), ED.year("urban_areas")
FILO, ACV_YEAR = ED.year("living_standard"), ED.year("heart_of_town")

E = "atlas_culture_deps/excel_files/"
DENSITE = E + "Densité de la population.xls"
GRILLE = E + "Grille communale de densité.xls"
AIRES = E + "Aires d'attraction des villes.xls"
NIVEAU_VIE = E + "Niveau de vie médian.xls"
ACV = E + "Action coeur de ville.xls"

INSEE = f"Insee, recensement de la population {POP} (population totale)"
GRID_CLASSES = {
    "Très dense": "tres_dense",
    "Densité intermédiaire": "intermediaire",
    "Peu dense": "peu_dense",
    "Très peu dense": "tres_peu_dense",
}
GRID_LABELS = {
    "tres_dense": "très denses",
    "intermediaire": "de densité intermédiaire",
    "peu_dense": "peu denses",
    "tres_peu_dense": "très peu denses",
}
HORS_AIRE = "hors attraction des villes"
# Communal median standard of living classes (€), lower bound inclusive.
LIVING_CLASSES = [
    ("moins_18000", "moins de 18 000 €", None, 18000.0),
    ("18000_20000", "de 18 000 à 20 000 €", 18000.0, 20000.0),
    ("20000_22000", "de 20 000 à 22 000 €", 20000.0, 22000.0),
    ("22000_24000", "de 22 000 à 24 000 €", 22000.0, 24000.0),
    ("24000_et_plus", "24 000 € ou plus", 24000.0, None),
]
NOTE_MAYOTTE = "densité non publiée pour Mayotte"
NOTE_EXCL_MAYOTTE = "hors Mayotte"


_meta = meta_factory("contexte")


def _commune_table(log: BuildLog, rel: str, sheet: str, column: str) -> pd.DataFrame:
    """One commune-level workbook → ``commune, <column>`` (text), codes stripped."""
    df = read_excel(log, rel, sheet, ["Code Insee", column])
    return pd.DataFrame({"commune": df["Code Insee"].str.strip(), column: df[column].str.strip()})


def _join_population(
    log: BuildLog, ref: Reference, df: pd.DataFrame, rel: str, sheet: str
) -> pd.DataFrame:
    """Attach each commune's population; communes absent from Population.xls are logged."""
    pop = ref.commune_pop[["commune", "departement", "population"]]
    merged = df.merge(pop, on="commune", how="left", validate="one_to_one")
    lost = merged[merged["population"].isna()]
    if len(lost):
        log.unplaced(
            rel,
            list(lost["commune"]),
            sheet=sheet,
            note="communes absentes de Population.xls (hors 18 régions ou code obsolète)",
        )
    kept = merged[merged["population"].notna()]
    log.kept(rel, len(kept), sheet=sheet)
    missing = len(pop) - len(kept)
    if missing:
        log.note(rel, f"{missing} commune(s) de Population.xls sans valeur dans ce fichier", sheet)
    return kept


def _class_levels(
    ref: Reference, df: pd.DataFrame, class_col: str, classes: list[str]
) -> dict[str, pd.DataFrame]:
    """Σ population per class and POP(T) at every level."""
    wide = df.pivot_table(
        index="commune", columns=class_col, values="population", aggfunc="sum", fill_value=0.0
    ).reindex(columns=classes, fill_value=0.0)
    wide = wide.join(df.set_index("commune")["departement"])
    dep = sums_by_departement(wide, "departement", classes, ref)
    pop = sums_by_departement(ref.commune_pop, "departement", ["population"], ref)
    return roll_up(dep.join(pop), ref)


def _shares(
    levels: dict[str, pd.DataFrame],
    prefix: str,
    classes: dict[str, str],
    year: int,
    den: str = "population",
) -> pd.DataFrame:
    out = [
        to_rows(ratio(levels, col, den, 100.0), f"{prefix}.{slug}", year)
        for col, slug in classes.items()
    ]
    return pd.concat(out, ignore_index=True)


# --- C01–C03 -----------------------------------------------------------------------------


def population_and_density(log: BuildLog, ref: Reference) -> pd.DataFrame:
    sheet = "Densité de la population"
    dens = _commune_table(log, DENSITE, sheet, sheet)
    dens = _join_population(log, ref, dens, DENSITE, sheet)
    d = to_number(dens[sheet], where=f"{DENSITE} [sheet {sheet}]", column=sheet)
    known = d > 0
    dens = dens.assign(
        area=(dens["population"] / d).where(known, 0.0),
        pop_dens=dens["population"].where(known, 0.0),
    )
    area = sums_by_departement(dens, "departement", ["area", "pop_dens"], ref)
    pop = sums_by_departement(ref.commune_pop, "departement", ["population"], ref)
    levels = roll_up(area.join(pop), ref)
    rows = pd.concat(
        [
            to_rows(levels, "C01", POP, "population"),
            to_rows(levels, "C02", POP, "area"),
            to_rows(ratio(levels, "pop_dens", "area"), "C03", POP),
        ],
        ignore_index=True,
    )
    mayotte = {"departement": ["976"], "region": ["06"]}
    rows = mark_territories(rows, mayotte, "nd", NOTE_MAYOTTE, indicators=["C02", "C03"])
    excl = (rows["indicator"].isin(["C02", "C03"])) & rows["code"].isin(["FR", "DROM"])
    rows.loc[excl & (rows["level"] == "france"), "note"] = NOTE_EXCL_MAYOTTE
    c01_976 = (rows["indicator"] == "C01") & (
        ((rows["level"] == "departement") & (rows["code"] == "976"))
        | ((rows["level"] == "region") & (rows["code"] == "06"))
    )
    rows.loc[c01_976, "note"] = f"Mayotte : recensement {POP_976}"
    return rows


# --- C04–C07 -----------------------------------------------------------------------------


def density_grid(log: BuildLog, ref: Reference) -> pd.DataFrame:
    sheet = "Grille communale de densité"
    grid = _join_population(log, ref, _commune_table(log, GRILLE, sheet, sheet), GRILLE, sheet)
    unknown = sorted(set(grid[sheet]) - set(GRID_CLASSES) - {""})
    if unknown:
        log.note(GRILLE, f"classes inconnues ignorées : {', '.join(unknown)}", sheet)
    levels = _class_levels(ref, grid, sheet, list(GRID_CLASSES))
    rows = _shares(levels, "C04", GRID_CLASSES, GRID)
    for frame in levels.values():
        frame["rural"] = frame["Peu dense"] + frame["Très peu dense"]
    rural = to_rows(ratio(levels, "rural", "population", 100.0), "C05", GRID)
    return pd.concat([rows, rural], ignore_index=True)


def size_class(typologie: str) -> str:
    """``"moins de 50 000 hab. - pôle"`` → ``"moins de 50 000 hab."`` (size class only, §3.6)."""
    return typologie.split(" - ")[0].strip()


def aire_slug(label: str) -> str:
    return slugify(label).replace("-", "_")


def aires(log: BuildLog, ref: Reference) -> tuple[pd.DataFrame, list[str]]:
    sheet = "Aires d'attraction des villes"
    df = read_excel(log, AIRES, sheet, ["Code Insee", "Typologie"])
    df = pd.DataFrame(
        {"commune": df["Code Insee"].str.strip(), "classe": df["Typologie"].map(size_class)}
    )
    df = _join_population(log, ref, df, AIRES, sheet)
    classes = sorted({c for c in df["classe"] if c} | {HORS_AIRE}, key=_aire_order)
    levels = _class_levels(ref, df, "classe", classes)
    rows = _shares(levels, "C06", {c: aire_slug(c) for c in classes}, AAV)
    hors = to_rows(ratio(levels, HORS_AIRE, "population", 100.0), "C07", AAV)
    return pd.concat([rows, hors], ignore_index=True), classes


def _aire_order(label: str) -> tuple[int, str]:
    """Largest aires first, 'hors attraction' last."""
    order = ["plus de 700 000", "entre 200 000", "entre 50 000", "moins de 50 000"]
    for i, start in enumerate(order):
        if label.startswith(start):
            return i, label
    return len(order), label


# --- C11, C13 ----------------------------------------------------------------------------


def living_standard(log: BuildLog, ref: Reference) -> pd.DataFrame:
    sheet = "Niveau de vie médian"
    df = _join_population(
        log, ref, _commune_table(log, NIVEAU_VIE, sheet, sheet), NIVEAU_VIE, sheet
    )
    v = to_number(df[sheet], where=f"{NIVEAU_VIE} [sheet {sheet}]", column=sheet)
    df = df.assign(classe="")
    for slug, _label, lo, hi in LIVING_CLASSES:
        sel = v.notna() & (v >= (lo if lo is not None else -1e18))
        sel &= v < (hi if hi is not None else 1e18)
        df.loc[sel, "classe"] = slug
    slugs = [c[0] for c in LIVING_CLASSES]
    levels = _class_levels(ref, df, "classe", slugs)
    for frame in levels.values():
        frame["covered"] = frame[slugs].sum(axis=1)
    rows = _shares(levels, "C11", {s: s for s in slugs}, FILO, den="covered")
    rows = default_note(rows, "niveau de vie non publié (secret statistique ou non disponible)")
    cov = to_rows(ratio(levels, "covered", "population", 100.0), "C11_coverage", FILO)
    return pd.concat([rows, cov], ignore_index=True)


def action_coeur_de_ville(log: BuildLog, ref: Reference) -> pd.DataFrame:
    sheet = "Action Coeur de Ville"
    df = read_excel(log, ACV, sheet, ["Code Insee", sheet])
    df = df[df[sheet].str.strip() != ""]
    df = pd.DataFrame({"commune": df["Code Insee"].str.strip(), "n": 1.0})
    df["departement"] = df["commune"].map(dep_of_commune)
    ok = df["departement"].isin(ref.departement_codes)
    if (~ok).any():
        log.unplaced(ACV, list(df.loc[~ok, "commune"]), sheet=sheet)
    log.kept(ACV, int(ok.sum()), sheet=sheet)
    levels = roll_up(sums_by_departement(df[ok], "departement", ["n"], ref), ref)
    return to_rows(levels, "C13", ACV_YEAR, "n")


# --- metadata ----------------------------------------------------------------------------


def metadata(aire_classes: list[str]) -> list[IndicatorMeta]:
    grid_src = f"Insee, grille communale de densité {GRID} ; Insee, population {POP}"
    aav_src = f"Insee, aires d'attraction des villes {AAV} ; Insee, population {POP}"
    nv_src = f"Insee, Filosofi {FILO} (niveau de vie médian communal) ; Insee, population {POP}"
    meta = [
        _meta(
            "C01",
            "Population",
            "Population totale des communes du territoire (Insee, "
            f"populations légales {POP} ; Mayotte : recensement {POP_976}).",
            "hab.",
            0,
            INSEE,
            str(POP),
            additive=True,
        ),
        _meta(
            "C02",
            "Superficie",
            "Superficie déduite de la population et de la densité "
            "communales (somme des population/densité), communes de densité connue ; "
            "hors Mayotte.",
            "km²",
            0,
            f"Insee, densité de population {POP}",
            str(POP),
            additive=True,
        ),
        _meta(
            "C03",
            "Densité de population",
            "Nombre d'habitants par km² : population des "
            "communes de densité connue rapportée à leur superficie ; hors Mayotte.",
            "hab./km²",
            1,
            f"Insee, densité de population {POP}",
            str(POP),
        ),
    ]
    for col, slug in GRID_CLASSES.items():
        meta.append(
            _meta(
                f"C04.{slug}",
                f"Part de la population des communes {GRID_LABELS[slug]}",
                f"Population des communes classées « {col} » dans la grille communale de densité, "
                "en % de la population totale.",
                "%",
                1,
                grid_src,
                str(GRID),
            )
        )
    meta.append(
        _meta(
            "C05",
            "Part de la population rurale",
            "Population des communes peu denses ou très peu "
            "denses (grille communale de densité), en % de la population totale.",
            "%",
            1,
            grid_src,
            str(GRID),
        )
    )
    for label in aire_classes:
        title = "hors attraction des villes" if label == HORS_AIRE else f"dans une aire de {label}"
        meta.append(
            _meta(
                f"C06.{aire_slug(label)}",
                f"Part de la population {title}",
                f"Population des communes de la tranche « {label} » des aires d'attraction des "
                "villes, en % de la population totale.",
                "%",
                1,
                aav_src,
                str(AAV),
            )
        )
    meta.append(
        _meta(
            "C07",
            "Part de la population hors attraction des villes",
            "Population des communes "
            "situées hors de toute aire d'attraction des villes, en % de la population totale.",
            "%",
            1,
            aav_src,
            str(AAV),
        )
    )
    for slug, label, _lo, _hi in LIVING_CLASSES:
        meta.append(
            _meta(
                f"C11.{slug}",
                f"Population des communes au niveau de vie médian {label}",
                f"Population des communes dont le niveau de vie médian est {label}, en % de la "
                "population des communes où il est publié.",
                "%",
                1,
                nv_src,
                str(FILO),
            )
        )
    meta.append(
        _meta(
            "C11_coverage",
            "Couverture du niveau de vie communal",
            "Part de la population vivant "
            "dans une commune dont le niveau de vie médian est publié (hors secret statistique).",
            "%",
            1,
            nv_src,
            str(FILO),
        )
    )
    meta.append(
        _meta(
            "C13",
            "Communes « Action cœur de ville »",
            "Nombre de communes bénéficiaires du programme national Action cœur de ville.",
            "communes",
            0,
            "Agence nationale de la cohésion des territoires (ANCT)",
            str(ACV_YEAR),
            additive=True,
        )
    )
    return meta


def build(log: BuildLog, ref: Reference) -> ThemeOutput:
    aire_rows, aire_classes = aires(log, ref)
    values = pd.concat(
        [
            population_and_density(log, ref),
            density_grid(log, ref),
            aire_rows,
            living_standard(log, ref),
            action_coeur_de_ville(log, ref),
        ],
        ignore_index=True,
    )
    return ThemeOutput(values=values, meta=metadata(aire_classes))
