"""Visual regression: a few pages of the fiches and of the atlas, rasterised at low resolution
(``pdftoppm``, 45 dpi, grey), compared with the PNGs committed under ``tests/reference/``.

The PDFs are the ones the test session builds anyway (``fiche_pdfs``, ``atlas_pdf`` in
``tests/conftest.py``): nothing is laid out for this module. A page fails when more than
:data:`MAX_SHARE` of its pixels differ by more than :data:`PIXEL_THRESHOLD` grey levels; the
failure writes ``tests/.visual-diff/<name>.png`` (reference | new | the new page in grey with
the changed pixels in red) and prints its path.

A deliberate change of the layout: ``python -m tests.update_references`` (builds the few
documents it needs, from the cache when nothing changed) or ``ATLAS_UPDATE_REFERENCES=1 make
test`` writes the references again; commit them with the change.
"""

from __future__ import annotations

import io
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

HERE = Path(__file__).resolve().parent
REFERENCE = HERE / "reference"
DIFF_DIR = HERE / ".visual-diff"
DPI = 45
#: a pixel differs when its grey level moved by more than this (antialiasing noise is below)
PIXEL_THRESHOLD = 48
#: a page differs when more than this share of its pixels differ. Measured on the ARA opener
#: (p. 1, 372 × 526 px): the same code built twice 0 %; « À retenir » moved down by 0.5 mm
#: 1.04 %, by 1 mm 1.57 %, pushed up by a margin 2.4 %; one word added to its title 0.009 %
#: (passes: the text tests see words, this test sees blocks)
MAX_SHARE = 0.002
UPDATE_ENV = "ATLAS_UPDATE_REFERENCES"
#: text markers are looked for on the first pages only (front matter, fiche openers)
MARKER_PAGES = 12


@dataclass(frozen=True)
class Shot:
    """One page compared: ``document`` is a fiche's territory code or ``"atlas"``; ``page`` a
    1-based page number or a text marker (the first page whose text contains it)."""

    name: str
    document: str
    page: int | str


SHOTS = [
    Shot("fiche-ara-p1", "84", 1),
    Shot("fiche-ara-map", "84", "Carte 3 "),
    Shot("fiche-france-p1", "FR", 1),
    Shot("fiche-mayotte-p1", "06", 1),
    Shot("atlas-sommaire", "atlas", "Sommaire"),
]


