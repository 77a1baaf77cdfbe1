"""The one place that sets matplotlib's style for maps and charts.

* Font: Open Sans from ``styles/fonts`` when present (registered with matplotlib's font
  manager), else DejaVu Sans (shipped with matplotlib). Sizes are in points at print size:
  figures are drawn at the size they are printed, never scaled up.
* SVG text is converted to paths (``svg.fonttype = "path"``): WeasyPrint then renders exactly
  what matplotlib laid out, with no dependency on installed fonts.
* Deterministic output: fixed ``svg.hashsalt`` (clip-path / glyph ids), no date metadata
  (see :data:`SVG_METADATA`, used by :mod:`reports.assets`; PNGs are written there).
* Colour-blind-safe palettes: ColorBrewer YlGnBu (sequential), RdBu (diverging),
  Okabe–Ito (categorical).

Call :func:`apply_style` before drawing (idempotent; every drawing module does it). Importing
this module does not import matplotlib (the palettes are needed to compute cache keys).
"""

from __future__ import annotations

from functools import cache

from reports.paths import Paths

#: bump when the look of figures changes: part of every figure cache key
STYLE_VERSION = "2024-1"

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
