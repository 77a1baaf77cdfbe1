"""The one WeasyPrint call site: HTML + ``styles/`` → PDF, written atomically.

Resources may only come from the project's own ``templates/``, ``styles/``, ``data/`` and
the figure cache: the URL fetcher refuses anything else (no network, no other file).
The PDF is written to a temporary file next to the target and renamed, so a failed build
never replaces the last good PDF.
"""

from __future__ import annotations

import logging
import os
import struct
import tempfile
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlparse

from reports.errors import RenderError
from reports.paths import Paths


class FetchRefused(RenderError):
    pass


def make_url_fetcher(paths: Paths, extra_roots: Iterable[Path] = ()):
    """A WeasyPrint URL fetcher limited to ``file:`` URLs under the project's allowed dirs."""
    from weasyprint.urls import URLFetcher

    roots = [
        p.resolve() for p in (paths.templates, paths.styles, paths.data, paths.cache, *extra_roots)
    ]

    class ProjectFetcher(URLFetcher):
        def fetch(self, url: str, headers=None):
            parsed = urlparse(url)
            if parsed.scheme == "data":
                return super().fetch(url, headers)
            if parsed.scheme != "file":
                raise FetchRefused(f"refused to fetch {url!r}: only project files may be loaded")
            target = Path(unquote(parsed.path)).resolve()
            if not any(target == r or r in target.parents for r in roots):
                raise FetchRefused(
                    f"refused to fetch {target}: outside templates/styles/data/cache"
                )
            return super().fetch(url, headers)

    return ProjectFetcher(allowed_protocols={"file", "data"})


def _png_idat(data: bytes) -> bytes | None:
    """Concatenated IDAT payload of an 8-bit RGB, non-interlaced PNG, else None."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    pos, chunks = 8, []
    while pos + 8 <= len(data):
        (length,) = struct.unpack("!I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            bit_depth, colour_type, interlace = body[8], body[9], body[12]
            if bit_depth != 8 or colour_type != 2 or interlace != 0:
                return None
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    return b"".join(chunks) or None


@cache
def install_png_passthrough() -> None:
    """Let WeasyPrint embed our opaque RGB PNG figures without re-encoding them.

    WeasyPrint decodes each PNG and compresses it again to extract its IDAT data (1 s per
    fiche). For 8-bit RGB non-interlaced PNGs — what :mod:`reports.assets` writes — the IDAT
    stream of the file is already exactly what the PDF needs (FlateDecode, PNG predictors),
    so it is taken straight from the file. Any other image goes through WeasyPrint's code.
    """
    from weasyprint.images import RasterImage

    original = RasterImage._get_png_data

    def get_png_data(pillow_image):
        fp = getattr(pillow_image, "fp", None)
        if pillow_image.format == "PNG" and pillow_image.mode == "RGB" and fp is not None:
            try:
                data = fp.getvalue()
            except AttributeError:
                data = None
            idat = _png_idat(data) if data else None
            if idat is not None:
                return idat
        return original(pillow_image)

    RasterImage._get_png_data = staticmethod(get_png_data)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def render_document(
    html: str,
    paths: Paths,
    *,
    base_url: Path | None = None,
    stylesheets: Iterable[Path] = (),
    strict: bool = False,
):
    """HTML string → laid-out WeasyPrint Document (pages known, not yet written)."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    install_png_passthrough()
    fonts = FontConfiguration()
    fetcher = make_url_fetcher(paths)
    css = [CSS(filename=str(s), font_config=fonts, url_fetcher=fetcher) for s in stylesheets]
    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        doc = HTML(
            string=html, base_url=str(base_url or paths.templates) + "/", url_fetcher=fetcher
        ).render(stylesheets=css, font_config=fonts)
    finally:
        logger.removeHandler(handler)
    if strict and handler.messages:
        raise RenderError("WeasyPrint reported problems: " + "; ".join(handler.messages[:5]))
    return doc


def atomic_write(target: Path, write) -> Path:
    """Call ``write(tmp_path)`` then rename onto ``target``; remove the temp file on failure."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def write_pdf(document, target: Path, **options) -> Path:
    """Write a rendered Document atomically (options go to ``Document.write_pdf``)."""
    return atomic_write(target, lambda tmp: document.write_pdf(str(tmp), **options))
