"""Map zones projected and simplified once, by ``atlas data build`` (``data/geo/zones.xz``).

Each map zone — metropolitan France, each DROM — is drawn in its own CRS, simplified for its
printed scale (:mod:`reports.figures.frames` picks a tolerance among
:data:`TOLERANCE_LEVELS_M`, or :data:`FRANCE_TOLERANCE_M` for France-scale frames):

* metropolitan France: Lambert-93 (EPSG:2154);
* each DROM in its own UTM zone: 971 and 972 UTM 20N (EPSG:32620), 973 UTM 22N (32622),
  974 UTM 40S (32740), 976 UTM 38S (32738) — true shape, each inset with its own scale bar.

Projecting and simplifying the départements (a *coverage* simplification: shared borders stay
shared) and merging them into régions costs ~0.1 s of CPU per zone and tolerance, paid again
by every process that draws a map. The data build computes every zone at every tolerance
with the functions below, from the GeoJSON files it has just written, and stores the result
(:func:`zones_bytes`): a JSON header (the zones' département codes, names and régions, the
sha256 of the two GeoJSON files) then the WKB of each distinct polygon once, xz-compressed
(the xz stream's CRC-64 checks the bytes: ~0.7 MB, read in ~0.05 s). :class:`ZoneStore`
reads it back; the figures use it only when the digests of the GeoJSON files match
(:func:`reports.figures.geo.load_layers`), else compute the same layers themselves.
"""

from __future__ import annotations

import hashlib
import json
import logging
import lzma
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shapely

from reports.paths import GEOJSON_FILES, ZONES_FILE

if TYPE_CHECKING:  # imported where the GeoJSON files are read: the maps draw from zones.xz
    import geopandas as gpd

METRO_EPSG = 2154
DROM_EPSG = {"971": 32620, "972": 32620, "973": 32622, "974": 32740, "976": 32738}
DROM_DEPS = ["971", "972", "973", "974", "976"]
ZONES = ("metro", *DROM_DEPS)
FRANCE_TOLERANCE_M = 1500.0  # extra simplification for France-scale frames
TOLERANCE_LEVELS_M = (0.0, 100.0, 200.0, 400.0, 800.0, 1600.0)  # regional frames: ≤ 0.5 pt
FORMAT = 1

log = logging.getLogger(__name__)


