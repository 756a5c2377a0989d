"""Typed specifications of the package's models: what a fit was built from.

Every model builder returns a PyMC model that carries one of these frozen dataclasses as
``model.trustmodels_spec``: its link, items, effects, priors and the derived variables that the
convergence gate checks besides the free ones. :func:`trustmodels.inference.sampling.fit` writes
it to the fit as JSON (``idata.attrs["trustmodels_spec"]``) and :func:`model_spec` reads it back
as the same object, so code that summarizes a fit (contrasts, checks, the report) reads
attributes with types instead of parsing string keys, and a fit of the wrong model is refused
with one line.

* :class:`OrdinalSpec` (``"ordinal"``): :func:`~trustmodels.models.ordinal.build_ordinal_model`;
* :class:`DeclaredSpec` (``"declared design"``):
  :func:`~trustmodels.models.declared.build_design_model`;
* :class:`ModerationSpec` (``"moderation_hsgp"``):
  :func:`~trustmodels.models.moderation.build_moderation_model`;
* :class:`MetricSpec` (``"metric"``): :func:`~trustmodels.models.metric.build_metric_model`;
* :class:`SEMSpec` (``"sem"``): :func:`~trustmodels.models.sem.build_sem`;
* :class:`FixedSpec` (``"fixed"``): :func:`~trustmodels.models.fixed.build_fixed_model`.

The JSON form (:meth:`ModelSpec.to_dict`) names the kind under ``"model"`` and is part of every
fit's cache key (:func:`trustmodels.inference.cache.model_fingerprint`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import ClassVar

from trustmodels.models.priors import (
    FixedPriors,
    MetricPriors,
    OrdinalPriors,
    SEMPriors,
    SmoothPriors,
)

__all__ = ["DeclaredSpec", "FixedSpec", "MetricSpec", "ModelSpec", "ModerationSpec",
           "ObservedCovariate", "OrdinalSpec", "SEMSpec", "model_spec"]

#: Attribute of a PyMC model, and key of a fit's ``attrs``, that holds the specification.
SPEC_ATTRIBUTE = "trustmodels_spec"


def _optional(default=None, **metadata):
    """Return a field left out of the JSON form while it holds ``None``."""
    return field(default=default, metadata={"optional": True, **metadata})


def _plain(value):
    """JSON-ready form: tuples as lists, dataclasses and mappings as dicts."""
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


def _frozen(value):
    """Hashable form of a JSON value: lists as tuples (recursively)."""
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, Mapping):
        return {str(key): _frozen(item) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class ObservedCovariate:
    """An observed ordinal covariate regressed on latent trust (the purchase-frequency model).

    Parameters
    ----------
    name : str
        Column of the covariate.
    n_categories : int
        Its answer categories.
    link : str
        Link of its cumulative model.
    slope_sd : float
        Prior SD of its slope on latent trust.
    n_answers : int
        Respondents who answered it.

    See Also
    --------
    trustmodels.analysis.purchase.build_trust_covariate_model : Adds it to the ordinal model.
    """

    name: str
    n_categories: int
    link: str
    slope_sd: float
    n_answers: int

    def to_dict(self) -> dict:
        """Return the JSON form."""
        return asdict(self)


class ModelSpec:
    """Base of the typed specifications: the JSON round trip and the gate's extra variables.

    Subclasses are frozen dataclasses with a class attribute ``kind`` (the model's name in the
    JSON form) and a ``derived`` field when the model has deterministic variables that the
    convergence gate checks besides the free ones.
    """

    #: The model's name in the JSON form.
    kind: str = ""
    #: Prior settings class of the ``priors`` field (for reading the JSON form back).
    priors_class: type | None = None
    #: Deterministic variables gated besides the free ones (a field in subclasses that have any).
    derived: tuple[str, ...] = ()
    #: Items of the model's answers, in item-index order (empty when it does not name them).
    items: tuple[str, ...] = ()
    #: The construct of each item (empty when the model does not record it).
    item_construct: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """Return the JSON form: ``{"model": kind, field: value, ...}`` in field order.

        Optional fields holding ``None`` are left out, so that the form of a model without
        them is unchanged.

        Examples
        --------
        >>> FixedSpec(effects=("a",), item_categories=(5,)).to_dict()["model"]
        'fixed'
        """
        form = {"model": self.kind}
        for spec_field in fields(self):
            value = getattr(self, spec_field.name)
            if value is None and spec_field.metadata.get("optional"):
                continue
            form[spec_field.metadata.get("key", spec_field.name)] = _plain(value)
        return form

    def to_json(self) -> str:
        """Return :meth:`to_dict` as a JSON string (the form stored in a fit's ``attrs``)."""
        return json.dumps(self.to_dict(), default=str)

    @staticmethod
    def from_dict(form: Mapping) -> ModelSpec:
        """Read a specification back from its JSON form.

        Parameters
        ----------
        form : mapping
            As written by :meth:`to_dict`.

        Returns
        -------
        ModelSpec
            An instance of the class whose ``kind`` is ``form["model"]``.

        Raises
        ------
        ValueError
            For an unknown model name, a missing field or an unknown key (one line).

        Examples
        --------
        >>> spec = FixedSpec(effects=("a",), item_categories=(5,))
        >>> ModelSpec.from_dict(spec.to_dict()) == spec
        True
        """
        kind = form.get("model")
        classes = {cls.kind: cls for cls in _SPEC_CLASSES}
        if kind not in classes:
            raise ValueError(f"the model specification names no known model: {kind!r} (expected "
                             f"one of {sorted(classes)})")
        cls = classes[kind]
        by_key = {spec_field.metadata.get("key", spec_field.name): spec_field
                  for spec_field in fields(cls)}
        unknown = sorted(set(form) - set(by_key) - {"model"})
        if unknown:
            raise ValueError(f"the {kind!r} model specification has unknown keys {unknown}")
        values = {}
        for key, spec_field in by_key.items():
            if key in form:
                values[spec_field.name] = _frozen(form[key])
            elif not spec_field.metadata.get("optional"):
                raise ValueError(f"the {kind!r} model specification has no {key!r}")
        priors = values.get("priors")
        try:
            if isinstance(priors, Mapping) and cls.priors_class is not None:
                values["priors"] = cls.priors_class(**priors)
            return cls(**cls._read_back(values))
        except TypeError as error:  # unknown or missing settings of the priors or a nested part
            raise ValueError(f"the {kind!r} model specification does not fit its model: "
                             f"{error}") from None

    @classmethod
    def _read_back(cls, values: dict) -> dict:
        """Turn JSON values of the fields into their types (subclasses with nested types)."""
        return values

    @staticmethod
    def from_json(text: str) -> ModelSpec:
        """Read a specification back from :meth:`to_json`'s string (one line when malformed)."""
        try:
            form = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"the model specification is not JSON ({error.msg}, column "
                             f"{error.colno})") from None
        if not isinstance(form, Mapping):
            raise ValueError("the model specification is not a JSON object")
        return ModelSpec.from_dict(form)


