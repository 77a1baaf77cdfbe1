"""What a compact portrait says (``portrait`` layout, ATLAS_SPEC §8): a département compared
with its région and France and ranked among the 101 départements and among those of its
région; or a région compared with France and ranked among the 18 régions.

The région sentences of :mod:`reports.content.analysis` assume a région (``la région X``, région
ranks from ``data/``); this module has its own small set, written for either level. Ranks are
computed here from the values of ``indicators.csv`` at the territory's level: descending (1 =
the highest value), competition ranking (two equal values share a rank, the next rank is
skipped), n.d. excluded (the number ranked is then said). No drawing here; everything returned
is formatted text (:mod:`reports.content.present`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reports import edition
from reports.content import fmt
from reports.content.keys import KeyMessage
from reports.content.model import FigureCtx, SectionCtx
from reports.content.present import format_number, format_value, source_line, unit_label
from reports.content.tables import (
    Row,
    TableCtx,
    about_100_note,
    coverage_note,
    fr_cell,
    france_code_for,
    with_coverage,
)
from reports.content.wording import FAR, METRO, NATIONAL, cap, gap_wording, join
from reports.data.store import Store, Value
from reports.data.territories import Territory
from reports.errors import ConfigError, DataError

#: key messages: candidate indicators (theme, indicator), in page order
KEY_CANDIDATES = (
    ("offre", "O01_p100k"),
    ("offre", "O02_p100k"),
    ("offre", "O05_p100k"),
    ("offre", "O10_p100k"),
    ("offre", "O14_p100k"),
    ("frequentation", "F02"),
    ("frequentation", "F09"),
    ("depenses", "D01_per_inh"),
    ("depenses", "D05_per_inh"),
    ("depenses", "D06_per_inh"),
    ("emploi", "E01_share"),
    ("emploi", "N01_share"),
)
KEY_MESSAGES = 3
#: an intercommunalité's candidates: what its commune-level data supports (ATLAS_SPEC §8)
EPCI_KEY_CANDIDATES = (
    ("offre", "O01_p100k"),
    ("offre", "O02_p100k"),
    ("offre", "O10_p100k"),
    ("offre", "O14_p100k"),
    ("frequentation", "F02"),
    ("frequentation", "F09"),
    ("depenses", "D06_per_inh"),
    ("depenses", "D09_per_inh"),
    ("emploi", "N02_share"),
)
EPCI = "epci"
#: the comparison group of an EPCI type (median and ranks, ATLAS_SPEC §8): plural, short
EPCI_GROUPS = {
    "CC": ("communautés de communes", "CC"),
    "CA": ("communautés d\u2019agglomération", "CA"),
    "CU": ("communautés urbaines et métropoles", "CU et métropoles"),
}
EPCI_TYPE_NAMES = {
    "CC": "Communauté de communes",
    "CA": "Communauté d\u2019agglomération",
    "CU": "Communauté urbaine",
    "METRO": "Métropole",
    "MET69": "Métropole à statut particulier",
}
#: why an indicator has no EPCI value (never apportioned from a coarser level, §8)
EPCI_ND = "non disponible à l\u2019échelle intercommunale (source publiée par département)"


@dataclass(frozen=True)
class Rank:
    rank: int | None  # None: the territory's value is n.d.
    of: int  # territories ranked (n.d. excluded)
    tied: bool = False

    @property
    def known(self) -> bool:
        return self.rank is not None and self.of > 1


def ordinal(rank: int) -> str:
    return f"{rank}{'re' if rank == 1 else 'e'}"


@dataclass
class Portrait:
    """One territory and its references: values, comparison values, ranks, wording."""

    store: Store
    territory: Territory
    region_name: str = ""
    members: list[str] = field(default_factory=list)  # départements of its région
    n_peers: int = 0  # 101 départements or 18 régions (an EPCI: the EPCI of its group)
    peers: list[str] = field(default_factory=list)  # an EPCI: the codes of its group
    group: str = ""  # an EPCI: CC, CA or CU (CU, METRO, MET69)

    @classmethod
    def of(cls, store: Store, territory: Territory) -> Portrait:
        if territory.is_france:
            raise ConfigError(
                "the portrait layout is for a région or a département",
                where="--layout portrait",
                hint="France has the fiche layout (atlas fiche france)",
            )
        t = store.territories
        if territory.is_epci:
            region = str(store.territory("region", territory.region)["name"])
            epcis = store.epcis
            group = str(epcis.loc[territory.code, "group"])
            peers = list(epcis.index[epcis["group"] == group])
            return cls(store, territory, region, [], len(peers), peers, group)
        if territory.is_departement:
            region = str(store.territory("region", territory.region)["name"])
            members = store.departements_of(territory.region)
            peers = int((t["level"] == "departement").sum())
        else:
            region, members = territory.name, store.departements_of(territory.code)
            peers = int((t["level"] == "region").sum())
        return cls(store, territory, region, members, peers)

    # --- who -----------------------------------------------------------------------------
    @property
    def level(self) -> str:
        return self.territory.level

    @property
    def dep(self) -> bool:
        return self.territory.is_departement

    @property
    def epci(self) -> bool:
        return self.territory.is_epci

    @property
    def with_region(self) -> bool:
        """A région column and région ranks: a département of a région of several."""
        return self.dep and len(self.members) > 1

    @property
    def noun(self) -> str:
        return (
            "l\u2019intercommunalité"
            if self.epci
            else "le département"
            if self.dep
            else "la région"
        )

    @property
    def of_noun(self) -> str:
        """``de l’intercommunalité``, ``du département``, ``de la région``."""
        return (
            "de l\u2019intercommunalité"
            if self.epci
            else "du département"
            if self.dep
            else "de la région"
        )

    @property
    def pronoun(self) -> str:
        return "il" if self.dep else "elle"

    @property
    def peers_text(self) -> str:
        if self.epci:
            return EPCI_GROUPS[self.group][0]
        return "départements" if self.dep else "régions"

    # --- values --------------------------------------------------------------------------
    def get(self, ind: str) -> Value:
        if self.epci:  # what commune data does not support is n.d. here, with its note
            try:
                return self.store.get(ind, EPCI, self.territory.code)
            except DataError:
                return Value(ind, EPCI, self.territory.code, None, None, "nd", EPCI_ND)
        return self.store.get(ind, self.level, self.territory.code)

    def departement(self, ind: str) -> Value:
        return self.store.get(ind, "departement", self.territory.departement)

    def median(self, ind: str) -> float | None:
        """The median value of the EPCI of the territory's group (n.d. excluded)."""
        try:
            values = self.store.level_values(ind, EPCI).reindex(self.peers).dropna()
        except DataError:
            return None
        return float(values.median()) if len(values) else None

    def region(self, ind: str) -> Value:
        return self.store.get(ind, "region", self.territory.region)

    def france(self, ind: str) -> Value:
        return self.store.get(ind, "france", france_code_for(self.store, ind))

    def metro(self, ind: str) -> bool:
        return france_code_for(self.store, ind) == "FRM"

    def show(self, v: Value) -> str:
        return format_value(self.store, v)

    def rank(self, ind: str, within_region: bool = False) -> Rank:
        """Rank of the territory's value of ``ind`` among the territories of its level (or the
        départements of its région), descending, competition ranking, n.d. excluded."""
        v = self.get(ind)
        if self.epci and v.year is None:
            return Rank(None, 0)
        values = self.store.level_values(ind, self.level, v.year)
        if within_region:
            values = values.reindex(self.members)
        if self.epci:
            values = values.reindex(self.peers)
        values = values.dropna()
        if v.value is None or self.territory.code not in values.index:
            return Rank(None, len(values))
        x = float(values[self.territory.code])
        return Rank(int((values > x).sum()) + 1, len(values), int((values == x).sum()) > 1)

    def rank_cell(self, r: Rank) -> str:
        """``12e/230``; a shared rank ``94e ex aequo/230`` (137 communautés with no garden share
        the 94th rank: the bare rank would read as the middle of the ranking)."""
        if r.rank is None:
            return fmt.ND
        tied = f"{fmt.NBSP}ex{fmt.NBSP}aequo" if r.tied else ""
        return f"{ordinal(r.rank)}{tied}/{r.of}"

    def rank_words(self, r: Rank, within_region: bool = False) -> str:
        """``12e sur 101 départements`` / ``3e des 12 départements de la région``."""
        if r.rank is None:
            return ""
        tied = " ex aequo" if r.tied else ""
        if within_region:
            return f"{ordinal(r.rank)}{tied} des {r.of} départements de la région"
        return f"{ordinal(r.rank)}{tied} sur {self.rank_of_text(r)}"

    def rank_of_text(self, r: Rank) -> str:
        """``989 communautés de communes`` (the territories ranked, ``renseignées`` if fewer)."""
        filled = "" if r.of == self.n_peers else " renseignés" if self.dep else " renseignées"
        return f"{fmt.fmt_int(r.of)} {self.peers_text}{filled}"

    def ranks_clause(self, ind: str) -> str:
        """`` ; 12e sur 101 départements, 3e des 12 départements de la région``."""
        parts = [self.rank_words(self.rank(ind))]
        if self.with_region:
            parts.append(self.rank_words(self.rank(ind, True), True))
        parts = [p for p in parts if p]
        return " ; " + ", ".join(parts) if parts else ""

    def gap(self, ind: str, feminine: bool = False) -> str:
        """``un niveau nettement supérieur à la moyenne nationale (10,9)``, or ''."""
        v, r = self.get(ind), self.france(ind)
        if v.value is None or not r.value:
            return ""
        reference = METRO if self.metro(ind) else NATIONAL
        return f"{gap_wording(v.value, r.value, feminine, reference)} ({self.show(r)})"

    def label(self, ind: str, year: int | None = None) -> str:
        """``Population (hab., <year>)``: the unit when the label does not say it already."""
        label, unit = self.store.label(ind), unit_label(self.store, ind)
        said = unit.lower() in label.lower() or (
            (unit.startswith("pour ") and " pour " in label)
            or ("/hab." in unit and "par habitant" in label)
            or (unit == "%" and label.startswith(("Part ", "Évolution ")))
        )
        parts = ([unit] if unit and not said else []) + ([str(year)] if year else [])
        return f"{label} ({', '.join(parts)})" if parts else label


