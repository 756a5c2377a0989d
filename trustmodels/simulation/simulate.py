r"""Simulate the trust-repair vignette survey with known truth (SIMULATED data).

The survey is a between-subjects vignette experiment: every respondent sees a seller with a fan
count :math:`F_i \sim 10^{\mathrm{Uniform}(2, 6)}` (rounded to an integer), a customer complaint
about a competence or an integrity violation and the seller's public response (none, apology or
denial). Each of the six response x violation cells gets ``n_per_cell`` respondents, in shuffled
order.

Generative model
----------------
For respondent :math:`i` with design row :math:`x_i`
(:func:`trustmodels.datasets.simulated_design.design_matrix`:
the full response x violation x ``log_fans_c`` factorial without intercept), latent disposition
to trust :math:`D_i \sim N(0, 1)` and individual variation :math:`u_i \sim N(0, 1)`:

.. math::

    \theta_i = x_i^\top \beta + \beta_D D_i + u_i

is the respondent's latent trust (``beta`` = ``effects``, :math:`\beta_D` =
``disposition_effect``). Trust has dimensions: the three trusting beliefs
:math:`c \in \{\text{competence}, \text{benevolence}, \text{integrity}\}` are

.. math::

    \theta_{ic} = m_c\, x_i^\top \beta + \beta_D D_i + u_i + \sigma_c\, \delta_{ic},
    \qquad \delta_{ic} \sim N(0, 1),

with construct multipliers :math:`m_c` and deviation SD :math:`\sigma_c` (``construct_sd``), and
purchase intention is driven by trust,
:math:`\theta_{i,\text{int}} = w\, \bar\theta_{i\cdot} + \sigma_I \varepsilon_i` (:math:`w` =
``intention_weight``, :math:`\sigma_I` = ``intention_sd``, :math:`\bar\theta_{i\cdot}` the mean of
the three beliefs). The disposition items measure :math:`D_i`. Item :math:`j` of construct
:math:`c` is an ordered logit with discrimination :math:`\lambda_j > 0` and six increasing
thresholds :math:`\tau_{jk}`:

.. math::

    P(y_{ij} \le k) = \operatorname{logistic}(\tau_{jk} - \lambda_j \theta_{ic}),
    \qquad k = 1, \dots, 6.

With :meth:`SimulationParameters.main_model` (:math:`\sigma_c = 0`, :math:`m_c = 1`, :math:`w =
1`, :math:`\sigma_I = 0`) every trust and intention item loads on the same :math:`\theta_i`:
exactly the project's main model, which parameter recovery uses.

Purchase frequency (1-5) is a cut normal :math:`z_i = \rho u_i + \sqrt{1 - \rho^2} e_i` with
:math:`\rho` = ``purchase_freq_trust_correlation`` (negative: frequent buyers trust less; it
leaves :math:`\theta_i` unchanged). Social media use, age group and gender are drawn
independently from fixed proportions.

Realistic mess: a share ``careless_rate`` of respondents are careless, in equal parts
straight-liners (one answer everywhere), random answerers (uniform answers, usually failing the
attention check) and speeders (implausibly short durations, answers around the midpoint); 1% of
attentive respondents miss the attention check by mistake. Answers to the 18 items and the two
frequency questions are missing completely at random, with rates rising linearly along the
questionnaire (disposition items first) so that they average ``missing_rate``.

Random numbers come from independent streams per block (design, latent, items, covariates,
careless, missing) spawned from one seed, so switching the mess off leaves the clean answers of
attentive respondents unchanged. The effect size is calibrated by
:func:`calibrate_response_scale`; the defaults live in :mod:`trustmodels.simulation.params`.

Run ``python -m trustmodels.simulation.simulate [--output-dir DIR]`` to (re)write the committed
files
byte for byte.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.stats import norm

from trustmodels.config import project_data_dir
from trustmodels.datasets.manifest import write_manifest
from trustmodels.datasets.simulated_design import RESPONSE_LEVELS, VIOLATION_LEVELS, design_matrix
from trustmodels.simulation.params import (
    ASSUMPTIONS,
    CALIBRATED_ACHIEVED_D,
    CALIBRATED_RESPONSE_SCALE,
    CALIBRATION_CONTROLS,
    CALIBRATION_N_PER_CELL,
    CALIBRATION_SEED,
    CALIBRATION_TARGET,
    CONSTRUCT_ITEMS,
    LIKERT_CATEGORIES,
    TRUST_CONSTRUCTS,
    SimulationParameters,
    default_effects,
)
from trustmodels.simulation.survey_codebook import (
    AGE_GROUPS,
    ATTENTION_CHECK_CORRECT,
    COLUMNS,
    CSV_PATH,
    GENDERS,
    simulated_datapackage,
)

__all__ = [
    "CARELESS_KINDS",
    "DEFAULT_SEED",
    "CalibrationResult",
    "SimulatedSurvey",
    "apology_vs_controls_d",
    "apology_vs_none_d",
    "calibrate_response_scale",
    "response_d",
    "main",
    "simulate_main_model",
    "simulate_survey",
    "trust_score",
    "write_simulated_survey",
]

#: Seed of the committed data set.
DEFAULT_SEED = 20261122
#: Kinds of careless respondents, assigned in turn.
CARELESS_KINDS = ("straightliner", "random", "speeder")

TRUTH_PATH = "raw/trust_repair_simulated.truth.json"
SUMS_PATH = "raw/SHA256SUMS"
DATAPACKAGE_PATH = "datapackage.json"

_STREAMS = ("design", "latent", "items", "covariates", "careless", "missing")
_LOG10_FANS_RANGE = (2.0, 6.0)
_PURCHASE_FREQ_SHARES = (0.04, 0.21, 0.33, 0.29, 0.13)
_SOCIAL_MEDIA_SHARES = (0.03, 0.07, 0.15, 0.25, 0.50)
_AGE_SHARES = (0.20, 0.30, 0.22, 0.15, 0.13)
_GENDER_SHARES = (0.49, 0.47, 0.02, 0.02)
_ATTENTIVE_CHECK_ERROR = 0.01
#: Median and log-SD of completion times (seconds) of attentive and careless respondents.
_DURATION = {"attentive": (420.0, 0.35), "straightliner": (170.0, 0.3), "random": (200.0, 0.3)}
_SPEEDER_SECONDS = (25, 75)
#: Questionnaire order (missingness rises along it).
_QUESTIONNAIRE = (
    *CONSTRUCT_ITEMS["disposition"],
    *CONSTRUCT_ITEMS["competence"],
    *CONSTRUCT_ITEMS["benevolence"],
    *CONSTRUCT_ITEMS["integrity"],
    *CONSTRUCT_ITEMS["intention"],
    "purchase_freq",
    "social_media_use",
)
_ITEMS = tuple(item for items in CONSTRUCT_ITEMS.values() for item in items)
_TRUST_ITEMS = tuple(item for c in TRUST_CONSTRUCTS for item in CONSTRUCT_ITEMS[c])


@dataclass(frozen=True)
class SimulatedSurvey:
    """A simulated survey: the CSV table, its truth and its codebook.

    Attributes
    ----------
    wide : pandas.DataFrame
        One row per respondent in the column order of the CSV (nullable integer columns).
    latent : pandas.DataFrame
        The respondents' latent values (``disposition``, ``u``, ``theta`` and one
        ``theta_<construct>`` per construct) and ``careless`` (kind or ``"attentive"``).
    truth : dict
        JSON-ready true parameters, calibration record, seed and careless respondents.
    codebook : dict
        The Data Package (see :func:`trustmodels.simulation.survey_codebook.simulated_datapackage`).
    """

    wide: pd.DataFrame
    latent: pd.DataFrame
    truth: dict
    codebook: dict


@dataclass(frozen=True)
class CalibrationResult:
    """Outcome of :func:`calibrate_response_scale`.

    Attributes
    ----------
    response_scale : float
        Latent apology-vs-none effect (pooled) that reproduces the target d.
    achieved_d : float
        The d of the calibration simulation at that scale.
    target_d, n_per_cell, seed
        The settings used.
    """

    response_scale: float
    achieved_d: float
    target_d: float
    n_per_cell: int
    seed: int


def _streams(seed: int) -> dict[str, np.random.Generator]:
    children = np.random.SeedSequence(seed).spawn(len(_STREAMS))
    return {name: np.random.default_rng(child) for name, child in zip(_STREAMS, children,
                                                                       strict=True)}


def _draw_categories(uniform: np.ndarray, shares: Sequence[float]) -> np.ndarray:
    """Map uniforms to category indices 0..K-1 with the given shares."""
    edges = np.cumsum(shares)[:-1] / np.sum(shares)
    return np.searchsorted(edges, uniform, side="right")


def _ordered_logit(eta: np.ndarray, cuts: Sequence[float], uniform: np.ndarray) -> np.ndarray:
    """Draw 1..K answers with P(y <= k) = logistic(cut_k - eta) by inverting the CDF."""
    latent = eta + np.log(uniform) - np.log1p(-uniform)
    return 1 + (latent[:, None] > np.asarray(cuts)[None, :]).sum(axis=1)


def _assign_design(rng: np.random.Generator, n_per_cell: int) -> pd.DataFrame:
    cells = [(r, v) for r in RESPONSE_LEVELS for v in VIOLATION_LEVELS]
    order = rng.permutation(len(cells) * n_per_cell)
    cell_of = np.repeat(np.arange(len(cells)), n_per_cell)[order]
    log10_fans = rng.uniform(*_LOG10_FANS_RANGE, size=cell_of.size)
    n = cell_of.size
    width = max(4, len(str(n)))
    return pd.DataFrame({
        "respondent_id": [f"R{k:0{width}d}" for k in range(1, n + 1)],
        "seller_response": [cells[c][0] for c in cell_of],
        "violation": [cells[c][1] for c in cell_of],
        "fan_count": np.rint(10.0 ** log10_fans).astype(np.int64),
    })


def _latent_traits(design: pd.DataFrame, params: SimulationParameters,
                   rng: np.random.Generator) -> pd.DataFrame:
    n = len(design)
    disposition = rng.standard_normal(n)
    u = rng.standard_normal(n)
    deviations = rng.standard_normal((n, len(TRUST_CONSTRUCTS)))
    intention_noise = rng.standard_normal(n)
    x = design_matrix(design["seller_response"], design["violation"], design["fan_count"])
    design_effect = x.to_numpy() @ np.array(list(params.effects.values()))
    person = params.disposition_effect * disposition + u
    latent = {"disposition": disposition, "u": u, "theta": design_effect + person}
    for k, construct in enumerate(TRUST_CONSTRUCTS):
        latent[f"theta_{construct}"] = (params.construct_multipliers[construct] * design_effect
                                        + person + params.construct_sd * deviations[:, k])
    mean_belief = np.mean([latent[f"theta_{c}"] for c in TRUST_CONSTRUCTS], axis=0)
    latent["theta_intention"] = (params.intention_weight * mean_belief
                                 + params.intention_sd * intention_noise)
    latent["theta_disposition"] = disposition
    return pd.DataFrame(latent)


def _item_answers(latent: pd.DataFrame, params: SimulationParameters,
                  rng: np.random.Generator) -> dict[str, np.ndarray]:
    uniforms = rng.random((len(latent), len(_ITEMS)))
    answers = {}
    k = 0
    for construct, items in CONSTRUCT_ITEMS.items():
        theta = latent[f"theta_{construct}"].to_numpy()
        for item in items:
            answers[item] = _ordered_logit(params.loadings[item] * theta,
                                           params.thresholds[item], uniforms[:, k])
            k += 1
    return answers


def _covariates(latent: pd.DataFrame, params: SimulationParameters,
                rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = len(latent)
    rho = params.purchase_freq_trust_correlation
    z = rho * latent["u"].to_numpy() + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    purchase_freq = 1 + _draw_categories(norm.cdf(z), _PURCHASE_FREQ_SHARES)
    uniforms = rng.random((n, 3))
    return {
        "purchase_freq": purchase_freq,
        "social_media_use": 1 + _draw_categories(uniforms[:, 0], _SOCIAL_MEDIA_SHARES),
        "age_group": np.array(AGE_GROUPS, dtype=object)[
            _draw_categories(uniforms[:, 1], _AGE_SHARES)],
        "gender": np.array(GENDERS, dtype=object)[
            _draw_categories(uniforms[:, 2], _GENDER_SHARES)],
    }


def _behaviour(n: int, careless_rate: float, rng: np.random.Generator) -> np.ndarray:
    """Return each respondent's kind: "attentive" or one of CARELESS_KINDS."""
    kinds = np.full(n, "attentive", dtype=object)
    n_careless = int(round(careless_rate * n))
    chosen = np.sort(rng.permutation(n)[:n_careless])
    kinds[chosen] = [CARELESS_KINDS[k % len(CARELESS_KINDS)] for k in range(n_careless)]
    return kinds


