"""What maps of every kind draw into their frames: polygon collections, the grey context and
the région outline, the DROM inset names, the scale bar and the class legend (with the n.d. and
s.o. entries)."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.patches import Patch
from matplotlib.path import Path as MplPath

from reports.content.fmt import ND, SO, fmt_number
from reports.figures import style as fs
from reports.figures.classify import Classes, _nice_down, class_labels
from reports.figures.frames import Frame, InsetLayout
from reports.figures.geo import DROM_NAMES


# --- drawing primitives ------------------------------------------------------------------
def collection(
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


def context(frame: Frame, exclude: set[str], region_outline: bool = True) -> None:
    """Neighbouring départements in light grey, région borders slightly darker."""
    paths = [p for c, p in frame.dep_items() if c not in exclude]
    collection(frame.ax, paths, fs.CONTEXT_FILL, linewidth=0.4, zorder=1)
    if region_outline:
        collection(
            frame.ax,
            [p for _, p in frame.region_items()],
            "none",
            edgecolor="#c4c4c4",
            linewidth=0.6,
            zorder=1.5,
        )


def outline(frame: Frame, region_code: str, linewidth: float = 0.9) -> None:
    paths = [p for c, p in frame.region_items() if c == region_code]
    collection(frame.ax, paths, "none", edgecolor=fs.OUTLINE, linewidth=linewidth, zorder=4)


# --- map furniture -----------------------------------------------------------------------
def inset_labels(frames: list[Frame], layout: InsetLayout, highlight: str | None = None) -> None:
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


def scale_bar(ax: Axes, size: float = fs.MIN_TEXT, frac: float = 0.28, left: bool = False) -> None:
    """A scale bar about ``frac`` of the frame wide, in its lower right (or left) corner."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    target = (x1 - x0) * frac
    length = _nice_down(target)
    xr = x0 + (x1 - x0) * 0.03 + length if left else x1 - (x1 - x0) * 0.04
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


#: the class legend's spacing (font-size units), shared by its drawing and its measure
CLASS_LEGEND = {
    "handlelength": 1.6,
    "handleheight": 1.1,
    "handletextpad": 0.6,
    "columnspacing": 1.2,
    "borderpad": 0.2,
    "labelspacing": 0.35,
}
#: line height of Open Sans (ascent + descent), in font sizes
LINE = 1.4


def wrap(text: str, width: float, size: float = fs.MIN_TEXT) -> str:
    """``text`` broken into lines no wider than ``width`` inches at ``size`` points."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and fs.text_width(f"{lines[-1]} {word}", size) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return "\n".join(lines)


def legend_size(
    labels: list[str],
    title: str,
    ncols: int,
    *,
    row_pt: float = 0.0,
    note: str = "",
    width: float = 0.0,
    **spacing: float,
) -> tuple[float, float]:
    """(width, height) in inches of a legend of ``labels`` in ``ncols`` columns with its
    ``title`` and, under it, its ``note`` wrapped to ``width`` (a little more than drawn:
    the figure's height is cropped to what is drawn)."""
    size = fs.FONT_SIZE - 0.5
    sp = {**CLASS_LEGEND, **spacing}
    w = fs.legend_width(
        labels,
        ncols,
        size=size,
        handlelength=sp["handlelength"],
        handletextpad=sp["handletextpad"],
        columnspacing=sp["columnspacing"],
        borderpad=sp["borderpad"],
    )
    w = max(w, fs.text_width(title, fs.FONT_SIZE) + 2 * sp["borderpad"] * size / 72)
    rows = -(-len(labels) // ncols)
    row = max(LINE * size, sp["handleheight"] * size, row_pt)
    h = rows * row + (rows - 1) * sp["labelspacing"] * size + 2 * sp["borderpad"] * size
    if title:
        h += LINE * fs.FONT_SIZE + 2
    if note:
        h += 3 + LINE * fs.MIN_TEXT * (wrap(note, width or w).count("\n") + 1)
    return w, h * 1.08 / 72


def class_legend_entries(classes: Classes, statuses: set[str], decimals: int | None) -> list:
    labels = class_labels(classes, decimals)
    entries = [
        (Patch(facecolor=c, edgecolor="#bdbdbd", linewidth=0.4), lab)
        for c, lab in zip(classes.palette, labels, strict=True)
    ][::-1]  # highest class on top
    return entries + _status_handles(statuses)


def _class_columns(labels: list[str], width: float, most: int) -> int:
    """Columns (up to ``most``) of a class legend with ``labels`` that fit in ``width``."""
    return fs.legend_columns(
        labels,
        width,
        most,
        size=fs.FONT_SIZE - 0.5,
        handlelength=CLASS_LEGEND["handlelength"],
        handletextpad=CLASS_LEGEND["handletextpad"],
        columnspacing=CLASS_LEGEND["columnspacing"],
        borderpad=CLASS_LEGEND["borderpad"],
    )


def class_legend_size(
    classes: Classes, title: str, statuses: set[str], decimals: int | None, most: int = 3
):
    """A :data:`~reports.figures.frames.LegendSize` for :func:`class_legend`."""
    labels = [e[1] for e in class_legend_entries(classes, statuses, decimals)]

    def size(width: float) -> tuple[float, float]:
        n = _class_columns(labels, width, most)
        w, h = legend_size(labels, title, n, note=classes.note, width=width)
        return min(max(w, 0.0), width), h

    return size


def legend_note(fig: Figure, legend: Legend, note: str, width: float) -> None:
    """The classification note (method, units) under ``legend``, wrapped to ``width`` inches."""
    if not note:
        return
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    box = legend.get_window_extent(renderer).transformed(fig.transFigure.inverted())
    fig.text(
        box.x0 + CLASS_LEGEND["borderpad"] * (fs.FONT_SIZE - 0.5) / 72 / fig.get_figwidth(),
        box.y0 - 2 / 72 / fig.get_figheight(),
        wrap(note, width),
        ha="left",
        va="top",
        fontsize=fs.MIN_TEXT,
        color="#555555",
        linespacing=1.15,
    )


def class_legend(
    fig: Figure,
    classes: Classes,
    title: str,
    statuses: set[str],
    anchor: tuple[float, float],
    decimals: int | None,
    fontsize: float | None = None,
    *,
    width: float | None = None,
    most: int = 3,
) -> Legend:
    """The class legend (highest class on top, then n.d. and s.o.) with its upper-left corner
    at ``anchor``, in as many columns (up to ``most``) as fit in ``width`` inches, and the
    classification note under it."""
    entries = class_legend_entries(classes, statuses, decimals)
    labels = [e[1] for e in entries]
    ncols = 1
    if width is not None:
        ncols = _class_columns(labels, width, most)
    legend = fig.legend(
        [e[0] for e in entries],
        labels,
        title=title,
        loc="upper left",
        bbox_to_anchor=anchor,
        bbox_transform=fig.transFigure,
        alignment="left",
        borderaxespad=0.0,
        ncols=ncols,
        fontsize=fontsize,
        title_fontsize=fontsize,
        **CLASS_LEGEND,
    )
    if width is not None:
        legend_note(fig, legend, classes.note, width)
    return legend
