"""Map frames (one axes each, in one CRS) and the inset layouts that place them in a figure.

A regional map has one frame, sized to the région's shape; a France map has the metropolitan
frame plus the five DROM insets, placed by an :class:`InsetLayout` (:data:`INSETS_LEFT` for
full-page maps, :data:`INSETS_BOTTOM` for small locators). A frame fits its extent at equal
scale and keeps its layer's paths clipped to the view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import shapely
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.path import Path as MplPath

from reports.figures.geo import (
    DROM_DEPS,
    DROM_EPSG,
    FRANCE_TOLERANCE_M,
    METRO_EPSG,
    REGION_OF_DROM,
    TOLERANCE_LEVELS_M,
    Layer,
    polygon_path,
    projected,
    zone_layer,
)


# --- inset layouts -----------------------------------------------------------------------
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


# --- frames ------------------------------------------------------------------------------
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
            out.append(None if clipped.is_empty else polygon_path(clipped))
    return out


def france_frames(fig: Figure, key: str, layout: InsetLayout, drom: bool = True) -> list[Frame]:
    metro = zone_layer(key, "metro", FRANCE_TOLERANCE_M)
    ax = _new_axes(fig, layout.metro, inset=False)
    _set_extent(ax, metro.bounds(metro.codes), margin=0.01)
    frames = [Frame(ax, "metro", METRO_EPSG, metro, tolerance=FRANCE_TOLERANCE_M).clip()]
    if not drom:
        return frames
    for code in DROM_DEPS:
        layer = zone_layer(key, code, 0.0)
        iax = _new_axes(fig, layout.insets[code], inset=True)
        _set_extent(iax, layer.bounds([code]), margin=0.08)
        frames.append(Frame(iax, code, DROM_EPSG[code], layer, inset=True).clip())
    return frames


def _region_members(key: str, region_code: str) -> tuple[str, list[str]]:
    zone = REGION_OF_DROM.get(region_code, "metro")
    proj = projected(key, zone)
    members = [c for c, r in zip(proj.codes, proj.regions, strict=True) if r == region_code]
    if not members:
        raise ValueError(f"unknown région code {region_code!r}")
    return zone, members


def _fit_size(
    key: str, region_code: str, max_map: tuple[float, float], legend_width: float
) -> tuple[float, float]:
    """Figure size (inches) whose map box has the région's aspect, within ``max_map``."""
    zone, members = _region_members(key, region_code)
    x0, y0, x1, y1 = projected(key, zone).bounds(members)
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
    _set_extent(ax, projected(key, zone).bounds(members), margin=0.04)
    width_pt = ax.get_position().width * fig.get_figwidth() * 72
    metres_per_pt = (ax.get_xlim()[1] - ax.get_xlim()[0]) / width_pt
    tol = max(t for t in TOLERANCE_LEVELS_M if t <= 0.5 * metres_per_pt)
    epsg = METRO_EPSG if zone == "metro" else DROM_EPSG[zone]
    return Frame(ax, zone, epsg, zone_layer(key, zone, tol), tolerance=tol).clip()


def region_figure(
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
