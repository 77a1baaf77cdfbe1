"""Figure cache: render a Figure once, keyed by a content hash of its *inputs*.

``render(fn, *args, **kwargs)`` returns ``Paths().figures_cache / <hash>.<fmt>``; when the
file exists nothing is drawn (not even the Figure is built). The hash covers: the function
name, the parameters and data (DataFrames, arrays, dataclasses such as
:class:`reports.figures.classify.Classes` are hashed by content; a :class:`LazyInput` such as the
département layer by a digest of its file), the style version
(:data:`reports.figures.style.STYLE_VERSION`), :data:`CODE_VERSION`, the matplotlib version and
the source bytes of the drawing modules (maps, charts, figstyle, assets) — so editing the
drawing code invalidates the cache by itself.

A warm build only computes keys: ``fn`` may be given by its dotted name and layers are lazy,
so neither matplotlib nor geopandas is imported when every figure is cached.

Cold builds draw in parallel: inside :func:`deferred_drawing` each missing figure is handed
to a forked worker process as soon as it is requested (the caller goes on building the
document); leaving the block waits for them.

Format per figure type (:data:`FORMATS`):

* **PNG at 200 dpi** for every figure (choropleths, locators, charts, points, circles).
  SVG was measured first: WeasyPrint parses and redraws every SVG path at each build (7 s of
  a 14 s fiche for 27 figures), while an opaque RGB PNG is embedded as is (its compressed
  data stream goes into the PDF untouched, see :func:`reports.render.pdf.install_png_passthrough`):
  ~0.1 s for all figures. 200 dpi at print size is print resolution for maps and charts;
  ``--print`` output may raise ``dpi``. SVG stays available (``fmt="svg"``) for the preview
  or for a vector edition.
* Saving draws once and crops the pixels to the tight bounding box (``bbox_inches="tight"``
  would draw twice), then writes the PNG directly (:func:`encode_png`).

Output is deterministic: fixed ``svg.hashsalt``, no ``Date``/``Creator``/``Software``
metadata; files are written atomically (temporary file + rename), so parallel workers
never see a half-written figure. Figures are dropped after saving (no ``clear()``: it costs
as much as a redraw).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import math
import multiprocessing
import os
import re
import struct
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from reports import integrity
from reports.figures import style as fs
from reports.paths import Paths
from reports.processes import PoolHost, worker_task

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CODE_VERSION = "5"  # bump to force a redraw of every figure
DEFAULT_DPI = 200
PRINT_DPI = 300  # ``--print``: raster figures at print-shop resolution
TIGHT_PAD_INCHES = 0.03
PNG_COMPRESS_LEVEL = 1  # zlib level: unfiltered level 1 beats Pillow's level 6 in size
FORMATS = {
    "choropleth": "png",
    "locator": "png",
    "chart": "png",
    "points": "png",
    "circles": "png",
}
#: format → check of a cached figure written before digests were recorded
_VALIDATE = {"png": integrity.png_problem, "svg": integrity.svg_problem}
_SVG_NUMBER = re.compile(r"(-?\d+\.\d{3,})")
_SVG_PATH_DATA = re.compile(r'( d="[^"]*")')


# --- lazy inputs -------------------------------------------------------------------------
class LazyInput:
    """A figure input that is hashed by a small key and loaded only when the figure is drawn
    (e.g. a geometry layer, keyed by its file's digest): a fully cached build then never
    loads it, nor imports what loading it needs."""

    def __figure_key__(self) -> object:
        raise NotImplementedError

    def load(self) -> object:
        raise NotImplementedError


def _resolve(value: object) -> object:
    return value.load() if isinstance(value, LazyInput) else value


def resolve_function(fn: Callable[..., Figure] | str) -> Callable[..., Figure]:
    """``"reports.figures.choropleth.choropleth_region"`` → the function (imported only when
    drawing)."""
    if callable(fn):
        return fn
    module, _, name = fn.rpartition(".")
    fs.skip_artist_docstrings()
    return getattr(import_module(module), name)


def _function_name(fn: Callable[..., Figure] | str) -> str:
    return fn if isinstance(fn, str) else f"{fn.__module__}.{fn.__qualname__}"


# --- hashing -----------------------------------------------------------------------------
@cache
def _matplotlib_version() -> str:
    from importlib.metadata import version

    return version("matplotlib")


@cache
def _code_fingerprint() -> str:
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent  # the figures package: the code that draws
    for path in sorted(here.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _feed(h: Any, obj: object) -> None:  # noqa: C901 - one branch per type, flat
    """Feed a canonical, type-tagged byte form of ``obj`` into the hash."""
    if isinstance(obj, LazyInput):
        h.update(f"lazy:{type(obj).__qualname__}:".encode())
        _feed(h, obj.__figure_key__())
    elif obj is None or isinstance(obj, bool | int | str):
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


def _feed_frame(h: Any, df: pd.DataFrame) -> None:
    geo_col = getattr(df, "_geometry_column_name", None)
    if geo_col is not None and geo_col in df.columns:  # a GeoDataFrame: geometries as WKB
        import shapely

        for wkb in shapely.to_wkb(df[geo_col].values):
            h.update(wkb)
        df = pd.DataFrame(df.drop(columns=geo_col))
    h.update(f"df:{list(map(str, df.columns))}:{list(map(str, df.dtypes))};".encode())
    h.update(df.to_csv(lineterminator="\n", float_format="%r").encode())


def figure_key(key_parts: object) -> str:
    h = hashlib.sha256()
    _feed(h, (CODE_VERSION, fs.STYLE_VERSION, _matplotlib_version(), _code_fingerprint()))
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
        return _png(fig, dpi)
    raise ValueError(f"unsupported figure format {fmt!r} (svg or png)")


def _png(fig: Figure, dpi: int) -> bytes:
    """Draw once with Agg at ``dpi`` and crop the pixels to the tight bounding box (what
    ``savefig(bbox_inches="tight")`` gives, without its second drawing pass); a figure whose
    tight box overflows its canvas (a legend placed outside) is saved the two-pass way.
    Encoded once, as opaque RGB (no PNG round trip)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    saved_dpi, fig.dpi = fig.dpi, dpi
    try:
        text_sizes = fs.record_text_sizes(canvas)
        canvas.draw()
        renderer = canvas.get_renderer()
        box = fig.get_tightbbox(renderer)
    finally:
        fig.dpi = saved_dpi
    width, height = int(renderer.width), int(renderer.height)
    inner = (box.x0 * dpi, box.y0 * dpi, box.x1 * dpi, box.y1 * dpi)
    if inner[1] < -1 or inner[3] > height + 1:
        return _png_two_pass(fig, dpi)  # something is drawn above or below the canvas
    pad = TIGHT_PAD_INCHES * dpi
    # only the height is cropped: a figure is drawn at the width of its slot and placed at
    # that width (style.SLOTS_MM), so its pixel width is the slot's at ``dpi``
    x0, y0 = 0, max(math.floor(inner[1] - pad), 0)
    x1, y1 = width, min(math.ceil(inner[3] + pad), height)
    rgba = np.asarray(renderer.buffer_rgba())
    if x0 >= 0 and y0 >= 0 and x1 <= width and y1 <= height:  # rows top down, y bottom up
        return encode_png(
            rgba[height - y1 : height - y0, x0:x1], dpi, min(text_sizes, default=None)
        )
    out = np.full((y1 - y0, x1 - x0, 4), 255, dtype=np.uint8)  # white where the pad overflows
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    out[y1 - cy1 : y1 - cy0, cx0 - x0 : cx1 - x0] = rgba[height - cy1 : height - cy0, cx0:cx1]
    return encode_png(out, dpi, min(text_sizes, default=None))


def _png_two_pass(fig: Figure, dpi: int) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    buf = io.BytesIO()
    canvas.print_figure(
        buf,
        format="raw",
        dpi=dpi,
        bbox_inches="tight",
        pad_inches=TIGHT_PAD_INCHES,
        facecolor="white",
    )
    renderer = canvas.renderer  # the renderer of the cropped drawing just written
    width, height = int(renderer.width), int(renderer.height)
    raw = buf.getbuffer()
    if len(raw) != width * height * 4:
        raise RuntimeError(f"unexpected Agg buffer size {len(raw)} for {width}×{height}")
    return encode_png(np.frombuffer(raw, np.uint8).reshape(height, width, 4), dpi)


def encode_png(rgba: np.ndarray, dpi: int = DEFAULT_DPI, min_text_pt: float | None = None) -> bytes:
    """RGBA pixels → opaque 8-bit RGB PNG on white, no metadata: the PDF writer can then embed
    the PNG data stream as is (see :func:`reports.render.pdf.install_png_passthrough`), without an
    alpha mask and without decoding and re-compressing every image at each build.

    Written directly (filter type 0 on every row, zlib level :data:`PNG_COMPRESS_LEVEL`):
    for flat-colour maps and charts this is 3-4× faster than Pillow's adaptive filtering and
    the files come out smaller.
    """
    height, width = rgba.shape[:2]
    rows = np.empty((height, 1 + 3 * width), dtype=np.uint8)
    rows[:, 0] = 0  # filter type "None"
    if rgba[:, :, 3].min() < 255:
        a = rgba[..., 3:4].astype(np.uint16)
        blended = (rgba[..., :3] * a + 255 * (255 - a) + 127) // 255
        rows[:, 1:] = blended.reshape(height, 3 * width)
    else:  # channel by channel: 2-D strided copies are 7× faster than one 3-D copy
        for c in range(3):
            rows[:, 1 + c :: 3] = rgba[:, :, c]
    ppm = round(dpi / 0.0254)  # pixels per metre

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
            chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)),
            # the smallest text drawn, read by ``atlas check`` (reports.proof.images)
            b""
            if min_text_pt is None
            else chunk(b"tEXt", b"atlas:min-text-pt\0" + f"{min_text_pt:.2f}".encode()),
            chunk(b"IDAT", zlib.compress(rows.tobytes(), PNG_COMPRESS_LEVEL)),
            chunk(b"IEND", b""),
        )
    )


