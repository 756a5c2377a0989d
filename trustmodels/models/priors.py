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

The smooth moderation model (:class:`SmoothPriors`, :mod:`trustmodels.models.moderation`) and the
structural equation model (:class:`SEMPriors`, :mod:`trustmodels.models.sem`) keep their prior
settings here too, so that every prior of the package is found in one module.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["CUTPOINT_PRIORS", "FixedPriors", "MetricPriors", "OrdinalPriors", "SEMPriors",
           "SmoothPriors"]

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


@dataclass(frozen=True)
class SmoothPriors(_PositivePriors):
    """Priors and basis settings of the smooth response-effect curves.

    Parameters
    ----------
    level_sd, slope_sd : float
        SD of the normal priors of each curve's value at 10^4 followers and of its linear slope
        per decade of followers (latent SD units).
    amplitude_sd : float
        Scale of the half-normal prior of the GP amplitude (the curves' typical departure from
        a straight line).
    lengthscale : float
        Fixed length scale in decades of followers (the median of the inverse-gamma(6.4, 9.8)
        prior it replaces, whose 95% interval was 0.8 to 4 decades: wigglier curves cannot be
        told apart from noise with a few hundred respondents, longer ones are straight lines,
        and the data do not identify it; see the module notes).
    n_basis : int
        Number ``m`` of HSGP basis functions.
    boundary_factor : float
        ``c``: the basis lives on ``[-c S, c S]`` for data in ``[-S, S]``.

    Examples
    --------
    >>> SmoothPriors().n_basis
    20
    >>> SmoothPriors(n_basis=0)
    Traceback (most recent call last):
    ...
    ValueError: SmoothPriors.n_basis must be positive, got 0
    """

    level_sd: float = 1.0
    slope_sd: float = 1.0
    amplitude_sd: float = 0.3
    lengthscale: float = 1.6
    n_basis: int = 20
    boundary_factor: float = 2.0

    def __post_init__(self):
        super().__post_init__()
        if self.boundary_factor <= 1:
            raise ValueError("SmoothPriors.boundary_factor must exceed 1")


@dataclass(frozen=True)
class SEMPriors(_PositivePriors):
    """Prior scales of the structural equation model.

    Parameters
    ----------
    path_sigma : float
        SD of the Normal(0, sd) prior of every path (latent-SD units; 1 keeps standardized
        paths mostly within -0.7..0.7 a priori while allowing strong effects).
    loading_alpha, loading_beta : float
        Shape parameters of the Beta prior of the standardized loadings (the correlation of an
        item's logistic latent response with its construct). Beta(5, 2) has median 0.74 and
        95% of its mass in 0.36..0.96; its density falls to zero at 1, which keeps a construct
        measured by two near-redundant items away from a Heywood case (standardized loading 1,
        where the likelihood is flat in the loading and NUTS mixes badly).
    threshold_sigma : float
        SD of the Normal(0, sd) prior of the (ordered) thresholds, which are locations on the
        standardized latent scale (latent-SD units), not logit cutpoints.

    Examples
    --------
    >>> SEMPriors().loading_alpha
    5.0
    >>> SEMPriors(path_sigma=0)
    Traceback (most recent call last):
    ...
    ValueError: SEMPriors.path_sigma must be positive, got 0
    """

    path_sigma: float = 1.0
    loading_alpha: float = 5.0
    loading_beta: float = 2.0
    threshold_sigma: float = 2.0
