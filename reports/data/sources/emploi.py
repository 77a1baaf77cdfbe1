"""Emploi (E01, E02; Insee RP) and entreprises (N01, N02; Insee), ATLAS_SPEC §2.5–2.6.

Régions come from the ``Région`` sheet, départements from the ``Département`` sheet, France
(FR / FRM / DROM) = Σ of the ``Région`` sheet rows: finer sheets are never re-aggregated (RP
estimates are rounded, so Σ départements ≠ région). Enterprises/employees have no Mayotte row
(n.d.); their ``Commune`` sheet is not used (§3.6).

Zones d'emploi (edition year ``employment_zones``, 322 zones): codes are prefixed with the
*pre-reform* région code, mapped
to the current région with :data:`OLD_TO_NEW_REGION`; ``00xx`` zones are interregional and are
listed once per current région they touch (:data:`INTERREGIONAL_ZE`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from reports import edition
from reports.data.sources.base import BuildLog, read_excel, to_number
from reports.data.sources.reference import Reference
from reports.data.sources.theme import IndicatorMeta, ThemeOutput
from reports.data.sources.tidy import (
    COLUMNS,
    mark,
    mark_territories,
    population_levels,
    region_sums_to_france,
    to_rows,
)
from reports.errors import DataError

THEME = "emploi"
XLS = "atlas_culture_deps/excel_files/"
CODE = "Code Insee"
ZE_SHEET = "Zone d'emploi"
ND_MAYOTTE = "donnée non disponible pour Mayotte"
ND_RP = "donnée du recensement non exploitable pour ce territoire"
#: ATLAS_SPEC §3.9: a région whose actifs per 100 inhabitants fall outside this band has an
#: RP figure that cannot be used (Mayotte: 438 actifs for 256 518 inhabitants, 0.17 %).
ACTIFS_BAND = (20.0, 60.0)

ED = edition.current()
CENSUS, ENTERPRISES = ED.year("census"), ED.year("enterprises")
REFORM = ED.year("region_reform")


@dataclass(frozen=True)
class Source:
    prefix: str  # E01, E02, N01, N02
    rel: str
    count_col: str
    total_col: str
    total_suffix: str  # E01_actifs / N01_total
    year: int = CENSUS


SOURCES = [
    Source("E01", XLS + "Actifs exerçant une profession culturelle.xls",
           "Nombre d'actifs exerçant une profession culturelle", "Nombre total d'actifs",
           "actifs"),
    Source("E02", XLS + "Actifs dans les secteurs culturels.xls",
           "Nombre d'actifs dans les secteurs culturels", "Nombre total d'actifs", "actifs"),
    Source("N01", XLS + "Entreprises culturelles du secteur marchand.xls",
           "Nombre d'entreprises culturelles du secteur marchand",
           "Nombre total d'entreprises du secteur marchand", "total"),
    Source("N02", XLS + "Salariés actifs des secteurs culturels marchands.xls",
           "Nombre de salariés actifs des secteurs culturels marchands",
           "Nombre total de salariés actifs des secteur marchands", "total"),
]  # fmt: skip

# Pre-reform région code → current région code (ZE code prefixes).
OLD_TO_NEW_REGION = {
    "01": "01", "02": "02", "03": "03", "04": "04", "06": "06",
    "11": "11",  # Île-de-France
    "21": "44", "41": "44", "42": "44",  # Champagne-Ardenne, Lorraine, Alsace → Grand Est
    "22": "32", "31": "32",  # Picardie, Nord-Pas-de-Calais → Hauts-de-France
    "23": "28", "25": "28",  # Haute-, Basse-Normandie → Normandie
    "24": "24",  # Centre → Centre-Val de Loire
    "26": "27", "43": "27",  # Bourgogne, Franche-Comté → Bourgogne-Franche-Comté
    "52": "52", "53": "53",  # Pays de la Loire, Bretagne
    "54": "75", "72": "75", "74": "75",  # Poitou-Charentes, Aquitaine, Limousin
    "73": "76", "91": "76",  # Midi-Pyrénées, Languedoc-Roussillon → Occitanie
    "82": "84", "83": "84",  # Rhône-Alpes, Auvergne → Auvergne-Rhône-Alpes
    "93": "93", "94": "94",  # PACA, Corse
}  # fmt: skip

# ``00xx`` interregional ZE → current régions touched. Derived from the zone's main town
# and its neighbouring pre-reform régions (the ZE composition is not staged): a zone is
# interregional only if it crosses an old border, which fixes the second région except for
# Nogent-le-Rotrou (Orne and/or Sarthe) and Brive (Lot and/or Dordogne), listed with their
# main région only. [non vérifié sur la composition communale des ZE]
INTERREGIONAL_ZE = {
    "0050": ["75", "76"],  # Mont-de-Marsan: Landes + Gers
    "0051": ["28", "52"],  # Alençon: Orne + Sarthe/Mayenne
    "0052": ["27", "24"],  # Cosne - Clamecy: Nièvre + Cher/Loiret
    "0053": ["27", "84"],  # Mâcon: Saône-et-Loire + Ain/Rhône
    "0054": ["24"],  # Nogent-le-Rotrou: Eure-et-Loir (+ Perche ornais/sarthois)
    "0055": ["28", "32"],  # Vallée de la Bresle - Vimeu: Seine-Maritime + Somme/Oise
    "0056": ["11", "32"],  # Roissy - Sud Picardie: Île-de-France + Oise
    "0057": ["75"],  # Brive-la-Gaillarde: Corrèze (+ Lot/Dordogne)
    "0059": ["93", "76"],  # Avignon: Vaucluse + Gard
    "0060": ["84"],  # Saint-Étienne: Loire + Haute-Loire, both now Auvergne-Rhône-Alpes
    "0061": ["76"],  # Toulouse: both old régions now Occitanie
}


# --------------------------------------------------------------------------- loading
def read_sheet(log: BuildLog, src: Source, sheet: str, codes: list[str]) -> pd.DataFrame:
    """One sheet → frame indexed by ``Code Insee``: count, total (floats); unknown codes fail."""
    df = read_excel(log, src.rel, sheet, [CODE, src.count_col, src.total_col])
    where = f"{log.sources_dir / src.rel} [sheet {sheet}]"
    df = df[df[CODE].str.strip() != ""]
    out = pd.DataFrame(
        {
            "count": to_number(df[src.count_col], where=where, column=src.count_col).to_numpy(),
            "total": to_number(df[src.total_col], where=where, column=src.total_col).to_numpy(),
        },
        index=df[CODE].str.strip().to_numpy(),
    )
    unknown = sorted(set(out.index) - set(codes))
    if unknown:
        raise DataError(
            f"column {CODE!r}: unknown code(s) {', '.join(unknown[:10])}",
            where=where,
            hint="expected current INSEE codes; update the reader if the zoning changed",
        )
    if out.index.duplicated().any():
        raise DataError(
            f"column {CODE!r}: duplicated code(s) {', '.join(out.index[out.index.duplicated()])}",
            where=where,
            hint="restore the original workbook",
        )
    log.kept(src.rel, len(out), sheet=sheet)
    return out


def source_levels(log: BuildLog, src: Source, ref: Reference) -> dict[str, pd.DataFrame]:
    reg = read_sheet(log, src, "Région", ref.region_codes).reindex(ref.region_codes)
    dep = read_sheet(log, src, "Département", ref.departement_codes)
    dep = dep.reindex(ref.departement_codes)
    return {"departement": dep, "region": reg, "france": region_sums_to_france(reg)}


def source_rows(log: BuildLog, src: Source, ref: Reference) -> pd.DataFrame:
    lv = source_levels(log, src, ref)
    share = {k: f["count"] / f["total"].where(f["total"] > 0) * 100.0 for k, f in lv.items()}
    rows = pd.concat(
        [
            to_rows(lv, src.prefix, src.year, "count"),
            to_rows(share, f"{src.prefix}_share", src.year),
            to_rows(lv, f"{src.prefix}_{src.total_suffix}", src.year, "total"),
        ],
        ignore_index=True,
    )
    missing = rows[(rows["status"] == "nd") & (rows["level"] != "france")]
    if len(missing):
        absent = ", ".join(f"{r.level} {r.code}" for r in missing.drop_duplicates(
            ["level", "code"]).itertuples())  # fmt: skip
        log.note(src.rel, f"codes absents (n.d.) : {absent}", sheet="Département")
    return rows


def mark_mayotte(rows: pd.DataFrame) -> pd.DataFrame:
    """Mayotte (région 06 / département 976) missing from the enterprise files → n.d."""
    sel = ((rows["level"] == "region") & (rows["code"] == "06")) | (
        (rows["level"] == "departement") & (rows["code"] == "976")
    )
    marked = mark(rows[sel], ["06", "976"], "nd", ND_MAYOTTE)
    return pd.concat([rows[~sel], marked], ignore_index=True)


def implausible_regions(rows: pd.DataFrame, prefix: str, ref: Reference) -> list[str]:
    """Régions whose ``{prefix}_actifs`` per 100 inhabitants (POP, Population.xls) fall
    outside :data:`ACTIFS_BAND` (ATLAS_SPEC §3.9, "Mayotte employment").

    The band is the spec's, set on régions (the other régions have 38–45 actifs per 100
    inhabitants); it is applied to régions only, and a flagged région's départements and
    zones d'emploi follow it (the source gives the same 3 / 438 in every sheet). A
    département is not judged on its own: Paris has 83 actifs per 100 inhabitants, a true
    figure of a département where jobs concentrate, and keeps its values."""
    actifs = rows[(rows["indicator"] == f"{prefix}_actifs") & (rows["level"] == "region")]
    actifs = actifs.set_index("code")["value"]
    pop = population_levels(ref)["region"]["population"]
    rate = 100.0 * actifs / pop.reindex(actifs.index)
    low, high = ACTIFS_BAND
    # above 100 % is impossible, not implausible: left for the data gate to refuse
    return sorted(rate.index[(rate < low) | ((rate > high) & (rate <= 100.0))])


def mark_implausible(
    rows: pd.DataFrame, prefix: str, regions: list[str], ref: Reference
) -> pd.DataFrame:
    """E0x, E0x_share, E0x_actifs of ``regions`` and their départements → n.d. (§3.9)."""
    deps = [d for d in ref.departement_codes if ref.dep_to_reg.get(d) in set(regions)]
    ids = [prefix, f"{prefix}_share", f"{prefix}_actifs"]
    where = {"region": regions, "departement": deps}
    return mark_territories(rows, where, "nd", ND_RP, indicators=ids)


# --------------------------------------------------------------------------- zones d'emploi
def zones_table(log: BuildLog) -> pd.DataFrame:
    """code, name, region, interregional, E01, E01_actifs, E01_share, E02, E02_share."""
    frames = []
    for src in SOURCES[:2]:
        df = read_excel(log, src.rel, ZE_SHEET, [ZE_SHEET, CODE, src.count_col, src.total_col])
        where = f"{log.sources_dir / src.rel} [sheet {ZE_SHEET}]"
        f = pd.DataFrame(
            {
                "name": df[ZE_SHEET].str.strip().to_numpy(),
                src.prefix: to_number(df[src.count_col], where=where, column=src.count_col)
                .to_numpy(),
                f"{src.prefix}_actifs": to_number(df[src.total_col], where=where,
                                                  column=src.total_col).to_numpy(),
            },
            index=df[CODE].str.strip().str.zfill(4).to_numpy(),
        )  # fmt: skip
        log.kept(src.rel, len(f), sheet=ZE_SHEET)
        frames.append(f)
    ze = frames[0].join(frames[1].drop(columns=["name"]), how="outer")
    if ze["name"].isna().any():
        raise DataError(
            "zones d'emploi differ between the two employment workbooks",
            where=f"{log.sources_dir / XLS} [sheet {ZE_SHEET}]",
            hint="both files must list the same 322 zones",
        )
    ze["E01_share"] = ze["E01"] / ze["E01_actifs"] * 100.0
    ze["E02_share"] = ze["E02"] / ze["E02_actifs"] * 100.0
    ze = ze.drop(columns=["E02_actifs"])
    return _assign_regions(log, ze)


def _assign_regions(log: BuildLog, ze: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for code, r in ze.iterrows():
        code = str(code)
        prefix = code[:2]
        if prefix == "00":
            regions = INTERREGIONAL_ZE.get(code)
            if regions is None:
                raise DataError(
                    f"interregional zone {code} ({r['name']}) has no région table entry",
                    where=f"{SOURCES[0].rel} [sheet {ZE_SHEET}]",
                    hint="add it to INTERREGIONAL_ZE in reports/data/sources/emploi.py",
                )
        elif prefix in OLD_TO_NEW_REGION:
            regions = [OLD_TO_NEW_REGION[prefix]]
        else:
            raise DataError(
                f"zone d'emploi {code}: unknown région prefix {prefix!r}",
                where=f"{SOURCES[0].rel} [sheet {ZE_SHEET}]",
                hint=f"add the pre-{REFORM} région code to OLD_TO_NEW_REGION",
            )
        for reg in regions:
            rows.append({"code": code, "region": reg, "interregional": prefix == "00", **r})
    log.note(
        SOURCES[0].rel,
        "ZE interrégionales (00xx) listées dans chaque région touchée ; Nogent-le-Rotrou et "
        "Brive-la-Gaillarde rattachées à leur seule région principale [non vérifié]",
        sheet=ZE_SHEET,
    )
    cols = ["code", "name", "region", "interregional", "E01", "E01_actifs", "E01_share"]
    cols += ["E02", "E02_share"]
    return pd.DataFrame(rows)[cols].sort_values(["region", "code"]).reset_index(drop=True)


# --------------------------------------------------------------------------- meta
def _m(id_: str, label: str, definition: str, unit: str, decimals: int, source: str,
       additive: bool = False) -> IndicatorMeta:  # fmt: skip
    return IndicatorMeta(id_, THEME, label, definition, unit, decimals, source, str(CENSUS),
                         additive=additive)  # fmt: skip


ROUNDING = (
    " Valeurs régionales et départementales issues de feuilles distinctes (estimations "
    "arrondies : la somme des départements peut différer légèrement de la région)."
)


def metadata() -> list[IndicatorMeta]:
    rp = f"Insee, recensement de la population {CENSUS} (exploitation Deps)"
    ent = f"Insee, entreprises et salariés du secteur marchand {ENTERPRISES}"
    return [
        _m("E01", "Actifs exerçant une profession culturelle",
           "Actifs dont la profession (PCS) est culturelle : arts visuels et métiers d'art, "
           "spectacle, professions littéraires, archivage et conservation, architectes, "
           "professeurs d'art." + ROUNDING, "actifs", 0, rp),
        _m("E01_share", "Part des professions culturelles dans l'emploi",
           "Actifs exerçant une profession culturelle / ensemble des actifs.", "%", 2, rp),
        _m("E01_actifs", "Nombre total d'actifs", "Ensemble des actifs." + ROUNDING,
           "actifs", 0, rp),
        _m("E02", "Actifs des secteurs culturels",
           "Actifs des établissements dont l'activité (NAF) est culturelle : patrimoine, livre "
           "et presse, architecture, arts visuels, audiovisuel et multimédia, publicité, "
           "enseignement artistique." + ROUNDING, "actifs", 0, rp),
        _m("E02_share", "Part des secteurs culturels dans l'emploi",
           "Actifs des secteurs culturels / ensemble des actifs.", "%", 2, rp),
        _m("E02_actifs", "Nombre total d'actifs", "Ensemble des actifs." + ROUNDING,
           "actifs", 0, rp),
        _m("N01", "Entreprises culturelles marchandes",
           "Entreprises du secteur marchand exerçant une activité culturelle (hors Mayotte)."
           + ROUNDING, "entreprises", 0, ent),
        _m("N01_share", "Part des entreprises culturelles",
           "Entreprises culturelles / ensemble des entreprises du secteur marchand.",
           "%", 2, ent),
        _m("N01_total", "Entreprises du secteur marchand",
           "Ensemble des entreprises du secteur marchand (hors Mayotte).", "entreprises", 0, ent),
        _m("N02", "Salariés des secteurs culturels marchands",
           "Salariés actifs des entreprises des secteurs culturels marchands (hors Mayotte)."
           + ROUNDING, "salariés", 0, ent),
        _m("N02_share", "Part des salariés des secteurs culturels marchands",
           "Salariés des secteurs culturels / ensemble des salariés du secteur marchand.",
           "%", 2, ent),
        _m("N02_total", "Salariés du secteur marchand",
           "Ensemble des salariés actifs du secteur marchand (hors Mayotte).", "salariés", 0, ent),
    ]  # fmt: skip


# --------------------------------------------------------------------------- entry point
def build(log: BuildLog, ref: Reference) -> ThemeOutput:
    parts = []
    flagged: set[str] = set()
    for src in SOURCES:
        rows = source_rows(log, src, ref)
        if src.prefix.startswith("N"):
            rows = mark_mayotte(rows)
        else:
            regions = implausible_regions(rows, src.prefix, ref)
            if regions:
                log.note(src.rel, f"{ND_RP} (actifs hors de {ACTIFS_BAND[0]:g}–"
                         f"{ACTIFS_BAND[1]:g} % de la population) : région(s) "
                         f"{', '.join(regions)} et leurs départements", sheet="Région")  # fmt: skip
                rows = mark_implausible(rows, src.prefix, regions, ref)
            flagged |= set(regions)
        parts.append(rows)
    values = pd.concat(parts, ignore_index=True)[COLUMNS]
    values = values.sort_values(["indicator", "level", "code", "year"]).reset_index(drop=True)
    zones = zones_table(log)
    only_flagged = zones.groupby("code")["region"].transform(lambda r: set(r) <= flagged)
    cols = ["E01", "E01_actifs", "E01_share", "E02", "E02_share"]
    zones.loc[only_flagged, cols] = float("nan")  # the same RP figure as the région (§3.9)
    return ThemeOutput(values=values, tables={"zones_emploi": zones}, meta=metadata())
