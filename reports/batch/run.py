"""Run a batch: plan it, build what changed on a Dask cluster, write the fiches and the index.

The cluster is a ``LocalCluster`` of one single-threaded worker *process* per core (a fiche
build is CPU-bound Python: threads would share one core), or the scheduler at ``scheduler``
(``tcp://host:8786``) and whatever workers joined it, on as many machines (docs/SCALE.md).
Tasks return the PDF's bytes; this process writes each file (atomically, checked) as it
arrives, so the workers need no shared folder. A task's failure is a row of the summary,
never a stop; the index is written at the end, and also when the batch is stopped (what was
built is not built again).

Stops (Ctrl-C, SIGTERM, SIGHUP: :func:`reports.processes.stop_on_signals` in the CLI): the
workers of a ``LocalCluster`` ignore SIGINT (blocked while they are spawned, ignored once set
up), so the terminal's Ctrl-C reaches this process only; it tells the nannies not to restart
them, sends them SIGTERM (each removes its scratch folder and exits), kills any still there
after :data:`reports.processes.GRACE` seconds, closes the cluster and removes the cluster's
scratch folder. A remote cluster is not ours: its pending tasks are cancelled, its workers
stay.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reports import edition
from reports.batch.index import Row, write_index
from reports.batch.plan import Plan, check_level, inputs_digest, make_plan
from reports.batch.worker import BatchWorker, Outcome, build_task, one_line
from reports.errors import ReportsError
from reports.processes import GRACE, pid_alive

#: environment a LocalCluster's workers get from the client (remote workers: only the edition)
LOCAL_ENV = ("ATLAS_LAYOUTS", "ATLAS_TEMPLATES", "ATLAS_DATA", "ATLAS_CACHE", "ATLAS_SOURCES")
#: seconds between two writes of the index while a long batch runs
INDEX_EVERY = 30.0
#: how long a LocalCluster worker lives before its nanny replaces it (memory, see above)
WORKER_LIFETIME = "8 minutes"
#: seconds to wait for a first worker on a remote scheduler
WORKER_WAIT = 60.0


@dataclass
class BatchReport:
    level: str
    folder: Path
    built: list[Row] = field(default_factory=list)
    skipped: list[Row] = field(default_factory=list)
    failed: list[Row] = field(default_factory=list)
    workers: int = 0
    seconds: float = 0.0
    #: per fiche a worker sent back: code, seconds and CPU seconds in the worker, the worker's
    #: pid and its peak memory so far (MB)
    tasks: list[tuple[str, float, float, int, float]] = field(default_factory=list)

    @property
    def index_html(self) -> Path:
        return self.folder / "index.html"


# --- the cluster -----------------------------------------------------------------------------
@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """SIGINT blocked in this thread meanwhile: the threads started here (the cluster's event
    loops) and the processes they spawn (the workers, and their restarts) inherit the mask;
    a Ctrl-C meanwhile is delivered when the block ends."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@contextlib.contextmanager
def _quiet_dask() -> Iterator[None]:
    """Dask's own log lines (connections closing while a cluster stops…) off the terminal:
    what matters is in the summary."""
    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _children() -> set[int]:
    """This process's child processes, but multiprocessing's resource tracker (it ignores
    SIGTERM and ends with this process)."""
    import psutil  # a dependency of distributed

    pids = set()
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if not any("resource_tracker" in part for part in child.cmdline()):
                pids.add(child.pid)
    return pids


