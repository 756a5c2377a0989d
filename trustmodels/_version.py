"""The single source of the package version (read by hatchling, the book and CITATION.cff)."""

__version__ = "0.2.0"
