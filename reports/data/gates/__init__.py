"""Quality gates run by ``atlas data build`` on the derived tables before they replace ``data/``.

ATLAS_SPEC §3.9 (last point) and docs/DATA.md "Quality gates". Each gate is a small function
(or a rule object) that looks at the tables about to be written and returns one or more
:class:`Result`: what was checked, the figure it found ("1 221 rows, 0 duplicates"), the
offending values when it fails, and warnings for what the spec wants *noted* rather than
refused. :func:`run_gates` runs them all in order; :func:`raise_on_failure` turns the first
failing result into a :class:`~reports.errors.DataError` naming the source file, the rule and
the first offending values, so the build stops before anything is written. Every result
(with its figure) is listed in ``data/BUILD.md`` and ``data/manifest.json``.

The gates:

* ``row counts``: rows read and kept per source file against the previous
  ``data/manifest.json``; a loss above 20 % or a doubling fails unless ``--accept-changes``;
* ``unique keys``: source identifiers (Muséofile id, facility ids, territory codes, …);
* ``non-negative``: counts, entries, populations, shares and amounts (spending amounts above
  −1 €, or −0.01 for ratios, are listed as warnings: source markers and accounting corrections);
* ``shares ≤ 100 %`` and ``coverage ≤ 100 %`` (§3.9 "coverage above 100 %": up to 102 % is a
  warning, printed "≈ 100 %"; more fails);
* ``Σ départements = région`` and ``Σ régions = France`` for additive indicators;
* ``RP plausibility`` (§3.9 Mayotte employment): a région outside 20–60 actifs per 100
  inhabitants must be n.d. (the emploi reader does it; a value left fails), a département
  outside is a warning (Paris); more actifs than inhabitants or more cultural actifs than
  actifs fails;
* ``library surface`` (§3.9 O03 Mayotte: a value without any known surface fails) and
  ``attendance change`` (§3.9 museum evolutions).

Modules: :mod:`.base` (sources, thresholds, results), :mod:`.keys` (rows and keys),
:mod:`.sums` (bounds and sums), :mod:`.plausibility` (§3.9); this module runs them.
"""

from __future__ import annotations

from reports.data.gates.base import FIRST, Gate, GateInput, Result
from reports.data.gates.keys import UNIQUE_KEYS, non_negative, row_counts
from reports.data.gates.plausibility import attendance_change, library_surface, rp_plausibility
from reports.data.gates.sums import additive_sums, coverage_at_most_100, shares_at_most_100
from reports.errors import DataError

__all__ = ["GATES", "GateInput", "Result", "raise_on_failure", "run_gates", "warnings_of"]

GATES: list[Gate] = [
    row_counts,
    *UNIQUE_KEYS,
    non_negative,
    shares_at_most_100,
    coverage_at_most_100,
    additive_sums,
    rp_plausibility,
    library_surface,
    attendance_change,
]


# --- running ---------------------------------------------------------------------------------


def run_gates(inp: GateInput, gates: list[Gate] | None = None) -> list[Result]:
    """Every gate's results, in order (nothing raised: see :func:`raise_on_failure`)."""
    return [result for gate in (gates or GATES) for result in gate(inp)]


def raise_on_failure(results: list[Result]) -> None:
    """The first failing result as a DataError naming source file, rule and offending values."""
    failed = [r for r in results if r.failures]
    if not failed:
        return
    first = failed[0]
    shown = "; ".join(first.failures[:FIRST])
    more = len(first.failures) - FIRST
    message = f"quality gate “{first.gate}” failed on {first.subject}: {shown}"
    if more > 0:
        message += f" (+{more} more)"
    if len(failed) > 1:
        others = ", ".join(f"{r.gate} ({r.subject.split(':')[0]})" for r in failed[1:4])
        message += f"; also failing: {others}"
    raise DataError(message, where=first.source or "derived tables", hint=first.hint)


def warnings_of(results: list[Result]) -> list[str]:
    return [w for r in results for w in r.warnings]