def page_number(pdf: Path, page: int | str) -> int:
    """``page`` itself, or the first page (of the first :data:`MARKER_PAGES`) printing it."""
    if isinstance(page, int):
        return page
    text = subprocess.run(
        ["pdftotext", "-f", "1", "-l", str(MARKER_PAGES), "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for n, body in enumerate(text.split("\f"), start=1):
        if page in body:
            return n
    raise AssertionError(f"{pdf.name}: no page prints {page!r} in its first {MARKER_PAGES}")


def raster(pdf: Path, page: int | str) -> Image.Image:
    """Page ``page`` of ``pdf`` in grey at :data:`DPI`, drawn without the sommaire's dot
    leaders (tiling patterns poppler takes 7 s to paint: reports.proof.diff.lighten)."""
    import tempfile

    from reports.proof.diff import lighten

    n = page_number(pdf, page)
    with tempfile.TemporaryDirectory() as tmp:
        single = Path(tmp) / "page.pdf"
        lighten(pdf, [n], single)
        png = subprocess.run(
            ["pdftoppm", "-png", "-gray", "-r", str(DPI), "-singlefile", str(single)],
            capture_output=True,
            check=True,
        ).stdout
    return Image.open(io.BytesIO(png)).convert("L")


def save_reference(image: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, optimize=True)


def difference(reference: Image.Image, new: Image.Image) -> tuple[float, np.ndarray]:
    """(share of differing pixels, boolean mask on the larger of the two sizes)."""
    w, h = max(reference.width, new.width), max(reference.height, new.height)
    a = np.full((h, w), 255, np.int16)
    b = np.full((h, w), 255, np.int16)
    a[: reference.height, : reference.width] = np.asarray(reference, np.int16)
    b[: new.height, : new.width] = np.asarray(new, np.int16)
    mask = np.abs(a - b) > PIXEL_THRESHOLD
    if reference.size != new.size:
        mask[:] = True  # another page size: every pixel counts
    return float(mask.mean()), mask


def diff_image(reference: Image.Image, new: Image.Image, mask: np.ndarray) -> Image.Image:
    """reference | new | new faded, its changed pixels in red."""
    h, w = mask.shape
    faded = np.full((h, w), 255, np.uint8)
    faded[: new.height, : new.width] = np.asarray(new)
    rgb = np.stack([faded // 3 + 170] * 3, axis=-1).astype(np.uint8)
    rgb[mask] = (220, 0, 0)
    gap = 6
    out = Image.new("RGB", (3 * w + 2 * gap, h), (120, 120, 120))
    out.paste(reference.convert("RGB"), (0, 0))
    out.paste(new.convert("RGB"), (w + gap, 0))
    out.paste(Image.fromarray(rgb), (2 * (w + gap), 0))
    return out


def write_diff(name: str, reference: Image.Image, new: Image.Image, mask: np.ndarray) -> Path:
    DIFF_DIR.mkdir(exist_ok=True)
    (DIFF_DIR / ".gitignore").write_text("*\n")  # never committed
    target = DIFF_DIR / f"{name}.png"
    diff_image(reference, new, mask).save(target)
    return target


def compare(shot: Shot, pdf: Path, *, update: bool = False) -> str | None:
    """None when ``shot`` of ``pdf`` looks like its reference (or, with ``update``, once the
    reference is written), else the failure message."""
    new = raster(pdf, shot.page)
    reference_path = REFERENCE / f"{shot.name}.png"
    if update:
        save_reference(new, reference_path)
        return None
    if not reference_path.is_file():
        return f"no reference {reference_path}: run `python -m tests.update_references`"
    reference = Image.open(reference_path).convert("L")
    share, mask = difference(reference, new)
    if share <= MAX_SHARE:
        return None
    target = write_diff(shot.name, reference, new, mask)
    return (
        f"{shot.name}: {share:.2%} of the pixels differ (> {MAX_SHARE:.2%}; sizes "
        f"{reference.size} → {new.size}); see {target} (reference | new | changes in red). "
        f"A deliberate change: `python -m tests.update_references`, then commit tests/reference/"
    )


pytestmark = pytest.mark.slow


FICHE_SHOTS = [s for s in SHOTS if s.document != "atlas"]


def check_shot(shot: Shot, pdf: Path) -> None:
    problem = compare(shot, pdf, update=os.environ.get(UPDATE_ENV) == "1")
    assert problem is None, problem


@pytest.mark.parametrize("shot", FICHE_SHOTS, ids=[s.name for s in FICHE_SHOTS])
def test_page_looks_like_its_reference(shot: Shot, fiche_pdfs: dict[str, Path]) -> None:
    """The fiche pages; the atlas's: ``test_documents_atlas.test_atlas_page_looks_like_its_
    reference`` (the modules that use the atlas run in one test process, tests/conftest.py)."""
    check_shot(shot, fiche_pdfs[shot.document])


def test_difference_sees_a_moved_block_and_not_the_same_page() -> None:
    """The tolerance itself: the same page passes, the page with its kicker block moved down
    by 1 mm fails (synthetic page, so that this does not depend on a build)."""
    page = Image.new("L", (372, 526), 255)  # A4 at 45 dpi
    block = Image.new("L", (150, 30), 40)
    page.paste(block, (40, 100))
    assert difference(page, page.copy())[0] == 0
    moved = Image.new("L", page.size, 255)
    moved.paste(block, (40, 102))  # 2 px at 45 dpi ≈ 1.1 mm
    share, mask = difference(page, moved)
    assert share > MAX_SHARE and mask.sum() == 2 * 2 * 150
    assert diff_image(page, moved, mask).size == (3 * 372 + 12, 526)
