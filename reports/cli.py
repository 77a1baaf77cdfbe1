"""``atlas`` command line. Thin: parse options, call the library, print a short summary.

Every failure is one line ``atlas: error: <where>: <what> — <hint>`` on stderr, never a
traceback (``--verbose`` adds it): a :class:`~reports.errors.ReportsError`, an ``OSError`` (full
disk, permissions, read-only file system), a bad option (exit 2), or an unexpected exception
(a bug, named as one); other failures exit 1. SIGINT, SIGTERM and SIGHUP stop a command
cleanly — workers stopped, temporary files removed — with exit 130, 143 or 129
(:mod:`reports.processes`). Imports of the heavy modules happen inside the commands so
``atlas --help`` stays fast.

Adding a command: define it below with ``@main.command()`` (or ``@data.command()``); it
calls one function of the package, which does the work.
"""

from __future__ import annotations

import traceback
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import click

from reports import __version__
from reports.errors import ReportsError, from_os_error
from reports.processes import signal_name, stop_on_signals


def _internal(exc: BaseException, ctx: click.Context) -> ReportsError:
    """An exception nobody foresaw (a bug): named with the innermost project line."""
    where = ctx.command_path
    package = Path(__file__).resolve().parent
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        name = Path(frame.f_code.co_filename)
        if package in name.parents:
            where = f"{name.relative_to(package.parent)}:{lineno}"
    text = " ".join(str(exc).split())[:300]
    return ReportsError(
        f"internal error: {type(exc).__name__}" + (f": {text}" if text else ""),
        where=where,
        hint="a bug: run again with `atlas -v …` for the traceback, and report it",
    )


def _usage(exc: click.UsageError, ctx: click.Context) -> ReportsError:
    command = exc.ctx.command_path if exc.ctx else ctx.command_path
    where = command
    if isinstance(exc, click.BadParameter) and exc.param is not None:
        where = f"{command} {'/'.join(exc.param.opts) or exc.param.human_readable_name}"
    message = (exc.message or exc.format_message()).rstrip(".")  # a missing argument has none
    return ReportsError(message, where=where, hint=f"see `{command} --help`")


class AtlasGroup(click.Group):
    """Click group that turns every failure into one line (see the module docstring)."""

    def invoke(self, ctx: click.Context):
        def fail(error: ReportsError, code: int = 1) -> None:
            if ctx.obj and ctx.obj.get("verbose"):
                traceback.print_exc()
            message = " ".join(error.format().split())
            click.echo(f"atlas: error: {message}", err=True)
            ctx.exit(code)

        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.Abort):
            raise
        except click.UsageError as exc:
            fail(_usage(exc, ctx), exc.exit_code)
        except click.ClickException as exc:
            fail(ReportsError(exc.format_message(), where=ctx.command_path), exc.exit_code)
        except ReportsError as exc:
            fail(exc)
        except OSError as exc:
            fail(from_os_error(exc))
        except BrokenProcessPool:
            fail(
                ReportsError(
                    "a worker process ended unexpectedly",
                    where=ctx.command_path,
                    hint="it was killed (out of memory?): try again with fewer workers (-j)",
                )
            )
        except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM, SIGHUP: cleaned up on the way out
            if ctx.obj and ctx.obj.get("verbose"):
                traceback.print_exc()
            name = signal_name(exc)
            click.echo(f"atlas: stopped by {name}", err=True)
            ctx.exit(128 + getattr(exc, "signum", 2))
        except Exception as exc:
            fail(_internal(exc, ctx))


