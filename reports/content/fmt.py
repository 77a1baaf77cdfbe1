"""French number formatting, shared by tables, text, alt texts and Jinja filters.

Conventions (Imprimerie nationale): thousands separated by a no-break space
(U+00A0; the bundled Open Sans has no narrow U+202F glyph), decimal comma,
a no-break space (U+00A0) before units and ``%``, a true minus
sign (U+2212). Missing values print as ``n.d.`` (no data) or ``s.o.`` (not applicable),
never as 0, ``nan`` or ``None``. Rounding is half-up, as in published tables.

>>> fmt_number(1234.5, 1)
'1\u00a0234,5'
>>> fmt_pct(12.345)
'12,3\u00a0%'
>>> fmt_meur(58_240_000)
'58,2\u00a0M€'
>>> fmt_number(None)
'n.d.'
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

NNBSP = "\u00a0"  # thousands separator (Open Sans has no U+202F glyph)
NBSP = "\u00a0"  # before units
MINUS = "\u2212"
ND = "n.d."
SO = "s.o."


def is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def round_half_up(value: float, decimals: int = 0) -> float:
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


def fmt_number(value: object, decimals: int = 0, *, missing: str = ND, sign: bool = False) -> str:
    """Format a number the French way; ``missing`` is printed for None/NaN."""
    if is_missing(value):
        return missing
    rounded = round_half_up(float(value), decimals)  # type: ignore[arg-type]
    if rounded == 0:
        rounded = 0.0  # no "-0"
    text = f"{abs(rounded):,.{decimals}f}"
    text = text.replace(",", NNBSP).replace(".", ",")
    if rounded < 0:
        return MINUS + text
    if sign and rounded > 0:
        return "+" + text
    return text


def fmt_int(value: object, *, missing: str = ND) -> str:
    return fmt_number(value, 0, missing=missing)


def fmt_pct(value: object, decimals: int = 1, *, missing: str = ND, sign: bool = False) -> str:
    """``value`` is already a percentage (12.3 → ``12,3 %``)."""
    if is_missing(value):
        return missing
    return f"{fmt_number(value, decimals, sign=sign)}{NBSP}%"


def fmt_meur(value_eur: object, decimals: int = 1, *, missing: str = ND) -> str:
    """Euros → millions of euros (58 240 000 → ``58,2 M€``)."""
    if is_missing(value_eur):
        return missing
    return f"{fmt_number(float(value_eur) / 1e6, decimals)}{NBSP}M€"  # type: ignore[arg-type]


def fmt_eur(value: object, decimals: int = 2, *, missing: str = ND) -> str:
    if is_missing(value):
        return missing
    return f"{fmt_number(value, decimals)}{NBSP}€"


def fmt_unit(value: object, unit: str, decimals: int = 0, *, missing: str = ND) -> str:
    if is_missing(value):
        return missing
    return f"{fmt_number(value, decimals)}{NBSP}{unit}"


def fmt_rank(rank: object, total: int) -> str:
    """``3`` of 18 → ``3e sur 18 régions renseignées`` (1 → ``1re``)."""
    if is_missing(rank):
        return ND
    r = int(rank)  # type: ignore[arg-type]
    suffix = "re" if r == 1 else "e"
    return f"{r}{suffix} sur {total} régions renseignées"


def fmt_rank_short(rank: object, total: int) -> str:
    if is_missing(rank):
        return ND
    r = int(rank)  # type: ignore[arg-type]
    return f"{r}{'re' if r == 1 else 'e'}/{total}"


FILTERS = {
    "num": fmt_number,
    "int": fmt_int,
    "pct": fmt_pct,
    "meur": fmt_meur,
    "eur": fmt_eur,
    "unit": fmt_unit,
}