def _careless_answers(answers: dict[str, np.ndarray], kinds: np.ndarray,
                      rng: np.random.Generator) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Overwrite careless respondents' answers; return answers and the attention check."""
    n = kinds.size
    k_max = LIKERT_CATEGORIES
    uniform_answers = rng.integers(1, k_max + 1, size=(n, len(_ITEMS) + 1))
    straight_value = rng.integers(1, k_max + 1, size=n)
    midpoint_answers = np.clip(np.rint(4 + 1.5 * rng.standard_normal((n, len(_ITEMS)))), 1, k_max)
    slip = rng.random(n) < _ATTENTIVE_CHECK_ERROR
    wrong_answer = rng.choice([v for v in range(1, k_max + 1) if v != ATTENTION_CHECK_CORRECT],
                              size=n)
    attention = np.where(slip, wrong_answer, ATTENTION_CHECK_CORRECT)
    out = {item: values.copy() for item, values in answers.items()}
    straight, random, speeder = (kinds == kind for kind in CARELESS_KINDS)
    for k, item in enumerate(_ITEMS):
        out[item][straight] = straight_value[straight]
        out[item][random] = uniform_answers[random, k]
        out[item][speeder] = midpoint_answers[speeder, k]
    attention[straight] = straight_value[straight]
    attention[random | speeder] = uniform_answers[random | speeder, -1]
    return out, attention


