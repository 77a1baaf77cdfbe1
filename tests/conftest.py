"""Shared test helpers: PDFs checked by independent validators (issue 18), the builds shared
by several modules, and how the modules are shared between two test processes.

``page`` (PyPI ``page-validation``, Rust, no JVM) checks PDF/UA-1 and PDF/A-1…3 profiles;
``pdfua`` (pikepdf) a subset of PDF/UA-1 and WCAG 2.1, table headers included (UA-15-003).

``make test`` runs two test processes (``pytest -n 2 --dist loadscope``, pytest-xdist):
each module runs whole in one process (its module fixtures are built once), and the modules
that use one of :data:`SHARED_BUILDS` run in the same process (the atlas, the 19 fiches and
the derived data are built once per run; the fiches and the atlas in one process, one after
the other: they draw the same figures), those groups first (the longest). The groups are
made by the scheduler (:func:`pytest_xdist_make_scheduler`): xdist's own ``loadgroup``
renames the tests to group them, which pytest 9 ignores.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest


def assert_conforms(pdf: Path, *profiles: str) -> None:
    """``pdf`` passes every ``page`` profile (``ua1``, ``3a``, ``3b``…) with 0 failed checks;
    a failure names each failed rule, its message and the first object it found."""
    import page

    problems = []
    for profile in profiles:
        report = page.validate_pdf(pdf, profile=profile)
        if report.is_compliant and report.checks.failed == 0:
            continue
        problems.append(
            f"{pdf.name} {report.profile.name}: {report.rules.failed} rule(s), "
            f"{report.checks.failed} check(s) failed"
        )
        for failure in report.failures:
            where = failure.object_id
            obj = f"object {where.object_number} {where.generation}" if where else "document"
            problems.append(f"  {failure.rule_id} ({obj}): {failure.message}")
    assert not problems, "\n".join(problems)


def assert_pdfua_clean(pdf: Path) -> None:
    """``pdfua`` reports nothing (no error, no warning) on ``pdf``."""
    import pdfua

    findings = pdfua.validate(str(pdf)).findings
    counts = Counter(f.rule_id for f in findings)
    detail = [f"  {f.rule_id} page {f.location.page}: {f.message}" for f in findings[:10]]
    assert not findings, f"{pdf.name}: {dict(counts)}\n" + "\n".join(detail)


@pytest.fixture(scope="session")
def conforms():
    """``conforms(pdf, "ua1", "3a")``: :func:`assert_conforms` (no skip: the validators are
    test dependencies, requirements.lock)."""
    return assert_conforms


@pytest.fixture(scope="session")
def pdfua_clean():
    """``pdfua_clean(pdf)``: :func:`assert_pdfua_clean`."""
    return assert_pdfua_clean


# --- the 19 fiches, built once per test session -----------------------------------------------
_FICHE_SESSION = None  # inherited by the forked fiche builders


def _build_fiche(job: tuple[str, str]) -> tuple[str, Path]:
    from reports.documents.fiche import build_fiche

    assert _FICHE_SESSION is not None
    code, target = job
    return code, build_fiche(_FICHE_SESSION, _FICHE_SESSION.territory(code), Path(target))


@pytest.fixture(scope="session")
def fiche_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The 19 fiches (code → PDF), built in parallel (one forked process per core), shared by
    every module that reads a fiche's printed text."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    from reports.documents.session import Session

    global _FICHE_SESSION
    session = Session.open()
    out = tmp_path_factory.mktemp("fiches")
    jobs = [(t.code, str(out / f"{t.slug}.pdf")) for t in session.all_territories()]
    _FICHE_SESSION = session
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(os.cpu_count() or 1, mp_context=context) as pool:
        return dict(pool.map(_build_fiche, jobs))


# --- the data derived from the raw sources, once per test session ----------------------------
@pytest.fixture(scope="session")
def derived():
    """Every source read through the theme modules (:func:`reports.data.build.derive`, the slow
    part of ``atlas data build``), shared by the data-build and the quality-gate tests."""
    from reports.data.build import derive
    from reports.paths import Paths

    return derive(Paths(sources_override=Paths().sources))


@pytest.fixture(scope="session")
def published(derived, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``derived`` checked and published into an empty data folder: what ``atlas data build``
    writes there."""
    from reports.data.build import publish
    from reports.paths import Paths

    data = tmp_path_factory.mktemp("published") / "data"
    publish(derived, Paths(sources_override=Paths().sources, data_override=data))
    return data


