"""The one place that knows where things are.

Other modules receive a :class:`Paths` and never build directory strings themselves.
The raw sources default to ``../shared/data/sources`` beside the project; the environment
variable ``ATLAS_SOURCES`` or the ``--sources`` option override it. ``ATLAS_DATA``,
``ATLAS_CACHE``, ``ATLAS_LAYOUTS`` and ``ATLAS_TEMPLATES`` replace ``data/``, ``cache/``,
``layouts.yaml`` and ``templates/``. The derived data of the newest edition is ``data/``; an
earlier edition's (``--edition <year>``) is ``editions/derived/<name>/`` (:mod:`reports.edition`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from reports import edition

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: files of ``data/geo``: the polygons, and the map zones computed from them (reports.data.zones)
GEOJSON_FILES = ("departements.geojson", "regions.geojson")
ZONES_FILE = "zones.xz"


def geo_files(geo_dir: Path) -> list[Path]:
    """The files of ``geo_dir`` the maps read: both GeoJSON files, and the zones if there."""
    zones = geo_dir / ZONES_FILE
    return [geo_dir / name for name in GEOJSON_FILES] + ([zones] if zones.is_file() else [])


@dataclass(frozen=True)
class Paths:
    root: Path = PROJECT_ROOT
    sources_override: Path | None = None
    data_override: Path | None = None

    @property
    def sources(self) -> Path:
        if self.sources_override is not None:
            return Path(self.sources_override)
        env = os.environ.get("ATLAS_SOURCES")
        if env:
            return Path(env)
        return self.root.parent / "shared" / "data" / "sources"

    @property
    def data(self) -> Path:
        if self.data_override is not None:
            return Path(self.data_override)
        env = os.environ.get("ATLAS_DATA")
        return Path(env) if env else self.edition_data(edition.current().name)

    def edition_data(self, name: str) -> Path:
        """Where ``atlas data build --edition name`` writes: ``data/`` for the newest."""
        if name == edition.latest_name():
            return self.root / "data"
        return self.root / "editions" / "derived" / name

    @property
    def geo(self) -> Path:
        return self.data / "geo"

    @property
    def templates(self) -> Path:
        env = os.environ.get("ATLAS_TEMPLATES")  # another templates folder (tests)
        return Path(env) if env else self.root / "templates"

    @property
    def styles(self) -> Path:
        return self.root / "styles"

    @property
    def fonts(self) -> Path:
        return self.styles / "fonts"

    @property
    def layouts(self) -> Path:
        env = os.environ.get("ATLAS_LAYOUTS")  # another layouts file (tests, a variant)
        return Path(env) if env else self.root / "layouts.yaml"

    @property
    def output(self) -> Path:
        ed = edition.current()
        return self.root / "output" if ed.is_latest else self.root / "output" / ed.name

    @property
    def fiches_output(self) -> Path:
        return self.output / "fiches"

    @property
    def cache(self) -> Path:
        env = os.environ.get("ATLAS_CACHE")
        return Path(env) if env else self.root / "cache"

    @property
    def figures_cache(self) -> Path:
        return self.cache / "figures"


def default_paths() -> Paths:
    return Paths()
