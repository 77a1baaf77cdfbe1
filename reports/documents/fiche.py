"""Orchestration: a fiche (one territory) → HTML → PDF, written atomically.

Publication options (issue 7): the PDF is tagged (PDF/UA-1) by default, ``variant="pdfa"``
gives PDF/A-3a and PDF/UA-1 in one file, the CSV of the tables and figures is embedded in both
(:mod:`reports.render.attachments`), ``print_`` gives PDF/X-4 with bleed and crop marks
(``styles/print-shop.css``, :mod:`reports.render.conformance`).
The same inputs give the same bytes (dates from the layouts' ``date``, content-derived ids).

The atlas (:mod:`reports.documents.atlas`) builds its regional chapters with the same
:func:`reports.documents.chapter.build_chapter`, so a regional chapter is exactly the fiche of
that région.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from contextlib import nullcontext
from itertools import pairwise
from pathlib import Path

from reports.content.model import DocCtx, SectionCtx
from reports.data.territories import Territory
from reports.documents.chapter import build_chapter
from reports.documents.publication import (
    check_publication,
    figure_dpi,
    html_to_pdf,
    pdf_options,
    print_stylesheets,
    publication_variant,
)
from reports.documents.session import Session, doc_ctx, render_html
from reports.figures.assets import deferred_drawing, resolution
from reports.figures.inputs import departements
from reports.render.attachments import document_csvs
from reports.render.pagination import RenderServer, can_fork
from reports.render.pdf import (
    DEFAULT_VARIANT,
    atomic_write,
)

#: a fiche is laid out as this many parts at once (fixed, so every machine writes the same
#: bytes; two cores here): :mod:`reports.render.pagination`
FICHE_PARTS = 2


def fiche_doc(session: Session, territory: Territory, layout: str | None = None) -> DocCtx:
    from reports.documents import portrait  # the portrait layout (départements' default)

    if portrait.layout_for(territory, layout) == "portrait":
        return portrait.portrait_doc(session, territory)
    spec = session.layouts.document("fiche")
    chapter = build_chapter(session.store, session.layouts, spec.sections, territory, session.paths)
    return doc_ctx(session, "fiche", f"{spec.title} — {territory.name}", [chapter])


def fiche_html(session: Session, territory: Territory) -> str:
    return render_html(session, "fiche.html", fiche_doc(session, territory))


def default_fiche_path(
    session: Session, territory: Territory, html: bool = False, layout: str | None = None
) -> Path:
    from reports.documents import portrait

    if portrait.layout_for(territory, layout) == "portrait":
        return portrait.portrait_path(session, territory, html)
    return session.paths.fiches_output / f"{territory.slug}.{'html' if html else 'pdf'}"


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
    layout: str | None = None,
) -> Path:
    """The fiche of ``territory`` as PDF (``variant``: tagged | pdfa | plain; ``attach``: embed
    the CSV of its tables and figures; ``print_``: bleed and crop marks), or as HTML.

    Missing figures are drawn in ``workers`` processes (default: one per core) while the rest
    of the fiche is built, and a render process loads WeasyPrint meanwhile; the PDF is laid
    out as :data:`FICHE_PARTS` parts in parallel. Pass ``workers=1`` from a multi-threaded
    caller (no fork: the same PDF, on one core). ``server``: a render process the caller
    started earlier still (the CLI starts it before importing the data libraries).
    ``layout``: ``fiche`` or ``portrait`` (default: portrait for a département, else fiche).
    """
    check_publication(html, variant, print_)
    target = out or default_fiche_path(session, territory, html, layout)
    forking = can_fork(workers) and not html and server is None
    with RenderServer(session.paths.root) if forking else nullcontext(server) as server:
        with (
            resolution(figure_dpi(print_)),
            deferred_drawing(workers, warm=(departements(session.paths),)) as drawer,
        ):
            doc = fiche_doc(session, territory, layout)
            # what needs the figure paths but not the figure files: done while workers draw
            if html:
                text = render_html(session, "fiche.html", doc)
            else:
                # the parts' layout begins too: each waits for a figure when it needs it
                files = document_csvs(session.store, session.layouts, doc) if attach else []
                try:
                    return html_to_pdf(
                        session,
                        fiche_parts(session, doc),
                        target,
                        pdf_options(session, publication_variant(variant, print_), files),
                        stylesheets=print_stylesheets(print_),
                        server=server,
                        ready=drawer.close,
                        pending=tuple(drawer.seen),
                    )
                except Exception:
                    drawer.close()  # a layout error: the drawing ends as usual, its figures kept
                    raise
        return atomic_write(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def fiche_parts(session: Session, doc: DocCtx, parts: int = FICHE_PARTS) -> list[str]:
    """The HTML of ``doc`` (one chapter) cut at section boundaries into ``parts`` documents of
    about the same layout work; the later ones are *continued* chapters."""
    (chapter,) = doc.chapters
    # cut only where a page group starts (`follows:` in layouts.yaml): a cut inside a group
    # would open a page that the whole fiche does not open
    sections = chapter.sections
    starts = [i for i, s in enumerate(sections) if i == 0 or s.opens_page]
    ends = [*starts[1:], len(sections)]
    runs = zip(starts, ends, strict=True)
    weights = [sum(section_weight(s) for s in sections[a:b]) for a, b in runs]
    bounds = [starts[g] for g in split_sections(weights, parts)]
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
