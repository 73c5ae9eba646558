"""``collider console`` driven by scripted input, against the real app, database and local Slack."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.commands.manifest_drift import load_manifest
from bot.local import demo
from bot.local.console import ESCAPED_COMMANDS, Console, local_console
from bot.local.slack import TEAM_ID
from bot.settings import Settings
from models import (
    Idea,
    IdeaKind,
    IdeaStatus,
    OrganisationType,
    Participant,
    Round,
    ThinkTank,
)
from models.db import Database
from services.participants import SlackUser
from services.participation import avoided_user_ids

ROOT = Path(__file__).resolve().parent.parent


def run_console(database: Database, lines: list[str], *, demo_data: bool = False) -> str:
    out = io.StringIO()
    settings = Settings(database_url=database.url)
    with local_console(settings, database, out=out, demo_data=demo_data) as console:
        console.quiet_seconds = 0.02
        console.run(lines)
    return out.getvalue()


def run_script(
    database: Database, script: Callable[[Console], Iterator[str]], *, demo_data: bool = True
) -> tuple[str, Console]:
    """Like :func:`run_console`, but the lines come from ``script(console)``, a generator that
    can look at what the console shows (which number a button got) before the next line."""
    out = io.StringIO()
    settings = Settings(database_url=database.url)
    with local_console(settings, database, out=out, demo_data=demo_data) as console:
        console.quiet_seconds = 0.02
        console.run(script(console))
    return out.getvalue(), console


def button(console: Console, text: str) -> str:
    """``press N`` for the first button shown to the acting person whose text is ``text``."""
    for number, pressable in sorted(console.pressables.items()):
        if pressable.button.text.removeprefix("✓ ") == text:
            return f"press {number}"
    shown = [p.button.text for p in console.pressables.values()]
    raise AssertionError(f"no button {text!r} among {shown}")


def has_button(console: Console, text: str) -> bool:
    return any(p.button.text.removeprefix("✓ ") == text for p in console.pressables.values())


def stored_ideas(database: Database) -> list[Idea]:
    with database.session() as session:
        return list(session.scalars(select(Idea).order_by(Idea.id)))


def counts(database: Database) -> tuple[int, int]:
    with database.session() as session:
        people = session.scalar(select(func.count()).select_from(Participant))
        ideas = session.scalar(select(func.count()).select_from(Idea))
        return people or 0, ideas or 0


def test_idea_with_text_is_stored_and_confirmed(database: Database) -> None:
    output = run_console(database, ["/idea Tool library for the block\nDrills and ladders"])
    [idea] = stored_ideas(database)
    assert idea.title == "Tool library for the block"
    assert idea.body == "Tool library for the block\nDrills and ladders"
    assert "[you: @guest (en)] > /idea Tool library" in output
    assert "Saved your idea *Tool library for the block*" in output
    assert "[1] Edit  [2] Withdraw" in output


def test_idea_alone_opens_the_form_and_submitting_stores_it(database: Database) -> None:
    output = run_console(
        database,
        [
            "/idea",
            "fill 1 2",
            "fill 2 Evening rooms",
            "fill 3 Free rooms for resident groups\\nin the evenings",
            "fill 4 Living together",
            "submit",
        ],
    )
    assert "(3) Description" in output and "(2) Title (optional)" in output
    [idea] = stored_ideas(database)
    assert (idea.kind, idea.title, idea.theme) == (
        IdeaKind.NEED,
        "Evening rooms",
        "Living together",
    )
    assert idea.body == "Free rooms for resident groups\nin the evenings"
    after = output.split("> submit", 1)[1]
    assert "(The form closed.)" in after
    assert "only visible to @guest" in after and "Saved your need *Evening rooms*" in after


def test_guided_fill_walks_every_field(database: Database) -> None:
    # Kind: keep the chosen option; title: skip; description; theme: skip.
    run_console(database, ["/idea", "fill", "", "", "Shared e-cargo bikes", "", "submit"])
    [idea] = stored_ideas(database)
    assert (idea.kind, idea.body, idea.theme) == (IdeaKind.IDEA, "Shared e-cargo bikes", None)


def test_guided_fill_asks_again_for_an_option_that_does_not_exist(database: Database) -> None:
    output = run_console(database, ["/idea", "fill 1", "7", "2", "fill 3 Help", "submit"])
    assert "No option '7': pick 1 to 2." in output
    [idea] = stored_ideas(database)
    assert idea.kind is IdeaKind.NEED


def test_required_field_left_empty_is_not_sent(database: Database) -> None:
    output = run_console(database, ["/idea", "submit"])
    assert "Slack would not send this yet: (3) Description must be filled in." in output
    assert stored_ideas(database) == []


def test_blank_description_shows_the_apps_error_under_the_field(database: Database) -> None:
    output = run_console(
        database, ["/idea", "fill 3    ", "submit", "fill 3 Now with text", "submit"]
    )
    first_try = output.split("> submit", 2)[1]
    assert "The form has problems" in first_try
    field, error = first_try.split("(3) Description", 1)[1].split("\n")[1:3]
    assert "cannot be empty" in error and error.strip().startswith("!")
    [idea] = stored_ideas(database)
    assert idea.body == "Now with text"


def test_withdraw_asks_for_confirmation_first(database: Database) -> None:
    output = run_console(database, ["/idea Shared sauna", "press 2", "n", "press 2", "y"])
    assert output.count("Withdraw this?") == 2
    assert "Not done." in output
    [idea] = stored_ideas(database)
    assert idea.status is IdeaStatus.WITHDRAWN
    assert "Withdrawn: *Shared sauna*" in output.split("Not done.", 1)[1]


def test_edit_opens_the_form_filled_in_and_saves_changes(database: Database) -> None:
    output = run_console(
        database, ["/idea Old text", "press 1", "fill 3 New text", "fill 2 New title", "submit"]
    )
    assert "= Old text" in output
    [idea] = stored_ideas(database)
    assert (idea.title, idea.body) == ("New title", "New text")
    assert "Updated *New title*" in output


def test_as_switches_the_acting_user(database: Database) -> None:
    output = run_console(
        database, ["as nobody", "add kaisa", "/idea From Kaisa", "as guest", "/idea From guest"]
    )
    assert "Nobody called 'nobody'" in output
    assert "[you: @kaisa (en)] > /idea From Kaisa" in output
    authors = [idea.author.user_id for idea in _with_authors(database)]
    assert authors == ["U0KAISA", "U0GUEST"]


def _with_authors(database: Database) -> list[Idea]:
    with database.session() as session:
        ideas = list(session.scalars(select(Idea).order_by(Idea.id)))
        for idea in ideas:
            _ = idea.author.user_id
        return ideas


def test_demo_people_answer_in_their_language(database: Database) -> None:
    output = run_console(database, ["as linnea", "/idea Läxhjälp på biblioteket"], demo_data=True)
    assert "Du är nu @linnea (sv)." in output
    assert "Din idé *Läxhjälp på biblioteket* är sparad." in output
    with database.session() as session:
        newest = session.scalars(select(Idea).order_by(Idea.id.desc())).first()
        assert newest is not None and newest.author.user_id == "U0LINNEA"


def test_demo_seeds_once(database: Database) -> None:
    first = run_console(database, [], demo_data=True)
    assert counts(database) == (len(demo.PEOPLE), len(demo.IDEAS)) == (12, 20)
    second = run_console(database, [], demo_data=True)
    assert counts(database) == (12, 20)
    assert "(nyt lisättiin 12 henkilöä ja 20 ideaa)" in first  # to @aino, in Finnish
    assert "(nyt lisättiin 0 henkilöä ja 0 ideaa)" in second


def test_demo_covers_every_organisation_type_and_language() -> None:
    assert {p.organisation_type for p in demo.PEOPLE} == {t.value for t in OrganisationType}
    assert {p.language for p in demo.PEOPLE} == {"fi", "sv", "en"}
    assert {i.kind for i in demo.IDEAS} == {IdeaKind.IDEA, IdeaKind.NEED}


def test_ideas_lists_demo_ideas_and_pages_on(database: Database) -> None:
    output = run_console(database, ["as david", "/ideas", "press 1"], demo_data=True)
    first_page, second_page = output.split("> press 1", 1)
    assert "Vuxna till elevernas reparationscafé" in first_page
    assert "@linnea" in first_page  # mentions shown by name
    assert "Page 1 of 4 · 20 in all" in first_page
    assert "replacing the message" in second_page and "Page 2 of 4" in second_page


def test_unknown_slash_command_and_bad_button_number(database: Database) -> None:
    output = run_console(database, ["/nope", "press 9", "frobnicate"])
    assert "The app does not handle this" in output
    assert "Press which button?" in output
    assert "Unknown command 'frobnicate'" in output


def test_cli_console_reads_piped_commands(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'console.sqlite3'}"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--demo", "--log", str(tmp_path / "c.log")],
        input="/ideas säkerhet\n/ideas Sunday\nquit\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # Said to @aino, who acts first, in her Finnish.
    assert "Demotyötila: 12 henkilöä, 20 ideaa ja tarvetta" in result.stdout
    assert "Sunday play streets" in result.stdout
    assert "[you: @aino (fi)] > quit" in result.stdout


def test_a_finnish_reader_sees_the_forms_own_words_in_finnish(database: Database) -> None:
    output = run_console(database, ["/idea"], demo_data=True)
    assert output.startswith("Demotyötila: 12 henkilöä")
    assert "(2) Otsikko (valinnainen)" in output and "(optional)" not in output
    assert "    = (tyhjä" in output and "(empty" not in output


@pytest.mark.parametrize("line", ["quit", "exit"])
def test_quit_ends_the_session(database: Database, line: str) -> None:
    output = run_console(database, [line, "/idea never sent"])
    assert "never sent" not in output.split(line, 1)[1]
    assert stored_ideas(database) == []


def test_profile_form_changes_the_language_of_the_next_answers(database: Database) -> None:
    output = run_console(
        database, ["/collider profile", "fill 3 3", "submit", "cancel", "/idea Läxhjälp"]
    )
    after = output.split("> submit", 1)[1]
    assert "-- formuläret ändrades" in after and "Din profil är sparad." in after
    assert "[you: @guest (sv)] > /idea Läxhjälp" in after
    assert "Din idé *Läxhjälp* är sparad." in after


def first_tank(database: Database) -> list[str]:
    """The names of the people in think tank 1 of the newest round."""
    with database.session() as session:
        tank = session.scalars(select(ThinkTank).order_by(ThinkTank.id)).first()
        assert tank is not None
        return sorted(str(m.participant.display_name) for m in tank.members)


def test_the_whole_loop_idea_round_poll_answered_by_three_report(database: Database) -> None:
    rounds: list[int] = []  # the round's id (PostgreSQL's ids go on across tests)

    def script(console: Console) -> Iterator[str]:
        yield "as priya"
        yield "/idea Open data on winter cycling routes"
        yield "as sanna"  # a facilitator of the demo workspace
        yield "/collider match"
        yield "submit"
        yield "cancel"
        yield button(console, "Vahvista ja aloita")
        yield "k"
        yield "/collider poll send"
        yield "fill 1 1"
        yield "submit"
        yield "cancel"
        for name in first_tank(database)[:3]:
            yield f"as {name}"
            yield "inbox"
            # Each answers in their own language; who shares the first tank is the engine's call.
            yield button(console, "Yes" if has_button(console, "Yes") else "Kyllä")
            yield button(console, "4")
        yield "as sanna"
        with database.session() as session:
            rounds.append(max(session.scalars(select(Round.id))))
        yield f"/collider report round {rounds[0]}"
        yield f"/collider report round {rounds[0] + 1000}"

    output, console = run_script(database, script)
    answering = first_tank(database)[:3]
    for name in answering:
        assert f"Olet nyt @{name} (fi)." in output or f"You are now @{name} (en)." in output
    # The poll DMs to others were announced, then found in each person's inbox.
    assert "(Uusi viesti henkilölle @" in output
    for name in answering:
        inbox = output.split(f"@{name} (", 1)[1].split("] > inbox", 1)[1]
        assert "Yhteiskehittämisen arviointi" in inbox or "Co-creation evaluation" in inbox
    found, missing = rounds[0], rounds[0] + 1000
    report = output.split(f"> /collider report round {found}", 1)[1]
    report = report.split(f"> /collider report round {missing}")[0]
    assert f"Kyselyraportti: kierros {found}" in report
    assert "(3 vastausta)" in report
    assert "*4,0* (n=3" in report  # Finnish decimals (Babel)
    assert (
        f"Tässä työtilassa ei ole kierrosta {missing}."
        in output.split(f"report round {missing}", 1)[1]
    )
    # Every poll DM reached someone's inbox: none was stored as sent and never shown.
    with database.session() as session:
        members = [
            m.participant.user_id for t in session.scalars(select(ThinkTank)) for m in t.members
        ]
    for user_id in members:
        # A DM to them (its heading is in their language, which differs from person to person).
        dms = {user_id, console.slack.dm_channel(user_id)}
        entries = console.inboxes.of(user_id)
        assert any(entry.channel in dms for entry in entries), [e.heading for e in entries]


def test_as_keeps_each_persons_buttons_and_open_form(database: Database) -> None:
    output = run_console(
        database,
        [
            "add kaisa",
            "/idea From Kaisa",
            "as guest",
            "/idea",
            "as kaisa",
            "press 2",
            "y",
            "as guest",
            "submit",
        ],
    )
    assert "Withdrawn: *From Kaisa*" in output
    # The guest's form was still open after the switch: Slack's client refused the empty one.
    assert "Slack would not send this yet: (3) Description" in output.split("as guest", 2)[2]


def test_mentions_become_user_ids_and_users_lists_them(database: Database) -> None:
    output = run_console(
        database,
        ["as aino", "users", "/collider avoid @matti", "/collider avoid @nobody"],
        demo_data=True,
    )
    [row] = [line for line in output.splitlines() if line.startswith("  @matti ")]
    assert row.split()[:2] == ["@matti", "U0MATTI"]
    with database.session() as session:
        assert avoided_user_ids(session, SlackUser(TEAM_ID, "U0AINO")) == ["U0MATTI"]
    assert "@matti" in output.split("avoid @matti", 1)[1].split("[you:")[0]


def test_escaped_commands_are_the_ones_the_manifest_escapes() -> None:
    commands = load_manifest()["features"]["slash_commands"]
    assert {c["command"] for c in commands if c.get("should_escape")} == ESCAPED_COMMANDS


def test_the_consoles_own_words_are_in_the_persons_language(database: Database) -> None:
    output = run_console(
        database, ["as aino", "/idea", "submit", "cancel", "press 5", "as nobody"], demo_data=True
    )
    assert "Slack ei vielä lähettäisi tätä: (3) Kuvaus on täytettävä." in output
    assert "Mitä painiketta painetaan?" in output
    assert "Kukaan ei ole nimeltään 'nobody'." in output


def test_cli_console_logs_to_a_file_not_the_transcript(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'console.sqlite3'}"}
    log = tmp_path / "console.log"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--demo", "--log", str(log)],
        input="/nope\nas priya\n/collider match\nquit\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    logged = log.read_text(encoding="utf-8")
    assert f"menevät tiedostoon {log}" in result.stdout  # said once, in aino's Finnish
    assert "refused facilitator action match" in logged
    assert "Unhandled request" in logged  # Bolt's hint for developers, not for people
    for transcript in (result.stdout, result.stderr):
        assert "WARNING" not in transcript and "Unhandled request" not in transcript
        assert "@app.command" not in transcript