# --- tables --------------------------------------------------------------------------------
def _france_cell(p: Portrait, ind: str, notes: list[str]) -> str:
    """France's value (``(métro.)`` for a metro-only indicator); a long scope note goes
    under the table, called by an asterisk."""
    store, fr = p.store, p.france(ind)
    text = format_value(store, fr) + (" (métro.)" if p.metro(ind) else "")
    if fr.value is not None and fr.note:
        text += "\u00a0*"
        notes.append(f"* France, {store.label(ind)[0].lower()}{store.label(ind)[1:]} : {fr.note}.")
    return text


def comparison_table(p: Portrait, tid: str, title: str, inds: list[str]) -> TableCtx:
    """The territory, its région (a département of a région of several), France and the ranks."""
    store, code = p.store, p.territory.code
    if p.epci:
        return _epci_table(p, tid, title, inds)
    if p.dep:
        header = ["Indicateur", "Département"]
        header += ["Région"] if p.with_region else []
        header += ["France", f"Rang parmi les {p.n_peers} départements"]
        header += ["Rang dans la région"] if p.with_region else []
    else:
        header = ["Indicateur", "Région", "France", f"Rang parmi les {p.n_peers} régions"]
    rows = []
    fr_notes: list[str] = []
    for ind in inds:
        v = p.get(ind)
        cells = [p.label(ind, v.year), with_coverage(store, ind, p.level, code, p.show(v))]
        if p.with_region:
            cells.append(
                with_coverage(store, ind, "region", p.territory.region, p.show(p.region(ind)))
            )
        cells += [_france_cell(p, ind, fr_notes), p.rank_cell(p.rank(ind))]
        if p.with_region:
            cells.append(p.rank_cell(p.rank(ind, True)))
        rows.append(Row(cells))
    table = TableCtx(tid, title, header, rows, source_line(store, inds))
    places = [(p.level, code)] + ([("region", p.territory.region)] if p.with_region else [])
    table.notes += coverage_note(store, inds, places) + about_100_note(store, inds, places)
    table.notes += fr_notes
    table.data = tuple((ind, lvl) for ind in inds for lvl in dict.fromkeys((p.level, "region")))
    return table


