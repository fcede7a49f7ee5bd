"""Writing results so that nothing half-written is ever left behind.

Every file is written to a temporary name in the same directory and renamed into place
(``os.replace`` is atomic on POSIX), so a reader, or a resumed sweep, sees either the old
file, the new file, or no file; never a truncated one.

A command's result folder (``prefsim run --out DIR``: tables, scenario, manifest) is written
the same way as a whole (:func:`replace_folder`): into a fresh temporary folder beside it,
then renamed into place, so that ``DIR`` holds either the previous results, the new ones, or
nothing; never a mix, even when a write fails half-way. A folder holding anything the
command does not write itself is never replaced (:class:`FolderInTheWay`).
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` then rename the temporary file to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: str | Path, text: str) -> Path:
    def write(p: Path) -> None:
        p.write_text(text, encoding="utf-8")

    return atomic_write(path, write)


def write_json(path: str | Path, data: Any) -> Path:
    return write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def write_csv(path: str | Path, frame: pd.DataFrame) -> Path:
    return atomic_write(path, lambda p: frame.to_csv(p, index=False, float_format="%.10g"))


def write_parquet(path: str | Path, frame: pd.DataFrame) -> Path:
    return atomic_write(path, lambda p: frame.to_parquet(p, index=False))


class FolderInTheWay(OSError):
    """An output folder holding entries the command does not write: never replaced."""


def is_leftover(name: str) -> bool:
    """A temporary folder left by an interrupted :func:`replace_folder` (``.name.*.tmp`` or
    ``.old``), which never counts as content."""
    return name.startswith(".") and name.endswith((".tmp", ".old"))


def foreign_entries(target: Path, owned: Sequence[str]) -> list[str]:
    """Entries of ``target`` that no pattern of ``owned`` names (a file in the way of a
    folder counts); temporary leftovers of an earlier write do not count."""
    if not target.exists() and not target.is_symlink():
        return []
    if not target.is_dir() or target.is_symlink():
        return [target.name]
    return sorted(e.name + ("/" if e.is_dir() else "") for e in target.iterdir()
                  if not any(fnmatch.fnmatch(e.name, pattern) for pattern in owned)
                  and not is_leftover(e.name))


def check_folder(target: str | Path, owned: Sequence[str]) -> None:
    """Raise :class:`FolderInTheWay` unless ``target`` is absent, empty, or holds only
    entries named by ``owned`` (an earlier result of the same command)."""
    foreign = foreign_entries(Path(target), owned)
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5
                                          else "")
        raise FolderInTheWay(f"{target}: holds what this command does not write ({shown}); "
                             "choose another --out")


def replace_folder(target: str | Path, write: Callable[[Path], object],
                   owned: Sequence[str]) -> Path:
    """Call ``write(tmp)`` to fill a fresh temporary folder, then put it in ``target``'s
    place (an earlier result there, named by ``owned``, is removed once replaced)."""
    target = Path(target)
    check_folder(target, owned)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    old = tmp.with_suffix(".old")
    try:
        write(tmp)
        os.chmod(tmp, 0o777 & ~_umask())
        check_folder(target, owned)  # nothing slipped in meanwhile
        if target.exists():
            os.rename(target, old)
        os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not target.exists():
            os.rename(old, target)  # put the earlier result back
        raise
    shutil.rmtree(old, ignore_errors=True)
    return target


def write_beside(target: str | Path, write: Callable[[Path], object],
                 owned: Sequence[str]) -> Path:
    """Call ``write(tmp)`` to fill a fresh temporary folder, then move each of its entries
    into ``target``, a folder that also holds entries of its own (never touched): an
    earlier result's entries (named by ``owned``) that the new one lacks are removed, so
    the folder never ends with a mix of two results; if ``write`` fails, ``target`` is
    untouched."""
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        write(tmp)
        new = {e.name for e in tmp.iterdir()}
        for e in target.iterdir():
            mine = any(fnmatch.fnmatch(e.name, pattern) for pattern in owned)
            if not mine or (e.name in new and not e.is_dir()):
                continue  # the user's own, or a file the new result replaces
            if e.is_dir() and not e.is_symlink():
                shutil.rmtree(e)
            else:
                e.unlink()
        for name in sorted(new):
            os.replace(tmp / name, target / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target

