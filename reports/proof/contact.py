"""The contact sheet of ``atlas diff``: each changed page as a pair of thumbnails, the old
page beside the new one, the changed areas outlined in red on the new page (in pink on the
old one), over the one-line summary of the change; four pairs to a landscape page, as a PDF,
or stacked in one PNG."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from reports.proof.diff import DiffReport, PageDiff

RED = (220, 0, 0)
PINK = (255, 140, 140)
INK = (30, 30, 30)
GREY = (110, 110, 110)
PAPER = (255, 255, 255)
BLANK = (232, 232, 232)
COLUMNS, ROWS = 2, 2  # pairs per sheet page
MARGIN, GAP, PAIR_GAP, HEAD = 24, 8, 36, 30


def _plain(text: str) -> str:
    """Open Sans has no arrow."""
    return text.replace("→", "->")


def _font(size: int, bold: bool = False):
    from PIL import ImageFont

    from reports.paths import Paths

    name = "OpenSans-Semibold.ttf" if bold else "OpenSans-Regular.ttf"
    try:
        return ImageFont.truetype(str(Paths().fonts / name), size)
    except OSError:
        return ImageFont.load_default(size)


def _thumb(raster: np.ndarray | None, size: tuple[int, int], boxes, colour, scale: float):
    from PIL import Image, ImageDraw

    if raster is None:
        im = Image.new("RGB", size, BLANK)
    else:
        im = Image.fromarray(raster).convert("RGB")
        if im.size != size:
            canvas = Image.new("RGB", size, BLANK)
            canvas.paste(im, (0, 0))
            im = canvas
    draw = ImageDraw.Draw(im)
    draw.rectangle((0, 0, size[0] - 1, size[1] - 1), outline=GREY)
    for x0, y0, x1, y1 in boxes:
        draw.rectangle(
            (x0 * scale - 2, y0 * scale - 2, x1 * scale + 2, y1 * scale + 2),
            outline=colour,
            width=2,
        )
    return im


def _cell(change: PageDiff, rasters, scale: float, size: tuple[int, int], summary: str):
    """One pair: the label, the summary (wrapped), the old and the new page."""
    from PIL import Image, ImageDraw

    w, h = size
    bold, small = _font(15, bold=True), _font(12)
    width = 2 * w + GAP
    chars = max(20, int(width / 6.6))
    lines = textwrap.wrap(_plain(summary), chars)[:4]
    top = 22 + 16 * len(lines) + 6
    cell = Image.new("RGB", (width, top + h + 18), PAPER)
    draw = ImageDraw.Draw(cell)
    draw.text((0, 0), _plain(change.pages), font=bold, fill=INK)
    for i, line in enumerate(lines):
        draw.text((0, 22 + 16 * i), line, font=small, fill=INK)
    boxes = [r.box for r in change.areas]
    old = rasters.get((0, change.old.number)) if change.old else None
    new = rasters.get((1, change.new.number)) if change.new else None
    if change.kind == "added":
        boxes = [(0, 0, w / scale, h / scale)]
    cell.paste(_thumb(old, size, boxes if change.kind == "changed" else [], PINK, scale), (0, top))
    cell.paste(_thumb(new, size, boxes if new is not None else [], RED, scale), (w + GAP, top))
    for x, label, page in ((0, "old", change.old), (w + GAP, "new", change.new)):
        text = f"{label} p. {page.number}" if page else f"{label}: –"
        draw.text((x, top + h + 2), text, font=small, fill=GREY)
    if change.kind == "removed":
        draw.text((w + GAP + 12, top + 12), "removed", font=bold, fill=RED)
    if change.kind == "added":
        draw.text((12, top + 12), "added", font=bold, fill=RED)
    return cell


def sheet_pages(report: DiffReport, rasters, scale: float) -> list:
    """The sheet's pages (PIL images)."""
    from PIL import Image, ImageDraw

    sizes = [im.shape[::-1] for im in rasters.values()]
    size = max(sizes) if sizes else (int(595 * scale), int(842 * scale))
    cells = [_cell(c, rasters, scale, size, c.summary()) for c in report.changes]
    cell_w = 2 * size[0] + GAP
    cell_h = max((c.size[1] for c in cells), default=size[1])
    page_w = 2 * MARGIN + COLUMNS * cell_w + (COLUMNS - 1) * PAIR_GAP
    page_h = 2 * MARGIN + HEAD + ROWS * cell_h + (ROWS - 1) * 16
    per_page = COLUMNS * ROWS
    count = max(1, -(-len(cells) // per_page))
    pages = []
    title_font, small = _font(16, bold=True), _font(12)
    for index in range(count):
        page = Image.new("RGB", (page_w, page_h), PAPER)
        draw = ImageDraw.Draw(page)
        title = f"atlas diff  {report.old.name} -> {report.new.name}"
        draw.text((MARGIN, MARGIN - 6), title, font=title_font, fill=INK)
        side = f"{len(report.changes)} page(s) differ · sheet {index + 1}/{count}"
        if not cells:
            side = "the same pages"
        draw.text(
            (page_w - MARGIN - draw.textlength(side, font=small), MARGIN - 2),
            side,
            font=small,
            fill=GREY,
        )
        for k, cell in enumerate(cells[index * per_page : (index + 1) * per_page]):
            row, col = divmod(k, COLUMNS)
            x = MARGIN + col * (cell_w + PAIR_GAP)
            y = MARGIN + HEAD + row * (cell_h + 16)
            page.paste(cell, (x, y))
        pages.append(page)
    return pages


def write_sheet(report: DiffReport, rasters, output: Path, scale: float) -> Path:
    """Write the sheet to ``output`` (``.pdf``: one landscape page per four pairs; ``.png``:
    the pages stacked), atomically."""
    from PIL import Image

    from reports.integrity import write_atomic
    from reports.render.outputs import output_target

    pages = sheet_pages(report, rasters, scale)
    buffer = io.BytesIO()
    if output.suffix.lower() == ".png":
        width = max(p.size[0] for p in pages)
        stacked = Image.new("RGB", (width, sum(p.size[1] for p in pages)), PAPER)
        y = 0
        for p in pages:
            stacked.paste(p, (0, y))
            y += p.size[1]
        stacked.save(buffer, "PNG", optimize=False)
    else:
        resolution = pages[0].size[0] / (297 / 25.4)  # as wide as a landscape A4 page
        pages[0].save(buffer, "PDF", save_all=True, append_images=pages[1:], resolution=resolution)
    return write_atomic(output_target(output), buffer.getvalue())
