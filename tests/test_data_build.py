"""`atlas data build` end to end: national totals recomputed here from the raw files.

The full build runs once per session (fixture ``built``). Expected figures are recomputed in
each test straight from the raw sources with plain pandas (not through project code) and
compared both with ATLAS_SPEC §5 and with the France row of the derived table.
"""

from __future__ import annotations

import filecmp
import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from reports.cli import main
from reports.paths import Paths

SOURCES = Paths().sources
COM_REGIONS = {
    "Polynésie française",
    "Nouvelle-Calédonie",
    "Saint-Barthélemy",
    "Saint-Pierre-et-Miquelon",
}
EXCEL = SOURCES / "atlas_culture_deps" / "excel_files"

pytestmark = pytest.mark.skipif(not SOURCES.is_dir(), reason=f"raw sources not at {SOURCES}")


def run_build(data_dir: Path, sources: Path = SOURCES):
    env = {"ATLAS_DATA": str(data_dir), "ATLAS_SOURCES": str(sources)}
    return CliRunner().invoke(main, ["data", "build"], env=env)


@pytest.fixture(scope="session")
def built(published: Path) -> Path:
    """The full build (``derive`` + ``publish``, what ``atlas data build`` runs) into an empty
    folder, shared with the quality-gate tests (conftest); the command itself is run by the
    bad-input tests here and by ``test_editions``."""
    return published


@pytest.fixture(scope="session")
def values(built: Path) -> pd.DataFrame:
    df = pd.read_csv(
        built / "indicators.csv",
        dtype={"code": str, "status": str, "note": str},
        keep_default_na=False,
        na_values=[""],
    )
    return df.assign(status=df["status"].fillna(""), note=df["note"].fillna(""))


@pytest.fixture(scope="session")
def france(values: pd.DataFrame) -> Callable[[str, str], float]:
    def get(indicator: str, code: str = "FR") -> float:
        sel = values[(values["indicator"] == indicator) & (values["level"] == "france")]
        sel = sel[sel["code"] == code].sort_values("year")
        assert len(sel), f"{indicator} has no {code} row"
        return float(sel["value"].iloc[-1])

    return get


def raw_csv(rel: str, sep: str = ";") -> pd.DataFrame:
    df = pd.read_csv(SOURCES / rel, sep=sep, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    df.columns = [" ".join(c.replace("\ufeff", "").split()) for c in df.columns]
    return df


def raw_excel(path: Path, sheet: str | int = 0) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name=sheet, dtype=str, engine="calamine").fillna("")


# --- national totals (ATLAS_SPEC §5) -------------------------------------------------------


def test_v05_festivals(france):
    df = raw_csv("festivals/festivals-global-festivals-_-pl.csv")
    df = df[~df["Région principale de déroulement"].isin(COM_REGIONS)]
    musique = int((df["Discipline dominante"] == "Musique").sum())
    assert (len(df), musique) == (7266, 3225)
    assert france("O10") == len(df)
    assert round(france("O11.musique") * france("O10") / 100) == musique


def test_v06_cinemas(france):
    df = raw_csv("cinemas_cnc_2022/etablissements-cinematographiques.csv")
    screens = df["écrans"].astype(float).sum()
    seats = df["fauteuils"].astype(float).sum()
    ae = int((df["AE"] == "OUI").sum())
    multiplex = int((df["multiplexe"] == "OUI").sum())
    assert (len(df), screens, seats, ae, multiplex) == (2061, 6298, 1161329, 1264, 247)
    assert france("O04", "FRM") == len(df)
    assert france("O05", "FRM") == screens
    assert round(france("O06", "FRM") * france("C01", "FRM") / 1000) == seats
    assert round(france("O07", "FRM") * len(df) / 100) == ae
    assert france("O08", "FRM") == multiplex
    assert pd.isna(france("O04", "DROM")) and pd.isna(france("O04", "FR"))


def test_v08_drom_cinemas(france):
    df = raw_excel(
        SOURCES / "cinemas_deps_base" / "Base Equipements DEPS_last_fix_address cinema.xlsx"
    )
    drom = df[df["Code_Insee"].str.startswith("97")]
    assert (len(df), len(drom)) == (2070, 25)
    assert france("O04D", "DROM") == len(drom)


def test_v09_jardins(france):
    df = raw_csv("jardins_remarquables/liste-des-jardins-remarquables.csv")
    assert len(df) == 469
    assert france("O13") == len(df)


def test_v10_spr(france):
    df = raw_csv("sites_patrimoniaux_remarquables/sites_patrimoniaux_remarquables.csv")
    n = int((df["Nombre de SPR"].str.strip().replace("", "0").astype(float) == 1).sum())
    assert n == 993
    assert france("O14") == n


