r"""Prior settings of the models (frozen dataclasses, so they can be hashed for the fit cache).

Defaults are weakly informative on the latent scale, whose unit is the standard deviation of the
respondent intercepts :math:`u_i \sim \mathrm{Normal}(0, 1)`:

* fixed effects :math:`\beta_e \sim \mathrm{Normal}(0, 1)`: an effect of one latent SD is large
  for a survey manipulation, 2 SD is implausible but not excluded;
* disposition to trust :math:`\beta_\text{disp} \sim \mathrm{Normal}(0, 1)` per SD of disposition;
* item discriminations :math:`\lambda_j \sim \mathrm{LogNormal}(0, 0.5)` (90% between 0.44 and
  2.3);
* item thresholds: the *induced Dirichlet* prior of Betancourt (2019, "Ordinal regression" case
  study): the category probabilities of an item at :math:`\eta = 0` are
  :math:`\mathrm{Dirichlet}(\alpha \mathbf{1}_K)`, which induces a proper prior on the ordered
  thresholds (see :mod:`trustmodels.models.cutpoints`); :math:`\alpha = 1` is uniform on the
  simplex. ``cutpoint_prior="normal"`` uses instead :math:`\tau_{jk} \sim \mathrm{Normal}(0,
  \sigma_\tau)` restricted to increasing vectors.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["CUTPOINT_PRIORS", "FixedPriors", "MetricPriors", "OrdinalPriors"]

#: Supported threshold priors.
CUTPOINT_PRIORS = ("induced_dirichlet", "normal")


class _PositivePriors:
    """Base of the prior dataclasses: checks the settings when an instance is created.

    Every numeric setting must be positive and a ``cutpoint_prior`` must be one of
    :data:`CUTPOINT_PRIORS`; otherwise ``ValueError`` names the class and the setting.
    """

    def __post_init__(self):
        for name, value in asdict(self).items():
            if isinstance(value, float | int) and not isinstance(value, bool) and not value > 0:
                raise ValueError(f"{type(self).__name__}.{name} must be positive, got {value!r}")
        prior = getattr(self, "cutpoint_prior", None)
        if prior is not None and prior not in CUTPOINT_PRIORS:
            raise ValueError(f"unknown cutpoint_prior {prior!r}; expected one of {CUTPOINT_PRIORS}")


@dataclass(frozen=True)
class OrdinalPriors(_PositivePriors):
    """Priors of the multilevel cumulative-link model (:mod:`trustmodels.models.ordinal`).

    Parameters
    ----------
    effect_sd : float
        SD of the normal prior of each fixed effect (latent SD units).
    disposition_sd : float
        SD of the normal prior of the disposition-to-trust slope.
    discrimination_log_sd : float
        Log-scale SD of the log-normal prior (median 1) of the item discriminations.
    cutpoint_prior : {"induced_dirichlet", "normal"}
        Prior family of the item thresholds.
    cutpoint_concentration : float
        Dirichlet concentration of the induced-Dirichlet prior (1 = uniform on the simplex).
    cutpoint_sd : float
        SD of the ordered-normal threshold prior (used when ``cutpoint_prior="normal"``).

    Examples
    --------
    >>> OrdinalPriors(effect_sd=0.5).effect_sd
    0.5
    >>> OrdinalPriors(effect_sd=0)
    Traceback (most recent call last):
    ...
    ValueError: OrdinalPriors.effect_sd must be positive, got 0
    """

    effect_sd: float = 1.0
    disposition_sd: float = 1.0
    discrimination_log_sd: float = 0.5
    cutpoint_prior: str = "induced_dirichlet"
    cutpoint_concentration: float = 1.0
    cutpoint_sd: float = 3.0


@dataclass(frozen=True)
class FixedPriors(_PositivePriors):
    """Priors of the single-outcome fixed-effects ordinal model (:mod:`.fixed`).

    Parameters
    ----------
    effect_sd : float
        SD of the normal prior of each coefficient.
    cutpoint_prior : {"induced_dirichlet", "normal"}
        Prior family of the thresholds.
    cutpoint_concentration : float
        Dirichlet concentration of the induced-Dirichlet prior.
    cutpoint_sd : float
        SD of the ordered-normal threshold prior.

    Examples
    --------
    >>> FixedPriors().effect_sd
    2.5
    """

    effect_sd: float = 2.5
    cutpoint_prior: str = "induced_dirichlet"
    cutpoint_concentration: float = 1.0
    cutpoint_sd: float = 3.0


@dataclass(frozen=True)
class MetricPriors(_PositivePriors):
    """Priors of the metric (normal) comparison model (:mod:`.metric`), in rating points.

    Parameters
    ----------
    intercept_sd : float
        SD of the normal prior of the intercepts, centred on the scale midpoint.
    effect_sd : float
        SD of the normal prior of each fixed effect (rating points).
    disposition_sd : float
        SD of the prior of the disposition slope (rating points per SD of disposition).
    respondent_sd_scale : float
        Scale of the half-normal prior of the SD of respondent intercepts.
    residual_sd_scale : float
        Scale of the half-normal prior of the residual SD.

    Examples
    --------
    >>> MetricPriors().residual_sd_scale
    2.0
    """

    intercept_sd: float = 2.0
    effect_sd: float = 1.0
    disposition_sd: float = 1.0
    respondent_sd_scale: float = 1.0
    residual_sd_scale: float = 2.0
