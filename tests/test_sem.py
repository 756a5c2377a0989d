"""The ordinal structural equation model: data, building, effects, simulation, recovery."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import stats

from trustmodels.datasets.realdata import CONSTRUCTS, ITEM_CATEGORIES
from trustmodels.models.likelihood import category_probabilities
from trustmodels.models.sem import (
    FULL_PATHS,
    LATENTS,
    NO_PRIVACY_PATHS,
    SEMInputError,
    SEMParameters,
    build_sem,
    fit_semopy,
    interval_table,
    path_name,
    predictive_frequencies,
    sem_data,
    simulate_sem,
)

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

#: True values for simulations, of the size the real data suggest (standardized paths about
#: -0.15 .. 0.55); thresholds are locations on the latent scale.
TRUTH = SEMParameters(
    latents=LATENTS,
    paths={("privacy_concern", "trust"): -0.15, ("privacy_concern", "risk"): 0.45,
           ("trust", "risk"): -0.35, ("privacy_concern", "intention"): -0.05,
           ("trust", "intention"): 0.8, ("risk", "intention"): -0.3},
    constructs=CONSTRUCTS,
    # the model gives the two items of a two-item construct one loading (trust, intention)
    loadings={"privcon1": 3.0, "privcon2": 2.6, "privcon3": 1.7, "privcon4": 2.8,
              "trust1": 3.2, "trust2": 3.2, "risk1": 2.2, "risk2": 2.0, "risk3": 2.4,
              "intent1": 2.6, "intent2": 2.6},
    thresholds={item: tuple(np.linspace(-1.6, 1.2, k - 1) + 0.1 * j)
                for j, (item, k) in enumerate(ITEM_CATEGORIES.items())},
)


@pytest.fixture(scope="module")
def small_long():
    return simulate_sem(TRUTH, n_respondents=60, seed=3)


def test_sem_data_orders_items_by_construct_and_indexes_answers(small_long):
    shuffled = small_long.sample(frac=1.0, random_state=1)
    shuffled["item"] = pd.Categorical(shuffled["item"], categories=list(ITEM_CATEGORIES))
    data = sem_data(shuffled)
    assert data.latents == LATENTS
    assert data.items == tuple(ITEM_CATEGORIES)
    assert data.item_categories == tuple(ITEM_CATEGORIES.values())
    assert data.n_respondents == 60
    rebuilt = pd.DataFrame({"respondent": np.asarray(data.respondents)[data.respondent_index],
                            "item": np.asarray(data.items)[data.item_index],
                            "response": data.response})
    merged = rebuilt.merge(shuffled.astype({"item": str}), on=["respondent", "item"],
                           suffixes=("", "_in"))
    assert len(merged) == len(shuffled)
    assert (merged["response"] == merged["response_in"]).all()


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.drop(columns="n_categories"), "columns n_categories missing"),
    (lambda d: d.assign(response=d["response"].where(d.index != 5, 9)),
     r"column 'response', row 5 \(item \w+\): 9 outside 1\.\.\d"),
    (lambda d: d.assign(response=d["response"].astype(float).where(d.index != 2, 2.5)),
     "column 'response', row 2: .*not a whole number"),
    (lambda d: d.assign(construct=d["construct"].replace("risk", "riskk")),
     "riskk not among the model's latents"),
    (lambda d: d[d["construct"] != "risk"], "construct 'risk' has no items"),
])
def test_sem_data_rejects_bad_input_with_one_line(small_long, change, message):
    with pytest.raises(SEMInputError, match=message) as error:
        sem_data(change(small_long.reset_index(drop=True)))
    assert "\n" not in str(error.value)


def test_build_sem_coords_and_dims(small_long):
    model = build_sem(small_long)
    dims = model.named_vars_to_dims
    assert dims["paths"] == ("path",)
    assert model.coords["path"] == tuple(path_name(p, o) for p, o in FULL_PATHS)
    assert dims["scores"] == ("respondent", "latent")
    assert len(model.coords["respondent"]) == 60
    assert dims["thresholds_k5"] == ("item_k5", "cut_k5")
    assert model.coords["item_k5"] == CONSTRUCTS["privacy_concern"]
    assert len(model.coords["cut_k7"]) == 6
    assert model.coords["effect"] == ("direct", "via trust", "via risk", "via trust and risk",
                                      "total")
    assert dims["response"] == ("answer",)
    # two-item constructs share one standardized loading; the others have one per item
    assert model.coords["loading"] == (*CONSTRUCTS["privacy_concern"], "trust",
                                       *CONSTRUCTS["risk"], "intention")
    assert dims["loadings_std"] == ("item",)
    free = build_sem(small_long, equal_two_item_loadings=False)
    assert free.coords["loading"] == tuple(ITEM_CATEGORIES)
    reduced = build_sem(small_long, paths=NO_PRIVACY_PATHS, parameterization="noncentered")
    assert "effects" not in reduced.named_vars and "z" in reduced.named_vars
    assert len(reduced.coords["path"]) == 3


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"paths": [("intention", "trust")]}, "predictor must come before the outcome"),
    ({"paths": [("privacy", "trust")]}, "'privacy' is not a latent"),
    ({"parameterization": "sideways"}, "expected 'centered' or 'noncentered'"),
])
def test_build_sem_rejects_bad_specification(small_long, kwargs, message):
    with pytest.raises(SEMInputError, match=message):
        build_sem(small_long, **kwargs)


def test_build_sem_rejects_a_wide_table_with_a_clear_message():
    wide = pd.DataFrame({"respondent_id": ["a"], "trust1": [3]})
    with pytest.raises(SEMInputError, match="columns .*respondent.* missing"):
        build_sem(wide)
    with pytest.raises(SEMInputError, match="expected SEMData or the long table"):
        build_sem(np.zeros((3, 11)))


def _evaluate(model, name, point):
    """Value of a model variable at a point of the (transformed) value variables."""
    [graph] = model.replace_rvs_by_values([model[name]])
    return model.compile_fn(graph, inputs=model.value_vars, on_unused_input="ignore")(point)


def _point(model, data, scores, thresholds, paths, loadings_logodds):
    """Unconstrained point of the centered model at given scores and standardized thresholds.

    ``thresholds`` maps ``k`` to the (items with k categories) x (k - 1) threshold matrix; the
    model samples them as offsets from the mean score of the item's construct.
    """
    from pytensor import tensor as pt

    point = {"paths": np.asarray(paths, dtype=float),
             "loadings_std_free_logodds__": np.asarray(loadings_logodds, dtype=float)}
    scores_rv = model["scores"]
    point["scores_meansplit__"] = model.rvs_to_transforms[scores_rv].forward(
        pt.as_tensor(scores)).eval()
    mean = scores.mean(axis=0)
    for k, kappa in thresholds.items():
        items = model.coords[f"item_k{k}"]
        latent = [LATENTS.index(data.item_construct[data.items.index(i)]) for i in items]
        rv = model[f"threshold_offsets_k{k}"]
        point[f"threshold_offsets_k{k}_ordered__"] = model.rvs_to_transforms[rv].forward(
            pt.as_tensor(kappa - mean[latent][:, None])).eval()
    assert set(point) == {v.name for v in model.value_vars}
    return point


def _random_thresholds(rng, data):
    return {k: np.sort(rng.normal(0.0, 1.0, size=(sum(kk == k for kk in data.item_categories),
                                                  k - 1)), axis=1)
            for k in sorted(set(data.item_categories))}


def test_likelihood_matches_a_direct_computation(small_long):
    data = sem_data(small_long)
    model = build_sem(data)
    rng = np.random.default_rng(0)
    point = _point(model, data, rng.normal(size=(60, 4)) + 0.3, _random_thresholds(rng, data),
                   rng.normal(0, 0.5, size=6), rng.normal(1.0, 0.5, size=9))
    logp = model.compile_fn(model.logp(vars=[model["response"]], sum=False)[0],
                            inputs=model.value_vars, on_unused_input="ignore")(point)
    names = ("loadings_std", "loadings", "thresholds_std_k5", "thresholds_std_k7",
             "thresholds_k5", "thresholds_k7", "scores", "paths")
    graphs = model.replace_rvs_by_values([model[name] for name in names])
    values = model.compile_fn(graphs, inputs=model.value_vars, on_unused_input="ignore")(point)
    constrained = dict(zip(names, values, strict=True))
    # standardized loading s <-> logit loading per latent SD: s = l / sqrt(l^2 + pi^2 / 3)
    s = constrained["loadings_std"]
    per_sd = s / np.sqrt(1 - s**2) * np.pi / np.sqrt(3)
    expected = np.empty(data.response.size)
    k5_items = list(CONSTRUCTS["privacy_concern"])
    for n in range(data.response.size):
        j, i = data.item_index[n], data.respondent_index[n]
        item = data.items[j]
        in_k5 = item in k5_items
        kappa = (constrained["thresholds_std_k5"][k5_items.index(item)] if in_k5 else
                 constrained["thresholds_std_k7"][j - 4])
        score = constrained["scores"][i, LATENTS.index(data.item_construct[j])]
        probs = category_probabilities(per_sd[j] * score, per_sd[j] * kappa)
        expected[n] = np.log(probs[data.response[n] - 1])
        # the unstandardized loadings and thresholds (what simulate_sem uses) give the same
        # logit cutpoints
        kappa_raw = (constrained["thresholds_k5"][k5_items.index(item)] if in_k5 else
                     constrained["thresholds_k7"][j - 4])
        np.testing.assert_allclose(constrained["loadings"][j] * kappa_raw, per_sd[j] * kappa)
    np.testing.assert_allclose(logp, expected, rtol=1e-8, atol=1e-10)
    # loadings per unit of the unstandardized latent = per-SD loading / model-implied latent SD
    b_matrix = np.zeros((4, 4))
    for (predictor, outcome), value in zip(FULL_PATHS, constrained["paths"], strict=True):
        b_matrix[LATENTS.index(outcome), LATENTS.index(predictor)] = value
    a_matrix = np.linalg.inv(np.eye(4) - b_matrix)
    latent_sd = np.sqrt(np.diag(a_matrix @ a_matrix.T))
    item_sd = latent_sd[[LATENTS.index(c) for c in data.item_construct]]
    np.testing.assert_allclose(constrained["loadings"], per_sd / item_sd)


def test_scores_are_standardized_with_the_model_implied_correlations(small_long):
    data = sem_data(small_long)
    model = build_sem(data)
    rng = np.random.default_rng(2)
    scores = rng.normal(size=(60, 4))
    point = _point(model, data, scores, _random_thresholds(rng, data),
                   [-0.3, 0.5, -0.4, 0.1, 0.7, -0.2], np.zeros(9))
    np.testing.assert_allclose(_evaluate(model, "scores", point), scores, atol=1e-12)
    logp = model.compile_fn(model.logp(vars=[model["scores"]], sum=False)[0],
                            inputs=model.value_vars, on_unused_input="ignore")(point)
    b_matrix = np.zeros((4, 4))
    for (predictor, outcome), value in zip(FULL_PATHS, point["paths"], strict=True):
        b_matrix[LATENTS.index(outcome), LATENTS.index(predictor)] = value
    a_matrix = np.linalg.inv(np.eye(4) - b_matrix)
    cov = a_matrix @ a_matrix.T
    corr = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
    expected = stats.multivariate_normal(np.zeros(4), corr).logpdf(scores)
    np.testing.assert_allclose(logp, expected, rtol=1e-8)


def test_sampler_coordinates_leave_the_joint_density_unchanged(small_long):
    """The centered model's coordinates (score means on their own axis, thresholds as offsets
    from them) are a change of variables only: the joint density of paths, loadings,
    thresholds and scores equals the model's definition term by term."""
    data = sem_data(small_long)
    model = build_sem(data)
    rng = np.random.default_rng(5)
    scores = rng.normal(size=(60, 4)) + np.array([0.4, -0.3, 0.2, 0.6])
    thresholds = _random_thresholds(rng, data)
    paths = rng.normal(0, 0.5, size=6)
    logodds = rng.normal(1.0, 0.5, size=9)
    point = _point(model, data, scores, thresholds, paths, logodds)
    for k, kappa in thresholds.items():
        np.testing.assert_allclose(_evaluate(model, f"thresholds_std_k{k}", point), kappa)
    b_matrix = np.zeros((4, 4))
    for (predictor, outcome), value in zip(FULL_PATHS, paths, strict=True):
        b_matrix[LATENTS.index(outcome), LATENTS.index(predictor)] = value
    a_matrix = np.linalg.inv(np.eye(4) - b_matrix)
    cov = a_matrix @ a_matrix.T
    corr = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
    shared = 1 / (1 + np.exp(-logodds))
    response = model.compile_fn(model.logp(vars=[model["response"]])
                                , inputs=model.value_vars, on_unused_input="ignore")(point)
    expected = (stats.norm(0, 1).logpdf(paths).sum()
                + stats.beta(5, 2).logpdf(shared).sum()
                + sum(stats.norm(0, 2).logpdf(kappa).sum() for kappa in thresholds.values())
                + stats.multivariate_normal(np.zeros(4), corr).logpdf(scores).sum()
                + response)
    total = model.compile_logp(jacobian=False)(point)
    np.testing.assert_allclose(total, expected, rtol=1e-9)  # transform round trips
    # moving every score of a construct and its items' thresholds together leaves the answers'
    # likelihood unchanged, and the model's coordinates move only the construct's mean axis
    shifted = scores + np.array([0.0, 0.5, 0.0, 0.0])
    moved = {k: kappa + 0.5 * np.array([[float(data.item_construct[data.items.index(i)] ==
                                                "trust")] for i in model.coords[f"item_k{k}"]])
             for k, kappa in thresholds.items()}
    other = _point(model, data, shifted, moved, paths, logodds)
    changed = {name for name in point if not np.allclose(point[name], other[name])}
    assert changed == {"scores_meansplit__"}
    difference = other["scores_meansplit__"] - point["scores_meansplit__"]
    assert np.flatnonzero(np.abs(difference) > 1e-9).tolist() == [1]  # row 0, column trust
    response_moved = model.compile_fn(model.logp(vars=[model["response"]]),
                                      inputs=model.value_vars, on_unused_input="ignore")(other)
    np.testing.assert_allclose(response_moved, response, rtol=1e-10)


