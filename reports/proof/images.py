"""What the checks need to know of a placed raster image: the resolution it was drawn at,
and the colours of its pixels.

**Drawn resolution.** A PDF image has pixels, not a resolution: the ``pHYs`` dpi of the PNG
that :mod:`reports.figures.assets` wrote is not copied into the PDF. But the PDF image stream
*is* that PNG's IDAT data, byte for byte (:func:`reports.render.pdf.install_png_passthrough`),
so :class:`FigureIndex` finds the figure file by width, height and IDAT length in the figure
cache (only the PNG headers are read) and confirms it on the first bytes; its ``pHYs`` gives
the dpi, and a ``tEXt`` chunk ``atlas:min-text-pt`` (if the figure code writes one) the
smallest text size drawn in it. An image that is not in the cache (a PDF built elsewhere, a
cleaned cache) is taken to be drawn at :data:`reports.figures.assets.DEFAULT_DPI`
(:data:`~reports.figures.assets.PRINT_DPI` for a print edition, whose pages have a bleed).

**Pixels.** :func:`pixels` decodes an 8-bit RGB FlateDecode image (what every figure is)
with zlib and numpy, every ``step``-th pixel in both directions (enough to measure areas);
other kinds go through Pillow (:class:`pikepdf.PdfImage`), or are skipped.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pikepdf

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MIN_TEXT_KEY = b"atlas:min-text-pt"
CONFIRM_BYTES = 256


@dataclass(frozen=True)
class DrawnFigure:
    path: Path | None  # the figure file (None: not found, ``dpi`` assumed)
    dpi: float
    min_text_pt: float | None = None  # smallest text drawn, when the PNG says

    @property
    def assumed(self) -> bool:
        return self.path is None


@dataclass(frozen=True)
class _Header:
    path: Path
    width: int
    height: int
    idat_length: int
    idat_offset: int  # file offset of the first IDAT payload byte
    dpi: float | None
    min_text_pt: float | None


def read_png_header(path: Path) -> _Header | None:
    """Size, dpi, IDAT length and ``atlas:min-text-pt`` of a PNG, reading only chunk headers
    (and the small chunks)."""
    try:
        with path.open("rb") as fh:
            if fh.read(8) != PNG_SIGNATURE:
                return None
            width = height = 0
            dpi = min_text = None
            idat_length, idat_offset = 0, -1
            while True:
                head = fh.read(8)
                if len(head) < 8:
                    break
                length, kind = struct.unpack(">I4s", head)
                if kind == b"IDAT":
                    if idat_offset < 0:
                        idat_offset = fh.tell()
                    idat_length += length
                    fh.seek(length + 4, 1)
                    continue
                if kind == b"IEND":
                    break
                if length > 4096:  # a big ancillary chunk: not one of ours
                    fh.seek(length + 4, 1)
                    continue
                body = fh.read(length)
                fh.seek(4, 1)
                if kind == b"IHDR":
                    width, height = struct.unpack(">II", body[:8])
                elif kind == b"pHYs" and len(body) == 9:
                    ppm_x, _ppm_y, unit = struct.unpack(">IIB", body)
                    dpi = ppm_x * 0.0254 if unit == 1 else None
                elif kind == b"tEXt" and body.startswith(MIN_TEXT_KEY + b"\0"):
                    try:
                        min_text = float(body[len(MIN_TEXT_KEY) + 1 :].decode("latin-1"))
                    except ValueError:
                        min_text = None
    except OSError:
        return None
    if idat_offset < 0:
        return None
    return _Header(path, width, height, idat_length, idat_offset, dpi, min_text)


class FigureIndex:
    """The figure files of a cache directory, by (width, height, IDAT length)."""

    def __init__(self, directory: Path | None, default_dpi: float) -> None:
        self.default_dpi = default_dpi
        self.by_size: dict[tuple[int, int, int], list[_Header]] = {}
        if directory is not None and directory.is_dir():
            for path in directory.rglob("*.png"):
                header = read_png_header(path)
                if header is not None:
                    key = (header.width, header.height, header.idat_length)
                    self.by_size.setdefault(key, []).append(header)
        self._found: dict[tuple[int, int], DrawnFigure] = {}

    def __len__(self) -> int:
        return sum(len(v) for v in self.by_size.values())

    def drawn(self, image: pikepdf.Object | None, default_dpi: float | None = None) -> DrawnFigure:
        """The figure file and dpi of a PDF image XObject (assumed when not found)."""
        fallback = DrawnFigure(None, default_dpi or self.default_dpi)
        if not isinstance(image, pikepdf.Stream):
            return fallback
        key = image.objgen
        if key in self._found:
            return self._found[key]
        found = fallback
        try:
            raw_length = int(image.get("/Length", -1))
            size = (int(image.get("/Width", 0)), int(image.get("/Height", 0)), raw_length)
        except (TypeError, ValueError):
            size = (0, 0, -1)
        candidates = self.by_size.get(size, [])
        if candidates:
            start = image.read_raw_bytes()[:CONFIRM_BYTES]
            for header in candidates:
                try:
                    with header.path.open("rb") as fh:
                        fh.seek(header.idat_offset)
                        same = fh.read(len(start)) == start
                except OSError:
                    same = False
                if same and header.dpi:
                    found = DrawnFigure(header.path, header.dpi, header.min_text_pt)
                    break
        self._found[key] = found
        return found


def pixels(image: pikepdf.Object | None, step: int = 2) -> np.ndarray | None:
    """RGB pixels (rows, columns, 3) of an image XObject, every ``step``-th in each direction;
    None when it cannot be decoded."""
    if not isinstance(image, pikepdf.Stream):
        return None
    try:
        width, height = int(image.Width), int(image.Height)
        simple = (
            image.get("/Filter") == "/FlateDecode"
            and image.get("/ColorSpace") == "/DeviceRGB"
            and int(image.get("/BitsPerComponent", 8)) == 8
            and "/SMask" not in image
        )
        if simple:
            parms = image.get("/DecodeParms")
            predictor = (
                int(parms.get("/Predictor", 1)) if isinstance(parms, pikepdf.Dictionary) else 1
            )
            raw = np.frombuffer(zlib.decompress(image.read_raw_bytes()), np.uint8)
            if predictor >= 10:  # PNG predictors: a filter-type byte starts each row
                rows = raw[: height * (1 + 3 * width)].reshape(height, 1 + 3 * width)
                if not rows[:, 0].any():  # filter "None" on every row: the bytes are pixels
                    return rows[::step, 1:].reshape(-1, width, 3)[:, ::step]
            elif predictor == 1:
                return raw[: height * width * 3].reshape(height, width, 3)[::step, ::step]
        pil = pikepdf.PdfImage(image).as_pil_image().convert("RGB")
        return np.asarray(pil)[::step, ::step]
    except (pikepdf.PdfError, ValueError, zlib.error, NotImplementedError, OSError):
        return None


def rgb(hex_color: str) -> tuple[int, int, int]:
    h = hex_color.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def packed(rgb_pixels: np.ndarray) -> np.ndarray:
    """One int per pixel (0xRRGGBB), flat."""
    p = rgb_pixels.reshape(-1, 3).astype(np.uint32)
    return (p[:, 0] << 16) | (p[:, 1] << 8) | p[:, 2]


def pack(color: tuple[int, int, int]) -> int:
    return (color[0] << 16) | (color[1] << 8) | color[2]
