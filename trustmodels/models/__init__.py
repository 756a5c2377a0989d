"""PyMC models of the survey, each built from the tidy long table and a priors object."""
