"""Outside review: `collider import ideas` on files as Decidim, Excel and Forms really write them.

Every fixture is built here from the documented layout of the tool that writes it (sources in
each test's comment), not copied from tests/fixtures. Each test fails on the code it was
written against; see the report of branch ``attack3``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from bot.cli import main
from bot.local.slack import TEAM_ID
from models.db import Database
from tests.test_import_export import cli_env, ideas_in  # noqa: F401 - cli_env is a fixture


def _import(path: Path, team: str = TEAM_ID, *args: str) -> int:
    return main(["import", "ideas", str(path), *args, "--team", team])


def _written(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _proposal(number: int, title: str, body: str) -> dict[str, object]:
    """One proposal as ``Decidim::Proposals::ProposalSerializer#serialize`` returns it
    (decidim/decidim, decidim-proposals/lib/decidim/proposals/proposal_serializer.rb, the hash
    in ``serialize``: category, scope, participatory_space, component, title, body, state,
    reference, answer, supports, endorsements, comments, attachments, followers, published_at,
    url, meeting_urls, related_proposals, is_amend, original_proposal)."""
    space = "https://osallistu.example.fi/processes/puistot"
    return {
        "id": number,
        "category": {"id": 3, "name": {"fi": "Viheralueet", "sv": "Grönområden"}},
        "scope": {"id": None, "name": {}},
        "participatory_space": {"id": 1, "url": space},
        "component": {"id": 7},
        "title": {"fi": title},
        "body": {"fi": body},
        "state": "evaluating",
        "reference": f"EX-PROP-{number}",
        "answer": {"fi": ""},
        "supports": 12,
        "endorsements": {"total_count": 1, "user_endorsements": ["Liisa Virtanen"]},
        "comments": 2,
        "attachments": 0,
        "followers": 3,
        "published_at": "2023-03-14T10:22:31.000Z",
        "url": f"{space}/f/7/proposals/{number}",
        "meeting_urls": [],
        "related_proposals": [],
        "is_amend": False,
        "original_proposal": {"title": None, "url": None},
    }


PROPOSALS = [
    _proposal(
        101,
        "Penkkejä ja varjoa Kesäpuistoon",
        "<p>Kesäpuistossa ei ole tarpeeksi penkkejä eikä varjoa helteellä. "
        "Ehdotan lisää penkkejä puiden alle.</p>",
    ),
    _proposal(
        102,
        "Koirapuisto Itäkeskukseen",
        "<p>Aidattu koirapuisto jossa on valaistus myös talvella.</p>",
    ),
]


def test_decidim_json_export_is_not_imported_line_by_line(
    cli_env: Path,  # noqa: F811
    database: Database,
) -> None:
    """Decidim's admin "Export > Proposals > JSON" writes ``JSON.pretty_generate`` of the
    serializer hashes (decidim-core/lib/decidim/exporters/json.rb, ``export``). Two proposals
    in; the file must be refused (it is not CSV) or read as two proposals, never as one idea per
    line of JSON."""
    path = cli_env / "proposals.json"
    path.write_text(json.dumps(PROPOSALS, indent=2, ensure_ascii=False), encoding="utf-8")
    _import(path)
    bodies = [idea.body for idea in ideas_in(database)]
    assert len(bodies) <= 2, f"{len(bodies)} ideas from 2 proposals, e.g. {bodies[:4]}"


def _decidim_csv(proposals: list[dict[str, object]]) -> str:
    """As ``Decidim::Exporters::CSV#export`` writes them (decidim-core/lib/decidim/exporters/
    csv.rb): keys flattened with ``/``, arrays joined with ``", "``, ``;`` between columns, the
    header the first row's keys."""

    def flatten(value: object, key: str = "") -> dict[str, object]:
        if isinstance(value, dict):
            flat: dict[str, object] = {}
            for sub, inner in value.items():
                flat.update(flatten(inner, f"{key}/{sub}" if key else sub))
            return flat
        if isinstance(value, list):
            return {key: ", ".join(str(item) for item in value)}
        return {key: value}

    rows = [flatten(proposal) for proposal in proposals]
    header = list(rows[0])

    def quoted(value: object) -> str:
        text = "" if value is None else str(value).lower() if isinstance(value, bool) else value
        text = str(text)
        return '"' + text.replace('"', '""') + '"' if any(c in text for c in ';"\n') else text

    lines = [";".join(header)] + [
        ";".join(quoted(row.get(name)) for name in header) for row in rows
    ]
    return "\n".join(lines) + "\n"


