"""Citation metadata: ``CITATION.cff`` is the source, ``.zenodo.json`` and the book follow it.

The package version lives in ``trustmodels/_version.py`` only. ``python -m booktools.citation``
copies it into ``CITATION.cff`` (and, with ``--date``, sets ``date-released``), then regenerates
``.zenodo.json`` with cffconvert. ``python -m booktools.citation --check`` changes nothing and
exits with one line per stale file; the tests run the same check.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from trustmodels._version import __version__

__all__ = [
    "apa_citation",
    "bibtex_citation",
    "chapter_bibtex",
    "read_cff",
    "repository_url",
    "sync",
    "with_repository",
    "with_version",
    "zenodo_json",
]

CFF_NAME = "CITATION.cff"
ZENODO_NAME = ".zenodo.json"


def read_cff(path: Path) -> dict[str, Any]:
    r"""Read ``CITATION.cff`` into a dict, keeping dates as ``YYYY-MM-DD`` text.

    Parameters
    ----------
    path : pathlib.Path
        The citation file.

    Returns
    -------
    dict
        The parsed metadata.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "CITATION.cff"
    >>> _ = path.write_text("title: x\nversion: '1.0'\ndate-released: 2026-01-02\n")
    >>> read_cff(path)["date-released"]
    '2026-01-02'
    """
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_TextDateLoader)


class _TextDateLoader(yaml.SafeLoader):
    """Safe YAML loader that leaves timestamps as text (as cffconvert does)."""


_TextDateLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def _authors(cff: dict[str, Any]) -> list[str]:
    names = []
    for author in cff.get("authors", []):
        if "name" in author:
            names.append(author["name"])
        else:
            names.append(", ".join(p for p in (author.get("family-names"),
                                                author.get("given-names")) if p))
    return names


def apa_citation(cff: dict[str, Any]) -> str:
    """Return an APA-style reference for the compendium.

    Parameters
    ----------
    cff : dict
        Parsed ``CITATION.cff``.

    Returns
    -------
    str
        One line of text.

    Examples
    --------
    >>> apa_citation({"authors": [{"name": "The trustmodels authors"}], "title": "trustmodels",
    ...               "version": "0.1.0", "date-released": "2026-11-22",
    ...               "repository-code": "https://github.com/trustmodels/trustmodels"})
    'The trustmodels authors (2026). trustmodels (Version 0.1.0) [Computer software and book]. https://github.com/trustmodels/trustmodels'
    """
    authors = ", ".join(_authors(cff))
    year = str(cff.get("date-released", "n.d."))[:4]
    doi = f" https://doi.org/{cff['doi']}" if cff.get("doi") else ""
    url = cff.get("repository-code") or cff.get("url", "")
    return (f"{authors} ({year}). {cff['title']} (Version {cff['version']}) "
            f"[Computer software and book].{doi or ' ' + url}")


def bibtex_citation(cff: dict[str, Any], key: str = "trustmodels") -> str:
    """Return a BibTeX ``@misc`` entry for the compendium.

    Parameters
    ----------
    cff : dict
        Parsed ``CITATION.cff``.
    key : str
        Citation key.

    Returns
    -------
    str
        The entry, several lines.

    Examples
    --------
    >>> print(bibtex_citation({"authors": [{"name": "The trustmodels authors"}],
    ...     "title": "trustmodels", "version": "0.1.0", "date-released": "2026-11-22",
    ...     "repository-code": "https://github.com/trustmodels/trustmodels"}))
    @misc{trustmodels,
      author = {{The trustmodels authors}},
      title = {trustmodels},
      year = {2026},
      version = {0.1.0},
      note = {Version 0.1.0},
      url = {https://github.com/trustmodels/trustmodels}
    }
    """
    authors = " and ".join(f"{{{name}}}" if "," not in name else name for name in _authors(cff))
    fields = [("author", authors), ("title", cff["title"]),
              ("year", str(cff.get("date-released", ""))[:4]), ("version", cff["version"]),
              ("note", f"Version {cff['version']}")]
    if cff.get("doi"):
        fields.append(("doi", cff["doi"]))
    fields.append(("url", cff.get("repository-code") or cff.get("url", "")))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{key},\n{body}\n}}"


def chapter_bibtex(cff: dict[str, Any], chapter: int, title: str, path: str,
                   key: str = "trustmodels") -> str:
    """Return a BibTeX ``@incollection`` entry for one chapter of the compendium.

    Parameters
    ----------
    cff : dict
        Parsed ``CITATION.cff``.
    chapter : int
        Chapter number (as in the book's navigation).
    title : str
        Chapter title.
    path : str
        The chapter's page, relative to the site (e.g. ``notebooks/03_apology_denial.html``).
    key : str
        Key of the book's entry; the chapter's key adds ``-ch`` and its number.

    Returns
    -------
    str
        The entry, several lines.

    Examples
    --------
    >>> print(chapter_bibtex({"authors": [{"name": "The trustmodels authors"}],
    ...     "title": "trustmodels", "version": "0.2.0", "date-released": "2026-12-05",
    ...     "url": "https://example.org/book"}, 3, "Apology vs denial (H1, H2)",
    ...     "notebooks/03_apology_denial.html"))
    @incollection{trustmodels-ch3,
      author = {{The trustmodels authors}},
      title = {Apology vs denial (H1, H2)},
      booktitle = {trustmodels},
      chapter = {3},
      year = {2026},
      note = {Version 0.2.0},
      url = {https://example.org/book/notebooks/03_apology_denial.html}
    }
    """
    authors = " and ".join(f"{{{name}}}" if "," not in name else name for name in _authors(cff))
    base = (cff.get("url") or cff.get("repository-code") or "").rstrip("/")
    fields = [("author", authors), ("title", title), ("booktitle", cff["title"]),
              ("chapter", str(chapter)), ("year", str(cff.get("date-released", ""))[:4]),
              ("note", f"Version {cff['version']}")]
    if cff.get("doi"):
        fields.append(("doi", cff["doi"]))
    fields.append(("url", f"{base}/{path}" if base else path))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@incollection{{{key}-ch{chapter},\n{body}\n}}"


def with_version(cff_text: str, version: str, date: str | None = None) -> str:
    r"""Return ``CITATION.cff`` text with its ``version`` (and optionally ``date-released``) set.

    Only those lines change; comments and layout are kept.

    Parameters
    ----------
    cff_text : str
        Current file content.
    version : str
        Package version.
    date : str, optional
        Release date ``YYYY-MM-DD``.

    Returns
    -------
    str
        Updated content.

    Raises
    ------
    ValueError
        If the text has no top-level ``version:`` (or ``date-released:``) line to update.

    Examples
    --------
    >>> with_version('title: x\nversion: "0.0.1"\n', "0.1.0")
    'title: x\nversion: "0.1.0"\n'
    """
    updated, count = re.subn(r'(?m)^version:.*$', f'version: "{version}"', cff_text)
    if count != 1:
        raise ValueError(f"{CFF_NAME}: expected one top-level 'version:' line, found {count}")
    if date is not None:
        updated, count = re.subn(r'(?m)^date-released:.*$', f'date-released: "{date}"', updated)
        if count != 1:
            raise ValueError(f"{CFF_NAME}: expected one 'date-released:' line, found {count}")
    return updated


def repository_url(root: Path) -> str | None:
    r"""Return ``repository.url`` of the book's ``_config.yml`` (the one place it is set), or None.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> _ = (root / "_config.yml").write_text("repository:\n  url: https://github.com/o/r\n")
    >>> repository_url(root)
    'https://github.com/o/r'
    """
    path = root / "_config.yml"
    if not path.is_file():
        return None
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("repository", {}).get("url")


def with_repository(cff_text: str, url: str | None) -> str:
    r"""Return ``CITATION.cff`` text whose ``repository-code`` is ``url`` (unchanged if None).

    Examples
    --------
    >>> with_repository('title: x\nrepository-code: "https://a/b"\n', "https://c/d")
    'title: x\nrepository-code: "https://c/d"\n'
    """
    if url is None:
        return cff_text
    updated, count = re.subn(r'(?m)^repository-code:.*$', f'repository-code: "{url}"', cff_text)
    if count != 1:
        raise ValueError(f"{CFF_NAME}: expected one 'repository-code:' line, found {count}")
    return updated


def zenodo_json(cff_text: str) -> str:
    r"""Return the ``.zenodo.json`` content that cffconvert derives from ``CITATION.cff`` text.

    Parameters
    ----------
    cff_text : str
        Content of ``CITATION.cff``.

    Returns
    -------
    str
        Pretty-printed JSON with sorted keys and a final newline.

    Examples
    --------
    >>> text = ('cff-version: 1.2.0\nmessage: Cite it.\ntitle: x\nversion: "0.1.0"\n'
    ...         'authors:\n  - name: "The x authors"\n')
    >>> json.loads(zenodo_json(text))["creators"]
    [{'name': 'The x authors'}]
    """
    from cffconvert import Citation

    content = json.loads(Citation(cff_text).as_zenodo())
    return json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def sync(root: Path, check: bool = False, date: str | None = None) -> list[str]:
    """Bring ``CITATION.cff`` and ``.zenodo.json`` in line with the package version.

    Parameters
    ----------
    root : pathlib.Path
        Project root holding both files.
    check : bool
        Only report stale files, change nothing.
    date : str, optional
        Release date to write into ``date-released``.

    Returns
    -------
    list of str
        One line per file that was (or, with ``check``, would be) changed.
    """
    cff_path, zenodo_path = root / CFF_NAME, root / ZENODO_NAME
    current = cff_path.read_text(encoding="utf-8")
    wanted_cff = with_repository(with_version(current, __version__, date),
                                 repository_url(root))
    wanted_zenodo = zenodo_json(wanted_cff)
    present_zenodo = zenodo_path.read_text(encoding="utf-8") if zenodo_path.exists() else ""
    stale = []
    if wanted_cff != current:
        stale.append(f"{CFF_NAME}: version, date or repository differs from trustmodels "
                     f"{__version__} and _config.yml")
    if wanted_zenodo != present_zenodo:
        stale.append(f"{ZENODO_NAME}: not generated from the current {CFF_NAME}")
    if not check:
        cff_path.write_text(wanted_cff, encoding="utf-8")
        zenodo_path.write_text(wanted_zenodo, encoding="utf-8")
    return stale


def main(argv: list[str] | None = None) -> int:
    """Command line: sync (default) or ``--check`` the citation files."""
    parser = argparse.ArgumentParser(prog="python -m booktools.citation", description=__doc__)
    parser.add_argument("--check", action="store_true", help="report stale files, change nothing")
    parser.add_argument("--date", help="set date-released (YYYY-MM-DD), e.g. on release day")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="project root")
    args = parser.parse_args(argv)
    if args.date is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", args.date):
        parser.error(f"--date must look like 2026-11-22, got {args.date!r}")
    stale = sync(args.root, check=args.check, date=args.date)
    for line in stale:
        print(("stale: " if args.check else "updated: ") + line, file=sys.stderr)
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
