"""What a theme module returns (see docs/DATA.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd


@dataclass
class IndicatorMeta:
    id: str
    theme: str
    label: str  # French, as printed
    definition: str  # French, printed in the annex
    unit: str  # French unit as printed: "hab.", "%", "€", "€/hab.", "pour 100 000 hab."
    decimals: int
    source: str  # French source line: "Insee, recensement <year>"
    vintage: str
    licence: str = "Licence Ouverte v2.0 (attendue, non vérifiée)"
    scope: str = "all"  # all | metro | drom
    additive: bool = False  # counts/amounts: régions sum to France, départements to région


@dataclass
class ThemeOutput:
    values: pd.DataFrame
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    meta: list[IndicatorMeta] = field(default_factory=list)


def meta_factory(theme: str) -> Callable[..., IndicatorMeta]:
    """``_meta = meta_factory("offre")`` → ``_meta(id, label, definition, unit, decimals,
    source, vintage, *, additive=False, scope="all")`` with the theme filled in."""

    def make(
        id: str,
        label: str,
        definition: str,
        unit: str,
        decimals: int,
        source: str,
        vintage: str,
        *,
        additive: bool = False,
        scope: str = "all",
    ) -> IndicatorMeta:
        return IndicatorMeta(
            id, theme, label, definition, unit, decimals, source, vintage,
            scope=scope, additive=additive,
        )  # fmt: skip

    return make
