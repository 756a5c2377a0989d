"""trustmodels."""
from trustmodels._version import __version__

__all__ = ["__version__"]