def _epci_table(p: Portrait, tid: str, title: str, inds: list[str]) -> TableCtx:
    """An EPCI beside its département, its région, France and the median EPCI of its group,
    and its rank in the group; only the indicators commune data supports (others: notes)."""
    store, t = p.store, p.territory
    short = EPCI_GROUPS[p.group][1]
    rank = f"Rang parmi les {fmt.fmt_int(p.n_peers)} {short}"
    header = ["Indicateur", "Intercommunalité", "Département", "Région", "France",
              f"Médiane des {short}", rank]  # fmt: skip
    rows, shown, fr_notes = [], [], []
    for ind in inds:
        v = p.get(ind)
        if v.value is None and v.note == EPCI_ND:
            continue  # not published at this level: said once in the notes
        shown.append(ind)
        france = _france_cell(p, ind, fr_notes)
        median = p.median(ind)
        rows.append(
            Row(
                [
                    p.label(ind, v.year),
                    p.show(v),
                    format_value(store, p.departement(ind)),
                    format_value(store, p.region(ind)),
                    france,
                    fmt.ND if median is None else format_number(store, ind, median),
                    p.rank_cell(p.rank(ind)),
                ]
            )
        )
    table = TableCtx(tid, title, header, rows, source_line(store, shown))
    places = [("departement", t.departement), ("region", t.region)]
    table.notes += about_100_note(store, shown, places) + fr_notes
    table.data = tuple((ind, "departement") for ind in shown)
    return table


