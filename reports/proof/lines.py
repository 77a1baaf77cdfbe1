"""Printed lines from text runs, and the running text of a page.

Runs are taken in content-stream order (WeasyPrint paints in document order, so a column,
a table cell or a paragraph comes out whole). A run continues the current line when it sits
on the same baseline (within 0.45 em: superscripts) and starts where the previous one ends
(within 0.6 em); otherwise it starts a new line. A column gutter (4 mm) or a table cell gap
is wider than that, so each column and each cell gives lines of its own.

The page text joins the lines with newlines, except after an automatic hyphenation (a line
ending with U+2010 HYPHEN, what WeasyPrint draws when it breaks a word): the word is then
joined up again, so searches see "habitants", not "habi‐\\ntants".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from reports.proof.pages import Box, TextRun

SAME_BASELINE_EM = 0.45
MAX_GAP_EM = 0.6
AUTO_HYPHEN = "\u2010"


@dataclass
class Line:
    runs: list[TextRun] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)

    @property
    def box(self) -> Box:
        return (
            min(r.box[0] for r in self.runs),
            min(r.box[1] for r in self.runs),
            max(r.box[2] for r in self.runs),
            max(r.box[3] for r in self.runs),
        )

    @property
    def size(self) -> float:
        return max(r.size for r in self.runs)

    @property
    def artifact(self) -> bool:
        return all(r.artifact for r in self.runs)


def _continues(line: Line, run: TextRun) -> bool:
    last = line.runs[-1]
    em = max(last.size, run.size, 1.0)
    if abs(run.baseline - last.baseline) > SAME_BASELINE_EM * em:
        return False
    return -0.5 * em <= run.x0 - last.x1 <= MAX_GAP_EM * em


def build_lines(runs: Iterable[TextRun]) -> list[Line]:
    lines: list[Line] = []
    for run in runs:
        if lines and _continues(lines[-1], run):
            lines[-1].runs.append(run)
        else:
            lines.append(Line([run]))
    return lines


def page_text(lines: Iterable[Line]) -> str:
    parts: list[str] = []
    for line in lines:
        text = line.text
        if text.rstrip().endswith(AUTO_HYPHEN):
            parts.append(text.rstrip()[:-1])
        else:
            parts.append(text + "\n")
    return "".join(parts)
