"""``atlas batch`` on a real ``LocalCluster`` of 2 worker processes (no mock): 3 régions built
with their index, a second run skipping all 3 by content hash (no cluster started), a fiche
failing on its worker (a template that fails for Bretagne only) and an unknown code listed in
the summary without stopping the others (exit 1), a planned level refused in one line, and a
SIGTERM stopping the cluster with every worker and no temporary file left.

Every run is a subprocess in its own session (its processes are counted after it ends), with
its own TMPDIR and output folder; the figure and PDF caches are the usual ones (a cold cache
would draw every figure again).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import psutil
import pytest
from click.testing import CliRunner

from reports.cli import main
from reports.paths import PROJECT_ROOT

CODES = ("84", "94", "06")
FILES = {
    "84": "auvergne-rhone-alpes.pdf",
    "94": "corse.pdf",
    "06": "mayotte.pdf",
    "53": "bretagne.pdf",
}


def session_processes(sid: int) -> list[int]:
    found = []
    for p in psutil.process_iter(["status"]):
        try:
            if os.getsid(p.pid) == sid and p.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(p.pid)
        except OSError:
            continue
    return found


@dataclass
class Done:
    code: int
    stdout: str
    stderr: str
    seconds: float
    left: list[int]  # processes of its session still alive after it ended


def env_for(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ATLAS_LAYOUTS", "ATLAS_TEMPLATES")}
    tmp.mkdir(parents=True, exist_ok=True)
    env.update(TMPDIR=str(tmp), PYTHONUNBUFFERED="1", COLUMNS="200", **extra)
    return env


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "reports", *args],
        cwd=PROJECT_ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def batch(out: Path, tmp: Path, *args: str, level: str = "region", **extra: str) -> Done:
    t0 = time.monotonic()
    proc = start(["batch", "--level", level, "-o", str(out), *args], env_for(tmp, **extra))
    try:
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)
    seconds = time.monotonic() - t0
    deadline = time.monotonic() + 5
    while session_processes(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return Done(proc.returncode, stdout, stderr, seconds, session_processes(proc.pid))


def index(folder: Path) -> dict[str, dict[str, str]]:
    with (folder / "index.csv").open(encoding="utf-8") as f:
        return {row["code"]: row for row in csv.DictReader(f)}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("batch")


@pytest.fixture(scope="module")
def first(out: Path) -> Done:
    return batch(out, out.parent / "tmp1", "--only", ",".join(CODES), "-j", "2")


def test_three_regions_build_with_their_index(first: Done, out: Path) -> None:
    assert first.code == 0, first.stderr
    assert "3 built, 0 skipped (unchanged), 0 failed" in first.stdout
    assert "on 2 worker(s)" in first.stdout
    assert first.left == []  # the cluster and its workers stopped with the command
    assert list((out.parent / "tmp1").iterdir()) == []  # no scratch folder left behind
    folder = out / "region"
    rows = index(folder)
    assert list(rows) == ["84", "94", "06"]  # index order: the régions' order
    for code in CODES:
        row = rows[code]
        pdf = folder / FILES[code]
        assert row["file"] == FILES[code] and row["status"] == "built", row
        assert row["sha256"] == sha256(pdf)
        with pikepdf.open(pdf) as doc:
            assert int(row["pages"]) == len(doc.pages) >= 4
        assert float(row["seconds"]) > 0 and len(row["inputs"]) == 64
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in page and "<caption>" in page and 'scope="col"' in page
    for code in CODES:
        assert f'<a href="{FILES[code]}">' in page
    assert "Auvergne-Rhône-Alpes" in page


def test_three_departements_and_three_epci_build_their_portraits(tmp_path: Path) -> None:
    """A metropolitan, a Corsican and a DROM département, then a métropole, a rural CC and a
    DROM CA, each level on a 2-worker cluster: portraits in index order (the départements'
    order; the EPCI in epci.json order), files named by code."""
    done = batch(tmp_path, tmp_path / "tmp", "--only", "971,2A,69", "-j", "2", level="departement")
    assert done.code == 0, done.stderr
    assert "3 built, 0 skipped (unchanged), 0 failed" in done.stdout and done.left == []
    rows = index(tmp_path / "departement")
    assert list(rows) == ["2A", "69", "971"]
    for row in rows.values():
        with pikepdf.open(tmp_path / "departement" / row["file"]) as doc:
            assert int(row["pages"]) == len(doc.pages) == 4
    epci = "249740119,200046977,200007177"
    done = batch(tmp_path, tmp_path / "tmp", "--only", epci, "-j", "2", level="epci")
    assert done.code == 0, done.stderr
    assert "3 built, 0 skipped (unchanged), 0 failed" in done.stdout and done.left == []
    rows = index(tmp_path / "epci")
    assert list(rows) == ["200007177", "200046977", "249740119"]
    assert rows["200046977"]["file"] == "200046977-metropole-de-lyon.pdf"
    for row in rows.values():
        with pikepdf.open(tmp_path / "epci" / row["file"]) as doc:
            assert 3 <= int(row["pages"]) == len(doc.pages) <= 4


def test_second_run_skips_all_three_by_hash(first: Done, out: Path) -> None:
    assert first.code == 0, first.stderr
    folder = out / "region"
    before = {code: (folder / FILES[code]).stat().st_mtime_ns for code in CODES}
    again = batch(out, out.parent / "tmp2", "--only", ",".join(CODES))
    assert again.code == 0, again.stderr
    assert "0 built, 3 skipped (unchanged), 0 failed" in again.stdout
    assert "worker" not in again.stdout  # nothing to build: no cluster started
    assert again.seconds < 15, again.seconds
    assert {code: (folder / FILES[code]).stat().st_mtime_ns for code in CODES} == before
    assert {r["status"] for r in index(folder).values()} == {"skipped"}


def test_a_damaged_fiche_or_another_variant_is_built_again(
    first: Done, out: Path, tmp_path: Path
) -> None:
    """The plan (no cluster): a PDF whose bytes no longer match the index is built again, so is
    every fiche of another variant; the others are skipped."""
    from reports.batch.plan import make_plan
    from reports.documents.session import Session

    assert first.code == 0, first.stderr
    shutil.copytree(out / "region", tmp_path / "region")
    with (tmp_path / "region" / FILES["94"]).open("ab") as f:
        f.write(b"%")
    session = Session.open()
    plan = make_plan(session, "region", tmp_path, list(CODES))
    assert [j.code for j in plan.todo] == ["94"]
    assert [r.code for r in plan.skipped] == ["84", "06"]
    pdfa = make_plan(session, "region", tmp_path, list(CODES), variant="pdfa")
    assert [j.code for j in pdfa.todo] == list(CODES)
    assert len({j.key for j in plan.todo + pdfa.todo}) == 4  # a key per code and variant


def test_a_failing_fiche_does_not_stop_the_others(first: Done, out: Path) -> None:
    """Bretagne's fiche fails in its worker (a template including a missing file for code 53
    only), 99 is no région: both are in the summary, Corse is built, exit 1."""
    assert first.code == 0, first.stderr
    templates = out.parent / "templates"
    shutil.copytree(PROJECT_ROOT / "templates", templates, dirs_exist_ok=True)
    fiche = templates / "fiche.html"
    loop = "{% for chapter in doc.chapters %}"
    text = fiche.read_text(encoding="utf-8")
    assert loop in text
    broken = '{% if chapter.code == "53" %}{% include "partials/_missing.html" %}{% endif %}'
    fiche.write_text(text.replace(loop, loop + broken), encoding="utf-8")
    folder = out / "region"
    kept = index(folder)["84"]
    done = batch(
        out, out.parent / "tmp3", "--only", "94,53,99", "-j", "2", ATLAS_TEMPLATES=str(templates)
    )
    assert done.code == 1, done.stderr
    assert "1 built, 0 skipped (unchanged), 2 failed" in done.stdout
    failed = [line for line in done.stdout.splitlines() if line.startswith("  failed: ")]
    assert len(failed) == 2, done.stdout
    assert failed[0].startswith("  failed: 53 Bretagne: ") and "_missing.html" in failed[0]
    assert "fiche.html" in failed[0]  # the template that failed, named
    assert failed[1].startswith("  failed: 99: no region '99'")
    errors = [line for line in done.stderr.splitlines() if line.startswith("atlas: error:")]
    assert errors == [
        "atlas: error: atlas batch: 2 of 3 fiche(s) failed — see the failures above; "
        "run again to retry them (the others are skipped)"
    ]
    assert "Traceback" not in done.stderr
    assert done.left == []
    rows = index(folder)
    assert rows["94"]["status"] == "built"  # other templates: other inputs, built again
    assert rows["53"]["status"] == "failed" and "_missing.html" in rows["53"]["error"]
    assert rows["84"] == kept  # not in this run: its row is kept
    assert "99" not in rows
    assert not (folder / FILES["53"]).exists()


def test_an_unknown_code_is_one_failed_row(tmp_path: Path) -> None:
    args = ["batch", "--level", "epci", "--only", "123", "-o", str(tmp_path)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "no epci '123'" in result.output


def test_sigterm_stops_the_cluster_and_every_worker(tmp_path: Path) -> None:
    """Stopped while its 2 workers build (an empty cache: the figures are being drawn): exit
    143 within seconds, no process of its session left, nothing left in its TMPDIR."""
    tmp = tmp_path / "tmp"
    env = env_for(tmp, ATLAS_CACHE=str(tmp_path / "cache"))
    proc = start(["batch", "--only", "84,94", "-o", str(tmp_path / "out")], env)
    stderr: list[str] = []
    threading.Thread(target=lambda: stderr.extend(proc.stderr), daemon=True).start()
    try:
        deadline = time.monotonic() + 60
        while not any("to build on 2 worker(s)" in line for line in stderr):
            assert proc.poll() is None and time.monotonic() < deadline, "".join(stderr)
            time.sleep(0.05)
        assert len(session_processes(proc.pid)) >= 3  # the CLI and its 2 workers
        time.sleep(1.0)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        while session_processes(proc.pid) and time.monotonic() - t0 < 10:
            time.sleep(0.05)
        seconds = time.monotonic() - t0
        assert session_processes(proc.pid) == []
    finally:
        if proc.poll() is None or session_processes(proc.pid):
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 143, "".join(stderr)
    assert seconds < 5, seconds
    assert "atlas: stopped by SIGTERM" in "".join(stderr)
    assert "Traceback" not in "".join(stderr)
    assert list(tmp.iterdir()) == []
