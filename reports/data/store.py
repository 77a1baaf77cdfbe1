"""Reads (and, for ``atlas data build``, writes) the committed derived tables in ``data/``.

Downstream code never opens a file of ``data/`` itself: it asks a :class:`Store`.
Codes collide between levels (région ``01`` Guadeloupe, département ``01`` Ain), so every
look-up names its level: ``departement``, ``region`` or ``france`` (codes FR, FRM, DROM).

Every table is checked against the sha256 that ``atlas data build`` recorded in
``data/manifest.json`` the first time this process reads it (a file edited by hand is refused
with a :class:`~reports.errors.DataError`); a directory without ``manifest.json`` (a fixture
written by a test) is read unchecked.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from reports.errors import DataError
from reports.paths import Paths

REQUIRED_FILES = [
    "indicators.csv",
    "indicator_meta.csv",
    "territories.csv",
    "facilities.csv",
    "museums.csv",
    "museum_series.csv",
    "zones_emploi.csv",
    "geo/regions.geojson",
    "geo/departements.geojson",
]


# Files whose sha256 matched their manifest in this process: (path, size, mtime) → True.
_VERIFIED: set[tuple[str, int, int]] = set()


@dataclass(frozen=True)
class Value:
    """One indicator value for one territory; ``value`` is None when n.d./s.o."""

    indicator: str
    level: str
    code: str
    year: int | None
    value: float | None
    status: str = ""  # "", "nd", "so"
    note: str = ""
    rank: int | None = None
    rank_of: int | None = None

    @property
    def missing(self) -> bool:
        return self.value is None


def _clean(v: object) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


class Store:
    """Lazy, read-only access to ``data/``."""

    def __init__(self, paths: Paths | None = None):
        self.paths = paths or Paths()
        self.dir = self.paths.data

    def check(self) -> None:
        missing = [f for f in REQUIRED_FILES if not (self.dir / f).is_file()]
        if missing:
            raise DataError(
                f"derived data missing: {', '.join(missing)}",
                where=str(self.dir),
                hint="run `atlas data build` first",
            )

    @cached_property
    def _digests(self) -> dict[str, str] | None:
        """File (relative to data/) → sha256 from ``manifest.json``; None without manifest."""
        path = self.dir / "manifest.json"
        if not path.is_file():
            return None
        try:
            outputs = json.loads(path.read_text(encoding="utf-8"))["outputs"]
            return {str(name): str(entry["sha256"]) for name, entry in outputs.items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DataError(
                f"manifest unreadable ({exc.__class__.__name__})",
                where=str(path),
                hint="run `atlas data build` (or restore data/ with git)",
            ) from None

    def verified(self, name: str) -> Path:
        """``data/<name>`` once its sha256 matches ``manifest.json`` (hashed once per process)."""
        path = self.dir / name
        digests = self._digests
        if digests is None:
            return path
        stat = path.stat()
        key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
        if key in _VERIFIED:
            return path
        expected = digests.get(name)
        if expected is None:
            raise DataError(
                "not listed in manifest.json: not written by `atlas data build`",
                where=str(path),
                hint="run `atlas data build` to regenerate data/",
            )
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        if actual != expected:
            raise DataError(
                f"changed by hand: sha256 {actual[:12]}… ≠ {expected[:12]}… recorded in "
                "manifest.json",
                where=str(path),
                hint="run `atlas data build` to regenerate data/ (or restore the file with git)",
            )
        _VERIFIED.add(key)
        return path

    def _csv(self, name: str, **kw) -> pd.DataFrame:
        path = self.dir / name
        if not path.is_file():
            raise DataError("derived table missing", where=str(path), hint="run `atlas data build`")
        try:
            return pd.read_csv(self.verified(name), keep_default_na=False, na_values=[""], **kw)
        except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise DataError(
                f"unreadable table: {' '.join(str(exc).split())[:200]}",
                where=str(path),
                hint="run `atlas data build` to regenerate data/ (or restore the file with git)",
            ) from None

    # --- tables -------------------------------------------------------------------------
    def _tidy(self, name: str) -> pd.DataFrame:
        """A tidy indicator table: codes as text, empty status and note as ``""``."""
        df = self._csv(name, dtype={"code": str, "status": str, "note": str})
        df["status"] = df["status"].fillna("")
        df["note"] = df["note"].fillna("")
        return df

    @cached_property
    def indicators(self) -> pd.DataFrame:
        return self._tidy("indicators.csv")

    @cached_property
    def epci_indicators(self) -> pd.DataFrame:
        """Level ``epci`` (``epci_indicators.csv``, ATLAS_SPEC §8): read only when asked."""
        return self._tidy("epci_indicators.csv")

    @cached_property
    def _index(self) -> _ValueIndex:
        """(indicator, level, code) → values sorted by year; plain objects (fast look-ups)."""
        return _ValueIndex(self.indicators)

    @cached_property
    def _epci_index(self) -> _ValueIndex:
        return _ValueIndex(self.epci_indicators)

    def _index_of(self, level: str) -> _ValueIndex:
        return self._epci_index if level == EPCI else self._index

    @cached_property
    def meta(self) -> pd.DataFrame:
        return self._csv("indicator_meta.csv", dtype=str).set_index("id", drop=False)

    @cached_property
    def territories(self) -> pd.DataFrame:
        return self._csv("territories.csv", dtype=str)

    @cached_property
    def facilities(self) -> pd.DataFrame:
        return self._csv(
            "facilities.csv",
            dtype={"id": str, "commune": str, "departement": str, "region": str, "category": str},
        )

    @cached_property
    def museums(self) -> pd.DataFrame:
        """One row per museum and région; ``ville`` is the commune's official name where the
        communes of the EPCI know it (the source writes ``ORGNAC L AVEN``), else the
        source's."""
        m = self._csv("museums.csv", dtype={"commune": str, "departement": str, "region": str})
        official = m["commune"].map(self._commune_names)
        m["ville"] = official.where(official.notna(), m["ville"])
        return m

    @cached_property
    def museum_series(self) -> pd.DataFrame:
        """The historical museum series (France and régions; ATLAS_SPEC §4)."""
        return self._csv("museum_series.csv", dtype={"code": str})

    @cached_property
    def zones_emploi(self) -> pd.DataFrame:
        return self._csv("zones_emploi.csv", dtype={"code": str, "region": str})

    def geometries(self, level: str):
        """GeoDataFrame of ``region`` or ``departement`` polygons (WGS84)."""
        import geopandas as gpd

        name = {"region": "regions", "departement": "departements"}[level]
        path = self.dir / "geo" / f"{name}.geojson"
        if not path.is_file():
            raise DataError("geometry missing", where=str(path), hint="run `atlas data build`")
        return gpd.read_file(self.verified(f"geo/{name}.geojson"))

    # --- look-ups -----------------------------------------------------------------------
    def rows(self, indicator: str, level: str, code: str) -> list[Value]:
        try:
            return self._index_of(level)[(indicator, level, code)]
        except KeyError:
            raise DataError(
                f"no value for indicator {indicator!r} at {level} {code!r}",
                where=str(
                    self.dir / ("epci_indicators.csv" if level == EPCI else "indicators.csv")
                ),
                hint="rebuild with `atlas data build` or fix the indicator id in layouts.yaml",
            ) from None

    def get(self, indicator: str, level: str, code: str, year: int | None = None) -> Value:
        """The value of ``year``, or of the latest year when ``year`` is None."""
        values = self.rows(indicator, level, code)
        if year is None:
            return values[-1]
        for v in values:
            if v.year == year:
                return v
        raise DataError(
            f"no {year} value for {indicator!r} at {level} {code!r}",
            where=str(self.dir / "indicators.csv"),
        )

    def value(self, indicator: str, level: str, code: str, year: int | None = None) -> float | None:
        return self.get(indicator, level, code, year).value

    def series(self, indicator: str, level: str, code: str) -> pd.Series:
        """Values by year (NaN where n.d.), sorted by year."""
        values = self.rows(indicator, level, code)
        return pd.Series(
            [float("nan") if v.value is None else v.value for v in values],
            index=[v.year for v in values],
            dtype=float,
        )

    @cached_property
    def _codes(self) -> dict[tuple[str, str], list[str]]:
        """(indicator, level) → its codes, in file order (from the look-up index)."""
        return _codes_of(self._index)

    @cached_property
    def _epci_codes(self) -> dict[tuple[str, str], list[str]]:
        return _codes_of(self._epci_index)

    def level_values(self, indicator: str, level: str, year: int | None = None) -> pd.Series:
        """All codes of ``level`` → value at ``year`` (default: the latest year of the
        indicator at that level; NaN where n.d.), for maps and rankings."""
        index = self._index_of(level)
        codes_of = self._epci_codes if level == EPCI else self._codes
        series = [
            (code, index[(indicator, level, code)]) for code in codes_of.get((indicator, level), [])
        ]
        if year is None:
            years = [v.year for _, values in series for v in values if v.year is not None]
            year = max(years, default=None)
        codes, out = [], []
        for code, values in series:
            for v in values:
                if v.year == year:
                    codes.append(code)
                    out.append(float("nan") if v.value is None else v.value)
        return pd.Series(out, index=codes, dtype=float)

    def components(self, prefix: str) -> list[str]:
        """Dotted sub-indicators of ``prefix`` (``C04`` → ``C04.tres_dense``, …) in meta order."""
        ids = self.meta["id"]
        return [i for i in ids if i.startswith(prefix + ".")]

    @cached_property
    def _meta_records(self) -> dict[str, dict[str, str]]:
        return {
            str(k): {c: "" if pd.isna(v) else str(v) for c, v in row.items()}
            for k, row in self.meta.iterrows()
        }

    def info(self, indicator: str) -> dict[str, str]:
        """The ``indicator_meta.csv`` row of ``indicator`` as strings, empty where missing (a
        fast look-up: the formatting of every printed number asks for decimals and unit)."""
        return self._meta_records[indicator]

    def label(self, indicator: str) -> str:
        return self.info(indicator)["label"]

    @cached_property
    def _territory_rows(self) -> dict[tuple[str, str], int]:
        """(level, code) → position of its first row in ``territories``."""
        t = self.territories
        rows: dict[tuple[str, str], int] = {}
        for i, key in enumerate(zip(t["level"], t["code"], strict=True)):
            rows.setdefault(key, i)
        return rows

    def territory(self, level: str, code: str) -> pd.Series:
        i = self._territory_rows.get((level, code))
        if i is None:
            raise DataError(f"unknown {level} {code!r}", where=str(self.dir / "territories.csv"))
        return self.territories.iloc[i]

    def departements_of(self, region: str) -> list[str]:
        t = self.territories
        return list(t[(t["level"] == "departement") & (t["region"] == region)]["code"])

    # --- intercommunalités (ATLAS_SPEC §8) ------------------------------------------------
    @cached_property
    def epcis(self) -> pd.DataFrame:
        """One row per EPCI: code (SIREN), name, slug, type, group, departement (where it is
        placed), departements (``;``-joined, most populous first), region, zone, communes."""
        return self._csv("epci.csv", dtype=str).set_index("code", drop=False)

    @cached_property
    def epci_communes(self) -> pd.DataFrame:
        """The member communes of every EPCI: commune, name, epci, population, departement."""
        return self._csv("epci_communes.csv", dtype={"commune": str, "epci": str,
                                                      "departement": str})  # fmt: skip

    @cached_property
    def _commune_names(self) -> dict[str, str]:
        """INSEE code → official name, from the member communes of the EPCI (a commune of
        no EPCI, such as Ouessant, is missing)."""
        if not (self.dir / "epci_communes.csv").is_file():  # a data folder without EPCI
            return {}
        c = self.epci_communes
        return dict(zip(c["commune"], c["name"], strict=True))

    @cached_property
    def epci_points(self) -> pd.DataFrame:
        """The located facilities of every EPCI: epci, type, id, name, lon, lat."""
        return self._csv("epci_points.csv", dtype={"epci": str, "id": str})

    def epci(self, code: str) -> pd.Series:
        try:
            return self.epcis.loc[code]
        except KeyError:
            raise DataError(f"unknown EPCI {code!r}", where=str(self.dir / "epci.csv")) from None


