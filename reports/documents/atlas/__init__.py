"""The full atlas: ``atlas build`` → the ~250-page *Atlas régional de la culture*.

Design (speed is part of it):

* The atlas is cut into **units** rendered as separate WeasyPrint documents: the front matter
  (cover, colophon, sommaire, avant-propos, mode d'emploi), the national chapter, the 18
  regional chapters (each one is :func:`reports.documents.chapter.build_chapter` with the *fiche*
  sections, i.e. exactly the fiche of that région), the annexes (sources, definitions,
  methodology) and the annex lists (maps, charts and tables with their folios) + back cover.
* Chapters are built (HTML, figures drawn) in one worker process per core, then units are
  rendered (PDF) in parallel worker processes (``ProcessPoolExecutor``, one per core, plus
  three: see below); figures come from the content-hash cache of :mod:`reports.figures.assets`, so
  unchanged maps and charts are never redrawn, and a chapter's HTML is kept by a digest of
  everything it is made from (:func:`caches.html_key`), so an unchanged chapter is not built
  again.
* Page counts (and the page of every anchor) do not depend on a unit's first folio, so they
  are cached by a hash of the unit's HTML (``cache/atlas/pages.json``): a warm build knows
  every start up front and renders each unit once, its folios set after pagination
  (:func:`reports.render.pdf.deferred_numbering`).
* A cold build lays the chapters and the annexes out in order without knowing where they
  start: once paginated, a unit posts its page count on a shared-memory
  :class:`workers.Board` and
  waits for its first folio, posted as soon as every earlier unit's length is known; so no
  unit is laid out twice. The front matter and the annex lists print the folios of
  everything: they are laid out early with guessed folios (in fixed-width boxes) and, once
  every unit is paginated, given the right ones in place (:class:`reports.render.pdf.Numbers`).
  These two and the annexes, laid out early, wait in the extra processes without taking a
  core.
* Every chapter opens on a recto page: each chapter HTML ends with a "Notes" page which is
  dropped after layout when the next unit would start on a recto anyway.
* The unit PDFs are merged with pikepdf (:mod:`reports.render.merge`); WeasyPrint's bookmarks
  (h1 = chapter, h2 = section) are kept, and the result is written atomically. Units are
  tagged (PDF/UA-1), PDF/A-3a or PDF/X-4 and carry their CSV: their structure trees and attachments
  are merged and the metadata is taken from the first unit.

Modules: :mod:`.parts` (what the atlas holds, from ``layouts.yaml``), :mod:`.units` (the
units, their HTML and the plan printed by the sommaire and the lists), :mod:`.workers`
(the worker processes and the shared-memory board), :mod:`.caches` (what is kept between
builds) and :mod:`.build` (``build_atlas``: the orchestration).
"""