def test_v11_libraries(france):
    df = raw_excel(SOURCES / "bibliotheques_deps" / "Geoloc Biblios.xlsx")
    df = df[df["REG_ETA"].str.strip() != "99"]
    drom = df["Code_Insee"].str[:3].isin(["971", "972", "973", "974", "976"]).sum()
    assert (len(df), drom) == (15566, 149)
    assert france("O02") == len(df)
    assert france("O02", "DROM") == drom


def test_v12_archives(france):
    df = raw_excel(SOURCES / "archives_deps" / "Archives.xlsx")
    df = df[df["N_Region"].str.strip() != "99"]
    kinds = df["Filtre_atlas"].value_counts()
    expected = {"communales": 732, "departementales": 116, "regionales": 24, "nationales": 4}
    labels = {
        "communales": "Archives communales",
        "departementales": "Archives départementales",
        "regionales": "Archives régionales",
        "nationales": "Archives nationales",
    }
    assert len(df) == 876
    assert france("O09") == len(df)
    for slug, n in expected.items():
        assert kinds[labels[slug]] == n
        assert france(f"O09.{slug}") == n


def test_v13_museums(france):
    df = raw_csv("musees_museofile/museofile.csv", sep="|")
    n = int((df["Departement"] != "Saint-Pierre-et-Miquelon").sum())
    assert (len(df), n) == (1222, 1221)
    assert france("O01") == n


def _population() -> pd.DataFrame:
    pop = raw_excel(EXCEL / "Population.xls", "Population")
    pop["P"] = pop["Population totale"].astype(float)
    return pop


def test_v18_population(france):
    total = _population()["P"].sum()
    assert total == 66_780_857
    assert france("C01") == total


def test_v19_density(france):
    pop = _population()
    dens = raw_excel(EXCEL / "Densité de la population.xls", "Densité de la population")
    df = pop.merge(dens, on="Code Insee")
    d = pd.to_numeric(df["Densité de la population"], errors="coerce")
    df = df[d > 0].assign(area=df["P"] / d)
    metro = df[~df["Code Insee"].str.startswith("97")]
    fr = df["P"].sum() / df["area"].sum()
    frm = metro["P"].sum() / metro["area"].sum()
    assert (round(fr, 2), round(frm, 2)) == (105.15, 118.85)
    assert france("C03") == pytest.approx(fr, abs=1e-6)
    assert france("C03", "FRM") == pytest.approx(frm, abs=1e-6)


def test_v20_tres_dense(france):
    pop = _population()
    grid = raw_excel(EXCEL / "Grille communale de densité.xls", "Grille communale de densité")
    df = pop.merge(grid, on="Code Insee")
    n = df.loc[df["Grille communale de densité"] == "Très dense", "P"].sum()
    assert n == 25_328_338
    assert round(france("C04.tres_dense") * france("C01") / 100) == n


# --- contract ------------------------------------------------------------------------------

# Known, documented exceptions to "départements sum to their région":
# O10 — 13 festivals have no usable département and are counted at région level only.
DEP_SUM_EXCEPTIONS = {"O10"}


def test_every_indicator_complete(built: Path, values: pd.DataFrame):
    meta = pd.read_csv(built / "indicator_meta.csv", dtype=str)
    assert set(meta["id"]) == set(values["indicator"])
    for (ind, year), g in values.groupby(["indicator", "year"]):
        counts = g["level"].value_counts().to_dict()
        assert counts == {"departement": 101, "region": 18, "france": 3}, (ind, year, counts)
        assert not g.duplicated(["level", "code"]).any(), ind
    missing = values[values["value"].isna()]
    assert missing["status"].isin(["nd", "so"]).all()
    assert (missing["note"] != "").all()
    assert (values.loc[values["value"].notna(), "status"] == "").all()


def test_additive_indicators_sum_up(built: Path, values: pd.DataFrame):
    meta = pd.read_csv(built / "indicator_meta.csv", dtype=str)
    terr = pd.read_csv(built / "territories.csv", dtype=str)
    deps = terr[terr["level"] == "departement"]
    d2r = dict(zip(deps["code"], deps["region"], strict=True))
    additive = set(meta.loc[meta["additive"] == "true", "id"])
    assert {"C01", "O01", "O02", "O10"} <= additive
    for (ind, year), g in values[values["indicator"].isin(additive)].groupby(["indicator", "year"]):
        reg = g[g["level"] == "region"].set_index("code")["value"]
        fr = g[(g["level"] == "france") & (g["code"] == "FR")]["value"].iloc[0]
        if ind.startswith("D09"):
            # ATLAS_SPEC §2.4 (corrected): France = all 740 EPCI, the unplaced ones included
            unplaced = values[(values["indicator"] == "D09_unplaced") & (values["code"] == "FR")]
            extra = float(unplaced["value"].iloc[0])
            if ind == "D09":
                assert reg.sum() + extra == pytest.approx(fr, rel=1e-9), (ind, year)
            assert reg.sum() - 1e-3 <= fr <= reg.sum() + extra + 1e-3, (ind, year)
        elif not pd.isna(fr):
            assert reg.sum() == pytest.approx(fr, rel=1e-9), (ind, year)
        if ind in DEP_SUM_EXCEPTIONS:
            continue
        dep = g[g["level"] == "departement"]
        by_reg = dep.groupby(dep["code"].map(d2r))["value"].sum()
        for code, v in reg.dropna().items():
            assert by_reg.get(code, 0.0) == pytest.approx(v, rel=1e-9, abs=1e-6), (ind, year, code)


