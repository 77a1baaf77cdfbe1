"""``atlas build --compare-with EDITION``: the chapters' "Évolutions depuis l'édition
précédente" tables, the avant-propos paragraph "Nouveautés de cette édition" and the CSV of
every change beside the PDF (ATLAS_SPEC §9), from the two editions' derived data
(:mod:`reports.content.changes`).

The edition compared with is named by ``ATLAS_COMPARE_WITH`` (set by the CLI, so that the
atlas workers inherit it); its derived data is read where ``atlas data build --edition``
wrote it. One comparison per process, computed on first use.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from reports import edition
from reports.content import changes
from reports.content.model import SectionCtx
from reports.content.tables import Row, TableCtx
from reports.data.store import Store, data_dir_ok
from reports.data.territories import Territory
from reports.errors import ConfigError
from reports.paths import Paths

ENV = "ATLAS_COMPARE_WITH"
SECTION_ID = "evolutions"
TITLE = "Évolutions depuis l’édition précédente"


def select(name: str | None) -> str | None:
    """Compare this process (and its workers) with edition ``name``; checked first."""
    if not name:
        os.environ.pop(ENV, None)
        return None
    old = edition.load(name)  # an unknown edition: one line, the known ones
    current = edition.current()
    if old.name == current.name:
        raise ConfigError(
            f"--compare-with {name}: the edition being built",
            where="atlas build",
            hint=f"compare with an earlier edition (previous: {current.previous or 'none'})",
        )
    target = Paths().edition_data(old.name)
    if not data_dir_ok(target):
        raise ConfigError(
            f"no derived data for edition {old.name}",
            where=str(target),
            hint=f"run `atlas data build --edition {old.name}` first",
        )
    os.environ[ENV] = old.name
    return old.name


@dataclass(frozen=True)
class Comparison:
    old: edition.Edition
    frame: pd.DataFrame  # every change (content.changes.changes_frame)
    novelties: str  # the avant-propos paragraph


@lru_cache(maxsize=2)
def _comparison(name: str, data: str) -> Comparison:
    old = edition.load(name)
    old_store = Store(Paths(data_override=Paths().edition_data(name)))
    old_store.check()
    new_store = Store(Paths(data_override=Path(data)))
    frame = changes.changes_frame(old_store, new_store)
    return Comparison(old, frame, changes.novelties(old_store, new_store, old.label))


def active(paths: Paths) -> Comparison | None:
    name = os.environ.get(ENV)
    return _comparison(name, str(paths.data)) if name else None


def key(paths: Paths) -> str:
    """What the comparison adds to a cache key: the edition and its manifest."""
    name = os.environ.get(ENV)
    if not name:
        return ""
    manifest = paths.edition_data(name) / "manifest.json"
    return f"compare {name} " + (manifest.read_text(encoding="utf-8") if manifest.is_file() else "")


def changes_section(paths: Paths, territory: Territory) -> SectionCtx | None:
    """The chapter table of ``territory``'s changes (None without a comparison or a change)."""
    comparison = active(paths)
    if comparison is None:
        return None
    level, code = ("france", "FR") if territory.is_france else ("region", territory.code)
    rows = changes.territory_changes(comparison.frame, level, code)
    if not rows:
        return None
    rank_of = None if territory.is_france else 18
    old, new = comparison.old.label, edition.current().label
    table = TableCtx(
        "T-evol",
        TITLE,
        ["Indicateur", old, new, "Rang (préc.)", "Rang"],
        [Row(c.cells(rank_of)) for c in rows],
        f"Source : données dérivées des éditions {comparison.old.name} et "
        f"{edition.current().name} de l’atlas",
        numeric_from=1,
    )
    if territory.is_france:
        table.header = table.header[:3]
        table.rows = [Row(r.cells[:3]) for r in table.rows]
    total = int(((comparison.frame["level"] == level) & (comparison.frame["code"] == code)).sum())
    if total > len(rows):
        table.notes.append(
            f"{len(rows)} indicateurs sur {total} dont la valeur ou le rang a changé ; "
            "la liste complète est dans le fichier des évolutions joint à l’atlas."
        )
    return SectionCtx(
        SECTION_ID,
        TITLE,
        "sections/section.html",
        "text",
        intro=(
            f"Indicateurs dont la dernière valeur ou le rang diffère de l’{old[0].lower()}"
            f"{old[1:]} (valeur et année de chaque édition)."
        ),
        tables=[table],
    )


def changes_csv(paths: Paths) -> bytes | None:
    """Every change of every territory, for the CSV beside the PDF."""
    comparison = active(paths)
    if comparison is None:
        return None
    cols = ["level", "code", "indicator", "label", "unit"]
    cols += ["old_year", "old_value", "old_rank", "new_year", "new_value", "new_rank"]
    frame = comparison.frame[cols].sort_values(["level", "code", "indicator"])
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def write_changes_csv(pdf: Path) -> Path:
    """``<pdf stem>-evolutions.csv`` beside the PDF (written whole or not at all)."""
    from reports.integrity import write_atomic

    data = changes_csv(Paths()) or b""
    target = pdf.with_name(f"{pdf.stem}-evolutions.csv")
    write_atomic(target, data)
    return target
