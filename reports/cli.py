"""``atlas`` command line. Thin: parse options, call the library, print a short summary.

A :class:`~reports.errors.ReportsError` becomes one line ``atlas: error: <message>`` on stderr
and exit code 1 (``--verbose`` also prints the traceback). Imports of the heavy modules
happen inside the commands so ``atlas --help`` stays fast.

Adding a command: define it below with ``@main.command()`` (or ``@data.command()``); it
calls one function of the package, which does the work.
"""

from __future__ import annotations

import traceback
from pathlib import Path

import click

from reports import __version__
from reports.errors import ReportsError


class AtlasGroup(click.Group):
    """Click group that turns library errors into one-line messages."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ReportsError as exc:
            if ctx.obj and ctx.obj.get("verbose"):
                traceback.print_exc()
            message = " ".join(exc.format().split())
            click.echo(f"atlas: error: {message}", err=True)
            ctx.exit(1)


@click.group(cls=AtlasGroup)
@click.option("--verbose", "-v", is_flag=True, help="Show tracebacks on errors.")
@click.version_option(version=__version__, prog_name="atlas")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Atlas régional de la culture and regional portrait fiches."""
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose


def _paths(sources: Path | None):
    from reports.paths import Paths

    return Paths(sources_override=sources)


# --- atlas data: derived tables ------------------------------------------------------------


@main.group()
def data() -> None:
    """Derived data tables (data/)."""


@data.command("build")
@click.option(
    "--sources",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Raw sources directory (default: ATLAS_SOURCES or ../shared/data/sources).",
)
def data_build(sources: Path | None) -> None:
    """Rebuild data/ from the raw open-data sources."""
    from reports.data.build import build_data

    report = build_data(_paths(sources))
    rows = ", ".join(f"{name} {n:,}".replace(",", " ") for name, n in report.tables.items())
    click.echo(f"atlas: data built in {report.seconds:.1f} s → {report.data_dir}")
    click.echo(f"  {rows}")
    total = sum(report.unplaced.values())
    if total:
        detail = ", ".join(f"{Path(k).name} {n}" for k, n in report.unplaced.items())
        click.echo(f"  unplaced rows: {total} ({detail})")
    else:
        click.echo("  unplaced rows: 0")
    for warning in report.warnings:
        click.echo(f"  warning: {warning}")
    click.echo(f"  details: {report.build_md}")


# --- atlas fiche: portrait fiches ----------------------------------------------------------


@main.command("fiche")
@click.argument("region", required=False)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Output file (default: output/fiches/<slug>.pdf).",
)
@click.option("--html", "as_html", is_flag=True, help="Write the HTML given to WeasyPrint.")
@click.option("--all", "all_", is_flag=True, help="Build the 19 fiches (18 régions + France).")
@click.option(
    "--pdfa", is_flag=True, help="Archival PDF/A-3b (tagged, CSV attached) instead of PDF/UA-1."
)
@click.option(
    "--print", "print_", is_flag=True, help="For a print shop: 3 mm bleed and crop marks."
)
def fiche(
    region: str | None, output: Path | None, as_html: bool, all_: bool, pdfa: bool, print_: bool
) -> None:
    """Portrait fiche of REGION (INSEE code, name or slug, or 'france').

    The PDF is tagged (PDF/UA-1: language, title, headings, table headers, alt texts) and
    carries the CSV of its tables and figures as attachments.
    """
    import time
    from contextlib import nullcontext

    from reports.paths import Paths
    from reports.render.pagination import RenderServer, can_fork

    t0 = time.perf_counter()
    # one fiche: the render process starts now and loads WeasyPrint while this one loads
    # the data libraries and builds the fiche (reports.render.pagination)
    early = region and not (as_html or all_) and can_fork(None)
    with RenderServer(Paths().root) if early else nullcontext() as server:
        from reports.documents.fiche import build_fiche
        from reports.documents.publication import check_publication
        from reports.documents.session import Session
        from reports.errors import ConfigError

        variant = "pdfa" if pdfa else "tagged"
        check_publication(as_html, variant, print_)
        if not region and not all_:
            raise ConfigError("give a REGION (e.g. 84, 'Bretagne', france) or --all")
        if all_ and output:
            raise ConfigError("--output cannot be used with --all (one file per fiche)")
        session = Session.open()
        targets = session.all_territories() if all_ else [session.territory(region or "")]
        for territory in targets:
            path = build_fiche(
                session,
                territory,
                output,
                html=as_html,
                variant=variant,
                print_=print_,
                server=server,
            )
            click.echo(f"atlas: {territory.name} → {path} ({time.perf_counter() - t0:.1f} s)")
            t0 = time.perf_counter()


# --- atlas build: the full atlas ----------------------------------------------------------


@main.command("build")
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Output file (default: output/atlas.pdf, or output/atlas.html with --html).",
)
@click.option("--html", "html", is_flag=True, help="Write the whole atlas as one HTML file.")
@click.option("--workers", "-j", type=int, default=None, help="Worker processes (default: cores).")
@click.option(
    "--pdfa", is_flag=True, help="Archival PDF/A-3b (tagged, CSV attached) instead of PDF/UA-1."
)
@click.option(
    "--print", "print_", is_flag=True, help="For a print shop: 3 mm bleed and crop marks."
)
def atlas_build(
    output: Path | None, html: bool, workers: int | None, pdfa: bool, print_: bool
) -> None:
    """Build the full atlas (PDF, chapters rendered in parallel).

    The PDF is tagged (PDF/UA-1) and carries the CSV of every chapter section as attachments.
    """
    from reports.documents.atlas.build import build_atlas
    from reports.documents.publication import check_publication

    variant = "pdfa" if pdfa else "tagged"
    check_publication(html, variant, print_)
    report = build_atlas(
        out=output,
        html=html,
        workers=workers,
        log=lambda m: click.echo(f"  {m}", err=True),
        print_=print_,
        variant=variant,
    )
    if html:
        click.echo(f"atlas: HTML written in {report.seconds:.1f} s → {report.path}")
    else:
        click.echo(
            f"atlas: {report.pages} pages in {report.seconds:.1f} s "
            f"({report.passes} pass(es), {report.renders} renders) → {report.path}"
        )


# --- atlas preview: live preview server -----------------------------------------------------


@main.command("preview")
@click.option("--port", type=int, default=8000, show_default=True, help="Port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--open", "open_browser", is_flag=True, help="Open the index in a web browser.")
def preview(port: int, host: str, open_browser: bool) -> None:
    """Live preview: documents paginated by WeasyPrint, reloaded when a file changes."""
    from reports.preview.server import serve

    serve(port=port, host=host, open_browser=open_browser)
