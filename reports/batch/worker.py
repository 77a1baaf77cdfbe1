"""What runs in a Dask worker process: its Session, opened once, and the task that builds one
fiche.

:class:`BatchWorker` (a worker plugin, registered by the client on every worker, those that join
later too) gives the process the client's edition and a scratch folder of its own (every
temporary file of the build goes there: ``tempfile.tempdir``), removed when the worker closes;
a worker of a ``LocalCluster`` also removes it and exits at once on SIGTERM, ignores SIGINT
(the client stops it) and dies with its parent (``PR_SET_PDEATHSIG``). The Session is opened
by the first task of a batch (not in the plugin: that would block the worker's event loop for
seconds) and kept for the rest of the batch.

:func:`build_task` builds one fiche in the scratch folder, one process, one core
(``build_fiche(..., workers=1)``: no fork inside a Dask worker), and returns its bytes, page
count and time: the client writes the file, so the machines of a cluster need no shared
folder, only the same project (checked: a worker whose inputs hash differs from the
client's refuses, rather than build other fiches than the index says). Any failure is
returned as a one-line error, never raised: one fiche failing does not stop the batch.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import io
import os
import resource
import shutil
import signal
import socket
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin

from reports.batch.plan import Job, inputs_digest
from reports.errors import ReportsError, from_os_error
from reports.processes import PR_SET_PDEATHSIG, STOP_EXIT

PACKAGE = Path(__file__).resolve().parent.parent


@dataclass
class Outcome:
    """What a task sends back: the PDF's bytes, or the one-line error."""

    code: str
    ok: bool
    data: bytes = b""
    pages: int | None = None
    seconds: float = 0.0
    cpu: float = 0.0  # CPU seconds of the build (its thread): the cost without contention
    error: str = ""
    pid: int = 0
    host: str = ""
    peak_mb: float = 0.0  # the worker process's peak resident memory so far


class _State:
    scratch: str | None = None
    session: Any = None
    digest: str | None = None
    error: str | None = None  # opening the Session failed: every task says it


_STATE = _State()


def one_line(exc: BaseException) -> str:
    """``exc`` as the CLI would print it (without the ``atlas: error:`` prefix)."""
    if isinstance(exc, ReportsError):
        error = exc
    elif isinstance(exc, OSError):
        error = from_os_error(exc)
    else:
        where = None
        for frame, lineno in traceback.walk_tb(exc.__traceback__):
            name = Path(frame.f_code.co_filename)
            if PACKAGE in name.parents:
                where = f"{name.relative_to(PACKAGE.parent)}:{lineno}"
        text = " ".join(str(exc).split())[:300]
        error = ReportsError(
            f"internal error: {type(exc).__name__}" + (f": {text}" if text else ""),
            where=where,
            hint="a bug: build this fiche with `atlas -v fiche CODE` for the traceback",
        )
    return " ".join(error.format().split())


def _cleanup() -> None:
    if _STATE.scratch:
        shutil.rmtree(_STATE.scratch, ignore_errors=True)


def _die_with_parent() -> None:
    """SIGTERM when the parent (the nanny) ends (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _on_term(signum: int, frame: Any) -> None:
    """SIGTERM (the client stopping, the parent gone): the scratch folder removed, exit now
    (the task in its thread is abandoned: its files were all in the scratch folder)."""
    _cleanup()
    os._exit(STOP_EXIT)


class BatchWorker(WorkerPlugin):
    """Set up a worker process for fiche builds (see the module docstring)."""

    name = "atlas-batch"

    def __init__(self, env: dict[str, str], scratch_root: str | None, local: bool) -> None:
        self.env = env
        self.scratch_root = scratch_root  # a LocalCluster's: the client removes it at the end
        self.local = local

    def setup(self, worker: Any) -> None:
        os.environ.update(self.env)  # ATLAS_EDITION, ATLAS_LAYOUTS…: before anything is read
        root = self.scratch_root if self.scratch_root and Path(self.scratch_root).is_dir() else None
        _STATE.scratch = tempfile.mkdtemp(prefix="atlas-batch-", dir=root)
        tempfile.tempdir = _STATE.scratch
        # a new batch, a new Session (the data or layouts may have changed since the last)
        _STATE.session = _STATE.digest = _STATE.error = None
        if not self.local:  # a `dask worker` of its own: its signals are its own
            return
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _on_term)
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # the client stops us
        _die_with_parent()

    def teardown(self, worker: Any) -> None:
        tempfile.tempdir = None
        _cleanup()


def _session() -> Any:
    if _STATE.session is None and _STATE.error is None:
        from reports.documents.session import Session

        try:
            _STATE.session = Session.open()
            _STATE.digest = inputs_digest(_STATE.session.paths)
        except Exception as exc:
            _STATE.error = one_line(exc)
    if _STATE.error is not None:
        raise ReportsError(_STATE.error)
    return _STATE.session


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _release_memory() -> None:
    """After a fiche: collect its cycles and hand the freed heap back to the system (glibc
    keeps it in the task thread's arena otherwise: a worker grew by ~2 MB a fiche)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def build_task(job: Job) -> Outcome:
    """Build the fiche of ``job`` here; its bytes, or the one-line error."""
    from reports.documents.fiche import build_fiche

    t0, c0 = time.perf_counter(), time.thread_time()
    host = socket.gethostname()
    try:
        session = _session()
        if _STATE.digest != job.digest:
            raise ReportsError(
                "this worker's project (code, data, layouts, templates or styles) differs "
                "from the client's",
                where=f"worker {host}",
                hint="install the same project on every machine of the cluster",
            )
        with tempfile.TemporaryDirectory(prefix="fiche-", dir=_STATE.scratch) as tmp:
            out = Path(tmp) / job.file
            build_fiche(session, job.territory, out, variant=job.variant, workers=1)
            data = out.read_bytes()
        import pikepdf

        with pikepdf.open(io.BytesIO(data)) as pdf:
            pages = len(pdf.pages)
        _release_memory()
        return Outcome(
            job.code,
            True,
            data=data,
            pages=pages,
            seconds=time.perf_counter() - t0,
            cpu=time.thread_time() - c0,
            pid=os.getpid(),
            host=host,
            peak_mb=_peak_mb(),
        )
    except Exception as exc:
        return Outcome(
            job.code,
            False,
            seconds=time.perf_counter() - t0,
            cpu=time.thread_time() - c0,
            error=one_line(exc),
            pid=os.getpid(),
            host=host,
            peak_mb=_peak_mb(),
        )
