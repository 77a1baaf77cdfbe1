"""Checked readers for raw source files, with provenance.

Every read goes through :func:`read_csv` or :func:`read_excel`, which
 * fail with a :class:`~reports.errors.DataError` naming the file, sheet and column when the
   file is missing, unreadable or lacks a required column (with the columns that were found);
 * return strings only (``dtype=str``, empty cells as ``""``): each theme module converts
   explicitly, so no silent float parsing of codes like ``"01"``;
 * record a :class:`SourceRead` (relative path, sha256, rows read) in the :class:`BuildLog`, to
   which theme modules add rows kept and rows unplaced (with examples) for ``data/BUILD.md``.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from reports.errors import DataError


@dataclass
class SourceRead:
    path: str  # relative to the sources directory
    sheet: str | None
    sha256: str
    rows_read: int
    rows_kept: int | None = None
    unplaced: int = 0
    unplaced_examples: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class BuildLog:
    """Collects provenance for every file read during one ``atlas data build``."""

    sources_dir: Path
    reads: dict[str, SourceRead] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: EPCI level (reports.data.sources.epci): (source, rows, unplaced, examples)
    placements: list[tuple[str, int, int, list[str]]] = field(default_factory=list)

    def key(self, rel: str, sheet: str | None) -> str:
        return f"{rel}#{sheet}" if sheet else rel

    def record(self, rel: str, sheet: str | None, sha: str, rows: int) -> SourceRead:
        k = self.key(rel, sheet)
        if k not in self.reads:
            self.reads[k] = SourceRead(rel, sheet, sha, rows)
        return self.reads[k]

    def kept(self, rel: str, rows: int, sheet: str | None = None) -> None:
        self.reads[self.key(rel, sheet)].rows_kept = rows

    def unplaced(
        self, rel: str, examples: list[str], sheet: str | None = None, note: str | None = None
    ) -> None:
        r = self.reads[self.key(rel, sheet)]
        r.unplaced += len(examples)
        r.unplaced_examples.extend(examples[:10])
        if note:
            r.notes.append(note)

    def note(self, rel: str, text: str, sheet: str | None = None) -> None:
        self.reads[self.key(rel, sheet)].notes.append(text)


_SHA_CACHE: dict[Path, str] = {}


def sha256_of(path: Path) -> str:
    if path not in _SHA_CACHE:
        h = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        _SHA_CACHE[path] = h.hexdigest()
    return _SHA_CACHE[path]


def normalise_header(name: str) -> str:
    """Collapse whitespace/newlines in a header cell and strip BOMs (SPR headers, §3.6)."""
    name = name.replace("\ufeff", "")
    name = unicodedata.normalize("NFC", name)
    return " ".join(name.split())


def _resolve(log: BuildLog, rel: str) -> Path:
    path = log.sources_dir / rel
    if not path.is_file():
        raise DataError(
            "source file not found",
            where=str(path),
            hint="check --sources (or ATLAS_SOURCES) points at shared/data/sources "
            "and that the file is there, see SOURCES.md",
        )
    return path


def _check_columns(df: pd.DataFrame, required: list[str], where: str) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        found = ", ".join(repr(c) for c in df.columns[:30])
        raise DataError(
            f"missing column(s) {', '.join(repr(c) for c in missing)}; found: {found}",
            where=where,
            hint="the source layout changed: update the reader in reports/data/sources/ or restore "
            "the original file",
        )


def read_csv(
    log: BuildLog,
    rel: str,
    required: list[str],
    *,
    sep: str = ";",
    encoding: str = "utf-8-sig",
) -> pd.DataFrame:
    """Read a delimited file as strings; headers normalised with :func:`normalise_header`."""
    path = _resolve(log, rel)
    key = _read_key(path, "csv", sep, encoding)
    if key in _PARSED:
        df = _PARSED[key].copy()
    else:
        try:
            df = pd.read_csv(
                path,
                sep=sep,
                dtype=str,
                keep_default_na=False,
                encoding=encoding,
                engine="c",
            )
        except (UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
            raise DataError(
                f"cannot parse as CSV ({exc.__class__.__name__}: {str(exc)[:120]})",
                where=str(path),
                hint="the file looks corrupt or is not the expected CSV: restore it from the "
                "source",
            ) from None
        df.columns = [normalise_header(c) for c in df.columns]
        _PARSED[key] = df.copy()
    _check_columns(df, required, str(path))
    log.record(rel, None, sha256_of(path), len(df))
    return df


def read_excel(log: BuildLog, rel: str, sheet: str, required: list[str]) -> pd.DataFrame:
    """Read one sheet of an .xls/.xlsx workbook through python-calamine, all cells as text.

    Numbers come back as text as well (``"643350"``, ``"4239.62"``): callers convert with
    :func:`to_number`.
    """
    from python_calamine import CalamineWorkbook

    path = _resolve(log, rel)
    key = _read_key(path, "sheet", sheet)
    if key in _PARSED:
        df = _PARSED[key].copy()
        _check_columns(df, required, f"{path} [sheet {sheet}]")
        log.record(rel, sheet, sha256_of(path), len(df))
        return df
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for corrupt workbooks
        raise DataError(
            f"cannot open workbook ({exc.__class__.__name__}: {str(exc)[:120]})",
            where=str(path),
            hint="the workbook looks corrupt: restore it from the source",
        ) from None
    if sheet not in wb.sheet_names:
        raise DataError(
            f"sheet {sheet!r} not found; sheets: {', '.join(wb.sheet_names)}",
            where=str(path),
            hint="restore the original workbook or update the reader",
        )
    rows = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    if not rows:
        raise DataError(f"sheet {sheet!r} is empty", where=str(path))
    header = [normalise_header(str(c)) for c in rows[0]]
    body = [[_cell_text(c) for c in r] for r in rows[1:] if any(str(c).strip() for c in r)]
    df = pd.DataFrame(body, columns=header, dtype=str)
    _PARSED[key] = df.copy()
    _check_columns(df, required, f"{path} [sheet {sheet}]")
    log.record(rel, sheet, sha256_of(path), len(df))
    return df


#: parsed source tables of this process, keyed by file (path, mtime, size) and how it was
#: read: the EPCI level re-reads files the themes read (reports.data.sources.epci)
_PARSED: dict[tuple, pd.DataFrame] = {}


def _read_key(path: Path, *how: str) -> tuple:
    st = path.stat()
    return (str(path.resolve()), st.st_mtime_ns, st.st_size, *how)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value).strip()


def to_number(series: pd.Series, *, where: str, column: str) -> pd.Series:
    """Text → float; empty stays NaN (missing, never 0); anything else non-numeric fails."""
    s = series.astype(str).str.strip().str.replace("\u00a0", "", regex=False)
    s = s.str.replace(" ", "", regex=False)
    out = pd.to_numeric(s.where(s != "", None), errors="coerce")
    bad = out.isna() & (s != "") & (s.str.lower() != "nan")
    if bad.any():
        first = series[bad].iloc[0]
        raise DataError(
            f"column {column!r}: {int(bad.sum())} non-numeric value(s), e.g. {first!r} "
            f"(line {int(bad.idxmax()) + 2})",
            where=where,
            hint="fix the value in the source or extend the reader's cleaning rule",
        )
    return out.astype(float)


def parse_latlon(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``"48.87, 2.31"`` or ``"[48.87, 2.31]"`` → (lat, lon) floats; anything else → NaN."""
    s = series.astype(str).str.strip().str.strip("[]")
    parts = s.str.split(",", n=1, expand=True).reindex(columns=[0, 1])
    lat = pd.to_numeric(parts[0].str.strip(), errors="coerce")
    lon = pd.to_numeric(parts[1].str.strip(), errors="coerce")
    return lat.astype(float), lon.astype(float)


def zero_pad_code(series: pd.Series, width: int) -> pd.Series:
    """Codes read as numbers (``"1"``, ``"11.0"``) → zero-padded text (``"01"``, ``"11"``).

    Non-numeric text (``"2A"``, ``"971"``) is kept as is; empty stays empty.
    """
    s = series.astype(str).str.strip()
    num = pd.to_numeric(s, errors="coerce")
    is_int = num.notna() & (num == num.round())
    padded = num.where(is_int).astype("Int64").astype(str).str.zfill(width)
    return s.where(~is_int, padded).where(s != "", "")
