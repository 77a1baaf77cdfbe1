"""What a batch builds: the territories of a level, the content hash of each fiche's inputs,
and which fiches are unchanged since the last run (skipped).

A level is one function ``Session → [Territory]`` in :data:`LEVELS` (in the order of the
index); adding one (départements, EPCI) is that function and its entry. :data:`PLANNED`
levels are refused with a one-line "not available yet".

The inputs of a fiche (:func:`inputs_digest`, then :func:`fiche_key`): the digests of the
derived data (``data/manifest.json``'s ``outputs``), ``layouts.yaml``, every file under
``templates/`` and ``styles/``, the source of the ``reports`` package, the edition (its name
and file), the versions of the engines that shape the PDF, the level, the territory code and
the variant. A fiche is skipped when its PDF exists, its sha256 is the one in ``index.csv``
and its inputs hash is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from reports import edition
from reports.batch.index import Row, read_index
from reports.data.territories import Territory, departements, epci_territory, regions
from reports.documents.session import Session
from reports.errors import ConfigError, DataError
from reports.paths import Paths

PACKAGE = Path(__file__).resolve().parent.parent

#: level → its territories, in index order
LEVELS: dict[str, Callable[[Session], list[Territory]]] = {
    "region": lambda session: regions(session.store.territories),
    # the 101 départements: their portrait (reports.documents.portrait, the default layout)
    "departement": lambda session: departements(session.store.territories),
    # the EPCI of the edition's COG (data/epci.csv, ATLAS_SPEC §8), in epci.json order
    "epci": lambda session: [epci_territory(r) for _, r in session.store.epcis.iterrows()],
}
#: levels not built yet: accepted by the CLI, refused with one line
PLANNED: tuple[str, ...] = ()
#: engines whose version changes the PDF bytes
ENGINES = ("weasyprint", "pydyf", "pikepdf", "matplotlib", "cartopy", "shapely")


def check_level(level: str) -> None:
    """A level one can batch now; else a one-line error (said before anything is loaded)."""
    if level in LEVELS:
        return
    if level in PLANNED:
        raise ConfigError(
            f"level {level!r} is not available yet",
            where="atlas batch --level",
            hint=f"available: {', '.join(LEVELS)}",
        )
    raise ConfigError(
        f"unknown level {level!r}", where="atlas batch --level", hint=f"known: {', '.join(LEVELS)}"
    )


def territories_of(session: Session, level: str) -> list[Territory]:
    check_level(level)
    return LEVELS[level](session)


# --- content hashes --------------------------------------------------------------------------
def _tree(h: hashlib._Hash, tag: str, folder: Path, pattern: str = "*") -> None:
    for path in sorted(folder.rglob(pattern)):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(f"\0{tag}/{path.relative_to(folder).as_posix()}\0".encode())
            h.update(hashlib.sha256(path.read_bytes()).digest())


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "-"


def inputs_digest(paths: Paths | None = None) -> str:
    """Hash of every input a fiche shares with the others (see the module docstring)."""
    paths = paths or Paths()
    manifest = paths.data / "manifest.json"
    try:
        outputs = json.loads(manifest.read_text(encoding="utf-8"))["outputs"]
    except (OSError, ValueError, KeyError, TypeError):
        raise DataError(
            "no data digests (manifest.json with its `outputs`)",
            where=str(manifest),
            hint="run `atlas data build`",
        ) from None
    h = hashlib.sha256(b"atlas batch inputs 1\0")
    h.update(json.dumps(outputs, sort_keys=True).encode())
    h.update(b"\0layouts\0" + paths.layouts.read_bytes())
    _tree(h, "templates", paths.templates)
    _tree(h, "styles", paths.styles)
    _tree(h, "reports", PACKAGE, "*.py")
    current = edition.current()
    h.update(f"\0edition {current.name}\0".encode())
    if current.path.is_file():
        h.update(current.path.read_bytes())
    engines = "|".join(f"{n}={_version(n)}" for n in ENGINES)
    h.update(f"\0python {sys.version_info[:2]}|{engines}".encode())
    return h.hexdigest()


def fiche_key(digest: str, level: str, code: str, variant: str) -> str:
    """The inputs hash of one fiche: the shared digest, its level, code and variant."""
    return hashlib.sha256(f"{digest}|{level}|{code}|{variant}".encode()).hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --- the plan --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Job:
    """One fiche to build (sent to a worker)."""

    level: str
    territory: Territory
    variant: str
    key: str  # fiche_key: written to the index once built
    digest: str  # inputs_digest the client computed: a worker with other inputs refuses

    @property
    def code(self) -> str:
        return self.territory.code

    @property
    def file(self) -> str:
        if self.territory.is_epci:  # two EPCI may one day share a name: the SIREN first
            return f"{self.territory.code}-{self.territory.slug}.pdf"
        return f"{self.territory.slug}.pdf"


@dataclass
class Plan:
    level: str
    folder: Path  # output/<level>/
    territories: list[Territory]  # every territory of the level, index order
    todo: list[Job] = field(default_factory=list)
    skipped: list[Row] = field(default_factory=list)
    unknown: list[Row] = field(default_factory=list)  # --only codes the level does not have
    previous: dict[str, Row] = field(default_factory=dict)  # index.csv as it was


def parse_only(only: str | None) -> list[str] | None:
    if only is None:
        return None
    codes = [c.strip() for c in only.split(",") if c.strip()]
    if not codes:
        raise ConfigError(
            "--only is empty", where="atlas batch --only", hint="give codes, e.g. --only 84,94"
        )
    return list(dict.fromkeys(codes))


def unchanged(row: Row | None, key: str, folder: Path) -> bool:
    """The fiche of ``row`` is there, intact, and was built from inputs hashed ``key``."""
    if row is None or row.status == "failed" or row.inputs != key or not row.file:
        return False
    path = folder / row.file
    return path.is_file() and file_sha256(path) == row.sha256


def make_plan(
    session: Session,
    level: str,
    out_root: Path,
    only: list[str] | None = None,
    variant: str = "tagged",
    digest: str | None = None,
) -> Plan:
    """The fiches of ``level`` (or the ``only`` codes of it) to build in ``out_root/<level>/``,
    the unchanged ones apart."""
    territories = territories_of(session, level)
    folder = out_root / level
    plan = Plan(level, folder, territories, previous=read_index(folder))
    by_code = {t.code: t for t in territories}
    selected = territories
    if only is not None:
        # "4" for "04", as `atlas fiche` accepts
        wanted = [by_code.get(c) or by_code.get(c.zfill(2)) for c in only]
        for code, t in zip(only, wanted, strict=True):
            if t is None:
                known = ", ".join(list(by_code)[:20]) + (" …" if len(by_code) > 20 else "")
                plan.unknown.append(
                    Row(code, "", status="failed", error=f"no {level} {code!r} (known: {known})")
                )
        chosen = {t.code for t in wanted if t is not None}
        selected = [t for t in territories if t.code in chosen]
    digest = digest or inputs_digest(session.paths)
    for t in selected:
        key = fiche_key(digest, level, t.code, variant)
        row = plan.previous.get(t.code)
        if unchanged(row, key, folder):
            assert row is not None
            plan.skipped.append(Row(**{**row.__dict__, "status": "skipped", "error": ""}))
        else:
            plan.todo.append(Job(level, t, variant, key, digest))
    return plan
