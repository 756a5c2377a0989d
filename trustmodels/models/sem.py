r"""A Bayesian structural equation model with ordinal (Likert) indicators.

Every respondent :math:`i` has one latent score per construct. The constructs are listed in a
causal order (by default privacy concern, trust, perceived risk, intention) and each is a linear
function of earlier ones plus a disturbance,

.. math::

    \ell_i = B\,\ell_i + \zeta_i, \qquad \zeta_i \sim \mathcal N(0, I),

where :math:`B` holds the path coefficients (strictly lower triangular in the causal order). With
:math:`A = (I - B)^{-1}` (unit lower triangular) the latent covariance is :math:`AA^\top` and
:math:`D = \operatorname{diag}(AA^\top)^{1/2}` holds the model-implied latent standard
deviations. The model samples the *standardized* scores :math:`\ell^*_i = D^{-1}\ell_i`,
*centered* by default, :math:`\ell^*_i \sim \mathcal N(0, R)` with the model-implied
correlation matrix :math:`R = D^{-1}AA^\top D^{-1}` (Cholesky factor :math:`D^{-1}A`); a
*non-centered* version (sample :math:`\zeta_i`, compute :math:`\ell^*_i = D^{-1}A\zeta_i`)
is available (see :func:`build_sem`).
The centered log-density is evaluated through the explicit inverse of the Cholesky factor,
:math:`(D^{-1}A)^{-1} = (I - B)D`, with :math:`\log|D^{-1}A| = -\sum_c \log D_c`: no
triangular solve (PyMC's ``MvNormal`` took about 10 ms per evaluation for 1,090 x 4 scores under
JAX; with it a fit of the real data had not reached 100 of 2,000 iterations per chain after
14 minutes on the loaded 2-core machine).

**Sampler coordinates (centered).** The data fix every score relative to its items' thresholds,
but the common location of a construct's 1,090 scores and its thresholds only through the
:math:`\mathcal N(0, R)` prior of the scores. In plain coordinates that common shift is spread
over all scores (whitened posterior variance 7-12 along it on the real data, against 1 along a
random direction) and it set the NUTS trajectory length (tree depth 6, 63 leapfrog steps per
draw). The centered model therefore samples the scores through :class:`MeanSplitTransform`
(an orthogonal change of coordinates whose first row is each construct's mean score) and the
thresholds as offsets from that mean (``threshold_offsets_k<K>``, prior
``Normal(-mean, threshold_sigma)``, so the thresholds ``thresholds_std_k<K>`` keep their
``Normal(0, threshold_sigma)`` prior). Both maps have a constant Jacobian: the model, its
density and its posterior are unchanged (``tests/test_sem.py`` checks the joint density term
by term); only the geometry the sampler sees changes.

**Identification.** The exogenous construct has variance 1 and every endogenous construct has
residual (disturbance) variance 1, so a path (``paths``) is "latent-SD units of the outcome's
disturbance per unit of the predictor". The measurement part is written on the standardized
latent scale (unit variance for every construct, no marker item), so loadings and thresholds do
not move when the paths change the latent variances. The *standardized* paths (``paths_std``)
and the standardized indirect and total effects (``effects_std``) divide by the model-implied
standard deviations, as standardized SEM output does; they are the numbers to compare across
methods. Loadings are positive, which fixes the sign of every construct (all items are keyed in
the direction of their construct's name).

**Measurement.** Item :math:`j` of construct :math:`c(j)` has a *standardized loading*
:math:`s_j \in (0, 1)` (``loadings_std``, the correlation of the item's logistic latent
response with its construct) and ordered thresholds :math:`\kappa^*_j` located on the
standardized latent scale (``thresholds_std_k<K>``); with the logit loading per latent SD
:math:`\lambda^*_j = s_j (\pi/\sqrt3) / \sqrt{1 - s_j^2}` its answer follows a cumulative
logit model,
:math:`P(y_{ij} \le k) = \operatorname{logit}^{-1}(\lambda^*_j(\kappa^*_{jk} -
\ell^*_{i,c(j)}))`,
i.e. logit cutpoints :math:`\tau_{jk} = \lambda^*_j \kappa^*_{jk}` (the item-response-theory
parameterization, which removes the loading-threshold ridge of the :math:`\tau`
parameterization). The loadings and thresholds on the unstandardized latent scale,
:math:`\lambda_j = \lambda^*_j / D_{c(j)}` and :math:`\kappa_j = D_{c(j)} \kappa^*_j`, are
recorded as ``loadings`` and ``thresholds_k<K>`` (they define the same answer probabilities and
are what :func:`simulate_sem` takes). The log-likelihood is the two-CDF-term one of
:func:`trustmodels.models.likelihood.ordinal_logp`. Items may have different numbers of
categories (here 5 and 7); thresholds are grouped by K.

**Why a prior on the standardized loading.** Two-item constructs (trust, intention) whose items
nearly always agree push a standardized loading towards 1 (a Heywood case). There the
likelihood is flat in the loading (every score is pinned between two thresholds whatever the
loading), so a prior on the unstandardized loading (formerly HalfNormal(4)) leaves a long flat
ridge: a non-centered run on the real data gave standardized loadings near 0.98 for ``trust1``
and ``intent1``, R-hat 1.14 for the ``intent1`` loading and E-BFMI 0.25. The Beta prior of
:class:`SEMPriors` (default Beta(5, 2)) has density falling to zero at 1, which makes the
posterior proper; it did not suffice on its own: the centered fit with the Beta prior and
free loadings still failed the gate (4 x 1000 draws: R-hat 1.034 and bulk ESS 69 for the
``intent1`` loading, bulk ESS 87 for ``trust1``, E-BFMI 0.16-0.25). With two items only the
product of their loadings is pinned by their correlation; the split rests on their weak
correlations with the other constructs. By default (``equal_two_item_loadings``) the two items
of a two-item construct therefore share one standardized loading (``loadings_std_free``, dim
``loading``), the usual identification of two-indicator factors; ``loadings_std`` repeats it
per item.

**Effects.** For the privacy-concern -> intention relation the model records, as
Deterministics, the direct path, the indirect effects via trust, via risk and via trust then
risk, and the total effect (their sum, equal to the ``(intention, privacy_concern)`` entry of
:math:`(I - B)^{-1} - I`).

The same generative model is implemented in NumPy by :func:`simulate_sem` (for recovery
studies and posterior predictive checks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
from pymc.distributions.transforms import ZeroSumTransform
from pymc.logprob.transforms import Transform

from trustmodels.models.likelihood import draw_ordinal
from trustmodels.models.ordinal import ordinal_answers
from trustmodels.models.priors import SEMPriors
from trustmodels.models.specification import SEMSpec

__all__ = [
    "EFFECT_CHAINS",
    "FULL_PATHS",
    "LATENTS",
    "MeanSplitTransform",
    "NO_PRIVACY_PATHS",
    "SEMData",
    "SEMInputError",
    "SEMParameters",
    "SEMPriors",
    "build_sem",
    "effects_from_paths",
    "interval_table",
    "path_name",
    "posterior_mean_parameters",
    "predictive_frequencies",
    "sem_data",
    "semopy_description",
    "fit_semopy",
    "simulate_sem",
]

#: The constructs in causal order (earlier constructs may predict later ones).
LATENTS = ("privacy_concern", "trust", "risk", "intention")
#: The structural paths (predictor, outcome) of Lancelot-Miltgen et al. (2016).
FULL_PATHS = (
    ("privacy_concern", "trust"),
    ("privacy_concern", "risk"),
    ("trust", "risk"),
    ("privacy_concern", "intention"),
    ("trust", "intention"),
    ("risk", "intention"),
)
#: The comparison model: the same paths without any from privacy concern.
NO_PRIVACY_PATHS = tuple(p for p in FULL_PATHS if p[0] != "privacy_concern")
#: Decomposition of the effect of privacy concern on intention: name -> chain of constructs.
EFFECT_CHAINS = {
    "direct": ("privacy_concern", "intention"),
    "via trust": ("privacy_concern", "trust", "intention"),
    "via risk": ("privacy_concern", "risk", "intention"),
    "via trust and risk": ("privacy_concern", "trust", "risk", "intention"),
}
_LONG_COLUMNS = ("respondent", "item", "construct", "response", "n_categories")
_LOGISTIC_SD = np.pi / np.sqrt(3.0)  # SD of the standard logistic distribution


class SEMInputError(ValueError):
    """The data or the path specification given to the model are unusable (one line)."""


def path_name(predictor: str, outcome: str) -> str:
    """Return the coordinate label of a path.

    Examples
    --------
    >>> path_name("privacy_concern", "trust")
    'privacy_concern -> trust'
    """
    return f"{predictor} -> {outcome}"


@dataclass(frozen=True)
class SEMData:
    """The answers in index form, ready for :func:`build_sem`.

    Parameters
    ----------
    respondents : tuple of str
        Respondent ids (coordinate ``respondent``).
    items : tuple of str
        Items (coordinate ``item``), grouped by construct in ``latents`` order; within a
        construct in the order of the ``item`` categories (codebook order) or, for a plain
        text column, in order of first appearance.
    item_construct : tuple of str
        Construct of each item.
    item_categories : tuple of int
        K of each item.
    latents : tuple of str
        Constructs in causal order (coordinate ``latent``).
    respondent_index, item_index, response : numpy.ndarray of int
        One entry per observed answer (coordinate ``answer``); responses are coded ``1..K``.
    """

    respondents: tuple[str, ...]
    items: tuple[str, ...]
    item_construct: tuple[str, ...]
    item_categories: tuple[int, ...]
    latents: tuple[str, ...]
    respondent_index: np.ndarray = field(repr=False)
    item_index: np.ndarray = field(repr=False)
    response: np.ndarray = field(repr=False)

    @property
    def n_respondents(self) -> int:
        """Number of respondents."""
        return len(self.respondents)

    @property
    def constructs(self) -> dict[str, tuple[str, ...]]:
        """Items of each construct, in ``latents`` order."""
        return {c: tuple(i for i, ic in zip(self.items, self.item_construct, strict=True)
                         if ic == c) for c in self.latents}

    def observed_frequencies(self) -> pd.DataFrame:
        """Return the observed share of each answer category of each item.

        Returns
        -------
        pandas.DataFrame
            Columns ``item``, ``category``, ``observed`` (share of the item's answers).
        """
        rows = []
        for j, item in enumerate(self.items):
            answers = self.response[self.item_index == j]
            counts = np.bincount(answers, minlength=self.item_categories[j] + 1)[1:]
            for k, count in enumerate(counts, start=1):
                rows.append((item, k, count / max(answers.size, 1)))
        return pd.DataFrame(rows, columns=["item", "category", "observed"])


def sem_data(long: pd.DataFrame, latents: Sequence[str] = LATENTS) -> SEMData:
    """Turn the tidy long table of a survey into :class:`SEMData`.

    Parameters
    ----------
    long : pandas.DataFrame
        One row per observed answer with columns ``respondent``, ``item``, ``construct``,
        ``response`` (1..K) and ``n_categories`` (``Survey.long`` of
        :mod:`trustmodels.survey.table`).
    latents : sequence of str
        Constructs to model, in causal order; every one must have items in ``long``.

    Returns
    -------
    SEMData

    Raises
    ------
    SEMInputError
        Missing columns, a construct without items, an item with two constructs or answers
        outside ``1..K`` (one line naming the column, item and row).

    Examples
    --------
    >>> long = pd.DataFrame({"respondent": ["a", "a", "b", "b"], "item": ["x1", "y1"] * 2,
    ...     "construct": ["x", "y"] * 2, "response": [1, 3, 2, 1], "n_categories": [5, 7] * 2})
    >>> data = sem_data(long, latents=("x", "y"))
    >>> data.items, data.item_categories, data.response.tolist()
    (('x1', 'y1'), (5, 7), [1, 3, 2, 1])
    """
    missing = [c for c in _LONG_COLUMNS if c not in long.columns]
    if missing:
        raise SEMInputError(f"long table: columns {', '.join(missing)} missing; expected "
                            f"{', '.join(_LONG_COLUMNS)} (Survey.long)")
    latents = tuple(latents)
    if len(set(latents)) != len(latents) or len(latents) < 2:
        raise SEMInputError(f"latents {latents}: expected at least two distinct constructs")
    frame = long.loc[:, list(_LONG_COLUMNS)].copy()
    item_order = (list(map(str, long["item"].cat.categories))
                  if isinstance(long["item"].dtype, pd.CategoricalDtype) else None)
    for column in ("respondent", "item", "construct"):
        frame[column] = frame[column].astype(str)
    unknown = sorted(set(frame["construct"]) - set(latents))
    if unknown:
        raise SEMInputError(f"long table, column 'construct': {', '.join(unknown)} not among the "
                            f"model's latents {', '.join(latents)}")
    for column in ("response", "n_categories"):
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() | (values != np.round(values))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise SEMInputError(f"long table, column {column!r}, row {row}: "
                                f"{frame[column].iloc[row]!r} is not a whole number")
        frame[column] = values.astype(np.int64)
    out_of_range = (frame["response"] < 1) | (frame["response"] > frame["n_categories"])
    if out_of_range.any():
        row = int(np.flatnonzero(out_of_range.to_numpy())[0])
        raise SEMInputError(
            f"long table, column 'response', row {row} (item {frame['item'].iloc[row]}): "
            f"{frame['response'].iloc[row]} outside 1..{frame['n_categories'].iloc[row]}")
    per_item = frame.groupby("item", sort=False)[["construct", "n_categories"]].nunique()
    ambiguous = per_item[(per_item > 1).any(axis=1)].index.tolist()
    if ambiguous:
        raise SEMInputError(f"long table: items {', '.join(ambiguous)} have more than one "
                            "construct or number of categories")
    if (frame["n_categories"] < 2).any():
        raise SEMInputError("long table, column 'n_categories': every item needs K >= 2")
    item_info = frame.drop_duplicates("item").set_index("item")
    if item_order is not None:  # codebook order (Survey.long); else order of appearance
        item_info = item_info.loc[[i for i in item_order if i in item_info.index]]
    items: list[str] = []
    for construct in latents:
        members = [i for i in item_info.index if item_info.loc[i, "construct"] == construct]
        if not members:
            raise SEMInputError(f"long table: construct {construct!r} has no items")
        items += members
    respondents = tuple(pd.unique(frame["respondent"]))
    respondent_pos = {r: n for n, r in enumerate(respondents)}
    item_pos = {i: n for n, i in enumerate(items)}
    return SEMData(
        respondents=respondents,
        items=tuple(items),
        item_construct=tuple(str(item_info.loc[i, "construct"]) for i in items),
        item_categories=tuple(int(item_info.loc[i, "n_categories"]) for i in items),
        latents=latents,
        respondent_index=frame["respondent"].map(respondent_pos).to_numpy(np.int64),
        item_index=frame["item"].map(item_pos).to_numpy(np.int64),
        response=frame["response"].to_numpy(np.int64),
    )


def _check_paths(paths, latents) -> tuple[tuple[str, str], ...]:
    paths = tuple((str(p), str(o)) for p, o in paths)
    for predictor, outcome in paths:
        for name in (predictor, outcome):
            if name not in latents:
                raise SEMInputError(f"path {path_name(predictor, outcome)}: {name!r} is not a "
                                    f"latent ({', '.join(latents)})")
        if latents.index(predictor) >= latents.index(outcome):
            raise SEMInputError(f"path {path_name(predictor, outcome)}: the predictor must come "
                                f"before the outcome in the causal order {', '.join(latents)}")
    if len(set(paths)) != len(paths):
        raise SEMInputError("paths: a path is listed twice")
    return paths


def effects_from_paths(paths: Sequence[tuple[str, str]],
                       chains: Mapping[str, Sequence[str]] = EFFECT_CHAINS) -> dict:
    """Return the effect chains that the given paths support, plus ``"total"`` when any does.

    Parameters
    ----------
    paths : sequence of (predictor, outcome)
        The model's paths.
    chains : mapping of str to sequence of str
        Candidate chains (default :data:`EFFECT_CHAINS`).

    Returns
    -------
    dict of str to tuple of str
        The chains whose every link is a path, in the order given.

    Examples
    --------
    >>> list(effects_from_paths(FULL_PATHS))
    ['direct', 'via trust', 'via risk', 'via trust and risk', 'total']
    >>> effects_from_paths(NO_PRIVACY_PATHS)
    {}
    """
    present = set(map(tuple, paths))
    usable = {name: tuple(chain) for name, chain in chains.items()
              if all((a, b) in present for a, b in zip(chain[:-1], chain[1:], strict=True))}
    if usable:
        ends = {(chain[0], chain[-1]) for chain in usable.values()}
        if len(ends) == 1:
            usable["total"] = (*next(iter(ends)),)
    return usable


def build_sem(
    data: SEMData | pd.DataFrame,
    paths: Sequence[tuple[str, str]] = FULL_PATHS,
    priors: SEMPriors | None = None,
    latents: Sequence[str] = LATENTS,
    parameterization: str = "centered",
    equal_two_item_loadings: bool = True,
) -> pm.Model:
    """Build the ordinal structural equation model (see the module docstring).

    Parameters
    ----------
    data : SEMData or pandas.DataFrame
        The answers (a long table is passed through :func:`sem_data` with ``latents``).
    paths : sequence of (predictor, outcome)
        Structural paths; each predictor must precede its outcome in ``data.latents``.
        :data:`FULL_PATHS` is the published model, :data:`NO_PRIVACY_PATHS` the comparison.
    priors : SEMPriors, optional
        Prior scales (default :class:`~trustmodels.models.priors.SEMPriors`).
    latents : sequence of str
        Constructs in causal order (used only when ``data`` is a long table).
    parameterization : {"centered", "noncentered"}
        ``"centered"`` (default) samples the standardized latent scores (``scores``) from their
        multivariate normal prior; ``"noncentered"`` samples the disturbances (``z``) and
        computes the scores. With many informative items per respondent (here 11) the data pin
        every score, and the non-centered disturbances then depend on the paths, which couples
        every respondent to every path; centered is the usual choice in that case.
    equal_two_item_loadings : bool
        Give the two items of a construct measured by exactly two items one shared standardized
        loading (default). With two items only their product is pinned by their correlation;
        the split between them rests on weak correlations with other constructs, and on the
        real data the freer item's loading drifted towards 1 (Heywood), where the scores'
        conditional spread shrinks with the loading (a funnel): loading R-hat 1.03, bulk ESS
        69, E-BFMI 0.16-0.25 with 4 x 1000 draws. Equal loadings are the usual identification
        of two-indicator factors; the thresholds stay item-specific.

    Returns
    -------
    pymc.Model
        Free variables ``paths`` (dim ``path``), ``loadings_std_free`` (``loading``: one per
        item, or one per two-item construct when ``equal_two_item_loadings``), ``scores``
        (dims ``respondent``, ``latent``; sampled through :class:`MeanSplitTransform`) and
        ``threshold_offsets_k<K>`` (``item_k<K>``, ``cut_k<K>``); when non-centered ``z`` and
        ``thresholds_std_k<K>`` instead. Observed ``response`` (``answer``);
        Deterministics ``thresholds_std_k<K>`` (centered), ``loadings_std`` (``item``),
        ``loadings``, ``thresholds_k<K>`` (unstandardized latent scale),
        ``paths_std``, ``r2`` (``endogenous``) and, when the paths support them, ``effects``
        and ``effects_std`` (dim ``effect``). ``model.trustmodels_spec.derived`` names the
        Deterministics the convergence gate checks besides the free variables (the
        standardized thresholds, paths and effects; see
        :func:`trustmodels.inference.sampling.gated_variables`).

    Raises
    ------
    SEMInputError
        Unusable data or paths (one line).

    Examples
    --------
    >>> long = pd.DataFrame({"respondent": np.repeat(["a", "b", "c"], 2),
    ...     "item": ["x1", "y1"] * 3, "construct": ["x", "y"] * 3,
    ...     "response": [1, 2, 3, 1, 2, 3], "n_categories": [3, 3] * 3})
    >>> model = build_sem(long, paths=[("x", "y")], latents=("x", "y"))
    >>> model.coords["path"], model.coords["latent"]
    (('x -> y',), ('x', 'y'))
    >>> build_sem(long, paths=[("y", "x")], latents=("x", "y"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    trustmodels.models.sem.SEMInputError: path y -> x: the predictor must come before ...
    """
    priors = SEMPriors() if priors is None else priors
    if parameterization not in ("centered", "noncentered"):
        raise SEMInputError(f"parameterization {parameterization!r}: expected 'centered' or "
                            "'noncentered'")
    if not isinstance(data, SEMData):
        if not isinstance(data, pd.DataFrame):
            raise SEMInputError(f"data: got {type(data).__name__}; expected SEMData or the "
                                "long table of a survey (pandas.DataFrame)")
        data = sem_data(data, latents)
    latents = data.latents
    paths = _check_paths(paths, latents)
    n_latent = len(latents)
    endogenous = tuple(c for c in latents if any(o == c for _, o in paths))
    chains = effects_from_paths(paths)
    groups = sorted(set(data.item_categories))
    max_cuts = max(groups) - 1
    coords = {
        "respondent": data.respondents,
        "latent": latents,
        "item": data.items,
        "path": tuple(path_name(p, o) for p, o in paths),
        "answer": np.arange(data.response.size),
    }
    if endogenous:
        coords["endogenous"] = endogenous
    if chains:
        coords["effect"] = tuple(chains)
    for k in groups:
        coords[f"item_k{k}"] = tuple(i for i, kk in zip(data.items, data.item_categories,
                                                        strict=True) if kk == k)
        coords[f"cut_k{k}"] = tuple(range(1, k))
    loading_labels, item_loading = _loading_groups(data, equal_two_item_loadings)
    coords["loading"] = loading_labels
    item_latent = np.array([latents.index(c) for c in data.item_construct])
    answer_latent = item_latent[data.item_index]
    answer_categories = np.asarray(data.item_categories)[data.item_index]

    with pm.Model(coords=coords) as model:
        path = pm.Normal("paths", 0.0, priors.path_sigma, dims="path")
        # B[outcome, predictor] = path; A = (I - B)^-1 = I + B + ... + B^(L-1) (B nilpotent)
        b_matrix = pt.zeros((n_latent, n_latent))
        if paths:
            outcome_idx = [latents.index(o) for _, o in paths]
            predictor_idx = [latents.index(p) for p, _ in paths]
            b_matrix = pt.set_subtensor(b_matrix[outcome_idx, predictor_idx], path)
        total = pt.eye(n_latent)
        power = pt.eye(n_latent)
        for _ in range(n_latent - 1):
            power = pt.dot(b_matrix, power)
            total = total + power
        latent_sd = pt.sqrt(pt.sum(pt.square(total), axis=1))  # Cov = A A^T (unit disturbances)
        item_sd = latent_sd[item_latent]

        free_loadings = pm.Beta("loadings_std_free", priors.loading_alpha, priors.loading_beta,
                                dims="loading")
        loadings_std = pm.Deterministic("loadings_std", free_loadings[item_loading], dims="item")
        # logit units per SD of the construct: standardized loading s = l / sqrt(l^2 + pi^2/3)
        loading_per_sd = loadings_std / pt.sqrt(1.0 - pt.square(loadings_std)) * _LOGISTIC_SD
        pm.Deterministic("loadings", loading_per_sd / item_sd, dims="item")
        # standardized scores: Corr = D^-1 A A^T D^-1, Cholesky factor D^-1 A (lower triangular)
        if parameterization == "centered":
            scores = pm.CustomDist("scores", b_matrix, latent_sd, logp=_scores_logp,
                                   random=_scores_random, support_point=_scores_support,
                                   signature="(l,l),(l)->(l)", transform=MeanSplitTransform(),
                                   dims=("respondent", "latent"))
            score_mean = pt.mean(scores, axis=0)  # thresholds are sampled relative to it
        else:
            z = pm.Normal("z", 0.0, 1.0, dims=("respondent", "latent"))
            scores = pt.dot(z, (total / latent_sd[:, None]).T)
            score_mean = None
        threshold_rows = []
        order = []
        for k in groups:
            item_names = coords[f"item_k{k}"]
            rows_k = [data.items.index(i) for i in item_names]
            tau = _thresholds(k, item_names, item_latent[rows_k], score_mean, priors)
            pm.Deterministic(f"thresholds_k{k}", tau * item_sd[rows_k][:, None],
                             dims=(f"item_k{k}", f"cut_k{k}"))
            padding = pt.zeros((len(item_names), max_cuts - (k - 1)))
            threshold_rows.append(pt.concatenate([tau, padding], axis=1))
            order += rows_k
        stacked = pt.concatenate(threshold_rows, axis=0)
        # thresholds are item locations on the standardized latent scale; logit cutpoints =
        # loading per latent SD * location
        cutpoints = loading_per_sd[:, None] * stacked[np.argsort(order)]  # rows in item order
        eta = loading_per_sd[data.item_index] * scores[data.respondent_index, answer_latent]

        if paths:
            pm.Deterministic(
                "paths_std",
                path * latent_sd[predictor_idx] / latent_sd[outcome_idx], dims="path")
        if endogenous:
            endo_idx = [latents.index(c) for c in endogenous]
            pm.Deterministic("r2", 1.0 - 1.0 / pt.square(latent_sd[endo_idx]), dims="endogenous")
        if chains:
            effects = []
            for name, chain in chains.items():
                if name == "total":
                    start, end = latents.index(chain[0]), latents.index(chain[-1])
                    effects.append(total[end, start])
                    continue
                value = 1.0
                for a, b in zip(chain[:-1], chain[1:], strict=True):
                    value = value * b_matrix[latents.index(b), latents.index(a)]
                effects.append(value)
            effect = pm.Deterministic("effects", pt.stack(effects), dims="effect")
            first = next(iter(chains.values()))
            scale = latent_sd[latents.index(first[0])] / latent_sd[latents.index(first[-1])]
            pm.Deterministic("effects_std", effect * scale, dims="effect")

        # item-level cutpoints indexed per answer inside the likelihood (as in the ordinal model);
        # a per-answer (answers x cuts) matrix doubled the gather and scatter work of the gradient
        ordinal_answers("response", eta, cutpoints, data.item_index, answer_categories,
                        data.response, "logit", dims="answer")
    model.trustmodels_spec = SEMSpec(
        parameterization=parameterization,
        paths=tuple(tuple(p) for p in paths),
        equal_two_item_loadings=equal_two_item_loadings,
        # gated besides the free variables: the thresholds (free only as offsets from the score
        # means in the centered parameterization) and the standardized paths and effects
        derived=(*[f"thresholds_std_k{k}" for k in groups],
                 *(["paths_std"] if paths else []), *(["effects_std"] if chains else [])),
        priors=priors,
    )
    return model


def _loading_groups(data: SEMData, equal_two_item: bool) -> tuple[tuple[str, ...], np.ndarray]:
    """Labels of the free standardized loadings and the one each item uses.

    Examples
    --------
    >>> long = pd.DataFrame({"respondent": ["a"] * 3, "item": ["x1", "y1", "y2"],
    ...     "construct": ["x", "y", "y"], "response": [1, 2, 1], "n_categories": [3] * 3})
    >>> _loading_groups(sem_data(long, latents=("x", "y")), True)
    (('x1', 'y'), array([0, 1, 1]))
    """
    labels: list[str] = []
    index = np.empty(len(data.items), dtype=np.int64)
    for construct, members in data.constructs.items():
        if equal_two_item and len(members) == 2:
            labels.append(construct)
            index[[data.items.index(i) for i in members]] = len(labels) - 1
            continue
        for item in members:
            labels.append(item)
            index[data.items.index(item)] = len(labels) - 1
    return tuple(labels), index


def _scores_logp(value, b_matrix, latent_sd):
    """Log-density of standardized scores ``N(0, R)`` with ``R = D^-1 A A^T D^-1``, per row.

    The Cholesky factor ``C = D^-1 A`` has the explicit inverse ``(I - B) D`` and
    ``log|C| = -sum(log D)`` (``A`` is unit lower triangular), so no triangular solve is
    needed: the disturbances are ``zeta = (I - B) D l*``, one matrix product for all rows.
    PyMC's ``MvNormal`` with ``chol`` took about 10 ms per evaluation for 1,090 x 4 scores
    under JAX. The parameters arrive with a leading batch dimension of length 1 (the model's
    paths are not batched); multiplying the broadcast (rows, l, l) array instead of one matrix
    product cost 0.15 ms more per gradient.
    """
    n_latent = b_matrix.shape[-1]
    inverse = pt.eye(n_latent) - b_matrix.reshape(b_matrix.shape[-2:])
    latent_sd = latent_sd.reshape(latent_sd.shape[-1:])
    disturbances = pt.dot(value * latent_sd, inverse.T)
    return (-0.5 * pt.sum(pt.square(disturbances), axis=-1)
            + (pt.sum(pt.log(latent_sd)) - 0.5 * n_latent * np.log(2.0 * np.pi)))


class MeanSplitTransform(Transform):
    r"""Orthonormal coordinates of the scores that give each construct's mean its own axis.

    A linear change of the sampler's coordinates, not of the model: for a (respondents x
    constructs) array of scores :math:`\ell` the unconstrained value has the same shape; its
    first row is :math:`\sqrt{N}\,\bar\ell_c` and the remaining :math:`N - 1` rows are the
    orthonormal zero-sum coordinates of the deviations :math:`\ell_{ic} - \bar\ell_c`
    (those of :class:`pymc.distributions.transforms.ZeroSumTransform`). The map is orthogonal,
    so its log-Jacobian is 0. Why: the data fix every score relative to its items'
    thresholds, but the common location of a construct's scores and thresholds only through
    the N(0, R) prior of the scores; in the original coordinates that common shift is spread
    over all 1,090 scores and was the longest direction of the posterior (whitened variance
    7-12 against 1 for a random direction), which set the NUTS trajectory length. With the mean
    on its own axis (and the thresholds sampled as offsets from it) the step-size adaptation
    and the diagonal mass matrix see it directly.

    Examples
    --------
    >>> import numpy as np
    >>> scores = np.arange(12.0).reshape(4, 3)
    >>> transform = MeanSplitTransform()
    >>> unconstrained = transform.forward(pt.as_tensor(scores)).eval()
    >>> bool(np.allclose(unconstrained[0], np.sqrt(4) * scores.mean(axis=0)))
    True
    >>> bool(np.allclose(transform.backward(pt.as_tensor(unconstrained)).eval(), scores))
    True
    >>> bool(np.isclose(np.linalg.norm(unconstrained), np.linalg.norm(scores)))  # orthonormal
    True
    """

    name = "meansplit"  # no underscore: PyMC strips the transform name at the last "_"
    ndim_supp = 2

    def forward(self, value, *inputs):
        """Scores -> (scaled means, zero-sum coordinates of the deviations)."""
        n = value.shape[0].astype(value.dtype)
        mean = pt.mean(value, axis=0, keepdims=True)
        rest = ZeroSumTransform.extend_axis_rev(value - mean, axis=0)
        return pt.concatenate([mean * pt.sqrt(n), rest], axis=0)

    def backward(self, value, *inputs):
        """(scaled means, zero-sum coordinates) -> scores."""
        n = value.shape[0].astype(value.dtype)
        return value[0] / pt.sqrt(n) + ZeroSumTransform.extend_axis(value[1:], axis=0)

    def log_jac_det(self, value, *inputs):
        """Zero (orthogonal map), one entry per respondent like the scores' log-density."""
        return pt.zeros_like(value[:, 0])


def _ordered_normal(name, mu, sigma, dims):
    """Ordered thresholds with independent ``Normal(mu, sigma)`` priors (one row per item).

    A CustomDist with a support point rather than a variable with an ``initval``: PyMC's graph
    tools (``compute_log_likelihood``, which PSIS-LOO needs) refuse models with initial values.
    The support point (``mu`` plus evenly spaced locations) satisfies the ordering.
    """
    ordered = pm.distributions.transforms.ordered

    def logp(value, mu):
        return pt.sum(pm.logp(pm.Normal.dist(mu, sigma), value), axis=-1)

    def random(mu, rng=None, size=None):
        mu = np.asarray(mu, dtype=float)
        batch = mu.shape[:-1] if size is None else tuple(np.atleast_1d(size))
        draws = rng.normal(np.broadcast_to(mu, batch + mu.shape[-1:]), sigma)
        return np.sort(draws, axis=-1)

    def support_point(rv, size, mu):
        return mu + _spread(mu.shape[-1])

    return pm.CustomDist(name, mu, logp=logp, random=random, support_point=support_point,
                         signature="(k)->(k)", dims=dims, transform=ordered)


def _spread(n_cuts):
    """Evenly spaced locations from -1.5 to 1.5 (``n_cuts`` of them, symbolic length)."""
    steps = pt.arange(n_cuts, dtype="float64")
    return -1.5 + 3.0 * steps / pt.maximum(n_cuts - 1, 1)
def _thresholds(k, item_names, latent_rows, score_mean, priors):
    """Standardized thresholds of the items with ``k`` categories (one row per item).

    Centered parameterization (``score_mean`` given): the free variable is the offset of each
    threshold from the mean score of its item's construct, with the prior
    ``Normal(-mean, threshold_sigma)``, so the thresholds themselves keep their
    ``Normal(0, threshold_sigma)`` prior (a shift has Jacobian 1 and the ordering constraint is
    shift invariant): the same model in coordinates where the common location of a construct's
    scores and thresholds is a single axis (see :class:`MeanSplitTransform`).
    """
    dims = (f"item_k{k}", f"cut_k{k}")
    if score_mean is None:
        return _ordered_normal(f"thresholds_std_k{k}", np.zeros((len(item_names), k - 1)),
                               priors.threshold_sigma, dims)
    shift = score_mean[np.asarray(latent_rows)][:, None]
    offsets = _ordered_normal(f"threshold_offsets_k{k}",
                              pt.broadcast_to(-shift, (len(item_names), k - 1)),
                              priors.threshold_sigma, dims)
    return pm.Deterministic(f"thresholds_std_k{k}", offsets + shift, dims=dims)


def _scores_random(b_matrix, latent_sd, rng=None, size=None):
    b_matrix = np.asarray(b_matrix, dtype=float)
    latent_sd = np.asarray(latent_sd, dtype=float)
    n_latent = latent_sd.shape[-1]
    batch = (np.broadcast_shapes(b_matrix.shape[:-2], latent_sd.shape[:-1]) if size is None
             else tuple(np.atleast_1d(size)))
    chol = np.linalg.inv(np.eye(n_latent) - b_matrix) / latent_sd[..., :, None]
    zeta = rng.standard_normal(batch + (n_latent,))
    return np.einsum("...ij,...j->...i", chol, zeta)


def _scores_support(rv, size, b_matrix, latent_sd):
    return pt.zeros_like(rv)


# ---- parameters, simulation, posterior summaries ---------------------------------------------
@dataclass(frozen=True)
class SEMParameters:
    """Parameters of the generative model (used by :func:`simulate_sem`).

    Parameters
    ----------
    latents : tuple of str
        Constructs in causal order.
    paths : dict of (predictor, outcome) to float
        Path coefficients (unit disturbance variances).
    constructs : dict of str to tuple of str
        Items of each construct.
    loadings : dict of str to float
        Loading of each item.
    thresholds : dict of str to tuple of float
        Ordered thresholds of each item (K - 1 values) as locations on the latent scale (the
        logit cutpoints are ``loading * threshold``).
    """

    latents: tuple[str, ...]
    paths: dict[tuple[str, str], float]
    constructs: dict[str, tuple[str, ...]]
    loadings: dict[str, float]
    thresholds: dict[str, tuple[float, ...]]

    @property
    def items(self) -> tuple[str, ...]:
        """All items in construct order."""
        return tuple(i for c in self.latents for i in self.constructs.get(c, ()))


def simulate_sem(parameters: SEMParameters, n_respondents: int, seed: int = 0,
                 respondent_prefix: str = "S") -> pd.DataFrame:
    """Simulate answers from the generative model (SIMULATED data).

    Parameters
    ----------
    parameters : SEMParameters
        True values.
    n_respondents : int
        Number of simulated respondents.
    seed : int
        Seed of the random number generator.
    respondent_prefix : str
        Prefix of the simulated respondent ids.

    Returns
    -------
    pandas.DataFrame
        The long table (``respondent``, ``item``, ``construct``, ``response``,
        ``n_categories``), one row per respondent and item, ready for :func:`sem_data`.

    Examples
    --------
    >>> truth = SEMParameters(latents=("x", "y"), paths={("x", "y"): 0.5},
    ...     constructs={"x": ("x1",), "y": ("y1",)}, loadings={"x1": 1.0, "y1": 1.0},
    ...     thresholds={"x1": (-1.0, 1.0), "y1": (0.0,)})
    >>> sim = simulate_sem(truth, n_respondents=4, seed=1)
    >>> sim.shape, sorted(sim["n_categories"].unique().tolist())
    ((8, 5), [2, 3])
    """
    rng = np.random.default_rng(seed)
    latents = tuple(parameters.latents)
    n_latent = len(latents)
    b_matrix = np.zeros((n_latent, n_latent))
    for (predictor, outcome), value in parameters.paths.items():
        b_matrix[latents.index(outcome), latents.index(predictor)] = value
    total = np.linalg.inv(np.eye(n_latent) - b_matrix)
    scores = rng.standard_normal((n_respondents, n_latent)) @ total.T
    items = parameters.items
    item_construct = [c for c in latents for _ in parameters.constructs.get(c, ())]
    n_categories = np.array([len(parameters.thresholds[i]) + 1 for i in items])
    cutpoints = np.zeros((len(items), n_categories.max() - 1))
    for j, item in enumerate(items):
        cutpoints[j, : n_categories[j] - 1] = (parameters.loadings[item]
                                               * np.asarray(parameters.thresholds[item]))
    item_index = np.tile(np.arange(len(items)), n_respondents)
    respondent = np.repeat(np.arange(n_respondents), len(items))
    latent_of_item = np.array([latents.index(c) for c in item_construct])
    loading = np.array([parameters.loadings[i] for i in items])
    eta = loading[item_index] * scores[respondent, latent_of_item[item_index]]
    answers = draw_ordinal(eta, cutpoints, item_index, n_categories[item_index], rng=rng)
    width = len(str(n_respondents))
    return pd.DataFrame({
        "respondent": [f"{respondent_prefix}{r + 1:0{width}d}" for r in respondent],
        "item": np.asarray(items, dtype=object)[item_index],
        "construct": np.asarray(item_construct, dtype=object)[item_index],
        "response": answers.astype(np.int64),
        "n_categories": n_categories[item_index].astype(np.int64),
    })


def _posterior(idata):
    post = idata["posterior"]
    return post.to_dataset() if hasattr(post, "to_dataset") else post


def _parameters_at(post, data: SEMData, paths, select) -> SEMParameters:
    path_values = select(post["paths"]) if paths else np.array([])
    loadings = select(post["loadings"])
    thresholds = {}
    for k in sorted(set(data.item_categories)):
        tau = select(post[f"thresholds_k{k}"])
        for row, item in enumerate(post[f"thresholds_k{k}"][f"item_k{k}"].values):
            thresholds[str(item)] = tuple(float(t) for t in tau[row])
    return SEMParameters(
        latents=data.latents,
        paths={p: float(v) for p, v in zip(paths, path_values, strict=True)},
        constructs=data.constructs,
        loadings={str(i): float(v) for i, v in zip(post["item"].values, loadings, strict=True)},
        thresholds=thresholds,
    )


def _paths_of(post) -> tuple[tuple[str, str], ...]:
    if "paths" not in post:
        return ()
    return tuple(tuple(str(label).split(" -> ")) for label in post["path"].values)


def posterior_mean_parameters(idata, data: SEMData) -> SEMParameters:
    """Return the posterior means as :class:`SEMParameters` (to simulate from the fitted model).

    Parameters
    ----------
    idata : xarray.DataTree
        A fit of :func:`build_sem`.
    data : SEMData
        The data it was fitted to.

    Returns
    -------
    SEMParameters
    """
    post = _posterior(idata)
    return _parameters_at(post, data, _paths_of(post),
                          lambda da: da.mean(("chain", "draw")).values)


def predictive_frequencies(idata, data: SEMData, n_draws: int = 200, seed: int = 0,
                           prob: float = 0.9) -> pd.DataFrame:
    """Posterior predictive check of every item's answer distribution for new respondents.

    For ``n_draws`` posterior draws the model simulates as many new respondents as the data hold
    (new latent scores from the structural model, new answers) and counts the share of each
    answer category of each item.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit of :func:`build_sem`.
    data : SEMData
        The data it was fitted to.
    n_draws : int
        Posterior draws used (spread evenly over the chains).
    seed : int
        Seed of the simulations.
    prob : float
        Probability of the equal-tailed predictive interval.

    Returns
    -------
    pandas.DataFrame
        Columns ``item``, ``category``, ``observed``, ``predicted`` (mean share), ``lower``,
        ``upper`` and ``inside`` (observed share within the interval).
    """
    post = _posterior(idata).stack(sample=("chain", "draw"))
    n_total = post.sizes["sample"]
    picks = np.linspace(0, n_total - 1, min(n_draws, n_total)).astype(int)
    paths = _paths_of(post)
    shares = []
    for n, pick in enumerate(picks):
        params = _parameters_at(post, data, paths,
                                lambda da, pick=pick: da.isel(sample=pick).values)
        sim = simulate_sem(params, data.n_respondents, seed=seed + n)
        sim_data = sem_data(sim, data.latents)
        freq = sim_data.observed_frequencies().set_index(["item", "category"])["observed"]
        shares.append(freq)
    table = pd.concat(shares, axis=1).fillna(0.0)
    observed = data.observed_frequencies().set_index(["item", "category"])["observed"]
    low, high = (1 - prob) / 2, 1 - (1 - prob) / 2
    out = pd.DataFrame({
        "observed": observed,
        "predicted": table.mean(axis=1).reindex(observed.index),
        "lower": table.quantile(low, axis=1).reindex(observed.index),
        "upper": table.quantile(high, axis=1).reindex(observed.index),
    })
    out["inside"] = (out["observed"] >= out["lower"]) & (out["observed"] <= out["upper"])
    return out.reset_index()


def interval_table(idata, var_name: str = "paths", prob: float = 0.9,
                   truth: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Return posterior mean, SD and equal-tailed interval of a vector variable.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit of :func:`build_sem`.
    var_name : str
        A variable with one dimension besides ``chain`` and ``draw`` (``paths``, ``paths_std``,
        ``effects``, ``effects_std``, ``loadings_std``, ``r2``).
    prob : float
        Probability of the interval.
    truth : mapping of str to float, optional
        True values by coordinate label (simulation studies): adds ``truth`` and ``covered``.

    Returns
    -------
    pandas.DataFrame
        Indexed by the coordinate labels; columns ``mean``, ``sd``, ``lower``, ``upper``
        (and ``prob_positive``: posterior probability that the value is above 0).
    """
    draws = _posterior(idata)[var_name]
    dim = next(d for d in draws.dims if d not in ("chain", "draw"))
    flat = draws.stack(sample=("chain", "draw")).transpose(dim, "sample").values
    low, high = (1 - prob) / 2, 1 - (1 - prob) / 2
    table = pd.DataFrame({
        "mean": flat.mean(axis=1),
        "sd": flat.std(axis=1, ddof=1),
        "lower": np.quantile(flat, low, axis=1),
        "upper": np.quantile(flat, high, axis=1),
        "prob_positive": (flat > 0).mean(axis=1),
    }, index=pd.Index([str(v) for v in draws[dim].values], name=dim))
    if truth is not None:
        table["truth"] = [truth[label] for label in table.index]
        table["covered"] = (table["lower"] <= table["truth"]) & (table["truth"] <= table["upper"])
    return table


# ---- the published method's kind of estimate, with an established package --------------------
def semopy_description(constructs: Mapping[str, Sequence[str]],
                       paths: Sequence[tuple[str, str]] = FULL_PATHS) -> str:
    """Return the lavaan-style model description that :mod:`semopy` fits.

    Examples
    --------
    >>> print(semopy_description({"x": ["x1", "x2"], "y": ["y1", "y2"]}, [("x", "y")]))
    x =~ x1 + x2
    y =~ y1 + y2
    y ~ x
    """
    lines = [f"{c} =~ {' + '.join(items)}" for c, items in constructs.items()]
    outcomes = dict.fromkeys(o for _, o in paths)
    for outcome in outcomes:
        predictors = [p for p, o in paths if o == outcome]
        lines.append(f"{outcome} ~ {' + '.join(predictors)}")
    return "\n".join(lines)


def fit_semopy(wide: pd.DataFrame, constructs: Mapping[str, Sequence[str]],
               paths: Sequence[tuple[str, str]] = FULL_PATHS) -> pd.DataFrame:
    """Fit the same model by maximum likelihood with :mod:`semopy`, items treated as metric.

    This is the kind of estimate the published analysis reports (a covariance-based SEM on the
    item scores, standardized): every answer is a number, the latent variables are normal and
    the residuals of the items are normal.

    Parameters
    ----------
    wide : pandas.DataFrame
        One row per respondent, one column per item.
    constructs : mapping of str to sequence of str
        Items of each construct.
    paths : sequence of (predictor, outcome)
        Structural paths.

    Returns
    -------
    pandas.DataFrame
        One row per path (labels as in :func:`path_name`) and per loading (``"<construct> ->
        <item>"``): ``estimate`` (unstandardized), ``estimate_std``, ``se``, ``p_value``, ``kind``.
    """
    import semopy

    items = [i for c in constructs.values() for i in c]
    model = semopy.Model(semopy_description(constructs, paths))
    model.fit(wide[items].astype(float))
    table = model.inspect(std_est=True)
    structural = table[(table["op"] == "~") & table["rval"].isin(list(constructs))]
    rows = []
    for _, row in structural.iterrows():
        kind = "loading" if row["lval"] in items else "path"
        label = path_name(row["rval"], row["lval"])
        se = pd.to_numeric(row["Std. Err"], errors="coerce")
        p_value = pd.to_numeric(row["p-value"], errors="coerce")
        rows.append((label, kind, float(row["Estimate"]), float(row["Est. Std"]),
                     float(se), float(p_value)))
    return pd.DataFrame(rows, columns=["label", "kind", "estimate", "estimate_std", "se",
                                       "p_value"]).set_index("label")
