"""``atlas diff``: two real builds of a short fiche that differ (a table retitled and a section
removed through ``ATLAS_LAYOUTS``) → the changed page and the removed pages are reported and
the contact sheet is written; the same PDF twice → exit 0; a missing file, a file that is not
a PDF or a bad option → one ``atlas: error:`` line, exit 2 (1 means "they differ")."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from click.testing import CliRunner, Result
from PIL import Image

from reports.cli import main
from reports.paths import PROJECT_ROOT
from reports.proof.diff import align, parse_bbox

LAYOUTS = PROJECT_ROOT / "layouts.yaml"
OLD_TITLE = '  T01:\n    kind: key_figures\n    title: "Chiffres clés"'
NEW_TITLE = '  T01:\n    kind: key_figures\n    title: "Les chiffres clés de la région"'


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


def build_fiches(jobs: list[tuple[Path, Path | None]]) -> None:
    """``atlas fiche 84 -o OUT`` for each (OUT, layouts), each in its own process
    (``ATLAS_LAYOUTS`` read afresh), at the same time."""
    procs = []
    for out, layouts in jobs:
        env = dict(os.environ)
        if layouts is not None:
            env["ATLAS_LAYOUTS"] = str(layouts)
        command = [sys.executable, "-m", "reports", "fiche", "84", "-o", str(out)]
        procs.append(
            subprocess.Popen(
                command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        )
    for proc in procs:
        _, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr.decode()


def fiche_sections(text: str, sections: str) -> str:
    """``layouts.yaml`` with the fiche made of ``sections`` only (a short fiche: fast)."""
    pattern = r"(\n  fiche:\n(?:    [^\n]*\n)*?    sections: )\[[^\]\n]*\]"
    out = re.sub(pattern, rf"\g<1>[{sections}]", text, count=1)
    assert out != text
    return out


@pytest.fixture(scope="module")
def fiches(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A short fiche 84, and the same with its key-figures table retitled and the section
    on museum attendance removed."""
    folder = tmp_path_factory.mktemp("diff")
    text = LAYOUTS.read_text(encoding="utf-8")
    assert OLD_TITLE in text
    old_layouts, new_layouts = folder / "old.yaml", folder / "new.yaml"
    old_layouts.write_text(
        fiche_sections(text, "opener, contexte, frequentation, notes"), encoding="utf-8"
    )
    retitled = text.replace(OLD_TITLE, NEW_TITLE, 1)
    new_layouts.write_text(fiche_sections(retitled, "opener, contexte, notes"), encoding="utf-8")
    old, new = folder / "old.pdf", folder / "new.pdf"
    build_fiches([(old, old_layouts), (new, new_layouts)])
    return old, new


def one_error(result: Result, *needles: str) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("atlas: error: "), result.stderr
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def test_changed_and_removed_pages_are_reported(fiches, tmp_path: Path) -> None:
    old, new = fiches
    sheet = tmp_path / "sheet.pdf"
    result = cli("diff", str(old), str(new), "-o", str(sheet))
    assert result.exit_code == 1, (result.output, result.exception)
    lines = result.stdout.splitlines()
    # the first page: the table title, quoted old → new
    opening = [line for line in lines if line.startswith("  p. 1 → 1 ")]
    assert opening, result.stdout
    assert "text: 1 line changed («Chiffres clés» → «Les chiffres clés de la région»)" in opening[0]
    # the attendance pages are gone; the pages after them are matched with their
    # counterparts that many folios earlier
    removed = [line for line in lines if line.startswith("  p.") and "removed" in line]
    assert len(removed) == 1, result.stdout
    span = re.search(r"p\. (\d+)(?:–(\d+))? → –", removed[0])
    assert span, removed[0]
    first, last = int(span.group(1)), int(span.group(2) or span.group(1))
    pages = [re.match(r"\s*p\. (\d+) → (\d+)", line) for line in lines]
    pairs = [(int(m.group(1)), int(m.group(2))) for m in pages if m]
    assert pairs[0] == (1, 1)
    for a, b in pairs:
        assert b == (a if a < first else a - (last - first + 1)), (a, b)
    assert lines[-1].startswith("atlas: ") and f"{last - first + 1} removed" in lines[-1]
    with pikepdf.open(sheet) as pdf:  # the contact sheet: a PDF of a few landscape pages
        assert 1 <= len(pdf.pages) <= len(pairs)
        box = [float(v) for v in pdf.pages[0].mediabox]
        assert box[2] > box[3]


def test_png_sheet_outlines_the_changes_in_red(fiches, tmp_path: Path) -> None:
    old, new = fiches
    sheet = tmp_path / "sheet.png"
    result = cli("diff", str(old), str(new), "-o", str(sheet))
    assert result.exit_code == 1, result.output
    with Image.open(sheet) as im:
        rgb = np.asarray(im.convert("RGB")).astype(int)
    red = (rgb[..., 0] > 180) & (rgb[..., 1] < 60) & (rgb[..., 2] < 60)
    assert red.sum() > 200  # outlines (2 px) around the changed title, and the labels


