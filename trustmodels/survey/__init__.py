"""A survey as data: its codebook, validation against it, the tidy table and exclusions.

Generic: any codebook (a Frictionless data package with a ``trustmodels`` section) describes any
survey; nothing here knows the compendium's own studies.
"""
