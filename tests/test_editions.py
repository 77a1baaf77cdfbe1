"""Annual editions (ATLAS_SPEC §9, issue #19): years come from editions/<year>.yaml and the data.

* no 4-digit year literal in ``reports/``, ``templates/`` or ``layouts.yaml``;
* the earlier edition (2025: museum attendance and the CNC series end in 2022) is rebuilt from
  the same raw files into its own folder, and its derived data is what is committed;
* its figures are recomputed here from the raw museum file with plain pandas;
* its fiche says 2022 wherever the current one says 2023.

Years appear in this file: tests and edition files are where they belong.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from reports import edition
from reports.paths import PROJECT_ROOT, Paths

SOURCES = Paths().sources
OLD, NEW = "2025", "2026"
DERIVED = PROJECT_ROOT / "editions" / "derived" / OLD
YEAR = re.compile(r"(?<![\w.])(19|20)\d{2}(?!\w)")
#: not vintages: a namespace URI, the YAML tag of merge keys, a Unicode code point
NOT_YEARS = re.compile(r"https?://\S+|tag:yaml\.org,\d{4}|U\+[0-9A-F]{4}")

needs_sources = pytest.mark.skipif(not SOURCES.is_dir(), reason="raw sources not staged")


def _atlas(*args: str, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        # a process of its own: the edition is read when the modules are imported
        [sys.executable, "-c", "from reports.cli import main; main()", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=240,
        **kw,
    )


# --------------------------------------------------------------------------- no literals
def _year_literals(path: Path) -> list[str]:
    hits = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for m in YEAR.finditer(NOT_YEARS.sub("", line)):
            hits.append(f"{path.relative_to(PROJECT_ROOT)}:{n}: {m.group(0)} in {line.strip()!r}")
    return hits


def test_no_year_literal_in_code_templates_or_layouts() -> None:
    files = [*(PROJECT_ROOT / "reports").rglob("*.py"), PROJECT_ROOT / "layouts.yaml"]
    files += [p for p in (PROJECT_ROOT / "templates").rglob("*") if p.is_file()]
    hits = [h for f in sorted(files) for h in _year_literals(f)]
    assert not hits, "years belong in editions/<year>.yaml:\n" + "\n".join(hits[:40])


def test_the_rule_finds_years() -> None:
    """The pattern itself: years in code and text are found, other numbers are not."""
    text = 'x = by_year[2019]; "Entrées 2023" (1999–2003, 2014-2023) 2026-01-01'
    assert [m.group(0) for m in YEAR.finditer(text)] == [
        *("2019", "2023", "1999", "2003", "2014", "2023", "2026")
    ]
    assert not list(YEAR.finditer("0.2019 2019x 12019 v2019 entries_2019 range(2014a"))


# --------------------------------------------------------------------------- edition files
def test_edition_files_differ_only_in_the_years_the_issue_names() -> None:
    old, new = edition.load(OLD), edition.load(NEW)
    assert new.previous == OLD and edition.latest_name() == NEW
    changed = {k for k in new.years if old.years.get(k) != new.years[k]}
    assert changed == {"museums_last", "screens_last"}
    assert (old.year("museums_last"), old.year("screens_last")) == (2022, 2022)
    assert (new.year("museums_last"), new.year("screens_last")) == (2023, 2023)
    assert old.files == new.files  # the same raw files, restricted to earlier years
    assert new.text("Entrées {museums_last} ({museums_base}–{museums_last})") == (
        "Entrées 2023 (2019–2023)"
    )


def test_unknown_edition_and_unknown_year_are_one_line_errors() -> None:
    r = _atlas("fiche", "84", "--edition", "1999")
    assert r.returncode == 2
    assert "no edition '1999'" in r.stderr and f"known editions: {OLD}, {NEW}" in r.stderr
    assert "Traceback" not in r.stderr
    with pytest.raises(Exception, match="no reference year 'museums_lats'"):
        edition.load(NEW).text("Entrées {museums_lats}")


# --------------------------------------------------------------------------- 2025 data
@pytest.fixture(scope="module")
def rebuilt_old(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``atlas data build --edition 2025`` into a temporary data folder."""
    out = tmp_path_factory.mktemp("data2025") / "data"
    r = _atlas("data", "build", "--edition", OLD, env={"ATLAS_DATA": str(out)})
    assert r.returncode == 0, r.stderr
    return out


