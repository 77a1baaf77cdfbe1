"""The schema of ``layouts.yaml``: a YAML reader that keeps the line of every key and item
(duplicates noted), and :data:`SCHEMA`, a few readable :class:`Shape` declarations (key →
checker) that collect every problem with its line, key path and closest names
(:func:`reports.config.load_layouts` reports them together)."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from reports.errors import ConfigError

#: the ``kind:`` of a table (reports.content.tables builds each)
TABLE_KINDS = {
    "comparison",
    "by_departement",
    "count_ratio",
    "museums_top",
    "zones_emploi",
    "spending",
    "key_figures",
}


# --- reading: YAML with the line of every key and item, duplicates noted -----------------------
class YamlMap(dict):
    """A YAML mapping; ``line`` its own line, ``lines`` the line of each key."""

    line: int = 0
    lines: dict[Any, int]


class _Seq(list):
    """A YAML sequence; ``line`` its own line, ``lines`` the line of each item."""

    line: int = 0
    lines: list[int]


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when built
    """SafeLoader that remembers lines (for error messages) and notes duplicated keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, Any, int, YamlMap]] = []  # (line, key, first line, in)


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> YamlMap:
    out = YamlMap()
    first: dict[Any, int] = {}
    for key_node, _value in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
            key, line = key_node.value, key_node.start_mark.line + 1
            if key in first:
                loader.duplicates.append((line, key, first[key], out))
            first.setdefault(key, line)
    loader.flatten_mapping(node)
    out.line, out.lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise yaml.constructor.ConstructorError(
                None, None, "a key cannot be a list or a mapping", key_node.start_mark
            )
        out.lines[key] = key_node.start_mark.line + 1
        out[key] = loader.construct_object(value_node, deep=True)
    return out


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> _Seq:
    out = _Seq(loader.construct_object(child, deep=True) for child in node.value)
    out.line, out.lines = node.start_mark.line + 1, [c.start_mark.line + 1 for c in node.value]
    return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def key_paths(value: Any, key: str = "") -> Iterator[tuple[int, str]]:
    """(id of a mapping, its key path) of every mapping in ``value``."""
    if isinstance(value, YamlMap):
        yield id(value), key
    if isinstance(value, dict):
        for k, v in value.items():
            yield from key_paths(v, f"{key}.{k}" if key else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from key_paths(v, f"{key}[{i}]")


def read_yaml(path: Path) -> tuple[Any, list[tuple[int, Any, int, YamlMap]]]:
    """Parse ``path``: (value, duplicated keys); unreadable or invalid YAML is a ConfigError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot read the layouts: {exc.strerror}", where=str(path), hint="check the file"
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            where=f"{path}:{line}",
            hint="save layouts.yaml as UTF-8 text (or restore it with git)",
        ) from None
    loader = _LineLoader(text)
    try:
        return loader.get_single_data(), loader.duplicates
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is None and isinstance(exc, yaml.reader.ReaderError):
            line = text[: exc.position].count("\n") + 1
            raise ConfigError(
                f"invalid YAML: character {exc.character!r} not allowed",
                where=f"{path}:{line}",
                hint="remove the control character (or restore the file with git)",
            ) from None
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            f"invalid YAML: {problem}", where=where, hint="check indentation and colons"
        ) from None
    finally:
        loader.dispose()


# --- the schema ---------------------------------------------------------------------------------
#: ``check(schema, value, line, key path)``: reports what is wrong with ``value``
Checker = Callable[["Schema", Any, int, str], None]


@dataclass(frozen=True)
class Shape:
    """A mapping of layouts.yaml: its keys (name → :data:`Checker`), the required ones."""

    fields: dict[str, Checker]
    required: tuple[str, ...] = ()

    def example(self) -> str:
        names = self.required or tuple(self.fields)[:2]
        return "e.g. " + ", ".join(f"{n}: …" for n in names) + " on the lines below, indented"


def kind_of(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def _close(name: Any, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(name), sorted(choices), n=3, cutoff=0.6)
    return f"did you mean {' or '.join(close)}?" if close else ""


class Schema:
    """Checks the parsed layouts against :data:`SCHEMA`; collects (line, key, what, hint)."""

    def __init__(self, known: dict[str, set[str] | None]) -> None:
        self.known = known  # id kind → ids (None: not checked)
        self.problems: list[tuple[int, str, str, str]] = []

    def err(self, line: int, key: str, what: str, hint: str = "") -> None:
        self.problems.append((line, key, what, hint))

    def mapping(self, value: Any, line: int, key: str, shape: Shape) -> None:
        """``value`` a mapping of ``shape``: no unknown key, the required ones, each value
        checked."""
        if not isinstance(value, YamlMap):
            self.err(line, key, f"expected a mapping, got {kind_of(value)}", shape.example())
            return
        for name in value:
            sub = f"{key}.{name}" if key else str(name)
            if name not in shape.fields:
                hint = _close(name, shape.fields) or f"the keys are {', '.join(shape.fields)}"
                self.err(value.lines[name], sub, "unknown key", hint)
            else:
                shape.fields[name](self, value[name], value.lines[name], sub)
        for name in shape.required:
            if name not in value:
                self.err(value.line, key, f"missing {name!r}", shape.example())

    def named(self, value: Any, line: int, key: str, shape: Shape) -> None:
        """A mapping of id → mapping of ``shape`` (tables, sections, documents)."""
        if not isinstance(value, YamlMap):
            self.err(line, key, f"expected a mapping of ids, got {kind_of(value)}", shape.example())
            return
        for name, item in value.items():
            if not isinstance(name, str):
                self.err(
                    value.lines[name], key, f"an id must be a text, not {kind_of(name)}", "quote it"
                )
            self.mapping(item, value.lines[name], f"{key}.{name}", shape)

    def text(self, value: Any, line: int, key: str) -> None:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.err(line, key, f"expected a text, got {kind_of(value)}", 'write it "in quotes"')

    def choice(self, value: Any, line: int, key: str, choices: Iterable[str]) -> None:
        if not isinstance(value, str) or value not in choices:
            hint = _close(value, choices) or f"one of {', '.join(sorted(choices))}"
            listed = ", ".join(sorted(choices))
            self.err(line, key, f"{kind_of(value)} is not one of {listed}", hint)

    def ident(self, value: Any, line: int, key: str, kind: str) -> None:
        """One id of ``kind`` (indicator, figure, table, section, document, analysis)."""
        if not isinstance(value, str):
            self.err(
                line, key, f"expected a {kind} id, got {kind_of(value)}", f"see {WHERE_IDS[kind]}"
            )
            return
        known = self.known.get(kind)
        if kind == "indicator":
            value, _, level = value.partition("@")  # a map's level: D03_per_inh@region
            if level and level not in LEVELS:
                self.err(line, key, f"unknown level {level!r}", f"one of {', '.join(LEVELS)}")
        if known is not None and value not in known:
            hint = _close(value, known) or f"see {WHERE_IDS[kind]}"
            self.err(line, key, f"unknown {kind} {value!r}", hint)

    def ids(self, value: Any, line: int, key: str, kind: str) -> None:
        """A list of ids of ``kind``."""
        if isinstance(value, str):
            self.err(
                line,
                key,
                f"expected a list of {kind} ids, got {kind_of(value)}",
                f"write [{value}]",
            )
        elif not isinstance(value, _Seq):
            self.err(
                line, key, f"expected a list of {kind} ids, got {kind_of(value)}", "write [id, id…]"
            )
        else:
            for item, item_line in zip(value, value.lines, strict=True):
                self.ident(item, item_line, key, kind)

    def items(self, value: Any, line: int, key: str, shape: Shape) -> None:
        """A list of mappings of ``shape`` (atlas parts, national extras)."""
        if not isinstance(value, _Seq):
            self.err(
                line, key, f"expected a list, got {kind_of(value)}", "one '- ' item per line below"
            )
            return
        for i, (item, item_line) in enumerate(zip(value, value.lines, strict=True)):
            self.mapping(item, item_line, f"{key}[{i}]", shape)


def _text(s: Schema, v: Any, line: int, key: str) -> None:
    s.text(v, line, key)


def _flag(s: Schema, v: Any, line: int, key: str) -> None:
    if not isinstance(v, bool):
        s.err(line, key, f"expected true or false, got {kind_of(v)}", "write true or false")


def _texts(s: Schema, v: Any, line: int, key: str) -> None:
    if not isinstance(v, _Seq):
        s.err(line, key, f"expected a list of texts, got {kind_of(v)}", "one '- ' item per line")
        return
    for item, item_line in zip(v, v.lines, strict=True):
        s.text(item, item_line, key)


def _ids(kind: str) -> Any:
    return lambda s, v, line, key: s.ids(v, line, key, kind)


def _one(kind: str) -> Any:
    return lambda s, v, line, key: s.ident(v, line, key, kind)


def _choice(choices: set[str]) -> Any:
    return lambda s, v, line, key: s.choice(v, line, key, choices)


def _analysis(s: Schema, v: Any, line: int, key: str) -> None:
    if isinstance(v, str):  # one analysis, or a list of them
        s.ident(v, line, key, "analysis")
    else:
        s.ids(v, line, key, "analysis")


def _pairs(s: Schema, v: Any, line: int, key: str) -> None:
    if not isinstance(v, _Seq):
        s.err(
            line,
            key,
            f"expected a list of [count, ratio] pairs, got {kind_of(v)}",
            "e.g. [[O01, O01_p100k]]",
        )
        return
    for item, item_line in zip(v, v.lines, strict=True):
        if not isinstance(item, _Seq) or len(item) != 2:
            s.err(
                item_line,
                key,
                f"expected a pair [count, ratio], got {kind_of(item)}",
                "e.g. [O01, O01_p100k]",
            )
        else:
            s.ids(item, item_line, key, "indicator")


def _nested(shape: Shape, many: bool = False) -> Checker:
    if many:
        return lambda s, v, line, key: s.items(v, line, key, shape)
    return lambda s, v, line, key: s.mapping(v, line, key, shape)


def _named(shape: Shape) -> Checker:
    return lambda s, v, line, key: s.named(v, line, key, shape)


#: where the ids of each kind come from (said when an unknown one has no close match)
WHERE_IDS = {
    "indicator": "data/indicator_meta.csv",
    "figure": "reports/figures/catalogue.py (REGISTRY)",
    "analysis": "reports/content/analysis.py (PLAN)",
    "table": "tables: in this file",
    "section": "sections: in this file",
    "document": "documents: in this file",
}
ONLY = {"metro", "drom", "france", "region"}  # SectionSpec.applies_to
CHAPTERS = {"france", "regions"}  # reports.documents.atlas.parts
LEVELS = ("departement", "region")
#: what a table kind is built from (reports.content.tables)
NEEDS = {
    "comparison": "indicators",
    "by_departement": "indicators",
    "key_figures": "indicators",
    "count_ratio": "pairs",
    "spending": "pairs",
}

#: ``settings:`` (a new setting is added here: a misspelt one is refused, not ignored)
SETTINGS = Shape(
    {
        "author": _text,  # the PDF's author
        "short_author": _text,
        "publisher": _text,  # fiche first page and footer
        "collection": _text,
        "director": _text,  # colophon fields, printed only when set
        "isbn": _text,
        "legal_deposit": _text,
    }
)
TABLE = Shape(
    {
        "kind": _choice(TABLE_KINDS),
        "title": _text,
        "indicators": _ids("indicator"),
        "pairs": _pairs,
        "source": _text,
    },
    required=("kind",),
)
SECTION_FIELDS: dict[str, Checker] = {
    "title": _text,
    "template": _text,
    "page": _text,
    "analysis": _analysis,
    "indicators": _ids("indicator"),
    "tables": _ids("table"),
    "tables_drom": _ids("table"),
    "tables_france": _ids("table"),
    "figures": _ids("figure"),
    "figures_drom": _ids("figure"),
    "figures_france": _ids("figure"),
    "intro": _text,
    "only": _choice(ONLY),
    "follows": _flag,
}
SECTION = Shape(SECTION_FIELDS, required=("template",))
#: a page of the national chapter (reports.documents.atlas.parts.national_extras)
EXTRA = Shape(
    {
        "id": _text,
        "title": _text,
        "intro": _text,
        "page": _text,
        "maps": _ids("indicator"),
        "ranking": _ids("indicator"),
        "ranking_title": _text,
    },
    required=("id", "title"),
)
#: a part of the atlas (reports.documents.atlas.parts.atlas_parts)
PART = Shape(
    {
        "id": _text,
        "title": _text,
        "template": _text,
        "chapter": _choice(CHAPTERS),
        "sections": _ids("section"),
        "sections_from": _one("document"),
        "extras": _nested(EXTRA, many=True),
        "changes": _texts,
    },
    required=("id",),
)
DOCUMENT = Shape({"title": _text, "sections": _ids("section"), "parts": _nested(PART, many=True)})
#: layouts.yaml
SCHEMA = Shape(
    {
        "settings": _nested(SETTINGS),
        "tables": _named(TABLE),
        "sections": _named(SECTION),
        "documents": _named(DOCUMENT),
    },
    required=("sections", "documents"),
)
