"""Generic French wording of the analysis text: relative gaps, ranks, plurals, lists, shares."""

from __future__ import annotations

import re

from reports.content import fmt

NATIONAL = "la moyenne nationale"
METRO = "la moyenne de la France métropolitaine"
NEAR, FAR = 0.05, 0.20


def relative_gap(region_value: float, france_value: float) -> float:
    """Δ = region / France − 1, rounded to 9 decimals so that 105/100 is exactly +5 %."""
    if france_value == 0:
        raise ValueError("France value is 0: relative gap undefined")
    return round(region_value / france_value - 1, 9)


def gap_wording(
    region_value: float, france_value: float, feminine: bool, reference: str = NATIONAL
) -> str:
    """Δ wording: |Δ| ≤ 5 % proche; 5–20 % supérieur(e)/inférieur(e); > 20 % nettement …."""
    delta = relative_gap(region_value, france_value)
    if abs(delta) <= NEAR:
        return f"proche de {reference}"
    word = "supérieur" if delta > 0 else "inférieur"
    if feminine:
        word += "e"
    if abs(delta) > FAR:
        word = "nettement " + word
    return f"{word} à {reference}"


def rank_wording(rank: int, rank_of: int, tied: bool = False) -> str:
    """``3e sur 18 régions renseignées`` (``1re``; ``2e ex aequo`` for a shared rank)."""
    text = fmt.fmt_rank(rank, rank_of)
    if tied:
        head, _, tail = text.partition(" ")
        text = f"{head} ex aequo {tail}"
    return text


def plural(n: float, singular: str, plural_form: str) -> str:
    return singular if abs(n) < 2 else plural_form


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " et " + names[-1]


def pct(share: float) -> str:
    """A computed share with one decimal; ``moins de 0,1 %`` rather than a misleading 0,0 %."""
    if 0 < share < 0.05:
        return "moins de " + fmt.fmt_pct(0.1, 1)
    return fmt.fmt_pct(share, 1)


_PARTICLES = frozenset(
    {"à", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les", "lès", "sur"}
)


def town(name: str) -> str:
    """A commune name written in capitals by its source (``BOURG EN BRESSE``) in the usual
    case (``Bourg en Bresse``); a name already in mixed case is kept."""
    if not name or name != name.upper():
        return name
    words = re.split(r"([ \-’'])", name.lower())
    out = []
    for i, w in enumerate(words):
        out.append(w if (i and w in _PARTICLES) else w[:1].upper() + w[1:])
    return "".join(out)
