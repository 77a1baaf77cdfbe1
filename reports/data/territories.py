"""Lenient look-up of a territory given on the command line: a région, a département, an
intercommunalité (EPCI) or France.

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

Intercommunalités (``data/epci.csv``, read only when a rule below needs them): ``epci:X`` or a
9-digit SIREN names one directly; after rule 3, the EPCI whose whole name, or name without its
type words (``CC du Pays de Gex`` ≈ ``Pays de Gex``: the CA du Pays de Gex), is the text, else
the EPCI of the member commune of that name (``Lyon`` → Métropole de Lyon: a commune is not a
territory here; ``Saint-Denis`` lists the four EPCI of its homonyms); after rule 4, whole words
of one EPCI's name. A région or département name always wins (``Paris`` is the département).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
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
#: ``epci:200046977``, ``epci:Pays de Gex``
_EPCI_PREFIX = re.compile(r"^\s*(?:epci|interco)\s*:\s*(?P<rest>.+)$", re.IGNORECASE)
#: the type words an EPCI name opens with (``CC du Pays de Gex`` ≈ ``Pays de Gex``)
_EPCI_TYPE_WORDS = re.compile(
    r"^(cc|ca|cu|communaute-de-communes|communaute-d-agglomeration|communaute-urbaine|"
    r"metropole|agglomeration|agglo)-(?:(?:de-la|de-l|du|des|de|d)-)?"
)
#: how many candidates an ambiguity lists before "…"
MAX_LISTED = 8


@dataclass(frozen=True)
class Territory:
    code: str  # région or département code, or "FR"
    name: str
    slug: str
    kind: str  # "metro" | "drom" | "france"
    level: str = "region"  # "region" | "departement" | "epci" | "france"
    region: str = ""  # a département's (an EPCI's) région code
    departement: str = ""  # an EPCI's département (the one holding most of its population)
    epci_type: str = ""  # CC, CA, CU, METRO, MET69

    @property
    def is_epci(self) -> bool:
        return self.level == "epci"

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


def epci_territory(row: pd.Series) -> Territory:
    return Territory(
        str(row["code"]), str(row["name"]), str(row["slug"]), str(row["zone"]), "epci",
        str(row["region"]), str(row["departement"]), str(row["type"]),
    )  # fmt: skip


def _bare(slug: str) -> str:
    """An EPCI name without its type words: ``cc-du-pays-de-gex`` → ``pays-de-gex``."""
    return _EPCI_TYPE_WORDS.sub("", slug)


def _epci_exact(raw: str, epcis: pd.DataFrame, communes: pd.DataFrame) -> list[pd.Series]:
    """EPCI named by SIREN, whole name, name without its type words, or a member commune's
    name (``Lyon`` → Métropole de Lyon: a commune is not a territory of its own here)."""
    code = raw.strip()
    if code.isdigit() and len(code) == 9:
        return [epcis.loc[code]] if code in epcis.index else []
    key = slugify(raw)
    for match in (
        epcis["slug"] == key,
        epcis["slug"].map(_bare) == _bare(key),
    ):
        if match.any():
            return [r for _, r in epcis[match].iterrows()]
    same = communes[communes["name"].map(slugify) == key]
    return [epcis.loc[c] for c in dict.fromkeys(same["epci"]) if c in epcis.index]


def _epci_words(key: str, epcis: pd.DataFrame) -> list[pd.Series]:
    return [r for _, r in epcis.iterrows() if key and _words_in(key, r["slug"])]


def _epci_choice(text: str, hits: list[pd.Series]) -> Territory:
    if len(hits) == 1:
        return epci_territory(hits[0])
    names = [f"{r['name']} ({r['code']})" for r in hits[:MAX_LISTED]]
    more = f" … ({len(hits)} in all)" if len(hits) > MAX_LISTED else ""
    raise ConfigError(
        f"{text!r} matches {len(hits)} intercommunalités",
        where="TERRITORY",
        hint=", ".join(names[:-1]) + " or " + names[-1] + more + "? (give the SIREN)",
    )


EpciTables = Callable[[], tuple[pd.DataFrame, pd.DataFrame]]


def resolve(text: str, territories: pd.DataFrame, epci: EpciTables | None = None) -> Territory:
    """The territory ``text`` names (rules in the module docstring); an unknown or ambiguous
    name is a :class:`ConfigError` with the candidates ("de-france: Île-de-France (11) or
    Hauts-de-France (32)?"). ``epci`` gives the EPCI and their member communes (read only
    when a région or département rule did not answer)."""
    raw = text.strip()
    prefixed = _EPCI_PREFIX.match(raw)
    if epci is not None and (prefixed or (raw.isdigit() and len(raw) == 9)):
        epcis, communes = epci()
        rest = prefixed["rest"] if prefixed else raw
        hits = _epci_exact(rest, epcis, communes) or _epci_words(slugify(rest), epcis)
        if not hits:
            raise ConfigError(f"unknown intercommunalité {text!r}", where="TERRITORY",
                              hint="give a SIREN (200046977) or the EPCI's name")  # fmt: skip
        return _epci_choice(text, hits)
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
    if epci is not None and not prefix:  # rule 3b: an EPCI's name, or a member commune's
        epcis, communes = epci()
        hits = _epci_exact(raw, epcis, communes)
        if hits:
            return _epci_choice(text, hits)
    # rule 4: whole words of a name ("reunion" for "la-reunion", "provence"): only if one
    # région (else one département) has them; otherwise every candidate is listed
    found_regs = [t for t in regs if key and _words_in(key, t.slug)]
    found_deps = [t for t in deps if key and _words_in(key, t.slug)]
    if len(found_regs) == 1:
        return found_regs[0]
    if not found_regs and len(found_deps) == 1:
        return found_deps[0]
    found = found_regs + found_deps
    if not found and epci is not None and not prefix:  # rule 4b: words of one EPCI's name
        hits = _epci_words(key, epci()[0])
        if hits:
            return _epci_choice(text, hits)
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
            "dep:NN where NN is also a région code), an EPCI's SIREN, a name, or 'france'"
        )
    raise ConfigError(f"unknown {noun} {text!r}", where="REGION", hint=hint)
