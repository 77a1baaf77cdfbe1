"""Proof: the stage after :mod:`reports.documents` — checks on a finished PDF, page by page,
of what a proofreader flags (DESIGN.md): empty pages, a heading alone at a page foot, a
figure placed smaller than drawn, text under 6.5 pt, placeholders and internal keys, "nan",
split guillemets, straight apostrophes, one-class maps. ``atlas check`` runs it.

* :mod:`~reports.proof.fonts` — character codes → text and advances (ToUnicode, widths);
* :mod:`~reports.proof.pages` — what each page prints: text runs, images, paints, with boxes,
  printed sizes and marked-content ids (a content-stream interpreter over pikepdf);
* :mod:`~reports.proof.structure` — the structure tree: role and reading order of each MCID;
* :mod:`~reports.proof.lines` — runs → printed lines → page text;
* :mod:`~reports.proof.images` — drawn dpi of a figure (found in the figure cache by its
  bytes), decoded pixels;
* :mod:`~reports.proof.document` — the document the rules see, thresholds (:class:`Settings`);
* :mod:`~reports.proof.rules` — the checks, one function per rule;
* :mod:`~reports.proof.report` — findings by page and counts per rule;
* :mod:`~reports.proof.check` — check a PDF, or the fiche / atlas built first;
* :mod:`~reports.proof.diff` — ``atlas diff``: the pages that differ between two builds
  (pages matched by their text, changed areas found on low-resolution rasters);
* :mod:`~reports.proof.contact` — the contact sheet of a diff (old | new, changes outlined).
"""
