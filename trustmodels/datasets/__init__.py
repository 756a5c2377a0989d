"""The compendium's own data: the simulated vignette survey, the real survey, their checksums.

Where data live is decided in one place, :mod:`trustmodels.config`.
"""
