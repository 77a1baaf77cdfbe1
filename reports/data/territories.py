"""Lenient look-up of a territory given on the command line: a région, a département or France.

Accepts an INSEE code (``84``, ``4`` for ``04``, ``69``, ``2A``, ``971``), a name with or without
accents, case or hyphens (``Auvergne-Rhône-Alpes``, ``auvergne rhone alpes``, ``Rhône``), a slug,
``france``, or whole words of one name (``reunion``, ``provence``). Unknown input is refused
with the closest matches, ambiguous input (``seine``, ``alpes``) with every candidate: nothing
is picked silently.

Région and département codes overlap (``01``–``06`` are Guadeloupe … Mayotte and Ain …
Alpes-Maritimes; ``11``, ``24``, ``27``, ``28``, ``32``, ``44``, ``52``, ``53``, ``75``, ``76``,
``84``, ``93``, ``94`` are both), and so do five names (each DROM is a région and a département
of the same name). The rule, in this order:

1. ``dep:X`` (or ``departement:X``) and ``reg:X`` (or ``region:X``) name the level, X a code or
   a name;
2. a bare code is the **région** when it is a région code (``84`` Auvergne-Rhône-Alpes, ``04``
   La Réunion), otherwise the **département** (``69``, ``2A``, ``971``); ``dep:84`` is Vaucluse;
3. a whole name or slug: the région of that name, else the département (``Rhône``, ``Loire``,
   ``Paris``; ``Martinique`` is the région, ``972`` or ``dep:martinique`` the département);
4. whole words of one région's name (``provence``, ``reunion``), else of one département's
   (``cotes d armor``); several candidates: an error listing every one.

A département whose code is also a région code is printed ``dep:NN`` in candidate lists, so that
every candidate can be typed back as it is printed.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import pandas as pd

from reports.data.sources.reference import slugify
from reports.errors import ConfigError, DataError

FRANCE_ALIASES = {"france", "fr", "france-entiere", "national"}
#: ``dep:69``, ``departement:Rhône``, ``reg:84``, ``region:bretagne`` (rule 1)
_PREFIX = re.compile(
    r"^\s*(?P<level>dep|departement|département|reg|region|région)\s*:\s*(?P<rest>.+)$",
    re.IGNORECASE,
)
#: how many candidates an ambiguity lists before "…"
MAX_LISTED = 8


@dataclass(frozen=True)
class Territory:
    code: str  # région or département code, or "FR"
    name: str
    slug: str
    kind: str  # "metro" | "drom" | "france"
    level: str = "region"  # "region" | "departement" | "france"
    region: str = ""  # a département's région code

    @property
    def is_france(self) -> bool:
        return self.code == "FR"

    @property
    def is_departement(self) -> bool:
        return self.level == "departement"

    def typed(self, region_codes: set[str]) -> str:
        """The code as it is typed to get this territory back (``dep:84`` for Vaucluse)."""
        clash = self.is_departement and self.code in region_codes
        return f"dep:{self.code}" if clash else self.code


FRANCE = Territory("FR", "France", "france", "france", "france")


def _check(territories: pd.DataFrame, columns: set[str]) -> None:
    missing = columns - set(territories.columns)
    if missing:
        raise DataError(
            f"territories.csv has no column {', '.join(sorted(missing))}",
            where="data/territories.csv",
            hint="run `atlas data build` to write it again",
        )


def _ordered(rows: pd.DataFrame) -> pd.DataFrame:
    if "order" in rows.columns:
        return rows.assign(_o=pd.to_numeric(rows["order"], errors="coerce")).sort_values("_o")
    return rows


def regions(territories: pd.DataFrame) -> list[Territory]:
    _check(territories, {"level", "code", "name", "slug", "zone"})
    regs = _ordered(territories[territories["level"] == "region"])
    return [Territory(r["code"], r["name"], r["slug"], r["zone"]) for _, r in regs.iterrows()]


def departements(territories: pd.DataFrame) -> list[Territory]:
    """The 101 départements, in the order of ``territories.csv``."""
    _check(territories, {"level", "code", "name", "slug", "zone", "region"})
    deps = _ordered(territories[territories["level"] == "departement"])
    return [
        Territory(r["code"], r["name"], r["slug"], r["zone"], "departement", str(r["region"]))
        for _, r in deps.iterrows()
    ]


def _words_in(key: str, slug: str) -> bool:
    """The words of ``key`` appear one after the other among the words of ``slug``."""
    words, run = slug.split("-"), key.split("-")
    return any(words[i : i + len(run)] == run for i in range(len(words) - len(run) + 1))


def _either(candidates: list[Territory], region_codes: set[str]) -> str:
    names = [f"{t.name} ({t.typed(region_codes)})" for t in candidates[:MAX_LISTED]]
    if len(candidates) > MAX_LISTED:
        return ", ".join(names) + f" … ({len(candidates)} in all)?"
    return (", ".join(names[:-1]) + " or " if len(names) > 1 else "") + names[-1] + "?"


def _count(candidates: list[Territory]) -> str:
    regs = sum(1 for t in candidates if not t.is_departement)
    deps = len(candidates) - regs
    parts = [f"{regs} région{'s' if regs > 1 else ''}"] if regs else []
    parts += [f"{deps} département{'s' if deps > 1 else ''}"] if deps else []
    return " and ".join(parts)


def _closest(key: str, pool: list[Territory], n: int = 3) -> list[Territory]:
    """The territories whose slug, or one of its words, is closest to ``key`` (a misspelling:
    "provance" → Provence-Alpes-Côte d'Azur, "bretagn" → Bretagne); régions first on a tie."""

    def score(t: Territory) -> float:
        words = [t.slug, *t.slug.split("-")]
        best = max(difflib.SequenceMatcher(None, key, w).ratio() for w in words)
        return 1.0 if key and key in t.slug else best

    ranked = sorted(
        ((score(t), -int(t.is_departement), -i, t) for i, t in enumerate(pool)),
        key=lambda x: x[:3],
        reverse=True,
    )
    return [t for s, _, _, t in ranked[:n] if s >= 0.75]


def _by_code(text: str, regs: list[Territory], deps: list[Territory]) -> Territory | None:
    code = text.strip().upper()
    for t in regs:  # rule 2: a région code is the région
        if code in {t.code, t.code.lstrip("0")}:
            return t
    for t in deps:
        if code == t.code or (code.isdigit() and len(code) == 1 and code.zfill(2) == t.code):
            return t
    return None


def resolve(text: str, territories: pd.DataFrame) -> Territory:
    """The territory ``text`` names (rules in the module docstring); an unknown or ambiguous
    name is a :class:`ConfigError` with the candidates ("de-france: Île-de-France (11) or
    Hauts-de-France (32)?")."""
    raw = text.strip()
    regs, deps = regions(territories), departements(territories)
    codes = {t.code for t in regs}
    prefix = _PREFIX.match(raw)
    if prefix:  # rule 1: the level is named
        raw = prefix["rest"].strip()
        if slugify(prefix["level"]).startswith("dep"):
            regs = []
        else:
            deps = []
    key = slugify(raw)
    if key in FRANCE_ALIASES and not prefix:
        return FRANCE
    found_code = _by_code(raw, regs, deps)
    if found_code is not None:
        return found_code
    for pool in (regs, deps):  # rule 3: a whole name, the région first
        for t in pool:
            if key and key == t.slug:
                return t
    # rule 4: whole words of a name ("reunion" for "la-reunion", "provence"): only if one
    # région (else one département) has them; otherwise every candidate is listed
    found_regs = [t for t in regs if key and _words_in(key, t.slug)]
    found_deps = [t for t in deps if key and _words_in(key, t.slug)]
    if len(found_regs) == 1:
        return found_regs[0]
    if not found_regs and len(found_deps) == 1:
        return found_deps[0]
    found = found_regs + found_deps
    if found:
        raise ConfigError(
            f"{text!r} matches {_count(found)}",
            where="REGION",
            hint=_either(found, codes)
            + (
                " (a bare région code names the région: dep:NN the département)"
                if any(t.typed(codes) != t.code for t in found)
                else ""
            ),
        )
    close = _closest(key, regs + deps)
    if close:
        noun = "département" if close[0].is_departement else "région"
        hint = "did you mean " + _either(close[:3], codes)
    else:
        noun = "région or département" if regs and deps else ("région" if regs else "département")
        hint = (
            "give an INSEE région code (11…94, 01…06), a département code (69, 2A, 971; "
            "dep:NN where NN is also a région code), a name, or 'france'"
        )
    raise ConfigError(f"unknown {noun} {text!r}", where="REGION", hint=hint)