def test_ranks(values: pd.DataFrame):
    reg = values[(values["indicator"] == "C01") & (values["level"] == "region")]
    assert reg["rank_of"].eq(18).all()
    top = reg.sort_values("value", ascending=False).iloc[0]
    assert (top["code"], top["rank"]) == ("11", 1)
    assert values.loc[values["level"] != "region", "rank"].isna().all()


def test_two_builds_identical(built: Path):
    """This session's build and the committed data/ (built by another process, another day)
    are the same bytes: the build is deterministic and data/ is up to date. (BUILD.md and
    manifest.json also report the row-count gate against the *previous* manifest, which
    differs: a build into an empty folder has none.)"""
    second = Paths().data
    report_files = {Path("BUILD.md"), Path("manifest.json")}
    files = sorted(p.relative_to(built) for p in built.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for rel in files:
        if rel not in report_files:
            assert filecmp.cmp(built / rel, second / rel, shallow=False), rel
    new, old = (json.loads((d / "manifest.json").read_text()) for d in (built, second))
    assert new["outputs"] == old["outputs"]  # the digest of every table


# --- bad input -----------------------------------------------------------------------------


def mirror_sources(tmp: Path, skip: str | None = None) -> Path:
    """A copy of the sources directory made of symlinks, without ``skip``."""
    root = tmp / "sources"
    for src in SOURCES.rglob("*"):
        if src.is_dir():
            continue
        rel = src.relative_to(SOURCES)
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        if rel.as_posix() == skip:
            continue
        (root / rel).symlink_to(src)
    return root


def digest(directory: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(directory.rglob("*")):
        h.update(p.relative_to(directory).as_posix().encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def assert_fails_cleanly(built: Path, tmp_path: Path, sources: Path, *expected: str) -> None:
    data = tmp_path / "previous" / "data"
    shutil.copytree(built, data)
    before = digest(data)
    result = run_build(data, sources)
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("atlas: error: ")
    for text in expected:
        assert text in lines[0]
    assert "Traceback" not in result.output
    assert digest(data) == before
    assert sorted(p.name for p in data.parent.iterdir()) == ["data"]


def test_missing_sources_dir(built: Path, tmp_path: Path):
    assert_fails_cleanly(
        built, tmp_path, tmp_path / "nowhere", "sources directory not found", "nowhere"
    )


def test_missing_file(built: Path, tmp_path: Path):
    rel = "atlas_culture_deps/excel_files/Grille communale de densité.xls"
    sources = mirror_sources(tmp_path, skip=rel)
    assert_fails_cleanly(built, tmp_path, sources, "Grille communale de densité.xls", "not found")


def test_renamed_column(built: Path, tmp_path: Path):
    rel = "musees_museofile/museofile.csv"
    sources = mirror_sources(tmp_path, skip=rel)
    text = (SOURCES / rel).read_text(encoding="utf-8")
    (sources / rel).write_text(text.replace("|Departement|", "|Dept|", 1), encoding="utf-8")
    assert_fails_cleanly(built, tmp_path, sources, "museofile.csv", "'Departement'")


def test_corrupt_workbook(built: Path, tmp_path: Path):
    rel = "atlas_culture_deps/excel_files/Densité de la population.xls"
    sources = mirror_sources(tmp_path, skip=rel)
    (sources / rel).write_bytes((SOURCES / rel).read_bytes()[:5000])
    assert_fails_cleanly(built, tmp_path, sources, "Densité de la population.xls")


def test_territory_look_up(built: Path) -> None:
    """``Store.territory`` (an index built once) gives the row of every (level, code) of
    territories.csv, read here with the csv module; an unknown code names the file."""
    import csv

    from reports.data.store import Store
    from reports.errors import DataError

    store = Store(Paths(data_override=built))
    with (built / "territories.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 122
    for row in rows:
        assert store.territory(row["level"], row["code"])["name"] == row["name"]
    with pytest.raises(DataError, match="unknown region '99'") as err:
        store.territory("region", "99")
    assert "territories.csv" in str(err.value.where)
