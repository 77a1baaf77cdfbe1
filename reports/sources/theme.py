"""What a theme module returns (see docs/DATA.md)."""

from __future__ import annotations

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
    source: str  # French source line: "Insee, recensement 2018"
    vintage: str
    licence: str = "Licence Ouverte v2.0 (attendue, non vérifiée)"
    scope: str = "all"  # all | metro | drom
    additive: bool = False  # counts/amounts: régions sum to France, départements to région


@dataclass
class ThemeOutput:
    values: pd.DataFrame
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    meta: list[IndicatorMeta] = field(default_factory=list)