# --- the département layer ---------------------------------------------------------------
def with_regions(gdf_deps: gpd.GeoDataFrame, gdf_regions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add a ``region`` column to the départements (representative point in région)."""
    import geopandas as gpd

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


def read_layers(geo_dir: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """(régions, départements with a ``region`` column) read from ``geo_dir``."""
    import geopandas as gpd

    regions = gpd.read_file(geo_dir / "regions.geojson")
    deps = gpd.read_file(geo_dir / "departements.geojson")
    return regions, with_regions(deps, regions)


# --- projection and simplification ---------------------------------------------------------
@dataclass(frozen=True)
class Projected:
    """The départements of one zone in its CRS, sorted by code (not simplified)."""

    codes: tuple[str, ...]
    names: tuple[str, ...]
    regions: tuple[str, ...]
    geoms: tuple[shapely.Geometry, ...]

    def bounds(self, codes: Iterable[str]) -> tuple[float, float, float, float]:
        return bounds_of(self.codes, self.geoms, codes)


def bounds_of(
    codes: Sequence[str], geoms: Sequence[shapely.Geometry], wanted: Iterable[str]
) -> tuple[float, float, float, float]:
    """The bounding box of the polygons of ``wanted`` among ``codes``."""
    keep = set(wanted)
    sel = [g for c, g in zip(codes, geoms, strict=True) if c in keep]
    return tuple(shapely.total_bounds(sel))  # type: ignore[return-value]


@dataclass(frozen=True)
class Simplified:
    """One zone at one tolerance: its départements (in :class:`Projected` order) and its
    régions (sorted by code), each the union of its simplified départements."""

    geoms: tuple[shapely.Geometry, ...]
    region_codes: tuple[str, ...]
    region_geoms: tuple[shapely.Geometry, ...]


def project(deps: gpd.GeoDataFrame, zone: str) -> Projected:
    """``zone`` = ``metro`` or a DROM département code, in its CRS."""
    if zone == "metro":
        sub, epsg = deps[~deps["code"].isin(DROM_DEPS)], METRO_EPSG
    else:
        sub, epsg = deps[deps["code"] == zone], DROM_EPSG[zone]
    sub = sub.sort_values("code")
    geoms = shapely.make_valid(sub.geometry.to_crs(epsg).values)
    return Projected(tuple(sub["code"]), tuple(sub["nom"]), tuple(sub["region"]), tuple(geoms))


def _union(parts: list[shapely.Geometry]) -> shapely.Geometry:
    merged = shapely.coverage_union_all(parts)
    return merged if merged.is_valid else shapely.union_all(parts)


def simplify(proj: Projected, tolerance: float) -> Simplified:
    geoms = np.asarray(proj.geoms, dtype=object)
    if tolerance > 0:
        geoms = shapely.make_valid(shapely.coverage_simplify(geoms, tolerance))
    region_codes = tuple(sorted(set(proj.regions)))
    region_geoms = tuple(
        _union([g for g, r in zip(geoms, proj.regions, strict=True) if r == reg])
        for reg in region_codes
    )
    return Simplified(tuple(geoms), region_codes, region_geoms)


def tolerances(zone: str) -> tuple[float, ...]:
    """The tolerances the maps may ask of ``zone``."""
    extra = (FRANCE_TOLERANCE_M,) if zone == "metro" else ()
    return tuple(sorted({*TOLERANCE_LEVELS_M, *extra}))


# --- the stored zones ----------------------------------------------------------------------
def geojson_digests(geo_dir: Path) -> dict[str, str]:
    return {n: hashlib.sha256((geo_dir / n).read_bytes()).hexdigest() for n in GEOJSON_FILES}


def zones_bytes(geo_dir: Path) -> bytes:
    """Every zone at every tolerance, from the GeoJSON files of ``geo_dir`` (deterministic:
    sorted JSON, WKB, xz)."""
    _regions, deps = read_layers(geo_dir)
    blobs: dict[bytes, int] = {}

    def ids(geoms: tuple[shapely.Geometry, ...]) -> list[int]:
        return [blobs.setdefault(wkb, len(blobs)) for wkb in shapely.to_wkb(list(geoms))]

    zones = {}
    for zone in ZONES:
        proj = project(deps, zone)
        levels = {}
        for tol in tolerances(zone):
            simple = simplify(proj, tol)
            levels[repr(tol)] = {
                "departements": ids(simple.geoms),
                "region_codes": list(simple.region_codes),
                "regions": ids(simple.region_geoms),
            }
        zones[zone] = {
            "codes": list(proj.codes),
            "names": list(proj.names),
            "regions": list(proj.regions),
            "projected": ids(proj.geoms),
            "levels": levels,
        }
    order = sorted(blobs, key=blobs.__getitem__)
    header = {
        "format": FORMAT,
        "sources": geojson_digests(geo_dir),
        "zones": zones,
        "sizes": [len(b) for b in order],
    }
    text = json.dumps(header, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return lzma.compress(text.encode("utf-8") + b"\n" + b"".join(order))


class ZoneStore:
    """The zones of ``data/geo/zones.xz``; polygons parsed when first asked for."""

    def __init__(self, data: bytes) -> None:
        head, _, body = data.partition(b"\n")
        self.header = json.loads(head)
        offsets = np.concatenate([[0], np.cumsum(self.header["sizes"])]).tolist()
        self._body = body
        self._offsets = offsets
        self._geoms: dict[int, shapely.Geometry] = {}

    @classmethod
    def open(cls, geo_dir: Path) -> ZoneStore | None:
        """The store of ``geo_dir`` if it was computed from its GeoJSON files, else None (no
        file, an older format, damaged bytes or GeoJSON files written since)."""
        path = geo_dir / ZONES_FILE
        if not path.is_file():
            return None
        try:
            store = cls(lzma.decompress(path.read_bytes()))
        except (lzma.LZMAError, ValueError, KeyError, EOFError, TypeError) as exc:
            problem = f"damaged ({exc.__class__.__name__})"
        else:
            header = store.header
            if header.get("format") != FORMAT:
                problem = f"format {header.get('format')!r}, not {FORMAT}"
            elif header.get("sources") != geojson_digests(geo_dir):
                problem = "computed from other GeoJSON files"
            else:
                return store
        log.warning(
            "%s: %s, not used (the maps compute their zones: slower, same drawing); "
            "rerun `atlas data build`",
            path,
            problem,
        )
        return None

    def _get(self, ids: list[int]) -> tuple[shapely.Geometry, ...]:
        missing = [i for i in ids if i not in self._geoms]
        if missing:
            wkbs = [self._body[self._offsets[i] : self._offsets[i + 1]] for i in missing]
            self._geoms.update(zip(missing, shapely.from_wkb(wkbs), strict=True))
        return tuple(self._geoms[i] for i in ids)

    def projected(self, zone: str) -> Projected | None:
        entry = self.header["zones"].get(zone)
        if entry is None:
            return None
        return Projected(
            tuple(entry["codes"]),
            tuple(entry["names"]),
            tuple(entry["regions"]),
            self._get(entry["projected"]),
        )

    def simplified(self, zone: str, tolerance: float) -> Simplified | None:
        level = self.header["zones"].get(zone, {}).get("levels", {}).get(repr(float(tolerance)))
        if level is None:
            return None
        return Simplified(
            self._get(level["departements"]),
            tuple(level["region_codes"]),
            self._get(level["regions"]),
        )
