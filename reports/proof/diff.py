"""``atlas diff OLD.pdf NEW.pdf``: the pages that differ between two builds of a document, so
that a new edition or a layout change is proofread on the pages it touched only.

1. **Text** — ``pdftotext -bbox-layout`` of both PDFs (lines and words with their boxes, pt,
   y down). The folio (a word on the top or bottom edge of a page equal to its number, and
   the page count after it: « page 3 / 12 ») is masked: a page that only moved is not a
   change. Lines found again elsewhere on the other page are *moved*, not changed.
2. **Alignment** — :func:`align`: :class:`difflib.SequenceMatcher` on a digest of each page's
   text pairs the pages whose text is the same; in a run of pages that differ, pages are
   paired in order by the overlap of their word pairs, rare pairs weighing more (a reflowed
   page still pairs with its counterpart), and the rest are *added* or *removed* pages.
3. **Without drawing** — a pair whose content stream and resources are the same (resource
   names aside: they are compared by what they hold) is identical; a pair whose text, word
   boxes and everything outside its text objects are the same, the folio aside, is
   *renumbered* (the folio changed because pages were added or removed before it).
4. **Pixels** — every other pair is drawn (``pdftoppm -gray`` at 40 dpi, two processes,
   the slowest pages first; pages filled with tiny tiling patterns — the sommaire's dot
   leaders, 7 s a page for poppler — are drawn without them, :func:`lighten`) and compared;
   connected changed areas (cells of 2.5 mm, merged across 5 mm) are outlined in red on a
   contact sheet (:mod:`reports.proof.contact`). Changes under changed or moved lines of
   text are the text change; what is left is an *image* change, located on the page and
   named by the caption of the figure (an image placed there) or table it is in.

Two atlases of 239 pages: about 6 s when a few dozen pages differ, 13 s when every page
must be drawn (2 cores).

The result is one line per changed page (:func:`format_report`); ``atlas diff`` exits 1 when
anything differs, as ``diff`` does.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import html
import math
import re
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pikepdf

from reports.errors import ReportsError

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 (pt, or px on a raster), y down

DPI = 40  # rasters to compare: an A4 page is 331 × 468 px
WORKERS = 2  # pdftoppm processes
LEVEL = 40  # a pixel changed when its grey level moved by more than this (0–255)
EDGE = 0.06  # share of the page height at the top and bottom (margins: 17 mm) for folios
CAPTION = re.compile(r"^(Carte|Graphique|Tableau|Figure)\s+\d+", re.IGNORECASE)
KINDS = {"carte": "map", "graphique": "chart", "tableau": "table", "figure": "figure"}


# --- text ------------------------------------------------------------------------------------
@dataclass
class Line:
    text: str  # words joined by one space, the folio masked as "#"
    box: Box
    words: list[tuple[str, Box]] = field(default_factory=list)


@dataclass
class PageText:
    number: int  # 1-based
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)
    folio: Box | None = None  # the folio's word box, when the page prints its number
    #: running heads and footers (lines in the top and bottom :data:`EDGE` bands): page
    #: furniture, left out of the comparison (an edition label changes it on every page)
    furniture: list[Line] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return [line.text for line in self.lines]

    @property
    def key(self) -> str:
        return hashlib.blake2b("\n".join(self.texts).encode(), digest_size=12).hexdigest()

    def pairs(self) -> set[tuple[str, str]]:
        words = " ".join(self.texts).split()
        return (
            set(zip(words, words[1:], strict=False)) if len(words) > 1 else {(w, "") for w in words}
        )

    def title(self) -> str:
        """The largest line inside the page (running heads and folios left out), the
        first of them: its heading, or the caption of its first figure."""
        body = [
            ln
            for ln in self.lines
            if EDGE * self.height < (ln.box[1] + ln.box[3]) / 2 < (1 - EDGE) * self.height
            and re.search(r"\w\w", ln.text)
        ]
        if not body:
            return self.lines[0].text if self.lines else "(blank page)"
        return max(body, key=lambda ln: (round(ln.box[3] - ln.box[1]), -ln.box[1])).text


_TOKENS = re.compile(
    r'<page width="([-\d.]+)" height="([-\d.]+)">'
    r'|<line xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">'
    r'|<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">([^<]*)</word>'
)


def parse_bbox(text: str) -> list[PageText]:
    """Pages of ``pdftotext -bbox-layout`` output: lines of words with their boxes."""
    pages: list[PageText] = []
    line: Line | None = None
    for m in _TOKENS.finditer(text):
        if m.group(1) is not None:
            pages.append(PageText(len(pages) + 1, float(m.group(1)), float(m.group(2))))
            line = None
        elif m.group(3) is not None and pages:
            box = (float(m.group(3)), float(m.group(4)), float(m.group(5)), float(m.group(6)))
            line = Line("", box)
            pages[-1].lines.append(line)
        elif line is not None:
            word = html.unescape(m.group(11)).replace("\u00a0", " ").strip()
            if word:
                box = tuple(float(m.group(i)) for i in range(7, 11))
                line.words.append((word, box))  # type: ignore[arg-type]
    for page in pages:
        page.lines = [ln for ln in page.lines if ln.words]
        _mask_folio(page, len(pages))
        for ln in page.lines:
            ln.text = " ".join(w for w, _ in ln.words)
        body = [ln for ln in page.lines if not _on_edge(ln.box, page.height)]
        page.furniture = [ln for ln in page.lines if _on_edge(ln.box, page.height)]
        page.lines = body
    return pages


def _on_edge(box: Box, height: float) -> bool:
    """A line in the top or bottom band of the page: a running head or footer."""
    cy = (box[1] + box[3]) / 2
    return not EDGE * height <= cy <= (1 - EDGE) * height


def _mask_folio(page: PageText, count: int) -> None:
    """The word on the top or bottom edge that is the page's number becomes "#", and so does
    the page count after it (« page 3 / 12 »): a page that only moved is not a change."""
    number, total = str(page.number), str(count)
    for ln in sorted(page.lines, key=lambda ln: -ln.box[1]):  # the foot first
        cy = (ln.box[1] + ln.box[3]) / 2
        if EDGE * page.height <= cy <= (1 - EDGE) * page.height:
            continue
        words = ln.words
        for i, (word, _box) in enumerate(words):
            if word not in (number, f"{number}/{total}"):
                continue
            marks = [i]
            if word == number and [w for w, _ in words[i + 1 : i + 3]] == ["/", total]:
                marks += [i + 1, i + 2]
            boxes = [words[k][1] for k in marks]
            for k in marks:
                words[k] = ("#", words[k][1])
            page.folio = (
                min(b[0] for b in boxes),
                min(b[1] for b in boxes),
                max(b[2] for b in boxes),
                max(b[3] for b in boxes),
            )
            return


def _tool(args: list[str], stdout=subprocess.PIPE, stderr=subprocess.PIPE) -> subprocess.Popen:
    try:
        return subprocess.Popen(args, stdout=stdout or subprocess.DEVNULL, stderr=stderr)
    except FileNotFoundError:
        raise ReportsError(
            f"{args[0]} not found", hint="install poppler-utils (apt-get install poppler-utils)"
        ) from None


def read_texts(paths: list[Path]) -> list[list[PageText]]:
    """The pages of each PDF as :func:`parse_bbox` reads them (one pdftotext per PDF, at once)."""
    procs = [_tool(["pdftotext", "-bbox-layout", "-enc", "UTF-8", str(p), "-"]) for p in paths]
    out = []
    try:
        for path, proc in zip(paths, procs, strict=True):
            stdout, stderr = proc.communicate()
            if proc.returncode != 0:
                first = (stderr.decode(errors="replace").strip().splitlines() or ["?"])[0]
                raise ReportsError(f"pdftotext cannot read it: {first}", where=str(path))
            out.append(parse_bbox(stdout.decode("utf-8", errors="replace")))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return out


# --- alignment -------------------------------------------------------------------------------
def _similarity(a: set, b: set, weight: dict) -> float:
    """Weighted Jaccard overlap of two pages' word pairs: a pair printed on few pages (a
    heading, a caption) weighs more than one printed on every page (a legend, a région)."""
    if not a and not b:
        return 1.0
    union = sum(weight.get(x, 1.0) for x in a | b)
    return sum(weight.get(x, 1.0) for x in a & b) / union if union else 1.0


def _pair_run(old: list[PageText], new: list[PageText], weight: dict, threshold: float = 0.3):
    """Pages of a run that differ, paired in order by word-pair overlap (a dynamic programme
    maximising the summed similarity); the others are added or removed."""
    n, m = len(old), len(new)
    if n * m > 250_000:  # a whole different document: by position
        k = min(n, m)
        return (
            [(old[i], new[i]) for i in range(k)]
            + [(p, None) for p in old[k:]]
            + [(None, p) for p in new[k:]]
        )
    a = [p.pairs() for p in old]
    b = [p.pairs() for p in new]
    sim = [[_similarity(a[i], b[j], weight) for j in range(m)] for i in range(n)]
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            best = max(score[i + 1][j], score[i][j + 1])
            if sim[i][j] >= threshold:
                best = max(best, score[i + 1][j + 1] + sim[i][j])
            score[i][j] = best
    out: list[tuple[PageText | None, PageText | None]] = []
    i = j = 0
    while i < n and j < m:
        if sim[i][j] >= threshold and score[i][j] == score[i + 1][j + 1] + sim[i][j]:
            out.append((old[i], new[j]))
            i, j = i + 1, j + 1
        elif score[i][j] == score[i + 1][j]:
            out.append((old[i], None))
            i += 1
        else:
            out.append((None, new[j]))
            j += 1
    out += [(p, None) for p in old[i:]] + [(None, p) for p in new[j:]]
    # a run of equal length whose pages were left unpaired (a change on every page)
    if n == m and not any(o and w for o, w in out):
        return list(zip(old, new, strict=True))
    return out


def align(old: list[PageText], new: list[PageText]):
    """(old page, new page) pairs in order; None on one side: a page added or removed."""
    matcher = difflib.SequenceMatcher(
        None, [p.key for p in old], [p.key for p in new], autojunk=False
    )
    opcodes = matcher.get_opcodes()
    weight: dict = {}
    if any(op != "equal" for op, *_ in opcodes):  # rare word pairs weigh more
        counts = Counter(x for page in [*old, *new] for x in page.pairs())
        pages = len(old) + len(new)
        weight = {x: math.log(1 + pages / k) for x, k in counts.items()}
    out: list[tuple[PageText | None, PageText | None]] = []
    for op, i1, i2, j1, j2 in opcodes:
        if op == "equal":
            out += list(zip(old[i1:i2], new[j1:j2], strict=True))
        else:
            out += _pair_run(old[i1:i2], new[j1:j2], weight)
    return out


# --- text changes ----------------------------------------------------------------------------
@dataclass
class TextChange:
    changed: int = 0  # lines
    moved: int = 0  # lines with the same text at another place
    old_boxes: list[Box] = field(default_factory=list)  # changed or moved lines, pt
    new_boxes: list[Box] = field(default_factory=list)
    sample: str = ""  # «first changed words» → «their replacement»

    def __bool__(self) -> bool:
        return bool(self.changed)


def _quote(words: list[str], limit: int = 7) -> str:
    text = " ".join(words[:limit]) + (" …" if len(words) > limit else "")
    return f"«{text}»"


def _sample(old: list[str], new: list[str]) -> str:
    """The first changed words of a changed block of lines: «old» → «new»."""
    a, b = " ".join(old).split(), " ".join(new).split()
    ops = [op for op in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()]
    changed = [op for op in ops if op[0] != "equal"]
    if not changed:
        return ""
    first = changed[0]
    # the span of the changes that begin within a few words of the first one
    last = first
    for op in changed[1:]:
        if op[1] - first[1] > 8 or op[3] - first[3] > 8:
            break
        last = op
    i1, i2, j1, j2 = first[1], last[2], first[3], last[4]
    if i2 - i1 <= 2 and j2 - j1 <= 2 and i1 > 0 and j1 > 0:  # «7» → «5»: «Carte 7» → «Carte 5»
        i1, j1 = i1 - 1, j1 - 1
    if i1 == i2:
        return f"+{_quote(b[j1:j2])}"
    if j1 == j2:
        return f"−{_quote(a[i1:i2])}"
    return f"{_quote(a[i1:i2])} → {_quote(b[j1:j2])}"


def _moved(a: Box, b: Box, slack: float = 0.5) -> bool:
    return any(abs(u - v) > slack for u, v in zip(a, b, strict=True))


def compare_text(old: PageText, new: PageText) -> TextChange:
    """Lines added, removed or changed, and lines moved: a line whose text is found again
    elsewhere on the other page (the reading order of pdftotext follows the layout) is a
    move, not a change."""
    a, b = old.texts, new.texts
    change = TextChange()
    blocks: list[tuple[list[int], list[int]]] = []  # (old lines, new lines) left unmatched
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            for k in range(i2 - i1):
                ob, nb = old.lines[i1 + k].box, new.lines[j1 + k].box
                if _moved(ob, nb):
                    change.moved += 1
                    change.old_boxes.append(ob)
                    change.new_boxes.append(nb)
        else:
            blocks.append((list(range(i1, i2)), list(range(j1, j2))))
    spare: dict[str, list[int]] = {}  # new lines left unmatched, by text
    for _, js in blocks:
        for j in js:
            spare.setdefault(b[j], []).append(j)
    found: set[int] = set()
    for is_, _ in blocks:
        for i in list(is_):
            if spare.get(a[i]):
                j = spare[a[i]].pop(0)
                found.add(j)
                is_.remove(i)
                ob, nb = old.lines[i].box, new.lines[j].box
                if _moved(ob, nb):
                    change.moved += 1
                    change.old_boxes.append(ob)
                    change.new_boxes.append(nb)
    removed = added = 0
    for is_, js in blocks:
        js = [j for j in js if j not in found]
        removed, added = removed + len(is_), added + len(js)
        change.old_boxes += [old.lines[i].box for i in is_]
        change.new_boxes += [new.lines[j].box for j in js]
        if not change.sample and (is_ or js):
            change.sample = _sample([a[i] for i in is_], [b[j] for j in js])
    change.changed = max(removed, added)
    return change


def _same_words(old: PageText, new: PageText, slack: float = 0.05) -> bool:
    """The same words at the same places, the folio aside."""
    a = [(w, b) for ln in old.lines for w, b in ln.words if w != "#"]
    c = [(w, b) for ln in new.lines for w, b in ln.words if w != "#"]
    if len(a) != len(c):
        return False
    return all(w == v and not _moved(b, d, slack) for (w, b), (v, d) in zip(a, c, strict=True))


# --- drawing-free identity -------------------------------------------------------------------
_SKIP_KEYS = {"/Parent", "/P", "/StructParent", "/StructParents", "/Length", "/Annots"}
_NAME = re.compile(rb"/([^\s/\[\]()<>{}%]+)")
_TEXT_OBJECT = re.compile(rb"\bBT\b.*?\bET\b", re.DOTALL)
_GLYPHS = re.compile(
    rb"\[(?:<[0-9A-Fa-f\s]*>|\((?:\\.|[^\\)])*\)|[-\d.\s])*\]\s*TJ"  # [<0012>-9<0013>] TJ
    rb"|(?:<[0-9A-Fa-f\s]*>|\((?:\\.|[^\\)])*\))\s*(?:Tj|'|\")"  # <0012> Tj
    rb"|(?:-?[\d.]+\s+){6}Tm|(?:-?[\d.]+\s+){2}T[dD]"  # where a run starts
)


def without_glyphs(drawing: bytes) -> bytes:
    """The drawing with the glyphs of its text objects and where they start left out: what
    is left (colours, fonts, sizes, everything outside text) is the same when only a folio
    changed."""
    return _TEXT_OBJECT.sub(lambda m: _GLYPHS.sub(b"_", m.group(0)), drawing)


_SUBSET = re.compile(r"^/[A-Z]{6}\+")


class Signatures:
    """What a page draws, as bytes to compare with another PDF's page: its content stream
    with every resource name replaced by a digest of what the resource holds (images, forms,
    patterns, graphics states; a font by its name, its subset prefix aside: which glyphs are
    embedded depends on the whole document)."""

    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self.pdf = pdf
        self.memo: dict[tuple[int, int], bytes | None] = {}
        self.cache: dict[int, bytes] = {}

    def digest(self, obj, depth: int = 0) -> bytes:
        if depth > 40:
            return b"deep"
        key = obj.objgen if isinstance(obj, pikepdf.Object) and obj.is_indirect else None
        if key is not None and key in self.memo:
            return self.memo[key] or b"cycle"
        if key is not None:
            self.memo[key] = None
        h = hashlib.blake2b(digest_size=16)
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            if obj.get("/Type") == pikepdf.Name.Font:
                h.update(b"font")
                for name in ("/Subtype", "/BaseFont", "/Encoding"):
                    value = obj.get(name)
                    h.update(_SUBSET.sub("/", str(value)).encode() if value is not None else b"-")
            else:
                h.update(b"S" if isinstance(obj, pikepdf.Stream) else b"D")
                for k in sorted(obj.keys()):
                    if k not in _SKIP_KEYS:
                        h.update(k.encode() + self.digest(obj[k], depth + 1))
                if isinstance(obj, pikepdf.Stream):
                    h.update(obj.read_raw_bytes())
        elif isinstance(obj, pikepdf.Array):
            h.update(b"A")
            for item in obj:
                h.update(self.digest(item, depth + 1))
        else:
            h.update(type(obj).__name__.encode() + repr(obj).encode())
        out = h.digest()
        if key is not None:
            self.memo[key] = out
        return out

    def content(self, number: int) -> bytes:
        """The page's drawing, resource names replaced by digests (cached)."""
        if number in self.cache:
            return self.cache[number]
        page = self.pdf.pages[number - 1].obj
        raw = _raw_content(page)
        names: dict[bytes, bytes] = {}
        resources = page.get("/Resources")
        if resources is not None:
            for kind in resources:
                entries = resources[kind]
                if isinstance(entries, pikepdf.Dictionary):
                    for k in entries:
                        names[k[1:].encode()] = b"/_" + self.digest(entries[k]).hex().encode()
        drawing = _NAME.sub(lambda m: names.get(m.group(1), m.group(0)), raw)
        geometry = repr(
            [list(page.get(k, [])) for k in ("/MediaBox", "/CropBox", "/TrimBox", "/Rotate")]
        ).encode()
        self.cache[number] = out = geometry + b"\n" + drawing
        return out


