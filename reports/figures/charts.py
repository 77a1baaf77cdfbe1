"""Charts of the fiches and the atlas (G01–G12): pure functions returning matplotlib Figures.

Inputs are small pandas objects already holding the values to draw (the caller reads them
from the :class:`~reports.data.store.Store`); missing values are NaN and are never drawn as 0:
bars are omitted and labelled ``n.d.``, lines show a gap (ATLAS_SPEC §3.8).

Conventions: French number formatting on axes and labels (:mod:`reports.content.fmt`), region in
blue and France in grey (:mod:`reports.figures.style`), no chart title (the HTML caption carries
title, unit and source), the unit goes in the axis label or legend title. Sizes are print
sizes in inches (default 88 × 56 mm, the half slot of :data:`reports.figures.style.SLOTS_MM`);
the figure keeps its width when saved (only its height is cropped), so it is placed unscaled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import LayoutEngine
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import Bbox

from reports.content.fmt import ND, fmt_number
from reports.figures import style as fs

SMALL = (88 / 25.4, 2.2)  # a half slot (style.SLOTS_MM): drawn at the width it is placed at
WIDE = (180 / 25.4, 2.6)  # a full slot


def _figure(figsize: tuple[float, float]) -> Figure:
    fs.apply_style()
    return Figure(figsize=figsize, layout=ChartLayout())


class ChartLayout(LayoutEngine):
    """What constrained layout does for these charts (one Axes, maybe a twin, figure legends
    below it), measured once instead of twice: the Axes is placed so that its decorations
    (tick labels, axis labels) and the legends fit in the figure with ``pad`` inches around.
    Tick positions never depend on the Axes size here (fixed ``nbins``), so one measure is
    exact. Constrained layout took a third of the drawing time of a chart."""

    _adjust_compatible = False
    _colorbar_gridspec = False

    def __init__(self, pad: float = 3 / 72, gap: float = 3 / 72) -> None:
        super().__init__()
        self.pad, self.gap = pad, gap

    def execute(self, fig: Figure) -> None:
        renderer = fig._get_renderer()  # what matplotlib's own layout engines measure with
        dpi = fig.dpi
        width, height = fig.get_size_inches() * dpi
        pad, gap = self.pad * dpi, self.gap * dpi
        bottom = pad
        for legend in fig.legends:  # stacked at the bottom, centred (loc "lower center")
            box = legend.get_window_extent(renderer)
            legend.set_loc("lower center")
            legend.set_bbox_to_anchor((0.5, bottom / height), transform=fig.transFigure)
            bottom += box.height + gap
        axes = fig.axes
        pos = axes[0].get_position().transformed(fig.transFigure)
        tight = Bbox.union([ax.get_tightbbox(renderer, for_layout_only=True) for ax in axes])
        x0 = pad + (pos.x0 - tight.x0)
        x1 = width - pad - (tight.x1 - pos.x1)
        y0 = bottom + (pos.y0 - tight.y0)
        y1 = height - pad - (tight.y1 - pos.y1)
        if x1 <= x0 or y1 <= y0:
            return  # decorations larger than the figure: leave it as it is
        box = Bbox.from_extents(x0 / width, y0 / height, x1 / width, y1 / height)
        for ax in axes:
            ax.set_position(box)


def is_france_metro(name: str) -> bool:
    return str(name).startswith("France métro")


def series_colors(names: Sequence[str], france_like: Sequence[str] = ()) -> list[str]:
    """Region (first series) blue, France grey, France métropolitaine a colour of its own
    (DESIGN: "a clearly different one"), others Okabe–Ito (never those three)."""
    taken = {fs.REGION_COLOR, fs.FRANCE_COLOR, fs.FRANCE_METRO_COLOR}
    others = [c for c in fs.OKABE_ITO if c not in taken]
    out, k = [], 0
    for i, name in enumerate(names):
        if is_france_metro(name):
            out.append(fs.FRANCE_METRO_COLOR)
        elif name in france_like or str(name).startswith("France"):
            out.append(fs.FRANCE_COLOR)
        elif i == 0:
            out.append(fs.REGION_COLOR)
        else:
            out.append(others[k % len(others)])
            k += 1
    return out


def _ordered_colors(n: int) -> list[str]:
    """Sequential colours for ordered classes (density, size classes)."""
    base = ["#edf8b1", *fs.SEQ5]
    idx = np.linspace(0, len(base) - 1, n).round().astype(int)
    return [base[i] for i in idx]


def _number_formatter(decimals: int = 0, suffix: str = "") -> FuncFormatter:
    return FuncFormatter(lambda v, _pos: fmt_number(v, decimals) + suffix)


def _value_locator(vmax: float = 0.0) -> MaxNLocator:
    return MaxNLocator(nbins=4 if vmax >= 10_000 else 5, steps=[1, 2, 2.5, 5, 10])


def _clean_axes(ax: Axes, value_axis: str = "x", vmax: float = 0.0) -> None:
    axis = ax.xaxis if value_axis == "x" else ax.yaxis
    axis.set_major_locator(_value_locator(vmax))
    ax.grid(axis=value_axis, linewidth=0.5)
    ax.tick_params(length=0, pad=2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if value_axis == "x":
        ax.spines["left"].set_visible(False)
    ax.spines["bottom"].set_linewidth(0.5)


def _text_color(hex_color: str) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 140 else fs.TEXT


# --- G01 / G02 / G11: 100 % horizontal stacked bars -------------------------------------
def stacked_100(
    data: pd.DataFrame,
    *,
    ordered: bool = True,
    legend_title: str = "",
    decimals: int = 0,
    min_label: float = 7.0,
    figsize: tuple[float, float] = SMALL,
) -> Figure:
    """Rows = territories (region first, France last), columns = categories (in order),
    values = shares in %. Rows whose values are all NaN show ``n.d.``.
    """
    fig = _figure(figsize)
    ax = fig.add_subplot()
    colors = _ordered_colors(data.shape[1]) if ordered else fs.OKABE_ITO[: data.shape[1]]
    rows = list(data.index)[::-1]  # first row on top
    y = np.arange(len(rows))
    values = data.loc[rows].to_numpy(dtype=float)  # rows × categories
    shown = np.where(np.isfinite(values) & (values > 0), values, 0.0)
    lefts = np.cumsum(shown, axis=1) - shown
    for c_i, color in enumerate(colors):  # one call per category
        ok = shown[:, c_i] > 0
        if ok.any():
            ax.barh(
                y[ok],
                shown[ok, c_i],
                left=lefts[ok, c_i],
                height=0.62,
                color=color,
                edgecolor="white",
                linewidth=0.5,
            )
    for r_i in range(len(rows)):
        if np.isnan(values[r_i]).all():
            ax.text(1, y[r_i], ND, va="center", ha="left")
            continue
        for c_i, v in enumerate(shown[r_i]):
            if v >= min_label:
                ax.text(
                    lefts[r_i, c_i] + v / 2,
                    y[r_i],
                    fmt_number(v, decimals),
                    ha="center",
                    va="center",
                    fontsize=fs.MIN_TEXT,
                    color=_text_color(colors[c_i]),
                )
    ax.set_yticks(y, [str(r) for r in rows])
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(_number_formatter(0, "\u00a0%"))
    _clean_axes(ax, "x")
    handles = [Patch(color=c) for c in colors]
    labels = [str(c) for c in data.columns]
    most = 2 if len(colors) == 4 else min(len(colors), 3)
    fig.legend(
        handles,
        labels,
        title=legend_title or None,
        loc="outside lower center",
        ncols=fs.legend_columns(labels, figsize[0], most, handlelength=1.0, columnspacing=1.0),
        handlelength=1.0,
        columnspacing=1.0,
        alignment="left",
    )
    return fig


# --- G03 / G05 / G06 / G10 / G08: grouped bars -------------------------------------------
def grouped_bars(
    data: pd.DataFrame,
    *,
    unit_label: str = "",
    decimals: int = 0,
    suffix: str = "",
    horizontal: bool = False,
    value_labels: bool = True,
    colors: Sequence[str] | None = None,
    figsize: tuple[float, float] = SMALL,
) -> Figure:
    """Rows = categories, columns = series (e.g. region, France). NaN → ``n.d.``, no bar.
    Three series or more with value labels (France métro., DROM, France): the figure grows
    so that each bar is about as thick as its label."""
    n_cat, n_ser = data.shape
    if horizontal and value_labels and n_ser >= 3:
        figsize = (figsize[0], min(max(figsize[1], 0.75 + 0.12 * n_cat * n_ser), 3.2))
    fig = _figure(figsize)
    ax = fig.add_subplot()
    cols = list(colors) if colors else series_colors([str(c) for c in data.columns])
    width = 0.8 / n_ser
    pos = np.arange(n_cat)[::-1] if horizontal else np.arange(n_cat)
    vmax = np.nanmax(np.abs(data.to_numpy(dtype=float))) if data.notna().any().any() else 1.0
    for s_i, col in enumerate(data.columns):
        offset = (s_i - (n_ser - 1) / 2) * width * (-1 if horizontal else 1)
        vals = data[col].to_numpy(dtype=float)
        ok = np.isfinite(vals)
        if ok.any():  # one call per series: a bar call costs more than its drawing
            bar = ax.barh if horizontal else ax.bar
            bar(pos[ok] + offset, vals[ok], width * 0.92, color=cols[s_i])
        for p, v in zip(pos + offset, vals, strict=True):
            if not np.isfinite(v):
                _nd_mark(ax, p, horizontal, vmax)
            elif value_labels:
                _value_label(ax, p, v, horizontal, decimals, suffix, vmax)
    labels = [str(i) for i in data.index]
    if horizontal:
        ax.set_yticks(pos, labels)
        ax.xaxis.set_major_formatter(_number_formatter(decimals if vmax < 10 else 0, suffix))
        ax.set_xlabel(unit_label)
        ax.set_xlim(0, vmax * 1.18)
        _clean_axes(ax, "x", vmax)
    else:
        ax.set_xticks(
            pos, labels, rotation=0 if n_cat <= 4 else 30, ha="center" if n_cat <= 4 else "right"
        )
        ax.yaxis.set_major_formatter(_number_formatter(decimals if vmax < 10 else 0, suffix))
        ax.set_ylabel(unit_label)
        ax.set_ylim(0, vmax * 1.15)
        _clean_axes(ax, "y", vmax)
    if n_ser > 1:
        handles = [Patch(color=c) for c in cols]
        fig.legend(
            handles,
            [str(c) for c in data.columns],
            loc="outside lower center",
            ncols=n_ser,
            handlelength=1.0,
        )
    return fig


def _nd_mark(ax: Axes, p: float, horizontal: bool, vmax: float) -> None:
    kw = {"fontsize": fs.MIN_TEXT, "color": "#666666"}
    if horizontal:
        ax.text(vmax * 0.01, p, ND, va="center", ha="left", **kw)
    else:
        ax.text(p, vmax * 0.01, ND, va="bottom", ha="center", rotation=90, **kw)


def _value_label(
    ax: Axes, p: float, v: float, horizontal: bool, decimals: int, suffix: str, vmax: float
) -> None:
    text = fmt_number(v, decimals) + suffix
    kw = {"fontsize": fs.MIN_TEXT}
    if horizontal:
        ax.text(v + vmax * 0.01, p, text, va="center", ha="left", **kw)
    else:
        ax.text(p, v + vmax * 0.01, text, va="bottom", ha="center", **kw)


# --- G07 / G09: lines -------------------------------------------------------------------
def index_lines(
    data: pd.DataFrame,
    *,
    base_label: str = "indice base 100",  # the caller names the base year
    reference: float | None = 100.0,
    decimals: int = 0,
    figsize: tuple[float, float] = SMALL,
) -> Figure:
    """Index = year, columns = territories (region first). NaN = gap (never interpolated)."""
    fig = _figure(figsize)
    ax = fig.add_subplot()
    cols = series_colors([str(c) for c in data.columns])
    years = data.index.to_numpy()
    for s_i, col in enumerate(data.columns):
        metro = is_france_metro(str(col))
        ax.plot(
            years,
            data[col].to_numpy(dtype=float),
            color=cols[s_i],
            marker="o",
            markersize=2.5,
            # France métro. is often France's line: dashed, over France's, both stay visible
            linestyle=(0, (3.5, 1.8)) if metro else "-",
            zorder=2.4 if metro else 2.2 if str(col).startswith("France") else 2.3,
            label=str(col),
        )
    if reference is not None:
        ax.axhline(reference, color="#888888", linewidth=0.6, linestyle=(0, (3, 2)), zorder=0)
    _year_axis(ax, years)
    ax.yaxis.set_major_formatter(_number_formatter(decimals))
    ax.set_ylabel(base_label)
    _clean_axes(ax, "y")
    fig.legend(loc="outside lower center", ncols=len(cols), handlelength=1.6)
    return fig


def year_bars(
    values: pd.Series,
    *,
    unit_label: str,
    decimals: int = 0,
    figsize: tuple[float, float] = SMALL,
) -> Figure:
    """One value per year as bars (index = year), the first, highest and last labelled."""
    fig, ax, years, v, ok = _bars_by_year(values, fs.FRANCE_COLOR, figsize)
    vmax = float(np.nanmax(v)) if ok.any() else 0.0
    labelled = {int(years[ok][0]), int(years[ok][-1]), int(years[ok][np.nanargmax(v[ok])])}
    for y, val in zip(years[ok], v[ok], strict=True):
        if int(y) in labelled:
            _value_label(ax, float(y), float(val), False, decimals, "", vmax)
    _year_axis(ax, years)
    ax.yaxis.set_major_formatter(_number_formatter(0))  # round ticks; labels keep decimals
    ax.set_ylabel(unit_label)
    _clean_axes(ax, "y", vmax)
    return fig


def _bars_by_year(
    values: pd.Series, color: str, figsize: tuple[float, float], label: str | None = None
) -> tuple[Figure, Axes, np.ndarray, np.ndarray, np.ndarray]:
    """A figure with one bar per year of ``values`` (n.d. years left empty): the figure, its
    axes, the years, the values and which of them are known."""
    fig = _figure(figsize)
    ax = fig.add_subplot()
    years = values.index.to_numpy()
    v = values.to_numpy(dtype=float)
    ok = np.isfinite(v)
    ax.bar(years[ok], v[ok], color=color, width=0.75, label=label)
    return fig, ax, years, v, ok


def _year_axis(ax: Axes, years: np.ndarray) -> None:
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{int(v)}"))
    if len(years):
        ax.set_xlim(years.min() - 0.5, years.max() + 0.5)


def line_with_index(
    values: pd.Series,
    index: pd.DataFrame,
    *,
    value_label: str = "nombre d'écrans",
    index_label: str = "indice base 100",  # the caller names the base year
    figsize: tuple[float, float] = SMALL,
) -> Figure:
    """G09: a count (bars, left axis) with index lines (right axis, region vs France)."""
    fig, ax, years, _v, _ok = _bars_by_year(
        values, "#cfe1f2", figsize, label=str(values.name or value_label)
    )
    ax.yaxis.set_major_formatter(_number_formatter(0))
    ax.set_ylabel(value_label)
    _year_axis(ax, years)
    _clean_axes(ax, "y")
    ax2 = ax.twinx()
    cols = series_colors([str(c) for c in index.columns])
    for s_i, col in enumerate(index.columns):
        ax2.plot(
            index.index.to_numpy(),
            index[col].to_numpy(dtype=float),
            color=cols[s_i],
            marker="o",
            markersize=2.2,
            label=f"{col} (indice)",
        )
    ax2.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 5, 10], integer=True))
    ax2.yaxis.set_major_formatter(_number_formatter(0))
    ax2.set_ylabel(index_label)
    ax2.spines["right"].set_visible(True)
    ax2.spines["right"].set_linewidth(0.5)
    ax2.spines["top"].set_visible(False)
    ax2.tick_params(length=0, pad=2)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    fig.legend(h1 + h2, l1 + l2, loc="outside lower center", ncols=2, handlelength=1.4)
    return fig


# --- G04: dot plot, index France = 100 ---------------------------------------------------
def dot_index(
    data: pd.Series | pd.DataFrame,
    *,
    label: str = "indice France = 100",
    reference: str = "France = 100",
    figsize: tuple[float, float] = SMALL,
) -> Figure:
    """Index = indicator labels, values = territory / France × 100 (a Series named after the
    territory, or one column per territory: the région, or France métro. and the DROM);
    NaN → ``n.d.``. Every series and the France line are named in the legend."""
    if isinstance(data, pd.Series):
        frame = data.to_frame(name=data.name if data.name is not None else "Territoire")
    else:
        frame = data
    fig = _figure(figsize)
    ax = fig.add_subplot()
    n_ser = frame.shape[1]
    names = [str(c) for c in frame.columns]
    cols = series_colors(names)
    if n_ser == 1:
        cols = [fs.REGION_COLOR]  # the territory described, even when it is "France métro."
    y = np.arange(len(frame))[::-1]
    allv = frame.to_numpy(dtype=float)
    finite = allv[np.isfinite(allv)]
    hi = max(float(finite.max()) if finite.size else 100.0, 100.0) * 1.12
    lo = min(float(finite.min()) if finite.size else 100.0, 100.0) * 0.85
    lo = min(lo, 60.0)
    ax.axvline(100, color=fs.FRANCE_COLOR, linewidth=1.0, zorder=1, label=reference)
    step = 0.36 if n_ser > 1 else 0.0
    for s_i, col in enumerate(frame.columns):
        off = (s_i - (n_ser - 1) / 2) * step
        vals = frame[col].to_numpy(dtype=float)
        for yi, v in zip(y - off, vals, strict=True):
            if not np.isfinite(v):
                ax.text(
                    lo + (hi - lo) * 0.02,
                    yi,
                    ND,
                    va="center",
                    ha="left",
                    fontsize=fs.MIN_TEXT,
                    color="#666666",
                )
                continue
            ax.plot([100, v], [yi, yi], color=cols[s_i], alpha=0.35, linewidth=1.2, zorder=2)
            ax.annotate(
                fmt_number(v, 0),
                (v, yi),
                xytext=(4.5 if v >= 100 else -4.5, 0),
                textcoords="offset points",
                ha="left" if v >= 100 else "right",
                va="center",
                fontsize=fs.MIN_TEXT,
            )
        ok = np.isfinite(vals)
        ax.plot(
            vals[ok],
            (y - off)[ok],
            "o",
            color=cols[s_i],
            markersize=4.5 if n_ser == 1 else 3.8,
            zorder=3,
            label=names[s_i],
        )
    ax.set_yticks(y, [str(i) for i in frame.index])
    ax.set_ylim(-0.6, len(frame) - 0.4)
    ax.set_xlim(lo - (hi - lo) * 0.06, hi)
    ax.xaxis.set_major_formatter(_number_formatter(0))
    ax.set_xlabel(label)
    _clean_axes(ax, "x")
    handles, labels = ax.get_legend_handles_labels()
    order = [*range(1, len(handles)), 0]  # the territories first, the France line last
    fig.legend(
        [handles[i] for i in order],
        [labels[i] for i in order],
        loc="outside lower center",
        ncols=len(handles),
        handlelength=1.2,
        columnspacing=1.2,
    )
    return fig


# --- G12: stacked bars fonctionnement / investissement ----------------------------------
def stacked_bars(
    data: pd.DataFrame,
    *,
    unit_label: str = "€ par habitant",
    decimals: int = 0,
    colors: Mapping[str, str] | None = None,
    figsize: tuple[float, float] = SMALL,
) -> Figure:
    """Rows = spending levels, columns = parts (fonctionnement, investissement). NaN rows
    (e.g. s.o. levels) show ``n.d.``; the total is printed at the end of each bar."""
    fig = _figure(figsize)
    ax = fig.add_subplot()
    palette = ["#2c7fb8", "#a6cee3", "#41b6c4", "#c7e9b4"]
    cols = [
        colors.get(str(c), palette[i]) if colors else palette[i % 4]
        for i, c in enumerate(data.columns)
    ]
    y = np.arange(len(data))[::-1]
    totals = data.sum(axis=1, min_count=1).to_numpy(dtype=float)
    vmax = float(np.nanmax(totals)) if np.isfinite(totals).any() else 1.0
    for yi, (_, row) in zip(y, data.iterrows(), strict=True):
        vals = row.to_numpy(dtype=float)
        if np.isnan(vals).all():
            ax.text(
                vmax * 0.01,
                yi,
                ND,
                va="center",
                ha="left",
                fontsize=fs.MIN_TEXT,
                color="#666666",
            )
            continue
        left = 0.0
        for c_i, v in enumerate(vals):
            if np.isfinite(v) and v > 0:
                ax.barh(
                    yi, v, left=left, height=0.6, color=cols[c_i], edgecolor="white", linewidth=0.5
                )
                left += v
        ax.text(
            left + vmax * 0.01,
            yi,
            fmt_number(left, decimals),
            va="center",
            ha="left",
            fontsize=fs.MIN_TEXT,
        )
    ax.set_yticks(y, [str(i) for i in data.index])
    ax.set_xlim(0, vmax * 1.18)
    ax.xaxis.set_major_formatter(_number_formatter(0))
    ax.set_xlabel(unit_label)
    _clean_axes(ax, "x", vmax)
    handles = [Patch(color=c) for c in cols]
    fig.legend(
        handles,
        [str(c) for c in data.columns],
        loc="outside lower center",
        ncols=len(cols),
        handlelength=1.0,
    )
    return fig


# --- too few units to map (Corse): the départements, the région and France on one axis -----
def value_dots(
    data: pd.Series,
    *,
    unit: str = "",
    decimals: int = 0,
    figsize: tuple[float, float] = SMALL,
) -> Figure:
    """Index = territory names (départements, then the région, then France), values on one
    axis; the région in blue, France in grey, the départements as open dots. NaN → ``n.d.``."""
    fig = _figure(figsize)
    ax = fig.add_subplot()
    vals = data.to_numpy(dtype=float)
    names = [str(i) for i in data.index]
    y = np.arange(len(vals))[::-1]
    finite = vals[np.isfinite(vals)]
    hi = float(finite.max()) if finite.size else 1.0
    lo = min(0.0, float(finite.min()) if finite.size else 0.0)
    span = (hi - lo) or 1.0
    for i, (yi, v) in enumerate(zip(y, vals, strict=True)):
        last, region = i == len(vals) - 1, i == len(vals) - 2
        if not np.isfinite(v):
            ax.text(lo, yi, ND, va="center", ha="left", fontsize=fs.MIN_TEXT, color="#666666")
            continue
        color = fs.FRANCE_COLOR if last else fs.REGION_COLOR
        ax.plot([lo, v], [yi, yi], color="#d9d9d9", linewidth=0.8, zorder=1)
        ax.plot(
            v,
            yi,
            "o",
            markersize=5.5,
            markerfacecolor=color if (last or region) else "white",
            markeredgecolor=color,
            markeredgewidth=1.2,
            zorder=3,
        )
        ax.text(
            v + span * 0.03,
            yi,
            fmt_number(v, decimals),
            va="center",
            ha="left",
            fontsize=fs.MIN_TEXT,
        )
    ax.set_yticks(y, names)
    ax.set_ylim(-0.6, len(vals) - 0.4)
    ax.set_xlim(lo, hi + span * 0.22)
    ax.xaxis.set_major_formatter(_number_formatter(decimals if hi < 10 else 0))
    ax.set_xlabel(unit)
    _clean_axes(ax, "x", hi)
    return fig