def stop_local_workers(cluster: Any, before: set[int]) -> None:
    """No restart, SIGTERM to every worker process (those of the cluster's nannies, and any
    child started since ``before``, the cluster being half made), SIGKILL to those left after
    GRACE s."""
    nannies = list(getattr(cluster, "workers", {}).values())
    pids = {n.pid for n in nannies if getattr(n, "pid", None)} | (_children() - before)
    for nanny in nannies:
        with contextlib.suppress(Exception):
            nanny.close_gracefully(reason="atlas batch stopped")
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE
    while time.monotonic() < deadline and any(pid_alive(p) for p in pids):
        time.sleep(0.02)
    for pid in pids:
        if pid_alive(pid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def dask_client(scheduler: str | None, workers: int | None) -> Iterator[tuple[Any, int]]:
    """A ``distributed.Client`` on a new ``LocalCluster`` (``workers`` processes, default one
    per core) or on ``scheduler``; yields it and the number of workers. Its workers have
    :class:`~reports.batch.worker.BatchWorker` set up."""
    import dask
    from distributed import Client, LocalCluster

    cluster = None
    client = None
    scratch = None
    env = {edition.ENV: edition.current().name}
    stopped = False
    config: dict[str, Any] = {
        "distributed.scheduler.allowed-failures": 1,
        # the statistical profiler keeps every sampled stack of the task thread: with
        # WeasyPrint's deep stacks it grew a worker by ~1.5 MB a fiche (issue 20: ≤ 600 MB)
        "distributed.worker.profile.enabled": False,
    }
    before = set() if scheduler else _children()
    if not scheduler:
        # the cluster's scratch space, Dask's too (lock files, spilled data): removed after
        scratch = tempfile.mkdtemp(prefix="atlas-batch-")
        config["temporary-directory"] = scratch
    with _quiet_dask(), dask.config.set(config):
        try:
            if scheduler:
                try:
                    client = Client(scheduler, timeout="10s", set_as_default=False)
                except (OSError, TimeoutError) as exc:
                    raise ReportsError(
                        f"cannot reach the Dask scheduler ({type(exc).__name__})",
                        where=scheduler,
                        hint="start it with `dask scheduler` and workers with `dask worker "
                        "ADDRESS` on each machine (docs/SCALE.md), or leave out --scheduler",
                    ) from None
                client.register_plugin(BatchWorker(env, None, local=False))
                try:
                    client.wait_for_workers(1, timeout=WORKER_WAIT)
                except TimeoutError:
                    raise ReportsError(
                        f"no worker joined the scheduler in {WORKER_WAIT:.0f} s",
                        where=scheduler,
                        hint="start workers with `dask worker ADDRESS` (docs/SCALE.md)",
                    ) from None
            else:
                n = workers or os.cpu_count() or 1
                env |= {k: os.environ[k] for k in LOCAL_ENV if os.environ.get(k)}
                with _sigint_blocked():
                    cluster = LocalCluster(
                        n_workers=n,
                        threads_per_worker=1,
                        processes=True,
                        host="127.0.0.1",
                        dashboard_address=None,
                        silence_logs=logging.CRITICAL,
                        local_directory=scratch,
                        # a long batch: each worker is replaced every few minutes (its
                        # nanny starts a fresh one), so its memory stays that of a few
                        # hundred fiches (issue 20: ≤ 600 MB a worker)
                        lifetime=os.environ.get("ATLAS_WORKER_LIFETIME", WORKER_LIFETIME),
                        lifetime_stagger="30s",
                        lifetime_restart=True,
                    )
                    client = Client(cluster, set_as_default=False)
                client.register_plugin(BatchWorker(env, scratch, local=True))
            yield client, len(client.scheduler_info(n_workers=-1)["workers"])
        except BaseException:
            stopped = True
            if not scheduler:
                stop_local_workers(cluster, before)
            raise
        finally:
            timeout = 2 if stopped else 10
            if client is not None:
                with contextlib.suppress(Exception):
                    client.close(timeout=timeout)
            if cluster is not None:
                with contextlib.suppress(Exception):
                    cluster.close(timeout=timeout)
            if stopped and not scheduler:
                stop_local_workers(cluster, before)  # any restarted meanwhile
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)


# --- the batch -------------------------------------------------------------------------------
def _progress(enabled: bool) -> Any:
    """A progress bar on stderr: done/total, the rate and the time left, both over the whole
    run so far (fiches differ in cost: a short window would swing)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.text import Text

    def rate(task: Any) -> float | None:
        elapsed = task.finished_time if task.finished else task.elapsed
        return task.completed / elapsed if task.completed and elapsed else None

    class Rate(ProgressColumn):
        def render(self, task: Any) -> Text:
            r = rate(task)
            return Text("– fiches/min" if r is None else f"{r * 60:.1f} fiches/min")

    class Left(ProgressColumn):
        def render(self, task: Any) -> Text:
            r = rate(task)
            if r is None:
                return Text("ETA –")
            left = int((task.total - task.completed) / r)
            return Text(f"ETA {left // 3600}:{left // 60 % 60:02d}:{left % 60:02d}")

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        Rate(),
        TimeElapsedColumn(),
        Left(),
        console=Console(stderr=True),
        disable=not enabled,
    )


def _write_pdf(folder: Path, file: str, outcome: Outcome) -> str:
    """Write the fiche's bytes (checked, atomically); its sha256."""
    from reports.integrity import check_pdf, digest
    from reports.render.pdf import atomic_write

    def check(tmp: Path, out: Path) -> None:
        check_pdf(tmp, out, pages=outcome.pages)

    atomic_write(folder / file, lambda tmp: tmp.write_bytes(outcome.data), check=check)
    return digest(outcome.data)


def index_rows(plan: Plan, done: dict[str, Row]) -> list[Row]:
    """Every territory of the level, in order: this run's row, else the previous run's."""
    rows = []
    for t in plan.territories:
        row = done.get(t.code) or plan.previous.get(t.code)
        if row is not None:
            rows.append(row)
    return rows


