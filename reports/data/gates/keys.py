"""Gates on the rows of each source: row counts against the previous manifest, unique
source keys, non-negative counts, entries and amounts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from reports.data.gates.base import (
    AMOUNT_WARN,
    CHANGES,
    CNC,
    COG,
    FACILITY_SOURCES,
    FESTIVALS,
    FIRST,
    HISTORY,
    LIBRARIES,
    MAX_GROWTH,
    MAX_LOSS,
    MUSEOFILE,
    RATIO_WARN,
    RP_PROFESSIONS,
    VISITS,
    Gate,
    GateInput,
    Result,
    n,
    source_of,
    territory,
)

# --- row counts against the previous manifest ------------------------------------------------


def row_counts(inp: GateInput) -> Iterable[Result]:
    subject = "rows read and kept per source file, against the previous data/manifest.json"
    if not inp.previous:
        yield Result("row counts", subject, "no previous manifest: not compared")
        return
    before = {(s["path"], s.get("sheet")): s for s in inp.previous.get("sources", [])}
    compared, changed, new = 0, [], 0
    bad: list[tuple[str, str | None, str]] = []  # (source, sheet, text)
    for r in inp.reads:
        prev = before.get((r.path, r.sheet))
        if prev is None:
            new += 1
            continue
        compared += 1
        name = r.path + (f" [{r.sheet}]" if r.sheet else "")
        for what, now, old in (
            ("rows read", r.rows_read, prev.get("rows_read")),
            ("rows kept", r.rows_kept, prev.get("rows_kept")),
        ):
            if now is None or old is None or now == old:
                continue
            change = (now / old - 1) * 100 if old else float("inf")
            text = f"{what} {n(now)}, previous manifest {n(old)} ({change:+.1f} %)"
            changed.append((abs(change), f"{name}: {text}"))
            if now < old * (1 - MAX_LOSS) or now >= old * MAX_GROWTH:
                bad.append((r.path, r.sheet, text))
    gone = len(set(before) - {(r.path, r.sheet) for r in inp.reads})
    figure = f"{compared} source reads compared, {len(changed)} changed"
    if changed:
        figure += f" (largest: {max(changed)[1]})"
    if new or gone:
        figure += f"; {new} new, {gone} no longer read"
    # the first failing file is named by the message: the others are named in their item
    items = [
        (f"[{sheet}] " if sheet else "") + text if path == bad[0][0] else f"{path}: {text}"
        for path, sheet, text in bad
    ]
    if bad and inp.accept_changes:
        warnings = [
            f"row count change accepted (--accept-changes): {path}"
            + (f" [{sheet}]" if sheet else "")
            + f": {text}"
            for path, sheet, text in bad
        ]
        yield Result("row counts", subject, figure + "; changes accepted", warnings=warnings)
        return
    yield Result(
        "row counts",
        subject,
        figure,
        source=bad[0][0] if bad else "",
        failures=items,
        hint="a loss above 20 % or a doubling stops the build: check the source file, or rerun "
        "`atlas data build --accept-changes` if the change is real",
    )


# --- unique keys -----------------------------------------------------------------------------


@dataclass(frozen=True)
class UniqueKey:
    """Rows of ``table`` (optionally one ``type`` of facilities) are unique on ``columns``;
    ``allowed`` lists key values documented as duplicated in the source (ATLAS_SPEC §3.6)."""

    table: str
    columns: tuple[str, ...]
    label: str
    source: str
    type: str | None = None
    allowed: tuple[str, ...] = ()
    why_allowed: str = ""

    def __call__(self, inp: GateInput) -> Iterable[Result]:
        df = inp.tables[self.table]
        if self.type is not None:
            df = df[df["type"] == self.type]
        cols = list(self.columns)
        dup = df[df.duplicated(cols, keep=False)][cols].astype(str)
        counts = dup.agg(" / ".join, axis=1).value_counts(sort=False)
        allowed = counts[counts.index.isin(self.allowed)]
        wrong = counts[~counts.index.isin(self.allowed)]
        kind = f" {self.type}" if self.type else ""
        subject = f"{self.table}.csv{kind}: {self.label}"
        figure = f"{n(len(df))} rows, {len(wrong)} duplicates"
        if len(allowed):
            documented = ", ".join(allowed.index)
            figure += f" ({len(allowed)} documented: {documented}, {self.why_allowed})"
        failures = [f"{k} ×{c}" for k, c in wrong.items()]
        yield Result("unique keys", subject, figure, source=self.source, failures=failures)


UNIQUE_KEYS: list[Gate] = [
    UniqueKey("territories", ("level", "code"), "level + code", COG),
    UniqueKey("indicator_meta", ("id",), "indicator id", ""),
    UniqueKey("indicators", ("indicator", "level", "code", "year"), "indicator + territory + "
              "year", ""),
    UniqueKey("facilities", ("id",), "id (Muséofile)", MUSEOFILE, type="musee"),
    UniqueKey("facilities", ("id",), "id (Deps library id)", LIBRARIES, type="bibliotheque",
              allowed=("BIBL_52050_0001",), why_allowed="two libraries, both counted, §3.6"),
    UniqueKey("facilities", ("id",), "id (CNC establishment)", CNC, type="cinema"),
    UniqueKey("facilities", ("id", "name"), "id + name (Deps ids repeat within a commune)",
              FACILITY_SOURCES["cinema_drom"], type="cinema_drom"),
    UniqueKey("facilities", ("id",), "id (Deps archive service)", FACILITY_SOURCES["archives"],
              type="archives"),
    UniqueKey("facilities", ("id",), "id (festival)", FESTIVALS, type="festival"),
    UniqueKey("facilities", ("name", "commune"), "name + commune (no id in the source)",
              FACILITY_SOURCES["jardin"], type="jardin"),
    UniqueKey("museums", ("museofile", "region"), "Muséofile id + région", MUSEOFILE),
    UniqueKey("museum_series", ("level", "code", "year"), "level + code + year", HISTORY),
    UniqueKey("zones_emploi", ("code", "region"), "zone code + région", RP_PROFESSIONS),
]  # fmt: skip


# --- non-negative counts, entries and amounts ------------------------------------------------


def _offending(rows: pd.DataFrame) -> list[str]:
    return [
        f"{r.indicator} {territory(r.level, r.code)} {r.year} = {r.value:g}"
        for r in rows.head(FIRST).itertuples()
    ]


def non_negative(inp: GateInput) -> Iterable[Result]:
    v = inp.values[inp.values["value"].notna() & ~inp.values["indicator"].isin(CHANGES)]
    spending = v["indicator"].str.startswith("D")
    counts, amounts = v[~spending], v[spending]
    neg = counts[counts["value"] < 0]
    yield Result(
        "non-negative",
        "indicators.csv: counts, entries, populations, shares, indices",
        f"{n(len(counts))} values, {len(neg)} negative",
        source=source_of(str(neg["indicator"].iloc[0])) if len(neg) else "",
        failures=_offending(neg),
    )
    neg = amounts[amounts["value"] < 0]
    units = inp.meta["unit"].reindex(neg["indicator"]).fillna("").to_numpy()
    floor = [-AMOUNT_WARN if u == "€" else -RATIO_WARN for u in units]
    small = neg["value"].to_numpy() >= floor
    tolerated, wrong = neg[small], neg[~small]
    figure = f"{n(len(amounts))} values, {len(neg)} negative"
    warnings = []
    if len(tolerated):
        figure += f" ({len(tolerated)} within −1 € or −0.01: warning)"
        listed = ", ".join(
            f"{r.indicator} {territory(r.level, r.code)} = {r.value:.3g}"
            for r in tolerated.itertuples()
        )
        warnings.append(f"negative spending values, printed as they are: {listed}")
    yield Result(
        "non-negative",
        "indicators.csv: spending amounts, €/inh. and shares (D*)",
        figure,
        source=source_of(str(wrong["indicator"].iloc[0])) if len(wrong) else "",
        failures=_offending(wrong),
        warnings=warnings,
    )
    yield from _non_negative_columns(
        inp, "museums", ["entries_base", "entries_last"], "museofile", VISITS
    )
    yield from _non_negative_columns(inp, "museum_series", ["entries", "museums"], "code", HISTORY)
    fac = inp.tables["facilities"]
    neg_fac = fac[fac["value"] < 0]
    yield Result(
        "non-negative",
        "facilities.csv: value (library surface, cinema entries, screens)",
        f"{n(fac['value'].notna().sum())} values, {len(neg_fac)} negative",
        source=FACILITY_SOURCES.get(str(neg_fac["type"].iloc[0]), "") if len(neg_fac) else "",
        failures=[
            f"{r.type} {r.id} {r.name} = {r.value:g}" for r in neg_fac.head(FIRST).itertuples()
        ],
    )
    yield from _non_negative_columns(
        inp, "zones_emploi", ["E01", "E01_actifs", "E02"], "code", RP_PROFESSIONS
    )


def _non_negative_columns(
    inp: GateInput, table: str, columns: list[str], key: str, source: str
) -> Iterable[Result]:
    df = inp.tables[table]
    failures, total, count = [], 0, 0
    for col in columns:
        values = df[col]
        total += int(values.notna().sum())
        bad = df[values < 0]
        count += len(bad)
        failures += [
            f"{getattr(r, key)} {getattr(r, 'name', '')} {col} = {getattr(r, col):g}"
            for r in bad.head(FIRST).itertuples()
        ]
    yield Result(
        "non-negative",
        f"{table}.csv: {', '.join(columns)}",
        f"{n(total)} values, {count} negative",
        source=source,
        failures=failures[:FIRST],
    )