def test_score_draws_have_the_model_implied_correlations():
    from trustmodels.models.sem import _scores_random

    b_matrix = np.zeros((4, 4))
    for (predictor, outcome), value in zip(FULL_PATHS, [-0.3, 0.5, -0.4, 0.1, 0.7, -0.2],
                                           strict=True):
        b_matrix[LATENTS.index(outcome), LATENTS.index(predictor)] = value
    a_matrix = np.linalg.inv(np.eye(4) - b_matrix)
    latent_sd = np.sqrt(np.diag(a_matrix @ a_matrix.T))
    draws = _scores_random(b_matrix, latent_sd, rng=np.random.default_rng(4), size=(20000,))
    assert draws.shape == (20000, 4)
    corr = a_matrix @ a_matrix.T / np.outer(latent_sd, latent_sd)
    np.testing.assert_allclose(np.corrcoef(draws.T), corr, atol=0.03)
    np.testing.assert_allclose(draws.std(axis=0), 1.0, atol=0.03)


def test_effects_decompose_the_total_effect(small_long):
    model = build_sem(small_long)
    point = model.initial_point()
    point["paths"] = np.array([-0.3, 0.5, -0.4, 0.1, 0.7, -0.2])
    effects = _evaluate(model, "effects", point)
    direct, via_trust, via_risk, via_both, total = effects
    assert via_trust == pytest.approx(-0.3 * 0.7)
    assert via_risk == pytest.approx(0.5 * -0.2)
    assert via_both == pytest.approx(-0.3 * -0.4 * -0.2)
    assert total == pytest.approx(direct + via_trust + via_risk + via_both)
    r2 = _evaluate(model, "r2", point)
    assert r2[0] == pytest.approx(0.09 / 1.09)  # trust: var = 0.3^2 + 1


