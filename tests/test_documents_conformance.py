"""Issue 18: PDF/UA-1 and PDF/A-3a proven by an independent validator (``page``, ``pdfua``).

The default fiches are validated where they are built (test_documents_fiche.py), the default
and ``--pdfa`` atlases where they are built (test_documents_atlas.py), ``--print`` (PDF/X-4)
in test_documents_publication.py. Here: the ``--pdfa`` fiches of Auvergne-Rhône-Alpes,
Mayotte and France, the three merged as the atlas merges its units, the patches of
:mod:`reports.render.conformance`, the alternative text of the maps.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import pikepdf
import pytest

from reports.documents.fiche import build_fiche
from reports.documents.session import Session
from reports.paths import Paths
from reports.render import conformance

pytestmark = pytest.mark.slow

CODES = ("84", "06", "FR")


@pytest.fixture(scope="module")
def session() -> Session:
    return Session.open(Paths())


@pytest.fixture(scope="module")
def archival(session, tmp_path_factory) -> dict[str, Path]:
    """The --pdfa fiches (PDF/A-3a + PDF/UA-1)."""
    out = tmp_path_factory.mktemp("archival")
    return {
        code: build_fiche(session, session.territory(code), out / f"{code}.pdf", variant="pdfa")
        for code in CODES
    }


@pytest.mark.parametrize("code", CODES)
def test_archival_fiche_is_pdf_a_and_pdf_ua(archival, conforms, pdfua_clean, code):
    conforms(archival[code], "3a", "ua1")
    pdfua_clean(archival[code])


def test_archival_identification(archival):
    """One XMP packet says PDF/A-3a and PDF/UA-1, and declares the PDF/UA schema (PDF/A
    accepts only predefined or declared properties)."""
    with pikepdf.open(archival["84"]) as pdf:
        xmp = pdf.Root.Metadata.read_bytes()
        assert "/Filter" not in pdf.Root.Metadata  # PDF/A: metadata not filtered
        assert pdf.Root.OutputIntents[0].S == pikepdf.Name.GTS_PDFA1
    for text in (b'pdfaid:part="3"', b'pdfaid:conformance="A"', b"<pdfuaid:part>1<"):
        assert text in xmp, text
    assert b"<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/<" in xmp
    assert b"<pdfaProperty:name>part<" in xmp


def test_archival_atlas_merge_is_pdf_a_and_pdf_ua(archival, conforms, tmp_path):
    """Chapters merged as the atlas merges its units (structure trees, outlines, attachments
    with /AF, the first unit's XMP and output intent), saved as PDF/A by qpdf."""
    from reports.render.merge import merge_pdfs

    merged = tmp_path / "atlas-pdfa.pdf"
    sources = [archival[c] for c in ("FR", "84", "06")]
    merge_pdfs(sources, merged, tagged=True)
    conforms(merged, "3a", "ua1")
    assert b"\r\nendstream" not in merged.read_bytes()


# --- the patches ---------------------------------------------------------------------------
def _ending_with_cr(compressed: bool) -> bytes:
    """Data whose stored form ends with CR (the last byte of a Flate stream is its checksum's)."""
    for i in range(1000):
        data = b"%% comment " + b"a" * i  # the checksum's low byte moves by 97 at each step
        stored = zlib.compress(data, 9) if compressed else data + b"\r"
        if stored.endswith(b"\r"):
            return data if compressed else data + b"\r"
    raise AssertionError("no such data")


@pytest.mark.parametrize("compressed", [True, False])
def test_no_stream_written_ends_with_cr(compressed):
    """WeasyPrint's streams (pydyf) never end with CR: such data, read as a CR LF before
    ``endstream``, would not match its /Length (PDF/A 6.1.7); it is wrapped in ASCII85."""
    import pydyf

    from reports.render.pdf import install_engine_patches

    install_engine_patches()
    data = _ending_with_cr(compressed)
    pdf = pydyf.PDF()
    stream = pydyf.Stream([data], compress=compressed)
    pdf.add_object(stream)
    pdf.catalog["X"] = stream.reference
    out = io.BytesIO()
    pdf.write(out, compress=True)
    assert b"\r\nendstream" not in out.getvalue()
    with pikepdf.open(io.BytesIO(out.getvalue())) as read:
        assert read.Root.X.read_bytes() == data
        assert read.Root.X.Filter[0] == pikepdf.Name.ASCII85Decode


def test_archival_save_wraps_streams_ending_with_cr(tmp_path):
    data = _ending_with_cr(True)
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.Root.X = pdf.make_indirect(pikepdf.Stream(pdf, zlib.compress(data, 9)))
    pdf.Root.X.Filter = pikepdf.Name.FlateDecode
    target = tmp_path / "x.pdf"
    conformance.save_clean(pdf, target, archival=True)
    assert b"\r\nendstream" not in target.read_bytes()
    with pikepdf.open(target) as read:
        assert read.Root.X.read_bytes() == data


def test_print_document_id_is_deterministic():
    """WeasyPrint's PDF/X-4 XMP has a random xmpMM:DocumentID: ours depends on the content."""
    rdf = (
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"><rdf:Description rdf:about="">'
        b"<xmpMM:DocumentID>xmp.did:%s</xmpMM:DocumentID></rdf:Description></rdf:RDF>"
    )
    a = conformance._with_ua(rdf % b"12345678-1234-1234-1234-123456789abc", extension=False)
    b = conformance._with_ua(rdf % b"87654321-4321-4321-4321-cba987654321", extension=False)
    assert a == b and b"<pdfuaid:part>1<" in a and b"pdfaExtension" not in a


# --- alternative text of the maps (issue 18) --------------------------------------------------
def _csv(name: str) -> list[dict[str, str]]:
    import csv

    with (Paths().data / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_map_alt_texts_state_the_data(session):
    """A map's alternative text says what the map shows from the data (recomputed here from
    data/*.csv with the csv module): the range and the départements at both ends, the
    territory highlighted, the number of points — not only its title."""
    from reports.content import fmt
    from reports.figures.catalogue import REGISTRY

    store, ara = session.store, session.territory("84")
    deps = {r["code"]: r["name"] for r in _csv("territories.csv")
            if r["level"] == "departement" and r["region"] == "84"}  # fmt: skip
    density: dict[str, tuple[int, float]] = {}
    for r in _csv("indicators.csv"):
        if r["indicator"] == "C03" and r["level"] == "departement" and r["code"] in deps:
            year, value = int(r["year"]), float(r["value"])
            if r["code"] not in density or year > density[r["code"]][0]:
                density[r["code"]] = (year, value)
    lo = min(density, key=lambda c: density[c][1])
    hi = max(density, key=lambda c: density[c][1])
    alt = REGISTRY["M02"].describe(store, ara)
    assert f"des {len(deps)} départements de la région Auvergne-Rhône-Alpes" in alt
    assert f"De {fmt.fmt_number(density[lo][1], 1)} ({deps[lo]})" in alt, alt
    assert f"à {fmt.fmt_number(density[hi][1], 1)} ({deps[hi]})" in alt, alt
    assert "Région : " in alt and "France : " in alt

    locator = REGISTRY["M01"].describe(store, ara)
    assert "la région Auvergne-Rhône-Alpes (12 départements), en couleur" in locator

    facilities = _csv("facilities.csv")
    gardens = [r for r in facilities if r["type"] == "jardin" and r["region"] == "84"]
    alt = REGISTRY["M07"].describe(store, ara)
    assert f"jardins remarquables, {fmt.fmt_int(len(gardens))} au total" in alt, alt
    cinemas = [r for r in facilities if r["type"] == "cinema" and r["region"] == "84"]
    top = max(cinemas, key=lambda r: float(r["value"] or 0))
    alt = REGISTRY["M09"].describe(store, ara)
    assert f"Carte des {fmt.fmt_int(len(cinemas))} cinémas" in alt
    assert f"{top['name']} ({deps[top['departement']]}, {fmt.fmt_int(float(top['value']))}" in alt
    for fid in ("M05", "M06", "M08"):
        alt = REGISTRY[fid].describe(store, ara)
        assert " au total" in alt and "()" not in alt, alt