#: the member communes listed (most populous first); the others are summed on one row
COMMUNES_LISTED = 24
#: the facility columns of the communes table: (type in epci_points, header)
COMMUNE_COLUMNS = (
    ("musee", "Musées de France"),
    ("bibliotheque", "Biblio\u00adthèques"),
    ("cinema", "Cinémas"),
    ("festival", "Festivals"),
    ("archives", "Archives"),
)


def communes_table(p: Portrait, tid: str) -> TableCtx:
    """The member communes of an EPCI: population and located facilities by commune (the
    facilities of the locator map, placed by commune code)."""
    store, code = p.store, p.territory.code
    members = store.epci_communes
    members = members[members["epci"] == code].copy()
    pts = store.epci_points
    pts = pts[pts["epci"] == code]
    counts = pts.groupby(["commune", "type"]).size().unstack(fill_value=0)
    members = members.sort_values(["population", "name"], ascending=[False, True])
    header = ["Commune", f"Population ({p.get('C01').year})"]
    header += [h for _t, h in COMMUNE_COLUMNS]

    def cells(name: str, pop: float | None, commune_codes: list[str]) -> list[str]:
        out = [name, fmt.ND if pop is None or pop != pop else fmt.fmt_int(pop)]
        for t, _h in COMMUNE_COLUMNS:
            n = int(counts.reindex(index=commune_codes, columns=[t]).fillna(0).to_numpy().sum())
            out.append(fmt.fmt_int(n) if n else "\u2013")
        return out

    rows = []
    listed = members.head(COMMUNES_LISTED)
    for r in listed.itertuples():
        rows.append(Row(cells(f"{r.name} ({r.commune})", r.population, [r.commune])))
    rest = members.iloc[COMMUNES_LISTED:]
    if len(rest):
        rows.append(
            Row(cells(f"Autres communes ({fmt.fmt_int(len(rest))})", rest["population"].sum(),
                      list(rest["commune"])), "sub")
        )  # fmt: skip
    rows.append(Row(cells("Ensemble", members["population"].sum(), list(members["commune"])),
                    "region"))  # fmt: skip
    n = len(members)
    title = f"Les {_count(n) if n < 9 else fmt.fmt_int(n)} communes membres"
    if len(rest):
        title += f" (les {COMMUNES_LISTED} plus peuplées)"
    table = TableCtx(
        tid,
        title,
        header,
        rows,
        "Source : Insee, COG (composition des EPCI) et population ; équipements localisés des "
        "bases du ministère de la Culture et du CNC",
    )
    table.css = "by-territory"
    table.notes.append(
        "Équipements rattachés à la commune par leur code commune (communes fusionnées : "
        "commune nouvelle) ; « \u2013 » : aucun équipement localisé ; cinémas : "
        "établissements actifs."
    )
    return table


