"""Lenient look-up of a territory given on the command line.

Accepts an INSEE région code (``84``, ``4`` for ``04``), a name with or without accents, case
or hyphens (``Auvergne-Rhône-Alpes``, ``auvergne rhone alpes``), a slug, or ``france``.
Unknown input is refused with the closest matches.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import pandas as pd

from reports.data.sources.reference import slugify
from reports.errors import ConfigError

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
    regs = territories[territories["level"] == "region"]
    if "order" in regs.columns:
        regs = regs.assign(_o=pd.to_numeric(regs["order"], errors="coerce")).sort_values("_o")
    return [Territory(r["code"], r["name"], r["slug"], r["zone"]) for _, r in regs.iterrows()]


def resolve(text: str, territories: pd.DataFrame) -> Territory:
    key = slugify(text.strip())
    if key in FRANCE_ALIASES:
        return FRANCE
    regs = regions(territories)
    for t in regs:
        if key in {t.slug, t.code, t.code.lstrip("0")} or text.strip() == t.code:
            return t
    # a slug without its article ("reunion" for "la-reunion")
    for t in regs:
        if t.slug.endswith("-" + key) and len(key) > 3:
            return t
    choices = {t.slug: t for t in regs}
    close = difflib.get_close_matches(key, list(choices), n=3, cutoff=0.5)
    hint = (
        "did you mean " + ", ".join(f"{choices[c].name} ({choices[c].code})" for c in close) + "?"
        if close
        else "give an INSEE région code (11…94, 01…06), a région name, or 'france'"
    )
    raise ConfigError(f"unknown région {text!r}", hint=hint)
