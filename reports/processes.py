"""Clean stops: a signal is an exception in the main process, and worker processes stop with it.

* The CLI process (:func:`stop_on_signals`): SIGTERM and SIGHUP raise :class:`Stopped` (a
  :class:`KeyboardInterrupt`, like Ctrl-C), so every ``with`` block and ``except BaseException``
  cleanup runs (temporary files and folders removed, workers stopped); a second signal while
  stopping is ignored, the stop being bounded anyway.
* A worker (:func:`start_worker`, the initializer of every process pool; :func:`child_started`
  in a process forked by hand) ignores SIGINT (Ctrl-C reaches the whole process group: the
  parent stops its workers itself), gets :data:`DEATH_SIGNAL` when its parent dies
  (``PR_SET_PDEATHSIG``: told apart from the parent's own SIGTERM), and on either unwinds
  (its temporary files are removed) then exits within :data:`GRACE` seconds. A worker that
  outlives its parent (:func:`parent_alive`) also runs the cleanups registered with
  :func:`on_orphan` (e.g. the atlas board folder).
* :func:`worker_pool` / :func:`stop_pool`: a ``ProcessPoolExecutor`` whose workers are
  terminated, not waited for, when the block is left by an exception.
* :class:`PoolHost`: a pool forked by a helper process that first warms up (imports, data),
  so that the caller does not wait for the warm-up and the workers inherit it.

The kernel sends the death signal when the *thread* that forked a worker ends: pools and
forked processes are made from the main thread (the CLI's), never from a passing thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import connection as mp_connection
from pathlib import Path
from typing import Any

#: seconds a stopped worker has to unwind before it exits anyway; the parent waits as long
#: before it kills
GRACE = 2.0
PR_SET_PDEATHSIG = 1
#: what the kernel sends a worker when its parent ends: not SIGTERM, which the parent sends
#: when it stops its workers (and then removes what they leave itself)
DEATH_SIGNAL = signal.SIGUSR1
STOP_EXIT = 128 + signal.SIGTERM


class Stopped(KeyboardInterrupt):
    """The main process got SIGTERM or SIGHUP (SIGINT stays a plain KeyboardInterrupt)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class WorkerStopped(SystemExit):
    """A worker was told to stop (SIGTERM, or its parent is gone): unwind, then exit."""

    def __init__(self) -> None:
        super().__init__(STOP_EXIT)


def signal_name(exc: BaseException) -> str:
    return signal.Signals(getattr(exc, "signum", signal.SIGINT)).name


# --- the main process --------------------------------------------------------------------------
@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """In this block (main thread only), SIGTERM / SIGHUP raise :class:`Stopped` and SIGINT
    :class:`KeyboardInterrupt`, once: a second signal while stopping is ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    raised = False

    def handler(signum: int, frame: Any) -> None:
        nonlocal raised
        if raised:
            return
        raised = True
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Stopped(signum)

    signums = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {s: signal.signal(s, handler) for s in signums}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


# --- worker processes --------------------------------------------------------------------------
_PARENT: int | None = None
_STOPPING = False
_ORPHANED = False  # told by the kernel that the parent ended (see _on_parent_death)
_ORPHAN_CLEANUPS: list[tuple[Callable[..., Any], tuple]] = []


def _die_with_parent() -> None:
    """Ask the kernel for :data:`DEATH_SIGNAL` when the parent ends (Linux; elsewhere the
    parent checks of :func:`check_parent` remain)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, DEATH_SIGNAL, 0, 0, 0)


def _exit_now(*_: Any) -> None:
    if not parent_alive():  # last thing this process does: nothing of it is written after
        _orphan_cleanup()
    os._exit(STOP_EXIT)


def exit_stopped() -> None:
    """End a stopped worker now that its stop has unwound (orphan cleanups run last)."""
    _exit_now()


def _on_term(signum: int, frame: Any) -> None:
    global _STOPPING
    if _STOPPING:  # told twice: no second unwinding
        _exit_now()
    _STOPPING = True
    if not parent_alive():
        _orphan_cleanup()
    # exit within GRACE seconds whatever happens (a pool worker goes back to its queue)
    signal.signal(signal.SIGALRM, _exit_now)
    signal.setitimer(signal.ITIMER_REAL, GRACE)
    raise WorkerStopped


def _on_parent_death(signum: int, frame: Any) -> None:
    """The kernel sends the death signal as the parent exits, *before* the parent shows as
    exited (a loaded machine let a worker see it alive then, skip the orphan cleanups, and
    leave the atlas board behind): wait, briefly, until it does, then stop as on SIGTERM."""
    global _ORPHANED
    deadline = time.monotonic() + GRACE / 4
    while parent_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    _ORPHANED = not parent_alive()
    _on_term(signum, frame)


def _forked() -> None:
    """Run in every child right after ``os.fork()``: the parent's handlers (which raise
    :class:`Stopped`) would unwind the parent's code in this copy if a stop came before the
    child installs its own (:func:`child_started`); until then a stop just ends it."""
    with contextlib.suppress(ValueError):  # not the main interpreter: nothing inherited
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGHUP, signal.SIG_DFL)


