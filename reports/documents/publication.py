"""Publication options shared by the fiche and the atlas: PDF variant, figure resolution,
``--print`` stylesheets, and the PDF written from HTML through the content-hash cache."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from reports import __version__, integrity
from reports.documents.session import Session
from reports.errors import ConfigError
from reports.figures.assets import DEFAULT_DPI, PRINT_DPI
from reports.integrity import check_pdf
from reports.paths import Paths
from reports.render.conformance import PATCHES
from reports.render.pagination import RenderServer, render_parts
from reports.render.pdf import (
    DEFAULT_VARIANT,
    PRINT_STYLESHEET,
    VARIANTS,
    atomic_write,
    options_fingerprint,
    pdf_variant_options,
)


def check_publication(html: bool, variant: str, print_: bool) -> None:
    """Refuse option combinations that cannot work (an HTML file has no PDF variant)."""
    if variant not in VARIANTS:
        raise ConfigError(f"unknown PDF variant {variant!r}", hint=f"use {', '.join(VARIANTS)}")
    if html and variant == "pdfa":
        raise ConfigError("--pdfa cannot be used with --html: PDF/A is a PDF variant")
    if html and print_:
        raise ConfigError("--print cannot be used with --html: bleed and crop marks are PDF-only")
    if print_ and variant == "pdfa":
        raise ConfigError(
            "--pdfa cannot be used with --print: one is PDF/A-3a (archive), the other PDF/X-4 "
            "(print shop)",
            hint="build each edition with its own option",
        )


def publication_variant(variant: str, print_: bool) -> str:
    """The PDF variant written: ``print`` (PDF/X-4) for ``--print``, else ``variant``."""
    return "print" if print_ else variant


def pdf_options(
    session: Session, variant: str = DEFAULT_VARIANT, attachments: Iterable[Any] = ()
) -> dict[str, Any]:
    """``write_pdf`` options of a publication variant, dated by the edition's ``date``."""
    return pdf_variant_options(variant, attachments=attachments, date=session.setting("date"))


def figure_dpi(print_: bool) -> int:
    """Resolution of the raster figures: 300 dpi for a print shop, 200 dpi otherwise."""
    return PRINT_DPI if print_ else DEFAULT_DPI


def print_stylesheets(print_: bool) -> list[str]:
    """Extra stylesheets (project-relative) of ``--print``: bleed and crop marks."""
    return [PRINT_STYLESHEET] if print_ else []


def styles_digest(paths: Paths) -> str:
    """Hash of every file under ``styles/`` (CSS and fonts): part of every layout cache key,
    since a stylesheet edit changes pages without changing the HTML; so is the version of the
    engine patches (:data:`reports.render.conformance.PATCHES`), which change the PDF."""
    h = hashlib.sha256(f"patches {PATCHES}|".encode())
    for path in sorted(paths.styles.rglob("*")):
        if path.is_file():
            h.update(path.relative_to(paths.styles).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def pdf_cache_key(
    session: Session, html: str, options: dict, stylesheets: Iterable[str] = ()
) -> str:
    """Content hash of everything that shapes the PDF: the HTML, the stylesheets and fonts,
    the engine version and options (figure files are content-named, so the HTML covers them).
    """
    from importlib.metadata import version

    h = hashlib.sha256()
    h.update(html.encode("utf-8"))
    h.update(styles_digest(session.paths).encode())
    h.update(f"{version('weasyprint')}|{__version__}|{options_fingerprint(options)}".encode())
    h.update(f"|{list(stylesheets)!r}".encode())
    return h.hexdigest()[:32]


def html_to_pdf(
    session: Session,
    parts: Sequence[str],
    target: Path,
    options: dict,
    *,
    stylesheets: Iterable[str] = (),
    use_cache: bool = True,
    server: RenderServer | None = None,
    ready: Callable[[], None] | None = None,
    pending: Sequence[Path] = (),
) -> Path:
    """Render the HTML ``parts`` of one document to ``target``; an identical input reuses
    the cached PDF bytes.

    ``parts``: the document cut in parts (:func:`fiche_parts`; one for a document laid out
    whole), laid out in parallel by ``server`` (or one inside the other in this process);
    ``stylesheets`` are added after the
    document's own (project-relative paths, e.g. ``--print``); ``use_cache=False`` always
    renders (benchmarks, reproducibility tests). ``pending``: figures still being drawn,
    which ``ready()`` waits for: called before the PDF is rendered, or, with a ``server``,
    once its layout has begun (:func:`reports.render.pagination.render_parts`).

    A cached PDF is used only if its bytes match the digest recorded when it was rendered
    (:mod:`reports.integrity`): a damaged one is rendered again. The PDF copied to ``target``
    is checked (it opens, with the recorded page count) before it replaces the last one.
    """
    extra = list(stylesheets)
    # the parts are what is laid out: the key covers them (a continued part's running head
    # or template branch is in no other HTML)
    htmls = list(parts)
    key = pdf_cache_key(session, "\n<!-- part -->\n".join(htmls), options, extra)
    cached = session.paths.cache / "pdf" / f"{key}.pdf"
    data = integrity.read_entry(cached, integrity.pdf_validator()) if use_cache else None
    if data is None:
        dest = cached if use_cache else target
        pages = render_parts(
            htmls, dest, session.paths.root, options, extra, server, ready, pending
        )
        if not use_cache:
            return target
        data = cached.read_bytes()
        integrity.seal(cached, data, pages=pages)
    else:
        pages = integrity.recorded(cached).get("pages")

    def check(tmp: Path, out: Path) -> None:
        check_pdf(tmp, out, pages=pages)

    return atomic_write(target, lambda tmp: tmp.write_bytes(data), check=check)
