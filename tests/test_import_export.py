"""collider import ideas / collider export: the real CLI on the test database.

Fixtures under tests/fixtures/importing/ are synthetic, with the field names and the flattening
of Decidim's ProposalSerializer and Decidim::Exporters::CSV (see the README there for the
versions and commits read) and of Forms sheets as Excel and Google save them.
"""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.local.slack import TEAM_ID, LocalSlack
from matching.csv_text import decode
from models import Idea, IdeaCoauthor, IdeaKind, IdeaStatus, Participant, Stage
from models.db import Database
from tests.slack_driver import SlackDriver, response_json, text_of

FIXTURES = Path(__file__).parent / "fixtures" / "importing"
# 0.27 before the plain-text backport; develop at 46ab35d (0.30 on: taxonomies, likes, withdrawn).
OLDER, CURRENT = "decidim_0_27_proposals.csv", "decidim_0_30_proposals.csv"


@pytest.fixture
def cli_env(database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("DATABASE_URL", database.url)
    monkeypatch.setenv("COLLIDER_DEFAULT_LANGUAGE", "fi")
    for name in ("SLACK_BOT_TOKEN", "SLACK_API_URL", "COLLIDER_TIME_ZONE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    return tmp_path


def fixture(name: str) -> str:
    return str(FIXTURES / name)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def ideas_in(database: Database) -> list[Idea]:
    with database.session() as session:
        return list(session.scalars(select(Idea).order_by(Idea.id)))


def by_source_id(database: Database) -> dict[str, Idea]:
    return {idea.source_id: idea for idea in ideas_in(database) if idea.source_id}


def people(database: Database) -> list[Participant]:
    with database.session() as session:
        return list(session.scalars(select(Participant).order_by(Participant.id)))


def imports(*args: str) -> int:
    return main(["import", "ideas", *args, "--team", TEAM_ID])


def test_decidim_older_layout(cli_env: Path, database: Database, capsys) -> None:
    assert imports(fixture(OLDER)) == 0
    out = capsys.readouterr().out
    assert "utf-8" in out and "decidim" in out
    assert "title = title/fi" in out and "theme = category/name/fi" in out
    assert "Ohitettiin tyhjinä 1: rivit 6" in out  # the workspace language (fi) speaks
    found = by_source_id(database)
    assert set(found) == {"101", "102", "103", "104"}
    first = found["101"]
    assert first.title == "Penkkejä ja varjoa Kesäpuistoon"  # title/fi, not title/sv
    assert first.body == "Lisää penkkejä & varjoa puistoon.\nMyös juomapiste."  # HTML stripped
    assert first.theme == "Viheralueet"
    assert first.created_at == datetime(2023, 3, 14, 10, 22, 31, tzinfo=UTC)
    assert (
        first.source_url == "https://osallistu.example.fi/processes/kaupunki-2023/f/7/proposals/101"
    )
    assert first.source == "decidim:osallistu.example.fi"
    assert (first.status, first.stage, first.source_state) == (
        IdeaStatus.OPEN,
        Stage.IDEA,
        "accepted",
    )
    assert (found["102"].status, found["102"].source_state) == (IdeaStatus.WITHDRAWN, "withdrawn")
    assert (found["103"].status, found["103"].stage) == (IdeaStatus.CLOSED, Stage.STOPPED)
    # The ' guard is undone; &lt; in an HTML body is a literal <.
    assert found["104"].title == "=Leikkipaikka kaikenikäisille"
    assert found["104"].body == "Lapset <7 v ja nuoret >12 v tarvitsevat eri välineet."


def test_reimport_across_layouts_adds_only_new_proposals(
    cli_env: Path, database: Database, capsys
) -> None:
    imports(fixture(OLDER))
    capsys.readouterr()
    assert imports(fixture(CURRENT)) == 0
    out = capsys.readouterr().out
    assert "Ohitettiin jo tuotuina 4: rivit 2, 3, 4, 5" in out
    assert "Tuotiin 4: rivit 6, 7, 8, 9" in out
    assert sorted(by_source_id(database)) == [
        "101",
        "102",
        "103",
        "104",
        "106",
        "107",
        "108",
        "109",
    ]
    assert imports(fixture(OLDER)) == 0 and imports(fixture(CURRENT)) == 0
    assert len(ideas_in(database)) == 8


def test_decidim_current_layout(cli_env: Path, database: Database) -> None:
    assert imports(fixture(CURRENT)) == 0
    found = by_source_id(database)
    school = found["106"]
    assert school.body.startswith("-20 % autoliikennettä")  # guard undone
    assert "Lapset <7 v ja nuoret >12 v kulkevat" in school.body  # plain text kept as it is
    assert school.theme == "Liikenne"  # taxonomies/12/fi
    assert school.created_at == datetime(2024, 5, 2, 5, 15, tzinfo=UTC)  # +0300
    assert found["102"].status is IdeaStatus.WITHDRAWN  # withdrawn = true
    assert found["103"].status is IdeaStatus.CLOSED
    long = found["109"]
    assert long.body.startswith("+Pitkä ehdotus") and len(long.body) > 3000  # kept whole
    with database.session() as session:
        author = session.get(Participant, school.author_id)
        coauthors = session.scalars(
            select(Participant)
            .join(IdeaCoauthor, IdeaCoauthor.participant_id == Participant.id)
            .where(IdeaCoauthor.idea_id == school.id)
        ).all()
        assert author.display_name == "Liisa Virtanen" and author.is_offline
        assert [person.display_name for person in coauthors] == ["Aino Koskinen"]
        anonymous = {session.get(Idea, found[i].id).author_id for i in ("107", "108")}
        assert len(anonymous) == 2  # each row without an author has a person of its own
    assert all(person.user_id.startswith("offline-") for person in people(database))
    assert all(person.team_id == TEAM_ID for person in people(database))


def test_taxonomy_columns_are_read_as_the_serializer_writes_them(
    cli_env: Path, database: Database, capsys
) -> None:
    """``taxonomies: {ids: [..], <id> => name}`` (decidim/decidim#13857, the serializer's spec at
    506a093) flattens to ``taxonomies/ids`` and ``taxonomies/<id>/<locale>``; the exporter takes
    the union of every row's keys, so taxonomy 14, first used in a later row, comes last."""
    header = (FIXTURES / CURRENT).read_text(encoding="utf-8").splitlines()[0].split(";")
    assert header[4:8] == [
        "taxonomies/ids",
        "taxonomies/12/fi",
        "taxonomies/12/sv",
        "taxonomies/12/en",
    ]
    assert header[-3:] == ["taxonomies/14/fi", "taxonomies/14/sv", "taxonomies/14/en"]
    assert imports(fixture(CURRENT)) == 0
    out = capsys.readouterr().out
    assert "theme = taxonomies/12/fi, taxonomies/14/fi, taxonomies/12/en" in out
    assert "taxonomies/ids" not in out
    found = by_source_id(database)
    assert (found["101"].theme, found["106"].theme, found["103"].theme) == (
        "Viheralueet",
        "Liikenne",
        None,
    )


def test_taxonomy_ids_and_ruby_hashes_are_never_a_theme() -> None:
    """develop wrote ``taxonomies: {id: [..], name: [..]}`` for a while before #13857: flattened,
    ``taxonomies/id`` and ``taxonomies/name`` hold ids and Ruby hashes as text, not names."""
    from services.import_formats import decidim_mapping

    header = ["id", "taxonomies/id", "taxonomies/name", "taxonomies/ids", "title/fi", "body/fi"]
    assert decidim_mapping(header, "fi").columns["theme"] == []
    header.append("taxonomies/7/fi")
    assert decidim_mapping(header, "fi").columns["theme"] == [6]


def test_decidim_up_to_0_23_writes_one_title_and_body(cli_env: Path, database: Database) -> None:
    """``title: present(proposal).title`` (decidim/decidim at 001e8d8): one string per text, no
    locale. Still a Decidim export, known by its id."""
    path = write(
        cli_env,
        "decidim_0_23.csv",
        "id;category/id;category/name/fi;scope/id;participatory_space/id;component/id;title;body;"
        "state;published_at;url\n"
        '7;3;Viheralueet;;2;7;Uimaranta;"<p>Laituri &amp; pukukopit.</p>";accepted;'
        "2020-06-01 10:00:00 UTC;https://vanha.example.fi/processes/p/f/7/proposals/7\n",
    )
    assert imports(str(path)) == 0 and imports(str(path)) == 0
    [beach] = ideas_in(database)
    assert (beach.source, beach.source_id, beach.title) == (
        "decidim:vanha.example.fi",
        "7",
        "Uimaranta",
    )
    assert (beach.body, beach.theme) == ("Laituri & pukukopit.", "Viheralueet")
    assert beach.created_at == datetime(2020, 6, 1, 10, tzinfo=UTC)


def test_the_workspace_language_picks_columns_with_a_fallback(
    cli_env: Path, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLLIDER_DEFAULT_LANGUAGE", "sv")
    imports(fixture(OLDER))
    found = by_source_id(database)
    assert found["101"].title == "Bänkar och skugga i Sommarparken"  # title/sv
    assert found["101"].theme == "Grönområden"
    assert found["102"].title == "Koirapuisto rannalle"  # no title/sv: the next language


def test_forms_sheet_as_excel_saves_it(cli_env: Path, database: Database, capsys) -> None:
    assert imports(fixture("forms_excel_fi.csv")) == 0
    out = capsys.readouterr().out
    assert "utf-8 (with BOM)" in out
    assert "text = Your idea" in out and "date = Valmistumisaika" in out
    assert "Tuotiin 3: rivit 2, 3, 5" in out and "Ohitettiin tyhjinä 1: rivit 4" in out
    [library, bins, youth] = ideas_in(database)
    assert library.theme == "Kirjastot"
    # 14.3.2024 9.02.11 in Helsinki (UTC+2 in March).
    assert library.created_at == datetime(2024, 3, 14, 7, 2, 11, tzinfo=UTC)
    with database.session() as session:
        liisa = session.get(Participant, library.author_id)
        assert (liisa.display_name, liisa.email) == ("Liisa Virtanen", "liisa.virtanen@example.org")
        assert bins.author_id != youth.author_id  # anonymous answers are not one person
    assert imports(fixture("forms_excel_fi.csv")) == 0
    assert len(ideas_in(database)) == 3


def test_column_options_any_case_and_iso_dates(cli_env: Path, database: Database) -> None:
    args = ["--text-column", "IDEASI", "--author-column", "nimi", "--theme-column", "teema"]
    assert imports(fixture("google_forms.csv"), *args, "--date-column", "AIKALEIMA") == 0
    [swim, school] = ideas_in(database)
    assert swim.theme == "Liikunta"
    assert swim.created_at == datetime(2024, 3, 14, 7, 2, 11, tzinfo=UTC)
    assert school.created_at == datetime(2024, 3, 14, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "utc_hour"),
    [("Europe/Stockholm", 8), ("America/New_York", 13)],  # UTC+1, and UTC-4 from 10 March
)
def test_times_without_a_zone_are_in_the_deployments_time_zone(
    cli_env: Path, database: Database, monkeypatch: pytest.MonkeyPatch, zone: str, utc_hour: int
) -> None:
    monkeypatch.setenv("COLLIDER_TIME_ZONE", zone)
    assert imports(fixture("google_forms.csv")) == 0
    [swim, school] = ideas_in(database)
    # "2024-03-14 09:02:11" on the wall clock of the deployment's zone.
    assert swim.created_at == datetime(2024, 3, 14, utc_hour, 2, 11, tzinfo=UTC)
    assert school.created_at == datetime(2024, 3, 14, 10, 0, tzinfo=UTC)  # +02:00 given


def test_timezone_option_overrides_the_setting_and_must_name_a_zone(
    cli_env: Path, database: Database, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("COLLIDER_TIME_ZONE", "America/New_York")
    with pytest.raises(SystemExit):
        imports(fixture("google_forms.csv"), "--timezone", "Mars/Olympus")
    assert "Mars/Olympus" in capsys.readouterr().err and ideas_in(database) == []
    assert imports(fixture("google_forms.csv"), "--timezone", "Europe/Stockholm") == 0
    assert ideas_in(database)[0].created_at == datetime(2024, 3, 14, 8, 2, 11, tzinfo=UTC)


def test_ambiguous_or_wrong_columns_name_the_columns_and_the_option(
    cli_env: Path, database: Database, capsys
) -> None:
    path = write(
        cli_env,
        "two.csv",
        "Aikaleima,Mikä toimii hyvin?,Mitä pitäisi muuttaa?\n"
        "1.2.2024 8.00.00,Kirjaston aukioloajat ovat hyvät,Pyöräteiden talvikunnossapito\n",
    )
    assert imports(str(path)) == 2
    err = capsys.readouterr().err
    assert "--text-column" in err and "Mikä toimii hyvin?, Mitä pitäisi muuttaa?" in err
    assert imports(str(path), "--text-column", "nope") == 2
    assert 'saraketta "nope" ei ole' in capsys.readouterr().err
    assert imports(str(path), "--text-column", "mitä pitäisi muuttaa?") == 0
    assert [idea.body for idea in ideas_in(database)] == ["Pyöräteiden talvikunnossapito"]


@pytest.mark.parametrize(
    ("name", "encoding", "body", "author"),
    [
        (
            "excel_cp1252.csv",
            "windows-1252",
            "Kahvila “Kulma” voisi myydä kahvia 1 €:lla eläkeläisille",
            "Åsa Öberg",
        ),
        (
            "excel_unicode_text.txt",
            "utf-16",
            "Saunailta kaikille uusille asukkaille",
            "Søren Ström",
        ),
    ],
)
def test_encodings_are_detected_and_named(
    cli_env: Path, database: Database, capsys, name: str, encoding: str, body: str, author: str
) -> None:
    assert imports(fixture(name)) == 0
    assert f"merkistöllä {encoding}" in capsys.readouterr().out
    first = ideas_in(database)[0]
    assert first.body == body
    assert people(database)[0].display_name == author


def test_latin1_and_binary_files(cli_env: Path, database: Database, capsys) -> None:
    path = cli_env / "latin1.csv"
    path.write_bytes("text\nÄlä unohda Åbon kesäkahvilaa\n".encode("latin-1"))
    assert imports(str(path)) == 0
    assert "latin-1" in capsys.readouterr().out
    assert ideas_in(database)[0].body == "Älä unohda Åbon kesäkahvilaa"
    binary = cli_env / "sheet.csv"
    binary.write_bytes(b"PK\x03\x04\x00\x00\xff\xfe\x00")
    assert imports(str(binary)) == 2
    assert "tallenna se muodossa CSV UTF-8" in capsys.readouterr().err


def test_mac_roman_is_read_and_named_and_curly_quotes_stay_windows_1252(
    cli_env: Path, database: Database, capsys
) -> None:
    path = cli_env / "mac.csv"
    path.write_bytes("text\nÅbon kesäkahvila auki myös öisin\n".encode("mac_roman"))
    assert imports(str(path)) == 0
    assert "merkistöllä mac-roman" in capsys.readouterr().out
    assert ideas_in(database)[0].body == "Åbon kesäkahvila auki myös öisin"
    # No Nordic letter either way: the bytes of curly quotes are Windows-1252's.
    english = "text\nA \u201cquiet\u201d room \u2013 open late\n".encode("cp1252")
    assert decode(english) == (english.decode("cp1252"), "windows-1252")


def test_slash_dates_no_cell_decides_follow_the_workspace_language_and_say_so(
    cli_env: Path, database: Database, capsys
) -> None:
    rows = "1/2/2024 10:15,Penkkejä puistoon varjoon\n12/3/2024 9:00,Koirapuisto valaistuksella\n"
    assert imports(str(write(cli_env, "fi.csv", "Start time,Your idea\n" + rows))) == 0
    assert 'Sarakkeen "Start time" päiväykset luettiin päivä ensin' in capsys.readouterr().out
    assert [idea.created_at.month for idea in ideas_in(database)] == [2, 3]  # type: ignore[union-attr]
    # A cell whose second number is over 12 makes the column month first, whatever the language.
    us = "Start time,Your idea\n3/13/2024 9:00,Pyöräteitä Vallilaan kuntoon\n" + rows
    assert imports(str(write(cli_env, "us.csv", us)), "--dry-run") == 0
    assert "kuukausi ensin" in capsys.readouterr().out


def test_dry_run_reports_and_writes_nothing(cli_env: Path, database: Database, capsys) -> None:
    assert imports(fixture(CURRENT), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "Kuivaharjoitus" in out and "Tuotiin 8: rivit 2, 3, 4, 5, 6, 7, 8, 9" in out
    assert ideas_in(database) == [] and people(database) == []


def test_imports_go_to_the_workspace_the_bot_is_in(
    cli_env: Path, database: Database, slack: LocalSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    assert main(["import", "ideas", fixture("google_forms.csv")]) == 0
    assert slack.calls_to("auth.test")
    assert {person.team_id for person in people(database)} == {TEAM_ID}


def test_without_team_or_token_nothing_is_imported(
    cli_env: Path, database: Database, capsys
) -> None:
    assert main(["import", "ideas", fixture("google_forms.csv")]) == 2
    assert "--team" in capsys.readouterr().err
    assert ideas_in(database) == []


def test_imported_people_show_by_name_in_ideas(
    cli_env: Path, database: Database, driver: SlackDriver
) -> None:
    imports(fixture(CURRENT))
    listing = text_of(response_json(driver.command("/ideas", "koulutie")))
    assert "Liisa Virtanen, Aino Koskinen" in listing
    assert "Lapset &lt;7 v ja nuoret &gt;12 v" in listing
    assert "offline-" not in listing and "<@" not in listing
    long = text_of(response_json(driver.command("/ideas", "pyöräilykaupunki")))
    assert "…" in long  # only what Slack shows is cut


def test_export_ideas_keeps_columns_and_adds_what_import_keeps(
    cli_env: Path, database: Database, capsys
) -> None:
    imports(fixture(CURRENT))
    out = cli_env / "ideas.csv"
    assert main(["export", "ideas", "--out", str(out), "--team", TEAM_ID]) == 0
    assert "Vietiin 8 ideaa" in capsys.readouterr().out
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    header = list(rows[0])
    assert header[:13] == [
        "id", "kind", "title", "body", "theme", "theme_id", "stage", "status", "author",
        "organisation", "organisation_type", "created_at", "source_url",
    ]  # fmt: skip
    school = next(row for row in rows if row["source_id"] == "106")
    assert school["author"] == "Liisa Virtanen" and school["coauthors"] == "Aino Koskinen"
    assert school["source_url"].endswith("/proposals/106") and school["in_slack"] == "no"
    assert school["body"].startswith("'-20 %")  # formula-safe again on the way out
    assert next(row for row in rows if row["source_id"] == "103")["source_state"] == "rejected"
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row.values())
    assert main(["export", "ideas", "--out", str(out), "--team", "T0OTHER"]) == 0
    assert "Vietiin 0 ideaa" in capsys.readouterr().out


def test_export_rounds_and_think_tanks(
    cli_env: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    from services import ideas, matchmaking
    from services.participants import SlackUser

    with database.session() as session:
        for number in range(6):
            user = SlackUser("T0LOCAL", f"U9{number}", name=f"=person{number}")
            topic = "library tools lending" if number < 3 else "school yard trees garden"
            ideas.submit_idea(session, user, ideas.IdeaInput(kind="idea", body=f"{topic} {number}"))
        facilitator = SlackUser("T0LOCAL", "UFACIL")
        preview = matchmaking.create_preview(
            session, facilitator, matchmaking.RoundSettings(min_size=3, max_size=3, min_distinct=0)
        )
        matchmaking.confirm(session, preview.id, preview.version, facilitator)
    rounds_csv, tanks_csv = cli_env / "rounds.csv", cli_env / "tanks.csv"
    assert main(["export", "rounds", "--out", str(rounds_csv)]) == 0
    assert main(["export", "thinktanks", "--out", str(tanks_csv), "--team", "T0LOCAL"]) == 0
    [round_row] = list(csv.DictReader(rounds_csv.open(encoding="utf-8")))
    assert (round_row["status"], round_row["think_tanks"], round_row["people"]) == (
        "confirmed",
        "2",
        "6",
    )
    members = list(csv.DictReader(tanks_csv.open(encoding="utf-8")))
    assert len(members) == 6 and {row["think_tank"] for row in members} == {"1", "2"}
    assert all(row["member"].startswith("'=person") for row in members)  # formula-safe


def test_cli_constants_match_the_domain() -> None:
    from bot.commands import import_ideas

    assert tuple(kind.value for kind in IdeaKind) == import_ideas.KINDS


def test_the_cli_starts_without_the_database_stack() -> None:
    """match-csv and --help must not pay for SQLAlchemy, Alembic and Bolt at start-up."""
    import subprocess
    import sys

    probe = "import sys, bot.cli; print(sorted(m for m in ('sqlalchemy', 'alembic', 'slack_bolt') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_match_csv_reads_the_same_encodings(tmp_path: Path) -> None:
    from matching.csv_match import read_text

    path = tmp_path / "people.csv"
    shutil.copy(FIXTURES / "excel_cp1252.csv", path)
    assert "Kahvila “Kulma”" in read_text(path)
