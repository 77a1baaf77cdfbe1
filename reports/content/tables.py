"""Indicator tables → rows of formatted cells, ready for the templates.

One function per table kind declared in ``layouts.yaml``. Every cell is a string produced by
:mod:`reports.content.present`, so the text and the tables print the same numbers.
``territory`` is a région code, or ``FR`` for the national fiche (régions become the rows and
the rank column becomes the min/max région).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from reports import edition
from reports.config import TableSpec
from reports.content import fmt
from reports.content.present import (
    ABOUT_100,
    format_number,
    format_value,
    is_coverage,
    rank_text,
    source_line,
    unit_label,
)
from reports.content.wording import town
from reports.data.store import Store, Value


@dataclass
class Row:
    cells: list[str]
    kind: str = ""  # "", "region", "france", "sub"


@dataclass
class TableCtx:
    id: str
    title: str
    header: list[str]
    rows: list[Row]
    source: str = ""
    notes: list[str] = field(default_factory=list)
    numeric_from: int = 1  # first column right-aligned
    css: str = ""  # extra classes of the <table>: "by-territory", "wide"
    csv_name: str = ""
    data: tuple[tuple[str, str], ...] = ()  # (indicator, level) shown, when not in layouts
    line_chars: float = 0.0  # width of the table in characters (0: TABLE_CHARS)
    number: str = ""  # reader-facing number, "Tableau 2" (set per chapter: documents.chapter)

    @property
    def widths(self) -> list[float]:
        """Column widths in % of the table (:func:`column_widths`)."""
        cells = [r.cells for r in self.rows]
        nowrap_first = "by-territory" in self.css  # print.css: one line per territory
        line = self.line_chars or None
        return column_widths(self.header, cells, self.numeric_from, line, nowrap_first)


def _chars(text: str) -> float:
    """Length of ``text`` in average characters (capitals are about a third wider)."""
    return len(text) + 0.35 * sum(c.isupper() for c in text)


#: a full-width table line in characters of its 7.3 pt font (180 mm), cell padding in
#: characters; the key figures of an opener sit in a column half as wide (OPENER_CHARS)
TABLE_CHARS = 140
OPENER_CHARS = 70
CELL_PADDING_CHARS = 2.5


def column_widths(
    header: list[str],
    rows: list[list[str]],
    numeric_from: int = 1,
    line_chars: float | None = None,
    nowrap_first: bool = False,
) -> list[float]:
    """Column widths (% of the table) chosen as CSS automatic table layout would, from the
    cells' lengths in characters: every column gets its longest unbreakable content, and the
    rest of the line goes to the columns with longer text. The table is then laid out with
    ``table-layout: fixed``, a third faster in WeasyPrint (no measuring of every cell).
    Numbers (and, with ``nowrap_first``, row headers) do not wrap; other cells wrap between
    words.
    """
    n, line = len(header), line_chars or TABLE_CHARS
    lo, hi = [], []
    for j in range(n):
        body = [r[j] for r in rows if j < len(r)]
        words = [w for c in [header[j], *body] for w in c.split()] or [""]
        nowrap = j >= numeric_from or (j == 0 and nowrap_first)
        least = max([_chars(w) for w in words] + [_chars(c) for c in body if nowrap] + [1])
        most = max([_chars(c) for c in [header[j], *body]] + [least])
        lo.append(least + CELL_PADDING_CHARS)
        hi.append(most + CELL_PADDING_CHARS)
    if sum(hi) <= line:
        chars = hi
    else:
        pairs = list(zip(lo, hi, strict=True))
        spare, extra = max(line - sum(lo), 0.0), sum(h - low for low, h in pairs)
        chars = [low + spare * (h - low) / extra if extra else low for low, h in pairs]
    total = sum(chars)
    return [round(100 * c / total, 2) for c in chars]


def column_label(store: Store, ind: str, year: object = None) -> str:
    """``label (unit, year)``: the unit left out when the label says it ("pour 1 000
    habitants" is "pour 1 000 hab.")."""
    unit = unit_label(store, ind)
    label = store.label(ind)
    said = label.lower().replace("habitants", "hab.")
    extra = [x for x in (unit if unit and unit.lower() not in said else "", year) if x]
    return f"{label} ({', '.join(map(str, extra))})" if extra else label


def _fr(store: Store, ind: str, scope_code: str = "FR") -> Value:
    return store.get(ind, "france", scope_code)


def fr_cell(store: Store, v: Value) -> str:
    """A France value with the scope its row notes (« 105,1 (hors Mayotte) »)."""
    text = format_value(store, v)
    return f"{text} ({v.note})" if v.value is not None and v.note else text


#: below this covered share, the share is printed next to the value (ATLAS_SPEC §3.9, O03)
COVERAGE_PRINTED = 80.0


def coverage_of(store: Store, ind: str, level: str, code: str) -> float | None:
    """``{ind}_coverage`` of the territory when it is below :data:`COVERAGE_PRINTED`."""
    cov_id = f"{ind}_coverage"
    if ind.endswith("_coverage") or cov_id not in store.meta.index:
        return None
    c = store.get(cov_id, level, code)
    if c.value is None or c.value >= COVERAGE_PRINTED:
        return None
    return c.value


def with_coverage(store: Store, ind: str, level: str, code: str, text: str) -> str:
    """``0,7 (surface connue : 20,8 %)`` when few units have the measure (O03: surface)."""
    cov = coverage_of(store, ind, level, code)
    if cov is None or text in (fmt.ND, fmt.SO):
        return text
    return f"{text} (surface connue : {format_number(store, f'{ind}_coverage', cov)})"


def coverage_note(store: Store, inds: list[str], places: list[tuple[str, str]]) -> list[str]:
    """The note under a table whose cells print a covered share (O03)."""
    notes = []
    for ind in inds:
        if any(
            coverage_of(store, ind, lvl, c) is not None and store.get(ind, lvl, c).value is not None
            for lvl, c in places
        ):
            notes.append(
                f"{store.label(ind)} : calculée sur les seules bibliothèques de surface connue ; "
                "entre parenthèses, leur part dans les bibliothèques municipales du territoire "
                f"lorsqu'elle est inférieure à {fmt.fmt_pct(COVERAGE_PRINTED, 0)}."
            )
    return notes


def france_code_for(store: Store, ind: str) -> str:
    """Metro-only indicators compare with France métropolitaine."""
    scope = store.info(ind)["scope"] if ind in store.meta.index else "all"
    return "FRM" if scope == "metro" else "FR"


def minmax_text(store: Store, ind: str) -> str:
    vals = store.level_values(ind, "region").dropna()
    if vals.empty:
        return fmt.ND
    names = store.territories.set_index(["level", "code"])["name"]
    lo, hi = vals.idxmin(), vals.idxmax()

    def f(code: str) -> str:
        text = f"{format_value(store, store.get(ind, 'region', code))} ({names[('region', code)]}"
        cov = coverage_of(store, ind, "region", code)  # O03: the share of known surfaces
        if cov is not None:
            text += f", surface connue : {format_number(store, f'{ind}_coverage', cov)}"
        return text + ")"

    return f"{f(lo)} – {f(hi)}"


def comparison(store: Store, spec: TableSpec, territory: str) -> TableCtx:
    inds = list(spec.indicators)
    if territory == "FR":
        header = ["Indicateur", "France", "Métropole", "DROM", "Minimum – maximum régional"]
        places = [("france", c) for c in ("FR", "FRM", "DROM")]
        rows = [
            Row(
                [column_label(store, i)]
                + [
                    with_coverage(store, i, lvl, c, fr_cell(store, store.get(i, lvl, c)))
                    for lvl, c in places
                ]
                + [minmax_text(store, i)]
            )
            for i in inds
        ]
    else:
        header = ["Indicateur", "Région", "France", "Rang"]
        places = [("region", territory)]
        rows = []
        for i in inds:
            v = store.get(i, "region", territory)
            fc = france_code_for(store, i)
            fr_txt = fr_cell(store, _fr(store, i, fc))
            if fc == "FRM":
                fr_txt += " (métro.)"
            value = with_coverage(store, i, "region", territory, format_value(store, v))
            rows.append(Row([column_label(store, i), value, fr_txt, rank_text(v)]))
    table = TableCtx(spec.id, spec.title, header, rows, source_line(store, inds))
    table.notes += coverage_note(store, inds, places) + about_100_note(store, inds, places)
    return table


def about_100_note(store: Store, inds: list[str], places: list[tuple[str, str]]) -> list[str]:
    """ATLAS_SPEC §3.9: a covered share above 100 % prints « ≈ 100 % », with this note."""
    notes = []
    for ind in inds:
        if not is_coverage(ind):
            continue
        values = [store.get(ind, lvl, c).value for lvl, c in places]
        if any(x is not None and x > 100 for x in values):
            notes.append(
                f"{store.label(ind)} : {ABOUT_100}, la population des entités du fichier des "
                f"dépenses dépassant la population {edition.current().year('population')} de "
                "référence (millésimes de population "
                "différents)."
            )
    return notes


def key_figures(store: Store, spec: TableSpec, territory: str) -> TableCtx:
    inds = list(spec.indicators)
    if territory == "FR":
        header = ["Chiffre clé", "France", "Métropole", "DROM"]
        rows = [
            Row(
                [column_label(store, i)]
                + [fr_cell(store, store.get(i, "france", c)) for c in ("FR", "FRM", "DROM")]
            )
            for i in inds
        ]
    else:
        header = ["Chiffre clé", "Région", "France"]
        rows = []
        for i in inds:
            v = store.get(i, "region", territory)
            rows.append(
                Row(
                    [
                        column_label(store, i, v.year),
                        format_value(store, v),
                        fr_cell(store, _fr(store, i, france_code_for(store, i))),
                    ]
                )
            )
    return TableCtx(spec.id, spec.title, header, rows, source_line(store, inds))


def by_departement(store: Store, spec: TableSpec, territory: str) -> TableCtx:
    """Départements of the région (régions for FR) + région and France rows."""
    inds = list(spec.indicators)
    header = ["Département" if territory != "FR" else "Région"] + [
        column_label(store, i) for i in inds
    ]
    rows: list[Row] = []
    if territory == "FR":
        regions = store.territories[store.territories["level"] == "region"]
        for _, r in regions.iterrows():
            rows.append(
                Row(
                    [r["name"]]
                    + [format_value(store, store.get(i, "region", r["code"])) for i in inds]
                )
            )
        for code, name in (("FRM", "France métropolitaine"), ("DROM", "DROM"), ("FR", "France")):
            rows.append(
                Row(
                    [name] + [fr_cell(store, store.get(i, "france", code)) for i in inds],
                    "france",
                )
            )
    else:
        names = store.territories.set_index(["level", "code"])["name"]
        for dep in store.departements_of(territory):
            rows.append(
                Row(
                    [f"{names[('departement', dep)]} ({dep})"]
                    + [format_value(store, store.get(i, "departement", dep)) for i in inds]
                )
            )
        rows.append(
            Row(
                ["Région"] + [format_value(store, store.get(i, "region", territory)) for i in inds],
                "region",
            )
        )
        scopes = {france_code_for(store, i) for i in inds}
        rows.append(
            Row(
                ["France métropolitaine" if scopes == {"FRM"} else "France"]  # §3.9, T05
                + [fr_cell(store, _fr(store, i, france_code_for(store, i))) for i in inds],
                "france",
            )
        )
    css = "by-territory wide" if len(header) > 5 else "by-territory"
    title = spec.title.replace("par département", "par région") if territory == "FR" else spec.title
    return TableCtx(spec.id, title, header, rows, source_line(store, inds), css=css)


def count_ratio(store: Store, spec: TableSpec, territory: str) -> TableCtx:
    """Rows = (count, ratio) pairs: count, % of France, ratio, France ratio, rank (T03)."""
    pairs = list(spec.pairs)
    if territory == "FR":
        header = ["Équipement", "Nombre", "dont DROM", "Ratio France", "Minimum – maximum régional"]
    else:
        header = ["Équipement", "Nombre", "% de la France", "Ratio", "France", "Rang"]
    rows = []
    for count_id, ratio_id in pairs:
        label = store.label(count_id)
        unit = unit_label(store, ratio_id)
        fc = france_code_for(store, count_id)
        fr_count = _fr(store, count_id, fc)
        if territory == "FR":
            rows.append(
                Row(
                    [
                        f"{label} ({unit})",
                        format_value(store, fr_count),
                        format_value(store, store.get(count_id, "france", "DROM")),
                        format_value(store, _fr(store, ratio_id, fc)),
                        minmax_text(store, ratio_id),
                    ]
                )
            )
            continue
        c = store.get(count_id, "region", territory)
        r = store.get(ratio_id, "region", territory)
        share = 100 * c.value / fr_count.value if c.value is not None and fr_count.value else None
        fr_ratio = format_value(store, _fr(store, ratio_id, fc))
        if fc == "FRM":
            fr_ratio += " (métro.)"
        rows.append(
            Row(
                [
                    f"{label} ({unit})",
                    format_value(store, c),
                    fmt.fmt_pct(share, 1),
                    format_value(store, r),
                    fr_ratio,
                    rank_text(r),
                ]
            )
        )
    inds = [i for p in pairs for i in p]
    table = TableCtx(spec.id, spec.title, header, rows, source_line(store, inds))
    if territory == "FR":  # e.g. SPR: 993 in the Σ of régions, 992 distinct (§3.6)
        for count_id, _ratio in pairs:
            v = _fr(store, count_id, france_code_for(store, count_id))
            if v.value is not None and v.note:
                table.notes.append(f"{store.label(count_id)} : {v.note}.")
    return table


#: ATLAS_SPEC §3.9 "museum evolutions": a change beyond ±200 % (or from 0) is not printed
MUSEUM_CHANGE_NS = 200.0
NS = "n.s."


def museum_change(before: object, after: object) -> tuple[str, bool]:
    """The printed change (base year → last year) of one museum and whether it is « n.s. »."""
    if fmt.is_missing(before) or fmt.is_missing(after):
        return fmt.ND, False
    a, b = float(before), float(after)  # type: ignore[arg-type]
    if a == 0:
        return (NS, True) if b > 0 else (fmt.ND, False)
    change = 100 * (b / a - 1)
    if abs(change) > MUSEUM_CHANGE_NS:
        return NS, True
    return fmt.fmt_pct(change, 1, sign=True), False


def museums_top(store: Store, spec: TableSpec, territory: str, n: int = 10) -> TableCtx:
    m = store.museums
    if territory != "FR":
        m = m[m["region"] == territory]
    gone = m[(m["entries_base"] > 0) & ~(m["entries_last"] > 0)]  # declared then, not now
    m = m.dropna(subset=["entries_last"])
    m = m[m["entries_last"] > 0]  # no entries in the last year: not in a top 10 (§3.9)
    every = len(m) <= n  # the table lists every museum of the territory with entries
    m = m.sort_values(["entries_last", "museofile"], ascending=[False, True]).head(n)
    ed = edition.current()
    base, last = ed.year("museums_base"), ed.year("museums_last")
    header = ["Musée", "Commune", f"Entrées {base}", f"Entrées {last}", "Évolution"]
    rows = []
    ns: list[str] = []
    for _, r in m.iterrows():
        before, after = r.get("entries_base"), r.get("entries_last")
        change, not_significant = museum_change(before, after)
        if not_significant:
            ns.append(f"{r['name']} ({fmt.fmt_int(before)} entrées en {base})")
        rows.append(
            Row(
                [
                    str(r["name"]),
                    town(str(r["ville"])),
                    fmt.fmt_int(before),
                    fmt.fmt_int(after),
                    change,
                ]
            )
        )
    # fewer than ten: "the ten most visited" would promise rows the table does not have
    title = spec.title
    if every:
        which = "Le musée de France" if len(m) == 1 else "Les musées de France"
        title = f"{which} ayant déclaré des entrées en {last}"
    table = TableCtx(
        spec.id,
        title,
        header,
        rows,
        "Source : Ministère de la Culture, Patrimostat, fréquentation des musées de France",
        numeric_from=2,
    )
    if not rows:
        table.notes.append(f"Aucun musée de France ne déclare de fréquentation en {last}.")
    if every and rows and len(gone):  # the région's change counts them: say why it differs
        names = ", ".join(str(x) for x in gone["name"])
        total = fmt.fmt_int(gone["entries_base"].sum())
        one = len(gone) == 1
        who, verb = ("Un musée", "déclare") if one else (f"{len(gone)} musées", "déclarent")
        table.notes.append(
            f"{who} ayant déclaré des entrées en {base} ({names} : {total} entrées) n'en {verb} "
            f"aucune en {last} : l'évolution des entrées de la région en tient compte."
        )
    if ns:
        table.notes.append(
            f"{NS} : évolution non significative (supérieure à "
            f"{fmt.fmt_pct(MUSEUM_CHANGE_NS, 0)} en valeur absolue ou depuis zéro) : les deux "
            f"années ne sont pas comparables (sites regroupés sous une seule fiche entre {base} "
            f"et {last}, fermeture ou réouverture) — {'; '.join(ns)}."
        )
    return table


def zones_emploi(store: Store, spec: TableSpec, territory: str, n: int = 4) -> TableCtx:
    z = store.zones_emploi
    if territory != "FR":
        z = z[z["region"] == territory]
    z = z.dropna(subset=["E01_share"]).sort_values(["E01_share", "code"], ascending=[False, True])
    pick = z if len(z) <= 2 * n else pd.concat([z.head(n), z.tail(n)])
    header = ["Zone d'emploi", "Actifs culturels", "Part des actifs"]
    rows = []
    for _, r in pick.iterrows():
        name = str(r["name"]) + (
            " (interrégionale)"
            if str(r.get("interregional", "")).lower() in {"true", "1", "oui"}
            else ""
        )
        share = format_number(store, "E01_share", r["E01_share"])  # as the text cites it
        rows.append(Row([name, fmt.fmt_int(r["E01"]), share]))
    return TableCtx(spec.id, spec.title, header, rows, source_line(store, ["E01"]))


def spending(store: Store, spec: TableSpec, territory: str) -> TableCtx:
    """T06: levels × [M€, €/hab., France €/hab., rank] (pairs = (amount, per_inh))."""
    pairs = list(spec.pairs)
    if territory == "FR":
        header = ["Niveau", "Montant", "€/hab.", "Minimum – maximum régional (€/hab.)"]
    else:
        header = ["Niveau", "Montant", "€/hab.", "France €/hab.", "Rang"]
    rows = []
    for amount, per_inh in pairs:
        label = store.label(amount)
        if territory == "FR":
            rows.append(
                Row(
                    [
                        label,
                        format_value(store, _fr(store, amount)),
                        format_value(store, _fr(store, per_inh)),
                        minmax_text(store, per_inh),
                    ]
                )
            )
            continue
        a = store.get(amount, "region", territory)
        p = store.get(per_inh, "region", territory)
        rows.append(
            Row(
                [
                    label,
                    format_value(store, a),
                    format_value(store, p),
                    format_value(store, _fr(store, per_inh)),
                    rank_text(p),
                ]
            )
        )
    inds = [i for p in pairs for i in p] + list(spec.indicators)
    table = TableCtx(spec.id, spec.title, header, rows, source_line(store, inds))
    table.notes.append(
        "Les niveaux sont présentés côte à côte et ne s'additionnent pas "
        "(transferts entre collectivités)."
    )
    table.notes += unplaced_note(store, [a for a, _p in pairs])
    return table


def unplaced_note(store: Store, amounts: list[str]) -> list[str]:
    """ATLAS_SPEC §2.4 D09: France counts every EPCI of the file, those that cannot be
    placed in a région too; their amount is footnoted."""
    notes = []
    for amount in amounts:
        extra_id = f"{amount}_unplaced"
        if extra_id not in store.meta.index:
            continue
        extra = _fr(store, extra_id)
        if not extra.value:
            continue
        who = f"{extra.note} " if extra.note else ""
        notes.append(
            f"{store.label(amount)} : la valeur France comprend les dépenses de {who}non "
            f"affectés à une région ({fmt.fmt_meur(extra.value, 2)}), absents de la composition "
            f"des intercommunalités {edition.current().year('epci')}."
        )
    return notes


KINDS = {
    "comparison": comparison,
    "key_figures": key_figures,
    "by_departement": by_departement,
    "count_ratio": count_ratio,
    "museums_top": museums_top,
    "zones_emploi": zones_emploi,
    "spending": spending,
}


def build_table(store: Store, spec: TableSpec, territory: str) -> TableCtx:
    table = KINDS[spec.kind](store, spec, territory)
    if len(table.header) > 5 and "wide" not in table.css:
        table.css = (table.css + " wide").strip()
    return table
