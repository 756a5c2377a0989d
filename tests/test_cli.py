"""The command line, run as a user runs it (subprocess), plus the simulate hook in-process."""

import subprocess
import sys
import types
from pathlib import Path

import pytest

from tests.conftest import MINI_CODEBOOK, MINI_CSV, MINI_PROBLEMS_CSV, PROJECT_DATA
from trustmodels import cli

SCRIPT = Path(sys.executable).parent / "trustmodels"


def run(*args, cwd=None, script=False):
    command = [str(SCRIPT)] if script else [sys.executable, "-m", "trustmodels"]
    result = subprocess.run([*command, *map(str, args)], capture_output=True, text=True,
                            cwd=cwd, check=False, timeout=300)
    assert "Traceback" not in result.stdout + result.stderr
    return result


def listing(folder):
    return sorted(p.relative_to(folder) for p in Path(folder).rglob("*"))


def test_valid_file_via_the_installed_script(tmp_path, write_survey):
    csv_path, codebook_path = write_survey()
    before = listing(tmp_path)
    result = run("validate", csv_path, "--codebook", codebook_path, script=True)
    assert result.returncode == 0
    assert result.stdout == "valid: 8 respondents, 5 items\n"
    assert result.stderr == ""
    assert listing(tmp_path) == before


def test_invalid_file_prints_one_line_per_problem(tmp_path, write_survey):
    csv_path, codebook_path = write_survey(csv=MINI_PROBLEMS_CSV.read_text())
    before = listing(tmp_path)
    result = run("validate", csv_path, "--codebook", codebook_path)
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert len(lines) == 6
    assert all(line.startswith("survey.csv: row ") for line in lines)
    assert lines[0] == ("survey.csv: row 2 (respondent R01), column 'comp1': \"8\" is not an "
                        "answer category; expected one of 1, 2, 3, 4, 5, 6, 7")
    assert result.stderr == "invalid: 6 problems\n"
    assert listing(tmp_path) == before


@pytest.mark.parametrize("case", ["missing data", "missing codebook", "bad json", "not utf-8",
                                  "empty", "unknown resource"])
def test_user_mistakes_give_one_line_and_status_2(tmp_path, write_survey, case):
    csv_path, codebook_path = write_survey()
    args = ["validate", csv_path, "--codebook", codebook_path]
    if case == "missing data":
        args[1] = tmp_path / "nope.csv"
    elif case == "missing codebook":
        args[3] = tmp_path / "nope.json"
    elif case == "bad json":
        codebook_path.write_text('{"resources": [}', encoding="utf-8")
    elif case == "not utf-8":
        csv_path.write_bytes(MINI_CSV.read_text().replace("female", "f\u00e9male").encode("cp1252"))
    elif case == "empty":
        csv_path.write_bytes(b"")
    else:
        args += ["--resource", "wave9"]
    before = listing(tmp_path)
    result = run(*args)
    assert result.returncode == 2
    output = (result.stdout + result.stderr).strip().splitlines()
    problem_lines = [line for line in output if not line.startswith("invalid:")]
    assert len(problem_lines) == 1, output
    expected = {"missing data": "nope.csv: file not found",
                "missing codebook": "nope.json: codebook file not found",
                "bad json": "datapackage.json: line 1 column 16: not valid JSON",
                "not utf-8": "survey.csv: not utf-8 text: byte 0xe9 on line 2",
                "empty": "survey.csv: file is empty (0 bytes)",
                "unknown resource": "datapackage.json: no resource named 'wave9'"}[case]
    assert expected in problem_lines[0]
    assert listing(tmp_path) == before


def test_data_file_defaults_to_the_resource_path():
    result = run("validate", "--codebook", MINI_CODEBOOK)
    assert result.returncode == 0 and result.stdout == "valid: 8 respondents, 5 items\n"


def test_usage_errors_exit_2_without_traceback():
    result = run()
    assert result.returncode == 2 and "validate" in result.stderr
    result = run("validate", MINI_CSV)
    assert result.returncode == 2 and "--codebook" in result.stderr
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("trustmodels ")


def test_the_simulated_survey_validates():
    result = run("validate", PROJECT_DATA / "raw" / "trust_repair_simulated.csv", "--codebook",
                 PROJECT_DATA / "datapackage.json")
    assert result.returncode == 0
    assert result.stdout == "valid: 900 respondents, 18 items\n"


def test_simulate_delegates_to_the_generator(monkeypatch):
    calls = []
    fake = types.ModuleType("trustmodels.simulation.simulate")
    fake.main = lambda argv: calls.append(argv) or 0
    monkeypatch.setitem(sys.modules, "trustmodels.simulation.simulate", fake)
    assert cli.main(["simulate", "--seed", "7", "--out", "x"]) == 0
    assert calls == [["--seed", "7", "--out", "x"]]
    fake.main = lambda argv: 3
    assert cli.main(["simulate"]) == 3


def test_simulate_without_a_generator(monkeypatch, capsys):
    placeholder = types.ModuleType("placeholder")
    monkeypatch.setitem(sys.modules, "trustmodels.simulation.simulate", placeholder)
    assert cli.main(["simulate"]) == 2
    assert "not available" in capsys.readouterr().err


def test_in_process_validate_reports_problems(capsys):
    assert cli.main(["validate", str(MINI_PROBLEMS_CSV), "--codebook", str(MINI_CODEBOOK)]) == 2
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 6 and captured.err == "invalid: 6 problems\n"


def _many_rows(n: int, comp1: str) -> str:
    lines = MINI_CSV.read_text().splitlines()
    template = lines[1].split(",")
    rows = []
    for i in range(n):
        cells = list(template)
        cells[0], cells[4] = f"R{i:06d}", comp1
        rows.append(",".join(cells))
    return "\n".join([lines[0], *rows]) + "\n"


def test_many_problems_of_one_kind_are_summarized_not_listed(tmp_path, write_survey):
    # a file with thousands of bad cells printed thousands of lines
    csv_path, codebook_path = write_survey(csv=_many_rows(5000, "9"))
    result = run("validate", csv_path, "--codebook", codebook_path)
    assert result.returncode == 2
    assert result.stdout.splitlines() == [
        "survey.csv: column 'comp1', 5,000 rows (2, 3, 4, ...): \"9\" is not an answer "
        "category; expected one of 1, 2, 3, 4, 5, 6, 7"]
    assert result.stderr == "invalid: 5000 problems\n"


def test_integral_decimals_are_refused_in_one_line_per_column(write_survey):
    # R and pandas write an integer column that has missing values as 3.0, 5.0, ...: one such
    # file printed 11,805 lines; the values are refused (no silent coercion), in one line
    csv_path, codebook_path = write_survey(csv=_many_rows(200, "3.0"))
    result = run("validate", csv_path, "--codebook", codebook_path)
    assert result.returncode == 2
    (line,) = result.stdout.splitlines()
    assert line.startswith("survey.csv: column 'comp1', 200 rows (2, 3, 4, ...): \"3.0\" is not "
                           "an integer (a whole number)")
