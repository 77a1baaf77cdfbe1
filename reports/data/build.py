"""``atlas data build``: raw open data → validated indicator tables in ``data/`` (docs/DATA.md).

Steps: read the territorial reference, run the theme modules in atlas order (:func:`derive`),
add région ranks, check that every indicator covers every territory, run the quality gates of
:mod:`reports.data.gates` on the tables against the previous ``data/manifest.json``, then write
all tables into a temporary directory beside ``data/`` and swap it in (:func:`publish`), so a
failed build or a failing gate leaves the previous ``data/`` untouched.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from reports import __version__
from reports.data import gates
from reports.data.sources.base import BuildLog
from reports.data.sources.reference import Reference, load_reference
from reports.data.sources.theme import IndicatorMeta, ThemeOutput
from reports.data.sources.tidy import FRANCE_GROUPS
from reports.data.store import swap_directory, write_file, write_json, write_tables
from reports.errors import DataError
from reports.paths import Paths

THEMES = ["contexte", "offre", "frequentation", "depenses", "emploi"]
FRANCE_NAMES = {
    "FR": "France",
    "FRM": "France métropolitaine",
    "DROM": "Départements et régions d'outre-mer",
}
FRANCE_ZONES = {"FR": "", "FRM": "metro", "DROM": "drom"}


@dataclass
class BuildReport:
    data_dir: Path
    seconds: float
    tables: dict[str, int]  # file name → rows written
    unplaced: dict[str, int]  # source key → rows that could not be placed
    warnings: list[str] = field(default_factory=list)
    gates: list[gates.Result] = field(default_factory=list)

    @property
    def build_md(self) -> Path:
        return self.data_dir / "BUILD.md"


# --- running the themes --------------------------------------------------------------------


@dataclass
class Derived:
    """What a build computes from the raw sources, before any check or write."""

    log: BuildLog
    ref: Reference
    outputs: dict[str, ThemeOutput]  # theme name → output, in THEMES order
    geo: dict[str, bytes]  # data/geo/<name> → GeoJSON bytes (reports.data.sources.geometry)
    epci: dict[str, pd.DataFrame] = field(default_factory=dict)  # reports.data.sources.epci


def run_theme(name: str, log: BuildLog, ref: Reference) -> ThemeOutput:
    module = importlib.import_module(f"reports.data.sources.{name}")
    return module.build(log, ref)


def merge_tables(outputs: list[ThemeOutput]) -> dict[str, pd.DataFrame]:
    """Extra tables by name; two themes returning the same table are concatenated."""
    tables: dict[str, list[pd.DataFrame]] = {}
    for out in outputs:
        for name, df in out.tables.items():
            tables.setdefault(name, []).append(df)
    return {k: pd.concat(v, ignore_index=True) for k, v in tables.items()}


# --- ranks and validation ------------------------------------------------------------------


def add_ranks(values: pd.DataFrame) -> pd.DataFrame:
    """Région level: descending competition rank (1, 2, 2, 4) among régions with a value."""
    values = values.copy()
    values["rank"] = float("nan")
    values["rank_of"] = float("nan")
    reg = values[(values["level"] == "region") & values["value"].notna()]
    groups = reg.groupby(["indicator", "year"])["value"]
    values.loc[reg.index, "rank"] = groups.rank(method="min", ascending=False)
    values.loc[reg.index, "rank_of"] = groups.transform("count")
    return values


def expected_territories(ref: Reference) -> set[tuple[str, str]]:
    return (
        {("departement", c) for c in ref.departement_codes}
        | {("region", c) for c in ref.region_codes}
        | {("france", c) for c in FRANCE_GROUPS}
    )


def validate(values: pd.DataFrame, meta: list[IndicatorMeta], ref: Reference) -> None:
    """Fail loudly, naming the indicator, if the tidy table breaks the data contract."""
    ids = [m.id for m in meta]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise DataError(f"indicator metadata defined twice: {', '.join(dup)}", where="pipeline")
    no_meta = sorted(set(values["indicator"]) - set(ids))
    if no_meta:
        raise DataError(
            f"indicator(s) without metadata: {', '.join(no_meta[:10])}",
            where="pipeline",
            hint="add an IndicatorMeta in the theme module",
        )
    no_values = sorted(set(ids) - set(values["indicator"]))
    if no_values:
        raise DataError(f"indicator(s) without values: {', '.join(no_values[:10])}",
                        where="pipeline")  # fmt: skip
    _check_status(values)
    _check_coverage(values, ref)


def _check_status(values: pd.DataFrame) -> None:
    missing = values["value"].isna()
    bad = missing & ~values["status"].isin(["nd", "so"])
    bad |= missing & (values["note"].fillna("") == "")
    bad |= ~missing & (values["status"] != "")
    if bad.any():
        r = values[bad].iloc[0]
        raise DataError(
            f"indicator {r['indicator']}: {int(bad.sum())} row(s) with an inconsistent "
            f"value/status/note, e.g. {r['level']} {r['code']} {r['year']} "
            f"(value={r['value']!r}, status={r['status']!r}, note={r['note']!r})",
            where="pipeline",
            hint="a missing value needs status nd/so and a French note (tidy.mark_territories)",
        )


def _check_coverage(values: pd.DataFrame, ref: Reference) -> None:
    wanted = expected_territories(ref)
    for (ind, year), g in values.groupby(["indicator", "year"], sort=True):
        have = list(zip(g["level"], g["code"], strict=True))
        dupes = {t for t in have if have.count(t) > 1} if len(have) != len(set(have)) else set()
        missing = wanted - set(have)
        extra = set(have) - wanted
        if missing or extra or dupes:
            parts = []
            if missing:
                parts.append(f"missing {len(missing)} territories, e.g. {sorted(missing)[:3]}")
            if extra:
                parts.append(f"unknown territories {sorted(extra)[:3]}")
            if dupes:
                parts.append(f"duplicate rows {sorted(dupes)[:3]}")
            raise DataError(
                f"indicator {ind} ({year}) incomplete: {'; '.join(parts)}",
                where="pipeline",
                hint="every indicator needs a row (value, or nd/so with a note) for the 101 "
                "départements, 18 régions and FR/FRM/DROM",
            )


# --- derived tables ------------------------------------------------------------------------


def territories(ref: Reference) -> pd.DataFrame:
    france = pd.DataFrame(
        {
            "level": "france",
            "code": list(FRANCE_NAMES),
            "name": list(FRANCE_NAMES.values()),
            "region": "",
            "zone": [FRANCE_ZONES[c] for c in FRANCE_NAMES],
            "order": range(len(FRANCE_NAMES)),
        }
    )
    france["slug"] = ["france", "france-metropolitaine", "drom"]
    regs = ref.regions.assign(level="region", region="")
    deps = ref.departements.assign(level="departement", order=range(len(ref.departements)))
    cols = ["level", "code", "name", "slug", "region", "zone", "order"]
    return pd.concat([france[cols], regs[cols], deps[cols]], ignore_index=True)


def meta_table(meta: list[IndicatorMeta]) -> pd.DataFrame:
    return pd.DataFrame([asdict(m) for m in meta])


def manifest(
    log: BuildLog, out_dir: Path, sizes: dict[str, int], results: list[gates.Result]
) -> dict:
    files = sorted(p for p in out_dir.rglob("*") if p.is_file() and p.name != "manifest.json")
    outputs = {
        p.relative_to(out_dir).as_posix(): {
            "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
            "rows": sizes.get(p.name),
        }
        for p in files
        if p.name != "BUILD.md"
    }
    return {
        "code_version": __version__,
        "sources": [_source_entry(r) for _k, r in sorted(log.reads.items())],
        "outputs": outputs,
        "gates": [r.as_dict() for r in results],
        "warnings": [*log.warnings, *gates.warnings_of(results)],
    }


def _source_entry(r) -> dict:
    return {
        "path": r.path,
        "sheet": r.sheet,
        "sha256": r.sha256,
        "rows_read": r.rows_read,
        "rows_kept": r.rows_kept,
        "unplaced": r.unplaced,
        "unplaced_examples": r.unplaced_examples,
        "notes": r.notes,
    }


def build_md(
    log: BuildLog, sizes: dict[str, int], values: pd.DataFrame, results: list[gates.Result]
) -> str:
    lines = [
        "# Build report — `atlas data build`",
        "",
        f"Code version {__version__}. Generated file, do not edit: rerun `atlas data build`.",
        "",
        "## Sources",
        "",
        "| source | sheet | sha256 | rows read | kept | unplaced |",
        "|---|---|---|---:|---:|---:|",
    ]
    reads = [r for _k, r in sorted(log.reads.items())]
    for r in reads:
        kept = "" if r.rows_kept is None else r.rows_kept
        lines.append(
            f"| `{r.path}` | {r.sheet or ''} | `{r.sha256[:16]}` | {r.rows_read} | {kept} "
            f"| {r.unplaced} |"
        )
    lines += ["", "## Unplaced rows and notes", ""]
    for r in reads:
        if not (r.unplaced or r.notes):
            continue
        title = f"`{r.path}`" + (f" [{r.sheet}]" if r.sheet else "")
        lines.append(f"### {title}")
        lines.append("")
        if r.unplaced:
            lines.append(f"* {r.unplaced} unplaced row(s), e.g. {', '.join(r.unplaced_examples)}")
        lines += [f"* {n}" for n in r.notes]
        lines.append("")
    lines += placement_md(log)
    lines += [
        "## Quality gates",
        "",
        "Run on the derived tables before they replaced `data/` (`reports/data/gates/`, "
        "docs/DATA.md).",
        "",
        "| gate | checked | figure | result |",
        "|---|---|---|---|",
    ]
    lines += [f"| {r.gate} | {r.subject} | {r.figure} | {r.status} |" for r in results]
    lines += ["", "## Warnings", ""]
    lines += [f"* {w}" for w in [*log.warnings, *gates.warnings_of(results)]] or ["none"]
    lines += ["", "## Outputs", "", "| file | rows |", "|---|---:|"]
    lines += [f"| `{name}` | {n} |" for name, n in sorted(sizes.items())]
    n_ind = values["indicator"].nunique()
    lines += ["", f"{n_ind} indicators, {len(values)} values.", ""]
    return "\n".join(lines)


def placement_md(log: BuildLog) -> list[str]:
    """The EPCI placement table of BUILD.md: per source, rows and rows of no EPCI."""
    if not log.placements:
        return []
    lines = [
        "## Intercommunalités: rows placed through the EPCI composition",
        "",
        "Source commune codes → commune of the COG (`communes.json`) → EPCI (`epci.json`); "
        "a row of no EPCI is not counted at this level (ATLAS_SPEC §8).",
        "",
        "| source | rows | unplaced | examples |",
        "|---|---:|---:|---|",
    ]
    for source, rows, lost, examples in log.placements:
        lines.append(f"| {source} | {rows} | {lost} | {', '.join(examples[:5])} |")
    return [*lines, ""]


# --- entry point ---------------------------------------------------------------------------


def build_data(paths: Paths, *, accept_changes: bool = False) -> BuildReport:
    """Rebuild ``paths.data`` from ``paths.sources``; raise :class:`DataError` on bad input or
    on a failing quality gate (``accept_changes``: row-count changes are accepted)."""
    start = time.perf_counter()
    return publish(derive(paths), paths, accept_changes=accept_changes, start=start)


def derive(paths: Paths) -> Derived:
    """Read every source through the theme modules (the slow part of a build)."""
    sources = paths.sources
    if not sources.is_dir():
        raise DataError(
            "sources directory not found",
            where=str(sources),
            hint="pass --sources DIR or set ATLAS_SOURCES to the shared/data/sources folder",
        )
    log = BuildLog(sources)
    ref = load_reference(log)
    outputs = {name: run_theme(name, log, ref) for name in THEMES}
    epci = importlib.import_module("reports.data.sources.epci").build(log, ref, outputs)
    return Derived(log, ref, outputs, read_geometries(log, ref), epci)


def read_geometries(log: BuildLog, ref: Reference) -> dict[str, bytes]:
    """The simplified polygons, computed before the gates so their sources' row counts are
    checked too (written to a scratch directory by the geometry module, kept in memory)."""
    geometry = importlib.import_module("reports.data.sources.geometry")
    with tempfile.TemporaryDirectory(prefix="atlas-geo-") as scratch:
        geometry.write_geometries(log, ref, Path(scratch))
        return {p.name: p.read_bytes() for p in sorted((Path(scratch) / "geo").iterdir())}


def assemble(derived: Derived) -> dict[str, pd.DataFrame]:
    """The tables of ``data/`` (validated, with région ranks) from the theme outputs."""
    outputs = [derived.outputs[name] for name in THEMES]
    meta = [m for out in outputs for m in out.meta]
    values = pd.concat([out.values for out in outputs], ignore_index=True)
    validate(values, meta, derived.ref)
    if "epci_indicators" in derived.epci:
        _check_status(derived.epci["epci_indicators"])
    return {
        **derived.epci,
        "indicators": add_ranks(values),
        "indicator_meta": meta_table(meta),
        "territories": territories(derived.ref),
        **merge_tables(outputs),
    }


def read_manifest(data_dir: Path) -> dict | None:
    """The ``manifest.json`` of the build about to be replaced (None for a first build)."""
    path = data_dir / "manifest.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(
            f"previous manifest unreadable ({exc.__class__.__name__}), row counts cannot be "
            "compared",
            where=str(path),
            hint="restore it (git) or rerun with `atlas data build --accept-changes`",
        ) from None


def publish(
    derived: Derived, paths: Paths, *, accept_changes: bool = False, start: float | None = None
) -> BuildReport:
    """Check the derived tables (quality gates) and only then swap them in as ``paths.data``."""
    start = time.perf_counter() if start is None else start
    tables = assemble(derived)
    target = paths.data
    try:
        previous = read_manifest(target)
    except DataError:
        if not accept_changes:
            raise
        previous = None
    log = derived.log
    reads = [r for _k, r in sorted(log.reads.items())]
    results = gates.run_gates(gates.GateInput(tables, reads, previous, accept_changes))
    gates.raise_on_failure(results)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", suffix=".tmp", dir=target.parent))
    try:
        sizes = _write_all(log, derived.geo, tmp, tables, results)
        swap_directory(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    unplaced = {k: r.unplaced for k, r in sorted(log.reads.items()) if r.unplaced}
    warnings = [*log.warnings, *gates.warnings_of(results)]
    return BuildReport(target, time.perf_counter() - start, sizes, unplaced, warnings, results)


def _write_all(
    log: BuildLog,
    geo: dict[str, bytes],
    out: Path,
    tables: dict[str, pd.DataFrame],
    results: list[gates.Result],
) -> dict[str, int]:
    (out / "geo").mkdir()
    for name, data in geo.items():
        (out / "geo" / name).write_bytes(data)
    sizes = write_tables(out, tables)
    write_file(out / "BUILD.md", build_md(log, sizes, tables["indicators"], results))
    write_json(out / "manifest.json", manifest(log, out, sizes, results))
    out.chmod(0o755)
    return sizes
