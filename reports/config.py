"""``layouts.yaml`` → frozen, validated layout objects.

A document is an ordered list of sections; a section is a template + the indicators, tables
and figures it shows. Reordering or removing a section is a YAML edit. Every problem is
collected first and reported together, each with ``layouts.yaml:<line>`` and the key path.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reports.errors import ConfigError

SECTION_KEYS = {
    "title",
    "template",
    "page",
    "analysis",
    "indicators",
    "tables",
    "figures",
    "figures_drom",
    "figures_france",
    "tables_drom",
    "tables_france",
    "intro",
    "only",
}
TABLE_KINDS = {
    "comparison",
    "by_departement",
    "count_ratio",
    "museums_top",
    "zones_emploi",
    "spending",
    "key_figures",
}


@dataclass(frozen=True)
class TableSpec:
    id: str
    kind: str
    title: str
    indicators: tuple[str, ...] = ()
    pairs: tuple[tuple[str, str], ...] = ()
    source: str = ""


@dataclass(frozen=True)
class SectionSpec:
    id: str
    title: str
    template: str
    page: str = "text"
    analysis: tuple[str, ...] = ()  # text.analyse sections, in order
    intro: str = ""
    indicators: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    figures: tuple[str, ...] = ()
    figures_drom: tuple[str, ...] | None = None
    figures_france: tuple[str, ...] | None = None
    tables_drom: tuple[str, ...] | None = None
    tables_france: tuple[str, ...] | None = None
    only: str | None = None  # "metro" | "drom" | "france" | None

    def figures_for(self, kind: str) -> tuple[str, ...]:
        if kind == "drom" and self.figures_drom is not None:
            return self.figures_drom
        if kind == "france" and self.figures_france is not None:
            return self.figures_france
        return self.figures

    def tables_for(self, kind: str) -> tuple[str, ...]:
        if kind == "drom" and self.tables_drom is not None:
            return self.tables_drom
        if kind == "france" and self.tables_france is not None:
            return self.tables_france
        return self.tables

    def applies_to(self, kind: str) -> bool:
        if self.only == "metro":  # metropolitan data: the metro régions and the France fiche
            return kind != "drom"
        if self.only == "region":
            return kind != "france"
        return self.only is None or self.only == kind


@dataclass(frozen=True)
class DocumentSpec:
    id: str
    title: str
    sections: tuple[str, ...]
    parts: tuple[dict, ...] = ()


@dataclass(frozen=True)
class Layouts:
    path: Path
    sections: dict[str, SectionSpec]
    tables: dict[str, TableSpec]
    documents: dict[str, DocumentSpec]
    settings: dict[str, Any] = field(default_factory=dict)

    def document(self, name: str) -> DocumentSpec:
        if name not in self.documents:
            raise ConfigError(
                f"no document {name!r}",
                where=str(self.path),
                hint=f"documents: {', '.join(self.documents)}",
            )
        return self.documents[name]


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that remembers the line of every mapping (for error messages)."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _suggest(name: str, choices: Any) -> str:
    close = difflib.get_close_matches(str(name), list(choices), n=3)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def load_layouts(
    path: Path,
    templates_dir: Path | None = None,
    known_indicators: set[str] | None = None,
    known_figures: set[str] | None = None,
) -> Layouts:
    """Parse and validate; raise one :class:`ConfigError` listing every problem."""
    if not path.is_file():
        raise ConfigError("layouts file not found", where=str(path))
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            f"invalid YAML: {problem}", where=where, hint="check indentation and colons"
        ) from None
    errors: list[str] = []

    def err(line: Any, key: str, msg: str) -> None:
        errors.append(f"{path.name}:{line} {key}: {msg}")

    if not isinstance(raw, dict):
        raise ConfigError("top level must be a mapping", where=str(path))
    for top in ("sections", "documents"):
        if top not in raw:
            err(1, top, "missing top-level key")

    tables: dict[str, TableSpec] = {}
    for tid, t in (raw.get("tables") or {}).items():
        if tid == "__line__":
            continue
        line = t.get("__line__", "?")
        kind = t.get("kind")
        if kind not in TABLE_KINDS:
            err(
                line,
                f"tables.{tid}.kind",
                f"{kind!r} is not one of {sorted(TABLE_KINDS)}" + _suggest(kind, TABLE_KINDS),
            )
            continue
        tables[tid] = TableSpec(
            id=tid,
            kind=kind,
            title=str(t.get("title", "")),
            indicators=tuple(t.get("indicators") or ()),
            pairs=tuple(tuple(p) for p in (t.get("pairs") or ())),
            source=str(t.get("source", "")),
        )
        if known_indicators:
            used = list(t.get("indicators") or ()) + [i for p in t.get("pairs") or () for i in p]
            for ind in used:
                if ind not in known_indicators:
                    err(
                        line,
                        f"tables.{tid}",
                        f"unknown indicator {ind!r}" + _suggest(ind, known_indicators),
                    )

    sections: dict[str, SectionSpec] = {}
    for sid, s in (raw.get("sections") or {}).items():
        if sid == "__line__":
            continue
        line = s.get("__line__", "?")
        unknown = set(s) - SECTION_KEYS - {"__line__"}
        for k in sorted(unknown):
            err(line, f"sections.{sid}.{k}", "unknown key" + _suggest(k, SECTION_KEYS))
        if "template" not in s:
            err(line, f"sections.{sid}", "missing 'template'")
            continue
        if templates_dir is not None and not (templates_dir / s["template"]).is_file():
            err(
                line,
                f"sections.{sid}.template",
                f"template {s['template']!r} not found in {templates_dir}",
            )
        for key in ("tables", "tables_drom", "tables_france"):
            for tid in s.get(key) or ():
                if tid not in tables:
                    err(
                        line,
                        f"sections.{sid}.{key}",
                        f"unknown table {tid!r}" + _suggest(tid, tables),
                    )
        if known_figures is not None:
            for key in ("figures", "figures_drom", "figures_france"):
                for fid in s.get(key) or ():
                    if fid not in known_figures:
                        err(
                            line,
                            f"sections.{sid}.{key}",
                            f"unknown figure {fid!r}" + _suggest(fid, known_figures),
                        )

        def tup(key: str, s: dict = s) -> tuple[str, ...] | None:
            v = s.get(key)
            return None if v is None else tuple(v)

        sections[sid] = SectionSpec(
            id=sid,
            title=str(s.get("title", "")),
            template=s["template"],
            page=str(s.get("page", "text")),
            analysis=_as_tuple(s.get("analysis")),
            intro=str(s.get("intro", "")),
            indicators=tuple(s.get("indicators") or ()),
            tables=tuple(s.get("tables") or ()),
            figures=tuple(s.get("figures") or ()),
            figures_drom=tup("figures_drom"),
            figures_france=tup("figures_france"),
            tables_drom=tup("tables_drom"),
            tables_france=tup("tables_france"),
            only=s.get("only"),
        )

    documents: dict[str, DocumentSpec] = {}
    for did, d in (raw.get("documents") or {}).items():
        if did == "__line__":
            continue
        line = d.get("__line__", "?")
        secs = tuple(d.get("sections") or ())
        for sid in secs:
            if sid not in sections:
                err(
                    line,
                    f"documents.{did}.sections",
                    f"unknown section {sid!r}" + _suggest(sid, sections),
                )
        parts = tuple(d.get("parts") or ())
        documents[did] = DocumentSpec(
            id=did, title=str(d.get("title", "")), sections=secs, parts=parts
        )
    if errors:
        raise ConfigError(
            f"{len(errors)} problem(s) in layouts:\n  " + "\n  ".join(errors),
            where=str(path),
            hint="fix layouts.yaml",
        )
    settings = {k: v for k, v in (raw.get("settings") or {}).items() if k != "__line__"}
    return Layouts(
        path=path, sections=sections, tables=tables, documents=documents, settings=settings
    )
