"""Fetch MathJax 3 from the npm registry once, so that the book's math renders offline.

Pages with math would otherwise load MathJax from a CDN. ``make book`` calls
:func:`ensure_mathjax`, which downloads one pinned tarball with ``npm pack`` (checked against
its sha256), and unpacks the browser bundle into ``.cache/mathjax/site/mathjax/``. The book's
``_config.yml`` copies that folder into the website (``html_extra_path``) and points
``mathjax_path`` at it.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

__all__ = [
    "MATHJAX_SHA256",
    "MATHJAX_VERSION",
    "MathJaxError",
    "ensure_mathjax",
    "install_from_tarball",
]

MATHJAX_VERSION = "3.2.2"
MATHJAX_SHA256 = "1b9c0a1c44df864e915690558e72adb9cc5203360daefd385084ced3b6c64c09"
CACHE_DIR = Path(".cache") / "mathjax"
SITE_DIR = CACHE_DIR / "site" / "mathjax"
#: Parts of the ``es5/`` browser bundle the book needs: the TeX-to-HTML entry point, the
#: fonts and the extensions it loads on demand, the menu and the accessibility tools.
NEEDED = ("tex-chtml.js", "output/chtml/", "input/tex/extensions/", "ui/", "a11y/", "sre/",
          "adaptors/")


class MathJaxError(RuntimeError):
    """MathJax could not be fetched or unpacked; the message says what to do."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def install_from_tarball(tarball: Path, destination: Path, sha256: str = MATHJAX_SHA256) -> Path:
    """Check an npm tarball of MathJax against its hash and unpack the needed browser files.

    Parameters
    ----------
    tarball : pathlib.Path
        The ``mathjax-<version>.tgz`` that ``npm pack`` wrote.
    destination : pathlib.Path
        Folder that receives ``tex-chtml.js`` and its companions (replaced if it exists).
    sha256 : str
        Expected hex digest of the tarball.

    Returns
    -------
    pathlib.Path
        ``destination``.

    Raises
    ------
    MathJaxError
        If the tarball's hash differs or it lacks ``es5/tex-chtml.js``.

    Examples
    --------
    >>> import io, tarfile, tempfile
    >>> tmp = Path(tempfile.mkdtemp())
    >>> with tarfile.open(tmp / "mj.tgz", "w:gz") as tar:
    ...     info = tarfile.TarInfo("package/es5/tex-chtml.js"); info.size = 2
    ...     tar.addfile(info, io.BytesIO(b"//"))
    >>> out = install_from_tarball(tmp / "mj.tgz", tmp / "site", sha256=_sha256(tmp / "mj.tgz"))
    >>> sorted(p.name for p in out.iterdir())
    ['.version', 'tex-chtml.js']
    """
    actual = _sha256(tarball)
    if actual != sha256:
        raise MathJaxError(f"{tarball}: sha256 is {actual}, expected {sha256}; delete it and "
                           "run make book again")
    prefix = "package/es5/"
    staging = Path(tempfile.mkdtemp(prefix="mathjax-", dir=destination.parent
                                    if destination.parent.exists() else None))
    with tarfile.open(tarball, "r:gz") as archive:
        members = []
        for member in archive.getmembers():
            relative = member.name.removeprefix(prefix)
            if member.name.startswith(prefix) and member.isfile() and relative.startswith(NEEDED):
                member.name = relative
                members.append(member)
        if not any(m.name == "tex-chtml.js" for m in members):
            shutil.rmtree(staging)
            raise MathJaxError(f"{tarball}: no {prefix}tex-chtml.js inside; not a MathJax 3 "
                               "package")
        archive.extractall(staging, members=members, filter="data")
    license_member = "package/LICENSE"
    with tarfile.open(tarball, "r:gz") as archive:
        if license_member in archive.getnames():
            (staging / "LICENSE").write_bytes(archive.extractfile(license_member).read())
    (staging / ".version").write_text(sha256 + "\n")
    if destination.exists():
        shutil.rmtree(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging.rename(destination)
    return destination


def ensure_mathjax(root: Path) -> Path:
    """Make ``.cache/mathjax/site/mathjax/tex-chtml.js`` exist under ``root``, fetching it once.

    Parameters
    ----------
    root : pathlib.Path
        Project root.

    Returns
    -------
    pathlib.Path
        The folder holding ``tex-chtml.js``.

    Raises
    ------
    MathJaxError
        If npm is missing or the download fails.
    """
    site = root / SITE_DIR
    stamp = site / ".version"
    if stamp.exists() and stamp.read_text().strip() == MATHJAX_SHA256:
        return site
    cache = root / CACHE_DIR
    cache.mkdir(parents=True, exist_ok=True)
    tarball = cache / f"mathjax-{MATHJAX_VERSION}.tgz"
    if not tarball.exists() or _sha256(tarball) != MATHJAX_SHA256:
        npm = shutil.which("npm")
        if npm is None:
            raise MathJaxError("npm not found: install Node.js with npm (e.g. apt-get install "
                               f"npm) so that make book can fetch MathJax {MATHJAX_VERSION}")
        print(f"fetching MathJax {MATHJAX_VERSION} from the npm registry (once)")
        result = subprocess.run(
            [npm, "pack", f"mathjax@{MATHJAX_VERSION}", "--silent", "--pack-destination",
             str(cache)], capture_output=True, text=True, check=False)
        if result.returncode != 0 or not tarball.exists():
            last = (result.stderr.strip().splitlines() or ["no message"])[-1]
            raise MathJaxError(f"npm pack mathjax@{MATHJAX_VERSION} failed: {last}")
    return install_from_tarball(tarball, site)
