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
    # the next class starts above zero and says so (not "0 – 23", which overlaps "0")
    assert classify.class_labels(zclasses, 0)[1].startswith("> 0 – ")


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


# --- issue #15: classes that separate each région, named series, zoom insets -------------------
def test_values_differ_and_one_class_groups() -> None:
    """ATLAS_SPEC §2.7: one class over 85 % of a région is a defect only when its values
    differ by more than 25 %."""
    assert not classify.values_differ(0.0, 0.0)
    assert classify.values_differ(0.0, 0.1)
    assert classify.values_differ(1.14, 1.51)  # Bourgogne-Franche-Comté, E01: +32 %
    assert not classify.values_differ(1.20, 1.45)  # +21 %
    assert classify.values_differ(-1.0, 2.0)
    classes = classify.Classes((0.0, 1.0, 2.0, 3.0))
    vals = [0.5, 0.6, 0.9, 0.0, 0.0, 0.0, 0.0, 1.5, 2.5]
    groups = ["A", "A", "A", "B", "B", "B", "B", "C", "C"]
    # A: one class, values differ → a defect; B: one class, equal values → none; C: 2 units
    assert classify.one_class_groups(classes, vals, groups) == ["A"]
    # weights: B's units of unequal areas change nothing, A's mostly in class 0 still
    assert classify.one_class_groups(classes, vals, groups, [1, 1, 8, 1, 1, 1, 1, 1, 1]) == ["A"]


def test_national_classes_separate_every_region() -> None:
    """Natural breaks on the logarithms that leave a région of differing values in one class
    give way to quintiles; the classes stay the same for every région."""
    rng = np.random.default_rng(3)
    others = np.exp(rng.normal(0.4, 0.45, 92))
    region = np.array([1.14, 1.2, 1.226, 1.298, 1.32, 1.395, 1.458, 1.511])
    vals = np.r_[others, region, 7.7]  # one outlier: a skewed distribution
    groups = [f"g{i % 12}" for i in range(92)] + ["R"] * 8 + ["P"]
    plain = classify.national_breaks(vals)
    robust = classify.national_breaks(vals, groups=groups)
    assert classify.one_class_groups(robust, vals, groups) == []
    if classify.one_class_groups(plain, vals, groups):
        assert robust.method != plain.method and robust.note.startswith("Classes nationales")
    assert len({robust.classify(v) for v in region}) >= 2
    with pytest.raises(ValueError):
        classify.national_breaks(vals, groups=groups[:-1])


def test_store_classes_separate_the_regions() -> None:
    """On the committed data: no région of three départements or more has one class over
    85 % of its area while its values differ (ATLAS_SPEC §2.7), for every regional
    choropleth."""
    from reports.data.store import Store
    from reports.figures import draw

    try:
        store = Store()
    except Exception:  # noqa: BLE001 - no data/ in this checkout
        pytest.skip("data/ not available")
    t = store.territories
    region_of = t[t["level"] == "departement"].set_index("code")["region"]
    area = store.level_values("C01", "departement") / store.level_values("C03", "departement")
    for ind in (
        "C03",
        "C04.tres_dense",
        "C05",
        "C07",
        "D01_per_inh",
        "D05_per_inh",
        "D06_per_inh",
        "E01_share",
        "N01_share",
    ):
        vals = store.level_values(ind, "departement").dropna()
        classes = draw.national_classes(store, ind)
        bad = classify.one_class_groups(
            classes,
            list(vals),
            [region_of.get(c, "") for c in vals.index],
            [area.get(c, np.nan) for c in vals.index],
        )
        assert bad == [], (ind, classes.method, bad)
    bfc = store.level_values("E01_share", "departement").reindex(store.departements_of("27"))
    e01 = draw.national_classes(store, "E01_share")
    assert len({e01.classify(v) for v in bfc}) >= 3


def test_alt_text_tells_the_one_class_check_whether_values_differ() -> None:
    from reports.proof.rules import alt_values_differ

    same = (
        "Carte des 8 départements de la région Île-de-France : part de la population hors "
        f"attraction des villes (%). 0,0{NBSP}% partout. Région : 0,0{NBSP}%."
    )
    assert not alt_values_differ(same)
    differ = (
        "Carte des 8 départements de la région Bourgogne-Franche-Comté : part (%). "
        f"De 1,1{NBSP}% (Haute-Saône) à 1,5{NBSP}% (Doubs). Région : 1,4{NBSP}%."
    )
    assert alt_values_differ(differ)
    close = f"Carte … : densité. De 20{NNBSP}000 hab./km² (A) à 21{NNBSP}000 hab./km² (B)."
    assert not alt_values_differ(close)
    assert alt_values_differ("Carte de points de la région Bretagne : festivals.")
    assert alt_values_differ(None)


