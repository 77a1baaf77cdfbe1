"""Maps of the atlas and fiches: pure functions returning matplotlib Figures (no file I/O).

Projection choice. Geometries are reprojected once per process with pyproj/shapely and drawn
on plain matplotlib axes (``aspect="equal"``), not on cartopy GeoAxes: we only draw our own
polygons and points (no Natural Earth features, no graticule), so GeoAxes would add a
per-draw path transformation and a heavier import for nothing. The CRSs are the ones
cartopy would use:

* metropolitan France: Lambert-93 (EPSG:2154);
* each DROM in its own UTM zone: 971 and 972 UTM 20N (EPSG:32620), 973 UTM 22N (32622),
  974 UTM 40S (32740), 976 UTM 38S (32738) — true shape, each inset with its own scale bar.

Projected polygons are turned into matplotlib ``Path`` objects once and cached per process
(:func:`_layer`, keyed by a fingerprint of the input GeoDataFrame), so a map costs only the
drawing. France-scale frames use a coarser coverage simplification (borders stay shared).

Classification (ATLAS_SPEC §2.7): :func:`national_breaks` computes Jenks (Fisher–Jenks,
exact and deterministic) breaks once on the 101 départements, falling back to quintiles when
a class would be empty; the same :class:`Classes` object is passed to every map, so a colour
means the same value everywhere. n.d. = light grey, hatched; s.o. = white, hatched.

Layout: a map is made of *frames* (one axes each, in one CRS). A regional map has one frame;
a France map has the metropolitan frame plus the five DROM insets, placed by an
:class:`InsetLayout` (:data:`INSETS_LEFT` for full-page maps, :data:`INSETS_BOTTOM` for small
locators). Titles are never drawn (the HTML caption carries them); legends are, with their
unit, inside the figure.

Departement GeoDataFrames need a ``region`` column: use :func:`load_layers` (reads
``data/geo``) or :func:`with_regions`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path as MplPath
from pyproj import Transformer

from reports.content.fmt import MINUS, ND, SO, fmt_number
from reports.figures import style as fs
from reports.figures.classify import (  # noqa: F401 - re-exported: maps.Classes etc.
    DASH,
    CircleScale,
    Classes,
    PointStyle,
    _nice_down,
    class_labels,
    default_point_styles,
    diverging_breaks,
    fisher_jenks,
    national_breaks,
    quantile_breaks,
)

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


def _polygon_path(geom: shapely.Geometry) -> MplPath:
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


def _register(gdf: gpd.GeoDataFrame) -> str:
    if "region" not in gdf.columns:
        raise ValueError(
            "département layer lacks a 'region' column: use maps.load_layers(paths.geo) "
            "or maps.with_regions(deps, regions)"
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
def _projected(key: str, zone: str) -> _Projected:
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
def _layer(key: str, zone: str, tolerance: float) -> Layer:
    proj = _projected(key, zone)
    geoms = np.asarray(proj.geoms, dtype=object)
    if tolerance > 0:
        geoms = shapely.make_valid(shapely.coverage_simplify(geoms, tolerance))
    regions = list(proj.regions)
    layer = Layer(
        codes=list(proj.codes),
        names=list(proj.names),
        regions=regions,
        geoms=list(geoms),
        paths=[_polygon_path(g) for g in geoms],
    )
    for reg in sorted(set(regions)):
        merged = _union([g for g, r in zip(geoms, regions, strict=True) if r == reg])
        layer.region_codes.append(reg)
        layer.region_geoms.append(merged)
        layer.region_paths.append(_polygon_path(merged))
    return layer


@cache
def _label_point(key: str, zone: str, tolerance: float, code: str) -> tuple[float, float]:
    layer = _layer(key, zone, tolerance)
    geom = layer.geoms[layer.codes.index(code)]
    parts = sorted(shapely.get_parts(geom), key=lambda p: -p.area)
    biggest = parts[0]
    tol = math.sqrt(biggest.area) / 50
    pt = shapely.ops.polylabel(biggest, tolerance=tol) if tol > 0 else biggest.centroid
    return (pt.x, pt.y)


@cache
def _transformer(epsg: int) -> Transformer:
    return Transformer.from_crs(4326, epsg, always_xy=True)


def project_lonlat(lon: np.ndarray, lat: np.ndarray, epsg: int) -> tuple[np.ndarray, np.ndarray]:
    return _transformer(epsg).transform(np.asarray(lon, float), np.asarray(lat, float))


# --- values ------------------------------------------------------------------------------
def _value_map(values: Mapping[str, float | None] | pd.Series) -> dict[str, float]:
    items = values.items()
    out: dict[str, float] = {}
    for k, v in items:
        try:
            f = float(v) if v is not None else math.nan
        except (TypeError, ValueError):
            f = math.nan
        out[str(k)] = f
    return out


# --- frames and layout -------------------------------------------------------------------
@dataclass(frozen=True)
class InsetLayout:
    """Where the metropolitan frame and the five DROM insets go (figure fractions)."""

    figsize: tuple[float, float]
    metro: tuple[float, float, float, float]
    insets: Mapping[str, tuple[float, float, float, float]]
    legend_anchor: tuple[float, float]  # upper-left corner of the legend, figure fraction
    label_size: float = 6.0
    scale_bars: bool = True
    labels_below: bool = False  # small locators: names under the inset boxes


def _column(x: float, w: float, n: int, top: float, bottom: float, gap: float) -> list:
    h = (top - bottom - gap * (n - 1)) / n
    return [(x, top - (i + 1) * h - i * gap, w, h) for i in range(n)]


def _row(y: float, h: float, n: int, left: float, right: float, gap: float) -> list:
    w = (right - left - gap * (n - 1)) / n
    return [(left + i * (w + gap), y, w, h) for i in range(n)]


INSETS_LEFT = InsetLayout(
    figsize=(6.6, 5.4),
    metro=(0.2, 0.0, 0.8, 1.0),
    insets=dict(zip(DROM_DEPS, _column(0.005, 0.17, 5, 0.995, 0.005, 0.012), strict=True)),
    legend_anchor=(0.205, 0.36),
)
INSETS_LEFT_WIDE = InsetLayout(  # France maps with two legends (circles) or many categories
    figsize=(6.8, 4.9),
    metro=(0.16, 0.0, 0.63, 1.0),
    insets=dict(zip(DROM_DEPS, _column(0.005, 0.145, 5, 0.995, 0.005, 0.012), strict=True)),
    legend_anchor=(0.80, 0.97),
)
INSETS_BOTTOM = InsetLayout(
    figsize=(2.6, 3.0),
    metro=(0.0, 0.2, 1.0, 0.8),
    insets=dict(zip(DROM_DEPS, _row(0.06, 0.14, 5, 0.0, 1.0, 0.012), strict=True)),
    legend_anchor=(0.0, 1.0),
    label_size=4.6,
    scale_bars=False,
    labels_below=True,
)


@dataclass
class Frame:
    ax: Axes
    zone: str  # "metro" or a DROM département code
    epsg: int
    layer: Layer
    inset: bool = False
    tolerance: float = 0.0
    paths: list[MplPath | None] = field(default_factory=list)  # clipped to the view
    region_paths: list[MplPath | None] = field(default_factory=list)

    def clip(self) -> Frame:
        self.paths = _visible_paths(self.ax, self.layer.geoms, self.layer.paths)
        self.region_paths = _visible_paths(
            self.ax, self.layer.region_geoms, self.layer.region_paths
        )
        return self

    def dep_items(self) -> list[tuple[str, MplPath]]:
        return [(c, p) for c, p in zip(self.layer.codes, self.paths, strict=True) if p]

    def region_items(self) -> list[tuple[str, MplPath]]:
        return [
            (c, p) for c, p in zip(self.layer.region_codes, self.region_paths, strict=True) if p
        ]


def _new_axes(fig: Figure, rect: Sequence[float], inset: bool) -> Axes:
    ax = fig.add_axes(rect)
    ax.xaxis.set_visible(False)  # no ticks: nothing to lay out or draw for the axes
    ax.yaxis.set_visible(False)
    for spine in ax.spines.values():
        spine.set_visible(inset)
        spine.set_linewidth(0.5)
        spine.set_edgecolor("#9a9a9a")
    return ax


def _set_extent(ax: Axes, bounds: Sequence[float], margin: float = 0.04) -> None:
    """Fit ``bounds`` (+ margin) in the axes box at equal scale, centred (no distortion)."""
    x0, y0, x1, y1 = bounds
    pad = max(x1 - x0, y1 - y0) * margin
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    pos = ax.get_position()
    fw, fh = ax.figure.get_size_inches()
    box_ratio = (pos.height * fh) / (pos.width * fw)
    w, h = x1 - x0, y1 - y0
    if h / w < box_ratio:  # too wide: extend vertically
        extra = (w * box_ratio - h) / 2
        y0, y1 = y0 - extra, y1 + extra
    else:
        extra = (h / box_ratio - w) / 2
        x0, x1 = x0 - extra, x1 + extra
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")


def _visible_paths(
    ax: Axes, geoms: Sequence[shapely.Geometry], paths: Sequence[MplPath]
) -> list[MplPath | None]:
    """Paths clipped to the view (None when outside): keeps SVGs small."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    pad = max(x1 - x0, y1 - y0) * 0.02
    view = (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    out: list[MplPath | None] = []
    for geom, path in zip(geoms, paths, strict=True):
        gx0, gy0, gx1, gy1 = shapely.bounds(geom)
        if gx1 < view[0] or gx0 > view[2] or gy1 < view[1] or gy0 > view[3]:
            out.append(None)
        elif gx0 >= view[0] and gx1 <= view[2] and gy0 >= view[1] and gy1 <= view[3]:
            out.append(path)
        else:
            clipped = shapely.clip_by_rect(geom, *view)
            out.append(None if clipped.is_empty else _polygon_path(clipped))
    return out


def _france_frames(fig: Figure, key: str, layout: InsetLayout, drom: bool = True) -> list[Frame]:
    metro = _layer(key, "metro", FRANCE_TOLERANCE_M)
    ax = _new_axes(fig, layout.metro, inset=False)
    _set_extent(ax, metro.bounds(metro.codes), margin=0.01)
    frames = [Frame(ax, "metro", METRO_EPSG, metro, tolerance=FRANCE_TOLERANCE_M).clip()]
    if not drom:
        return frames
    for code in DROM_DEPS:
        layer = _layer(key, code, 0.0)
        iax = _new_axes(fig, layout.insets[code], inset=True)
        _set_extent(iax, layer.bounds([code]), margin=0.08)
        frames.append(Frame(iax, code, DROM_EPSG[code], layer, inset=True).clip())
    return frames


def _region_members(key: str, region_code: str) -> tuple[str, list[str]]:
    zone = REGION_OF_DROM.get(region_code, "metro")
    proj = _projected(key, zone)
    members = [c for c, r in zip(proj.codes, proj.regions, strict=True) if r == region_code]
    if not members:
        raise ValueError(f"unknown région code {region_code!r}")
    return zone, members


def _fit_size(
    key: str, region_code: str, max_map: tuple[float, float], legend_width: float
) -> tuple[float, float]:
    """Figure size (inches) whose map box has the région's aspect, within ``max_map``."""
    zone, members = _region_members(key, region_code)
    x0, y0, x1, y1 = _projected(key, zone).bounds(members)
    ratio = max((y1 - y0) / max(x1 - x0, 1.0), 0.45)
    w, h = max_map
    if ratio * w > h:
        w = max(h / ratio, 2.6)
    else:
        h = max(w * ratio, 2.2)
    return (round(w + legend_width, 2), round(h, 2))


def _region_frame(fig: Figure, key: str, region_code: str, rect: Sequence[float]) -> Frame:
    zone, members = _region_members(key, region_code)
    ax = _new_axes(fig, rect, inset=False)
    _set_extent(ax, _projected(key, zone).bounds(members), margin=0.04)
    width_pt = ax.get_position().width * fig.get_figwidth() * 72
    metres_per_pt = (ax.get_xlim()[1] - ax.get_xlim()[0]) / width_pt
    tol = max(t for t in TOLERANCE_LEVELS_M if t <= 0.5 * metres_per_pt)
    epsg = METRO_EPSG if zone == "metro" else DROM_EPSG[zone]
    return Frame(ax, zone, epsg, _layer(key, zone, tol), tolerance=tol).clip()


def _region_figure(
    key: str,
    region_code: str,
    figsize: tuple[float, float] | None,
    max_map: tuple[float, float],
    legend_width: float,
) -> tuple[Figure, Frame, float]:
    size = figsize or _fit_size(key, region_code, max_map, legend_width)
    fig = Figure(figsize=size)
    lw = min(legend_width / size[0], 0.5)
    return fig, _region_frame(fig, key, region_code, (0.0, 0.0, 1.0 - lw, 1.0)), lw


# --- drawing primitives ------------------------------------------------------------------
def _collection(
    ax: Axes,
    paths: list[MplPath],
    facecolors: str | list[str],
    *,
    edgecolor: str = fs.BORDER,
    linewidth: float = 0.4,
    hatch: str | None = None,
    zorder: float = 1,
) -> None:
    if not paths:
        return
    coll = PathCollection(
        paths,
        facecolors=facecolors,
        edgecolors=edgecolor,
        linewidths=linewidth,
        hatch=hatch,
        zorder=zorder,
    )
    if hatch and hasattr(coll, "set_hatchcolor"):  # matplotlib < 3.11: rcParams["hatch.color"]
        coll.set_hatchcolor(fs.HATCH_COLOR)
    ax.add_collection(coll, autolim=False)


def _fill_units(
    frame: Frame,
    codes: list[str],
    values: dict[str, float],
    classes: Classes,
    so: set[str],
    linewidth: float,
) -> set[str]:
    """Colour ``codes`` of the frame's layer; returns the statuses drawn ({"nd", "so"})."""
    classed: tuple[list[MplPath], list[str]] = ([], [])
    nd: list[MplPath] = []
    so_paths: list[MplPath] = []
    wanted = set(codes)
    for code, path in frame.dep_items():
        if code not in wanted:
            continue
        color = classes.color(values.get(code, math.nan))
        if color is not None:
            classed[0].append(path)
            classed[1].append(color)
        elif code in so:
            so_paths.append(path)
        else:
            nd.append(path)
    _collection(frame.ax, classed[0], classed[1], linewidth=linewidth, zorder=2)
    _collection(frame.ax, nd, fs.ND_COLOR, linewidth=linewidth, hatch=fs.ND_HATCH, zorder=2)
    _collection(
        frame.ax,
        so_paths,
        fs.SO_COLOR,
        edgecolor="#b0b0b0",
        linewidth=linewidth,
        hatch=fs.SO_HATCH,
        zorder=2,
    )
    return {s for s, p in (("nd", nd), ("so", so_paths)) if p}


def _fill_regions(
    frame: Frame, values: dict[str, float], classes: Classes, so: set[str], linewidth: float
) -> set[str]:
    classed_paths: list[MplPath] = []
    classed_colors: list[str] = []
    nd: list[MplPath] = []
    so_paths: list[MplPath] = []
    for code, path in frame.region_items():
        color = classes.color(values.get(code, math.nan))
        if color is not None:
            classed_paths.append(path)
            classed_colors.append(color)
        elif code in so:
            so_paths.append(path)
        else:
            nd.append(path)
    _collection(frame.ax, classed_paths, classed_colors, linewidth=linewidth, zorder=2)
    _collection(frame.ax, nd, fs.ND_COLOR, linewidth=linewidth, hatch=fs.ND_HATCH, zorder=2)
    _collection(
        frame.ax,
        so_paths,
        fs.SO_COLOR,
        edgecolor="#b0b0b0",
        linewidth=linewidth,
        hatch=fs.SO_HATCH,
        zorder=2,
    )
    return {s for s, p in (("nd", nd), ("so", so_paths)) if p}


def _context(frame: Frame, exclude: set[str], region_outline: bool = True) -> None:
    """Neighbouring départements in light grey, région borders slightly darker."""
    paths = [p for c, p in frame.dep_items() if c not in exclude]
    _collection(frame.ax, paths, fs.CONTEXT_FILL, linewidth=0.4, zorder=1)
    if region_outline:
        _collection(
            frame.ax,
            [p for _, p in frame.region_items()],
            "none",
            edgecolor="#c4c4c4",
            linewidth=0.6,
            zorder=1.5,
        )


def _outline(frame: Frame, region_code: str, linewidth: float = 0.9) -> None:
    paths = [p for c, p in frame.region_items() if c == region_code]
    _collection(frame.ax, paths, "none", edgecolor=fs.OUTLINE, linewidth=linewidth, zorder=4)


def _inset_labels(frames: list[Frame], layout: InsetLayout, highlight: str | None = None) -> None:
    for fr in frames:
        if not fr.inset:
            continue
        weight = "bold" if fr.zone == highlight else "normal"
        if layout.labels_below:
            fr.ax.text(
                0.5,
                -0.04,
                DROM_NAMES[fr.zone],
                transform=fr.ax.transAxes,
                ha="center",
                va="top",
                fontsize=layout.label_size,
                fontweight=weight,
                zorder=6,
            )
        else:
            fr.ax.text(
                0.04,
                0.96,
                DROM_NAMES[fr.zone],
                transform=fr.ax.transAxes,
                ha="left",
                va="top",
                fontsize=layout.label_size,
                fontweight=weight,
                zorder=6,
            )


def _scale_bar(ax: Axes, size: float = 5.5, frac: float = 0.28) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    target = (x1 - x0) * frac
    length = _nice_down(target)
    xr = x1 - (x1 - x0) * 0.04
    yb = y0 + (y1 - y0) * 0.05
    ax.plot([xr - length, xr], [yb, yb], color=fs.TEXT, lw=1.0, solid_capstyle="butt", zorder=6)
    km = length / 1000
    ax.text(
        xr - length / 2,
        yb + (y1 - y0) * 0.015,
        f"{fmt_number(km, 0 if km >= 1 else 1)}\u00a0km",
        ha="center",
        va="bottom",
        fontsize=size,
        zorder=6,
    )


def _halo() -> list:
    return [patheffects.withStroke(linewidth=1.8, foreground="white")]


def _wrap_name(name: str, max_len: int = 13) -> str:
    if len(name) <= max_len:
        return name
    for sep in ("-", " "):
        if sep in name:
            i = name.find(sep, len(name) // 2 - 3)
            i = i if i > 0 else name.rfind(sep)
            if i > 0:
                keep = sep if sep == "-" else ""
                return name[:i] + keep + "\n" + name[i + 1 :]
    return name


def _dep_labels(frame: Frame, key: str, codes: list[str], size: float) -> None:
    """Names at polylabel points; a code when the name does not fit in the polygon."""
    ax, layer = frame.ax, frame.layer
    fig = ax.figure
    x0, x1 = ax.get_xlim()
    width_in = ax.get_position().width * fig.get_figwidth()
    units_per_pt = (x1 - x0) / (width_in * 72)
    for code in codes:
        geom = layer.geoms[layer.codes.index(code)]
        name = _wrap_name(layer.names[layer.codes.index(code)])
        longest = max(len(s) for s in name.split("\n"))
        text_w = longest * size * 0.55 * units_per_pt
        gx0, _, gx1, _ = shapely.bounds(max(shapely.get_parts(geom), key=lambda p: p.area))
        label = name if text_w < (gx1 - gx0) * 0.95 else code
        x, y = _label_point(key, frame.zone, frame.tolerance, code)
        ax.text(
            x,
            y,
            label,
            ha="center",
            va="center",
            fontsize=size,
            linespacing=0.95,
            zorder=7,
            path_effects=_halo(),
        )


def _status_handles(statuses: set[str]) -> list[tuple[Patch, str]]:
    out = []
    if "nd" in statuses:
        out.append(
            (
                Patch(
                    facecolor=fs.ND_COLOR,
                    edgecolor=fs.HATCH_COLOR,
                    hatch=fs.ND_HATCH,
                    linewidth=0.4,
                ),
                ND,
            )
        )
    if "so" in statuses:
        out.append(
            (
                Patch(
                    facecolor=fs.SO_COLOR,
                    edgecolor=fs.HATCH_COLOR,
                    hatch=fs.SO_HATCH,
                    linewidth=0.4,
                ),
                SO,
            )
        )
    return out


def _class_legend(
    fig: Figure,
    classes: Classes,
    title: str,
    statuses: set[str],
    anchor: tuple[float, float],
    decimals: int | None,
    fontsize: float | None = None,
) -> Legend:
    labels = class_labels(classes, decimals)
    entries = [
        (Patch(facecolor=c, edgecolor="#bdbdbd", linewidth=0.4), lab)
        for c, lab in zip(classes.palette, labels, strict=True)
    ][::-1]  # highest class on top
    entries += _status_handles(statuses)
    return fig.legend(
        [e[0] for e in entries],
        [e[1] for e in entries],
        title=title,
        loc="upper left",
        bbox_to_anchor=anchor,
        bbox_transform=fig.transFigure,
        alignment="left",
        handlelength=1.6,
        handleheight=1.1,
        borderaxespad=0.0,
        borderpad=0.2,
        labelspacing=0.35,
        fontsize=fontsize,
        title_fontsize=fontsize,
    )


# --- public maps -------------------------------------------------------------------------
def choropleth_region(
    gdf_deps: gpd.GeoDataFrame,
    values: Mapping[str, float | None] | pd.Series,
    region_code: str,
    breaks: Classes,
    *,
    legend_title: str = "",
    so: Iterable[str] = (),
    decimals: int | None = None,
    figsize: tuple[float, float] | None = None,
    max_map_size: tuple[float, float] = (4.8, 4.2),
    legend_width: float = 1.5,
    labels: bool = True,
    label_size: float = 6.5,
) -> Figure:
    """Départements of one région coloured with the national classes, neighbours in grey.

    ``values``: département code → value (NaN/None = n.d., or s.o. when the code is in
    ``so``). ``legend_width`` (inches) is reserved on the right for the legend; without
    ``figsize`` the map box takes the région's shape within ``max_map_size`` (inches).
    """
    fs.apply_style()
    key = _register(gdf_deps)
    fig, frame, lw = _region_figure(key, region_code, figsize, max_map_size, legend_width)
    members = [
        c for c, r in zip(frame.layer.codes, frame.layer.regions, strict=True) if r == region_code
    ]
    _context(frame, set(members))
    statuses = _fill_units(frame, members, _value_map(values), breaks, set(so), 0.5)
    _outline(frame, region_code)
    if labels:
        _dep_labels(frame, key, members, label_size)
    _scale_bar(frame.ax, frac=0.22)
    _class_legend(fig, breaks, legend_title, statuses, (1.0 - lw + 0.02, 0.97), decimals)
    return fig


def choropleth_france(
    gdf: gpd.GeoDataFrame,
    values: Mapping[str, float | None] | pd.Series,
    breaks: Classes,
    level: str = "departement",
    drom_insets: bool = True,
    *,
    legend_title: str = "",
    so: Iterable[str] = (),
    decimals: int | None = None,
    layout: InsetLayout = INSETS_LEFT,
) -> Figure:
    """France: metropolitan frame + the five DROM insets, same classes everywhere.

    ``gdf`` is the département layer (with ``region``); ``level="region"`` colours the
    régions (dissolved from the départements) with région-keyed ``values``.
    """
    fs.apply_style()
    key = _register(gdf)
    fig = Figure(figsize=layout.figsize)
    frames = _france_frames(fig, key, layout, drom=drom_insets)
    vals, so_set = _value_map(values), set(so)
    statuses: set[str] = set()
    for fr in frames:
        if level == "region":
            statuses |= _fill_regions(fr, vals, breaks, so_set, 0.4)
        else:
            statuses |= _fill_units(fr, fr.layer.codes, vals, breaks, so_set, 0.25)
            _collection(
                fr.ax,
                [p for _, p in fr.region_items()],
                "none",
                edgecolor="#ffffff",
                linewidth=0.8,
                zorder=3,
            )
        if layout.scale_bars:
            _scale_bar(fr.ax, size=5.0 if fr.inset else 6.0, frac=0.3 if fr.inset else 0.18)
    _inset_labels(frames, layout)
    _class_legend(fig, breaks, legend_title, statuses, layout.legend_anchor, decimals)
    return fig


def locator(
    gdf_deps: gpd.GeoDataFrame,
    region_code: str,
    *,
    layout: InsetLayout = INSETS_BOTTOM,
    color: str = fs.REGION_COLOR,
) -> Figure:
    """France with the région highlighted (a DROM is highlighted in its inset)."""
    fs.apply_style()
    key = _register(gdf_deps)
    fig = Figure(figsize=layout.figsize)
    frames = _france_frames(fig, key, layout)
    for fr in frames:
        items = fr.region_items()
        colors = [color if r == region_code else "#dcdcdc" for r, _ in items]
        _collection(fr.ax, [p for _, p in items], colors, linewidth=0.4, zorder=2)
        if fr.inset and REGION_OF_DROM.get(region_code) == fr.zone:
            for spine in fr.ax.spines.values():
                spine.set_edgecolor(color)
                spine.set_linewidth(1.0)
    _inset_labels(frames, layout, highlight=REGION_OF_DROM.get(region_code))
    return fig


# --- points and circles ------------------------------------------------------------------
def _figure_for(
    key: str,
    region_code: str | None,
    figsize: tuple[float, float] | None,
    max_map: tuple[float, float],
    legend_width: float,
    layout: InsetLayout,
) -> tuple[Figure, list[Frame], tuple[float, float]]:
    """A regional figure (legend on the right) or a France figure with insets."""
    if region_code is None:
        fig = Figure(figsize=figsize or layout.figsize)
        return fig, _france_frames(fig, key, layout), layout.legend_anchor
    fig, frame, lw = _region_figure(key, region_code, figsize, max_map, legend_width)
    return fig, [frame], (1.0 - lw + 0.02, 0.97)


def _base_for(frames: list[Frame], region_code: str | None) -> None:
    for fr in frames:
        layer = fr.layer
        if region_code is None:
            _collection(
                fr.ax, [p for _, p in fr.dep_items()], "#f4f4f4", edgecolor="#c8c8c8", linewidth=0.3
            )
            _collection(
                fr.ax,
                [p for _, p in fr.region_items()],
                "none",
                edgecolor="#8f8f8f",
                linewidth=0.6,
                zorder=1.5,
            )
            continue
        members = {c for c, r in zip(layer.codes, layer.regions, strict=True) if r == region_code}
        _context(fr, members)
        paths = [p for c, p in fr.dep_items() if c in members]
        _collection(fr.ax, paths, "#fbfbf8", edgecolor="#9a9a9a", linewidth=0.5, zorder=2)
        _outline(fr, region_code)


def _located(points: pd.DataFrame) -> pd.Series:
    lon = pd.to_numeric(points["lon"], errors="coerce")
    lat = pd.to_numeric(points["lat"], errors="coerce")
    return lon.notna() & lat.notna()


def _draw_in_frames(
    frames: list[Frame],
    pts: pd.DataFrame,
    draw: Callable[[Frame, np.ndarray, np.ndarray, pd.DataFrame], None],
) -> None:
    """Project located points into each frame's CRS and draw those inside its extent."""
    lon = pd.to_numeric(pts["lon"], errors="coerce").to_numpy()
    lat = pd.to_numeric(pts["lat"], errors="coerce").to_numpy()
    for fr in frames:
        x, y = project_lonlat(lon, lat, fr.epsg)
        x0, x1 = fr.ax.get_xlim()
        y0, y1 = fr.ax.get_ylim()
        inside = np.isfinite(x) & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
        if inside.any():
            draw(fr, x[inside], y[inside], pts[inside])


def points_map(
    gdf_deps: gpd.GeoDataFrame,
    points_df: pd.DataFrame,
    region_code: str | None,
    category: str = "category",
    styles: Mapping[str, PointStyle] | None = None,
    *,
    legend_title: str = "",
    figsize: tuple[float, float] | None = None,
    max_map_size: tuple[float, float] = (4.6, 4.4),
    legend_width: float = 1.75,
    layout: InsetLayout = INSETS_LEFT_WIDE,
) -> Figure:
    """Facility points (``lon``, ``lat``, ``category``) over the région's départements.

    ``region_code=None`` draws France with its insets. The legend lists each category with
    its number of rows; rows without coordinates are counted as ``non localisés : n``.
    """
    fs.apply_style()
    key = _register(gdf_deps)
    cats = (
        [c for c in (styles or {}) if c in set(points_df[category])]
        if styles
        else sorted(points_df[category].dropna().astype(str).unique())
    )
    styles = dict(styles) if styles else default_point_styles(cats)
    located = _located(points_df)
    counts = points_df[category].astype(str).value_counts()
    labels = [f"{styles[c].label} ({fmt_number(counts.get(c, 0))})" for c in cats]
    n_missing = int((~located).sum())
    if n_missing:
        labels.append(f"non localisés\u00a0: {fmt_number(n_missing)}")
    # room for the widest label or the title (a legend overflowing the canvas costs a redraw)
    needed = max(
        fs.legend_width(labels, handlelength=1.2, borderpad=0.0),
        fs.text_width(legend_title, fs.FONT_SIZE),
    )
    legend_width = max(legend_width, needed + 0.15)
    fig, frames, anchor = _figure_for(key, region_code, figsize, max_map_size, legend_width, layout)
    _base_for(frames, region_code)
    pts = points_df[located]
    draw_order = sorted(cats, key=lambda c: (-int(counts.get(c, 0)), cats.index(c)))

    def draw(fr: Frame, x: np.ndarray, y: np.ndarray, sub: pd.DataFrame) -> None:
        for cat in draw_order:  # most numerous first, rare categories on top
            m = (sub[category].astype(str) == cat).to_numpy()
            st = styles[cat]
            fr.ax.scatter(
                x[m],
                y[m],
                s=st.size * (0.6 if fr.inset else 1.0),
                c=st.color,
                marker=st.marker,
                edgecolors="white",
                linewidths=0.3,
                zorder=5,
            )

    _draw_in_frames(frames, pts, draw)
    if region_code is None:
        _inset_labels(frames, layout)
    else:
        _scale_bar(frames[0].ax, frac=0.22)
    handles = [
        Line2D(
            [],
            [],
            linestyle="none",
            marker=styles[c].marker,
            color=styles[c].color,
            markeredgecolor="white",
            markeredgewidth=0.3,
            markersize=5.5,
        )
        for c in cats
    ]
    if n_missing:
        handles.append(Line2D([], [], linestyle="none"))
    fig.legend(
        handles,
        labels,
        title=legend_title,
        loc="upper left",
        bbox_to_anchor=anchor,
        alignment="left",
        borderaxespad=0.0,
        handlelength=1.2,
        labelspacing=0.4,
    )
    return fig


def circles_map(
    gdf_deps: gpd.GeoDataFrame,
    points_df: pd.DataFrame,
    region_code: str | None,
    scale: CircleScale,
    *,
    value: str = "value",
    color_by: str | None = None,
    classes: Classes | None = None,
    size_title: str = "",
    color_title: str = "",
    decimals: int | None = None,
    figsize: tuple[float, float] | None = None,
    max_map_size: tuple[float, float] = (4.6, 4.4),
    legend_width: float = 1.75,
    layout: InsetLayout = INSETS_LEFT_WIDE,
) -> Figure:
    """Proportional circles (area ∝ ``value``, national ``scale``) at ``lon``/``lat``.

    With ``color_by`` and ``classes`` (e.g. :func:`diverging_breaks` centred on the France
    change), circles are coloured by class; n.d. colour values are grey, hatched.
    """
    fs.apply_style()
    key = _register(gdf_deps)
    fig, frames, anchor = _figure_for(key, region_code, figsize, max_map_size, legend_width, layout)
    _base_for(frames, region_code)
    pts = points_df[_located(points_df)].copy()
    pts["_v"] = pd.to_numeric(pts[value], errors="coerce")
    pts = pts[pts["_v"] > 0].sort_values("_v", ascending=False, kind="stable")
    statuses: set[str] = set()

    def colors_of(sub: pd.DataFrame) -> list[str]:
        if color_by is None or classes is None:
            return [fs.REGION_COLOR] * len(sub)
        cv = pd.to_numeric(sub[color_by], errors="coerce")
        return [classes.color(v) or fs.ND_COLOR for v in cv]

    def draw(fr: Frame, x: np.ndarray, y: np.ndarray, sub: pd.DataFrame) -> None:
        cols = colors_of(sub)
        if fs.ND_COLOR in cols:
            statuses.add("nd")
        fr.ax.scatter(
            x,
            y,
            s=scale.area(sub["_v"].to_numpy()),
            c=cols,
            alpha=0.9,
            edgecolors="#3a3a3a",
            linewidths=0.35,
            zorder=5,
        )

    _draw_in_frames(frames, pts, draw)
    if region_code is None:
        _inset_labels(frames, layout)
    else:
        _scale_bar(frames[0].ax, frac=0.22)
    size_legend = _size_legend(fig, scale, size_title, anchor, decimals)
    if color_by is not None and classes is not None:
        _class_legend_below(fig, size_legend, classes, color_title, statuses, decimals)
    return fig


def _size_legend(
    fig: Figure, scale: CircleScale, title: str, anchor: tuple[float, float], decimals: int | None
) -> Legend:
    refs = scale.reference_values()
    d = 0 if decimals is None else decimals
    handles = [
        Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            markersize=math.sqrt(scale.area(v)),
            markerfacecolor="none",
            markeredgecolor="#3a3a3a",
            markeredgewidth=0.5,
        )
        for v in refs
    ]
    labels = [fmt_number(v, d) for v in refs]
    return fig.legend(
        handles,
        labels,
        title=title,
        loc="upper left",
        bbox_to_anchor=anchor,
        alignment="left",
        borderaxespad=0.0,
        labelspacing=1.1,
        handletextpad=1.2,
        borderpad=0.5,
    )


def _class_legend_below(
    fig: Figure,
    above: Legend,
    classes: Classes,
    title: str,
    statuses: set[str],
    decimals: int | None,
) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    bbox = above.get_window_extent(renderer).transformed(fig.transFigure.inverted())
    _class_legend(fig, classes, title, statuses, (bbox.x0, bbox.y0 - 0.03), decimals)


def department_points(gdf_deps: gpd.GeoDataFrame) -> pd.DataFrame:
    """``code, lon, lat`` of each département's representative point (for circles by D)."""
    pts = gdf_deps.geometry.representative_point()
    return pd.DataFrame({"code": gdf_deps["code"].values, "lon": pts.x.values, "lat": pts.y.values})


def fmt_change_label(value: float) -> str:
    """``−12,3 %`` style label for legends of changes."""
    return fmt_number(value, 1, sign=True).replace("-", MINUS) + "\u00a0%"
