"""What every gate shares: where a figure comes from (the source file named in a failure),
the thresholds, the :class:`Result` of a gate and its :class:`GateInput` (the derived tables)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from reports import edition
from reports.data.sources.base import SourceRead

# --- where a figure comes from ---------------------------------------------------------------

ED = edition.current()
XLS = "atlas_culture_deps/excel_files/"
POPULATION = XLS + "Population.xls"
COG = "cog_decoupage_administratif/regions.json, departements.json"
VISITS = ED.file("museum_visits")
MUSEOFILE = ED.file("museofile")
HISTORY = ED.file("museum_history")
LIBRARIES = "bibliotheques_deps/Geoloc Biblios.xlsx"
CNC = ED.file("cinemas")
FESTIVALS = "festivals/festivals-global-festivals-_-pl.csv"
RP_PROFESSIONS = XLS + "Actifs exerçant une profession culturelle.xls"
RP_SECTORS = XLS + "Actifs dans les secteurs culturels.xls"

# Indicator id prefix → raw file it is computed from (longest prefix first), for messages.
SOURCE_BY_PREFIX = [
    ("C01", POPULATION),
    ("C02", XLS + "Densité de la population.xls"),
    ("C03", XLS + "Densité de la population.xls"),
    ("C04", XLS + "Grille communale de densité.xls"),
    ("C05", XLS + "Grille communale de densité.xls"),
    ("C06", XLS + "Aires d'attraction des villes.xls"),
    ("C07", XLS + "Aires d'attraction des villes.xls"),
    ("C11", XLS + "Niveau de vie médian.xls"),
    ("C13", XLS + "Action coeur de ville.xls"),
    ("O01", MUSEOFILE),
    ("O02", LIBRARIES),
    ("O03", LIBRARIES),
    ("O04D", "cinemas_deps_base/Base Equipements DEPS_last_fix_address cinema.xlsx"),
    ("O04", CNC),
    ("O05", CNC),
    ("O06", CNC),
    ("O07", CNC),
    ("O08", CNC),
    ("O09", "archives_deps/Archives.xlsx"),
    ("O10", FESTIVALS),
    ("O11", FESTIVALS),
    ("O12", FESTIVALS),
    ("O13", "jardins_remarquables/liste-des-jardins-remarquables.csv"),
    ("O14", "sites_patrimoniaux_remarquables/sites_patrimoniaux_remarquables.csv"),
    ("O15", "basilic_counts_by_commune_derived/"
            "nbre_equipement_parcommuneetcodepostal_ET_LatitudeLongitude.csv"),
    ("F08", CNC),
    ("F09", CNC),
    ("F10", CNC),
    ("F11", "cinemas_cnc_series_2003_2023/etablissements_annual_data_202411191450.csv"),
    ("F", VISITS),
    ("D01", XLS + "Dépenses du ministère de la Culture.xls"),
    ("D02", XLS + "Dépenses du ministère de la Culture.xls"),
    ("D03", XLS + "Dépenses culturelles des régions.xls"),
    ("D04", XLS + "Dépenses culturelles des régions.xls"),
    ("D05", XLS + "Dépenses culturelles des départements.xls"),
    ("D06", XLS + "Dépenses culturelles des communes.xls"),
    ("D07", XLS + "Dépenses culturelles des communes.xls"),
    ("D08", XLS + "Dépenses culturelles des communes.xls"),
    ("D09", XLS + "Dépenses culturelles des intercommunalités.xls"),
    ("E01", RP_PROFESSIONS),
    ("E02", RP_SECTORS),
    ("N01", XLS + "Entreprises culturelles du secteur marchand.xls"),
    ("N02", XLS + "Salariés actifs des secteurs culturels marchands.xls"),
]  # fmt: skip

FACILITY_SOURCES = {
    "musee": MUSEOFILE,
    "bibliotheque": LIBRARIES,
    "cinema": CNC,
    "cinema_drom": "cinemas_deps_base/Base Equipements DEPS_last_fix_address cinema.xlsx",
    "archives": "archives_deps/Archives.xlsx",
    "festival": FESTIVALS,
    "jardin": "jardins_remarquables/liste-des-jardins-remarquables.csv",
}


def source_of(indicator: str) -> str:
    """The raw file behind ``indicator`` (relative to the sources directory), or ``""``."""
    for prefix, rel in SOURCE_BY_PREFIX:
        if indicator.startswith(prefix):
            return rel
    return ""


# --- thresholds (docs/DATA.md "Quality gates") -----------------------------------------------

MAX_LOSS = 0.20  # row counts: a source losing more than 20 % of its rows fails …
MAX_GROWTH = 2.0  # … and so does one that doubles
SUM_ABS_TOL = 1e-6  # Σ départements vs région: float summation noise only
SUM_REL_TOL = 1e-9
# Additive indicators whose région may exceed Σ départements (rows placed at région level
# only), with the largest accepted national shortfall.
SUM_SHORTFALL = {"O10": 0.005}  # 13 festivals without a département (0.18 % of 7 266)
# Additive indicators whose France (FR) row also holds amounts no région holds: FR − Σ régions
# must equal that France-only indicator (D09, ATLAS_SPEC §2.4: France = the 740 EPCI, 8 of them
# unplaced) or, for its fonctionnement / investissement parts, lie between 0 and it.
FRANCE_EXTRA = {"D09": "D09_unplaced", "D09_fonct": "D09_unplaced", "D09_invest": "D09_unplaced"}
AMOUNT_WARN = 1.0  # a negative spending amount down to −1 € is a warning, not a failure …
RATIO_WARN = 0.01  # … and so is a €/inh. or % value derived from one down to −0.01
COVERAGE_WARN = 102.0  # coverage 100–102 %: a warning (population vintages, §3.9)
MUSEUM_CHANGE = 200.0  # §3.9: |change| above 200 % → "n.s."
CHANGES = {"F03", "F10"}  # % changes, may be negative (not below −100 %)
FIRST = 5  # offending values quoted in a message


def n(value: float) -> str:
    """``1226`` → ``1 226`` (the figures of BUILD.md)."""
    return f"{value:,.0f}".replace(",", " ")


def pct(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f} %"


# --- results ---------------------------------------------------------------------------------


@dataclass
class Result:
    """What one gate found: the checked subject, its figure, failures and warnings."""

    gate: str  # rule name, e.g. "unique keys"
    subject: str  # what was checked, e.g. "facilities.csv musee: id (Muséofile)"
    figure: str  # e.g. "1 221 rows, 0 duplicates"
    source: str = ""  # raw file (relative to the sources directory) named in a failure
    failures: list[str] = field(default_factory=list)  # offending values, first few
    warnings: list[str] = field(default_factory=list)
    hint: str = "fix the source file or its reader in reports/data/sources/; data/ is unchanged"

    @property
    def status(self) -> str:
        return "fail" if self.failures else "warn" if self.warnings else "pass"

    def as_dict(self) -> dict:
        return {
            "gate": self.gate,
            "subject": self.subject,
            "figure": self.figure,
            "status": self.status,
        }


@dataclass
class GateInput:
    """The derived tables about to be written, the source reads, the previous manifest."""

    tables: dict[str, pd.DataFrame]
    reads: list[SourceRead]
    previous: dict | None = None  # data/manifest.json of the build being replaced
    accept_changes: bool = False

    @cached_property
    def values(self) -> pd.DataFrame:
        return self.tables["indicators"]

    @cached_property
    def meta(self) -> pd.DataFrame:
        return self.tables["indicator_meta"].set_index("id", drop=False)

    @cached_property
    def additive(self) -> set[str]:
        flag = self.meta["additive"].astype(str).str.lower() == "true"
        return set(self.meta.index[flag])

    @cached_property
    def dep_region(self) -> dict[str, str]:
        t = self.tables["territories"]
        deps = t[t["level"] == "departement"]
        return dict(zip(deps["code"], deps["region"], strict=True))

    @cached_property
    def region_zone(self) -> dict[str, str]:
        t = self.tables["territories"]
        regs = t[t["level"] == "region"]
        return dict(zip(regs["code"], regs["zone"], strict=True))

    def wide(self, indicators: list[str]) -> pd.DataFrame:
        """(level, code) × indicator, latest year, for ratios between indicators."""
        v = self.values[self.values["indicator"].isin(indicators)]
        v = v.sort_values("year").drop_duplicates(["indicator", "level", "code"], keep="last")
        return v.pivot(index=["level", "code"], columns="indicator", values="value")


Gate = Callable[[GateInput], Iterable[Result]]


def territory(level: str, code: str) -> str:
    return f"{level} {code}"
