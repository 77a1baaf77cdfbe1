"""Exceptions raised by the library; the CLI turns them into one-line messages.

Every error says *where* (file, sheet, line, column or key) and *what to do* (a hint).
"""

from __future__ import annotations


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