#: small numbers in words in a title ("Les cinq départements d'outre-mer")
_WORDS = {2: "deux", 3: "trois", 4: "quatre", 5: "cinq", 6: "six", 7: "sept", 8: "huit"}


def _count(n: int) -> str:
    return _WORDS.get(n, str(n))


def members_table(p: Portrait, tid: str, inds: list[str], totals: bool = True) -> TableCtx | None:
    """The départements of the région side by side (the territory's row set apart), with the
    région and France rows (``totals``); for a région of one département (a DROM), the five
    départements d'outre-mer with the DROM and France rows; None for another région of one
    département."""
    store = p.store
    t = store.territories
    codes, own = p.members, p.territory.code if p.dep else ""
    region_code = p.territory.region if p.dep else p.territory.code
    ref: tuple[str, str, str] = (
        "region",
        region_code,
        str(store.territory("region", region_code)["name"]),
    )
    title = f"Les {_count(len(codes))} départements de la région {p.region_name}"
    if len(codes) < 2:
        if p.territory.kind != "drom":
            return None
        own = codes[0] if codes else own
        codes = list(t[(t["level"] == "departement") & (t["zone"] == "drom")]["code"])
        ref = ("france", "DROM", "Ensemble des DROM")
        title = f"Les {_count(len(codes))} départements d\u2019outre-mer"
    names = t.set_index(["level", "code"])["name"]
    header = ["Département"] + [p.label(i) for i in inds]
    rows = []
    for dep in codes:
        cells = [f"{names[('departement', dep)]} ({dep})"]
        cells += [format_value(store, store.get(i, "departement", dep)) for i in inds]
        rows.append(Row(cells, "region" if dep == own else ""))
    if totals:
        refs = [format_value(store, store.get(i, ref[0], ref[1])) for i in inds]
        rows.append(Row([ref[2], *refs], "france"))
        rows.append(Row(["France"] + [fr_cell(store, p.france(i)) for i in inds], "france"))
    table = TableCtx(tid, title, header, rows, source_line(store, inds))
    table.css = "by-territory"
    table.data = tuple((i, "departement") for i in inds)
    return table


# --- identity ------------------------------------------------------------------------------
def identity(p: Portrait) -> list[tuple[str, str]]:
    """The identity lines of page 1: (label, value)."""
    store = p.store
    out: list[tuple[str, str]] = []
    if p.epci:
        return _epci_identity(p)
    if p.dep:
        out.append(("Région", p.region_name))
    else:
        out.append(("Départements", fmt.fmt_int(len(p.members))))
    pop = p.get("C01")
    text = f"{p.show(pop)}{fmt.NBSP}hab."
    if p.with_region and pop.value:
        share = pop.value / (p.region("C01").value or pop.value) * 100
        text += f", {fmt.fmt_pct(share)} de la région"
    elif pop.value and (fr := p.france("C01").value):
        text += f", {fmt.fmt_pct(pop.value / fr * 100)} de la France"
    out.append((f"Population ({pop.year})" if pop.year else "Population", text))
    dens = p.get("C03")
    dens_text = p.show(dens)
    if dens.value is not None:
        dens_text += (
            f"{fmt.NBSP}hab./km² (France : {format_number(store, 'C03', p.france('C03').value)})"
        )
    out.append(("Densité", dens_text))
    area = p.get("C02")
    if area.value is not None:
        out.append(("Superficie", f"{p.show(area)}{fmt.NBSP}km²"))
    rural = p.get("C05")
    if rural.value is not None:
        out.append(("Population rurale", f"{p.show(rural)} (France : {p.show(p.france('C05'))})"))
    return out


