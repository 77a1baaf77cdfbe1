"""What an atlas build keeps between runs: chapter HTML by a digest of its inputs, page
counts and anchors by a hash of a unit's HTML, and the digests that key unit PDFs."""

from __future__ import annotations

import hashlib
import json
import pickle
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import reports
from reports import __version__
from reports.documents.atlas.units import Unit, budget
from reports.paths import Paths
from reports.render.pdf import (
    atomic_write,
)

CACHE_VERSION = "1"


# --- chapter HTML cache -----------------------------------------------------------------------
#: libraries whose version can change a chapter's HTML (number formatting, figure keys)
_HTML_LIBRARIES = ("jinja2", "pandas", "numpy", "matplotlib", "geopandas", "shapely", "pyproj")
_IMG_SRC = re.compile(r'<img\b[^>]*?\bsrc="([^"]+)"', re.IGNORECASE)


def html_key(paths: Paths, dpi: int, attach: bool) -> str:
    """Digest of everything a chapter's HTML is made from: the derived data, layouts.yaml, the
    templates, the code of the package and the versions of the libraries that format numbers
    or draw figures (a figure's file name is a digest of its inputs)."""
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
    return h.hexdigest()[:32]


def cached_html(directory: Path, key: str, unit_id: str, paths: Paths) -> tuple | None:
    """A chapter's (id, HTML, figure list, CSV files) kept for ``key``, if every image it
    shows is still there (a cleared figure cache makes the chapter build again)."""
    try:
        result = pickle.loads((directory / f"{key}-{unit_id}.pickle").read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    for src in _IMG_SRC.findall(result[1]):
        url = urlparse(src)
        if url.scheme == "data":
            continue
        path = Path(unquote(url.path)) if url.scheme == "file" else paths.root / src
        if not path.is_file():
            return None
    return result


def keep_html(directory: Path, key: str, result: tuple) -> None:
    data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    atomic_write(directory / f"{key}-{result[0]}.pickle", lambda tmp: tmp.write_bytes(data))


def prune_html(directory: Path, key: str) -> None:
    """Drop the chapters kept for other keys (older data, templates or code)."""
    for f in directory.glob("*.pickle"):
        if not f.name.startswith(f"{key}-"):
            f.unlink(missing_ok=True)


# --- page-count cache -------------------------------------------------------------------------
class PageCache:
    """Content hash → (pages, anchors); unit id → last (pages, anchors) as a guess."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = {"version": CACHE_VERSION, "by_hash": {}, "by_unit": {}}
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if data.get("version") == CACHE_VERSION:
                    self.data = data
            except (OSError, ValueError):
                pass

    def lookup(self, u: Unit) -> None:
        hit = self.data["by_hash"].get(u.key)
        if hit:
            u.pages, u.anchors, u.known = hit["pages"], hit["anchors"], "hash"
            return
        stale = self.data["by_unit"].get(u.id)
        if stale:
            u.pages, u.anchors, u.known = stale["pages"], stale["anchors"], "stale"
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
        atomic_write(self.path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


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
    """Keep only the unit PDFs of the last build (bounded cache)."""
    for f in pdf_dir.glob("*.pdf"):
        if f not in keep:
            f.unlink(missing_ok=True)
