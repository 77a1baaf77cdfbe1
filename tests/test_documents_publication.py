"""Publication-grade PDFs (issue 7): tags, PDF/A-3b, CSV attachments, print marks,
reproducible bytes, restricted URL fetcher, escaping. One fiche (94 Corse, the smallest)."""

from __future__ import annotations

import csv
import hashlib
import re
import subprocess
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from reports.cli import main
from reports.documents.fiche import build_fiche, fiche_doc, fiche_parts, split_sections
from reports.documents.publication import (
    html_to_pdf,
    pdf_cache_key,
    pdf_options,
    print_stylesheets,
)
from reports.documents.session import Session, render_html
from reports.errors import RenderError
from reports.paths import Paths
from reports.render.attachments import iter_rows
from reports.render.pdf import FetchRefused, make_url_fetcher, render_document

REGION = "94"
A4 = (595.276, 841.89)  # points
BLEED = 3 / 25.4 * 72  # 3 mm in points


@pytest.fixture(scope="module")
def session() -> Session:
    return Session.open(Paths())


@pytest.fixture(scope="module")
def territory(session):
    return session.territory(REGION)


@pytest.fixture(scope="module")
def doc(session, territory):
    return fiche_doc(session, territory)


@pytest.fixture(scope="module")
def html(session, doc) -> str:
    return render_html(session, "fiche.html", doc)


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("publication")


@pytest.fixture(scope="module")
def tagged(session, territory, out) -> Path:
    return build_fiche(session, territory, out / "tagged.pdf")


@pytest.fixture(scope="module")
def pdfa(session, territory, out) -> Path:
    return build_fiche(session, territory, out / "pdfa.pdf", variant="pdfa")


@pytest.fixture(scope="module")
def printed(session, territory, out) -> Path:
    return build_fiche(session, territory, out / "print.pdf", print_=True)