def _epci_identity(p: Portrait) -> list[tuple[str, str]]:
    store, t = p.store, p.territory
    row = store.epci(t.code)
    deps = [d for d in str(row["departements"]).split(";") if d]
    names = store.territories.set_index(["level", "code"])["name"]
    dep_text = ", ".join(f"{names[('departement', d)]} ({d})" for d in deps)
    out = [
        ("Nature", EPCI_TYPE_NAMES.get(t.epci_type, t.epci_type)),
        ("Département" if len(deps) == 1 else "Départements", dep_text),
        ("Région", p.region_name),
        ("Communes membres", fmt.fmt_int(int(row["communes"]))),
    ]
    pop = p.get("C01")
    text = f"{p.show(pop)}{fmt.NBSP}hab."
    dep_pop = p.departement("C01").value
    if pop.value and dep_pop and len(deps) == 1:
        text += f", {fmt.fmt_pct(pop.value / dep_pop * 100)} du département"
    out.append((f"Population ({pop.year})" if pop.year else "Population", text))
    rural = p.get("C05")
    if rural.value is not None:
        out.append(("Population rurale", f"{p.show(rural)} (France : {p.show(p.france('C05'))})"))
    out.append(("SIREN", t.code))
    return out


# --- key messages --------------------------------------------------------------------------
def key_messages(p: Portrait) -> list[KeyMessage]:
    """3 messages by salience (ATLAS_SPEC §10): the largest relative gaps to France
    (|Δ| > 20 %), first or last ranks; one per theme, in page order."""
    found: list[tuple[float, float, int, str, KeyMessage]] = []
    for order, (theme, ind) in enumerate(EPCI_KEY_CANDIDATES if p.epci else KEY_CANDIDATES):
        try:
            v, r = p.get(ind), p.france(ind)
        except DataError:  # not published at this level
            continue
        if not v.value or not r.value:  # n.d., or none at all (a zero is no message)
            continue
        delta = v.value / r.value - 1
        rank = p.rank(ind)
        score = abs(delta) if abs(delta) > FAR else 0.0
        if rank.rank is not None and rank.of > 2 and rank.rank in (1, rank.of):
            score += 1.0
        text = f"{p.show(v)}, un niveau {p.gap(ind)}{p.ranks_clause(ind)}."
        found.append((score, abs(delta), order, theme, KeyMessage(p.store.label(ind), text)))
    chosen: list[tuple[float, float, int, str, KeyMessage]] = []
    for c in sorted(found, key=lambda c: (-c[0], -c[1], c[2])):
        if len(chosen) < KEY_MESSAGES and all(k[3] != c[3] for k in chosen):
            chosen.append(c)
    return [c[4] for c in sorted(chosen, key=lambda c: c[2])]


# --- sentences -----------------------------------------------------------------------------
def _count_list(p: Portrait, items: list[tuple[str, str, str]]) -> str:
    """``45 musées de France, 120 bibliothèques municipales et 60 festivals`` (known only)."""
    parts = []
    for ind, one, many in items:
        v = p.get(ind)
        if v.value:  # a zero is not listed ("0 jardin remarquable")
            parts.append(f"{p.show(v)} {one if v.value < 2 else many}")
    return join(parts)


def _ratio_sentence(
    p: Portrait, ind: str, lead: str, feminine: bool = False, suffix: str = ""
) -> str:
    """``{lead} {value}{suffix}, un niveau {gap} (France){ranks}.``; '' when n.d."""
    v = p.get(ind)
    if v.value is None:
        return ""
    gap = p.gap(ind, feminine)
    gap_text = f", {'une part' if feminine else 'un niveau'} {gap}" if gap else ""
    return f"{lead} {p.show(v)}{suffix}{gap_text}{p.ranks_clause(ind)}."


