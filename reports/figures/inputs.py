"""What the catalogue's figures read from the store: territory names, s.o. codes, the reference
rows compared (région vs France), component splits, the facility labels and the indicator lists
of the composite charts; and the département layer as a lazy figure input (keyed by the digest
of the geometry files, loaded only when a figure is drawn)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from reports import edition
from reports.data.store import Store
from reports.data.territories import Territory
from reports.figures.assets import LazyInput
from reports.paths import Paths, geo_files


# --- store selections --------------------------------------------------------------------
def names(store: Store, level: str) -> pd.Series:
    t = store.territories
    t = t[t["level"] == level]
    return pd.Series(t["name"].to_numpy(), index=t["code"].to_numpy())


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


def value_or_nan(store: Store, ind: str, level: str, code: str) -> float:
    v = store.value(ind, level, code)
    return float("nan") if v is None else v


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
        short_label(store.label(c)): [value_or_nan(store, c, lv, cd) for _, lv, cd in rows]
        for c in comps
    }
    return pd.DataFrame(data, index=[r[0] for r in rows])


# --- labels and indicator lists of the figures --------------------------------------------
FACILITY_LABELS = {
    "musee": "Musées de France",
    "bibliotheque": "Bibliothèques municipales",
    "cinema": edition.current().text("Cinémas (CNC {cinemas})"),
    "cinema_drom": edition.current().text("Cinémas (base Deps ≈{cinemas_drom})"),
    "archives": "Services d'archives",
}


G04_INDICATORS = [
    "O01_p100k",
    "O02_p100k",
    "O05_p100k",
    "O09_p100k",
    "O10_p100k",
    "O13_p100k",
    "O14_p100k",
]


SPENDING_LEVELS = [
    ("D01", "Ministère"),
    ("D03", "Région"),
    ("D05", "Départements"),
    ("D06", "Communes > 3 500 hab."),
    ("D09", "Intercommunalités"),
]


# --- the département layer -----------------------------------------------------------------
@dataclass(frozen=True)
class Departements(LazyInput):
    """The département layer as a figure input: keyed by the digest of the geometry files,
    loaded only when a figure is drawn — from the stored zones (:func:`geo.stored_layer`),
    else as a GeoDataFrame with a ``region`` column read from the GeoJSON files."""

    geo_dir: Path

    def __figure_key__(self) -> object:
        return geo_digest(self.geo_dir)

    def load(self) -> object:
        from reports.figures import geo

        return geo.stored_layer(self.geo_dir) or geo.load_layers(self.geo_dir).deps


def departements(paths: Paths) -> Departements:
    return Departements(Path(paths.geo))


def geo_digest(geo_dir: Path) -> str:
    """Digest of the geometry files, read once per process and per file version."""
    return _digest(tuple((str(f), f.stat().st_mtime_ns) for f in geo_files(Path(geo_dir))))


@cache
def _digest(files: tuple[tuple[str, int], ...]) -> str:
    import hashlib

    h = hashlib.sha256()
    for name, _ in files:
        h.update(Path(name).read_bytes())
    return h.hexdigest()
