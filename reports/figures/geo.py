"""Geometry layers of the maps: the départements (with their région) projected and simplified
per zone (:mod:`reports.data.zones`) and turned into cached matplotlib paths, ready to draw.

Projection choice. Geometries are drawn in each zone's CRS (see :mod:`reports.data.zones`) on
plain matplotlib axes (``aspect="equal"``), not on cartopy GeoAxes: we only draw our own
polygons and points (no Natural Earth features, no graticule), so GeoAxes would add a
per-draw path transformation and a heavier import for nothing.

The projected and simplified polygons come from ``data/geo/zones.xz`` (written by ``atlas
data build`` from the same GeoJSON files) when it matches them, else are computed here with
the same functions; either way they are turned into matplotlib ``Path`` objects once and
cached per process (:func:`zone_layer`, keyed by a fingerprint of the input GeoDataFrame), so
a map costs only the drawing.

Departement GeoDataFrames need a ``region`` column: use :func:`load_layers` (reads
``data/geo``) or :func:`with_regions`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import numpy as np
import shapely
import shapely.ops  # polylabel (not imported by ``import shapely``)
from matplotlib.path import Path as MplPath
from pyproj import Transformer

from reports.data import zones
from reports.data.zones import (  # noqa: F401  (re-exported for the figures)
    DROM_DEPS,
    DROM_EPSG,
    FRANCE_TOLERANCE_M,
    METRO_EPSG,
    TOLERANCE_LEVELS_M,
    with_regions,
)
from reports.paths import geo_files

if TYPE_CHECKING:
    import geopandas as gpd

REGION_OF_DROM = {"01": "971", "02": "972", "03": "973", "04": "974", "06": "976"}
DROM_NAMES = {
    "971": "Guadeloupe",
    "972": "Martinique",
    "973": "Guyane",
    "974": "La Réunion",
    "976": "Mayotte",
}


# --- geometry layers ---------------------------------------------------------------------
@cache
def _load_layers_cached(geo_dir: str, mtimes: tuple[float, ...]) -> GeoLayers:
    regions, deps = zones.read_layers(Path(geo_dir))
    store = zones.ZoneStore.open(Path(geo_dir))
    if store is not None:  # its zones were computed from these files
        _STORES[register_gdf(deps)] = store
    return GeoLayers(regions=regions, deps=deps)


@dataclass(frozen=True)
class GeoLayers:
    regions: gpd.GeoDataFrame
    deps: gpd.GeoDataFrame  # with a ``region`` column


def load_layers(geo_dir: Path) -> GeoLayers:
    """Read ``regions.geojson`` / ``departements.geojson`` (and the zones computed from them,
    ``zones.xz``) once per process (per mtime)."""
    mtimes = tuple(f.stat().st_mtime for f in geo_files(Path(geo_dir)))
    return _load_layers_cached(str(Path(geo_dir).resolve()), mtimes)


@dataclass(frozen=True)
class StoredLayer:
    """The département layer as the maps use it, from ``data/geo/zones.xz`` alone: what a
    GeoDataFrame of the layer gives them (its zones, its codes and régions) without reading
    the GeoJSON files or importing geopandas (0.15 s of CPU before the first map)."""

    key: str
    codes: tuple[str, ...]
    regions: tuple[str, ...]
    store: zones.ZoneStore = field(repr=False, compare=False)


#: what the map functions take: the GeoDataFrame (with ``region``), or the stored zones
DepLayer: TypeAlias = "gpd.GeoDataFrame | StoredLayer"


def stored_layer(geo_dir: Path) -> StoredLayer | None:
    """The layer of ``geo_dir`` from its stored zones, once per process (per mtime); None
    when ``zones.xz`` is missing, damaged, of another format or lacks a zone (the maps then
    read the GeoJSON files: :func:`load_layers`)."""
    mtimes = tuple(f.stat().st_mtime for f in geo_files(Path(geo_dir)))
    return _stored_layer_cached(str(Path(geo_dir).resolve()), mtimes)


@cache
def _stored_layer_cached(geo_dir: str, mtimes: tuple[float, ...]) -> StoredLayer | None:
    store = zones.ZoneStore.open(Path(geo_dir))
    parts = [store.projected(z) for z in zones.ZONES] if store is not None else [None]
    if store is None or any(part is None for part in parts):
        return None
    sources = json.dumps(store.header["sources"], sort_keys=True).encode()
    key = "zones:" + hashlib.sha1(sources).hexdigest()
    codes = tuple(c for part in parts if part for c in part.codes)
    regions = tuple(r for part in parts if part for r in part.regions)
    return StoredLayer(key, codes, regions, store)


def layer_codes(layer: DepLayer, level: str = "departement") -> list[str]:
    """The codes of the layer's départements, or of their régions (``level="region"``)."""
    if isinstance(layer, StoredLayer):
        return list(dict.fromkeys(layer.regions if level == "region" else layer.codes))
    return list(layer["region"].unique()) if level == "region" else list(layer["code"])