def _best_worst(p: Portrait, inds: list[str]) -> str:
    """Where the territory ranks best and worst among the ratios ``inds``."""
    ranked = [(p.rank(i), i) for i in inds]
    ranked = [(r, i) for r, i in ranked if r.rank is not None and r.of > 2]
    if len(ranked) < 2:
        return ""
    best = min(ranked, key=lambda x: (x[0].rank / x[0].of, inds.index(x[1])))
    worst = max(ranked, key=lambda x: (x[0].rank / x[0].of, -inds.index(x[1])))
    if best[1] == worst[1]:
        return ""

    def name(i: str) -> str:
        label = p.store.label(i)
        label = label.replace(" pour 100 000 habitants", "").replace(" par habitant", "")
        return label[0].lower() + label[1:] if label[1:2].islower() else label

    worst_rank, worst_ind = worst
    if p.get(worst_ind).value == 0:  # last ex aequo of all the zeros: said as such
        others = worst_rank.of - worst_rank.rank  # the lowest value: every tie is a zero
        worst_words = "valeur nulle"
        if others:
            autres = "autre" if others == 1 else "autres"
            worst_words += f", comme pour {fmt.fmt_int(others)} {autres} des "
            worst_words += p.rank_of_text(worst_rank)
    else:
        worst_words = p.rank_words(worst_rank)
    return (
        "Rapportée à sa population, son offre est la mieux classée pour les "
        f"{name(best[1])} ({p.rank_words(best[0])}) et la moins bien pour les "
        f"{name(worst_ind)} ({worst_words})."
    )


def offre(p: Portrait) -> list[str]:
    counts = _count_list(
        p,
        [
            ("O01", "musée de France", "musées de France"),
            ("O02", "bibliothèque municipale", "bibliothèques municipales"),
            ("O10", "festival", "festivals"),
            ("O13", "jardin remarquable", "jardins remarquables"),
            ("O14", "site patrimonial remarquable", "sites patrimoniaux remarquables"),
        ],
    )
    first = f"{cap(p.noun)} compte {counts}." if counts else ""
    o01 = p.get("O01_p100k").value
    if o01 == 0:
        first += f" {cap(p.pronoun)} ne compte aucun musée de France."
    museums = (
        ""
        if o01 == 0
        else _ratio_sentence(
            p,
            "O01_p100k",
            f"{cap(p.pronoun)} dispose de",
            suffix=f" musée{'s' if o01 is not None and o01 >= 2 else ''} de France pour 100 000 "
            "habitants",
        )
    )
    ratios = ["O01_p100k", "O02_p100k", "O05_p100k", "O09_p100k", "O10_p100k", "O13_p100k"]
    ratios = [i for i in ratios if not (p.territory.kind == "drom" and p.metro(i))]
    first_par = " ".join(s for s in (first, museums) if s)
    second = _best_worst(p, ratios)
    screens = p.get("O05")
    if screens.value is None and p.metro("O05"):
        second += (
            " Les données du CNC sur les écrans de cinéma couvrent la seule France "
            "métropolitaine : elles sont non disponibles (n.d.) ici."
        )
    return [s.strip() for s in (first_par, second) if s.strip()]


def frequentation(p: Portrait) -> list[str]:
    out: list[str] = []
    f01, f02 = p.get("F01"), p.get("F02")
    if f01.value is not None:
        year = f" en {f01.year}" if f01.year else ""
        sentence = f"Les musées de France {p.of_noun} ont reçu "
        sentence += f"{p.show(f01)} entrées{year}"
        if f02.value is not None:
            gap = p.gap("F02")
            sentence += f", soit {p.show(f02)} par habitant"
            sentence += f", un niveau {gap}" if gap else ""
            sentence += p.ranks_clause("F02")
        out.append(sentence + ".")
        f03 = p.get("F03")
        fr3 = p.france("F03")
        if f03.value is not None and fr3.value is not None:
            out[-1] += (
                f" Leur fréquentation a évolué de {fmt.fmt_pct(f03.value, 1, sign=True)} depuis "
                f"{edition.current().year('museums_base')}, contre "
                f"{fmt.fmt_pct(fr3.value, 1, sign=True)} en France."
            )
    elif f01.status == "so":
        pass  # no museum: the offre paragraph says so
    elif f01.note:
        out.append(f"Fréquentation des musées : non disponible ({f01.note}).")
    f09 = p.get("F09")
    if f09.value == 0 and p.get("O04").value == 0:
        out.append(f"{cap(p.noun)} ne compte aucun établissement cinématographique actif.")
    elif f09.value is not None:
        out.append(
            _ratio_sentence(
                p,
                "F09",
                "Les salles de cinéma ont enregistré",
                suffix=" entrée" + ("s" if f09.value >= 2 else "") + " par habitant",
            )
        )
    elif p.metro("F09"):
        out.append(
            "La fréquentation des salles de cinéma (CNC) n\u2019est connue que pour la France "
            "métropolitaine."
        )
    return [" ".join(out)] if out else []


