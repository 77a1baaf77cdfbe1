"""What an atlas build keeps between runs: chapter HTML by a digest of its inputs, page
counts and anchors by a hash of a unit's HTML, and the digests that key unit PDFs.

Chapter HTML and page counts are kept as JSON (never pickle: a file swapped in the cache
must not run code), unit PDFs as they are; every entry has a digest sidecar
(:mod:`reports.integrity`), checked when it is read: a damaged entry, or one of the wrong
shape or page count, is a miss (built again, one log line)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import reports
from reports import __version__, edition, integrity
from reports.documents import compare
from reports.documents.atlas.units import Unit, budget
from reports.paths import Paths
from reports.render.attachments import CsvFile

CACHE_VERSION = "1"


# --- chapter HTML cache -----------------------------------------------------------------------
#: libraries whose version can change a chapter's HTML (number formatting, figure keys)
_HTML_LIBRARIES = ("jinja2", "pandas", "numpy", "matplotlib", "geopandas", "shapely", "pyproj")
_IMG_SRC = re.compile(r'<img\b[^>]*?\bsrc="([^"]+)"', re.IGNORECASE)


def html_key(paths: Paths, dpi: int, attach: bool) -> str:
    """Digest of everything a chapter's HTML is made from: the derived data, layouts.yaml, the
    edition file, the templates, the code of the package and the versions of the libraries
    that format numbers or draw figures (a figure's file name is a digest of its inputs)."""
    from importlib.metadata import PackageNotFoundError, version

    h = hashlib.sha256(f"{__version__}|{dpi}|{attach}".encode())
    for name in _HTML_LIBRARIES:
        try:
            h.update(f"|{name}={version(name)}".encode())
        except PackageNotFoundError:
            h.update(f"|{name}=-".encode())
    package = Path(reports.__file__).resolve().parent
    for root in (paths.data, paths.templates, package):
        for f in sorted(root.rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts:
                h.update(f"\n{f.relative_to(root)}\n".encode())
                h.update(f.read_bytes())
    h.update(paths.layouts.read_bytes())
    h.update(edition.current().path.read_bytes())  # the years and labels printed
    h.update(compare.key(paths).encode())  # --compare-with: the edition compared with
    return h.hexdigest()[:32]


def _html_entry(directory: Path, key: str, unit_id: str) -> Path:
    return directory / f"{key}-{unit_id}.json"


def cached_html(directory: Path, key: str, unit_id: str, paths: Paths) -> tuple | None:
    """A chapter's (id, HTML, figure list, CSV files) kept for ``key``, if its entry is intact
    and of the right shape, and every image it shows is still there and intact (a cleared or
    damaged figure cache makes the chapter build again: its figures are drawn again)."""
    path = _html_entry(directory, key, unit_id)
    data = integrity.read_entry(path)  # no entry without a digest: pickles are never read
    if data is None:
        return None
    try:
        result = _chapter_from_json(json.loads(data.decode("utf-8")), unit_id)
    except (ValueError, TypeError, KeyError) as exc:
        integrity.log.warning(
            "atlas: warning: %s: chapter cache entry of the wrong shape (%s) — built again",
            path,
            exc,
        )
        integrity.discard(path)
        return None
    for src in _IMG_SRC.findall(result[1]):
        url = urlparse(src)
        if url.scheme == "data":
            continue
        image = Path(unquote(url.path)) if url.scheme == "file" else paths.root / src
        if not integrity.intact(image, _FIGURE_CHECKS.get(image.suffix)):
            return None
    return result


_FIGURE_CHECKS = {".png": integrity.png_problem, ".svg": integrity.svg_problem}


def _chapter_from_json(obj: Any, unit_id: str) -> tuple:
    """(id, HTML, figure list, CSV files) of a chapter entry; TypeError if it is not one."""
    if not isinstance(obj, dict) or obj.get("unit") != unit_id:
        raise TypeError(f"not the entry of chapter {unit_id!r}")
    html, info, files = obj["html"], obj["figures"], obj["files"]
    if not isinstance(html, str) or not isinstance(info, dict) or not isinstance(files, list):
        raise TypeError("html, figures or files of the wrong type")
    csvs = []
    for f in files:
        if not isinstance(f, dict) or not all(
            isinstance(f.get(k), str) for k in ("name", "description", "data")
        ):
            raise TypeError("an attachment of the wrong shape")
        csvs.append(CsvFile(f["name"], f["description"], f["data"].encode("utf-8")))
    return unit_id, html, info, tuple(csvs)


def keep_html(directory: Path, key: str, result: tuple) -> None:
    """Keep a chapter's (id, HTML, figure list, CSV files) for ``key`` (JSON + digest)."""
    unit_id, html, info, files = result
    entry = {
        "unit": unit_id,
        "html": html,
        "figures": info,
        "files": [
            {"name": f.name, "description": f.description, "data": f.data.decode("utf-8")}
            for f in files
        ],
    }
    data = json.dumps(entry, ensure_ascii=False, sort_keys=True).encode("utf-8")
    integrity.store(_html_entry(directory, key, unit_id), data)


def prune_html(directory: Path, key: str) -> None:
    """Drop the chapters kept for other keys (older data, templates or code), and the pickles
    older versions kept (never read)."""
    for f in directory.glob("*.pickle"):
        f.unlink(missing_ok=True)
    for f in directory.glob("*.json"):
        if not f.name.startswith(f"{key}-"):
            integrity.discard(f)


# --- page-count cache -------------------------------------------------------------------------
class PageCache:
    """Content hash → (pages, anchors); unit id → last (pages, anchors) as a guess."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = {"version": CACHE_VERSION, "by_hash": {}, "by_unit": {}}
        raw = integrity.read_entry(path, _json_problem)
        try:
            data = json.loads(raw.decode("utf-8")) if raw is not None else None
        except ValueError:
            data = None
        if (
            isinstance(data, dict)
            and data.get("version") == CACHE_VERSION
            and isinstance(data.get("by_hash"), dict)
            and isinstance(data.get("by_unit"), dict)
        ):
            self.data = data

    def lookup(self, u: Unit) -> None:
        hit = _layout(self.data["by_hash"].get(u.key))
        if hit:
            u.pages, u.anchors, u.known = *hit, "hash"
            return
        stale = _layout(self.data["by_unit"].get(u.id))
        if stale:
            u.pages, u.anchors, u.known = *stale, "stale"
        else:
            u.pages, u.anchors, u.known = budget(u), {}, ""

    def store(self, u: Unit) -> None:
        entry = {"pages": u.pages, "anchors": u.anchors}
        self.data["by_hash"][u.key] = entry
        self.data["by_unit"][u.id] = entry

    def save(self) -> None:
        by_hash = self.data["by_hash"]
        if len(by_hash) > 400:  # keep the cache small: drop the oldest entries
            for k in list(by_hash)[: len(by_hash) - 400]:
                del by_hash[k]
        text = json.dumps(self.data, ensure_ascii=False, sort_keys=False)
        integrity.store(self.path, text.encode("utf-8"))


def _json_problem(data: bytes) -> str | None:
    try:
        json.loads(data.decode("utf-8"))
    except ValueError as exc:
        return f"not JSON ({exc})"
    return None


def _layout(entry: Any) -> tuple[int, dict[str, int]] | None:
    """(pages, anchors) of a page-cache entry, None if it has not that shape (ignored: the
    unit is laid out, and its page count measured)."""
    if not isinstance(entry, dict):
        return None
    pages, anchors = entry.get("pages"), entry.get("anchors")
    if not isinstance(pages, int) or isinstance(pages, bool) or pages < 1:
        return None
    if not isinstance(anchors, dict) or not all(
        isinstance(k, str) and isinstance(v, int) for k, v in anchors.items()
    ):
        return None
    return pages, anchors


def text_hash(text: str, salt: str = "") -> str:
    return hashlib.sha256((salt + text).encode("utf-8")).hexdigest()[:24]


def files_key(files: Iterable[Any]) -> str:
    """Hash of attachments' names and bytes (part of a unit PDF's cache key)."""
    h = hashlib.sha256()
    for f in files:
        h.update(f"{f.name}\0{len(f.data)}\0".encode())
        h.update(f.data)
    return h.hexdigest()[:24]


def prune_pdfs(pdf_dir: Path, keep: set[Path]) -> None:
    """Keep only the unit PDFs of the last build (bounded cache), with their digests."""
    for f in pdf_dir.glob("*.pdf"):
        if f not in keep:
            integrity.discard(f)
    for f in pdf_dir.glob(f"*.pdf{integrity.SIDECAR}"):
        if not f.with_name(f.name.removesuffix(integrity.SIDECAR)).is_file():
            f.unlink(missing_ok=True)


def cached_unit_pdf(path: Path, pages: int) -> bool:
    """Whether the unit PDF kept at ``path`` is intact and has ``pages`` pages (its digest
    and page count recorded when it was written; an older one without: opened by pikepdf)."""
    return integrity.intact(path, integrity.pdf_validator(pages), pages=pages)


def keep_unit_pdf(path: Path, pages: int) -> None:
    """Record the digest and page count of a unit PDF a worker just wrote (and checked)."""
    integrity.seal(path, pages=pages)
