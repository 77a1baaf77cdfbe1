"""Lenient look-up of a territory given on the command line.

Accepts an INSEE région code (``84``, ``4`` for ``04``), a name with or without accents, case
or hyphens (``Auvergne-Rhône-Alpes``, ``auvergne rhone alpes``), a slug, ``france``, or whole
words of one name (``reunion``, ``provence``). Unknown input is refused with the closest
matches, ambiguous input (``loire``) with every candidate: nothing is picked silently.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import pandas as pd

from reports.data.sources.reference import slugify
from reports.errors import ConfigError, DataError

FRANCE_ALIASES = {"france", "fr", "france-entiere", "national"}


@dataclass(frozen=True)
class Territory:
    code: str  # région code, or "FR"
    name: str
    slug: str
    kind: str  # "metro" | "drom" | "france"

    @property
    def is_france(self) -> bool:
        return self.code == "FR"


FRANCE = Territory("FR", "France", "france", "france")


def regions(territories: pd.DataFrame) -> list[Territory]:
    missing = {"level", "code", "name", "slug", "zone"} - set(territories.columns)
    if missing:
        raise DataError(
            f"territories.csv has no column {', '.join(sorted(missing))}",
            where="data/territories.csv",
            hint="run `atlas data build` to write it again",
        )
    regs = territories[territories["level"] == "region"]
    if "order" in regs.columns:
        regs = regs.assign(_o=pd.to_numeric(regs["order"], errors="coerce")).sort_values("_o")
    return [Territory(r["code"], r["name"], r["slug"], r["zone"]) for _, r in regs.iterrows()]


def _words_in(key: str, slug: str) -> bool:
    """The words of ``key`` appear one after the other among the words of ``slug``."""
    words, run = slug.split("-"), key.split("-")
    return any(words[i : i + len(run)] == run for i in range(len(words) - len(run) + 1))


def _either(candidates: list[Territory]) -> str:
    names = [f"{t.name} ({t.code})" for t in candidates]
    return (", ".join(names[:-1]) + " or " if len(names) > 1 else "") + names[-1] + "?"


def _closest(key: str, regs: list[Territory], n: int = 3) -> list[Territory]:
    """The régions whose slug, or one of its words, is closest to ``key`` (a misspelling:
    "provance" → Provence-Alpes-Côte d'Azur, "bretagn" → Bretagne)."""

    def score(t: Territory) -> float:
        words = [t.slug, *t.slug.split("-")]
        best = max(difflib.SequenceMatcher(None, key, w).ratio() for w in words)
        return 1.0 if key and key in t.slug else best

    ranked = sorted(((score(t), i, t) for i, t in enumerate(regs)), reverse=True)
    return [t for s, _, t in ranked[:n] if s >= 0.75]


def resolve(text: str, territories: pd.DataFrame) -> Territory:
    """The territory ``text`` names; an unknown or ambiguous name is a :class:`ConfigError`
    with the candidates ("loire: Centre-Val de Loire (24) or Pays de la Loire (52)?")."""
    key = slugify(text.strip())
    if key in FRANCE_ALIASES:
        return FRANCE
    regs = regions(territories)
    for t in regs:
        if key in {t.slug, t.code, t.code.lstrip("0")} or text.strip() == t.code:
            return t
    # whole words of a name ("reunion" for "la-reunion", "provence"): only if one région has
    # them; otherwise every candidate is listed, none is picked
    found = [t for t in regs if key and _words_in(key, t.slug)]
    if len(found) == 1:
        return found[0]
    if found:
        raise ConfigError(
            f"{text!r} matches {len(found)} régions", where="REGION", hint=_either(found)
        )
    close = _closest(key, regs)
    hint = (
        "did you mean " + _either(close[:3])
        if close
        else "give an INSEE région code (11…94, 01…06), a région name, or 'france'"
    )
    raise ConfigError(f"unknown région {text!r}", where="REGION", hint=hint)