# --- the atlas, built once per test session ---------------------------------------------------
@pytest.fixture(scope="session")
def atlas_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cache of the atlas builds here: empty, but the usual figures."""
    from reports.paths import Paths

    cache = tmp_path_factory.mktemp("cache")
    figures = Paths().figures_cache
    figures.mkdir(parents=True, exist_ok=True)
    (cache / figures.name).symlink_to(figures.resolve(), target_is_directory=True)
    return cache


@pytest.fixture(scope="session")
def atlas_pdf(tmp_path_factory: pytest.TempPathFactory, atlas_cache: Path) -> Path:
    """The atlas built with no page count nor unit PDF known (as for a new edition): every
    unit is laid out once, the sommaire and the annex lists with guessed folios, told the
    right ones after pagination. Figures come from the usual cache. Shared by
    ``test_documents_atlas`` and ``test_visual``."""
    from reports.documents.atlas.build import build_atlas
    from reports.documents.session import Session

    session = Session.open()
    out = tmp_path_factory.mktemp("atlas") / "atlas.pdf"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ATLAS_CACHE", str(atlas_cache))
        report = build_atlas(session, out, progress=False)
        assert report.renders == len(report.units)  # no unit laid out twice
        assert report.chapters_built == 19
        again = build_atlas(session, out.with_name("again.pdf"), progress=False)
    assert again.chapters_built == again.renders == 0  # HTML, pages and PDFs all cached
    assert out.with_name("again.pdf").read_bytes() == out.read_bytes()
    return out


# --- two test processes (make test) ------------------------------------------------------------
#: the modules that use a session build too slow to make twice (the atlas, the 19 fiches, the
#: derived data): each group runs in one test process. Checked against the fixtures the
#: modules really use at every parallel run (:func:`pytest_collection_modifyitems`).
SHARED_BUILDS = {
    "fiche_pdfs": ("test_data_corrections", "test_documents_fiche", "test_editions", "test_visual"),
    "atlas_pdf": ("test_documents_atlas", "test_proof"),
    "derived": ("test_data_build", "test_data_gates"),
}
_GROUP_OF = {module: build for build, modules in SHARED_BUILDS.items() for module in modules}
#: the scope each build's modules are scheduled in: the fiches and the atlas draw the same
#: figures (every figure of a fiche is one of its chapter's), so they run one after the other
#: in one process, the fiches first — in parallel, on a fresh clone, both drew them all
SCOPE_OF_BUILD = {"fiche_pdfs": "documents", "atlas_pdf": "documents", "derived": "derived"}
_PROBLEM = pytest.StashKey[str]()


def _module(nodeid: str) -> str:
    return Path(nodeid.split("::")[0]).stem


def _distributed(config: pytest.Config) -> bool:
    """In a worker of ``pytest -n N --dist loadscope`` (xdist sets its own ``dist`` to "no")."""
    return getattr(config, "workerinput", None) is not None


def _misplaced(nodeid: str, build: str) -> str | None:
    module = _module(nodeid)
    if _GROUP_OF.get(module) == build:
        return None
    return (
        f"{nodeid} uses {build}: add {module!r} to its modules in tests/conftest.py "
        "SHARED_BUILDS (else it is built again in the other test process)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not _distributed(config):
        return
    for item in items:
        for build in SHARED_BUILDS:
            problem = _misplaced(item.nodeid, build) if build in item.fixturenames else None
            if problem:  # the test fails with it (an error here would stop xdist itself)
                item.stash[_PROBLEM] = problem
    # the groups of the shared builds first (the longest), then the modules in their order
    rank = {build: i for i, build in enumerate(SHARED_BUILDS)}
    items.sort(key=lambda item: rank.get(_GROUP_OF.get(_module(item.nodeid), ""), len(rank)))


def pytest_runtest_setup(item: pytest.Item) -> None:
    if _PROBLEM in item.stash:
        pytest.fail(item.stash[_PROBLEM], pytrace=False)


def pytest_fixture_setup(fixturedef: pytest.FixtureDef, request: pytest.FixtureRequest) -> None:
    """The same check for a build asked for at run time (``request.getfixturevalue``)."""
    build = fixturedef.argname
    item = getattr(request, "_pyfuncitem", None)  # the test (request.node: the session)
    if build in SHARED_BUILDS and item is not None and _distributed(request.config):
        problem = _misplaced(item.nodeid, build)
        if problem:
            pytest.fail(problem, pytrace=False)


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """``--dist loadscope`` with a module's scope widened to its shared build's group."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByBuild(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = _module(nodeid)
            build = _GROUP_OF.get(module)
            return SCOPE_OF_BUILD[build] if build else module

    return ByBuild(config, log)
