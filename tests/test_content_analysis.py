"""Analysis text (reports.content.analysis) against a tiny hand-made data directory."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from reports.content import fmt
from reports.content.analysis import SECTIONS, analyse
from reports.content.present import format_value
from reports.content.wording import gap_wording, rank_wording
from reports.data.store import Store
from reports.paths import Paths

REGIONS = {  # code: (name, zone, départements)
    "84": ("Auvergne-Rhône-Alpes", "metro", {"01": "Ain", "69": "Rhône"}),
    "53": ("Bretagne", "metro", {"29": "Finistère", "35": "Ille-et-Vilaine"}),
    "94": ("Corse", "metro", {"2A": "Corse-du-Sud", "2B": "Haute-Corse"}),
    "01": ("Guadeloupe", "drom", {"971": "Guadeloupe"}),
    "06": ("Mayotte", "drom", {"976": "Mayotte"}),
}
METRO = ["84", "53", "94"]
DROM = ["01", "06"]
SOURCE_METRO = "source limitée à la France métropolitaine"

# id: (unit, decimals, scope, default value, {code: value or None (n.d.)}, years)
META: dict[str, tuple[str, int, str, float, dict[str, float | None], tuple[int, ...]]] = {
    "C01": (
        "hab.",
        0,
        "all",
        1_000_000,
        {
            "84": 8_042_936,
            "53": 3_354_854,
            "94": 344_679,
            "01": 384_239,
            "06": 256_518,
            "FR": 12_383_226,
            "FRM": 11_742_469,
            "DROM": 640_757,
        },
        (2018,),
    ),
    "C03": (
        "hab./km²",
        1,
        "all",
        100.0,
        {"84": 115.04, "53": 123.3, "94": 39.7, "06": None, "FR": 105.1},
        (2018,),
    ),
    "C05": ("%", 1, "all", 33.0, {"84": 40.0, "FR": 33.0}, (2020,)),
    "C07": ("%", 1, "all", 7.0, {"84": 5.0}, (2020,)),
    "C13": ("communes", 0, "all", 10, {"FR": 50, "94": 2, "06": 0}, (2021,)),
    "O01": ("musées", 0, "all", 50, {"FR": 250}, (2025,)),
    "O01_p100k": (
        "pour 100 000 hab.",
        1,
        "all",
        2.0,
        {"84": 2.4, "53": 2.4, "94": 3.1, "FR": 2.0},
        (2018,),
    ),
    "O02": ("bibliothèques", 0, "all", 500, {"FR": 2500}, (2020,)),
    "O02_p100k": ("pour 100 000 hab.", 1, "all", 20.0, {}, (2020,)),
    "O04D": (
        "cinémas",
        0,
        "drom",
        6,
        {"06": 0, **{c: None for c in METRO}, "FRM": None, "FR": None, "DROM": 6},
        (2019,),
    ),
    "O04D_salles": (
        "salles",
        0,
        "drom",
        12,
        {"06": 0, **{c: None for c in METRO}, "FRM": None, "FR": None, "DROM": 12},
        (2019,),
    ),
    "O05": ("écrans", 0, "metro", 300, {"FR": None, "FRM": 900}, (2022,)),
    "O05_p100k": (
        "pour 100 000 hab.",
        1,
        "metro",
        9.5,
        {"FR": None, "FRM": 9.5, "94": 12.0},
        (2022,),
    ),
    "O07": ("%", 1, "metro", 61.3, {"FR": None, "53": 70.0}, (2022,)),
    "O10": ("festivals", 0, "all", 300, {"FR": 1500}, (2019,)),
    "O10_p100k": ("pour 100 000 hab.", 1, "all", 10.8, {}, (2019,)),
    "O11.musique": ("%", 1, "all", 45.0, {}, (2019,)),
    "O11.theatre": ("%", 1, "all", 20.0, {"94": 50.0}, (2019,)),
    "O12": ("%", 1, "all", 50.0, {}, (2019,)),
    "O13": ("jardins", 0, "all", 20, {"FR": 100, "01": 0, "06": 0}, (2023,)),
    "O14": ("SPR", 0, "all", 40, {"FR": 200, "06": 0}, (2023,)),
    "F01": ("entrées", 0, "all", 5_000_000, {"FR": 25_000_000}, (2019, 2020, 2023)),
    "F03": ("%", 1, "all", 4.6, {"84": -3.25, "94": 12.0}, (2023,)),
    "F04": ("indice", 1, "all", 36.1, {}, (2019, 2020, 2023)),
    "F05": ("%", 1, "all", 45.1, {}, (2023,)),
    "F09": ("entrées/hab.", 2, "metro", 2.3, {"FR": None, "FRM": 2.3}, (2022,)),
    "F11": ("écrans", 0, "metro", 400, {"FR": None, "FRM": 1200}, (2003, 2022, 2023)),
    "D01": ("€", 1, "all", 400_000_000, {"FR": 2_000_000_000}, (2019,)),
    "D01_per_inh": ("€/hab.", 2, "all", 57.05, {"84": 70.0}, (2019,)),
    "D03_per_inh": ("€/hab.", 2, "all", 11.5, {"06": None}, (2019,)),
    "D05_per_inh": ("€/hab.", 2, "all", 14.9, {"94": None}, (2019,)),
    "D06_per_inh": ("€/hab.", 2, "all", 127.52, {}, (2019,)),
    "D09_per_inh": ("€/hab.", 2, "all", 36.3, {}, (2019,)),
    "D07": ("%", 1, "all", 20.0, {}, (2019,)),
    "D08.musique": ("%", 1, "all", 30.0, {}, (2019,)),
    "D08.patrimoine": ("%", 1, "all", 20.0, {}, (2019,)),
    "E01": ("actifs", 0, "all", 20_000, {}, (2018,)),
    "E01_share": ("%", 2, "all", 2.3, {"84": 2.3, "53": 2.3, "94": 1.5}, (2018,)),
    "E02_share": ("%", 2, "all", 2.59, {}, (2018,)),
    "N01": ("entreprises", 0, "all", 2_000, {"06": None}, (2018,)),
    "N01_share": ("%", 2, "all", 3.23, {"06": None, "53": 4.0}, (2018,)),
    "N02_share": ("%", 2, "all", 2.78, {"06": None}, (2018,)),
}
LABELS = {
    "O11.musique": "Festivals par discipline : Musique",
    "O11.theatre": "Festivals par discipline : Théâtre",
    "D08.musique": "Dépenses des communes par secteur : Expression musicale",
    "D08.patrimoine": "Dépenses des communes par secteur : Patrimoine",
}


def _territories() -> list[dict[str, str]]:
    rows = []
    for order, (code, (name, zone, deps)) in enumerate(REGIONS.items()):
        rows.append(
            dict(
                level="region",
                code=code,
                name=name,
                slug=name.lower(),
                region=code,
                zone=zone,
                order=str(order),
            )
        )
        for d, dname in deps.items():
            rows.append(
                dict(
                    level="departement",
                    code=d,
                    name=dname,
                    slug=dname.lower(),
                    region=code,
                    zone=zone,
                    order="",
                )
            )
    for code, name in [("FR", "France"), ("FRM", "France métropolitaine"), ("DROM", "DROM")]:
        rows.append(
            dict(
                level="france",
                code=code,
                name=name,
                slug=code.lower(),
                region="",
                zone="",
                order="",
            )
        )
    return rows


def _value_of(ind: str, code: str, scope: str, default: float, over: dict) -> float | None:
    if code in over:
        return over[code]
    drom = code in DROM or code in {"971", "976", "DROM"}
    if scope == "metro" and drom:
        return None
    if scope == "drom" and not drom:
        return None
    return default


def _ranks(values: dict[str, float | None]) -> dict[str, tuple[int, int]]:
    known = {c: v for c, v in values.items() if v is not None}
    return {c: (1 + sum(1 for w in known.values() if w > v), len(known)) for c, v in known.items()}


def _indicator_rows() -> list[dict[str, object]]:
    deps = {d: r for r, (_, _, ds) in REGIONS.items() for d in ds}
    rows: list[dict[str, object]] = []
    for ind, (_, _, scope, default, over, years) in META.items():
        for year in years:
            scale = 1.0 if year == years[-1] else 0.9
            reg = {c: _value_of(ind, c, scope, default, over) for c in REGIONS}
            reg = {c: None if v is None else v * scale for c, v in reg.items()}
            for code, v in reg.items():
                rank = _ranks(reg).get(code, ("", ""))
                rows.append(_row(ind, "region", code, year, v, scope, rank))
            for code in ("FR", "FRM", "DROM"):
                v = _value_of(ind, code, scope, default, over)
                rows.append(_row(ind, "france", code, year, v and v * scale, scope, ("", "")))
            for i, (d, r) in enumerate(sorted(deps.items())):
                v = reg[r]
                v = None if v is None else v * (1 + i / 10)
                rows.append(_row(ind, "departement", d, year, v, scope, ("", "")))
    return rows


def _row(ind, level, code, year, v, scope, rank) -> dict[str, object]:
    status = "" if v is not None else "nd"
    note = "" if v is not None else (SOURCE_METRO if scope == "metro" else "donnée absente")
    return dict(
        indicator=ind,
        level=level,
        code=code,
        year=year,
        value="" if v is None else repr(float(v)),
        status=status,
        note=note,
        rank=rank[0],
        rank_of=rank[1],
    )


def _write(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return make_store(tmp_path_factory.mktemp("data"))


def make_store(d: Path) -> Store:
    """Write the tiny data directory into ``d`` and open it."""
    _write(d / "indicators.csv", _indicator_rows())
    meta = [
        dict(
            id=i,
            theme="t",
            label=LABELS.get(i, f"Libellé {i}"),
            definition="",
            unit=u,
            decimals=dec,
            source="",
            vintage="≈2019" if i.startswith("O04D") else "",
            licence="",
            scope=s,
            additive="",
        )
        for i, (u, dec, s, *_rest) in META.items()
    ]
    _write(d / "indicator_meta.csv", meta)
    _write(d / "territories.csv", _territories())
    museums = [
        dict(
            museofile="M1",
            name="Musée des Confluences",
            ville="Lyon",
            commune="69123",
            departement="69",
            region="84",
            entries_base=800000,
            entries_last=1_000_000,
            lon=4.8,
            lat=45.7,
        ),
        dict(
            museofile="M2",
            name="Petit musée",
            ville="Bourg",
            commune="01053",
            departement="01",
            region="84",
            entries_base=100,
            entries_last=200,
            lon=5.2,
            lat=46.2,
        ),
    ]
    _write(d / "museums.csv", museums)
    zones = [
        dict(
            code="8401",
            name="Lyon",
            region="84",
            interregional="False",
            E01=9000,
            E01_actifs=300000,
            E01_share=3.0,
            E02=1,
            E02_share=1.0,
        ),
        dict(
            code="0001",
            name="Genevois français",
            region="84",
            interregional="True",
            E01=100,
            E01_actifs=1000,
            E01_share=10.0,
            E02=1,
            E02_share=1.0,
        ),
    ]
    _write(d / "zones_emploi.csv", zones)
    return Store(Paths(data_override=d))


def _text(a) -> str:
    """Paragraphs joined, no-break spaces shown as plain spaces for readable assertions."""
    return " ".join(a.paragraphs).replace(fmt.NBSP, " ")


def _fv(store: Store, ind: str, level: str, code: str) -> str:
    return format_value(store, store.get(ind, level, code)).replace(fmt.NBSP, " ")


# --- wording ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("region", "france", "feminine", "expected"),
    [
        (100, 100, False, "proche de la moyenne nationale"),
        (105, 100, False, "proche de la moyenne nationale"),
        (95, 100, True, "proche de la moyenne nationale"),
        (105.01, 100, False, "supérieur à la moyenne nationale"),
        (94.99, 100, True, "inférieure à la moyenne nationale"),
        (120, 100, True, "supérieure à la moyenne nationale"),
        (80, 100, False, "inférieur à la moyenne nationale"),
        (120.01, 100, False, "nettement supérieur à la moyenne nationale"),
        (79.99, 100, True, "nettement inférieure à la moyenne nationale"),
        (2.415, 2.3, True, "proche de la moyenne nationale"),  # 2.415/2.3 = 1.05 exactly
    ],
)
def test_gap_wording_thresholds(region, france, feminine, expected):
    assert gap_wording(region, france, feminine) == expected


def test_gap_wording_reference_metro():
    text = gap_wording(3, 2, False, "la moyenne de la France métropolitaine")
    assert text == "nettement supérieur à la moyenne de la France métropolitaine"


def test_rank_wording():
    assert rank_wording(1, 18) == "1re sur 18 régions renseignées"
    assert rank_wording(3, 18) == "3e sur 18 régions renseignées"
    assert rank_wording(2, 13, tied=True) == "2e ex aequo sur 13 régions renseignées"


def test_rank_in_text_and_ties(store):
    text = _text(analyse("contexte", store, "84"))
    assert "1re sur 5 régions renseignées" in text
    # 84 and 53 share the O01 per-100k value 2.4 → same rank, written "ex aequo".
    offre = _text(analyse("offre", store, "53"))
    assert "2e ex aequo sur 5 régions renseignées" in offre
    emploi = _text(analyse("emploi", store, "84"))
    assert "ex aequo sur 5 régions renseignées" in emploi


# --- numbers ---------------------------------------------------------------------------
def test_numbers_are_table_strings(store):
    text = _text(analyse("contexte", store, "84"))
    for ind in ("C01", "C03", "C05", "C07"):
        assert _fv(store, ind, "region", "84") in text
    assert _fv(store, "C03", "france", "FR") in text
    assert "115,0 habitants par km²" in text
    assert "nettement supérieure à la moyenne nationale" in text  # C05 40 vs 33


def test_changes_are_signed(store):
    text = _text(analyse("frequentation", store, "84"))
    assert f"{fmt.MINUS}3,3 %" in text  # half-up rounding of −3.25
    assert "+4,6 %" in text
    assert "« Musée des Confluences » (Lyon)" in text


def test_spending_text(store):
    a = analyse("depenses", store, "84")
    text = _text(a)
    assert "70,00 € par habitant" in text
    assert "nettement supérieur à la moyenne nationale (57,05 €)" in text
    assert "« Expression musicale »" in text
    # the highest level named, its amount (the sentence before) not said again
    assert "la plus élevée de la région Auvergne-Rhône-Alpes est celle des communes" in text
    assert "3 500 habitants (127,52 €" not in text


# --- missing values --------------------------------------------------------------------
def test_nd_sentence_dropped_with_note(store):
    a = analyse("contexte", store, "06")
    text = _text(a)
    assert "densité" not in text
    assert any("Libellé C03" in n and "n.d." in n for n in a.nd_notes)
    assert "Aucune commune" in text


def test_so_region_spending_dropped(store):
    a = analyse("depenses", store, "94")
    assert "des départements atteignent" not in _text(a)
    assert len(a.nd_notes) == 1


def test_mayotte_enterprises_one_nd_sentence(store):
    a = analyse("entreprises", store, "06")
    assert len(a.paragraphs) == 1
    assert a.paragraphs[0].count(".") >= 1 and "ne sont pas disponibles" in a.paragraphs[0]
    assert "région Mayotte" in a.paragraphs[0]
    assert a.nd_notes


def test_drom_cinema(store):
    a = analyse("cinema", store, "01")
    assert len(a.paragraphs) == 1
    assert "France métropolitaine" in a.paragraphs[0]
    offre = _text(analyse("offre", store, "01"))
    assert "millésime ≈2019" in offre and "6 cinémas totalisant 12 salles" in offre
    assert "écrans" not in offre
    assert "aucun cinéma" in _text(analyse("offre", store, "06"))


def test_true_zero_counts(store):
    assert "mais aucun jardin remarquable." in _text(analyse("offre", store, "01"))
    mayotte = _text(analyse("offre", store, "06"))
    assert "ne compte aucun jardin remarquable ni site patrimonial remarquable." in mayotte
    assert "20 jardins remarquables (20,0 % du total national)" in _text(
        analyse("offre", store, "84")
    )


def test_metro_comparisons_say_so(store):
    text = _text(analyse("cinema", store, "53"))
    assert "la moyenne de la France métropolitaine" in text
    assert "pour la France métropolitaine" in text
    offre = _text(analyse("offre", store, "94"))
    assert "écrans de cinéma" in offre and "de la France métropolitaine" in offre


# --- France ----------------------------------------------------------------------------
def test_france_names_min_max(store):
    text = _text(analyse("contexte", store, "FR"))
    assert "régions renseignées" not in text
    assert "vont de 256" in text and "(Mayotte)" in text and "(Auvergne-Rhône-Alpes)" in text
    assert "en France métropolitaine" in text and "dans les DROM" in text
    offre = _text(analyse("offre", store, "FR"))
    assert "(Corse)" in offre
    cinema = _text(analyse("cinema", store, "FR"))
    assert "les cinémas en France métropolitaine" in cinema
    assert "(Guadeloupe)" not in cinema  # metro-only: DROM are not in the min/max
    spending = _text(analyse("depenses", store, "FR"))
    assert "(Auvergne-Rhône-Alpes)" in spending  # highest D01 per inhabitant


@pytest.mark.parametrize("code", [*REGIONS, "FR"])
@pytest.mark.parametrize("section", SECTIONS)
def test_every_section_runs(store, section, code):
    a = analyse(section, store, code)
    assert a.paragraphs
    for p in a.paragraphs:
        assert not re.search(r"\b(nan|None|inf)\b", p)
        assert 1 <= p.count(". ") + 1 <= 6


def test_unknown_section(store):
    with pytest.raises(ValueError):
        analyse("musique", store, "84")
