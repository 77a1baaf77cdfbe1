"""The locator map of a département portrait: the département in colour among the other
départements of its région (names labelled), neighbours in grey, a scale bar. Drawn at its slot
width like every map (:mod:`reports.figures.style`), cached by :mod:`reports.figures.assets`.

A pure drawing function (:func:`departement_locator`) and its drawer
(:func:`draw_departement_locator`, ``(store, territory, paths, slot)`` → path) plus the alt text
(:func:`describe_departement_locator`); the portrait document builds its
:class:`~reports.content.model.FigureCtx` (:mod:`reports.documents.portrait`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from reports.content import fmt
from reports.content.present import format_number
from reports.data.store import Store
from reports.data.territories import Territory
from reports.figures import style as fs
from reports.figures.inputs import departements
from reports.paths import Paths

if TYPE_CHECKING:
    from reports.figures.geo import DepLayer

#: the région's other départements: a light tint of the territory colour
MEMBER_FILL = "#cfe3f1"


def departement_locator(
    gdf_deps: DepLayer,
    region_code: str,
    dep_code: str,
    *,
    width: float = fs.slot_width("half"),
    max_height: float = fs.slot_height("half"),
) -> Figure:
    """The région of ``dep_code`` with the département in the territory colour, the other
    départements of the région tinted, the neighbours in grey; names on the map."""
    from reports.figures.choropleth import _dep_labels
    from reports.figures.frames import _region_members, region_figure
    from reports.figures.geo import register_gdf
    from reports.figures.map_elements import collection, context, outline, scale_bar

    fs.apply_style()
    key = register_gdf(gdf_deps)
    _zone, members = _region_members(key, region_code)
    fig, frame, _layout = region_figure(key, region_code, width, max_height, lambda w: (0.0, 0.0))
    context(frame, set(members))
    items = [(c, p) for c, p in frame.dep_items() if c in members]
    colors = [fs.REGION_COLOR if c == dep_code else MEMBER_FILL for c, _ in items]
    collection(frame.ax, [p for _, p in items], colors, linewidth=0.5, zorder=2)
    outline(frame, region_code)
    _dep_labels(frame, key, members, fs.MIN_TEXT + 0.5)
    scale_bar(frame.ax, frac=0.22)
    return fig


def draw_departement_locator(store: Store, territory: Territory, paths: Paths, slot: str = "half"):
    from reports.figures import assets

    return assets.render(
        "reports.figures.portrait.departement_locator",
        departements(paths),
        territory.region,
        territory.code,
        width=fs.slot_width(slot),
        max_height=fs.slot_height(slot),
        kind="locator",
        cache_dir=paths.figures_cache,
    )


def describe_departement_locator(store: Store, territory: Territory) -> str:
    """Alt text: the département among those of its région, its population and share."""
    region = str(store.territory("region", territory.region)["name"])
    members = store.departements_of(territory.region)
    v = store.value("C01", "departement", territory.code)
    reg = store.value("C01", "region", territory.region)
    several = len(members) > 1
    share = (
        f", soit {fmt.fmt_pct(100 * v / reg)} de celle de la région"
        if v and reg and several
        else ""
    )
    if several:
        others = (
            "l\u2019autre en couleur claire"
            if len(members) == 2
            else f"les {len(members) - 1} autres en couleur claire"
        )
        where = (
            f"parmi les {len(members)} départements de la région {region} ({others}, les "
            "départements voisins en gris)"
        )
    else:
        where = f"seul département de la région {region}"
    return (
        f"Carte de situation : le département {territory.name} ({territory.code}), en couleur, "
        f"{where}. Population : {format_number(store, 'C01', v)} habitants{share}."
    )


# --- an intercommunalité's locator (no commune polygons are staged: ATLAS_SPEC §8) ---------
#: facility types of the locator, in legend order: (label, colour, marker)
EPCI_POINTS = {
    "musee": ("Musée de France", "#D55E00", "o"),
    "bibliotheque": ("Bibliothèque", "#0072B2", "o"),
    "cinema": ("Cinéma", "#CC79A7", "s"),
    "festival": ("Festival", "#E69F00", "^"),
    "archives": ("Service d\u2019archives", "#009E73", "D"),
    "jardin": ("Jardin remarquable", "#56B4E9", "v"),
}


def epci_locator(
    gdf_deps: DepLayer,
    departements: tuple[str, ...],
    home: str,
    name: str,
    points: tuple[tuple[str, float, float], ...],
    *,
    width: float = fs.slot_width("half"),
    max_height: float = fs.slot_height("half"),
) -> Figure:
    """The département(s) of an EPCI (the one it is placed in outlined), its located facilities
    coloured by type, its name over them; a legend of the types present below the map."""
    from matplotlib.lines import Line2D

    from reports.figures.choropleth import _dep_labels, _halo
    from reports.figures.frames import LEGEND_GAP, _extent_ratio, bounds_frame, region_layout
    from reports.figures.geo import (
        label_point,
        project_lonlat,
        projected,
        register_gdf,
    )
    from reports.figures.map_elements import collection, scale_bar

    fs.apply_style()
    key = register_gdf(gdf_deps)
    zone = home if home.startswith("97") else "metro"
    proj = projected(key, zone)
    deps = [d for d in departements if d in proj.codes] or [home]
    bounds = proj.bounds(deps)
    types = [t for t in EPCI_POINTS if any(p[0] == t for p in points)]
    cols = min(3, max(len(types), 1))
    rows = -(-len(types) // cols) if types else 1
    legend_h = rows * 0.17 + 0.04

    def legend_size(w: float) -> tuple[float, float]:
        return (w, legend_h)

    layout = region_layout(_extent_ratio(bounds, 0.04), width, max_height, legend_size)
    fig = Figure(figsize=layout.figsize)
    frame = bounds_frame(fig, key, zone, bounds, layout.map_rect)
    ax, epsg, tol = frame.ax, frame.epsg, frame.tolerance
    items = frame.dep_items()
    collection(ax, [p for c, p in items if c not in deps], fs.CONTEXT_FILL, zorder=1)
    collection(ax, [p for c, p in items if c in deps], MEMBER_FILL, linewidth=0.5, zorder=2)
    collection(ax, [p for c, p in items if c == home], "none", edgecolor=fs.OUTLINE,
               linewidth=0.9, zorder=4)  # fmt: skip
    if len(deps) > 1:  # one département is named in the title
        _dep_labels(frame, key, deps, fs.MIN_TEXT)
    handles = []
    if points:
        lon = np.array([p[1] for p in points])
        lat = np.array([p[2] for p in points])
        x, y = project_lonlat(lon, lat, epsg)
        kinds = [p[0] for p in points]
        for t in types:
            label, color, marker = EPCI_POINTS[t]
            sel = np.array([k == t for k in kinds])
            ax.scatter(x[sel], y[sel], s=9, c=color, marker=marker, edgecolors="white",
                       linewidths=0.3, zorder=6)  # fmt: skip
            n = int(sel.sum())
            handles.append(Line2D([], [], linestyle="none", marker=marker, markersize=4.5,
                                  markerfacecolor=color, markeredgecolor="white",
                                  label=f"{label} ({n})"))  # fmt: skip
        cx, cy = float(np.median(x)), float(np.median(y))
        label_y = cy + (ax.get_ylim()[1] - ax.get_ylim()[0]) * 0.06
    else:
        cx, label_y = label_point(key, zone, tol, home)
    ax.text(cx, label_y, fs_wrap(name), ha="center", va="bottom", fontsize=fs.MIN_TEXT + 1,
            fontweight="bold", color=fs.TEXT, zorder=8, path_effects=_halo())  # fmt: skip
    scale_bar(ax, frac=0.22)
    if handles:
        ax_y = layout.legend_anchor[1]
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, ax_y), ncol=cols,
                   frameon=False, fontsize=fs.MIN_TEXT, handletextpad=0.3, columnspacing=0.9,
                   borderaxespad=0.0, borderpad=0.0)  # fmt: skip
    else:
        fig.text(0.0, layout.legend_anchor[1] - LEGEND_GAP / fig.get_figheight(),
                 "Aucun équipement localisé dans l\u2019intercommunalité.", fontsize=fs.MIN_TEXT,
                 va="top")  # fmt: skip
    return fig


def fs_wrap(name: str, most: int = 28) -> str:
    """A long EPCI name on two lines, cut at the space nearest the middle."""
    if len(name) <= most or " " not in name:
        return name
    mid = len(name) // 2
    spaces = [i for i, ch in enumerate(name) if ch == " "]
    cut = min(spaces, key=lambda i: abs(i - mid))
    return name[:cut] + "\n" + name[cut + 1 :]


def epci_points(store: Store, code: str) -> tuple[tuple[str, float, float], ...]:
    """The EPCI's facilities drawn on its locator (not those geocoded far from their commune:
    :func:`reports.data.sources.epci._far_from_commune`)."""
    pts = store.epci_points
    sel = pts[(pts["epci"] == code) & _drawn(pts)]
    return tuple(
        (str(t), round(float(x), 5), round(float(y), 5))
        for t, x, y in zip(sel["type"], sel["lon"], sel["lat"], strict=True)
    )


def _drawn(pts):  # noqa: ANN001, ANN202 (a DataFrame → its boolean column)
    if "drawn" not in pts.columns:
        return True
    return pts["drawn"].astype(str).str.lower().isin(["true", "1"])


def epci_far_points(store: Store, code: str) -> int:
    """How many of the EPCI's facilities are not drawn (geocoded far from their commune)."""
    pts = store.epci_points
    return int(((pts["epci"] == code) & ~_drawn(pts)).sum())


