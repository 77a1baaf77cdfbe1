"""The one place that sets matplotlib's style for maps and charts.

* Font: Open Sans from ``styles/fonts`` when present (registered with matplotlib's font
  manager), else DejaVu Sans (shipped with matplotlib). Sizes are in points at print size:
  figures are drawn at the size they are printed, never scaled up.
* SVG text is converted to paths (``svg.fonttype = "path"``): WeasyPrint then renders exactly
  what matplotlib laid out, with no dependency on installed fonts.
* Deterministic output: fixed ``svg.hashsalt`` (clip-path / glyph ids), no date metadata
  (see :data:`SVG_METADATA`, used by :mod:`reports.figures.assets`; PNGs are written there).
* Colour-blind-safe palettes: ColorBrewer YlGnBu (sequential), RdBu (diverging),
  Okabe–Ito (categorical).

Call :func:`apply_style` before drawing (idempotent; every drawing module does it). Importing
this module does not import matplotlib (the palettes are needed to compute cache keys).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cache

from reports.paths import Paths

#: bump when the look of figures changes: part of every figure cache key
STYLE_VERSION = "slots-2"

SEQ5 = ["#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"]  # YlGnBu, lightest dropped
DIV5 = ["#b2182b", "#ef8a62", "#f7f7f7", "#67a9cf", "#2166ac"]  # RdBu: decrease → increase
OKABE_ITO = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#D55E00",
    "#56B4E9",
    "#F0E442",
    "#000000",
]
REGION_COLOR = "#0072B2"  # the territory described
FRANCE_COLOR = "#9a9a9a"  # the reference (France)
FRANCE_METRO_COLOR = "#009E73"  # France métropolitaine: never France's grey (DESIGN)
ND_COLOR = "#d4d4d4"  # n.d.: light grey, hatched
SO_COLOR = "#ffffff"  # s.o.: white, hatched
HATCH_COLOR = "#8a8a8a"
ND_HATCH = "//////"
SO_HATCH = "\\\\\\\\\\\\"
CONTEXT_FILL = "#efefef"  # neighbouring territories
BORDER = "#ffffff"
OUTLINE = "#4d4d4d"
TEXT = "#222222"

SVG_METADATA: dict[str, str | None] = {"Date": None, "Creator": None}

FONT_SIZE = 7.5
#: the smallest text drawn in any figure, in points on paper (DESIGN: ≥ 6.5 pt)
MIN_TEXT = 6.5

# --- figure slots (DESIGN "The page": a 180 mm text block, two columns of 88 mm) -------------
#: slot → (width, tallest drawing) in millimetres; a figure is drawn at its slot's width and
#: placed at that width (styles/print.css ``.fig-<slot>``), so it is never scaled
SLOTS_MM: dict[str, tuple[float, float]] = {
    "full": (180.0, 110.0),
    "two-thirds": (118.0, 110.0),
    "half": (88.0, 82.0),
    "third": (56.0, 70.0),
    "cover": (166.0, 132.0),  # the atlas cover map (styles/atlas.css ``.cover-map``)
}


def slot_width(slot: str) -> float:
    """Width of ``slot`` in inches (what a figure for that slot is drawn at)."""
    return SLOTS_MM[slot][0] / 25.4


def slot_height(slot: str) -> float:
    """The tallest a figure of ``slot`` may be drawn, in inches."""
    return SLOTS_MM[slot][1] / 25.4


@cache
def skip_artist_docstrings() -> None:
    """Call before matplotlib's artists are imported: matplotlib writes, for each Artist
    class, the docstring of its ``set()`` listing every property (``artist.kwdoc``, ~0.2 s
    of CPU a drawing process at import), read only by ``help()``. Drawing is unchanged."""
    import matplotlib.artist

    matplotlib.artist.kwdoc = lambda artist: ""  # type: ignore[assignment]


@cache
def font_family() -> str:
    """Register Open Sans if the files are there; return the family to use."""
    from matplotlib import font_manager

    fonts = Paths().fonts
    found = sorted(fonts.glob("OpenSans-*.ttf")) if fonts.is_dir() else []
    for path in found:
        font_manager.fontManager.addfont(str(path))
    return "Open Sans" if found else "DejaVu Sans"


@cache
def apply_style() -> None:
    import matplotlib as mpl

    mpl.use("Agg")
    family = font_family()
    mpl.rcParams.update(
        {
            "font.family": "sans-serif",
            "font.sans-serif": [family, "DejaVu Sans"],
            "font.size": FONT_SIZE,
            "axes.titlesize": FONT_SIZE,
            "axes.labelsize": FONT_SIZE,
            "xtick.labelsize": FONT_SIZE - 0.5,
            "ytick.labelsize": FONT_SIZE - 0.5,
            "legend.fontsize": FONT_SIZE - 0.5,
            "legend.title_fontsize": FONT_SIZE,
            "legend.frameon": False,
            "text.color": TEXT,
            "axes.labelcolor": TEXT,
            "axes.edgecolor": "#777777",
            "axes.linewidth": 0.6,
            "xtick.color": "#555555",
            "ytick.color": "#555555",
            "xtick.major.width": 0.5,
            "ytick.major.width": 0.5,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.axisbelow": True,
            "grid.color": "#e3e3e3",
            "grid.linewidth": 0.5,
            "hatch.linewidth": 0.5,
            "hatch.color": HATCH_COLOR,
            "lines.linewidth": 1.4,
            "svg.fonttype": "path",
            "svg.hashsalt": "atlas-culture",
            "svg.image_inline": True,
            "path.simplify": True,
            "figure.dpi": 100,
            "savefig.dpi": 200,
            "axes.unicode_minus": True,
            "axes.formatter.use_locale": False,
        }
    )


# --- legend sizing (a legend wider than its figure would be drawn outside the canvas) --------
@cache
def _measure():
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(1, 1, MEASURE_DPI)


MEASURE_DPI = 200
#: hinted glyphs are wider at some resolutions than at others: a margin for 150–300 dpi
MEASURE_MARGIN = 1.08


@cache  # a legend is measured for several column counts, the same labels on every map
def text_width(text: str, size: float) -> float:
    """Width of ``text`` in inches at ``size`` points, in the figure font (a little more than
    drawn, whatever the resolution)."""
    from matplotlib.font_manager import FontProperties

    apply_style()
    prop = FontProperties(size=size)
    width, _height, _descent = _measure().get_text_width_height_descent(text, prop, ismath=False)
    return width / MEASURE_DPI * MEASURE_MARGIN


def legend_width(
    labels: Sequence[str],
    ncols: int = 1,
    *,
    size: float = FONT_SIZE - 0.5,
    handlelength: float = 2.0,
    handletextpad: float = 0.8,
    columnspacing: float = 2.0,
    borderpad: float = 0.4,
) -> float:
    """Width in inches of a frameless legend of ``labels`` in ``ncols`` columns (column-major,
    as matplotlib fills them); the keyword arguments are ``Figure.legend``'s."""
    rows = -(-len(labels) // ncols)
    em = size / 72
    columns = [labels[i : i + rows] for i in range(0, len(labels), rows)]
    body = sum(
        (handlelength + handletextpad) * em + max(text_width(t, size) for t in col)
        for col in columns
    )
    return body + columnspacing * em * (len(columns) - 1) + 2 * borderpad * em


def legend_columns(labels: Sequence[str], width: float, most: int, **kwargs: float) -> int:
    """The most columns (up to ``most``) whose legend fits in ``width`` inches (at least 1)."""
    for ncols in range(min(most, len(labels)), 1, -1):
        if legend_width(labels, ncols, **kwargs) <= width:
            return ncols
    return 1


# --- the smallest text a figure draws (written into its PNG for `atlas check`) ---------------
def record_text_sizes(canvas) -> list[float]:
    """Sizes (points) of the texts ``canvas`` draws at its next ``draw()``: its renderer's
    ``draw_text`` is wrapped (texts with a halo are drawn as paths and read off the figure
    instead). Call after setting the figure's dpi, just before drawing."""
    from matplotlib.text import Text

    renderer = canvas.get_renderer()
    sizes: list[float] = []
    draw_text = renderer.draw_text

    def recording(gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if str(s).strip():
            sizes.append(float(prop.get_size_in_points()))
        return draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)

    renderer.draw_text = recording
    sizes += [
        float(t.get_fontsize())
        for t in _texts(canvas.figure, Text)
        if t.get_path_effects() and t.get_visible() and t.get_text().strip()
    ]
    return sizes


def _texts(artist, text_type: type) -> Iterator:
    """The texts under ``artist``, as ``findobj(Text)`` without walking into the axes' axis
    objects: asking an axis for its children makes every tick (a fifth of a map's drawing
    time, for a map whose axes are off); tick labels have no halo."""
    from matplotlib.axis import Axis

    for child in artist.get_children():
        if isinstance(child, Axis):
            continue
        if isinstance(child, text_type):
            yield child
        yield from _texts(child, text_type)