def test_simulate_sem_shape_and_ranges():
    sim = simulate_sem(TRUTH, n_respondents=1090, seed=1)
    assert len(sim) == 1090 * 11
    for item, k in ITEM_CATEGORIES.items():
        answers = sim.loc[sim["item"] == item, "response"]
        assert answers.between(1, k).all() and answers.nunique() == k
    wide = sim.pivot(index="respondent", columns="item", values="response")
    trust = wide[["trust1", "trust2"]].mean(axis=1)
    intention = wide[["intent1", "intent2"]].mean(axis=1)
    privacy = wide[list(CONSTRUCTS["privacy_concern"])].mean(axis=1)
    risk = wide[list(CONSTRUCTS["risk"])].mean(axis=1)
    assert np.corrcoef(trust, intention)[0, 1] > 0.3
    assert np.corrcoef(privacy, risk)[0, 1] > 0.2


def _fake_posterior(params: SEMParameters, data, n_draws=4):
    """A posterior whose every draw equals the given parameters."""
    labels = [path_name(p, o) for p, o in params.paths]
    post = {"paths": (("chain", "draw", "path"),
                      np.tile(list(params.paths.values()), (1, n_draws, 1)))}
    post["loadings"] = (("chain", "draw", "item"),
                        np.tile([params.loadings[i] for i in data.items], (1, n_draws, 1)))
    coords = {"path": labels, "item": list(data.items)}
    for k in (5, 7):
        items = [i for i in data.items if ITEM_CATEGORIES[i] == k]
        post[f"thresholds_k{k}"] = (("chain", "draw", f"item_k{k}", f"cut_k{k}"),
                                    np.tile([params.thresholds[i] for i in items],
                                            (1, n_draws, 1, 1)))
        coords[f"item_k{k}"] = items
    return xr.DataTree.from_dict({"posterior": xr.Dataset(post, coords=coords)})


