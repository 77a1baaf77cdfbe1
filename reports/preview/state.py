"""The preview's data: documents, problems, laid-out pages and render states, with the helpers
that fill them (WeasyPrint warning capture, a page's text layer, a small LRU cache)."""

from __future__ import annotations

import contextlib
import logging
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DocEntry:
    """One previewable document: a fiche, the atlas, or one of its chapters."""

    slug: str
    title: str
    kind: str  # "fiche" | "atlas" | "chapter"
    key: str = ""  # territory slug for fiches and chapters
    group: str = ""


@dataclass
class Problem:
    """An error (blocking) or a warning, located at ``where`` (file:line) when known."""

    message: str
    where: str | None = None
    hint: str | None = None
    kind: str = "error"  # "error" | "warning"


@dataclass
class PageInfo:
    width: float  # CSS px (1/96 in)
    height: float
    texts: list[list[Any]] = field(default_factory=list)  # [x, y, w, h, font px, text]
    anchors: list[str] = field(default_factory=list)  # element ids placed on this page
    key: str = ""  # content key: same key, same pixels (the image URL, cached across edits)


@dataclass
class Rendered:
    slug: str
    generation: int
    title: str
    html: str
    document: Any  # the laid-out WeasyPrint Document: pages are painted on demand
    pages: list[PageInfo]
    warnings: list[Problem]
    timings: dict[str, float]


@dataclass
class Proof:
    """``atlas check`` findings of one rendering (:mod:`reports.proof`), by page content key:
    a page whose key did not change keeps its findings until the next proof is done."""

    generation: int
    keys: list[str]  # page key of each page proofread, in order
    findings: dict[str, list[dict[str, Any]]]  # page key -> [{rule, message, count}]
    seconds: float  # tagged PDF written + checked
    error: str | None = None


@dataclass
class DocState:
    """What the viewer gets: the last good rendering and, if the latest failed, the error."""

    generation: int
    good: Rendered | None = None
    error: Problem | None = None


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if msg not in self.messages:
            self.messages.append(msg)


@contextlib.contextmanager
def capture_weasyprint() -> Iterator[list[str]]:
    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


def page_info(page: Any) -> PageInfo:
    """Size and positioned text fragments of one laid-out WeasyPrint page."""
    from weasyprint.formatting_structure import boxes

    texts: list[list[Any]] = []
    stack = [page._page_box]
    while stack:
        box = stack.pop()
        if isinstance(box, boxes.TextBox):
            text = box.text.replace("\u00ad", "")
            if text.strip():
                texts.append(
                    [
                        round(box.position_x, 1),
                        round(box.position_y, 1),
                        round(box.width, 1),
                        round(box.height, 1),
                        round(float(box.style["font_size"]), 2),
                        text,
                    ]
                )
        children = getattr(box, "children", None)
        if children:
            stack.extend(reversed(children))
    return PageInfo(round(page.width, 2), round(page.height, 2), texts, list(page.anchors))


class LRU(OrderedDict):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)
