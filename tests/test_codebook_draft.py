"""`trustmodels codebook draft`: a codebook guessed from a CSV file, checked by round trips.

Each survey below is written to a temporary folder, drafted, saved next to the CSV file and then
read back by the codebook parser and the validator, as a user would do.
"""

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from trustmodels import cli
from trustmodels.survey.codebook import Codebook, CodebookError
from trustmodels.survey.draft import DraftError, draft_codebook
from trustmodels.survey.validation import validate_survey

# R's ordinal::wine (Randall 1989), one row per judge and bottle, as the real file orders it
WINE_RATING = "233444551213235423325544323232532343333332322454112223232223333412323244"
WINE_RESPONSE = [int(x) for x in """
    36 48 47 67 77 60 83 90 17 22 14 50 30 51 90 70 36 50 42 23 80 81 73 62 46 27 48 32 57 37
    84 58 26 45 61 41 48 41 58 55 46 30 54 37 32 60 88 73 13 19 31 29 22 43 32 49 25 32 39 40
    51 45 42 67 12 29 47 28 47 38 72 65""".split()]


def write(folder: Path, name: str, rows: list[list], delimiter: str = ",") -> Path:
    path = folder / name
    path.write_text("".join(delimiter.join(map(str, row)) + "\n" for row in rows),
                    encoding="utf-8")
    return path


def round_trip(csv_path: Path, **options) -> tuple[dict, Codebook, list]:
    """Draft, save the draft next to the file, parse it and validate the file with it."""
    draft = draft_codebook(csv_path, **options)
    codebook_path = csv_path.parent / "datapackage.json"
    codebook_path.write_text(json.dumps(draft, indent=2), encoding="utf-8")
    book = Codebook.from_dict(draft, source=codebook_path.name, base_dir=csv_path.parent)
    assert book.data_path == csv_path
    assert Codebook.from_file(codebook_path).fields == book.fields
    _, problems = validate_survey(csv_path, book)
    return draft, book, problems


def fields_of(draft: dict) -> dict[str, dict]:
    return {spec["name"]: spec for spec in draft["resources"][0]["schema"]["fields"]}


