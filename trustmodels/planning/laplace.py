r"""A fast fitter for the declared-design model: the integrated (nested) Laplace approximation.

A design analysis fits thousands of simulated studies; a NUTS fit per study is too slow. This
fitter approximates the posterior of the declared-design model
(:func:`trustmodels.models.declared.build_design_model`) the way TMB and lme4 approximate
mixed models. Split the unconstrained parameters into the few **global** ones :math:`g` (the
effects :math:`\beta`, the log discriminations, the thresholds, slope SDs) and the **local**
respondent terms :math:`u_i` (with random slopes also :math:`z_i`), which enter only their own
respondent's answers. Then

.. math::

    \log p(g \mid y) \approx \log p(g, \hat u(g), y) - \tfrac12 \log\det\bigl(-H_{uu}(g)\bigr)
    + \text{const},

where :math:`\hat u(g)` maximizes :math:`\log p(g, u, y)` over :math:`u` (Newton steps, one small
block per respondent) and :math:`H_{uu}` is its block-diagonal Hessian. The global mode
:math:`\hat g` is found with L-BFGS; the posterior of :math:`g` is approximated by a normal
distribution at :math:`\hat g` with the inverse Hessian of the approximate log posterior as
covariance. The log density is the PyMC model's own (compiled to JAX with
:func:`pymc.sampling.jax.get_jaxified_graph`), so the two fitters share one model.

Integrating the respondent terms out matters: a normal approximation at the *joint* mode of
:math:`(g, u)` shrinks the respondent terms and rescales the effects (with four items per
respondent, the apology effect came out at a fifth of its size in a trial).

A :class:`LaplaceFitter` is compiled once for a design and a number of respondents and then fits
any data set of the same layout in a second or so (the data enter as arguments); every fit is
checked (:attr:`LaplaceFit.converged`). The agreement with NUTS is checked in the tests and in
the book's planning chapter.

References
----------
Kristensen, K., Nielsen, A., Berg, C. W., Skaug, H., & Bell, B. M. (2016). TMB: Automatic
differentiation and Laplace approximation. *Journal of Statistical Software*, 70(5), 1-21.

Rue, H., Martino, S., & Chopin, N. (2009). Approximate Bayesian inference for latent Gaussian
models by using integrated nested Laplace approximations. *Journal of the Royal Statistical
Society B*, 71(2), 319-392.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from trustmodels.design import DesignData, StudyDesign, prepare_design_data

__all__ = ["LOCAL_VARIABLES", "LaplaceFit", "LaplaceFitter"]

#: Free variables of the declared-design model that belong to one respondent each.
LOCAL_VARIABLES = ("u", "z_slope")

#: Largest distance (in posterior SDs, estimated by a Newton step) from the optimizer's end
#: point to the mode that a converged fit accepts; the step is then taken.
MODE_TOLERANCE = 0.05
#: Newton steps taken at most after L-BFGS stops farther than :data:`MODE_TOLERANCE` from the
#: mode (each recomputes the respondent terms, the gradient and the Hessian).
MAX_NEWTON_STEPS = 3
#: Largest gradient of the log density in the respondent terms at their solution.
LOCAL_GRADIENT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class LaplaceFit:
    """The normal approximation of the effects' posterior from :class:`LaplaceFitter`.

    Attributes
    ----------
    effects : tuple of str
        Effect names (the model's ``effect`` coordinate).
    mean : numpy.ndarray
        Posterior mode of the effects (the mean of the normal approximation).
    cov : numpy.ndarray
        Covariance of the effects.
    converged : bool
        The Hessian at the end point is positive definite, the end point is within
        :data:`MODE_TOLERANCE` posterior SDs of the mode (a Newton step, which is then taken;
        when L-BFGS stops farther away, up to :data:`MAX_NEWTON_STEPS` Newton steps bring it
        closer first) and the respondent terms are solved (:data:`LOCAL_GRADIENT_TOLERANCE`).
    problem : str
        Why the fit is not converged ("" when it is).
    iterations : int
        L-BFGS iterations.
    """

    effects: tuple[str, ...]
    mean: np.ndarray
    cov: np.ndarray
    converged: bool
    problem: str = ""
    iterations: int = 0
    globals_mode: dict = field(default_factory=dict, repr=False)

    def contrast(self, weights) -> tuple[float, float]:
        """Return the posterior mean and SD of a linear combination of the effects.

        Parameters
        ----------
        weights : mapping of str to float
            Effect name to weight (missing effects weigh 0).

        Returns
        -------
        tuple of float
            Mean and standard deviation.

        Examples
        --------
        >>> fit = LaplaceFit(("a", "b"), np.array([0.5, 0.2]), np.diag([0.01, 0.04]), True)
        >>> mean, sd = fit.contrast({"a": 1.0, "b": -1.0})
        >>> round(mean, 2), round(sd, 3)
        (0.3, 0.224)
        """
        unknown = sorted(set(weights) - set(self.effects))
        if unknown:
            raise KeyError(f"unknown effects {unknown}; the model has {list(self.effects)}")
        w = np.array([float(weights.get(name, 0.0)) for name in self.effects])
        return float(w @ self.mean), float(np.sqrt(w @ self.cov @ w))

    def summary(self) -> pd.DataFrame:
        """Return mean and SD of every effect (one row per effect)."""
        return pd.DataFrame({"mean": self.mean, "sd": np.sqrt(np.diag(self.cov))},
                            index=pd.Index(self.effects, name="effect"))


class LaplaceFitter:
    r"""Compile the integrated Laplace approximation of a declared-design model once.

    Parameters
    ----------
    long : pandas.DataFrame
        A survey of the layout to fit (one row per answer, as
        :func:`trustmodels.design.prepare_design_data` expects). Later data sets must have the
        same respondents, vignettes and items in the same order; only the design values and the
        answers may differ (as in simulated replications of one design).
    design : StudyDesign
        The declared design.
    **model_options
        Passed to :func:`trustmodels.models.declared.build_design_model` (``priors``, ``link``,
        ``random_slopes``, ``slope_sd``).

    See Also
    --------
    trustmodels.planning.laplace.LaplaceFit : The result of :meth:`fit`.
    build_design_model : The model that is approximated.
    fit : The NUTS fit of the same model.
    run_plan : A design analysis, which fits every simulated study with this fitter.

    Notes
    -----
    The unconstrained parameters of :func:`build_design_model` are split into the few global
    ones :math:`g` (the effects, the log discriminations, the thresholds, the covariate slope
    and any slope SDs) and the local respondent terms :math:`u_i` (with random slopes also
    :math:`z_i`), which enter only their own respondent's answers. The respondent terms are
    integrated out by a Laplace approximation,

    .. math::

        \log p(g \mid y) \approx \log p(g, \hat u(g), y)
            - \tfrac12 \log\det\bigl(-H_{uu}(g)\bigr) + \text{const},

    where :math:`\hat u(g)` maximizes :math:`\log p(g, u, y)` over :math:`u` (Newton steps, one
    small block per respondent) and :math:`H_{uu}` is the block-diagonal Hessian there. The log
    density is the PyMC model's own, compiled to JAX. :meth:`fit` finds the mode :math:`\hat g`
    of this approximate marginal posterior with L-BFGS (plus Newton steps) and approximates
    the posterior of :math:`g` by :math:`\mathrm{Normal}(\hat g, \Sigma)`, with :math:`\Sigma`
    the inverse of the negative Hessian of the approximate log posterior at :math:`\hat g`;
    :class:`LaplaceFit` keeps the effects' block of :math:`\hat g` and :math:`\Sigma`. The
    marginal approximation is the one TMB uses for mixed models (Kristensen et al., 2016) and
    INLA for the hyperparameters of latent Gaussian models (Rue et al., 2009). Integrating the
    respondent terms out matters: a normal approximation at the joint mode of :math:`(g, u)`
    shrinks the respondent terms and rescales the effects. The module docstring gives the
    details and :attr:`LaplaceFit.converged` the convergence checks.

    References
    ----------
    - Kristensen, K., Nielsen, A., Berg, C. W., Skaug, H., & Bell, B. M. (2016). TMB:
      Automatic differentiation and Laplace approximation. *Journal of Statistical Software*,
      70(5), 1-21.
    - Rue, H., Martino, S., & Chopin, N. (2009). Approximate Bayesian inference for latent
      Gaussian models by using integrated nested Laplace approximations. *Journal of the Royal
      Statistical Society: Series B (Statistical Methodology)*, 71(2), 319-392.

    Examples
    --------
    >>> from trustmodels.design import simulate_design_survey
    >>> design = StudyDesign({"reaction": ["silence", "excuse"]}, outcomes=["trust"])
    >>> items = {"trust": ["t1", "t2", "t3"]}
    >>> long = simulate_design_survey(design, {"reaction[excuse]": 1.0}, n_respondents=200,
    ...                               items=items, seed=1)
    >>> fitter = LaplaceFitter(long, design)
    >>> fit = fitter.fit(long)
    >>> fit.converged, fit.effects
    (True, ('reaction[excuse]',))
    >>> mean, sd = fit.contrast({"reaction[excuse]": 1.0})  # posterior mean and SD
    >>> round(mean, 1), round(sd, 2)
    (1.5, 0.23)
    """

    def __init__(self, long: pd.DataFrame, design: StudyDesign, **model_options):
        import jax
        import pytensor.tensor as pt
        from pymc.sampling.jax import get_jaxified_graph
        from pytensor.graph.replace import clone_replace

        from trustmodels.models.declared import build_design_model

        if design.groups or design.covariate_columns:
            raise ValueError("the fast fitter does not take grouping factors or covariate "
                             f"columns ({[*design.groups, *design.covariate_columns]}); fit "
                             "such a design with NUTS (trustmodels.fit)")
        self.design = design
        self.template = prepare_design_data(long, design)
        model = build_design_model(long, design, **model_options)
        self.model = model
        self.effects = tuple(model.coords["effect"])
        value_vars = model.value_vars
        names = [var.name for var in value_vars]
        point = model.initial_point()
        replace = {model["X"]: pt.matrix("X_input"),
                   model.rvs_to_values[model["y"]]: pt.lvector("y_input")}
        self._has_covariate = "covariate" in model.named_vars
        if self._has_covariate:
            replace[model["covariate"]] = pt.vector("covariate_input")
        logp = clone_replace(model.logp(), replace)
        logp_fn = get_jaxified_graph(inputs=[*value_vars, *replace.values()], outputs=[logp])
        self._global_names = [name for name in names if name not in LOCAL_VARIABLES]
        self._local_names = [name for name in names if name in LOCAL_VARIABLES]
        shapes = {name: tuple(point[name].shape) for name in names}
        sizes = [int(np.prod(shapes[name])) for name in self._global_names]
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self._slices = {name: slice(offsets[k], offsets[k + 1])
                        for k, name in enumerate(self._global_names)}
        self._shapes = shapes
        self._g0 = np.concatenate([np.ravel(point[name]) for name in self._global_names])
        n_respondents = shapes["u"][0]
        widths = [1 if name == "u" else shapes[name][1] for name in self._local_names]
        self._local0 = np.zeros((n_respondents, sum(widths)))
        beta = self._slices["beta"]
        self._beta_index = np.arange(beta.start, beta.stop)

        def unpack(g, local, data):
            values, start = {}, 0
            for name in self._global_names:
                values[name] = g[self._slices[name]].reshape(shapes[name])
            for name, width in zip(self._local_names, widths, strict=True):
                block = local[:, start:start + width]
                values[name] = block[:, 0] if name == "u" else block
                start += width
            return [values[name] for name in names] + list(data)

        def log_joint(g, local, data):
            return logp_fn(*unpack(g, local, data))[0]

        grad_local = jax.grad(log_joint, argnums=1)
        width = self._local0.shape[1]

        def local_gradient_and_hessian(g, local, data):
            gradient = grad_local(g, local, data)
            columns = [jax.jvp(lambda z: grad_local(g, z, data), (local,),
                               (jax.numpy.zeros_like(local).at[:, b].set(1.0),))[1]
                       for b in range(width)]
            return gradient, jax.numpy.stack(columns, axis=-1)  # (respondent, width, width)

        def newton_step(g, local, data):
            gradient, hessian = local_gradient_and_hessian(g, local, data)
            return local - jax.numpy.linalg.solve(hessian, gradient[..., None])[..., 0]

        def solve_local(g, local, data):
            def keep_going(state):
                _, step, size = state
                return (step < 50) & (size > 1e-10)

            def body(state):
                current, step, _ = state
                updated = newton_step(g, current, data)
                return updated, step + 1, jax.numpy.max(jax.numpy.abs(updated - current))

            infinite = jax.numpy.asarray(jax.numpy.inf, dtype=local.dtype)
            start = (local, jax.numpy.asarray(0), infinite)
            local, _, _ = jax.lax.while_loop(keep_going, body, start)
            gradient = grad_local(g, local, data)
            return local, jax.numpy.max(jax.numpy.abs(gradient))

        def negative_log_marginal(g, local_hat, data):
            # one Newton step from the solved respondent terms: exact first derivatives of the
            # solution in g (implicit function theorem), so gradients and Hessians are right
            local = newton_step(g, jax.lax.stop_gradient(local_hat), data)
            _, hessian = local_gradient_and_hessian(g, local, data)
            _, logdet = jax.numpy.linalg.slogdet(-hessian)
            return -(log_joint(g, local, data) - 0.5 * logdet.sum())

        self._solve_local = jax.jit(solve_local)
        self._value_and_grad = jax.jit(jax.value_and_grad(negative_log_marginal))
        self._hessian = jax.jit(jax.hessian(negative_log_marginal))

    def _data(self, data: DesignData):
        import jax.numpy as jnp

        template = self.template
        for name in ("occasion_respondent", "occasion_index", "item_index"):
            if not np.array_equal(getattr(data, name), getattr(template, name)):
                raise ValueError(f"the data's layout differs from the fitter's ({name}); build a "
                                 "LaplaceFitter for this layout")
        if list(data.design.columns) != list(self.effects):
            raise ValueError("the data's effects differ from the fitter's")
        arrays = [jnp.asarray(data.design.to_numpy(float)), jnp.asarray(data.response)]
        if self._has_covariate:
            arrays.append(jnp.asarray(data.covariate))
        return tuple(arrays)

    def fit(self, long: pd.DataFrame | DesignData, *, max_iterations: int = 500) -> LaplaceFit:
        """Fit one data set of the fitter's layout.

        Parameters
        ----------
        long : pandas.DataFrame or DesignData
            The answers (or their prepared arrays).
        max_iterations : int
            L-BFGS iterations at most.

        Returns
        -------
        LaplaceFit
            Never raises for a fit that fails to converge: ``converged`` is False and
            ``problem`` says why.
        """
        import jax
        import scipy.optimize

        data = long if isinstance(long, DesignData) else prepare_design_data(long, self.design)
        with jax.enable_x64(True):
            arrays = self._data(data)
            state = {"local": jax.numpy.asarray(self._local0), "local_gradient": np.inf}

            def objective(g):
                g = jax.numpy.asarray(g)
                local, local_gradient = self._solve_local(g, state["local"], arrays)
                if np.all(np.isfinite(np.asarray(local))):
                    state["local"], state["local_gradient"] = local, float(local_gradient)
                value, gradient = self._value_and_grad(g, state["local"], arrays)
                return float(value), np.asarray(gradient, dtype=float)

            result = scipy.optimize.minimize(objective, self._g0, jac=True, method="L-BFGS-B",
                                             options={"maxiter": max_iterations})
            point = np.asarray(result.x, dtype=float).copy()
            for newton in range(MAX_NEWTON_STEPS + 1):
                _, gradient = objective(point)  # respondent terms and gradient at the point
                hessian = np.asarray(self._hessian(jax.numpy.asarray(point), state["local"],
                                                   arrays), dtype=float)
                problem, cov, step, distance = _newton_step(hessian, gradient)
                if problem or distance <= MODE_TOLERANCE:
                    break
                if newton < MAX_NEWTON_STEPS:  # too far from the mode: step and look again
                    point = point - step
        mode = point if problem else point - step
        if not problem and distance > MODE_TOLERANCE:
            problem = f"the optimizer stopped {distance:.2g} posterior SDs from the mode"
        if not problem and state["local_gradient"] > LOCAL_GRADIENT_TOLERANCE:
            problem = "the respondent terms did not converge"
        index = self._beta_index
        modes = {name: mode[self._slices[name]].reshape(self._shapes[name])
                 for name in self._global_names}
        return LaplaceFit(effects=self.effects, mean=mode[index],
                          cov=cov[np.ix_(index, index)], converged=not problem, problem=problem,
                          iterations=int(result.nit), globals_mode=modes)


def _newton_step(hessian: np.ndarray, gradient: np.ndarray):
    """Return (problem, covariance, Newton step, its largest size in posterior SDs)."""
    cov = np.full_like(hessian, np.nan)
    step = np.zeros_like(gradient)
    if not np.all(np.isfinite(hessian)) or not np.all(np.isfinite(gradient)):
        return "the Hessian at the mode is not finite", cov, step, np.inf
    hessian = 0.5 * (hessian + hessian.T)
    try:
        factor = np.linalg.cholesky(hessian)
    except np.linalg.LinAlgError:
        return "the Hessian at the mode is not positive definite", cov, step, np.inf
    inverse_factor = np.linalg.inv(factor)
    cov = inverse_factor.T @ inverse_factor
    step = cov @ gradient
    return "", cov, step, float(np.max(np.abs(step) / np.sqrt(np.diag(cov))))