# --- pixels ----------------------------------------------------------------------------------
_PAINT = re.compile(rb"/([^\s/\[\]()<>{}%]+)\s+(?:scn|SCN)\b")


def _raw_content(page: pikepdf.Dictionary) -> bytes:
    contents = page.get("/Contents")
    if contents is None:
        return b""
    if isinstance(contents, pikepdf.Array):
        return b"\n".join(c.read_bytes() for c in contents)
    return contents.read_bytes()


def _cost(pdf: pikepdf.Pdf, number: int) -> float:
    """A guess of how long a page takes to draw, in pages: poppler draws a tiling pattern
    tile by tile, and the sommaire's dot leaders are tiles of 2 × 0.5 px (7 s a page)."""
    page = pdf.pages[number - 1].obj
    resources = page.get("/Resources")
    patterns = resources.get("/Pattern") if resources is not None else None
    if not isinstance(patterns, pikepdf.Dictionary):
        return 1.0
    tiny = 0
    for name in _PAINT.findall(_raw_content(page)):
        pattern = patterns.get("/" + name.decode(errors="replace"))
        box = pattern.get("/BBox") if isinstance(pattern, pikepdf.Stream) else None
        with contextlib.suppress(TypeError, ValueError, IndexError):
            if box is not None and abs((box[2] - box[0]) * (box[3] - box[1])) < 4:
                tiny += 1
    return 10.0 + 4.0 * tiny if tiny else 1.0  # ≥ 8: drawn from a lightened copy


