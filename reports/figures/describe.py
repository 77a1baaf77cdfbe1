"""Alt texts of the catalogue's figures: what a map or chart shows, in words — its extremes,
the territory's value, the categories counted."""

from __future__ import annotations

from collections.abc import Callable

from reports import edition
from reports.content import fmt
from reports.content.present import format_number, unit_label
from reports.data.store import Store
from reports.data.territories import FRANCE, Territory
from reports.figures.inputs import FACILITY_LABELS, names, reference_rows, split_frame

ED = edition.current()

# --- alt texts for maps --------------------------------------------------------------------
#: a région with this many départements or fewer gets a dot chart (draw.FEW_UNITS)
FEW_UNITS = 2


def _territory_value(store: Store, ind: str, territory: Territory) -> str:
    """`` Région : 114,0 ; France : 105,3.`` (what is known of both)."""
    parts = []
    if not territory.is_france:
        v = store.value(ind, "region", territory.code)
        if v is not None:
            parts.append(f"Région : {format_number(store, ind, v)}")
    v = store.value(ind, "france", "FR")
    if v is not None:
        parts.append(f"France : {format_number(store, ind, v)}")
    return f" {' ; '.join(parts)}." if parts else ""


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def _what(store: Store, ind: str) -> str:
    """``densité de population (hab./km²)``: the label, with its unit unless it says it."""
    label, unit = _lower(store.label(ind)), unit_label(store, ind)
    return label if unit.startswith("pour ") and unit in label else f"{label} ({unit})"


def describe_choropleth(store: Store, ind: str, territory: Territory) -> str:
    """Alt text of a département choropleth: what it maps, the range with the départements at
    both ends, those without data, the territory's value and France's."""
    vals = store.level_values(ind, "departement")
    dep_names = names(store, "departement")
    if territory.is_france:
        scope = f"Carte des {len(vals)} départements de France"
    else:
        vals = vals.reindex(store.departements_of(territory.code))
        what = "Graphique" if len(vals) <= FEW_UNITS else "Carte"
        scope = f"{what} des {len(vals)} départements de la région {territory.name}"
    present = vals.dropna()
    text = f"{scope} : {_what(store, ind)}."
    if present.empty:
        return text + " Données non disponibles."
    lo, hi = present.idxmin(), present.idxmax()
    if present[lo] == present[hi]:
        text += f" {format_number(store, ind, present[lo])} partout."
    else:
        text += (
            f" De {format_number(store, ind, present[lo])} ({dep_names[lo]}) à"
            f" {format_number(store, ind, present[hi])} ({dep_names[hi]})."
        )
    missing = vals.index[vals.isna()]
    if len(missing):
        text += f" Non disponible pour : {', '.join(dep_names[m] for m in missing)}."
    return text + _territory_value(store, ind, territory)


def fmt_value(store: Store, ind: str, value: float | None) -> str:
    return format_number(store, ind, value) if value is not None else fmt.ND


def _most(frame, dep_names) -> str:
    """`` ; le plus grand nombre : Rhône (812)`` (the département with the most points)."""
    counts = frame.groupby("departement").size()
    if len(counts) < 2:
        return ""
    top = counts.sort_values(ascending=False, kind="stable").index[0]
    return f" ; le plus grand nombre : {dep_names.get(top, top)} ({fmt.fmt_int(counts[top])})"


def describe_points(types: list[str], what: str, by_category: bool = False) -> Callable:
    """Alt text of a point map of a région: how many points, by type (or by ``category``,
    e.g. a festival's discipline), the département with the most, those not located."""

    def describe(store: Store, territory: Territory) -> str:
        if territory.is_france:
            return f"Carte de France : {what}."
        f = store.facilities
        f = f[f["type"].isin(types) & (f["region"] == territory.code)]
        head = f"Carte de points de la région {territory.name} : {what}"
        if f.empty:
            return f"{head} ; aucun recensé."
        text = f"{head}, {fmt.fmt_int(len(f))} au total"
        key = "category" if by_category else ("type" if len(types) > 1 else None)
        if key is not None:
            counts = f.groupby(key).size().sort_values(ascending=False, kind="stable")
            text += (
                " ("
                + ", ".join(
                    f"{_lower(FACILITY_LABELS.get(k, k))} : {fmt.fmt_int(v)}"
                    for k, v in counts.items()
                )
                + ")"
            )
        text += _most(f, names(store, "departement"))
        unloc = int((f["lon"].isna() | f["lat"].isna()).sum())
        if unloc:
            text += f" ; {fmt.fmt_int(unloc)} non localisés"
        return text + "."

    return describe


