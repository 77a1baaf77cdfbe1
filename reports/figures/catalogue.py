"""Figure registry: figure id (M01…M14, G01…G12 of ATLAS_SPEC §2.7–2.8) → a cached image
with its caption, alt text and source line.

Each entry knows which indicators it draws, how to draw it for a région (or for France, where
point maps become national département choropleths with the five DROM as insets), and how to
describe it in words for the alt text (what it shows, the extremes, the territory's value).
Drawing is delegated to :mod:`reports.figures.maps` / :mod:`reports.figures.charts`; caching to
:mod:`reports.figures.assets` (keyed by figure id, territory, data version and style version).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from reports.content import fmt
from reports.content.model import FigureCtx
from reports.content.present import format_number, unit_label
from reports.data.store import Store
from reports.data.territories import Territory
from reports.figures.assets import LazyInput
from reports.paths import Paths


@dataclass(frozen=True)
class FigureDef:
    id: str
    title: str
    kind: str  # map | chart
    size: str  # full | half | third
    draw: Callable  # (store, territory) -> matplotlib Figure | None
    describe: Callable  # (store, territory) -> str (alt text)
    sources: tuple[str, ...] = ()  # indicator ids whose sources are printed
    fmt: str = "svg"
    title_fr: str | None = None  # title for the France fiche


def names(store: Store, level: str) -> pd.Series:
    t = store.territories
    t = t[t["level"] == level]
    return pd.Series(t["name"].to_numpy(), index=t["code"].to_numpy())


def source_line(store: Store, inds: tuple[str, ...]) -> str:
    seen: list[str] = []
    for i in inds:
        if i in store.meta.index:
            s = store.info(i)["source"]
            if s not in seen:
                seen.append(s)
    return "Source : " + " ; ".join(seen) if seen else ""


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


# --- data helpers ---------------------------------------------------------------------------
def so_codes(store: Store, ind: str, level: str = "departement") -> list[str]:
    df = store.indicators
    sel = (df["indicator"] == ind) & (df["level"] == level) & (df["status"] == "so")
    return sorted(set(df.loc[sel, "code"]))


def reference_rows(store: Store, territory: Territory) -> list[tuple[str, str, str]]:
    """(label, level, code) of the bars/lines compared: région vs France, or FR parts."""
    if territory.is_france:
        return [
            ("France métro.", "france", "FRM"),
            ("DROM", "france", "DROM"),
            ("France", "france", "FR"),
        ]
    return [(territory.name, "region", territory.code), ("France", "france", "FR")]


def _v(store: Store, ind: str, level: str, code: str) -> float:
    v = store.value(ind, level, code)
    return float("nan") if v is None else v


def components_frame(store: Store, prefix: str, territory: Territory) -> pd.DataFrame:
    comps = store.components(prefix)
    rows = reference_rows(store, territory)
    data = {
        store.label(c).split(" : ")[-1]: [_v(store, c, lv, cd) for _, lv, cd in rows] for c in comps
    }
    return pd.DataFrame(data, index=[r[0] for r in rows])


@dataclass(frozen=True)
class Departements(LazyInput):
    """The département layer (with a ``region`` column) as a figure input: keyed by the
    digest of the geometry files, loaded (geopandas imported) only when a figure is drawn."""

    geo_dir: Path

    def __figure_key__(self) -> object:
        return geo_digest(self.geo_dir)

    def load(self) -> object:
        from reports.figures import maps

        return maps.load_layers(self.geo_dir).deps


def departements(paths: Paths) -> Departements:
    return Departements(Path(paths.geo))


def geo_digest(geo_dir: Path) -> str:
    """Digest of the geometry files, read once per process and per file version."""
    files = [Path(geo_dir) / "regions.geojson", Path(geo_dir) / "departements.geojson"]
    return _digest(tuple((str(f), f.stat().st_mtime_ns) for f in files))


@cache
def _digest(files: tuple[tuple[str, int], ...]) -> str:
    import hashlib

    h = hashlib.sha256()
    for name, _ in files:
        h.update(Path(name).read_bytes())
    return h.hexdigest()


# --- drawers ------------------------------------------------------------------------------
def choropleth(ind: str) -> Callable:
    def draw(store: Store, territory: Territory, paths: Paths):
        from reports.figures import assets, classify

        deps = departements(paths)
        vals = store.level_values(ind, "departement")
        classes = classify.national_breaks(vals.dropna().to_numpy())
        unit = unit_label(store, ind)
        decimals = int(store.info(ind)["decimals"])
        so = so_codes(store, ind)
        if territory.is_france:
            return assets.render(
                "reports.figures.maps.choropleth_france",
                deps,
                vals,
                classes,
                legend_title=unit,
                so=so,
                decimals=decimals,
                kind="choropleth",
                cache_dir=paths.figures_cache,
            )
        return assets.render(
            "reports.figures.maps.choropleth_region",
            deps,
            vals,
            territory.code,
            classes,
            legend_title=unit,
            so=so,
            decimals=decimals,
            kind="choropleth",
            cache_dir=paths.figures_cache,
        )

    return draw


def draw_locator(store: Store, territory: Territory, paths: Paths):
    from reports.figures import assets, classify

    deps = departements(paths)
    if territory.is_france:
        vals = store.level_values("C01", "region")
        classes = classify.national_breaks(vals.dropna().to_numpy())
        return assets.render(
            "reports.figures.maps.choropleth_france",
            deps,
            vals / 1e6,
            classes_millions(classes),
            level="region",
            legend_title="millions d'hab.",
            decimals=1,
            kind="choropleth",
            cache_dir=paths.figures_cache,
        )
    return assets.render(
        "reports.figures.maps.locator",
        deps,
        territory.code,
        kind="locator",
        cache_dir=paths.figures_cache,
    )


def classes_millions(classes):
    from dataclasses import replace

    return replace(classes, bounds=tuple(b / 1e6 for b in classes.bounds))


FACILITY_LABELS = {
    "musee": "Musées de France",
    "bibliotheque": "Bibliothèques municipales",
    "cinema": "Cinémas (CNC 2022)",
    "cinema_drom": "Cinémas (base Deps ≈2019)",
    "archives": "Services d'archives",
}


def _region_points(store: Store, territory: Territory, types: list[str]) -> pd.DataFrame:
    f = store.facilities
    f = f[f["type"].isin(types) & (f["region"] == territory.code)]
    return f.sort_values(["type", "id"]).reset_index(drop=True)


def draw_facilities(store: Store, territory: Territory, paths: Paths):
    from reports.figures import assets, classify

    if territory.is_france:
        return choropleth("O01_p100k")(store, territory, paths)
    types = ["bibliotheque", "musee", "cinema", "cinema_drom", "archives"]
    pts = _region_points(store, territory, types)
    pts = pts.assign(category=pts["type"].map(FACILITY_LABELS))
    cats = [FACILITY_LABELS[t] for t in types if t in set(pts["type"])]
    styles = classify.default_point_styles(cats)
    return assets.render(
        "reports.figures.maps.points_map",
        departements(paths),
        pts[["lon", "lat", "category"]],
        territory.code,
        styles=styles,
        legend_title="Équipements",
        kind="points",
        cache_dir=paths.figures_cache,
    )


def draw_points(ftype: str, legend: str, fr_indicator: str) -> Callable:
    def draw(store: Store, territory: Territory, paths: Paths):
        from reports.figures import assets, classify

        if territory.is_france:
            return choropleth(fr_indicator)(store, territory, paths)
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
            "reports.figures.maps.points_map",
            departements(paths),
            pts[["lon", "lat", "category"]],
            territory.code,
            styles=styles,
            legend_title=legend,
            kind="points",
            cache_dir=paths.figures_cache,
        )

    return draw


def draw_museum_circles(store: Store, territory: Territory, paths: Paths):
    from reports.figures import assets, classify

    if territory.is_france:
        return choropleth("F02")(store, territory, paths)
    m = store.museums
    scale = classify.CircleScale(float(m["entries_2023"].max()))
    sub = m[m["region"] == territory.code].copy()
    sub["value"] = sub["entries_2023"]
    sub["change"] = 100 * (
        sub["entries_2023"] / sub["entries_2019"].where(sub["entries_2019"] > 0) - 1
    )
    sub = sub.sort_values("museofile")[["lon", "lat", "value", "change"]]
    if sub["value"].fillna(0).sum() == 0:
        return None
    centre = store.value("F03", "france", "FR") or 0.0
    classes = classify.diverging_breaks(
        m.assign(c=100 * (m["entries_2023"] / m["entries_2019"].where(m["entries_2019"] > 0) - 1))[
            "c"
        ]
        .dropna()
        .to_numpy(),
        centre,
    )
    return assets.render(
        "reports.figures.maps.circles_map",
        departements(paths),
        sub,
        territory.code,
        scale,
        color_by="change",
        classes=classes,
        size_title="Entrées 2023",
        color_title="Évolution 2019-2023 (%)",
        decimals=0,
        kind="circles",
        cache_dir=paths.figures_cache,
    )


def draw_cinema_circles(store: Store, territory: Territory, paths: Paths):
    from reports.figures import assets, classify

    if territory.is_france:
        return choropleth("F09")(store, territory, paths)
    f = store.facilities
    cin = f[f["type"] == "cinema"]
    scale = classify.CircleScale(float(cin["value"].max()))
    sub = cin[cin["region"] == territory.code].sort_values("id")[["lon", "lat", "value"]]
    if sub.empty:
        return None
    return assets.render(
        "reports.figures.maps.circles_map",
        departements(paths),
        sub,
        territory.code,
        scale,
        size_title="Entrées 2022",
        kind="circles",
        cache_dir=paths.figures_cache,
    )


PREFIXES = (
    "Part de la population des communes ",
    "Part de la population dans une aire de ",
    "Part de la population ",
    "Population des communes au niveau de vie médian ",
)


def short_label(label: str) -> str:
    """Category name of a component label (``Festivals : Musique`` → ``Musique``)."""
    if " : " in label:
        label = label.split(" : ", 1)[1]
    for p in PREFIXES:
        if label.startswith(p):
            label = label[len(p) :]
            break
    return label[:1].upper() + label[1:]


def split_frame(store: Store, prefix: str, territory: Territory) -> pd.DataFrame:
    comps = store.components(prefix)
    rows = reference_rows(store, territory)
    data = {
        short_label(store.label(c)): [_v(store, c, lv, cd) for _, lv, cd in rows] for c in comps
    }
    return pd.DataFrame(data, index=[r[0] for r in rows])


def draw_split(prefix: str, stacked: bool = True) -> Callable:
    def draw(store: Store, territory: Territory, paths: Paths):
        from reports.figures import assets

        df = split_frame(store, prefix, territory)
        if df.isna().all().all():
            return None
        if stacked:
            return assets.render(
                "reports.figures.charts.stacked_100", df, decimals=0, cache_dir=paths.figures_cache
            )
        return assets.render(
            "reports.figures.charts.grouped_bars",
            df.T,
            unit_label="%",
            decimals=1,
            horizontal=True,
            cache_dir=paths.figures_cache,
        )

    return draw


G04_INDICATORS = [
    "O01_p100k",
    "O02_p100k",
    "O05_p100k",
    "O09_p100k",
    "O10_p100k",
    "O13_p100k",
    "O14_p100k",
]


def draw_dot_index(store: Store, territory: Territory, paths: Paths):
    from reports.content.tables import france_code_for
    from reports.figures import assets

    level, code = ("france", "DROM") if territory.is_france else ("region", territory.code)
    data = {}
    for ind in G04_INDICATORS:
        fr = store.value(ind, "france", france_code_for(store, ind))
        v = store.value(ind, level, code)
        label = store.label(ind).replace(" pour 100 000 habitants", "")
        data[label] = 100 * v / fr if v is not None and fr else float("nan")
    return assets.render(
        "reports.figures.charts.dot_index", pd.Series(data), cache_dir=paths.figures_cache
    )


def draw_index_lines(store: Store, territory: Territory, paths: Paths):
    from reports.figures import assets

    rows = reference_rows(store, territory)
    df = pd.DataFrame({label: store.series("F04", lv, cd) for label, lv, cd in rows})
    return assets.render("reports.figures.charts.index_lines", df, cache_dir=paths.figures_cache)


def draw_entries_by_dep(store: Store, territory: Territory, paths: Paths):
    from reports.figures import assets

    if territory.is_france:
        codes, level = list(store.territories.query("level == 'region'")["code"]), "region"
    else:
        codes, level = store.departements_of(territory.code), "departement"
    names_ = names(store, level)
    df = pd.DataFrame(
        {
            "2019": [_year(store, "F01", level, c, 2019) / 1e3 for c in codes],
            "2023": [_year(store, "F01", level, c, 2023) / 1e3 for c in codes],
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
        figsize=(6.8, max(1.6, 0.32 * len(codes) + 0.8)),
        cache_dir=paths.figures_cache,
    )


def _year(store: Store, ind: str, level: str, code: str, year: int) -> float:
    s = store.series(ind, level, code)
    return float(s.get(year, float("nan")))


def draw_screens(store: Store, territory: Territory, paths: Paths):
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
        cache_dir=paths.figures_cache,
    )


SPENDING_LEVELS = [
    ("D01", "Ministère"),
    ("D03", "Région"),
    ("D05", "Départements"),
    ("D06", "Communes > 3 500 hab."),
    ("D09", "Intercommunalités"),
]


def draw_spending_per_inh(store: Store, territory: Territory, paths: Paths):
    from reports.figures import assets

    rows = reference_rows(store, territory)
    df = pd.DataFrame(
        {
            label: [_v(store, f"{d}_per_inh", lv, cd) for d, _ in SPENDING_LEVELS]
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
        cache_dir=paths.figures_cache,
    )


def draw_spending_parts(store: Store, territory: Territory, paths: Paths):
    from reports.figures import assets

    level, code = ("france", "FR") if territory.is_france else ("region", territory.code)
    df = pd.DataFrame(
        {
            "Fonctionnement": [
                _v(store, f"{d}_fonct", level, code) / 1e6 for d, _ in SPENDING_LEVELS
            ],
            "Investissement": [
                _v(store, f"{d}_invest", level, code) / 1e6 for d, _ in SPENDING_LEVELS
            ],
        },
        index=[name for _, name in SPENDING_LEVELS],
    )
    return assets.render(
        "reports.figures.charts.stacked_bars",
        df,
        unit_label="M€",
        decimals=1,
        cache_dir=paths.figures_cache,
    )


def draw_sectors(store: Store, territory: Territory, paths: Paths):
    from reports.figures import assets

    df = split_frame(store, "D08", territory)
    df = df[df.columns[(df.fillna(0) > 0).any()]]
    return assets.render(
        "reports.figures.charts.grouped_bars",
        df.T,
        unit_label="%",
        decimals=1,
        horizontal=True,
        figsize=(6.8, 3.6),
        cache_dir=paths.figures_cache,
    )


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


# --- registry -----------------------------------------------------------------------------
def _choro_def(fid: str, ind: str, title: str) -> FigureDef:
    return FigureDef(fid, title, "map", "half", choropleth(ind), chorodesc(ind), (ind,))


REGISTRY: dict[str, FigureDef] = {
    f.id: f
    for f in [
        FigureDef(
            "M01",
            "Situation de la région",
            "map",
            "full",
            draw_locator,
            describe_locator,
            ("C01",),
            title_fr="Population des régions (2018)",
        ),
        _choro_def("M02", "C03", "Départements de la région : densité de population (2018)"),
        _choro_def(
            "M03a",
            "C04.tres_dense",
            "Part de la population vivant dans une commune très dense (2020)",
        ),
        _choro_def(
            "M03b",
            "C05",
            "Part de la population vivant dans une commune rurale (peu ou très peu dense, 2020)",
        ),
        _choro_def("M04", "C07", "Part de la population hors attraction des villes (2020)"),
        FigureDef(
            "M05",
            "Équipements culturels : musées, bibliothèques, cinémas, archives",
            "map",
            "half",
            draw_facilities,
            fr_or(
                describe_points(
                    ["musee", "bibliotheque", "cinema", "cinema_drom", "archives"],
                    "équipements culturels",
                ),
                "O01_p100k",
            ),
            ("O01", "O02", "O04", "O09"),
            title_fr="Musées de France pour 100 000 habitants, par département",
        ),
        FigureDef(
            "M06",
            "Festivals selon la discipline dominante (édition 2019)",
            "map",
            "half",
            draw_points("festival", "Discipline dominante", "O10_p100k"),
            fr_or(describe_points(["festival"], "festivals par discipline"), "O10_p100k"),
            ("O10",),
            title_fr="Festivals pour 100 000 habitants, par département",
        ),
        FigureDef(
            "M07",
            "Jardins remarquables",
            "map",
            "half",
            draw_points("jardin", "Label", "O14_p100k"),
            fr_or(describe_points(["jardin"], "jardins remarquables"), "O14_p100k"),
            ("O13", "O14"),
            title_fr="Sites patrimoniaux remarquables pour 100 000 habitants",
        ),
        FigureDef(
            "M08",
            "Entrées 2023 des musées de France et évolution depuis 2019",
            "map",
            "full",
            draw_museum_circles,
            fr_or(describe_points(["musee"], "musées de France"), "F02"),
            ("F01",),
            title_fr="Entrées dans les musées par habitant, par département (2023)",
        ),
        FigureDef(
            "M09",
            "Entrées 2022 des cinémas",
            "map",
            "half",
            draw_cinema_circles,
            fr_or(describe_points(["cinema"], "cinémas, entrées 2022"), "F09"),
            ("F08",),
            title_fr="Entrées de cinéma par habitant, par département (2022)",
        ),
        _choro_def("M10", "D01_per_inh", "Dépenses du ministère de la Culture par habitant (2019)"),
        _choro_def(
            "M11", "D05_per_inh", "Dépenses culturelles des départements par habitant (2019)"
        ),
        _choro_def(
            "M12",
            "D06_per_inh",
            "Dépenses culturelles des communes de plus de 3 500 "
            "habitants, par habitant couvert (2019)",
        ),
        _choro_def("M13", "E01_share", "Part des actifs exerçant une profession culturelle (2018)"),
        _choro_def(
            "M14", "N01_share", "Part des entreprises culturelles dans le secteur marchand (2018)"
        ),
        FigureDef(
            "G01",
            "Population selon la grille communale de densité (%)",
            "chart",
            "half",
            draw_split("C04"),
            describe_split("C04", "population par degré de densité"),
            ("C04.tres_dense",),
        ),
        FigureDef(
            "G02",
            "Population selon la taille de l'aire d'attraction des villes (%)",
            "chart",
            "half",
            draw_split("C06"),
            describe_split("C06", "population par taille d'aire d'attraction"),
            ("C06.hors_attraction_des_villes",),
        ),
        FigureDef(
            "G03",
            "Population selon le niveau de vie médian de la commune (%)",
            "chart",
            "half",
            draw_split("C11"),
            describe_split("C11", "population par niveau de vie médian communal"),
            ("C11_coverage",),
        ),
        FigureDef(
            "G04",
            "Équipements pour 100 000 habitants, indice France = 100",
            "chart",
            "half",
            draw_dot_index,
            describe_values(G04_INDICATORS, "équipements pour 100 000 habitants"),
            tuple(G04_INDICATORS),
        ),
        FigureDef(
            "G05",
            "Festivals selon la discipline dominante (%)",
            "chart",
            "half",
            draw_split("O11", stacked=False),
            describe_split("O11", "festivals par discipline"),
            ("O10",),
        ),
        FigureDef(
            "G06",
            "Festivals selon la période de déroulement (%)",
            "chart",
            "half",
            draw_split("O12", stacked=False),
            describe_split("O12", "festivals par période"),
            ("O10",),
        ),
        FigureDef(
            "G07",
            "Fréquentation des musées de France, indice base 100 en 2019",
            "chart",
            "half",
            draw_index_lines,
            describe_series("F04", "indice de fréquentation des musées, base 100 en 2019"),
            ("F01",),
        ),
        FigureDef(
            "G08",
            "Entrées dans les musées de France par département, 2019 et 2023",
            "chart",
            "half",
            draw_entries_by_dep,
            describe_values(["F01"], "entrées dans les musées"),
            ("F01",),
            title_fr="Entrées dans les musées de France par région, 2019 et 2023",
        ),
        FigureDef(
            "G09",
            "Écrans de cinéma 2003-2023 et indice base 100 en 2003",
            "chart",
            "half",
            draw_screens,
            describe_series("F11", "nombre d'écrans de cinéma"),
            ("F11",),
        ),
        FigureDef(
            "G10",
            "Dépenses culturelles par habitant selon le niveau (2019)",
            "chart",
            "half",
            draw_spending_per_inh,
            describe_values(
                [f"{d}_per_inh" for d, _ in SPENDING_LEVELS], "dépenses culturelles par habitant"
            ),
            ("D01", "D03", "D06"),
        ),
        FigureDef(
            "G11",
            "Répartition des dépenses culturelles des communes par secteur (%)",
            "chart",
            "half",
            draw_sectors,
            describe_split("D08", "dépenses communales par secteur"),
            ("D06",),
        ),
        FigureDef(
            "G12",
            "Fonctionnement et investissement selon le niveau (M€, 2019)",
            "chart",
            "half",
            draw_spending_parts,
            describe_values(
                [f"{d}_invest" for d, _ in SPENDING_LEVELS], "dépenses d'investissement"
            ),
            ("D01", "D03", "D05"),
        ),
    ]
}


def figure_context(fid: str, store: Store, territory: Territory, paths: Paths) -> FigureCtx | None:
    """Draw (or fetch from cache) figure ``fid`` for ``territory``; None if not applicable."""
    fdef = REGISTRY[fid]
    path = fdef.draw(store, territory, paths)
    if path is None:
        return None
    title = fdef.title_fr if territory.is_france and fdef.title_fr else fdef.title
    notes: list[str] = []
    if fid == "M07" and not territory.is_france:
        spr = store.get("O14", "region", territory.code)
        notes.append(
            f"Sites patrimoniaux remarquables dans la région : "
            f"{format_number(store, 'O14', spr.value)}."
        )
    kind_size = fdef.size
    if territory.kind == "drom" and fdef.kind == "map" and fdef.size == "full":
        kind_size = "half"
    rel = (
        path.resolve().relative_to(paths.root.resolve())
        if paths.root.resolve() in path.resolve().parents
        else path
    )
    return FigureCtx(
        id=fid,
        title=title,
        src=str(rel),
        alt=fdef.describe(store, territory),
        source=source_line(store, fdef.sources),
        kind=fdef.kind,
        size=kind_size,
        notes=notes,
        path=str(path),
    )
