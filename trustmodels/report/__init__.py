"""``trustmodels report``: a survey of any declared design, validated, fitted and reported.

:func:`~trustmodels.report.run.run_report` runs it; :mod:`trustmodels.report.notebook` holds the
report's cells, which call the same package functions as the book.
"""
