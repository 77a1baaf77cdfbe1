"""Maps, charts and the figure cache (fast: a few seconds)."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reports.content.fmt import NBSP, NNBSP
from reports.data.sources.base import BuildLog
from reports.data.sources.geometry import write_geometries
from reports.data.sources.reference import load_reference
from reports.figures import assets, charts, choropleth, classify, geo, points
from reports.paths import Paths


@pytest.fixture(scope="module")
def geo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sources = Paths().sources
    if not (sources / "geo_france_geojson").is_dir():
        pytest.skip("raw sources not available")
    log = BuildLog(sources)
    out = tmp_path_factory.mktemp("data")
    write_geometries(log, load_reference(log), out)
    return out / "geo"


@pytest.fixture(scope="module")
def deps(geo_dir: Path):
    return geo.load_layers(geo_dir).deps


@pytest.fixture(scope="module")
def values(deps) -> pd.Series:
    rng = np.random.default_rng(7)
    return pd.Series(rng.lognormal(3, 0.6, len(deps)), index=list(deps["code"]))


def test_geometry_files(geo_dir: Path) -> None:
    total = sum(p.stat().st_size for p in geo_dir.glob("*.geojson"))
    assert total <= 3_000_000
    doc = json.loads((geo_dir / "departements.geojson").read_text(encoding="utf-8"))
    assert len(doc["features"]) == 101
    assert set(doc["features"][0]["properties"]) == {"code", "nom"}
    regs = json.loads((geo_dir / "regions.geojson").read_text(encoding="utf-8"))
    assert len(regs["features"]) == 18


def test_jenks_five_classes_matches_mapclassify(values: pd.Series) -> None:
    symmetric = np.log(values.to_numpy())  # not skewed: Jenks on the values themselves
    classes = classify.national_breaks(symmetric)
    assert classes.method == "jenks"
    assert classes.k == 5
    arr = np.sort(symmetric)
    counts = np.diff(np.searchsorted(arr, [-np.inf, *classes.bounds[1:]], side="right"))
    assert (counts > 0).all() and counts.sum() == 101
    assert "Jenks" in classes.note and "101 départements" in classes.note
    mapclassify = pytest.importorskip("mapclassify")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Numba not installed"
        ref = mapclassify.FisherJenks(arr, k=5)
    assert np.allclose(classes.bounds[1:], ref.bins)


def test_skewed_values_are_classified_on_their_logarithms(values: pd.Series) -> None:
    """ATLAS_SPEC §2.7 (revised): one outlier (Paris) must not put most units in one class."""
    skewed = values.copy()
    skewed.iloc[0] = 50 * skewed.max()
    classes = classify.national_breaks(skewed)
    assert classes.method == "jenks-log" and "logarithmes" in classes.note
    arr = np.sort(skewed.to_numpy())
    counts = np.diff(np.searchsorted(arr, [-np.inf, *classes.bounds[1:]], side="right"))
    assert counts.max() <= 0.5 * arr.size and (counts > 0).all()
    assert set(classes.bounds[1:]) <= set(arr)  # upper bounds are values
    zeros = pd.Series(np.r_[np.zeros(30), values.to_numpy()[:71]])
    zclasses = classify.national_breaks(zeros)
    assert zclasses.bounds[:2] == (0.0, 0.0) and classify.class_labels(zclasses, 0)[0] == "0"


def test_circle_scale_fits_the_map() -> None:
    scale = classify.fitted_scale([800.0, 25_000.0, 830_000.0])
    refs = scale.reference_values()
    assert len(refs) == 3 and all(800.0 <= v <= 830_000.0 for v in refs)
    assert refs == sorted(refs, reverse=True)
    assert math.sqrt(scale.area(830_000.0)) == pytest.approx(scale.max_diameter_pt)


def test_fallback_to_quintiles(monkeypatch: pytest.MonkeyPatch, values: pd.Series) -> None:
    # a Jenks result with an empty class (duplicate bound) must fall back to quantiles
    monkeypatch.setattr(classify, "fisher_jenks", lambda x, k: [1.0, 1.0, 2.0, 3.0, float(x[-1])])
    classes = classify.national_breaks(values)
    assert classes.method == "quantiles"
    assert classes.k == 5
    assert list(classes.bounds) == sorted(classes.bounds)


def test_class_labels_french() -> None:
    classes = classify.Classes((1.0, 12.3, 15.0, 1234.5, 2000.0, 3000.25))
    labels = classify.class_labels(classes, decimals=1)
    assert labels[1] == "12,3 – 15,0"
    assert labels[2] == f"15,0 – 1{NNBSP}234,5"
    div = classify.diverging_breaks([-30, -10, 0, 5, 20], center=-2.0)
    assert classify.class_labels(div)[0].startswith("moins de ")
    assert div.k == 5


def _legend_texts(fig) -> list[str]:
    return [t.get_text() for leg in fig.legends for t in leg.get_texts()]


def test_regional_choropleth_svg_with_nd(deps, values: pd.Series) -> None:
    classes = classify.national_breaks(values)
    vals = values.copy()
    vals["69"] = math.nan  # Rhône, in région 84
    fig = choropleth.choropleth_region(
        deps, vals, "84", classes, legend_title="€ par habitant", decimals=1
    )
    texts = _legend_texts(fig)
    assert "n.d." in texts
    assert any(" – " in t and "," in t for t in texts)
    data = assets.figure_bytes(fig, "svg")
    assert data.startswith(b"<?xml") and b"<svg" in data
    assert b"<dc:date>" not in data
    # s.o. départements get their own legend entry
    fig2 = choropleth.choropleth_region(deps, vals, "94", classes, so=["2A"])
    assert "n.d." not in _legend_texts(fig2)
    vals["2A"] = math.nan
    fig3 = choropleth.choropleth_region(deps, vals, "94", classes, so=["2A"])
    assert "s.o." in _legend_texts(fig3)


def test_france_map_with_insets(deps, values: pd.Series) -> None:
    classes = classify.national_breaks(values)
    fig = choropleth.choropleth_france(deps, values, classes, legend_title="hab./km²")
    assert len(fig.axes) == 6  # metropolitan frame + 5 DROM insets
    boxes = [ax.get_position() for ax in fig.axes]
    metro = boxes[0]
    for inset in boxes[1:]:  # insets never overlap the metropolitan frame
        assert inset.x1 <= metro.x0 + 1e-6 or inset.y1 <= metro.y0 + 1e-6
    assert assets.figure_bytes(fig, "svg").count(b"<svg") == 1
    regions = choropleth.choropleth_france(deps, {"84": 1.0, "11": 50.0}, classes, level="region")
    assert "n.d." in _legend_texts(regions)


def test_locator_points_circles(deps) -> None:
    fig = choropleth.locator(deps, "04")
    assert len(fig.axes) == 6
    pts = pd.DataFrame(
        {
            "lon": [55.45, 55.5, np.nan, -52.3],
            "lat": [-20.9, -21.1, np.nan, 4.9],
            "category": ["Musée", "Bibliothèque", "Musée", "Musée"],
            "value": [1000.0, 5000.0, 10.0, 300.0],
        }
    )
    fig = points.points_map(deps, pts, "04", legend_title="Équipements")
    texts = _legend_texts(fig)
    assert f"non localisés{NBSP}: 1" in texts
    assert "Musée (3)" in texts
    circles = points.circles_map(
        deps, pts, None, classify.CircleScale(5000.0), size_title="Entrées"
    )
    assert len(circles.axes) == 6


def test_charts_render() -> None:
    g01 = pd.DataFrame(
        [[45.0, 30.0, 15.0, 10.0], [38.0, 30.0, 22.0, 10.0]],
        index=["Bretagne", "France"],
        columns=["Très dense", "Intermédiaire", "Peu dense", "Très peu dense"],
    )
    g07 = pd.DataFrame(
        {"Bretagne": [95.0, 100.0, np.nan, 104.0], "France": [96.0, 100.0, 60.0, 101.0]},
        index=[2018, 2019, 2020, 2021],
    )
    for fig in (
        charts.stacked_100(g01),
        charts.grouped_bars(pd.DataFrame({"R": [1.0, np.nan], "France": [2.0, 3.0]})),
        charts.index_lines(g07),
        charts.dot_index(pd.Series([120.0, np.nan], index=["Musées", "Écrans"])),
    ):
        assert assets.figure_bytes(fig, "svg").startswith(b"<?xml")


def test_cache_hit_and_deterministic(tmp_path: Path) -> None:
    calls = []
    data = pd.DataFrame({"R": [1.5, 2.5], "France": [2.0, 3.0]}, index=["a", "b"])

    def draw():
        calls.append(1)
        return charts.grouped_bars(data)

    first = assets.figure_asset(("g10", data), draw, fmt="svg", cache_dir=tmp_path)
    second = assets.figure_asset(("g10", data), draw, fmt="svg", cache_dir=tmp_path)
    assert first == second and len(calls) == 1
    other = assets.figure_asset(("g10", data * 2), draw, fmt="svg", cache_dir=tmp_path)
    assert other != first and len(calls) == 2
    svg1 = assets.figure_bytes(charts.grouped_bars(data), "svg")
    svg2 = assets.figure_bytes(charts.grouped_bars(data), "svg")
    assert svg1 == svg2 == first.read_bytes()
    png1 = assets.figure_bytes(charts.grouped_bars(data), "png", dpi=80)
    png2 = assets.figure_bytes(charts.grouped_bars(data), "png", dpi=80)
    assert png1 == png2


def test_maps_are_drawn_at_their_slot_width(deps, values: pd.Series, tmp_path: Path) -> None:
    """A figure keeps the width of its slot when saved (only its height is cropped) and says
    the smallest text it draws (≥ 6.5 pt, DESIGN) in its PNG."""
    from reports.figures import style
    from reports.proof.images import read_png_header

    classes = classify.national_breaks(values)
    half = round(style.slot_width("half") * assets.DEFAULT_DPI)
    full = round(style.slot_width("full") * assets.DEFAULT_DPI)
    figures = {
        "region": (choropleth.choropleth_region(deps, values, "84", classes), half),
        "france": (choropleth.choropleth_france(deps, values, classes), half),
        "chart": (charts.grouped_bars(pd.DataFrame({"R": [1.0], "France": [2.0]})), half),
        "full": (
            choropleth.choropleth_region(
                deps, values, "84", classes, width=style.slot_width("full")
            ),
            full,
        ),
    }
    for name, (fig, width) in figures.items():
        path = tmp_path / f"{name}.png"
        path.write_bytes(assets.figure_bytes(fig, "png"))
        header = read_png_header(path)
        assert header is not None
        assert abs(header.width - width) <= 1, (name, header.width, width)
        assert header.dpi == pytest.approx(assets.DEFAULT_DPI, rel=0.01)
        assert header.min_text_pt is not None and header.min_text_pt >= style.MIN_TEXT, name
