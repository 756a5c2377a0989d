"""``trustmodels report``: validate, fit and report a survey of any declared design, one command.

The command checks everything that can be checked in seconds first (the codebook, every cell of
the data, the design against the data, the output folder), each problem as one line and exit
status 2; then it samples the model with a progress bar (the fit goes through the convergence
gate and into the fit cache), executes the report notebook (:mod:`trustmodels.report.notebook`),
which loads that fit from the cache, and writes into ``--out``:

- ``index.html``: the report as one page (figures embedded);
- ``report.ipynb``: the executed notebook, to open and change;
- the numbers as tables: ``exclusions.csv``, ``exclusions_by_condition.csv``, ``cells.csv``,
  ``reliability.csv``,
  ``diagnostics.csv``, ``predictive_by_condition.csv``, ``proportional_odds.csv``,
  ``contrasts.csv``, ``floodlight.csv``
  (those that apply).

Nothing is written next to the input, and an existing non-empty ``--out`` folder is replaced only
with ``--force``.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["FigureWithAlt", "ReportError", "ReportSettings", "add_report_arguments",
           "figure_with_alt", "images_with_alt_text", "run_report"]

#: Draws, tuning steps and chains of a report, and of ``--quick`` (a labelled preview); a value
#: given explicitly wins over both.
FULL = {"draws": 1000, "tune": 1000, "chains": 4}
QUICK = {"draws": 250, "tune": 400, "chains": 4}


def gate_thresholds(quick: bool):
    """Return the convergence gate of a report: the book's, or a looser one for ``--quick``.

    A preview of 4 x 250 draws cannot reach 400 effective draws; its gate asks for 100 and an
    R-hat below 1.05, and the report says so next to the verdict.

    Examples
    --------
    >>> gate_thresholds(quick=True).ess_min, gate_thresholds(quick=False).ess_min
    (100.0, 400.0)
    """
    from trustmodels.inference.diagnostics import DEFAULT_THRESHOLDS, GateThresholds

    return GateThresholds(rhat_max=1.05, ess_min=100.0) if quick else DEFAULT_THRESHOLDS


class ReportError(ValueError):
    """A problem with the report's input or output (one line, shown without a traceback)."""


@dataclass
class ReportSettings:
    """What one report run does.

    Parameters
    ----------
    data, codebook : pathlib.Path
        The survey CSV file and its codebook (``datapackage.json``).
    out : pathlib.Path
        Output folder.
    outcomes : list of str, optional
        Outcome constructs (default: the codebook's).
    at : dict, optional
        Moderator -> raw values at which the contrasts are shown (default: the centres).
    draws, tune, chains : int, optional
        Posterior draws and tuning steps per chain, chains (default :data:`FULL`, or
        :data:`QUICK` with ``quick``).
    cores : int, optional
        Cores of the fit (default: :func:`trustmodels.config.fit_cores`).
    seed : int
        Random seed of the fit and the predictive checks.
    rope : float
        Half-width of the latent-scale ROPE (latent SD).
    random_slopes : bool
        Respondent-level slopes of the effects that vary within respondents
        (:func:`trustmodels.models.declared.build_design_model`).
    quick : bool
        A fast preview (:data:`QUICK`), labelled as such in the report.
    force : bool
        Replace an existing non-empty output folder.
    command : str
        The command line that reproduces the run (shown in the report).
    """

    data: Path
    codebook: Path
    out: Path
    outcomes: list[str] | None = None
    at: dict[str, list[float]] | None = None
    draws: int | None = None
    tune: int | None = None
    chains: int | None = None
    cores: int | None = None
    seed: int = 20261122
    rope: float = 0.1
    random_slopes: bool = False
    quick: bool = False
    force: bool = False
    command: str = field(default="")

    def __post_init__(self):
        defaults = QUICK if self.quick else FULL
        for name, value in defaults.items():
            if getattr(self, name) is None:
                setattr(self, name, value)


