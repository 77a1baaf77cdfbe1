"""Territorial reference: the 18 régions, 101 départements, dep()/reg() and commune population.

Codes are the current INSEE ones (régions 01…06 and 11…94; départements 01…95, 2A, 2B,
971…976). ``dep(code)`` = first 2 characters of an INSEE commune code, first 3 when it
starts with ``97`` (ATLAS_SPEC §3.1). COM (975, 977, 978, 98x) are not territories here.
Population = ``Population.xls`` (Insee; Mayotte: an earlier census), the single denominator
vintage of every ratio (§3.3).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass

import pandas as pd

from reports.data.sources.base import BuildLog, read_excel, sha256_of, to_number
from reports.errors import DataError

COG = "cog_decoupage_administratif"
POPULATION = "atlas_culture_deps/excel_files/Population.xls"

METRO_REGIONS = ["11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93", "94"]
DROM_REGIONS = ["01", "02", "03", "04", "06"]
REGION_ORDER = METRO_REGIONS + DROM_REGIONS  # chapter order, ATLAS_SPEC §0


def slugify(text: str) -> str:
    """``Provence-Alpes-Côte d'Azur`` → ``provence-alpes-cote-d-azur``."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def dep_of_commune(code: str) -> str:
    code = str(code).strip()
    return code[:3] if code.startswith("97") else code[:2]


@dataclass
class Reference:
    regions: pd.DataFrame  # code, name, slug, zone (metro/drom), order
    departements: pd.DataFrame  # code, name, slug, region, zone
    commune_pop: pd.DataFrame  # commune, departement, region, population

    @property
    def dep_to_reg(self) -> dict[str, str]:
        return dict(zip(self.departements["code"], self.departements["region"], strict=True))

    @property
    def region_codes(self) -> list[str]:
        return list(self.regions["code"])

    @property
    def departement_codes(self) -> list[str]:
        return list(self.departements["code"])

    def dep_name_to_code(self) -> dict[str, str]:
        return dict(zip(self.departements["name"], self.departements["code"], strict=True))

    def region_name_to_code(self) -> dict[str, str]:
        return dict(zip(self.regions["name"], self.regions["code"], strict=True))


def load_json(log: BuildLog, rel: str) -> list[dict]:
    """A JSON source file, checked and recorded for provenance."""
    path = log.sources_dir / rel
    if not path.is_file():
        raise DataError(
            "source file not found",
            where=str(path),
            hint="check --sources points at shared/data/sources",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"invalid JSON ({exc})", where=str(path), hint="restore the file") from None
    log.record(rel, None, sha256_of(path), len(data))
    return data


def load_reference(log: BuildLog) -> Reference:
    regs = pd.DataFrame(load_json(log, f"{COG}/regions.json"))
    regs = regs[regs["code"].isin(REGION_ORDER)].copy()
    if len(regs) != 18:
        raise DataError("expected 18 régions", where=f"{COG}/regions.json")
    regs["order"] = regs["code"].map({c: i for i, c in enumerate(REGION_ORDER)})
    regs = regs.sort_values("order")
    regs = regs.rename(columns={"nom": "name"})[["code", "name", "zone", "order"]]
    regs["slug"] = regs["name"].map(slugify)

    deps = pd.DataFrame(load_json(log, f"{COG}/departements.json"))
    deps = deps[deps["region"].isin(REGION_ORDER)].copy()
    if len(deps) != 101:
        raise DataError("expected 101 départements", where=f"{COG}/departements.json")
    deps = deps.rename(columns={"nom": "name"})[["code", "name", "region", "zone"]]
    deps["slug"] = deps["name"].map(slugify)
    deps = deps.sort_values("code").reset_index(drop=True)

    pop = read_excel(log, POPULATION, "Population", ["Code Insee", "Population totale"])
    pop = pd.DataFrame(
        {
            "commune": pop["Code Insee"].str.strip(),
            "population": to_number(
                pop["Population totale"], where=POPULATION, column="Population totale"
            ),
        }
    )
    pop["departement"] = pop["commune"].map(dep_of_commune)
    d2r = dict(zip(deps["code"], deps["region"], strict=True))
    pop["region"] = pop["departement"].map(d2r)
    unplaced = pop[pop["region"].isna()]
    if len(unplaced):
        log.unplaced(POPULATION, list(unplaced["commune"]), sheet="Population")
    pop = pop[pop["region"].notna()].reset_index(drop=True)
    log.kept(POPULATION, len(pop), sheet="Population")
    return Reference(regions=regs.reset_index(drop=True), departements=deps, commune_pop=pop)
