"""Choropleth and locator maps: départements or régions filled with the national classes, a
région's départements labelled; pure functions returning matplotlib Figures (no file I/O).

Classes come from :mod:`reports.figures.classify` (ATLAS_SPEC §2.7): the same :class:`Classes`
object is passed to every map, so a colour means the same value everywhere. n.d. = light grey,
hatched; s.o. = white, hatched. Titles are never drawn (the HTML caption carries them); legends
are, with their unit, inside the figure.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.path import Path as MplPath

from reports.figures import style as fs
from reports.figures.classify import Classes
from reports.figures.frames import (
    Frame,
    _region_members,
    france_frames,
    france_layout,
    locator_layout,
    region_figure,
)
from reports.figures.geo import REGION_OF_DROM, DepLayer, label_point, layer_codes, register_gdf
from reports.figures.map_elements import (
    class_legend,
    class_legend_size,
    collection,
    context,
    inset_labels,
    outline,
    scale_bar,
)


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


# --- fills and labels --------------------------------------------------------------------
def _fill_units(
    frame: Frame,
    codes: list[str],
    values: dict[str, float],
    classes: Classes,
    so: set[str],
    linewidth: float,
) -> set[str]:
    """Colour ``codes`` of the frame's layer; returns the statuses drawn ({"nd", "so"})."""
    wanted = set(codes)
    items = ((c, p) for c, p in frame.dep_items() if c in wanted)
    return _fill(frame, items, values, classes, so, linewidth)


def _fill_regions(
    frame: Frame, values: dict[str, float], classes: Classes, so: set[str], linewidth: float
) -> set[str]:
    return _fill(frame, frame.region_items(), values, classes, so, linewidth)


def _fill(
    frame: Frame,
    items: Iterable[tuple[str, MplPath]],
    values: dict[str, float],
    classes: Classes,
    so: set[str],
    linewidth: float,
) -> set[str]:
    """Colour (code, path) ``items`` by class, n.d. and s.o.; returns the statuses drawn."""
    classed_paths: list[MplPath] = []
    classed_colors: list[str] = []
    nd: list[MplPath] = []
    so_paths: list[MplPath] = []
    for code, path in items:
        color = classes.color(values.get(code, math.nan))
        if color is not None:
            classed_paths.append(path)
            classed_colors.append(color)
        elif code in so:
            so_paths.append(path)
        else:
            nd.append(path)
    collection(frame.ax, classed_paths, classed_colors, linewidth=linewidth, zorder=2)
    collection(frame.ax, nd, fs.ND_COLOR, linewidth=linewidth, hatch=fs.ND_HATCH, zorder=2)
    collection(
        frame.ax,
        so_paths,
        fs.SO_COLOR,
        edgecolor="#b0b0b0",
        linewidth=linewidth,
        hatch=fs.SO_HATCH,
        zorder=2,
    )
    return {s for s, p in (("nd", nd), ("so", so_paths)) if p}


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
        x, y = label_point(key, frame.zone, frame.tolerance, code)
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


# --- public maps -------------------------------------------------------------------------
def _statuses(codes: Iterable[str], values: dict[str, float], breaks: Classes, so: set[str]) -> set:
    """The n.d. / s.o. entries the legend of a map of ``codes`` needs."""
    out: set[str] = set()
    for code in codes:
        if breaks.color(values.get(code, math.nan)) is None:
            out.add("so" if code in so else "nd")
    return out


