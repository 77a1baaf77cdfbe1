"""Offre culturelle: O01–O15 and the ``facilities`` points table (ATLAS_SPEC §2.2, §3.5–3.7).

One reader per source family, each returning a :class:`Part` (tidy rows, facility points,
metadata); the shared placing and counting rules live in :mod:`offre_common`:

* ``offre_museums_libraries`` — O01 Muséofile, O02–O03 municipal libraries;
* ``offre_cinemas`` — O04–O08 CNC (métropole), O04D base Deps (DROM);
* ``offre_archives`` — O09 archive services;
* ``offre_festivals`` — O10–O12 festivals;
* ``offre_heritage`` — O13 jardins remarquables, O14 SPR, O15 Basilic-derived counts.

:func:`build` runs them in this order and assembles the theme.
"""

from __future__ import annotations

import pandas as pd

from reports.data.sources.base import BuildLog
from reports.data.sources.offre_archives import archives
from reports.data.sources.offre_cinemas import cinemas_cnc, cinemas_drom
from reports.data.sources.offre_festivals import festivals
from reports.data.sources.offre_heritage import basilic, jardins, spr
from reports.data.sources.offre_museums_libraries import libraries, museums
from reports.data.sources.reference import Reference
from reports.data.sources.theme import ThemeOutput

# --- theme ---------------------------------------------------------------------------------


def build(log: BuildLog, ref: Reference) -> ThemeOutput:
    parts = [
        museums(log, ref),
        libraries(log, ref),
        cinemas_cnc(log, ref),
        cinemas_drom(log, ref),
        archives(log, ref),
        festivals(log, ref),
        jardins(log, ref),
        spr(log, ref),
        basilic(log, ref),
    ]
    values = pd.concat([r for p in parts for r in p.rows], ignore_index=True)
    points = pd.concat([p.facilities for p in parts if p.facilities is not None], ignore_index=True)
    return ThemeOutput(
        values=values,
        tables={"facilities": points},
        meta=[m for p in parts for m in p.meta],
    )
