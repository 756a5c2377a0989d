"""Figures of the book: one function per figure, one visual style (:mod:`.style`)."""
