"""Classes and symbol scales shared by every map: pure numpy, no matplotlib or geopandas.

Kept apart from the map modules (:mod:`reports.figures.choropleth`, :mod:`reports.figures.points`)
so that computing a figure's cache key (which needs the classes, point styles and circle scale)
does not import the drawing stack: a fiche whose figures are all cached never imports
matplotlib, geopandas or pyproj.

Classification (ATLAS_SPEC §2.7, revised): :func:`national_breaks` computes Jenks (Fisher–Jenks,
exact and deterministic) breaks once on the 101 départements — on the logarithms of a skewed
distribution — falling back to quintiles when a class would be empty or hold more than half of
the départements — and, given the région of each département, to quintiles (or Jenks on the
other scale) when the natural breaks would leave a région whose values differ in one class
(:func:`one_class_groups`, ATLAS_SPEC §2.7); the same :class:`Classes` object is passed to every
map, so a colour means the same value everywhere, and its method is printed under the legend.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from reports.content.fmt import fmt_number
from reports.figures import style as fs

DASH = " – "  # en dash between class bounds


# --- classification ----------------------------------------------------------------------
@dataclass(frozen=True)
class Classes:
    """Class bounds ``(min, b1, …, max)``; class i = ``(bounds[i], bounds[i+1]]``."""

    bounds: tuple[float, ...]
    method: str = "jenks"
    colors: tuple[str, ...] = tuple(fs.SEQ5)
    open_ends: bool = False  # diverging classes: "moins de …" / "plus de …"
    note: str = ""  # how the classes were made, printed under the legend

    @property
    def k(self) -> int:
        return len(self.bounds) - 1

    def classify(self, value: float) -> int | None:
        if value is None or not np.isfinite(value):
            return None
        i = int(np.searchsorted(np.asarray(self.bounds[1:-1]), value, side="left"))
        return min(max(i, 0), self.k - 1)

    def color(self, value: float) -> str | None:
        i = self.classify(value)
        return None if i is None else self.palette[i]

    @property
    def palette(self) -> list[str]:
        if self.k == len(self.colors):
            return list(self.colors)
        idx = np.linspace(0, len(self.colors) - 1, self.k).round().astype(int)
        return [self.colors[i] for i in idx]


def _clean_values(values: Iterable[float | None]) -> np.ndarray:
    arr = np.asarray([np.nan if v is None else float(v) for v in values], dtype=float)
    return arr[np.isfinite(arr)]


#: a distribution this skewed (sample skewness) is classified on its logarithms
SKEWED = 1.0
#: no class may hold more than this share of the units (else: quantiles)
MAX_CLASS_SHARE = 0.5


def _skewness(x: np.ndarray) -> float:
    sd = float(x.std())
    return 0.0 if sd == 0 else float(((x - x.mean()) ** 3).mean() / sd**3)


def _units(n: int) -> str:
    return f"{n} départements" if n > 20 else f"{n} régions"


#: ATLAS_SPEC §2.7: one class over this share of a territory's mapped area is a defect…
ONE_CLASS_SHARE = 0.85
#: … when the territory's own values differ by more than this (relative to the smaller one)
VALUES_DIFFER = 0.25
#: a territory with this many units or fewer is not mapped (a dot chart: draw.FEW_UNITS)
FEW_UNITS = 2


def values_differ(lo: float, hi: float) -> bool:
    """Do the lowest and highest values of a territory differ by more than
    :data:`VALUES_DIFFER` (relative to the smaller magnitude; values of both signs, or zero
    and a non-zero value, always differ)? Shared with the ``one-class-map`` check."""
    lo, hi = min(lo, hi), max(lo, hi)
    if hi == lo:
        return False
    if lo * hi <= 0:
        return True
    return hi - lo > VALUES_DIFFER * min(abs(lo), abs(hi))


def one_class_groups(
    classes: Classes,
    values: Sequence[float | None],
    groups: Sequence[str],
    weights: Sequence[float | None] | None = None,
) -> list[str]:
    """The groups (régions) of more than :data:`FEW_UNITS` units where one class covers
    :data:`ONE_CLASS_SHARE` or more of the weight (area) while their values differ
    (:func:`values_differ`): the maps ATLAS_SPEC §2.7 calls a defect."""
    vals = np.asarray([np.nan if v is None else float(v) for v in values], dtype=float)
    w = (
        np.ones(vals.size)
        if weights is None
        else np.asarray([np.nan if v is None else float(v) for v in weights], dtype=float)
    )
    ok = np.isfinite(vals)
    if ok.any():  # a unit of unknown weight counts as a typical one
        w = np.where(np.isfinite(w) & (w > 0), w, np.nanmedian(np.where(w > 0, w, np.nan)))
    w = np.where(np.isfinite(w), w, 1.0)
    cls = np.array([-1 if not o else classes.classify(v) for v, o in zip(vals, ok, strict=True)])
    garr = np.asarray([str(g) for g in groups])
    out: list[str] = []
    for g in dict.fromkeys(garr.tolist()):
        m = (garr == g) & ok
        if m.sum() <= FEW_UNITS or not values_differ(vals[m].min(), vals[m].max()):
            continue
        share = np.bincount(cls[m], weights=w[m]).max() / w[m].sum()
        if share >= ONE_CLASS_SHARE:
            out.append(g)
    return out


def national_breaks(
    values: Iterable[float | None],
    k: int = 5,
    *,
    groups: Sequence[str] | None = None,
    weights: Sequence[float | None] | None = None,
) -> Classes:
    """Classes computed once on the national distribution (ATLAS_SPEC §2.7, revised): Jenks
    natural breaks, on the logarithms of a skewed positive distribution (so that one
    outlier, Paris, does not put most of France in one class); quintiles when a class would
    be empty or hold more than half of the units. The method is in :attr:`Classes.note`.

    With ``groups`` (the région of each value) and ``weights`` (its area), the classes must
    also separate every région whose values differ (:func:`one_class_groups`): when the
    natural breaks leave one such région in one class, the first of quintiles and Jenks on
    the other scale (values / logarithms) that leaves none is used (else the one that leaves
    the fewest). The classes stay national: the same for every région."""
    if groups is None:
        return _national_breaks(values, k)
    vals = list(values)
    if len(vals) != len(groups) or (weights is not None and len(weights) != len(vals)):
        raise ValueError("groups and weights must be aligned with values")
    primary = _national_breaks(vals, k)
    candidates = [primary]
    if primary.method in ("jenks", "jenks-log"):
        candidates.append(quantile_breaks(vals, k))
        other = _jenks_classes(np.sort(_clean_values(vals)), k, logs=primary.method == "jenks")
        if other is not None:
            candidates.append(other)
    best, best_n = primary, None
    for c in candidates:
        n = len(one_class_groups(c, vals, groups, weights))
        if best_n is None or n < best_n:
            best, best_n = c, n
        if n == 0:
            break
    return best


def _jenks_classes(arr: np.ndarray, k: int, logs: bool) -> Classes | None:
    """Jenks on the sorted values ``arr`` (or on their logarithms), None when a class would
    be empty or hold more than :data:`MAX_CLASS_SHARE` of the units."""
    if arr.size == 0 or np.unique(arr).size < k or (logs and arr[0] <= 0):
        return None
    work = np.log(arr) if logs else arr
    uppers = fisher_jenks(work, k)
    if logs:  # back to values: the upper bound of a class is one of the values
        uppers = [float(arr[np.searchsorted(work, u, side="right") - 1]) for u in uppers]
    counts = np.diff(np.searchsorted(arr, [-np.inf, *uppers], side="right"))
    if len(uppers) != k or not (counts > 0).all() or counts.max() > MAX_CLASS_SHARE * arr.size:
        return None
    how = "seuils naturels (Jenks) sur les logarithmes" if logs else "seuils naturels (Jenks)"
    return Classes(
        (float(arr[0]), *uppers),
        method="jenks-log" if logs else "jenks",
        note=f"Classes nationales : {how}, {_units(arr.size)}.",
    )


def _national_breaks(values: Iterable[float | None], k: int = 5) -> Classes:
    arr = np.sort(_clean_values(values))
    if arr.size == 0:
        raise ValueError("no values to classify")
    n_unique = np.unique(arr).size
    k_eff = min(k, n_unique)
    if k_eff < 2:
        return Classes((float(arr[0]), float(arr[-1])), method="single")
    zeros = int((arr == 0).sum())
    if arr[0] == 0 and zeros >= 0.2 * arr.size and k >= 3 and arr.size - zeros >= 2 * k:
        rest = quantile_breaks(arr[arr > 0], k - 1)  # a class of its own for the zeros
        return Classes(
            (0.0, 0.0, *rest.bounds[1:]),
            method="zero+quantiles",
            note=f"Classes nationales : 0 ({zeros} départements), "
            f"puis quantiles des {arr.size - zeros} autres.",
        )
    logs = bool(arr[0] > 0 and _skewness(arr) > SKEWED)
    jenks = _jenks_classes(arr, k_eff, logs)
    return jenks if jenks is not None else quantile_breaks(arr, k)


def fisher_jenks(sorted_values: np.ndarray, k: int) -> list[float]:
    """Exact Jenks natural breaks (Fisher's dynamic programme); class upper bounds.

    Same result as ``mapclassify.FisherJenks(...).bins`` without importing mapclassify
    (1.5 s: scipy, scikit-learn) in every fiche process.
    """
    x = np.asarray(sorted_values, dtype=float)
    n = x.size
    s1 = np.concatenate([[0.0], np.cumsum(x)])
    s2 = np.concatenate([[0.0], np.cumsum(x * x)])
    # within-class sum of squared deviations of x[i..j] inclusive, for every i <= j at once
    i, j = np.arange(n)[:, None], np.arange(n)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        tot = s1[j + 1] - s1[i]
        ssd = (s2[j + 1] - s2[i]) - tot * tot / (j - i + 1)
    ssd = np.where(i <= j, ssd, np.inf)
    cost = np.full((k, n), np.inf)
    start = np.zeros((k, n), dtype=int)
    cost[0] = ssd[0]
    for c in range(1, k):
        # the last class starts at i (c <= i <= j): best cost of c classes before i + its SSD
        before = np.full(n, np.inf)
        before[c:] = cost[c - 1, c - 1 : n - 1]
        total = before[:, None] + ssd
        best = np.argmin(total, axis=0)
        cost[c] = total[best, np.arange(n)]
        start[c] = best
        cost[c, :c] = np.inf
    uppers: list[float] = []
    j = n - 1
    for c in range(k - 1, -1, -1):
        uppers.append(float(x[j]))
        j = start[c, j] - 1
    return uppers[::-1]


def quantile_breaks(values: Iterable[float | None], k: int = 5) -> Classes:
    arr = np.sort(_clean_values(values))
    qs = np.quantile(arr, np.linspace(0, 1, k + 1))
    bounds = [float(qs[0])]
    for q in qs[1:]:
        if q > bounds[-1]:
            bounds.append(float(q))
    if len(bounds) < 2:
        bounds.append(bounds[0])
    name = "quintiles" if k == 5 else "quantiles"
    return Classes(
        tuple(bounds),
        method="quantiles",
        note=f"Classes nationales : {name}, {_units(arr.size)}.",
    )


def _nice(x: float) -> float:
    if x <= 0:
        return 1.0
    exp = math.floor(math.log10(x))
    for m in (1, 2, 2.5, 5, 10):
        if m * 10**exp >= x:
            return m * 10**exp
    return 10 ** (exp + 1)


def diverging_breaks(values: Iterable[float | None], center: float, k: int = 5) -> Classes:
    """Five classes centred on ``center`` (e.g. the France change), symmetric, rounded up to
    1, 2, 2.5 or 5 × 10ⁿ."""
    arr = _clean_values(values)
    # bands narrow enough to separate: about a quarter of the values in the central class,
    # the outer bounds at the 70th percentile of the distances to the centre
    dist = np.abs(arr - center)
    outer = _nice(float(np.percentile(dist, 70))) if arr.size else 1.0
    inner = _nice(float(np.percentile(dist, 25))) if arr.size else 0.5
    if inner >= outer:
        inner = outer / 2
    lo = min(float(arr.min()) if arr.size else center - 2 * outer, center - outer) - 1e-9
    hi = max(float(arr.max()) if arr.size else center + 2 * outer, center + outer) + 1e-9
    bounds = (lo, center - outer, center - inner, center + inner, center + outer, hi)
    note = f"Classes centrées sur l'évolution France ({fmt_number(center, 1, sign=True)}\u00a0%)."
    return Classes(bounds, method="diverging", colors=tuple(fs.DIV5), open_ends=True, note=note)


def _auto_decimals(bounds: Sequence[float]) -> int:
    span = max(bounds) - min(bounds)
    start = 0 if span >= 50 else 1 if span >= 2 else 2
    for d in range(start, 4):
        texts = [fmt_number(b, d) for b in bounds]
        if len(set(texts)) == len(texts):
            return d
    return 3


def class_labels(classes: Classes, decimals: int | None = None) -> list[str]:
    """French labels, e.g. ``12,3 – 15,0``; open-ended classes read ``moins de`` / ``plus de``;
    the class after a class of one value (the zeros) reads ``> 0 – 23,4``."""
    b = classes.bounds
    d = _auto_decimals(b) if decimals is None else decimals

    def f(x: float) -> str:
        return fmt_number(x, d, sign=classes.open_ends)

    def label(i: int) -> str:
        if b[i] == b[i + 1]:  # a class of one value (the zeros)
            return f(b[i + 1])
        # after a class of one value, the next one starts above it: "> 0,0 – 23,4", so that
        # the two labels do not seem to overlap
        above = "> " if i > 0 and b[i - 1] == b[i] else ""
        return f"{above}{f(b[i])}{DASH}{f(b[i + 1])}"

    labels = [label(i) for i in range(classes.k)]
    if classes.open_ends and classes.k >= 2:
        labels[0] = f"moins de {f(b[1])}"
        labels[-1] = f"plus de {f(b[-2])}"
    return labels


@dataclass(frozen=True)
class PointStyle:
    label: str
    color: str
    marker: str = "o"
    size: float = 9.0  # marker area, pt²


def default_point_styles(categories: Sequence[str]) -> dict[str, PointStyle]:
    markers = ["o", "s", "^", "D", "v", "P", "X", "h"]
    return {
        c: PointStyle(c, fs.OKABE_ITO[i % 8], markers[i % len(markers)])
        for i, c in enumerate(categories)
    }


@dataclass(frozen=True)
class CircleScale:
    """Circles scaled to the map: ``value_max`` (the largest value shown) is drawn with a
    circle of diameter ``max_diameter_pt``; the legend shows three round values between
    ``value_min`` and ``value_max`` (values that occur in the map)."""

    value_max: float
    max_diameter_pt: float = 28.0
    value_min: float = 0.0

    def area(self, value: np.ndarray | float) -> np.ndarray:
        v = np.clip(np.asarray(value, dtype=float), 0, None)
        return (self.max_diameter_pt**2) * v / self.value_max  # scatter's s = diameter²

    def reference_values(self) -> list[float]:
        top = _nice_down(self.value_max)
        out = [top]
        for div in (4, 3, 2.5, 2):  # the smallest legend circle stays readable (≥ ~5 pt)
            v = _nice_down(top / (div * div))
            if v >= self.value_min and v < out[-1]:
                out.append(v)
                break
        mid = _nice_down(np.sqrt(top * out[-1]))
        if out[-1] < mid < top:
            out.insert(1, mid)
        return out


def fitted_scale(values: Iterable[float], max_diameter_pt: float = 28.0) -> CircleScale:
    """A :class:`CircleScale` for the values one map shows."""
    arr = _clean_values(values)
    arr = arr[arr > 0]
    if arr.size == 0:
        return CircleScale(1.0, max_diameter_pt)
    return CircleScale(float(arr.max()), max_diameter_pt, float(arr.min()))


def _nice_down(x: float) -> float:
    exp = math.floor(math.log10(x))
    for m in (5, 2, 1):
        if m * 10**exp <= x:
            return m * 10**exp
    return 10**exp