def test_predictive_frequencies_agree_with_data_from_the_same_parameters():
    data = sem_data(simulate_sem(TRUTH, n_respondents=1090, seed=11))
    table = predictive_frequencies(_fake_posterior(TRUTH, data), data, n_draws=4, seed=5)
    assert len(table) == 4 * 5 + 7 * 7
    assert np.allclose(table.groupby("item")["predicted"].sum(), 1.0)
    assert (table["observed"] - table["predicted"]).abs().max() < 0.06
    wrong = SEMParameters(TRUTH.latents, TRUTH.paths, TRUTH.constructs, TRUTH.loadings,
                          {i: tuple(np.asarray(t) + 1.5) for i, t in TRUTH.thresholds.items()})
    shifted = predictive_frequencies(_fake_posterior(wrong, data), data, n_draws=4, seed=5)
    assert (shifted["observed"] - shifted["predicted"]).abs().max() > 0.1


def test_interval_table_reports_coverage():
    rng = np.random.default_rng(2)
    post = xr.Dataset({"paths": (("chain", "draw", "path"), rng.normal(size=(2, 500, 2)))},
                      coords={"path": ["a -> b", "b -> c"]})
    tree = xr.DataTree.from_dict({"posterior": post})
    table = interval_table(tree, "paths", prob=0.9, truth={"a -> b": 0.0, "b -> c": 5.0})
    assert table.loc["a -> b", "covered"] and not table.loc["b -> c", "covered"]
    assert table.loc["a -> b", "lower"] == pytest.approx(-1.645, abs=0.2)


