"""Orchestration: a fiche (one territory) → HTML → PDF, written atomically.

Publication options (issue 7): the PDF is tagged (PDF/UA-1) by default, ``variant="pdfa"``
gives PDF/A-3b, the CSV of the tables and figures is embedded in both
(:mod:`reports.render.attachments`), ``print_`` adds bleed and crop marks
(``styles/print-shop.css``).
The same inputs give the same bytes (dates from the layouts' ``date``, content-derived ids).

The atlas (``build_atlas``) reuses :func:`chapter_html` so a regional chapter is exactly the
fiche of that région.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from reports import __version__
from reports.config import Layouts, load_layouts
from reports.content.model import ChapterCtx, DocCtx, SectionCtx
from reports.data.store import Store
from reports.data.territories import FRANCE, Territory, regions, resolve
from reports.documents.chapter import build_chapter
from reports.errors import ConfigError
from reports.figures.assets import DEFAULT_DPI, PRINT_DPI, deferred_drawing, resolution
from reports.figures.catalogue import departements
from reports.paths import Paths
from reports.render.attachments import document_csvs
from reports.render.jinja import make_env, render_template
from reports.render.pagination import RenderServer, can_fork, render_parts
from reports.render.pdf import (
    DEFAULT_VARIANT,
    PRINT_STYLESHEET,
    VARIANTS,
    atomic_write,
    options_fingerprint,
    pdf_variant_options,
)

STYLESHEETS = ["styles/print.css"]
#: a fiche is laid out as this many parts at once (fixed, so every machine writes the same
#: bytes; two cores here): :mod:`reports.render.pagination`
FICHE_PARTS = 2
DEFAULT_DATE = "2026-01-01"  # metadata date when layouts.yaml settings has no ``date``


@dataclass
class Session:
    """What every build needs once: paths, data, layouts, Jinja environment."""

    paths: Paths
    store: Store
    layouts: Layouts

    @classmethod
    def open(cls, paths: Paths | None = None) -> Session:
        paths = paths or Paths()
        store = Store(paths)
        store.check()
        layouts = load_layouts(paths.layouts, paths.templates)
        return cls(paths, store, layouts)

    def territory(self, text: str) -> Territory:
        return resolve(text, self.store.territories)

    def all_territories(self) -> list[Territory]:
        return [*regions(self.store.territories), FRANCE]

    def setting(self, key: str, default: str = "") -> str:
        return str(self.layouts.settings.get(key, default))


def fiche_doc(session: Session, territory: Territory) -> DocCtx:
    spec = session.layouts.document("fiche")
    chapter = build_chapter(session.store, session.layouts, spec.sections, territory, session.paths)
    return doc_ctx(session, "fiche", f"{spec.title} — {territory.name}", [chapter])


def doc_ctx(session: Session, kind: str, title: str, chapters: list[ChapterCtx]) -> DocCtx:
    return DocCtx(
        kind=kind,
        title=title,
        subtitle="Atlas régional de la culture",
        author=session.setting("author"),
        date=session.setting("date", DEFAULT_DATE),
        version=__version__,
        edition=session.setting("edition"),
        stylesheets=STYLESHEETS,
        chapters=chapters,
    )


def render_html(session: Session, template: str, doc: DocCtx) -> str:
    env = make_env(session.paths.templates)
    return render_template(env, template, {"doc": doc})


def fiche_html(session: Session, territory: Territory) -> str:
    return render_html(session, "fiche.html", fiche_doc(session, territory))


def default_fiche_path(session: Session, territory: Territory, html: bool = False) -> Path:
    return session.paths.fiches_output / f"{territory.slug}.{'html' if html else 'pdf'}"


def check_publication(html: bool, variant: str, print_: bool) -> None:
    """Refuse option combinations that cannot work (an HTML file has no PDF variant)."""
    if variant not in VARIANTS:
        raise ConfigError(f"unknown PDF variant {variant!r}", hint=f"use {', '.join(VARIANTS)}")
    if html and variant == "pdfa":
        raise ConfigError("--pdfa cannot be used with --html: PDF/A is a PDF variant")
    if html and print_:
        raise ConfigError("--print cannot be used with --html: bleed and crop marks are PDF-only")


def build_fiche(
    session: Session,
    territory: Territory,
    out: Path | None = None,
    html: bool = False,
    *,
    variant: str = DEFAULT_VARIANT,
    attach: bool = True,
    print_: bool = False,
    workers: int | None = None,
    server: RenderServer | None = None,
) -> Path:
    """The fiche of ``territory`` as PDF (``variant``: tagged | pdfa | plain; ``attach``: embed
    the CSV of its tables and figures; ``print_``: bleed and crop marks), or as HTML.

    Missing figures are drawn in ``workers`` processes (default: one per core) while the rest
    of the fiche is built, and a render process loads WeasyPrint meanwhile; the PDF is laid
    out as :data:`FICHE_PARTS` parts in parallel. Pass ``workers=1`` from a multi-threaded
    caller (no fork: the same PDF, on one core). ``server``: a render process the caller
    started earlier still (the CLI starts it before importing the data libraries).
    """
    check_publication(html, variant, print_)
    target = out or default_fiche_path(session, territory, html)
    forking = can_fork(workers) and not html and server is None
    with RenderServer(session.paths.root) if forking else nullcontext(server) as server:
        with (
            resolution(figure_dpi(print_)),
            deferred_drawing(workers, warm=(departements(session.paths),)),
        ):
            doc = fiche_doc(session, territory)
            # what needs the figure paths but not the figure files: done while workers draw
            text = render_html(session, "fiche.html", doc)
            attached = attach and not html
            files = document_csvs(session.store, session.layouts, doc) if attached else []
        if html:
            return atomic_write(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        return html_to_pdf(
            session,
            text,
            target,
            pdf_options(session, variant, files),
            stylesheets=print_stylesheets(print_),
            parts=lambda: fiche_parts(session, doc),
            server=server,
        )


def fiche_parts(session: Session, doc: DocCtx, parts: int = FICHE_PARTS) -> list[str]:
    """The HTML of ``doc`` (one chapter) cut at section boundaries into ``parts`` documents of
    about the same layout work; the later ones are *continued* chapters."""
    (chapter,) = doc.chapters
    bounds = split_sections([section_weight(s) for s in chapter.sections], parts)
    out = []
    cuts = [0, *bounds, len(chapter.sections)]
    for i, (lo, hi) in enumerate(pairwise(cuts)):
        part = dataclasses.replace(chapter, sections=chapter.sections[lo:hi], continued=i > 0)
        out.append(render_html(session, "fiche.html", dataclasses.replace(doc, chapters=[part])))
    return out


def section_weight(section: SectionCtx) -> int:
    """Layout work of a section, in table-row units (measured on WeasyPrint: a section costs
    about a dozen rows plus its rows; maps and charts are images, nearly free)."""
    return 12 + sum(len(t.rows) for t in section.tables) + len(section.paragraphs)


def split_sections(weights: Sequence[int], parts: int) -> list[int]:
    """Indices where to cut ``weights`` into at most ``parts`` non-empty runs whose sums are
    as even as possible (greedy on the running total)."""
    total, bounds, running = sum(weights), [], 0
    for i, w in enumerate(weights[:-1], start=1):
        running += w
        goal = total * (len(bounds) + 1) / parts
        if len(bounds) < parts - 1 and running + weights[i] / 2 >= goal:
            bounds.append(i)
    return bounds


def pdf_options(
    session: Session, variant: str = DEFAULT_VARIANT, attachments: Iterable[Any] = ()
) -> dict[str, Any]:
    """``write_pdf`` options of a publication variant, dated by the layouts' ``date``."""
    return pdf_variant_options(
        variant, attachments=attachments, date=session.setting("date", DEFAULT_DATE)
    )