EPCI = "epci"


class _ValueIndex:
    """A tidy indicator table as (indicator, level, code) → values sorted by year; the values
    of a key are made when first asked for (a fiche asks for ~800 keys of ~8 000)."""

    def __init__(self, df: pd.DataFrame) -> None:
        n = len(df)  # epci_indicators.csv has no rank columns
        self._columns = tuple(
            df[c].tolist() if c in df.columns else [None] * n
            for c in ("year", "value", "status", "note", "rank", "rank_of")
        )
        self._rows: dict[tuple[str, str, str], list[int]] = {}
        keys = zip(df["indicator"].tolist(), df["level"].tolist(), df["code"].tolist(), strict=True)
        for i, key in enumerate(keys):
            self._rows.setdefault(key, []).append(i)
        self._values: dict[tuple[str, str, str], list[Value]] = {}

    def __getitem__(self, key: tuple[str, str, str]) -> list[Value]:
        values = self._values.get(key)
        if values is None:
            values = [self._value(key, i) for i in self._rows[key]]  # KeyError: no such key
            values.sort(key=lambda v: v.year or 0)
            self._values[key] = values
        return values

    def __iter__(self) -> Iterator[tuple[str, str, str]]:
        return iter(self._rows)

    def _value(self, key: tuple[str, str, str], i: int) -> Value:
        year, value, status, note, rank, rank_of = (column[i] for column in self._columns)
        year, rank, rank_of = _clean(year), _clean(rank), _clean(rank_of)
        return Value(
            indicator=key[0],
            level=key[1],
            code=key[2],
            year=None if year is None else int(year),
            value=_clean(value),
            status=str(status or ""),
            note=str(note or ""),
            rank=None if rank is None else int(rank),
            rank_of=None if rank_of is None else int(rank_of),
        )


