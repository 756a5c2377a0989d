"""Fitting a model: sampling with the convergence gate, its diagnostics and the fit cache."""