def describe_museums(store: Store, territory: Territory) -> str:
    """Alt text of the museum circles: entries of the last year (circle areas), their range
    with the museums at both ends, and the change since the base year (colours)."""
    base, last = ED.year("museums_base"), ED.year("museums_last")
    m = store.museums
    sub = m[m["region"] == territory.code]
    many = len(sub) > 1
    head = (
        f"Carte des {fmt.fmt_int(len(sub))} musées de France de la région {territory.name}"
        if many
        else f"Carte du musée de France de la région {territory.name}"
    )
    seen = sub.dropna(subset=["entries_last"])
    seen = seen[seen["entries_last"] > 0]
    if seen.empty:
        return f"{head} : entrées non disponibles."
    lo = seen.loc[seen["entries_last"].idxmin()]
    hi = seen.loc[seen["entries_last"].idxmax()]
    change = 100 * (sub["entries_last"] / sub["entries_base"].where(sub["entries_base"] > 0) - 1)
    change = change.dropna()
    if not many:
        text = f"{head}, {hi['name']} : {fmt.fmt_int(hi['entries_last'])} entrées en {last}"
        if not change.empty:
            text += f", {fmt.fmt_pct(change.iloc[0], 0, sign=True)} depuis {base}"
        return text + "."
    text = (
        f"{head} : cercles proportionnels aux entrées {last}"
        f" ({fmt.fmt_int(seen['entries_last'].sum())} au total), de"
        f" {fmt.fmt_int(lo['entries_last'])} ({lo['name']}) à"
        f" {fmt.fmt_int(hi['entries_last'])} ({hi['name']})"
    )
    if not change.empty:
        text += (
            f" ; couleur : évolution depuis {base}, de {fmt.fmt_pct(change.min(), 0, sign=True)}"
            f" à {fmt.fmt_pct(change.max(), 0, sign=True)}"
        )
    return text + "."


def describe_cinemas(store: Store, territory: Territory) -> str:
    """Alt text of the cinema circles: entries of the CNC year (circle areas), total, the
    cinema with the most."""
    f = store.facilities
    sub = f[(f["type"] == "cinema") & (f["region"] == territory.code)]
    head = f"Carte des {fmt.fmt_int(len(sub))} cinémas de la région {territory.name}"
    seen = sub.dropna(subset=["value"])
    if seen.empty:
        return f"{head} : entrées non disponibles."
    hi = seen.loc[seen["value"].idxmax()]
    dep_names = names(store, "departement")
    return (
        f"{head} : cercles proportionnels aux entrées {ED.year('cinemas')}"
        f" ({fmt.fmt_int(seen['value'].sum())} au total) ; le plus fréquenté :"
        f" {hi['name']} ({dep_names.get(hi['departement'], hi['departement'])},"
        f" {fmt.fmt_int(hi['value'])} entrées)."
    )


def describe_locator(store: Store, territory: Territory) -> str:
    """Alt text of the situation map: the région highlighted among the 18, its départements,
    its population and share of France's."""
    if territory.is_france:
        return describe_choropleth_region_level(store, "C01")
    v = store.value("C01", "region", territory.code)
    fr = store.value("C01", "france", "FR")
    share = f", {fmt.fmt_pct(100 * v / fr)} de la population française" if v and fr else ""
    deps = len(store.departements_of(territory.code))
    return (
        f"Carte de situation : la région {territory.name} ({deps} département"
        f"{'s' if deps > 1 else ''}), en couleur, parmi les 18 régions de France (les cinq "
        f"départements et régions d'outre-mer en encarts). Population : "
        f"{format_number(store, 'C01', v)} habitants{share}."
    )


def describe_choropleth_region_level(store: Store, ind: str) -> str:
    """Alt text of a map of the 18 régions: the range with the régions at both ends, and
    France's value."""
    vals = store.level_values(ind, "region").dropna()
    n = names(store, "region")
    text = f"Carte des 18 régions : {_what(store, ind)}."
    if vals.empty:
        return text + " Données non disponibles."
    return (
        f"{text} De {format_number(store, ind, vals.min())} ({n[vals.idxmin()]}) à "
        f"{format_number(store, ind, vals.max())} ({n[vals.idxmax()]})."
        + _territory_value(store, ind, FRANCE)
    )


