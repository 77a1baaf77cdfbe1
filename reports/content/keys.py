"""Key messages ("À retenir") of a chapter or fiche: 3–4 facts chosen by salience
(ATLAS_SPEC §10): the largest relative gaps to France (|Δ| > 20 %), first or last ranks, the
strongest evolutions, with the wording rules of the analysis text (§2.9).

Each message is a label and a statement, e.g. ``Festivals pour 100 000 habitants`` —
``20,6, un niveau nettement supérieur à la moyenne nationale (10,9) ; 1re sur 18 régions
renseignées``. For France, the spread between régions replaces the comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

from reports.content.facts import Ctx, Nd, Skip, min_max
from reports.content.wording import FAR, METRO, NATIONAL, gap_wording, rank_wording
from reports.data.store import Store

#: candidate indicators (theme, indicator), in the order of the chapter
CANDIDATES = (
    ("contexte", "C05"),
    ("contexte", "C07"),
    ("offre", "O01_p100k"),
    ("offre", "O02_p100k"),
    ("offre", "O05_p100k"),
    ("offre", "O10_p100k"),
    ("offre", "O14_p100k"),
    ("frequentation", "F02"),
    ("frequentation", "F03"),
    ("frequentation", "F09"),
    ("depenses", "D01_per_inh"),
    ("depenses", "D03_per_inh"),
    ("depenses", "D06_per_inh"),
    ("emploi", "E01_share"),
    ("emploi", "N01_share"),
)
CHANGES = frozenset({"F03"})  # evolutions: compared in points, not by relative gap
MAX_MESSAGES, MIN_MESSAGES, PER_THEME = 4, 3, 2


@dataclass(frozen=True)
class KeyMessage:
    label: str
    text: str


@dataclass(frozen=True)
class _Candidate:
    theme: str
    order: int
    score: float  # salience; > 0: worth a key message by the rules of §10
    weight: float  # fallback order when fewer than MIN_MESSAGES are salient
    message: KeyMessage


def _region_candidate(ctx: Ctx, order: int, theme: str, ind: str) -> _Candidate:
    v, r = ctx.get(ind), ctx.ref(ind)
    if v.value is None or r.value is None:
        raise Skip
    label = ctx.label(ind)
    score = 0.0
    rank = ""
    if v.rank is not None and v.rank_of and v.rank in (1, v.rank_of):
        score = 1.0
        rank = f" ; {rank_wording(v.rank, v.rank_of)}"
    if ind in CHANGES:
        diff = abs(v.value - r.value)
        score = max(score, diff / 20 if diff > 10 else 0.0)
        ref = f"{ctx.change(ind, r.value)} pour {ctx.ref_name(ind)}"
        text = f"{ctx.change(ind, v.value)}, contre {ref}"
        return _Candidate(theme, order, score, diff / 100, KeyMessage(label, text + rank + "."))
    if not r.value or abs(v.value) < 10 ** -ctx.decimals(ind, 1):
        raise Skip
    delta = v.value / r.value - 1
    if abs(delta) > FAR:
        score = max(score, min(abs(delta), 3.0))
    reference = METRO if ctx.metro(ind) else NATIONAL
    gap = gap_wording(v.value, r.value, False, reference)
    text = f"{ctx.show(v)}, un niveau {gap} ({ctx.show(r)}){rank}."
    return _Candidate(theme, order, score, abs(delta), KeyMessage(label, text))


def _france_candidate(ctx: Ctx, order: int, theme: str, ind: str) -> _Candidate:
    v = ctx.get(ind)
    s = ctx.store.level_values(ind, "region").dropna()
    if v.value is None or s.empty or ind in CHANGES:
        raise Skip
    lo, hi = float(s.min()), float(s.max())
    if lo <= 0:
        raise Skip
    spread = hi / lo  # salience of a national figure: how much the régions differ
    text = f"{ctx.show(v)}{min_max(ctx, ind, None)}."
    score = spread - 1 if spread > 2 else 0.0
    return _Candidate(theme, order, score, spread, KeyMessage(ctx.label(ind), text))


def key_messages(store: Store, code: str, name: str = "", drom: bool = False) -> list[KeyMessage]:
    """3–4 key messages for région ``code`` (or ``FR``), most salient first."""
    ctx = Ctx(store, code, name=name, drom=drom)
    found: list[_Candidate] = []
    for order, (theme, ind) in enumerate(CANDIDATES):
        if drom and ctx.metro(ind):
            continue
        build = _france_candidate if ctx.is_fr else _region_candidate
        try:
            found.append(build(ctx, order, theme, ind))
        except (Nd, Skip, KeyError, ValueError):
            continue
    chosen: list[_Candidate] = []
    by_salience = sorted(found, key=lambda c: (-c.score, -c.weight, c.order))
    fallback = sorted(found, key=lambda c: (-c.weight, c.order))
    for pool, salient in ((by_salience, True), (fallback, False)):
        for c in pool:
            if len(chosen) >= (MAX_MESSAGES if salient else MIN_MESSAGES):
                break
            if (salient and c.score <= 0) or c in chosen:
                continue
            if sum(1 for k in chosen if k.theme == c.theme) >= PER_THEME:
                continue
            chosen.append(c)
    return [c.message for c in sorted(chosen, key=lambda c: c.order)]