def figure_dpi(print_: bool) -> int:
    """Resolution of the raster figures: 300 dpi for a print shop, 200 dpi otherwise."""
    return PRINT_DPI if print_ else DEFAULT_DPI


def print_stylesheets(print_: bool) -> list[str]:
    """Extra stylesheets (project-relative) of ``--print``: bleed and crop marks."""
    return [PRINT_STYLESHEET] if print_ else []


def styles_digest(paths: Paths) -> str:
    """Hash of every file under ``styles/`` (CSS and fonts): part of every layout cache key,
    since a stylesheet edit changes pages without changing the HTML."""
    h = hashlib.sha256()
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
    html: str,
    target: Path,
    options: dict,
    *,
    stylesheets: Iterable[str] = (),
    use_cache: bool = True,
    parts: Callable[[], Sequence[str]] | None = None,
    server: RenderServer | None = None,
) -> Path:
    """Render ``html`` to ``target``; an identical input reuses the cached PDF bytes.

    ``parts``: makes the same document cut in parts (:func:`fiche_parts`), laid out in parallel by
    ``server`` (or one inside the other in this process); ``stylesheets`` are added after the
    document's own (project-relative paths, e.g. ``--print``); ``use_cache=False`` always
    renders (benchmarks, reproducibility tests).
    """
    extra = list(stylesheets)
    key = pdf_cache_key(session, html, options, extra)
    cached = session.paths.cache / "pdf" / f"{key}.pdf"
    if not use_cache or not cached.is_file():
        dest = cached if use_cache else target
        htmls = parts() if parts else [html]
        render_parts(htmls, dest, session.paths.root, options, extra, server)
        if not use_cache:
            return target
    return atomic_write(target, lambda tmp: shutil.copyfile(cached, tmp))
