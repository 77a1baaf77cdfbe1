"""Themes fréquentation, dépenses, emploi: national totals (ATLAS_SPEC §5) and table invariants.

Expected national figures are recomputed here straight from the raw files with plain
pandas / python-calamine (never through project code), then compared with the theme output.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from reports.data.sources import depenses, emploi, frequentation
from reports.data.sources.base import BuildLog
from reports.data.sources.reference import Reference, load_reference
from reports.data.sources.theme import ThemeOutput
from reports.paths import Paths

SOURCES = Paths().sources
XLS = SOURCES / "atlas_culture_deps" / "excel_files"
VISITS = SOURCES / "musees_frequentation" / "ENTREES_ET_CATEGORIES_DE_PUBLIC-2.csv"
SERIES = SOURCES / "cinemas_cnc_series_2003_2023" / "etablissements_annual_data_202411191450.csv"

pytestmark = pytest.mark.skipif(not SOURCES.is_dir(), reason="raw sources not staged")


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def log() -> BuildLog:
    return BuildLog(Paths().sources)


@pytest.fixture(scope="session")
def ref(log: BuildLog) -> Reference:
    return load_reference(log)


@pytest.fixture(scope="session")
def freq(log: BuildLog, ref: Reference) -> ThemeOutput:
    return frequentation.build(log, ref)


@pytest.fixture(scope="session")
def dep(log: BuildLog, ref: Reference) -> ThemeOutput:
    return depenses.build(log, ref)


@pytest.fixture(scope="session")
def emp(log: BuildLog, ref: Reference) -> ThemeOutput:
    return emploi.build(log, ref)


@pytest.fixture(scope="session", params=["freq", "dep", "emp"])
def theme(request: pytest.FixtureRequest) -> ThemeOutput:
    return request.getfixturevalue(request.param)


def sheet(path: Path, name: str) -> pd.DataFrame:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()
    return pd.DataFrame(rows[1:], columns=rows[0])


def value(out: ThemeOutput, indicator: str, code: str = "FR", level: str = "france",
          year: int | None = None) -> float:  # fmt: skip
    v = out.values
    sel = (v["indicator"] == indicator) & (v["level"] == level) & (v["code"] == code)
    if year is not None:
        sel &= v["year"] == year
    hit = v[sel]
    assert len(hit) == 1, (indicator, level, code, year, len(hit))
    return float(hit["value"].iloc[0])


# --------------------------------------------------------------------------- raw recomputations
@pytest.fixture(scope="session")
def raw_visits() -> pd.DataFrame:
    df = pd.read_csv(VISITS, sep=";", dtype=str, keep_default_na=False)
    df = df[df["region"] != "Saint-Pierre-et-Miquelon"].copy()
    df["t"] = pd.to_numeric(df["total"].replace("", None))
    df["g"] = pd.to_numeric(df["gratuit"].replace("", None))
    return df


def test_v01_v03_museum_entries(freq: ThemeOutput, raw_visits: pd.DataFrame) -> None:
    by_year = raw_visits.groupby("annee")["t"].sum()
    assert by_year["2019"] == 65_929_085
    assert by_year["2020"] == 23_818_636
    assert value(freq, "F01", year=2019) == by_year["2019"]
    assert value(freq, "F01", year=2020) == by_year["2020"]


def test_v02_v04_museum_entries_last_and_free(freq: ThemeOutput, raw_visits) -> None:
    y = raw_visits[raw_visits["annee"] == "2023"]
    assert len(y) == 1057
    assert y["t"].sum() == 68_977_529 == value(freq, "F01", year=2023)
    assert y["g"].sum() == 31_125_885
    f05 = value(freq, "F05", year=2023)
    assert f05 == pytest.approx(100 * 31_125_885 / 68_977_529)
    assert round(f05, 1) == 45.1
    assert round(value(freq, "F03", year=2023), 1) == 4.6  # France +4.6 %


def test_v07_screens(freq: ThemeOutput) -> None:
    s = pd.read_csv(SERIES, sep=";", dtype=str, keep_default_na=False)
    screens = pd.to_numeric(s["ECRANS"]).groupby(s["year"]).sum()
    for year, expected in ((2003, 5274), (2022, 6298), (2023, 6322)):
        assert screens[str(year)] == expected
        assert value(freq, "F11", "FRM", year=year) == expected
    fr = freq.values[(freq.values["indicator"] == "F11") & (freq.values["code"] == "FR")]
    assert (fr["status"] == "nd").all()
    drom = freq.values[(freq.values["indicator"] == "F08") & (freq.values["code"] == "971")]
    assert drom["status"].tolist() == ["nd"]
    assert drom["note"].iloc[0] == "source limitée à la France métropolitaine"


def test_museums_table(freq: ThemeOutput, ref: Reference) -> None:
    m = freq.tables["museums"]
    assert not m.duplicated(["museofile", "region"]).any()
    # a museum with sites in several régions has one row per région (sites summed per région)
    marine = m[m["museofile"] == "M5026"].set_index("region")
    assert {"11", "53", "75", "93"} <= set(marine.index)
    visits = pd.read_csv(VISITS, sep=";", dtype=str, keep_default_na=False)
    bretagne = visits[
        (visits["IDMuseofile"] == "M5026")
        & (visits["annee"] == "2023")
        & visits["codeInseeCommune"].str[:2].isin(["22", "29", "35", "56"])
    ]
    assert marine.loc["53", "entries_last"] == pd.to_numeric(bretagne["total"]).sum()
    assert set(m["region"].dropna()) <= set(ref.region_codes)
    assert m["entries_last"].sum() <= value(freq, "F01", year=2023)
    assert m["lat"].notna().mean() > 0.95 and m["name"].notna().all()


@pytest.mark.parametrize(
    ("file", "indicator", "expected_keur"),
    [
        ("Dépenses culturelles des régions.xls", "D03", 764_984.947),
        ("Dépenses culturelles des départements.xls", "D05", 947_585.665),
        ("Dépenses culturelles des communes.xls", "D06", 5_802_156.207),
    ],
)
def test_v14_collectivity_spending(dep, file, indicator, expected_keur) -> None:
    raw = sheet(XLS / file, "Dépenses culturelles")
    assert raw["Total"].astype(float).sum() == pytest.approx(expected_keur, abs=0.001)
    assert value(dep, indicator) / 1000 == pytest.approx(expected_keur, abs=0.001)


def test_v14_region_fonct_invest(dep: ThemeOutput) -> None:
    assert value(dep, "D03_fonct") / 1000 == pytest.approx(548_996.246, abs=0.001)
    assert value(dep, "D03_invest") / 1000 == pytest.approx(215_988.701, abs=0.001)
    v = dep.values
    mayotte = v[(v["indicator"] == "D03") & (v["level"] == "region") & (v["code"] == "06")]
    assert mayotte["status"].tolist() == ["so"]
    assert mayotte["note"].iloc[0] == "compétences régionales exercées par le Département"


def test_v14_epci_placed_plus_unplaced(dep: ThemeOutput) -> None:
    raw = sheet(XLS / "Dépenses culturelles des intercommunalités.xls", "Dépenses culturelles")
    total = raw["Total"].astype(float).sum()
    assert total == pytest.approx(2_088_757.392, abs=0.001)
    # ATLAS_SPEC §2.4 (corrected): France = all 740 EPCI, the unplaced ones included
    france, unplaced = value(dep, "D09"), value(dep, "D09_unplaced")
    assert france / 1000 == pytest.approx(total, abs=0.001)
    v = dep.values
    regions = v[(v["indicator"] == "D09") & (v["level"] == "region")]["value"].sum()
    assert (regions + unplaced) / 1000 == pytest.approx(total, abs=0.001)
    assert 0 < unplaced < 0.02 * total * 1000


def test_v15_ministry(dep: ThemeOutput) -> None:
    reg = sheet(XLS / "Dépenses du ministère de la Culture.xls", "Région")
    dpt = sheet(XLS / "Dépenses du ministère de la Culture.xls", "Département")
    total = reg["Dépénses totales"].astype(float).sum()
    assert total == pytest.approx(3_809_871_740.85, abs=0.01)
    assert dpt["Dépénses totales"].astype(float).sum() == pytest.approx(3_099_377_947.34, abs=0.01)
    assert value(dep, "D01") == pytest.approx(total, abs=0.01)
    assert round(value(dep, "D01_per_inh"), 2) == 57.05
    assert reg["Population"].astype(float).sum() == 66_780_857


def test_ministry_regions_exceed_departements(dep: ThemeOutput, ref: Reference) -> None:
    """Regional ministry values come from the Région sheet (> Σ Département sheet)."""
    v = dep.values[dep.values["indicator"] == "D01"]
    dsum = v[v["level"] == "departement"].set_index("code")["value"].groupby(ref.dep_to_reg).sum()
    reg = v[v["level"] == "region"].set_index("code")["value"]
    assert (reg.reindex(dsum.index) >= dsum - 0.01).all()
    assert (reg.reindex(dsum.index) > dsum + 1).any()


def test_d05_structural_so(dep: ThemeOutput) -> None:
    v = dep.values[(dep.values["indicator"] == "D05") & (dep.values["level"] == "departement")]
    so = set(v.loc[v["status"] == "so", "code"])
    assert so == {"2A", "2B", "75", "972", "973"}


@pytest.mark.parametrize(
    ("file", "indicator", "count", "share"),
    [
        ("Actifs exerçant une profession culturelle.xls", "E01", 609_637, 2.30),
        ("Actifs dans les secteurs culturels.xls", "E02", 685_532, 2.59),
        ("Entreprises culturelles du secteur marchand.xls", "N01", 66_773, 3.23),
        ("Salariés actifs des secteurs culturels marchands.xls", "N02", 400_323, 2.78),
    ],
)
def test_v16_v17_employment(emp, file, indicator, count, share) -> None:
    raw = sheet(XLS / file, "Région")
    assert raw.iloc[:, 2].astype(float).sum() == count
    assert value(emp, indicator) == count
    expected_share = 100 * count / raw.iloc[:, 3].astype(float).sum()
    assert value(emp, f"{indicator}_share") == pytest.approx(expected_share)
    assert round(value(emp, f"{indicator}_share"), 2) == share


def test_v17_mayotte_nd(emp: ThemeOutput) -> None:
    v = emp.values[emp.values["indicator"].str.startswith("N")]
    may = v[((v["level"] == "region") & (v["code"] == "06")) | (v["code"] == "976")]
    assert len(may) == 12 and (may["status"] == "nd").all() and may["value"].isna().all()


def test_zones_emploi(emp: ThemeOutput, ref: Reference) -> None:
    z = emp.tables["zones_emploi"]
    assert z["code"].nunique() == 322
    assert set(z["region"]) <= set(ref.region_codes)
    inter = z[z["interregional"]]
    assert inter["code"].str.startswith("00").all() and inter["code"].nunique() == 11
    assert z.loc[~z["interregional"], "code"].is_unique


# --------------------------------------------------------------------------- invariants
def test_complete_and_status(theme: ThemeOutput, ref: Reference) -> None:
    v = theme.values
    n = len(ref.departement_codes) + len(ref.region_codes) + 3
    sizes = v.groupby(["indicator", "year"]).size()
    assert (sizes == n).all(), sizes[sizes != n]
    assert not v.duplicated(["indicator", "level", "code", "year"]).any()
    missing = v["status"] != ""
    assert v.loc[missing, "value"].isna().all()  # n.d./s.o. never carry a value (never 0)
    assert v.loc[~missing, "value"].notna().all()
    assert (v.loc[missing, "note"] != "").all()
    assert set(v["status"]) <= {"", "nd", "so"}


def test_meta_covers_ids(theme: ThemeOutput) -> None:
    ids = [m.id for m in theme.meta]
    assert len(ids) == len(set(ids))
    assert set(theme.values["indicator"]) == set(ids)


def test_additive_sums(theme: ThemeOutput, ref: Reference) -> None:
    """Additive indicators: régions sum to FR/FRM/DROM, départements to their région."""
    additive = {m.id for m in theme.meta if m.additive}
    v = theme.values[theme.values["indicator"].isin(additive)]
    zone = dict(zip(ref.regions["code"], ref.regions["zone"], strict=True))
    for (_ind, _year), g in v.groupby(["indicator", "year"]):
        reg = g[g["level"] == "region"].set_index("code")["value"]
        fr = g[g["level"] == "france"].set_index("code")["value"]
        for code, regions in (("FR", list(reg.index)),
                              ("FRM", [r for r in reg.index if zone[r] == "metro"]),
                              ("DROM", [r for r in reg.index if zone[r] == "drom"])):  # fmt: skip
            if np.isnan(fr[code]):
                continue
            if _ind.startswith("D09") and code == "FR":
                # ATLAS_SPEC §2.4 (corrected): France = all 740 EPCI, the unplaced included
                extra = theme.values[theme.values["indicator"] == "D09_unplaced"]
                unplaced = float(extra.loc[extra["code"] == "FR", "value"].iloc[0])
                if _ind == "D09":
                    assert reg.sum() + unplaced == pytest.approx(fr[code], rel=1e-12)
                assert reg.sum() <= fr[code] <= reg.sum() + unplaced + 1e-3, _ind
                continue
            assert reg[regions].sum() == pytest.approx(fr[code], rel=1e-12), (_ind, code)
        deps = g[g["level"] == "departement"].set_index("code")["value"]
        by_reg = deps.groupby(deps.index.map(ref.dep_to_reg)).sum(min_count=1)
        both = reg.notna() & by_reg.reindex(reg.index).notna()
        assert np.allclose(reg[both], by_reg.reindex(reg.index)[both]), _ind


def test_build_log_records_unplaced_epci(log: BuildLog, dep: ThemeOutput) -> None:
    key = "atlas_culture_deps/excel_files/Dépenses culturelles des intercommunalités.xls"
    read = log.reads[f"{key}#Dépenses culturelles"]
    assert read.unplaced == 8
    assert any("Métropole Européenne de Lille" in e for e in read.unplaced_examples)