def _fingerprint(gdf: gpd.GeoDataFrame) -> str:
    h = hashlib.sha1()
    for col in ("code", "region"):
        if col in gdf.columns:
            h.update("|".join(map(str, gdf[col])).encode())
    for wkb in shapely.to_wkb(gdf.geometry.values):
        h.update(wkb)
    return h.hexdigest()


@dataclass
class Layer:
    """Polygons of one zone in one CRS, ready to draw."""

    codes: list[str]
    names: list[str]
    regions: list[str]
    geoms: list[shapely.Geometry]
    paths: list[MplPath]
    region_codes: list[str] = field(default_factory=list)
    region_geoms: list[shapely.Geometry] = field(default_factory=list)
    region_paths: list[MplPath] = field(default_factory=list)

    def bounds(self, codes: Iterable[str]) -> tuple[float, float, float, float]:
        return zones.bounds_of(self.codes, self.geoms, codes)


def polygon_path(geom: shapely.Geometry) -> MplPath:
    """Compound path; exteriors counter-clockwise, holes clockwise (non-zero fill)."""
    geom = shapely.orient_polygons(geom, exterior_cw=False)
    verts: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for poly in shapely.get_parts(geom):
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)[:, :2]
            c = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
            c[0] = MplPath.MOVETO
            c[-1] = MplPath.CLOSEPOLY
            verts.append(xy)
            codes.append(c)
    if not verts:
        return MplPath(np.zeros((0, 2)))
    return MplPath(np.concatenate(verts), np.concatenate(codes))


_GDF_REGISTRY: dict[str, gpd.GeoDataFrame] = {}
_STORES: dict[str, zones.ZoneStore] = {}  # fingerprint → zones computed by the data build


def register_gdf(gdf: DepLayer) -> str:
    """The key of the layer in this process's caches of zones and paths."""
    if isinstance(gdf, StoredLayer):
        _STORES.setdefault(gdf.key, gdf.store)
        return gdf.key
    if "region" not in gdf.columns:
        raise ValueError(
            "département layer lacks a 'region' column: use geo.load_layers(paths.geo) "
            "or geo.with_regions(deps, regions)"
        )
    key = _fingerprint(gdf)
    _GDF_REGISTRY.setdefault(key, gdf)
    return key


@cache
def projected(key: str, zone: str) -> zones.Projected:
    """``zone`` = ``metro`` or a DROM département code, in its CRS (not simplified)."""
    store = _STORES.get(key)
    stored = store.projected(zone) if store is not None else None
    return stored or zones.project(_GDF_REGISTRY[key], zone)


@cache
def zone_layer(key: str, zone: str, tolerance: float) -> Layer:
    proj = projected(key, zone)
    store = _STORES.get(key)
    simple = store.simplified(zone, tolerance) if store is not None else None
    simple = simple or zones.simplify(proj, tolerance)
    return Layer(
        codes=list(proj.codes),
        names=list(proj.names),
        regions=list(proj.regions),
        geoms=list(simple.geoms),
        paths=[polygon_path(g) for g in simple.geoms],
        region_codes=list(simple.region_codes),
        region_geoms=list(simple.region_geoms),
        region_paths=[polygon_path(g) for g in simple.region_geoms],
    )


@cache
def label_point(key: str, zone: str, tolerance: float, code: str) -> tuple[float, float]:
    layer = zone_layer(key, zone, tolerance)
    geom = layer.geoms[layer.codes.index(code)]
    parts = sorted(shapely.get_parts(geom), key=lambda p: -p.area)
    biggest = parts[0]
    tol = math.sqrt(biggest.area) / 50
    pt = shapely.ops.polylabel(biggest, tolerance=tol) if tol > 0 else biggest.centroid
    return (pt.x, pt.y)


# --- projection of points ----------------------------------------------------------------
@cache
def _transformer(epsg: int) -> Transformer:
    return Transformer.from_crs(4326, epsg, always_xy=True)


def project_lonlat(lon: np.ndarray, lat: np.ndarray, epsg: int) -> tuple[np.ndarray, np.ndarray]:
    return _transformer(epsg).transform(np.asarray(lon, float), np.asarray(lat, float))
