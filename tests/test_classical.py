"""Tests of trustmodels.analysis.classical against direct scipy / statsmodels computations."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.anova import anova_lm
from statsmodels.stats.multitest import multipletests

from trustmodels.analysis.classical import (
    anova_table,
    describe_regions,
    format_bf,
    format_p,
    johnson_neyman,
    moderated_regression,
    pairwise_table,
    regression_table,
    residual_checks,
    scale_scores,
    simple_effect_curve,
    survey_scores,
)

CONSTRUCTS = {
    "competence": ["comp1", "comp2"],
    "benevolence": ["benev1", "benev2"],
    "integrity": ["integ1", "integ2"],
    "intention": ["intent1", "intent2"],
    "disposition": ["dtt1", "dtt2"],
}


def small_survey(n=360, seed=7, fan_slope=-0.4):
    """A tiny wide survey: 1-7 answers from a latent trust with an apology x fans effect."""
    rng = np.random.default_rng(seed)
    response = rng.choice(["none", "apology", "denial"], n)
    violation = rng.choice(["competence", "integrity"], n)
    fans = np.round(10 ** rng.uniform(2, 6, n)).astype(int)
    disposition = rng.normal(size=n)
    log_c = np.log10(fans) - 4
    apology = response == "apology"
    latent = (0.8 * apology + fan_slope * apology * log_c - 0.3 * (response == "denial")
              - 0.3 * (violation == "integrity") + 0.4 * disposition + rng.normal(size=n))
    wide = pd.DataFrame({
        "respondent_id": [f"R{i:04d}" for i in range(1, n + 1)],
        "seller_response": pd.Categorical(response, categories=["none", "apology", "denial"]),
        "violation": pd.Categorical(violation, categories=["competence", "integrity"]),
        "fan_count": fans,
    })
    for construct, items in CONSTRUCTS.items():
        base = disposition if construct == "disposition" else latent
        for item in items:
            value = base + 0.7 * rng.normal(size=n)
            wide[item] = pd.array(np.clip(np.round(4 + 1.2 * value), 1, 7), dtype="Int64")
    return wide


@pytest.fixture(scope="module")
def scores():
    return scale_scores(small_survey(), CONSTRUCTS)


def test_scale_scores_are_item_means(scores):
    wide = small_survey()
    trust_items = CONSTRUCTS["competence"] + CONSTRUCTS["benevolence"] + CONSTRUCTS["integrity"]
    expected = wide[trust_items].astype(float).mean(axis=1)
    np.testing.assert_allclose(scores["trust"], expected)
    np.testing.assert_allclose(scores["intention"],
                               wide[CONSTRUCTS["intention"]].astype(float).mean(axis=1))
    np.testing.assert_allclose(scores["log_fans_c"], np.log10(wide["fan_count"]) - 4)
    assert list(scores.columns[:5]) == ["respondent_id", "seller_response", "violation",
                                        "fan_count", "log_fans_c"]


def test_scale_scores_handle_missing_answers():
    wide = small_survey(n=12)
    wide.loc[0, "intent1"] = pd.NA
    wide.loc[1, ["intent1", "intent2"]] = pd.NA
    scores = scale_scores(wide, CONSTRUCTS)
    assert scores.loc[0, "intention"] == wide.loc[0, "intent2"]
    assert np.isnan(scores.loc[1, "intention"])
    strict = scale_scores(wide, CONSTRUCTS, min_answered=1.0)
    assert np.isnan(strict.loc[0, "intention"])


def test_scale_scores_bad_input():
    wide = small_survey(n=12)
    with pytest.raises(ValueError, match=r"scale 'competence'.*\['comp9'\] not found"):
        scale_scores(wide, {**CONSTRUCTS, "competence": ["comp1", "comp9"]})
    with pytest.raises(ValueError, match=r"composite 'trust'.*\['warmth'\] not found"):
        scale_scores(wide, CONSTRUCTS, composites={"trust": ["competence", "warmth"]})


def test_anova_matches_statsmodels_type3(scores):
    table = anova_table(scores, "trust").set_index("term")
    model = smf.ols("trust ~ C(seller_response, Sum) * C(violation, Sum)", data=scores).fit()
    direct = anova_lm(model, typ=3)
    pairs = {
        "seller_response": "C(seller_response, Sum)",
        "violation": "C(violation, Sum)",
        "seller_response:violation": "C(seller_response, Sum):C(violation, Sum)",
        "residual": "Residual",
    }
    for term, name in pairs.items():
        assert table.loc[term, "ss"] == pytest.approx(direct.loc[name, "sum_sq"], rel=1e-6)
        assert table.loc[term, "df"] == pytest.approx(direct.loc[name, "df"])
    for term in ["seller_response", "violation", "seller_response:violation"]:
        name = pairs[term]
        assert table.loc[term, "F"] == pytest.approx(direct.loc[name, "F"], rel=1e-6)
        assert table.loc[term, "p"] == pytest.approx(direct.loc[name, "PR(>F)"], rel=1e-5)
        ss = direct.loc[name, "sum_sq"]
        partial = ss / (ss + direct.loc["Residual", "sum_sq"])
        assert table.loc[term, "partial_eta_sq"] == pytest.approx(partial, rel=1e-4)
    assert (table["n"] == len(scores)).all()


def test_pairwise_matches_welch_and_holm(scores):
    table = pairwise_table(scores, "trust")
    main = table[table["family"] == "seller_response"].reset_index(drop=True)
    p_values = []
    for row in main.itertuples():
        a = scores.loc[scores["seller_response"] == row.a, "trust"]
        b = scores.loc[scores["seller_response"] == row.b, "trust"]
        direct = stats.ttest_ind(a, b, equal_var=False)
        assert row.t == pytest.approx(direct.statistic, rel=1e-6)
        assert row.p == pytest.approx(direct.pvalue, rel=1e-5)
        assert row.mean_a == pytest.approx(a.mean())
        assert (row.n_a, row.n_b) == (len(a), len(b))
        pooled = np.sqrt(((len(a) - 1) * a.var() + (len(b) - 1) * b.var())
                         / (len(a) + len(b) - 2))
        d = (a.mean() - b.mean()) / pooled
        correction = 1 - 3 / (4 * (len(a) + len(b)) - 9)
        assert row.hedges_g == pytest.approx(d * correction, rel=1e-3)
        assert row.bf10 > 0
        p_values.append(direct.pvalue)
    holm = multipletests(p_values, method="holm")[1]
    np.testing.assert_allclose(main["p_adj"], holm, rtol=1e-5)


def test_pairwise_simple_effects_within_violation(scores):
    table = pairwise_table(scores, "trust", effsize="cohen")
    simple = table[table["family"] == "seller_response within violation"]
    assert sorted(set(simple["violation"])) == ["competence", "integrity"]
    assert len(simple) == 6
    assert "cohen_d" in table.columns
    row = simple[(simple["violation"] == "integrity") & (simple["a"] == "none")
                 & (simple["b"] == "apology")].iloc[0]
    cell = scores[scores["violation"] == "integrity"]
    direct = stats.ttest_ind(cell.loc[cell["seller_response"] == "none", "trust"],
                             cell.loc[cell["seller_response"] == "apology", "trust"],
                             equal_var=False)
    assert row["t"] == pytest.approx(direct.statistic, rel=1e-6)
    # the apology raises trust in this generator, so the BF should favour a difference
    assert row["bf10"] > 1


def test_regression_matches_statsmodels_formula(scores):
    fit = moderated_regression(scores, "trust")
    data = scores.assign(disp_c=scores["disposition"] - scores["disposition"].mean(),
                         response=scores["seller_response"].astype(str),
                         kind=scores["violation"].astype(str))
    direct = smf.ols(
        "trust ~ C(response, Treatment('none')) * C(kind, Treatment('competence')) * log_fans_c"
        " + disp_c", data=data).fit(cov_type="HC3", use_t=True)
    rename = {
        "apology": "C(response, Treatment('none'))[T.apology]",
        "denial:integrity": ("C(response, Treatment('none'))[T.denial]:"
                             "C(kind, Treatment('competence'))[T.integrity]"),
        "apology:log_fans_c": "C(response, Treatment('none'))[T.apology]:log_fans_c",
        "disposition": "disp_c",
        "Intercept": "Intercept",
    }
    for ours, theirs in rename.items():
        assert fit.params[ours] == pytest.approx(direct.params[theirs], rel=1e-8, abs=1e-10)
        assert fit.bse[ours] == pytest.approx(direct.bse[theirs], rel=1e-8)
    table = regression_table(fit)
    assert table["term"].tolist()[:3] == ["Intercept", "apology", "denial"]
    assert table.set_index("term").loc["apology", "se"] == pytest.approx(fit.bse["apology"])


def test_hc3_standard_errors_by_hand(scores):
    fit = moderated_regression(scores, "trust")
    x = np.asarray(fit.model.exog)
    resid = np.asarray(fit.resid)
    bread = np.linalg.inv(x.T @ x)
    leverage = np.einsum("ij,jk,ik->i", x, bread, x)
    meat = x.T @ (x * (resid / (1 - leverage))[:, None] ** 2)
    np.testing.assert_allclose(fit.bse, np.sqrt(np.diag(bread @ meat @ bread)), rtol=1e-8)


def test_simple_effect_curve_is_a_linear_contrast(scores):
    fit = moderated_regression(scores, "trust")
    curve = simple_effect_curve(fit, "apology", "integrity", log10_fans=[3.0, 5.0])
    names = list(fit.model.exog_names)
    for row in curve.itertuples():
        vector = np.zeros(len(names))
        x = row.log10_fans - 4
        vector[names.index("apology")] = 1
        vector[names.index("apology:integrity")] = 1
        vector[names.index("apology:log_fans_c")] = x
        vector[names.index("apology:integrity:log_fans_c")] = x
        test = fit.t_test(vector)
        assert row.effect == pytest.approx(float(np.squeeze(test.effect)))
        assert row.se == pytest.approx(float(np.squeeze(test.sd)))
        low, high = np.squeeze(test.conf_int())
        assert (row.ci_low, row.ci_high) == pytest.approx((low, high))


def test_johnson_neyman_boundaries_are_where_the_band_touches_zero():
    scores = scale_scores(small_survey(n=1200, fan_slope=-0.6, seed=11), CONSTRUCTS)
    fit = moderated_regression(scores, "trust")
    regions = johnson_neyman(fit, "apology", "competence")
    assert len(regions) >= 1
    boundaries = regions["boundaries"].iloc[0]
    assert len(boundaries) >= 1
    critical = stats.t.ppf(0.975, fit.df_resid)
    edge = simple_effect_curve(fit, "apology", "competence", log10_fans=list(boundaries))
    np.testing.assert_allclose(np.abs(edge["effect"]) / edge["se"], critical, rtol=1e-6)
    dense = simple_effect_curve(fit, "apology", "competence",
                                log10_fans=np.linspace(2.001, 5.999, 400))
    inside = np.zeros(len(dense), bool)
    for region in regions.itertuples():
        inside |= ((dense["log10_fans"] > region.from_log10_fans)
                   & (dense["log10_fans"] < region.to_log10_fans)).to_numpy()
    np.testing.assert_array_equal(inside, dense["significant"].to_numpy())


def test_regression_rejects_zero_fans(scores):
    bad = scores.copy()
    bad.loc[bad.index[3], "fan_count"] = 0
    with pytest.raises(ValueError, match=r"column 'fan_count': rows \[3\].*at least 1"):
        moderated_regression(bad, "trust")


def test_missing_columns_and_unknown_levels_are_errors(scores):
    with pytest.raises(ValueError, match=r"anova_table: column\(s\) \['loyalty'\] not found"):
        anova_table(scores, "loyalty")
    bad = scores.assign(seller_response=scores["seller_response"].astype(str)
                        .replace("denial", "excuse"))
    with pytest.raises(ValueError, match=r"unknown levels \['excuse'\]"):
        pairwise_table(bad, "trust")
    fit = moderated_regression(scores, "trust")
    with pytest.raises(ValueError, match="response must be one of"):
        simple_effect_curve(fit, "none")


def test_describe_regions_covers_every_case():
    def regions(*rows):
        return pd.DataFrame(rows, columns=["from_log10_fans", "to_log10_fans", "direction"])

    assert describe_regions(regions()) == ("not significant at any fan count from 100 to "
                                           "1,000,000 followers")
    assert describe_regions(regions((2.0, 6.0, "positive"))) == (
        "positive at every fan count from 100 to 1,000,000 followers")
    assert describe_regions(regions((3.5, 6.0, "negative"))) == (
        "negative from about 3,200 to 1,000,000 followers (not significant below)")
    text = describe_regions(regions((2.0, 2.5, "positive"), (5.0, 6.0, "negative")))
    assert text == ("positive from 100 to about 320 followers; negative from about 100,000 to "
                    "1,000,000 followers (not significant elsewhere)")


def test_residual_checks_match_scipy(scores):
    fit = moderated_regression(scores, "trust")
    checks = residual_checks(fit).iloc[0]
    resid = np.asarray(fit.resid)
    assert checks["skewness"] == pytest.approx(stats.skew(resid))
    assert checks["excess_kurtosis"] == pytest.approx(stats.kurtosis(resid))
    assert checks["jarque_bera_p"] == pytest.approx(stats.jarque_bera(resid).pvalue)
    assert checks["n"] == len(scores)
    assert 0 <= checks["n_fitted_outside"] <= len(scores)


def test_survey_scores_keep_id_and_design(mini_survey):
    scores = survey_scores(mini_survey)
    assert list(scores.columns) == ["respondent_id", "seller_response", "violation",
                                    "fan_count", "competence", "intention"]
    # the mini survey has a fan count of 0, so no log10 column is added
    wide = mini_survey.wide
    expected = wide[["comp1", "comp2", "comp3"]].astype(float).mean(axis=1)
    np.testing.assert_allclose(scores["competence"], expected)
    with pytest.raises(ValueError, match=r"column 'fan_count': rows \[2\]"):
        moderated_regression(scores, "competence", covariates=())


def test_formatters_for_prose():
    assert format_p(0.0004) == "< .001"
    assert format_p(0.05) == "= .050"
    assert format_bf(1.0) == "1.0"
    assert format_bf(1234.0) == "> 1000"
    assert format_bf(0.0123) == "0.012"
    with pytest.raises(ValueError, match="between 0 and 1"):
        format_p(1.5)
    with pytest.raises(ValueError, match="positive"):
        format_bf(0.0)


def test_scale_scores_skip_log_fans_when_a_count_is_missing():
    wide = small_survey(n=120)
    wide["fan_count"] = pd.array(wide["fan_count"], dtype="Int64")
    wide.loc[4, "fan_count"] = pd.NA
    scores = scale_scores(wide, CONSTRUCTS)
    assert "log_fans_c" not in scores.columns
    # the regression drops respondents with a missing value listwise and says how many it used
    assert moderated_regression(scores, "trust").nobs == 119
