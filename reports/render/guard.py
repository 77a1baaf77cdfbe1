"""Strict rendering: what WeasyPrint only logs becomes an error, and it leaves nothing behind.

* **Warnings** — WeasyPrint reports a CSS syntax error, a font it cannot load, an image or a
  stylesheet it cannot fetch (the URL fetcher refused it, the file is missing) on its
  ``weasyprint`` logger, and goes on: the fiche comes out unstyled, in a fallback font, or
  without its map. :func:`capture` collects those messages with *where* they come from (the
  stylesheet and line, the font file, the image and the SVG that links it, found in the
  frames of the call that logs), and :func:`raise_problems` turns the first one into a
  one-line :class:`~reports.errors.RenderError`. The build renders and writes under it
  (``render_document(strict=True)``, ``write_pdf``); the preview shows the same messages as
  warnings instead. :data:`ALLOWED` lists the messages accepted on purpose: none today — the
  fiches (84, 04, France) and the atlas render without a single warning.
* **Stylesheets** — a block never closed is no warning at all: the end of the file closes
  it, and every rule after the error is silently lost. :func:`stylesheet_problems` checks the
  project's stylesheets before a strict layout (balanced braces, tinycss2 parse errors at
  every depth) and names the file, line and column.
* **Fonts** — a damaged font file is accepted by Fontconfig and fails only when the PDF is
  written ("Unable to subset", glyphs of another font): :func:`font_configuration` checks
  each ``@font-face`` file first (sfnt table directory and checksums) and refuses a missing or
  damaged one with a warning that names it.
* **Temporary folders** — every ``FontConfiguration`` copies the ``@font-face`` fonts into a
  ``/tmp/weasyprint-*`` folder (~870 KB) that WeasyPrint removes only when the object is
  garbage collected, which a worker process that exits never does. :func:`release` removes
  it once the document is written; folders still there when a process ends (the preview,
  a render that failed half-way) are removed at its exit, forked workers included
  (:func:`install_tempdir_cleanup`).
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import shutil
import struct
import sys
import tempfile
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse

from reports.errors import RenderError
from reports.paths import PROJECT_ROOT

T = TypeVar("T")
WEASYPRINT = logging.getLogger("weasyprint")

#: WeasyPrint messages accepted on purpose (regular expressions, each with its reason). None:
#: the project's own documents give no warning, so any warning is a fault worth stopping for.
ALLOWED: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True)
class EngineProblem:
    """One WeasyPrint warning, where it comes from (``file[:line[:column]]``, if known) and
    what else is involved (e.g. the stylesheet of a font)."""

    message: str
    where: str | None = None
    context: str = ""
    engine: bool = True  # logged by WeasyPrint (False: found by this module's checks)


# --- capture ----------------------------------------------------------------------------------
class _Capture(logging.Handler):
    def __init__(self, root: Path) -> None:
        super().__init__(logging.WARNING)
        self.root = root
        self.problems: list[EngineProblem] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            where, context = _locate(sys._getframe(), self.root)
        except Exception:  # locating is a courtesy: never lose the message for it
            where, context = None, ""
        self.problems.append(EngineProblem(record.getMessage(), where, context))


@contextmanager
def capture(root: Path | None = None) -> Iterator[list[EngineProblem]]:
    """Collect WeasyPrint's warnings and errors logged in this block (paths shown relative
    to ``root``, the project by default)."""
    handler = _Capture((root or PROJECT_ROOT).resolve())
    WEASYPRINT.addHandler(handler)
    try:
        yield handler.problems
    finally:
        WEASYPRINT.removeHandler(handler)


def _short(url: str, root: Path) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("", "file"):
        return url
    path = Path(unquote(parsed.path))
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _locate(frame: Any, root: Path) -> tuple[str | None, str]:
    """Where the message being logged comes from, read in the engine's frames: the font file
    of an ``@font-face``, the SVG that links an image, the image fetched, the stylesheet and
    line of a rule or declaration — the first of these that is known, the stylesheet given
    as context of the others."""
    seen: dict[str, str] = {}
    while frame is not None:
        name, local = frame.f_code.co_name, frame.f_locals
        url = local.get("url")
        if name == "add_font_face" and isinstance(url, str):
            seen.setdefault("font", _short(url, root))
        elif name == "get_image_from_uri" and isinstance(url, str):
            seen.setdefault("image", _short(url, root))
        elif name == "image" and isinstance(getattr(local.get("svg"), "url", None), str):
            seen.setdefault("svg", _short(local["svg"].url, root))
        elif name in ("preprocess_stylesheet", "preprocess_declarations"):
            base = local.get("base_url")
            item = local.get("rule") if name == "preprocess_stylesheet" else None
            item = item or local.get("declaration")
            if isinstance(base, str) and base.endswith("/"):  # the HTML document's own CSS
                seen["stylesheet"] = "the document's HTML (a style attribute or <style>)"
                break
            if isinstance(base, str):
                place = _short(base, root)
                line = getattr(item, "source_line", None)
                if line:
                    column = getattr(item, "source_column", None)
                    place += f":{line}" + (f":{column}" if column else "")
                seen["stylesheet"] = place
                break  # the stylesheet: the outermost place worth naming
        frame = frame.f_back
    for kind in ("font", "svg", "image", "stylesheet"):  # the message names the image
        if kind in seen:
            where = seen.pop(kind)
            context = ""
            if kind != "stylesheet" and "stylesheet" in seen:
                context = ("@font-face at " if kind == "font" else "from ") + seen["stylesheet"]
            return where, context
    return None, ""


def _hint(message: str) -> str:
    text = message.lower()
    if text.startswith("css syntax error"):
        return "fix the stylesheet (the rules after the error would be lost)"
    if "font-face" in text or "subset" in text or "glyph" in text:
        return "restore the font files of styles/fonts/ from the repository"
    if "refused" in text:
        return "only files under templates/, styles/, data/ and the cache may be loaded"
    if "image" in text or "svg" in text:
        return "check ATLAS_CACHE, or delete the figure cache to draw the figures again"
    if "stylesheet" in text:
        return "check the stylesheet's path"
    return "fix the stylesheet (WeasyPrint ignored the rule)"


def raise_problems(problems: list[EngineProblem]) -> None:
    """A :class:`RenderError` for the first message not in :data:`ALLOWED` (and how many
    more there were)."""
    bad = [p for p in problems if not any(a.search(p.message) for a in ALLOWED)]
    if not bad:
        return
    first = bad[0]
    text = f"WeasyPrint: {first.message}" if first.engine else first.message
    if first.context:
        text += f" ({first.context})"
    if len(bad) > 1:
        text += f"; and {len(bad) - 1} more"
    raise RenderError(text, where=first.where, hint=_hint(first.message))


def finished(document: Any, write: Callable[[], T], root: Path | None = None) -> T:
    """Run ``write`` (which writes ``document``: images inside SVGs and missing glyphs are
    reported only then) with warnings as errors; the document's font folder is removed after
    (the document is not written again)."""
    try:
        with capture(root) as problems:
            result = write()
        raise_problems(problems)
        return result
    finally:
        release(getattr(document, "font_config", None))


# --- stylesheets ------------------------------------------------------------------------------
_LINK = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_STYLESHEET = re.compile(r"""\brel\s*=\s*["']?stylesheet\b""", re.IGNORECASE)
_HREF = re.compile(r"""\bhref\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_CSS_CHECKS: dict[tuple[str, int, int], tuple[int, int, str] | None] = {}


def linked_stylesheets(html: str, base_url: Path) -> list[Path]:
    """The local files of the ``<link rel="stylesheet">`` of ``html``."""
    out = []
    for link in _LINK.findall(html):
        href = _HREF.search(link)
        if not _STYLESHEET.search(link) or not href:
            continue
        url = urlparse(href.group(1))
        if url.scheme in ("", "file"):
            path = Path(unquote(url.path))
            out.append(path if path.is_absolute() else base_url / path)
    return out


def stylesheet_problems(paths: list[Path], root: Path | None = None) -> list[EngineProblem]:
    """Syntax errors WeasyPrint passes over in silence: a block never closed (the end of the
    file closes it, and every rule after the error is lost), a ``}`` without a block, and the
    parse errors of nested rules. Checked once per file version."""
    root = (root or PROJECT_ROOT).resolve()
    problems = []
    for path in paths:
        try:
            stat = path.stat()
            key = (str(path), stat.st_size, stat.st_mtime_ns)
            if key not in _CSS_CHECKS:
                text = path.read_text(encoding="utf-8", errors="replace")
                _CSS_CHECKS[key] = css_problem(text)
        except OSError:
            continue  # a missing stylesheet is WeasyPrint's "Failed to load stylesheet"
        found = _CSS_CHECKS[key]
        if found:
            line, column, message = found
            where = f"{_short(path.as_uri(), root)}:{line}:{column}"
            problems.append(EngineProblem(f"CSS syntax error: {message}", where, engine=False))
    return problems


def css_problem(text: str) -> tuple[int, int, str] | None:
    """(line, column, message) of the first syntax error of a stylesheet, or None."""
    import tinycss2

    braces = _braces(text)
    if braces:
        return braces

    def walk(nodes: list[Any]) -> tuple[int, int, str] | None:
        for node in nodes:
            if node.type == "error":
                return node.source_line, node.source_column, node.message
            content = getattr(node, "content", None)
            if node.type in ("qualified-rule", "at-rule") and content:
                found = walk(tinycss2.parse_blocks_contents(content))
                if found:
                    return found
        return None

    return walk(tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True))


def _braces(text: str) -> tuple[int, int, str] | None:  # noqa: C901 - a small scanner
    """The first unbalanced brace, outside comments and strings."""
    stack: list[tuple[int, int]] = []
    line, start, i, n = 1, 0, 0, len(text)
    while i < n:
        c = text[i]
        if c == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
        elif c in "\"'":
            end = i + 1
            while end < n and text[end] not in (c, "\n"):
                end += 2 if text[end] == "\\" else 1
            end += 1
        elif c == "\\":
            end = i + 2
        else:
            if c == "{":
                stack.append((line, i - start + 1))
            elif c == "}":
                if not stack:
                    return line, i - start + 1, "'}' closes no block"
                stack.pop()
            end = i + 1
        newlines = text.count("\n", i, end)
        if newlines:
            line += newlines
            start = text.rfind("\n", i, end) + 1
        i = end
    if stack:
        line, column = stack[-1]  # the last block left open: where the nesting went wrong
        return line, column, f"the block opened here is never closed ({len(stack)} '{{' unclosed)"
    return None


# --- fonts ------------------------------------------------------------------------------------
@cache
def _font_class() -> type:
    from weasyprint.text.fonts import FontConfiguration

    class CheckedFonts(FontConfiguration):
        """A FontConfiguration that refuses missing and damaged ``@font-face`` files."""

        def add_font_face(self, rule_descriptors: dict, url_fetcher: Any) -> Any:
            sources = []
            for kind, url in rule_descriptors.get("src", ()):
                if kind == "external" and isinstance(url, str) and url.startswith("file:"):
                    path = Path(unquote(urlparse(url).path))
                    problem = font_problem(path)
                    if problem:  # logged in a frame named add_font_face: _locate finds url
                        family = rule_descriptors.get("font_family")
                        WEASYPRINT.warning(
                            "Font-face %r cannot be loaded: the font file is %s", family, problem
                        )
                        continue
                sources.append((kind, url))
            descriptors = {**rule_descriptors, "src": sources}
            if not sources:
                return None
            return super().add_font_face(descriptors, url_fetcher)

    return CheckedFonts


def font_configuration() -> Any:
    """A WeasyPrint ``FontConfiguration`` that checks the font files it is given."""
    install_tempdir_cleanup()
    return _font_class()()


_SFNT = {b"\x00\x01\x00\x00", b"OTTO", b"true", b"typ1"}
_FONT_CHECKS: dict[tuple[str, int, int], str | None] = {}


def font_problem(path: Path) -> str | None:
    """What is wrong with a font file (missing, truncated, garbled), or None. TrueType and
    OpenType: the table directory fits in the file and every table's checksum is right;
    WOFF/WOFF2: the length in the header. Results are kept by (path, size, mtime)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _FONT_CHECKS:
        try:
            _FONT_CHECKS[key] = _sfnt_problem(path.read_bytes())
        except OSError as exc:
            _FONT_CHECKS[key] = f"unreadable ({exc.strerror or exc})"
    return _FONT_CHECKS[key]