def _jobs(
    numbers: list[int], costs: dict[int, float], chunk: float
) -> list[tuple[int, int, float]]:
    """Runs of consecutive pages, cut into jobs of about ``chunk`` cost, slowest first."""
    jobs: list[tuple[int, int, float]] = []
    for n in sorted(numbers):
        c = costs[n]
        if jobs and jobs[-1][1] == n - 1 and jobs[-1][2] + c <= chunk and c < chunk:
            first, _, total = jobs[-1]
            jobs[-1] = (first, n, total + c)
        else:
            jobs.append((n, n, c))
    return sorted(jobs, key=lambda j: -j[2])


_CLEAR = "/AtlasDiffClear"
_PATTERN_FILL = re.compile(rb"/Pattern\s+cs\s+/([^\s/\[\]()<>{}%]+)\s+scn\b")


def lighten(source: Path, numbers: list[int], target: Path) -> None:
    """Copy the pages ``numbers`` of ``source`` to ``target`` with their fills by tiny
    tiling patterns (the dot leaders of the sommaire, 7 s a page for poppler) made
    transparent: the same pages less their leaders, drawn in a few milliseconds."""
    with pikepdf.open(source) as pdf, pikepdf.new() as out:
        for n in numbers:
            out.pages.append(pdf.pages[n - 1])
        for page in out.pages:
            obj = page.obj
            patterns = obj.Resources.get("/Pattern")
            tiny = set()
            for name in patterns.keys() if isinstance(patterns, pikepdf.Dictionary) else []:
                box = patterns[name].get("/BBox")
                with contextlib.suppress(TypeError, ValueError, IndexError):
                    if box is not None and abs((box[2] - box[0]) * (box[3] - box[1])) < 4:
                        tiny.add(name[1:].encode())
            if not tiny:
                continue
            states = obj.Resources.get("/ExtGState")
            if not isinstance(states, pikepdf.Dictionary):
                states = obj.Resources.ExtGState = pikepdf.Dictionary()
            states[_CLEAR] = pikepdf.Dictionary(Type=pikepdf.Name.ExtGState, ca=0, CA=0)

            def clear(m: re.Match, tiny: set = tiny) -> bytes:
                return _CLEAR.encode() + b" gs" if m.group(1) in tiny else m.group(0)

            drawing = _PATTERN_FILL.sub(clear, _raw_content(obj))
            obj.Contents = out.make_stream(drawing)
        out.save(target)


