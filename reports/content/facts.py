"""Facts about one territory for the analysis text: the per-territory context :class:`Ctx`
(values, references, names, formatting) and the statistic clauses built on it (value against
France, rank, min/max régions, shares, leading component of a composite indicator)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from reports.content import fmt
from reports.content.present import format_number, format_value, unit_kind
from reports.content.wording import METRO, NATIONAL, cap, gap_wording, join, pct, rank_wording
from reports.data.store import Store, Value
from reports.errors import DataError

# Indicators computed from the CNC files only (France métropolitaine), ATLAS_SPEC §2.2/§2.3.
METRO_ONLY = frozenset({"O04", "O05", "O05_p100k", "O06", "O07", "O08", "F08", "F09", "F10", "F11"})


class Nd(Exception):
    """An input of the sentence is n.d./s.o.: drop the sentence, keep the note."""

    def __init__(self, note: str):
        super().__init__(note)
        self.note = note


class Skip(Exception):
    """The sentence does not apply (e.g. one-département région): drop it without a note."""


# --- context -------------------------------------------------------------------------------
@dataclass
class Ctx:
    store: Store
    code: str  # région code or "FR"
    name: str = ""
    drom: bool = False
    #: the région has been named in the current paragraph: later mentions say "la région"
    #: (DESIGN.md "Vary the subject"; reset by :func:`reports.content.analysis.analyse`)
    named: bool = False

    @property
    def is_fr(self) -> bool:
        return self.code == "FR"

    def metro(self, ind: str) -> bool:
        if ind.split(".")[0] in METRO_ONLY:
            return True
        try:
            return self.store.info(ind)["scope"].strip() == "metro"
        except (KeyError, DataError):
            return False

    # names, e.g. "la région Bretagne" / "la France" / "la France métropolitaine"
    def subj(self, ind: str = "") -> str:
        """The territory as a sentence names it: in full once a paragraph, then "la région"."""
        if self.is_fr or not self.named:
            self.named = not self.is_fr
            return self.full(ind)
        return "la région"

    def full(self, ind: str = "") -> str:
        """The territory in full, whatever was said before (notes)."""
        if self.is_fr:
            return "la France métropolitaine" if ind and self.metro(ind) else "la France"
        return f"la région {self.name}"

    def de(self, ind: str = "") -> str:
        """Complement of a noun: ``de la région Bretagne`` / ``en France (métropolitaine)``."""
        return self.dans(ind) if self.is_fr else "de " + self.subj(ind)

    def dans(self, ind: str = "") -> str:
        if self.is_fr:
            return "en " + self.subj(ind).removeprefix("la ")
        return "dans " + self.subj(ind)

    def ref_name(self, ind: str) -> str:
        return "la France métropolitaine" if self.metro(ind) else "la France"

    def ref_code(self, ind: str) -> str:
        return "FRM" if self.metro(ind) else "FR"

    def where(self, ind: str = "") -> tuple[str, str]:
        if self.is_fr:
            return "france", self.ref_code(ind) if ind else "FR"
        return "region", self.code

    # values
    def raw(self, ind: str, level: str, code: str, year: int | None = None) -> Value:
        try:
            return self.store.get(ind, level, code, year)
        except DataError:
            label = self.label(ind)
            raise Nd(f"{label} : donnée absente des tables dérivées.") from None

    def get(self, ind: str, year: int | None = None) -> Value:
        level, code = self.where(ind)
        return self.need(self.raw(ind, level, code, year), self.full(ind))

    def ref(self, ind: str, year: int | None = None) -> Value:
        v = self.raw(ind, "france", self.ref_code(ind), year)
        return self.need(v, self.ref_name(ind))

    def need(self, v: Value, who: str) -> Value:
        if v.value is None:
            raise Nd(self.nd_note(v, who))
        return v

    def nd_note(self, v: Value, who: str) -> str:
        status = fmt.SO if v.status == "so" else fmt.ND
        note = f", {v.note.rstrip('.')}" if v.note else ""
        return f"{self.label(v.indicator)} : {status} pour {who}{note}."

    def label(self, ind: str) -> str:
        try:
            return self.store.label(ind)
        except (KeyError, DataError):
            return ind

    # formatting (always through reports.content.present)
    def show(self, v: Value, suffix: str = "", change: bool = False) -> str:
        if change:
            return self.change(v.indicator, v.value)
        text = format_value(self.store, v)
        if suffix and self.kind(v.indicator) == "num":
            text += suffix
        return text

    def num(self, ind: str, value: float) -> str:
        return format_number(self.store, ind, value)

    def change(self, ind: str, value: float | None) -> str:
        """Signed percentage of change (``+4,6 %``) with the indicator's declared decimals;
        for a stock indicator (not a percentage), a change computed here: one decimal."""
        decimals = self.decimals(ind, default=1) if self.kind(ind) == "pct" else 1
        return fmt.fmt_pct(value, decimals, sign=True)

    def kind(self, ind: str) -> str:
        try:
            return unit_kind(self.store.info(ind)["unit"])
        except (KeyError, DataError):
            return "num"

    def decimals(self, ind: str, default: int = 0) -> int:
        try:
            return int(self.store.info(ind)["decimals"].strip())
        except (KeyError, ValueError, DataError):
            return default

    def region_name(self, code: str) -> str:
        return str(self.store.territory("region", code)["name"])

    def dep_name(self, code: str) -> str:
        return str(self.store.territory("departement", code)["name"])


# --- generic sentences ---------------------------------------------------------------------
def _tied(ctx: Ctx, v: Value) -> bool:
    df = ctx.store.indicators
    hit = df[(df["indicator"] == v.indicator) & (df["level"] == "region") & (df["rank"] == v.rank)]
    if v.year is not None and "year" in hit:
        hit = hit[hit["year"] == v.year]
    return len(hit) > 1


def rank_clause(ctx: Ctx, v: Value) -> str:
    if v.rank is None or v.rank_of is None:
        return ""
    return f", ce qui la place {rank_wording(v.rank, v.rank_of, _tied(ctx, v))}"


def _regions(ctx: Ctx, ind: str, year: int | None) -> pd.Series:
    s = ctx.store.level_values(ind, "region", year).dropna()
    if s.empty:
        raise Skip
    return s


def extreme_names(ctx: Ctx, s: pd.Series, target: float, name: Callable[[str], str]) -> str:
    return join([name(str(c)) for c in s[s == target].index])


def min_max(ctx: Ctx, ind: str, year: int | None, change: bool = False) -> str:
    """``; les valeurs régionales vont de 1,2 (Mayotte) à 3,4 (Corse)``."""
    s = _regions(ctx, ind, year)
    lo, hi = float(s.min()), float(s.max())
    if lo == hi:
        return ""

    def show(x: float) -> str:
        return ctx.change(ind, x) if change else ctx.num(ind, x)

    lo_n = extreme_names(ctx, s, lo, ctx.region_name)
    hi_n = extreme_names(ctx, s, hi, ctx.region_name)
    return f" ; les valeurs régionales vont de {show(lo)} ({lo_n}) à {show(hi)} ({hi_n})"


def metro_drom(ctx: Ctx, ind: str, year: int | None, change: bool = False) -> str:
    """`` (1,7 en France métropolitaine, 3,0 dans les DROM)`` when both exist."""
    if ctx.metro(ind):
        return ""
    try:
        m = ctx.store.get(ind, "france", "FRM", year)
        d = ctx.store.get(ind, "france", "DROM", year)
    except DataError:
        return ""
    if m.value is None or d.value is None:
        return ""
    return (
        f" ({ctx.show(m, change=change)} en France métropolitaine, "
        f"{ctx.show(d, change=change)} dans les DROM)"
    )


def stat(
    ctx: Ctx,
    ind: str,
    lead: str,
    *,
    suffix: str = "",
    noun: str = "",
    feminine: bool = False,
    rank: bool = False,
    year: int | None = None,
    change: bool = False,
    after: str = "",
    zero: str = "",
) -> str:
    """``{lead} {value}`` then, for a région, Δ wording (``noun`` given) or ``contre …``
    with the France (métropolitaine) value and the rank; for France, min/max régions.

    A région value that prints as zero is not compared ("0,0 %, une part nettement
    inférieure"): the sentence is ``zero`` (``Aucune commune …``) against the France value
    (at ``{ref}`` if it says where), or dropped when no ``zero`` wording is given."""
    v = ctx.get(ind, year)
    text = f"{lead} {ctx.show(v, suffix, change)}{after}"
    if ctx.is_fr:
        scope = f" {v.note}" if v.note else ""  # « hors Mayotte » (density)
        return (
            text + scope + metro_drom(ctx, ind, year, change) + min_max(ctx, ind, year, change)
        ) + "."
    r = ctx.ref(ind, year)
    ref_text = ctx.show(r, change=change) + (f" {r.note}" if r.note else "")
    if noun and not change and abs(v.value) < 0.5 * 10 ** -ctx.decimals(ind, 1):
        if not zero:
            raise Skip
        if "{ref}" in zero:
            return zero.format(ref=ref_text) + "."
        return f"{zero}, contre {ref_text} pour {ctx.ref_name(ind)}."
    if noun and not change and r.value:
        reference = METRO if ctx.metro(ind) else NATIONAL
        text += f", {noun} {gap_wording(v.value, r.value, feminine, reference)} ({ref_text})"
    else:
        text += f", contre {ref_text} pour {ctx.ref_name(ind)}"
    if rank:
        text += rank_clause(ctx, v)
    return text + "."


def share_of(ctx: Ctx, ind: str, year: int | None = None) -> str:
    """Share of the France (métropolitaine) total, e.g. ``9,5 %``."""
    v, r = ctx.get(ind, year), ctx.ref(ind, year)
    if not r.value:
        raise Skip
    return pct(100 * v.value / r.value)


# --- components of composite indicators (festival disciplines, spending items) ----------
def component_name(ctx: Ctx, ind: str) -> str:
    label = ctx.label(ind)
    for sep in (" : ", " – ", " — ", " - "):
        if sep in label:
            label = label.rsplit(sep, 1)[1]
    if label == ind:
        label = ind.split(".", 1)[1].replace("_", " ")
    return cap(label.strip())


def _component_family(ctx: Ctx, prefix: str) -> str:
    """Label of a composite indicator, from its first component (``Festivals par discipline``)."""
    comps = ctx.store.components(prefix)
    label = ctx.label(comps[0]) if comps else prefix
    for sep in (" : ", " – ", " — ", " - "):
        if sep in label:
            return label.split(sep, 1)[0]
    return label


def leading(ctx: Ctx, prefix: str) -> str:
    """Component of ``prefix`` with the largest value for the territory."""
    level, code = ctx.where(prefix)
    vals = {}
    for ind in ctx.store.components(prefix):
        try:
            v = ctx.store.get(ind, level, code)
        except DataError:
            continue
        if v.value is not None:
            vals[ind] = v.value
    if not vals:
        raise Nd(f"{_component_family(ctx, prefix)} : {fmt.ND} pour {ctx.full()}.")
    return max(vals, key=lambda k: vals[k])
