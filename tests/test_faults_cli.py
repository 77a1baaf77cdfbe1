"""Issue #17 part B, "Never a wrong PDF": one test per fault a hostile tester found.

Every user mistake or environment failure is one line ``atlas: error: <where>: <what> — <hint>``
with a non-zero exit code, no traceback, and the previous output left byte-identical
(``layouts.yaml`` checked against its schema, ``-o`` refused where no file belongs, ambiguous
names listed, options range-checked, template and data errors named). SIGINT, SIGTERM and
SIGKILL stop ``atlas build``, ``atlas fiche``, ``atlas data build`` and ``atlas preview`` — the
command runs in its own session, the signal goes to its pid only — within 5 s with every
process of the run, and no temporary file or folder of the run is left (its ``TMPDIR``, its
``ATLAS_CACHE``, the output folder).

Quick cases run the CLI in this process (``CliRunner``); the stops run it as a subprocess.
Every run has its own ``ATLAS_CACHE``; the Corse fiche (94, the smallest) is the one built.
"""

from __future__ import annotations

import contextlib
import errno
import http.client
import logging
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reports.cli import main
from reports.data.store import Store
from reports.data.territories import resolve
from reports.paths import PROJECT_ROOT, Paths

PY = sys.executable
LAYOUTS = PROJECT_ROOT / "layouts.yaml"
PREVIOUS = b"%PDF-1.7 the previous output, which a failed run leaves alone\n"
STOP_SECONDS = 5.0
#: temporary folders another part of the project is responsible for (WeasyPrint's fonts)
NOT_OURS = ("weasyprint-",)


# --- helpers ----------------------------------------------------------------------------------
def cli(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=True)


