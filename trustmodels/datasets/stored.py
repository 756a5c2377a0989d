"""Derived results stored with a key, and the one check every reader of them makes.

A computation too long for a build (a design analysis, recovery across many surveys, an SBC
run) is run once by a command and stored in a folder with a ``manifest.json`` whose ``key``
says what it was computed from. Its reader calls :func:`read_stored_manifest` first: one line
names a missing file, or a key that is not that of the current inputs, and the command that
recomputes the result.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

__all__ = ["read_stored_manifest"]


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
