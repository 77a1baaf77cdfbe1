"""Point and proportional-circle maps (facilities at ``lon``/``lat``) with their category and
size legends; pure functions returning matplotlib Figures (no file I/O).

A regional map shows the région's départements over their grey neighbours; ``region_code=None``
draws France with the five DROM insets. Points are projected into each frame's CRS.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D

from reports.content.fmt import fmt_number
from reports.figures import style as fs
from reports.figures.classify import CircleScale, Classes, PointStyle, default_point_styles
from reports.figures.frames import (
    INSETS_LEFT_WIDE,
    Frame,
    InsetLayout,
    france_frames,
    region_figure,
)
from reports.figures.geo import project_lonlat, register_gdf
from reports.figures.map_elements import (
    class_legend,
    collection,
    context,
    inset_labels,
    outline,
    scale_bar,
)


# --- frames and base map ------------------------------------------------------------------
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
        return fig, france_frames(fig, key, layout), layout.legend_anchor
    fig, frame, lw = region_figure(key, region_code, figsize, max_map, legend_width)
    return fig, [frame], (1.0 - lw + 0.02, 0.97)


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


# --- public maps -------------------------------------------------------------------------
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
        inset_labels(frames, layout)
    else:
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
    key = register_gdf(gdf_deps)
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
        inset_labels(frames, layout)
    else:
        scale_bar(frames[0].ax, frac=0.22)
    size_legend = _size_legend(fig, scale, size_title, anchor, decimals)
    if color_by is not None and classes is not None:
        _class_legend_below(fig, size_legend, classes, color_title, statuses, decimals)
    return fig


# --- legends -----------------------------------------------------------------------------
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
    class_legend(fig, classes, title, statuses, (bbox.x0, bbox.y0 - 0.03), decimals)


# --- helpers -----------------------------------------------------------------------------