def _durations(kinds: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    normals = rng.standard_normal(kinds.size)
    speeder_seconds = rng.integers(_SPEEDER_SECONDS[0], _SPEEDER_SECONDS[1] + 1, size=kinds.size)
    seconds = np.empty(kinds.size)
    for kind, (median, log_sd) in _DURATION.items():
        mask = kinds == kind
        seconds[mask] = np.exp(np.log(median) + log_sd * normals[mask])
    seconds[kinds == "speeder"] = speeder_seconds[kinds == "speeder"]
    return np.maximum(np.rint(seconds), 1).astype(np.int64)


def _missing_masks(n: int, missing_rate: float, rng: np.random.Generator) -> dict[str, np.ndarray]:
    uniforms = rng.random((n, len(_QUESTIONNAIRE)))
    positions = np.arange(len(_QUESTIONNAIRE)) / (len(_QUESTIONNAIRE) - 1)
    rates = missing_rate * (0.5 + positions)
    return {column: uniforms[:, k] < rates[k] for k, column in enumerate(_QUESTIONNAIRE)}


def _check_arguments(n_per_cell, careless_rate, missing_rate) -> None:
    if not isinstance(n_per_cell, int | np.integer) or n_per_cell < 1:
        raise ValueError(f"n_per_cell must be a positive integer, got {n_per_cell!r}")
    if not 0 <= careless_rate <= 1:
        raise ValueError(f"careless_rate must lie in [0, 1], got {careless_rate}")
    if not 0 <= missing_rate <= 2 / 3:
        raise ValueError(f"missing_rate must lie in [0, 2/3] (the last item gets 1.5 times "
                         f"the rate), got {missing_rate}")


def simulate_survey(
    params: SimulationParameters | None = None,
    *,
    n_per_cell: int = 150,
    seed: int = DEFAULT_SEED,
    careless_rate: float = 0.05,
    missing_rate: float = 0.03,
) -> SimulatedSurvey:
    """Simulate the vignette survey from the generative model (see the module docstring).

    Parameters
    ----------
    params : SimulationParameters, optional
        True parameters; the calibrated defaults if omitted. Use
        ``SimulationParameters().main_model()`` for data from exactly the main model.
    n_per_cell : int
        Respondents per seller_response x violation cell (6 cells).
    seed : int
        Seed of all random streams; equal seeds give equal data.
    careless_rate : float
        Share of careless respondents (0 for none).
    missing_rate : float
        Average share of missing answers per item (0 for none).

    Returns
    -------
    SimulatedSurvey
        The wide table (CSV layout), latent values, truth and codebook.

    Examples
    --------
    >>> survey = simulate_survey(n_per_cell=10, seed=1)
    >>> survey.wide.shape
    (60, 28)
    >>> survey.wide.groupby(["seller_response", "violation"]).size().unique().tolist()
    [10]
    >>> clean = simulate_survey(SimulationParameters().main_model(), n_per_cell=10, seed=1,
    ...                         careless_rate=0, missing_rate=0)
    >>> int(clean.wide[["comp1", "intent3"]].isna().sum().sum())
    0
    """
    params = SimulationParameters() if params is None else params
    _check_arguments(n_per_cell, careless_rate, missing_rate)
    rngs = _streams(seed)
    design = _assign_design(rngs["design"], n_per_cell)
    latent = _latent_traits(design, params, rngs["latent"])
    answers = _item_answers(latent, params, rngs["items"])
    covariates = _covariates(latent, params, rngs["covariates"])
    kinds = _behaviour(len(design), careless_rate, rngs["careless"])
    answers, attention = _careless_answers(answers, kinds, rngs["careless"])
    durations = _durations(kinds, rngs["careless"])
    missing = _missing_masks(len(design), missing_rate, rngs["missing"])

    columns = {**design.to_dict("series"), **answers, "attention_check": attention,
               **covariates, "duration_s": durations}
    wide = pd.DataFrame({name: columns[name] for name in COLUMNS})
    for name in COLUMNS:
        if name in ("respondent_id", "seller_response", "violation", "age_group", "gender"):
            wide[name] = wide[name].astype("string")
        else:
            wide[name] = wide[name].astype("Int64")
    for name, mask in missing.items():
        wide.loc[mask, name] = pd.NA
    latent.insert(0, "respondent_id", design["respondent_id"])
    latent["careless"] = kinds
    truth = _truth(params, wide, kinds, attention, seed=seed, n_per_cell=n_per_cell,
                   careless_rate=careless_rate, missing_rate=missing_rate)
    return SimulatedSurvey(wide=wide, latent=latent, truth=truth,
                           codebook=simulated_datapackage())


def simulate_main_model(
    params: SimulationParameters | None = None, *, n_per_cell: int = 150,
    seed: int = DEFAULT_SEED,
) -> SimulatedSurvey:
    """Simulate clean data from exactly the main model (for parameter recovery).

    No construct deviations, multipliers 1, intention equal to trust, no careless respondents
    and no missing answers: ``theta_i = X_i . beta + disposition_effect * disposition_i + u_i``
    drives all 14 trust and intention items through their ordered logits.

    Parameters
    ----------
    params : SimulationParameters, optional
        Parameters to take ``effects``, ``disposition_effect``, loadings and thresholds from
        (defaults if omitted); the extras are switched off with
        :meth:`SimulationParameters.main_model`.
    n_per_cell : int
        Respondents per cell.
    seed : int
        Random seed.

    Returns
    -------
    SimulatedSurvey
        ``latent["theta"]`` is the true trust of each respondent.

    Examples
    --------
    >>> survey = simulate_main_model(n_per_cell=5, seed=3)
    >>> survey.truth["parameters"]["construct_sd"], len(survey.truth["careless"]["straightliner"])
    (0.0, 0)
    >>> bool((survey.latent["theta"] == survey.latent["theta_integrity"]).all())
    True
    """
    params = (SimulationParameters() if params is None else params).main_model()
    return simulate_survey(params, n_per_cell=n_per_cell, seed=seed, careless_rate=0.0,
                           missing_rate=0.0)


def _truth(params, wide, kinds, attention, **settings) -> dict:
    # The strings below are bytes of the committed raw truth file: they keep the module names of
    # version 0.1 (trustmodels.simulate is now trustmodels.simulation.simulate), so that the
    # default command still rewrites data/raw byte for byte.
    ids = wide["respondent_id"].to_numpy(dtype=object)
    attentive_failed = (kinds == "attentive") & (attention != ATTENTION_CHECK_CORRECT)
    items = list(_QUESTIONNAIRE)
    return {
        "description": "True parameters of the SIMULATED trust-repair vignette survey "
        "(trust_repair_simulated.csv), written by `python -m trustmodels.simulate`. Effects "
        "are in latent-SD units and keyed as trustmodels.design.EFFECT_NAMES.",
        "simulated": True,
        "generator": "trustmodels.simulate.simulate_survey",
        **settings,
        "n_respondents": int(len(wide)),
        "parameters": params.to_dict(),
        "calibration": {
            "target": dict(CALIBRATION_TARGET),
            "response_scale": CALIBRATED_RESPONSE_SCALE,
            "achieved_d": CALIBRATED_ACHIEVED_D,
            "n_per_cell": CALIBRATION_N_PER_CELL,
            "seed": CALIBRATION_SEED,
            "method": "trustmodels.simulate.calibrate_response_scale: root of simulated d "
            "minus target over the response scale (common random numbers, no careless "
            "respondents, no missing answers); effects = scale x RESPONSE_EFFECT_PATTERN plus "
            "FIXED_EFFECTS (trustmodels.simulate_params).",
            "default_effects_at_calibrated_scale": default_effects(CALIBRATED_RESPONSE_SCALE),
        },
        "assumptions": [dict(entry) for entry in ASSUMPTIONS],
        "careless": {kind: [str(i) for i in ids[kinds == kind]] for kind in CARELESS_KINDS},
        "attentive_failed_attention_check": [str(i) for i in ids[attentive_failed]],
        "missing_answers": {c: int(wide[c].isna().sum()) for c in items},
    }


def trust_score(wide: pd.DataFrame) -> pd.Series:
    """Return each respondent's mean of the 11 trusting-belief items (missing answers skipped).

    Parameters
    ----------
    wide : pandas.DataFrame
        Survey in the CSV layout.

    Returns
    -------
    pandas.Series
        Float mean per respondent (NaN if all 11 answers are missing).

    Examples
    --------
    >>> wide = pd.DataFrame({item: [7, 1] for item in _TRUST_ITEMS})
    >>> trust_score(wide).tolist()
    [7.0, 1.0]
    """
    return wide[list(_TRUST_ITEMS)].astype("float64").mean(axis=1, skipna=True)


def apology_vs_controls_d(wide: pd.DataFrame) -> float:
    """Cohen's d (pooled SD) of the trust score, apology vs the meta-analysis's control groups.

    This is the statistic the simulation is calibrated to: the apology group against no
    response and denial pooled (:data:`~trustmodels.simulation.params.CALIBRATION_CONTROLS`),
    as Yuan, Dong & Li (2017) pool studies with silent and denying controls; pooled over
    violation types and fan counts, on :func:`trust_score`.

    Parameters
    ----------
    wide : pandas.DataFrame
        Survey in the CSV layout (at least ``seller_response`` and the 11 trust items).

    Returns
    -------
    float
        Standardized mean difference; positive when apologies raise trust.

    See Also
    --------
    apology_vs_none_d : against no response only (larger: a denial helps a little).
    response_d : the same statistic for any pair of (groups of) seller responses.

    Examples
    --------
    >>> survey = simulate_survey(n_per_cell=2000, seed=5, careless_rate=0, missing_rate=0)
    >>> round(apology_vs_controls_d(survey.wide), 1)
    0.4
    """
    return response_d(wide, "apology", CALIBRATION_CONTROLS)


def apology_vs_none_d(wide: pd.DataFrame) -> float:
    """Cohen's d (pooled SD) of the trust score, apology vs no response.

    Pooled over violation types and fan counts, on :func:`trust_score`. The meta-analysis the
    simulation is calibrated to reports this contrast as larger than its pooled effect
    (:func:`apology_vs_controls_d`).

    Parameters
    ----------
    wide : pandas.DataFrame
        Survey in the CSV layout (at least ``seller_response`` and the 11 trust items).

    Returns
    -------
    float
        Standardized mean difference; positive when apologies raise trust.

    See Also
    --------
    response_d : the same statistic for any pair of (groups of) seller responses.

    Examples
    --------
    >>> survey = simulate_survey(n_per_cell=2000, seed=5, careless_rate=0, missing_rate=0)
    >>> round(apology_vs_none_d(survey.wide), 1)
    0.6
    """
    return response_d(wide, "apology", "none")


def response_d(wide: pd.DataFrame, first, second) -> float:
    r"""Cohen's d (pooled SD) of the trust score between two groups of seller responses.

    Parameters
    ----------
    wide : pandas.DataFrame
        Survey in the CSV layout (at least ``seller_response`` and the 11 trust items).
    first, second : str or sequence of str
        A seller response, or several pooled into one group (e.g. ``("none", "denial")``: the
        control groups of a meta-analysis that pools silence and denial).

    Returns
    -------
    float
        :math:`(\bar y_1 - \bar y_2) / s_p` on :func:`trust_score`, with the pooled SD
        :math:`s_p^2 = ((n_1 - 1) s_1^2 + (n_2 - 1) s_2^2) / (n_1 + n_2 - 2)`.

    Raises
    ------
    ValueError
        When a group has fewer than two scores.

    Examples
    --------
    >>> survey = simulate_survey(n_per_cell=2000, seed=5, careless_rate=0, missing_rate=0)
    >>> none = response_d(survey.wide, "apology", "none")
    >>> pooled = response_d(survey.wide, "apology", ("none", "denial"))
    >>> bool(pooled < none)  # a denial helps a little, so the pooled control is higher
    True
    """
    score = trust_score(wide)
    groups = []
    for levels in (first, second):
        levels = (levels,) if isinstance(levels, str) else tuple(levels)
        group = score[wide["seller_response"].isin(levels).to_numpy()].dropna()
        if len(group) < 2:
            raise ValueError(f"response_d: fewer than two trust scores for {levels}")
        groups.append(group)
    n1, n0 = (len(g) for g in groups)
    pooled_var = ((n1 - 1) * groups[0].var() + (n0 - 1) * groups[1].var()) / (n1 + n0 - 2)
    return float((groups[0].mean() - groups[1].mean()) / np.sqrt(pooled_var))


def calibrate_response_scale(
    target_d: float = CALIBRATION_TARGET["value"],
    *,
    params: SimulationParameters | None = None,
    n_per_cell: int = CALIBRATION_N_PER_CELL,
    seed: int = CALIBRATION_SEED,
    bracket: tuple[float, float] = (0.01, 3.0),
) -> CalibrationResult:
    """Find the response scale whose simulated calibration d equals ``target_d``.

    The effects are ``scale * RESPONSE_EFFECT_PATTERN`` plus ``FIXED_EFFECTS``; all other
    parameters come from ``params``. Each trial simulates ``n_per_cell`` attentive respondents
    per cell without missing answers from the same seed (common random numbers), so the
    simulated d is a smooth increasing function of the scale and Brent's method finds its root.
    The result of the defaults is stored as
    :data:`trustmodels.simulation.params.CALIBRATED_RESPONSE_SCALE`.

    Parameters
    ----------
    target_d : float
        Target Cohen's d (default 0.44, Yuan, Dong & Li 2017).
    params : SimulationParameters, optional
        Parameters other than the effects (defaults if omitted).
    n_per_cell : int
        Respondents per cell of each trial simulation.
    seed : int
        Seed of the trial simulations.
    bracket : tuple of float
        Interval of scales searched.

    Returns
    -------
    CalibrationResult
        The scale (rounded to 4 decimals) and the d it achieves.

    Examples
    --------
    >>> result = calibrate_response_scale(0.44, n_per_cell=2000, seed=1)
    >>> 0.5 < result.response_scale < 0.8, abs(result.achieved_d - 0.44) < 0.005
    (True, True)
    """
    base = SimulationParameters() if params is None else params

    def simulated_d(scale: float) -> float:
        trial = replace(base, effects=default_effects(scale))
        survey = simulate_survey(trial, n_per_cell=n_per_cell, seed=seed, careless_rate=0.0,
                                 missing_rate=0.0)
        return apology_vs_controls_d(survey.wide)

    scale = brentq(lambda s: simulated_d(s) - target_d, *bracket, xtol=1e-5)
    scale = round(float(scale), 4)
    return CalibrationResult(response_scale=scale, achieved_d=round(simulated_d(scale), 4),
                             target_d=float(target_d), n_per_cell=n_per_cell, seed=seed)



def write_simulated_survey(
    output_dir: str | Path | None = None, *, seed: int = DEFAULT_SEED, n_per_cell: int = 150
) -> dict[str, Path]:
    """Write the simulated survey, its truth, codebook and checksums into ``output_dir``.

    Files (relative to ``output_dir``): ``raw/trust_repair_simulated.csv``,
    ``raw/trust_repair_simulated.truth.json``, ``raw/SHA256SUMS`` (``sha256sum`` format, paths
    relative to ``raw/``) and ``datapackage.json``. The defaults reproduce the committed files
    byte for byte.

    Parameters
    ----------
    output_dir : str or Path, optional
        Data folder; the project's ``data/`` if omitted.
    seed : int
        Random seed.
    n_per_cell : int
        Respondents per cell.

    Returns
    -------
    dict of str to Path
        ``"csv"``, ``"truth"``, ``"datapackage"`` and ``"sha256sums"`` paths.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = write_simulated_survey(folder, n_per_cell=5)
    ...     print(paths["sha256sums"].read_text().split()[1::2])
    ['trust_repair_simulated.csv', 'trust_repair_simulated.truth.json']
    """
    output = Path(project_data_dir() if output_dir is None else output_dir)
    survey = simulate_survey(seed=seed, n_per_cell=n_per_cell)
    paths = {
        "csv": output / CSV_PATH,
        "truth": output / TRUTH_PATH,
        "datapackage": output / DATAPACKAGE_PATH,
        "sha256sums": output / SUMS_PATH,
    }
    paths["csv"].parent.mkdir(parents=True, exist_ok=True)
    paths["csv"].write_bytes(
        survey.wide.to_csv(index=False, lineterminator="\n", na_rep="").encode("utf-8"))
    for key, content in (("truth", survey.truth), ("datapackage", survey.codebook)):
        text = json.dumps(content, indent=2, ensure_ascii=False) + "\n"
        paths[key].write_bytes(text.encode("utf-8"))
    write_manifest(paths["sha256sums"].parent, [paths["csv"].name, paths["truth"].name])
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write the simulated survey files (``trustmodels simulate``).

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (``sys.argv[1:]`` if omitted).

    Returns
    -------
    int
        Exit status (0 on success).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     first = main(["--output-dir", folder, "--quiet"])
    ...     again = main(["--output-dir", folder, "--quiet"])  # would overwrite: refused
    ...     forced = main(["--output-dir", folder, "--quiet", "--force"])
    >>> first, again, forced
    (0, 2, 0)
    """
    parser = argparse.ArgumentParser(
        prog="trustmodels simulate",
        description="Write the SIMULATED trust-repair vignette survey (CSV, truth JSON, "
        "datapackage.json codebook, SHA256SUMS). The defaults reproduce the committed files.")
    parser.add_argument("--output-dir", type=Path, default=None,
                        help="data folder to write into (default: the project's data/)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--quiet", action="store_true", help="do not list the written files")
    parser.add_argument("--force", action="store_true",
                        help="overwrite existing files (by default nothing is overwritten)")
    args = parser.parse_args(argv)
    if args.output_dir is None:
        args.output_dir = project_data_dir()
    existing = [args.output_dir / relative for relative in
                (CSV_PATH, TRUTH_PATH, DATAPACKAGE_PATH, SUMS_PATH)
                if (args.output_dir / relative).exists()]
    if existing and not args.force:
        print(f"trustmodels simulate: would overwrite {', '.join(map(str, existing))}; pass "
              "--force to overwrite them or --output-dir to write elsewhere", file=sys.stderr)
        return 2
    paths = write_simulated_survey(args.output_dir, seed=args.seed)
    if not args.quiet:
        for path in paths.values():
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