def one_line(result: Result, *needles: str, code: int = 1) -> str:
    """The run failed with ``code`` and printed exactly one ``atlas: error:`` line holding
    every needle; no traceback, nothing raised through the CLI."""
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("atlas: error: "), lines[0]
    assert " — " in lines[0], lines[0]  # a hint
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The module's figure and PDF cache (figures seeded from the project's, when there)."""
    path = tmp_path_factory.mktemp("cache")
    figures = PROJECT_ROOT / "cache" / "figures"
    if figures.is_dir():
        shutil.copytree(figures, path / "figures", dirs_exist_ok=True)
    return path


@pytest.fixture
def env(cache: Path) -> dict[str, str]:
    return {"ATLAS_CACHE": str(cache)}


@pytest.fixture
def previous(tmp_path: Path) -> Path:
    """An output file that a failing run must leave byte-identical."""
    out = tmp_path / "out" / "corse.html"
    out.parent.mkdir()
    out.write_bytes(PREVIOUS)
    return out


@pytest.fixture(scope="module")
def corse_pdf(cache: Path, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The Corse fiche, built once (it warms the module cache)."""
    out = tmp_path_factory.mktemp("corse") / "corse.pdf"
    result = cli("fiche", "94", "-o", str(out), env={"ATLAS_CACHE": str(cache)})
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the ``nth`` occurrence of ``needle`` in ``text``."""
    pos = -1
    for _ in range(nth):
        pos = text.index(needle, pos + 1)
    return text.count("\n", 0, pos) + 1


# --- layouts.yaml checked against its schema -----------------------------------------------
def edit(pattern: str, replacement: str) -> Callable[[str], str]:
    def apply(text: str) -> str:
        new, n = re.subn(pattern, replacement, text, count=1)
        assert n == 1, f"layouts.yaml changed: {pattern!r} not found"
        return new

    return apply


@dataclass(frozen=True)
class LayoutCase:
    edit: Callable[[str], str]
    needles: tuple[str, ...]
    line: str  # text of the line the message names
    nth: int = 1


LAYOUT_CASES = {
    "unknown-figure": LayoutCase(
        edit(r"(\n    figures: \[)(\w+)(, )", r"\1\2\3M55\3"),
        ("figures: unknown figure 'M55'",),
        "M55",
    ),
    "unknown-indicator": LayoutCase(
        edit(r"(\n    indicators: \[)(\w+)", r"\1C99"),
        ("tables.T01.indicators: unknown indicator 'C99'", "indicator_meta.csv"),
        "C99",
    ),
    "figures-as-a-string": LayoutCase(
        edit(r"\n    figures: \[(\w+)[^\]\n]*\]", r"\n    figures: \1"),
        ("expected a list of figure ids, got the text", "write ["),
        "    figures: M01\n",
    ),
    "tables-as-a-number": LayoutCase(
        edit(r"\n    tables: \[[^\]\n]*\]", "\n    tables: 5"),
        ("sections.opener.tables: expected a list of table ids, got the number 5",),
        "tables: 5",
    ),
    "section-as-a-string": LayoutCase(
        edit(r"\n  notes:\n(?:    [^\n]*\n)+", "\n  notes: sections/notes.html\n"),
        ("sections.notes: expected a mapping, got the text 'sections/notes.html'",),
        "notes: sections/notes.html",
    ),
    "document-sections-as-a-string": LayoutCase(
        edit(r"(\n  fiche:\n(?:    [^\n]*\n)*?    sections: )\[[^\]\n]*\]", r"\1opener"),
        ("documents.fiche.sections: expected a list of section ids", "write [opener]"),
        "sections: opener",
    ),
    "only-misspelt": LayoutCase(
        edit(r"only: metro\b", "only: metr"),
        ("sections.cinema.only: the text 'metr' is not one of", "did you mean metro?"),
        "only: metr",
    ),
    "duplicated-key": LayoutCase(
        edit(r"\nsettings:\n", '\nsettings:\n  author: "Quelqu\'un"\n'),
        ("settings.author: duplicate key (first at line", "the last one would win"),
        "  author:",
        nth=2,
    ),
    "top-level-typo": LayoutCase(
        edit(r"\nsettings:\n", "\nsetings:\n"),
        ("setings: unknown key", "did you mean settings"),
        "setings:",
    ),
}


@pytest.mark.parametrize("case", list(LAYOUT_CASES))
def test_layouts_mistake_is_one_line_with_file_line_and_key(
    case: str, tmp_path: Path, env: dict[str, str], previous: Path
) -> None:
    spec = LAYOUT_CASES[case]
    text = spec.edit(LAYOUTS.read_text(encoding="utf-8"))
    layouts = tmp_path / "layouts.yaml"
    layouts.write_text(text, encoding="utf-8")
    where = f"{layouts}:{line_of(text, spec.line, spec.nth)}: "
    result = cli(
        "fiche", "94", "--html", "-o", str(previous), env={**env, "ATLAS_LAYOUTS": str(layouts)}
    )
    one_line(result, where, *spec.needles)
    assert previous.read_bytes() == PREVIOUS


def test_layouts_binary_garbage_is_one_line(
    tmp_path: Path, env: dict[str, str], previous: Path
) -> None:
    layouts = tmp_path / "layouts.yaml"
    layouts.write_bytes(b"settings:\n  edition: x\n\xff\xfe\x00\x9c garbage \x81\n")
    result = cli(
        "fiche", "94", "--html", "-o", str(previous), env={**env, "ATLAS_LAYOUTS": str(layouts)}
    )
    one_line(result, f"{layouts}:3: ", "not UTF-8 text (byte 0xff")
    assert previous.read_bytes() == PREVIOUS


def test_valid_layouts_parse_as_before() -> None:
    """The schema changes nothing for a valid file: the project's layouts load, every part
    keeps its line (for later messages), the settings are plain values."""
    from reports.documents.session import Session

    layouts = Session.open().layouts
    assert layouts.document("fiche").sections[0] == "opener"
    assert all(isinstance(p["__line__"], int) for p in layouts.document("atlas").parts)
    assert type(layouts.sections["emploi"].analysis) is tuple


# --- command line --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "candidates"),
    [
        # "loire" alone is the département Loire (42): a whole name that is no région's
        ("reg:loire", "Centre-Val de Loire (24) or Pays de la Loire (52)?"),
        ("de-france", "Île-de-France (11) or Hauts-de-France (32)?"),
    ],
)
def test_ambiguous_region_lists_every_candidate(
    name: str, candidates: str, env: dict[str, str], previous: Path
) -> None:
    result = cli("fiche", name, "--html", "-o", str(previous), env=env)
    one_line(result, f"REGION: {name!r} matches 2 régions — {candidates}")
    assert previous.read_bytes() == PREVIOUS


def test_provence_is_not_bretagne(env: dict[str, str], previous: Path) -> None:
    territories = Store(Paths()).territories
    assert resolve("Provence", territories).code == "93"  # whole word of one name only
    result = cli("fiche", "Provance", "--html", "-o", str(previous), env=env)
    line = one_line(result, "REGION: unknown région 'Provance' — did you mean Provence-Alpes")
    assert "Bretagne" not in line
    assert previous.read_bytes() == PREVIOUS


def test_region_with_all_is_refused(env: dict[str, str]) -> None:
    one_line(cli("fiche", "84", "--all", env=env), "REGION '84' and --all given")


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (("preview", "--port", "99999"), ("preview --port: 99999 is not in the range",)),
        (("preview", "--port", "0"), ("preview --port: 0 is not in the range",)),
        (("build", "-j", "-1"), ("build --workers/-j: -1 is not in the range",)),
    ],
)
def test_out_of_range_options_are_refused(args: tuple[str, ...], needles: tuple[str, ...]) -> None:
    one_line(cli(*args), *needles, code=2)


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    path = tmp_path / "templates"
    shutil.copytree(PROJECT_ROOT / "templates", path)
    return path


@pytest.mark.parametrize(
    ("added", "needles"),
    [
        ("{{ 1 // 0 }}", ("template error: ZeroDivisionError",)),
        ('{% include "partials/nowhere.html" %}', ("template not found: partials/nowhere.html",)),
    ],
)
def test_template_error_names_the_template_and_line(
    added: str, needles: tuple[str, ...], templates: Path, env: dict[str, str], previous: Path
) -> None:
    notes = templates / "sections" / "notes.html"
    text = notes.read_text(encoding="utf-8").rstrip("\n") + "\n" + added + "\n"
    notes.write_text(text, encoding="utf-8")
    where = f"{notes}:{text.count(chr(10))}: "  # the line added, in the including file
    result = cli(
        "fiche", "94", "--html", "-o", str(previous), env={**env, "ATLAS_TEMPLATES": str(templates)}
    )
    one_line(result, where, *needles)
    assert previous.read_bytes() == PREVIOUS


def test_empty_territories_csv_is_one_line(
    tmp_path: Path, env: dict[str, str], previous: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(Paths().data, data)
    (data / "manifest.json").unlink(missing_ok=True)  # no digests: the table itself is read
    (data / "territories.csv").write_bytes(b"")
    result = cli("fiche", "94", "--html", "-o", str(previous), env={**env, "ATLAS_DATA": str(data)})
    one_line(result, f"{data / 'territories.csv'}: unreadable table", "atlas data build")
    assert previous.read_bytes() == PREVIOUS


def test_unforeseen_exception_is_one_line_naming_the_code(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    """The safety net: a bug is still one line (its innermost project line), not a traceback."""
    from reports.documents import session

    def broken(cls, paths=None):  # type: ignore[no-untyped-def]
        return {}["no such key"]

    monkeypatch.setattr(session.Session, "open", classmethod(broken))
    result = cli("fiche", "94", "--html", env=env)
    one_line(result, "reports/", "internal error: KeyError: 'no such key'", "a bug", "atlas -v")
    verbose = cli("-v", "fiche", "94", "--html", env=env)  # -v: the traceback, then the line
    assert verbose.exit_code == 1
    assert "Traceback" in verbose.stderr
    assert verbose.stderr.rstrip().splitlines()[-1].startswith("atlas: error: ")


# --- -o: where an output may go -----------------------------------------------------------
@contextlib.contextmanager
def tmpfs(path: Path, options: str) -> Iterator[Path]:
    """A small tmpfs mounted on ``path`` (root only: skipped otherwise)."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_output_into_unwritable_folder(tmp_path: Path, env: dict[str, str]) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    (folder / "corse.pdf").write_bytes(PREVIOUS)
    if os.geteuid() != 0:
        folder.chmod(0o555)
    elif subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("root, and chattr +i is not supported here")
    try:
        result = cli("fiche", "94", "-o", str(folder / "corse.pdf"), env=env)
        one_line(result, f"{folder / 'corse.pdf'}: ", "is not writable")
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(folder)], check=False)
        folder.chmod(0o755)
    assert (folder / "corse.pdf").read_bytes() == PREVIOUS
    assert names(folder) == ["corse.pdf"]


