"""The ``trustmodels`` command line.

``trustmodels validate DATA.csv --codebook datapackage.json [--resource NAME]`` checks a survey
file against its codebook and prints every problem, one line each (rows are spreadsheet rows:
the header is row 1). It exits with 0 and prints ``valid: N respondents, M items`` when the file
is valid, and with 2 when it is not or when an input cannot be read. It only reads its inputs.

``trustmodels codebook draft FILE.csv [--max-levels N] > datapackage.json`` prints a first
codebook guessed from a survey file (:func:`trustmodels.survey.draft.draft_codebook`) as JSON on
stdout, with a one-line summary on stderr; every guess is marked ``"DRAFT: guessed ..."`` for the
user to check. It only reads the file; an unusable file gives one line on stderr and status 2.

``trustmodels report DATA.csv --codebook datapackage.json --out report/ [--quick] ...`` validates
the survey, fits the multilevel ordinal model of the design its codebook declares and writes a
report (:mod:`trustmodels.report.run`); a problem with the input is one line and status 2, before
any sampling.

``trustmodels plan [PLAN.json] --out DIR [--n-per-cell ...] [--replicates R] [--scheduler ...]``
runs a design analysis (:mod:`trustmodels.planning.command`): many simulated studies, each fitted
with the fast fitter on a Dask cluster, summarized as the assurance of each hypothesis.

``trustmodels simulate ...`` runs the documented generator of the simulated data
(:func:`trustmodels.simulation.simulate.main`), when it is installed.

Examples
--------
>>> main(["validate", "no-such-file.csv", "--codebook", "no-such-codebook.json"])
2
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from trustmodels._version import __version__

__all__ = ["EXIT_INVALID", "EXIT_OK", "main"]

EXIT_OK = 0
#: Exit status for invalid data or unusable input (as argparse uses for usage errors).
EXIT_INVALID = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trustmodels",
        description="Survey data checks and tools of the trustmodels research compendium.")
    parser.add_argument("--version", action="version", version=f"trustmodels {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    validate = commands.add_parser(
        "validate", help="check a survey CSV file against its codebook",
        description="Check a survey CSV file against its Data Package codebook and print every "
                    "problem, one line each (row N = spreadsheet row; the header is row 1); a "
                    "problem repeated in many rows of a column is one line with its count. "
                    "Exit status 0: valid; 2: problems or unreadable input.")
    validate.add_argument("data", nargs="?", metavar="DATA.csv",
                          help="the survey file (default: the resource's path in the codebook)")
    validate.add_argument("--codebook", required=True, metavar="datapackage.json",
                          help="the codebook (Frictionless Data Package v2)")
    validate.add_argument("--resource", metavar="NAME",
                          help="resource to use when the codebook describes several files")
    from trustmodels.report.run import add_report_arguments  # standard library only

    report = commands.add_parser(
        "report", help="validate, fit and report a survey of any declared design",
        description="Validate a survey against its codebook, fit the multilevel ordinal model "
                    "of the design the codebook declares (checked by the convergence gate) and "
                    "write a report into --out: index.html, report.ipynb and the numbers as "
                    "CSV tables. Exit status 2 for a problem with the input, before sampling.")
    add_report_arguments(report)
    codebook = commands.add_parser(
        "codebook", help="codebook tools: draft a codebook from a survey CSV file",
        description="Codebook tools.")
    codebook_commands = codebook.add_subparsers(dest="codebook_command", metavar="ACTION",
                                                required=True)
    draft = codebook_commands.add_parser(
        "draft", help="print a draft codebook guessed from a survey CSV file",
        description="Guess a codebook (Data Package v2 JSON) from a survey CSV file and print it "
                    "on stdout, e.g. `trustmodels codebook draft my_survey.csv > "
                    "datapackage.json` (save it next to the CSV file). Every guess is marked "
                    "\"DRAFT: guessed ...\" and what cannot be guessed is \"TODO: ...\": check "
                    "and fix them, then run `trustmodels validate`. Exit status 0: drafted; 2: "
                    "unreadable or empty file.")
    draft.add_argument("data", metavar="FILE.csv", help="the survey file (only read)")
    draft.add_argument("--max-levels", type=_positive_int, default=10, metavar="N",
                       help="a text column with at most N distinct values is a factor "
                            "(default 10)")
    from trustmodels.planning.command import add_plan_arguments  # standard library only

    plan = commands.add_parser(
        "plan", help="design analysis: how often a study of a given size decides each hypothesis",
        description="Simulate many studies of a declared design under each scenario, fit each "
                    "with the fast (integrated Laplace) fitter on a Dask cluster and write the "
                    "assurance of every hypothesis per design point into --out (results.csv, "
                    "assurance.csv, plan.json, manifest.json). Running the same command again "
                    "resumes an interrupted run. Without PLAN.json: the book's design analysis; "
                    "--print-plan prints it as a template. Exit status 2 for bad input.")
    add_plan_arguments(plan)
    commands.add_parser("simulate", help="generate the simulated survey (data/raw/)",
                        add_help=False)
    return parser


def _validate(args: argparse.Namespace) -> int:
    from trustmodels.survey.codebook import Codebook, CodebookError
    from trustmodels.survey.validation import summarize_problems, validate_survey

    try:
        codebook = Codebook.from_file(args.codebook, resource=args.resource)
    except CodebookError as error:
        print(error, file=sys.stderr)
        return EXIT_INVALID
    data = args.data if args.data is not None else codebook.data_path
    if data is None:
        print(f"{codebook.source}: resource {codebook.resource_name!r} has no \"path\"; "
              "give the DATA.csv file", file=sys.stderr)
        return EXIT_INVALID
    typed, problems = validate_survey(data, codebook)
    if problems:
        for line in summarize_problems(problems):
            print(line)
        count = len(problems)
        print(f"invalid: {count} problem{'s' if count != 1 else ''}", file=sys.stderr)
        return EXIT_INVALID
    if codebook.vignette:
        respondents = typed[codebook.id].nunique()
        print(f"valid: {len(typed)} rows ({respondents} respondents x their vignettes), "
              f"{len(codebook.items)} items")
    else:
        print(f"valid: {len(typed)} respondents, {len(codebook.items)} items")
    return EXIT_OK


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 1")
    return int(text)


def _codebook_draft(args: argparse.Namespace) -> int:
    import json

    from trustmodels.survey.draft import DraftError, draft_codebook, draft_summary

    try:
        package = draft_codebook(args.data, max_levels=args.max_levels)
    except DraftError as error:
        print(error, file=sys.stderr)
        return EXIT_INVALID
    text = json.dumps(package, indent=2, ensure_ascii=False) + "\n"
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("_", "-")
    if encoding in ("utf-8", "utf8") or not hasattr(sys.stdout, "buffer"):
        sys.stdout.write(text)
    else:  # e.g. a Windows console code page: the JSON is UTF-8 all the same
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.flush()
    print(draft_summary(package), file=sys.stderr)
    return EXIT_OK


def _simulate(argv: Sequence[str]) -> int:
    try:
        module = importlib.import_module("trustmodels.simulation.simulate")
    except ModuleNotFoundError as error:
        if error.name != "trustmodels.simulation.simulate":
            raise
        module = None
    run = getattr(module, "main", None)
    if run is None:
        print("trustmodels simulate: not available in this installation "
              "(trustmodels.simulation.simulate.main is missing)", file=sys.stderr)
        return EXIT_INVALID
    status = run(list(argv))
    return int(status or 0)


def _report(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from trustmodels.report.run import ReportError, run_report, settings_from_arguments

    try:
        run_report(settings_from_arguments(args, argv))
    except ReportError as error:
        print(f"trustmodels report: {error}", file=sys.stderr)
        return EXIT_INVALID
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0 when the command succeeded, 2 for invalid data or unusable input.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "simulate":
        return _simulate(argv[1:])
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version or a usage error (already printed)
        return int(stop.code or 0)
    if args.command == "validate":
        return _validate(args)
    if args.command == "codebook" and args.codebook_command == "draft":
        return _codebook_draft(args)
    if args.command == "report":
        return _report(args, argv)
    if args.command == "plan":
        from trustmodels.planning.command import run_plan_command

        return run_plan_command(args)
    parser.print_help(sys.stderr)
    return EXIT_INVALID
