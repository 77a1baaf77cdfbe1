"""What WeasyPrint needs to write PDFs that an independent validator passes (issue 18).

Checked with ``page`` (PyPI ``page-validation``: PDF/A-1…3 and PDF/UA-1) and ``pdfua``:

* two variants of our own, registered in WeasyPrint's ``VARIANTS``:
  :data:`ARCHIVAL` (``--pdfa``) is **PDF/A-3a and PDF/UA-1** in one file — the tagged,
  accessible file is also the archival one: level A adds to PDF/A-3b what PDF/UA-1 already
  demands (structure tree, Unicode text, language), and PDF/A-3 lets the CSV of every section
  be embedded. The XMP carries both identifications and, as PDF/A requires for a schema it
  does not predefine, the PDF/A extension schema of ``pdfuaid``. (PDF/A-4 is PDF 2.0, paired
  with PDF/UA-2, and ``page`` has no PDF/A-4 profile: nothing here could prove it.)
  :data:`PRINT` (``--print``) is **PDF/X-4** (PDF 1.6, output intent ``GTS_PDFX``, TrimBox and
  BleedBox on every page), tagged and identified as PDF/UA-1 too. Its output intent is the
  sRGB profile WeasyPrint ships, the colour space every colour and figure of the documents is
  in; the print shop converts to its press condition. Its dates and ``xmpMM:DocumentID`` are
  fixed by the document (WeasyPrint writes the clock time and a random UUID);
* images are written with ``/Interpolate false`` (PDF/A and PDF/X forbid ``true``; figures
  are drawn at the output resolution, so a viewer's smoothing adds nothing);
* header cells (``/TH``) get ``/Scope`` (``Row`` or ``Column``) from the ``scope`` attribute
  of ``<th>`` (WeasyPrint only writes ``/Headers`` on data cells);
* no stream's data ends with a carriage return: written before the line feed of
  ``endstream``, it would read as a CR LF end of line, the stream one byte shorter than its
  ``/Length`` (PDF/A 6.1.7). Such a stream (1 in 256: the last byte of a Flate stream is its
  checksum's) is wrapped in ``/ASCII85Decode`` (:func:`install_conformance` for WeasyPrint,
  :func:`save_clean` for the merged PDF/A files that qpdf writes).
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
import zlib
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

#: version of what this module changes in the PDFs: part of the cache keys (bump it on a change)
PATCHES = "1"
#: WeasyPrint ``pdf_variant`` of ``--pdfa``: PDF/A-3a + PDF/UA-1
ARCHIVAL = "pdf/a-3a+ua-1"
#: WeasyPrint ``pdf_variant`` of ``--print``: PDF/X-4 + PDF/UA-1
PRINT = "pdf/x-4+ua-1"
#: what the print output intent says of its condition (no registered one: "Custom")
PRINT_CONDITION = "sRGB IEC61966-2.1"

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_UAID = "http://www.aiim.org/pdfua/ns/id/"
_EXT = {
    "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#",
}


# --- XMP ------------------------------------------------------------------------------------
def _with_ua(rdf: bytes, extension: bool) -> bytes:
    """WeasyPrint's ``rdf:RDF`` + ``pdfuaid:part 1`` (+ its PDF/A extension schema), with a
    ``xmpMM:DocumentID`` derived from the content instead of a random one."""
    for prefix, uri in _EXT.items():
        ET.register_namespace(prefix, uri)
    ET.register_namespace("pdfuaid", _UAID)
    root = ET.fromstring(rdf)
    ident = ET.SubElement(root, f"{{{_RDF}}}Description", {f"{{{_RDF}}}about": ""})
    ET.SubElement(ident, f"{{{_UAID}}}part").text = "1"
    if extension:
        r, s, p = _RDF, _EXT["pdfaSchema"], _EXT["pdfaProperty"]
        desc = ET.SubElement(root, f"{{{r}}}Description", {f"{{{r}}}about": ""})
        bag = ET.SubElement(
            ET.SubElement(desc, f"{{{_EXT['pdfaExtension']}}}schemas"), f"{{{r}}}Bag"
        )
        schema = ET.SubElement(bag, f"{{{r}}}li", {f"{{{r}}}parseType": "Resource"})
        ET.SubElement(schema, f"{{{s}}}schema").text = "PDF/UA Universal Accessibility Schema"
        ET.SubElement(schema, f"{{{s}}}namespaceURI").text = _UAID
        ET.SubElement(schema, f"{{{s}}}prefix").text = "pdfuaid"
        seq = ET.SubElement(ET.SubElement(schema, f"{{{s}}}property"), f"{{{r}}}Seq")
        prop = ET.SubElement(seq, f"{{{r}}}li", {f"{{{r}}}parseType": "Resource"})
        ET.SubElement(prop, f"{{{p}}}name").text = "part"
        ET.SubElement(prop, f"{{{p}}}valueType").text = "Integer"
        ET.SubElement(prop, f"{{{p}}}category").text = "internal"
        ET.SubElement(
            prop, f"{{{p}}}description"
        ).text = "Indicates which part of ISO 14289 standard is followed"
    out = ET.tostring(root, encoding="utf-8")
    pattern = rb"xmp\.did:[0-9a-f-]{36}"
    digest = hashlib.md5(re.sub(pattern, b"", out), usedforsecurity=False).hexdigest()
    return re.sub(pattern, f"xmp.did:{uuid.UUID(digest)}".encode(), out)


@contextmanager
def _ua_metadata(metadata: Any, extension: bool):
    """While WeasyPrint writes ``metadata``'s XMP, add the PDF/UA identification."""
    base = type(metadata).generate_rdf_metadata
    metadata.generate_rdf_metadata = lambda *args: _with_ua(base(metadata, *args), extension)
    try:
        yield
    finally:
        del metadata.generate_rdf_metadata


