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


def scale_bar(ax: Axes, size: float = 5.5, frac: float = 0.28) -> None:
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


def class_legend(
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
