"""Attack: the console as a brand-new user meets it (``collider console --demo``)."""

from __future__ import annotations

import io
from collections.abc import Iterator

from bot.local.console import Console, local_console
from bot.settings import Settings
from models.db import Database
from tests.test_console import button


def run_console(database: Database, lines: list[str]) -> str:
    out = io.StringIO()
    settings = Settings(database_url=database.url)
    with local_console(settings, database, out=out, demo_data=True) as console:
        console.quiet_seconds = 0.02
        console.run(lines)
    return out.getvalue()


def test_input_ending_inside_a_form_field_ends_the_session_without_a_traceback(
    database: Database,
) -> None:
    """README: "quit (or Ctrl-D) leaves". Ctrl-D (or the end of piped input) at a field's
    prompt raises EndOfInput out of ``Console.run``: a traceback instead of a goodbye."""
    output = run_console(database, ["as aino", "/idea", "fill 1"])
    assert "Mitä jaat?" in output


def test_quit_at_a_form_field_prompt_leaves(database: Database) -> None:
    """``quit`` typed at a choice field's prompt is answered "No option 'quit'" for ever:
    a newcomer who typed ``fill`` cannot get out (nor ``cancel`` the form) but by a number."""
    lines = ["as aino", "/idea", "fill 1", "quit", "1"]  # "1" only to end the script cleanly
    output = run_console(database, lines)
    assert "No option 'quit'" not in output


def test_help_and_form_prompts_are_in_the_persons_language(database: Database) -> None:
    """The console's own words are in the acting person's language (``Console.words``), but
    ``help`` and every prompt of ``fill`` are English to a Finnish speaker."""
    output = run_console(database, ["as aino", "help", "/idea", "fill 9", "fill 1 7", "fill 1 1"])
    after_help = output.split("> help\n", 1)[1]
    assert "press button [N] of the messages shown last" not in after_help
    assert "Fill which field?" not in output
    assert "No option '7'" not in output


def test_cancel_at_a_field_prompt_stops_filling_and_keeps_the_form(database: Database) -> None:
    output = run_console(database, ["as aino", "/idea", "fill", "cancel", "fill 3 Sauna", "submit"])
    assert "'cancel' keskeyttää, 'quit' lopettaa" in output  # the prompt says how to get out
    assert "(Täyttäminen keskeytettiin; lomake on yhä auki" in output
    assert "Ideasi *Sauna* on tallennettu." in output.split("> submit", 1)[1]


def test_quit_at_a_field_prompt_ends_the_session(database: Database) -> None:
    output = run_console(database, ["as aino", "/idea", "fill 3", "exit", "as priya"])
    assert "Olet nyt @priya" not in output and "You are now @priya" not in output


def test_fill_zero_is_no_field_rather_than_the_last_one(database: Database) -> None:
    """``fill 0 x`` used to fill the last field (index -1) without a word."""
    output = run_console(database, ["as priya", "/idea", "fill 0 Sauna", "fill -1 Sauna", "show"])
    assert output.count("Fill which field? 1 to 4.") == 2
    assert "Sauna" not in output.split("> show", 1)[1]


def test_a_name_of_several_words_is_added_with_a_handle(database: Database) -> None:
    output = run_console(
        database, ["add Åsa Öberg", "add åsa öberg", "as aino", "add x!", "as Åsa Öberg"]
    )
    assert "You are now @åsa.öberg (en)." in output
    assert "@åsa.öberg exists already; 'as åsa.öberg' switches to them." in output
    assert "add NIMI: nimessä voi olla kirjaimia" in output  # refused in aino's Finnish
    assert output.count("@åsa.öberg (en)") >= 3  # "as Åsa Öberg" finds her by her real name


def test_what_the_bot_does_is_told_in_the_persons_language(database: Database) -> None:
    """The headings of what the bot posts and the form hints were English to everyone."""
    output = run_console(database, ["as aino", "/idea Sauna", "/idea", "users"])
    assert "-- collider (näkyy vain sinulle)" in output
    assert "-- collider avasi lomakkeen (views.open)" in output
    assert "(fill: käy kentät läpi" in output
    [row] = [line for line in output.splitlines() if line.startswith("  @matti ")]
    assert row.endswith("Korhosen Pyörähuolto Oy (Yritys)")


def test_a_message_waiting_in_an_inbox_is_headed_in_its_readers_language(
    database: Database,
) -> None:
    """The introductions @sanna (fi) starts reach @priya (en) and @aino (fi): each reads where
    hers sits in her own language."""

    def script(console: Console) -> Iterator[str]:
        yield "as sanna"
        yield "/collider match"
        yield "submit"
        yield "cancel"
        yield button(console, "Vahvista ja aloita")
        yield "k"
        yield "as priya"
        yield "inbox"
        yield "as aino"
        yield "inbox"

    out = io.StringIO()
    with local_console(Settings(database_url=database.url), database, out=out, demo_data=True) as c:
        c.quiet_seconds = 0.02
        c.run(script(c))
    output = out.getvalue()
    in_priyas, in_ainos = output.split("[you: @priya (en)] > inbox", 1)[1].split("> as aino")
    assert "[new] collider in a group DM with @" in in_priyas
    assert "ryhmäviesti" not in in_priyas
    assert "[uusi] collider: ryhmäviesti: @" in in_ainos


def test_fill_on_a_form_without_fields_says_so(database: Database) -> None:
    """The match's "working on it" form has nothing to fill: ``fill`` said "Done" and
    ``fill 1`` asked for a field "1 to 0"."""
    output = run_console(database, ["as sanna", "/collider match", "submit", "fill", "fill 1"])
    after = output.split("> submit", 1)[1]
    assert after.count("Tässä lomakkeessa ei ole täytettäviä kenttiä; 'cancel' sulkee sen.") == 2
