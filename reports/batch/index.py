"""The index of a level's folder: ``index.csv`` (one row per fiche, what a later run reads to
skip the unchanged ones) and ``index.html`` (the same, as an accessible table with links).

``index.csv`` columns: ``code, name, file, pages, sha256, seconds, status, inputs, error`` —
``file`` relative to the folder, ``sha256`` of the PDF's bytes, ``seconds`` the time its build
took (kept when a later run skips it), ``status`` what the last run did (``built``,
``skipped``: unchanged, ``failed``), ``inputs`` the content hash of everything the fiche was
built from (:func:`reports.batch.plan.fiche_key`), ``error`` the one-line error of a failure.
Both files are written atomically.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from reports.errors import DataError
from reports.render.pdf import atomic_write

CSV_NAME = "index.csv"
HTML_NAME = "index.html"

#: what a status is called on the page (the published text is French)
STATUS_FR = {"built": "construite", "skipped": "inchangée", "failed": "échec"}
LEVEL_FR = {"region": "régions", "departement": "départements", "epci": "intercommunalités"}


@dataclass
class Row:
    code: str
    name: str
    file: str = ""
    pages: int | None = None
    sha256: str = ""
    seconds: float | None = None
    status: str = ""
    inputs: str = ""
    error: str = ""


COLUMNS = [f.name for f in fields(Row)]


def read_index(folder: Path) -> dict[str, Row]:
    """The rows of ``folder/index.csv`` by code ({} when there is none)."""
    path = folder / CSV_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    reader = csv.DictReader(io.StringIO(text))
    missing = set(COLUMNS) - set(reader.fieldnames or [])
    if missing:
        raise DataError(
            f"no column {', '.join(sorted(missing))}",
            where=str(path),
            hint="not an index written by `atlas batch`: remove it (every fiche is built again)",
        )
    rows = {}
    for raw in reader:
        rows[raw["code"]] = Row(
            code=raw["code"],
            name=raw["name"],
            file=raw["file"],
            pages=int(raw["pages"]) if raw["pages"] else None,
            sha256=raw["sha256"],
            seconds=float(raw["seconds"]) if raw["seconds"] else None,
            status=raw["status"],
            inputs=raw["inputs"],
            error=raw["error"],
        )
    return rows


def write_index(folder: Path, level: str, rows: Iterable[Row], title: str = "") -> None:
    """``index.csv`` and ``index.html`` of ``rows`` (in that order) in ``folder``."""
    rows = list(rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        values = asdict(row)
        values["seconds"] = "" if row.seconds is None else f"{row.seconds:.2f}"
        values["pages"] = "" if row.pages is None else str(row.pages)
        writer.writerow(values)
    text = buffer.getvalue()
    atomic_write(folder / CSV_NAME, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    page = index_html(level, rows, title)
    atomic_write(folder / HTML_NAME, lambda tmp: tmp.write_text(page, encoding="utf-8"))


def index_html(level: str, rows: list[Row], title: str = "") -> str:
    """A plain page: one table (caption, column headers with ``scope``), a link per PDF."""
    esc = html.escape
    title = title or f"Fiches portrait — {LEVEL_FR.get(level, level)}"
    counts = {s: sum(r.status == s for r in rows) for s in STATUS_FR}
    summary = ", ".join(f"{n} {STATUS_FR[s]}{'s' if n > 1 else ''}" for s, n in counts.items() if n)
    caption = f"{len(rows)} fiche{'s' if len(rows) > 1 else ''}" + (
        f" : {summary}" if summary else ""
    )
    body = []
    for r in rows:
        link = f'<a href="{esc(r.file)}">{esc(r.file)}</a>' if r.file else "—"
        status = STATUS_FR.get(r.status, r.status)
        if r.error:
            status += f' <span class="error">{esc(r.error)}</span>'
        seconds = "" if r.seconds is None else f"{r.seconds:.1f}".replace(".", ",")
        body.append(
            "      <tr>"
            f'<td>{esc(r.code)}</td><th scope="row">{esc(r.name)}</th><td>{link}</td>'
            f'<td class="n">{"" if r.pages is None else r.pages}</td>'
            f'<td class="n">{seconds}</td><td>{status}</td>'
            f"<td><code>{esc(r.sha256[:16])}</code></td></tr>"
        )
    return f"""<!DOCTYPE html>
<html lang="fr">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{esc(title)}</title>
  <style>
    body {{ font-family: "Open Sans", Arial, sans-serif; margin: 2rem; color: #1a1a1a; }}
    table {{ border-collapse: collapse; }}
    caption {{ text-align: left; font-weight: bold; padding-bottom: .5rem; }}
    th, td {{ border-bottom: 1px solid #999; padding: .3rem .6rem; text-align: left; }}
    thead th {{ border-bottom: 2px solid #1a1a1a; }}
    td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
    .error {{ display: block; color: #a00000; font-size: .9em; }}
    a:focus {{ outline: 3px solid #0050b3; }}
  </style>
</head>
<body>
  <main>
    <h1>{esc(title)}</h1>
    <table>
      <caption>{esc(caption)}</caption>
      <thead><tr><th scope="col">Code</th><th scope="col">Territoire</th>\
<th scope="col">Fichier PDF</th><th scope="col">Pages</th><th scope="col">Durée (s)</th>\
<th scope="col">État</th><th scope="col">SHA-256 (début)</th></tr></thead>
      <tbody>
{chr(10).join(body)}
      </tbody>
    </table>
  </main>
</body>
</html>
"""