def _codes_of(index: _ValueIndex) -> dict[tuple[str, str], list[str]]:
    codes: dict[tuple[str, str], list[str]] = {}
    for ind, level, code in index:
        codes.setdefault((ind, level), []).append(code)
    return codes


def data_dir_ok(path: Path) -> bool:
    return all((path / f).is_file() for f in REQUIRED_FILES)


# --- writing (used by ``atlas data build`` only) ---------------------------------------------
#
# Determinism: rows sorted by stable keys, floats written as ``repr(round(v, 10))`` (integers
# without ``.0``), LF line ends, UTF-8, JSON with sorted keys, no timestamps, so that two builds
# from the same sources give byte-identical files.

LEVEL_ORDER = {"france": 0, "region": 1, "departement": 2, "epci": 3}
INDICATOR_COLUMNS = [
    "indicator", "level", "code", "year", "value", "status", "note", "rank", "rank_of",
]  # fmt: skip
TERRITORY_COLUMNS = ["level", "code", "name", "slug", "region", "zone", "order"]
META_COLUMNS = [
    "id", "theme", "label", "definition", "unit", "decimals", "source", "vintage", "licence",
    "scope", "additive",
]  # fmt: skip
FACILITY_COLUMNS = [
    "type", "id", "name", "commune", "departement", "region", "lon", "lat", "category", "value",
]  # fmt: skip


