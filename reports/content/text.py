"""Analysis text of the fiches and regional chapters (ATLAS_SPEC §2.9, rules A1–A8).

Every sentence is a fixed French template filled from :class:`~reports.data.store.Store`
values; there is no free prose. A sentence whose inputs are n.d./s.o. is dropped and the
missing input is reported once in :attr:`Analysis.nd_notes` (printed in the notes block).
Numbers go through :mod:`reports.content.present`, so they are exactly the strings of the tables.

``region`` is a région code (``'84'``, ``'01'`` …) or ``'FR'`` for the national fiche, where
rank statements are replaced by the min/max régions and métropole vs DROM values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pandas as pd

from reports.content import fmt
from reports.content.present import format_number, format_value, unit_kind
from reports.data.store import Store, Value
from reports.errors import DataError

SECTIONS = (
    "contexte",
    "offre",
    "festivals",
    "frequentation",
    "cinema",
    "depenses",
    "emploi",
    "entreprises",
)
# Indicators computed from the CNC files only (France métropolitaine), ATLAS_SPEC §2.2/§2.3.
METRO_ONLY = frozenset({"O04", "O05", "O05_p100k", "O06", "O07", "O08", "F08", "F09", "F10", "F11"})
NATIONAL = "la moyenne nationale"
METRO = "la moyenne de la France métropolitaine"
NEAR, FAR = 0.05, 0.20


@dataclass
class Analysis:
    paragraphs: list[str] = field(default_factory=list)
    nd_notes: list[str] = field(default_factory=list)


# --- wording -------------------------------------------------------------------------------
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


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " et " + names[-1]


class _Nd(Exception):
    """An input of the sentence is n.d./s.o.: drop the sentence, keep the note."""

    def __init__(self, note: str):
        super().__init__(note)
        self.note = note


class _Skip(Exception):
    """The sentence does not apply (e.g. one-département région): drop it without a note."""


# --- context -------------------------------------------------------------------------------
@dataclass
class _Ctx:
    store: Store
    code: str  # région code or "FR"
    name: str = ""
    drom: bool = False

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
            label = self._label(ind)
            raise _Nd(f"{label} : donnée absente des tables dérivées.") from None

    def get(self, ind: str, year: int | None = None) -> Value:
        level, code = self.where(ind)
        return self.need(self.raw(ind, level, code, year), self.subj(ind))

    def ref(self, ind: str, year: int | None = None) -> Value:
        v = self.raw(ind, "france", self.ref_code(ind), year)
        return self.need(v, self.ref_name(ind))

    def need(self, v: Value, who: str) -> Value:
        if v.value is None:
            raise _Nd(self.nd_note(v, who))
        return v

    def nd_note(self, v: Value, who: str) -> str:
        status = fmt.SO if v.status == "so" else fmt.ND
        note = f", {v.note.rstrip('.')}" if v.note else ""
        return f"{self._label(v.indicator)} : {status} pour {who}{note}."

    def _label(self, ind: str) -> str:
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
def _tied(ctx: _Ctx, v: Value) -> bool:
    df = ctx.store.indicators
    hit = df[(df["indicator"] == v.indicator) & (df["level"] == "region") & (df["rank"] == v.rank)]
    if v.year is not None and "year" in hit:
        hit = hit[hit["year"] == v.year]
    return len(hit) > 1


def _rank_clause(ctx: _Ctx, v: Value) -> str:
    if v.rank is None or v.rank_of is None:
        return ""
    return f", ce qui la place {rank_wording(v.rank, v.rank_of, _tied(ctx, v))}"


def _regions(ctx: _Ctx, ind: str, year: int | None) -> pd.Series:
    s = ctx.store.level_values(ind, "region", year).dropna()
    if s.empty:
        raise _Skip
    return s


def _extreme_names(ctx: _Ctx, s: pd.Series, target: float, name: Callable[[str], str]) -> str:
    return _join([name(str(c)) for c in s[s == target].index])


def _min_max(ctx: _Ctx, ind: str, year: int | None, change: bool = False) -> str:
    """``; les valeurs régionales vont de 1,2 (Mayotte) à 3,4 (Corse)``."""
    s = _regions(ctx, ind, year)
    lo, hi = float(s.min()), float(s.max())
    if lo == hi:
        return ""

    def show(x: float) -> str:
        return ctx.change(ind, x) if change else ctx.num(ind, x)

    lo_n = _extreme_names(ctx, s, lo, ctx.region_name)
    hi_n = _extreme_names(ctx, s, hi, ctx.region_name)
    return f" ; les valeurs régionales vont de {show(lo)} ({lo_n}) à {show(hi)} ({hi_n})"


def _metro_drom(ctx: _Ctx, ind: str, year: int | None, change: bool = False) -> str:
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


def _stat(
    ctx: _Ctx,
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
) -> str:
    """``{lead} {value}`` then, for a région, Δ wording (``noun`` given) or ``contre …``
    with the France (métropolitaine) value and the rank; for France, min/max régions."""
    v = ctx.get(ind, year)
    text = f"{lead} {ctx.show(v, suffix, change)}{after}"
    if ctx.is_fr:
        return text + _metro_drom(ctx, ind, year, change) + _min_max(ctx, ind, year, change) + "."
    r = ctx.ref(ind, year)
    ref_text = ctx.show(r, change=change)
    if noun and not change and r.value:
        reference = METRO if ctx.metro(ind) else NATIONAL
        text += f", {noun} {gap_wording(v.value, r.value, feminine, reference)} ({ref_text})"
    else:
        text += f", contre {ref_text} pour {ctx.ref_name(ind)}"
    if rank:
        text += _rank_clause(ctx, v)
    return text + "."


def _share_of(ctx: _Ctx, ind: str, year: int | None = None) -> str:
    """Share of the France (métropolitaine) total, e.g. ``9,5 %``."""
    v, r = ctx.get(ind, year), ctx.ref(ind, year)
    if not r.value:
        raise _Skip
    return _pct(100 * v.value / r.value)


def _pct(share: float) -> str:
    """A computed share with one decimal; ``moins de 0,1 %`` rather than a misleading 0,0 %."""
    if 0 < share < 0.05:
        return "moins de " + fmt.fmt_pct(0.1, 1)
    return fmt.fmt_pct(share, 1)


# --- A1 contexte ---------------------------------------------------------------------------
def _c01(ctx: _Ctx) -> str:
    v = ctx.get("C01")
    year = f" en {v.year}" if v.year else ""
    year += f" ({v.note.rstrip('.')})" if v.note else ""
    if ctx.is_fr:
        return (
            f"La France compte {ctx.show(v)} habitants{year}"
            f"{_metro_drom(ctx, 'C01', None)}{_min_max(ctx, 'C01', None)}."
        )
    return (
        f"{_cap(ctx.subj())} compte {ctx.show(v)} habitants{year}, soit "
        f"{_share_of(ctx, 'C01')} de la population française{_rank_clause(ctx, v)} "
        "par sa population."
    )


def _c03(ctx: _Ctx) -> str:
    return _stat(
        ctx,
        "C03",
        f"La densité de population {ctx.de()} est de",
        suffix=" habitants par km²",
        noun="un niveau",
    )


def _c05(ctx: _Ctx) -> str:
    return _stat(
        ctx,
        "C05",
        f"Les communes peu ou très peu denses {ctx.de()} regroupent",
        after=" de la population",
        noun="une part",
        feminine=True,
    )


def _c07(ctx: _Ctx) -> str:
    return _stat(
        ctx,
        "C07",
        f"Les communes hors attraction des villes {ctx.de()} regroupent",
        after=" de la population",
        noun="une part",
        feminine=True,
    )


def _c13(ctx: _Ctx) -> str:
    v = ctx.get("C13")
    n = v.value or 0
    if n == 0:
        return f"Aucune commune {ctx.de()} ne participe au programme « Action cœur de ville »."
    communes = plural(n, "commune participe", "communes participent")
    text = f"{_cap(ctx.show(v))} {communes} au programme « Action cœur de ville »"
    if ctx.is_fr:
        return text + _metro_drom(ctx, "C13", None) + "."
    return f"{text} dans {ctx.subj()} (sur {ctx.show(ctx.ref('C13'))} en France)."


# --- A2 offre ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Offer:
    count: str
    ratio: str
    noun: tuple[str, str]  # singular, plural
    short: str  # for the "best département" sentence


OFFERS = (
    _Offer("O01", "O01_p100k", ("musée de France", "musées de France"), "les musées"),
    _Offer(
        "O02",
        "O02_p100k",
        ("bibliothèque municipale", "bibliothèques municipales"),
        "les bibliothèques",
    ),
    _Offer("O05", "O05_p100k", ("écran de cinéma", "écrans de cinéma"), "les écrans de cinéma"),
    _Offer("O10", "O10_p100k", ("festival", "festivals"), "les festivals"),
)


def _offer(ctx: _Ctx, o: _Offer) -> str:
    v = ctx.get(o.count)
    noun = plural(v.value or 0, *o.noun)
    if ctx.is_fr:
        lead = f"{_cap(ctx.subj(o.count))} compte {ctx.show(v)} {noun}, soit"
    else:
        total = "de la France métropolitaine" if ctx.metro(o.count) else "du total national"
        lead = (
            f"{_cap(ctx.subj())} compte {ctx.show(v)} {noun} "
            f"({_share_of(ctx, o.count)} {total}), soit"
        )
    return _stat(ctx, o.ratio, lead, suffix=" pour 100 000 habitants", noun="un taux", rank=True)


def _vintage(ctx: _Ctx, ind: str, v: Value) -> str:
    try:
        text = ctx.store.info(ind)["vintage"].strip()
    except (KeyError, DataError):
        text = ""
    text = text if text and text.lower() != "nan" else str(v.year or "")
    return text if text.startswith("≈") else "≈" + text


def _cinema_drom(ctx: _Ctx) -> str:
    """DROM: the Deps equipment base (≈2019) replaces the CNC metro-only count."""
    where = "DROM" if ctx.is_fr else ctx.code
    level = "france" if ctx.is_fr else "region"
    who = "les DROM" if ctx.is_fr else ctx.subj()
    v = ctx.need(ctx.raw("O04D", level, where), who)
    head = f"D'après la base des équipements du DEPS (millésime {_vintage(ctx, 'O04D', v)}), {who}"
    n = v.value or 0
    if n == 0:
        return f"{head} {'ne comptent' if ctx.is_fr else 'ne compte'} aucun cinéma."
    verb = "comptent" if ctx.is_fr else "compte"
    text = f"{head} {verb} {ctx.show(v)} {plural(n, 'cinéma', 'cinémas')}"
    s = ctx.raw("O04D_salles", level, where)
    if s.value:
        text += f" totalisant {ctx.show(s)} {plural(s.value, 'salle', 'salles')}"
    return text + " ; les données du CNC sont limitées à la France métropolitaine."


def _best_departements(ctx: _Ctx) -> str:
    deps = None if ctx.is_fr else ctx.store.departements_of(ctx.code)
    if deps is not None and len(deps) < 2:
        raise _Skip
    items = []
    for o in OFFERS:
        if ctx.drom and ctx.metro(o.ratio):
            continue
        s = ctx.store.level_values(o.ratio, "departement").dropna()
        if deps is not None:
            s = s[s.index.isin(deps)]
        if s.empty:
            continue
        best = float(s.max())
        names = _extreme_names(ctx, s, best, ctx.dep_name)
        items.append(f"{names} pour {o.short} ({ctx.num(o.ratio, best)})")
    if not items:
        raise _Skip
    return f"Départements les mieux dotés pour 100 000 habitants : {_join(items)}."


GARDEN = ("jardin remarquable", "jardins remarquables")
SPR = ("site patrimonial remarquable", "sites patrimoniaux remarquables")


def _count_phrase(ctx: _Ctx, ind: str, noun: tuple[str, str]) -> str:
    """``25 jardins remarquables (5,3 % du total national)``."""
    v = ctx.get(ind)
    text = f"{ctx.show(v)} {plural(v.value or 0, *noun)}"
    return text if ctx.is_fr else f"{text} ({_share_of(ctx, ind)} du total national)"


def _gardens_spr(ctx: _Ctx) -> str:
    """O13 + O14 counts; a true zero is written ``aucun`` (exhaustive label lists)."""
    items = {"O13": GARDEN, "O14": SPR}
    zero = [noun[0] for ind, noun in items.items() if not ctx.get(ind).value]
    subj = _cap(ctx.subj())
    if len(zero) == len(items):
        return f"{subj} ne compte aucun {' ni '.join(zero)}."
    some = [_count_phrase(ctx, ind, noun) for ind, noun in items.items() if noun[0] not in zero]
    tail = f", mais aucun {zero[0]}" if zero else ""
    return f"{subj} compte également {_join(some)}{tail}."


def _offer_sentences(ctx: _Ctx) -> list[Callable[[_Ctx], str]]:
    out: list[Callable[[_Ctx], str]] = []
    for o in OFFERS[:3]:
        if o.count == "O05" and ctx.drom:
            out.append(_cinema_drom)
        else:
            out.append(lambda c, o=o: _offer(c, o))
    if ctx.is_fr:
        out.append(_cinema_drom)
    return out


# --- A3 festivals --------------------------------------------------------------------------
def _component_name(ctx: _Ctx, ind: str) -> str:
    label = ctx._label(ind)
    for sep in (" : ", " – ", " — ", " - "):
        if sep in label:
            label = label.rsplit(sep, 1)[1]
    if label == ind:
        label = ind.split(".", 1)[1].replace("_", " ")
    return _cap(label.strip())


def _component_family(ctx: _Ctx, prefix: str) -> str:
    """Label of a composite indicator, from its first component (``Festivals par discipline``)."""
    comps = ctx.store.components(prefix)
    label = ctx._label(comps[0]) if comps else prefix
    for sep in (" : ", " – ", " — ", " - "):
        if sep in label:
            return label.split(sep, 1)[0]
    return label


def _leading(ctx: _Ctx, prefix: str) -> str:
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
        raise _Nd(f"{_component_family(ctx, prefix)} : {fmt.ND} pour {ctx.subj()}.")
    return max(vals, key=lambda k: vals[k])


def _festival_density(ctx: _Ctx) -> str:
    return _stat(
        ctx,
        "O10_p100k",
        f"La densité de festivals {ctx.de()} est de",
        suffix=" pour 100 000 habitants",
        noun="un niveau",
    )


def _festival_discipline(ctx: _Ctx) -> str:
    ind = _leading(ctx, "O11")
    lead = (
        f"La discipline dominante la plus fréquente est « {_component_name(ctx, ind)} », "
        "qui concerne"
    )
    if ctx.is_fr:
        return _stat(ctx, ind, lead, after=" des festivals")
    v, r = ctx.get(ind), ctx.ref(ind)
    return f"{lead} {ctx.show(v)} des festivals {ctx.de()}, contre {ctx.show(r)} en France."


def _festival_summer(ctx: _Ctx) -> str:
    return _stat(
        ctx,
        "O12",
        "Les festivals organisés en saison estivale (21 juin–5 septembre) représentent",
        after=f" des festivals {ctx.de()}",
        noun="une part",
        feminine=True,
    )


# --- A4 fréquentation des musées -----------------------------------------------------------
TOP_YEAR = 2023


def _f01(ctx: _Ctx) -> str:
    v = ctx.get("F01")
    where = "" if ctx.is_fr else f" {ctx.de()}"
    lead = f"En {v.year}, les musées de France{where} ont accueilli {ctx.show(v)} visiteurs"
    if ctx.is_fr:
        return lead + _metro_drom(ctx, "F01", v.year) + _min_max(ctx, "F01", v.year) + "."
    return f"{lead}, soit {_share_of(ctx, 'F01', v.year)} des entrées nationales."


def _f03(ctx: _Ctx) -> str:
    return _stat(ctx, "F03", "Par rapport à 2019, leur fréquentation a évolué de", change=True)


def _f04(ctx: _Ctx) -> str:
    return _stat(
        ctx, "F04", "En 2020, l'indice de fréquentation (base 100 en 2019) est tombé à", year=2020
    )


def _top_museum(ctx: _Ctx) -> str:
    m = ctx.store.museums
    if not ctx.is_fr:
        m = m[m["region"] == ctx.code]
    m = m.dropna(subset=["entries_2023"])
    if m.empty:
        raise _Nd(f"Musée le plus fréquenté : n.d. pour {ctx.subj()}.")
    top = m.loc[m["entries_2023"].idxmax()]
    total = ctx.get("F01", TOP_YEAR)
    if not total.value:
        raise _Skip
    share = _pct(100 * float(top["entries_2023"]) / total.value)
    where = "de France" if ctx.is_fr else "de la région"
    scope = "nationales" if ctx.is_fr else "régionales"
    town = f" ({top['ville']})" if isinstance(top.get("ville"), str) and top["ville"] else ""
    return (
        f"Le musée le plus fréquenté {where}, « {top['name']} »{town}, a reçu "
        f"{ctx.num('F01', float(top['entries_2023']))} entrées en {TOP_YEAR}, soit {share} "
        f"des entrées {scope}."
    )


def _f05(ctx: _Ctx) -> str:
    return _stat(
        ctx,
        "F05",
        f"Les entrées gratuites dans les musées {ctx.de()} représentent",
        after=" des entrées",
        noun="une part",
        feminine=True,
    )


# --- A5 cinéma -----------------------------------------------------------------------------
def _f09(ctx: _Ctx) -> str:
    v = ctx.get("F09")
    year = f"En {v.year}, l" if v.year else "L"
    lead = f"{year}es cinémas {ctx.de('F09')} ont enregistré"
    return _stat(
        ctx,
        "F09",
        lead,
        suffix=" entrée par habitant" if (v.value or 0) < 2 else " entrées par habitant",
        noun="un niveau",
    )


def _screens_change(ctx: _Ctx, level: str, code: str, first: int, last: int) -> float | None:
    s = ctx.store.series("F11", level, code)
    a, b = s.get(first), s.get(last)
    if a is None or b is None or pd.isna(a) or pd.isna(b) or a == 0:
        return None
    return 100 * (float(b) / float(a) - 1)


def _f11(ctx: _Ctx) -> str:
    ctx.ref("F11")  # n.d. check
    ref = ctx.store.series("F11", "france", "FRM").dropna()
    first, last = int(ref.index.min()), int(ref.index.max())
    a, b = ctx.get("F11", first), ctx.get("F11", last)
    level, code = ctx.where("F11")
    change = _screens_change(ctx, level, code, first, last)
    text = (
        f"Le parc d'écrans {ctx.de('F11')} est passé de {ctx.show(a)} en {first} à "
        f"{ctx.show(b)} en {last} ({ctx.change('F11', change)})"
    )
    if not ctx.is_fr:
        fr = _screens_change(ctx, "france", "FRM", first, last)
        return f"{text}, contre {ctx.change('F11', fr)} pour la France métropolitaine."
    changes = {
        c: _screens_change(ctx, "region", str(c), first, last)
        for c in ctx.store.level_values("F11", "region", last).dropna().index
    }
    s = pd.Series({k: v for k, v in changes.items() if v is not None}, dtype=float)
    if s.empty:
        return text + "."
    lo, hi = float(s.min()), float(s.max())
    if lo == hi:
        return text + "."
    return (
        f"{text} ; les évolutions régionales vont de {ctx.change('F11', lo)} "
        f"({_extreme_names(ctx, s, lo, ctx.region_name)}) à {ctx.change('F11', hi)} "
        f"({_extreme_names(ctx, s, hi, ctx.region_name)})."
    )


def _o07(ctx: _Ctx) -> str:
    return _stat(
        ctx,
        "O07",
        "Les établissements classés Art et Essai représentent",
        after=f" des cinémas {ctx.de('O07')}",
        noun="une part",
        feminine=True,
    )


# --- A6 dépenses ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Level:
    amount: str
    per_inh: str
    who: str  # "du ministère de la Culture"
    covered: bool = False


SPENDING = (
    _Level("D01", "D01_per_inh", "du ministère de la Culture"),
    _Level("D03", "D03_per_inh", "de la collectivité régionale"),
    _Level("D05", "D05_per_inh", "des départements"),
    _Level("D06", "D06_per_inh", "des communes de plus de 3 500 habitants", covered=True),
    _Level("D09", "D09_per_inh", "des intercommunalités", covered=True),
)


def _per(level: _Level) -> str:
    return " par habitant couvert" if level.covered else " par habitant"


def _d01(ctx: _Ctx) -> str:
    v = ctx.get("D01")
    lead = (
        f"En {v.year or 2019}, les dépenses du ministère de la Culture {ctx.dans()} "
        f"s'élèvent à {ctx.show(v)}, soit"
    )
    return _stat(ctx, "D01_per_inh", lead, after=" par habitant", noun="un montant", rank=True)


def _spending(ctx: _Ctx, level: _Level) -> str:
    lead = f"Les dépenses culturelles {level.who} atteignent"
    return _stat(ctx, level.per_inh, lead, after=_per(level), noun="un montant")


def _highest_level(ctx: _Ctx) -> str:
    level, code = ctx.where()
    vals: dict[_Level, float] = {}
    for lv in SPENDING:
        try:
            v = ctx.store.get(lv.per_inh, level, code)
        except DataError:
            continue
        if v.value is not None:
            vals[lv] = v.value
    if len(vals) < 2:
        raise _Skip
    best = max(vals, key=lambda k: vals[k])
    return (
        f"Rapportée à la population, la dépense culturelle la plus élevée {ctx.de()} est "
        f"celle {best.who} ({ctx.num(best.per_inh, vals[best])}{_per(best)})."
    )


def _d07(ctx: _Ctx) -> str:
    return _stat(
        ctx,
        "D07",
        f"La part de l'investissement dans les dépenses culturelles des communes {ctx.de()} est de",
        noun="un niveau",
    )


def _d08(ctx: _Ctx) -> str:
    ind = _leading(ctx, "D08")
    lead = (
        f"Le premier poste de dépenses culturelles des communes {ctx.de()} est "
        f"« {_component_name(ctx, ind)} », avec"
    )
    v = ctx.get(ind)
    if ctx.is_fr:
        return f"{lead} {ctx.show(v)} du total."
    r = ctx.ref(ind)
    return f"{lead} {ctx.show(v)} du total, contre {ctx.show(r)} en France."


# --- A7 emploi / A8 entreprises ------------------------------------------------------------
def _share_with_count(ctx: _Ctx, count: str, share: str, what: str, of: str, rank: bool) -> str:
    v = ctx.get(count)
    lead = f"{_cap(ctx.subj())} compte {ctx.show(v)} {what}, soit"
    return _stat(ctx, share, lead, after=f" {of}", noun="une part", feminine=True, rank=rank)


def _e01(ctx: _Ctx) -> str:
    return _share_with_count(
        ctx,
        "E01",
        "E01_share",
        "actifs exerçant une profession culturelle",
        "des actifs",
        rank=True,
    )


def _e02(ctx: _Ctx) -> str:
    return _stat(
        ctx,
        "E02_share",
        "Les actifs des secteurs culturels représentent",
        after=f" des actifs {ctx.de()}",
        noun="une part",
        feminine=True,
    )


def _top_zone(ctx: _Ctx) -> str:
    z = ctx.store.zones_emploi
    if not ctx.is_fr:
        z = z[z["region"] == ctx.code]
    z = z.dropna(subset=["E01_share"])
    if z.empty:
        raise _Nd(f"Zones d'emploi : n.d. pour {ctx.subj()}.")
    if len(z) < 2:
        raise _Skip  # one zone (Mayotte): "the highest" would say nothing
    top = z.loc[z["E01_share"].idxmax()]
    inter = str(top.get("interregional", "")).strip().lower() in {"1", "true", "oui", "yes"}
    flag = " (zone interrégionale)" if inter else ""
    where = "de France" if ctx.is_fr else "de la région"
    return (
        f"Parmi les zones d'emploi {where}, « {top['name']} »{flag} présente la part de "
        "professions culturelles la plus élevée "
        f"({ctx.num('E01_share', float(top['E01_share']))} des actifs)."
    )


def _n01(ctx: _Ctx) -> str:
    return _share_with_count(
        ctx,
        "N01",
        "N01_share",
        "entreprises culturelles marchandes",
        "des entreprises du secteur marchand",
        rank=True,
    )


def _n02(ctx: _Ctx) -> str:
    return _stat(
        ctx,
        "N02_share",
        "Les salariés des secteurs culturels marchands représentent",
        after=f" des salariés du secteur marchand {ctx.de()}",
        noun="une part",
        feminine=True,
    )


# --- sections ------------------------------------------------------------------------------
Sentence = Callable[[_Ctx], str]


@dataclass(frozen=True)
class _Para:
    sentences: tuple[Sentence, ...] | Callable[[_Ctx], list[Sentence]]
    key: str = ""  # if this input is n.d., the paragraph becomes one n.d. sentence
    nd_lead: str = ""  # "Les données … ne sont pas disponibles …"


def _spending_sentences(ctx: _Ctx) -> list[Sentence]:
    return [_d01] + [lambda c, lv=lv: _spending(c, lv) for lv in SPENDING[1:4]]


def _cinema_sentences(ctx: _Ctx) -> list[Sentence]:
    return [_f09, _f11, _o07]


PLAN: dict[str, tuple[_Para, ...]] = {
    "contexte": (_Para((_c01, _c03, _c05, _c07, _c13)),),
    "offre": (
        _Para(lambda c: [*_offer_sentences(c), _best_departements]),
        _Para((lambda c: _offer(c, OFFERS[3]), _gardens_spr)),
    ),
    "festivals": (_Para((_festival_density, _festival_discipline, _festival_summer)),),
    "frequentation": (_Para((_f01, _f03, _f04, _top_museum, _f05)),),
    "cinema": (
        _Para(
            _cinema_sentences,
            key="F09",
            nd_lead="Les données du CNC sur les cinémas (entrées 2022, écrans 2003–2023)",
        ),
    ),
    "depenses": (
        _Para(_spending_sentences),
        _Para((_highest_level, _d07, _d08)),
    ),
    "emploi": (_Para((_e01, _e02, _top_zone)),),
    "entreprises": (
        _Para(
            (_n01, _n02),
            key="N01_share",
            nd_lead="Les données sur les entreprises culturelles marchandes et leurs salariés",
        ),
    ),
}


def _run(ctx: _Ctx, sentences: Iterable[Sentence], notes: list[str]) -> list[str]:
    out = []
    for sentence in sentences:
        try:
            out.append(sentence(ctx))
        except _Nd as nd:
            notes.append(nd.note)
        except _Skip:
            continue
    return out


def _nd_paragraph(ctx: _Ctx, para: _Para, notes: list[str]) -> str | None:
    """One n.d. sentence when the key input of the paragraph is missing (DROM cinema, Mayotte)."""
    if not para.key or ctx.is_fr:
        return None
    try:
        ctx.get(para.key)
    except _Nd as nd:
        v = ctx.raw(para.key, *ctx.where(para.key))
        reason = f" : {v.note.rstrip('.')}" if v.note else ""
        status = fmt.SO if v.status == "so" else fmt.ND
        notes.append(nd.note)
        return f"{para.nd_lead} ne sont pas disponibles pour {ctx.subj()} ({status}{reason})."
    return None


def _context(store: Store, region: str) -> _Ctx:
    if region == "FR":
        return _Ctx(store, "FR")
    t = store.territory("region", region)
    zone = str(t.get("zone", "") or "").strip().lower()
    return _Ctx(store, region, name=str(t["name"]), drom=zone == "drom")


def analyse(section: str, store: Store, region: str) -> Analysis:
    """Paragraphs of analysis text for ``section`` (A1–A8) of région ``region`` or ``'FR'``."""
    if section not in PLAN:
        raise ValueError(f"unknown section {section!r}; expected one of {', '.join(SECTIONS)}")
    ctx = _context(store, region)
    result = Analysis()
    for para in PLAN[section]:
        nd = _nd_paragraph(ctx, para, result.nd_notes)
        if nd is not None:
            result.paragraphs.append(nd)
            continue
        sentences = para.sentences(ctx) if callable(para.sentences) else para.sentences
        kept = _run(ctx, sentences, result.nd_notes)
        if kept:
            result.paragraphs.append(" ".join(kept))
    result.nd_notes = list(dict.fromkeys(result.nd_notes))
    return result