def test_france_metro_has_its_own_colour_and_every_series_is_named() -> None:
    from reports.figures import style

    cols = charts.series_colors(["France métro.", "DROM", "France"])
    assert cols[0] == style.FRANCE_METRO_COLOR and cols[2] == style.FRANCE_COLOR
    assert len(set(cols)) == 3
    assert charts.series_colors(["Bretagne", "France métro."])[1] == style.FRANCE_METRO_COLOR
    assert style.FRANCE_METRO_COLOR not in charts.series_colors(["R", "a", "b", "c", "d", "e"])
    g04 = pd.DataFrame(
        {"France métro.": [102.0, 100.0], "DROM": [54.0, np.nan]}, index=["Musées", "Écrans"]
    )
    texts = _legend_texts(charts.dot_index(g04))
    assert texts == ["France métro.", "DROM", "France = 100"]
    one = charts.dot_index(pd.Series([120.0, 80.0], index=["Musées", "Écrans"], name="Bretagne"))
    assert _legend_texts(one) == ["Bretagne", "France = 100"]
    bars = charts.grouped_bars(
        pd.DataFrame({"France métro.": [1.0, 2.0], "DROM": [2.0, 1.0], "France": [1.1, 1.9]}),
        horizontal=True,
    )
    assert _legend_texts(bars) == ["France métro.", "DROM", "France"]
    lines = charts.index_lines(
        pd.DataFrame({"France métro.": [98.0, 100.0], "France": [98.0, 100.0]}, index=[2018, 2019])
    )
    colours = {line.get_label(): line.get_color() for line in lines.axes[0].get_lines()}
    assert colours["France métro."] != colours["France"]


def test_dense_city_gets_a_zoom_inset(deps) -> None:
    """DESIGN: Paris gets a zoom inset on the point maps of Île-de-France, in a corner that
    hides few points; a région without a dense city gets none."""
    rng = np.random.default_rng(5)
    paris = pd.DataFrame(
        {"lon": rng.uniform(2.25, 2.42, 200), "lat": rng.uniform(48.82, 48.90, 200)}
    )
    rest = pd.DataFrame({"lon": rng.uniform(1.7, 3.4, 60), "lat": rng.uniform(48.2, 49.1, 60)})
    pts = pd.concat([paris, rest], ignore_index=True).assign(category="Musée")
    fig = points.points_map(deps, pts, "11", legend_title="Équipements")
    assert len(fig.axes) == 2
    main, zoom = (ax.get_position() for ax in fig.axes)
    assert main.x0 - 1e-6 <= zoom.x0 and zoom.x1 <= main.x1 + 1e-6
    assert main.y0 - 1e-6 <= zoom.y0 and zoom.y1 <= main.y1 + 1e-6
    assert "Paris et petite couronne" in [t.get_text() for t in fig.axes[1].texts]
    bzh = pd.DataFrame({"lon": [-3.0, -2.5], "lat": [48.0, 48.2], "category": ["Musée"] * 2})
    assert len(points.points_map(deps, bzh, "53").axes) == 1
    few = pts.iloc[:10]  # ten points: no zoom
    assert len(points.points_map(deps, few, "11").axes) == 1


def test_map_axes_make_no_ticks_and_draw_as_plain_axes(deps) -> None:
    """The map frames' axes skip the ticks matplotlib makes in every axes (half the cost of
    a France map's six axes) and draw the same pixels as plain axes, spines included."""
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from reports.figures import frames

    def drawn(axes_class: type[Axes]) -> tuple[bytes, Axes]:
        fig = Figure(figsize=(2, 2))
        ax = fig.add_axes((0.1, 0.1, 0.8, 0.8), axes_class=axes_class)
        ax.xaxis.set_visible(False)
        ax.yaxis.set_visible(False)
        ax.set_xlim(0, 10)
        ax.set_ylim(0, 10)
        ax.plot([1, 9], [2, 8])
        for spine in ax.spines.values():
            spine.set_linewidth(0.5)
        return assets.figure_bytes(fig, "png"), ax

    plain, _ = drawn(Axes)
    mapped, ax = drawn(frames.MapAxes)
    assert mapped == plain
    assert "majorTicks" not in vars(ax.xaxis) and "minorTicks" not in vars(ax.yaxis)
