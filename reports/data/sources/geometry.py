"""Simplified région / département polygons for the maps (``data/geo/*.geojson``).

Input: ``geo_france_geojson/departements-avec-outre-mer.geojson`` (101 départements, DROM at
their true position, WGS84) and ``regions-avec-outre-mer.geojson`` (18 régions, used for the
région names and as a cross-check of codes).

Method (topology preserving, shared borders stay shared):

1. the département layer is simplified as a *coverage* with ``shapely.coverage_simplify``
   (each shared edge is simplified once, so neighbours keep an identical border, no gaps or
   slivers); tolerance :data:`TOLERANCE_DEG` ≈ 250 m, invisible at atlas scales;
2. coordinates are rounded to :data:`DECIMALS` decimals (≈ 11 m) — the same vertex rounds to
   the same value in both neighbours, so edges stay shared;
3. régions are the coverage union of their départements (so région and département borders
   coincide exactly); the source région layer only cross-checks the codes; names come from
   the COG (:class:`Reference`), like ``territories.csv``;
4. GeoJSON is written by hand (features sorted by code, fixed key order, compact separators),
   so the bytes depend only on the inputs;
5. the map zones (each zone in its CRS, at every tolerance the maps use) are computed from
   the GeoJSON files just written, as the maps read them (``zones.xz``,
   :mod:`reports.data.zones`).
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry import mapping

from reports.data import zones
from reports.data.sources.base import BuildLog, sha256_of
from reports.data.sources.reference import Reference
from reports.errors import DataError

GEO = "geo_france_geojson"
DEPARTEMENTS_SRC = f"{GEO}/departements-avec-outre-mer.geojson"
REGIONS_SRC = f"{GEO}/regions-avec-outre-mer.geojson"

TOLERANCE_DEG = 0.0025
DECIMALS = 4
MAX_TOTAL_BYTES = 3_000_000


def _read(log: BuildLog, rel: str) -> gpd.GeoDataFrame:
    path = log.sources_dir / rel
    if not path.is_file():
        raise DataError(
            "source file not found",
            where=str(path),
            hint="check --sources points at shared/data/sources (geo_france_geojson)",
        )
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own error types
        raise DataError(
            f"cannot read GeoJSON ({exc.__class__.__name__}: {str(exc)[:120]})",
            where=str(path),
            hint="restore the file from the source",
        ) from None
    for col in ("code", "nom"):
        if col not in gdf.columns:
            raise DataError(f"missing property {col!r}", where=str(path))
    log.record(rel, None, sha256_of(path), len(gdf))
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    return gdf


def _round_geom(geom: shapely.Geometry) -> shapely.Geometry:
    rounded = shapely.transform(geom, lambda xy: xy.round(DECIMALS))
    if not rounded.is_valid:
        rounded = shapely.make_valid(rounded)
        # make_valid may return a collection with stray lines: keep the polygonal part
        parts = shapely.get_parts(rounded)
        polys = [g for g in parts if g.geom_type in ("Polygon", "MultiPolygon")]
        rounded = shapely.union_all(polys)
    return rounded


def simplify_departements(deps: gpd.GeoDataFrame, ref: Reference) -> gpd.GeoDataFrame:
    expected = set(ref.departement_codes)
    found = set(deps["code"])
    if found != expected:
        raise DataError(
            "département codes differ from the COG: "
            f"missing {sorted(expected - found)}, unexpected {sorted(found - expected)}",
            where=DEPARTEMENTS_SRC,
        )
    deps = deps.sort_values("code").reset_index(drop=True)
    geoms = shapely.make_valid(deps.geometry.values)
    simplified = shapely.coverage_simplify(geoms, TOLERANCE_DEG)
    rounded = [_round_geom(g) for g in simplified]
    names = dict(zip(ref.departements["code"], ref.departements["name"], strict=True))
    return gpd.GeoDataFrame(
        {"code": deps["code"], "nom": deps["code"].map(names)}, geometry=rounded, crs=4326
    )


def dissolve_regions(
    deps: gpd.GeoDataFrame, regions_src: gpd.GeoDataFrame, ref: Reference
) -> gpd.GeoDataFrame:
    d2r = ref.dep_to_reg
    names = dict(zip(ref.regions["code"], ref.regions["name"], strict=True))
    missing = sorted(set(ref.region_codes) - set(regions_src["code"]))
    if missing:
        raise DataError(f"régions missing from the source: {missing}", where=REGIONS_SRC)
    rows = []
    for code in sorted(ref.region_codes):
        parts = deps.geometry[deps["code"].map(d2r) == code].values
        geom = shapely.coverage_union_all(parts)
        if not geom.is_valid:
            geom = shapely.union_all(parts)
        rows.append((code, names[code], geom))
    return gpd.GeoDataFrame(
        {"code": [r[0] for r in rows], "nom": [r[1] for r in rows]},
        geometry=[r[2] for r in rows],
        crs=4326,
    )


def _coords(obj: object) -> object:
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], float | int):
            return [round(float(v), DECIMALS) for v in obj]
        return [_coords(o) for o in obj]
    return obj


def geojson_bytes(gdf: gpd.GeoDataFrame) -> bytes:
    """Deterministic GeoJSON: features sorted by code, properties ``code``, ``nom``."""
    features = []
    for code, nom, geom in sorted(zip(gdf["code"], gdf["nom"], gdf.geometry, strict=True)):
        g = mapping(shapely.normalize(geom))
        features.append(
            {
                "type": "Feature",
                "properties": {"code": code, "nom": nom},
                "geometry": {"type": g["type"], "coordinates": _coords(g["coordinates"])},
            }
        )
    doc = {"type": "FeatureCollection", "features": features}
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def write_geometries(log: BuildLog, ref: Reference, out_dir: Path) -> None:
    """Write ``out_dir/geo/regions.geojson``, ``departements.geojson`` and the map zones
    computed from them (``zones.xz``, :mod:`reports.data.zones`)."""
    deps = simplify_departements(_read(log, DEPARTEMENTS_SRC), ref)
    regs = dissolve_regions(deps, _read(log, REGIONS_SRC), ref)
    blobs = {"departements.geojson": geojson_bytes(deps), "regions.geojson": geojson_bytes(regs)}
    total = sum(len(b) for b in blobs.values())
    if total > MAX_TOTAL_BYTES:
        raise DataError(
            f"simplified geometry too large ({total} bytes > {MAX_TOTAL_BYTES})",
            where=str(out_dir / "geo"),
            hint="raise TOLERANCE_DEG in reports/data/sources/geometry.py",
        )
    for name, data in blobs.items():
        _write_atomic(out_dir / "geo" / name, data)
    # the map zones, projected and simplified from the files just written (as the maps read them)
    _write_atomic(out_dir / "geo" / zones.ZONES_FILE, zones.zones_bytes(out_dir / "geo"))
    log.kept(DEPARTEMENTS_SRC, len(deps))
    log.kept(REGIONS_SRC, len(regs))
