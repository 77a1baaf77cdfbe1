"""The edition being built: ``editions/<name>.yaml`` (ATLAS_SPEC §9).

An edition names its label and date, the reference years of every source (``years:``) and
the files of the sources whose vintage changes from one edition to the next (``files:``).
No module of :mod:`reports` holds a year literal: the code asks :func:`current` for
``year("museums_last")``, and titles and sentences written with ``{museums_last}``
placeholders are filled by :meth:`Edition.text`.

Which edition: ``--edition`` (the CLI sets ``ATLAS_EDITION`` so that worker processes
inherit it), else the newest file of ``editions/``. The newest edition's derived data is
``data/``; an earlier one's lives apart, in ``data/editions/<name>/`` (:mod:`reports.paths`).
"""

from __future__ import annotations

import datetime
import os
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

import yaml

from reports.errors import ConfigError

EDITIONS_DIR = Path(__file__).resolve().parent.parent / "editions"
ENV = "ATLAS_EDITION"
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built
_KEYS = {"edition", "label", "date", "previous", "years", "files"}


@dataclass(frozen=True)
class Edition:
    name: str  # the year of the edition: its file name and the folder of its derived data
    label: str  # "Édition <year>", printed
    date: str  # ISO date, printed as month and year and written in the PDF metadata
    previous: str  # the edition compared with by default ('' for none)
    years: Mapping[str, int] = field(default_factory=dict)
    files: Mapping[str, str] = field(default_factory=dict)
    path: Path = EDITIONS_DIR

    def _entry(self, table: Mapping, section: str, what: str, key: str):  # noqa: ANN202
        try:
            return table[key]
        except KeyError:
            raise ConfigError(
                f"no {what} {key!r}",
                where=str(self.path),
                hint=f"add `{key}:` under `{section}:` (known: {', '.join(sorted(table))})",
            ) from None

    def year(self, key: str) -> int:
        return self._entry(self.years, "years", "reference year", key)

    def span(self, first: str, last: str) -> list[int]:
        """Every year from ``years[first]`` to ``years[last]``, both included."""
        return list(range(self.year(first), self.year(last) + 1))

    def file(self, key: str) -> str:
        return self._entry(self.files, "files", "source file", key)

    def text(self, template: str) -> str:
        """``"Entrées {museums_last}"`` → ``"Entrées <that year>"``; an unknown name is an
        error."""
        names = [f for _, f, _, _ in string.Formatter().parse(template) if f]
        for name in names:
            self.year(name)
        return template.format_map(self.years) if names else template

    @property
    def is_latest(self) -> bool:
        return self.name == latest_name()


@lru_cache(maxsize=1)
def _names() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in EDITIONS_DIR.glob("*.yaml")))


def available() -> list[str]:
    """Edition names, oldest first (the folder is read once a process: every ``Paths.data``
    asks which edition is the newest)."""
    return list(_names())


def latest_name() -> str:
    names = available()
    if not names:
        raise ConfigError(
            "no edition file", where=str(EDITIONS_DIR), hint="add editions/<year>.yaml"
        )
    return names[-1]


def load(name: str) -> Edition:
    path = EDITIONS_DIR / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(
            f"no edition {name!r}",
            where=str(EDITIONS_DIR),
            hint=f"known editions: {', '.join(available()) or 'none'}",
        )
    return _load(path)


@lru_cache(maxsize=8)
def _load(path: Path) -> Edition:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", where=str(path)) from None
    if not isinstance(raw, dict):
        raise ConfigError("expected a mapping", where=str(path))
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ConfigError(
            f"unknown key(s) {', '.join(unknown)}", where=str(path), hint=f"known: {sorted(_KEYS)}"
        )
    years = raw.get("years") or {}
    bad = [k for k, v in years.items() if not isinstance(v, int) or isinstance(v, bool)]
    if bad:
        raise ConfigError(f"years must be integers: {', '.join(bad)}", where=str(path))
    date = raw.get("date", "")
    try:
        datetime.date.fromisoformat(str(date))
    except ValueError:
        raise ConfigError(f"date: expected an ISO date, got {date!r}", where=str(path)) from None
    name = str(raw.get("edition", path.stem))
    if name != path.stem:
        raise ConfigError(f"edition {name!r} in a file named {path.name}", where=str(path))
    return Edition(
        name=name,
        label=str(raw.get("label", f"Édition {name}")),
        date=str(date),
        previous=str(raw.get("previous") or ""),
        years=MappingProxyType(dict(years)),
        files=MappingProxyType({k: str(v) for k, v in (raw.get("files") or {}).items()}),
        path=path,
    )


def current() -> Edition:
    """The edition of this process: ``ATLAS_EDITION`` or the newest."""
    return load(os.environ.get(ENV) or latest_name())


def select(name: str | None) -> Edition:
    """Make ``name`` the edition of this process and of the workers it starts (``None``: keep
    ``ATLAS_EDITION`` or the newest)."""
    if not name:
        return current()
    edition = load(name)
    os.environ[ENV] = edition.name
    return edition
