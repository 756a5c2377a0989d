"""Parameter recovery: the main model's 90% intervals cover the simulator's true effects.

Data come from :func:`trustmodels.simulation.simulate.simulate_main_model` (exactly the main
model), read
through the data layer into the tidy long table. Coverage is pooled over the 11 effects and
three seeds (33 intervals); at the nominal 90% the count is Binomial(33, 0.9), whose 0.5%
quantile is 25. A model with a wrong sign, scale or design coding covers far fewer.
"""

import numpy as np
import pytest

from trustmodels.datasets.simulated_design import EFFECT_NAMES
from trustmodels.inference.sampling import fit
from trustmodels.models.ordinal import build_ordinal_model
from trustmodels.simulation.simulate import simulate_main_model
from trustmodels.survey.codebook import Codebook
from trustmodels.survey.table import survey_from_frame


def _long(seed, n_per_cell):
    survey = simulate_main_model(n_per_cell=n_per_cell, seed=seed)
    data = survey_from_frame(survey.wide, Codebook.from_dict(survey.codebook), source="simulated")
    truth = survey.truth["parameters"]
    return data.long, np.array([truth["effects"][name] for name in EFFECT_NAMES])


@pytest.mark.slow
def test_true_effects_fall_in_their_90_percent_intervals_at_the_nominal_rate():
    covered, total, errors = 0, 0, []
    for seed in (101, 202, 303):
        long, true_beta = _long(seed, n_per_cell=30)
        model = build_ordinal_model(long)
        idata = fit(model, draws=1000, tune=1000, chains=4, cores=2, random_seed=seed,
                    log_likelihood=False, label=f"recovery seed {seed}")
        beta = idata["posterior"]["beta"].sel(effect=list(EFFECT_NAMES))
        draws = beta.stack(sample=("chain", "draw")).transpose("effect", "sample").to_numpy()
        low, high = np.quantile(draws, [0.05, 0.95], axis=1)
        covered += int(np.sum((low <= true_beta) & (true_beta <= high)))
        total += true_beta.size
        errors.append(draws.mean(axis=1) - true_beta)
    assert total == 33
    assert covered >= 25, f"only {covered} of {total} 90% intervals cover the truth"
    # no systematic bias across seeds: the mean error of every effect is small
    assert np.all(np.abs(np.mean(errors, axis=0)) < 0.35)
