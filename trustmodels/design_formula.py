r"""A study's design stated as a model formula, read against its codebook.

``seller_response * violation * log10(fan_count) + disposition`` says what
:class:`~trustmodels.design.StudyDesign` declares: the factors (variables whose codebook field
has categories; the first category is the reference), the numeric moderators (``log10(x)`` for
a moderator on the log10 scale, ``x`` on its own scale) and their interactions, a covariate
(a construct of the codebook, added on its own), covariate columns (numeric columns added on
their own, such as ``+ age``: adjustments without interactions), and random intercepts of
grouping factors crossed with respondents (``(1|profile)``; ``(1|<id>)``, the respondents'
own, is in every model anyway). The formula is parsed with ``formulae``, the
formula library of bambi, so it follows the Wilkinson-Rogers notation used by R, brms and
bambi: ``a * b`` is ``a + b + a:b``, ``a:b`` an interaction alone.

The models of :mod:`trustmodels.models.declared` contain every interaction of the design's
factors and moderators, so a formula must state the full crossing of its design variables
(``a * b * log10(m)``); a formula with some interactions left out is refused with the term it
lacks. A numeric column without a transform that appears only on its own, beside other design
variables, is a covariate column unless the codebook declares it a moderator (or ``centres``
gives its centre); one the codebook lists in ``covariate_columns`` must appear on its own.
The intercept is absorbed by the item thresholds, so ``1 +`` and ``0 +`` make no difference.
The left-hand side, when given, names the outcome construct.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path

from trustmodels.design import Moderator, StudyDesign

__all__ = ["design_from_formula"]

#: Calls a formula may use on a moderator: its transform.
_TRANSFORMS = {"log10": "log10", "np.log10": "log10"}


def _variable_of(component, formula: str) -> tuple[str, str | None]:
    """Return the column a term component names and its transform (None for a plain name)."""
    from formulae.terms.call import Call

    if not isinstance(component, Call):
        return component.name, None
    call = component.call
    names = [name for name in component.var_names if name]
    if call.callee == "C" and len(names) == 1:
        return names[0], "categorical"
    if call.callee not in _TRANSFORMS or len(call.args) != 1 or len(names) != 1:
        raise ValueError(f"formula {formula!r}: {component.name} is not a design term; use a "
                         "column name, log10(column) for a moderator on the log10 scale, or "
                         "C(column) for a factor")
    return names[0], _TRANSFORMS[call.callee]


def design_from_formula(formula: str, codebook, *, outcomes: Sequence[str] | None = None,
                        centres: Mapping[str, float] | None = None) -> StudyDesign:
    r"""Return the declared design that a model formula states, read against a codebook.

    Parameters
    ----------
    formula : str
        Fixed effects in Wilkinson-Rogers notation, e.g.
        ``"seller_response * violation * log10(fan_count) + disposition"``, optionally with
        one outcome construct on the left (``"competence ~ ..."``) and random intercepts of
        grouping factors (``"+ (1|profile)"``).
    codebook : trustmodels.survey.codebook.Codebook
        The survey's codebook: factors are fields with categories (the first is the
        reference), the covariate is one of its constructs, and the vignette column, the
        outcomes and the moderators' centres are read from its ``trustmodels`` section.
    outcomes : sequence of str, optional
        Outcome constructs (default: the left-hand side, else the codebook's outcomes).
    centres : mapping of str to float, optional
        Centre of each moderator on its transformed scale (e.g. ``{"fan_count": 4.0}`` for
        10,000 followers), for moderators whose centre the codebook does not declare.

    Returns
    -------
    StudyDesign
        The design the formula states, with the codebook's vignette column.

    Raises
    ------
    ValueError
        One line naming the codebook's file and the problem: a formula that does not parse, a
        name the codebook does not have, a factor without categories, a moderator without a
        centre or with another transform than the codebook declares, a covariate or covariate
        column in an interaction, a second covariate, a group-specific term other than a random
        intercept, or a missing interaction.

    See Also
    --------
    trustmodels.design.StudyDesign.from_codebook : The design the codebook's ``trustmodels``
        section declares.
    build_design_model : The model of a declared design.

    Notes
    -----
    With design variables :math:`V` (factors and moderators) the models contain one effect per
    non-reference level combination of every non-empty subset of :math:`V` (main effects and
    all interactions), so the formula's terms, apart from the covariates, must be exactly the
    :math:`2^{|V|} - 1` subsets of :math:`V`, which ``v_1 * v_2 * ... * v_k`` states.

    Examples
    --------
    >>> from trustmodels.datasets.simulated import load_simulated_survey
    >>> codebook = load_simulated_survey().codebook
    >>> design = design_from_formula(
    ...     "seller_response * violation * log10(fan_count) + disposition", codebook)
    >>> design == StudyDesign.from_codebook(codebook)
    True
    >>> design_from_formula("seller_response + violation", codebook)
    Traceback (most recent call last):
    ...
    ValueError: datapackage.json: formula 'seller_response + violation': the models contain every interaction of the design's factors and moderators, and the formula lacks seller_response:violation; write seller_response * violation
    """  # noqa: E501
    try:
        return _design_from_formula(formula, codebook, outcomes, centres)
    except ValueError as error:  # name the codebook the formula was read against
        raise ValueError(f"{Path(str(codebook.source)).name}: {error}") from None


def _design_from_formula(formula: str, codebook, outcomes, centres) -> StudyDesign:
    """:func:`design_from_formula` without the codebook's name in its errors."""
    import formulae
    from formulae.parser import ParseError
    from formulae.scanner import ScanError

    try:
        model = formulae.model_description(formula)
    except (ParseError, ScanError, ValueError) as error:
        raise ValueError(f"formula {formula!r} does not parse: {error}") from None
    centres = dict(centres or {})
    fields = set(codebook.field_names)
    groups = []
    for term in model.group_terms:
        grouping = [component.name for component in term.factor.components]
        if type(term.expr).__name__ != "Intercept" or len(grouping) != 1:
            raise ValueError(f"formula {formula!r}: only random intercepts of one grouping "
                             "column, (1|group), are design terms; for respondent-level random "
                             "slopes use build_design_model(..., random_slopes=True)")
        if grouping[0] == codebook.id:
            continue  # every model has the respondents' intercepts
        if grouping[0] not in fields:
            raise ValueError(f"formula {formula!r}: the grouping column {grouping[0]!r} is not "
                             "a column of the codebook")
        groups.append(grouping[0])
    terms = []  # each a tuple of (column, transform) in formula order
    for term in model.common_terms:
        if not hasattr(term, "components"):
            continue  # the intercept: the item thresholds absorb it
        terms.append(tuple(_variable_of(c, formula) for c in term.components))
    covariate = None
    design_terms = []
    for term in terms:
        names = [name for name, _ in term]
        covariate_names = [name for name in names if name in codebook.constructs]
        if covariate_names:
            if len(term) > 1:
                raise ValueError(f"formula {formula!r}: the covariate {covariate_names[0]!r} "
                                 "may only be added on its own, not in an interaction")
            if covariate is not None:
                raise ValueError(f"formula {formula!r}: two covariates ({covariate!r}, "
                                 f"{names[0]!r}); a design has at most one")
            covariate = names[0]
            continue
        unknown = [name for name in names if name not in fields]
        if unknown:
            raise ValueError(f"formula {formula!r}: {unknown[0]!r} is neither a column nor a "
                             "construct of the codebook")
        design_terms.append(term)
    variables: dict[str, str | None] = {}
    for term in design_terms:
        for name, transform in term:
            if variables.setdefault(name, transform) != transform:
                raise ValueError(f"formula {formula!r}: {name!r} appears with two transforms")
    covariate_columns = _covariate_columns(formula, codebook, design_terms, variables,
                                           set(centres))
    design_terms = [term for term in design_terms if term[0][0] not in covariate_columns]
    variables = {name: transform for name, transform in variables.items()
                 if name not in covariate_columns}
    factors, moderators = {}, {}
    for name, transform in variables.items():
        categories = codebook.field(name).categories
        if transform in (None, "categorical") and categories:
            factors[name] = [str(level) for level in categories]
        elif transform == "categorical":
            raise ValueError(f"formula {formula!r}: C({name}) needs categories in the "
                             f"codebook's field {name!r} (its levels, the reference first)")
        else:
            kind = transform or "none"
            declared = codebook.moderators.get(name)
            if declared is not None and declared[0] != kind:
                raise ValueError(f"formula {formula!r}: the codebook declares {name!r} on the "
                                 f"{declared[0]!r} scale, the formula on the {kind!r} scale")
            centre = centres.get(name, declared[1] if declared is not None else None)
            if centre is None:
                raise ValueError(f"formula {formula!r}: the moderator {name!r} has no centre; "
                                 f"declare it in the codebook or pass centres={{{name!r}: ...}} "
                                 "(on its transformed scale)")
            moderators[name] = Moderator(kind, float(centre))
    stated = {frozenset(name for name, _ in term) for term in design_terms}
    order = list(variables)
    for size in range(1, len(order) + 1):
        for subset in itertools.combinations(order, size):
            if frozenset(subset) not in stated:
                shown = [f"log10({n})" if variables[n] == "log10" else n for n in order]
                raise ValueError(
                    f"formula {formula!r}: the models contain every interaction of the design's "
                    f"factors and moderators, and the formula lacks {':'.join(subset)}; write "
                    + " * ".join(shown))
    if outcomes is None and model.response is not None:
        outcomes = [model.response.term.name]
    outcomes = list(outcomes if outcomes is not None else codebook.outcomes)
    missing = [name for name in outcomes if name not in codebook.constructs]
    if missing:
        raise ValueError(f"formula {formula!r}: the outcome {missing[0]!r} is not a construct "
                         "of the codebook")
    return StudyDesign(factors=factors, outcomes=outcomes, moderators=moderators,
                       covariate=covariate, vignette=codebook.vignette, groups=groups,
                       covariate_columns=covariate_columns)


def _covariate_columns(formula: str, codebook, design_terms, variables,
                       centred: set[str]) -> list[str]:
    """Return the formula's covariate columns: numeric columns added on their own."""
    in_interaction = {name for term in design_terms if len(term) > 1 for name, _ in term}
    declared = [name for name in variables if name in codebook.covariate_columns]
    for name in declared:
        if name in in_interaction or variables[name] is not None:
            raise ValueError(f"formula {formula!r}: the codebook declares {name!r} a covariate "
                             "column, which may only be added on its own, without a transform")
    candidates = [name for name, transform in variables.items()
                  if transform is None and name not in in_interaction
                  and not codebook.field(name).categories
                  and name not in codebook.moderators and name not in centred]
    if len(candidates) == len(variables) and not declared:
        return []  # nothing else in the design: a numeric column alone is a moderator
    return list(dict.fromkeys([*declared, *candidates]))
