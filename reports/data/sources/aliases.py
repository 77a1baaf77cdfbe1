"""The one table of label variants → INSEE codes (ATLAS_SPEC §3.5).

Sources that carry names instead of codes are matched on the canonical COG name first
(``departements.json`` / ``regions.json``), case-insensitively, then through these aliases.
Add a variant here, never in a theme module.
"""

from __future__ import annotations

from reports.data.sources.reference import Reference

# Département label variants, by the source that uses them.
DEPARTEMENT_ALIASES: dict[str, str] = {
    # Muséofile / liste officielle des musées de France
    "Val d'Oise": "95",
    "Corse du Sud": "2A",
    "Territoire-de-Belfort": "90",
    # Festivals (Département principal de déroulement)
    "Métropole de Lyon": "69",
}

# Région label variants (prefer codes; these are for name-only sources).
REGION_ALIASES: dict[str, str] = {
    "Ile-de-France": "11",
    "Grand-Est": "44",
    "GRAND EST": "44",
    "Pays-de-la-Loire": "52",
    "Provence-Alpes-Côte-d'Azur": "93",
    "NOUVELLE AQUITAINE": "75",
    "HAUTS DE FRANCE": "32",
    "BOURGOGNE- FRANCHE-COMTÉ": "27",
    "BOURGOGNE-FRANCHE-COMTE": "27",  # historical museum series (NEW REGIONS)
    "LA REUNION": "04",
    "Réunion": "04",
}


def _key(label: str) -> str:
    return " ".join(str(label).replace("’", "'").split()).casefold()


def departement_lookup(ref: Reference) -> dict[str, str]:
    """Case-insensitive label → département code (canonical names + aliases)."""
    table = {_key(n): c for n, c in ref.dep_name_to_code().items()}
    table.update({_key(a): c for a, c in DEPARTEMENT_ALIASES.items()})
    return table


def region_lookup(ref: Reference) -> dict[str, str]:
    """Case-insensitive label → région code (canonical names + aliases)."""
    table = {_key(n): c for n, c in ref.region_name_to_code().items()}
    table.update({_key(a): c for a, c in REGION_ALIASES.items()})
    return table


def departement_code(label: str, lookup: dict[str, str]) -> str:
    """Code of a département label, ``""`` when unknown."""
    return lookup.get(_key(label), "")


def region_code(label: str, lookup: dict[str, str]) -> str:
    return lookup.get(_key(label), "")
