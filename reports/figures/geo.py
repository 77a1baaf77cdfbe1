"""Geometry layers of the maps: the départements (with their région) projected once per
process and turned into cached matplotlib paths, ready to draw.

Projection choice. Geometries are reprojected once per process with pyproj/shapely and drawn
on plain matplotlib axes (``aspect="equal"``), not on cartopy GeoAxes: we only draw our own
polygons and points (no Natural Earth features, no graticule), so GeoAxes would add a
per-draw path transformation and a heavier import for nothing. The CRSs are the ones
cartopy would use:

* metropolitan France: Lambert-93 (EPSG:2154);
* each DROM in its own UTM zone: 971 and 972 UTM 20N (EPSG:32620), 973 UTM 22N (32622),
  974 UTM 40S (32740), 976 UTM 38S (32738) — true shape, each inset with its own scale bar.

Projected polygons are turned into matplotlib ``Path`` objects once and cached per process
(:func:`zone_layer`, keyed by a fingerprint of the input GeoDataFrame), so a map costs only the
drawing. France-scale frames use a coarser coverage simplification (borders stay shared).

Departement GeoDataFrames need a ``region`` column: use :func:`load_layers` (reads
``data/geo``) or :func:`with_regions`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.path import Path as MplPath
from pyproj import Transformer

METRO_EPSG = 2154
DROM_EPSG = {"971": 32620, "972": 32620, "973": 32622, "974": 32740, "976": 32738}
DROM_DEPS = ["971", "972", "973", "974", "976"]
REGION_OF_DROM = {"01": "971", "02": "972", "03": "973", "04": "974", "06": "976"}
DROM_NAMES = {
    "971": "Guadeloupe",
    "972": "Martinique",
    "973": "Guyane",
    "974": "La Réunion",
    "976": "Mayotte",
}
FRANCE_TOLERANCE_M = 1500.0  # extra simplification for France-scale frames
TOLERANCE_LEVELS_M = (0.0, 100.0, 200.0, 400.0, 800.0, 1600.0)  # regional frames: ≤ 0.5 pt


# --- geometry layers ---------------------------------------------------------------------
def with_regions(gdf_deps: gpd.GeoDataFrame, gdf_regions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add a ``region`` column to the départements (representative point in région)."""
    pts = gpd.GeoDataFrame(
        {"code": gdf_deps["code"].values},
        geometry=gdf_deps.geometry.representative_point().values,
        crs=gdf_deps.crs,
    )
    joined = gpd.sjoin(pts, gdf_regions[["code", "geometry"]], predicate="within", how="left")
    joined = joined.drop_duplicates("code_left").set_index("code_left")["code_right"]
    out = gdf_deps.copy()
    out["region"] = out["code"].map(joined)
    if out["region"].isna().any():
        missing = list(out.loc[out["region"].isna(), "code"])
        raise ValueError(f"départements outside every région: {missing}")
    return out


@cache
def _load_layers_cached(geo_dir: str, mtimes: tuple[float, float]) -> GeoLayers:
    regions = gpd.read_file(Path(geo_dir) / "regions.geojson")
    deps = gpd.read_file(Path(geo_dir) / "departements.geojson")
    return GeoLayers(regions=regions, deps=with_regions(deps, regions))


@dataclass(frozen=True)
class GeoLayers:
    regions: gpd.GeoDataFrame
    deps: gpd.GeoDataFrame  # with a ``region`` column


def load_layers(geo_dir: Path) -> GeoLayers:
    """Read ``regions.geojson`` / ``departements.geojson`` once per process (per mtime)."""
    files = [Path(geo_dir) / "regions.geojson", Path(geo_dir) / "departements.geojson"]
    mtimes = (files[0].stat().st_mtime, files[1].stat().st_mtime)
    return _load_layers_cached(str(Path(geo_dir).resolve()), mtimes)


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
        wanted = set(codes)
        sel = [g for c, g in zip(self.codes, self.geoms, strict=True) if c in wanted]
        return tuple(shapely.total_bounds(sel))  # type: ignore[return-value]


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


def register_gdf(gdf: gpd.GeoDataFrame) -> str:
    if "region" not in gdf.columns:
        raise ValueError(
            "département layer lacks a 'region' column: use geo.load_layers(paths.geo) "
            "or geo.with_regions(deps, regions)"
        )
    key = _fingerprint(gdf)
    _GDF_REGISTRY.setdefault(key, gdf)
    return key


@dataclass(frozen=True)
class _Projected:
    codes: tuple[str, ...]
    names: tuple[str, ...]
    regions: tuple[str, ...]
    geoms: tuple[shapely.Geometry, ...]

    def bounds(self, codes: Iterable[str]) -> tuple[float, float, float, float]:
        wanted = set(codes)
        sel = [g for c, g in zip(self.codes, self.geoms, strict=True) if c in wanted]
        return tuple(shapely.total_bounds(sel))  # type: ignore[return-value]


@cache
def projected(key: str, zone: str) -> _Projected:
    """``zone`` = ``metro`` or a DROM département code, in its CRS (not simplified)."""
    gdf = _GDF_REGISTRY[key]
    if zone == "metro":
        sub, epsg = gdf[~gdf["code"].isin(DROM_DEPS)], METRO_EPSG
    else:
        sub, epsg = gdf[gdf["code"] == zone], DROM_EPSG[zone]
    sub = sub.sort_values("code")
    geoms = shapely.make_valid(sub.geometry.to_crs(epsg).values)
    return _Projected(tuple(sub["code"]), tuple(sub["nom"]), tuple(sub["region"]), tuple(geoms))


def _union(parts: list[shapely.Geometry]) -> shapely.Geometry:
    merged = shapely.coverage_union_all(parts)
    return merged if merged.is_valid else shapely.union_all(parts)


@cache
def zone_layer(key: str, zone: str, tolerance: float) -> Layer:
    proj = projected(key, zone)
    geoms = np.asarray(proj.geoms, dtype=object)
    if tolerance > 0:
        geoms = shapely.make_valid(shapely.coverage_simplify(geoms, tolerance))
    regions = list(proj.regions)
    layer = Layer(
        codes=list(proj.codes),
        names=list(proj.names),
        regions=regions,
        geoms=list(geoms),
        paths=[polygon_path(g) for g in geoms],
    )
    for reg in sorted(set(regions)):
        merged = _union([g for g, r in zip(geoms, regions, strict=True) if r == reg])
        layer.region_codes.append(reg)
        layer.region_geoms.append(merged)
        layer.region_paths.append(polygon_path(merged))
    return layer


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