def test_output_on_read_only_file_system(tmp_path: Path, env: dict[str, str]) -> None:
    with tmpfs(tmp_path / "ro", "ro,size=64k") as ro:
        result = cli("fiche", "94", "-o", str(ro / "corse.pdf"), env=env)
        one_line(result, f"{ro / 'corse.pdf'}: ", "read-only file system")
        assert names(ro) == []


@pytest.mark.parametrize("target", ["/proc/atlas-fiche.pdf", "/proc/self/status", "/sys/atlas.pdf"])
def test_output_in_proc_or_sys_is_refused(target: str, env: dict[str, str]) -> None:
    result = cli("fiche", "94", "-o", target, env=env)
    one_line(result, f"{target}: cannot write the output here", "file system, not a file")


def test_output_on_full_disk(tmp_path: Path, env: dict[str, str], corse_pdf: bytes) -> None:
    with tmpfs(tmp_path / "full", "size=256k") as full:
        out = full / "corse.pdf"
        out.write_bytes(PREVIOUS)
        with contextlib.suppress(OSError), (full / "pad").open("wb") as pad:
            while True:  # fill the disk
                pad.write(b"\0" * 4096)
                pad.flush()
        with pytest.raises(OSError) as full_error:
            (full / "probe").write_bytes(b"x" * 8192)
        assert full_error.value.errno == errno.ENOSPC
        (full / "probe").unlink(missing_ok=True)
        result = cli("fiche", "94", "-o", str(out), env=env)
        one_line(result, f"{out}: ", "No space left on device")
        assert out.read_bytes() == PREVIOUS
        assert names(full) == ["corse.pdf", "pad"]  # no temporary file left


