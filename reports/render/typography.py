"""French typography of a finished HTML page (DESIGN.md "Words").

Applied once to every rendered template (:func:`reports.render.jinja.render_template`), on
text nodes only (never inside tags, attributes' markup, ``<style>`` or ``<script>``):

* typographic apostrophe ’ instead of ``'`` (also its escaped forms ``&#39;``, ``&#x27;``);
* guillemets bound to the words they enclose by a no-break space (U+00A0: Open Sans has no
  U+202F glyph), so « and » are never split from their word across lines;
* an en dash in year ranges (``yyyy-yyyy`` → ``yyyy–yyyy``);
* a number's thousands bound by a no-break space ("plus de 3 500 habitants" is never cut
  after the 3), as :mod:`reports.content.fmt` writes them;
* in analysis paragraphs, capitalised words (proper nouns: « Auvergne-Rhône-Alpes ») wrapped
  in ``<span class="nh">``, which print.css never hyphenates.
"""

from __future__ import annotations

import re

NBSP = "\u00a0"
APOS = "\u2019"

_TOKEN = re.compile(r"(<!--.*?-->|<[^>]*>)", re.S)
_RAW_OPEN = re.compile(r"<(style|script)\b", re.I)
_APOS = re.compile(r"'|&#39;|&#x27;|&apos;")
_OPEN_Q = re.compile(r"«(?:[ \t\r\n]|&nbsp;|\u202f)*")
_CLOSE_Q = re.compile(r"(?:[ \t\r\n]|&nbsp;|\u202f)*»")
#: a number written with ordinary spaces between its thousands ("3 500", "100 000")
_THOUSANDS = re.compile(r"(?<![\d,.])\d{1,3}(?: \d{3})+(?!\d)")
_YEARS = re.compile(r"(?<![\d\-–])((?:1[89]|20)\d\d)-((?:1[89]|20)\d\d)(?![\d\-])")
#: a capitalised word of at least 5 letters, with its hyphenated parts (Corse-du-Sud)
_NAME = re.compile(
    r"(?<![\w’&#])[A-ZÀ-ÖØ-Þ][\w’]{4,}(?:-[\w’]+)*"
    r"|(?<![\w’&#])[A-ZÀ-ÖØ-Þ][\w’]*(?:-[\w’]+)+"
)
_PROSE_OPEN = re.compile(r"<p\b[^>]*class=\"[^\"]*\banalysis\b", re.I)


def text(s: str) -> str:
    """French typography of a plain text (no markup)."""
    s = _APOS.sub(APOS, s)
    s = _OPEN_Q.sub("«" + NBSP, s)
    s = _CLOSE_Q.sub(NBSP + "»", s)
    s = _THOUSANDS.sub(lambda m: m.group(0).replace(" ", NBSP), s)
    return _YEARS.sub("\\1–\\2", s)


def _names(s: str) -> str:
    return _NAME.sub(lambda m: f'<span class="nh">{m.group(0)}</span>', s)


def html(page: str) -> str:
    """:func:`text` on every text node of ``page``; proper nouns of analysis paragraphs kept
    whole (see the module docstring)."""
    out: list[str] = []
    raw = prose = False
    for i, part in enumerate(_TOKEN.split(page)):
        if i % 2:  # a tag or a comment
            if raw:
                raw = not part.lower().startswith(("</style", "</script"))
            elif _RAW_OPEN.match(part):
                raw = True
            elif _PROSE_OPEN.match(part):
                prose = True
            elif prose and part.lower().startswith("</p"):
                prose = False
            out.append(part)
        elif raw or not part:
            out.append(part)
        else:
            fixed = text(part)
            out.append(_names(fixed) if prose else fixed)
    return "".join(out)
