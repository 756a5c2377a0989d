"""What a design analysis computes: scenarios, hypotheses, design variants and the task grid.

A **scenario** is a set of true effects (a design prior): fixed values, and optionally effects
drawn anew for every simulated study from a normal distribution (a meta-analytic predictive
distribution: the pooled effect and the between-study SD). A **hypothesis** is a linear
combination of the effects with what the study hopes to show: a positive or a negative effect
(the 95% HDI entirely outside the ROPE on that side) or a practically nil one (the HDI entirely
inside the ROPE), the decision rule of :mod:`trustmodels.analysis.effects`. A **design variant**
says how many vignettes each respondent rates. A :class:`PlanSpec` holds one declared design and
all of these, plus the grid: blocks of (scenarios, variants, respondents per cell, replicates).
It is written to and read from JSON, so that a plan is a file a researcher edits.

Every task (scenario, variant, respondents per cell, replicate) has a seed derived from those
four values and the plan's seed alone, so results do not depend on the order in which tasks run
or on how many workers run them.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from scipy import stats

from trustmodels.design import Moderator, StudyDesign, effect_names

__all__ = [
    "DESIGN_DECISIONS",
    "DesignVariant",
    "Hypothesis",
    "PlanBlock",
    "PlanSpec",
    "Scenario",
    "Task",
    "code_key",
    "normal_decision",
]

#: Outcomes of a hypothesis in one simulated study.
DESIGN_DECISIONS = ("supported", "opposite", "practically nil", "different", "undecided")


def normal_decision(mean: float, sd: float, *, rope: float, hdi_prob: float = 0.95) -> dict:
    """Apply the HDI+ROPE rule to a normal posterior.

    Parameters
    ----------
    mean, sd : float
        Posterior mean and SD of the contrast.
    rope : float
        Half-width of the region of practical equivalence.
    hdi_prob : float
        HDI mass (the HDI of a normal distribution is its central interval).

    Returns
    -------
    dict
        ``hdi_low``, ``hdi_high`` and ``decision`` ("different from zero", "practically
        equivalent" or "undecided", the words of
        :func:`trustmodels.analysis.effects.summarize_draws`).

    Examples
    --------
    >>> normal_decision(0.5, 0.1, rope=0.1)["decision"]
    'different from zero'
    >>> normal_decision(0.0, 0.02, rope=0.1)["decision"]
    'practically equivalent'
    """
    from trustmodels.analysis.decisions import rope_decision

    half = float(stats.norm.ppf(0.5 + hdi_prob / 2)) * sd
    low, high = mean - half, mean + half
    return {"hdi_low": low, "hdi_high": high, "decision": rope_decision(low, high, (-rope, rope))}


@dataclass(frozen=True)
class Scenario:
    """True effects of a simulated study (a design prior).

    Parameters
    ----------
    name : str
        Short name (used in file names and tables).
    label : str
        What the scenario says, for tables and figures.
    effects : mapping of str to float
        True value of effects (missing ones are 0).
    uncertain : mapping of str to (float, float)
        Effects drawn for every simulated study from Normal(mean, SD) instead (a meta-analytic
        predictive distribution).
    sources : str
        Where the values come from; which ones are assumptions.

    Examples
    --------
    >>> scenario = Scenario("s", "a", {"x": 0.2}, uncertain={"y": (0.5, 0.1)})
    >>> sorted(scenario.draw(np.random.default_rng(1)))
    ['x', 'y']
    """

    name: str
    label: str
    effects: Mapping[str, float]
    uncertain: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    sources: str = ""

    def __post_init__(self):
        object.__setattr__(self, "effects", {k: float(v) for k, v in self.effects.items()})
        object.__setattr__(self, "uncertain", {k: (float(m), float(s))
                                               for k, (m, s) in self.uncertain.items()})
        for name, (_, sd) in self.uncertain.items():
            if not sd >= 0:
                raise ValueError(f"scenario {self.name!r}: the SD of {name!r} must be >= 0")

    def draw(self, rng: np.random.Generator) -> dict[str, float]:
        """Return one study's true effects (the uncertain ones drawn with ``rng``)."""
        effects = dict(self.effects)
        for name, (mean, sd) in self.uncertain.items():
            effects[name] = float(rng.normal(mean, sd))
        return effects