def _write_atomic(path: Path, data: bytes) -> None:
    """The figure and its digest sidecar (:mod:`reports.integrity`), each written to a
    temporary file renamed onto it; a failure or a stop leaves no half-written file in the
    cache, and a full disk is a one-line error naming the figure."""
    integrity.store(path, data)


@dataclass(frozen=True)
class Job:
    """A figure to draw: where it goes, and the function and arguments that draw it
    (picklable when ``fn`` is a dotted name and the arguments are data)."""

    path: Path
    fmt: str
    dpi: int
    fn: Callable[..., Figure] | str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)

    def run(self) -> Path:
        fig = resolve_function(self.fn)(
            *map(_resolve, self.args), **{k: _resolve(v) for k, v in self.kwargs.items()}
        )
        data = figure_bytes(fig, self.fmt, self.dpi)  # no fig.clear(): it costs a redraw's
        _write_atomic(self.path, data)  # worth of axis set-up; the figure is simply dropped
        return self.path


def _warm(lazy_inputs: tuple[LazyInput, ...]) -> None:
    """Import the drawing stack and load the layers (in the pool's host, before the workers
    are forked: they inherit both, instead of each importing them)."""
    fs.skip_artist_docstrings()
    from reports.figures import charts, choropleth, points  # noqa: F401

    fs.apply_style()
    for value in lazy_inputs:
        value.load()