def rasterize(
    wanted: dict[int, list[int]],
    paths: list[Path],
    costs: list[dict[int, float]],
    folder: Path,
    dpi: int = DPI,
    workers: int = WORKERS,
) -> dict[tuple[int, int], np.ndarray]:
    """Grey rasters of ``wanted`` (document index → page numbers): ``pdftoppm`` on runs of
    pages, ``workers`` at a time, the slowest first (the slow pages :func:`lighten`-ed
    first); stopped with the caller."""
    from PIL import Image

    # (pdf, first, last, cost, doc, page numbers of that pdf → of the document)
    queue: list[tuple[Path, int, int, float, int, dict[int, int] | None]] = []
    light = [costs[d][n] for d, numbers in wanted.items() for n in numbers if costs[d][n] < 8]
    chunk = max(4.0, sum(light) / (4 * workers))
    for doc, numbers in wanted.items():
        slow = [n for n in numbers if costs[doc][n] >= 8]
        if slow:
            copy = folder / f"light-{doc}.pdf"
            lighten(paths[doc], slow, copy)
            mapping = {i + 1: n for i, n in enumerate(slow)}
            queue.append((copy, 1, len(slow), float(len(slow)), doc, mapping))
        rest = [n for n in numbers if costs[doc][n] < 8]
        queue += [
            (paths[doc], first, last, cost, doc, None)
            for first, last, cost in _jobs(rest, costs[doc], chunk)
        ]
    queue.sort(key=lambda j: -j[3])
    running: list[tuple[subprocess.Popen, Path, Path]] = []
    done: list[tuple[Path, int, dict[int, int] | None]] = []  # (prefix, doc, mapping)
    try:
        while queue or running:
            while queue and len(running) < workers:
                pdf, first, last, _, doc, mapping = queue.pop(0)
                prefix = folder / f"job{len(done)}"  # every job started so far: unique
                args = ["pdftoppm", "-r", str(dpi), "-gray", "-f", str(first), "-l", str(last)]
                err = prefix.with_suffix(".err")
                with err.open("wb") as sink:  # a file: a chatty pdftoppm never blocks
                    proc = _tool([*args, str(pdf), str(prefix)], stdout=None, stderr=sink)
                running.append((proc, paths[doc], err))
                done.append((prefix, doc, mapping))
            time.sleep(0.005)
            for item in list(running):
                proc, path, err = item
                if proc.poll() is None:
                    continue
                running.remove(item)
                if proc.returncode != 0:
                    text = err.read_text(errors="replace").strip().splitlines() or ["?"]
                    raise ReportsError(f"pdftoppm cannot draw it: {text[-1]}", where=str(path))
    finally:
        for proc, _, _ in running:
            with contextlib.suppress(OSError):
                proc.kill()
            proc.wait()
    out: dict[tuple[int, int], np.ndarray] = {}
    for prefix, doc, mapping in done:
        for file in folder.glob(f"{prefix.name}-*.pgm"):
            number = int(file.stem.rsplit("-", 1)[1])
            if mapping is not None:
                number = mapping[number]
            with Image.open(file) as im:
                out[(doc, number)] = np.asarray(im.convert("L"))
    return out


