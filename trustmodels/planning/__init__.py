"""Planning a study: Bayesian design analysis (assurance) with a fast fitter and Dask."""
