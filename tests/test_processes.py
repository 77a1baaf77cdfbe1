"""The pool forked by a host process (reports.processes.PoolHost): results, errors, a lost host."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from reports.processes import PoolHost, worker_task

ROOT = Path(__file__).resolve().parent.parent
WARMED: list[str] = []


def _warm(tag: str) -> None:
    WARMED.append(tag)  # in the host: its workers inherit it


@worker_task
def _write(folder: str, name: str) -> None:
    if name == "bad":
        raise ValueError("cannot draw 'bad'")
    Path(folder, name).write_text(f"{WARMED}|{os.getppid()}", encoding="utf-8")


@worker_task
def _kill_host(folder: str, name: str) -> None:
    os.kill(os.getppid(), signal.SIGKILL)


def test_tasks_run_in_workers_that_inherit_the_warm_up(tmp_path: Path) -> None:
    host = PoolHost(2, _write, _warm, ("warm",))
    for i in range(6):
        host.submit(str(tmp_path), f"f{i}")
    host.close()
    texts = {p.read_text(encoding="utf-8") for p in tmp_path.iterdir()}
    assert len(list(tmp_path.iterdir())) == 6
    assert all(t.startswith("['warm']|") for t in texts)
    assert all(not t.endswith(f"|{os.getpid()}") for t in texts)  # forked by the host
    assert WARMED == []  # the warm-up ran in the host, not here


def test_a_task_error_is_raised_by_close(tmp_path: Path) -> None:
    host = PoolHost(2, _write)
    host.submit(str(tmp_path), "ok")
    host.submit(str(tmp_path), "bad")
    with pytest.raises(ValueError, match="cannot draw 'bad'"):
        host.close()


def test_a_killed_host_is_a_broken_pool(tmp_path: Path) -> None:
    host = PoolHost(1, _kill_host)
    host.submit(str(tmp_path), "x")
    with pytest.raises(BrokenProcessPool):
        host.close()


def test_cancel_stops_the_host_at_once(tmp_path: Path) -> None:
    host = PoolHost(2, _write, _warm, ("warm",))
    proc = host._proc
    host.close(cancel=True)
    assert not proc.is_alive()


def test_a_stop_inside_a_finalizer_ends_a_worker_quietly() -> None:
    """A SIGTERM that lands in a ``__del__`` (or a fork hook) cannot unwind: the worker exits
    at once, without Python's "Exception ignored … WorkerStopped" on stderr."""
    code = (
        "import os, signal, time\n"
        "from reports.processes import child_started\n"
        "child_started(os.getppid())\n"
        "class Font:\n"
        "    def __del__(self):\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "        time.sleep(1)\n"
        "Font()\n"
        "time.sleep(5)\n"
        "print('went on')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, cwd=ROOT
    )
    assert done.returncode == 128 + signal.SIGTERM
    assert done.stderr == "" and done.stdout == ""


def test_a_board_left_by_a_killed_atlas_process_is_removed_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An atlas process killed before its workers started leaves its board: nobody else
    knew of it. The next build removes it, not the board of an atlas process still running."""
    import tempfile

    from reports.documents.atlas.workers import BOARD_PREFIX, Board

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = tmp_path / f"{BOARD_PREFIX}{gone.pid}-abcd"
    alive = tmp_path / f"{BOARD_PREFIX}{os.getppid()}-efgh"  # (the test runner's parent)
    for folder in (dead, alive):
        folder.mkdir()
        (folder / "0.anchors.json").write_text("{}", encoding="utf-8")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    board = Board(3)
    assert board.directory.name.startswith(f"{BOARD_PREFIX}{os.getpid()}-")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, board.directory.name])
    board.close()
    assert not board.directory.exists()
