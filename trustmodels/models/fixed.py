r"""A single-outcome fixed-effects cumulative-link model (for cross-checks against ML fits).

Answers :math:`y_n \in \{1, \dots, K\}` of one item, or of one pooled outcome, with covariate row
:math:`x_n` and no respondent effects:

.. math::

    P(y_n \le k) = F(\tau_k - x_n \beta), \qquad
    \beta_e \sim \mathrm{Normal}(0, \sigma_\beta), \qquad
    \tau \sim \text{induced Dirichlet}(\alpha),

the parametrisation of :class:`statsmodels.miscmodels.ordinal_model.OrderedModel` (no intercept;
the thresholds absorb it), so with weak priors and enough data the posterior means match its
maximum-likelihood estimates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm

from trustmodels.datasets.simulated_design import EFFECT_NAMES
from trustmodels.models.data import prepare_ordinal_data
from trustmodels.models.likelihood import LINKS
from trustmodels.models.ordinal import ordinal_answers, threshold_matrix
from trustmodels.models.priors import FixedPriors
from trustmodels.models.specification import FixedSpec

__all__ = ["build_fixed_model", "build_fixed_model_from_arrays"]


def build_fixed_model_from_arrays(
    response, design: pd.DataFrame, n_categories: int, priors: FixedPriors | None = None,
    *, link: str = "logit",
) -> pm.Model:
    """Build the fixed-effects ordinal model from answers and a design matrix.

    Parameters
    ----------
    response : array_like of int
        Answers coded 1..K.
    design : pandas.DataFrame
        One row per answer, one column per coefficient (no intercept column).
    n_categories : int
        K.
    priors : FixedPriors, optional
        Prior settings (default ``FixedPriors()``).
    link : {"logit", "probit"}
        Link function.

    Returns
    -------
    pymc.Model
        Coordinates ``obs``, ``effect``, ``cutpoint``, ``item`` (one entry ``"outcome"``);
        free variables ``beta`` and ``cutpoints``; observed ``y``.

    Raises
    ------
    ValueError
        Empty input, answers outside 1..K, non-finite covariates or an unknown link.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> x = pd.DataFrame({"x": [0.0, 1.0, 0.0, 1.0]})
    >>> model = build_fixed_model_from_arrays([1, 2, 3, 3], x, 3)
    >>> sorted(rv.name for rv in model.free_RVs)
    ['beta', 'cutpoints']
    """
    if link not in LINKS:
        raise ValueError(f"unknown link {link!r}; expected one of {LINKS}")
    priors = FixedPriors() if priors is None else priors
    y = np.asarray(response)
    if y.size == 0:
        raise ValueError("no answers given; expected at least one")
    if len(design) != y.size:
        raise ValueError(f"design has {len(design)} rows but there are {y.size} answers")
    if not np.issubdtype(y.dtype, np.number) or np.any((y < 1) | (y > n_categories) | (y % 1 != 0)):
        raise ValueError(f"answers must be integers in 1..{n_categories}")
    x = design.to_numpy(float)
    if not np.isfinite(x).all():
        raise ValueError("the design matrix has non-finite values")
    coords = {"obs": np.arange(y.size), "effect": [str(c) for c in design.columns],
              "item": ["outcome"]}
    with pm.Model(coords=coords) as model:
        data = pm.Data("X", x, dims=("obs", "effect"))
        beta = pm.Normal("beta", 0.0, priors.effect_sd, dims="effect")
        cutpoints = threshold_matrix(("outcome",), np.array([n_categories]), priors, link)
        zeros = np.zeros(y.size, dtype="int64")
        ordinal_answers("y", data @ beta, cutpoints, zeros, np.full(y.size, n_categories),
                        y.astype("int64"), link)
    model.trustmodels_spec = FixedSpec(link=link, effects=tuple(coords["effect"]),
                                       item_categories=(int(n_categories),), priors=priors)
    return model


def build_fixed_model(
    long: pd.DataFrame, item: str, priors: FixedPriors | None = None, *,
    link: str = "logit", effects: tuple[str, ...] = EFFECT_NAMES,
) -> pm.Model:
    """Build the fixed-effects model of one item's answers from the tidy long table.

    Parameters
    ----------
    long : pandas.DataFrame
        The tidy long table.
    item : str
        The item whose answers are the outcome.
    priors : FixedPriors, optional
        Prior settings (default ``FixedPriors()``).
    link : {"logit", "probit"}
        Link function.
    effects : tuple of str
        Fixed effects (columns of :func:`trustmodels.datasets.simulated_design.design_matrix`).

    Returns
    -------
    pymc.Model
        See :func:`build_fixed_model_from_arrays`.

    Raises
    ------
    ValueError
        Empty table, unknown item, or the input problems of
        :func:`trustmodels.models.data.prepare_ordinal_data`.
    """
    if long is None or len(long) == 0:
        raise ValueError("the long table is empty; expected one row per observed answer")
    if "item" not in long.columns or item not in set(long["item"].astype(str)):
        raise ValueError(f"item {item!r} has no answers in the table")
    construct = str(long.loc[long["item"].astype(str) == item, "construct"].iloc[0])
    subset = long[long["item"].astype(str) == item]
    data = prepare_ordinal_data(subset, outcomes=(construct,), disposition=None, effects=effects)
    design = data.design.iloc[data.respondent_index].reset_index(drop=True)
    return build_fixed_model_from_arrays(data.response, design, int(data.item_categories[0]),
                                         priors, link=link)
