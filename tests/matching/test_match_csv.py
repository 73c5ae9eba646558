"""``collider match-csv`` through the real CLI entry point, on small files it writes itself."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

ROWS = [
    ("1", "Kirjastoon lisää lukupiirejä lapsille", "city"),
    ("2", "Lasten lukupiiri kirjastossa", "company"),
    ("3", "Kirjaston lukupiiri nuorille", "association"),
    ("4", "Pyöräteitä Vallilaan", "city"),
    ("5", "Vallilan pyörätiet kuntoon", "association"),
    ("6", "Pyöräily Vallilassa turvallisemmaksi", "company"),
]


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def table(rows: list[tuple[str, ...]], delimiter: str = ",") -> str:
    lines = [delimiter.join(("id", "text", "org"))]
    lines += [delimiter.join(row) for row in rows]
    return "\n".join(lines) + "\n"


def read_output(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def run(tmp_path: Path, source: Path, *extra: str) -> int:
    return main(["match-csv", str(source), "--out", str(tmp_path / "out.csv"), *extra])


def test_happy_path_writes_groups_and_explanations(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    source = write(tmp_path / "in.csv", table(ROWS))
    assert (
        run(tmp_path, source, "--min-size", "3", "--max-size", "3", "--diversity-column", "org")
        == 0
    )
    rows = read_output(tmp_path / "out.csv")
    assert list(rows[0]) == [
        "id", "group", "text", "org", "tie_terms", "tie_score",
        "group_size", "group_cohesion", "group_terms",
    ]  # fmt: skip
    groups: dict[str, set[str]] = {}
    for row in rows:
        groups.setdefault(row["group"], set()).add(row["id"])
    assert sorted(map(sorted, groups.values())) == [["1", "2", "3"], ["4", "5", "6"]]
    library = next(row for row in rows if row["id"] == "1")
    assert (library["text"], library["org"]) == (ROWS[0][1], ROWS[0][2])
    assert "lukupiiri" in library["group_terms"]
    assert "lukupiiri" in library["tie_terms"].split("; ")
    assert float(library["tie_score"]) > 0
    assert "Placed 6 people in 2 groups" in capsys.readouterr().out


def test_semicolons_and_bom_from_excel(tmp_path: Path) -> None:
    source = tmp_path / "excel.csv"
    source.write_bytes(b"\xef\xbb\xbf" + table(ROWS, ";").encode("utf-8"))
    assert run(tmp_path, source) == 0
    assert sorted(row["id"] for row in read_output(tmp_path / "out.csv")) == [r[0] for r in ROWS]


def test_empty_text_rows_are_skipped_and_reported(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    source = write(tmp_path / "in.csv", table([*ROWS, ("7", " ", "city")]))
    assert run(tmp_path, source) == 0
    assert "7" not in {row["id"] for row in read_output(tmp_path / "out.csv")}
    assert "Skipped 1 row with empty text: 7" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        (table(ROWS).replace("text", "body"), (), 'the column "text" is missing'),
        (table(ROWS), ("--diversity-column", "sector"), 'the column "sector" is missing'),
        ("", (), "is empty"),
        ("id,text\n", (), "has a header but no rows"),
        (table([*ROWS, ("2", "again", "city")]), (), 'the id "2" appears twice'),
        (table(ROWS), ("--min-size", "5", "--max-size", "3"), "1 <= min <= max"),
        (table(ROWS), ("--min-size", "0"), "1 <= min <= max"),
        (table(ROWS), ("--min-distinct", "3"), "--min-distinct 3 needs --diversity-column"),
    ],
)
def test_errors_are_one_line_and_exit_non_zero(  # type: ignore[no-untyped-def]
    tmp_path: Path, capsys, content: str, extra: tuple[str, ...], message: str
) -> None:
    source = write(tmp_path / "in.csv", content)
    assert run(tmp_path, source, *extra) == 1
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "out.csv").exists()


def test_latin1_is_read_and_a_binary_file_names_the_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    source = write(tmp_path / "latin.csv", table(ROWS), encoding="latin-1")
    assert run(tmp_path, source) == 0  # the reader import ideas uses: Latin-1 is detected
    binary = tmp_path / "book.csv"
    binary.write_bytes(b"id,text\n\xff\x00\xfe\n")
    assert run(tmp_path, binary) == 1
    assert "not text in any encoding the bot reads (line 2)" in capsys.readouterr().err


def test_missing_file(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert run(tmp_path, tmp_path / "nope.csv") == 1
    assert "cannot find the file" in capsys.readouterr().err


def test_messages_follow_the_default_language(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLLIDER_DEFAULT_LANGUAGE", "fi")
    assert run(tmp_path, write(tmp_path / "in.csv", "")) == 1
    assert "on tyhjä" in capsys.readouterr().err


def test_tiny_file_explains_its_single_group(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    source = write(tmp_path / "in.csv", table(ROWS[:2]))
    assert run(tmp_path, source) == 0
    assert {row["group"] for row in read_output(tmp_path / "out.csv")} == {"1"}
    assert "fewer than a group of 3" in capsys.readouterr().out


def test_without_diversity_column_the_output_has_no_such_column(tmp_path: Path) -> None:
    assert run(tmp_path, write(tmp_path / "in.csv", table(ROWS))) == 0
    rows = read_output(tmp_path / "out.csv")
    assert list(rows[0])[:4] == ["id", "group", "text", "tie_terms"]


def test_cells_a_spreadsheet_would_run_are_quoted(tmp_path: Path) -> None:
    rows = [*ROWS[:5], ("6", "=HYPERLINK(1) Pyöräily Vallilassa", "city")]
    assert run(tmp_path, write(tmp_path / "in.csv", table(rows))) == 0
    texts = {row["id"]: row["text"] for row in read_output(tmp_path / "out.csv")}
    assert texts["6"] == "'=HYPERLINK(1) Pyöräily Vallilassa"


def test_a_diversity_column_named_like_a_formula_is_quoted_in_the_header(tmp_path: Path) -> None:
    # The header name is the input file's, repeated in the output: a cell like any other.
    name = "=HYPERLINK(1)"
    text = table(ROWS).replace(",org\n", f",{name}\n", 1)
    assert run(tmp_path, write(tmp_path / "in.csv", text), "--diversity-column", name) == 0
    header = list(read_output(tmp_path / "out.csv")[0])
    assert header[3] == "'" + name and name not in header


@pytest.mark.parametrize("prefix", ["\u200b=", "\uff1d"])
def test_formulas_behind_invisible_or_full_width_characters_are_quoted_too(
    tmp_path: Path, prefix: str
) -> None:
    # The one guard of every CSV the bot writes (matching/csv_text.py), not a weaker copy.
    text = f"{prefix}HYPERLINK(1) Pyöräily Vallilassa"
    rows = [*ROWS[:5], ("6", text, "city")]
    assert run(tmp_path, write(tmp_path / "in.csv", table(rows))) == 0
    texts = {row["id"]: row["text"] for row in read_output(tmp_path / "out.csv")}
    assert texts["6"] == "'" + text


@pytest.mark.parametrize("spelling", ["same", "relative", "dotted"])
def test_out_equal_to_the_input_is_refused_and_the_input_kept(  # type: ignore[no-untyped-def]
    tmp_path: Path, capsys, monkeypatch, spelling: str
) -> None:
    source = write(tmp_path / "in.csv", table(ROWS))
    monkeypatch.chdir(tmp_path)
    out = {"same": str(source), "relative": "in.csv", "dotted": str(tmp_path / "." / "in.csv")}
    assert main(["match-csv", str(source), "--out", out[spelling]]) == 1
    assert "is the input file" in capsys.readouterr().err
    assert source.read_text(encoding="utf-8") == table(ROWS)


def test_help_gives_every_option_a_sentence_and_its_default(capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit):
        main(["match-csv", "--help"])
    options = capsys.readouterr().out.split("options:", 1)[1]
    # Each entry starts on a line of its own: "  --name ...", its help follows until the next.
    entries = re.split(r"\n  (?=-)", options)
    described = {entry.split()[0]: " ".join(entry.split()[1:]) for entry in entries if entry}
    expected = {
        "--out": "required",
        "--min-size": "(default: 3)",
        "--max-size": "(default: 5)",
        "--diversity-column": "(default: none",
        "--min-distinct": "(default: 2 when that column is given)",
        "--seed": "(default: 0)",
    }
    assert set(expected) <= set(described)
    for option, default in expected.items():
        assert default in described[option], option
        assert len(described[option].split()) >= 6, option


# What `collider match-csv` must not import: the Slack, database, scheduler and chart stacks,
# and scikit-learn (two seconds of scipy.stats at start for what the engine writes in numpy).
NOT_FOR_MATCH_CSV = (
    "sklearn", "slack_bolt", "slack_sdk", "sqlalchemy", "alembic", "apscheduler", "matplotlib",
    "gevent", "gunicorn", "yaml", "simplemma", "models", "services", "scheduler",
)  # fmt: skip


def test_match_csv_imports_only_what_it_uses(tmp_path: Path) -> None:
    """A fresh interpreter runs the command on a pool large enough for every engine stage."""
    rows = [(f"{i}-{j}", text, org) for i in range(8) for j, text, org in ROWS]
    source = write(tmp_path / "in.csv", table(rows))
    probe = (
        "import sys\n"
        "from bot.cli import main\n"
        f"code = main(['match-csv', {str(source)!r}, '--out', {str(tmp_path / 'out.csv')!r}])\n"
        "print(code, ' '.join(sorted({name.split('.')[0] for name in sys.modules})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    code, modules = done.stdout.splitlines()[-1].split(" ", 1)
    assert code == "0", done.stderr
    assert "matching" in modules.split()
    assert set(NOT_FOR_MATCH_CSV) & set(modules.split()) == set()
