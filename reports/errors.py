"""Exceptions raised by the library; the CLI turns them into one-line messages.

Every error says *where* (file, sheet, line, column or key) and *what to do* (a hint).
"""

from __future__ import annotations

import errno


class ReportsError(Exception):
    """Base class of user-facing errors (bad input, missing data, bad layout)."""

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        self.message = message
        self.where = where
        self.hint = hint
        super().__init__(self.format())

    def format(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f" — {self.hint}"
        return text


class ConfigError(ReportsError):
    """layouts.yaml or a CLI argument is wrong."""


class DataError(ReportsError):
    """A raw source or a derived table is missing or malformed."""


class RenderError(ReportsError):
    """A template, stylesheet or the PDF engine failed."""


class OutputError(ReportsError):
    """An output file cannot be written there (a device, /proc, a read-only folder…)."""


#: errno → what to do about it
_OS_HINTS = {
    errno.EACCES: "check the permissions of the file and of its folder, or write elsewhere (-o)",
    errno.EPERM: "check the permissions of the file and of its folder, or write elsewhere (-o)",
    errno.EROFS: "the file system is read-only: write elsewhere (-o)",
    errno.ENOSPC: "no space left on the device: free some space or write elsewhere (-o)",
    errno.EDQUOT: "disk quota exceeded: free some space or write elsewhere (-o)",
    errno.EFBIG: "file too large for this file system or this process's limit",
    errno.ENOENT: "check the path",
    errno.ENOTDIR: "a part of the path is a file, not a folder: check the path",
    errno.EISDIR: "this is a folder: give a file path",
    errno.ENAMETOOLONG: "use a shorter path",
    errno.EMFILE: "too many open files: raise the limit (ulimit -n)",
    errno.ENOMEM: "out of memory: close other programs or use fewer workers (-j)",
    errno.EIO: "input/output error: check the disk",
}


def from_os_error(exc: OSError, where: str | None = None) -> ReportsError:
    """An environment failure (disk full, permissions, read-only file system…) as one line."""
    name = exc.filename if exc.filename is not None else where
    if exc.filename2 is not None:
        name = f"{exc.filename} → {exc.filename2}"
    what = exc.strerror or str(exc) or type(exc).__name__
    hint = _OS_HINTS.get(exc.errno or 0, "check the path, its permissions and the free space")
    return ReportsError(what, where=None if name is None else str(name), hint=hint)
