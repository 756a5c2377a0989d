"""booktools: the machinery that builds the compendium's website (not part of the package).

``make book`` runs :mod:`booktools.bookbuild`, which executes the notebooks side by side
(:mod:`booktools.bookexec`) and then Jupyter Book, whose Sphinx build loads
:mod:`booktools.sphinxext` (codebook and truth tables, citation, colophon). Nothing here is
installed with ``pip install trustmodels``; the notebooks never import it, so editing it never
re-executes them (the build's fingerprint watches ``trustmodels/`` and ``data/`` only).
"""
