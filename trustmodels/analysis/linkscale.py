r"""A declared-design fit on the scale of a cumulative link mixed model (R's ``ordinal::clmm``).

The declared-design model (:func:`trustmodels.models.declared.build_design_model`) writes item
:math:`j`'s answers as :math:`P(y \le k) = F(\tau_{jk} - \lambda_j (X\beta + u_i))` with
:math:`u_i \sim \mathrm{Normal}(0, 1)`: its effects are in standard deviations of the
respondents' latent intercepts. A cumulative link mixed model with one item writes
:math:`P(y \le k) = F(\theta_k - X\beta' - u'_i)` with :math:`u'_i \sim \mathrm{Normal}(0,
\sigma^2)`. The two are the same model with

.. math::

    \beta' = \lambda \beta, \qquad \sigma = \lambda, \qquad \theta_k = \tau_k,

so :func:`link_scale_parameters` returns the posterior of :math:`\lambda\beta`, :math:`\lambda`
and :math:`\tau` per item, to set beside ``clmm``'s maximum-likelihood estimates.

References
----------
Christensen, R. H. B. (2019). Cumulative link models for ordinal regression with the R package
ordinal. *CRAN vignette*.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustmodels.analysis.effects import DEFAULT_HDI_PROB, _item_parameters, hdi
from trustmodels.models.specification import DeclaredSpec, model_spec

__all__ = ["compare_with_reference", "link_scale_parameters"]


def link_scale_parameters(idata, *, hdi_prob: float = DEFAULT_HDI_PROB) -> pd.DataFrame:
    """Return a declared-design fit's parameters on the link scale of ``ordinal::clmm``.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit of :func:`trustmodels.models.declared.build_design_model`.
    hdi_prob : float
        HDI mass.

    Returns
    -------
    pandas.DataFrame
        One row per item and term: ``item``, ``term`` (each effect, ``sd_respondent`` and the
        thresholds ``1|2``, ``2|3``, ...), ``mean``, ``sd``, ``hdi_low``, ``hdi_high``.

    Raises
    ------
    ValueError
        For a fit of another model.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> posterior = xr.Dataset({
    ...     "beta": (("chain", "draw", "effect"), np.full((1, 4, 1), 2.0)),
    ...     "lambda": (("chain", "draw", "item"), np.full((1, 4, 1), 1.5)),
    ...     "cutpoints": (("chain", "draw", "item", "cutpoint"), np.zeros((1, 4, 1, 2)))},
    ...     coords={"effect": ["temp[warm]"], "item": ["rating"], "cutpoint": [1, 2]})
    >>> fit = xr.DataTree.from_dict({"posterior": posterior})
    >>> from trustmodels.models.specification import DeclaredSpec
    >>> fit.attrs["trustmodels_spec"] = DeclaredSpec(
    ...     items=("rating",), item_categories=(3,), link="logit").to_json()
    >>> link_scale_parameters(fit)[["term", "mean"]].to_dict("list")
    {'term': ['temp[warm]', 'sd_respondent', '1|2', '2|3'], 'mean': [3.0, 1.5, 0.0, 0.0]}
    """
    spec = model_spec(idata, DeclaredSpec, "link-scale parameters need a fit of build_design_model")
    beta = idata["posterior"]["beta"]
    effects = [str(name) for name in beta["effect"].to_numpy()]
    beta = beta.stack(sample=("chain", "draw")).transpose("sample", "effect").to_numpy()
    lam, tau = _item_parameters(idata, spec)
    rows = []
    for j, item in enumerate(spec.items):
        k = int(spec.item_categories[j])
        terms = {name: lam[:, j] * beta[:, e] for e, name in enumerate(effects)}
        terms["sd_respondent"] = lam[:, j]
        terms.update({f"{c}|{c + 1}": tau[:, j, c - 1] for c in range(1, k)})
        for term, draws in terms.items():
            low, high = hdi(draws, hdi_prob)
            rows.append({"item": item, "term": term, "mean": float(np.mean(draws)),
                         "sd": float(np.std(draws, ddof=1)), "hdi_low": low, "hdi_high": high})
    return pd.DataFrame(rows)


def compare_with_reference(fits, reference: pd.DataFrame, names, *,
                           hdi_prob: float = DEFAULT_HDI_PROB) -> pd.DataFrame:
    """Set a maximum-likelihood fit's estimates beside the link-scale posteriors of some fits.

    Parameters
    ----------
    fits : mapping of str to xarray.DataTree
        Label -> a fit of :func:`trustmodels.models.declared.build_design_model` (one item).
    reference : pandas.DataFrame
        The reference fit, indexed by its term names, with ``estimate`` and ``std_error``
        (e.g. the stored values of ``ordinal::clmm``).
    names : mapping of str to str
        Term of :func:`link_scale_parameters` -> the reference's name for it.
    hdi_prob : float
        HDI mass.

    Returns
    -------
    pandas.DataFrame
        One row per term and fit: ``term`` (the reference's name), ``fit``, ``reference``,
        ``reference_se``, ``mean``, ``sd``, ``hdi_low``, ``hdi_high``, ``inside`` (the
        reference estimate lies in the HDI) and ``gap_sd`` (|mean - reference| in posterior SD).
    """
    rows = []
    for label, idata in fits.items():
        ours = link_scale_parameters(idata, hdi_prob=hdi_prob).set_index("term")
        for term, theirs in names.items():
            row = ours.loc[term]
            estimate = float(reference.loc[theirs, "estimate"])
            rows.append({"term": theirs, "fit": label, "reference": estimate,
                         "reference_se": float(reference.loc[theirs, "std_error"]),
                         "mean": row["mean"], "sd": row["sd"], "hdi_low": row["hdi_low"],
                         "hdi_high": row["hdi_high"],
                         "inside": bool(row["hdi_low"] <= estimate <= row["hdi_high"]),
                         "gap_sd": abs(row["mean"] - estimate) / row["sd"]})
    return pd.DataFrame(rows)

