"""The locator map of a département portrait: the département in colour among the other
départements of its région (names labelled), neighbours in grey, a scale bar. Drawn at its slot
width like every map (:mod:`reports.figures.style`), cached by :mod:`reports.figures.assets`.

A pure drawing function (:func:`departement_locator`) and its drawer
(:func:`draw_departement_locator`, ``(store, territory, paths, slot)`` → path) plus the alt text
(:func:`describe_departement_locator`); the portrait document builds its
:class:`~reports.content.model.FigureCtx` (:mod:`reports.documents.portrait`).
"""

from __future__ import annotations

import geopandas as gpd
from matplotlib.figure import Figure

from reports.content import fmt
from reports.content.present import format_number
from reports.data.store import Store
from reports.data.territories import Territory
from reports.figures import style as fs
from reports.figures.inputs import departements
from reports.paths import Paths

#: the région's other départements: a light tint of the territory colour
MEMBER_FILL = "#cfe3f1"


def departement_locator(
    gdf_deps: gpd.GeoDataFrame,
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
