"""The atlas: sommaire page numbers = printed folios, outline, page budget, chapters = fiches."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("pypdf")

from reports.documents.atlas.build import build_atlas  # noqa: E402
from reports.documents.atlas.parts import atlas_parts, chapter  # noqa: E402
from reports.documents.fiche import fiche_doc  # noqa: E402
from reports.documents.session import Session  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def session() -> Session:
    return Session.open()


# atlas_cache, atlas_pdf: tests/conftest.py (shared with test_visual)


@pytest.fixture(scope="session")
def page_texts(atlas_pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(atlas_pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def _printed(name: str) -> str:
    """A name as printed: typographic apostrophe (reports.render.typography)."""
    return name.replace("'", "’")


def _folio(page: str) -> int | None:
    """The folio printed in the footer: a lone number at the start or end of the last lines."""
    lines = [ln.strip() for ln in page.strip().splitlines() if ln.strip()]
    for ln in reversed(lines[-3:]):
        m = re.match(r"^(\d{1,3})\s{2,}", ln) or re.search(r"\s{2,}(\d{1,3})$", ln)
        if m:
            return int(m.group(1))
        if re.fullmatch(r"\d{1,3}", ln):
            return int(ln)
    return None


def _toc(page_texts: list[str]) -> dict[str, int]:
    entries: dict[str, int] = {}
    for page in page_texts[:6]:
        if "Sommaire" not in page:
            continue
        for ln in page.splitlines():
            m = re.match(r"^\s*(\S.*?)\s*\.*\s+(\d{1,3})\s*$", ln)
            if m and not m.group(1).isdigit():
                entries.setdefault(m.group(1).strip(" ."), int(m.group(2)))
    return entries


def test_chapter_html_key_covers_data_templates_and_layouts(tmp_path: Path) -> None:
    """A kept chapter HTML is used only while nothing it is made from has changed."""
    from reports.documents.atlas.caches import html_key
    from reports.paths import Paths

    src = Paths()
    shutil.copytree(src.templates, tmp_path / "templates")
    shutil.copy(src.layouts, tmp_path / "layouts.yaml")
    (tmp_path / "data").mkdir()
    shutil.copy(src.data / "territories.csv", tmp_path / "data" / "territories.csv")
    paths = Paths(root=tmp_path)
    keys = {html_key(paths, 200, True)}
    assert html_key(paths, 200, True) in keys  # stable
    keys.add(html_key(paths, 300, True))
    keys.add(html_key(paths, 200, False))
    for f in ("data/territories.csv", "templates/fiche.html", "layouts.yaml"):
        with (tmp_path / f).open("a", encoding="utf-8") as out:
            out.write("\n")
        keys.add(html_key(paths, 200, True))
    assert len(keys) == 6


def test_kept_chapter_with_a_missing_figure_is_built_again(tmp_path: Path) -> None:
    from reports import integrity
    from reports.documents.atlas.caches import cached_html, keep_html
    from reports.paths import Paths

    paths = Paths(root=tmp_path)
    figure = tmp_path / "cache" / "figures" / "ab" / "abc.png"
    figure.parent.mkdir(parents=True)
    figure.write_bytes(b"png")
    integrity.seal(figure)  # a figure of the cache: its digest beside it (reports.integrity)
    html = '<p><img class="map" src="cache/figures/ab/abc.png" alt="carte"></p>'
    keep_html(tmp_path / "html", "k", ("84", html, {}, ()))
    assert cached_html(tmp_path / "html", "k", "84", paths) == ("84", html, {}, ())
    assert cached_html(tmp_path / "html", "other", "84", paths) is None
    figure.unlink()
    assert cached_html(tmp_path / "html", "k", "84", paths) is None


def test_page_budget(page_texts: list[str]) -> None:
    assert 225 <= len(page_texts) <= 275, len(page_texts)


def test_toc_pages_match_printed_folios(session: Session, page_texts: list[str]) -> None:
    toc = _toc(page_texts)
    names = ["France entière"] + [
        _printed(t.name) for t in session.all_territories() if not t.is_france
    ]
    for name in [*names, "Annexes"]:
        assert name in toc, f"{name} missing from the sommaire: {sorted(toc)}"
        page = toc[name]
        printed = page_texts[page - 1]
        assert name in printed, f"{name}: title not on page {page}"
        assert _folio(printed) == page, f"{name}: folio {_folio(printed)} != sommaire {page}"
        assert page % 2 == 1, f"{name} does not open on a recto page"


def test_annex_list_folios(page_texts: list[str]) -> None:
    """Every map of the "Liste des cartes" is on the page it lists (the three columns of a
    list page are cut on runs of spaces)."""
    start = next(i for i, p in enumerate(page_texts) if "Liste des cartes" in p[:400])
    end = next(i for i, p in enumerate(page_texts) if "Liste des graphiques" in p[:400])
    checked = 0
    for page in page_texts[start:end]:
        for line in page.splitlines():
            cells = re.split(r"\s{2,}", line.strip())
            for cell, nxt in zip(cells, cells[1:], strict=False):
                m = re.match(r"(Carte \d+) ", cell)  # reader numbers (ATLAS_SPEC §10)
                if m and nxt.isdigit():
                    folio = int(nxt)
                    assert folio > 0, f"{m.group(1)}: no folio"
                    assert re.search(rf"\b{m.group(1)}\b", page_texts[folio - 1]), (
                        f"{m.group(1)} listed on page {folio}, not found there"
                    )
                    checked += 1
    assert checked > 200


def _links(atlas_pdf: Path) -> list[tuple[int, str, int]]:
    """(page, destination name, target page) of every link annotation, pages from 1; a
    link whose destination is not a name of the document fails the test."""
    import pikepdf

    with pikepdf.open(atlas_pdf) as pdf:
        names = dict(pikepdf.NameTree(pdf.Root.Names.Dests).items())
        index = {page.obj.objgen: i + 1 for i, page in enumerate(pdf.pages)}
        out = []
        for number, page in enumerate(pdf.pages, start=1):
            for annot in page.obj.get("/Annots", []):
                if annot.get("/Subtype") != pikepdf.Name.Link:
                    continue
                assert "/Dest" in annot, f"page {number}: link without destination {annot}"
                name = str(annot.Dest)
                assert name in names, f"page {number}: link to unknown anchor {name!r}"
                out.append((number, name, index[names[name][0].objgen]))
        return out


def _numbers(session: Session) -> dict[str, str]:
    """Anchor of every figure and table of the atlas chapters → its printed number."""
    parts = atlas_parts(session)
    out = {}
    for territory in session.all_territories():
        ctx = chapter(session, parts, territory)
        for s in ctx.sections:
            for item in [*s.figures, *s.tables]:
                out[f"{ctx.anchor}-{item.id}"] = item.number
    return out


def test_sommaire_and_lists_link_to_their_pages(
    session: Session, atlas_pdf: Path, page_texts: list[str]
) -> None:
    """The sommaire and the annex lists link to other units (resolved when the units are
    merged): every sommaire line leads to the page whose folio it prints, every listed
    figure or table to a page that shows it (its number, "Carte 3")."""
    links = _links(atlas_pdf)
    toc_pages = [i + 1 for i, p in enumerate(page_texts[:6]) if "Sommaire" in p[:300]]
    printed = [
        int(m.group(1))
        for n in toc_pages
        for ln in page_texts[n - 1].splitlines()
        if "Édition" not in ln and (m := re.search(r"\S\s+(\d{1,3})\s*$", ln))
    ]
    targets = [target for page, _, target in links if page in toc_pages]
    assert len(targets) == len(printed) > 40
    assert targets == printed
    start = next(i for i, p in enumerate(page_texts) if "Liste des cartes" in p[:400]) + 1
    listed = [(name, target) for page, name, target in links if page >= start]
    assert len({name for name, _ in listed}) > 400
    numbers = _numbers(session)
    for name, target in listed:
        item = numbers[name]
        assert re.search(rf"\b{item}\b", page_texts[target - 1]), f"{name} not on p. {target}"


def test_outline(session: Session, atlas_pdf: Path) -> None:
    from pypdf import PdfReader

    reader = PdfReader(str(atlas_pdf))
    top = [o.title for o in reader.outline if not isinstance(o, list)]
    assert "France entière" in top
    for t in session.all_territories():
        if not t.is_france:
            assert _printed(t.name) in top, t.name
    assert "Annexes" in top
    assert any(isinstance(o, list) for o in reader.outline), "no section bookmarks"
    assert reader.metadata.title.startswith("Atlas régional de la culture")
    assert str(reader.trailer["/Root"]["/Lang"]) == "fr"


def test_regional_chapter_is_the_fiche(session: Session) -> None:
    parts = atlas_parts(session)
    for code in ("84", "04"):
        territory = session.territory(code)
        ch = chapter(session, parts, territory)
        fiche = fiche_doc(session, territory).chapters[0]
        assert [s.id for s in ch.sections] == [s.id for s in fiche.sections]
        assert [f.path for s in ch.sections for f in s.figures] == [
            f.path for s in fiche.sections for f in s.figures
        ]
        assert [[r.cells for r in t.rows] for s in ch.sections for t in s.tables] == [
            [r.cells for r in t.rows] for s in fiche.sections for t in s.tables
        ]
        assert [s.paragraphs for s in ch.sections] == [s.paragraphs for s in fiche.sections]


# --- issue 7: the atlas is tagged and carries its data ---------------------------------------
def test_atlas_is_tagged(session: Session, atlas_pdf: Path) -> None:
    """One structure tree: a Document with one Part per unit, every page's marked content
    reachable through a unique parent-tree key, language and title shown."""
    from pypdf import PdfReader

    reader = PdfReader(atlas_pdf)
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "fr" and root["/MarkInfo"]["/Marked"]
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]
    assert b"pdfuaid:part" in root["/Metadata"].get_object().get_data()
    tree = root["/StructTreeRoot"].get_object()
    document = tree["/K"][0].get_object()
    assert document["/S"] == "/Document"
    parts = [k.get_object() for k in document["/K"]]
    assert len(parts) == 2 + 18 + 2  # front matter, France, 18 régions, annexes and lists
    assert all(p["/S"] == "/Part" and p["/P"].get_object() is document for p in parts)
    keys = [page["/StructParents"] for page in reader.pages]
    assert len(set(keys)) == len(keys) == len(reader.pages)
    nums = tree["/ParentTree"].get_object()["/Nums"]
    assert {int(nums[i]) for i in range(0, len(nums), 2)} >= set(keys)
    page_ids = {page.indirect_reference.idnum for page in reader.pages}
    for part in parts[:3]:  # structure elements point to pages of the merged file
        for kid in part["/K"]:
            element = kid.get_object()
            if "/Pg" in element:
                assert element.raw_get("/Pg").idnum in page_ids


def test_atlas_attachments_are_the_fiches_data(session: Session, atlas_pdf: Path) -> None:
    """The CSV of a regional chapter are those of the fiche of that région (same bytes)."""
    from pypdf import PdfReader

    from reports.render.attachments import document_csvs

    attached = PdfReader(atlas_pdf).attachments
    territory = session.territory("53")
    fiche = document_csvs(session.store, session.layouts, fiche_doc(session, territory))
    assert fiche
    for f in fiche:
        assert attached[f.name] == [f.data]
    national = [name for name in attached if name.startswith("national-")]
    assert len(national) > 8  # the fiche sections of France + the national maps and rankings


# --- issue 18: proven by an independent validator ---------------------------------------------
@pytest.fixture(scope="session")
def atlas_pdfa(session: Session, atlas_pdf: Path, atlas_cache: Path) -> Path:
    """The --pdfa atlas, built after :func:`atlas_pdf` in its cache (chapter HTML and page
    counts known: every unit is laid out once more, about 30 s on two cores)."""
    out = atlas_pdf.with_name("atlas-pdfa.pdf")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ATLAS_CACHE", str(atlas_cache))
        report = build_atlas(session, out, progress=False, variant="pdfa")
    assert report.chapters_built == 0
    return out


def test_atlas_is_pdf_ua(atlas_pdf: Path, conforms) -> None:
    """The atlas passes ``page``'s PDF/UA-1 profile with no failed check, and every header
    cell says which cells it heads (/Scope). (``pdfua``, 18 s on the atlas, checks the fiches:
    test_documents_fiche.py.)"""
    import pikepdf

    conforms(atlas_pdf, "ua1")
    with pikepdf.open(atlas_pdf) as pdf:
        headers = [
            obj
            for obj in pdf.objects
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/S") == pikepdf.Name.TH
        ]
        assert len(headers) > 1000
        scopes = {str(th.A.get("/Scope")) for th in headers}
        assert scopes == {"/Column", "/Row"}, scopes


@pytest.mark.skipif(
    not os.environ.get("ATLAS_TEST_FULL"),
    reason="a second atlas build (30 s): `make test-full`; the --pdfa merge is validated on "
    "merged fiches in test_documents_conformance.py",
)
def test_archival_atlas_is_pdf_a_and_pdf_ua(atlas_pdfa: Path, conforms) -> None:
    """``atlas build --pdfa``: PDF/A-3a and PDF/UA-1 in one file, 0 failed checks."""
    conforms(atlas_pdfa, "3a", "ua1")


def _atlas_shots() -> list:
    from test_visual import SHOTS

    return [s for s in SHOTS if s.document == "atlas"]


@pytest.mark.slow
@pytest.mark.parametrize("shot", _atlas_shots(), ids=lambda s: s.name)
def test_atlas_page_looks_like_its_reference(shot, atlas_pdf: Path) -> None:
    """Visual regression of the atlas's pages (tests/test_visual.py: the fiches' and how)."""
    from test_visual import check_shot

    check_shot(shot, atlas_pdf)
