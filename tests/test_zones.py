"""The map zones computed by the data build (``data/geo/zones.xz``): the same polygons the
maps would compute from the GeoJSON files, and ignored when damaged or stale."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import shapely

from reports.data import zones
from reports.figures import geo
from reports.paths import ZONES_FILE, Paths

GEO = Paths().geo


@pytest.fixture(scope="module")
def deps():
    _regions, deps = zones.read_layers(GEO)
    return deps


def _wkb(geoms) -> list[bytes]:
    return list(shapely.to_wkb(list(geoms)))


@pytest.mark.parametrize(("zone", "tolerance"), [("metro", 0.0), ("metro", 800.0), ("973", 400.0)])
def test_stored_zones_are_the_computed_ones(deps, zone: str, tolerance: float) -> None:
    store = zones.ZoneStore.open(GEO)
    assert store is not None, "data/geo/zones.xz missing or stale: rerun `atlas data build`"
    proj = zones.project(deps, zone)
    stored = store.projected(zone)
    assert stored is not None
    assert (stored.codes, stored.names, stored.regions) == (proj.codes, proj.names, proj.regions)
    assert _wkb(stored.geoms) == _wkb(proj.geoms)
    simple, kept = zones.simplify(proj, tolerance), store.simplified(zone, tolerance)
    assert kept is not None
    assert kept.region_codes == simple.region_codes
    assert _wkb(kept.geoms) == _wkb(simple.geoms)
    assert _wkb(kept.region_geoms) == _wkb(simple.region_geoms)
    # every tolerance a map may ask for is stored
    assert all(store.simplified(zone, t) is not None for t in zones.tolerances(zone))


def test_the_maps_use_the_stored_zones() -> None:
    layers = geo.load_layers(GEO)
    key = geo.register_gdf(layers.deps)
    assert key in geo._STORES
    metro = geo.zone_layer(key, "metro", zones.FRANCE_TOLERANCE_M)
    assert len(metro.codes) == 96 and len(metro.region_codes) == 13


def _copy_geo(tmp_path: Path) -> Path:
    out = tmp_path / "geo"
    shutil.copytree(GEO, out)
    return out


def test_damaged_zones_file_is_not_used(tmp_path: Path, caplog) -> None:
    geo_dir = _copy_geo(tmp_path)
    data = bytearray((geo_dir / ZONES_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (geo_dir / ZONES_FILE).write_bytes(bytes(data))
    assert zones.ZoneStore.open(geo_dir) is None
    assert "zones.xz: damaged" in caplog.text
    # the maps then compute the same zones themselves
    for cached in (geo._load_layers_cached, geo.projected, geo.zone_layer):
        cached.cache_clear()
    geo._STORES.clear()
    key = geo.register_gdf(geo.load_layers(geo_dir).deps)
    assert key not in geo._STORES
    computed = geo.zone_layer(key, "metro", 800.0)
    stored = zones.ZoneStore.open(GEO).simplified("metro", 800.0)
    assert _wkb(computed.region_geoms) == _wkb(stored.region_geoms)
    for cached in (geo._load_layers_cached, geo.projected, geo.zone_layer):
        cached.cache_clear()


def test_zones_of_other_geojson_files_are_not_used(tmp_path: Path, caplog) -> None:
    geo_dir = _copy_geo(tmp_path)
    path = geo_dir / "regions.geojson"
    path.write_bytes(path.read_bytes().replace(b'"nom":"Bretagne"', b'"nom":"Breizh"'))
    assert zones.ZoneStore.open(geo_dir) is None
    assert "computed from other GeoJSON files" in caplog.text


def _clear_layer_caches() -> None:
    for cached in (geo._load_layers_cached, geo._stored_layer_cached, geo.projected):
        cached.cache_clear()
    geo.zone_layer.cache_clear()


def test_the_maps_draw_from_the_stored_zones_alone() -> None:
    """The département layer given to the maps is read from zones.xz (no GeoJSON read, no
    geopandas): the same départements and régions as the GeoJSON files, the same maps."""
    from reports.figures import choropleth, classify
    from reports.figures.assets import figure_bytes
    from reports.figures.inputs import departements

    layer = departements(Paths()).load()
    assert isinstance(layer, geo.StoredLayer)
    gdf = geo.load_layers(GEO).deps
    assert dict(zip(layer.codes, layer.regions, strict=True)) == dict(
        zip(gdf["code"], gdf["region"], strict=True)
    )
    assert sorted(geo.layer_codes(layer, "region")) == sorted(gdf["region"].unique())
    values = {c: float(i % 7) for i, c in enumerate(sorted(gdf["code"]))}
    classes = classify.national_breaks(list(values.values()))
    pngs = [
        figure_bytes(choropleth.choropleth_france(d, values, classes, legend_title="x"), "png")
        for d in (layer, gdf)
    ]
    assert pngs[0] == pngs[1]


def test_without_stored_zones_the_layer_is_read_from_the_geojson(tmp_path: Path, caplog) -> None:
    from reports.figures.inputs import Departements

    geo_dir = _copy_geo(tmp_path)
    (geo_dir / ZONES_FILE).write_bytes(b"not xz")
    try:
        layer = Departements(geo_dir).load()
        assert not isinstance(layer, geo.StoredLayer)
        assert len(layer) == 101 and "region" in layer.columns
        assert "zones.xz: damaged" in caplog.text
    finally:
        _clear_layer_caches()