def run_batch(
    level: str,
    *,
    only: list[str] | None = None,
    out_root: Path | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    variant: str = "tagged",
    progress: bool = True,
    log: Callable[[str], None] = lambda message: None,
) -> BatchReport:
    """Build the fiches of ``level`` (the ``only`` codes of it) whose inputs changed into
    ``out_root/<level>/`` (default ``output/<level>/``) and write its index."""
    from reports.documents.session import Session
    from reports.render.outputs import check_output

    t0 = time.perf_counter()
    check_level(level)
    session = Session.open()  # data and layouts checked once, here (a mistake is one line)
    out_root = out_root or session.paths.output
    check_output(out_root / level / "index.csv")
    plan = make_plan(session, level, out_root, only, variant, inputs_digest(session.paths))
    report = BatchReport(level, plan.folder, skipped=list(plan.skipped), failed=list(plan.unknown))
    done: dict[str, Row] = {r.code: r for r in plan.skipped}
    if plan.skipped:
        log(f"{len(plan.skipped)} fiche(s) unchanged, skipped")
    try:
        if plan.todo:
            _build(plan, report, done, scheduler, workers, progress, log)
    finally:  # stopped too: what was built is in the index, and not built again
        plan.folder.mkdir(parents=True, exist_ok=True)
        write_index(plan.folder, level, index_rows(plan, done))
        order = {t.code: i for i, t in enumerate(plan.territories)}
        for rows in (report.built, report.failed):  # the level's order, unknown codes last
            rows.sort(key=lambda r: order.get(r.code, len(order)))
        report.seconds = time.perf_counter() - t0
    return report


def _build(
    plan: Plan,
    report: BatchReport,
    done: dict[str, Row],
    scheduler: str | None,
    workers: int | None,
    progress: bool,
    log: Callable[[str], None],
) -> None:
    from distributed import as_completed

    jobs = {job.code: job for job in plan.todo}
    with dask_client(scheduler, workers) as (client, n):
        report.workers = n
        where = scheduler or "local cluster"
        log(f"{len(jobs)} fiche(s) to build on {n} worker(s) ({where})")
        futures = client.map(
            build_task,
            list(jobs.values()),
            key=[f"fiche-{j.level}-{j.code}-{j.key[:12]}" for j in jobs.values()],
            pure=False,
        )
        code_of = {f.key: j.code for f, j in zip(futures, jobs.values(), strict=True)}
        last_index = time.monotonic()
        with _progress(progress) as bar:
            task = bar.add_task(f"fiches ({plan.level})", total=len(jobs))
            try:
                for future, result in as_completed(
                    futures, loop=client.loop, with_results=True, raise_errors=False
                ):
                    code = code_of[future.key]
                    future.release()
                    row = _record(plan, jobs[code], result, report)
                    done[code] = row
                    if row.status == "failed":
                        bar.console.print(
                            f"  failed: {code} {row.name}: {row.error}",
                            markup=False,
                            highlight=False,
                            soft_wrap=True,
                        )
                    bar.advance(task)
                    if time.monotonic() - last_index > INDEX_EVERY:
                        write_index(plan.folder, plan.level, index_rows(plan, done))
                        last_index = time.monotonic()
            except BaseException:
                with contextlib.suppress(Exception):
                    client.cancel(futures)
                raise


def _record(plan: Plan, job: Any, result: Any, report: BatchReport) -> Row:
    """The index row of one finished task (the PDF written if it was built)."""
    t = job.territory
    row = Row(t.code, t.name, inputs=job.key)
    if not isinstance(result, Outcome):  # the task itself failed (its worker died…)
        row.status, row.error = "failed", _task_error(result)
        report.failed.append(row)
        return row
    report.tasks.append((t.code, result.seconds, result.cpu, result.pid, result.peak_mb))
    row.seconds = round(result.seconds, 2)
    if result.ok:
        try:
            row.sha256 = _write_pdf(plan.folder, job.file, result)
        except (ReportsError, OSError) as exc:
            row.status, row.error = "failed", one_line(exc)
        else:
            row.file, row.pages, row.status = job.file, result.pages, "built"
    else:
        row.status, row.error = "failed", result.error
    (report.built if row.status == "built" else report.failed).append(row)
    return row


def _task_error(exc: Any) -> str:
    name = type(exc).__name__
    if name == "KilledWorker":
        return (
            "its worker process died while building it — killed (out of memory?): "
            "try again with fewer workers"
        )
    return one_line(exc) if isinstance(exc, BaseException) else f"task failed: {exc!r}"
