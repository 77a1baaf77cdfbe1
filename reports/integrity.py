"""Cache entries that prove their content, and PDFs checked before they replace an output.

Every cache entry (a figure PNG or SVG, a fiche PDF, an atlas unit PDF, a chapter's HTML)
is written with a *sidecar* ``<name>.sha256``: one line of JSON with the SHA-256 and size
of the entry's bytes, and what else its reader expects of it (a PDF's page count). The
entry's name is the hash of its *inputs* (it is known before the entry is drawn or laid
out); the sidecar holds the hash of its *content*. :func:`read_entry` gives an entry's bytes
only when they match their sidecar: a truncated, garbled, emptied or swapped file is a
miss — removed with one log line, then built again by the caller — never an output.

Entries written before sidecars existed are checked by their format instead (``validate``:
a PNG's chunks and CRCs, an SVG's XML, a PDF opened by pikepdf) and sealed if they pass.

Writes are atomic (temporary file in the same directory, renamed) and leave no temporary
file behind when they fail (a full disk); the failure is a one-line
:class:`~reports.errors.RenderError` naming the file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reports.errors import RenderError

log = logging.getLogger("reports.cache")

SIDECAR = ".sha256"

#: ``validate(data) -> problem or None`` of an entry without a sidecar
Validator = Callable[[bytes], "str | None"]


def sidecar(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- writing ----------------------------------------------------------------------------------
def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file renamed onto it; on failure the
    temporary file is removed and the error is a :class:`RenderError` naming ``path``."""
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        name = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
        # created like any file (0o666 less the umask), not with mkstemp's 0o600
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        tmp = name
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        tmp.replace(path)
        tmp = None
    except OSError as exc:
        raise write_error(path, exc) from None
    finally:
        if tmp is not None:  # the write failed: no temporary file is left behind
            tmp.unlink(missing_ok=True)
    return path


def write_error(path: Path, exc: OSError) -> RenderError:
    """A failed write (full disk, no permission) as a one-line error naming ``path``."""
    return RenderError(
        f"cannot write the file ({exc.strerror or exc})",
        where=str(path),
        hint="free some disk space or check the folder's permissions, then build again",
    )


def seal(path: Path, data: bytes | None = None, **expected: Any) -> None:
    """Record the digest of the entry at ``path`` (``data``: its bytes, if at hand) and
    ``expected`` facts (e.g. ``pages=12``) in its sidecar."""
    data = path.read_bytes() if data is None else data
    record = {"sha256": digest(data), "size": len(data), **expected}
    write_atomic(sidecar(path), (json.dumps(record, sort_keys=True) + "\n").encode())


def store(path: Path, data: bytes, **expected: Any) -> Path:
    """Write a cache entry and its sidecar (both atomically: a reader sees the old entry, the
    new one, or an entry without sidecar, which it checks by format)."""
    write_atomic(path, data)
    seal(path, data, **expected)
    return path


# --- reading ----------------------------------------------------------------------------------
def read_entry(path: Path, validate: Validator | None = None, **expected: Any) -> bytes | None:
    """The bytes of the cache entry at ``path`` if they are intact, else None (a miss).

    Intact: the sidecar's digest and size match (and its ``expected`` facts, e.g. the page
    count the reader needs); without a sidecar, ``validate`` finds no problem (the entry is
    then sealed). A damaged entry is removed, with one warning on the ``reports.cache`` log.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return _bad(path, f"unreadable ({exc.strerror or exc})")
    try:
        record = json.loads(sidecar(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        record = None
    except (OSError, ValueError):
        return _bad(path, "its digest file is unreadable")
    if record is None:
        problem = validate(data) if validate else "no digest recorded"
        if problem:
            return _bad(path, problem)
        with contextlib.suppress(RenderError):  # a read-only cache is still read
            seal(path, data, **expected)
        return data
    if not isinstance(record, dict) or record.get("sha256") != digest(data):
        size = record.get("size") if isinstance(record, dict) else None
        return _bad(path, f"content does not match its digest: {len(data)} bytes, {size} expected")
    for key, value in expected.items():
        if record.get(key) != value:
            return _bad(path, f"{key} {record.get(key)!r}, {value!r} expected")
    return data


def recorded(path: Path) -> dict[str, Any]:
    """What the sidecar of ``path`` records (``sha256``, ``size``, e.g. ``pages``), or {}."""
    try:
        record = json.loads(sidecar(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def intact(path: Path, validate: Validator | None = None, **expected: Any) -> bool:
    """:func:`read_entry` for a caller that only needs to know (the file is read later)."""
    return read_entry(path, validate, **expected) is not None


def discard(path: Path) -> None:
    """Remove an entry and its sidecar."""
    path.unlink(missing_ok=True)
    sidecar(path).unlink(missing_ok=True)


def _bad(path: Path, problem: str) -> None:
    log.warning(
        "atlas: warning: %s: damaged cache entry (%s) — removed, built again", path, problem
    )
    discard(path)
    return None


# --- validators of entries without a sidecar ----------------------------------------------
def png_problem(data: bytes) -> str | None:
    """What is wrong with a PNG file (truncated, garbled: every chunk's CRC), or None."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return "not a PNG file"
    pos, first = 8, True
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data):
            return f"truncated in chunk {kind!r}"
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(data[pos + 4 : end - 4]) != crc:
            return f"bad CRC in chunk {kind!r}"
        if first and kind != b"IHDR":
            return "no IHDR chunk first"
        first = False
        if kind == b"IEND":
            return None if end == len(data) else "data after IEND"
        pos = end
    return "truncated (no IEND chunk)"


def svg_problem(data: bytes) -> str | None:
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        return f"not well-formed SVG ({exc})"
    return None if root.tag.endswith("svg") else "not an SVG document"


def pdf_problem(data: bytes | Path, pages: int | None = None) -> str | None:
    """What is wrong with a PDF (pikepdf cannot open it, no page, not ``pages`` pages)."""
    import io

    import pikepdf

    source = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    try:
        with pikepdf.Pdf.open(source) as pdf:
            count = len(pdf.pages)
    except Exception as exc:  # pikepdf.PdfError and the like: an unreadable file
        text = " ".join(str(exc).split())
        return f"not a readable PDF ({type(exc).__name__}: {text[:120]})"
    if count == 0:
        return "a PDF without any page"
    if pages is not None and count != pages:
        return f"{count} pages, {pages} expected"
    return None


def pdf_validator(pages: int | None = None) -> Validator:
    return lambda data: pdf_problem(data, pages)


def check_pdf(path: Path, target: Path | None = None, *, pages: int | None = None) -> None:
    """Raise a :class:`RenderError` unless ``path`` is a readable PDF with pages (``pages`` of
    them): what every PDF written here passes before it is renamed onto ``target`` (the
    ``check`` of :func:`reports.render.pdf.atomic_write`)."""
    problem = pdf_problem(path, pages)
    if problem:
        raise RenderError(
            f"the PDF written is not valid ({problem}); the previous file is kept",
            where=str(target or path),
            hint="build again; if it persists, run `make clean` and report the problem",
        )
