"""The data behind a document, as CSV files embedded in its PDF.

One CSV per printed section (``<territory>-<section>.csv``): every table and every figure of the
section, in long format, with the raw values from the :class:`~reports.data.store.Store` (not
the rounded strings printed), their unit, source, vintage and licence. Point maps list the
points drawn (coordinates, category, value).

The bytes are deterministic: fixed column order, rows in the order the elements are printed
then by (indicator, level, code, year), numbers written by
:func:`reports.data.store.format_number` (the writer of ``data/``), UTF-8, LF line ends.

No cell is a formula for a spreadsheet (:func:`spreadsheet_safe`): a text cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'``; numbers,
negative ones included, are written as they are.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pandas as pd

from reports import edition
from reports.config import Layouts
from reports.content.model import ChapterCtx, DocCtx, FigureCtx, SectionCtx
from reports.content.tables import TableCtx, france_code_for
from reports.data.store import Store, format_number

COLUMNS = [
    "element", "element_title", "indicator", "label", "unit", "level", "code", "name",
    "year", "value", "status", "note", "lon", "lat", "category", "source", "vintage", "licence",
]  # fmt: skip

#: choropleth maps: figure id → indicator drawn by département
CHOROPLETHS = {
    "M02": "C03",
    "M03a": "C04.tres_dense",
    "M03b": "C05",
    "M04": "C07",
    "M10": "D01_per_inh",
    "M11": "D05_per_inh",
    "M12": "D06_per_inh",
    "M13": "E01_share",
    "M14": "N01_share",
}
#: point maps: figure id → (facility types drawn for a région, département indicator for France)
POINT_MAPS = {
    "M05": (("bibliotheque", "musee", "cinema", "cinema_drom", "archives"), "O01_p100k"),
    "M06": (("festival",), "O10_p100k"),
    "M07": (("jardin",), "O14_p100k"),
    "M09": (("cinema",), "F09"),
}
#: facility type → the indicator counting it (its metadata gives each row's source, licence)
FACILITY_INDICATOR = {
    "musee": "O01",
    "bibliotheque": "O02",
    "cinema": "O04",
    "cinema_drom": "O04D",
    "archives": "O09",
    "festival": "O10",
    "jardin": "O13",
}
#: charts split by category: figure id → component prefix
SPLITS = {"G01": "C04", "G02": "C06", "G03": "C11", "G05": "O11", "G06": "O12", "G11": "D08"}


@dataclass(frozen=True)
class CsvFile:
    """One attachment: file name, one-line description, content."""

    name: str
    description: str
    data: bytes


# --- rows ------------------------------------------------------------------------------------
class _Lookup:
    """Plain dicts of territories, built once per document (fast)."""

    def __init__(self, store: Store) -> None:
        from reports.data.territories import FRANCE, Territory, regions

        t = store.territories
        self.names: dict[tuple[str, str], str] = {}
        self.regions: list[str] = []
        self.departements: list[str] = []
        self.deps_of: dict[str, list[str]] = {}
        self.territory: dict[str, Territory] = {"FR": FRANCE}
        self.territory.update((r.code, r) for r in regions(t))
        for level, code, name, region in t[["level", "code", "name", "region"]].itertuples(
            index=False, name=None
        ):
            self.names[(level, code)] = str(name)
            if level == "region":
                self.regions.append(code)
            elif level == "departement":
                self.departements.append(code)
                self.deps_of.setdefault(str(region), []).append(code)


class _Rows:
    """Collects the CSV rows of one section (the Store gives raw values and metadata)."""

    def __init__(self, store: Store, lookup: _Lookup) -> None:
        self.store = store
        self.lk = lookup
        self.rows: list[list[str]] = []
        self._names = lookup.names

    def _meta(self, ind: str) -> tuple[str, ...]:
        """(label, unit, source, vintage, licence) of ``ind`` (its id alone if unknown)."""
        if ind not in self.store.meta.index:
            return (ind, "", "", "", "")
        info = self.store.info(ind)
        return tuple(info[c] for c in ("label", "unit", "source", "vintage", "licence"))

    def indicators(
        self,
        element: str,
        title: str,
        inds: Iterable[str],
        places: Iterable[tuple[str, str]],
        series: bool = False,
    ) -> None:
        """Values of ``inds`` at ``places`` ((level, code)): latest year, or all years."""
        places = list(dict.fromkeys(places))
        for ind in dict.fromkeys(inds):
            label, unit, source, vintage, licence = self._meta(ind)
            for level, code in places:
                try:
                    values = self.store.rows(ind, level, code)
                except Exception:  # indicator not published at that level
                    continue
                for v in values if series else values[-1:]:
                    self.rows.append(
                        [
                            element,
                            title,
                            ind,
                            label,
                            unit,
                            level,
                            code,
                            str(self._names.get((level, code), code)),
                            "" if v.year is None else str(v.year),
                            format_number(v.value),
                            v.status,
                            v.note,
                            "",
                            "",
                            "",
                            source,
                            vintage,
                            licence,
                        ]  # fmt: skip
                    )

    def records(
        self,
        element: str,
        title: str,
        frame: pd.DataFrame,
        level: str,
        key: str,
        value_columns: dict[str, tuple[str, str, str]],  # column → (label, unit, year)
        source: str,
        licence: str = "",
    ) -> None:
        """Rows of a non-indicator table (museums, zones d'emploi, facilities)."""
        n = len(frame)

        def column(name: str) -> list:
            return frame[name].tolist() if name in frame.columns else [None] * n

        keys, names = column(key), column("name")
        lons, lats, categories = column("lon"), column("lat"), column("category")
        values = {col: column(col) for col in value_columns}
        for i in range(n):
            category = categories[i]
            category = "" if category is None or pd.isna(category) else str(category)
            name = "" if names[i] is None else str(names[i])
            lon, lat = format_number(lons[i]), format_number(lats[i])
            for col, (label, unit, year) in value_columns.items():
                self.rows.append(
                    [
                        element,
                        title,
                        col,
                        label,
                        unit,
                        level,
                        str(keys[i]),
                        name,
                        year,
                        format_number(values[col][i]),
                        "",
                        "",
                        lon,
                        lat,
                        category,
                        source,
                        "",
                        licence,
                    ]  # fmt: skip
                )


def _france_places(out: _Rows, inds: Iterable[str]) -> list[tuple[str, str]]:
    """France, or France métropolitaine for metro-only indicators (as the tables print)."""
    return [("france", france_code_for(out.store, i)) for i in inds] + [("france", "FR")]


def _places(out: _Rows, code: str, inds: list[str], departements: bool) -> list[tuple[str, str]]:
    """Territories a table or chart shows: the région (+ its départements) and France;
    for the France document the three national aggregates and the 18 régions."""
    if code == "FR":
        regions = out.lk.regions
        return [("france", c) for c in ("FR", "FRM", "DROM")] + [("region", c) for c in regions]
    places = [("region", code)]
    if departements:
        places = [("departement", d) for d in out.lk.deps_of.get(code, [])] + places
    return places + _france_places(out, inds)


def _all_places(out: _Rows, level: str) -> list[tuple[str, str]]:
    """Every territory of ``level`` and the three France aggregates."""
    codes = out.lk.regions if level == "region" else out.lk.departements
    return [(level, c) for c in codes] + [("france", c) for c in ("FRM", "DROM", "FR")]


def _data_rows(out: _Rows, element: str, title: str, data: Iterable[tuple[str, str]]) -> None:
    """Elements that declare their data (the atlas's national maps and rankings)."""
    for ind, level in data:
        out.indicators(element, title, [ind], _all_places(out, level))


def museum_entry_columns() -> dict[str, tuple[str, str, str]]:
    """The museums table's entry columns: header, unit, year (years of the edition)."""
    ed = edition.current()
    base, last = ed.year("museums_base"), ed.year("museums_last")
    return {
        "entries_base": (f"Entrées {base}", "entrées", str(base)),
        "entries_last": (f"Entrées {last}", "entrées", str(last)),
    }


def _table_rows(out: _Rows, layouts: Layouts, table: TableCtx, code: str) -> None:
    store = out.store
    spec = layouts.tables.get(table.id)
    if spec is None:
        _data_rows(out, table.id, table.title, table.data)
        return
    if spec.kind == "museums_top":
        m = store.museums if code == "FR" else store.museums[store.museums["region"] == code]
        m = (
            m.dropna(subset=["entries_last"])
            .sort_values(["entries_last", "museofile"], ascending=[False, True])
            .head(10)
        )
        out.records(
            table.id,
            table.title,
            m,
            "museum",
            "museofile",
            museum_entry_columns(),
            "Ministère de la Culture, Patrimostat, fréquentation des musées de France",
        )
        return
    if spec.kind == "zones_emploi":
        z = (
            store.zones_emploi
            if code == "FR"
            else store.zones_emploi[store.zones_emploi["region"] == code]
        )
        z = z.dropna(subset=["E01_share"]).sort_values(
            ["E01_share", "code"], ascending=[False, True]
        )
        z = z if len(z) <= 10 else pd.concat([z.head(5), z.tail(5)])
        source = out._meta("E01")
        out.records(
            table.id,
            table.title,
            z,
            "zone_emploi",
            "code",
            {
                "E01": ("Actifs exerçant une profession culturelle", "actifs", source[3]),
                "E01_share": ("Part des actifs exerçant une profession culturelle", "%", source[3]),
            },
            source[2],
            source[4],
        )
        return
    inds = list(spec.indicators) + [i for p in spec.pairs for i in p]
    out.indicators(
        table.id, table.title, inds, _places(out, code, inds, spec.kind == "by_departement")
    )


def _figure_rows(out: _Rows, figure: FigureCtx, code: str) -> None:
    from reports.figures import inputs

    store = out.store
    fid, title = figure.id, figure.title
    france = code == "FR"
    deps = out.lk.departements if france else out.lk.deps_of.get(code, [])
    own = [("france", "FR")] if france else [("region", code)]
    refs = [(lv, cd) for _, lv, cd in inputs.reference_rows(store, out.lk.territory[code])]

    def choropleth(ind: str) -> None:
        out.indicators(
            fid, title, [ind], [("departement", d) for d in deps] + own + [("france", "FR")]
        )

    if figure.data:
        _data_rows(out, fid, title, figure.data)
    elif fid in CHOROPLETHS:
        choropleth(CHOROPLETHS[fid])
    elif fid == "M01":
        if france:
            out.indicators(fid, title, ["C01"], [("region", c) for c in out.lk.regions] + own)
        else:
            out.indicators(fid, title, ["C01"], own + [("france", "FR")])
    elif fid in POINT_MAPS:
        types, fr_ind = POINT_MAPS[fid]
        if france:
            choropleth(fr_ind)
            return
        f = store.facilities
        pts = f[f["type"].isin(types) & (f["region"] == code)].sort_values(["type", "id"])
        for ftype, group in pts.groupby("type", sort=True):
            group = group.assign(category=f"{ftype}:" + group["category"].fillna("").astype(str))
            _label, _unit, source, vintage, licence = out._meta(FACILITY_INDICATOR[str(ftype)])
            out.records(
                fid,
                title,
                group,
                "facility",
                "id",
                {"value": ("Valeur", "", vintage)},
                source,
                licence,
            )
    elif fid == "M08":
        if france:
            choropleth("F02")
            return
        m = store.museums[store.museums["region"] == code].sort_values("museofile")
        out.records(
            fid,
            title,
            m,
            "museum",
            "museofile",
            museum_entry_columns(),
            figure.source.removeprefix("Source : "),
        )
    elif fid in SPLITS:
        out.indicators(fid, title, store.components(SPLITS[fid]), refs)
    elif fid == "G04":
        inds = list(inputs.G04_INDICATORS)
        out.indicators(fid, title, inds, own + _france_places(out, inds))
    elif fid == "G07":
        out.indicators(fid, title, ["F04"], refs, series=True)
    elif fid == "G08":
        places = (
            [("region", c) for c in out.lk.regions]
            if france
            else [("departement", d) for d in deps]
        )
        out.indicators(fid, title, ["F01"], places, series=True)
    elif fid == "G09":
        out.indicators(fid, title, ["F11"], own + [("france", "FRM")], series=True)
    elif fid in {"G10", "G12"}:
        suffixes = ("_per_inh",) if fid == "G10" else ("_fonct", "_invest")
        inds = [f"{d}{s}" for d, _ in inputs.SPENDING_LEVELS for s in suffixes]
        out.indicators(fid, title, inds, refs)


# --- CSV files -------------------------------------------------------------------------------
#: what a spreadsheet reads as the start of a formula (OWASP, "CSV injection")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: a number as :func:`reports.data.store.format_number` writes it (or with a decimal comma)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?|[+-]?inf")


def spreadsheet_safe(cell: str) -> str:
    """``cell`` as a spreadsheet shows it and never runs it: a text that starts like a formula
    (``=``, ``+``, ``-``, ``@``, tab, carriage return — e.g. a museum named
    ``=HYPERLINK(…)``) gets a leading ``'`` (the OWASP rule). Numbers stay numbers: ``-3.2``
    or ``-3,2`` is a value, not a formula, and is written as is."""
    if cell.startswith(FORMULA_START) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def csv_bytes(rows: list[list[str]]) -> bytes:
    """The CSV of ``rows`` under :data:`COLUMNS`, every cell through :func:`spreadsheet_safe`."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    return buf.getvalue().encode("utf-8")


def section_csv(
    store: Store,
    layouts: Layouts,
    chapter: ChapterCtx,
    section: SectionCtx,
    lookup: _Lookup | None = None,
) -> bytes | None:
    """CSV of the tables and figures of one section (None if it prints none)."""
    out = _Rows(store, lookup or _Lookup(store))
    code = chapter.code
    for table in section.tables:
        _table_rows(out, layouts, table, code)
    for figure in section.figures:
        _figure_rows(out, figure, code)
    return csv_bytes(out.rows) if out.rows else None


def _slug(chapter: ChapterCtx) -> str:
    return chapter.anchor.removeprefix("ch-")


def document_csvs(store: Store, layouts: Layouts, doc: DocCtx) -> list[CsvFile]:
    """One CSV per section that prints a table or a figure, in document order."""
    files: list[CsvFile] = []
    lookup = _Lookup(store)
    for chapter in doc.chapters:
        for section in chapter.sections:
            data = section_csv(store, layouts, chapter, section, lookup)
            if data is None:
                continue
            ids = [t.id for t in section.tables] + [f.id for f in section.figures]
            files.append(
                CsvFile(
                    name=f"{_slug(chapter)}-{section.id}.csv",
                    description=(
                        f"{chapter.title} — {section.title} : données de {', '.join(ids)} "
                        "(valeurs brutes, unités, sources)"
                    ),
                    data=data,
                )
            )
    return files


def iter_rows(data: bytes) -> Iterator[dict[str, str]]:
    """Parse a CSV written by :func:`csv_bytes` (for tests and checks)."""
    yield from csv.DictReader(io.StringIO(data.decode("utf-8")))
