"""Point and proportional-circle maps (facilities at ``lon``/``lat``) with their category and
size legends; pure functions returning matplotlib Figures (no file I/O).

A regional map shows the région's départements over their grey neighbours; ``region_code=None``
draws France with the five DROM insets. Points are projected into each frame's CRS.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D

from reports.content.fmt import fmt_number
from reports.figures import style as fs
from reports.figures.classify import CircleScale, Classes, PointStyle, default_point_styles
from reports.figures.frames import (
    CIRCLE_ZOOMS,
    LEGEND_GAP,
    ZOOMS,
    Frame,
    InsetLayout,
    LegendSize,
    Zoom,
    france_frames,
    france_layout,
    region_figure,
    zoom_bounds,
    zoom_frame,
    zoom_placement,
)
from reports.figures.geo import DepLayer, project_lonlat, register_gdf
from reports.figures.map_elements import (
    class_legend,
    class_legend_size,
    collection,
    context,
    inset_labels,
    outline,
    scale_bar,
)
from reports.figures.map_elements import legend_size as legend_size_of


# --- frames and base map ------------------------------------------------------------------
def _figure_for(
    key: str,
    region_code: str | None,
    width: float,
    max_height: float,
    legend_size: LegendSize,
) -> tuple[Figure, list[Frame], InsetLayout | None, tuple[float, float], float]:
    """A regional figure (legend below or on the right) or a France figure with insets
    (legend on the right): figure, frames, France layout, legend anchor and width."""
    if region_code is None:
        layout = france_layout(key, width, legend_size, max_height=max_height, legend_right=True)
        fig = Figure(figsize=layout.figsize)
        return fig, france_frames(fig, key, layout), layout, layout.legend_anchor, 0.3 * width
    fig, frame, lay = region_figure(key, region_code, width, max_height, legend_size)
    return fig, [frame], None, lay.legend_anchor, lay.legend_width


def _base_for(frames: list[Frame], region_code: str | None) -> None:
    for fr in frames:
        layer = fr.layer
        if region_code is None:
            collection(
                fr.ax, [p for _, p in fr.dep_items()], "#f4f4f4", edgecolor="#c8c8c8", linewidth=0.3
            )
            collection(
                fr.ax,
                [p for _, p in fr.region_items()],
                "none",
                edgecolor="#8f8f8f",
                linewidth=0.6,
                zorder=1.5,
            )
            continue
        members = {c for c, r in zip(layer.codes, layer.regions, strict=True) if r == region_code}
        context(fr, members)
        paths = [p for c, p in fr.dep_items() if c in members]
        collection(fr.ax, paths, "#fbfbf8", edgecolor="#9a9a9a", linewidth=0.5, zorder=2)
        outline(fr, region_code)


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


#: a zoom inset is drawn when its area holds points at this many distinct places or more
#: (festivals are located at their commune: Marseille's 120 are at two places)
ZOOM_MIN_PLACES = 30


def _zoom_inset(
    fig: Figure,
    key: str,
    frame: Frame,
    region_code: str | None,
    pts: pd.DataFrame,
    draw: Callable[[Frame, np.ndarray, np.ndarray, pd.DataFrame], None],
    zooms: Mapping[str, Zoom] = ZOOMS,
) -> Frame | None:
    """The dense city of the région (:data:`reports.figures.frames.ZOOMS`: Paris and the
    petite couronne, Lyon, Marseille) drawn again in an inset, in the corner of the map that
    hides the fewest points, its area framed on the map (DESIGN: dense point clusters get a
    zoom inset). None when the région has no such city or too few points there."""
    zoom = zooms.get(region_code or "")
    if zoom is None or pts.empty:
        return None
    bounds = zoom_bounds(zoom, frame)
    lon = pd.to_numeric(pts["lon"], errors="coerce").to_numpy()
    lat = pd.to_numeric(pts["lat"], errors="coerce").to_numpy()
    x, y = project_lonlat(lon, lat, frame.epsg)
    x0, y0, x1, y1 = bounds
    inside = np.isfinite(x) & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    places = {(round(float(a)), round(float(b))) for a, b in zip(x[inside], y[inside], strict=True)}
    if len(places) < ZOOM_MIN_PLACES:
        return None
    placed = zoom_placement(frame, region_code or "", bounds, (x, y))
    if placed is None:
        return None
    rect, _corner = placed
    zf = zoom_frame(fig, key, frame, rect, bounds)
    _base_for([zf], region_code)
    _draw_in_frames([zf], pts, draw)
    from matplotlib.patches import Rectangle

    frame.ax.add_patch(
        Rectangle(
            (x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="#4d4d4d", linewidth=0.6, zorder=7
        )
    )
    zf.ax.text(
        0.03,
        0.97,
        zoom.label,
        transform=zf.ax.transAxes,
        ha="left",
        va="top",
        fontsize=fs.MIN_TEXT,
        zorder=8,
        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.0},
    )
    scale_bar(zf.ax, frac=0.3)
    zf.ax.texts[-1].set_bbox(  # the scale's label, over dense points
        {"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 0.6}
    )
    return zf


# --- public maps -------------------------------------------------------------------------
def points_map(
    gdf_deps: DepLayer,
    points_df: pd.DataFrame,
    region_code: str | None,
    category: str = "category",
    styles: Mapping[str, PointStyle] | None = None,
    *,
    legend_title: str = "",
    width: float = fs.slot_width("half"),
    max_height: float = fs.slot_height("half"),
) -> Figure:
    """Facility points (``lon``, ``lat``, ``category``) over the région's départements.

    ``region_code=None`` draws France with its insets. The legend lists each category with
    its number of rows; rows without coordinates are counted as ``non localisés : n``.
    """
    fs.apply_style()
    key = register_gdf(gdf_deps)
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
    ncols_most = 2

    def legend_size(avail: float) -> tuple[float, float]:
        n = fs.legend_columns(labels, avail, ncols_most, handlelength=1.2, borderpad=0.0)
        return legend_size_of(labels, legend_title, n, handlelength=1.2, borderpad=0.0)

    fig, frames, layout, anchor, legend_w = _figure_for(
        key, region_code, width, max_height, legend_size
    )
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
    if layout is not None:
        inset_labels(frames, layout)
    else:
        _zoom_inset(fig, key, frames[0], region_code, pts, draw)
        scale_bar(frames[0].ax, frac=0.22)
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
        borderpad=0.0,
        handlelength=1.2,
        labelspacing=0.35,
        ncols=fs.legend_columns(labels, legend_w, ncols_most, handlelength=1.2, borderpad=0.0),
    )
    return fig


def circles_map(
    gdf_deps: DepLayer,
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
    width: float = fs.slot_width("half"),
    max_height: float = fs.slot_height("half"),
    zoom: bool = False,
) -> Figure:
    """Proportional circles (area ∝ ``value``, ``scale`` fitted to the map) at ``lon``/``lat``,
    their legend (and the colour classes') below the map or on its right.

    With ``color_by`` and ``classes`` (e.g. :func:`diverging_breaks` centred on the France
    change), circles are coloured by class; n.d. colour values are grey, hatched. With
    ``zoom``, Paris gets a zoom inset (:data:`reports.figures.frames.CIRCLE_ZOOMS`: circles
    keep their size, so only a strong zoom separates them).
    """
    fs.apply_style()
    key = register_gdf(gdf_deps)
    pts = points_df[_located(points_df)].copy()
    coloured = color_by is not None and classes is not None
    statuses: set[str] = set()
    if coloured and pd.to_numeric(pts[color_by], errors="coerce").isna().any():
        statuses.add("nd")
    size_box = _size_legend_size(scale, size_title, decimals)
    class_size = (
        class_legend_size(classes, color_title, statuses, None, most=1) if coloured else None
    )

    def legend_size(avail: float) -> tuple[float, float]:
        if class_size is None:
            return size_box
        cw, ch = class_size(avail)
        if avail >= 0.99 * width and size_box[0] + LEGEND_GAP + cw <= avail:  # below: side by side
            return size_box[0] + LEGEND_GAP + cw, max(size_box[1], ch)
        return max(size_box[0], cw), size_box[1] + LEGEND_GAP + ch

    fig, frames, layout, anchor, legend_w = _figure_for(
        key, region_code, width, max_height, legend_size
    )
    _base_for(frames, region_code)
    pts["_v"] = pd.to_numeric(pts[value], errors="coerce")
    pts = pts[pts["_v"] > 0].sort_values("_v", ascending=False, kind="stable")

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
    if layout is not None:
        inset_labels(frames, layout)
    else:
        if zoom:
            _zoom_inset(fig, key, frames[0], region_code, pts, draw, CIRCLE_ZOOMS)
        scale_bar(frames[0].ax, frac=0.22)
    _size_legend(fig, scale, size_title, anchor, decimals)
    if coloured:
        assert class_size is not None and classes is not None
        cw, _ch = class_size(legend_w)
        if legend_w >= 0.99 * width and size_box[0] + LEGEND_GAP + cw <= legend_w:
            x = anchor[0] + (size_box[0] + LEGEND_GAP) / fig.get_figwidth()
            place = (x, anchor[1])
        else:
            place = (anchor[0], anchor[1] - (size_box[1] + LEGEND_GAP) / fig.get_figheight())
        class_legend(fig, classes, color_title, statuses, place, decimals, width=cw + 0.01, most=1)
    return fig


# --- legends -----------------------------------------------------------------------------
def _size_legend(
    fig: Figure,
    scale: CircleScale,
    title: str,
    anchor: tuple[float, float],
    decimals: int | None,
    ncols: int = 1,
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
        # matplotlib centres a big marker above its row's box: a blank line keeps it off the title
        title=f"{title}\n" if title and max(h.get_markersize() for h in handles) > 24 else title,
        loc="upper left",
        bbox_to_anchor=anchor,
        alignment="left",
        borderaxespad=0.0,
        handlelength=max(2.0, max(h.get_markersize() for h in handles) / (fs.FONT_SIZE - 0.5)),
        handleheight=max(
            0.7, 1.2 * max(h.get_markersize() for h in handles) / (fs.FONT_SIZE - 0.5)
        ),
        labelspacing=0.9,  # also the gap under the title: big circles overflow their box
        handletextpad=1.2,
        borderpad=0.5,
        ncols=ncols,
        columnspacing=1.5,
    )


def _size_legend_size(
    scale: CircleScale, title: str, decimals: int | None, ncols: int = 1
) -> tuple[float, float]:
    """(width, height) in inches of :func:`_size_legend` (a little more than drawn)."""
    refs = scale.reference_values()
    d = 0 if decimals is None else decimals
    size = fs.FONT_SIZE - 0.5
    diam = [math.sqrt(scale.area(v)) for v in refs]
    text = max(fs.text_width(fmt_number(v, d), size) for v in refs) * 72
    col = max(max(diam), 2 * size) + 1.2 * size + text
    w = max(ncols * col + (ncols - 1) * 1.5 * size, fs.text_width(title, fs.FONT_SIZE) * 72)
    rows = -(-len(diam) // ncols)
    row = max(1.2 * max(diam), 1.4 * size)
    title_lines = 2 if title and max(diam) > 24 else 1  # see _size_legend
    h = rows * row + rows * 0.9 * size + title_lines * 1.4 * fs.FONT_SIZE + 2 * size
    return (w + size) / 72, h * 1.1 / 72


# --- helpers -----------------------------------------------------------------------------


def region_circles(
    gdf_deps: DepLayer,
    values: Mapping[str, float | None] | pd.Series,
    scale: CircleScale,
    *,
    size_title: str = "",
    decimals: int | None = None,
    width: float = fs.slot_width("half"),
    max_height: float | None = None,
    legend_right: bool = False,
) -> Figure:
    """France with one proportional circle per région (area ∝ value, at a point inside the
    région; the DROM in their insets): the map of a count (population), never a choropleth
    (ATLAS_SPEC §2.7)."""
    import shapely

    fs.apply_style()
    key = register_gdf(gdf_deps)
    vals = {str(k): float(v) for k, v in dict(values).items() if v is not None and v == v}
    ncols = 1 if legend_right else 3  # below the map: the three circles in a row
    size_box = _size_legend_size(scale, size_title, decimals, ncols)
    layout = france_layout(
        key, width, lambda _avail: size_box, max_height=max_height, legend_right=legend_right
    )
    fig = Figure(figsize=layout.figsize)
    frames = france_frames(fig, key, layout)
    _base_for(frames, None)
    for fr in frames:
        codes, geoms = fr.layer.region_codes, fr.layer.region_geoms
        shown = [
            (vals[c], shapely.point_on_surface(g))
            for c, g, p in zip(codes, geoms, fr.region_paths, strict=True)
            if p is not None and c in vals and vals[c] > 0
        ]
        if not shown:
            continue
        shown.sort(key=lambda t: -t[0])  # large circles below small ones
        v = np.array([t[0] for t in shown])
        fr.ax.scatter(
            [t[1].x for t in shown],
            [t[1].y for t in shown],
            s=scale.area(v),
            c=fs.REGION_COLOR,
            alpha=0.75,
            edgecolors="white",
            linewidths=0.6,
            zorder=5,
        )
    inset_labels(frames, layout)
    for fr in frames:
        if not fr.inset:
            scale_bar(fr.ax, frac=0.2, left=True)
    _size_legend(fig, scale, size_title, layout.legend_anchor, decimals, ncols)
    return fig