def _archival(pdf, document, page_streams, attachments, compress):
    from weasyprint.pdf.pdfa import pdfa

    with _ua_metadata(document.metadata, extension=True):  # an XMP stream without /Filter:
        pdfa(pdf, document, page_streams, attachments, False, version=3, variant="A")


def _print(pdf, document, page_streams, attachments, compress):
    import pydyf
    from weasyprint.pdf.pdfx import pdfx

    metadata = document.metadata
    if not metadata.modified:  # else WeasyPrint writes the clock time: same inputs, same bytes
        metadata.modified = metadata.created
        if "CreationDate" in pdf.info:
            pdf.info["ModDate"] = pdf.info["CreationDate"]
    with _ua_metadata(metadata, extension=False):
        pdfx(pdf, document, page_streams, attachments, compress, version=4, variant="")
    pdf.info["GTS_PDFXVersion"] = pydyf.String("PDF/X-4")
    for intent in pdf.catalog.get("OutputIntents", ()):
        intent["OutputConditionIdentifier"] = pydyf.String("Custom")
        intent["OutputCondition"] = pydyf.String(PRINT_CONDITION)
        intent["Info"] = pydyf.String(PRINT_CONDITION)


# --- engine patches -------------------------------------------------------------------------
def _scope(box: Any) -> str:
    scope = (box.element.get("scope") or "").lower()
    return "/Row" if scope in ("row", "rowgroup") else "/Column"


def _a85(data: bytes) -> bytes:
    return base64.a85encode(data) + b"~>"


def _filters(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


@cache
def install_conformance() -> None:
    """Register :data:`ARCHIVAL` and :data:`PRINT`, write images without interpolation,
    header cells with ``/Scope`` and no stream ending with CR (once per process)."""
    import pydyf
    from weasyprint.pdf import VARIANTS, tags
    from weasyprint.pdf.stream import Stream

    VARIANTS[ARCHIVAL] = (
        _archival,
        {"pdf_version": "1.7", "pdf_identifier": True, "output_intent": "srgb", "pdf_tags": True},
    )
    VARIANTS[PRINT] = (
        _print,
        {"pdf_version": "1.6", "pdf_identifier": True, "output_intent": "srgb", "pdf_tags": True},
    )

    add_image = Stream.add_image

    def no_interpolation(self, image, interpolate, ratio):
        return add_image(self, image, False, ratio)

    Stream.add_image = no_interpolation

    build = tags._build_box_tree

    def with_scope(box, *args, **kwargs):
        yield from build(box, *args, **kwargs)
        mark = getattr(box, "mark", None)
        if mark is not None and box.element_tag == "th" and mark.get("S") == "/TH":
            mark["A"]["Scope"] = _scope(box)

    tags._build_box_tree = with_scope  # its recursive calls go through the module name

    data = pydyf.Stream.data

    def clean_data(self):
        out = data.fget(self)
        if not out.endswith(b"\r\nendstream"):
            return out
        stream = b"\n".join(pydyf._to_bytes(item) for item in self.stream)
        extra = pydyf.Dictionary(self.extra.copy())
        filters = _filters(extra.get("Filter"))
        if self.compress:
            stream, filters = zlib.compress(stream, 9), ["/FlateDecode"]
        parms = _filters(extra.pop("DecodeParms", None))
        if parms:
            extra["DecodeParms"] = pydyf.Array(["null", *parms])
        extra["Filter"] = pydyf.Array(["/ASCII85Decode", *filters])
        stream = _a85(stream)
        extra["Length"] = len(stream)
        return b"\n".join((extra.data, b"stream", stream, b"endstream"))

    pydyf.Stream.data = property(clean_data)


# --- files written by qpdf ------------------------------------------------------------------
def _wrap_cr_streams(pdf: Any) -> int:
    """Wrap in ``/ASCII85Decode`` every stream whose data ends with CR."""
    import pikepdf

    count = 0
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        raw = obj.read_raw_bytes()
        if not raw.endswith(b"\r"):
            continue
        filters = _filters(obj.get("/Filter"))
        parms = _filters(obj.get("/DecodeParms"))
        names = pikepdf.Array([pikepdf.Name.ASCII85Decode, *filters])
        kwargs = {"decode_parms": pikepdf.Array([None, *parms])} if parms else {}
        obj.write(_a85(raw), filter=names, **kwargs)
        count += 1
    return count


def save_clean(pdf: Any, target: Path, *, archival: bool, **options: Any) -> None:
    """``pdf.save(target, **options)``; ``archival`` (PDF/A): with no stream ending with CR.

    qpdf compresses what it writes itself (object streams, the cross-reference stream) and
    re-encodes any stream that is not Flate alone (our ASCII85 wrappers): either may end with
    CR. So a PDF/A file keeps every stream as WeasyPrint wrote it (all compressed, none ending
    with CR) and is saved without object streams (a classic cross-reference table: 12 %
    larger); a stream ending with CR that a unit brought all the same is wrapped first."""
    import pikepdf

    if archival:
        _wrap_cr_streams(pdf)
        options = {
            **options,
            "compress_streams": False,
            "stream_decode_level": pikepdf.StreamDecodeLevel.none,
            "object_stream_mode": pikepdf.ObjectStreamMode.disable,
        }
    pdf.save(target, **options)
