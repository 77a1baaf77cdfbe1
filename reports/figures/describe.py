"""Alt texts of the catalogue's figures: what a map or chart shows, in words — its extremes,
the territory's value, the categories counted."""

from __future__ import annotations

from collections.abc import Callable

from reports.content import fmt
from reports.content.present import format_number, unit_label
from reports.data.store import Store
from reports.data.territories import Territory
from reports.figures.inputs import FACILITY_LABELS, names, reference_rows, split_frame


# --- alt texts for maps --------------------------------------------------------------------
def describe_choropleth(store: Store, ind: str, territory: Territory) -> str:
    """Alt text of a département choropleth: extremes and the territory's value."""
    label = store.label(ind)
    vals = store.level_values(ind, "departement")
    dep_names = names(store, "departement")
    if territory.is_france:
        scope = "des 101 départements"
    else:
        vals = vals.reindex(store.departements_of(territory.code))
        scope = f"des départements de la région {territory.name}"
    present = vals.dropna()
    text = f"Carte {scope} : {label.lower()} ({unit_label(store, ind)})."
    if present.empty:
        return text + " Données non disponibles."
    lo, hi = present.idxmin(), present.idxmax()
    text += (
        f" Valeur la plus élevée : {dep_names[hi]} ({format_number(store, ind, present[hi])}) ;"
        f" la plus faible : {dep_names[lo]} ({format_number(store, ind, present[lo])})."
    )
    missing = vals.index[vals.isna()]
    if len(missing):
        text += f" Non disponible pour : {', '.join(dep_names[m] for m in missing)}."
    level, code = ("france", "FR") if territory.is_france else ("region", territory.code)
    v = store.get(ind, level, code)
    if v.value is not None:
        who = "France" if territory.is_france else "Région"
        text += f" {who} : {format_number(store, ind, v.value)}."
    return text


def fmt_value(store: Store, ind: str, value: float | None) -> str:
    return format_number(store, ind, value) if value is not None else fmt.ND


def describe_points(types: list[str], what: str) -> Callable:
    def describe(store: Store, territory: Territory) -> str:
        if territory.is_france:
            return f"Carte de France : {what}."
        f = store.facilities
        f = f[f["type"].isin(types) & (f["region"] == territory.code)]
        counts = f.groupby("category" if len(types) == 1 else "type").size()
        lst = ", ".join(
            f"{FACILITY_LABELS.get(k, k)} : {fmt.fmt_int(v)}"
            for k, v in counts.sort_values(ascending=False).items()
        )
        unloc = int((f["lon"].isna() | f["lat"].isna()).sum())
        extra = f" ; {unloc} non localisés" if unloc else ""
        return f"Carte de points de la région {territory.name} : {what} ({lst}{extra})."

    return describe


def describe_locator(store: Store, territory: Territory) -> str:
    if territory.is_france:
        return describe_choropleth_region_level(store, "C01")
    v = store.get("C01", "region", territory.code)
    return (
        f"Carte de situation : la région {territory.name} en France (avec les cinq "
        f"départements et régions d'outre-mer en encarts). Population : "
        f"{format_number(store, 'C01', v.value)} habitants."
    )


def describe_choropleth_region_level(store: Store, ind: str) -> str:
    vals = store.level_values(ind, "region").dropna()
    n = names(store, "region")
    return (
        f"Carte des 18 régions : {store.label(ind).lower()}, de "
        f"{format_number(store, ind, vals.min())} ({n[vals.idxmin()]}) à "
        f"{format_number(store, ind, vals.max())} ({n[vals.idxmax()]})."
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


def describe_series(ind: str, what: str) -> Callable:
    def describe(store: Store, territory: Territory) -> str:
        rows = reference_rows(store, territory)
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
        return f"Graphique en courbes : {what}. " + " ; ".join(parts) + "."

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