def format_number(value: object) -> str:
    """Reproducible text for a number: ``""`` for missing, ``12`` for 12.0, else repr(round)."""
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, bool):
        return "true" if value else "false"
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(f):
        return ""
    f = round(f, 10)
    if f.is_integer() and abs(f) < 1e15:
        return str(int(f))
    return repr(f)


def csv_text(df: pd.DataFrame, columns: list[str] | None = None) -> str:
    """The CSV text of ``df`` (given column order), every cell formatted deterministically."""
    import csv
    import io

    cols = columns or list(df.columns)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(cols)
    for record in df[cols].itertuples(index=False, name=None):
        writer.writerow([format_number(v) if not isinstance(v, str) else v for v in record])
    return buf.getvalue()


def sort_indicators(values: pd.DataFrame) -> pd.DataFrame:
    keys = values.assign(_lvl=values["level"].map(LEVEL_ORDER))
    keys = keys.sort_values(["indicator", "_lvl", "code", "year"], kind="mergesort")
    return keys.drop(columns="_lvl").reset_index(drop=True)


def sort_facilities(points: pd.DataFrame) -> pd.DataFrame:
    return points.sort_values(["type", "departement", "id", "name"], kind="mergesort").reset_index(
        drop=True
    )


def write_file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def write_json(path: Path, obj: object) -> None:
    import json

    write_file(path, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def write_tables(out_dir: Path, tables: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Write ``<name>.csv`` for every table; known tables get their contract column order."""
    known = {
        "indicators": INDICATOR_COLUMNS,
        "epci_indicators": INDICATOR_COLUMNS,
        "indicator_meta": META_COLUMNS,
        "territories": TERRITORY_COLUMNS,
        "facilities": FACILITY_COLUMNS,
    }
    sizes = {}
    for name in sorted(tables):
        df = tables[name]
        if name in ("indicators", "epci_indicators"):
            df = sort_indicators(df)
        elif name == "facilities":
            df = sort_facilities(df)
        write_file(out_dir / f"{name}.csv", csv_text(df, known.get(name)))
        sizes[f"{name}.csv"] = len(df)
    return sizes


def swap_directory(new: Path, target: Path) -> None:
    """Replace ``target`` by ``new`` (same parent): rename the old one aside, then delete it.

    If the second rename fails the old directory is put back, so ``target`` is never lost.
    """
    import shutil

    old = target.with_name(f".{target.name}-old-{os.getpid()}.tmp")
    if target.exists():
        target.rename(old)
    try:
        new.rename(target)
    except OSError:
        if old.exists():
            old.rename(target)
        raise
    if old.exists():
        shutil.rmtree(old)