def chorodesc(ind: str) -> Callable:
    return lambda store, territory: describe_choropleth(store, ind, territory)


def fr_or(points_desc: Callable, ind: str) -> Callable:
    def describe(store: Store, territory: Territory) -> str:
        if territory.is_france:
            return describe_choropleth(store, ind, territory)
        return points_desc(store, territory)

    return describe


# --- alt texts for charts -----------------------------------------------------------------
def describe_split(prefix: str, what: str) -> Callable:
    def describe(store: Store, territory: Territory) -> str:
        df = split_frame(store, prefix, territory)
        parts = []
        for label, row in df.iterrows():
            row = row.dropna()
            if row.empty:
                parts.append(f"{label} : n.d.")
                continue
            top = row.idxmax()
            parts.append(f"{label} : {fmt.fmt_pct(row[top])} {top.lower()}")
        return f"Graphique : {what}, comparaison ; part la plus forte — " + " ; ".join(parts) + "."

    return describe


def describe_series(ind: str, what: str, metro_reference: bool = False) -> Callable:
    """Alt text of a line chart; ``metro_reference``: the chart compares with France
    métropolitaine only (G09, screens: a series of metropolitan France)."""

    def describe(store: Store, territory: Territory) -> str:
        rows = reference_rows(store, territory)
        if metro_reference:
            metro = ("France métro.", "france", "FRM")
            rows = [metro] if territory.is_france else [rows[0], metro]
        parts = []
        for label, lv, cd in rows:
            s = store.series(ind, lv, cd).dropna()
            if s.empty:
                parts.append(f"{label} : n.d.")
                continue
            parts.append(
                f"{label} : de {format_number(store, ind, s.iloc[0])} en {s.index[0]} à "
                f"{format_number(store, ind, s.iloc[-1])} en {s.index[-1]}, minimum "
                f"{format_number(store, ind, s.min())} en {s.idxmin()}"
            )
        text = f"Graphique en courbes : {what}. " + " ; ".join(parts)
        return text if text.endswith(".") else text + "."

    return describe


def describe_values(inds: list[str], what: str) -> Callable:
    def describe(store: Store, territory: Territory) -> str:
        rows = reference_rows(store, territory)
        parts = []
        for ind in inds:
            vals = ", ".join(
                f"{label} {fmt_value(store, ind, store.value(ind, lv, cd))}"
                for label, lv, cd in rows
            )
            parts.append(f"{store.label(ind)} : {vals}")
        return f"Graphique : {what}. " + " ; ".join(parts) + "."

    return describe


def describe_museum_history(store: Store, territory: Territory) -> str:
    """Alt text of G13: first, highest and last year of the historical series."""
    s = store.museum_series
    fr = s[(s["level"] == "france") & (s["code"] == "FR")].set_index("year")["entries"].dropna()
    if fr.empty:
        return "Graphique en barres : série historique des entrées dans les musées, n.d."
    mio = lambda v: fmt.fmt_number(v / 1e6, 1)  # noqa: E731
    return (
        "Graphique en barres : entrées dans les musées de France, série historique, de "
        f"{mio(fr.iloc[0])} millions en {fr.index[0]} à {mio(fr.iloc[-1])} millions en "
        f"{fr.index[-1]}, maximum {mio(fr.max())} millions en {fr.idxmax()}."
    )


def museum_history_notes(store: Store, territory: Territory) -> list[str]:
    """G13's footnote: a series of its own, not spliced with the current one (figures of a
    year both series cover, from the data)."""
    s = store.museum_series
    fr = s[(s["level"] == "france") & (s["code"] == "FR")].set_index("year")["entries"]
    current = store.series("F01", "france", "FR").dropna()
    both = sorted(set(fr.dropna().index) & set(current.index))
    text = (
        f"Série tenue à part de la série {current.index.min()}–{current.index.max()} : musées "
        "couverts et collecte différents"
    )
    if both:
        y = both[0]
        text += (
            f" (en {y} : {fmt.fmt_number(fr[y] / 1e6, 1)} millions d’entrées ici, "
            f"{fmt.fmt_number(current[y] / 1e6, 1)} millions dans la série actuelle)"
        )
    return [text + "."]