def test_output_to_a_device_leaves_it_alone(env: dict[str, str]) -> None:
    assert stat.S_ISCHR(Path("/dev/full").stat().st_mode)
    result = cli("fiche", "94", "-o", "/dev/full", env=env)
    one_line(result, "/dev/full: cannot write the output here", "is a character device")
    assert stat.S_ISCHR(Path("/dev/full").stat().st_mode)  # still the device


def test_output_through_a_symlink_writes_its_target(
    tmp_path: Path, env: dict[str, str], corse_pdf: bytes
) -> None:
    real = tmp_path / "published" / "corse.pdf"
    real.parent.mkdir()
    real.write_bytes(PREVIOUS)
    link = tmp_path / "corse.pdf"
    link.symlink_to(real)
    result = cli("fiche", "94", "-o", str(link), env=env)
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and link.resolve() == real.resolve()  # the link stays a link
    assert real.read_bytes() == corse_pdf  # the same bytes as any other build


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o027, 0o640)])
def test_output_gets_the_umask_mode(
    mask: int, mode: int, tmp_path: Path, env: dict[str, str], corse_pdf: bytes
) -> None:
    old = os.umask(mask)
    try:
        pdf, html = tmp_path / "corse.pdf", tmp_path / "corse.html"
        assert cli("fiche", "94", "-o", str(pdf), env=env).exit_code == 0
        assert cli("fiche", "94", "--html", "-o", str(html), env=env).exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(pdf.stat().st_mode) == mode
    assert stat.S_IMODE(html.stat().st_mode) == mode
    assert pdf.read_bytes() == corse_pdf


