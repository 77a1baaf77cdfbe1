"""Never a wrong PDF (#17, part A): damaged caches, silent engine warnings, temporary files,
formulas in the CSV attachments.

Each fault a hostile tester found is one test. The CLI runs as a subprocess in a copy of the
project (package, templates, styles, layouts, data: the tests damage its files, and edits
made meanwhile to the working tree do not reach them), with ``ATLAS_CACHE`` and ``TMPDIR`` in
a temporary folder. One fiche (94 Corse, the smallest) is built once; every test then checks
the exit code, the one-line message (naming the file), that no traceback is printed, that the
output is byte-identical to the good one (rebuilt identically, or left untouched) and that no
temporary file or ``weasyprint-*`` folder is left behind. The atlas caches are tested on
their reading functions (an atlas build takes minutes).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import pickle
import re
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest

from reports import integrity
from reports.errors import RenderError

ROOT = Path(__file__).resolve().parent.parent
FONT = "styles/fonts/OpenSans-Bold.ttf"
HOSTILE_NAME = '=HYPERLINK("http://example.org/x","Musée")'

pytestmark = pytest.mark.slow


# --- the project copy, the CLI, the fiche built once ----------------------------------------
@dataclass(frozen=True)
class Env:
    cache: Path  # ATLAS_CACHE
    tmp: Path  # TMPDIR of the CLI processes


@dataclass(frozen=True)
class Fiche:
    data: bytes  # the good PDF
    entry: Path  # its entry in the PDF cache
    entry_data: bytes


def copy_project(source: Path, dest: Path) -> Path:
    """The package, templates, styles, layouts, editions and data of ``source`` (bytecode included:
    copied with its sources' times, it stays valid)."""
    for name in ("reports", "templates", "styles", "data", "editions"):
        shutil.copytree(source / name, dest / name)
    shutil.copy2(source / "layouts.yaml", dest / "layouts.yaml")
    return dest


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(ROOT, tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="session")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    return Env(tmp_path_factory.mktemp("cache"), tmp_path_factory.mktemp("tmpdir"))


def atlas(cwd: Path, env: Env, *args: str, limit: int | None = None) -> subprocess.CompletedProcess:
    """``python -m reports ARGS`` run in ``cwd`` (its own copy of the package); ``limit``: the
    largest file it may write (RLIMIT_FSIZE: a full disk, as far as it can tell)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ATLAS_")}
    environ.update(ATLAS_CACHE=str(env.cache), TMPDIR=str(env.tmp))

    def preexec() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run(
        [sys.executable, "-m", "reports", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=180,
        preexec_fn=preexec if limit is not None else None,
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert not list(env.tmp.glob("weasyprint-*")), "a WeasyPrint font folder was left"
    assert not [p for p in env.cache.rglob("*") if p.name.endswith(".tmp")], "a .tmp was left"
    return result


def one_line(result: subprocess.CompletedProcess, kind: str, *names: str) -> str:
    """The only stderr line: ``atlas: <kind>: …`` naming each of ``names``."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"atlas: {kind}: "), lines[0]
    for name in names:
        assert name in lines[0], (name, lines[0])
    return lines[0]


def fiche(cwd: Path, env: Env, out: Path, good: bytes | None = None) -> subprocess.CompletedProcess:
    """``atlas fiche 94 -o out``, ``out`` holding ``good`` first (the last good PDF)."""
    if good is not None:
        out.write_bytes(good)
    return atlas(cwd, env, "fiche", "94", "-o", str(out))


@pytest.fixture(scope="session")
def corse(project: Path, env: Env, tmp_path_factory: pytest.TempPathFactory) -> Fiche:
    out = tmp_path_factory.mktemp("good") / "corse.pdf"
    result = fiche(project, env, out)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    (entry,) = (env.cache / "pdf").glob("*.pdf")
    assert integrity.sidecar(entry).is_file()
    return Fiche(out.read_bytes(), entry, entry.read_bytes())


@pytest.fixture
def broken(project: Path, tmp_path: Path) -> Path:
    """Another copy of the project copy, to damage (it shares the cache)."""
    return copy_project(project, tmp_path / "broken")


# --- the fiche PDF cache ------------------------------------------------------------------------
def _damage(data: bytes, how: str) -> bytes:
    if how == "truncated":
        return data[: len(data) // 3]
    if how == "garbled":
        middle = len(data) // 2
        return (
            data[:middle]
            + bytes(b ^ 0xFF for b in data[middle : middle + 64])
            + data[middle + 64 :]
        )
    return b""


@pytest.mark.parametrize("how", ["truncated", "garbled", "empty"])
def test_damaged_cached_fiche_is_laid_out_again(project, env, corse, tmp_path, how):
    """A cached PDF that does not match its digest is a miss: the fiche is laid out again (one
    warning naming the entry), never copied over the good one."""
    corse.entry.write_bytes(_damage(corse.entry_data, how))
    out = tmp_path / "corse.pdf"
    result = fiche(project, env, out, corse.data)
    assert result.returncode == 0, result.stderr
    one_line(result, "warning", corse.entry.name, "damaged cache entry")
    assert out.read_bytes() == corse.data
    assert corse.entry.read_bytes() == corse.entry_data  # the entry is good again


# --- the figure cache ---------------------------------------------------------------------------
def test_truncated_figure_is_drawn_again(project, env, corse, tmp_path):
    """A truncated figure PNG is drawn again (one warning naming it): no map is cut."""
    figure = sorted((env.cache / "figures").rglob("*.png"))[0]
    good = figure.read_bytes()
    figure.write_bytes(good[: len(good) // 2])
    integrity.discard(corse.entry)  # the fiche is laid out again, with the figure drawn again
    out = tmp_path / "corse.pdf"
    result = fiche(project, env, out, corse.data)
    assert result.returncode == 0, result.stderr
    one_line(result, "warning", figure.name, "damaged cache entry")
    assert figure.read_bytes() == good
    assert out.read_bytes() == corse.data


def test_full_disk_leaves_no_temporary_file(project, env, corse, tmp_path):
    """A figure that cannot be written (the disk is full) is a one-line error naming it; no
    ``.tmp`` file is left in the cache (checked by ``atlas``) and the last PDF is kept."""
    figure = sorted((env.cache / "figures").rglob("*.png"))[-1]
    good, entry = figure.read_bytes(), corse.entry.read_bytes()
    integrity.discard(figure)
    integrity.discard(corse.entry)
    out = tmp_path / "corse.pdf"
    try:
        out.write_bytes(corse.data)
        result = atlas(project, env, "fiche", "94", "-o", str(out), limit=len(good) // 2)
        assert result.returncode == 1
        one_line(result, "error", figure.name, "cannot write")
        assert out.read_bytes() == corse.data
    finally:
        integrity.store(figure, good)
        integrity.store(corse.entry, entry)


# --- strict rendering ---------------------------------------------------------------------------
def _unclosed(css: Path) -> str:
    """Remove the ``}`` of the first one-line rule of ``css``; its ``file:line``."""
    lines = css.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if re.fullmatch(r"[.\w-]+ \{[^{}]*\}", line.strip()):
            lines[i] = line.rstrip().removesuffix("}")
            css.write_text("\n".join(lines) + "\n", encoding="utf-8")
            return f"styles/print.css:{i + 1}:"
    raise AssertionError("no one-line rule in print.css")


def _unknown_property(css: Path) -> str:
    text = css.read_text(encoding="utf-8")
    css.write_text(text + "h1 { colr: red; }\n", encoding="utf-8")
    return f"styles/print.css:{text.count(chr(10)) + 1}:"


@pytest.mark.parametrize("damage", [_unclosed, _unknown_property])
def test_css_error_is_an_error(broken, env, corse, tmp_path, damage):
    """A CSS syntax error (a block never closed: every rule after it lost, in silence) or a
    declaration WeasyPrint ignores is an error naming the stylesheet and line."""
    where = damage(broken / "styles" / "print.css")
    out = tmp_path / "corse.pdf"
    result = fiche(broken, env, out, corse.data)
    assert result.returncode == 1
    one_line(result, "error", where)
    assert out.read_bytes() == corse.data


@pytest.mark.parametrize("how", ["missing", "truncated"])
def test_damaged_font_is_an_error(broken, env, corse, tmp_path, how):
    """A missing or truncated font is an error naming it (not a fiche in a substitute font)."""
    font = broken / FONT
    if how == "missing":
        font.unlink()
    else:
        font.write_bytes(font.read_bytes()[:100_000])
    out = tmp_path / "corse.pdf"
    result = fiche(broken, env, out, corse.data)
    assert result.returncode == 1
    assert how in one_line(result, "error", FONT, "styles/print.css:")
    assert out.read_bytes() == corse.data


def test_refused_image_in_svg_is_an_error(broken, env, corse, tmp_path):
    """An image inside an SVG that the URL fetcher refuses (WeasyPrint loads it only while
    writing the PDF) is an error naming the SVG and the image."""
    (broken / "styles" / "evil.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<image href="file:///etc/hostname" width="10" height="10"/></svg>',
        encoding="utf-8",
    )
    with (broken / "styles" / "print.css").open("a", encoding="utf-8") as css:
        css.write("body { background-image: url(evil.svg); }\n")
    out = tmp_path / "corse.pdf"
    result = fiche(broken, env, out, corse.data)
    assert result.returncode == 1
    one_line(result, "error", "styles/evil.svg", "/etc/hostname", "refused")
    assert out.read_bytes() == corse.data


# --- temporary folders --------------------------------------------------------------------------
def test_no_weasyprint_folder_is_left(env, corse, tmp_path, monkeypatch):
    """No ``/tmp/weasyprint-*`` font folder outlives a render: the fiche's processes (checked
    after every CLI run above) and this process, for a good render and a failed one."""
    import tempfile

    from reports.paths import Paths
    from reports.render.pdf import render_document, write_pdf

    assert not list(env.tmp.glob("weasyprint-*"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    html = '<html lang="fr"><head><title>t</title><link rel="stylesheet" href="styles/print.css">'
    paths = Paths()
    document = render_document(html + "<p>x</p>", paths, base_url=paths.root, strict=True)
    assert list(tmp_path.glob("weasyprint-*"))  # the fonts are there until it is written
    write_pdf(document, tmp_path / "out.pdf")
    with pytest.raises(RenderError, match="refused"):
        render_document(html + '<img src="file:///etc/x">', paths, base_url=paths.root, strict=True)
    assert not list(tmp_path.glob("weasyprint-*"))


def test_failed_atomic_writes_leave_no_temporary_file(tmp_path, monkeypatch):
    """A write that fails (full disk) is a RenderError naming the file, and no ``.tmp``."""
    import errno

    from reports.render.pdf import atomic_write

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(RenderError, match=r"out\.pdf.*No space left"):
        atomic_write(tmp_path / "out.pdf", full)
    monkeypatch.setattr(Path, "replace", full)
    with pytest.raises(RenderError, match=r"fig\.png.*No space left"):
        integrity.store(tmp_path / "fig.png", b"png")
    assert list(tmp_path.iterdir()) == []


# --- the atlas caches -------------------------------------------------------------------------
def _pdf(path: Path, pages: int) -> Path:
    with pikepdf.Pdf.new() as pdf:
        for _ in range(pages):
            pdf.add_blank_page()
        pdf.save(path)
    return path


def test_truncated_unit_pdf_is_rendered_again(tmp_path, caplog):
    """A unit PDF is reused only if it matches its digest and page count: a truncated one is a
    miss (one warning naming it, the file removed: the unit is rendered again), and a unit PDF
    damaged after the check is a one-line error of the merge, not a pikepdf traceback."""
    from reports.documents.atlas.caches import cached_unit_pdf, keep_unit_pdf
    from reports.render.merge import merge_pdfs

    unit = _pdf(tmp_path / "unit.pdf", 3)
    keep_unit_pdf(unit, 3)
    assert cached_unit_pdf(unit, 3)
    unit.write_bytes(unit.read_bytes()[:200])
    with caplog.at_level(logging.WARNING, "reports.cache"):
        assert not cached_unit_pdf(unit, 3)
    assert [r for r in caplog.records if "unit.pdf: damaged cache entry" in r.getMessage()]
    assert not unit.exists()
    keep_unit_pdf(_pdf(unit, 3), 3)
    assert not cached_unit_pdf(unit, 4)  # not the page count the build expects
    _pdf(unit, 3)  # written before digests were recorded: opened by pikepdf, then sealed
    assert cached_unit_pdf(unit, 3) and integrity.sidecar(unit).is_file()
    integrity.sidecar(unit).unlink()
    unit.write_bytes(unit.read_bytes()[:200])
    assert not cached_unit_pdf(unit, 3)
    _pdf(unit, 3).write_bytes(unit.read_bytes()[:200])
    with pytest.raises(RenderError, match="unit.pdf.*cannot read the PDF"):
        merge_pdfs([unit], tmp_path / "atlas.pdf", tagged=False)


def test_chapter_entry_of_the_wrong_shape_is_a_miss(tmp_path, caplog):
    """A chapter HTML entry with a good digest but not a chapter's shape (no TypeError), or
    damaged, is a miss; a good one gives back the same chapter."""
    from reports.documents.atlas.caches import cached_html, keep_html
    from reports.paths import Paths
    from reports.render.attachments import CsvFile

    paths, folder = Paths(root=tmp_path), tmp_path / "html"
    chapter = (
        "84",
        "<p>Auvergne</p>",
        {"figures": [{"id": "M01"}]},
        (CsvFile("a.csv", "d", b"x,-3.2\n"),),
    )
    keep_html(folder, "k", chapter)
    assert cached_html(folder, "k", "84", paths) == chapter
    entry = folder / "k-84.json"
    for wrong in (
        b'["84", "<p>x</p>", {}, []]',
        b'{"unit": "84", "html": 3, "figures": {}, "files": []}',
    ):
        integrity.store(entry, wrong)
        with caplog.at_level(logging.WARNING, "reports.cache"):
            assert cached_html(folder, "k", "84", paths) is None
        assert "wrong shape" in caplog.records[-1].getMessage()
        assert not entry.exists()
    keep_html(folder, "k", chapter)
    entry.write_bytes(entry.read_bytes()[:-10])
    assert cached_html(folder, "k", "84", paths) is None


class _Crafted:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_crafted_chapter_pickle_is_never_run(tmp_path):
    """No cache is a pickle: a crafted pickle put where the chapter HTML was kept (or under the
    new name, with a forged digest) runs nothing, and the build prunes it."""
    from reports.documents.atlas.caches import cached_html, prune_html
    from reports.paths import Paths

    folder, marker = tmp_path / "html", tmp_path / "pwned"
    folder.mkdir()
    crafted = pickle.dumps(_Crafted(marker))
    (folder / "k-84.pickle").write_bytes(crafted)
    integrity.store(folder / "k-84.json", crafted)
    assert cached_html(folder, "k", "84", Paths(root=tmp_path)) is None
    assert not marker.exists()
    prune_html(folder, "k")
    assert not (folder / "k-84.pickle").exists()
    loads = re.compile(r"\bpickle\.loads?\(|^\s*(import pickle|from pickle)", re.MULTILINE)
    assert not [p for p in (ROOT / "reports").rglob("*.py") if loads.search(p.read_text())]


# --- the CSV attachments ------------------------------------------------------------------------
def test_spreadsheet_formulas_are_neutralised():
    """OWASP: a text cell starting with = + - @ tab or CR gets a leading quote; numbers (the
    negative ones too) stay numbers."""
    from reports.render.attachments import csv_bytes, iter_rows, spreadsheet_safe

    for text in (HOSTILE_NAME, "+33 1 23", "-1+2", "@SUM(A1)", "\tx", "\rx", "-"):
        assert spreadsheet_safe(text) == "'" + text
    for value in ("-3.2", "-3,2", "-12", "+4", "1e-05", "0", "abc", "", "Musée (=)"):
        assert spreadsheet_safe(value) == value
    row = ["M08", "t", "entries", "l", "u", "museum", "M1", HOSTILE_NAME, "2023", "-3.2"]
    (parsed,) = iter_rows(csv_bytes([row + [""] * 8]))
    assert parsed["name"] == "'" + HOSTILE_NAME
    assert parsed["value"] == "-3.2"


def test_museum_named_like_a_formula_is_text_in_the_attachments(broken, env, tmp_path):
    """End to end: a museum of Corse named ``=HYPERLINK(…)`` in data/ is a text cell of the
    fiche's CSV attachments; its numbers are written as they are."""
    museums = broken / "data" / "museums.csv"
    with museums.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    target = next(r for r in rows if r["region"] == "94" and r["entries_last"])
    target["name"] = HOSTILE_NAME
    with museums.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    manifest = broken / "data" / "manifest.json"  # as `atlas data build` would record it
    if manifest.is_file():
        record = json.loads(manifest.read_text(encoding="utf-8"))
        record["outputs"]["museums.csv"]["sha256"] = integrity.digest(museums.read_bytes())
        manifest.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
    out = tmp_path / "corse.pdf"
    result = fiche(broken, env, out)
    assert result.returncode == 0, result.stderr
    cells = []
    with pikepdf.Pdf.open(out) as pdf:
        for spec in pdf.attachments.values():
            text = spec.get_file().read_bytes().decode("utf-8")
            cells += [
                row
                for row in csv.DictReader(io.StringIO(text))
                if (row["level"], row["code"]) == ("museum", target["museofile"])
            ]
    assert cells and all(row["name"] == "'" + HOSTILE_NAME for row in cells)
    assert {row["value"] for row in cells} >= {target["entries_last"]}  # numbers as they are
