"""``layouts.yaml`` → frozen, validated layout objects.

A document is an ordered list of sections; a section is a template + the indicators, tables
and figures it shows. Reordering or removing a section is a YAML edit.

The file is checked against :data:`reports.config_schema.SCHEMA` (readable ``Shape``
declarations, key → checker): unknown keys (a typo such as ``setings:``), duplicated keys,
wrong types (a text where a list is expected), unknown ids (figures of
:mod:`reports.figures.catalogue`, indicators of ``data/indicator_meta.csv``, the layouts' own
tables, sections and documents, the analyses of :mod:`reports.content.analysis`) and
``only:`` values. Every problem is collected first and reported together, each with
``layouts.yaml:<line>``, the key path and, for a misspelt name, the closest ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reports import edition
from reports.config_schema import (
    NEEDS,
    SCHEMA,
    Schema,
    YamlMap,
    key_paths,
    kind_of,
    read_yaml,
)
from reports.errors import ConfigError


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
    follows: bool = False  # a fiche: continues the page of the section before it

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


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def load_layouts(
    path: Path,
    templates_dir: Path | None = None,
    known_indicators: set[str] | None = None,
    known_figures: set[str] | None = None,
    known_analyses: set[str] | None = None,
) -> Layouts:
    """Parse and validate against :data:`SCHEMA` (unknown or duplicated keys, wrong types,
    unknown ids — with the closest ones —, missing templates); raise one
    :class:`ConfigError` listing every problem with its ``layouts.yaml:<line>``."""
    if not path.is_file():
        raise ConfigError(
            "layouts file not found", where=str(path), hint="restore layouts.yaml (git)"
        )
    raw, duplicates = read_yaml(path)
    if not isinstance(raw, YamlMap):
        raise ConfigError(
            f"the layouts must be a mapping (settings, tables, sections, documents), "
            f"not {kind_of(raw)}",
            where=f"{path}:1",
            hint="restore layouts.yaml (git)",
        )
    tables = raw.get("tables") if isinstance(raw.get("tables"), dict) else {}
    sections = raw.get("sections") if isinstance(raw.get("sections"), dict) else {}
    documents = raw.get("documents") if isinstance(raw.get("documents"), dict) else {}
    schema = Schema(
        {
            "indicator": known_indicators or None,
            "figure": known_figures,
            "analysis": known_analyses,
            "table": set(tables),
            "section": set(sections),
            "document": set(documents),
        }
    )
    paths = dict(key_paths(raw))
    for line, key, first, where in duplicates:
        path_of = paths.get(id(where), "")
        schema.err(
            line,
            f"{path_of}.{key}" if path_of else str(key),
            f"duplicate key (first at line {first}): the last one would win",
            "keep one of them",
        )
    schema.mapping(raw, 1, "", SCHEMA)
    for tid, t in tables.items():
        kind = t.get("kind") if isinstance(t, dict) else None
        need = NEEDS.get(kind) if isinstance(kind, str) else None
        if need and not t.get(need):
            schema.err(
                t.line, f"tables.{tid}", f"a {t['kind']} table needs {need}", f"add {need}: […]"
            )
    for sid, s in sections.items():
        template = s.get("template") if isinstance(s, dict) else None
        if (
            templates_dir is not None
            and isinstance(template, str)
            and not (templates_dir / template).is_file()
        ):
            schema.err(
                s.lines["template"],
                f"sections.{sid}.template",
                f"template {template!r} not found in {templates_dir}",
                "check the path, relative to templates/",
            )
    if schema.problems:
        raise _problems(path, schema.problems)
    return _build(path, raw)


def _problems(path: Path, problems: list[tuple[int, str, str, str]]) -> ConfigError:
    problems = sorted(problems, key=lambda p: p[0])
    if len(problems) == 1:
        line, key, what, hint = problems[0]
        what = f"{key}: {what}" if key else what
        return ConfigError(what, where=f"{path}:{line}", hint=hint or None)
    lines = [
        f"{path.name}:{line} " + (f"{key}: " if key else "") + what + (f" ({hint})" if hint else "")
        for line, key, what, hint in problems
    ]
    return ConfigError(
        f"{len(problems)} problems: " + "; ".join(lines), where=str(path), hint="fix layouts.yaml"
    )


def _plain(value: Any) -> Any:
    """Parsed YAML → plain dicts (with their ``__line__``) and lists."""
    if isinstance(value, YamlMap):
        out = {k: _plain(v) for k, v in value.items()}
        out["__line__"] = value.line
        return out
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _build(path: Path, raw: YamlMap) -> Layouts:
    """Validated YAML → the frozen specs."""

    def tup(value: Any) -> tuple[str, ...]:
        return tuple(value or ())

    def opt(s: dict, key: str) -> tuple[str, ...] | None:
        return None if s.get(key) is None else tuple(s[key])

    def text(s: dict, key: str) -> str:  # "{museums_last}" → the edition's year
        return edition.current().text(str(s.get(key, "")))

    tables = {
        tid: TableSpec(
            id=tid,
            kind=t["kind"],
            title=text(t, "title"),
            indicators=tup(t.get("indicators")),
            pairs=tuple(tuple(p) for p in t.get("pairs") or ()),
            source=str(t.get("source", "")),
        )
        for tid, t in (raw.get("tables") or {}).items()
    }
    sections = {
        sid: SectionSpec(
            id=sid,
            title=text(s, "title"),
            template=s["template"],
            page=str(s.get("page", "text")),
            analysis=_as_tuple(s.get("analysis")),
            intro=text(s, "intro"),
            indicators=tup(s.get("indicators")),
            tables=tup(s.get("tables")),
            figures=tup(s.get("figures")),
            figures_drom=opt(s, "figures_drom"),
            figures_france=opt(s, "figures_france"),
            tables_drom=opt(s, "tables_drom"),
            tables_france=opt(s, "tables_france"),
            only=s.get("only"),
            follows=bool(s.get("follows", False)),
        )
        for sid, s in raw["sections"].items()
    }
    documents = {
        did: DocumentSpec(
            id=did,
            title=text(d, "title"),
            sections=tup(d.get("sections")),
            parts=tuple(_plain(p) for p in d.get("parts") or ()),
        )
        for did, d in raw["documents"].items()
    }
    settings = {k: v for k, v in (raw.get("settings") or {}).items()}
    return Layouts(
        path=path, sections=sections, tables=tables, documents=documents, settings=settings
    )
