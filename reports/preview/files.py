"""Preview paths and safe file lookup: what the preview may read and serve from the project."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from reports.paths import Paths


@dataclass(frozen=True)
class PreviewPaths(Paths):
    """:class:`Paths` whose templates directory can be replaced (tests edit a copy)."""

    templates_override: Path | None = None

    @property
    def templates(self) -> Path:
        if self.templates_override is not None:
            return Path(self.templates_override)
        return self.root / "templates"

    @property
    def preview_assets(self) -> Path:
        """The preview's own pages and scripts (never the print templates)."""
        return self.root / "templates" / "preview"


#: longest path served (a longer one is a 404, whatever the file system says)
MAX_PATH = 1024


def safe_file(base: Path, rel: str) -> Path | None:
    """``base/rel`` if it is a regular file inside ``base``; None for anything else.

    Refuses ``..``, ``.`` and hidden segments, absolute paths, backslashes, NUL, paths longer
    than :data:`MAX_PATH` or that the file system cannot look up, and symlinks that resolve
    outside ``base``.
    """
    if not rel or len(rel) > MAX_PATH or "\x00" in rel or "\\" in rel or rel.startswith("/"):
        return None
    parts = PurePosixPath(rel).parts
    if not parts or any(p in {".", ".."} or p.startswith(".") for p in parts):
        return None
    try:  # a name too long for the file system, a loop of links…: not a file
        root = base.resolve()
        target = (root / rel).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            return None
    except (OSError, RuntimeError, ValueError):
        return None
    return target