@needs_sources
def test_old_edition_data_is_committed_as_derived(rebuilt_old: Path) -> None:
    for name in ("indicators.csv", "indicator_meta.csv", "museums.csv", "facilities.csv"):
        assert (rebuilt_old / name).read_bytes() == (DERIVED / name).read_bytes(), name
    # the current edition's data/ is left alone
    assert "2023" in (PROJECT_ROOT / "data" / "indicators.csv").read_text()


def _raw_visits() -> pd.DataFrame:
    raw = pd.read_csv(
        SOURCES / "musees_frequentation" / "ENTREES_ET_CATEGORIES_DE_PUBLIC-2.csv",
        sep=";",
        dtype=str,
        keep_default_na=False,
    )
    raw = raw[raw["region"].str.strip() != "Saint-Pierre-et-Miquelon"].drop_duplicates()
    raw = raw.drop_duplicates(["IDPatrimostat", "annee"], keep="first")
    raw["total"] = pd.to_numeric(raw["total"].str.replace(",", "."), errors="coerce")
    raw["annee"] = raw["annee"].astype(int)
    return raw


@needs_sources
def test_old_edition_figures_recomputed_from_the_raw_file() -> None:
    values = pd.read_csv(DERIVED / "indicators.csv", dtype={"code": str})
    fr = values[(values["level"] == "france") & (values["code"] == "FR")]
    assert fr.loc[fr["indicator"] == "F01", "year"].max() == 2022
    assert fr.loc[fr["indicator"] == "F11", "year"].max() == 2022
    assert 2023 not in set(values.loc[values["indicator"].str.match(r"F0[1-7]$"), "year"])
    raw = _raw_visits()
    by_year = raw.groupby("annee")["total"].sum()
    f01 = fr[fr["indicator"] == "F01"].set_index("year")["value"]
    assert f01[2022] == pytest.approx(by_year[2022], rel=1e-9)
    f03 = fr.loc[fr["indicator"] == "F03"].iloc[0]
    assert f03["year"] == 2022
    assert f03["value"] == pytest.approx(100 * (by_year[2022] / by_year[2019] - 1), abs=1e-9)
    # the museums table: its last year is 2022 (column header and values)
    museums = pd.read_csv(DERIVED / "museums.csv", dtype=str)
    louvre = museums[museums["name"].str.contains("Louvre", case=False, na=False)]
    mf = raw[raw["IDMuseofile"].str.strip().isin(set(louvre["museofile"]))]
    expected = mf.loc[mf["annee"] == 2022, "total"].sum()
    assert pd.to_numeric(louvre["entries_last"]).sum() == pytest.approx(expected)