@dataclass
class Region:
    box: Box  # pt
    share: float  # changed pixels inside it / pixels of the page


def _to_px(box: Box, scale: float, shape: tuple[int, int], pad: int = 0) -> tuple[int, ...]:
    h, w = shape
    x0, y0, x1, y1 = box
    return (
        max(0, int(x0 * scale) - pad),
        max(0, int(y0 * scale) - pad),
        min(w, int(np.ceil(x1 * scale)) + pad),
        min(h, int(np.ceil(y1 * scale)) + pad),
    )


def changed_pixels(old: np.ndarray, new: np.ndarray, masks: list[Box], scale: float) -> np.ndarray:
    """Boolean mask (new page's shape) of the pixels that changed, ``masks`` (pt) left out."""
    h = max(old.shape[0], new.shape[0])
    w = max(old.shape[1], new.shape[1])
    a = np.full((h, w), 255, np.int16)
    b = np.full((h, w), 255, np.int16)
    a[: old.shape[0], : old.shape[1]] = old
    b[: new.shape[0], : new.shape[1]] = new
    mask = np.abs(a - b) > LEVEL
    if old.shape != new.shape:  # a page of another size: its margin changed
        mask[old.shape[0] :, :] = mask[:, old.shape[1] :] = True
        mask[new.shape[0] :, :] = mask[:, new.shape[1] :] = True
    for box in masks:
        x0, y0, x1, y1 = _to_px(box, scale, (h, w), pad=1)
        mask[y0:y1, x0:x1] = False
    return mask[: new.shape[0], : new.shape[1]] if mask.shape != new.shape else mask