def test_decidim_json_and_csv_exports_read_as_the_same_proposals(
    cli_env: Path,  # noqa: F811
    database: Database,
    capsys,
) -> None:
    exported = json.dumps(PROPOSALS, indent=2, ensure_ascii=False)
    assert _import(_written(cli_env / "proposals.json", exported)) == 0
    assert "title = title/fi" in capsys.readouterr().out
    ideas = ideas_in(database)
    assert [(idea.source_id, idea.title) for idea in ideas] == [
        ("101", "Penkkejä ja varjoa Kesäpuistoon"),
        ("102", "Koirapuisto Itäkeskukseen"),
    ]
    assert ideas[1].body == "Aidattu koirapuisto jossa on valaistus myös talvella."
    assert _import(_written(cli_env / "proposals.csv", _decidim_csv(PROPOSALS))) == 0
    assert "Ohitettiin jo tuotuina 2" in capsys.readouterr().out
    assert len(ideas_in(database)) == 2


def test_json_that_is_not_rows_and_punctuation_headers_are_refused(
    cli_env: Path,  # noqa: F811
    database: Database,
    capsys,
) -> None:
    cut_short = '[\n  {"title": "Penkkejä ja varjoa Kesäpuistoon",\n'
    assert _import(_written(cli_env / "broken.json", cut_short)) == 2
    assert "vie se CSV-muodossa" in capsys.readouterr().err
    dashes = "---\nPenkkejä ja varjoa Kesäpuistoon helteellä\n"
    assert _import(_written(cli_env / "dashes.csv", dashes)) == 2
    assert ideas_in(database) == []


def test_excel_for_mac_csv_in_mac_roman_is_not_read_as_windows_1252(
    cli_env: Path,  # noqa: F811
    database: Database,
) -> None:
    """Excel for Mac's "Comma Separated Values (.csv)" is written in the Mac code page, MacRoman
    (donatstudios.com/CSV-An-Encoding-Nightmare: "Win-1252 and MacRoman respectively"). The
    text must come in as written, or the file be refused: never silently as other letters."""
    text = "Pyöräteitä ja lisää penkkejä Kesäpuistoon"
    path = cli_env / "mac.csv"
    path.write_bytes(f"Idea;Nimi\r{text};Åsa Öberg\r".replace("\r", "\n").encode("mac_roman"))
    code = _import(path)
    bodies = [idea.body for idea in ideas_in(database)]
    assert code != 0 or bodies == [text], f"read as {bodies}"


def test_day_first_slash_dates_are_read_one_way_in_a_column(
    cli_env: Path,  # noqa: F811
    database: Database,
) -> None:
    """A Forms sheet saved by Excel in an English (UK) or other day-first locale writes
    ``13/03/2024 10:15``. The 13 shows the column is day/month: 12/03/2024 is 12 March too,
    not 3 December, and no row of that column is left undated."""
    path = cli_env / "forms_uk.csv"
    path.write_text(
        "ID,Start time,Completion time,Name,Your idea\r\n"
        "1,12/03/2024 10:15,12/03/2024 10:20,Aino,Lisää penkkejä Kesäpuistoon varjoon\r\n"
        "2,13/03/2024 09:00,13/03/2024 09:05,Pekka,Koirapuisto Itäkeskukseen valaistuksella\r\n",
        encoding="utf-8-sig",
    )
    assert _import(path) == 0
    dates = sorted(
        (idea.created_at.replace(tzinfo=UTC) if idea.created_at else None, idea.body)
        for idea in ideas_in(database)
        if idea.created_at
    )
    months = [moment.month for moment, _ in dates]
    assert len(dates) == 2 and months == [3, 3], f"dates read: {dates}"
    assert dates[0][0] < datetime(2024, 3, 13, tzinfo=UTC)
