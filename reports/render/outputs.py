"""Where an output file may be written, and with which mode.

:func:`reports.render.pdf.atomic_write` writes a temporary file beside the target and renames
it onto the target. That is right for a regular file only: renaming onto ``/dev/full``
replaces the device with a file, onto a symlink replaces the link, and ``/proc`` or ``/sys``
are no places for a PDF. :func:`output_target` says where the bytes go (through symlinks) and
refuses the rest; :func:`check_output` also refuses, before any work, a folder that cannot be
written. The file gets the mode of a file created normally (``0o666`` less the umask), not the
``0o600`` of a temporary file.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from pathlib import Path

from reports.errors import OutputError

#: file systems that hold no documents (kernel interfaces)
VIRTUAL_FS = {
    "proc",
    "sysfs",
    "devtmpfs",
    "devpts",
    "debugfs",
    "tracefs",
    "securityfs",
    "cgroup",
    "cgroup2",
    "configfs",
    "bpf",
    "pstore",
    "efivarfs",
    "fusectl",
    "binfmt_misc",
    "mqueue",
    "hugetlbfs",
    "autofs",
}
_KINDS = {
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a named pipe",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
}
_OCTAL = re.compile(r"\\([0-7]{3})")


def _mounts() -> list[tuple[str, str]]:
    """(mount point, file system type) of this process's mounts, longest point first."""
    try:
        text = Path("/proc/self/mountinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    out = []
    for line in text.splitlines():
        left, _, right = line.partition(" - ")
        fields, kind = left.split(), right.split()
        if len(fields) >= 5 and kind:
            point = _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), fields[4])
            out.append((point, kind[0]))
    return sorted(out, key=lambda m: len(m[0]), reverse=True)


def fs_type(path: Path) -> str | None:
    """Type of the file system ``path`` (absolute, resolved) is on, if known."""
    text = str(path)
    for point, kind in _mounts():
        if text == point or text.startswith(point.rstrip("/") + "/"):
            return kind
    return None


def _refuse(target: Path, what: str) -> OutputError:
    return OutputError(
        f"cannot write the output here: {what}",
        where=str(target),
        hint="give a file path in a folder of documents (-o); nothing was changed",
    )


def output_target(target: Path) -> Path:
    """The file the bytes of ``target`` go to: ``target`` itself, or what its symlinks point
    to (a link is written through, not replaced). Refuses (:class:`OutputError`) a device, a
    pipe, a socket, a folder, or a file of a kernel file system (``/proc``, ``/sys``)."""
    real = Path(os.path.realpath(target))
    try:
        mode = real.stat().st_mode
    except FileNotFoundError:
        mode = stat.S_IFREG
    except NotADirectoryError:
        raise _refuse(target, "a part of the path is a file, not a folder") from None
    if not stat.S_ISREG(mode):
        what = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
        raise _refuse(target, f"{real} is {what}, left untouched")
    kind = fs_type(real)
    if kind in VIRTUAL_FS:
        raise _refuse(target, f"{real} is on a {kind} file system, not a file")
    return real if Path(target).is_symlink() else target


def check_output(target: Path) -> Path:
    """:func:`output_target`, and its folder (or the nearest folder that exists, where the
    others will be made) writable: said before a build rather than after it."""
    real = output_target(target)
    folder = Path(os.path.realpath(real)).parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise _refuse(target, f"{folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        with contextlib.suppress(OSError):
            if os.statvfs(folder).f_flag & os.ST_RDONLY:
                raise OutputError(
                    f"{folder} is on a read-only file system",
                    where=str(target),
                    hint="write elsewhere (-o)",
                )
        raise OutputError(
            f"the folder {folder} is not writable",
            where=str(target),
            hint="check its permissions, or write elsewhere (-o)",
        )
    return real


def umask() -> int:
    """This process's umask (read without changing it, when the kernel says it)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)  # elsewhere: set and put back (not thread-safe, but brief)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """Mode of a newly created file: ``0o666`` less the umask (``0o644`` under ``022``)."""
    return 0o666 & ~umask()