# --------------------------------------------------------------------------- 2025 fiche
def _text(pdf: Path, layout: bool = True) -> str:
    mode = ["-layout"] if layout else []  # reading order: a table row stays with its label
    return subprocess.run(
        ["pdftotext", *mode, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def _only_kept_2023(pdf_text: str) -> None:
    """Every "2023" of an earlier edition's PDF is the vintage of a source it keeps (looked
    for in the words just before it, hyphenated line ends joined)."""
    flat = " ".join(re.sub(r"[‐-]\s*\n\s*", "", pdf_text).split())
    for m in re.finditer("2023", flat):
        before = flat[max(0, m.start() - 130) : m.start()]
        assert KEPT_2023.search(before), f"2023 in the 2025 edition: …{before}2023"


@pytest.fixture(scope="module")
def old_fiche(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fiche2025") / "france-2025.pdf"
    r = _atlas("fiche", "france", "--edition", OLD, "-o", str(out))
    assert r.returncode == 0, r.stderr
    return out


#: 2023 vintages of sources the earlier edition keeps unchanged (ATLAS_SPEC §9: only museum
#: attendance and the CNC series are restricted)
KEPT_2023 = re.compile(r"jardin|patrimoniaux|remarquable|Millésimes des données", re.I)


@needs_sources
def test_old_edition_fiche_says_2022_where_the_current_says_2023(
    old_fiche: Path, fiche_pdfs: dict[str, Path]
) -> None:
    old, new = _text(old_fiche), _text(fiche_pdfs["FR"])
    assert "Édition 2025" in old and "Édition 2026" not in old
    _only_kept_2023(_text(old_fiche, layout=False))
    for phrase in ("Entrées 2019", "2003–2023", "les plus fréquentés en 2023"):
        assert phrase in new, phrase
    for phrase in ("Entrées 2019", "2003–2022", "les plus fréquentés en 2022"):
        assert phrase in old, phrase
    # its attachments: the museums' CSV carries the edition's years
    import pikepdf

    with pikepdf.open(old_fiche) as pdf:
        data = pdf.attachments["france-frequentation.csv"].get_file().read_bytes()
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    labels = {r["label"] for r in rows if r["element"] == "T04"}  # the top-10 museums
    assert labels == {"Entrées 2019", "Entrées 2022"}
    assert max(int(r["year"]) for r in rows if r["indicator"] == "F01") == 2022


# --------------------------------------------------------------------------- 2001–2016 series
@needs_sources
def test_historical_museum_series_recomputed_from_its_workbook() -> None:
    """ATLAS_SPEC §4: Σ of the FREQUENTATION TOTALE columns 2001…2016 (numbers only; NC, F,
    SO and words are not reported), Saint-Pierre-et-Miquelon left out, apart from F01."""
    from python_calamine import CalamineWorkbook

    book = SOURCES / "musees_frequentation" / "frequentation-totale-mdf-2001-a-2016-data-def9.xlsx"
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("FREQUENTATION TOTALE")
    rows = rows.to_python()
    header = [str(c) for c in rows[0]]
    years = list(range(2001, 2017))
    body = [r for r in rows[1:] if str(r[0]).strip() and "MIQUELON" not in str(r[1]).upper()]
    expected = {
        y: sum(r[header.index(str(y))] for r in body if isinstance(r[header.index(str(y))], float))
        for y in years
    }
    reported = {y: sum(isinstance(r[header.index(str(y))], float) for r in body) for y in years}
    for data in (PROJECT_ROOT / "data", DERIVED):  # the same in both editions
        s = pd.read_csv(data / "museum_series.csv", dtype={"code": str})
        fr = s[s["level"] == "france"].set_index("year")
        assert list(fr.index) == years
        for y in years:
            assert fr.loc[y, "entries"] == pytest.approx(expected[y]), y
            assert fr.loc[y, "museums"] == reported[y], y
        regions = s[s["level"] == "region"]
        assert regions["code"].nunique() == 17  # Mayotte has no museum in the workbook
        by_year = regions.groupby("year")["entries"].sum()
        assert by_year.to_dict() == pytest.approx(fr["entries"].to_dict())
    # kept apart: the overlapping years differ from the current series (other collection)
    values = pd.read_csv(PROJECT_ROOT / "data" / "indicators.csv", dtype={"code": str})
    f01 = values[(values["indicator"] == "F01") & (values["code"] == "FR")]
    assert f01["year"].min() == 2014
    assert f01.set_index("year").loc[2014, "value"] != pytest.approx(expected[2014], rel=1e-3)


# --------------------------------------------------------------------------- what changed
@needs_sources
def test_changes_between_the_editions_come_from_both_data() -> None:
    from reports.content import changes
    from reports.data.store import Store

    old, new = Store(Paths(data_override=DERIVED)), Store(Paths())
    frame = changes.changes_frame(old, new)
    # only the series the 2025 edition cuts at 2022 differ
    assert set(frame["indicator"]) <= {"F01", "F02", "F03", "F04", "F05", "F06", "F07", "F11"}
    raw = _raw_visits()
    by_year = raw.groupby("annee")["total"].sum()
    fr = changes.territory_changes(frame, "france", "FR")
    f01 = next(c for c in fr if c.indicator == "F01")
    assert (f01.old_year, f01.new_year) == (2022, 2023)
    assert f01.old_value == pytest.approx(by_year[2022]) and f01.new_value == pytest.approx(
        by_year[2023]
    )
    ara = changes.territory_changes(frame, "region", "84")
    assert 0 < len(ara) <= changes.LIMIT
    for c in ara:  # both values as each edition's data has them
        assert c.old_value == old.value(c.indicator, "region", "84")
        assert c.new_value == new.value(c.indicator, "region", "84")
        assert c.old_rank == old.get(c.indicator, "region", "84").rank
    text = changes.novelties(old, new, edition.load(OLD).label)
    assert text.startswith("Par rapport à l’édition 2025, cette édition prolonge 2 séries")
    assert "jusqu’en 2023 au lieu de 2022, 7 indicateurs" in text
    assert "Aucune valeur d’une année déjà publiée n’a été révisée." in text


@needs_sources
def test_compare_with_adds_a_chapter_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--compare-with 2025``: each chapter gets "Évolutions depuis l'édition précédente"
    (both editions' values and ranks), the national chapter without ranks."""
    from reports.documents import compare
    from reports.documents.session import Session

    monkeypatch.delenv(compare.ENV, raising=False)
    session = Session.open()
    assert compare.changes_section(session.paths, session.territory("84")) is None
    assert compare.select(OLD) == OLD
    section = compare.changes_section(session.paths, session.territory("84"))
    assert section is not None and section.title == "Évolutions depuis l’édition précédente"
    table = section.tables[0]
    assert table.header == ["Indicateur", "Édition 2025", "Édition 2026", "Rang (préc.)", "Rang"]
    first = table.rows[0].cells
    assert first[0] == "Entrées dans les musées de France"
    assert first[1].endswith("(2022)") and first[2].endswith("(2023)")
    assert all(r.cells[3].endswith("/18") for r in table.rows)
    national = compare.changes_section(session.paths, session.territory("france"))
    assert national is not None and len(national.tables[0].header) == 3
    csv_rows = compare.changes_csv(session.paths).decode().splitlines()
    assert csv_rows[0].startswith("level,code,indicator,label")
    assert any(line.startswith("region,84,F01,") for line in csv_rows)
    compare.select(None)
    assert compare.ENV not in os.environ


def test_compare_with_refuses_the_same_edition_and_unknown_ones() -> None:
    r = _atlas("build", "--compare-with", NEW, "-o", "/nonexistent/x.pdf")
    assert r.returncode == 1 and "the edition being built" in r.stderr, r.stderr
    r = _atlas("build", "--compare-with", "1999")
    assert r.returncode == 1 and "no edition '1999'" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.skipif(not os.environ.get("ATLAS_TEST_FULL"), reason="make test-full: 2 atlases")
def test_old_edition_atlas_and_comparison(tmp_path: Path) -> None:
    """``atlas build --edition 2025`` says 2022 where 2026 says 2023; ``--compare-with``
    writes the avant-propos paragraph and the CSV of the changes."""
    old = tmp_path / "atlas-2025.pdf"
    r = _atlas("build", "--edition", OLD, "-o", str(old))
    assert r.returncode == 0, r.stderr
    _only_kept_2023(_text(old, layout=False))
    new = tmp_path / "atlas.pdf"
    r = _atlas("build", "--compare-with", OLD, "-o", str(new))
    assert r.returncode == 0, r.stderr
    text = _text(new)
    assert "Nouveautés de cette édition" in text and "prolonge 2 séries" in text
    assert text.count("Évolutions depuis l’édition précédente") >= 19
    assert (tmp_path / "atlas-evolutions.csv").is_file()