os.register_at_fork(after_in_child=_forked)

_MAIN_PID = os.getpid()  # the process that imported this module (the CLI's, or the tests')


def _unraisable(info: Any) -> None:
    """A stop that lands in a finalizer, a weakref callback or a fork hook cannot unwind:
    Python prints "Exception ignored …" and goes on. In a worker (or in a copy just forked,
    whose fork hooks may run before :func:`_forked`) it ends the process quietly instead."""
    exc = info.exc_value
    if isinstance(exc, WorkerStopped) or (isinstance(exc, Stopped) and os.getpid() != _MAIN_PID):
        _exit_now()
    sys.__unraisablehook__(info)


sys.unraisablehook = _unraisable


def child_started(parent: int) -> None:
    """First call in a worker process forked by ``parent`` (its pid, taken before the fork)."""
    global _PARENT, _STOPPING, _ORPHANED
    _PARENT, _STOPPING, _ORPHANED = parent, False, False
    _ORPHAN_CLEANUPS.clear()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGHUP, _on_term)
    signal.signal(DEATH_SIGNAL, _on_parent_death)
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the request above
        _exit_now()


def start_worker(parent: int, init: Callable[..., Any] | None = None, *args: Any) -> None:
    """Initializer of a pool's workers: :func:`child_started`, then ``init(*args)`` (a stop
    during it exits quietly, without the pool's "Exception in initializer" traceback)."""
    child_started(parent)
    if init is not None:
        try:
            init(*args)
        except BaseException:
            _exit_if_stopped()
            raise


