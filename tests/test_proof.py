"""``reports.proof``: each rule of the publication checker fires on a small PDF made here with
WeasyPrint (tagged, PDF/UA-1, as the publications are), and a composed clean page passes."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from reports.proof.check import check_pdf, parse_pages
from reports.proof.document import Settings

SEQ5 = ["#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"]  # reports.figures.style.SEQ5

CSS = """
@page { size: A4; margin: 17mm 15mm; }
body { font-family: sans-serif; font-size: 10pt; line-height: 1.35; margin: 0; }
h2 { font-size: 14pt; margin: 0 0 3mm; break-after: auto; }
p { margin: 0 0 2mm; }
img { display: block; }
.box { background: #dde6ee; }
"""
PARAGRAPH = (
    "La région compte des musées, des bibliothèques et des festivals ; l’offre y est plus "
    "dense qu’en moyenne, et le programme « Action cœur de ville » y réunit 26 communes. "
)


def png(rgb: np.ndarray, dpi: float) -> bytes:
    """An opaque 8-bit RGB PNG (filter 0 on every row) with a pHYs chunk at ``dpi``."""
    height, width = rgb.shape[:2]
    rows = np.zeros((height, 1 + 3 * width), np.uint8)
    rows[:, 1:] = rgb.reshape(height, 3 * width)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ppm = round(dpi / 0.0254)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
            chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)),
            chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)),
            chunk(b"IEND", b""),
        )
    )


def hex_rgb(color: str) -> list[int]:
    return [int(color[i : i + 2], 16) for i in (1, 3, 5)]


def flat(width: int, height: int, color: str = "#9a9a9a") -> np.ndarray:
    return np.tile(np.array(hex_rgb(color), np.uint8), (height, width, 1))


@pytest.fixture(scope="module")
def make(tmp_path_factory):
    """``make(body_html, images={name: (pixels, dpi)}) -> Path`` of the tagged PDF."""
    from weasyprint import HTML

    from reports.render.pdf import install_engine_patches

    install_engine_patches()  # figures embedded byte for byte, as in the publications
    root = tmp_path_factory.mktemp("proof")
    counter = iter(range(1000))

    def build(
        body: str, images: dict[str, tuple[np.ndarray, float]] | None = None, tagged: bool = True
    ) -> Path:
        n = next(counter)
        folder = root / f"doc{n}"
        (folder / "figures").mkdir(parents=True)
        for name, (pixels, dpi) in (images or {}).items():
            (folder / "figures" / name).write_bytes(png(pixels, dpi))
        html = (
            f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>t</title>'
            f"<style>{CSS}</style></head><body>{body}</body></html>"
        )
        target = folder / "doc.pdf"
        options = {"pdf_variant": "pdf/ua-1"} if tagged else {}
        HTML(string=html, base_url=str(folder) + "/").write_pdf(target, **options)
        return target

    return build


def check(path: Path, *rules: str):
    return check_pdf(path, rules=set(rules) or None, figures_cache=path.parent / "figures")


def rules_of(report) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for f in report.findings:
        out.setdefault(f.page, set()).add(f.rule)
    return out


def clean_body() -> str:
    # 180 mm × 200 mm figure drawn at 100 dpi (709 × 787 px), placed at exactly that size
    return (
        "<h2>Festivals et patrimoine</h2>"
        f"<p>{PARAGRAPH * 3}</p>"
        '<img src="figures/fig.png" alt="Graphique : festivals" '
        'style="width:180mm;height:199.898mm">'
    )


def test_clean_page_passes(make):
    path = make(clean_body(), {"fig.png": (flat(709, 787), 100)})
    report = check(path)
    assert report.clean, [f.message for f in report.findings]
    assert report.pages == 1


def test_apostrophe(make):
    path = make(clean_body().replace("l’offre", "l'offre"), {"fig.png": (flat(709, 787), 100)})
    report = check(path)
    assert [f.rule for f in report.findings] == ["apostrophe"]
    assert report.findings[0].count == 3  # three copies of the paragraph
    assert "l'offre" in report.findings[0].message


def test_page_empty_and_notes_exemption(make):
    body = (
        f"<h2>Offre culturelle</h2><p>{PARAGRAPH * 6}</p>"
        f'<h2 style="break-before:page">Notes et sources</h2><p>{PARAGRAPH}</p>'
    )
    report = check(make(body), "page-empty")
    assert rules_of(report) == {1: {"page-empty"}}
    assert "empty" in report.findings[0].message
    assert report.exempt == {2: "notes"}
    # the chapter's closing page, on which its notes begin after the last content
    closing = f"<h2>Offre culturelle</h2><p>{PARAGRAPH * 6}</p><h2>Notes et sources</h2><p>x</p>"
    report = check(make(closing), "page-empty")
    assert report.findings == [] and report.exempt == {1: "notes"}
    # the next chapter's opener, whose kicker precedes its title in reading order, is not
    # the previous chapter's notes: a mostly empty opener is reported
    opener = (
        f"<h1>Offre culturelle</h1><p>{PARAGRAPH * 6}</p><h2>Notes et sources</h2><p>x</p>"
        '<p style="break-before:page">RÉGION</p><h1>Île-de-France</h1>'
    )
    report = check(make(opener), "page-empty")
    assert rules_of(report) == {2: {"page-empty"}} and report.exempt == {1: "notes"}
    # a sommaire line "Notes et sources" is not a heading: the page is still checked
    toc = f"<h2>Sommaire</h2><p>{PARAGRAPH * 6}</p><p>Notes et sources 29</p>"
    assert rules_of(check(make(toc), "page-empty")) == {1: {"page-empty"}}


def test_cover_and_blank_pages_are_exempt(make):
    body = (
        '<section style="page:cover"><h2>Atlas régional de la culture</h2></section>'
        '<p style="break-before:page;margin-top:120mm">Page laissée intentionnellement blanche</p>'
        '<p style="break-before:page">Suite</p>'
    )
    css = "<style>@page cover { background: #00607a; }</style>"
    report = check(make(css + body), "page-empty")
    assert report.exempt == {1: "cover", 2: "blank"}
    assert rules_of(report) == {3: {"page-empty"}}


def test_heading_alone_at_page_foot(make):
    body = (
        '<div class="box" style="height:215mm"></div>'
        "<h2>Fréquentation des musées</h2>"
        '<img src="figures/m.png" alt="Graphique" style="width:100mm;height:80mm">'
    )
    report = check(make(body, {"m.png": (flat(394, 315), 100)}), "heading-foot")
    assert rules_of(report) == {1: {"heading-foot"}}
    message = report.findings[0].message
    assert "Fréquentation des musées" in message and "page 2" in message


def test_heading_at_page_foot_untagged(make):
    body = f'<div class="box" style="height:215mm"></div><p>{PARAGRAPH}</p><h2>Cinéma</h2>'
    body += '<img src="figures/m.png" alt="" style="width:100mm;height:80mm">'
    report = check(make(body, {"m.png": (flat(394, 315), 100)}, tagged=False), "heading-foot")
    assert rules_of(report) == {1: {"heading-foot"}}
    assert "Cinéma" in report.findings[0].message


def test_heading_followed_by_its_text_passes(make):
    body = (
        '<div class="box" style="height:200mm"></div>'
        f"<h2>Fréquentation des musées</h2><p>{PARAGRAPH}</p>"
    )
    assert check(make(body), "heading-foot").clean


def test_figure_placed_at_twice_its_dpi(make):
    # 400 × 300 px drawn at 200 dpi (50.8 mm wide), placed 25.4 mm wide: 400 ppi
    body = '<img src="figures/a.png" alt="Graphique" style="width:25.4mm;height:19.05mm">'
    report = check(
        make(body, {"a.png": (flat(400, 300), 200)}), "figure-scaled", "figure-text-small"
    )
    assert rules_of(report) == {1: {"figure-scaled", "figure-text-small"}}
    scaled = next(f for f in report.findings if f.rule == "figure-scaled")
    assert "400 ppi" in scaled.message and "drawn at 200 dpi" in scaled.message
    assert "assumed" not in scaled.message  # found in the figure cache by its bytes
    small = next(f for f in report.findings if f.rule == "figure-text-small")
    assert "≈3.5 pt" in small.message  # 7 pt × 200 / 400


def test_drawn_dpi_comes_from_the_png(make):
    # drawn at 100 dpi, placed at 150 ppi: flagged only if the PNG's own dpi is known
    body = '<img src="figures/b.png" alt="Graphique" style="width:33.867mm;height:33.867mm">'
    path = make(body, {"b.png": (flat(200, 200), 100)})
    report = check(path, "figure-scaled")
    assert len(report.findings) == 1 and "drawn at 100 dpi" in report.findings[0].message
    elsewhere = check_pdf(path, rules={"figure-scaled"}, figures_cache=path.parent / "none")
    assert elsewhere.clean  # not in a cache: taken to be drawn at 200 dpi, not enlarged


def test_small_text(make):
    body = f'<p>{PARAGRAPH}</p><p style="font-size:5pt">Source : Insee, note en 5 pt</p>'
    report = check(make(body), "text-small")
    assert len(report.findings) == 1
    assert "5 pt" in report.findings[0].message and "Insee" in report.findings[0].message


def test_placeholders_keys_and_missing_values(make):
    body = (
        "<p>Directeur de la publication : [à compléter]. ISBN 978-2-11-XXXXXX-X.</p>"
        "<p>Dépenses culturelles {spending} par habitant.</p>"
        "<p>Densité : N-C04.tres_dense et O15.service_d_archives ; voir n_d_p100k.</p>"
        "<p>Valeur : nan ; écart : None ; maximum : inf. Nancy, nana et infini passent.</p>"
    )
    report = check(make(body), "placeholder", "internal-key", "nan-text")
    by_rule: dict[str, list[str]] = {}
    for f in report.findings:
        by_rule.setdefault(f.rule, []).append(f.message)
    assert len(by_rule["placeholder"]) == 3
    keys = " ".join(by_rule["internal-key"])
    assert "N-C04.tres_dense" in keys and "O15.service_d_archives" in keys
    assert "n_d_p100k" in keys
    words = [m.split("“")[1].split("”")[0] for m in by_rule["nan-text"]]
    assert words == ["nan", "None", "inf"]  # not Nancy, nana, infini


def test_guillemets_split_across_lines(make):
    body = (
        "<p>le programme «<br>Action cœur de ville » réunit</p>"
        "<p>le programme « Action cœur de ville<br>» réunit</p>"
        "<p>le programme «\u00a0Action cœur de ville\u00a0» réunit</p>"
    )
    report = check(make(body), "guillemet-split")
    messages = sorted(f.message for f in report.findings)
    assert len(messages) == 2
    assert messages[0].startswith("« ends") and messages[1].startswith("» starts")


def test_source_named_twice(make):
    body = (
        "<p>Source : Ministère de la Culture, Fréquentation des musées de France ; Ministère de"
        "<br>la Culture, Fréquentation des musées de France ; Insee, population 2018</p>"
        "<p>Source : Insee, grille communale ; population Insee 2018 ; Insee, aires 2020 ;"
        " population Insee 2018</p><p>Tableau 2 suit.</p>"
        "<p>Sources : Insee, population 2018 ; Insee, population 2018 (exploitation Deps)</p>"
    )
    report = check(make(body), "source-repeated")
    messages = [f.message for f in report.findings]
    assert len(messages) == 2, messages
    assert "Fréquentation des musées de France" in messages[0]
    assert "population Insee 2018" in messages[1]  # the last part, followed by other text


def map_pixels(shares: list[float]) -> np.ndarray:
    """A 300 × 200 'map': white sea, bands of class colours covering 60 % of it."""
    img = flat(300, 200, "#ffffff")
    row = 20
    for color, share in zip(SEQ5, shares, strict=False):
        rows = round(120 * share)
        img[row : row + rows, 20:280] = hex_rgb(color)
        row += rows
    return img


def test_one_class_map(make):
    style = 'style="width:38.1mm;height:25.4mm"'  # 200 dpi, as drawn
    body = (
        f'<img src="figures/one.png" alt="Carte des départements : densité" {style}>'
        f'<img src="figures/five.png" alt="Carte des départements : musées" {style}>'
        f'<img src="figures/chart.png" alt="Graphique : densité" {style}>'
    )
    images = {
        "one.png": (map_pixels([0.95, 0.05]), 200),
        "five.png": (map_pixels([0.3, 0.2, 0.2, 0.2, 0.1]), 200),
        "chart.png": (map_pixels([1.0]), 200),  # not a map: its alt text says so
    }
    report = check(make(body, images), "one-class-map")
    assert len(report.findings) == 1
    assert "95%" in report.findings[0].message and "95/5/0/0/0 %" in report.findings[0].message


def test_cli_exit_codes(make):
    from click.testing import CliRunner

    from reports.cli import main

    clean = make(clean_body(), {"fig.png": (flat(709, 787), 100)})
    dirty = make("<p>Valeur : nan</p>")
    runner = CliRunner()
    ok = runner.invoke(main, ["check", str(clean), "--rule", "nan-text"])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(main, ["check", str(dirty), "--rule", "nan-text"])
    assert bad.exit_code == 1
    assert "p. 1" in bad.output and "nan-text" in bad.output
    unknown = runner.invoke(main, ["check", str(dirty), "--rule", "nope"])
    assert unknown.exit_code == 1 and "unknown rule" in unknown.output


def test_parse_pages_and_settings():
    assert parse_pages("1-3,7") == {1, 2, 3, 7}
    assert parse_pages(None) is None
    assert Settings().max_empty == 0.40 and Settings().min_text_pt == 6.5


# --- the publications themselves --------------------------------------------------------------
def test_atlas_is_clean(atlas_pdf: Path):
    """``atlas check`` finds nothing on the atlas (every rule); the four fiches a proofreader
    reads first: ``test_documents_fiche.test_proofed_fiches_are_clean``."""
    from reports.proof.report import format_report

    report = check_pdf(atlas_pdf)
    assert report.clean, format_report(report)