def regions(mask: np.ndarray, scale: float, reach: int = 2) -> list[Region]:
    """Connected changed areas: cells of 2.5 mm holding a changed pixel, merged when within
    ``reach`` cells of each other; boxes in pt, largest first."""
    from scipy import ndimage  # mapclassify's dependency: always installed with the figures

    if not mask.any():
        return []
    cell = max(2, round(scale * 72 / 10))  # 4 px at 40 dpi
    h, w = mask.shape
    gh, gw = -(-h // cell), -(-w // cell)
    padded = np.zeros((gh * cell, gw * cell), bool)
    padded[:h, :w] = mask
    counts = padded.reshape(gh, cell, gw, cell).sum(axis=(1, 3))
    grown = ndimage.binary_dilation(counts > 0, iterations=reach)
    labels, n = ndimage.label(grown, structure=np.ones((3, 3), bool))
    out = []
    total = float(h * w)
    for index, found in enumerate(ndimage.find_objects(labels), start=1):
        if found is None:
            continue
        inside = (labels[found] == index) & (counts[found] > 0)
        ys, xs = np.nonzero(inside)
        if not len(ys):
            continue
        r0, c0 = found[0].start + ys.min(), found[1].start + xs.min()
        r1, c1 = found[0].start + ys.max() + 1, found[1].start + xs.max() + 1
        px = (c0 * cell, r0 * cell, min(w, c1 * cell), min(h, r1 * cell))
        share = float(counts[found][inside].sum()) / total
        out.append(Region(tuple(v / scale for v in px), share))  # type: ignore[arg-type]
    return sorted(out, key=lambda r: -r.share)


def _where(box: Box, width: float, height: float) -> str:
    cx, cy = (box[0] + box[2]) / 2 / width, (box[1] + box[3]) / 2 / height
    if (box[2] - box[0]) > 0.7 * width and (box[3] - box[1]) > 0.7 * height:
        return "all over the page"
    v = "top" if cy < 1 / 3 else "bottom" if cy > 2 / 3 else "middle"
    hz = "left" if cx < 1 / 3 else "right" if cx > 2 / 3 else ""
    if (box[2] - box[0]) > 0.7 * width:
        return f"across the {v}" if v != "middle" else "across the middle"
    if not hz:
        return "in the middle" if v == "middle" else f"at the {v}"
    return f"at {v} {hz}" if v != "middle" else f"at the {hz}"


def _overlap(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _caption(page: PageText, box: Box, reach: float) -> Line | None:
    """The nearest « Carte 3 … » line above ``box`` (or at its top) in its column, at most
    ``reach`` pt above it."""
    best: Line | None = None
    for ln in page.lines:
        if not CAPTION.match(ln.text) or ln.box[2] < box[0] or ln.box[0] > box[2]:
            continue
        if not box[1] - reach <= ln.box[1] <= box[1] + 12:
            continue
        if best is None or ln.box[1] > best.box[1]:
            best = ln
    return best


def describe_area(page: PageText, region: Region, figures: list[Box] | None = None) -> str:
    """Where the area is on the page, and the figure (an image placed there) or the table it
    is in, named by its caption."""
    where = _where(region.box, page.width, page.height)
    figure = max(figures or [], key=lambda f: _overlap(f, region.box), default=None)
    if figure is not None and _overlap(figure, region.box) > 0:
        caption = _caption(page, figure, 60)
        if caption is None:
            return f"around a figure {where}"
    else:  # drawn, not an image: a table, or text
        caption = _caption(page, region.box, 0.4 * page.height)
        if caption is None:
            return where
    kind = KINDS.get(caption.text.split()[0].lower(), "figure")
    text = caption.text if len(caption.text) <= 60 else caption.text[:59] + "…"
    return f"around the {kind} {where} ({text})"


def _percent(share: float) -> str:
    pct = 100 * share
    return f"{pct:.1f} %" if pct < 1 else f"{pct:.0f} %"


# --- the report ------------------------------------------------------------------------------
@dataclass
class PageDiff:
    old: PageText | None
    new: PageText | None
    text: TextChange = field(default_factory=TextChange)
    areas: list[Region] = field(default_factory=list)  # every changed area (outlined)
    image: list[Region] = field(default_factory=list)  # areas the text change does not explain
    figures: list[Box] = field(default_factory=list)  # images placed on the new page (pt)
    note: str = ""  # what the page says (added / removed pages)

    @property
    def kind(self) -> str:
        return "removed" if self.new is None else "added" if self.old is None else "changed"

    @property
    def pages(self) -> str:
        a = str(self.old.number) if self.old else "–"
        b = str(self.new.number) if self.new else "–"
        return f"p. {a} → {b}"

    def summary(self) -> str:
        if self.kind != "changed":
            page = self.old or self.new
            assert page is not None
            title = page.title()
            return f"{self.kind}: «{title if len(title) <= 70 else title[:69] + '…'}»"
        parts = []
        if self.text:
            lines = "line" if self.text.changed == 1 else "lines"
            text = f"text: {self.text.changed} {lines} changed"
            if self.text.sample:
                text += f" ({self.text.sample})"
            if self.text.moved:
                text += f", {self.text.moved} moved"
            parts.append(text)
        elif self.text.moved:
            lines = "line" if self.text.moved == 1 else "lines"
            parts.append(f"layout: {self.text.moved} {lines} moved")
        if self.image:
            assert self.new is not None
            share = sum(r.share for r in self.image)
            text = f"image: {_percent(share)} of the page, "
            if len(self.image) > 1:
                text += f"{len(self.image)} areas, the largest "
            parts.append(text + describe_area(self.new, self.image[0], self.figures))
        return "; ".join(parts) or "drawn differently (no visible change at this resolution)"


@dataclass
class DiffReport:
    old: Path
    new: Path
    old_pages: int
    new_pages: int
    changes: list[PageDiff]
    identical: int  # pairs that print the same
    renumbered: int  # … but for their folio or their running heads and footers
    drawn: int  # pages rasterized
    seconds: float
    output: Path | None = None

    @property
    def same(self) -> bool:
        return not self.changes

    def count(self, kind: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind)


def _visible(change: PageDiff, mask: np.ndarray, scale: float) -> None:
    """Split the changed pixels into the text change and the image change."""
    change.areas = regions(mask, scale)
    rest = mask.copy()
    for box in change.text.new_boxes + change.text.old_boxes:
        x0, y0, x1, y1 = _to_px(box, scale, mask.shape, pad=2)
        rest[y0:y1, x0:x1] = False
    change.image = [r for r in regions(rest, scale) if r.share * mask.size >= 4]


def _same_bytes(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    with a.open("rb") as fa, b.open("rb") as fb:
        while True:
            x, y = fa.read(1 << 20), fb.read(1 << 20)
            if x != y:
                return False
            if not x:
                return True


def diff_pdfs(
    old: Path,
    new: Path,
    output: Path | None = None,
    *,
    dpi: int = DPI,
    workers: int = WORKERS,
    log: Callable[[str], None] | None = None,
) -> DiffReport:
    """Compare two PDFs (see the module docstring); with ``output`` (``.pdf`` or ``.png``),
    write the contact sheet of the changed pages."""
    t0 = time.perf_counter()
    say = log or (lambda _m: None)
    paths = [Path(old), Path(new)]
    if output is not None:
        from reports.render.outputs import check_output

        if output.suffix.lower() not in {".pdf", ".png"}:
            raise ReportsError(
                "the contact sheet is a .pdf or a .png file",
                where=str(output),
                hint="e.g. -o diff.pdf",
            )
        check_output(output)
    for path in paths:
        if not path.is_file():
            what = "is a folder, not a PDF" if path.is_dir() else "no such file"
            raise ReportsError(what, where=str(path), hint="give two PDF files: OLD.pdf NEW.pdf")
        if output is not None and output.exists() and output.samefile(path):
            raise ReportsError(
                "the contact sheet would replace a PDF compared",
                where=str(output),
                hint="write it elsewhere (-o diff.pdf)",
            )
    with contextlib.ExitStack() as stack:
        pdfs = []
        for path in paths:
            try:
                pdfs.append(stack.enter_context(pikepdf.open(path)))
            except pikepdf.PasswordError as exc:
                raise ReportsError("the PDF is encrypted", where=str(path)) from exc
            except (pikepdf.PdfError, ValueError) as exc:
                raise ReportsError(
                    "not a PDF (or a damaged one)",
                    where=str(path),
                    hint="give two PDF files, e.g. two builds of the atlas",
                ) from exc
        if _same_bytes(*paths):  # the same build: nothing to read
            count = len(pdfs[0].pages)
            report = DiffReport(paths[0], paths[1], count, count, [], count, 0, 0, 0.0)
            if output is not None:
                from reports.proof.contact import write_sheet

                report.output = write_sheet(report, {}, output, dpi / 72)
            report.seconds = time.perf_counter() - t0
            return report
        texts = read_texts(paths)
        for path, pdf, pages in zip(paths, pdfs, texts, strict=True):
            if len(pages) != len(pdf.pages):  # pdftotext read less than pikepdf sees
                raise ReportsError(
                    f"pdftotext read {len(pages)} of its {len(pdf.pages)} pages", where=str(path)
                )
        pairs = align(texts[0], texts[1])
        say(f"pages aligned at {time.perf_counter() - t0:.1f} s")
        signatures = [Signatures(pdf) for pdf in pdfs]
        changes: list[PageDiff] = []
        identical = renumbered = 0
        for a, b in pairs:
            if a is None or b is None:
                changes.append(PageDiff(a, b))
                continue
            if a.key == b.key:
                sa, sb = signatures[0].content(a.number), signatures[1].content(b.number)
                if sa == sb:
                    identical += 1
                    continue
                if _same_words(a, b) and without_glyphs(sa) == without_glyphs(sb):
                    renumbered += 1
                    continue
            changes.append(PageDiff(a, b, compare_text(a, b)))
        wanted: dict[int, set[int]] = {0: set(), 1: set()}
        for change in changes:
            if change.kind == "changed" or output is not None:
                if change.old:
                    wanted[0].add(change.old.number)
                if change.new:
                    wanted[1].add(change.new.number)
        costs = [{n: _cost(pdf, n) for n in wanted[d]} for d, pdf in enumerate(pdfs)]
    drawn = sum(len(v) for v in wanted.values())
    say(f"{len(changes)} page(s) to look at, {drawn} to draw at {time.perf_counter() - t0:.1f} s")
    scale = dpi / 72
    with tempfile.TemporaryDirectory(prefix="atlas-diff-") as folder:
        rasters = rasterize(
            {d: sorted(v) for d, v in wanted.items() if v}, paths, costs, Path(folder), dpi, workers
        )
    say(f"pages drawn at {time.perf_counter() - t0:.1f} s")
    kept: list[PageDiff] = []
    for change in changes:
        if change.kind == "changed":
            assert change.old and change.new
            masks = [box for box in (change.old.folio, change.new.folio) if box]
            # the running heads and footers (page furniture) are not compared
            w, h = change.new.width, change.new.height
            masks += [(0.0, 0.0, w, EDGE * h), (0.0, (1 - EDGE) * h, w, h)]
            mask = changed_pixels(
                rasters[(0, change.old.number)], rasters[(1, change.new.number)], masks, scale
            )
            _visible(change, mask, scale)
            if not change.areas and not change.text:  # the same print
                if change.old.number == change.new.number:
                    identical += 1
                else:
                    renumbered += 1
                continue
        kept.append(change)
    located = [c for c in kept if c.image and c.new is not None]
    if located:  # the figures the image changes are in
        from reports.proof.pages import read_page

        with pikepdf.open(paths[1]) as pdf:
            for change in located:
                assert change.new is not None
                # only to name the figure: a page the interpreter cannot read names none
                with contextlib.suppress(Exception):
                    page = read_page(pdf.pages[change.new.number - 1], change.new.number)
                    change.figures = [im.box for im in page.images]
    report = DiffReport(
        paths[0],
        paths[1],
        len(texts[0]),
        len(texts[1]),
        kept,
        identical,
        renumbered,
        drawn,
        0.0,
    )
    if output is not None:
        from reports.proof.contact import write_sheet

        report.output = write_sheet(report, rasters, output, scale)
    report.seconds = time.perf_counter() - t0
    return report


def _grouped(changes: list[PageDiff]) -> list[tuple[str, str]]:
    """(pages, what) lines; consecutive added or removed pages on one line."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(changes):
        c = changes[i]
        j = i + 1
        if c.kind != "changed":
            while (
                j < len(changes)
                and changes[j].kind == c.kind
                and (changes[j].old or changes[j].new).number  # type: ignore[union-attr]
                == (changes[j - 1].old or changes[j - 1].new).number + 1  # type: ignore[union-attr]
            ):
                j += 1
        if j - i > 1:
            first = (c.old or c.new).number  # type: ignore[union-attr]
            last = (changes[j - 1].old or changes[j - 1].new).number  # type: ignore[union-attr]
            span = f"{first}–{last}"
            pages = f"p. {span} → –" if c.kind == "removed" else f"p. – → {span}"
            out.append((pages, f"{c.kind} ({j - i} pages): " + c.summary().split(": ", 1)[1]))
        else:
            out.append((c.pages, c.summary()))
        i = j
    return out


def format_report(report: DiffReport) -> str:
    """One line per changed page (or run of added / removed pages), then the counts."""
    rows = _grouped(report.changes)
    width = max((len(p) for p, _ in rows), default=0)
    lines = [f"  {pages:<{width}}  {what}" for pages, what in rows]
    counts = [f"{report.count('changed')} changed"]
    for kind in ("removed", "added"):
        if report.count(kind):
            counts.append(f"{report.count(kind)} {kind}")
    if report.renumbered:
        counts.append(f"{report.renumbered} renumbered or with other running heads only")
    counts.append(f"{report.identical} identical")
    head = (
        "atlas: the same pages" if report.same else f"atlas: {len(report.changes)} page(s) differ"
    )
    tail = f" → {report.output}" if report.output else ""
    lines.append(
        f"{head} ({', '.join(counts)}; {report.old_pages} → {report.new_pages} pages, "
        f"{report.drawn} drawn) in {report.seconds:.1f} s{tail}"
    )
    return "\n".join(lines)