def test_same_pdf_is_exit_0(fiches, tmp_path: Path) -> None:
    old, _ = fiches
    copy = tmp_path / "copy.pdf"
    copy.write_bytes(old.read_bytes())
    result = cli("diff", str(old), str(copy), "-o", str(tmp_path / "same.pdf"))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].startswith("atlas: the same pages"), result.stdout
    assert (tmp_path / "same.pdf").is_file()


def test_bad_input_is_one_line_exit_2(fiches, tmp_path: Path) -> None:
    old, _ = fiches
    one_error(cli("diff", str(old), str(tmp_path / "nope.pdf")), "nope.pdf", "no such file")
    text = tmp_path / "notes.pdf"
    text.write_text("not a PDF at all\n", encoding="utf-8")
    one_error(cli("diff", str(text), str(old)), "notes.pdf", "not a PDF")
    one_error(cli("diff", str(old), str(old), "-o", str(tmp_path / "x.txt")), ".pdf or a .png")
    one_error(cli("diff", str(old)), "diff new")  # a missing argument: a usage error
    one_error(cli("diff", str(old), str(old), "--dpi", "5"), "--dpi")


# --- the parts, on made-up pages ---------------------------------------------------------------
def bbox_page(words: list[str], folio: int) -> str:
    rows = "".join(
        f'<line xMin="50" yMin="{100 + 12 * i}" xMax="300" yMax="{110 + 12 * i}">'
        f'<word xMin="50" yMin="{100 + 12 * i}" xMax="300" yMax="{110 + 12 * i}">{w}</word>'
        "</line>"
        for i, w in enumerate(words)
    )
    foot = (
        f'<line xMin="50" yMin="812" xMax="60" yMax="823">'
        f'<word xMin="50" yMin="812" xMax="60" yMax="823">{folio}</word></line>'
    )
    return f'<page width="595.28" height="841.89"><flow><block>{rows}{foot}</block></flow></page>'


def test_pages_are_aligned_by_text_not_by_position() -> None:
    body = [[f"page{k}", f"mot{k}", "commun"] for k in range(5)]
    old = parse_bbox("".join(bbox_page(w, i + 1) for i, w in enumerate(body)))
    new_body = body[:2] + [["inserted", "page", "here"]] + body[2:]
    new = parse_bbox("".join(bbox_page(w, i + 1) for i, w in enumerate(new_body)))
    assert old[3].key == new[4].key  # the folio is masked: same text on another page
    pairs = [(a.number if a else None, b.number if b else None) for a, b in align(old, new)]
    assert pairs == [(1, 1), (2, 2), (None, 3), (3, 4), (4, 5), (5, 6)]


def test_dot_leaders_are_drawn_without_their_tiny_tiles(tmp_path: Path) -> None:
    """Poppler draws a tiling pattern tile by tile (the sommaire's dot leaders: 7 s a page):
    such a page is drawn from a copy whose pattern fills are transparent, the rest intact."""
    from reports.proof.diff import _cost, lighten, rasterize

    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(200, 100))
    tile = pdf.make_stream(
        b"0 g 0 0 0.5 0.5 re f",
        Type=pikepdf.Name.Pattern,
        PatternType=1,
        PaintType=1,
        TilingType=1,
        BBox=[0, 0, 2, 0.5],
        XStep=2,
        YStep=4,
        Resources=pikepdf.Dictionary(),
    )
    page.obj.Resources = pikepdf.Dictionary(Pattern=pikepdf.Dictionary(p0=tile))
    page.obj.Contents = pdf.make_stream(
        b"q /Pattern cs /p0 scn 0 0 200 100 re f Q q 0 g 150 40 40 40 re f Q"
    )
    source, light = tmp_path / "leaders.pdf", tmp_path / "light.pdf"
    pdf.save(source)
    with pikepdf.open(source) as opened:
        assert _cost(opened, 1) > 8
    lighten(source, [1], light)
    with pikepdf.open(light) as opened:
        assert b"/AtlasDiffClear gs" in opened.pages[0].obj.Contents.read_bytes()
    rasters = rasterize({0: [1]}, [source], [{1: 100.0}], tmp_path, dpi=36)
    grey = rasters[(0, 1)]  # 100 × 50 px: the leaders gone, the black square there
    assert grey[5:45, 5:70].min() == 255
    assert grey[15:25, 80:90].max() < 30


def test_running_heads_and_footers_are_page_furniture() -> None:
    """An edition label in every footer is not a change of every page (issue #19: an edition
    diff shows the museum and cinema pages, not all of them)."""
    from reports.proof.diff import parse_bbox

    def page(footer: str) -> str:
        return (
            '<page width="595" height="842">'
            '<line xMin="50" yMin="100" xMax="300" yMax="112">'
            '<word xMin="50" yMin="100" xMax="120" yMax="112">Offre</word>'
            '<word xMin="125" yMin="100" xMax="220" yMax="112">culturelle</word></line>'
            '<line xMin="50" yMin="815" xMax="300" yMax="825">'
            f'<word xMin="50" yMin="815" xMax="120" yMax="825">{footer}</word></line>'
            "</page>"
        )

    (old,), (new,) = parse_bbox(page("Édition 2025")), parse_bbox(page("Édition 2026"))
    assert old.key == new.key and old.texts == ["Offre culturelle"]
    assert [ln.text for ln in new.furniture] == ["Édition 2026"]