@dataclass(frozen=True)
class OrdinalSpec(ModelSpec):
    """The multilevel ordinal model of the simulated survey's design.

    Parameters
    ----------
    link : str
        ``"logit"`` or ``"probit"``.
    effects_by_construct : bool
        One effect vector per construct instead of one shared vector.
    disposition : bool
        Whether the model has the disposition-to-trust slope.
    items, constructs, item_construct : tuple of str
        Items, constructs, and the construct of each item.
    item_categories : tuple of int
        Answer categories of each item.
    effects : tuple of str
        Names of the design's effects (columns of the design matrix).
    parameterization : str
        Of the respondent terms (``"projected"``, ``"noncentered"``, ``"centered"``).
    derived : tuple of str
        Deterministic variables the gate checks besides the free ones.
    priors : OrdinalPriors
    observed_covariate : ObservedCovariate, optional
        An observed ordinal covariate of latent trust (JSON key ``covariate``).
    """

    kind: ClassVar[str] = "ordinal"
    priors_class: ClassVar[type] = OrdinalPriors

    link: str = "logit"
    effects_by_construct: bool = False
    disposition: bool = True
    items: tuple[str, ...] = ()
    constructs: tuple[str, ...] = ()
    item_construct: tuple[str, ...] = ()
    item_categories: tuple[int, ...] = ()
    effects: tuple[str, ...] = ()
    parameterization: str = "projected"
    derived: tuple[str, ...] = ()
    priors: OrdinalPriors = field(default_factory=OrdinalPriors)
    observed_covariate: ObservedCovariate | None = _optional(key="covariate")

    @classmethod
    def _read_back(cls, values: dict) -> dict:
        if isinstance(values.get("observed_covariate"), Mapping):
            values["observed_covariate"] = ObservedCovariate(**values["observed_covariate"])
        return values

    @property
    def effect_groups(self) -> tuple[str, ...]:
        """The constructs when effects differ by construct, else ``("all",)``."""
        return self.constructs if self.effects_by_construct else ("all",)