@click.group(cls=AtlasGroup)
@click.option("--verbose", "-v", is_flag=True, help="Show tracebacks on errors.")
@click.version_option(version=__version__, prog_name="atlas")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Atlas régional de la culture and regional portrait fiches."""
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
    ctx.with_resource(stop_on_signals())  # SIGTERM / SIGHUP unwind like Ctrl-C


def _select_edition(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from reports import edition

    try:
        return edition.select(value).name
    except ReportsError as exc:
        raise click.BadParameter(exc.message + (f" — {exc.hint}" if exc.hint else "")) from None


#: ``--edition YEAR`` on every command that reads data: set before anything is loaded, and
#: inherited by the worker processes (``ATLAS_EDITION``)
edition_option = click.option(
    "--edition",
    metavar="YEAR",
    default=None,
    is_eager=True,
    expose_value=False,
    callback=_select_edition,
    help="Edition to build (editions/YEAR.yaml; default: the newest). An earlier edition "
    "reads and writes its own data (editions/derived/YEAR/) and outputs (output/YEAR/).",
)


#: the publication variants, the same on every command that writes a PDF
pdfa_option = click.option(
    "--pdfa", is_flag=True, help="Archival: PDF/A-3a and PDF/UA-1 (tagged, CSV attached)."
)
print_option = click.option(
    "--print", "print_", is_flag=True, help="For a print shop: PDF/X-4, 3 mm bleed, crop marks."
)


def _paths(sources: Path | None):
    from reports.paths import Paths

    return Paths(sources_override=sources)


# --- atlas data: derived tables ------------------------------------------------------------


@main.group()
def data() -> None:
    """Derived data tables (data/)."""


@data.command("build")
@edition_option
@click.option(
    "--sources",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Raw sources directory (default: ATLAS_SOURCES or ../shared/data/sources).",
)
@click.option(
    "--accept-changes",
    is_flag=True,
    help="Confirm a real change of a source's row count (a loss above 20 % or a doubling "
    "against data/manifest.json otherwise stops the build).",
)
def data_build(sources: Path | None, accept_changes: bool) -> None:
    """Rebuild data/ from the raw open-data sources (quality gates: data/BUILD.md)."""
    from reports.data.build import build_data

    report = build_data(_paths(sources), accept_changes=accept_changes)
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
@edition_option
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Output file (default: output/fiches/<slug>.pdf; a département: "
    "output/departements/<code>-<slug>.pdf; an EPCI: output/epci/<siren>-<slug>.pdf).",
)
@click.option("--html", "as_html", is_flag=True, help="Write the HTML given to WeasyPrint.")
@click.option("--all", "all_", is_flag=True, help="Build the 19 fiches (18 régions + France).")
@pdfa_option
@print_option
@click.option(
    "--layout",
    type=click.Choice(["fiche", "portrait"]),
    default=None,
    help="fiche (régions, France; default) or portrait (4 pages; the default for a "
    "département or an EPCI, available to régions).",
)
def fiche(
    region: str | None,
    output: Path | None,
    as_html: bool,
    all_: bool,
    pdfa: bool,
    print_: bool,
    layout: str | None,
) -> None:
    """Portrait fiche of REGION: a région, a département or an intercommunalité (INSEE or
    SIREN code, name or slug), or 'france'. A département gets the 4-page portrait
    (output/departements/69-rhone.pdf), an EPCI its own (output/epci/200046977-….pdf).

    \b
    Codes: a région code is the région (84, 04, 4); any other code is the département (69,
    2A, 971); dep:NN names a département whose code is also a région code (dep:84 Vaucluse,
    dep:01 Ain; reg:NN a région). Names: a whole name is the région of that name, else the
    département (Rhône, Loire, Paris; Martinique is the région, 972 the département); words
    of one name (reunion, provence) — several candidates are listed, none is picked.
    EPCI: a SIREN (200046977), its name with or without its type ("CC du Pays de Gex",
    "pays de gex"), a member commune's name (Lyon → Métropole de Lyon), or epci:NAME.

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
        from reports.render.outputs import check_output

        variant = "pdfa" if pdfa else "tagged"
        check_publication(as_html, variant, print_)
        if not region and not all_:
            raise ConfigError(
                "give a REGION (e.g. 84, 'Bretagne', france) or --all", where="atlas fiche"
            )
        if region and all_:
            raise ConfigError(
                f"REGION {region!r} and --all given",
                where="atlas fiche",
                hint="give one REGION, or --all for the 19 fiches",
            )
        if all_ and output:
            raise ConfigError(
                "--output cannot be used with --all (one file per fiche)", where="atlas fiche"
            )
        if output:
            check_output(output)  # a device, /proc or a read-only folder: said before the work
        session = Session.open()
        targets = session.all_territories() if all_ else [session.territory(region or "")]
        if all_:  # the drawing stack imported once here, inherited by each fiche's drawing
            from reports.figures.assets import keep_drawing_warm

            keep_drawing_warm()
        if all_ and layout == "portrait":  # France has no portrait: the 18 régions
            targets = [t for t in targets if not t.is_france]
        for territory in targets:
            path = build_fiche(
                session,
                territory,
                output,
                html=as_html,
                variant=variant,
                print_=print_,
                server=server,
                layout=layout,
            )
            click.echo(f"atlas: {territory.name} → {path} ({time.perf_counter() - t0:.1f} s)")
            t0 = time.perf_counter()