def worker_task(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a pool task: once a stop has unwound it, the worker exits at once (rather than
    going back to the pool's queue)."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except BaseException:
            _exit_if_stopped()
            raise

    return run


def _exit_if_stopped() -> None:
    """In a worker's ``except``: end now if a stop is what raised, or what caused the error
    (a stop landing in a C extension's import surfaces as "ImportError: initialization
    failed" from the stop): its traceback is not for the user."""
    if _STOPPING or isinstance(sys.exc_info()[1], WorkerStopped):
        _exit_now()


class _WorkerProcess(multiprocessing.context.ForkProcess):
    """A pool worker that ends quietly when its task queue breaks (EOFError, OSError: its
    pool is being stopped, or its host was): the pool reports it in one line (a broken
    pool), without the worker's traceback from multiprocessing's bootstrap."""

    def run(self) -> None:
        try:
            super().run()
        except (EOFError, OSError):
            _exit_now()


class _WorkerContext(multiprocessing.context.ForkContext):
    Process = _WorkerProcess


def _pool_context(mp_context: Any = None) -> Any:
    """Where the platform forks: the fork context with quiet workers (:class:`_WorkerProcess`)."""
    if mp_context is not None or "fork" not in multiprocessing.get_all_start_methods():
        return mp_context
    return _WorkerContext()


def parent_alive() -> bool:
    """False in a worker whose parent has ended or is ending (always True in the main
    process). While the parent's other threads are being killed, the worker is still its
    child (the kernel gives it to a surviving thread, and sends the death signal then): the
    parent's main thread is then a zombie."""
    if _PARENT is None:
        return True
    if _ORPHANED or os.getppid() != _PARENT:
        return False
    return pid_alive(_PARENT)


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, or a process whose main thread is, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):  # no /proc, or no such process
        try:
            os.kill(pid, 0)
        except PermissionError:
            return True
        except OSError:
            return False
        return True
    return state not in {"Z", "X", "x"}


def check_parent() -> None:
    """In a worker's waiting loop: stop (cleanups run) if the parent has ended."""
    if not parent_alive():
        _orphan_cleanup()
        raise WorkerStopped


def on_orphan(fn: Callable[..., Any], *args: Any) -> None:
    """In a worker: run ``fn(*args)`` if the worker stops because its parent ended (what the
    parent would have cleaned up), when the stop begins and again as the worker exits: ``fn``
    must be idempotent (e.g. ``shutil.rmtree(folder, True)``)."""
    _ORPHAN_CLEANUPS.append((fn, args))


def _orphan_cleanup() -> None:
    """Run the orphan cleanups (again: another worker may have written since)."""
    for fn, args in reversed(_ORPHAN_CLEANUPS):
        with contextlib.suppress(Exception):
            fn(*args)


# --- pools -------------------------------------------------------------------------------------
def stop_processes(processes: list[Any], grace: float = GRACE) -> None:
    """SIGTERM ``processes`` (``multiprocessing.Process``), wait ``grace`` s, SIGKILL the rest."""
    for p in processes:
        with contextlib.suppress(Exception):
            if p.is_alive():
                p.terminate()
    deadline = time.monotonic() + grace
    for p in processes:
        with contextlib.suppress(Exception):
            p.join(max(0.0, deadline - time.monotonic()))
    for p in processes:
        with contextlib.suppress(Exception):
            if p.is_alive():
                p.kill()
                p.join(1.0)


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel what is queued and stop the workers now (their running tasks unwind), then wait
    for the pool's manager thread: left running, it closed its wake-up pipe while the
    interpreter's exit wrote to it ("Exception ignored … _python_exit … send_bytes")."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)  # (forgets its manager thread)
    stop_processes(processes)
    if manager is not None:
        manager.join(GRACE)


@contextlib.contextmanager
def worker_pool(
    workers: int,
    init: Callable[..., Any] | None = None,
    initargs: tuple = (),
    mp_context: Any = None,
) -> Iterator[ProcessPoolExecutor]:
    """A ``ProcessPoolExecutor`` of workers started by :func:`start_worker` (``init(*initargs)``
    then runs in each); left by an exception (a failure, Ctrl-C, SIGTERM) its workers are
    stopped at once instead of being waited for."""
    pool = ProcessPoolExecutor(
        workers,
        mp_context=_pool_context(mp_context),
        initializer=start_worker,
        initargs=(os.getpid(), init, *initargs),
    )
    try:
        yield pool
        pool.shutdown(wait=True)  # a stop while waiting here stops the workers too
    except BaseException:
        stop_pool(pool)
        raise


# --- a pool owned by a forked host ---------------------------------------------------------------
class PoolHost:
    """A process pool whose workers are forked by a *host* process, forked now: the host runs
    ``warm(*warm_args)`` (imports and data its workers then inherit), then forks ``workers``
    pool workers and hands them the tasks, while this process goes on. :meth:`submit` queues
    a call ``task(*args)`` (sent in the background: never blocks, even while the host warms
    up); :meth:`close` waits for every task and re-raises here the first task error, in
    submission order. ``task`` is a module-level function decorated with :func:`worker_task`.

    The host and its workers stop with this process (:func:`child_started`, death signal); a
    stop or a failure here stops them at once (``close(cancel=True)``). A host that ends
    without an answer (killed) is a :class:`BrokenProcessPool`, as for a plain pool."""

    def __init__(
        self,
        workers: int,
        task: Callable[..., Any],
        warm: Callable[..., Any] | None = None,
        warm_args: tuple = (),
    ) -> None:
        fork = multiprocessing.get_context("fork")
        self._tasks = fork.Queue()
        self._conn, theirs = fork.Pipe(duplex=False)
        self._proc: Any = fork.Process(
            target=_host,
            args=(self._tasks, theirs, workers, task, warm, warm_args, os.getpid()),
        )
        self._proc.start()
        theirs.close()

    def submit(self, *args: Any) -> None:
        self._tasks.put(args)

    def close(self, cancel: bool = False) -> None:
        """Wait for every task (``cancel``: stop now, the tasks in progress are dropped)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if not cancel:
                self._tasks.put(None)  # no more tasks
                answer = None
                if self._conn in mp_connection.wait([self._conn, proc.sentinel]):
                    with contextlib.suppress(EOFError):  # the host is gone: no answer
                        answer = self._conn.recv()
                if answer is None:
                    raise BrokenProcessPool("the pool's host process ended unexpectedly")
                kind, value = answer
                proc.join(GRACE)  # it has answered: it ends by itself (its workers stopped)
                if kind == "error":
                    raise value
        except BaseException:
            cancel = True
            raise
        finally:
            if cancel:
                self._tasks.cancel_join_thread()  # what is still queued is dropped
            stop_processes([proc])  # nothing left to do if it has ended
            self._tasks.close()
            self._conn.close()


def _host(
    tasks: Any,
    conn: Any,
    workers: int,
    task: Callable[..., Any],
    warm: Callable[..., Any] | None,
    warm_args: tuple,
    parent: int,
) -> None:
    """The host process of a :class:`PoolHost`."""
    child_started(parent)
    pool: ProcessPoolExecutor | None = None
    try:
        if warm is not None:
            warm(*warm_args)
        gc.freeze()  # the workers' collections never walk (so never copy) what they inherit
        pool = ProcessPoolExecutor(
            workers,
            mp_context=_pool_context(),
            initializer=start_worker,
            initargs=(os.getpid(),),
        )
        futures = []
        while (args := tasks.get()) is not None:
            futures.append(pool.submit(task, *args))
        for future in futures:
            future.result()
        pool.shutdown(wait=True)
        _answer(conn, ("done", None))
    except BaseException as exc:  # stopped, or a task failed: its workers stop on the way out
        if pool is not None:
            stop_pool(pool)
        if isinstance(exc, WorkerStopped):
            exit_stopped()
        _answer(conn, ("error", exc))  # reported to the caller, which raises it


def _answer(conn: Any, message: tuple[str, Any]) -> None:
    """The host's last word: once sent, a stop just ends it (no unwinding of its exit)."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _exit_now)
    with contextlib.suppress(OSError):  # the caller is gone: nobody to tell
        conn.send(message)