@dataclass(frozen=True)
class DeclaredSpec(ModelSpec):
    """The multilevel ordinal model of a declared design (any factors, moderators, vignettes).

    Parameters
    ----------
    link : str
        ``"logit"`` or ``"probit"``.
    factors : mapping of str to tuple of str
        Each factor's levels, the reference first.
    moderators : mapping of str to (str, float)
        Each numeric moderator's transform and centre.
    covariate : str or None
        The covariate construct or column.
    vignette : str or None
        The vignette column when respondents rate several vignettes.
    outcomes, items : tuple of str
        Outcome constructs and their items.
    item_categories : tuple of int
        Answer categories of each item.
    effects : tuple of str
        Columns of the design matrix.
    random_slopes : tuple of str, optional
        Effects with respondent-level random slopes (left out of the JSON form when none).
    slope_sd : float, optional
        Prior scale of the random slopes' SDs (with ``random_slopes`` only).
    parameterization : str, optional
        ``"projected"`` when the respondent intercepts were sampled split along the design
        columns (left out of the JSON form for the default non-centred form).
    effects_by_construct : bool, optional
        True when each outcome construct has its own effects (left out of the JSON form
        otherwise).
    derived : tuple of str
        Deterministic variables gated besides the free ones (the coefficients and thresholds
        of the projected form; empty otherwise).
    priors : OrdinalPriors
    groups : tuple of str, optional
        Grouping factors crossed with respondents, each with a random intercept (left out of
        the JSON form when none).
    group_sd : float, optional
        Prior scale of the grouping factors' SDs (with ``groups`` only).
    covariate_columns : tuple of str, optional
        Numeric columns the model adjusts for, z-scored, with slopes ``beta_columns`` (left out
        of the JSON form when none).
    """

    kind: ClassVar[str] = "declared design"
    priors_class: ClassVar[type] = OrdinalPriors

    link: str = "logit"
    factors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    moderators: Mapping[str, tuple[str, float]] = field(default_factory=dict)
    covariate: str | None = None
    vignette: str | None = None
    outcomes: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    item_categories: tuple[int, ...] = ()
    effects: tuple[str, ...] = ()
    random_slopes: tuple[str, ...] | None = _optional()
    slope_sd: float | None = _optional()
    parameterization: str | None = _optional()
    effects_by_construct: bool | None = _optional()
    derived: tuple[str, ...] = ()
    priors: OrdinalPriors = field(default_factory=OrdinalPriors)
    groups: tuple[str, ...] | None = _optional()
    group_sd: float | None = _optional()
    covariate_columns: tuple[str, ...] | None = _optional()

    def __post_init__(self):
        if (self.groups is None) != (self.group_sd is None):
            raise ValueError("DeclaredSpec: groups and group_sd go together")
        if (self.random_slopes is None) != (self.slope_sd is None):
            raise ValueError("DeclaredSpec: random_slopes and slope_sd go together")
        if self.parameterization not in (None, "projected"):
            raise ValueError(f"DeclaredSpec: unknown parameterization {self.parameterization!r}; "
                             "expected 'projected' or none")


@dataclass(frozen=True)
class ModerationSpec(ModelSpec):
    """The smooth (HSGP) moderation model of the fan count.

    Parameters
    ----------
    link : str
    disposition : bool
    items, effects : tuple of str
    priors : OrdinalPriors
    smooth : SmoothPriors
        Settings of the smooth curves.
    log10_fans_grid : tuple of float
        The grid the curves are evaluated on: log10 fan counts, or for a declared design the
        moderator's values on its transformed scale (before centring).
    derived : tuple of str
    factor, by, moderator : str, optional
        For a declared design: the factor whose effects are smooth curves, the factor whose
        levels get curves of their own (none: one curve per level of ``factor``) and the
        moderator the curves run along (all left out of the JSON form for the simulated
        survey's fixed design).
    factor_levels : tuple of str, optional
        The levels of ``factor``, the reference first.
    transform : str, optional
        The moderator's transform (``"none"`` or ``"log10"``).
    centre : float, optional
        The moderator's centre, in transformed units.
    covariate : str, optional
        The declared design's covariate (its slope is ``beta_cov``).
    """

    kind: ClassVar[str] = "moderation_hsgp"
    priors_class: ClassVar[type] = OrdinalPriors

    link: str = "logit"
    disposition: bool = True
    items: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()
    priors: OrdinalPriors = field(default_factory=OrdinalPriors)
    smooth: SmoothPriors = field(default_factory=SmoothPriors)
    log10_fans_grid: tuple[float, ...] = ()
    derived: tuple[str, ...] = ()
    factor: str | None = _optional()
    factor_levels: tuple[str, ...] | None = _optional()
    by: str | None = _optional()
    moderator: str | None = _optional()
    transform: str | None = _optional()
    centre: float | None = _optional()
    covariate: str | None = _optional()

    @property
    def declared(self) -> bool:
        """True for the model of a declared design (``factor`` is set)."""
        return self.factor is not None

    @classmethod
    def _read_back(cls, values: dict) -> dict:
        if isinstance(values.get("smooth"), Mapping):
            values["smooth"] = SmoothPriors(**values["smooth"])
        return values