def choropleth_region(
    gdf_deps: DepLayer,
    values: Mapping[str, float | None] | pd.Series,
    region_code: str,
    breaks: Classes,
    *,
    legend_title: str = "",
    so: Iterable[str] = (),
    decimals: int | None = None,
    width: float = fs.slot_width("half"),
    max_height: float = fs.slot_height("half"),
    labels: bool = True,
    label_size: float = fs.MIN_TEXT,
) -> Figure:
    """Départements of one région coloured with the national classes, neighbours in grey.

    ``values``: département code → value (NaN/None = n.d., or s.o. when the code is in
    ``so``). Drawn ``width`` inches wide (its slot), at most ``max_height`` tall, the legend
    below the map or on its right, whichever leaves the larger map.
    """
    fs.apply_style()
    key = register_gdf(gdf_deps)
    vals, so_set = _value_map(values), set(so)
    _zone, members = _region_members(key, region_code)
    statuses = _statuses(members, vals, breaks, so_set)
    size = class_legend_size(breaks, legend_title, statuses, decimals)
    fig, frame, layout = region_figure(key, region_code, width, max_height, size)
    context(frame, set(members))
    _fill_units(frame, members, vals, breaks, so_set, 0.5)
    outline(frame, region_code)
    if labels:
        _dep_labels(frame, key, members, label_size)
    scale_bar(frame.ax, frac=0.22)
    class_legend(
        fig,
        breaks,
        legend_title,
        statuses,
        layout.legend_anchor,
        decimals,
        width=layout.legend_width,
    )
    return fig


def choropleth_france(
    gdf: DepLayer,
    values: Mapping[str, float | None] | pd.Series,
    breaks: Classes,
    level: str = "departement",
    drom_insets: bool = True,
    *,
    legend_title: str = "",
    so: Iterable[str] = (),
    decimals: int | None = None,
    width: float = fs.slot_width("half"),
    max_height: float | None = None,
    legend_right: bool = False,
) -> Figure:
    """France: metropolitan frame + the five DROM insets, same classes everywhere, drawn
    ``width`` inches wide (its slot), the legend below (or on the right).

    ``gdf`` is the département layer (with ``region``); ``level="region"`` colours the
    régions (dissolved from the départements) with région-keyed ``values``.
    """
    fs.apply_style()
    key = register_gdf(gdf)
    vals, so_set = _value_map(values), set(so)
    codes = layer_codes(gdf, level)
    statuses = _statuses(map(str, codes), vals, breaks, so_set)
    size = class_legend_size(breaks, legend_title, statuses, decimals)
    layout = france_layout(key, width, size, max_height=max_height, legend_right=legend_right)
    fig = Figure(figsize=layout.figsize)
    frames = france_frames(fig, key, layout, drom=drom_insets)
    for fr in frames:
        if level == "region":
            _fill_regions(fr, vals, breaks, so_set, 0.4)
        else:
            _fill_units(fr, fr.layer.codes, vals, breaks, so_set, 0.25)
            collection(
                fr.ax,
                [p for _, p in fr.region_items()],
                "none",
                edgecolor="#ffffff",
                linewidth=0.8,
                zorder=3,
            )
        if layout.scale_bars and not fr.inset:
            scale_bar(fr.ax, frac=0.2, left=True)  # lower right is Corse
    inset_labels(frames, layout)
    legend_w = width * (0.3 if legend_right else 1.0)
    class_legend(
        fig, breaks, legend_title, statuses, layout.legend_anchor, decimals, width=legend_w
    )
    return fig


def locator(
    gdf_deps: DepLayer,
    region_code: str,
    *,
    width: float = fs.slot_width("half"),
    color: str = fs.REGION_COLOR,
) -> Figure:
    """France with the région highlighted (a DROM is highlighted in its inset)."""
    fs.apply_style()
    key = register_gdf(gdf_deps)
    layout = locator_layout(key, width)
    fig = Figure(figsize=layout.figsize)
    frames = france_frames(fig, key, layout)
    for fr in frames:
        items = fr.region_items()
        colors = [color if r == region_code else "#dcdcdc" for r, _ in items]
        collection(fr.ax, [p for _, p in items], colors, linewidth=0.4, zorder=2)
        if fr.inset and REGION_OF_DROM.get(region_code) == fr.zone:
            for spine in fr.ax.spines.values():
                spine.set_edgecolor(color)
                spine.set_linewidth(1.0)
    inset_labels(frames, layout, highlight=REGION_OF_DROM.get(region_code))
    return fig