def _moderator_values(text: str) -> tuple[str, list[float]]:
    name, _, values = text.partition("=")
    try:
        numbers = [float(value) for value in values.split(",") if value.strip()]
    except ValueError:
        numbers = []
    if not name or not numbers:
        raise argparse.ArgumentTypeError(f"--at {text!r}: expected NAME=VALUE,VALUE,... "
                                         "(e.g. fan_count=100,10000)")
    return name, numbers


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``trustmodels report`` to ``parser``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The ``report`` subcommand's parser.
    """
    parser.add_argument("data", type=Path, help="the survey CSV file")
    parser.add_argument("--codebook", type=Path, required=True,
                        help="its codebook (datapackage.json) declaring the design")
    parser.add_argument("--out", type=Path, default=Path("report"),
                        help="output folder (default: report/)")
    parser.add_argument("--outcomes", help="outcome constructs, comma-separated "
                                           "(default: the codebook's)")
    parser.add_argument("--at", action="append", type=_moderator_values, default=[],
                        metavar="NAME=V1,V2", help="moderator values for the contrasts "
                                                   "(repeatable; default: the centres)")
    parser.add_argument("--draws", type=int, default=None,
                        help="draws per chain (1000; 250 with --quick)")
    parser.add_argument("--tune", type=int, default=None,
                        help="tuning steps per chain (1000; 400 with --quick)")
    parser.add_argument("--chains", type=int, default=None, help="chains (4)")
    parser.add_argument("--cores", type=int, default=None,
                        help="cores of the fit (default: the machine's, one per chain)")
    parser.add_argument("--seed", type=int, default=20261122, help="random seed")
    parser.add_argument("--rope", type=float, default=0.1,
                        help="half-width of the latent ROPE in latent SD (0.1)")
    parser.add_argument("--random-slopes", action="store_true",
                        help="respondent-level slopes of within-respondent effects (designs "
                             "with several vignettes per respondent)")
    parser.add_argument("--quick", action="store_true",
                        help="fast preview (4 chains of 250 draws, looser gate), labelled")
    parser.add_argument("--force", action="store_true",
                        help="replace an existing non-empty output folder")


def command_line(settings: ReportSettings) -> str:
    """Return the ``trustmodels report`` command that reproduces ``settings``.

    Examples
    --------
    >>> command_line(ReportSettings(Path("s.csv"), Path("dp.json"), Path("out"), quick=True))
    'trustmodels report s.csv --codebook dp.json --out out --quick --seed 20261122'
    """
    words = ["report", str(settings.data), "--codebook", str(settings.codebook), "--out",
             str(settings.out)]
    if settings.quick:
        words.append("--quick")
    defaults = QUICK if settings.quick else FULL
    for name in ("draws", "tune", "chains"):
        if getattr(settings, name) != defaults[name]:
            words += [f"--{name}", str(getattr(settings, name))]
    if settings.outcomes:
        words += ["--outcomes", ",".join(settings.outcomes)]
    for name, values in (settings.at or {}).items():
        words += ["--at", f"{name}=" + ",".join(f"{value:g}" for value in values)]
    words += ["--seed", str(settings.seed)]
    if settings.rope != 0.1:
        words += ["--rope", f"{settings.rope:g}"]
    if settings.random_slopes:
        words.append("--random-slopes")
    return "trustmodels " + shlex.join(words)


def settings_from_arguments(args: argparse.Namespace, argv: Sequence[str]) -> ReportSettings:
    """Return the settings of a parsed ``trustmodels report`` command line."""
    return ReportSettings(
        data=args.data, codebook=args.codebook, out=args.out,
        outcomes=[name.strip() for name in args.outcomes.split(",")] if args.outcomes else None,
        at=dict(args.at) or None, draws=args.draws, tune=args.tune, chains=args.chains,
        cores=args.cores, seed=args.seed, rope=args.rope, random_slopes=args.random_slopes,
        quick=args.quick, force=args.force,
        command="trustmodels " + shlex.join(argv))


def _check_inputs(settings: ReportSettings):
    """Return the validated survey, the design and its model; raise ReportError with one line.

    Building the model runs every check of the design against the data
    (:func:`trustmodels.design.prepare_design_data`) before any sampling.
    """
    from trustmodels.design import StudyDesign, design_table
    from trustmodels.models.declared import build_design_model
    from trustmodels.survey.codebook import Codebook, CodebookError
    from trustmodels.survey.exclusions import apply_exclusions
    from trustmodels.survey.table import load_survey
    from trustmodels.survey.validation import SurveyValidationError, summarize_problems

    for name, path in (("data", settings.data), ("codebook", settings.codebook)):
        if not Path(path).is_file():
            raise ReportError(f"{path}: no such file; expected the survey's {name} file")
    for name, value, least in (("draws", settings.draws, 1), ("chains", settings.chains, 1),
                               ("tune", settings.tune, 0), ("cores", settings.cores, 1)):
        if value is not None and value < least:
            raise ReportError(f"--{name} {value}: expected an integer >= {least}")
    if not settings.rope > 0:
        raise ReportError(f"--rope {settings.rope:g}: expected a positive half-width (latent SD)")
    try:
        codebook = Codebook.from_file(settings.codebook)
    except CodebookError as error:
        raise ReportError("; ".join(error.problems)) from None
    try:
        survey = load_survey(settings.data, codebook)
    except SurveyValidationError as error:
        lines = summarize_problems(error.problems)
        more = f" (and {len(lines) - 1} more; run trustmodels validate)" if len(lines) > 1 else ""
        raise ReportError(lines[0] + more) from None
    try:
        design = StudyDesign.from_codebook(codebook, outcomes=settings.outcomes)
        kept, _ = apply_exclusions(survey)
        model = build_design_model(design_table(kept), design,
                                   random_slopes=settings.random_slopes)
    except ValueError as error:
        raise ReportError(f"{settings.codebook}: {error}") from None
    unknown = sorted(set(settings.at or {}) - set(design.moderators))
    if unknown:
        raise ReportError(f"--at {unknown[0]}: not a moderator of the design; moderators: "
                          f"{list(design.moderators) or 'none'}")
    return survey, design, model


def _check_out(settings: ReportSettings) -> None:
    out = Path(settings.out).resolve()
    for name, path in (("data", settings.data), ("codebook", settings.codebook)):
        if out == Path(path).resolve().parent or out in Path(path).resolve().parents:
            raise ReportError(f"{settings.out}: holds the {name} file {path}; expected a "
                              "separate output folder (nothing is written next to the input, "
                              "and --force would replace it)")
    if out.exists() and not out.is_dir():
        raise ReportError(f"{settings.out}: exists and is not a folder; expected an output "
                          "folder")
    if out.is_dir() and any(out.iterdir()) and not settings.force:
        raise ReportError(f"{settings.out}: the folder exists and is not empty; pass --force to "
                          "replace it or choose another --out")


def _prefit(settings: ReportSettings, model, progress) -> str | None:
    """Sample the report's model with a progress bar; return the gate's failure or None.

    The notebook builds the same model from the same data and asks :func:`fit` with the same
    settings, so it loads this fit from the fit cache instead of sampling again.
    """
    from trustmodels.inference.diagnostics import FitDiagnosticsError
    from trustmodels.inference.sampling import fit

    try:
        fit(model, draws=settings.draws, tune=settings.tune, chains=settings.chains,
            cores=settings.cores, random_seed=settings.seed, label="report fit",
            thresholds=gate_thresholds(settings.quick), progressbar=progress is not None,
            cache=True)
    except FitDiagnosticsError as error:
        return str(error)
    return None


def run_report(settings: ReportSettings,
               progress: Callable[[str], None] | None = print) -> Path:
    """Run the whole report; return the path of ``index.html``.

    Parameters
    ----------
    settings : ReportSettings
        What to run.
    progress : callable, optional
        Called with one line per stage (default :func:`print`); ``None`` runs silently
        (without the sampler's progress bar).

    Returns
    -------
    pathlib.Path
        ``<out>/index.html``.

    Raises
    ------
    ReportError
        For a problem with the input or the output folder (one line), before any sampling.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    from trustmodels.report.notebook import report_notebook

    say = progress or (lambda line: None)
    started = time.perf_counter()
    say(f"[1/4] checking {settings.data} against {settings.codebook}")
    survey, design, model = _check_inputs(settings)
    _check_out(settings)
    say(f"      valid: {survey.n_rows} rows, {survey.n_respondents} respondents; "
        f"{len(design.factors)} factor(s), {len(design.moderators)} moderator(s)")
    say(f"[2/4] sampling the model ({settings.chains} chains x {settings.draws} draws"
        + (", QUICK PREVIEW" if settings.quick else "") + ")")
    failure = _prefit(settings, model, progress)
    say("      " + ("the fit passes the convergence gate" if failure is None
                    else f"the fit FAILS the convergence gate: {failure}"))
    say("[3/4] executing the report notebook")
    values = asdict(settings)
    values.update(data=str(Path(settings.data).resolve()),
                  codebook=str(Path(settings.codebook).resolve()),
                  out=str(settings.out), title=survey.codebook.title or survey.source,
                  simulated=survey.codebook.simulated, gate_failure=failure,
                  command=settings.command or command_line(settings))
    notebook = report_notebook(values)
    out = Path(settings.out)
    staging = Path(tempfile.mkdtemp(prefix=".report-", dir=out.resolve().parent
                                    if out.resolve().parent.is_dir() else None))
    try:
        client = NotebookClient(notebook, timeout=None, kernel_name="python3",
                                resources={"metadata": {"path": str(staging)}})
        client.execute()
        for cell in notebook.cells:  # warnings and sampler logs are not part of the report
            if cell.cell_type == "code":
                cell.outputs = [output for output in cell.outputs
                                if not (output.get("output_type") == "stream"
                                        and output.get("name") == "stderr")]
        nbformat.write(notebook, staging / "report.ipynb")
        say("[4/4] writing index.html")
        exporter = HTMLExporter(template_name="lab", exclude_input=True,
                                exclude_input_prompt=True, exclude_output_prompt=True)
        html, _ = exporter.from_notebook_node(images_with_alt_text(notebook))
        (staging / "index.html").write_text(html, encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    tables = sorted(path.name for path in out.glob("*.csv"))
    say(f"wrote {out / 'index.html'}, {out / 'report.ipynb'} and {len(tables)} tables "
        f"({', '.join(tables)}) in {time.perf_counter() - started:.0f} s")
    return out / "index.html"


class FigureWithAlt:
    """A rendered figure with its alternative text, shown by Jupyter's ``display``.

    Jupyter asks it for its representations (``_repr_mimebundle_``) and gets the PNG with the
    text as the image's ``alt`` metadata, which :func:`images_with_alt_text` writes into the
    report's HTML.
    """

    def __init__(self, png: bytes, alt: str):
        self.png, self.alt = png, alt

    def _repr_mimebundle_(self, include=None, exclude=None):
        import base64

        data = {"image/png": base64.b64encode(self.png).decode("ascii"),
                "text/plain": f"<Figure: {self.alt}>"}
        return data, {"image/png": {"alt": self.alt}}


def figure_with_alt(figure, alt: str) -> FigureWithAlt:
    """Render a figure for the report with its alternative text (for screen readers); close it.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        The figure.
    alt : str
        What the figure shows, in one sentence.

    Returns
    -------
    FigureWithAlt
        Pass it to ``display``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> shown = figure_with_alt(plt.figure(), "An empty figure")
    >>> data, metadata = shown._repr_mimebundle_()
    >>> metadata["image/png"]["alt"], data["image/png"][:4]
    ('An empty figure', 'iVBO')
    """
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(figure)
    return FigureWithAlt(buffer.getvalue(), alt)


def images_with_alt_text(notebook):
    """Return a copy of ``notebook`` whose PNG outputs with an ``alt`` are HTML images with it.

    nbconvert's lab template does not write an image's alternative text; as HTML the report's
    figures keep the sentence :func:`figure_with_alt` gave them.

    Examples
    --------
    >>> import nbformat
    >>> cell = nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
    ...     "display_data", data={"image/png": "iVBOR"}, metadata={"image/png": {"alt": "A & B"}})])
    >>> out = images_with_alt_text(nbformat.v4.new_notebook(cells=[cell]))
    >>> out.cells[0].outputs[0].data["text/html"]
    '<img src="data:image/png;base64,iVBOR" alt="A &amp; B">'
    """
    import copy
    import html

    converted = copy.deepcopy(notebook)
    for cell in converted.cells:
        for output in cell.get("outputs", []):
            alt = output.get("metadata", {}).get("image/png", {}).get("alt")
            if output.get("output_type") in ("display_data", "execute_result") and alt:
                png = output["data"]["image/png"]
                output["data"] = {"text/html": f'<img src="data:image/png;base64,{png}" '
                                               f'alt="{html.escape(alt)}">'}
    return converted