# --- preview ------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(port: int, path: str, host: str = "127.0.0.1") -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("GET", path, headers={"Host": host})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_preview_over_long_path_is_404_not_500() -> None:
    from reports.preview.server import ServerThread

    logged = _Records()
    logger = logging.getLogger("uvicorn.error")  # where an exception of a route is logged
    logger.addHandler(logged)
    try:
        with ServerThread() as server:
            assert get(server.port, "/styles/print.css") == 200
            assert get(server.port, "/styles/" + "a" * 10_000) in (404, 414)
            assert get(server.port, "/styles/" + ("b" * 300 + "/") * 4 + "x.css") == 404
    finally:
        logger.removeHandler(logged)
    assert [r.getMessage() for r in logged.records if r.levelno >= logging.ERROR] == []


# --- stops ----------------------------------------------------------------------------------
def session_processes(sid: int) -> list[int]:
    """Live processes of session ``sid`` (its workers keep it, adopted by init or not)."""
    try:
        import psutil  # type: ignore[import-not-found]
    except ImportError:
        psutil = None
    if psutil is not None:
        return [
            p.pid
            for p in psutil.process_iter()
            if _safe(lambda p=p: os.getsid(p.pid)) == sid and p.status() != "zombie"
        ]
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == sid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def _safe(fn: Callable[[], int]) -> int | None:
    try:
        return fn()
    except OSError:
        return None


