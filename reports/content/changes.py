"""What changed since the previous edition (ATLAS_SPEC §9, ``atlas build --compare-with``).

Both editions' derived data are compared, never their PDFs:

* :func:`territory_changes` — a territory's indicators whose latest value or rank differs
  between the two editions (both shown), for the chapter table "Évolutions depuis l'édition
  précédente";
* :func:`novelties` — the avant-propos paragraph "Nouveautés de cette édition": new sources,
  series with a newer last year, revised values of years both editions publish;
* :func:`changes_frame` — every change of every territory, for the CSV beside the PDF.

Only main indicators are compared (ids without a dotted component such as ``C04.tres_dense``)
so that a chapter's table stays short.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from reports.content import fmt
from reports.data.store import Store

KEY = ["indicator", "level", "code"]
LIMIT = 10  # rows of a chapter's table


@dataclass(frozen=True)
class Change:
    indicator: str
    label: str
    unit: str
    decimals: int
    old_year: int | None
    old_value: float | None
    old_rank: int | None
    new_year: int | None
    new_value: float | None
    new_rank: int | None

    def cells(self, rank_of: int | None = None) -> list[str]:
        """Label, previous edition (value, year), this edition (value, year), ranks."""

        def show(value: float | None, year: int | None) -> str:
            text = fmt.fmt_number(value, self.decimals)
            return f"{text} ({year})" if year and value is not None else text

        def rank(r: int | None) -> str:
            return fmt.fmt_rank_short(r, rank_of) if r and rank_of else "–"

        shown = self.unit and self.unit.split("/")[0].rstrip(".") not in self.label.lower()
        label = f"{self.label} ({self.unit})" if shown else self.label
        return [
            label,
            show(self.old_value, self.old_year),
            show(self.new_value, self.new_year),
            rank(self.old_rank),
            rank(self.new_rank),
        ]


def _latest(store: Store) -> pd.DataFrame:
    v = store.indicators
    v = v[~v["indicator"].str.contains(".", regex=False)]
    v = v.sort_values([*KEY, "year"]).drop_duplicates(KEY, keep="last")
    return v.set_index(KEY)[["year", "value", "rank"]]


def changes_frame(old: Store, new: Store) -> pd.DataFrame:
    """One row per (indicator, level, code) whose latest value (at its printed decimals) or
    région rank differs: old_/new_ year, value, rank; label, unit and decimals of the new."""
    both = _latest(old).add_prefix("old_").join(_latest(new).add_prefix("new_"), how="inner")
    meta = new.meta[["label", "unit", "decimals"]].copy()  # every indicator has its row
    meta["decimals"] = pd.to_numeric(meta["decimals"]).fillna(0).astype(int)
    both = both.join(meta, on="indicator")
    scale = 10.0 ** both["decimals"]
    same_value = (both["old_value"] * scale).round().eq((both["new_value"] * scale).round())
    same_value |= both["old_value"].isna() & both["new_value"].isna()
    same_rank = both["old_rank"].eq(both["new_rank"])
    same_rank |= both["old_rank"].isna() & both["new_rank"].isna()
    return both[~(same_value & same_rank)].reset_index()


def _int(x: object) -> int | None:
    return None if fmt.is_missing(x) else int(float(x))  # type: ignore[arg-type]


def _float(x: object) -> float | None:
    return None if fmt.is_missing(x) else float(x)  # type: ignore[arg-type]


def territory_changes(frame: pd.DataFrame, level: str, code: str) -> list[Change]:
    """The changes of one territory, in indicator order, at most :data:`LIMIT`."""
    rows = frame[(frame["level"] == level) & (frame["code"] == code)].sort_values("indicator")
    return [
        Change(
            str(r.indicator),
            str(r.label),
            "" if pd.isna(r.unit) else str(r.unit),
            int(r.decimals),
            _int(r.old_year),
            _float(r.old_value),
            _int(r.old_rank),
            _int(r.new_year),
            _float(r.new_value),
            _int(r.new_rank),
        )
        for r in rows.head(LIMIT).itertuples()
    ]


def _manifest(store: Store) -> dict:
    return json.loads((Path(store.dir) / "manifest.json").read_text(encoding="utf-8"))


def novelties(old: Store, new: Store, old_label: str) -> str:
    """The "Nouveautés de cette édition" paragraph, from both editions' manifests and data."""
    a, b = _manifest(old), _manifest(new)
    old_files = {s["path"] for s in a["sources"]}
    new_files = {s["path"] for s in b["sources"]}
    old_sha = {(s["path"], s.get("sheet")): s["sha256"] for s in a["sources"]}
    added = sorted(new_files - old_files)
    revised_files = sorted(
        {
            s["path"]
            for s in b["sources"]
            if (s["path"], s.get("sheet")) in old_sha
            and old_sha[(s["path"], s.get("sheet"))] != s["sha256"]
        }
    )
    last_old = old.indicators.groupby("indicator")["year"].max()
    last_new = new.indicators.groupby("indicator")["year"].max()
    newer = last_new[last_new.index.isin(last_old.index)]
    newer = newer[newer > last_old.reindex(newer.index)]
    newer = newer[~newer.index.str.contains(".", regex=False)]
    sources: dict[tuple[str, int, int], list[str]] = {}
    for ind, year in newer.items():
        src = str(new.info(ind).get("source", "")).split(" ; ")[0]
        sources.setdefault((src, int(last_old[ind]), int(year)), []).append(new.label(ind))
    common = old.indicators.merge(new.indicators, on=[*KEY, "year"], suffixes=("_old", "_new"))
    revised = common[
        (common["value_old"] - common["value_new"]).abs()
        > 1e-9 * common["value_new"].abs().clip(lower=1)
    ]
    since = f"{old_label[0].lower()}{old_label[1:]}"  # "Édition <year>" → "édition <year>"
    if sources:
        items = [
            f"{src} (jusqu’en {new_year} au lieu de {old_year}, {len(labels)} indicateur"
            f"{'s' if len(labels) > 1 else ''})"
            for (src, old_year, new_year), labels in sorted(sources.items())
        ]
        listed = items[0] if len(items) == 1 else ", ".join(items[:-1]) + " et " + items[-1]
        series = "série" if len(items) == 1 else "séries"
        text = f"Par rapport à l’{since}, cette édition prolonge {len(items)} {series} : {listed}."
    else:
        text = f"Par rapport à l’{since}, cette édition ne prolonge aucune série."
    if added:
        text += f" Sources nouvelles : {', '.join(added)}."
    if revised_files:
        n_files = len(revised_files)
        text += f" Fichiers sources mis à jour : {n_files}."
    n = len(revised)
    if n == 0:
        text += " Aucune valeur d’une année déjà publiée n’a été révisée."
    elif n == 1:
        text += " Une valeur d’une année déjà publiée a été révisée."
    else:
        text += f" {fmt.fmt_int(n)} valeurs d’années déjà publiées ont été révisées."
    return text