_WARM_HERE = False  # set by keep_drawing_warm()


def keep_drawing_warm() -> None:
    """For a caller that builds several documents: at the first missing figure, the drawing
    stack is imported and the layers loaded in this process (once), so that each drawing
    host forked afterwards inherits them instead of importing them again (0.6 s of CPU a
    document). A fully cached run still imports nothing."""
    global _WARM_HERE
    _WARM_HERE = True


@worker_task
def _run_job(job: Job) -> Path:
    return job.run()


class Drawer:
    """Draws the figures missing from the cache, in ``workers`` processes when > 1.

    At the first missing figure a host process is forked (:class:`reports.processes.PoolHost`):
    it imports the drawing stack and loads the layers, then forks the workers, which inherit
    both (imported once, not once per worker), while this process goes on building the
    document; each missing figure is queued as soon as it is requested. :meth:`close` waits
    for them.
    """

    def __init__(self, workers: int = 1, warm: tuple[LazyInput, ...] = ()) -> None:
        self.workers = workers if "fork" in multiprocessing.get_all_start_methods() else 1
        self.warm = warm
        self.seen: set[Path] = set()
        self.pool: PoolHost | None = None

    def submit(self, job: Job) -> None:
        if job.path in self.seen:
            return
        self.seen.add(job.path)
        if self.workers > 1 and isinstance(job.fn, str):
            if self.pool is None:  # a warm build never forks
                if _WARM_HERE:
                    _warm(self.warm)  # once: later calls find it all imported and loaded
                self.pool = PoolHost(self.workers, _run_job, _warm, (self.warm,))
            self.pool.submit(job)
        else:
            job.run()

    def close(self, cancel: bool = False) -> None:
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.close(cancel)  # re-raises a drawing error here