@pytest.fixture(scope="module")
def indicators() -> dict[tuple[str, str, str], dict[int, str]]:
    """data/indicators.csv read with the csv module: (ind, level, code) → {year: value}."""
    table: dict[tuple[str, str, str], dict[int, str]] = {}
    with (Paths().data / "indicators.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            key = (row["indicator"], row["level"], row["code"])
            table.setdefault(key, {})[int(row["year"])] = row["value"]
    return table


def resolve(obj: Any) -> Any:
    return obj.get_object() if isinstance(obj, IndirectObject) else obj


def struct_elements(reader: PdfReader) -> list[DictionaryObject]:
    """Every structure element of the tag tree (depth first)."""
    root = resolve(reader.trailer["/Root"]["/StructTreeRoot"])
    found: list[DictionaryObject] = []
    stack = [root]
    while stack:
        node = resolve(stack.pop())
        if not isinstance(node, DictionaryObject):
            continue
        if "/S" in node:
            found.append(node)
        kids = node.get("/K")
        kids = resolve(kids) if kids is not None else None
        if isinstance(kids, ArrayObject):
            stack.extend(kids)
        elif isinstance(kids, (DictionaryObject, IndirectObject)):
            stack.append(kids)
    return found


# --- tags ---------------------------------------------------------------------------------------
def test_tagged_by_default(tagged, html):
    reader = PdfReader(tagged)
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "fr"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert reader.metadata.title == "Portrait culturel — Corse"
    xmp = resolve(root["/Metadata"]).get_data()
    assert b'pdfuaid:part="1"' in xmp and "Portrait culturel — Corse".encode() in xmp

    elements = struct_elements(reader)
    kinds = [str(e["/S"]) for e in elements]
    assert kinds.count("/H1") == 1 and kinds.count("/H2") >= 7
    assert "/Table" in kinds and "/TH" in kinds and "/TD" in kinds
    assert any("/Headers" in resolve(e.get("/A", {})) for e in elements if e["/S"] == "/TD")
    figures = [e for e in elements if e["/S"] == "/Figure"]
    assert len(figures) == html.count("<img ")
    for fig in figures:
        alt = str(fig.get("/Alt", ""))
        assert len(alt) > 20, alt


def test_headings_in_order(tagged):
    """Heading levels never skip (h1 → h2 → h3)."""
    levels = [int(str(e["/S"])[2]) for e in struct_elements(PdfReader(tagged))
              if re.fullmatch(r"/H\d", str(e["/S"]))]  # fmt: skip
    assert levels and min(levels) == 1


# --- attachments --------------------------------------------------------------------------------
def _sections_with_data(doc) -> dict[str, list[str]]:
    chapter = doc.chapters[0]
    return {
        f"corse-{s.id}.csv": [t.id for t in s.tables] + [f.id for f in s.figures]
        for s in chapter.sections
        if s.tables or s.figures
    }


def test_pdfa_variant(pdfa, doc, indicators):
    reader = PdfReader(pdfa)
    root = reader.trailer["/Root"]
    xmp = resolve(root["/Metadata"]).get_data()
    assert b'pdfaid:part="3"' in xmp and b'pdfaid:conformance="A"' in xmp  # issue 18: 3a
    assert b"<pdfuaid:part>1<" in xmp  # and PDF/UA-1, the same file
    assert "/OutputIntents" in root and "/AF" in root
    assert "/StructTreeRoot" in root and root["/Lang"] == "fr"
    assert len(reader.trailer["/ID"]) == 2

    expected = _sections_with_data(doc)
    files = reader.attachments
    assert sorted(files) == sorted(expected)
    for name, ids in expected.items():
        rows = list(iter_rows(files[name][0]))
        assert {r["element"] for r in rows} == set(ids), name
        assert all(r["source"] for r in rows), name

    # values are the raw values of data/indicators.csv (read independently)
    rows = list(iter_rows(files["corse-opener.csv"][0]))
    t01 = {(r["indicator"], r["level"], r["code"]): r for r in rows if r["element"] == "T01"}
    for ind in ("C01", "C03", "E01_share"):
        r = t01[(ind, "region", REGION)]
        assert r["value"] == indicators[(ind, "region", REGION)][int(r["year"])]
        assert r["unit"] and r["label"]
        fr = t01[(ind, "france", "FR")]
        assert float(fr["value"]) == float(indicators[(ind, "france", "FR")][int(fr["year"])])
    m02 = [r for r in rows if r["element"] == "M02" and r["level"] == "departement"]
    assert {r["code"] for r in m02} == {"2A", "2B"}
    for r in m02:
        assert r["value"] == indicators[("C03", "departement", r["code"])][int(r["year"])]


def test_default_output_has_attachments(tagged, pdfa, doc):
    files = PdfReader(tagged).attachments
    assert sorted(files) == sorted(_sections_with_data(doc))
    assert files == PdfReader(pdfa).attachments  # same bytes in both variants


def test_attachments_are_deterministic(session, doc):
    from reports.render.attachments import document_csvs

    first = document_csvs(session.store, session.layouts, doc)
    second = document_csvs(session.store, session.layouts, doc)
    assert [(f.name, f.data) for f in first] == [(f.name, f.data) for f in second]
    for f in first:
        assert f.data.endswith(b"\n") and b"\r" not in f.data


# --- print ------------------------------------------------------------------------------------
def test_print_bleed_and_crop_marks(printed, tagged):
    page = PdfReader(printed).pages[0]
    media = [float(v) for v in page.mediabox]
    trim = [float(v) for v in page.trimbox]
    assert media[2] - media[0] == pytest.approx(A4[0] + 2 * BLEED, abs=0.05)
    assert media[3] - media[1] == pytest.approx(A4[1] + 2 * BLEED, abs=0.05)
    assert trim[2] - trim[0] == pytest.approx(A4[0], abs=0.05)
    assert trim[3] - trim[1] == pytest.approx(A4[1], abs=0.05)
    assert [float(v) for v in PdfReader(tagged).pages[0].mediabox][2] == pytest.approx(A4[0], 0.05)

    # crop marks: dark pixels in the top-left bleed corner (outside the trim box)
    from PIL import Image

    stem = printed.with_name("corner")
    subprocess.run(
        ["pdftoppm", "-r", "300", "-f", "1", "-l", "1", "-x", "0", "-y", "0", "-W", "35",
         "-H", "35", "-gray", "-png", "-singlefile", str(printed), str(stem)],
        check=True,
    )  # fmt: skip
    corner = Image.open(stem.with_suffix(".png"))
    assert corner.convert("L").getextrema()[0] < 128


def _image_widths(pdf: Path) -> list[int]:
    page = PdfReader(pdf).pages[0]
    xobjects = page["/Resources"].get("/XObject", {})
    images = [x.get_object() for x in xobjects.values()]
    return sorted(int(x["/Width"]) for x in images if x.get("/Subtype") == "/Image")


def test_print_figures_at_print_resolution(printed, tagged):
    """--print draws the raster figures at 300 dpi instead of 200: same size on the page,
    1.5 times the pixels."""
    default, shop = _image_widths(tagged), _image_widths(printed)
    assert default and len(default) == len(shop)
    for d, p in zip(default, shop, strict=True):
        assert p / d == pytest.approx(1.5, abs=0.05)  # ± rounding of the tight crop


def test_print_is_pdf_x4(printed, conforms):
    """Issue 18: --print is PDF/X-4 (PDF 1.6, identified in the XMP and the document
    information, a GTS_PDFX output intent with its ICC profile, TrimBox and BleedBox on every
    page, within the MediaBox, images not interpolated), tagged and PDF/UA-1 too (``page``
    has no PDF/X profile)."""
    import pikepdf

    with pikepdf.open(printed) as pdf:
        assert pdf.pdf_version == "1.6"
        xmp = pdf.Root.Metadata.read_bytes()
        assert b"<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>" in xmp
        assert b"<xmpMM:DocumentID>xmp.did:" in xmp and b"<pdfuaid:part>1<" in xmp
        assert str(pdf.docinfo["/GTS_PDFXVersion"]) == "PDF/X-4"
        assert pdf.docinfo["/Trapped"] == pikepdf.Name("/False")
        assert "/ModDate" in pdf.docinfo and "/Title" in pdf.docinfo
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == pikepdf.Name.GTS_PDFX
        assert str(intent.OutputConditionIdentifier) and str(intent.Info)
        profile = intent.DestOutputProfile.read_bytes()
        assert intent.DestOutputProfile.N == 3 and profile[36:40] == b"acsp"  # an ICC profile
        for page in pdf.pages:
            media, trim, bleed = (
                [float(v) for v in page[k]] for k in ("/MediaBox", "/TrimBox", "/BleedBox")
            )
            assert media[0] <= bleed[0] < trim[0] and trim[2] < bleed[2] <= media[2]
            assert media[1] <= bleed[1] < trim[1] and trim[3] < bleed[3] <= media[3]
        images = [
            o
            for o in pdf.objects
            if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image"
        ]
        assert images and all(o.get("/Interpolate") is not True for o in images)
    conforms(printed, "ua1")


# --- merged documents (the atlas) ------------------------------------------------------------
def test_merge_keeps_tags_and_archival_parts(session, pdfa, out):
    """Two PDF/A units merged as the atlas merges its chapters: one structure tree, the
    outline, the output intent, the XMP and every attachment (with its /AF association)."""
    from reports.render.merge import merge_pdfs

    other = build_fiche(session, session.territory("04"), out / "pdfa-04.pdf", variant="pdfa")
    merged = out / "merged.pdf"
    pages = merge_pdfs([pdfa, other], merged, tagged=True)
    reader = PdfReader(merged)
    root = reader.trailer["/Root"]
    assert pages == len(reader.pages) == len(PdfReader(pdfa).pages) + len(PdfReader(other).pages)
    assert [p["/StructParents"] for p in reader.pages] == list(range(pages))
    assert root["/StructTreeRoot"]["/ParentTreeNextKey"] == pages
    assert len(root["/StructTreeRoot"]["/K"][0]["/K"]) == 2
    assert root["/Lang"] == "fr" and root["/MarkInfo"]["/Marked"]
    assert "/OutputIntents" in root and b"pdfaid:part" in root["/Metadata"].get_data()
    expected = {**PdfReader(pdfa).attachments, **PdfReader(other).attachments}
    assert reader.attachments == expected and len(root["/AF"]) == len(expected)
    tops = [o for o in reader.outline if not isinstance(o, list)]
    assert len(tops) >= 2 and reader.get_destination_page_number(tops[-1]) > 0


# --- parts laid out in parallel ----------------------------------------------------------------
def test_parts_are_numbered_as_one_document(tagged, doc):
    """The fiche is laid out as parts in separate processes: folios run on across parts, the
    total is the whole document's, the running head is on every page, and the outline
    has the sections of every part under the fiche title."""
    pages = [
        subprocess.run(
            ["pdftotext", "-f", str(i), "-l", str(i), "-layout", str(tagged), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for i in range(1, len(PdfReader(tagged).pages) + 1)
    ]
    n = len(pages)
    assert len(fiche_parts(Session.open(Paths()), doc)) == 2 and n >= 6
    for i, text in enumerate(pages, start=1):
        assert re.search(rf"page {i} / {n}\b", text), f"page {i}: no 'page {i} / {n}'"
        assert "Corse" in text.split("\n", 3)[0] or i == 1, f"page {i}: no running head"
    (title,) = [o for o in PdfReader(tagged).outline if not isinstance(o, list)]
    sections = [s.title for s in doc.chapters[0].sections[1:]]
    assert title.title == doc.chapters[0].title
    assert [o.title for o in PdfReader(tagged).outline[1] if not isinstance(o, list)] == sections


def test_deferred_numbering_nests():
    from weasyprint import HTML

    from reports.render.pdf import deferred_numbering

    css = '@page { @bottom-right { content: counter(page) "/" counter(pages) } }'

    def html(tag: str):
        return HTML(string=f"<style>{css}</style><p>{tag}</p><p style='break-before:page'>-</p>")

    docs = {}

    def ask_a(a) -> tuple[int, int]:
        n = len(a)
        with deferred_numbering(lambda b: (n + 1, n + len(b))):
            docs["b"] = html("b").render()
        return 1, n + len(docs["b"].pages)

    with deferred_numbering(ask_a):
        docs["a"] = html("a").render()
    folios = {
        key: [" ".join(b.text for b in _text_boxes(p._page_box)) for p in d.pages]
        for key, d in docs.items()
    }
    assert folios == {"a": ["1/4", "2/4"], "b": ["3/4", "4/4"]}


def test_deferred_numbering_replaces_texts_in_place():
    """Folios printed in the body (sommaire, lists) are laid out as placeholders and get their
    text after pagination: right-aligned in their fixed-width box, nothing else moves."""
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    from reports.render.pdf import Numbers, TextReplaceError, deferred_numbering

    css = ".n { display: block; width: 12mm; text-align: right; } #c { break-before: page }"
    body = (
        '<p id="a">Alpha<span class="n" data-page="0">0</span></p>'
        '<p id="c">Gamma<span class="n" data-page="0">0</span></p>'
    )

    def render(texts):
        seen = {}

        def ask(doc):
            seen["pages"], seen["anchors"] = len(doc), doc.anchors()
            return Numbers(5, 0, texts)

        with deferred_numbering(ask):
            document = HTML(string=f"<style>{css}</style>{body}").render()
        found = [
            (i, b.text, round(b.position_x + b.width, 2))
            for i, p in enumerate(document.pages)
            for b in p._page_box.descendants()
            if isinstance(b, boxes.TextBox) and b.element.get("data-page") is not None
        ]
        return seen, found

    seen, before = render(None)
    assert seen == {"pages": 2, "anchors": {"a": 0, "c": 1}}
    _, after = render(["17", "123"])
    assert [(i, t) for i, t, _ in after] == [(0, "17"), (1, "123")]
    assert [x for *_, x in after] == [x for *_, x in before]  # right edges kept
    with pytest.raises(TextReplaceError):
        render(["1"])  # not one text per [data-page] element
    with pytest.raises(TextReplaceError):
        render(["1", "123456789012"])  # wider than its box


def _text_boxes(box):
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.MarginBox):
        yield from (b for b in box.descendants() if isinstance(b, boxes.TextBox))
    elif isinstance(box, boxes.ParentBox):
        for child in box.children:
            yield from _text_boxes(child)


def test_split_sections_balances_work():
    assert split_sections([20, 27, 26, 13, 29, 27, 22, 36, 12], 2) == [5]
    assert split_sections([10, 10, 10, 10], 2) == [2]
    assert split_sections([50, 1, 1], 2) == [1]
    assert split_sections([5], 2) == []


# --- reproducibility -----------------------------------------------------------------------------
def test_double_build_byte_identical(session, doc, out):
    """The same bytes twice, and whether the parts are laid out in forked processes or one
    inside the other in this process (a one-core machine, the preview server)."""
    from reports.render.attachments import document_csvs
    from reports.render.pagination import RenderServer

    files = document_csvs(session.store, session.layouts, doc)
    parts = fiche_parts(session, doc)
    digests = set()
    for i in range(2):
        target = out / f"repro-{i}.pdf"
        options = pdf_options(session, "pdfa", files)
        with RenderServer(session.paths.root) if i else nullcontext() as server:
            html_to_pdf(session, parts, target, options, use_cache=False, server=server)
        digests.add(hashlib.sha256(target.read_bytes()).hexdigest())
    assert len(digests) == 1


def test_pdf_bytes_do_not_depend_on_the_cache_location(session, html, tmp_path, monkeypatch):
    """Two clones, or two figure caches, give the same PDF: images are named by content."""
    figure = session.paths.root / re.search(r'src="([^"]+\.png)"', html).group(1)
    digests = set()
    for cache in (tmp_path / "a", tmp_path / "b" / "longer" / "cache"):
        copy = cache / "figures" / figure.parent.name / figure.name
        copy.parent.mkdir(parents=True)
        copy.write_bytes(figure.read_bytes())
        monkeypatch.setenv("ATLAS_CACHE", str(cache))
        page = f'<html lang="fr"><title>t</title><img src="{copy.as_uri()}" alt="carte"></html>'
        pdf = render_document(page, Paths()).write_pdf(pdf_identifier=False)
        digests.add(hashlib.sha256(pdf).hexdigest())
    assert len(digests) == 1


def test_cache_key_covers_variant_and_print(session, html):
    keys = {
        pdf_cache_key(session, html, pdf_options(session, "tagged")),
        pdf_cache_key(session, html, pdf_options(session, "pdfa")),
        pdf_cache_key(session, html, pdf_options(session, "plain")),
        pdf_cache_key(session, html, pdf_options(session, "tagged"), print_stylesheets(True)),
    }
    assert len(keys) == 4
    assert pdf_cache_key(session, html, pdf_options(session)) == pdf_cache_key(
        session, html, pdf_options(session)
    )


# --- security ----------------------------------------------------------------------------
HOSTILE_HTML = """<!doctype html><html lang="fr"><head><title>t</title>
<link rel="stylesheet" href="http://127.0.0.1:9/evil.css">
<link rel="attachment" href="file:///etc/passwd"></head><body>
<p>before</p>
<img src="file:///etc/passwd" alt="passwd">
<img src="http://127.0.0.1:9/x.png" alt="remote">
<img src="../../../../etc/hostname" alt="relative">
<p>after</p></body></html>"""


def test_url_fetcher_refuses_outside_files(tmp_path):
    paths = Paths()
    fetcher = make_url_fetcher(paths)
    for url in ("file:///etc/passwd", "http://127.0.0.1:9/x.png", "https://example.org/a.css"):
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)
    with pytest.raises(RenderError, match="refused"):
        render_document(HOSTILE_HTML, paths, strict=True)
    with pytest.raises(RenderError, match="could not be loaded.*refused"):
        render_document(HOSTILE_HTML, paths)  # no page goes out without one of its images


def test_missing_figure_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_CACHE", str(tmp_path))
    paths = Paths()
    html = f'<img src="{(paths.figures_cache / "ab" / "gone.png").as_uri()}" alt="carte">'
    with pytest.raises(RenderError, match="gone.png") as error:
        render_document(html, paths)
    assert "ATLAS_CACHE" in str(error.value)


def test_png_passthrough_installed_once():
    """Every render installs the PNG passthrough: it must not wrap itself again (a long-lived
    preview server would chain one wrapper per render, down to a RecursionError)."""
    from weasyprint.images import RasterImage

    from reports.render.pdf import install_png_passthrough

    install_png_passthrough()
    first = RasterImage._get_png_data
    install_png_passthrough()
    assert RasterImage._get_png_data is first


def test_hostile_value_is_text(tmp_path):
    src = Paths().data
    data = tmp_path / "data"
    data.mkdir()
    for item in src.iterdir():
        if item.name not in ("territories.csv", "manifest.json"):  # a hand edit: unchecked copy
            (data / item.name).symlink_to(item)
    text = (src / "territories.csv").read_text(encoding="utf-8")
    hostile = "<script>alert(1)</script>"
    text = text.replace("departement,2A,Corse-du-Sud,", f"departement,2A,{hostile},", 1)
    (data / "territories.csv").write_text(text, encoding="utf-8")
    session = Session.open(Paths(data_override=data))
    page = render_html(session, "fiche.html", fiche_doc(session, session.territory(REGION)))
    assert hostile not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- bad input ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fiche", REGION, "--html", "--pdfa"], "--pdfa cannot be used with --html"),
        (["fiche", REGION, "--html", "--print"], "--print cannot be used with --html"),
        (["fiche", REGION, "--pdfa", "--print"], "--pdfa cannot be used with --print"),
    ],
)
def test_impossible_combinations(args, message):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert message in result.output
