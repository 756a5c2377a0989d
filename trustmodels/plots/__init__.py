"""Figures and tables for readers: one function per figure, one visual style (:mod:`.style`)."""
