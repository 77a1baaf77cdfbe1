"""The catalogue's drawers: ``(store, territory, paths)`` → the path of the cached image (None
when the figure does not apply), drawn through :func:`reports.figures.assets.render` by
:mod:`reports.figures.choropleth`, :mod:`reports.figures.points` or
:mod:`reports.figures.charts`. France gets national département choropleths for point maps."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from reports import edition
from reports.content.present import unit_label
from reports.data.store import Store
from reports.data.territories import Territory
from reports.figures import style as fs
from reports.figures.inputs import (
    FACILITY_LABELS,
    G04_INDICATORS,
    SPENDING_LEVELS,
    departements,
    names,
    reference_rows,
    so_codes,
    split_frame,
    value_or_nan,
)
from reports.paths import Paths

ED = edition.current()


# --- maps --------------------------------------------------------------------------------
def national_classes(store: Store, ind: str, level: str = "departement"):
    """The classes of ``ind``, computed once on all units of ``level``: diverging classes
    centred on the France value for a change (ATLAS_SPEC §2.7), else :func:`national_breaks`."""
    from reports.content.tables import france_code_for
    from reports.figures import classify

    series = store.level_values(ind, level).dropna()
    vals = series.to_numpy()
    if store.label(ind).startswith("Évolution"):
        centre = store.value(ind, "france", france_code_for(store, ind))
        if centre is not None:
            return classify.diverging_breaks(vals, centre)
    if level != "departement":
        return classify.national_breaks(vals)
    # the classes must also separate each région whose départements differ (§2.7): weighed
    # by area (population / density), as the map shows them
    t = store.territories
    region_of = t[t["level"] == "departement"].set_index("code")["region"]
    area = store.level_values("C01", level) / store.level_values("C03", level)
    return classify.national_breaks(
        vals,
        groups=[str(region_of.get(c, "")) for c in series.index],
        weights=[float(area.get(c, float("nan"))) for c in series.index],
    )


def choropleth(ind: str) -> Callable:
    def draw(store: Store, territory: Territory, paths: Paths, slot: str = "half"):
        from reports.figures import assets

        deps = departements(paths)
        vals = store.level_values(ind, "departement")
        classes = national_classes(store, ind)
        unit = unit_label(store, ind)
        decimals = int(store.info(ind)["decimals"])
        so = so_codes(store, ind)
        if territory.is_france:
            return assets.render(
                "reports.figures.choropleth.choropleth_france",
                deps,
                vals,
                classes,
                legend_title=unit,
                so=so,
                decimals=decimals,
                width=fs.slot_width(slot),
                legend_right=slot == "full",
                kind="choropleth",
                cache_dir=paths.figures_cache,
            )
        members = store.departements_of(territory.code)
        if len(members) <= FEW_UNITS:  # Corse: a dot chart of the values, not a map
            return value_dots(store, ind, territory, members, paths, slot)
        return assets.render(
            "reports.figures.choropleth.choropleth_region",
            deps,
            vals,
            territory.code,
            classes,
            legend_title=unit,
            so=so,
            decimals=decimals,
            width=fs.slot_width(slot),
            max_height=fs.slot_height(slot),
            kind="choropleth",
            cache_dir=paths.figures_cache,
        )

    return draw


#: a région with this many départements or fewer gets a dot chart instead of a choropleth
FEW_UNITS = 2


def value_dots(
    store: Store, ind: str, territory: Territory, members: list[str], paths: Paths, slot: str
):
    """The départements, the région and France on one axis (ATLAS_SPEC §2.7: too few units
    to map)."""
    from reports.content.tables import france_code_for
    from reports.figures import assets

    deps = names(store, "departement")
    rows = [(deps.get(c, c), value_or_nan(store, ind, "departement", c)) for c in members]
    rows.append((territory.name, value_or_nan(store, ind, "region", territory.code)))
    rows.append(("France", value_or_nan(store, ind, "france", france_code_for(store, ind))))
    data = pd.Series(dict(rows))
    return assets.render(
        "reports.figures.charts.value_dots",
        data,
        unit=unit_label(store, ind),
        decimals=int(store.info(ind)["decimals"]),
        figsize=(fs.slot_width(slot), 0.42 + 0.27 * len(data)),
        cache_dir=paths.figures_cache,
    )


def draw_locator(store: Store, territory: Territory, paths: Paths, slot: str = "half"):
    from reports.figures import assets, classify

    deps = departements(paths)
    if territory.is_france:  # a count: circles, not a choropleth (ATLAS_SPEC §2.7)
        vals = store.level_values("C01", "region").dropna() / 1e6
        big = slot in ("full", "cover")
        return assets.render(
            "reports.figures.points.region_circles",
            deps,
            vals,
            classify.fitted_scale(vals, 38.0 if big else 24.0),
            size_title="Population (millions d'hab.)",
            decimals=1,
            width=fs.slot_width(slot),
            max_height=fs.slot_height(slot),
            legend_right=slot == "full",
            kind="circles",
            cache_dir=paths.figures_cache,
        )
    return assets.render(
        "reports.figures.choropleth.locator",
        deps,
        territory.code,
        width=fs.slot_width(slot),
        kind="locator",
        cache_dir=paths.figures_cache,
    )


def _region_points(store: Store, territory: Territory, types: list[str]) -> pd.DataFrame:
    f = store.facilities
    f = f[f["type"].isin(types) & (f["region"] == territory.code)]
    return f.sort_values(["type", "id"]).reset_index(drop=True)


def draw_facilities(store: Store, territory: Territory, paths: Paths, slot: str = "half"):
    from reports.figures import assets, classify

    if territory.is_france:
        return choropleth("O01_p100k")(store, territory, paths, slot)
    types = ["bibliotheque", "musee", "cinema", "cinema_drom", "archives"]
    pts = _region_points(store, territory, types)
    pts = pts.assign(category=pts["type"].map(FACILITY_LABELS))
    cats = [FACILITY_LABELS[t] for t in types if t in set(pts["type"])]
    styles = classify.default_point_styles(cats)
    return assets.render(
        "reports.figures.points.points_map",
        departements(paths),
        pts[["lon", "lat", "category"]],
        territory.code,
        styles=styles,
        legend_title="Équipements",
        width=fs.slot_width(slot),
        max_height=fs.slot_height(slot),
        kind="points",
        cache_dir=paths.figures_cache,
    )


def draw_points(ftype: str, legend: str, fr_indicator: str) -> Callable:
    def draw(store: Store, territory: Territory, paths: Paths, slot: str = "half"):
        from reports.figures import assets, classify

        if territory.is_france:
            return choropleth(fr_indicator)(store, territory, paths, slot)
        pts = _region_points(store, territory, [ftype])
        if ftype == "jardin":
            pts = pts.assign(category="Jardins remarquables")
        cats = sorted(pts["category"].dropna().astype(str).unique())
        national = sorted(
            store.facilities.loc[store.facilities["type"] == ftype, "category"]
            .dropna()
            .astype(str)
            .unique()
        )
        styles = classify.default_point_styles(national if ftype != "jardin" else cats)
        styles = {c: styles[c] for c in cats if c in styles}
        if pts.empty:
            return None
        return assets.render(
            "reports.figures.points.points_map",
            departements(paths),
            pts[["lon", "lat", "category"]],
            territory.code,
            styles=styles,
            legend_title=legend,
            width=fs.slot_width(slot),
            max_height=fs.slot_height(slot),
            kind="points",
            cache_dir=paths.figures_cache,
        )

    return draw


def draw_museum_circles(store: Store, territory: Territory, paths: Paths, slot: str = "half"):
    from reports.figures import assets, classify

    if territory.is_france:
        return choropleth("F02")(store, territory, paths, slot)
    m = store.museums
    sub = m[m["region"] == territory.code].copy()
    scale = classify.fitted_scale(sub["entries_last"], 30.0 if slot == "full" else 24.0)
    sub["value"] = sub["entries_last"]
    sub["change"] = 100 * (
        sub["entries_last"] / sub["entries_base"].where(sub["entries_base"] > 0) - 1
    )
    sub = sub.sort_values("museofile")[["lon", "lat", "value", "change"]]
    if sub["value"].fillna(0).sum() == 0:
        return None
    centre = store.value("F03", "france", "FR") or 0.0
    classes = classify.diverging_breaks(
        m.assign(c=100 * (m["entries_last"] / m["entries_base"].where(m["entries_base"] > 0) - 1))[
            "c"
        ]
        .dropna()
        .to_numpy(),
        centre,
    )
    return assets.render(
        "reports.figures.points.circles_map",
        departements(paths),
        sub,
        territory.code,
        scale,
        color_by="change",
        classes=classes,
        size_title=ED.text("Entrées {museums_last}"),
        color_title=ED.text("Évolution {museums_base}–{museums_last} (%)"),
        decimals=0,
        width=fs.slot_width(slot),
        max_height=fs.slot_height(slot),
        zoom=True,
        kind="circles",
        cache_dir=paths.figures_cache,
    )


def draw_cinema_circles(store: Store, territory: Territory, paths: Paths, slot: str = "half"):
    from reports.figures import assets, classify

    if territory.is_france:
        return choropleth("F09")(store, territory, paths, slot)
    f = store.facilities
    cin = f[f["type"] == "cinema"]
    sub = cin[cin["region"] == territory.code].sort_values("id")[["lon", "lat", "value"]]
    if sub.empty:
        return None
    scale = classify.fitted_scale(sub["value"], 30.0 if slot == "full" else 24.0)
    return assets.render(
        "reports.figures.points.circles_map",
        departements(paths),
        sub,
        territory.code,
        scale,
        size_title=ED.text("Entrées {cinemas}"),
        width=fs.slot_width(slot),
        max_height=fs.slot_height(slot),
        kind="circles",
        cache_dir=paths.figures_cache,
    )


# --- charts ------------------------------------------------------------------------------
def draw_split(prefix: str, stacked: bool = True) -> Callable:
    def draw(store: Store, territory: Territory, paths: Paths, slot: str = "half"):
        from reports.figures import assets

        df = split_frame(store, prefix, territory)
        if df.isna().all().all():
            return None
        if stacked:
            return assets.render(
                "reports.figures.charts.stacked_100",
                df,
                decimals=0,
                figsize=(fs.slot_width(slot), 2.2),
                cache_dir=paths.figures_cache,
            )
        return assets.render(
            "reports.figures.charts.grouped_bars",
            df.T,
            unit_label="%",
            decimals=1,
            horizontal=True,
            figsize=(fs.slot_width(slot), 2.2),
            cache_dir=paths.figures_cache,
        )

    return draw


def draw_dot_index(store: Store, territory: Territory, paths: Paths, slot: str = "half"):
    from reports.content.tables import france_code_for
    from reports.figures import assets

    # the région against France; France: its two parts (France métro. and the DROM)
    rows = (
        [("France métro.", "france", "FRM"), ("DROM", "france", "DROM")]
        if territory.is_france
        else [(territory.name, "region", territory.code)]
    )
    labels = [store.label(ind).replace(" pour 100 000 habitants", "") for ind in G04_INDICATORS]
    data = {}
    for name, level, code in rows:
        col = []
        for ind in G04_INDICATORS:
            fr = store.value(ind, "france", france_code_for(store, ind))
            v = store.value(ind, level, code)
            col.append(100 * v / fr if v is not None and fr else float("nan"))
        data[name] = col
    return assets.render(
        "reports.figures.charts.dot_index",
        pd.DataFrame(data, index=labels),
        figsize=(fs.slot_width(slot), 2.2),
        cache_dir=paths.figures_cache,
    )


def draw_index_lines(store: Store, territory: Territory, paths: Paths, slot: str = "half"):
    from reports.figures import assets

    rows = reference_rows(store, territory)
    df = pd.DataFrame({label: store.series("F04", lv, cd) for label, lv, cd in rows})
    return assets.render(
        "reports.figures.charts.index_lines",
        df,
        base_label=ED.text("indice base 100 en {museums_base}"),
        figsize=(fs.slot_width(slot), 2.2),
        cache_dir=paths.figures_cache,
    )


def draw_entries_by_dep(store: Store, territory: Territory, paths: Paths, slot: str = "half"):
    from reports.figures import assets

    if territory.is_france:
        codes, level = list(store.territories.query("level == 'region'")["code"]), "region"
    else:
        codes, level = store.departements_of(territory.code), "departement"
    names_ = names(store, level)
    base, last = ED.year("museums_base"), ED.year("museums_last")
    df = pd.DataFrame(
        {
            str(base): [_year(store, "F01", level, c, base) / 1e3 for c in codes],
            str(last): [_year(store, "F01", level, c, last) / 1e3 for c in codes],
        },
        index=[names_[c] for c in codes],
    )
    return assets.render(
        "reports.figures.charts.grouped_bars",
        df,
        unit_label="milliers d'entrées",
        decimals=0,
        horizontal=True,
        value_labels=False,
        figsize=(fs.slot_width(slot), max(1.6, 0.22 * len(codes) + 0.8)),
        cache_dir=paths.figures_cache,
    )


def _year(store: Store, ind: str, level: str, code: str, year: int) -> float:
    s = store.series(ind, level, code)
    return float(s.get(year, float("nan")))


def draw_screens(store: Store, territory: Territory, paths: Paths, slot: str = "half"):
    from reports.figures import assets

    if not territory.is_france and territory.kind == "drom":
        return None
    level, code = ("france", "FRM") if territory.is_france else ("region", territory.code)
    values = store.series("F11", level, code)
    ref = store.series("F11", "france", "FRM")
    index = (
        pd.DataFrame(
            {
                (territory.name if not territory.is_france else "France métro."): 100
                * values
                / values.iloc[0],
                "France métro.": 100 * ref / ref.iloc[0],
            }
        )
        if not territory.is_france
        else pd.DataFrame({"France métro.": 100 * ref / ref.iloc[0]})
    )
    return assets.render(
        "reports.figures.charts.line_with_index",
        values.rename("Écrans"),
        index,
        index_label=ED.text("indice base 100 en {screens_first}"),
        figsize=(fs.slot_width(slot), 2.2),
        cache_dir=paths.figures_cache,
    )


def draw_spending_per_inh(store: Store, territory: Territory, paths: Paths, slot: str = "half"):
    from reports.figures import assets

    rows = reference_rows(store, territory)
    df = pd.DataFrame(
        {
            label: [value_or_nan(store, f"{d}_per_inh", lv, cd) for d, _ in SPENDING_LEVELS]
            for label, lv, cd in rows
        },
        index=[name for _, name in SPENDING_LEVELS],
    )
    return assets.render(
        "reports.figures.charts.grouped_bars",
        df,
        unit_label="€ par habitant",
        decimals=0,
        horizontal=True,
        figsize=(fs.slot_width(slot), 2.2),
        cache_dir=paths.figures_cache,
    )


def draw_spending_parts(store: Store, territory: Territory, paths: Paths, slot: str = "half"):
    from reports.figures import assets

    level, code = ("france", "FR") if territory.is_france else ("region", territory.code)
    df = pd.DataFrame(
        {
            "Fonctionnement": [
                value_or_nan(store, f"{d}_fonct", level, code) / 1e6 for d, _ in SPENDING_LEVELS
            ],
            "Investissement": [
                value_or_nan(store, f"{d}_invest", level, code) / 1e6 for d, _ in SPENDING_LEVELS
            ],
        },
        index=[name for _, name in SPENDING_LEVELS],
    )
    return assets.render(
        "reports.figures.charts.stacked_bars",
        df,
        unit_label="M€",
        decimals=1,
        figsize=(fs.slot_width(slot), 2.2),
        cache_dir=paths.figures_cache,
    )


def draw_sectors(store: Store, territory: Territory, paths: Paths, slot: str = "half"):
    from reports.figures import assets

    df = split_frame(store, "D08", territory)
    df = df[df.columns[(df.fillna(0) > 0).any()]]
    return assets.render(
        "reports.figures.charts.grouped_bars",
        df.T,
        unit_label="%",
        decimals=1,
        horizontal=True,
        figsize=(fs.slot_width(slot), 3.0),
        cache_dir=paths.figures_cache,
    )


def draw_museum_history(store: Store, territory: Territory, paths: Paths, slot: str = "half"):
    """G13: the historical museum series (France), in millions of entries; None elsewhere."""
    from reports.figures import assets

    if not territory.is_france:
        return None
    s = store.museum_series
    fr = s[(s["level"] == "france") & (s["code"] == "FR")].set_index("year")["entries"]
    return assets.render(
        "reports.figures.charts.year_bars",
        (fr / 1e6).rename("Entrées"),
        unit_label="millions d’entrées",
        decimals=1,
        figsize=(fs.slot_width(slot), 2.2),
        cache_dir=paths.figures_cache,
    )