def between_subjects_rows(n: int = 60) -> list[list]:
    rng = random.Random(11)
    rows = [["respondent_id", "seller_response", "violation", "fan_count", "trust1", "trust2",
             "trust3", "intent1", "intent2"]]
    for i in range(n):
        rows.append([f"R{i + 1:03d}", ("none", "apology", "denial")[i % 3],
                     ("competence", "integrity")[(i // 3) % 2],
                     round(10 ** rng.uniform(2, 6)),
                     *(rng.randint(1, 7) for _ in range(3)),
                     *(rng.randint(1, 5) for _ in range(2))])
    rows[1][3], rows[2][3] = 100, 1_000_000
    rows[1][4:9] = [1, 1, 1, 1, 1]
    rows[2][4:9] = [7, 7, 7, 5, 5]
    return rows


def wine_rows() -> list[list]:
    rows = [["response", "rating", "temp", "contact", "bottle", "judge"]]
    for position, (rating, response) in enumerate(zip(WINE_RATING, WINE_RESPONSE, strict=True)):
        judge, bottle = divmod(position, 8)
        rows.append([f"{response}.0", rating, ("cold", "warm")[bottle // 4],
                     ("no", "yes")[(bottle // 2) % 2], bottle + 1, judge + 1])
    return rows


# ---- the four kinds of file of the brief ------------------------------------------------------
def test_between_subjects_survey_round_trips(tmp_path):
    csv_path = write(tmp_path, "trust_survey.csv", between_subjects_rows())
    draft, book, problems = round_trip(csv_path)
    assert problems == []
    resource = draft["resources"][0]
    assert resource["trustmodels"] == {
        "id": "respondent_id",
        "constructs": {"trust": ["trust1", "trust2", "trust3"], "intent": ["intent1", "intent2"]},
        "design": ["seller_response", "violation"],
        "moderators": {"fan_count": {"transform": "log10", "centre": 4}},
    }
    fields = fields_of(draft)
    assert fields["trust2"]["type"] == "integer" and fields["trust2"]["categoriesOrdered"] is True
    assert fields["trust2"]["categories"] == [1, 2, 3, 4, 5, 6, 7]
    assert fields["intent1"]["categories"] == [1, 2, 3, 4, 5]
    assert fields["seller_response"]["categories"] == ["none", "apology", "denial"]
    assert fields["fan_count"] == {
        "name": "fan_count", "type": "integer",
        "description": "DRAFT: guessed a numeric moderator on a log10 scale (integers "
                       "100-1000000 span 4.0 orders of magnitude; centred at 4, the rounded "
                       "median of log10); remove it from trustmodels.moderators if it is not a "
                       "moderator"}
    assert fields["respondent_id"]["constraints"] == {"required": True, "unique": True}
    assert resource["schema"]["primaryKey"] == ["respondent_id"]
    assert resource["schema"]["missingValues"] == [""]
    assert (resource["name"], resource["path"], resource["format"], resource["encoding"]) == (
        "trust-survey", "trust_survey.csv", "csv", "utf-8")
    assert "dialect" not in resource
    assert draft["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert book.items == ("trust1", "trust2", "trust3", "intent1", "intent2")
    assert book.moderators == {"fan_count": ("log10", 4.0)}


def test_within_subjects_wine_file_guesses_judge_bottle_and_factors(tmp_path):
    csv_path = write(tmp_path, "wine.csv", wine_rows())
    draft, book, problems = round_trip(csv_path)
    assert problems == []
    ext = draft["resources"][0]["trustmodels"]
    assert ext["id"] == "judge" and ext["vignette"] == "bottle"
    assert ext["design"] == ["temp", "contact"]
    assert ext["constructs"] == {"rating": ["rating"]}
    # the 0-100 score is written as "36.0": a number, guessed (and marked) as a moderator
    assert ext["moderators"] == {"response": {"transform": "none", "centre": 47}}
    fields = fields_of(draft)
    assert fields["rating"]["categories"] == [1, 2, 3, 4, 5]
    assert fields["response"]["type"] == "number"
    assert fields["temp"]["categories"] == ["cold", "warm"]
    assert fields["judge"] == {
        "name": "judge", "type": "integer", "constraints": {"required": True},
        "description": "DRAFT: guessed the respondent id (the name 'judge' looks like an id; ids "
                       "repeat, 8 rows per id on average, told apart by 'bottle')"}
    assert fields["bottle"]["description"].startswith("DRAFT: guessed the vignette column")
    assert draft["resources"][0]["schema"]["primaryKey"] == ["judge", "bottle"]
    assert (book.id, book.vignette, book.design) == ("judge", "bottle", ("temp", "contact"))


def test_integral_decimals_and_na_codes(tmp_path):
    # pandas writes an integer column with missing values as 3.0, 5.0, ... (here with
    # na_rep="NA"); the draft still guesses integer Likert items, says the file must be fixed,
    # and the validator names exactly those cells
    rows = [["id", "group", "q1", "q2", "score", "age"],
            ["P1", "a", "3.0", "1", "12.5", "34"],
            ["P2", "b", "NA", "NA", "0.5", "NA"],
            ["P3", "a", "5.0", "2", "NaN", "51"],
            ["P4", "b", "1.0", "5", "3", "."]]
    csv_path = write(tmp_path, "pandas.csv", rows)
    draft, book, problems = round_trip(csv_path)
    fields = fields_of(draft)
    assert draft["resources"][0]["schema"]["missingValues"] == ["", "NA", "NaN", "."]
    assert draft["resources"][0]["trustmodels"]["constructs"] == {"q": ["q1", "q2"]}
    assert fields["q1"]["type"] == "integer" and fields["q1"]["categories"] == [1, 2, 3, 4, 5]
    assert fields["q1"]["description"].startswith(
        "DRAFT: guessed an ordered Likert item (integers 1-5) of construct 'q'; the file writes "
        "answers as decimals like \"3.0\": trustmodels validate accepts only whole numbers")
    assert "decimals" not in fields["q2"]["description"]
    assert 'q1' in draft["description"] and "Still to do" in draft["description"]
    # columns with missing cells are not moderators (a moderator may not be missing)
    assert "moderators" not in draft["resources"][0]["trustmodels"]
    assert fields["score"]["type"] == "number" and "not guessed as a moderator" in \
        fields["score"]["description"]
    assert [(p.column, p.row) for p in problems] == [("q1", 2), ("q1", 4), ("q1", 5)]
    assert all("is not an integer (a whole number)" in p.message for p in problems)
    # once the decimals are written as whole numbers, the same draft validates the file
    csv_path.write_text(csv_path.read_text().replace(".0,", ","), encoding="utf-8")
    assert validate_survey(csv_path, book)[1] == []


def test_r_style_na_with_whole_numbers_validates(tmp_path):
    rows = [["participant", "cond", "trust_1", "trust_2", "trust_3"],
            [1, "ctrl", 1, "NA", 4],
            [2, "treat", 2, 7, "NA"],
            [3, "ctrl", "NA", 3, 5],
            [4, "treat", 6, 1, 2]]
    draft, book, problems = round_trip(write(tmp_path, "r.csv", rows))
    assert problems == []
    assert book.constructs == {"trust": ("trust_1", "trust_2", "trust_3")}
    # the scale of a construct is the range over its items (nobody chose 3 in trust_1: filled)
    assert book.likert_levels("trust_1") == (1, 2, 3, 4, 5, 6, 7)
    assert "answers observed 1-6" in fields_of(draft)["trust_1"]["description"]
    assert draft["resources"][0]["schema"]["missingValues"] == ["", "NA"]


@pytest.mark.parametrize(("delimiter", "name"), [(";", "semicolon"), ("\t", "tab")])
def test_semicolon_and_tab_files_declare_their_delimiter(tmp_path, delimiter, name):
    rows = between_subjects_rows(12)
    csv_path = write(tmp_path, f"{name}.csv", rows, delimiter=delimiter)
    draft, book, problems = round_trip(csv_path)
    assert problems == []
    assert draft["resources"][0]["dialect"] == {"delimiter": delimiter}
    assert len(book.items) == 5


# ---- guesses and placeholders ----------------------------------------------------------------
def test_gaps_in_a_scale_are_filled_and_a_single_item_is_its_own_construct(tmp_path):
    rows = [["id", "satisfaction"], ["a", 1], ["b", 5], ["c", 2], ["d", 4]]
    draft = draft_codebook(write(tmp_path, "s.csv", rows))
    assert fields_of(draft)["satisfaction"]["categories"] == [1, 2, 3, 4, 5]
    assert draft["resources"][0]["trustmodels"]["constructs"] == {
        "satisfaction": ["satisfaction"]}


def test_max_levels_decides_factor_or_free_text(tmp_path):
    rows = [["id", "country", "q1"], *([f"R{i}", f"country{i}", 1 + i % 5] for i in range(12))]
    csv_path = write(tmp_path, "c.csv", rows)
    assert "categories" not in fields_of(draft_codebook(csv_path))["country"]
    draft = draft_codebook(csv_path, max_levels=12)
    assert len(fields_of(draft)["country"]["categories"]) == 12
    assert draft["resources"][0]["trustmodels"]["design"] == ["country"]


def test_what_cannot_be_guessed_is_a_todo_the_parser_refuses(tmp_path):
    # no Likert item, and ids that repeat with nothing telling a respondent's rows apart
    rows = [["subject", "comment"], ["s1", "fine"], ["s1", "fine"], ["s2", "bad"]]
    csv_path = write(tmp_path, "todo.csv", rows)
    draft = draft_codebook(csv_path)
    ext = draft["resources"][0]["trustmodels"]
    assert ext["constructs"] == {"TODO: construct name": ["TODO: its Likert item columns"]}
    assert ext["vignette"].startswith("TODO: ")
    assert "Still to do" in draft["description"]
    with pytest.raises(CodebookError, match="TODO"):
        Codebook.from_dict(draft, source="todo.json", base_dir=tmp_path)
    no_id = draft_codebook(write(tmp_path, "no_id.csv", [["q1", "q2"], [1, 2], [1, 3]]))
    assert no_id["resources"][0]["trustmodels"]["id"] == "TODO: the respondent id column"


# ---- the command --------------------------------------------------------------------------------
def listing(folder: Path) -> list:
    return sorted(path.relative_to(folder) for path in folder.rglob("*"))


def test_command_prints_the_draft_as_json_and_validate_accepts_it(tmp_path, capsys):
    rows = wine_rows()
    rows[1][2] = "kalt \u00e9t\u00e9"  # non-ASCII text stays readable UTF-8
    rows[0][0] = "r\u00e9ponse"
    csv_path = write(tmp_path, "wine.csv", rows)
    before = listing(tmp_path)
    assert cli.main(["codebook", "draft", str(csv_path)]) == 0
    out, err = capsys.readouterr()
    assert listing(tmp_path) == before  # nothing written next to the input
    draft = json.loads(out)
    assert out == json.dumps(draft_codebook(csv_path), indent=2, ensure_ascii=False) + "\n"
    assert "kalt \u00e9t\u00e9" in out and "\\u00e9" not in out
    assert err.splitlines() == [
        "wine.csv: drafted 6 fields: id 'judge', vignette 'bottle', 1 construct (1 item), "
        "2 design factors, 1 moderator; check every \"DRAFT\" and \"TODO\""]
    # what the user sees: every guess is marked as a draft
    assert draft["description"].startswith("DRAFT codebook guessed by `trustmodels codebook "
                                           "draft` from wine.csv; check it before use.")
    assert draft["resources"][0]["description"].startswith("DRAFT: ")
    for spec in draft["resources"][0]["schema"]["fields"]:
        assert spec["description"].startswith("DRAFT: guessed "), spec
    codebook_path = tmp_path / "wine.datapackage.json"
    codebook_path.write_text(out, encoding="utf-8")
    assert cli.main(["validate", str(csv_path), "--codebook", str(codebook_path)]) == 0
    assert capsys.readouterr().out.startswith("valid: ")


def test_command_max_levels_option(tmp_path, capsys):
    rows = [["id", "country", "q1"], *([f"R{i}", f"country{i}", 1 + i % 5] for i in range(12))]
    csv_path = write(tmp_path, "c.csv", rows)
    assert cli.main(["codebook", "draft", str(csv_path), "--max-levels", "12"]) == 0
    assert json.loads(capsys.readouterr().out)["resources"][0]["trustmodels"]["design"] == [
        "country"]
    assert cli.main(["codebook", "draft", str(csv_path), "--max-levels", "0"]) == 2
    assert "--max-levels" in capsys.readouterr().err


@pytest.mark.parametrize(("case", "expected"), [
    ("missing", "nope.csv: file not found; expected a CSV file with a header row"),
    ("empty", "survey.csv: file is empty (0 bytes); expected a CSV file"),
    ("blank lines", "survey.csv: file holds only blank lines; expected a CSV file"),
    ("header only", "survey.csv: has a header but no data rows; expected one row per respondent"),
    ("folder", "folder.csv: is a folder; expected a CSV file"),
    ("not utf-8", "survey.csv: not UTF-8 text (byte 0xe9 on line 2); expected a UTF-8 CSV"),
    ("uneven row", "survey.csv: line 3 has not 2 cells like the header"),
    ("empty header cell", "survey.csv: header cell 1 is empty; expected a column name"),
    ("bad quotes", "survey.csv: not well-formed CSV near line 2"),
])
def test_unusable_files_give_one_line_and_status_2(tmp_path, capsys, case, expected):
    csv_path = tmp_path / "survey.csv"
    content = {"empty": b"", "blank lines": b"\n\n", "header only": b"id,q1\n",
               "not utf-8": "id,city\n1,G\u00e9n\u00e8ve\n".encode("cp1252"),
               "uneven row": b"id,q1\n1,2\n2,3,4\n", "empty header cell": b",q1\n1,2\n",
               "bad quotes": b'id,q1\n"1,2\n'}.get(case)
    if content is not None:
        csv_path.write_bytes(content)
    if case == "missing":
        csv_path = tmp_path / "nope.csv"
    if case == "folder":
        csv_path = tmp_path / "folder.csv"
        csv_path.mkdir()
    before = listing(tmp_path)
    assert cli.main(["codebook", "draft", str(csv_path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    (line,) = err.splitlines()
    assert line.startswith(str(csv_path)) and expected.split(": ", 1)[1] in line, line
    assert listing(tmp_path) == before
    with pytest.raises(DraftError):
        draft_codebook(csv_path)


def test_codebook_without_action_is_a_usage_error(capsys):
    assert cli.main(["codebook"]) == 2
    assert "ACTION" in capsys.readouterr().err
    assert cli.main(["codebook", "draft"]) == 2
    assert "FILE.csv" in capsys.readouterr().err


def test_command_as_a_user_runs_it_loads_no_model_code(tmp_path):
    csv_path = write(tmp_path, "wine.csv", wine_rows())
    code = ("import sys; from trustmodels.cli import main; status = main(['codebook', 'draft', "
            f"{str(csv_path)!r}]); sys.stdout.flush(); "
            "assert not any(m.split('.')[0] in ('pymc', 'pytensor', 'arviz') "
            "for m in sys.modules), 'model code loaded'; sys.exit(status)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            encoding="utf-8", check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads(result.stdout)["resources"][0]["trustmodels"]["vignette"] == "bottle"
