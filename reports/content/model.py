"""The context objects that templates lay out: document, chapter, section, figure.

Everything a template prints is in them, already formatted: section titles, analysis
paragraphs, tables (rows of strings), figures (file, caption, alt text, source line),
notes. Templates compute nothing. They are filled by :mod:`reports.documents.chapter`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reports.content.keys import KeyMessage
from reports.content.tables import TableCtx


@dataclass
class FigureCtx:
    id: str
    title: str
    src: str  # URL relative to the project root
    alt: str
    source: str
    kind: str = "map"  # map | chart
    size: str = "half"  # full | half | third
    notes: list[str] = field(default_factory=list)
    path: str = ""  # file on disk (for caching / checks)
    data: tuple[tuple[str, str], ...] = ()  # (indicator, level) drawn, when not in figures.py
    number: str = ""  # reader-facing number, "Carte 3" (set per chapter: documents.chapter)


@dataclass
class SectionCtx:
    id: str
    title: str
    template: str
    page: str
    intro: str = ""
    paragraphs: list[str] = field(default_factory=list)
    tables: list[TableCtx] = field(default_factory=list)
    figures: list[FigureCtx] = field(default_factory=list)
    boxes: list[str] = field(default_factory=list)
    #: a fiche lays its sections out in page groups: this section opens one (a new page), or
    #: follows the previous section on its page (`follows:` in layouts.yaml)
    opens_page: bool = True


@dataclass
class ChapterCtx:
    code: str
    kind: str  # metro | drom | france
    anchor: str
    title: str
    kicker: str
    subtitle: str
    running_title: str
    sections: list[SectionCtx]
    nd_notes: list[str]
    sources: list[str]
    method_note: str
    continued: bool = False  # a later part of the chapter rendered on its own (build.py)
    key_messages: list[KeyMessage] = field(default_factory=list)  # "À retenir" of the opener


@dataclass
class DocCtx:
    kind: str  # fiche | atlas
    title: str
    subtitle: str
    author: str
    date: str
    version: str
    edition: str
    stylesheets: list[str]
    chapters: list[ChapterCtx]
    extra: dict = field(default_factory=dict)
    publisher: str = ""  # "Ministère de la Culture – Deps" (first page and footer of a fiche)
    collection: str = ""  # "Atlas régional de la culture"
    issued: str = ""  # printed date: month and year, in French