def test_fit_semopy_on_the_real_data():
    from trustmodels.datasets.realdata import load_lancelot_miltgen

    survey = load_lancelot_miltgen(data_dir=SHARED_DATA, cache=_tmp_cache())
    table = fit_semopy(survey.wide, CONSTRUCTS)
    paths = table[table["kind"] == "path"]
    assert set(paths.index) == {path_name(p, o) for p, o in FULL_PATHS}
    assert (table[table["kind"] == "loading"]["estimate_std"].between(0.3, 1.0)).all()
    assert paths["estimate_std"].abs().max() < 1


def _tmp_cache():
    import tempfile

    return tempfile.mkdtemp(prefix="trustmodels-test-")


@pytest.mark.slow
def test_recovery_of_paths_on_simulated_data_of_the_real_shape():
    """Fit SIMULATED data of the real shape (1,090 respondents, the 11 items) from known values.

    The fit must pass the gate (every parameter, including the 4,360 scores), and every true
    path must lie in its 99% interval and within 3 posterior SDs of the posterior mean, and
    every standardized loading within 4 posterior SDs.
    """
    from trustmodels.inference.sampling import fit

    data = sem_data(simulate_sem(TRUTH, n_respondents=1090, seed=2026))
    # 4 x 1000 draws failed the gate by a hair (R-hat 1.011 for one intent1 threshold); the
    # chapter's fits use 4 x 1500 as well
    idata = fit(build_sem(data), draws=1500, tune=1000, chains=4, cores=2, random_seed=7,
                log_likelihood=False, label="SEM recovery (SIMULATED)")
    truth = {path_name(p, o): v for (p, o), v in TRUTH.paths.items()}
    table = interval_table(idata, "paths", prob=0.99, truth=truth)
    assert table["covered"].all(), table
    z = (table["mean"] - table["truth"]).abs() / table["sd"]
    assert (z < 3).all(), table
    # the true standardized loading of an item: s = l* / sqrt(l*^2 + pi^2 / 3), with l* the
    # logit loading per latent SD (loading x model-implied latent SD)
    b_matrix = np.zeros((4, 4))
    for (predictor, outcome), value in TRUTH.paths.items():
        b_matrix[LATENTS.index(outcome), LATENTS.index(predictor)] = value
    a_matrix = np.linalg.inv(np.eye(4) - b_matrix)
    latent_sd = np.sqrt(np.diag(a_matrix @ a_matrix.T))
    per_sd = {i: TRUTH.loadings[i] * latent_sd[LATENTS.index(c)]
              for c, items in TRUTH.constructs.items() for i in items}
    true_std = {i: v / np.sqrt(v**2 + np.pi**2 / 3) for i, v in per_sd.items()}
    loadings = interval_table(idata, "loadings_std", prob=0.99, truth=true_std)
    z_loadings = (loadings["mean"] - loadings["truth"]).abs() / loadings["sd"]
    assert (z_loadings < 4).all(), loadings  # 11 items (9 distinct loadings): a wider margin


def test_path_diagram_draws_every_path_and_rejects_unknown_constructs():
    from trustmodels.plots.paths import plot_path_diagram

    table = pd.DataFrame({"mean": [-0.13, 0.38, 0.57], "lower": [-0.19, 0.33, 0.52],
                          "upper": [-0.07, 0.43, 0.62]},
                         index=["privacy_concern -> trust", "privacy_concern -> risk",
                                "trust -> intention"])
    fig = plot_path_diagram(table, comparison={"privacy_concern -> trust": -0.13})
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("-0.13\n[-0.19, -0.07]\nML: -0.13" == t for t in texts)
    assert sum("\n[" in t for t in texts) == 3
    bad = table.rename(index={"trust -> intention": "trust -> loyalty"})
    with pytest.raises(ValueError, match="trust -> loyalty"):
        plot_path_diagram(bad)
