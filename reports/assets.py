"""Figure cache: render a Figure once, keyed by a content hash of its *inputs*.

``figure_asset(key_parts, draw_fn, fmt=...)`` returns ``Paths().figures_cache / <hash>.<fmt>``;
when the file exists nothing is drawn (not even the Figure is built). The hash covers:
the ``key_parts`` (function name, parameters, data: DataFrames, arrays, GeoDataFrames,
dataclasses such as :class:`reports.maps.Classes` are hashed by content), the style version
(:data:`reports.figstyle.STYLE_VERSION`), :data:`CODE_VERSION`, the matplotlib version and
the source bytes of the drawing modules (maps, charts, figstyle, assets) — so editing the
drawing code invalidates the cache by itself. :func:`render` builds the key for you from a
function and its arguments.

Format per figure type (:data:`FORMATS`):

* **PNG at 200 dpi** for every figure (choropleths, locators, charts, points, circles).
  SVG was measured first: WeasyPrint parses and redraws every SVG path at each build (7 s of
  a 14 s fiche for 27 figures), while an opaque RGB PNG is embedded as is (its compressed
  data stream goes into the PDF untouched, see :func:`reports.pdf.install_png_passthrough`):
  ~0.1 s for all figures. 200 dpi at print size is print resolution for maps and charts;
  ``--print`` output may raise ``dpi``. SVG stays available (``fmt="svg"``) for the preview
  or for a vector edition.

Output is deterministic: fixed ``svg.hashsalt``, no ``Date``/``Creator``/``Software``
metadata; files are written atomically (temporary file + rename), so parallel workers
never see a half-written figure. Figures are closed (cleared) after saving.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import math
import os
import re
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from reports import figstyle as fs
from reports.paths import Paths

CODE_VERSION = "3"  # bump to force a redraw of every figure
DEFAULT_DPI = 200
FORMATS = {
    "choropleth": "png",
    "locator": "png",
    "chart": "png",
    "points": "png",
    "circles": "png",
}
_DRAWING_MODULES = ("maps.py", "charts.py", "figstyle.py", "assets.py")
_SVG_NUMBER = re.compile(r"(-?\d+\.\d{3,})")
_SVG_PATH_DATA = re.compile(r'( d="[^"]*")')


# --- hashing -----------------------------------------------------------------------------
@cache
def _code_fingerprint() -> str:
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in _DRAWING_MODULES:
        path = here / name
        if path.is_file():
            h.update(name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def _feed(h: Any, obj: object) -> None:  # noqa: C901 - one branch per type, flat
    """Feed a canonical, type-tagged byte form of ``obj`` into the hash."""
    if obj is None or isinstance(obj, bool | int | str):
        h.update(f"{type(obj).__name__}:{obj!r};".encode())
    elif isinstance(obj, float):
        h.update(b"f:nan;" if math.isnan(obj) else f"f:{obj!r};".encode())
    elif isinstance(obj, np.generic):
        _feed(h, obj.item())
    elif isinstance(obj, Path):
        h.update(f"path:{obj.as_posix()};".encode())
    elif isinstance(obj, pd.DataFrame):
        _feed_frame(h, obj)
    elif isinstance(obj, pd.Series):
        h.update(b"series:")
        _feed_frame(h, obj.to_frame(name=str(obj.name)))
    elif isinstance(obj, np.ndarray):
        arr = np.ascontiguousarray(obj)
        h.update(f"nd:{arr.dtype.str}:{arr.shape};".encode())
        h.update(arr.tobytes() if arr.dtype != object else repr(arr.tolist()).encode())
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        h.update(f"dc:{type(obj).__qualname__}(".encode())
        for f in dataclasses.fields(obj):
            _feed(h, f.name)
            _feed(h, getattr(obj, f.name))
        h.update(b")")
    elif isinstance(obj, Mapping):
        h.update(b"map{")
        for k in sorted(obj, key=repr):
            _feed(h, k)
            _feed(h, obj[k])
        h.update(b"}")
    elif isinstance(obj, list | tuple | set | frozenset):
        items = sorted(obj, key=repr) if isinstance(obj, set | frozenset) else obj
        h.update(f"{type(obj).__name__}[".encode())
        for item in items:
            _feed(h, item)
        h.update(b"]")
    elif callable(obj):
        h.update(
            f"fn:{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', obj)};".encode()
        )
    else:
        raise TypeError(f"cannot hash figure input of type {type(obj).__name__}")


_GEO_DIGESTS: dict[int, tuple[object, bytes]] = {}


def _geometry_digest(df: pd.DataFrame, geo_col: str) -> bytes:
    """WKB digest of a GeoDataFrame's geometries, memoised per object (the layers are
    loaded once per process and passed to every map: hashing them each time is costly)."""
    hit = _GEO_DIGESTS.get(id(df))
    if hit is not None and hit[0] is df:
        return hit[1]
    import shapely

    g = hashlib.sha256()
    for wkb in shapely.to_wkb(df[geo_col].values):
        g.update(wkb)
    _GEO_DIGESTS[id(df)] = (df, g.digest())
    return g.digest()


def _feed_frame(h: Any, df: pd.DataFrame) -> None:
    geo_col = getattr(df, "_geometry_column_name", None)
    if geo_col is not None and geo_col in df.columns:
        h.update(_geometry_digest(df, geo_col))
        df = pd.DataFrame(df.drop(columns=geo_col))
    h.update(f"df:{list(map(str, df.columns))}:{list(map(str, df.dtypes))};".encode())
    h.update(df.to_csv(lineterminator="\n", float_format="%r").encode())


def figure_key(key_parts: object) -> str:
    h = hashlib.sha256()
    _feed(h, (CODE_VERSION, fs.STYLE_VERSION, matplotlib.__version__, _code_fingerprint()))
    _feed(h, key_parts)
    return h.hexdigest()[:32]


# --- saving ------------------------------------------------------------------------------
def _round_svg(svg: bytes) -> bytes:
    """Round path coordinates to 0.01 pt: invisible, about a third smaller."""
    text = svg.decode("utf-8")

    def shorten(m: re.Match[str]) -> str:
        return _SVG_NUMBER.sub(lambda n: f"{float(n.group(1)):.2f}", m.group(1))

    return _SVG_PATH_DATA.sub(shorten, text).encode("utf-8")


def figure_bytes(fig: Figure, fmt: str, dpi: int = DEFAULT_DPI) -> bytes:
    fs.apply_style()
    buf = io.BytesIO()
    if fmt == "svg":
        fig.savefig(buf, format="svg", metadata=fs.SVG_METADATA)
        return _round_svg(buf.getvalue())
    if fmt == "png":
        fig.savefig(
            buf,
            format="png",
            dpi=dpi,
            metadata=fs.PNG_METADATA,
            bbox_inches="tight",
            pad_inches=0.03,
        )  # tight: legends placed outside the axes are never clipped
        return flatten_png(buf.getvalue())
    raise ValueError(f"unsupported figure format {fmt!r} (svg or png)")


def flatten_png(data: bytes) -> bytes:
    """RGBA → opaque 8-bit RGB on white, no metadata: the PDF writer can then embed the PNG
    data stream as is (see :func:`reports.pdf.install_png_passthrough`), without an alpha
    mask and without decoding and re-compressing every image at each build."""
    from PIL import Image

    im = Image.open(io.BytesIO(data))
    if im.mode != "RGB":
        rgb = Image.new("RGB", im.size, "white")
        rgb.paste(im, mask=im.getchannel("A") if "A" in im.mode else None)
        im = rgb
    out = io.BytesIO()
    im.save(out, format="PNG", dpi=(DEFAULT_DPI, DEFAULT_DPI))
    return out.getvalue()


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def figure_asset(
    key_parts: object,
    draw_fn: Callable[[], Figure],
    fmt: str | None = None,
    *,
    kind: str = "chart",
    dpi: int = DEFAULT_DPI,
    cache_dir: Path | None = None,
) -> Path:
    """Path of the cached figure for ``key_parts``; drawn with ``draw_fn()`` if absent.

    ``fmt`` defaults to :data:`FORMATS` [``kind``] (``svg`` or ``png``).
    """
    fmt = fmt or FORMATS.get(kind, "svg")
    directory = cache_dir or Paths().figures_cache
    key = figure_key((fmt, dpi if fmt == "png" else None, key_parts))
    path = directory / key[:2] / f"{key}.{fmt}"
    if path.is_file():
        return path
    fig = draw_fn()
    try:
        data = figure_bytes(fig, fmt, dpi)
    finally:
        fig.clear()
    _write_atomic(path, data)
    return path


def render(
    fn: Callable[..., Figure],
    *args: object,
    kind: str = "chart",
    fmt: str | None = None,
    dpi: int = DEFAULT_DPI,
    cache_dir: Path | None = None,
    **kwargs: object,
) -> Path:
    """``render(maps.choropleth_region, deps, values, "84", classes, legend_title=…)``."""
    key_parts = (f"{fn.__module__}.{fn.__qualname__}", args, kwargs)
    return figure_asset(
        key_parts, lambda: fn(*args, **kwargs), fmt, kind=kind, dpi=dpi, cache_dir=cache_dir
    )
