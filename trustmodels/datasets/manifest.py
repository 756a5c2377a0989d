"""Checksums of the raw data: writing and verifying a ``SHA256SUMS`` manifest.

The manifest uses the format of GNU ``sha256sum``: one line per file, ``<64 hex digits>``, two
spaces, and the file's path relative to the manifest's folder (``sha256sum -c SHA256SUMS`` run in
that folder checks it too). Analyses call :func:`verify_manifest` before reading raw data, so a
changed or truncated file stops the analysis with a line naming the file, the expected and the
actual hash. Only the documented data-generation command writes a manifest
(:func:`write_manifest`); loading and validation never write under ``data/raw/``.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path, PurePosixPath

__all__ = [
    "ManifestError",
    "sha256_of",
    "verify_manifest",
    "write_manifest",
]

_LINE = re.compile(r"(?P<hash>[0-9a-fA-F]{64}) [ *](?P<path>.+)")


class ManifestError(RuntimeError):
    """A manifest is missing or malformed, or a listed file is missing or changed.

    Parameters
    ----------
    problems : list of str
        One line per problem.
    """

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


def sha256_of(path) -> str:
    """Return the SHA-256 hex digest of a file, read in chunks.

    Parameters
    ----------
    path : str or pathlib.Path
        The file.

    Returns
    -------
    str
        64 lowercase hex digits.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> _ = path.write_bytes(b"abc")
    >>> sha256_of(path)[:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _relative(folder: Path, name) -> str:
    path = Path(name)
    if path.is_absolute():
        try:
            path = path.resolve().relative_to(folder.resolve())
        except ValueError:
            raise ValueError(f"{name} is not inside {folder}") from None
    posix = PurePosixPath(path.as_posix())
    if ".." in posix.parts:
        raise ValueError(f"{name} must not leave {folder} ('..')")
    return str(posix)


def write_manifest(folder, files, manifest_name: str = "SHA256SUMS") -> Path:
    r"""Write a ``sha256sum``-format manifest of ``files`` into ``folder``.

    Only the data-generation command should call this, after writing the data files.

    Parameters
    ----------
    folder : str or pathlib.Path
        Folder holding the files and the manifest.
    files : iterable of str or pathlib.Path
        Files to list, relative to ``folder`` (or absolute paths inside it).
    manifest_name : str
        File name of the manifest.

    Returns
    -------
    pathlib.Path
        The written manifest (lines sorted by path; ``/`` separators).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "survey.csv").write_text("id\nR1\n")
    >>> manifest = write_manifest(folder, ["survey.csv"])
    >>> manifest.read_text().split("  ")[1]
    'survey.csv\n'
    >>> verify_manifest(folder)
    ['survey.csv']
    """
    folder = Path(folder)
    names = sorted({_relative(folder, name) for name in files})
    if not names:
        raise ValueError("write_manifest needs at least one file")
    lines = [f"{sha256_of(folder / name)}  {name}\n" for name in names]
    target = folder / manifest_name
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_text("".join(lines), encoding="utf-8", newline="\n")
    os.replace(temporary, target)
    return target


def verify_manifest(folder, manifest_name: str = "SHA256SUMS") -> list[str]:
    r"""Check every file listed in ``folder/manifest_name`` against its SHA-256 hash.

    Parameters
    ----------
    folder : str or pathlib.Path
        Folder holding the manifest; listed paths are relative to it.
    manifest_name : str
        File name of the manifest.

    Returns
    -------
    list of str
        The verified paths, as listed.

    Raises
    ------
    ManifestError
        When the manifest is missing, empty or malformed, or a listed file is missing or its
        hash differs; one line per problem, naming the file and both hashes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.csv").write_text("x\n1\n")
    >>> _ = write_manifest(folder, ["a.csv"])
    >>> _ = (folder / "a.csv").write_text("x\n2\n")
    >>> try:
    ...     verify_manifest(folder)
    ... except ManifestError as error:
    ...     print(str(error).split(" (")[0])
    a.csv: SHA-256 differs from SHA256SUMS
    """
    folder = Path(folder)
    manifest = folder / manifest_name
    try:
        text = manifest.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(f"{manifest}: checksum manifest not found; expected one "
                            "'<sha256>  <file>' line per data file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ManifestError(f"{manifest}: cannot read the manifest ({error})") from None
    entries: list[tuple[str, str]] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            problems.append(f"{manifest_name}: line {number}: {line[:80]!r} is not "
                            "'<64 hex digits>  <path>'")
            continue
        name = match["path"]
        if PurePosixPath(name).is_absolute() or ".." in PurePosixPath(name).parts:
            problems.append(f"{manifest_name}: line {number}: path {name!r} must be relative to "
                            "the manifest's folder without '..'")
            continue
        entries.append((match["hash"].lower(), name))
    if not entries and not problems:
        problems.append(f"{manifest_name}: lists no files; expected one '<sha256>  <file>' line "
                        "per data file")
    for expected, name in entries:
        path = folder / name
        if not path.is_file():
            problems.append(f"{name}: listed in {manifest_name} (expected SHA-256 {expected}) "
                            f"but missing from {folder}")
            continue
        actual = sha256_of(path)
        if actual != expected:
            problems.append(f"{name}: SHA-256 differs from {manifest_name} (expected {expected}, "
                            f"actual {actual}); the file changed since the manifest was written")
    if problems:
        raise ManifestError(problems)
    return [name for _, name in entries]
