"""What every document build needs once (paths, data, layouts) and the document context
and HTML of a document (:mod:`reports.content.model`, Jinja templates)."""

from __future__ import annotations

from dataclasses import dataclass

from reports import __version__, edition
from reports.config import Layouts, load_layouts
from reports.content.model import ChapterCtx, DocCtx
from reports.data.store import Store
from reports.data.territories import FRANCE, Territory, regions, resolve
from reports.paths import Paths
from reports.render.jinja import make_env, render_template

STYLESHEETS = ["styles/print.css"]


#: settings that come from the edition file (editions/<name>.yaml), not from layouts.yaml
EDITION_SETTINGS = {"edition": "label", "date": "date", "year": "name"}


@dataclass
class Session:
    """What every build needs once: paths, data, layouts, Jinja environment."""

    paths: Paths
    store: Store
    layouts: Layouts

    @classmethod
    def open(cls, paths: Paths | None = None) -> Session:
        paths = paths or Paths()
        from reports.content.analysis import PLAN
        from reports.figures.catalogue import REGISTRY

        store = Store(paths)
        store.check()
        layouts = load_layouts(
            paths.layouts,
            paths.templates,
            known_indicators=set(store.meta.index),
            known_figures=set(REGISTRY),
            known_analyses=set(PLAN),
        )
        return cls(paths, store, layouts)

    def territory(self, text: str) -> Territory:
        store = self.store
        has_epci = (store.dir / "epci.csv").is_file()
        epci = (lambda: (store.epcis, store.epci_communes)) if has_epci else None
        return resolve(text, store.territories, epci)

    def all_territories(self) -> list[Territory]:
        return [*regions(self.store.territories), FRANCE]

    def setting(self, key: str, default: str = "") -> str:
        if key in EDITION_SETTINGS:
            return str(getattr(edition.current(), EDITION_SETTINGS[key]) or default)
        return str(self.layouts.settings.get(key, default))


MONTHS = (
    *("janvier", "février", "mars", "avril", "mai", "juin"),
    *("juillet", "août", "septembre", "octobre", "novembre", "décembre"),
)


def issued(date: str) -> str:
    """An ISO date → ``<mois> <année>`` (the date printed on a fiche); '' if not a date."""
    try:
        year, month = int(date[:4]), int(date[5:7])
    except ValueError:
        return ""
    return f"{MONTHS[month - 1]} {year}" if 1 <= month <= 12 else ""


def doc_ctx(session: Session, kind: str, title: str, chapters: list[ChapterCtx]) -> DocCtx:
    date = session.setting("date")
    return DocCtx(
        kind=kind,
        title=title,
        subtitle="Atlas régional de la culture",
        author=session.setting("author"),
        date=date,
        version=__version__,
        edition=session.setting("edition"),
        stylesheets=STYLESHEETS,
        chapters=chapters,
        publisher=session.setting("publisher", session.setting("short_author")),
        collection=session.setting("collection"),
        issued=issued(date),
    )


def render_html(session: Session, template: str, doc: DocCtx) -> str:
    env = make_env(session.paths.templates)
    return render_template(env, template, {"doc": doc})
