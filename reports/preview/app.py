"""The preview's web app: Starlette routes from URLs to the :class:`~reports.preview.engine.Preview`
(index, viewer, page images, PDFs, live events, static files)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import jinja2

from reports.paths import Paths
from reports.preview.engine import Preview
from reports.preview.files import PreviewPaths, safe_file
from reports.preview.state import DocEntry, DocState, Problem

DEFAULT_DPI = 96


def proof_json(preview: Preview, slug: str) -> dict[str, Any]:
    """The last ``atlas check`` findings of ``slug`` by page key (``pending`` while the current
    rendering is being proofread; a key the proof did not see has no entry)."""
    proof = preview.proof(slug)
    return {
        "slug": slug,
        "generation": proof.generation if proof else None,
        "pending": preview.proof_pending(slug),
        "seconds": round(proof.seconds, 3) if proof else None,
        "error": proof.error if proof else None,
        "keys": proof.keys if proof else [],
        "findings": proof.findings if proof else {},
    }


def state_json(preview: Preview, slug: str, state: DocState, dpi: int) -> dict[str, Any]:
    good = state.good
    pages = []
    proof = preview.proof(slug)
    if good is not None:
        n = len(good.pages)
        for i, p in enumerate(good.pages, start=1):
            pages.append(
                {
                    "n": i,
                    "of": n,
                    "src": f"/sheet/{slug}/{p.key}.png?dpi={dpi}",
                    "width": p.width,
                    "height": p.height,
                    "texts": p.texts,
                    "anchors": p.anchors,
                    "key": p.key,
                    # the last proof's findings of this very page content (None: not proofread)
                    "findings": proof.findings.get(p.key, [])
                    if proof and p.key in proof.keys
                    else None,
                }
            )
    return {
        "slug": slug,
        "generation": state.generation,
        "rendered_generation": good.generation if good else None,
        "title": good.title if good else slug,
        "pages": pages,
        "timings": {k: round(v, 4) for k, v in (good.timings if good else {}).items()},
        "warnings": [asdict(w) for w in (good.warnings if good else [])],
        "error": asdict(state.error) if state.error else None,
        "pdf": f"/pdf/{slug}.pdf",
        "html": f"/{slug}.html",
        "changed": preview.changed,
        "proof": f"/api/proof/{slug}",
    }


def create_app(paths: Paths | None = None, *, allowed_hosts: list[str] | None = None) -> Any:
    """The Starlette application (``allowed_hosts`` None = any Host header)."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware
    from starlette.requests import Request
    from starlette.responses import (
        FileResponse,
        HTMLResponse,
        JSONResponse,
        PlainTextResponse,
        Response,
        StreamingResponse,
    )
    from starlette.routing import Route

    preview = Preview(paths)
    pages_env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(preview.paths.preview_assets)),  # type: ignore[attr-defined]
        autoescape=True,
        auto_reload=True,
    )
    if not isinstance(preview.paths, PreviewPaths):  # plain Paths: assets from the project
        pages_env.loader = jinja2.FileSystemLoader(str(preview.paths.root / "templates/preview"))
    assets_dir = Path(pages_env.loader.searchpath[0])  # type: ignore[union-attr]

    def not_found() -> Response:
        return PlainTextResponse("Not Found", status_code=404)

    def page(name: str, **ctx: Any) -> HTMLResponse:
        return HTMLResponse(
            pages_env.get_template(name).render(generation=preview.generation, **ctx),
            headers={"Cache-Control": "no-store"},
        )

    async def index(request: Request) -> Response:
        entries, problem = await preview.entries()
        groups: dict[str, list[DocEntry]] = {}
        for e in entries:
            groups.setdefault(e.kind, []).append(e)
        return page("index.html", groups=groups, problem=problem, root=str(preview.paths.root))

    async def viewer(request: Request) -> Response:
        slug = request.path_params["slug"]
        entries, problem = await preview.entries()
        entry = next((e for e in entries if e.slug == slug), None)
        if entry is None and problem is None:
            return not_found()
        return page("viewer.html", slug=slug, entry=entry, problem=problem)

    def dpi_of(request: Request) -> int:
        try:
            return int(request.query_params.get("dpi", DEFAULT_DPI))
        except ValueError:
            return DEFAULT_DPI

    async def api_doc(request: Request) -> Response:
        slug = request.path_params["slug"]
        entries, problem = await preview.entries()
        if problem is None and not any(e.slug == slug for e in entries):
            return not_found()
        state = await preview.state(slug)
        return JSONResponse(
            state_json(preview, slug, state, dpi_of(request)),
            headers={"Cache-Control": "no-store"},
        )

    async def api_proof(request: Request) -> Response:
        slug = request.path_params["slug"]
        entries, problem = await preview.entries()
        if problem is None and not any(e.slug == slug for e in entries):
            return not_found()
        return JSONResponse(proof_json(preview, slug), headers={"Cache-Control": "no-store"})

    async def live_html(request: Request) -> Response:
        slug = request.path_params["slug"]
        state = preview._states.get(slug)
        if state is None or state.generation != preview.generation:
            entries, problem = await preview.entries()
            if problem is None and not any(e.slug == slug for e in entries):
                return not_found()
            state = await preview.state(slug)
        if state.good is None:
            return not_found()
        return HTMLResponse(state.good.html, headers={"Cache-Control": "no-store"})

    async def page_png(request: Request) -> Response:
        p = request.path_params
        png = await preview.page_png(p["slug"], p["gen"], p["n"], dpi_of(request))
        if png is None:
            return not_found()
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-cache"})

    async def sheet_png(request: Request) -> Response:
        key = request.path_params["key"]
        found = preview._keyed.get(key)
        if found is None or found[0] != request.path_params["slug"]:
            return not_found()
        png = await preview.sheet_png(key, dpi_of(request))
        if png is None:
            return not_found()
        # a key names the page's content: the same URL always gives the same pixels
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-cache"})

    async def pdf(request: Request) -> Response:
        slug = request.path_params["slug"]
        entries, problem = await preview.entries()
        if problem is None and not any(e.slug == slug for e in entries):
            return not_found()
        result = await preview.build_pdf(slug)
        if isinstance(result, Problem):
            return JSONResponse({"error": asdict(result)}, status_code=500)
        return FileResponse(
            result,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{slug}.pdf"'},
        )

    async def events(request: Request) -> Response:
        slug = request.query_params.get("doc")
        queue = preview.subscribe()
        if slug:
            preview.viewers[slug] = preview.viewers.get(slug, 0) + 1

        async def stream() -> AsyncIterator[str]:
            try:
                yield f"event: hello\ndata: {json.dumps({'generation': preview.generation})}\n\n"
                while not preview.stopping:
                    try:
                        event = await asyncio.wait_for(queue.get(), timeout=1.0)
                    except TimeoutError:
                        if await request.is_disconnected():
                            break
                        yield ": keep-alive\n\n"
                        continue
                    kind = "proof" if "proof" in event else "change"
                    yield f"event: {kind}\ndata: {json.dumps(event)}\n\n"
            finally:
                preview.unsubscribe(queue)
                if slug:
                    preview.viewers[slug] = max(0, preview.viewers.get(slug, 1) - 1)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    def static(base: Callable[[], Path]) -> Callable[[Request], Any]:
        async def serve_file(request: Request) -> Response:
            target = safe_file(base(), request.path_params["path"])
            if target is None:
                return not_found()
            return FileResponse(target, headers={"Cache-Control": "no-cache"})

        return serve_file

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        task = asyncio.create_task(preview.watch())
        try:
            yield
        finally:
            preview.stopping = True
            preview.closing.set()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            preview.close()

    routes = [
        Route("/", index),
        Route("/doc/{slug:str}", viewer),
        Route("/api/doc/{slug:str}", api_doc),
        Route("/api/proof/{slug:str}", api_proof),
        Route("/page/{slug:str}/{gen:int}/{n:int}.png", page_png),
        Route("/sheet/{slug:str}/{key:str}.png", sheet_png),
        Route("/pdf/{slug:str}.pdf", pdf),
        Route("/events", events),
        Route("/styles/{path:path}", static(lambda: preview.paths.styles)),
        Route("/cache/figures/{path:path}", static(lambda: preview.paths.figures_cache)),
        Route("/_preview/{path:path}", static(lambda: assets_dir)),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Route("/{slug:str}.html", live_html),
    ]
    middleware = []
    if allowed_hosts is not None:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts))
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.preview = preview
    return app