@dataclass(frozen=True)
class Hypothesis:
    """A claim a study should decide: a linear combination of effects and its expected sign.

    Parameters
    ----------
    name : str
        Short name (``"H1"``).
    label : str
        The claim in words.
    weights : mapping of str to float
        Effect name to weight.
    expect : {"positive", "negative", "nil"}
        What supports the claim: the HDI entirely above the ROPE, entirely below it, or
        entirely inside it.

    Examples
    --------
    >>> h = Hypothesis("H1", "apology beats denial", {"a": 1, "d": -1}, "positive")
    >>> h.outcome("different from zero", 0.4), h.outcome("different from zero", -0.4)
    ('supported', 'opposite')
    >>> h.value({"a": 0.5, "d": 0.1})
    0.4
    """

    name: str
    label: str
    weights: Mapping[str, float]
    expect: str = "positive"

    def __post_init__(self):
        object.__setattr__(self, "weights", {k: float(v) for k, v in self.weights.items()})
        if self.expect not in ("positive", "negative", "nil"):
            raise ValueError(f"hypothesis {self.name!r}: expect must be 'positive', 'negative' "
                             f"or 'nil', got {self.expect!r}")

    def value(self, effects: Mapping[str, float]) -> float:
        """Return the hypothesis' contrast under the given effects."""
        return round(sum(w * effects.get(k, 0.0) for k, w in self.weights.items()), 12)

    def outcome(self, decision: str, mean: float) -> str:
        """Map an HDI+ROPE decision to the hypothesis' outcome (see :data:`DESIGN_DECISIONS`)."""
        if decision == "undecided":
            return "undecided"
        if self.expect == "nil":
            return "supported" if decision == "practically equivalent" else "different"
        if decision == "practically equivalent":
            return "practically nil"
        positive = mean > 0
        return "supported" if positive == (self.expect == "positive") else "opposite"


@dataclass(frozen=True)
class DesignVariant:
    """How a study is run: vignettes per respondent and the answer format.

    Parameters
    ----------
    name : str
        Short name (``"between"``).
    label : str
        Description.
    vignettes : int
        Vignettes each respondent rates (1: between respondents; more: the factors and
        moderators vary within respondents too).
    """

    name: str
    label: str
    vignettes: int = 1

    def __post_init__(self):
        if int(self.vignettes) < 1:
            raise ValueError(f"design variant {self.name!r}: vignettes must be >= 1")


