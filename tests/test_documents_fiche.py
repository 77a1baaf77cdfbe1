"""Fiches end to end: all 19 build, no leftovers, values in the PDF text match data/."""

from __future__ import annotations

import csv
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from reports.cli import main
from reports.content import fmt
from reports.documents.fiche import build_fiche, fiche_html
from reports.documents.session import Session
from reports.errors import RenderError
from reports.paths import Paths

LEFTOVERS = re.compile(r"\b(nan|NaN|None|null|undefined)\b|\{\{|\}\}|\{%|%\}|Traceback")


@pytest.fixture(scope="module")
def session() -> Session:
    return Session.open(Paths())


@pytest.fixture(scope="module")
def indicators() -> dict[tuple[str, str, str], list[dict]]:
    """data/indicators.csv read with the csv module (independent of the Store)."""
    out: dict[tuple[str, str, str], list[dict]] = {}
    with (Paths().data / "indicators.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out.setdefault((row["indicator"], row["level"], row["code"]), []).append(row)
    return out


def latest(indicators, ind: str, level: str, code: str) -> float:
    rows = sorted(indicators[(ind, level, code)], key=lambda r: int(r["year"]))
    return float(rows[-1]["value"])


@pytest.fixture(scope="module")
def pdfs(fiche_pdfs) -> dict[str, Path]:
    """The 19 fiches (tests/conftest.py: built once per session)."""
    return fiche_pdfs


def pdf_text(path: Path) -> str:
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(text.replace("\u00a0", " ").split())


def norm(s: str) -> str:
    return " ".join(s.replace("\u00a0", " ").split())


def test_all_19_fiches_build_without_leftovers(pdfs):
    assert len(pdfs) == 19
    for code, path in pdfs.items():
        assert path.stat().st_size > 50_000, code
        text = pdf_text(path)
        bad = LEFTOVERS.search(text)
        assert bad is None, f"{code}: {bad.group(0)!r} in {path.name}"


@pytest.mark.parametrize("code", ["84", "53", "04", "94"])
def test_pdf_text_has_region_values(pdfs, indicators, session, code):
    text = pdf_text(pdfs[code])
    name = session.store.territory("region", code)["name"]
    assert name in text
    expected = [
        fmt.fmt_int(latest(indicators, "C01", "region", code)),
        fmt.fmt_int(latest(indicators, "C01", "france", "FR")),
        fmt.fmt_eur(latest(indicators, "D01_per_inh", "region", code)),
        fmt.fmt_pct(latest(indicators, "E01_share", "region", code), 2),
        fmt.fmt_int(latest(indicators, "O01", "region", code)),
        fmt.fmt_int(latest(indicators, "F01", "region", code)),
    ]
    for value in expected:
        assert norm(value) in text, f"{code}: {value!r} not in the PDF text"


def test_france_fiche_has_national_totals(pdfs):
    text = pdf_text(pdfs["FR"])
    # national totals from ATLAS_SPEC §5, written the French way
    for value in ["66 780 857", "1 221", "7 266", "3 809,9 M€", "57,05 €"]:
        assert value in text, value


#: what must never reach a printed page (DESIGN.md "Nothing unfinished reaches the page")
PLACEHOLDERS = re.compile(
    r"\[à compléter\]|à compléter|XXXX|à attribuer|non vérifiée|attendue|non officiel|TODO",
    re.IGNORECASE,
)
#: internal keys: figure ids (M01, G04, T03b, R01), national map ids (N-…), indicator keys
INTERNAL_KEYS = re.compile(r"\b(?:[MGTR]\d{2}[a-z]?|N-[\w.]+|[A-Z]\d{2}(?:_[a-z0-9]+|\.[a-z_]+))\b")


@pytest.mark.parametrize("code", ["84", "94", "06", "FR"])
def test_fiche_text_is_finished(pdfs, code):
    """The printed text: typographic apostrophes, no placeholder, no internal key, reader
    numbers for figures and tables, guillemets never split from their word, the publisher
    and edition on the first page and in every footer."""
    layout = subprocess.run(
        ["pdftotext", "-layout", str(pdfs[code]), "-"], capture_output=True, text=True, check=True
    ).stdout
    text = " ".join(layout.split())
    assert "'" not in text, re.findall(r".{20}'.{20}", text)[:5]
    assert "’" in text
    assert not PLACEHOLDERS.search(text), PLACEHOLDERS.search(text)
    assert not INTERNAL_KEYS.search(text), INTERNAL_KEYS.findall(text)[:10]
    assert "Carte 1 " in text and "Tableau 1 " in text
    for line in layout.splitlines():
        assert not line.rstrip().endswith("«"), line
        assert not line.lstrip().startswith("»"), line
    pages = layout.split("\f")
    first = " ".join(pages[0].split())
    assert "Ministère de la Culture – Deps" in first and "Édition 2026" in first
    for page in pages:
        if page.strip():
            assert "Ministère de la Culture – Deps" in page and "Édition 2026" in page
    assert not re.search(r"\b(?:19|20)\d\d-(?:19|20)\d\d\b", text)  # en dash in ranges


def test_fiche_notes_list_each_source_once(session):
    """A chapter's notes list the sources printed under its tables and figures, each once:
    a DROM chapter (no CNC figure) lists fewer sources than a metropolitan one."""
    from reports.documents.fiche import fiche_doc

    metro = fiche_doc(session, session.territory("84")).chapters[0]
    drom = fiche_doc(session, session.territory("06")).chapters[0]
    for chapter in (metro, drom):
        assert len(chapter.sources) == len(set(chapter.sources)) > 5
        printed = " ".join(
            [t.source for s in chapter.sections for t in s.tables]
            + [f.source for s in chapter.sections for f in s.figures]
        )
        for source in chapter.sources:
            assert source.split(" (")[0] in printed, source
            assert ") (" not in source, source  # the vintage goes in the source's brackets
    assert not any("CNC" in s for s in drom.sources if "2003" in s)
    assert len(drom.sources) < len(metro.sources)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[dict] = []
        self.headings: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.imgs.append(dict(attrs))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(tag)


@pytest.mark.parametrize("code", ["84", "03", "france"])
def test_html_figures_have_alt_text_and_headings(session, code):
    territory = session.territory(code)
    html = fiche_html(session, territory)
    p = _Collector()
    p.feed(html)
    assert p.imgs, "no figure"
    for img in p.imgs:
        alt = img.get("alt", "")
        assert len(alt) > 40, f"figure {img.get('src')} has a poor alt text: {alt!r}"
        assert not LEFTOVERS.search(alt)
    assert p.headings.count("h1") == 1
    assert p.headings.count("h2") >= 7  # one per section (DROM: 7)
    assert p.headings[0] == "h1"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("84", "84"),
        ("Auvergne-Rhône-Alpes", "84"),
        ("auvergne rhone alpes", "84"),
        ("PROVENCE-ALPES-COTE-D'AZUR", "93"),
        ("reunion", "04"),
        ("4", "04"),
        ("france", "FR"),
    ],
)
def test_region_lookup(session, text, code):
    assert session.territory(text).code == code