# --- atlas build: the full atlas ----------------------------------------------------------


@main.command("build")
@edition_option
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Output file (default: output/atlas.pdf, or output/atlas.html with --html).",
)
@click.option("--html", "html", is_flag=True, help="Write the whole atlas as one HTML file.")
@click.option(
    "--workers",
    "-j",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes, 1 to 64 (default: cores).",
)
@pdfa_option
@print_option
@click.option(
    "--compare-with",
    metavar="YEAR",
    default=None,
    help="Add what changed since edition YEAR: an 'Évolutions' table per chapter, the "
    "'Nouveautés de cette édition' paragraph, and <output>-evolutions.csv beside the PDF.",
)
def atlas_build(
    output: Path | None,
    html: bool,
    workers: int | None,
    pdfa: bool,
    print_: bool,
    compare_with: str | None,
) -> None:
    """Build the full atlas (PDF, chapters rendered in parallel).

    The PDF is tagged (PDF/UA-1) and carries the CSV of every chapter section as attachments.
    """
    from reports.documents import compare
    from reports.documents.atlas.build import build_atlas
    from reports.documents.publication import check_publication
    from reports.render.outputs import check_output

    variant = "pdfa" if pdfa else "tagged"
    check_publication(html, variant, print_)
    if output:
        check_output(output)  # a device, /proc or a read-only folder: said before the work
    compared = compare.select(compare_with)  # before the workers start: they inherit it
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
    if compared:
        csv_path = compare.write_changes_csv(report.path)
        click.echo(f"atlas: changes since edition {compared} → {csv_path}")


# --- atlas preview: live preview server -----------------------------------------------------


@main.command("preview")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--open", "open_browser", is_flag=True, help="Open the index in a web browser.")
def preview(port: int, host: str, open_browser: bool) -> None:
    """Live preview: documents paginated by WeasyPrint, reloaded when a file changes."""
    from reports.preview.server import serve

    serve(port=port, host=host, open_browser=open_browser)


# --- atlas check: publication checker -------------------------------------------------------


@main.command("check")
@click.argument("target", required=False)
@click.option("--atlas", "atlas_", is_flag=True, help="Check the atlas (output/atlas.pdf).")
@click.option(
    "--reuse", is_flag=True, help="Check the fiche or atlas already in output/ (no build)."
)
@click.option(
    "--rule", "rules", multiple=True, help="Only this rule (repeatable), e.g. --rule page-empty."
)
@click.option("--pages", default=None, help="Only these pages, e.g. 1-4,9.")
@click.option("--summary", is_flag=True, help="Only the count per rule.")
def check(
    target: str | None,
    atlas_: bool,
    reuse: bool,
    rules: tuple[str, ...],
    pages: str | None,
    summary: bool,
) -> None:
    """Proofread a finished PDF: TARGET is a PDF file, or a REGION whose fiche is built (or
    reused) first; --atlas checks the atlas. Prints the findings page by page and a count per
    rule; exit code 1 when anything is found.
    """
    from reports.proof.check import check as run_check
    from reports.proof.report import format_report

    report = run_check(
        target,
        atlas=atlas_,
        reuse=reuse,
        rules=set(rules) or None,
        pages=pages,
        log=lambda m: click.echo(f"  {m}", err=True),
    )
    click.echo(format_report(report, summary_only=summary))
    if not report.clean:
        click.get_current_context().exit(1)