@dataclass(frozen=True)
class MetricSpec(ModelSpec):
    """The metric comparison model (normal or discretized normal).

    Parameters
    ----------
    level : str
        ``"item"`` or ``"respondent_mean"``.
    likelihood : str
        ``"normal"`` or ``"discretized"``.
    items, constructs, item_construct : tuple of str
    item_categories : tuple of int
    effects : tuple of str
    disposition : bool
    parameterization : str
        Of the respondent terms, ``"none"`` without them.
    derived : tuple of str
    priors : MetricPriors
    """

    kind: ClassVar[str] = "metric"
    priors_class: ClassVar[type] = MetricPriors

    level: str = "item"
    likelihood: str = "normal"
    items: tuple[str, ...] = ()
    constructs: tuple[str, ...] = ()
    item_construct: tuple[str, ...] = ()
    item_categories: tuple[int, ...] = ()
    effects: tuple[str, ...] = ()
    disposition: bool = True
    parameterization: str = "projected"
    derived: tuple[str, ...] = ()
    priors: MetricPriors = field(default_factory=MetricPriors)


@dataclass(frozen=True)
class SEMSpec(ModelSpec):
    """The ordinal structural equation model of the real survey.

    Parameters
    ----------
    parameterization : str
    paths : tuple of (str, str)
        Structural paths, cause first.
    equal_two_item_loadings : bool
    derived : tuple of str
    priors : SEMPriors
    """

    kind: ClassVar[str] = "sem"
    priors_class: ClassVar[type] = SEMPriors

    parameterization: str = "centered"
    paths: tuple[tuple[str, str], ...] = ()
    equal_two_item_loadings: bool = True
    derived: tuple[str, ...] = ()
    priors: SEMPriors = field(default_factory=SEMPriors)


@dataclass(frozen=True)
class FixedSpec(ModelSpec):
    """The single-item fixed-effects ordinal model.

    Parameters
    ----------
    link : str
    effects : tuple of str
    items : tuple of str
        Always ``("outcome",)``.
    item_categories : tuple of int
    priors : FixedPriors
    """

    kind: ClassVar[str] = "fixed"
    priors_class: ClassVar[type] = FixedPriors

    link: str = "logit"
    effects: tuple[str, ...] = ()
    items: tuple[str, ...] = ("outcome",)
    item_categories: tuple[int, ...] = ()
    priors: FixedPriors = field(default_factory=FixedPriors)


_SPEC_CLASSES = (OrdinalSpec, DeclaredSpec, ModerationSpec, MetricSpec, SEMSpec, FixedSpec)


def model_spec(source, expected: type[ModelSpec] | tuple[type[ModelSpec], ...] | None = None,
               requirement: str | None = None) -> ModelSpec:
    """Return the typed specification of a model or of a fit.

    Parameters
    ----------
    source : pymc.Model, xarray.DataTree, arviz.InferenceData or ModelSpec
        A model built by a builder of this package, or a fit of one
        (:func:`trustmodels.inference.sampling.fit` stores the specification in its ``attrs``).
    expected : ModelSpec subclass or tuple of them, optional
        The specification classes the caller can use.
    requirement : str, optional
        The start of the error for another model, e.g. ``"effects need an ordinal model fit"``.

    Returns
    -------
    ModelSpec

    Raises
    ------
    ValueError
        When ``source`` carries no specification, or one of another model (one line).

    Examples
    --------
    >>> import json, xarray as xr
    >>> fit = xr.DataTree()
    >>> fit.attrs["trustmodels_spec"] = FixedSpec(effects=("a",), item_categories=(5,)).to_json()
    >>> model_spec(fit).item_categories
    (5,)
    >>> model_spec(fit, OrdinalSpec, "effects need an ordinal model fit")
    Traceback (most recent call last):
    ...
    ValueError: effects need an ordinal model fit, got 'fixed'
    """
    if isinstance(source, ModelSpec):
        spec = source
    else:
        attrs = getattr(source, "attrs", None)  # a fit; a PyMC model has the attribute itself
        raw = (attrs.get(SPEC_ATTRIBUTE) if isinstance(attrs, Mapping)
               else getattr(source, SPEC_ATTRIBUTE, None))
        if raw is None:
            raise ValueError("the fit carries no trustmodels_spec; fit a trustmodels model with "
                             "trustmodels.inference.sampling.fit")
        if isinstance(raw, ModelSpec):
            spec = raw
        elif isinstance(raw, str):
            spec = ModelSpec.from_json(raw)
        else:
            spec = ModelSpec.from_dict(raw)
    if expected is not None and not isinstance(spec, expected):
        wanted = expected if isinstance(expected, tuple) else (expected,)
        start = requirement or f"expected a {' or '.join(repr(c.kind) for c in wanted)} model"
        raise ValueError(f"{start}, got {spec.kind!r}")
    return spec

