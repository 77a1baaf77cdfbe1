"""The label → code table used for name-only sources (ATLAS_SPEC §3.5)."""

from __future__ import annotations

import pandas as pd

from reports.data.sources.aliases import (
    DEPARTEMENT_ALIASES,
    REGION_ALIASES,
    departement_code,
    departement_lookup,
    region_code,
    region_lookup,
)
from reports.data.sources.reference import Reference


def mini_reference() -> Reference:
    regions = pd.DataFrame(
        {
            "code": ["11", "44", "52", "93", "04", "32", "75", "27", "84", "94"],
            "name": [
                "Île-de-France",
                "Grand Est",
                "Pays de la Loire",
                "Provence-Alpes-Côte d'Azur",
                "La Réunion",
                "Hauts-de-France",
                "Nouvelle-Aquitaine",
                "Bourgogne-Franche-Comté",
                "Auvergne-Rhône-Alpes",
                "Corse",
            ],
        }
    )
    deps = pd.DataFrame(
        {
            "code": ["95", "2A", "90", "69", "974"],
            "name": ["Val-d'Oise", "Corse-du-Sud", "Territoire de Belfort", "Rhône", "La Réunion"],
            "region": ["11", "94", "27", "84", "04"],
        }
    )
    return Reference(regions=regions, departements=deps, commune_pop=pd.DataFrame())


def test_departement_aliases_and_canonical_names():
    lookup = departement_lookup(mini_reference())
    assert departement_code("Val d'Oise", lookup) == "95"
    assert departement_code("Corse du Sud", lookup) == "2A"
    assert departement_code("Territoire-de-Belfort", lookup) == "90"
    assert departement_code("Métropole de Lyon", lookup) == "69"
    assert departement_code("RHÔNE", lookup) == "69"  # case-insensitive canonical name
    assert departement_code("Val-d’Oise", lookup) == "95"  # typographic apostrophe
    assert departement_code("En ligne", lookup) == ""


def test_region_aliases():
    lookup = region_lookup(mini_reference())
    assert region_code("Grand-Est", lookup) == "44"
    assert region_code("Pays-de-la-Loire", lookup) == "52"
    assert region_code("Provence-Alpes-Côte-d'Azur", lookup) == "93"
    assert region_code("Ile-de-France", lookup) == "11"
    assert region_code("HAUTS DE FRANCE", lookup) == "32"
    assert region_code("Réunion", lookup) == "04"
    assert region_code("Polynésie française", lookup) == ""


def test_alias_targets_are_codes():
    assert all(c.isalnum() and 2 <= len(c) <= 3 for c in DEPARTEMENT_ALIASES.values())
    assert all(len(c) == 2 for c in REGION_ALIASES.values())
