"""Fiches end to end: all 19 build, no leftovers, values in the PDF text match data/."""

from __future__ import annotations

import csv
import multiprocessing
import os
import re
import subprocess
from concurrent.futures import ProcessPoolExecutor
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


_SESSION: Session | None = None  # inherited by the forked fiche builders


def _build(job: tuple[str, str]) -> tuple[str, Path]:
    assert _SESSION is not None
    code, target = job
    return code, build_fiche(_SESSION, _SESSION.territory(code), Path(target))


@pytest.fixture(scope="module")
def pdfs(session, tmp_path_factory) -> dict[str, Path]:
    """The 19 fiches, built in parallel (one forked process per core)."""
    global _SESSION
    out = tmp_path_factory.mktemp("fiches")
    jobs = [(t.code, str(out / f"{t.slug}.pdf")) for t in session.all_territories()]
    _SESSION = session
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(os.cpu_count() or 1, mp_context=context) as pool:
        return dict(pool.map(_build, jobs))


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
