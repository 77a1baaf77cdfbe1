"""The logical structure of a tagged PDF, as the checks need it.

A tagged PDF (PDF/UA, what the fiches and the atlas are) says, for every piece of marked
content of a page (``BDC … <</MCID n>> … EMC``), which structure element it belongs to:
a heading (``H1``…``H6``), a ``Caption``, a table header cell (``TH``), a ``Figure`` (with
its ``/Alt`` text), a paragraph… Walking the structure tree once, depth first, gives:

* ``role`` of the element of every ``(page, MCID)``, and its chain of ancestors;
* a **reading order**: the rank of every ``(page, MCID)`` in the tree (what follows a
  heading is what comes after it in this order, whatever the columns);
* the ``/Alt`` text of each figure.

An untagged PDF gives an empty :class:`Structure`: the checks that need it then fall back
to what the page alone shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pikepdf

HEADINGS = frozenset({"H", "H1", "H2", "H3", "H4", "H5", "H6"})


@dataclass
class Element:
    index: int
    role: str
    parent: int | None
    alt: str | None = None
    text: str | None = None  # /ActualText


@dataclass
class Structure:
    elements: list[Element] = field(default_factory=list)
    #: (page object id, MCID) → (element index, reading-order rank)
    content: dict[tuple[tuple[int, int], int], tuple[int, int]] = field(default_factory=dict)

    @property
    def tagged(self) -> bool:
        return bool(self.content)

    def element_of(self, page_id: tuple[int, int], mcid: int | None) -> Element | None:
        if mcid is None:
            return None
        hit = self.content.get((page_id, mcid))
        return None if hit is None else self.elements[hit[0]]

    def rank(self, page_id: tuple[int, int], mcid: int | None) -> int | None:
        if mcid is None:
            return None
        hit = self.content.get((page_id, mcid))
        return None if hit is None else hit[1]

    def ancestors(self, element: Element):
        """``element`` then its ancestors, up to the root."""
        current: Element | None = element
        while current is not None:
            yield current
            current = None if current.parent is None else self.elements[current.parent]

    def nearest(self, element: Element | None, roles: frozenset[str] | set[str]) -> Element | None:
        """The closest of ``element`` and its ancestors whose role is in ``roles``."""
        if element is None:
            return None
        for e in self.ancestors(element):
            if e.role in roles:
                return e
        return None


def _text(value: object) -> str | None:
    if isinstance(value, pikepdf.String):
        return str(value)
    return None


def read_structure(pdf: pikepdf.Pdf) -> Structure:
    """Walk the structure tree of ``pdf`` (empty when the PDF is not tagged)."""
    out = Structure()
    root = pdf.Root.get("/StructTreeRoot")
    if not isinstance(root, pikepdf.Dictionary):
        return out
    role_map: dict[str, str] = {}
    rm = root.get("/RoleMap")
    if isinstance(rm, pikepdf.Dictionary):
        role_map = {k.lstrip("/"): str(v).lstrip("/") for k, v in rm.items()}
    seen: set[tuple[int, int]] = set()
    rank = 0
    # stack of (object, parent element index, page id inherited)
    stack: list[tuple[pikepdf.Object, int | None, tuple[int, int] | None]] = []

    def push_kids(kids: object, parent: int | None, page: tuple[int, int] | None) -> None:
        items = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
        for kid in reversed(items):
            stack.append((kid, parent, page))

    push_kids(root.get("/K"), None, None)
    while stack:
        obj, parent, page = stack.pop()
        if isinstance(obj, int):  # a bare MCID: on the page of the nearest /Pg
            if page is not None and parent is not None:
                out.content[(page, int(obj))] = (parent, rank)
                rank += 1
            continue
        if not isinstance(obj, pikepdf.Dictionary):
            continue
        if obj.get("/Type") == "/MCR":
            pg = obj.get("/Pg")
            pid = pg.objgen if isinstance(pg, pikepdf.Dictionary) else page
            mcid = obj.get("/MCID")
            if pid is not None and mcid is not None and parent is not None:
                out.content[(pid, int(mcid))] = (parent, rank)
                rank += 1
            continue
        if obj.get("/Type") == "/OBJR" or "/S" not in obj:
            continue
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        role = str(obj.S).lstrip("/")
        role = role_map.get(role, role)
        element = Element(len(out.elements), role, parent, _text(obj.get("/Alt")))
        element.text = _text(obj.get("/ActualText"))
        out.elements.append(element)
        pg = obj.get("/Pg")
        pid = pg.objgen if isinstance(pg, pikepdf.Dictionary) else page
        kids = obj.get("/K")
        if kids is not None:
            push_kids(kids, element.index, pid)
    return out
