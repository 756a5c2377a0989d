"""Derived results stored with a key, and the one check every reader of them makes.

A computation too long for a build (a design analysis, recovery across many surveys, an SBC
run) is run once by a command and stored in a folder with a ``manifest.json`` whose ``key``
says what it was computed from. Its reader calls :func:`read_stored_manifest` first: one line
names a missing file, or a key that is not that of the current inputs, and the command that
recomputes the result.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["ChecksummedRecords", "read_stored_manifest"]


class ChecksummedRecords:
    """Finished pieces of a long run, one JSON file each with a checksum, so that it resumes.

    A record is saved as ``{**fields, "sha256": ..., body_key: body}`` (written to a temporary
    file and renamed: a partial file is never read). :meth:`load` returns the body only if its
    checksum and every expected field match; a damaged file is moved aside (``.damaged``), one
    line goes to standard error and the piece counts as not done.

    Parameters
    ----------
    folder : str or pathlib.Path
        Folder of the records (created).
    body_key : str
        Name of the body in the file.
    label : str
        Who reports a damaged file (e.g. ``"trustmodels plan"``).

    Examples
    --------
    >>> import tempfile
    >>> records = ChecksummedRecords(tempfile.mkdtemp(), body_key="rows", label="demo")
    >>> records.load("task-1") is None
    True
    >>> records.save("task-1", [{"mean": 0.5}], seed=7)
    >>> records.load("task-1", seed=7)
    [{'mean': 0.5}]
    >>> records.load("task-1", seed=8) is None  # another seed: damaged, moved aside
    True
    """

    def __init__(self, folder, *, body_key: str, label: str):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.body_key = body_key
        self.label = label

    @staticmethod
    def _digest(body) -> str:
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()

    def path(self, name: str) -> Path:
        """Return the file of the record ``name``."""
        return self.folder / f"{name}.json"

    def load(self, name: str, **expected):
        """Return the body of record ``name``, or ``None`` if it is missing or damaged."""
        path = self.path(name)
        if not path.exists():
            return None
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            body = record[self.body_key]
            if record["sha256"] != self._digest(body) or any(
                    record[field] != value for field, value in expected.items()):
                raise ValueError("checksum")
        except (OSError, ValueError, KeyError, TypeError):
            damaged = path.with_suffix(".damaged")
            path.replace(damaged)
            print(f"{self.label}: stored result {path.name} is damaged; moved to "
                  f"{damaged.name} and recomputing", file=sys.stderr)
            return None
        return body

    def save(self, name: str, body, **fields) -> None:
        """Store record ``name`` (numbers that JSON cannot hold are written as floats)."""
        clean = json.loads(json.dumps(body, default=float, allow_nan=True))
        path = self.path(name)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps({**fields, "sha256": self._digest(clean),
                                         self.body_key: clean}), encoding="utf-8")
        temporary.replace(path)


def read_stored_manifest(folder, files: Sequence[str], key: str, *, what: str, against: str,
                         command: str, error: type[Exception] = RuntimeError) -> dict:
    """Return a stored result's manifest after checking its files and its key.

    Parameters
    ----------
    folder : str or pathlib.Path
        The stored result's folder (holding ``manifest.json``).
    files : sequence of str
        Files the folder must hold (``manifest.json`` among them).
    key : str
        The key of the current inputs.
    what : str
        What is stored, for the message (e.g. ``"recovery run"``).
    against : str
        What the key is made of, for the message (e.g. ``"settings and version"``).
    command : str
        The command that recomputes the result.
    error : type of Exception
        The exception raised.

    Returns
    -------
    dict
        The manifest.

    Raises
    ------
    error
        One line, when a file is missing or the stored key differs.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "manifest.json").write_text('{"key": "abc"}')
    >>> read_stored_manifest(folder, ["manifest.json"], "abc", what="run", against="settings",
    ...                      command="make run")
    {'key': 'abc'}
    >>> read_stored_manifest(folder, ["manifest.json"], "xyz", what="run", against="settings",
    ...                      command="make run")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    RuntimeError: ...: the stored run (key abc) is not that of the current settings (key xyz); ...
    """
    folder = Path(folder)
    missing = [name for name in files if not (folder / name).exists()]
    if missing:
        raise error(f"{folder}: the stored {what} lacks {', '.join(missing)}; run `{command}`")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("key") != key:
        raise error(f"{folder}: the stored {what} (key {manifest.get('key')}) is not that of the "
                    f"current {against} (key {key}); recompute it with `{command}`")
    return manifest
