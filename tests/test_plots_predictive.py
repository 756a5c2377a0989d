"""Tests of the predictive-check and contrast-recovery figures (trustmodels.plots.predictive)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from trustmodels.plots.predictive import (  # noqa: E402
    plot_category_counts,
    plot_contrasts_vs_truth,
)


def counts(group):
    return pd.DataFrame({"item": "all", "category": [1, 2, 3], "observed": [5, 9, 4],
                         "predicted_mean": [6.0, 8.0, 4.0], "predicted_low": [3.0, 5.0, 2.0],
                         "predicted_high": [9.0, 11.0, 7.0], "inside": True, "group": group})


def contrasts(with_truth=True):
    table = pd.DataFrame({
        "construct": "all", "violation": ["competence"] * 2 + ["integrity"] * 2,
        "contrast": ["apology - none", "denial - none"] * 2, "mean": [0.6, 0.1, 0.3, 0.2],
        "hdi_low": [0.4, -0.1, 0.1, 0.0], "hdi_high": [0.8, 0.3, 0.5, 0.4], "hdi_prob": 0.95,
        "rope_low": -0.1, "rope_high": 0.1})
    return table.assign(truth=[0.7, 0.0, 0.4, 0.2]) if with_truth else table


def test_category_counts_one_panel_per_group_with_simulated_title():
    fig = plot_category_counts(pd.concat([counts("prior_predictive"),
                                          counts("posterior_predictive")]), simulated=True)
    assert [ax.get_title() for ax in fig.axes] == ["Prior predictive", "Posterior predictive"]
    assert "SIMULATED" in fig._suptitle.get_text()
    observed = fig.axes[1].lines[-1].get_ydata()
    assert list(observed) == [5, 9, 4]
    plt.close(fig)


def test_category_counts_labels_and_real_data_title():
    fig = plot_category_counts(counts("posterior_predictive"), simulated=False,
                               labels=["low", "mid", "high"])
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["low", "mid", "high"]
    assert "SIMULATED" not in fig._suptitle.get_text()
    plt.close(fig)


def test_empty_tables_are_refused():
    with pytest.raises(ValueError, match="empty"):
        plot_category_counts(counts("prior_predictive").iloc[:0], simulated=True)
    with pytest.raises(ValueError, match="empty"):
        plot_contrasts_vs_truth(contrasts().iloc[:0], simulated=True, xlabel="x")


def test_contrasts_panels_rows_and_truth_markers():
    fig = plot_contrasts_vs_truth(contrasts(), simulated=True, xlabel="latent SD")
    assert [ax.get_title() for ax in fig.axes] == ["competence violation",
                                                   "integrity violation"]
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["apology - none", "denial - none"]
    truth_points = fig.axes[1].collections[-1].get_offsets()
    assert truth_points[:, 0].tolist() == [0.4, 0.2]
    assert "95% HDI" in fig._suptitle.get_text()
    plt.close(fig)


def test_contrasts_without_truth_and_several_constructs():
    table = pd.concat([contrasts(False).assign(construct=c) for c in ("competence", "integrity")])
    fig = plot_contrasts_vs_truth(table, simulated=False, xlabel="x", show_rope=False)
    names = [text.get_text() for text in fig.legends[0].get_texts()]
    assert "true value" not in names and {"competence", "integrity"} <= set(names)
    plt.close(fig)


def test_condition_panels_keep_their_titles_apart():
    # the book's conditions: two factors with long names, six panels in rows of three
    from trustmodels.plots.design import plot_counts_by_condition

    labels = [f"seller_response={r}, violation={v}" for r in ("none", "apology", "denial")
              for v in ("competence", "integrity")]
    table = pd.concat([counts("posterior_predictive").assign(condition=label)
                       for label in labels], ignore_index=True)
    fig = plot_counts_by_condition(table)
    renderer = fig.canvas.get_renderer()
    shown = [ax for ax in fig.axes if ax.get_visible()]
    titles = [ax.title.get_window_extent(renderer) for ax in shown]
    for ax, title in zip(shown, titles, strict=True):
        assert title.width <= ax.get_window_extent(renderer).width, ax.get_title()
    for i, first in enumerate(titles):
        for second in titles[i + 1:]:
            assert not first.overlaps(second), "two panel titles overlap"
    assert all("seller_response=" in ax.get_title() for ax in fig.axes if ax.get_visible())
    plt.close(fig)