def _checksum(data: bytes) -> int:
    words = array("I", data + b"\0" * (-len(data) % 4))
    if sys.byteorder == "little":
        words.byteswap()
    return sum(words) & 0xFFFFFFFF


def _sfnt_problem(data: bytes) -> str | None:
    if data[:4] in (b"wOFF", b"wOF2"):
        if len(data) < 12:
            return "truncated"
        (length,) = struct.unpack(">I", data[8:12])
        return None if length == len(data) else f"truncated ({len(data)} bytes, {length} expected)"
    if data[:4] not in _SFNT or len(data) < 12:
        return "empty" if not data else "not a font file"
    (tables,) = struct.unpack(">H", data[4:6])
    if len(data) < 12 + 16 * tables:
        return "truncated"
    for i in range(tables):
        tag, checksum, offset, length = struct.unpack(">4sIII", data[12 + 16 * i : 28 + 16 * i])
        if offset + length > len(data):
            return f"truncated (table {tag.decode('latin-1')!r} ends past the end of the file)"
        table = data[offset : offset + length]
        if tag == b"head" and length >= 12:
            table = table[:8] + b"\0\0\0\0" + table[12:]  # checksumAdjustment is not summed
        if _checksum(table) != checksum:
            return f"damaged (table {tag.decode('latin-1')!r} has a wrong checksum)"
    return None


