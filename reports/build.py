"""Orchestration: a fiche (one territory) → HTML → PDF, written atomically.

The atlas (``build_atlas``) reuses :func:`chapter_html` so a regional chapter is exactly the
fiche of that région.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from reports import __version__
from reports.config import Layouts, load_layouts
from reports.context import ChapterCtx, DocCtx, build_chapter
from reports.datastore import Store
from reports.paths import Paths
from reports.pdf import atomic_write, render_document, write_pdf
from reports.render import make_env, render_template
from reports.territories import FRANCE, Territory, regions, resolve

STYLESHEETS = ["styles/print.css"]


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
        date=session.setting("date", "2026-01-01"),
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


def build_fiche(
    session: Session, territory: Territory, out: Path | None = None, html: bool = False
) -> Path:
    text = fiche_html(session, territory)
    target = out or default_fiche_path(session, territory, html)
    if html:
        return atomic_write(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return html_to_pdf(session, text, target, pdf_options(session))


def pdf_options(session: Session) -> dict:
    return {}


def pdf_cache_key(session: Session, html: str, options: dict) -> str:
    """Content hash of everything that shapes the PDF: the HTML, the stylesheets and fonts,
    the engine version and options (figure files are content-named, so the HTML covers them).
    """
    from importlib.metadata import version

    h = hashlib.sha256()
    h.update(html.encode("utf-8"))
    for path in sorted(session.paths.styles.rglob("*")):
        if path.is_file():
            h.update(path.name.encode())
            h.update(path.read_bytes())
    h.update(f"{version('weasyprint')}|{__version__}|{sorted(options.items())!r}".encode())
    return h.hexdigest()[:32]


def html_to_pdf(session: Session, html: str, target: Path, options: dict) -> Path:
    """Render ``html`` to ``target``; an identical input reuses the cached PDF bytes."""
    cached = session.paths.cache / "pdf" / f"{pdf_cache_key(session, html, options)}.pdf"
    if not cached.is_file():
        document = render_document(html, session.paths, base_url=session.paths.root)
        write_pdf(document, cached, **options)
    return atomic_write(target, lambda tmp: shutil.copyfile(cached, tmp))
