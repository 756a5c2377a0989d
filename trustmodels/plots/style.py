"""The one visual style of every figure: fonts, sizes and the colours of the conditions."""

from __future__ import annotations

from contextlib import contextmanager

import matplotlib as mpl

__all__ = ["CONDITION_COLORS", "CONDITION_LINESTYLES", "CONDITION_MARKERS", "LIKERT_CMAP",
           "SEQUENCE", "apply_style", "style"]

#: Colours of the seller's responses, used in every figure that shows them: black, blue and
#: orange of the Okabe-Ito palette, which stay apart under the common colour-vision
#: deficiencies (the earlier grey "none" and red "denial" merged under protanopia).
CONDITION_COLORS = {"none": "#000000", "apology": "#0072B2", "denial": "#E69F00"}
#: A second cue besides colour, for greyscale prints: a marker per response ...
CONDITION_MARKERS = {"none": "s", "apology": "o", "denial": "^"}
#: ... and a line style per response.
CONDITION_LINESTYLES = {"none": ":", "apology": "-", "denial": "--"}
#: Colours for other series (constructs, models), colour-blind safe (Okabe-Ito).
SEQUENCE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
#: Diverging colour map for Likert categories (disagree red ... agree blue).
LIKERT_CMAP = "RdBu"

_RC = {
    "figure.figsize": (7.0, 4.2),
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "axes.prop_cycle": mpl.cycler(color=list(SEQUENCE)),
}


def apply_style() -> None:
    """Set the compendium's matplotlib style for the rest of the session.

    Examples
    --------
    >>> apply_style()
    >>> import matplotlib as mpl
    >>> mpl.rcParams["axes.spines.top"]
    False
    """
    mpl.rcParams.update(_RC)


@contextmanager
def style():
    """Apply the compendium's style inside a ``with`` block only.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> with style():
    ...     mpl.rcParams["legend.frameon"]
    False
    """
    with mpl.rc_context(_RC):
        yield