@dataclass
class Run:
    """A command started in its own session, with its own TMPDIR, cache and output folder."""

    args: list[str]
    root: Path
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tmp = self.root / "tmp"
        self.cache = self.root / "cache"
        self.out = self.root / "out"
        for d in (self.tmp, self.cache, self.out):
            d.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ATLAS_")}
        env.update(TMPDIR=str(self.tmp), ATLAS_CACHE=str(self.cache), PYTHONUNBUFFERED="1")
        env.update(self.env)
        self.stderr: list[str] = []
        self.stdout: list[str] = []
        self.proc = subprocess.Popen(
            [PY, "-m", "reports", *self.args],
            cwd=PROJECT_ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for stream, lines in ((self.proc.stdout, self.stdout), (self.proc.stderr, self.stderr)):
            threading.Thread(target=self._read, args=(stream, lines), daemon=True).start()

    @staticmethod
    def _read(stream, lines: list[str]) -> None:  # type: ignore[no-untyped-def]
        for line in stream:
            lines.append(line)

    def wait_for(self, ready: Callable[[], bool], timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if self.proc.poll() is not None:
                pytest.fail(f"ended before the signal: {''.join(self.stderr)[-2000:]}")
            if time.monotonic() > deadline:
                self.stop_all()
                pytest.fail(f"not ready in {timeout} s: {''.join(self.stderr)[-2000:]}")
            time.sleep(0.05)

    def said(self, text: str) -> Callable[[], bool]:
        return lambda: any(text in line for line in self.stderr + self.stdout)

    def processes(self, n: int) -> Callable[[], bool]:
        return lambda: len(session_processes(self.proc.pid)) >= n

    def stop(self, signum: int) -> float:
        """Send ``signum`` to the command's pid; seconds until it and its whole session are
        gone (at most :data:`STOP_SECONDS` + 1, then everything is killed)."""
        t0 = time.monotonic()
        os.kill(self.proc.pid, signum)
        deadline = t0 + STOP_SECONDS + 1
        while self.proc.poll() is None or session_processes(self.proc.pid):
            if time.monotonic() > deadline:
                left = session_processes(self.proc.pid)
                self.stop_all()
                pytest.fail(f"still running {STOP_SECONDS + 1} s after the signal: {left}")
            time.sleep(0.02)
        return time.monotonic() - t0

    def stop_all(self) -> None:
        for pid in [self.proc.pid, *session_processes(self.proc.pid)]:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    def leftovers(self) -> list[str]:
        """Files and folders of the run left in its TMPDIR, cache and output folder."""
        left = [p.name for p in self.tmp.iterdir() if not p.name.startswith(NOT_OURS)]
        for folder in (self.cache, self.out):
            left += [
                str(p)
                for p in folder.rglob("*")
                if p.name.endswith(".tmp") or ".tmp" in p.name or p.name.startswith(".parts-")
            ]
        return left


EXPECTED_CODE = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGKILL: -signal.SIGKILL}


def check_stop(run: Run, signum: int, seconds: float) -> None:
    assert seconds < STOP_SECONDS, f"stopped in {seconds:.1f} s"
    assert run.proc.returncode == EXPECTED_CODE[signum], "".join(run.stderr)
    text = "".join(run.stderr)
    assert "Traceback" not in text, text
    if signum != signal.SIGKILL:
        assert f"atlas: stopped by {signal.Signals(signum).name}" in text, text
    assert run.leftovers() == []


@pytest.fixture(scope="module")
def small_layouts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The atlas with only the notes section in its chapters (no figure to draw): every unit
    is laid out a few seconds in, the front matter and the annexes waiting for their folios
    on the board — where a SIGINT used to hang for ever."""
    text = LAYOUTS.read_text(encoding="utf-8")
    text = re.sub(r"(\n  fiche:\n(?:    [^\n]*\n)*?    sections: )\[[^\]\n]*\]", r"\1[notes]", text)
    text = re.sub(r"(\n  atlas:\n(?:    [^\n]*\n)*?    sections: )\[[^\]\n]*\]", r"\1[notes]", text)
    text = re.sub(r"\n        extras:\n(?:          [^\n]*\n)*", "\n", text)
    path = tmp_path_factory.mktemp("layouts") / "layouts.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# SIGINT unwinds as SIGTERM does (reports.processes; the fiche tests send both): the atlas is
# stopped by a clean signal and by a kill
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=str)
def test_atlas_build_stops_with_its_workers(
    signum: int, tmp_path: Path, small_layouts: Path
) -> None:
    run = Run(
        ["build", "-o", str(tmp_path / "out" / "atlas.pdf")],
        tmp_path,
        {"ATLAS_LAYOUTS": str(small_layouts)},
    )
    (run.out / "atlas.pdf").write_bytes(PREVIOUS)
    run.wait_for(run.said("pass 1"))  # units laid out in the workers
    run.wait_for(run.processes(4))
    time.sleep(1.0)
    check_stop(run, signum, run.stop(signum))
    assert (run.out / "atlas.pdf").read_bytes() == PREVIOUS


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=str)
def test_atlas_fiche_stops_with_its_workers(signum: int, tmp_path: Path) -> None:
    run = Run(["fiche", "94", "-o", str(tmp_path / "out" / "corse.pdf")], tmp_path)
    (run.out / "corse.pdf").write_bytes(PREVIOUS)
    run.wait_for(run.processes(4))  # the CLI, its render process, two drawing workers
    time.sleep(0.5)
    check_stop(run, signum, run.stop(signum))
    assert (run.out / "corse.pdf").read_bytes() == PREVIOUS


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=str)
def test_atlas_preview_stops(signum: int, tmp_path: Path) -> None:
    run = Run(["preview", "--port", str(free_port())], tmp_path)
    run.wait_for(run.said("atlas preview: http"))
    time.sleep(0.5)
    check_stop(run, signum, run.stop(signum))


def test_preview_on_every_interface_warns_and_keeps_the_host_check(tmp_path: Path) -> None:
    port = free_port()
    run = Run(["preview", "--host", "0.0.0.0", "--port", str(port)], tmp_path)
    run.wait_for(run.said("atlas preview: http"))
    warning = "".join(run.stderr)
    assert "warning: listening on every interface" in warning
    assert "no authentication" in warning
    deadline = time.monotonic() + 20
    while True:
        try:
            assert get(port, "/styles/print.css", host="localhost") == 200
            break
        except OSError:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    assert get(port, "/styles/print.css", host="evil.example") == 400  # DNS rebinding refused
    check_stop(run, signal.SIGTERM, run.stop(signal.SIGTERM))


# --- data build, stopped while it writes its temporary folder -------------------------------------
@pytest.fixture(scope="module", autouse=True)
def data_build_stopped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """``atlas data build`` into a scratch ``ATLAS_DATA``, started with the module (it reads
    every source for ~15 s, on one core, while the other tests run) and sent SIGTERM as soon
    as its ``.data-*.tmp`` folder appears."""
    outcome: dict = {}
    if not Paths().sources.is_dir():
        outcome["skip"] = f"no raw sources at {Paths().sources}"
        yield outcome
        return
    root = tmp_path_factory.mktemp("data-build")
    target = root / "out" / "data"
    target.mkdir(parents=True)
    (target / "keep.txt").write_text("the previous data/\n")
    sources = str(Paths().sources)
    run = Run(["data", "build"], root, {"ATLAS_DATA": str(target), "ATLAS_SOURCES": sources})

    def watch() -> None:
        deadline = time.monotonic() + 240
        while not list(target.parent.glob(".data-*.tmp")):
            if run.proc.poll() is not None or time.monotonic() > deadline:
                outcome["error"] = "no temporary folder seen: " + "".join(run.stderr)[-2000:]
                run.stop_all()
                return
            time.sleep(0.02)
        try:
            outcome["seconds"] = run.stop(signal.SIGTERM)
        except BaseException as exc:  # pytest.fail in this thread: reported by the test
            outcome["error"] = str(exc)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    outcome.update(run=run, target=target, watcher=watcher)
    yield outcome
    watcher.join(timeout=1)
    if run.proc.poll() is None:
        run.stop_all()


def test_data_build_sigterm_leaves_no_temporary_folder(data_build_stopped: dict) -> None:
    if "skip" in data_build_stopped:
        pytest.skip(data_build_stopped["skip"])
    data_build_stopped["watcher"].join(timeout=300)
    assert "error" not in data_build_stopped, data_build_stopped["error"]
    run, target = data_build_stopped["run"], data_build_stopped["target"]
    check_stop(run, signal.SIGTERM, data_build_stopped["seconds"])
    assert sorted(p.name for p in target.parent.iterdir()) == ["data"]  # no .data-*.tmp
    assert sorted(p.name for p in target.iterdir()) == ["keep.txt"]  # the old data/ intact


# --- the mechanism ------------------------------------------------------------------------------
ORPHAN = """
import os, sys, time
from reports.documents.atlas import workers
from reports.processes import on_orphan, worker_pool, worker_task
import shutil

board = workers.Board(1)

def init(b):
    workers._BOARD = b
    on_orphan(shutil.rmtree, b.directory, True)

@worker_task
def wait(slot):
    return workers._BOARD.wait_start(slot, 3, {"a": 0})

with worker_pool(1, init, (board,)) as pool:
    future = pool.submit(wait, 0)
    while not board.pages[0]:
        time.sleep(0.01)
    print(board.directory, flush=True)
    future.result()
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGKILL], ids=str)
def test_board_waiter_exits_when_its_parent_stops(signum: int, tmp_path: Path) -> None:
    """A worker waiting for its first folio on the board (``Board.wait_start``) exits when the
    atlas process is interrupted or killed, and the board folder goes with it."""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen(
        [PY, "-c", ORPHAN], cwd=PROJECT_ROOT, env=env, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    board = Path(proc.stdout.readline().strip())
    assert board.is_dir() and session_processes(proc.pid)
    t0 = time.monotonic()
    os.kill(proc.pid, signum)
    proc.wait(timeout=STOP_SECONDS)
    while session_processes(proc.pid):
        assert time.monotonic() - t0 < STOP_SECONDS, session_processes(proc.pid)
        time.sleep(0.02)
    assert not board.exists()
