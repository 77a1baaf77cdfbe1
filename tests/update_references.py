"""Write the reference PNGs of ``tests/test_visual.py`` again, after a deliberate layout change::

    .venv/bin/python -m tests.update_references [NAME ...]

Builds only the documents the shots need (the fiches of :data:`tests.test_visual.SHOTS` and, if
one is listed, the atlas), into a temporary folder and through the project's cache (an
unchanged document is not laid out again; same data and code, same PDF bytes), then writes
``tests/reference/<name>.png`` for every shot (or the ``NAME`` ones). Commit them with the
change. ``ATLAS_UPDATE_REFERENCES=1 make test`` does the same from the test session's PDFs.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from tests.test_visual import REFERENCE, SHOTS, compare


def main(argv: list[str]) -> int:
    from reports.documents.atlas.build import build_atlas
    from reports.documents.fiche import build_fiche
    from reports.documents.session import Session

    shots = [s for s in SHOTS if not argv or s.name in argv]
    unknown = set(argv) - {s.name for s in SHOTS}
    if unknown:
        print(f"unknown shot(s) {', '.join(sorted(unknown))}: {', '.join(s.name for s in SHOTS)}")
        return 2
    session = Session.open()
    with tempfile.TemporaryDirectory(prefix="atlas-references-") as tmp:
        pdfs: dict[str, Path] = {}
        for document in dict.fromkeys(s.document for s in shots):
            t0 = time.perf_counter()
            out = Path(tmp) / f"{document}.pdf"
            if document == "atlas":
                pdfs[document] = build_atlas(session, out, progress=False).path
            else:
                pdfs[document] = build_fiche(session, session.territory(document), out)
            print(f"built {document} ({time.perf_counter() - t0:.1f} s)")
        for shot in shots:
            compare(shot, pdfs[shot.document], update=True)
            path = REFERENCE / f"{shot.name}.png"
            print(
                f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}"
                f" ({path.stat().st_size // 1024} KB)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