def test_unknown_region_is_refused_with_suggestions():
    result = CliRunner().invoke(main, ["fiche", "Bretagn"])
    assert result.exit_code == 1
    assert "unknown région 'Bretagn'" in result.output
    assert "Bretagne (53)" in result.output
    assert "Traceback" not in result.output


def test_missing_data_tells_to_build(tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_DATA", str(tmp_path / "nothing"))
    result = CliRunner().invoke(main, ["fiche", "84"])
    assert result.exit_code == 1
    assert "atlas data build" in result.output


def test_template_error_names_file_and_line(tmp_path):
    import shutil

    root = tmp_path / "proj"
    shutil.copytree(Paths().templates, root / "templates")
    bad = root / "templates" / "sections" / "notes.html"
    bad.write_text(bad.read_text() + "\n{{ chapter.no_such_field }}\n", encoding="utf-8")
    paths = Paths(root=root, data_override=Paths().data)
    (root / "layouts.yaml").write_text(Paths().layouts.read_text(encoding="utf-8"))
    session = Session.open(paths)
    with pytest.raises(RenderError) as info:
        fiche_html(session, session.territory("94"))
    assert "notes.html" in str(info.value)
    assert re.search(r"notes\.html:\d+", str(info.value))


def test_failed_build_keeps_last_good_pdf(session, tmp_path, monkeypatch):
    target = tmp_path / "corse.pdf"
    build_fiche(session, session.territory("94"), target)
    good = target.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("renderer crashed")

    # the parts are laid out in forked processes, which inherit the patched module
    monkeypatch.setattr("reports.render.pagination.render_document", boom)
    monkeypatch.setattr(
        "reports.documents.publication.pdf_cache_key", lambda *a, **k: "never-cached"
    )
    with pytest.raises(RenderError, match="renderer crashed"):
        build_fiche(session, session.territory("94"), target)
    assert target.read_bytes() == good
    assert not list(tmp_path.glob(".*.tmp"))
    assert not list(tmp_path.glob(".parts-*"))


def test_column_widths_follow_the_cells():
    """Fixed table layout (faster in WeasyPrint) with widths as the automatic layout would
    choose them: every column fits its longest unbreakable cell, long texts get the rest."""
    from reports.content.tables import TABLE_CHARS, column_widths

    header = ["Équipement", "Nombre", "Rang"]
    rows = [["Bibliothèques municipales (pour 100 000 hab.)", "2 647", "2e/18"]] * 3
    widths = column_widths(header, rows)
    assert abs(sum(widths) - 100) < 0.1
    assert widths[0] > widths[1] > 0 and widths[0] > widths[2]
    # a number never wraps: its column holds the whole number and the padding
    assert widths[1] / 100 * TABLE_CHARS >= len("Nombre")
    many = column_widths(["a"] * 12, [["x" * 30] * 12])
    assert all(abs(w - 100 / 12) < 0.01 for w in many)


def _placed_images(pdf: Path) -> list[tuple[int, int, float, float]]:
    """(page, width px, x-ppi, y-ppi) of every image placed in ``pdf`` (``pdfimages -list``)."""
    out = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    rows = []
    for line in out.splitlines()[2:]:
        f = line.split()
        rows.append((int(f[0]), int(f[3]), float(f[12]), float(f[13])))
    return rows


def test_figures_are_placed_at_their_drawn_size(pdfs):
    """DESIGN "The page": every figure is drawn at the width of its slot and placed unscaled,
    so its text prints at the size it was drawn (placed ppi = drawn dpi ± 2 %)."""
    from reports.figures import assets
    from reports.figures.style import SLOTS_MM

    images = _placed_images(pdfs["84"])
    assert len(images) >= 20
    slot_px = {round(mm / 25.4 * assets.DEFAULT_DPI) for mm, _ in SLOTS_MM.values()}
    for page, width, xppi, yppi in images:
        for ppi in (xppi, yppi):
            assert abs(ppi / assets.DEFAULT_DPI - 1) <= 0.02, (page, width, ppi)
        assert any(abs(width - px) <= 1 for px in slot_px), (page, width)


def test_national_density_classes_separate_the_region(session):
    """ATLAS_SPEC §2.7 (revised): national classes, but Paris must not put Auvergne-Rhône-Alpes
    in one class (≥ 3 classes among its 12 départements, on the drawn map too)."""
    import numpy as np
    from PIL import Image

    from reports.figures import catalogue, classify

    store = session.store
    values = store.level_values("C03", "departement")
    classes = classify.national_breaks(values.dropna().to_numpy())
    deps = store.departements_of("84")
    present = {classes.classify(values[d]) for d in deps}
    assert len(present) >= 3, (classes.bounds, present)
    assert classes.note.startswith("Classes nationales")
    fig = catalogue.figure_context("M02", store, session.territory("84"), session.paths)
    assert fig is not None
    pixels = np.asarray(Image.open(fig.path).convert("RGB")).reshape(-1, 3)
    colours = {tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in classes.palette}
    drawn = {tuple(p) for p in np.unique(pixels, axis=0)} & colours
    assert len(drawn) >= 3


@pytest.mark.parametrize("code", ["84", "06", "FR"])
def test_fiche_is_pdf_ua(pdfs, conforms, pdfua_clean, code):
    """Issue 18: the default fiche passes an independent PDF/UA-1 validator (``page``) with
    no failed check, and ``pdfua`` finds nothing (table headers carry /Scope: UA-15-003)."""
    conforms(pdfs[code], "ua1")
    pdfua_clean(pdfs[code])


#: the fiches a proofreader reads first (issue #15): a large metro région, Corse (two
#: départements), Mayotte (sources missing) and France
PROOFED_FICHES = ["84", "94", "06", "FR"]


@pytest.mark.parametrize("code", PROOFED_FICHES)
def test_proofed_fiches_are_clean(fiche_pdfs: dict[str, Path], code: str):
    """``atlas check`` finds nothing on the fiche (every rule; the atlas:
    ``test_proof.test_atlas_is_clean``)."""
    from reports.proof.check import check_pdf
    from reports.proof.report import format_report

    report = check_pdf(fiche_pdfs[code])
    assert report.clean, format_report(report)


def test_nd_notes_grouped_without_repeating_a_label():
    from reports.documents.chapter import group_nd_notes

    why = "source limitée à la France métropolitaine."
    notes = [
        f"Écrans de cinéma : n.d. — {why}",
        f"Écrans de cinéma pour 100 000 habitants : n.d. — {why}",
        "Festivals : n.d. pour la région Guyane, période non renseignée.",
        f"Entrées : n.d. — {why}",
    ]
    assert group_nd_notes(notes) == [
        "Écrans de cinéma et entrées : n.d. — source limitée à la France métropolitaine.",
        "Festivals : n.d. — période non renseignée.",
    ]


def test_no_season_sentence_where_the_seasons_are_unknown(session):
    """Guyane's festivals give a month, not a season, so O12 puts them all in "autre" and
    0 % in summer (two are in July in the raw file): no "Aucun festival… en saison estivale"."""
    import pandas as pd

    from reports.content.analysis import analyse

    raw = pd.read_csv(
        session.paths.sources / "festivals" / "festivals-global-festivals-_-pl.csv",
        sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig",
    )  # fmt: skip
    guyane = raw[raw["Région principale de déroulement"] == "Guyane"]
    assert (guyane["Période principale de déroulement du festival"] == "Juillet").sum() == 2

    def text(code: str) -> str:
        return " ".join(analyse("festivals", session.store, code).paragraphs)

    assert "saison estivale" not in text("03")
    assert "saison estivale" in text("84")
