"""``atlas preview``: a live-reloading proof of the documents, paginated exactly like the PDF.

Approach — WeasyPrint's own pages, rendered server-side
--------------------------------------------------------
Two ways give sheets that break like the PDF: a pagination polyfill (Paged.js) applied to the
same HTML/CSS in the browser, or the pages WeasyPrint itself lays out. The preview uses the
second. The HTML string is :func:`reports.documents.fiche.fiche_html`'s (a test checks it),
laid out by :func:`reports.render.pdf.render_document` (the very call ``build_fiche`` makes)
or, section by section, by :mod:`reports.preview.incremental` (tested to give the same pages);
each page is painted alone to PDF bytes in memory and rasterised by ``pdftoppm`` when the browser
asks. The page breaks, running headers (``string-set``), ``counter(pages)``, hyphenation,
widows/orphans and the figure sizes are therefore identical to the PDF *by construction*, not
approximately. On top of each page image sits a transparent text layer taken from WeasyPrint's
layout boxes (position and size of every text fragment), so the sheets can be searched (Ctrl+F),
selected and tested. The exact HTML is also served (``/<slug>.html``) and shown beside the sheets
on request.

Measurements (2-core shared machine, load 1.5-5; ``benchmarks/bench_preview.py``):

* Paged.js 0.4.3 (MIT) on the same HTML/CSS in Chromium vs WeasyPrint, 18 fiches (Normandie
  failed in WeasyPrint, a figure PNG bug): the page count differs for 4 (Île-de-France 16→15,
  Hauts-de-France 15→16, Nouvelle-Aquitaine 19→17, Occitanie 13→16) and up to 8 sections
  start on another page; Paged.js itself took 0.5-1.7 s per fiche. Its breaks can only
  approximate the PDF's, and closing the gap means chasing engine differences (line breaking,
  font metrics, hyphenation, table/flex fragmentation) fiche by fiche.
* WeasyPrint pages for Bretagne (12 pages, figures cached), after a template edit: Jinja
  only ≈ 35 ms (the fiche context — data, text, figures — is kept until ``data/`` or
  ``layouts.yaml`` change; that step alone is ≈ 650 ms), WeasyPrint layout of the whole
  document 1.0-1.9 s (Pango line breaking, table sizing): over the budget by itself.

Incremental layout (:mod:`reports.preview.incremental`)
-------------------------------------------------------
Every section starts a page, so each one is laid out as its own WeasyPrint document (same
head and wrappers, the other sections ``display: none``), cached by a hash of its HTML and of
the stylesheets; the running headers, folios and ``page x / y`` are then rebuilt by
WeasyPrint's own ``make_margin_boxes`` with the whole document's page numbers, total and named
strings. The pages are identical to the whole layout's — same count, same text at the same
positions, same footers (tested for Bretagne, Guadeloupe and France, and after an edit adding a
page) — and a document the composition cannot honour (``@page :first``, counters, left/right
breaks…) is laid out whole. Each page gets a content key: its image URL, so unchanged pages are
neither repainted nor reloaded after an edit.

Measured (same machine; ``benchmarks/bench_preview.py``): a section template edit re-lays out
one section, 75-190 ms server side (+1 page included: later pages are only re-numbered), and
the edited sheet shows its new text and image in Chromium 0.43-0.65 s after the file is
written. A stylesheet edit re-lays out every section: ≈ 1.2-2.0 s server side (whole document
1.0-1.9 s) and 2.2 s end to end — over the budget; the per-section layouts are kept in the
server process (page images are painted from them), so worker processes would have to own
their sections' boxes, which was not done.

Live reload
-----------
``watchfiles.awatch`` watches ``templates/``, ``styles/``, ``data/`` (recursively) and
``layouts.yaml``. A change bumps a generation counter, eagerly re-renders the documents that
have a viewer open and pushes a server-sent event; the viewer fetches ``/api/doc/<slug>`` and
swaps the sheets in place (scroll position kept). A :class:`~reports.errors.ReportsError`
(template syntax/undefined errors, ``layouts.yaml`` problems, missing data) or any other
exception shows an overlay naming the file and line; the last good sheets stay underneath and
the server keeps running. WeasyPrint's CSS warnings are shown in a banner with the stylesheet's
file:line:column.

Check findings on their sheet
-----------------------------
Each rendering is proofread by ``atlas check``'s rules (:mod:`reports.proof`) once it is on
screen: when the worker thread has been idle for ``PROOF_IDLE`` (0.6 s: the viewer's page images
painted first, a quick series of edits not queued behind it), the laid-out pages are written as
a tagged PDF (≈ 0.25 s for a 12-page fiche) and checked (≈ 0.2 s), two jobs each skipped when a
newer rendering exists, so an edit waits at most for one of them. The findings are kept by page
content key, pushed by a ``proof`` event and shown on their sheet (a badge on the page, the list
under it); the same findings as ``atlas check`` on the built fiche (tested).
``ATLAS_PREVIEW_PROOF=0`` turns it off.

Security
--------
Bound to 127.0.0.1 unless ``--host`` says otherwise, with a warning then (the preview has no
authentication). Host headers other than the loopback names — off loopback, other than this
machine's names and addresses and ``ATLAS_PREVIEW_HOSTS`` — are refused (DNS rebinding).
Only ``styles/``, ``cache/figures/`` and the preview's own assets are served as files; a path
with ``..``, a hidden segment, a symlink leading outside, one too long, or anything else is a
404. ``data/`` and the rest of the project are never served.

Modules
-------
:mod:`~reports.preview.files` (preview paths, safe file lookup), :mod:`~reports.preview.state`
(documents, problems, pages, render states), :mod:`~reports.preview.engine` (the
:class:`~reports.preview.engine.Preview`: rendering, caches, file changes),
:mod:`~reports.preview.app` (the Starlette routes), :mod:`~reports.preview.incremental`
(section-by-section layout) and this module (running the server).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
import threading
import time
import webbrowser
from typing import Any

from reports.paths import Paths
from reports.preview.app import create_app
from reports.preview.engine import Preview

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]", "::1"]
WILDCARDS = {"0.0.0.0", "::", ""}


def allowed_hosts(host: str) -> list[str]:
    """Host headers accepted (the DNS-rebinding check, kept on every interface): the loopback
    names, and off loopback the bound address, this machine's names and addresses, and the
    names listed in ``ATLAS_PREVIEW_HOSTS`` (comma-separated)."""
    names = list(LOOPBACK_HOSTS)
    if host not in LOOPBACK:
        found = [] if host in WILDCARDS else [host]
        with contextlib.suppress(OSError):
            found += [socket.gethostname(), socket.getfqdn()]
            found += [a[4][0] for a in socket.getaddrinfo(socket.gethostname(), None)]
        with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # no packet is sent: the address of the default route
            found.append(s.getsockname()[0])
        found += [n.strip() for n in os.environ.get("ATLAS_PREVIEW_HOSTS", "").split(",")]
        for name in found:
            if name and name not in names:
                names += [name, f"[{name}]"] if ":" in name else [name]
    return names


def make_server(
    paths: Paths | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "warning",
) -> Any:
    """A configured ``uvicorn.Server`` (not started)."""
    import uvicorn

    app = create_app(paths, allowed_hosts=allowed_hosts(host))
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        timeout_graceful_shutdown=2,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    original_exit = server.handle_exit

    def handle_exit(sig: int, frame: Any) -> None:  # end the SSE streams at once on Ctrl-C
        app.state.preview.stopping = True
        original_exit(sig, frame)

    server.handle_exit = handle_exit  # type: ignore[method-assign]
    return server


def serve(
    port: int = 8000,
    host: str = "127.0.0.1",
    open_browser: bool = False,
    paths: Paths | None = None,
) -> None:
    """Run the preview server until interrupted (``atlas preview``)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # shown in the page instead
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    server = make_server(paths, host=host, port=port)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    if host not in LOOPBACK:
        where = "every interface" if host in WILDCARDS else host
        names = ", ".join(n for n in allowed_hosts(host) if not n.startswith("["))
        print(
            f"atlas preview: warning: listening on {where} (--host {host}): the preview has no "
            f"authentication, anyone who can reach port {port} of this machine can read the "
            f"documents; Host names accepted: {names} (others: ATLAS_PREVIEW_HOSTS)",
            file=sys.stderr,
        )
    print(f"atlas preview: {url}  (Ctrl-C to stop)")
    if open_browser:
        threading.Timer(0.8, webbrowser.open, args=(url,)).start()
    server.run()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class ServerThread:
    """Run a preview server in a background thread (tests and benchmarks)."""

    def __init__(self, paths: Paths | None = None, host: str = "127.0.0.1") -> None:
        self.port = free_port(host)
        self.host = host
        self.server = make_server(paths, host=host, port=self.port)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def preview(self) -> Preview:
        return self.server.config.app.state.preview

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("preview server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.preview.stopping = True
        self.server.should_exit = True
        self.thread.join(timeout=10)


if __name__ == "__main__":  # python -m reports.preview.server [port]
    serve(port=int(sys.argv[1]) if len(sys.argv) > 1 else 8000)
