"""Merge unit PDFs into one PDF, tags included (issue 7: an accessible, archival atlas).

The atlas is rendered as units (front matter, chapters, annexes) that are concatenated here
with pikepdf (qpdf: pages are copied in C++, ten times faster than pypdf on tagged files).
What a plain page concatenation would lose is rebuilt:

* the **outline**: every unit's bookmarks, in order, pointing to the copied pages;
* the **named destinations** of internal links (anchor names are unique across units);
* **links from one unit to another** (the sommaire, the annex lists): WeasyPrint drops a link
  to an anchor that is not in the document it lays out, so such links are written as
  ``unit:<anchor>`` URIs (:func:`cross_link`) and turned here into links to the named
  destination ``<anchor>`` of the merged document;
* the **logical structure** (tags): one ``/Document`` element whose children are the units'
  top elements, renamed ``/Part``; the units' parent trees concatenated, each unit's keys
  shifted past the previous unit's, and the pages' ``/StructParents`` (and annotations'
  ``/StructParent``) shifted alike; ``/MarkInfo``, ``/Lang``, ``/DisplayDocTitle``;
* the **attachments** of every unit (one name tree, and ``/AF`` for PDF/A-3);
* the **metadata** of the first unit (XMP, document information, output intent), which every
  unit shares: title, language, dates, PDF/UA or PDF/A identification.

qpdf copies objects from another file through one copier per source file, so structure
elements copied after the pages point to the copied pages.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from reports.errors import RenderError
from reports.render.conformance import save_clean

#: scheme of a link to an anchor of another unit (see :func:`cross_link`)
CROSS_LINK = "unit:"


def cross_link(anchor: str) -> str:
    """``href`` of a link to ``anchor`` in another unit of the merged document."""
    return f"{CROSS_LINK}{anchor}"


def merge_pdfs(
    sources: Sequence[Path],
    target: Path,
    *,
    tagged: bool,
    info: dict[str, str] | None = None,
    lang: str = "fr",
    continued: Collection[int] = (),
) -> int:
    """Concatenate ``sources`` into ``target``; returns the number of pages.

    ``tagged``: merge structure trees and metadata (every source must be tagged); else the
    first source's document information, updated with ``info``, is written. ``continued``:
    indexes of the sources that continue the previous one, whose top-level bookmarks go
    under the last top-level bookmark so far (e.g. the sections of a fiche under its title).
    """
    import pikepdf

    with ExitStack() as opened:
        out = opened.enter_context(pikepdf.Pdf.new())
        units: list[tuple[Any, int]] = []
        for path in sources:
            try:
                src = opened.enter_context(pikepdf.Pdf.open(path))
            except pikepdf.PdfError as exc:  # damaged since it was checked (a cache entry)
                raise RenderError(
                    f"cannot read the PDF to merge ({' '.join(str(exc).split())[:160]})",
                    where=str(path),
                    hint="delete it (or run `make clean`) and build again",
                ) from None
            units.append((src, len(out.pages)))
            out.pages.extend(src.pages)
        _merge(out, units, tagged, info or {}, continued)
        out.Root.Lang = pikepdf.String(lang)
        out.Root.PageMode = pikepdf.Name.UseOutlines
        # the units' version (1.6 for PDF/X-4, else 1.7); no stream ending with CR (PDF/A)
        xmp = out.Root.get("/Metadata")
        save_clean(
            out,
            target,
            archival=xmp is not None and b"pdfaid:part" in xmp.read_bytes(),
            min_version=max(src.pdf_version for src, _ in units),
            deterministic_id=True,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
        )
        return len(out.pages)


def _merge(
    out: Any,
    units: list[tuple[Any, int]],
    tagged: bool,
    info: dict[str, str],
    continued: Collection[int],
) -> None:
    import pikepdf

    _merge_outlines(out, units, continued)
    _merge_name_tree(out, units, "/Dests")
    _resolve_cross_links(out)
    _merge_name_tree(out, units, "/EmbeddedFiles", associated=tagged)
    first = units[0][0]
    out.docinfo = out.make_indirect(_copy(out, first.docinfo))
    if tagged:
        _merge_structure(out, units)
        for key in ("/Metadata", "/OutputIntents"):
            if key in first.Root:
                out.Root[key] = _copy(out, first.Root[key])
    else:
        for key, value in info.items():
            out.docinfo[pikepdf.Name(key)] = value


def _copy(out: Any, obj: Any) -> Any:
    """Copy ``obj`` from another PDF into ``out``: indirect objects through qpdf's copier
    (one per source file), direct arrays and dictionaries element by element."""
    import pikepdf

    if isinstance(obj, pikepdf.Object) and obj.is_indirect:
        return out.copy_foreign(obj)
    if isinstance(obj, pikepdf.Array):
        return pikepdf.Array([_copy(out, item) for item in obj])
    if isinstance(obj, pikepdf.Dictionary):
        return pikepdf.Dictionary({key: _copy(out, value) for key, value in obj.items()})
    return obj


def _page_index(src: Any) -> dict[tuple[int, int], int]:
    return {page.obj.objgen: i for i, page in enumerate(src.pages)}


def _merge_outlines(
    out: Any, units: list[tuple[Any, int]], continued: Collection[int] = ()
) -> None:
    """Bookmarks of every unit, in order, each pointing to its copied page (same position);
    those of a ``continued`` unit go under the last top-level bookmark so far."""
    import pikepdf

    def copy(item: Any, pages: dict[tuple[int, int], int], offset: int) -> Any:
        dest = item.destination
        if dest is None and item.action is not None and "/D" in item.action:
            dest = item.action.D
        kwargs: dict[str, Any] = {}
        page = 0
        if isinstance(dest, pikepdf.Array) and len(dest) >= 1:
            page = offset + pages.get(dest[0].objgen, 0)
            if len(dest) >= 4 and dest[1] == pikepdf.Name.XYZ:
                kwargs = {"left": _number(dest[2]), "top": _number(dest[3])}
        new = pikepdf.OutlineItem(str(item.title), page, "XYZ" if kwargs else None, **kwargs)
        new.children.extend(copy(child, pages, offset) for child in item.children)
        return new

    with out.open_outline() as outline:
        for i, (src, offset) in enumerate(units):
            pages = _page_index(src)
            parent = outline.root
            if i in continued and outline.root:
                parent = outline.root[-1].children
            with src.open_outline() as source:
                parent.extend(copy(item, pages, offset) for item in source.root)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _merge_name_tree(
    out: Any, units: list[tuple[Any, int]], key: str, associated: bool = False
) -> int:
    """One ``/Names`` ``key`` tree with the entries of every unit (copied objects)."""
    import pikepdf

    entries: dict[str, Any] = {}
    for src, _ in units:
        names = src.Root.get("/Names")
        if names is None or key not in names:
            continue
        for name, value in pikepdf.NameTree(names[key]).items():
            if name in entries:
                raise RenderError(f"{key[1:]} entry {name!r} appears in two units of the atlas")
            entries[name] = _copy(out, value)
    if not entries:
        return 0
    if "/Names" not in out.Root:
        out.Root.Names = pikepdf.Dictionary()
    tree = pikepdf.NameTree.new(out)
    for name in sorted(entries):
        tree[name] = entries[name]
    out.Root.Names[key] = tree.obj
    if associated:  # PDF/A-3: every embedded file is an associated file of the document
        out.Root.AF = pikepdf.Array(entries[name] for name in sorted(entries))
    return len(entries)


def _resolve_cross_links(out: Any) -> int:
    """``unit:<anchor>`` URI links → links to the named destination ``<anchor>`` (an
    unknown anchor is an error: a template links to an id that no unit has)."""
    import pikepdf

    names: set[str] = set()
    if "/Names" in out.Root and "/Dests" in out.Root.Names:
        names = {str(name) for name in pikepdf.NameTree(out.Root.Names.Dests)}
    count = 0
    for number, page in enumerate(out.pages, start=1):
        for annot in page.obj.get("/Annots", []):
            action = annot.get("/A")
            if action is None or action.get("/S") != pikepdf.Name.URI:
                continue
            uri = str(action.URI)
            if not uri.startswith(CROSS_LINK):
                continue
            anchor = uri[len(CROSS_LINK) :]
            if anchor not in names:
                raise RenderError(
                    f"page {number}: link to #{anchor}, an anchor that no unit has",
                    hint="check the id the template links to",
                )
            del annot["/A"]
            annot.Dest = pikepdf.String(anchor)
            if "/Contents" in annot:  # what WeasyPrint writes for an internal link
                annot.Contents = pikepdf.String(anchor)
            count += 1
    return count


def _merge_structure(out: Any, units: list[tuple[Any, int]]) -> int:
    """One structure tree made of the units' trees; returns the parent-tree key count."""
    import pikepdf

    root = out.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot))
    document = out.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.StructElem, S=pikepdf.Name.Document, P=root, K=pikepdf.Array()
        )
    )
    root.K = pikepdf.Array([document])
    nums = pikepdf.Array()
    offset = 0
    for index, (src, first) in enumerate(units):
        source = src.Root.get("/StructTreeRoot")
        if source is None:
            raise RenderError(f"unit PDF {index + 1} is not tagged: cannot merge its tags")
        kids = source.K if isinstance(source.K, pikepdf.Array) else pikepdf.Array([source.K])
        for kid in kids:  # detach from the source root so that copying stops there
            if "/P" in kid:
                del kid["/P"]
        highest = -1
        for key, value in pikepdf.NumberTree(source.ParentTree).items():
            nums.append(key + offset)
            nums.append(_copy(out, value))
            highest = max(highest, key)
        for kid in kids:
            element = _copy(out, kid)
            if element.get("/S") == pikepdf.Name.Document:
                element.S = pikepdf.Name.Part
            element.P = document
            document.K.append(element)
        for i in range(len(src.pages)):
            _shift(out.pages[first + i].obj, offset)
        offset += highest + 1
    root.ParentTree = out.make_indirect(pikepdf.Dictionary(Nums=nums))
    root.ParentTreeNextKey = offset
    out.Root.StructTreeRoot = root
    out.Root.MarkInfo = pikepdf.Dictionary(Marked=True)
    out.Root.ViewerPreferences = pikepdf.Dictionary(DisplayDocTitle=True)
    return offset


def _shift(page: Any, offset: int) -> None:
    if "/StructParents" in page:
        page.StructParents = int(page.StructParents) + offset
    for annot in page.get("/Annots", []):
        if "/StructParent" in annot:
            annot.StructParent = int(annot.StructParent) + offset