def draw_epci_locator(store: Store, territory: Territory, paths: Paths, slot: str = "half"):
    from reports.figures import assets

    row = store.epci(territory.code)
    return assets.render(
        "reports.figures.portrait.epci_locator",
        departements(paths),
        tuple(str(row["departements"]).split(";")),
        territory.departement,
        territory.name,
        epci_points(store, territory.code),
        width=fs.slot_width(slot),
        max_height=fs.slot_height(slot),
        kind="locator",
        cache_dir=paths.figures_cache,
    )


def describe_epci_locator(store: Store, territory: Territory) -> str:
    """Alt text: the EPCI's département(s) and its facilities by type."""
    row = store.epci(territory.code)
    deps = str(row["departements"]).split(";")
    names = store.territories.set_index(["level", "code"])["name"]
    where = ", ".join(f"{names[('departement', d)]} ({d})" for d in deps)
    counts = []
    pts = epci_points(store, territory.code)
    for t, (label, _c, _m) in EPCI_POINTS.items():
        n = sum(1 for p in pts if p[0] == t)
        if n:
            counts.append(f"{n} {label.lower()}")
    found = ", ".join(counts) if counts else "aucun équipement localisé"
    noun = "les départements" if len(deps) > 1 else "le département"
    return (
        f"Carte de situation : {territory.name}, dans {noun} {where} ; équipements "
        f"culturels localisés de l\u2019intercommunalité : {found}."
    )