@dataclass(frozen=True)
class PlanBlock:
    """Part of a grid: every combination of its scenarios, variants and sizes, replicated."""

    scenarios: Sequence[str]
    variants: Sequence[str]
    n_per_cell: Sequence[int]
    replicates: int

    def __post_init__(self):
        for name in ("scenarios", "variants", "n_per_cell"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.replicates < 1 or any(int(n) < 1 for n in self.n_per_cell):
            raise ValueError("a plan block needs replicates >= 1 and sizes >= 1")


@dataclass(frozen=True)
class Task:
    """One simulated study: what to simulate, how large, and its seed."""

    scenario: str
    variant: str
    n_per_cell: int
    replicate: int
    seed: int

    @property
    def key(self) -> str:
        """A file-name-safe identifier."""
        return f"{self.scenario}__{self.variant}__n{self.n_per_cell}__r{self.replicate:04d}"


#: Modules whose code decides a task's result (simulation, model, fitter, decisions).
RESULT_MODULES = ("trustmodels.design", "trustmodels.analysis.decisions",
                  "trustmodels.models.declared",
                  "trustmodels.models.ordinal", "trustmodels.models.likelihood",
                  "trustmodels.models.cutpoints", "trustmodels.models.priors",
                  "trustmodels.planning.laplace", "trustmodels.planning.study",
                  "trustmodels.planning.spec")


def code_key() -> str:
    """Return a hash of the code that decides a task's result, docstrings and comments left out.

    Editing prose does not invalidate stored results; editing the simulator, the model, the
    fitter or the decision rule does.
    """
    import ast
    import importlib.util

    digest = hashlib.sha256()
    for name in RESULT_MODULES:
        tree = ast.parse(Path(importlib.util.find_spec(name).origin).read_text("utf-8"))
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                    and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                node.body = body[1:] or [ast.Pass()]
        digest.update(name.encode() + ast.dump(tree).encode())
    return digest.hexdigest()[:16]


def _stable_int(*parts) -> int:
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little")


@dataclass(frozen=True)
class PlanSpec:
    """A design analysis: a declared design, what to simulate and the grid.

    Parameters
    ----------
    design : StudyDesign
        The study's design (its vignette column is used by the within variants).
    items : mapping of str to sequence of str
        Items of each outcome construct.
    scenarios, hypotheses, variants : sequence
        :class:`Scenario`, :class:`Hypothesis` and :class:`DesignVariant` objects.
    blocks : sequence of PlanBlock
        The grid.
    n_categories : int
        Answer categories of every item.
    discrimination : float
        Item discrimination of the simulated answers.
    rope : float
        ROPE half-width (latent SD).
    hdi_prob : float
        HDI mass.
    seed : int
        Seed of the whole plan.
    """

    design: StudyDesign
    items: Mapping[str, Sequence[str]]
    scenarios: Sequence[Scenario]
    hypotheses: Sequence[Hypothesis]
    variants: Sequence[DesignVariant]
    blocks: Sequence[PlanBlock]
    n_categories: int = 7
    discrimination: float = 1.5
    rope: float = 0.1
    hdi_prob: float = 0.95
    seed: int = 2026

    def __post_init__(self):
        for name in ("scenarios", "hypotheses", "variants", "blocks"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "items", {k: tuple(v) for k, v in self.items.items()})
        known = set(effect_names(self.design))
        for scenario in self.scenarios:
            unknown = sorted({*scenario.effects, *scenario.uncertain} - known)
            if unknown:
                raise ValueError(f"scenario {scenario.name!r} names effects {unknown} that the "
                                 f"design does not have; expected some of {sorted(known)}")
        for hypothesis in self.hypotheses:
            unknown = sorted(set(hypothesis.weights) - known)
            if unknown:
                raise ValueError(f"hypothesis {hypothesis.name!r} names effects {unknown} that "
                                 f"the design does not have; expected some of {sorted(known)}")
        names = {"scenario": [s.name for s in self.scenarios],
                 "variant": [v.name for v in self.variants]}
        for kind, values in names.items():
            if len(set(values)) != len(values):
                raise ValueError(f"two {kind}s share a name: {values}")
        for block in self.blocks:
            for kind, wanted in (("scenario", block.scenarios), ("variant", block.variants)):
                missing = sorted(set(wanted) - set(names[kind]))
                if missing:
                    raise ValueError(f"a plan block names the unknown {kind}(s) {missing}; "
                                     f"expected some of {names[kind]}")
        if any(v.vignettes > 1 for v in self.variants) and not self.design.vignette:
            raise ValueError("a variant with several vignettes needs a vignette column in the "
                             "design")
        if not self.rope > 0:
            raise ValueError(f"rope must be positive, got {self.rope!r}")

    @property
    def n_cells(self) -> int:
        """Cells of the factorial design (1 without factors)."""
        return int(np.prod([len(levels) for levels in self.design.factors.values()]))

    def scenario(self, name: str) -> Scenario:
        """Return the scenario called ``name``."""
        return {s.name: s for s in self.scenarios}[name]

    def variant(self, name: str) -> DesignVariant:
        """Return the design variant called ``name``."""
        return {v.name: v for v in self.variants}[name]

    def n_respondents(self, variant: str, n_per_cell: int) -> int:
        """Return the respondents of a study: ``n_per_cell`` times the cells.

        The same for every variant: designs are compared at the same number of people recruited.
        """
        return int(n_per_cell) * self.n_cells

    def tasks(self) -> list[Task]:
        """Return every task of the grid, each with its own seed (duplicates removed)."""
        seen, tasks = set(), []
        for block in self.blocks:
            for scenario, variant, n, replicate in itertools.product(
                    block.scenarios, block.variants, block.n_per_cell, range(block.replicates)):
                identity = (scenario, variant, int(n), replicate)
                if identity in seen:
                    continue
                seen.add(identity)
                tasks.append(Task(*identity, seed=_stable_int(self.seed, *identity)))
        return tasks

    # ---- JSON ----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Return the plan as plain data (see :meth:`from_dict`)."""
        design = self.design
        return {
            "design": {"factors": {k: list(v) for k, v in design.factors.items()},
                       "moderators": {k: {"transform": m.transform, "centre": m.centre,
                                          "simulate_range": list(m.simulate_range)}
                                      for k, m in design.moderators.items()},
                       "outcomes": list(design.outcomes), "vignette": design.vignette},
            "items": {k: list(v) for k, v in self.items.items()},
            "n_categories": self.n_categories, "discrimination": self.discrimination,
            "rope": self.rope, "hdi_prob": self.hdi_prob, "seed": self.seed,
            "scenarios": [{"name": s.name, "label": s.label, "effects": dict(s.effects),
                           "uncertain": {k: list(v) for k, v in s.uncertain.items()},
                           "sources": s.sources} for s in self.scenarios],
            "hypotheses": [{"name": h.name, "label": h.label, "weights": dict(h.weights),
                            "expect": h.expect} for h in self.hypotheses],
            "variants": [asdict(v) for v in self.variants],
            "blocks": [{"scenarios": list(b.scenarios), "variants": list(b.variants),
                        "n_per_cell": [int(n) for n in b.n_per_cell],
                        "replicates": int(b.replicates)} for b in self.blocks],
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> PlanSpec:
        """Build a plan from :meth:`to_dict`'s plain data."""
        design = data["design"]
        moderators = {k: Moderator(m["transform"], m.get("centre", 0.0),
                                   tuple(m.get("simulate_range", (-1.0, 1.0))))
                      for k, m in design.get("moderators", {}).items()}
        return cls(
            design=StudyDesign(design["factors"], outcomes=design["outcomes"],
                               moderators=moderators, vignette=design.get("vignette")),
            items=data["items"],
            scenarios=[Scenario(s["name"], s.get("label", s["name"]), s.get("effects", {}),
                                {k: tuple(v) for k, v in s.get("uncertain", {}).items()},
                                s.get("sources", "")) for s in data["scenarios"]],
            hypotheses=[Hypothesis(h["name"], h.get("label", h["name"]), h["weights"],
                                   h.get("expect", "positive")) for h in data["hypotheses"]],
            variants=[DesignVariant(v["name"], v.get("label", v["name"]), v.get("vignettes", 1))
                      for v in data["variants"]],
            blocks=[PlanBlock(b["scenarios"], b["variants"], b["n_per_cell"], b["replicates"])
                    for b in data["blocks"]],
            n_categories=int(data.get("n_categories", 7)),
            discrimination=float(data.get("discrimination", 1.5)),
            rope=float(data.get("rope", 0.1)), hdi_prob=float(data.get("hdi_prob", 0.95)),
            seed=int(data.get("seed", 2026)))

    def to_json(self) -> str:
        """Return the plan as JSON text."""
        return json.dumps(self.to_dict(), indent=1) + "\n"

    @classmethod
    def from_json(cls, path) -> PlanSpec:
        """Read a plan from a JSON file.

        Raises ValueError with one line naming the file and the problem if it is not a plan.
        """
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls.from_dict(data)
        except FileNotFoundError:
            raise ValueError(f"{path}: no such plan file") from None
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: not JSON ({error.msg}, line {error.lineno})") from None
        except KeyError as error:
            raise ValueError(f"{path}: the plan lacks the key {error.args[0]!r}") from None
        except (TypeError, ValueError, AttributeError) as error:
            raise ValueError(f"{path}: {error}") from None

    def settings_key(self) -> str:
        """Return a hash of everything that decides one task's result.

        The plan without its grid, the package version and :func:`code_key`; a task stored
        under another key is recomputed.
        """
        from trustmodels._version import __version__

        settings = {k: v for k, v in self.to_dict().items() if k != "blocks"}
        text = json.dumps({"plan": settings, "version": __version__, "code": code_key()},
                          sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def key(self) -> str:
        """Return a hash of the whole plan, grid included, the package version and the code."""
        from trustmodels._version import __version__

        text = json.dumps({"plan": self.to_dict(), "version": __version__, "code": code_key()},
                          sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]
