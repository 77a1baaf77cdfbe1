"""The checks a proofreader makes on a finished page, one function per rule.

Each rule takes the :class:`~reports.proof.document.Document` and one
:class:`~reports.proof.document.PageView` and yields :class:`Finding` objects; :data:`RULES`
lists them in report order. Thresholds are in :class:`~reports.proof.document.Settings`.

``page-empty``
    More than 40 % of the text block is empty. The block is cut into its two grid columns
    and 1 pt bands; a band of a column is used when a text line, an image or a painted
    shape covers it; vertical gaps up to 8 mm between used bands are spacing, not emptiness
    (paragraph, figure and heading margins). Exempt (:func:`exemption`, listed in the report):
    a **cover** (one fill or image over ≥ 80 % of the page), a **blank** page (nothing in its
    text block, or only "Page laissée intentionnellement blanche"), a **notes** page (its first
    line starts with "Notes" — a chapter's "Notes et sources", the "Notes" pad page — or,
    tagged, its first content belongs to such a section), the **colophon** (the page with
    "Dépôt légal").
``heading-foot``
    A heading (``H1``…``H6``), a figure caption, a table title or a table header with nothing
    of its own section after it on that page: the next body content in reading order is on a
    later page. Tagged PDFs only (untagged: the last line of the page, if larger than the
    body text, is reported as a likely heading).
``figure-scaled``
    An image placed at a resolution more than 5 % above the one it was drawn at: the figure
    prints smaller than designed.
``text-small``
    Vector text printed under 6.5 pt (font size × text matrix × CTM).
``figure-text-small``
    Text inside a raster figure estimated under 6.5 pt: its drawn size (the PNG's
    ``atlas:min-text-pt``, else the style's 7 pt legend and tick size) × drawn dpi ÷ placed ppi.
``placeholder``
    Unfinished text: "[à compléter]", "XXXX", "(à attribuer)", "non vérifiée", "TODO"…, or a
    template variable left unfilled ("{spending}", "{{ … }}").
``internal-key``
    A database key in the text: an indicator id with a ``.``/``_`` suffix (``C04.tres_dense``,
    ``N-O01_p100k``) or a snake_case word.
``nan-text``
    "nan", "NaN", "None", "inf" printed as words.
``guillemet-split``
    « at the end of a line or » at the start of one.
``apostrophe``
    A straight apostrophe (') where French typography wants ’ (one finding per page).
``source-repeated``
    A "Source :" statement that names one source twice ("Fréquentation des musées de
    France ; Fréquentation des musées de France ; Insee…"): its parts, split at " ; ", read
    across line breaks; the last part counts when it equals an earlier one, or is one
    followed by a capital (what follows the statement on the page is read with it).
``one-class-map``
    A map (a figure whose alt text starts with "Carte"; every image when the PDF is untagged)
    where one class colour covers ≥ 85 % of the mapped area while the territory's own values
    differ by more than 25 % (ATLAS_SPEC §2.7). Read from the pixels: the
    land pixels are those of the choropleth palettes of :mod:`reports.figures.style`
    (``SEQ5``, ``DIV5``, also blended at the circles' 0.9 alpha) and the n.d. grey; the class
    colours are counted on every third pixel of every third row. The values are read from the
    map's alt text (``De 1,1 % (Haute-Saône) à 1,5 % (Doubs).`` or ``0,0 % partout.``,
    :func:`reports.figures.describe.describe_choropleth`); a map whose alt text gives no range
    is taken as one whose values differ.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from reports.proof.document import MM, Document, PageView
from reports.proof.images import pack, packed, pixels, rgb
from reports.proof.pages import Box, PlacedImage
from reports.proof.structure import HEADINGS, Element


@dataclass(frozen=True)
class Finding:
    page: int
    rule: str
    message: str
    count: int = 1  # occurrences summed up in this finding (apostrophes of a page)


Rule = Callable[[Document, PageView], Iterator[Finding]]


def _quote(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return f"“{text if len(text) <= width else text[: width - 1] + '…'}”"


def _context(text: str, start: int, end: int, around: int = 18) -> str:
    left = text[max(0, start - around) : start].split("\n")[-1]
    right = text[end : end + around].split("\n")[0]
    return " ".join(f"{left}{text[start:end]}{right}".split())


# --- page-empty ---------------------------------------------------------------------------
NOTES_RE = re.compile(r"^\s*Notes\b", re.I)
BLANK_RE = re.compile(r"laissée\s+(?:intentionnellement\s+)?(?:en\s+)?blanche|page\s+blanche", re.I)
COLOPHON_RE = re.compile(r"Dépôt\s+légal", re.I)
COVER_SHARE = 0.80


def _area(box: Box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def exemption(doc: Document, view: PageView) -> str | None:
    """Why ``view`` may be mostly empty ("cover", "blank", "notes", "colophon"), or None."""
    page_area = view.page.width * view.page.height
    big = [p.box for p in view.page.paints if p.kind != "stroke" and not p.white]
    big += [i.box for i in view.page.images]
    if any(_area(b) >= COVER_SHARE * page_area for b in big):
        return "cover"
    lines = view.body_lines
    images = [i for i in view.page.images if view.inside(i.box)]
    text = " ".join(ln.text for ln in lines)
    if not images and (not text.strip() or BLANK_RE.search(text)):
        return "blank"
    if lines and NOTES_RE.match(lines[0].text):
        return "notes"
    if COLOPHON_RE.search(text):
        return "colophon"
    if lines and doc.structure.tagged and _in_notes_section(doc, view):
        return "notes"
    if any(_is_notes_heading(ln) for ln in lines):  # a chapter's notes end its last page
        return "notes"
    return None


#: printed size from which a "Notes…" line is a heading, not a sommaire or body line
NOTES_HEADING_PT = 11.0


def _is_notes_heading(line) -> bool:  # noqa: ANN001 (a reports.proof.lines.Line)
    """A "Notes et sources" heading: the notes are a chapter's last section, so the page on
    which they begin is its closing page (DESIGN: a chapter's notes page is excepted)."""
    return bool(NOTES_RE.match(line.text)) and max(r.size for r in line.runs) >= NOTES_HEADING_PT


def _in_notes_section(doc: Document, view: PageView) -> bool:
    """True when the page's first content comes under a "Notes…" heading: scanning back
    the headings of each enclosing level, a notes heading is met before one of its level or
    above. (The content need not sit in the heading's own container: a fiche laid out in
    parts continues its notes in the structure of a later part.)"""
    first = next((r for r in view.page.runs if view.inside(r.box) and not r.artifact), None)
    hit = doc.structure.content.get((view.page.id, first.mcid)) if first is not None else None
    if hit is None:
        return False
    element, rank = hit
    headings = _headings(doc)
    i = bisect.bisect_right(headings, (rank, 99, True, -1))
    bound = 99
    for _rank, level, notes, index in reversed(headings[:i]):
        if level < bound:
            if notes:
                return doc.structure.elements[index].parent is not None and not _opens_section(
                    doc, view, level
                )
            bound = level
            if bound <= 1:
                break
    return False


def _opens_section(doc: Document, view: PageView, level: int) -> bool:
    """True when a heading of ``level`` or above, not a notes one, begins on ``view``: the
    page opens a new section (a chapter opener whose kicker precedes its title in reading
    order is not the previous chapter's notes)."""
    ranks = [c.rank for c in doc.reading_order if c.page == view.number]
    if not ranks:
        return False
    headings = _headings(doc)
    lo = bisect.bisect_left(headings, (min(ranks), -1, False, -1))
    hi = bisect.bisect_right(headings, (max(ranks), 99, True, 1 << 30))
    return any(lv <= level and not notes for _r, lv, notes, _i in headings[lo:hi])


def _headings(doc: Document) -> list[tuple[int, int, bool, int]]:
    """``(first rank, level, is a "Notes…" heading, element)`` of every printed heading."""
    cached = doc.__dict__.get("_headings")
    if cached is None:
        first: dict[int, int] = {}
        elements = doc.structure.elements
        for content in doc.reading_order:
            heading = doc.structure.nearest(elements[content.element], HEADINGS)
            if heading is not None and heading.index not in first:
                first[heading.index] = content.rank
        cached = sorted(
            (
                rank,
                int(elements[i].role[1:] or 1),
                bool(NOTES_RE.match(doc.element_texts.get(i, ""))),
                i,
            )
            for i, rank in first.items()
        )
        doc.__dict__["_headings"] = cached
    return cached


def used_share(view: PageView, spacing: float) -> tuple[float, list[float]]:
    """Share of the text block used (two grid columns × 1 pt bands), and where the content
    of each column ends (pt from the top of the block)."""
    x0, y0, x1, y1 = view.block
    height = max(1, int(round(y1 - y0)))
    mid = (x0 + x1) / 2
    used = np.zeros((2, height), dtype=bool)
    boxes: list[Box] = [ln.box for ln in view.body_lines]
    boxes += [i.box for i in view.page.images]
    block_area = _area(view.block)
    boxes += [p.box for p in view.page.paints if not p.white and _area(p.box) < 0.5 * block_area]
    reach = 5 * MM  # a box uses a column when it reaches 5 mm into it
    for bx0, by0, bx1, by1 in boxes:
        top, bottom = max(by0, y0), min(by1, y1)
        if bottom <= top or bx1 <= x0 or bx0 >= x1:
            continue
        a, b = int(top - y0), int(np.ceil(bottom - y0))
        if bx0 < mid - reach and bx1 > x0:
            used[0, a:b] = True
        if bx1 > mid + reach and bx0 < x1:
            used[1, a:b] = True
    ends = []
    for col in used:
        where = np.flatnonzero(col)
        if where.size == 0:
            ends.append(0.0)
            continue
        gaps = np.flatnonzero(np.diff(where) > 1)
        for g in gaps:  # fill the spacing between two used bands
            start, stop = where[g] + 1, where[g + 1]
            if stop - start <= spacing:
                col[start:stop] = True
        ends.append(float(where[-1] + 1))
    return float(used.mean()), ends


def rule_page_empty(doc: Document, view: PageView) -> Iterator[Finding]:
    if exemption(doc, view) is not None:
        return
    share, ends = used_share(view, doc.settings.spacing_mm * MM)
    empty = 1 - share
    if empty > doc.settings.max_empty:
        height = (view.block[3] - view.block[1]) / MM
        where = ", ".join(
            f"{name} column ends at {end / MM:.0f} mm"
            for name, end in zip(("left", "right"), ends, strict=True)
        )
        yield Finding(
            view.number,
            "page-empty",
            f"{empty:.0%} of the text block is empty ({where} of {height:.0f})",
        )


# --- heading-foot -------------------------------------------------------------------------
LEAD_ROLES = HEADINGS | {"Caption", "THead"}


def _lead(doc: Document, element: Element | None) -> Element | None:
    """The heading, caption, table header or table title ``element`` belongs to."""
    if element is None:
        return None
    memo: dict[int, Element | None] = doc.__dict__.setdefault("_leads", {})
    if element.index not in memo:
        found = None
        for e in doc.structure.ancestors(element):
            if e.role in LEAD_ROLES or doc.table_title(e):
                found = e
                break
        memo[element.index] = found
    return memo[element.index]


def _lead_kind(doc: Document, lead: Element) -> str:
    if lead.role in HEADINGS:
        return "heading"
    if lead.role == "Caption":
        return "caption"
    if lead.role == "THead":
        return "table header"
    return "table title"


def _scope(doc: Document, lead: Element) -> int | None:
    """The element the content after ``lead`` must belong to (None: any)."""
    if lead.role in HEADINGS:
        return None
    if lead.role == "THead":
        table = doc.structure.nearest(lead, {"Table"})
        return None if table is None else table.index
    if lead.role == "Caption":
        return lead.parent
    return lead.parent  # a table title: its table-block


def rule_heading_foot(doc: Document, view: PageView) -> Iterator[Finding]:
    if not doc.structure.tagged:
        yield from _heading_foot_untagged(doc, view)
        return
    last_rank: dict[int, int] = {}  # lead element → its last rank on this page
    for item in [*view.page.runs, *view.page.images]:
        if item.artifact or not view.inside(item.box):
            continue
        rank = doc.structure.rank(view.page.id, item.mcid)
        lead = _lead(doc, doc.element(view, item.mcid))
        if rank is not None and lead is not None:
            last_rank[lead.index] = max(rank, last_rank.get(lead.index, -1))
    elements = doc.structure.elements
    for index, rank in sorted(last_rank.items(), key=lambda kv: kv[1]):
        lead = elements[index]
        scope = _scope(doc, lead)
        following = None
        for content in doc.after(rank):
            if _lead(doc, elements[content.element]) is not None:
                continue  # another heading: not what the section is about
            following = content
            break
        if following is None or following.page <= view.number:
            continue
        if scope is not None and not doc.is_descendant(following.element, scope):
            continue  # the caption or header ends its figure or table: nothing was cut off
        text = doc.element_texts.get(index, "")
        if lead.role == "THead":
            text = doc.caption_of(lead) or text
        yield Finding(
            view.number,
            "heading-foot",
            f"{_lead_kind(doc, lead)} {_quote(text)} ends the page; "
            f"what follows it starts on page {following.page}",
        )


def _heading_foot_untagged(doc: Document, view: PageView) -> Iterator[Finding]:
    lines = view.body_lines
    if len(lines) < 2:
        return
    sizes = Counter()
    for ln in lines:
        sizes[round(ln.size, 1)] += len(ln.text)
    body = sizes.most_common(1)[0][0]
    last = max(lines, key=lambda ln: ln.box[3])
    below = [i for i in view.page.images if i.box[1] >= last.box[3] and view.inside(i.box)]
    if last.size >= 1.15 * body and not below:
        yield Finding(
            view.number,
            "heading-foot",
            f"likely heading {_quote(last.text)} ends the page (untagged PDF)",
        )


# --- figures ------------------------------------------------------------------------------
def _figure_label(doc: Document, view: PageView, image: PlacedImage) -> str:
    element = doc.element(view, image.mcid)
    caption = doc.caption_of(element)
    if caption:
        return _quote(caption, 50)
    alt = element.alt if element is not None else None
    return _quote(alt, 50) if alt else f"image {image.name}"


def _drawn(doc: Document, view: PageView, image: PlacedImage):
    default = doc.settings.print_dpi if view.has_bleed else doc.settings.default_dpi
    return doc.figures.drawn(image.obj, default)


def _placed_ppi(image: PlacedImage) -> float:
    px, py = image.ppi
    return (px + py) / 2


def rule_figure_scaled(doc: Document, view: PageView) -> Iterator[Finding]:
    for image in view.page.images:
        drawn = _drawn(doc, view, image)
        ppi = _placed_ppi(image)
        if ppi > drawn.dpi * (1 + doc.settings.ppi_tolerance):
            assumed = ", assumed" if drawn.assumed else ""
            yield Finding(
                view.number,
                "figure-scaled",
                f"{_figure_label(doc, view, image)} placed at {ppi:.0f} ppi, drawn at "
                f"{drawn.dpi:.0f} dpi{assumed}: printed at {drawn.dpi / ppi:.0%} of its size",
            )


def rule_figure_text_small(doc: Document, view: PageView) -> Iterator[Finding]:
    for image in view.page.images:
        drawn = _drawn(doc, view, image)
        element = doc.element(view, image.mcid)
        if (
            element is not None
            and element.role != "Figure"
            and not doc.structure.nearest(element, {"Figure"})
        ):
            continue
        size = drawn.min_text_pt or doc.settings.figure_text_pt
        printed = size * drawn.dpi / _placed_ppi(image)
        if printed < doc.settings.min_text_pt - 0.05:
            told = "" if drawn.min_text_pt else " (style size)"
            yield Finding(
                view.number,
                "figure-text-small",
                f"{_figure_label(doc, view, image)}: its {size:g} pt text{told} prints at "
                f"≈{printed:.1f} pt",
            )


# --- text size ----------------------------------------------------------------------------
def rule_text_small(doc: Document, view: PageView) -> Iterator[Finding]:
    limit = doc.settings.min_text_pt - 0.05
    small: dict[float, list[str]] = {}
    for run in view.page.runs:
        if run.size < limit and run.text.strip():
            small.setdefault(round(run.size, 1), []).append(run.text)
    for size, texts in sorted(small.items()):
        sample = _quote(" ".join(texts), 50)
        yield Finding(
            view.number,
            "text-small",
            f"text at {size:g} pt (< {doc.settings.min_text_pt:g}): {sample}",
            count=len(texts),
        )


# --- words --------------------------------------------------------------------------------
PLACEHOLDER_RE = re.compile(
    r"\[\s*à\s+compléter\s*\]|\bà\s+compléter\b|X{4,}|\(\s*à\s+attribuer\s*\)|\bà\s+attribuer\b"
    r"|\bnon\s+vérifiée?s?\b|\bTODO\b|\bFIXME\b|\bTBD\b|\blorem\s+ipsum\b|\?\?\?"
    r"|\{\s*\w+\s*\}|\{\{|\}\}",  # a template variable left unfilled: {spending}, {{ x }}
    re.I,
)
KEY_RE = re.compile(
    r"(?<![\w.])(?:[A-Z]-)?[A-Z]\d{2}[a-z]?(?:[._][A-Za-z0-9]+)*[._][A-Za-z][A-Za-z0-9_]*"
    r"|(?<![\w./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/-])"
)
#: "inf." before "à" is the abbreviation of "inférieur", not a float
NAN_RE = re.compile(r"(?<![\w.\-’'])(?:-?[Ii]nf(?!\.\s*à\b)|nan|NaN|NAN|None)(?![\w\-’'])")


def _text_rule(view: PageView, rule: str, pattern: re.Pattern[str], what: str) -> Iterator[Finding]:
    text = view.text
    for m in pattern.finditer(text):
        yield Finding(
            view.number, rule, f"{what} {_quote(m.group(0))} in {_quote(_context(text, *m.span()))}"
        )


def rule_placeholder(doc: Document, view: PageView) -> Iterator[Finding]:
    yield from _text_rule(view, "placeholder", PLACEHOLDER_RE, "placeholder")


def rule_internal_key(doc: Document, view: PageView) -> Iterator[Finding]:
    yield from _text_rule(view, "internal-key", KEY_RE, "internal key")


def rule_nan_text(doc: Document, view: PageView) -> Iterator[Finding]:
    yield from _text_rule(view, "nan-text", NAN_RE, "missing-value word")


GUILLEMET_SPACES = " \u00a0\u202f\t"


def rule_guillemet_split(doc: Document, view: PageView) -> Iterator[Finding]:
    for line in view.lines:
        text = line.text
        if text.rstrip(GUILLEMET_SPACES).endswith("«"):
            yield Finding(view.number, "guillemet-split", f"« ends the line {_quote(text[-40:])}")
        if text.lstrip(GUILLEMET_SPACES).startswith("»"):
            yield Finding(view.number, "guillemet-split", f"» starts the line {_quote(text[:40])}")


APOSTROPHE_RE = re.compile(r"\w*'\w*")


def rule_apostrophe(doc: Document, view: PageView) -> Iterator[Finding]:
    hits = APOSTROPHE_RE.findall(view.text)
    if hits:
        words = list(dict.fromkeys(hits))[:4]
        sample = ", ".join(_quote(w, 24) for w in words)
        yield Finding(
            view.number,
            "apostrophe",
            f"{len(hits)} straight apostrophe{'s' if len(hits) > 1 else ''} (’ expected): {sample}",
            count=len(hits),
        )


SOURCE_RE = re.compile(r"\bSources?\s:\s+")


def _begins_with(text: str, part: str) -> bool:
    """``text`` is ``part`` followed by the page's next text (a capital: a caption, a
    heading), not by more of a longer source ("Insee, population (exploitation Deps)")."""
    rest = text[len(part) :] if text.startswith(part + " ") else ""
    return rest[1:2].isupper()


def rule_source_repeated(doc: Document, view: PageView) -> Iterator[Finding]:
    text = " ".join(view.text.split())  # a statement wraps: its lines read as one
    starts = list(SOURCE_RE.finditer(text))
    ends = [m.start() for m in starts[1:]] + [len(text)] * bool(starts)
    for m, end in zip(starts, ends, strict=True):
        parts = [part.strip() for part in text[m.end() : end].split(" ; ")]
        *named, last = parts
        twice = [p for i, p in enumerate(named) if p in named[:i]]
        twice += [p for p in named if last == p or _begins_with(last, p)][:1]
        for part in dict.fromkeys(twice):
            yield Finding(view.number, "source-repeated", f"source named twice: {_quote(part)}")


# --- one-class-map ------------------------------------------------------------------------
MAP_ALT_RE = re.compile(r"^\s*carte\b", re.I)
_NUM = r"([-\u2212]?\d[\d\s]*(?:,\d+)?)"
ALT_RANGE_RE = re.compile(r"\bDe\s+" + _NUM + r"[^()]*\([^()]*\)\s+à\s+" + _NUM)
ALT_SAME_RE = re.compile(r"\.\s+" + _NUM + r"[^.()]*\s+partout\.")


def _alt_number(text: str) -> float:
    return float(re.sub(r"\s", "", text).replace("\u2212", "-").replace(",", "."))


def alt_values_differ(alt: str | None) -> bool:
    """Whether the territory's values, as the map's alt text states them (lowest and highest
    département), differ by more than 25 % (:func:`reports.figures.classify.values_differ`);
    True when the alt text gives no range."""
    from reports.figures.classify import values_differ

    if not alt:
        return True
    if ALT_SAME_RE.search(alt):
        return False
    m = ALT_RANGE_RE.search(alt)
    if m is None:
        return True
    try:
        return values_differ(_alt_number(m.group(1)), _alt_number(m.group(2)))
    except ValueError:
        return True


MIN_MAPPED_SHARE = 0.02  # of the image's pixels: below, not a choropleth (a locator…)
CIRCLE_ALPHA = 0.9


def _class_palettes() -> tuple[list[list[int]], int]:
    """Class colours (packed RGB) of each choropleth palette — each colour with its variants
    blended at the circles' alpha over white — and the n.d. colour."""
    from reports.figures import style as fs

    def variants(hex_color: str) -> list[int]:
        c = rgb(hex_color)
        blended = tuple(round(CIRCLE_ALPHA * v + (1 - CIRCLE_ALPHA) * 255) for v in c)
        return [pack(c), pack(blended)]  # type: ignore[arg-type]

    palettes = [[variants(c) for c in (fs.SEQ5, fs.DIV5)[i]] for i in range(2)]
    return palettes, pack(rgb(fs.ND_COLOR))  # type: ignore[return-value]


def class_shares(image: PlacedImage) -> tuple[float, list[float]] | None:
    """(mapped share of the image, share of each class colour in the mapped area) with the
    palette that covers most; None when the pixels cannot be read."""
    px = pixels(image.obj, step=3)
    if px is None or px.size == 0:
        return None
    codes = packed(px)
    palettes, nd = _class_palettes()
    best: list[int] | None = None
    for palette in palettes:
        counts = [int(sum(np.count_nonzero(codes == v) for v in colour)) for colour in palette]
        if best is None or sum(counts) > sum(best):
            best = counts
    assert best is not None
    nd_count = int(np.count_nonzero(codes == nd))
    mapped = sum(best) + nd_count
    if mapped == 0:
        return 0.0, []
    return mapped / codes.size, [c / mapped for c in best]


def rule_one_class_map(doc: Document, view: PageView) -> Iterator[Finding]:
    cache: dict = doc.__dict__.setdefault("_class_shares", {})
    for image in view.page.images:
        element = doc.element(view, image.mcid)
        figure = doc.structure.nearest(element, {"Figure"}) if element is not None else None
        alt = figure.alt if figure is not None else None
        if doc.structure.tagged and not (alt and MAP_ALT_RE.match(alt)):
            continue
        key = image.key or id(image)
        if key not in cache:
            cache[key] = class_shares(image)
        result = cache[key]
        if result is None:
            continue
        mapped, shares = result
        if mapped < MIN_MAPPED_SHARE or not shares:
            continue
        top = max(shares)
        if top >= doc.settings.one_class_share and alt_values_differ(alt):
            split = "/".join(f"{100 * s:.0f}" for s in sorted(shares, reverse=True))
            yield Finding(
                view.number,
                "one-class-map",
                f"{_figure_label(doc, view, image)}: one class covers {top:.0%} of the mapped "
                f"area (classes {split} %)",
            )


RULES: dict[str, tuple[Rule, str]] = {
    "page-empty": (rule_page_empty, "text block more than 40 % empty"),
    "heading-foot": (rule_heading_foot, "heading, caption or table header alone at page foot"),
    "figure-scaled": (rule_figure_scaled, "figure placed smaller than drawn (ppi > dpi + 5 %)"),
    "figure-text-small": (rule_figure_text_small, "figure text printed under 6.5 pt (est.)"),
    "text-small": (rule_text_small, "vector text under 6.5 pt"),
    "placeholder": (rule_placeholder, "placeholder text"),
    "internal-key": (rule_internal_key, "database key in the text"),
    "nan-text": (rule_nan_text, "nan / None / inf printed"),
    "guillemet-split": (rule_guillemet_split, "guillemet split from its text at a line break"),
    "apostrophe": (rule_apostrophe, "straight apostrophe"),
    "source-repeated": (rule_source_repeated, "a source named twice in one source line"),
    "one-class-map": (
        rule_one_class_map,
        "map with one class over 85 % of its area, values differing",
    ),
}


def run_rules(
    doc: Document, only: set[str] | None = None, pages: set[int] | None = None
) -> Iterator[Finding]:
    """The findings of the rules (all, or those of ``only``) on every page (or ``pages``)."""
    for view in doc.views:
        if pages is not None and view.number not in pages:
            continue
        for rule_id, (rule, _about) in RULES.items():
            if only is None or rule_id in only:
                yield from rule(doc, view)
