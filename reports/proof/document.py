"""A finished PDF as the rules see it: its pages (text runs, lines, images, paints), the text
block of each page, its structure tree, and what is worked out once for the whole document
(the text of each structure element, the reading order of everything printed, the drawn
resolution of each figure).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pikepdf

from reports.proof.images import FigureIndex
from reports.proof.lines import Line, build_lines, page_text
from reports.proof.pages import Box, Page, read_pages
from reports.proof.structure import HEADINGS, Element, Structure, read_structure

MM = 72 / 25.4


@dataclass(frozen=True)
class Settings:
    """Thresholds of the checks (DESIGN.md), and the page geometry of styles/print.css."""

    max_empty: float = 0.40  # share of the text block left empty
    min_text_pt: float = 6.5  # any printed text, figure text included
    ppi_tolerance: float = 0.05  # a figure may be placed up to 5 % smaller than drawn
    one_class_share: float = 0.85  # one class colour over this share of the mapped area
    #: page margins (top, right, bottom, left), mm: ``@page { margin: 17mm 15mm }``
    margins_mm: tuple[float, float, float, float] = (17.0, 15.0, 17.0, 15.0)
    #: a vertical gap up to this size between two printed things is spacing, not emptiness
    spacing_mm: float = 8.0
    #: text size of a figure when its PNG does not say: the style's legend and tick size
    figure_text_pt: float = 7.0
    default_dpi: float = 200.0  # drawn resolution of a figure that is not in the cache
    print_dpi: float = 300.0  # … of a print edition (pages with a bleed)


@dataclass
class PageView:
    page: Page
    block: Box  # the text block: trim box less the margins
    lines: list[Line] = field(default_factory=list)  # every printed line, heads and folios too

    @property
    def number(self) -> int:
        return self.page.number

    @cached_property
    def text(self) -> str:
        return page_text(self.lines)

    def inside(self, box: Box, slack: float = 1.0) -> bool:
        """True when ``box`` lies (mostly) inside the text block, not in the margins."""
        x0, y0, x1, y1 = self.block
        cy = (box[1] + box[3]) / 2
        return y0 - slack <= cy <= y1 + slack and box[2] > x0 - slack and box[0] < x1 + slack

    @cached_property
    def body_lines(self) -> list[Line]:
        """Lines inside the text block (running heads and folios left out)."""
        return [ln for ln in self.lines if self.inside(ln.box) and not ln.artifact]

    @property
    def has_bleed(self) -> bool:
        t = self.page.trim
        return t[0] > 0.5 or t[1] > 0.5


def text_block(page: Page, settings: Settings) -> Box:
    top, right, bottom, left = (m * MM for m in settings.margins_mm)
    x0, y0, x1, y1 = page.trim
    return x0 + left, y0 + top, x1 - right, y1 - bottom


@dataclass
class Content:
    """One printed piece of tagged content, in reading order."""

    rank: int
    page: int  # 1-based page number
    element: int  # index of its structure element


class Document:
    def __init__(
        self,
        path: Path,
        pdf: pikepdf.Pdf,
        settings: Settings,
        figures: FigureIndex,
    ) -> None:
        self.path = path
        self.pdf = pdf
        self.settings = settings
        self.figures = figures
        self.structure: Structure = read_structure(pdf)
        self.views: list[PageView] = []
        for page in read_pages(pdf):
            view = PageView(page, text_block(page, settings))
            view.lines = build_lines(page.runs)
            self.views.append(view)
        self.page_count = len(pdf.pages)

    # --- structure, worked out once ---------------------------------------------------------
    def element(self, view: PageView, mcid: int | None) -> Element | None:
        return self.structure.element_of(view.page.id, mcid)

    @cached_property
    def element_texts(self) -> dict[int, str]:
        """Printed text of every structure element that directly holds runs, then rolled up
        to the headings, captions and paragraphs (what messages quote)."""
        out: dict[int, list[str]] = {}
        wanted = HEADINGS | {"Caption", "P", "TH", "Figure"}
        for view in self.views:
            for run in view.page.runs:
                e = self.element(view, run.mcid)
                holder = self.structure.nearest(e, wanted) if e is not None else None
                if holder is not None:
                    out.setdefault(holder.index, []).append(run.text)
        return {k: " ".join("".join(v).split()) for k, v in out.items()}

    @cached_property
    def children(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for e in self.structure.elements:
            if e.parent is not None:
                out.setdefault(e.parent, []).append(e.index)
        return out

    @cached_property
    def reading_order(self) -> list[Content]:
        """Everything printed inside a text block that the structure tree knows, by rank."""
        out: list[Content] = []
        for view in self.views:
            items = [r for r in view.page.runs if not r.artifact and view.inside(r.box)]
            items += [i for i in view.page.images if not i.artifact]
            for item in items:
                hit = self.structure.content.get((view.page.id, item.mcid))
                if item.mcid is not None and hit is not None:
                    out.append(Content(hit[1], view.number, hit[0]))
        out.sort(key=lambda c: c.rank)
        return out

    @cached_property
    def _ranks(self) -> list[int]:
        return [c.rank for c in self.reading_order]

    def after(self, rank: int) -> list[Content]:
        """The content after ``rank``, in reading order (a view of the list, not a copy)."""
        i = bisect.bisect_right(self._ranks, rank)
        return self.reading_order[i:]

    def is_descendant(self, index: int, ancestor: int) -> bool:
        elements = self.structure.elements
        current: int | None = index
        while current is not None:
            if current == ancestor:
                return True
            current = elements[current].parent
        return False

    def caption_of(self, element: Element | None) -> str | None:
        """Text of the caption of the figure ``element`` is in (the ``Caption`` beside its
        ``Figure``), or of the title of its table (the paragraph just before the ``Table``)."""
        if element is None:
            return None
        elements, texts = self.structure.elements, self.element_texts
        for e in self.structure.ancestors(element):
            if e.role not in ("Figure", "Table") or e.parent is None:
                continue
            siblings = self.children.get(e.parent, [])
            for s in siblings:
                if elements[s].role == "Caption" and s in texts:
                    return texts[s]
            i = siblings.index(e.index)
            if e.role == "Table" and i > 0 and elements[siblings[i - 1]].role == "P":
                return texts.get(siblings[i - 1])
            return None
        return None

    def table_title(self, element: Element) -> bool:
        """True for a paragraph that titles the table right after it (``p.table-title``)."""
        if element.role != "P" or element.parent is None:
            return False
        siblings = self.children.get(element.parent, [])
        i = siblings.index(element.index)
        return i + 1 < len(siblings) and self.structure.elements[siblings[i + 1]].role == "Table"