def depenses(p: Portrait) -> list[str]:
    out: list[str] = []
    d01 = p.get("D01_per_inh")
    if d01.value is not None:
        year = f"En {d01.year}, l" if d01.year else "L"
        where = "dans le département" if p.dep else "dans la région"
        out.append(
            _ratio_sentence(
                p,
                "D01_per_inh",
                f"{year}es dépenses culturelles du ministère {where} s\u2019élèvent à",
                suffix=" par habitant",
            )
        )
    parts = []
    for ind, who in (
        ("D05_per_inh", "le conseil départemental" if p.dep else "les départements"),
        ("D06_per_inh", "les communes de plus de 3 500 habitants"),
        ("D09_per_inh", "l\u2019intercommunalité elle-même" if p.epci else "les intercommunalités"),
    ):
        v = p.get(ind)
        if v.value is not None:
            parts.append(f"de {p.show(v)} pour {who} ({p.show(p.france(ind))} en France)")
    if parts:
        out.append(f"Par habitant, la dépense culturelle des collectivités est {join(parts)}.")
    if p.epci:
        d06, d09 = p.get("D06"), p.get("D09")
        if d06.status == "so":
            out.append(f"{cap(p.noun)} ne compte aucune commune de plus de 3 500 habitants.")
        if d09.value is None and d09.note:
            out.append(f"Ses propres dépenses culturelles ne sont pas connues ({d09.note}).")
    d05 = p.get("D05_per_inh")
    if p.dep and d05.value is None and d05.note:
        mark = "sans objet" if d05.status == "so" else "non disponibles"
        out.append(f"Les dépenses du conseil départemental sont {mark} : {d05.note}.")
    return [" ".join(s for s in out if s)] if out else []


def emploi(p: Portrait) -> list[str]:
    out: list[str] = []
    e01 = p.get("E01")
    if e01.value is not None:
        out.append(
            _ratio_sentence(
                p,
                "E01_share",
                f"{cap(p.noun)} compte {p.show(e01)} actifs exerçant une profession culturelle, "
                "soit",
                feminine=True,
                suffix=" de l\u2019emploi",
            )
        )
    n01 = p.get("N01")
    if n01.value is not None:
        out.append(
            _ratio_sentence(
                p,
                "N01_share",
                f"Les {p.show(n01)} entreprises culturelles marchandes représentent",
                feminine=True,
                suffix=" des entreprises marchandes",
            )
        )
    n02 = p.get("N02")
    if p.epci and n02.value is not None:
        many = "s" if n02.value >= 2 else ""
        out.append(
            _ratio_sentence(
                p,
                "N02_share",
                f"Les secteurs culturels marchands emploient {p.show(n02)} salarié{many}, soit",
                feminine=True,
                suffix=" des salariés du secteur marchand",
            )
        )
    if not out:
        e = p.get("E01_share")
        if e.note:
            out.append(f"Emploi culturel : non disponible ({e.note}).")
    return [" ".join(out)] if out else []


SENTENCES = {
    "offre": offre,
    "frequentation": frequentation,
    "depenses": depenses,
    "emploi": emploi,
}


# --- the page model ------------------------------------------------------------------------
@dataclass
class PortraitSectionCtx(SectionCtx):
    """A portrait section: a :class:`SectionCtx` with the identity lines and the locator map
    of page 1 (the locator is not among ``figures``: its data is the population, printed in
    the key figures, and the figure CSVs of :mod:`reports.render.attachments` are per région)."""

    facts: list[tuple[str, str]] = field(default_factory=list)
    locator: FigureCtx | None = None