# --- atlas diff: pages that differ between two builds ---------------------------------------


@main.command("diff")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Contact sheet of the changed pages, old beside new, changes outlined (.pdf or .png).",
)
@click.option(
    "--dpi", type=click.IntRange(20, 150), default=40, show_default=True, help="Raster resolution."
)
def diff(old: Path, new: Path, output: Path | None, dpi: int) -> None:
    """Pages that differ between two builds OLD and NEW of a PDF, matched by their text (pages
    added or removed are said so): one line per changed page, what changed in its text and
    where its print changed. Exit code 0: the same pages; 1: they differ; 2: trouble (bad
    usage, a missing file, not a PDF), as for diff(1).
    """
    from reports.proof.diff import diff_pdfs
    from reports.proof.diff import format_report as format_diff

    try:
        report = diff_pdfs(old, new, output, dpi=dpi, log=lambda m: click.echo(f"  {m}", err=True))
    except (ReportsError, OSError) as exc:  # the same one line, but exit 2: 1 says "they differ"
        ctx = click.get_current_context()
        if (ctx.find_root().obj or {}).get("verbose"):
            traceback.print_exc()
        error = exc if isinstance(exc, ReportsError) else from_os_error(exc)
        click.echo(f"atlas: error: {' '.join(error.format().split())}", err=True)
        ctx.exit(2)
    click.echo(format_diff(report))
    if not report.same:
        click.get_current_context().exit(1)


# --- atlas batch: the fiches of a whole level on a Dask cluster -----------------------------


@main.command("batch")
@edition_option
@click.option(
    "--level",
    type=click.Choice(["region", "departement", "epci"]),
    default="region",
    show_default=True,
    help="Territorial level: the 18 régions, 101 départements or the EPCI (SIREN codes).",
)
@click.option("--only", metavar="CODES", default=None, help="Only these codes, e.g. 84,94,06.")
@click.option(
    "--scheduler",
    metavar="ADDR",
    default=None,
    help="A running Dask scheduler (tcp://host:8786) and its workers, instead of a local "
    "cluster of one worker process per core.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Output folder; the fiches go to DIR/<level>/ (default: output/<level>/).",
)
@click.option(
    "--workers",
    "-j",
    type=click.IntRange(1, 64),
    default=None,
    help="Local worker processes, 1 to 64 (default: cores).",
)
@pdfa_option
def batch(
    level: str,
    only: str | None,
    scheduler: str | None,
    output: Path | None,
    workers: int | None,
    pdfa: bool,
) -> None:
    """Portrait fiches of every territory of a level, built on dask.distributed.

    Resumable: a fiche whose inputs (data, layouts, templates, styles, code, edition) are
    unchanged since the last run is skipped. A failing fiche does not stop the others: the
    summary lists each failure and the exit code is 1. Writes DIR/<level>/index.csv and
    index.html.
    """
    from reports.batch import run_batch
    from reports.batch.plan import parse_only
    from reports.errors import ConfigError

    if scheduler and workers:
        raise ConfigError(
            "--workers is for the local cluster",
            where="atlas batch",
            hint="with --scheduler, the workers are those started on the machines",
        )
    report = run_batch(
        level,
        only=parse_only(only),
        out_root=output,
        scheduler=scheduler,
        workers=workers,
        variant="pdfa" if pdfa else "tagged",
        log=lambda m: click.echo(f"  {m}", err=True),
    )
    n = len(report.built) + len(report.skipped) + len(report.failed)
    on = f" on {report.workers} worker(s)" if report.workers else ""
    click.echo(
        f"atlas batch: {n} fiche(s) ({level}) in {report.seconds:.1f} s{on} — "
        f"{len(report.built)} built, {len(report.skipped)} skipped (unchanged), "
        f"{len(report.failed)} failed → {report.index_html}"
    )
    for row in report.failed:
        click.echo(f"  failed: {row.code}{' ' + row.name if row.name else ''}: {row.error}")
    if report.failed:
        raise ReportsError(
            f"{len(report.failed)} of {n} fiche(s) failed",
            where="atlas batch",
            hint="see the failures above; run again to retry them (the others are skipped)",
        )