# --- temporary folders ------------------------------------------------------------------------
_FOLDERS: dict[str, int] = {}  # font folder → pid of the process that made it
_HOOKED: set[int] = set()  # processes whose exit removes their folders


def _cleanup() -> None:
    pid = os.getpid()
    for folder, owner in list(_FOLDERS.items()):
        if owner == pid:
            shutil.rmtree(folder, ignore_errors=True)
            _FOLDERS.pop(folder, None)


def _tracked_mkdtemp(*args: Any, **kwargs: Any) -> str:
    folder = tempfile.mkdtemp(*args, **kwargs)
    pid = os.getpid()
    _FOLDERS[folder] = pid
    if pid not in _HOOKED:
        _HOOKED.add(pid)
        atexit.register(_cleanup)  # the main process
        from multiprocessing import util

        util.Finalize(None, _cleanup, exitpriority=10)  # a forked worker (no atexit there)
    return folder


@cache
def install_tempdir_cleanup() -> None:
    """Track the font folders WeasyPrint makes (``weasyprint.text.fonts.mkdtemp``), so that
    :func:`release` and process exit remove them."""
    from weasyprint.text import fonts

    if getattr(fonts, "mkdtemp", None) is not None:
        fonts.mkdtemp = _tracked_mkdtemp


def release(font_config: Any) -> None:
    """Remove the temporary font folder of a ``FontConfiguration`` whose documents are done."""
    folder = getattr(font_config, "_folder", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        _FOLDERS.pop(str(folder), None)
        font_config._folder = None  # nothing left for its __del__ to remove
