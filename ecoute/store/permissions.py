"""The data directory is private to the server's user: directories 0700, files 0600.

It holds the database (owners' transcripts, wrapped keys), encrypted audio and the master
key; nobody else on the machine has a reason to read any of it. New files get the right
mode from the process umask (:func:`private_umask`, set when the store opens), and the
server checks the whole tree when it starts (:func:`secure_data_dir`).

A too-open tree is *fixed*, not refused: every install made before this check has 0644
files and 0755 directories, and refusing would stop all of them at upgrade while the fix
(removing group/other bits on files the server owns) is safe and what an operator would
do anyway. The server refuses to start only when it cannot fix a path (owned by another
user), with the command to run. The master key keeps its own stricter rule (a key found
readable is refused, see :mod:`ecoute.store.keys`: it may already have been copied).
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from ecoute.errors import EcouteError

log = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077


class DataDirNotPrivate(EcouteError):
    """A path in the data directory is open to others and cannot be made private."""


def private_umask() -> None:
    """Files and directories this process creates from now on are 0600 / 0700."""
    os.umask(PRIVATE_UMASK)


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) if needed and make it 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    _restrict(path, path)


def secure_data_dir(data_dir: Path) -> int:
    """Remove group/other permissions under ``data_dir``; the number of paths fixed.

    Symbolic links are not followed (their targets are not ours to change).
    """
    if not data_dir.exists():
        return 0
    fixed = int(_restrict(data_dir, data_dir))
    for root, dirs, files in os.walk(data_dir, followlinks=False):
        for name in dirs + files:
            fixed += _restrict(Path(root) / name, data_dir)
    if fixed:
        log.warning("made %d path(s) in the data directory private (they were readable by others)", fixed)
    return fixed


def _restrict(path: Path, data_dir: Path) -> bool:
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return False
    mode = stat.S_IMODE(info.st_mode)
    if not mode & 0o077:
        return False
    try:
        os.chmod(path, mode & ~0o077)
    except PermissionError:
        raise DataDirNotPrivate(
            f"{path} is readable by other users (mode {mode:o}) and the server cannot change it "
            f"(owned by uid {info.st_uid}); run: chmod -R go-rwx {data_dir}") from None
    return True
