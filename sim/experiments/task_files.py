"""A sweep's task files and their manifest: which task wrote each file, and its checksum.

A sweep resumes by skipping the tasks whose file is already there, so a file must prove it is
the one its task wrote: a file cut short by a full disk, emptied by a careless command, or
copied over from another task (its name says one point, its rows another) would otherwise be
taken as done, or crash the combination. Each time a task's file is written (atomically,
:mod:`sim.experiments.io`), one line is appended to ``OUT/tasks.jsonl``: the file, the task
key (point, replication, seed, base scenario) and the file's size and SHA-256. On resume,
:meth:`Manifest.check` accepts a file only if its manifest line has the task's key, its size
and its checksum; anything else is redone, and the reason counted: ``missing``, ``empty``,
``truncated or unreadable`` (cut short, or not Parquet), ``another task's`` (its rows belong
to another point or replication), ``unrecorded`` (no manifest line: the sweep stopped between
writing the file and recording it) or ``altered`` (changed since it was recorded).

The manifest is append-only, so a sweep killed while appending loses at most its last line
(an unreadable line is ignored and its task redone); for a file recorded twice, the last line
counts.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

MANIFEST = "tasks.jsonl"


class TaskKey(NamedTuple):
    """What identifies a task's output: the point, the replication, the seed, the base."""

    point: str
    replication: int
    seed: int
    base_sha: str


def task_path(out_dir: Path, point: str, replication: int) -> Path:
    return out_dir / "points" / f"{point}-r{replication:04d}.parquet"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Manifest:
    """The task files recorded in ``out_dir``'s manifest (the last line for each file)."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.path = out_dir / MANIFEST
        self.entries: dict[str, dict[str, Any]] = {}
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            text = ""
        self._cut = not text.endswith("\n") and bool(text)  # the last line was cut short
        for line in text.splitlines():
            try:
                entry = json.loads(line)
                self.entries[str(entry["file"])] = entry
            except (ValueError, TypeError, KeyError):
                continue  # a line cut short by a kill: its task is redone

    def _name(self, path: Path) -> str:
        return path.relative_to(self.out_dir).as_posix()

    def record(self, key: TaskKey, path: Path) -> None:
        """Append ``path``'s line: its task key, size and checksum (flushed to disk)."""
        entry = {"file": self._name(path), **key._asdict(), "bytes": path.stat().st_size,
                 "sha256": sha256(path)}
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(("\n" if self._cut else "") + json.dumps(entry, sort_keys=True) + "\n")
            self._cut = False
            handle.flush()
            os.fsync(handle.fileno())
        self.entries[entry["file"]] = entry

    def check(self, key: TaskKey, path: Path) -> str | None:
        """None if ``path`` is the file ``key``'s task wrote; else why it must be redone."""
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return "missing"
        except OSError:
            return "truncated or unreadable"
        entry = self.entries.get(self._name(path))
        if entry is not None and _same_key(entry, key) and entry.get("bytes") == size:
            try:
                if entry.get("sha256") == sha256(path):
                    return None
            except OSError:
                return "truncated or unreadable"
        if size == 0:
            return "empty"
        try:
            rows = pd.read_parquet(path, columns=["point", "replication", "seed"])
        except Exception:  # noqa: BLE001 - any reader failure: truncated, not Parquet...
            return "truncated or unreadable"
        if not ((rows["point"] == key.point).all() and (rows["replication"] == key.replication)
                .all() and (rows["seed"] == key.seed).all()):
            return "another task's"
        return "unrecorded" if entry is None else "altered"


def _same_key(entry: dict[str, Any], key: TaskKey) -> bool:
    return all(entry.get(field) == value for field, value in key._asdict().items())
