"""Jardins remarquables (O13), sites patrimoniaux remarquables (O14), Basilic counts (O15)."""

from __future__ import annotations

import pandas as pd

from reports import edition
from reports.data.sources.base import BuildLog, read_csv, to_number, zero_pad_code
from reports.data.sources.offre_common import (
    BASILIC,
    JARDINS,
    SPR,
    Part,
    count_levels,
    counts_and_p100k,
    facilities,
    p100k_meta,
    place,
)
from reports.data.sources.reference import Reference, dep_of_commune, slugify
from reports.data.sources.theme import meta_factory
from reports.data.sources.tidy import to_rows

ED = edition.current()
GARDENS, SPR_YEAR = ED.year("gardens"), ED.year("heritage_sites")
BASILIC_YEAR = ED.year("basilic")

_meta = meta_factory("offre")


# --- O13 jardins, O14 SPR ------------------------------------------------------------------


def jardins(log: BuildLog, ref: Reference) -> Part:
    cols = [
        "identifiant_deps",
        "nom_du_jardin",
        "code_insee",
        "code_insee_departement",
        "code_insee_region",
        "latitude",
        "longitude",
        "types",
    ]
    raw = read_csv(log, JARDINS, cols)
    dep = zero_pad_code(raw["code_insee_departement"], 2)
    df = pd.DataFrame(
        {
            "id": raw["identifiant_deps"],
            "name": raw["nom_du_jardin"],
            "commune": raw["code_insee"],
            "departement": dep,
            "region": zero_pad_code(raw["code_insee_region"], 2),
            "lat": to_number(raw["latitude"], where=JARDINS, column="latitude"),
            "lon": to_number(raw["longitude"], where=JARDINS, column="longitude"),
            "category": raw["types"],
            "n": 1.0,
        }
    )
    declared = df["region"]
    df = place(log, JARDINS, df, ref, lambda r: f"{r['id']} {r['name']}")
    mismatch = df["region"] != declared.loc[df.index]
    if mismatch.any():
        log.note(
            JARDINS,
            f"{int(mismatch.sum())} jardin(s) dont la région diffère de "
            "code_insee_region (département retenu)",
        )
    levels = count_levels(df, ref, ["n"])
    src = "Ministère de la Culture, label « Jardin remarquable »"
    meta = [
        _meta(
            "O13",
            "Jardins remarquables",
            f"Jardins labellisés « Jardin remarquable » (liste à avril {GARDENS}).",
            "jardins",
            0,
            src,
            str(GARDENS),
            additive=True,
        ),
        p100k_meta("O13", "Jardins remarquables", src, str(GARDENS)),
    ]
    return Part(
        [counts_and_p100k(levels, "O13", "n", GARDENS)],
        facilities(log, JARDINS, df, "jardin"),
        meta,
    )


def spr(log: BuildLog, ref: Reference) -> Part:
    cols = [
        "Code région",
        "Code département",
        "Code INSEE",
        "Commune",
        "Nombre de SPR",
        "numéro du SPR",
    ]
    raw = read_csv(log, SPR, cols)
    n = to_number(raw["Nombre de SPR"], where=SPR, column="Nombre de SPR")
    main = n == 1
    no_number = (raw["numéro du SPR"].str.strip() == "") & ~main
    log.note(
        SPR,
        f"{int((~main).sum())} ligne(s) sans « Nombre de SPR » = 1 non comptées "
        f"(communes secondaires d'un SPR ; dont {int(no_number.sum())} sans numéro)",
    )
    raw = raw[main]
    df = pd.DataFrame(
        {
            "departement": zero_pad_code(raw["Code département"], 2),
            "region": zero_pad_code(raw["Code région"], 2),
            "label": raw["numéro du SPR"] + " " + raw["Commune"],
            "n": 1.0,
        }
    )
    df = place(log, SPR, df, ref, lambda r: r["label"])
    dup = raw["numéro du SPR"][raw["numéro du SPR"].duplicated() & (raw["numéro du SPR"] != "")]
    if len(dup):
        log.note(
            SPR,
            f"SPR compté dans deux territoires (Σ régions > total national distinct) : "
            f"{', '.join(dup)}",
        )
    levels = count_levels(df, ref, ["n"])
    src = "Ministère de la Culture, liste des sites patrimoniaux remarquables"
    meta = [
        _meta(
            "O14",
            "Sites patrimoniaux remarquables",
            "SPR en vigueur (une ligne principale "
            "par SPR), attribués par département ; un SPR à cheval sur deux régions "
            "(Le Tréport / Mers-les-Bains) est compté dans chacune.",
            "sites",
            0,
            src,
            str(SPR_YEAR),
            additive=True,
        ),
        p100k_meta("O14", "Sites patrimoniaux remarquables", src, str(SPR_YEAR)),
    ]
    rows = counts_and_p100k(levels, "O14", "n", SPR_YEAR)
    if len(dup):  # ATLAS_SPEC §3.6 / V10: Σ régions 993, 992 distinct; said on the France row
        numbers = raw["numéro du SPR"].str.strip()
        distinct = numbers[numbers != ""].nunique() + int((numbers == "").sum())
        # in print: what the count means, not the SPR's number (the build log names it)
        which = (
            "un SPR à cheval sur deux régions est compté dans chacune"
            if len(dup) == 1
            else f"{len(dup)} SPR à cheval sur deux régions sont comptés dans chacune"
        )
        sel = (rows["indicator"] == "O14") & (rows["level"] == "france") & (rows["code"] == "FR")
        rows.loc[sel, "note"] = f"{distinct} SPR distincts ({which})"
    return Part([rows], None, meta)


# --- O15 Basilic-derived counts ------------------------------------------------------------


def basilic(log: BuildLog, ref: Reference) -> Part:
    col_type = "Type équipement ou lieu"
    raw = read_csv(log, BASILIC, ["code_insee", col_type, "count"], sep="\t", encoding="utf-8")
    code = raw["code_insee"].str.strip()
    code = code.where(~code.str.fullmatch(r"\d{4}"), code.str.zfill(5))
    df = pd.DataFrame(
        {
            "departement": code.map(dep_of_commune),
            "region": "",
            "commune": code,
            "type": raw[col_type].str.strip(),
            "count": to_number(raw["count"], where=BASILIC, column="count"),
        }
    )
    df = place(log, BASILIC, df, ref, lambda r: f"{r['commune']} {r['type']}")
    types = sorted(t for t in df["type"].unique() if t)
    slugs = {t: slugify(t).replace("-", "_") for t in types}
    for t, s in slugs.items():
        df[s] = df["count"].where(df["type"] == t, 0.0)
    levels = count_levels(df, ref, list(slugs.values()), with_population=False)
    rows = [to_rows(levels, f"O15.{s}", BASILIC_YEAR, s) for s in slugs.values()]
    src = (
        "Base Basilic (Ministère de la Culture), agrégat par commune Data For Good, "
        f"fin {BASILIC_YEAR}"
    )
    meta = [
        _meta(
            f"O15.{s}",
            f"{t} (Basilic, dérivé)",
            f"Nombre de lieux de type « {t} » d'après "
            "un agrégat tiers de la base Basilic (dérivé, non officiel ; pour « Théâtre », "
            "nombre de salles).",
            "lieux",
            0,
            src,
            str(BASILIC_YEAR),
            additive=True,
        )
        for t, s in slugs.items()
    ]
    return Part(rows, None, meta)
