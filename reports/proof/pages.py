"""What is printed on each page of a PDF: text runs, placed images and painted shapes, with
their boxes in page coordinates (points, origin at the top left of the page, y down).

One pass of a small content-stream interpreter over each page (pikepdf parses the stream,
in C++): graphics state (``q``/``Q``, ``cm``, clipping rectangles, fill alpha), text state
(``Tf``, ``Tm``/``Td``/``T*``, ``Tc``/``Tw``/``Tz``/``TL``/``Ts``/``Tr``), text showing
(``Tj``, ``TJ``, ``'``, ``"``) decoded with :mod:`reports.proof.fonts`, images and form
XObjects (``Do``), path painting, and marked content (``BDC``/``BMC``/``EMC``: the MCID that
ties a run to its structure element, and ``/Artifact`` for running heads, folios and
decorations).

What is invisible is dropped: text in render mode 3 or 7, or drawn at zero alpha (WeasyPrint
writes the running-head strings that way), and anything entirely outside its clipping box.

The printed size of a run is its font size times the scale of the text matrix and of the
CTM (``Tf 11.33`` under a 0.75 CTM prints at 8.5 pt).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import pikepdf

from reports.proof.fonts import Font, load_font

Matrix = tuple[float, float, float, float, float, float]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 — page coordinates, y down

IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
ASCENT, DESCENT = 0.78, 0.22  # of the em: where ink is, above and below the baseline
MAX_FORM_DEPTH = 8


def mul(m1: Matrix, m2: Matrix) -> Matrix:
    """``m1 × m2`` (PDF row-vector convention: apply m1, then m2)."""
    a1, b1, c1, d1, e1, f1 = m1
    a2, b2, c2, d2, e2, f2 = m2
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5]


def _bbox(points: list[tuple[float, float]]) -> Box:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def intersect(a: Box | None, b: Box | None) -> Box | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])


def _empty(b: Box) -> bool:
    return b[2] <= b[0] or b[3] <= b[1]


@dataclass
class TextRun:
    """The text of one text-showing operator."""

    text: str
    box: Box
    baseline: float  # y of the baseline (page coordinates, y down)
    size: float  # printed font size, pt
    font: str
    mcid: int | None
    artifact: bool

    @property
    def x0(self) -> float:
        return self.box[0]

    @property
    def x1(self) -> float:
        return self.box[2]


@dataclass
class PlacedImage:
    """A raster image drawn on the page (``Do`` of an image XObject, or an inline image)."""

    name: str
    obj: pikepdf.Object | None  # the image XObject (None: inline image)
    width_px: int
    height_px: int
    box: Box
    mcid: int | None
    artifact: bool

    @property
    def ppi(self) -> tuple[float, float]:
        """Placed resolution, pixels per inch, across and down."""
        w = (self.box[2] - self.box[0]) / 72
        h = (self.box[3] - self.box[1]) / 72
        return (self.width_px / w if w > 0 else math.inf, self.height_px / h if h > 0 else math.inf)

    @property
    def key(self) -> tuple[int, int] | None:
        return self.obj.objgen if self.obj is not None and self.obj.is_indirect else None


@dataclass
class Paint:
    """A filled or stroked path (or a shading), by its bounding box."""

    box: Box
    kind: str  # "fill" | "stroke" | "shading"
    color: tuple[float, ...] | None  # DeviceRGB/Gray components, None: pattern/other
    mcid: int | None
    artifact: bool

    @property
    def white(self) -> bool:
        return self.color is not None and all(c >= 0.995 for c in self.color)


@dataclass
class Page:
    number: int  # 1-based
    obj: pikepdf.Page
    width: float
    height: float
    trim: Box  # the trimmed page (TrimBox, else MediaBox), page coordinates
    runs: list[TextRun] = field(default_factory=list)
    images: list[PlacedImage] = field(default_factory=list)
    paints: list[Paint] = field(default_factory=list)

    @property
    def id(self) -> tuple[int, int]:
        return self.obj.obj.objgen


@dataclass
class _State:
    ctm: Matrix = IDENTITY
    clip: Box | None = None  # in default user space (y up)
    fill_alpha: float = 1.0
    stroke_alpha: float = 1.0
    fill: tuple[float, ...] | None = (0.0,)
    stroke: tuple[float, ...] | None = (0.0,)
    font: Font | None = None
    size: float = 0.0
    char_spacing: float = 0.0
    word_spacing: float = 0.0
    scale: float = 1.0  # Tz / 100
    leading: float = 0.0
    rise: float = 0.0
    render: int = 0

    def copy(self) -> _State:
        return _State(**self.__dict__)


def _num(x: object) -> float:
    return float(x)  # type: ignore[arg-type]


def _color(operands) -> tuple[float, ...] | None:
    """``sc``/``scn`` components as gray or RGB; None for a pattern or another space."""
    nums = [_num(v) for v in operands if isinstance(v, int | float | Decimal)]
    if len(nums) != len(operands) or len(nums) not in (1, 3):
        return None
    return tuple(nums * 3 if len(nums) == 1 else nums)


class _Interpreter:
    """Runs the content stream of one page (and the forms it draws)."""

    def __init__(self, page: Page, fonts: dict[object, Font]) -> None:
        self.page = page
        self.fonts = fonts
        mb = [float(v) for v in page.obj.mediabox]
        self.origin_x, self.top = min(mb[0], mb[2]), max(mb[1], mb[3])
        self.marked: list[tuple[bool, int | None]] = []  # (artifact, mcid) of open sequences

    # --- coordinates ------------------------------------------------------------------------
    def to_page(self, box: Box) -> Box:
        x0, y0, x1, y1 = box
        return x0 - self.origin_x, self.top - y1, x1 - self.origin_x, self.top - y0

    def _clipped(self, box: Box, state: _State) -> Box | None:
        """``box`` (user space, y up) cut by the clip; None when nothing of it shows."""
        shown = intersect(box, state.clip) if state.clip is not None else box
        if shown is None or shown[2] < shown[0] or shown[3] < shown[1]:
            return None
        return self.to_page(shown)

    @property
    def mcid(self) -> int | None:
        for _artifact, mcid in reversed(self.marked):
            if mcid is not None:
                return mcid
        return None

    @property
    def artifact(self) -> bool:
        return any(a for a, _ in self.marked)

    # --- resources --------------------------------------------------------------------------
    def font(self, resources: pikepdf.Dictionary, name: str) -> Font | None:
        fonts = resources.get("/Font")
        obj = fonts.get(name) if isinstance(fonts, pikepdf.Dictionary) else None
        if not isinstance(obj, pikepdf.Dictionary):
            return None
        key = obj.objgen if obj.is_indirect else (name, id(resources))
        font = self.fonts.get(key)
        if font is None:
            font = self.fonts[key] = load_font(name, obj)
        return font

    @staticmethod
    def ext_gstate(resources: pikepdf.Dictionary, name: str, state: _State) -> None:
        gs = resources.get("/ExtGState")
        d = gs.get(name) if isinstance(gs, pikepdf.Dictionary) else None
        if not isinstance(d, pikepdf.Dictionary):
            return
        if "/ca" in d:
            state.fill_alpha = float(d.ca)
        if "/CA" in d:
            state.stroke_alpha = float(d.CA)

    # --- the stream -------------------------------------------------------------------------
    def run(  # noqa: C901 - one branch per operator, flat
        self, instructions, resources: pikepdf.Dictionary, state: _State, depth: int = 0
    ) -> None:
        stack: list[_State] = []
        path: list[tuple[float, float]] = []  # user-space points of the current path
        pending_clip: Box | None = None
        tm = tlm = IDENTITY
        page = self.page
        for instruction in instructions:
            if isinstance(instruction, pikepdf.ContentStreamInlineImage):
                self._inline_image(instruction, state)
                continue
            operands, op = instruction.operands, str(instruction.operator)
            if op in ("TJ", "Tj", "'", '"'):
                if op == "'":
                    tlm = mul((1, 0, 0, 1, 0, -state.leading), tlm)
                    tm = tlm
                elif op == '"':
                    state.word_spacing, state.char_spacing = _num(operands[0]), _num(operands[1])
                    tlm = mul((1, 0, 0, 1, 0, -state.leading), tlm)
                    tm = tlm
                items = operands[0] if op == "TJ" else operands[-1:]
                tm = self._show(items, tm, state)
            elif op == "Tm":
                tm = tlm = tuple(_num(v) for v in operands)  # type: ignore[assignment]
            elif op in ("Td", "TD"):
                tx, ty = _num(operands[0]), _num(operands[1])
                if op == "TD":
                    state.leading = -ty
                tlm = mul((1, 0, 0, 1, tx, ty), tlm)
                tm = tlm
            elif op == "T*":
                tlm = mul((1, 0, 0, 1, 0, -state.leading), tlm)
                tm = tlm
            elif op == "Tf":
                state.font = self.font(resources, str(operands[0]))
                state.size = _num(operands[1])
            elif op == "BT":
                tm = tlm = IDENTITY
            elif op == "q":
                stack.append(state.copy())
            elif op == "Q":
                if stack:
                    state = stack.pop()
            elif op == "cm":
                state.ctm = mul(tuple(_num(v) for v in operands), state.ctm)  # type: ignore[arg-type]
            elif op == "re":
                x, y, w, h = (_num(v) for v in operands)
                corners = ((x, y), (x + w, y), (x, y + h), (x + w, y + h))
                path.extend(apply(state.ctm, px, py) for px, py in corners)
            elif op in ("m", "l"):
                path.append(apply(state.ctm, _num(operands[0]), _num(operands[1])))
            elif op in ("c", "v", "y"):
                nums = [_num(v) for v in operands]
                path.extend(apply(state.ctm, nums[i], nums[i + 1]) for i in range(0, len(nums), 2))
            elif op in ("W", "W*"):
                pending_clip = _bbox(path) if path else (0.0, 0.0, 0.0, 0.0)
            elif op in ("f", "F", "f*", "B", "B*", "b", "b*", "S", "s", "n"):
                if path and op != "n":
                    stroke = op in ("S", "s")
                    alpha = state.stroke_alpha if stroke else state.fill_alpha
                    box = self._clipped(_bbox(path), state)
                    if box is not None and alpha > 0:
                        page.paints.append(
                            Paint(
                                box,
                                "stroke" if stroke else "fill",
                                state.stroke if stroke else state.fill,
                                self.mcid,
                                self.artifact,
                            )
                        )
                if pending_clip is not None:
                    state.clip = intersect(state.clip, pending_clip)
                    pending_clip = None
                path = []
            elif op == "rg":
                state.fill = tuple(_num(v) for v in operands)
            elif op == "RG":
                state.stroke = tuple(_num(v) for v in operands)
            elif op == "g":
                state.fill = (_num(operands[0]),) * 3
            elif op == "G":
                state.stroke = (_num(operands[0]),) * 3
            elif op in ("k", "K"):
                c, m_, y_, k = (_num(v) for v in operands)
                rgb = tuple((1 - min(1.0, v + k)) for v in (c, m_, y_))
                if op == "k":
                    state.fill = rgb
                else:
                    state.stroke = rgb
            elif op in ("sc", "scn"):
                state.fill = _color(operands)
            elif op in ("SC", "SCN"):
                state.stroke = _color(operands)
            elif op == "gs":
                self.ext_gstate(resources, str(operands[0]), state)
            elif op == "Tc":
                state.char_spacing = _num(operands[0])
            elif op == "Tw":
                state.word_spacing = _num(operands[0])
            elif op == "Tz":
                state.scale = _num(operands[0]) / 100
            elif op == "TL":
                state.leading = _num(operands[0])
            elif op == "Ts":
                state.rise = _num(operands[0])
            elif op == "Tr":
                state.render = int(operands[0])
            elif op == "BDC":
                self.marked.append(self._marked(operands, resources))
            elif op == "BMC":
                self.marked.append((str(operands[0]) == "/Artifact", None))
            elif op == "EMC":
                if self.marked:
                    self.marked.pop()
            elif op == "Do":
                self._do(resources, str(operands[0]), state, depth)
            elif op == "sh":
                box = state.clip or (0.0, 0.0, 0.0, 0.0)
                shown = self._clipped(box, state)
                if shown is not None and not _empty(shown):
                    page.paints.append(Paint(shown, "shading", None, self.mcid, self.artifact))

    def _marked(self, operands, resources: pikepdf.Dictionary) -> tuple[bool, int | None]:
        tag = str(operands[0])
        props = operands[1] if len(operands) > 1 else None
        if isinstance(props, pikepdf.Name):
            named = resources.get("/Properties")
            props = named.get(str(props)) if isinstance(named, pikepdf.Dictionary) else None
        mcid = None
        if isinstance(props, pikepdf.Dictionary) and "/MCID" in props:
            mcid = int(props.MCID)
        return tag == "/Artifact", mcid

    def _show(self, items, tm: Matrix, state: _State) -> Matrix:
        font = state.font
        if font is None:
            return tm
        size, th = state.size, state.scale
        advance = 0.0
        chars: list[str] = []
        tc, tw = state.char_spacing, state.word_spacing
        for item in items:
            if isinstance(item, pikepdf.String):
                text, widths, codes, spaces = font.measure(bytes(item))
                chars.append(text)
                advance += (widths / 1000 * size + tc * codes + tw * spaces) * th
            else:
                advance -= float(item) / 1000 * size * th
        trm = mul(tm, state.ctm)
        end = mul((1, 0, 0, 1, advance, 0), tm)
        text = "".join(chars)
        if not text or state.render in (3, 7) or state.fill_alpha <= 0:
            return end
        printed = size * math.hypot(trm[2], trm[3])
        lo, hi = state.rise - DESCENT * size, state.rise + ASCENT * size
        corners = [apply(trm, x, y) for x in (0.0, advance) for y in (lo, hi)]
        box = self._clipped(_bbox(corners), state)
        if box is None:
            return end
        _, baseline = apply(trm, 0.0, state.rise)
        self.page.runs.append(
            TextRun(
                text,
                box,
                self.top - baseline,
                printed,
                font.name,
                self.mcid,
                self.artifact,
            )
        )
        return end

    def _do(self, resources: pikepdf.Dictionary, name: str, state: _State, depth: int) -> None:
        xobjects = resources.get("/XObject")
        xo = xobjects.get(name) if isinstance(xobjects, pikepdf.Dictionary) else None
        if not isinstance(xo, pikepdf.Stream):
            return
        subtype = xo.get("/Subtype")
        if subtype == "/Image":
            corners = [apply(state.ctm, x, y) for x in (0.0, 1.0) for y in (0.0, 1.0)]
            if state.fill_alpha <= 0:
                return
            box = self._clipped(_bbox(corners), state)
            if box is None:
                return
            self.page.images.append(
                PlacedImage(
                    name,
                    xo,
                    int(xo.get("/Width", 0)),
                    int(xo.get("/Height", 0)),
                    self.to_page(_bbox(corners)),  # the whole image: ppi is of the placement
                    self.mcid,
                    self.artifact,
                )
            )
        elif subtype == "/Form" and depth < MAX_FORM_DEPTH:
            inner = state.copy()
            matrix = xo.get("/Matrix")
            if isinstance(matrix, pikepdf.Array) and len(matrix) == 6:
                inner.ctm = mul(tuple(float(v) for v in matrix), state.ctm)  # type: ignore[arg-type]
            bbox = xo.get("/BBox")
            if isinstance(bbox, pikepdf.Array) and len(bbox) == 4:
                x0, y0, x1, y1 = (float(v) for v in bbox)
                corners = [apply(inner.ctm, x, y) for x in (x0, x1) for y in (y0, y1)]
                inner.clip = intersect(inner.clip, _bbox(corners))
            form_resources = xo.get("/Resources")
            if not isinstance(form_resources, pikepdf.Dictionary):
                form_resources = resources
            self.run(pikepdf.parse_content_stream(xo), form_resources, inner, depth + 1)

    def _inline_image(self, instruction, state: _State) -> None:
        image = instruction.iimage
        corners = [apply(state.ctm, x, y) for x in (0.0, 1.0) for y in (0.0, 1.0)]
        if self._clipped(_bbox(corners), state) is None:
            return
        self.page.images.append(
            PlacedImage(
                "inline",
                None,
                int(image.width),
                int(image.height),
                self.to_page(_bbox(corners)),
                self.mcid,
                self.artifact,
            )
        )


def _box(page: pikepdf.Page, key: str) -> list[float] | None:
    value = page.obj.get(key)
    if isinstance(value, pikepdf.Array) and len(value) == 4:
        return [float(v) for v in value]
    return None


def read_page(pdf_page: pikepdf.Page, number: int, fonts: dict[object, Font] | None = None) -> Page:
    """Everything visible on ``pdf_page`` (``number`` is its 1-based folio in the file)."""
    mb = [float(v) for v in pdf_page.mediabox]
    x0, y0, x1, y1 = min(mb[0], mb[2]), min(mb[1], mb[3]), max(mb[0], mb[2]), max(mb[1], mb[3])
    trim_raw = _box(pdf_page, "/TrimBox") or [x0, y0, x1, y1]
    trim = (trim_raw[0] - x0, y1 - trim_raw[3], trim_raw[2] - x0, y1 - trim_raw[1])
    page = Page(number, pdf_page, x1 - x0, y1 - y0, trim)
    interpreter = _Interpreter(page, fonts if fonts is not None else {})
    resources = pdf_page.obj.get("/Resources")
    if not isinstance(resources, pikepdf.Dictionary):
        resources = pikepdf.Dictionary()
    interpreter.run(pikepdf.parse_content_stream(pdf_page), resources, _State())
    return page


def read_pages(pdf: pikepdf.Pdf, numbers: set[int] | None = None) -> Iterator[Page]:
    """:func:`read_page` of every page (or of the 1-based ``numbers``), fonts decoded once."""
    fonts: dict[object, Font] = {}
    for i, pdf_page in enumerate(pdf.pages, start=1):
        if numbers is None or i in numbers:
            yield read_page(pdf_page, i, fonts)
