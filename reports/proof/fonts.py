"""Decoding the strings of a PDF text-showing operator: character codes → Unicode text and
glyph advances, from a font's ``/ToUnicode`` CMap and its width arrays.

What WeasyPrint writes is covered (``/Type0`` fonts, ``/Identity-H`` two-byte codes, a
CID font with ``/W`` and ``/DW``, a ``bfchar``/``bfrange`` ToUnicode CMap), and so are simple
one-byte fonts (``/FirstChar`` + ``/Widths``, Latin-1 text when there is no ToUnicode). A code
without a mapping decodes to U+FFFD, so a glyph is never lost for the counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pikepdf

_HEX = re.compile(rb"<([0-9A-Fa-f]+)>")
_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)
_RANGE_LINE = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]+>|\[[^\]]*\])")


def _utf16(hex_digits: bytes) -> str:
    raw = bytes.fromhex(hex_digits.decode("ascii"))
    try:
        return raw.decode("utf-16-be")
    except UnicodeDecodeError:
        return "\ufffd"


def parse_to_unicode(data: bytes) -> dict[int, str]:
    """``code → text`` of a ToUnicode CMap (``bfchar`` and ``bfrange`` sections)."""
    out: dict[int, str] = {}
    for block in _BFCHAR.findall(data):
        codes = _HEX.findall(block)
        for src, dst in zip(codes[::2], codes[1::2], strict=False):
            out[int(src, 16)] = _utf16(dst)
    for block in _BFRANGE.findall(data):
        for lo, hi, dst in _RANGE_LINE.findall(block):
            first, last = int(lo, 16), int(hi, 16)
            if dst.startswith(b"["):
                for i, item in enumerate(_HEX.findall(dst)):
                    out[first + i] = _utf16(item)
                continue
            base = bytes.fromhex(dst[1:-1].decode("ascii"))
            for i in range(last - first + 1):
                # the last byte counts up (PDF 32000, 9.10.3)
                value = base[:-1] + bytes([(base[-1] + i) & 0xFF]) if base else b""
                try:
                    out[first + i] = value.decode("utf-16-be")
                except UnicodeDecodeError:
                    out[first + i] = "\ufffd"
    return out


def _cid_widths(w: pikepdf.Array) -> dict[int, float]:
    """``/W`` of a CID font: ``c [w1 w2 …]`` and ``c_first c_last w`` entries."""
    out: dict[int, float] = {}
    items = list(w)
    i = 0
    while i < len(items):
        first = int(items[i])
        nxt = items[i + 1] if i + 1 < len(items) else None
        if isinstance(nxt, pikepdf.Array):
            for k, width in enumerate(nxt):
                out[first + k] = float(width)
            i += 2
        else:
            last, width = int(items[i + 1]), float(items[i + 2])
            for c in range(first, last + 1):
                out[c] = width
            i += 3
    return out


@dataclass
class Font:
    """What decoding needs of one font resource."""

    name: str
    two_byte: bool
    to_unicode: dict[int, str] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)  # glyph space: 1/1000 em
    default_width: float = 1000.0
    _measured: dict[bytes, tuple[str, float, int, int]] = field(default_factory=dict, repr=False)

    def measure(self, data: bytes) -> tuple[str, float, int, int]:
        """``(text, sum of advances in 1/1000 em, number of codes, number of one-byte spaces)``
        of a string (memoised: the same words come back on every page)."""
        hit = self._measured.get(data)
        if hit is None:
            codes = self.decode(data)
            hit = (
                "".join(c[0] for c in codes),
                sum(c[1] for c in codes),
                len(codes),
                sum(1 for c in codes if c[2]),
            )
            if len(self._measured) < 200_000:
                self._measured[data] = hit
        return hit

    def decode(self, data: bytes) -> list[tuple[str, float, bool]]:
        """``(text, advance in 1/1000 em, is a one-byte space)`` for each code of ``data``."""
        out = []
        if self.two_byte:
            for i in range(0, len(data) - 1, 2):
                code = (data[i] << 8) | data[i + 1]
                text = self.to_unicode.get(code, "\ufffd")
                out.append((text, self.widths.get(code, self.default_width), False))
        else:
            for code in data:
                text = self.to_unicode.get(code) or chr(code)
                out.append((text, self.widths.get(code, self.default_width), code == 32))
        return out


def load_font(name: str, obj: pikepdf.Object) -> Font:
    """The :class:`Font` of a font dictionary (unknown kinds decode as one-byte Latin-1)."""
    subtype = str(obj.get("/Subtype", ""))
    to_unicode: dict[int, str] = {}
    tu = obj.get("/ToUnicode")
    if isinstance(tu, pikepdf.Stream):
        try:
            to_unicode = parse_to_unicode(tu.read_bytes())
        except (pikepdf.PdfError, ValueError):
            to_unicode = {}
    base = str(obj.get("/BaseFont", name)).lstrip("/")
    if subtype == "/Type0":
        widths: dict[int, float] = {}
        default = 1000.0
        descendants = obj.get("/DescendantFonts")
        if isinstance(descendants, pikepdf.Array) and len(descendants):
            cid = descendants[0]
            default = float(cid.get("/DW", 1000))
            if isinstance(cid.get("/W"), pikepdf.Array):
                widths = _cid_widths(cid.W)
        two_byte = "Identity" in str(obj.get("/Encoding", "/Identity-H"))
        return Font(base, two_byte, to_unicode, widths, default)
    widths = {}
    first = int(obj.get("/FirstChar", 0))
    if isinstance(obj.get("/Widths"), pikepdf.Array):
        widths = {first + i: float(w) for i, w in enumerate(obj.Widths)}
    return Font(base, False, to_unicode, widths, 500.0)
