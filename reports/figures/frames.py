"""Map frames (one axes each, in one CRS) and the layouts that place them in a figure drawn
at the width of its slot (:data:`reports.figures.style.SLOTS_MM`).

A regional map has one frame, sized to the région's shape, its legend below it or on its right,
whichever leaves the larger map (:func:`region_layout`); a France map has the metropolitan frame
plus the five DROM insets in a column on its left (:func:`france_layout`), or in a row below it
for the small locator (:func:`locator_layout`). A frame fits its extent at equal scale and keeps
its layer's paths clipped to the view. Legends are measured before the figure is made
(:data:`LegendSize`), so the figure's size is final when it is drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import shapely
from matplotlib import axis as maxis
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
from reports.figures.style import MIN_TEXT


# --- inset layouts -----------------------------------------------------------------------
@dataclass(frozen=True)
class InsetLayout:
    """Where the metropolitan frame and the five DROM insets go (figure fractions)."""

    figsize: tuple[float, float]
    metro: tuple[float, float, float, float]
    insets: Mapping[str, tuple[float, float, float, float]]
    legend_anchor: tuple[float, float]  # upper-left corner of the legend, figure fraction
    label_size: float = MIN_TEXT
    scale_bars: bool = True
    labels_below: bool = False  # small locators: names under the inset boxes


def _column(x: float, w: float, n: int, top: float, bottom: float, gap: float) -> list:
    h = (top - bottom - gap * (n - 1)) / n
    return [(x, top - (i + 1) * h - i * gap, w, h) for i in range(n)]


def _row(y: float, h: float, n: int, left: float, right: float, gap: float) -> list:
    w = (right - left - gap * (n - 1)) / n
    return [(left + i * (w + gap), y, w, h) for i in range(n)]


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


@contextmanager
def _no_new_ticks(axis: maxis.Axis) -> Iterator[None]:
    """Inside the block, tick settings reach only the ticks already made: the tick lists
    are lazy, and applying a setting to a list not made yet would make a tick for it."""
    unmade = [n for n in ("majorTicks", "minorTicks") if n not in vars(axis)]
    for name in unmade:
        setattr(axis, name, [])
    try:
        yield
    finally:
        for name in unmade:
            vars(axis).pop(name, None)  # lazy again: made if anything ever draws a tick


class _MapAxisMixin:
    """An axis of a map frame, whose ticks are never shown: its tick settings are kept for
    ticks made later, and no tick is made to receive them (matplotlib makes a major and a
    minor tick per axis in ``Axes.clear``, half the cost of a map's six axes)."""

    def set_tick_params(self, which: str = "major", reset: bool = False, **kwargs: Any) -> None:
        with _no_new_ticks(self):  # type: ignore[arg-type]
            super().set_tick_params(which, reset, **kwargs)  # type: ignore[misc]

    def set_clip_path(self, path: Any, transform: Any = None) -> None:
        with _no_new_ticks(self):  # type: ignore[arg-type]
            super().set_clip_path(path, transform)  # type: ignore[misc]


class _MapXAxis(_MapAxisMixin, maxis.XAxis):
    pass


class _MapYAxis(_MapAxisMixin, maxis.YAxis):
    pass


class MapAxes(Axes):
    """Axes of a map frame: plain axes whose x and y axes make no ticks (both are hidden);
    what is drawn is the same."""

    name = "atlas_map"

    def _init_axis(self) -> None:  # Axes._init_axis with the map axes' Axis classes
        self.xaxis = _MapXAxis(self, clear=False)
        self.spines.bottom.register_axis(self.xaxis)
        self.spines.top.register_axis(self.xaxis)
        self.yaxis = _MapYAxis(self, clear=False)
        self.spines.left.register_axis(self.yaxis)
        self.spines.right.register_axis(self.yaxis)

    def clear(self) -> None:
        super().clear()
        for spine in self.spines.values():  # what a tick's making did: the spines' transform
            spine.set_position(("outward", 0.0))


def _new_axes(fig: Figure, rect: Sequence[float], inset: bool) -> Axes:
    ax = fig.add_axes(rect, axes_class=MapAxes)
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
        if not layout.labels_below:  # room for the name above the island, inside the box
            _room_on_top(
                iax, 1.5 * layout.label_size / (layout.insets[code][3] * fig.get_figheight() * 72)
            )
        frames.append(Frame(iax, code, DROM_EPSG[code], layer, inset=True).clip())
    return frames


def _room_on_top(ax: Axes, frac: float) -> None:
    """Zoom out so that the top ``frac`` of the axes is free (equal scale kept)."""
    s = 1 / (1 - min(max(frac, 0.0), 0.45))
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    half = (x1 - x0) * s / 2
    ax.set_xlim((x0 + x1) / 2 - half, (x0 + x1) / 2 + half)
    ax.set_ylim(y0 - (y1 - y0) * 0.02, y0 + (y1 - y0) * s)


def _region_members(key: str, region_code: str) -> tuple[str, list[str]]:
    zone = REGION_OF_DROM.get(region_code, "metro")
    proj = projected(key, zone)
    members = [c for c, r in zip(proj.codes, proj.regions, strict=True) if r == region_code]
    if not members:
        raise ValueError(f"unknown région code {region_code!r}")
    return zone, members


#: room between a map and its legend block, inches
LEGEND_GAP = 0.08

LegendSize = Callable[[float], tuple[float, float]]  # available width → (width, height), inches


def _extent_ratio(bounds: Sequence[float], margin: float) -> float:
    """Height / width of ``bounds`` once :func:`_set_extent` has added its margin."""
    x0, y0, x1, y1 = bounds
    pad = max(x1 - x0, y1 - y0) * margin
    return (y1 - y0 + 2 * pad) / max(x1 - x0 + 2 * pad, 1.0)


def _fit(box_w: float, box_h: float, ratio: float) -> tuple[float, float]:
    """The largest (w, h) of aspect ``ratio`` (h / w) inside a box."""
    w = min(box_w, box_h / ratio)
    return w, w * ratio


@dataclass(frozen=True)
class MapLayout:
    """A regional map in its slot: figure size (inches), the map box and where the legend
    block goes (upper-left corner, figure fraction; the width it may take, inches)."""

    figsize: tuple[float, float]
    map_rect: tuple[float, float, float, float]
    legend_anchor: tuple[float, float]
    legend_width: float
    below: bool


def region_layout(
    ratio: float, width: float, max_height: float, legend_size: LegendSize
) -> MapLayout:
    """Map of aspect ``ratio`` and its legend in a slot ``width`` inches wide: the legend to
    the right of the map or below it, whichever leaves the larger map (below on a tie)."""
    lw_b, lh_b = legend_size(width)
    below = _fit(width, max(max_height - lh_b - LEGEND_GAP, 0.3 * max_height), ratio)
    lw_r, lh_r = legend_size(0.42 * width)
    right = _fit(width - lw_r - LEGEND_GAP, max_height, ratio)
    if below[0] * below[1] >= 0.98 * right[0] * right[1]:
        mw, mh = below
        height = mh + LEGEND_GAP + lh_b
        x = (width - mw) / 2
        return MapLayout(
            (width, height),
            (x / width, 1 - mh / height, mw / width, mh / height),
            (0.0, (height - mh - LEGEND_GAP) / height),
            width,
            True,
        )
    mw, mh = right
    height = max(mh, lh_r)
    return MapLayout(
        (width, height),
        (0.0, 1 - mh / height, mw / width, mh / height),
        ((mw + LEGEND_GAP) / width, 1.0),
        width - mw - LEGEND_GAP,
        False,
    )


def region_ratio(key: str, region_code: str) -> float:
    zone, members = _region_members(key, region_code)
    return _extent_ratio(projected(key, zone).bounds(members), 0.04)


def france_layout(
    key: str,
    width: float,
    legend_size: LegendSize,
    *,
    max_height: float | None = None,
    inset_frac: float = 0.21,
    legend_right: bool = False,
) -> InsetLayout:
    """France in a slot ``width`` inches wide: the DROM insets in a column on the left (at
    least 18 mm wide in a half slot), the metropolitan frame, the legend below (or on the
    right)."""
    metro = projected(key, "metro")
    ratio = _extent_ratio(metro.bounds(metro.codes), 0.01)
    iw = inset_frac * width
    gap = 0.04
    if legend_right:
        lw, lh = legend_size(0.3 * width)
        mw = width - iw - gap - lw - LEGEND_GAP
        if max_height is not None:
            mw = min(mw, max_height / ratio)
        mh = mw * ratio
        height = max(mh, lh)
        anchor = ((iw + gap + mw + LEGEND_GAP) / width, 1.0)
    else:
        lw, lh = legend_size(width)
        mw = width - iw - gap
        if max_height is not None:
            mw = min(mw, (max_height - lh - LEGEND_GAP) / ratio)
        mh = mw * ratio
        height = mh + LEGEND_GAP + lh
        anchor = (0.0, (height - mh - LEGEND_GAP) / height)
    top = 1.0
    bottom = 1 - mh / height
    fx, fw = iw / width, mw / width
    ix = 0.005
    return InsetLayout(
        figsize=(width, height),
        metro=((iw + gap) / width, bottom, fw, mh / height),
        insets=dict(
            zip(
                DROM_DEPS,
                _column(ix, fx - ix, 5, top - 0.005, bottom + 0.005, 0.012),
                strict=True,
            )
        ),
        legend_anchor=anchor,
        label_size=MIN_TEXT,
    )


def locator_layout(key: str, width: float) -> InsetLayout:
    """France with the DROM in a row of insets below it, names under the insets."""
    metro = projected(key, "metro")
    ratio = _extent_ratio(metro.bounds(metro.codes), 0.01)
    mw = 0.8 * width
    mh = mw * ratio
    gap = 0.012 * width
    iw = (width - 4 * gap) / 5
    ih = 0.85 * iw
    label = 1.6 * MIN_TEXT / 72
    height = mh + 0.06 + ih + label
    edge = 1.0 / 72 / width  # 1 pt: the insets' outer frame lines stay inside the canvas
    return InsetLayout(
        figsize=(width, height),
        metro=(0.1, 1 - mh / height, 0.8, mh / height),
        insets=dict(
            zip(
                DROM_DEPS,
                _row(label / height, ih / height, 5, edge, 1 - edge, gap / width),
                strict=True,
            )
        ),
        legend_anchor=(0.0, 1.0),
        label_size=MIN_TEXT,
        scale_bars=False,
        labels_below=True,
    )


def _region_frame(fig: Figure, key: str, region_code: str, rect: Sequence[float]) -> Frame:
    zone, members = _region_members(key, region_code)
    return bounds_frame(fig, key, zone, projected(key, zone).bounds(members), rect)


def bounds_frame(
    fig: Figure, key: str, zone: str, bounds: Sequence[float], rect: Sequence[float]
) -> Frame:
    """A map frame of ``zone`` showing ``bounds`` (+ 4 %) in ``rect``, its polygons simplified
    for the printed scale."""
    ax = _new_axes(fig, rect, inset=False)
    _set_extent(ax, bounds, margin=0.04)
    width_pt = ax.get_position().width * fig.get_figwidth() * 72
    metres_per_pt = (ax.get_xlim()[1] - ax.get_xlim()[0]) / width_pt
    tol = max(t for t in TOLERANCE_LEVELS_M if t <= 0.5 * metres_per_pt)
    epsg = METRO_EPSG if zone == "metro" else DROM_EPSG[zone]
    return Frame(ax, zone, epsg, zone_layer(key, zone, tol), tolerance=tol).clip()


def region_figure(
    key: str, region_code: str, width: float, max_height: float, legend_size: LegendSize
) -> tuple[Figure, Frame, MapLayout]:
    """The figure of a regional map drawn for a slot ``width`` inches wide."""
    layout = region_layout(region_ratio(key, region_code), width, max_height, legend_size)
    fig = Figure(figsize=layout.figsize)
    return fig, _region_frame(fig, key, region_code, layout.map_rect), layout


# --- zoom insets (DESIGN: dense point clusters — Paris, Lyon, Marseille — get a zoom inset) --
@dataclass(frozen=True)
class Zoom:
    """The dense city of a région's point maps, drawn again at a larger scale in an inset:
    the extent of some départements, or a lon/lat box."""

    label: str
    departements: tuple[str, ...] = ()
    lonlat: tuple[float, float, float, float] | None = None  # lon0, lat0, lon1, lat1


ZOOMS: dict[str, Zoom] = {
    "11": Zoom("Paris et petite couronne", departements=("75", "92", "93", "94")),
    "84": Zoom("Lyon", lonlat=(4.72, 45.68, 5.00, 45.84)),
    "93": Zoom("Marseille", lonlat=(5.24, 43.20, 5.55, 43.39)),
}
#: circles stay their size in a zoom: only a strong zoom separates them (Paris alone)
CIRCLE_ZOOMS: dict[str, Zoom] = {"11": Zoom("Paris", departements=("75",))}
#: the inset's share of the map's width (about ZOOM_SCALE times the zoomed area's, within
#: these bounds), and the most of the map's height it may take
ZOOM_WIDTH = (0.24, 0.38)
ZOOM_SCALE = 4.0
ZOOM_MAX_HEIGHT = 0.46
ZOOM_MARGIN = 0.03
#: an inset may hide at most this share of the map's points (and a score, points hidden +
#: half the share of the inset over the région, of at most ZOOM_MAX_SCORE)
ZOOM_MAX_HIDDEN = 0.05
ZOOM_MAX_SCORE = 0.3


def zoom_bounds(zoom: Zoom, frame: Frame) -> tuple[float, float, float, float]:
    """The zoom's extent in ``frame``'s CRS."""
    if zoom.departements:
        return frame.layer.bounds(zoom.departements)
    assert zoom.lonlat is not None
    import numpy as np

    from reports.figures.geo import project_lonlat

    lon0, lat0, lon1, lat1 = zoom.lonlat
    x, y = project_lonlat(
        np.array([lon0, lon1, lon0, lon1]), np.array([lat0, lat0, lat1, lat1]), frame.epsg
    )
    return float(x.min()), float(y.min()), float(x.max()), float(y.max())


def zoom_placement(
    frame: Frame,
    region_code: str,
    bounds: Sequence[float],
    xy: tuple[Sequence[float], Sequence[float]],
) -> tuple[tuple[float, float, float, float], str] | None:
    """Where a zoom inset of ``bounds`` goes inside ``frame``'s map: the corner that hides
    the fewest of the points ``xy`` and the least of the région (never the zoomed area
    itself; the lower right, where the scale bar is, last). Returns the inset rectangle in
    figure fractions and the corner ("upper right"…), or None when every corner would hide
    too much."""
    import numpy as np

    ax = frame.ax
    fig = ax.figure
    fw, fh = fig.get_size_inches()
    pos = ax.get_position()
    aw, ah = pos.width * fw, pos.height * fh
    ratio = _extent_ratio(bounds, ZOOM_MARGIN)
    X0, X1 = ax.get_xlim()
    Y0, Y1 = ax.get_ylim()
    share = ZOOM_SCALE * (bounds[2] - bounds[0]) / (X1 - X0)
    iw = min(max(share, ZOOM_WIDTH[0]), ZOOM_WIDTH[1]) * aw
    ih = iw * ratio
    if ih > ZOOM_MAX_HEIGHT * ah:
        ih = ZOOM_MAX_HEIGHT * ah
        iw = ih / ratio
    pad = 0.015 * aw
    sx, sy = (X1 - X0) / aw, (Y1 - Y0) / ah
    region = shapely.union_all(
        [
            g
            for c, g in zip(frame.layer.region_codes, frame.layer.region_geoms, strict=True)
            if c == region_code
        ]
    )
    px, py = np.asarray(xy[0], dtype=float), np.asarray(xy[1], dtype=float)
    zoomed = shapely.box(*bounds)
    best = None
    for corner in ("upper right", "upper left", "lower left", "lower right"):
        left = aw - pad - iw if corner.endswith("right") else pad
        bottom = ah - pad - ih if corner.startswith("upper") else pad
        box = shapely.box(
            X0 + left * sx, Y0 + bottom * sy, X0 + (left + iw) * sx, Y0 + (bottom + ih) * sy
        )
        if box.intersects(zoomed):
            continue
        x0, y0, x1, y1 = box.bounds
        hidden = ((px >= x0) & (px <= x1) & (py >= y0) & (py <= y1)).sum() / max(px.size, 1)
        land = region.intersection(box).area / box.area if not region.is_empty else 0.0
        score = hidden + 0.5 * land + (0.15 if corner == "lower right" else 0.0)
        if best is None or score < best[0]:
            rect = (pos.x0 + left / fw, pos.y0 + bottom / fh, iw / fw, ih / fh)
            best = (score, rect, corner, hidden)
    if best is None or best[0] > ZOOM_MAX_SCORE or best[3] > ZOOM_MAX_HIDDEN:
        return None
    return best[1], best[2]


def zoom_frame(
    fig: Figure, key: str, frame: Frame, rect: Sequence[float], bounds: Sequence[float]
) -> Frame:
    """The inset frame (same CRS as ``frame``) showing ``bounds`` in ``rect``."""
    ax = _new_axes(fig, rect, inset=True)
    for spine in ax.spines.values():
        spine.set_edgecolor("#4d4d4d")
        spine.set_linewidth(0.6)
    _set_extent(ax, bounds, margin=ZOOM_MARGIN)
    width_pt = ax.get_position().width * fig.get_figwidth() * 72
    metres_per_pt = (ax.get_xlim()[1] - ax.get_xlim()[0]) / width_pt
    tol = max(t for t in TOLERANCE_LEVELS_M if t <= 0.5 * metres_per_pt)
    return Frame(ax, frame.zone, frame.epsg, zone_layer(key, frame.zone, tol), tolerance=tol).clip()