_DRAWER: Drawer | None = None  # set inside deferred_drawing()
_DPI = DEFAULT_DPI  # set by resolution()


@contextmanager
def resolution(dpi: int) -> Iterator[None]:
    """Draw the figures requested in this block at ``dpi`` (e.g. :data:`PRINT_DPI` for
    ``--print``); the resolution is part of the cache key, so both editions stay cached."""
    global _DPI
    previous, _DPI = _DPI, dpi
    try:
        yield
    finally:
        _DPI = previous


@contextmanager
def deferred_drawing(
    workers: int | None = None, warm: tuple[LazyInput, ...] = ()
) -> Iterator[Drawer]:
    """Draw the figures requested in this block in parallel: each missing figure is handed
    to a worker process as soon as it is requested (its future path is returned at once);
    leaving the block waits until every figure file exists. ``workers`` defaults to one per
    core; ``warm`` are layers the workers load up front::

        with assets.deferred_drawing():
            doc = fiche_doc(session, territory)
        html = render_html(..., doc)  # every figure file now exists
    """
    global _DRAWER
    workers = workers or os.cpu_count() or 1
    previous, _DRAWER = _DRAWER, Drawer(workers, warm)
    drawer = _DRAWER
    try:
        yield drawer
    except BaseException:
        drawer.close(cancel=True)
        raise
    else:
        drawer.close()
    finally:
        _DRAWER = previous


def figure_asset(
    key_parts: object,
    fn: Callable[..., Figure] | str,
    *args: object,
    fmt: str | None = None,
    kind: str = "chart",
    dpi: int | None = None,
    cache_dir: Path | None = None,
    **kwargs: object,
) -> Path:
    """Path of the cached figure for ``key_parts``, drawn with ``fn(*args, **kwargs)`` if absent
    (inside :func:`deferred_drawing`: handed to a worker process).

    ``fmt`` defaults to :data:`FORMATS` [``kind``] (``svg`` or ``png``); ``dpi`` to the
    :func:`resolution` in force (:data:`DEFAULT_DPI`).
    """
    fmt = fmt or FORMATS.get(kind, "svg")
    dpi = dpi or _DPI
    directory = cache_dir or Paths().figures_cache
    key = figure_key((fmt, dpi if fmt == "png" else None, key_parts))
    path = directory / key[:2] / f"{key}.{fmt}"
    if integrity.intact(path, _VALIDATE.get(fmt)):  # a damaged file is drawn again
        return path
    job = Job(path, fmt, dpi, fn, args, kwargs)
    if _DRAWER is not None:
        _DRAWER.submit(job)
        return path
    return job.run()


def render(
    fn: Callable[..., Figure] | str,
    *args: object,
    kind: str = "chart",
    fmt: str | None = None,
    dpi: int | None = None,
    cache_dir: Path | None = None,
    **kwargs: object,
) -> Path:
    """``render("reports.figures.choropleth.choropleth_region", deps, values, "84", classes, …)``.

    ``fn`` is a function or its dotted name (then its module is imported only if the figure
    is drawn); :class:`LazyInput` arguments are loaded only then too.
    """
    key_parts = (_function_name(fn), args, kwargs)
    return figure_asset(
        key_parts, fn, *args, fmt=fmt, kind=kind, dpi=dpi, cache_dir=cache_dir, **kwargs
    )
