"""Check a finished PDF: :func:`check_pdf`; the PDF of a fiche or of the atlas, built (or
reused) first: :func:`target_pdf`."""

from __future__ import annotations

import time
from pathlib import Path

import pikepdf

from reports.errors import ConfigError, ReportsError
from reports.proof.document import Document, Settings
from reports.proof.images import FigureIndex
from reports.proof.report import Report
from reports.proof.rules import RULES, exemption, run_rules


def _default_settings() -> Settings:
    """The thresholds, with the figures' resolutions of :mod:`reports.figures.assets`."""
    try:
        from reports.figures import assets
    except ImportError:  # the figure code being edited: the defaults are the same numbers
        return Settings()
    return Settings(default_dpi=assets.DEFAULT_DPI, print_dpi=assets.PRINT_DPI)


def check_pdf(
    path: Path,
    *,
    settings: Settings | None = None,
    rules: set[str] | None = None,
    pages: set[int] | None = None,
    figures_cache: Path | None = None,
) -> Report:
    """Run the rules (all, or the ids in ``rules``) on ``path`` (every page, or the 1-based
    ``pages``: the whole document is read all the same, for what follows a heading).
    Figures are looked up in ``figures_cache`` (default: the project's) for the resolution
    they were drawn at."""
    t0 = time.perf_counter()
    settings = settings or _default_settings()
    unknown = (rules or set()) - set(RULES)
    if unknown:
        raise ConfigError(
            f"unknown rule(s) {', '.join(sorted(unknown))}", hint=f"one of {', '.join(RULES)}"
        )
    if figures_cache is None:
        from reports.paths import Paths

        figures_cache = Paths().figures_cache
    try:
        pdf = pikepdf.open(path)
    except (OSError, pikepdf.PdfError) as exc:
        raise ReportsError(f"cannot read the PDF: {exc}", where=str(path)) from exc
    with pdf:
        doc = Document(path, pdf, settings, FigureIndex(figures_cache, settings.default_dpi))
        findings = list(run_rules(doc, rules, pages))
        exempt = {}
        if rules is None or "page-empty" in rules:
            for view in doc.views:
                if pages is not None and view.number not in pages:
                    continue
                why = exemption(doc, view)
                if why:
                    exempt[view.number] = why
    return Report(path, doc.page_count, findings, exempt, time.perf_counter() - t0)


def target_pdf(target: str | None, atlas: bool, *, reuse: bool = False, log=None) -> Path:
    """The PDF to check: ``target`` itself when it is a PDF file; else the fiche of the
    territory ``target`` (INSEE code, name, slug or 'france'), or with ``atlas`` the atlas,
    built first (their builds are cached: an unchanged document is not laid out again) — or,
    with ``reuse``, taken from its default output path when it is there."""
    if atlas and target:
        raise ConfigError("give a PDF, a REGION or --atlas, not two of them")
    if atlas:
        from reports.paths import Paths

        default = Paths().output / "atlas.pdf"
        if reuse and default.is_file():
            return default
        from reports.documents.atlas.build import build_atlas

        return build_atlas(log=log).path
    if not target:
        raise ConfigError("give a PDF, a REGION (e.g. 84, 'Bretagne', france) or --atlas")
    candidate = Path(target)
    if candidate.suffix.lower() == ".pdf" or candidate.is_file():
        if not candidate.is_file():
            raise ConfigError(f"no such PDF: {candidate}")
        return candidate
    from reports.documents.fiche import build_fiche, default_fiche_path
    from reports.documents.session import Session

    session = Session.open()
    territory = session.territory(target)
    default = default_fiche_path(session, territory)
    if reuse and default.is_file():
        return default
    return build_fiche(session, territory)


def parse_pages(text: str | None) -> set[int] | None:
    """``"1-4,9"`` → {1, 2, 3, 4, 9}; None or empty → None (every page)."""
    if not text:
        return None
    out: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        try:
            if "-" in part:
                lo, hi = (int(v) for v in part.split("-", 1))
                out.update(range(lo, hi + 1))
            elif part:
                out.add(int(part))
        except ValueError as exc:
            raise ConfigError(f"bad page list {text!r}", hint="e.g. 1-4,9") from exc
    return out


def check(
    target: str | None,
    *,
    atlas: bool = False,
    reuse: bool = False,
    rules: set[str] | None = None,
    pages: str | None = None,
    log=None,
) -> Report:
    """``atlas check``: the PDF of :func:`target_pdf`, checked by :func:`check_pdf`."""
    if rules:
        unknown = rules - set(RULES)
        if unknown:  # before building anything
            raise ConfigError(
                f"unknown rule(s) {', '.join(sorted(unknown))}", hint=f"one of {', '.join(RULES)}"
            )
    wanted = parse_pages(pages)
    path = target_pdf(target, atlas, reuse=reuse, log=log)
    return check_pdf(path, rules=rules or None, pages=wanted)
