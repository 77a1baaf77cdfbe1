"""Département portraits (issue 20, ATLAS_SPEC §8) on the real data: resolution of codes and
names, the 4-page ``portrait`` layout of 69, 2A and 971 built and proofread, additive counts
of the 101 départements summing to France, and a printed rank recomputed from
``data/indicators.csv`` with plain pandas (never from the code under test)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from reports.data.territories import resolve
from reports.documents.fiche import build_fiche, default_fiche_path
from reports.documents.session import Session
from reports.errors import ConfigError
from reports.paths import Paths
from reports.proof.check import check_pdf

PORTRAITS = ("69", "2A", "971")


@pytest.fixture(scope="module")
def session() -> Session:
    return Session.open(Paths())


@pytest.fixture(scope="module")
def indicators() -> pd.DataFrame:
    """data/indicators.csv read with pandas alone (codes as text: 01, 2A)."""
    return pd.read_csv(
        Paths().data / "indicators.csv", dtype={"code": str}, keep_default_na=False, na_values=[""]
    )


@pytest.fixture(scope="module")
def portraits(session: Session, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("portraits")
    return {
        code: build_fiche(session, session.territory(code), out / f"{code}.pdf", workers=1)
        for code in PORTRAITS
    }


def _text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


# --- resolution ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "level", "code"),
    [
        ("69", "departement", "69"),
        ("Rhône", "departement", "69"),
        ("rhone", "departement", "69"),
        ("2A", "departement", "2A"),
        ("2a", "departement", "2A"),
        ("corse du sud", "departement", "2A"),
        ("971", "departement", "971"),
        ("dep:guadeloupe", "departement", "971"),
        ("Guadeloupe", "region", "01"),  # the région of that name; 971 is the département
        ("84", "region", "84"),  # a région code stays the région
        ("dep:84", "departement", "84"),  # Vaucluse
        ("04", "region", "04"),
        ("dep:04", "departement", "04"),  # Alpes-de-Haute-Provence
        ("05", "departement", "05"),  # not a région code: Hautes-Alpes
        ("reg:84", "region", "84"),
        ("Paris", "departement", "75"),
        ("loire", "departement", "42"),  # a whole name beats words of two régions' names
        ("provence", "region", "93"),  # words of one région's name
        ("cotes d armor", "departement", "22"),
        ("Bretagne", "region", "53"),
        ("france", "france", "FR"),
    ],
)
def test_resolution(session: Session, text: str, level: str, code: str) -> None:
    t = resolve(text, session.store.territories)
    assert (t.level, t.code) == (level, code)


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("seine", ("matches 4 départements", "Seine-Maritime (dep:76)", "Hauts-de-Seine (92)")),
        (
            "alpes",
            ("2 régions and 3 départements", "Auvergne-Rhône-Alpes (84)", "Hautes-Alpes (05)"),
        ),
        ("de-france", ("matches 2 régions", "Île-de-France (11) or Hauts-de-France (32)?")),
    ],
)
def test_ambiguous_names_list_every_candidate(session: Session, text, needles) -> None:
    with pytest.raises(ConfigError) as err:
        resolve(text, session.store.territories)
    message = err.value.format()
    for needle in needles:
        assert needle in message


def test_unknown_departement_suggests_the_closest(session: Session) -> None:
    with pytest.raises(ConfigError) as err:
        resolve("Haute-Savoe", session.store.territories)
    assert "Haute-Savoie (74)" in err.value.format()


def test_layouts_and_paths(session: Session) -> None:
    rhone, ara = session.territory("69"), session.territory("84")
    assert default_fiche_path(session, rhone).parts[-2:] == ("departements", "69-rhone.pdf")
    assert default_fiche_path(session, ara).name == "auvergne-rhone-alpes.pdf"
    assert default_fiche_path(session, ara, layout="portrait").name.endswith("-portrait.pdf")
    with pytest.raises(ConfigError, match="fiche layout is for a région"):
        default_fiche_path(session, rhone, layout="fiche")
    with pytest.raises(ConfigError, match="portrait layout is for a région or a département"):
        default_fiche_path(session, session.territory("france"), layout="portrait")


# --- data: the 101 départements add up to France ---------------------------------------------
def _sums(indicators: pd.DataFrame, ind: str) -> tuple[float, float, float]:
    """(Σ départements, Σ régions, France) of ``ind`` in its latest year."""
    rows = indicators[indicators["indicator"] == ind]
    rows = rows[rows["year"] == rows["year"].max()]
    deps = rows[rows["level"] == "departement"]
    assert deps["code"].nunique() == 101
    regions = rows[rows["level"] == "region"]["value"].sum()
    france = rows[(rows["level"] == "france") & (rows["code"] == "FR")]["value"]
    return float(deps["value"].sum()), float(regions), float(france.iloc[0])


@pytest.mark.parametrize(
    "ind", ["C01", "O01", "O02", "O09", "O13", "O14", "F01", "F06", "N01", "D05", "D06"]
)
def test_departements_add_up_to_france(indicators: pd.DataFrame, ind: str) -> None:
    deps, _regions, france = _sums(indicators, ind)
    assert deps == pytest.approx(france, rel=1e-9, abs=0.5)


def test_festivals_placed_in_a_region_only_are_not_given_a_departement(
    indicators: pd.DataFrame,
) -> None:
    """A few festivals of the source have a région but no département: they count in their
    région and in France, and in no département (never apportioned, ATLAS_SPEC §8)."""
    deps, regions, france = _sums(indicators, "O10")
    assert regions == france
    assert 0 < france - deps < 0.01 * france


# --- the portraits ---------------------------------------------------------------------------
def test_portraits_have_four_pages_and_proofread_clean(portraits: dict[str, Path]) -> None:
    for code, pdf in portraits.items():
        report = check_pdf(pdf)
        assert report.pages == 4, f"{code}: {report.pages} pages"
        found = [f"p. {f.page} {f.rule}: {f.message}" for f in report.findings]
        assert report.clean, f"{code}: " + "; ".join(found)
        assert set(report.exempt.values()) <= {"notes"}


def _competition_rank(values: pd.Series, code: str) -> tuple[int, int]:
    known = values.dropna()
    return int((known > known[code]).sum()) + 1, len(known)


def test_rank_printed_in_the_rhone_portrait(
    portraits: dict[str, Path], indicators: pd.DataFrame
) -> None:
    """Festivals per 100 000 inhabitants: rank among the 101 départements and among the 12
    of Auvergne-Rhône-Alpes, descending, as printed in the key figures."""
    rows = indicators[
        (indicators["indicator"] == "O10_p100k") & (indicators["level"] == "departement")
    ]
    rows = rows[rows["year"] == rows["year"].max()].set_index("code")["value"]
    territories = pd.read_csv(Paths().data / "territories.csv", dtype=str)
    ara = territories[(territories["level"] == "departement") & (territories["region"] == "84")]
    national, of = _competition_rank(rows, "69")
    regional, of_region = _competition_rank(rows.reindex(ara["code"]), "69")
    assert (of, of_region) == (101, 12)
    text = _text(portraits["69"])
    suffix = {1: "re"}
    line = next(
        ln
        for ln in text.splitlines()
        if ln.strip().startswith("Festivals pour 100 000") and "/101" in ln
    )
    assert f"{national}{suffix.get(national, 'e')}/101" in line
    assert f"{regional}{suffix.get(regional, 'e')}/12" in line
    assert "rang parmi les 101 départements" in " ".join(text.split())
    assert "parmi les 12 départements de la région" in " ".join(text.split())


def test_portrait_text_has_no_leftovers(portraits: dict[str, Path]) -> None:
    for code, pdf in portraits.items():
        text = _text(pdf)
        assert not re.search(r"\b(nan|None|NaN)\b", text), code
        assert "'" not in text, f"{code}: straight apostrophe"
        assert "Portrait culturel" in text or "Portrait culturel comparé" in text
    drom = " ".join(_text(portraits["971"]).split())
    assert "source limitée à la France métropolitaine" in drom  # n.d. explained in the notes
    assert "Les cinq départements d’outre-mer" in drom
    corse = " ".join(_text(portraits["2A"]).split())
    assert "Collectivité de Corse" in corse  # D05 s.o. with its reason
    assert "Corse-du-Sud" in corse and "Haute-Corse (2B)" in corse
