"""The checker's report: findings grouped by page, then a count per rule.

::

    atlas check output/atlas.pdf: 234 pages, 1 203 findings (8.1 s)
    p. 2
      placeholder        placeholder “[à compléter]” in “publication [à compléter] Conception”
    p. 10
      figure-scaled      “M02 Densité de population…” placed at 386 ppi, drawn at 200 dpi: …
    …
    exempt from page-empty: p. 1 cover, p. 33 notes, p. 233 blank, p. 234 cover
    rule                 findings  occurrences
    page-empty                 33           33
    …
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from reports.proof.rules import RULES, Finding


@dataclass
class Report:
    path: Path
    pages: int
    findings: list[Finding] = field(default_factory=list)
    exempt: dict[int, str] = field(default_factory=dict)  # page → reason (page-empty)
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        return not self.findings

    def counts(self) -> dict[str, tuple[int, int]]:
        """``rule → (findings, occurrences)`` for every rule, in report order."""
        findings = Counter(f.rule for f in self.findings)
        occurrences: Counter[str] = Counter()
        for f in self.findings:
            occurrences[f.rule] += f.count
        return {rule: (findings[rule], occurrences[rule]) for rule in RULES}


def _n(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


def format_report(report: Report, *, summary_only: bool = False) -> str:
    lines = [
        f"atlas check {report.path}: {report.pages} pages, {_n(len(report.findings))} "
        f"finding{'s' if len(report.findings) != 1 else ''} ({report.seconds:.1f} s)"
    ]
    if not summary_only:
        width = max(len(r) for r in RULES)
        page = None
        for f in sorted(report.findings, key=lambda f: f.page):
            if f.page != page:
                page = f.page
                lines.append(f"p. {page}")
            lines.append(f"  {f.rule:<{width}}  {f.message}")
    if report.exempt:
        listed = ", ".join(f"p. {p} {why}" for p, why in sorted(report.exempt.items()))
        lines.append(f"exempt from page-empty: {listed}")
    lines.append(f"{'rule':<20} {'findings':>8} {'occurrences':>12}  about")
    for rule, (n, occurrences) in report.counts().items():
        lines.append(f"{rule:<20} {_n(n):>8} {_n(occurrences):>12}  {RULES[rule][1]}")
    return "\n".join(lines)
