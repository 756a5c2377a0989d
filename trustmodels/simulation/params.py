"""True parameters of the simulated vignette survey and where their values come from.

The generator in :mod:`trustmodels.simulation.simulate` reads everything it needs from a
:class:`SimulationParameters`. The defaults are set here, once, as literals: the size of the
seller-response effects was calibrated to a published effect size with
:func:`trustmodels.simulation.simulate.calibrate_response_scale` and the result is recorded in
:data:`CALIBRATED_RESPONSE_SCALE` (it is not recomputed at import). Every other default is an
assumption, listed with its basis in :data:`ASSUMPTIONS` and copied into the truth file.

Response effects are written as ``scale * pattern``: :data:`RESPONSE_EFFECT_PATTERN` fixes the
relative sizes (in units of the apology-vs-no-response difference on the latent trust scale,
pooled over the two violation types at 10^4 followers) and the calibrated scale fixes the size.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from trustmodels.datasets.simulated_design import EFFECT_NAMES

__all__ = [
    "ASSUMPTIONS",
    "CALIBRATED_ACHIEVED_D",
    "CALIBRATED_RESPONSE_SCALE",
    "CALIBRATION_CONTROLS",
    "CALIBRATION_N_PER_CELL",
    "CALIBRATION_SEED",
    "CALIBRATION_TARGET",
    "CONSTRUCT_ITEMS",
    "FIXED_EFFECTS",
    "LIKERT_CATEGORIES",
    "RESPONSE_EFFECT_PATTERN",
    "TRUST_CONSTRUCTS",
    "SimulationParameters",
    "default_effects",
]

#: Answer categories of every Likert item (1 = strongly disagree .. 7 = strongly agree).
LIKERT_CATEGORIES = 7

#: Items of each construct, in CSV column order.
CONSTRUCT_ITEMS: dict[str, tuple[str, ...]] = {
    "competence": ("comp1", "comp2", "comp3", "comp4"),
    "benevolence": ("benev1", "benev2", "benev3"),
    "integrity": ("integ1", "integ2", "integ3", "integ4"),
    "intention": ("intent1", "intent2", "intent3"),
    "disposition": ("dtt1", "dtt2", "dtt3", "dtt4"),
}

#: The three trusting beliefs of McKnight, Choudhury & Kacmar (2002); their 11 items make the
#: trust score that the calibration target refers to.
TRUST_CONSTRUCTS = ("competence", "benevolence", "integrity")

#: Relative response effects; multiplied by the response scale. Pooled over violation types at
#: 10^4 followers the apology raises latent trust by exactly 1 scale unit
#: (1.25 - 0.5 / 2 = 1.0) and the denial by 0.4 (0.2 + 0.4 / 2).
RESPONSE_EFFECT_PATTERN: dict[str, float] = {
    "apology": 1.25,
    "denial": 0.2,
    "apology:integrity": -0.5,
    "denial:integrity": 0.4,
    "apology:log_fans_c": -0.2,
    "denial:log_fans_c": 0.0,
    "apology:integrity:log_fans_c": 0.0,
    "denial:integrity:log_fans_c": 0.0,
}

#: Effects that do not scale with the response effects (latent-SD units; assumptions).
FIXED_EFFECTS: dict[str, float] = {
    "integrity": -0.3,
    "log_fans_c": 0.1,
    "integrity:log_fans_c": 0.0,
}

#: The seller responses pooled into the control group of the calibration statistic: the
#: meta-analysis pools studies whose control groups heard nothing (silence) with studies whose
#: control groups heard a denial; equal shares are assumed (the survey has equal cells).
CALIBRATION_CONTROLS: tuple[str, ...] = ("none", "denial")

#: The published effect size the response scale is calibrated to.
CALIBRATION_TARGET: dict[str, object] = {
    "statistic": (
        "Cohen's d (pooled SD) of the respondent mean of the 11 trusting-belief items "
        "(comp1-comp4, benev1-benev3, integ1-integ4), apology vs the control groups of the "
        "meta-analysis (no response and denial pooled in equal shares), pooled over violation "
        "types and fan counts, attentive respondents without missing answers"
    ),
    "value": 0.44,
    "source": (
        "Yuan, B., Dong, Y., & Li, W. (2017). The trust repair effect of apology: A systematic "
        "review and meta-analysis. Advances in Psychological Science, 25(7), 1103-1113. "
        "doi:10.3724/SP.J.1042.2017.01103 (18 papers, 36 effect sizes, 4,731 participants; "
        "d = 0.44 pooled over silence and denial control groups, larger against silence)"
    ),
}

#: Result of :func:`trustmodels.simulation.simulate.calibrate_response_scale` with its defaults
#: (target 0.44 against :data:`CALIBRATION_CONTROLS`, :data:`CALIBRATION_N_PER_CELL`
#: respondents per cell, :data:`CALIBRATION_SEED`). Until version 0.2.0 the target was the
#: apology-vs-no-response d (scale 0.5493), which made the pooled statistic 0.35.
CALIBRATED_RESPONSE_SCALE = 0.6937
#: The d that the calibrated scale gives in the calibration simulation.
CALIBRATED_ACHIEVED_D = 0.44
CALIBRATION_N_PER_CELL = 20_000
CALIBRATION_SEED = 44

#: Thresholds of a typical item before its item-specific shift (6 cut points, 7 categories).
_BASE_THRESHOLDS = (-3.0, -1.9, -0.9, 0.1, 1.1, 2.4)

#: Item discriminations (loadings) and threshold shifts (positive = harder to agree with).
_ITEM_LOADINGS_AND_SHIFTS: dict[str, tuple[float, float]] = {
    "comp1": (1.6, 0.0), "comp2": (1.8, 0.2), "comp3": (1.5, -0.1), "comp4": (1.3, -0.4),
    "benev1": (1.4, 0.3), "benev2": (1.6, 0.1), "benev3": (1.5, 0.5),
    "integ1": (1.7, 0.0), "integ2": (1.9, -0.1), "integ3": (1.5, 0.2), "integ4": (1.4, 0.1),
    "intent1": (1.8, -0.2), "intent2": (2.0, 0.3), "intent3": (1.6, 0.1),
    "dtt1": (1.3, -0.3), "dtt2": (1.5, 0.0), "dtt3": (1.6, -0.5), "dtt4": (1.2, -0.2),
}


def _default_loadings() -> dict[str, float]:
    return {item: loading for item, (loading, _) in _ITEM_LOADINGS_AND_SHIFTS.items()}


def _default_thresholds() -> dict[str, tuple[float, ...]]:
    return {
        item: tuple(round(cut + shift, 2) for cut in _BASE_THRESHOLDS)
        for item, (_, shift) in _ITEM_LOADINGS_AND_SHIFTS.items()
    }


def default_effects(response_scale: float = CALIBRATED_RESPONSE_SCALE) -> dict[str, float]:
    """Return the true design effects for a given response scale, keyed by ``EFFECT_NAMES``.

    Parameters
    ----------
    response_scale : float
        Latent apology-vs-no-response difference pooled over violation types at 10^4
        followers; the response effects are this times :data:`RESPONSE_EFFECT_PATTERN`.

    Returns
    -------
    dict of str to float
        One value per design effect, in the order of
        :data:`trustmodels.datasets.simulated_design.EFFECT_NAMES`,
        rounded to 6 decimals.

    Examples
    --------
    >>> effects = default_effects(1.0)
    >>> effects["apology"], effects["apology:integrity"], effects["integrity"]
    (1.25, -0.5, -0.3)
    """
    values = {name: response_scale * weight for name, weight in RESPONSE_EFFECT_PATTERN.items()}
    values.update(FIXED_EFFECTS)
    return {name: round(float(values[name]) + 0.0, 6) for name in EFFECT_NAMES}


#: Every default that is not calibrated, with its value and basis (copied to the truth file).
ASSUMPTIONS: tuple[dict[str, object], ...] = (
    {
        "parameter": "RESPONSE_EFFECT_PATTERN (denial vs apology)",
        "value": "denial = 0.4 x apology, pooled",
        "basis": "Direction from Yuan, Dong & Li (2017: larger apology effects against "
        "silence than against denial), Kim, Ferrin, Cooper & Dirks (2004) and the review; "
        "size assumed.",
    },
    {
        "parameter": "apology:integrity, denial:integrity",
        "value": "-0.5 and +0.4 response-scale units",
        "basis": "Direction from Kim, Ferrin, Cooper & Dirks (2004) and Yuan, Dong & Li "
        "(2017): an apology works better after a competence violation, a denial relatively "
        "better after an integrity violation; sizes assumed.",
    },
    {
        "parameter": "apology:log_fans_c",
        "value": "-0.2 response-scale units per decade of followers",
        "basis": "Direction from Matzat & Snijders (2012) as summarized by the review (the "
        "apology helps popular sellers less); the SIZE IS AN ASSUMPTION.",
    },
    {
        "parameter": "log_fans_c",
        "value": "+0.1 latent SD per decade of followers",
        "basis": "Assumption (hypothesis H4: popular sellers are trusted somewhat more).",
    },
    {
        "parameter": "integrity",
        "value": "-0.3 latent SD",
        "basis": "Assumption: an integrity violation lowers trust more than a competence one.",
    },
    {
        "parameter": "disposition_effect",
        "value": "0.5 latent SD per SD of disposition to trust",
        "basis": "Assumption; positive direction from Gefen (2000).",
    },
    {
        "parameter": "purchase_freq_trust_correlation",
        "value": "-0.15",
        "basis": "Assumption, small; negative direction as stated by the review.",
    },
    {
        "parameter": "construct_sd, construct_multipliers, intention_weight, intention_sd",
        "value": "0.5; competence 1.0, benevolence 0.8, integrity 1.2; 0.9; 0.6",
        "basis": "Assumptions giving correlated but distinct trusting beliefs (McKnight, "
        "Choudhury & Kacmar 2002) and an intention driven by trust.",
    },
    {
        "parameter": "loadings, thresholds",
        "value": "discriminations 1.2-2.0; thresholds around -3 .. 2.4",
        "basis": "Assumption: typical values for 7-point agreement items.",
    },
)


@dataclass(frozen=True)
class SimulationParameters:
    """True parameters of the simulated survey's generative model.

    Parameters
    ----------
    effects : dict of str to float
        Design effects on latent trust, keyed by
        :data:`trustmodels.datasets.simulated_design.EFFECT_NAMES`
        (latent-SD units: the individual variation ``u`` has SD 1).
    disposition_effect : float
        Effect of the latent disposition to trust (standard normal) on latent trust.
    construct_sd : float
        SD of each respondent's construct-specific deviation from latent trust (0 = one
        trust dimension).
    construct_multipliers : dict of str to float
        Multiplier of the design effects for each trusting belief (all 1 = same effects).
    intention_weight : float
        Effect of the respondent's mean trusting belief on latent purchase intention.
    intention_sd : float
        SD of the intention's own variation.
    purchase_freq_trust_correlation : float
        Correlation of the latent purchase frequency with the individual trust variation ``u``.
    loadings : dict of str to float
        Item discriminations (positive), for all 18 items.
    thresholds : dict of str to tuple of float
        Six increasing cut points of each item's cumulative logit.

    Examples
    --------
    >>> params = SimulationParameters()
    >>> params.effects["apology"] > params.effects["denial"] > 0
    True
    >>> params.main_model().construct_sd
    0.0
    """

    effects: dict[str, float] = field(default_factory=default_effects)
    disposition_effect: float = 0.5
    construct_sd: float = 0.5
    construct_multipliers: dict[str, float] = field(
        default_factory=lambda: {"competence": 1.0, "benevolence": 0.8, "integrity": 1.2}
    )
    intention_weight: float = 0.9
    intention_sd: float = 0.6
    purchase_freq_trust_correlation: float = -0.15
    loadings: dict[str, float] = field(default_factory=_default_loadings)
    thresholds: dict[str, tuple[float, ...]] = field(default_factory=_default_thresholds)

    def __post_init__(self):
        """Check that the parameters describe a valid model."""
        if tuple(self.effects) != EFFECT_NAMES:
            raise ValueError(f"effects must have the keys {EFFECT_NAMES} in this order, "
                             f"got {tuple(self.effects)}")
        if set(self.construct_multipliers) != set(TRUST_CONSTRUCTS):
            raise ValueError(f"construct_multipliers must have the keys {TRUST_CONSTRUCTS}")
        items = [item for names in CONSTRUCT_ITEMS.values() for item in names]
        for name, mapping in (("loadings", self.loadings), ("thresholds", self.thresholds)):
            if sorted(mapping) != sorted(items):
                raise ValueError(f"{name} must have one entry for each of the items {items}")
        for item, loading in self.loadings.items():
            if not loading > 0:
                raise ValueError(f"loading of {item} must be positive, got {loading}")
        for item, cuts in self.thresholds.items():
            if len(cuts) != LIKERT_CATEGORIES - 1 or np.any(np.diff(cuts) <= 0):
                raise ValueError(f"thresholds of {item} must be {LIKERT_CATEGORIES - 1} "
                                 f"increasing numbers, got {cuts}")
        if self.construct_sd < 0 or self.intention_sd < 0:
            raise ValueError("construct_sd and intention_sd must be non-negative")
        if not -1 < self.purchase_freq_trust_correlation < 1:
            raise ValueError("purchase_freq_trust_correlation must lie strictly between -1 and 1")

    def main_model(self) -> SimulationParameters:
        """Return these parameters with the extras switched off: exactly the main model.

        One latent trust per respondent drives every item (no construct deviations, all
        construct multipliers 1, intention equal to trust), so that
        ``theta_i = X_i . beta + disposition_effect * disposition_i + u_i`` and
        ``P(y_ij <= k) = logistic(tau_jk - lambda_j * theta_i)`` for all 18 items.

        Returns
        -------
        SimulationParameters
            A copy with ``construct_sd=0``, multipliers 1, ``intention_weight=1`` and
            ``intention_sd=0``.

        Examples
        --------
        >>> main = SimulationParameters().main_model()
        >>> main.construct_multipliers["benevolence"], main.intention_weight
        (1.0, 1.0)
        """
        return dataclasses.replace(
            self,
            construct_sd=0.0,
            construct_multipliers=dict.fromkeys(TRUST_CONSTRUCTS, 1.0),
            intention_weight=1.0,
            intention_sd=0.0,
        )

    def to_dict(self) -> dict[str, object]:
        """Return the parameters as plain JSON-ready data (thresholds as lists).

        Returns
        -------
        dict
            Field name to value.

        Examples
        --------
        >>> SimulationParameters().to_dict()["thresholds"]["comp1"]
        [-3.0, -1.9, -0.9, 0.1, 1.1, 2.4]
        """
        data = dataclasses.asdict(self)
        data["thresholds"] = {item: list(cuts) for item, cuts in self.thresholds.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> SimulationParameters:
        """Rebuild parameters from :meth:`to_dict` output (e.g. the truth file).

        Parameters
        ----------
        data : dict
            As returned by :meth:`to_dict`.

        Returns
        -------
        SimulationParameters

        Examples
        --------
        >>> params = SimulationParameters()
        >>> SimulationParameters.from_dict(params.to_dict()) == params
        True
        """
        values = dict(data)
        values["thresholds"] = {item: tuple(cuts) for item, cuts in values["thresholds"].items()}
        return cls(**values)
