"""Merge tagged unit PDFs into one tagged PDF (issue 7: an accessible, archival atlas).

pypdf's ``PdfWriter.append`` copies pages, outlines and links, but not the logical structure
(the tags): it drops the catalog's ``/StructTreeRoot`` and every page's ``/StructParents``.
:func:`merge_structure` rebuilds one structure tree after the pages are appended:

* one ``/Document`` element whose children are the units' top elements, renamed ``/Part``
  (one part per chapter), in reading order;
* the units' parent trees concatenated, each unit's keys shifted past the previous unit's, and
  the pages' ``/StructParents`` (and annotations' ``/StructParent``) shifted alike;
* ``/MarkInfo``, ``/Lang``, ``/ViewerPreferences /DisplayDocTitle`` on the catalog.

:func:`copy_archival_parts` carries over the XMP metadata and the output intent of one unit
(same title, language and dates in every unit); :func:`merge_embedded_files` gathers the
attachments of every unit (the CSV of each chapter) with their ``/AF`` associations.

Structure elements point to their pages (``/Pg``); pypdf keeps a per-source translation table
of the objects it has copied, so cloning the structure after ``append`` makes those references
land on the copied pages.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from reports.errors import RenderError


@dataclass
class Appended:
    """A unit PDF appended to the writer: its reader and the range of its pages there."""

    reader: Any  # pypdf.PdfReader
    first: int
    last: int  # exclusive
    name: str = ""


def _number_tree(node: Any) -> Iterator[tuple[int, Any]]:
    """(key, value) pairs of a PDF number tree (``/Nums`` leaves, ``/Kids`` nodes)."""
    node = node.get_object()
    nums = node.get("/Nums")
    if nums is not None:
        for i in range(0, len(nums), 2):
            yield int(nums[i]), nums[i + 1]
    for kid in node.get("/Kids", []):
        yield from _number_tree(kid)


def merge_structure(writer: Any, parts: Sequence[Appended], lang: str = "fr") -> int:
    """Give ``writer`` one structure tree made of the trees of ``parts``; returns the number
    of parent-tree keys. Every part must be tagged."""
    from pypdf.generic import (
        ArrayObject,
        BooleanObject,
        DictionaryObject,
        NameObject,
        NullObject,
        NumberObject,
        TextStringObject,
    )

    root = DictionaryObject({NameObject("/Type"): NameObject("/StructTreeRoot")})
    root_ref = writer._add_object(root)
    document = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/StructElem"),
            NameObject("/S"): NameObject("/Document"),
            NameObject("/P"): root_ref,
            NameObject("/K"): ArrayObject(),
        }
    )
    document_ref = writer._add_object(document)
    root[NameObject("/K")] = ArrayObject([document_ref])
    nums = ArrayObject()
    offset = 0
    for part in parts:
        source = part.reader.root_object.get("/StructTreeRoot")
        if source is None:
            raise RenderError(f"unit PDF {part.name or '?'} is not tagged: cannot merge its tags")
        source = source.get_object()
        tops = [k for k in source.get("/K", []) if k is not None]
        for top in tops:  # detach from the source root so that cloning stops there
            top.get_object()[NameObject("/P")] = NullObject()
        highest = -1
        for key, value in _number_tree(source["/ParentTree"]):
            nums.append(NumberObject(key + offset))
            nums.append(value.clone(writer))
            highest = max(highest, key)
        for top in tops:
            clone = top.clone(writer)
            element = clone.get_object()
            if element.get("/S") == "/Document":
                element[NameObject("/S")] = NameObject("/Part")
            element[NameObject("/P")] = document_ref
            document["/K"].append(clone)
        for index in range(part.first, part.last):
            _shift_page(writer.pages[index], part.reader.pages[index - part.first], offset)
        offset += highest + 1
    root[NameObject("/ParentTree")] = writer._add_object(
        DictionaryObject({NameObject("/Nums"): nums})
    )
    root[NameObject("/ParentTreeNextKey")] = NumberObject(offset)
    catalog = writer._root_object
    catalog[NameObject("/StructTreeRoot")] = root_ref
    catalog[NameObject("/MarkInfo")] = DictionaryObject(
        {NameObject("/Marked"): BooleanObject(True)}
    )
    catalog[NameObject("/Lang")] = TextStringObject(lang)
    catalog[NameObject("/ViewerPreferences")] = DictionaryObject(
        {NameObject("/DisplayDocTitle"): BooleanObject(True)}
    )
    return offset


def _shift_page(page: Any, source: Any, offset: int) -> None:
    from pypdf.generic import NameObject, NumberObject

    key = source.get("/StructParents")
    if key is not None:
        page[NameObject("/StructParents")] = NumberObject(int(key) + offset)
    for annot in page.get("/Annots", []) or []:
        annot = annot.get_object()
        if "/StructParent" in annot:
            annot[NameObject("/StructParent")] = NumberObject(int(annot["/StructParent"]) + offset)


def copy_archival_parts(writer: Any, part: Appended) -> None:
    """Catalog entries of one unit that a tagged or archival (PDF/A-3) file needs: the XMP
    metadata (title, language, PDF/UA or PDF/A identification) and the output intents."""
    from pypdf.generic import NameObject

    source = part.reader.root_object
    for key in ("/Metadata", "/OutputIntents"):
        if key in source:
            writer._root_object[NameObject(key)] = source[key].clone(writer)


def _name_tree(node: Any) -> Iterator[tuple[str, Any]]:
    node = node.get_object()
    names = node.get("/Names")
    if names is not None:
        for i in range(0, len(names), 2):
            yield str(names[i]), names[i + 1]
    for kid in node.get("/Kids", []):
        yield from _name_tree(kid)


def merge_embedded_files(writer: Any, parts: Sequence[Appended]) -> int:
    """Embedded files of every part in one name tree (sorted by name), each one also an
    associated file of the document (``/AF``, PDF/A-3); returns how many."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    files: dict[str, Any] = {}
    for part in parts:
        source = part.reader.root_object
        tree = source.get("/Names", {}).get("/EmbeddedFiles") if "/Names" in source else None
        if tree is None:
            continue
        for name, spec in _name_tree(tree):
            if name in files:
                raise RenderError(f"attachment {name!r} appears in two units of the atlas")
            files[name] = spec.clone(writer)
    if not files:
        return 0
    catalog = writer._root_object
    names = catalog.get("/Names")
    if names is None:
        names = DictionaryObject()
        catalog[NameObject("/Names")] = names
    names = names.get_object()
    pairs = ArrayObject()
    for name in sorted(files):
        pairs.extend([TextStringObject(name), files[name]])
    names[NameObject("/EmbeddedFiles")] = writer._add_object(
        DictionaryObject({NameObject("/Names"): pairs})
    )
    catalog[NameObject("/AF")] = ArrayObject(files[name] for name in sorted(files))
    return len(files)
