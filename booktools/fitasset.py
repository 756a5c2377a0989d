"""The fit-cache release asset: the posteriors the book was built from, shipped with a release.

A release ships the fits its book used as one archive (``trustmodels-<version>-fits.tar.gz``)
with a SHA-256 recorded in ``release/fit-cache.json``. On a fresh clone of that release,
``TRUSTMODELS_FETCH_FITS=1 make book`` fetches it (or reads a local copy named by
``TRUSTMODELS_FIT_ASSET``), checks the checksum, unpacks the fits into the fit cache
(:func:`trustmodels.config.fit_cache_dir`, existing entries are never replaced) and then
executes every notebook against them in minutes; ``TRUSTMODELS_VERIFY_FITS=0.2`` in addition
samples a fifth of them again and compares (:mod:`trustmodels.inference.verify`). Never in CI:
there the fits are sampled.

Which fits the book used is recorded while it executes: the build gives each notebook's kernel
``TRUSTMODELS_FIT_LOG=_build/fits-used/<notebook>.txt`` (:func:`booktools.bookexec.fit_log`),
and :func:`trustmodels.inference.sampling.fit` appends every cached fit's key to it (the book's SBC
its result file, ``sbc/<key>.json``).

Commands (``python -m booktools.fitasset``): ``pack`` builds the asset after ``make book`` and
records its checksum (a step of the README's release checklist); ``fetch`` unpacks one.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile
import tempfile
from pathlib import Path

__all__ = ["ASSET_RECORD", "FETCH_ENV", "SOURCE_ENV", "FitAssetError", "asset_name", "fetch",
           "fetch_for_build", "main", "pack", "release_url", "used_keys"]

#: Where a release records its asset's name, download address and checksum.
ASSET_RECORD = Path("release") / "fit-cache.json"
#: Opt-in setting: fetch the release's fit cache before executing the notebooks.
FETCH_ENV = "TRUSTMODELS_FETCH_FITS"
#: A local file or address of the asset that replaces the recorded one (a mirror, a test).
SOURCE_ENV = "TRUSTMODELS_FIT_ASSET"
#: Folder inside the archive that holds the fits.
_PREFIX = "fits"


class FitAssetError(RuntimeError):
    """The asset cannot be built, fetched or unpacked (one line)."""


def asset_name(version: str) -> str:
    """Return the file name of a release's fit-cache asset.

    Examples
    --------
    >>> asset_name("0.2.0")
    'trustmodels-0.2.0-fits.tar.gz'
    """
    return f"trustmodels-{version}-fits.tar.gz"


def used_keys(root: Path) -> dict[str, list[str]]:
    """Return the fit keys the last build's notebooks used, each with the notebooks using it.

    Parameters
    ----------
    root : pathlib.Path
        Project root (``_toc.yml``, ``_build/fits-used``).

    Returns
    -------
    dict
        Key to the notebooks (paths relative to the root) that used it.

    Raises
    ------
    FitAssetError
        When a notebook of the book has no record (it was not executed by this build machinery
        since the record began: run ``make book`` after ``make clean-book``).
    """
    from booktools.bookexec import fit_log, toc_notebooks

    keys: dict[str, list[str]] = {}
    for notebook in toc_notebooks(root):
        record = fit_log(root, notebook)
        name = notebook.relative_to(root).as_posix()
        if not record.is_file():
            raise FitAssetError(f"{record}: no record of the fits {name} used; run make "
                                "clean-book and make book first")
        for key in dict.fromkeys(record.read_text(encoding="utf-8").split()):
            keys.setdefault(key, []).append(name)
    return keys


def cache_entry(key: str) -> str:
    """Return the path in the fit cache of a recorded key.

    A fit's key names the folder ``<key>.zarr``; a key with a slash is already a file path in
    the fit cache (an SBC result, ``sbc/<key>.json``).

    Examples
    --------
    >>> cache_entry("ab12"), cache_entry("sbc/cd34.json")
    ('ab12.zarr', 'sbc/cd34.json')
    >>> cache_entry("../elsewhere")
    Traceback (most recent call last):
    ...
    booktools.fitasset.FitAssetError: '../elsewhere' is not a path inside the fit cache
    """
    parts = key.split("/")
    if key.startswith("/") or ".." in parts or "" in parts:
        raise FitAssetError(f"{key!r} is not a path inside the fit cache")
    return key if len(parts) > 1 else f"{key}.zarr"


def _deterministic(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mtime = 0
    info.mode = 0o755 if info.isdir() else 0o644
    return info


def pack(root: Path, out_dir: Path, *, version: str, fits: Path | None = None) -> Path:
    """Build the fit-cache asset of the last build and record its checksum.

    Parameters
    ----------
    root : pathlib.Path
        Project root.
    out_dir : pathlib.Path
        Folder for the archive and its ``.sha256`` file.
    version : str
        Release version (in the file name and the manifest).
    fits : pathlib.Path, optional
        Fit cache folder (default :func:`trustmodels.config.fit_cache_dir`).

    Returns
    -------
    pathlib.Path
        The archive. Its bytes depend only on the fits (sorted members, fixed times and
        owners), so packing the same fits twice gives the same checksum.
    """
    from trustmodels.config import fit_cache_dir

    folder = fit_cache_dir() if fits is None else Path(fits)
    keys = used_keys(root)
    missing = [key for key in keys if not (folder / cache_entry(key)).exists()]
    if missing:
        raise FitAssetError(f"{folder}: {len(missing)} fit(s) the book used are not in the fit "
                            f"cache (first: {missing[0]}); run make book again")
    out_dir.mkdir(parents=True, exist_ok=True)
    archive = out_dir / asset_name(version)
    manifest = {"version": version, "fits": {key: keys[key] for key in sorted(keys)}}
    with open(archive, "wb") as handle, \
            gzip.GzipFile(fileobj=handle, mode="wb", mtime=0, filename="",
                          compresslevel=6) as zipped, \
            tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar:
        data = json.dumps(manifest, indent=1, sort_keys=True).encode()
        info = _deterministic(tarfile.TarInfo(f"{_PREFIX}/MANIFEST.json"))
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        for key in sorted(keys):
            entry = folder / cache_entry(key)
            for path in [entry, *(sorted(entry.rglob("*")) if entry.is_dir() else [])]:
                arcname = f"{_PREFIX}/{path.relative_to(folder).as_posix()}"
                tar.add(path, arcname=arcname, recursive=False, filter=_deterministic)
    digest = _sha256(archive)
    (out_dir / f"{archive.name}.sha256").write_text(f"{digest}  {archive.name}\n")
    record = root / ASSET_RECORD
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps({"version": version, "asset": archive.name, "sha256": digest,
                                  "fits": len(keys), "bytes": archive.stat().st_size},
                                 indent=1) + "\n")
    return archive


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def release_url(root: Path, version: str, name: str) -> str:
    r"""Return the download address of a release asset (the repository URL of ``CITATION.cff``).

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> _ = (root / "CITATION.cff").write_text('repository-code: "https://github.com/o/r"\n')
    >>> release_url(root, "0.2.0", "x.tar.gz")
    'https://github.com/o/r/releases/download/v0.2.0/x.tar.gz'
    """
    from booktools.citation import read_cff

    base = str(read_cff(root / "CITATION.cff").get("repository-code", "")).rstrip("/")
    if not base:
        raise FitAssetError(f"{root / 'CITATION.cff'}: no repository-code to download from")
    return f"{base}/releases/download/v{version}/{name}"


def fetch(source: str, sha256: str, fits: Path | None = None) -> int:
    """Fetch (or read) the asset, check its checksum and unpack the fits into the fit cache.

    Parameters
    ----------
    source : str
        A local file or an ``http(s)`` address.
    sha256 : str
        Expected SHA-256 of the archive.
    fits : pathlib.Path, optional
        Fit cache folder (default :func:`trustmodels.config.fit_cache_dir`).

    Returns
    -------
    int
        Number of fits added (fits already in the cache are kept as they are).

    Raises
    ------
    FitAssetError
        When the file is missing, cannot be downloaded (e.g. offline), has another checksum or
        holds no manifest (one line).
    """
    from trustmodels.config import download_cache_dir, fit_cache_dir

    folder = fit_cache_dir() if fits is None else Path(fits)
    if source.startswith(("http://", "https://")):
        import pooch

        try:
            path = Path(pooch.retrieve(source, known_hash=f"sha256:{sha256}",
                                       path=download_cache_dir() / "releases",
                                       progressbar=False))
        except ValueError as error:  # pooch: hash mismatch
            raise FitAssetError(f"{source}: {str(error).splitlines()[0]}") from None
        except Exception as error:  # noqa: BLE001 - offline, refused, not found
            raise FitAssetError(f"{source}: could not download the fit cache "
                                f"({type(error).__name__}); without network, unset "
                                f"{FETCH_ENV} to sample the fits instead") from None
    else:
        path = Path(source).expanduser()
        if not path.is_file():
            raise FitAssetError(f"{path}: no such fit-cache asset")
        actual = _sha256(path)
        if actual != sha256:
            raise FitAssetError(f"{path}: SHA-256 {actual[:16]}... is not the recorded "
                                f"{sha256[:16]}...")
    return _unpack(path, folder)


def _unpack(path: Path, folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".unpack-") as scratch:
        with tarfile.open(path, "r:gz") as tar:
            names = tar.getnames()
            if f"{_PREFIX}/MANIFEST.json" not in names:
                raise FitAssetError(f"{path}: not a trustmodels fit-cache asset (no manifest)")
            tar.extractall(scratch, filter="data")
        manifest = json.loads((Path(scratch) / _PREFIX / "MANIFEST.json").read_text())
        added = 0
        for key in manifest["fits"]:
            target = folder / cache_entry(key)
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(Path(scratch) / _PREFIX / cache_entry(key), target)
            added += 1
    return added


def fetch_for_build(root: Path, environ=None, log=print) -> int | None:
    """Fetch the release's fits before a build when ``$TRUSTMODELS_FETCH_FITS`` asks for it.

    Parameters
    ----------
    root : pathlib.Path
        Project root (``release/fit-cache.json``).
    environ : mapping, optional
        Settings (default ``os.environ``).
    log : callable
        Receives one line.

    Returns
    -------
    int or None
        Fits added; None when nothing was fetched (not asked, or in CI).

    Raises
    ------
    FitAssetError
        When asked but there is no record, or the fetch fails (one line).
    """
    environ = os.environ if environ is None else environ
    if environ.get(FETCH_ENV, "").strip().lower() in ("", "0", "no", "false"):
        return None
    if environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        log(f"make book: {FETCH_ENV} is ignored in CI; the fits are sampled")
        return None
    record_path = root / ASSET_RECORD
    if not record_path.is_file():
        raise FitAssetError(f"{record_path}: no fit-cache asset is recorded for this version "
                            f"(a release records one); unset {FETCH_ENV}")
    record = json.loads(record_path.read_text())
    source = environ.get(SOURCE_ENV) or release_url(root, record["version"], record["asset"])
    added = fetch(source, record["sha256"])
    log(f"make book: {added} fit(s) of release {record['version']} added to the fit cache "
        f"from {source}")
    return added


def main(argv: list[str] | None = None) -> int:
    """Command line: ``pack`` the last build's fits, or ``fetch`` the recorded asset."""
    from trustmodels._version import __version__

    parser = argparse.ArgumentParser(prog="python -m booktools.fitasset", description=__doc__
                                     .split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    packer = sub.add_parser("pack", help="build the asset from the last make book")
    packer.add_argument("--out", type=Path, default=Path("dist"), help="folder (default dist/)")
    fetcher = sub.add_parser("fetch", help="unpack the recorded asset into the fit cache")
    fetcher.add_argument("--from", dest="source", default=None,
                         help="a local copy of the asset (default: the release download)")
    args = parser.parse_args(argv)
    root = Path.cwd()
    try:
        if args.command == "pack":
            archive = pack(root, args.out, version=__version__)
            record = json.loads((root / ASSET_RECORD).read_text())
            print(f"{archive}: {record['fits']} fits, {record['bytes'] / 1e6:.1f} MB, "
                  f"sha256 {record['sha256']} (recorded in {ASSET_RECORD})")
        else:
            environ = {FETCH_ENV: "1", **({SOURCE_ENV: args.source} if args.source else {})}
            fetch_for_build(root, environ)
    except FitAssetError as error:
        print(f"fitasset: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
