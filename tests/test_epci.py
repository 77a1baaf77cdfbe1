"""Intercommunalité portraits (issue 20, ATLAS_SPEC §8) on the real data.

Every expected value is computed here from the raw sources in ``../shared/data/sources`` with
json / pandas alone (never with the code under test): the EPCI composition of ``epci.json``,
populations of ``Population.xls``, libraries of the Deps base, the EPCI's own spending by
SIREN, market-sector employees of the ``Commune`` sheet. Then: the name resolution ("Lyon" is
the métropole), the département an EPCI spanning two is placed in, and three portraits — a
métropole, a rural CC of a few thousand inhabitants, a DROM CA — built and proofread.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from reports.documents.fiche import build_fiche
from reports.documents.portrait import portrait_doc
from reports.documents.session import Session
from reports.errors import ConfigError
from reports.paths import Paths
from reports.proof.check import check_pdf

LYON, NERONDES, CINOR = "200046977", "200007177", "249740119"
#: CA Grand Paris Sud Seine Essonne Sénart: communes in Essonne (91) and Seine-et-Marne (77)
GPS = "200059228"
XLS = "atlas_culture_deps/excel_files/"


@pytest.fixture(scope="module")
def session() -> Session:
    return Session.open(Paths())


@pytest.fixture(scope="module")
def sources() -> Path:
    return Paths().sources


@pytest.fixture(scope="module")
def epci_json(sources: Path) -> dict[str, dict]:
    data = json.loads((sources / "cog_decoupage_administratif/epci.json").read_text("utf-8"))
    return {e["code"]: e for e in data}


@pytest.fixture(scope="module")
def values() -> pd.DataFrame:
    """data/epci_indicators.csv read with pandas alone."""
    df = pd.read_csv(
        Paths().data / "epci_indicators.csv",
        dtype={"code": str},
        keep_default_na=False,
        na_values=[""],
    )
    return df.set_index(["indicator", "code"])


def _members(epci_json: dict[str, dict], code: str) -> set[str]:
    return {m["code"] for m in epci_json[code]["membres"]}


def _commune_sheet(sources: Path, rel: str, sheet: str) -> pd.DataFrame:
    df = pd.read_excel(sources / XLS / rel, sheet_name=sheet, dtype=str, engine="calamine")
    df["Code Insee"] = df["Code Insee"].str.strip()
    return df


# --- values recomputed from the raw files ----------------------------------------------------
def test_population_of_three_epci_is_the_sum_of_their_communes(
    sources: Path, epci_json: dict[str, dict], values: pd.DataFrame
) -> None:
    pop = _commune_sheet(sources, "Population.xls", "Population")
    pop = pop.set_index("Code Insee")["Population totale"].astype(float)
    for code in (NERONDES, CINOR, GPS):  # no commune merged since the population vintage
        members = _members(epci_json, code)
        assert members <= set(pop.index), code
        expected = pop.reindex(sorted(members)).sum()
        assert values.loc[("C01", code), "value"] == pytest.approx(expected), code


def test_epci_populations_add_up_to_france_but_the_islands(
    sources: Path, epci_json: dict[str, dict], values: pd.DataFrame
) -> None:
    """Σ of the 1 255 EPCI = Σ of Population.xls but four single-commune islands that belong
    to no EPCI (Île-de-Bréhat, Île-Molène, Ouessant, L'Île-d'Yeu: counted unplaced)."""
    pop = _commune_sheet(sources, "Population.xls", "Population")
    pop = pop.set_index("Code Insee")["Population totale"].astype(float)
    islands = ["22016", "29083", "29155", "85113"]
    members = {m["code"] for e in epci_json.values() for m in e["membres"]}
    assert not set(islands) & members
    c01 = values.xs("C01", level="indicator")["value"]
    assert len(c01) == 1255
    assert c01.sum() == pytest.approx(pop.sum() - pop.reindex(islands).sum())
    build_md = (Paths().data / "BUILD.md").read_text(encoding="utf-8")
    assert "| Population.xls (Insee) | 34968 | 4 | 29083, 29155, 85113, 22016 |" in build_md


def test_libraries_spending_and_employees_of_the_rural_cc(
    sources: Path, epci_json: dict[str, dict], values: pd.DataFrame
) -> None:
    members = _members(epci_json, NERONDES)
    libs = pd.read_excel(
        sources / "bibliotheques_deps/Geoloc Biblios.xlsx", dtype=str, engine="calamine"
    )
    n_libs = int(libs["Code_Insee"].str.strip().isin(members).sum())
    assert n_libs > 0
    assert values.loc[("O02", NERONDES), "value"] == n_libs
    staff = _commune_sheet(
        sources, "Salariés actifs des secteurs culturels marchands.xls", "Commune"
    )
    staff = staff[staff["Code Insee"].isin(members)]
    count = staff["Nombre de salariés actifs des secteurs culturels marchands"].astype(float).sum()
    total = staff["Nombre total de salariés actifs des secteur marchands"].astype(float).sum()
    assert values.loc[("N02", NERONDES), "value"] == count
    assert values.loc[("N02_share", NERONDES), "value"] == pytest.approx(100 * count / total)
    # no commune over 3 500 inhabitants: communes' spending not applicable, not zero
    assert values.loc[("D06", NERONDES), "status"] == "so"


def test_the_epci_own_spending_comes_from_its_siren(sources: Path, values: pd.DataFrame) -> None:
    df = pd.read_excel(
        sources / XLS / "Dépenses culturelles des intercommunalités.xls",
        sheet_name="Dépenses culturelles",
        dtype=str,
        engine="calamine",
    )
    rows = df[df["Code SIREN"].str.strip() == LYON]
    assert len(rows)
    total_keur = rows["Total"].astype(float).sum()
    population = float(rows["Population"].iloc[0])
    assert values.loc[("D09", LYON), "value"] == pytest.approx(total_keur * 1000)
    assert values.loc[("D09_per_inh", LYON), "value"] == pytest.approx(
        total_keur * 1000 / population
    )


def test_an_epci_over_two_departements_goes_where_most_of_its_people_live(
    session: Session, epci_json: dict[str, dict]
) -> None:
    by_dep: dict[str, float] = {}
    for m in epci_json[GPS]["membres"]:
        dep = m["code"][:2]
        by_dep[dep] = by_dep.get(dep, 0.0) + float(m.get("populationTotale") or 0)
    assert set(by_dep) == {"77", "91"}
    home = max(by_dep, key=lambda d: by_dep[d])
    t = session.territory(GPS)
    assert (t.level, t.departement, t.region) == ("epci", home, "11")
    facts = dict(portrait_doc(session, t).chapters[0].sections[0].facts)
    first, second = sorted(by_dep, key=lambda d: -by_dep[d])
    assert facts["Départements"].index(f"({first})") < facts["Départements"].index(f"({second})")


# --- resolution ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("200046977", LYON),
        ("Métropole de Lyon", LYON),
        ("Lyon", LYON),  # a member commune names its EPCI
        ("CC du Pays de Gex", "240100750"),  # the type words aside: the CA du Pays de Gex
        ("epci:nerondes", NERONDES),
    ],
)
def test_epci_resolution(session: Session, text: str, code: str) -> None:
    t = session.territory(text)
    assert (t.level, t.code) == ("epci", code)


def test_departements_keep_their_names(session: Session) -> None:
    assert session.territory("Rhône").level == "departement"
    assert session.territory("Paris").level == "departement"


def test_a_shared_commune_name_lists_every_epci(session: Session) -> None:
    with pytest.raises(ConfigError) as exc:
        session.territory("Saint-Denis")
    text = f"{exc.value} {exc.value.hint}"
    assert "Métropole du Grand Paris (200054781)" in text and "CINOR" in text


# --- the portraits -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def portraits(session: Session, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("epci")
    return {
        code: build_fiche(session, session.territory(code), out / f"{code}.pdf", workers=1)
        for code in (LYON, NERONDES, CINOR)
    }


def _text(pdf: Path) -> str:
    """The text in reading order (not laid out: a column's lines stay together)."""
    return subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_portraits_proofread_clean_in_at_most_four_pages(portraits: dict[str, Path]) -> None:
    for code, pdf in portraits.items():
        report = check_pdf(pdf)
        assert 3 <= report.pages <= 4, f"{code}: {report.pages} pages"
        found = [f"p. {f.page} {f.rule}: {f.message}" for f in report.findings]
        assert report.clean, f"{code}: " + "; ".join(found)


def test_portrait_text_reads_clean(session: Session, portraits: dict[str, Path]) -> None:
    """No nan/None, no n.d. inside a sentence (a CC of 4 916 inhabitants, a DROM CA), the
    unavailable indicators named once in the notes, the median of the type printed."""
    for code, pdf in portraits.items():
        text = " ".join(_text(pdf).split())
        assert not re.search(r"\b(nan|None|NaN)\b", text), code
        assert "'" not in text, f"{code}: straight apostrophe"
        assert "non disponibles (n.d.) : Dépenses culturelles du ministère" in text, code
        for section in portrait_doc(session, session.territory(code)).chapters[0].sections:
            for paragraph in section.paragraphs:
                # "n.d." only as an explanation in parentheses, never in place of a number
                assert not re.search(r"(?<!\()n\.d\.(?!\))", paragraph), (code, paragraph)
                assert " 0 " not in paragraph, (code, paragraph)
    assert "Médiane des CC" in " ".join(_text(portraits[NERONDES]).split())
    lyon = " ".join(_text(portraits[LYON]).split())
    assert "Médiane des CU et métropoles" in lyon and "Les 58 communes membres" in lyon


def test_a_zero_ratio_is_not_given_a_rank(session: Session, values: pd.DataFrame) -> None:
    """CC Coeur de Sologne has no musée de France: its worst ratio is said as a zero shared
    with the other communautés de communes (counted here with pandas), not as "Ne ex aequo"."""
    sologne = "200000800"
    museums = values.xs("O01_p100k", level="indicator")["value"]
    kinds = pd.read_csv(Paths().data / "epci.csv", dtype={"code": str}).set_index("code")["type"]
    cc = museums[museums.index.map(kinds) == "CC"].dropna()
    assert cc[sologne] == 0
    others = int((cc == 0).sum()) - 1
    sections = portrait_doc(session, session.territory(sologne)).chapters[0].sections
    text = " ".join(p for s in sections for p in s.paragraphs)
    expected = f"musées de France (valeur nulle, comme pour {others} autres des {len(cc)} "
    assert expected in text, text
    assert "ex aequo" not in text.split("la moins bien pour", 1)[1].split(".")[0]


def test_a_shared_rank_says_so_in_the_table(session: Session, values: pd.DataFrame) -> None:
    """CC Coeur de Sologne's museum ratio is 0, as for many communautés de communes: its rank
    (competition ranking, counted here with pandas) is printed as shared, not bare."""
    sologne = "200000800"
    museums = values.xs("O01_p100k", level="indicator")["value"]
    kinds = pd.read_csv(Paths().data / "epci.csv", dtype={"code": str}).set_index("code")["type"]
    cc = museums[museums.index.map(kinds) == "CC"].dropna()
    rank = int((cc > 0).sum()) + 1
    sections = portrait_doc(session, session.territory(sologne)).chapters[0].sections
    cells = [c for s in sections for t in s.tables for row in t.rows for c in row.cells]
    assert f"{rank}e\u00a0ex\u00a0aequo/{len(cc)}" in " ".join(cells)
    assert f">{rank}e/{len(cc)}<" not in ">" + "<>".join(cells) + "<"
