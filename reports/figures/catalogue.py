"""Figure registry: figure id (M01…M14, G01…G13 of ATLAS_SPEC §2.7–2.8) → a cached image
with its caption, alt text and source line.

Each entry knows which indicators it draws, how to draw it for a région (or for France, where
point maps become national département choropleths with the five DROM as insets), and how to
describe it in words for the alt text (what it shows, the extremes, the territory's value).
Each entry declares its slot (``size``: full, two-thirds, half or third of the 180 mm text
block, :data:`reports.figures.style.SLOTS_MM`): the figure is drawn at that width and placed at
that width by ``styles/print.css`` (``.fig-<slot>``), so it is never scaled on the page.
Drawers are in :mod:`reports.figures.draw`, alt texts in :mod:`reports.figures.describe`, the
data they read in :mod:`reports.figures.inputs`; caching is done by
:mod:`reports.figures.assets` (keyed by figure id, territory, data version and style version).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reports import edition
from reports.content.model import FigureCtx
from reports.content.present import format_number, source_line
from reports.data.store import Store
from reports.data.territories import Territory
from reports.figures.describe import (
    chorodesc,
    describe_cinemas,
    describe_locator,
    describe_museum_history,
    describe_museums,
    describe_points,
    describe_series,
    describe_split,
    describe_values,
    fr_or,
    museum_history_notes,
)
from reports.figures.draw import (
    FEW_UNITS,
    choropleth,
    draw_cinema_circles,
    draw_dot_index,
    draw_entries_by_dep,
    draw_facilities,
    draw_index_lines,
    draw_locator,
    draw_museum_circles,
    draw_museum_history,
    draw_points,
    draw_screens,
    draw_sectors,
    draw_spending_parts,
    draw_spending_per_inh,
    draw_split,
)
from reports.figures.inputs import G04_INDICATORS, SPENDING_LEVELS
from reports.paths import Paths

T = edition.current().text  # titles: "{museums_last}" → the edition's year


@dataclass(frozen=True)
class FigureDef:
    id: str
    title: str
    kind: str  # map | chart
    size: str  # its slot: full | two-thirds | half | third (style.SLOTS_MM)
    draw: Callable  # (store, territory) -> matplotlib Figure | None
    describe: Callable  # (store, territory) -> str (alt text)
    sources: tuple[str, ...] = ()  # indicator ids whose sources are printed
    fmt: str = "svg"
    title_fr: str | None = None  # title for the France fiche
    dots_when_few: bool = False  # a dot chart for a région of ≤ 2 départements (draw.FEW_UNITS)
    notes: Callable | None = None  # (store, territory) -> footnotes printed under the figure
    source_text: str = ""  # the source line when the figure draws no indicator


# --- registry -----------------------------------------------------------------------------
def _choro_def(fid: str, ind: str, title: str) -> FigureDef:
    return FigureDef(
        fid, title, "map", "half", choropleth(ind), chorodesc(ind), (ind,), dots_when_few=True
    )


REGISTRY: dict[str, FigureDef] = {
    f.id: f
    for f in [
        FigureDef(
            "M01",
            "Situation de la région",
            "map",
            "half",
            draw_locator,
            describe_locator,
            ("C01",),
            title_fr=T("Population des régions ({population})"),
        ),
        _choro_def(
            "M02", "C03", T("Départements de la région : densité de population ({population})")
        ),
        _choro_def(
            "M03a",
            "C04.tres_dense",
            T("Part de la population vivant dans une commune très dense ({density_grid})"),
        ),
        _choro_def(
            "M03b",
            "C05",
            T(
                "Part de la population vivant dans une commune rurale "
                "(peu ou très peu dense, {density_grid})"
            ),
        ),
        _choro_def(
            "M04", "C07", T("Part de la population hors attraction des villes ({urban_areas})")
        ),
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
            T("Festivals selon la discipline dominante (édition {festivals})"),
            "map",
            "half",
            draw_points("festival", "Discipline dominante", "O10_p100k"),
            fr_or(describe_points(["festival"], "festivals", by_category=True), "O10_p100k"),
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
            T("Entrées {museums_last} des musées de France et évolution depuis {museums_base}"),
            "map",
            "full",
            draw_museum_circles,
            fr_or(describe_museums, "F02"),
            ("F01",),
            title_fr=T("Entrées dans les musées par habitant, par département ({museums_last})"),
        ),
        FigureDef(
            "M09",
            T("Entrées {cinemas} des cinémas"),
            "map",
            "half",
            draw_cinema_circles,
            fr_or(describe_cinemas, "F09"),
            ("F08",),
            title_fr=T("Entrées de cinéma par habitant, par département ({cinemas})"),
        ),
        _choro_def(
            "M10", "D01_per_inh", T("Dépenses du ministère de la Culture par habitant ({spending})")
        ),
        _choro_def(
            "M11",
            "D05_per_inh",
            T("Dépenses culturelles des départements par habitant ({spending})"),
        ),
        _choro_def(
            "M12",
            "D06_per_inh",
            T(
                "Dépenses culturelles des communes de plus de 3 500 "
                "habitants, par habitant couvert ({spending})"
            ),
        ),
        _choro_def(
            "M13", "E01_share", T("Part des actifs exerçant une profession culturelle ({census})")
        ),
        _choro_def(
            "M14",
            "N01_share",
            T("Part des entreprises culturelles dans le secteur marchand ({enterprises})"),
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
            T("Fréquentation des musées de France, indice base 100 en {museums_base}"),
            "chart",
            "half",
            draw_index_lines,
            describe_series(
                "F04", T("indice de fréquentation des musées, base 100 en {museums_base}")
            ),
            ("F01",),
        ),
        FigureDef(
            "G08",
            T(
                "Entrées dans les musées de France par département, "
                "{museums_base} et {museums_last}"
            ),
            "chart",
            "half",
            draw_entries_by_dep,
            describe_values(["F01"], "entrées dans les musées"),
            ("F01",),
            title_fr=T(
                "Entrées dans les musées de France par région, {museums_base} et {museums_last}"
            ),
        ),
        FigureDef(
            "G09",
            T(
                "Écrans de cinéma {screens_first}–{screens_last} et "
                "indice base 100 en {screens_first}"
            ),
            "chart",
            "half",
            draw_screens,
            describe_series("F11", "nombre d'écrans de cinéma", metro_reference=True),
            ("F11",),
        ),
        FigureDef(
            "G10",
            T("Dépenses culturelles par habitant selon le niveau ({spending})"),
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
            T("Fonctionnement et investissement selon le niveau (M€, {spending})"),
            "chart",
            "half",
            draw_spending_parts,
            describe_values(
                [f"{d}_invest" for d, _ in SPENDING_LEVELS], "dépenses d'investissement"
            ),
            ("D01", "D03", "D05"),
        ),
        FigureDef(
            "G13",
            T(
                "Entrées dans les musées de France, série historique "
                "{museums_history_first}–{museums_history_last}"
            ),
            "chart",
            "half",
            draw_museum_history,
            describe_museum_history,
            notes=museum_history_notes,
            source_text=T(
                "Source : Ministère de la Culture, Deps, fréquentation totale des musées de "
                "France {museums_history_first}–{museums_history_last}"
            ),
        ),
    ]
}


def slot_for(fdef: FigureDef, territory: Territory) -> str:
    """The slot ``fdef`` is drawn for and placed in: its declared one, but a half slot for a
    full-width map of a DROM or of France (a département choropleth there)."""
    if (
        fdef.kind == "map"
        and fdef.size == "full"
        and (territory.kind == "drom" or territory.is_france)
    ):
        return "half"
    return fdef.size


def _same_value_note(store: Store, ind: str, territory: Territory) -> list[str]:
    """A choropleth whose départements all have the same value is one colour: say so under
    it (the map is then no defect, ATLAS_SPEC §2.7), e.g. no one outside the aires
    d'attraction des villes in Île-de-France."""
    members = store.departements_of(territory.code)
    if len(members) <= FEW_UNITS:
        return []
    vals = store.level_values(ind, "departement").reindex(members)
    if vals.isna().any() or vals.nunique() != 1:
        return []
    return [
        f"Même valeur dans les {len(members)} départements de la région : "
        f"{format_number(store, ind, float(vals.iloc[0]))}."
    ]


def figure_context(
    fid: str, store: Store, territory: Territory, paths: Paths, slot: str | None = None
) -> FigureCtx | None:
    """Draw (or fetch from cache) figure ``fid`` for ``territory`` at the width of its slot
    (``slot`` overrides the declared one, e.g. ``cover``); None if not applicable."""
    fdef = REGISTRY[fid]
    kind_size = slot or slot_for(fdef, territory)
    path = fdef.draw(store, territory, paths, slot=kind_size)
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
    if fdef.dots_when_few and not territory.is_france:
        notes += _same_value_note(store, fdef.sources[0], territory)
    if fdef.notes is not None:
        notes += fdef.notes(store, territory)
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
        source=fdef.source_text or source_line(store, fdef.sources),
        kind=(
            "chart"
            if fdef.dots_when_few
            and not territory.is_france
            and len(store.departements_of(territory.code)) <= FEW_UNITS
            else fdef.kind
        ),
        size=kind_size,
        notes=notes,
        path=str(path),
    )
