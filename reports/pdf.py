"""The one WeasyPrint call site: HTML + ``styles/`` → PDF, written atomically.

Resources may only come from the project's own ``templates/``, ``styles/``, ``data/`` and
the figure cache: the URL fetcher refuses anything else (no network, no other file).
The PDF is written to a temporary file next to the target and renamed, so a failed build
never replaces the last good PDF.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable
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
