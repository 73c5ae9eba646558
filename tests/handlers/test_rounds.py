"""Matchmaking rounds end to end: form, preview, confirm, conversations and intros."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from sqlalchemy import select

from bot.local.slack import TEAM_ID, LocalSlack
from bot.rate_limit import SlackPacer
from bot.scheduling import outbound
from bot.settings import Settings
from bot.slack_client import make_web_client
from bot.slack_gateway import SlackGateway
from handlers import ids
from i18n import t
from models import Round, RoundStatus, StepState, ThinkTank
from models.db import Database
from services import participants
from services.round_runner import resume_unfinished
from tests.slack_driver import SlackDriver, response_json, text_of

FACILITATOR = "UFACIL"

PEOPLE = [
    ("U101", "city", "Kirjasto lainaa työkaluja asukkaille: porakoneet ja tikkaat lainaan"),
    ("U102", "company", "Työkalujen lainaamo kirjastoon, yritys lahjoittaa porakoneet"),
    ("U103", "resident", "Asukkaat tarvitsevat työkaluja lainaan kirjastosta"),
    ("U104", "education", "Koulun pihan viherryttäminen: puita ja kasvimaa koulun pihalle"),
    ("U105", "city", "Kasvimaa ja puita koulujen pihoille, oppilaat hoitavat"),
    ("U106", "research", "Tutkimus koulupihojen viherryttämisestä ja kasvimaista"),
]


def seed_people(driver: SlackDriver, database: Database, slack: LocalSlack) -> None:
    slack.add_user(FACILITATOR, "fasi")
    for user_id, org_type, text in PEOPLE:
        slack.add_user(user_id, user_id.lower())
        driver.command("/idea", text, user=user_id)
        with database.session() as session:
            participants.update_profile(
                session,
                participants.SlackUser(TEAM_ID, user_id),
                participants.ProfileUpdate(f"Org {user_id}", org_type, "fi"),
            )


def open_match_form(driver: SlackDriver, user: str = FACILITATOR) -> dict[str, Any]:
    driver.command("/collider", "match", user=user)
    return driver.last_opened_view()


def form_values(min_size: int = 3, max_size: int = 3, diversity: int = 2) -> dict[str, Any]:
    return {
        ids.MATCH_FIELDS["min_size"]: str(min_size),
        ids.MATCH_FIELDS["max_size"]: str(max_size),
        ids.MATCH_FIELDS["diversity"]: str(diversity),
        ids.MATCH_FIELDS["window"]: "3",
    }


def request_preview(driver: SlackDriver, slack: LocalSlack, **values: int) -> dict[str, Any]:
    answer = response_json(
        driver.submit(open_match_form(driver), form_values(**values), user=FACILITATOR)
    )
    assert answer["response_action"] == "update"
    posted = slack.wait_for("chat.postMessage")
    return posted[-1]


def button(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    for block in message["blocks"]:
        for element in block.get("elements", []) + [block.get("accessory") or {}]:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} button")


def wait_for_round(database: Database, status: RoundStatus, timeout: float = 10.0) -> Round:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with database.session() as session:
            found = session.scalars(select(Round).where(Round.status == status)).first()
            if found:
                return found
        time.sleep(0.02)
    raise AssertionError(f"no round reached {status}")


def wait_for_text(slack: LocalSlack, needle: str, timeout: float = 5.0) -> dict[str, Any]:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for call in slack.calls_to("chat.postMessage"):
            if needle in text_of(call):
                return call
        time.sleep(0.02)
    raise AssertionError(f"no message with {needle!r}")


def intros(slack: LocalSlack) -> list[dict[str, Any]]:
    return [
        call
        for call in slack.calls_to("chat.postMessage")
        if "collider-intro" in json.dumps(call.get("metadata") or {})
    ]


def test_full_round_from_form_to_intros(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    seed_people(driver, database, slack)
    preview = request_preview(driver, slack)
    shown = text_of(preview)
    assert "6 people in 2 groups" in shown
    assert "better than chance" in shown
    assert all(f"<@{user}>" in shown for user, _, _ in PEOPLE)

    confirm = button(preview, ids.ROUND_CONFIRM)
    driver.click(ids.ROUND_CONFIRM, confirm["value"], user=FACILITATOR)
    finished = wait_for_round(database, RoundStatus.COMPLETED)

    opened = slack.calls_to("conversations.open")
    groups = [sorted(call["users"].split(",")) for call in opened if "," in call["users"]]
    assert len(groups) == 2
    # Related people meet: tool library people together, school-yard people together.
    assert sorted(groups) == [["U101", "U102", "U103"], ["U104", "U105", "U106"]]
    sent = intros(slack)
    assert len(sent) == 2
    intro_text = text_of(sent[0])
    assert "Tervetuloa ajatushautomoon" in intro_text  # the members' language
    assert "<@U10" in intro_text and "Org U10" in intro_text
    with database.session() as session:
        tanks = session.scalars(select(ThinkTank).where(ThinkTank.round_id == finished.id)).all()
        assert {tank.intro_state for tank in tanks} == {StepState.DONE}
        assert all(tank.conversation_id for tank in tanks)
    wait_for_text(slack, "2 think tanks with 6 people")


def test_non_facilitators_are_refused_everywhere(
    driver: SlackDriver, database: Database, slack: LocalSlack, caplog: pytest.LogCaptureFixture
) -> None:
    seed_people(driver, database, slack)
    refusal = text_of(response_json(driver.command("/collider", "match", user="U101")))
    assert t("roles.facilitators_only", "fi") in refusal  # U101 reads Finnish
    assert slack.calls_to("views.open") == []
    # A crafted form submission and a crafted confirm click are refused too.
    view = open_match_form(driver)
    crafted = response_json(driver.submit(view, form_values(), user="U102"))
    assert crafted["response_action"] == "errors"
    preview = request_preview(driver, slack)
    driver.click(ids.ROUND_CONFIRM, button(preview, ids.ROUND_CONFIRM)["value"], user="U103")
    [reply] = driver.click_replies()
    assert t("roles.facilitators_only", "fi") in text_of(reply)
    with database.session() as session:
        assert session.scalars(select(Round.status)).all() == [RoundStatus.PREVIEW]
    assert caplog.text.count("refused facilitator action") >= 3


def test_workspace_admin_is_a_facilitator_and_can_add_others(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    slack.add_user("UADMIN", "admin", is_admin=True)
    slack.add_user("U555", "newbie")
    added = text_of(
        response_json(driver.command("/collider", "facilitator add <@U555|newbie>", user="UADMIN"))
    )
    assert "now a facilitator" in added
    driver.command("/collider", "match", user="U555")
    assert slack.wait_for("views.open")
    removed = text_of(
        response_json(driver.command("/collider", "facilitator remove <@U555>", user="UADMIN"))
    )
    assert "no longer" in removed
    assert "only facilitators" in text_of(
        response_json(driver.command("/collider", "match", user="U555"))
    )


def test_concurrent_confirms_create_one_round(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    seed_people(driver, database, slack)
    slack.add_user("UFAC2", "second")
    preview = request_preview(driver, slack)
    value = button(preview, ids.ROUND_CONFIRM)["value"]
    barrier = threading.Barrier(3)

    def click(user: str) -> None:
        barrier.wait()
        driver.click(ids.ROUND_CONFIRM, value, user=user)

    with database.session() as session:
        from services.facilitators import add_facilitator

        add_facilitator(session, participants.SlackUser(TEAM_ID, FACILITATOR), "UFAC2")
    threads = [
        threading.Thread(target=click, args=(u,)) for u in (FACILITATOR, "UFAC2", FACILITATOR)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_for_round(database, RoundStatus.COMPLETED)
    replies = driver.click_replies(count=3)
    assert sum("Confirmed by" in text_of(reply) for reply in replies) == 1
    assert sum("has changed or was already confirmed" in text_of(reply) for reply in replies) == 2
    assert len(intros(slack)) == 2
    assert len([c for c in slack.calls_to("conversations.open") if "," in c["users"]]) == 2


def test_failure_half_way_then_resume_sends_each_intro_once(
    driver: SlackDriver, database: Database, slack: LocalSlack, settings: Settings
) -> None:
    seed_people(driver, database, slack)
    preview = request_preview(driver, slack)
    # The second intro keeps failing with 500s past the client's retries: the run stops.
    slack.fail("conversations.open", status=500, times=0)
    first_intro_then_outage = [dict(status=200)] + [dict(status=500)] * 6

    original = slack.answer

    calls = {"n": 0}

    def flaky(method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "chat.postMessage" and "collider-intro" in json.dumps(
            params.get("metadata") or {}
        ):
            calls["n"] += 1
            if calls["n"] > 1 and calls["n"] <= len(first_intro_then_outage):
                return {"ok": False, "error": "internal_error"}
        return original(method, params)

    slack.answer = flaky  # type: ignore[method-assign]
    driver.click(ids.ROUND_CONFIRM, button(preview, ids.ROUND_CONFIRM)["value"], user=FACILITATOR)
    interrupted = wait_for_round(database, RoundStatus.CONFIRMED)
    import time

    time.sleep(1.0)
    with database.session() as session:
        round_ = session.get(Round, interrupted.id)
        assert round_ is not None and round_.status is RoundStatus.CONFIRMED
    slack.answer = original  # type: ignore[method-assign]

    # Simulate a crash right after Slack accepted an intro but before it was recorded.
    with database.session() as session:
        tank = session.scalars(
            select(ThinkTank).where(ThinkTank.intro_state == StepState.DONE)
        ).first()
        assert tank is not None
        tank.intro_state = StepState.SENDING
    gateway = SlackGateway(make_web_client(settings, timeout=2), SlackPacer(speedup=1000))
    outcomes = resume_unfinished(outbound(settings, database, gateway))
    assert [outcome.status for outcome in outcomes] == ["completed"]
    delivered: dict[str, int] = {}
    for channel, messages in slack.history.items():
        for message in messages:
            marker = ((message.get("metadata") or {}).get("event_payload") or {}).get("marker", "")
            if marker.startswith("collider-intro"):
                delivered[channel] = delivered.get(channel, 0) + 1
    assert sorted(delivered.values()) == [1, 1]


def test_deactivated_member_is_left_out_and_reported(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    seed_people(driver, database, slack)
    slack.users["U102"].deleted = True
    preview = request_preview(driver, slack)
    driver.click(ids.ROUND_CONFIRM, button(preview, ids.ROUND_CONFIRM)["value"], user=FACILITATOR)
    wait_for_round(database, RoundStatus.COMPLETED)
    opened = [
        sorted(c["users"].split(","))
        for c in slack.calls_to("conversations.open")
        if "," in c["users"]
    ]
    assert ["U101", "U103"] in opened
    assert len(intros(slack)) == 2
    summary = wait_for_text(slack, "could not be reached")
    assert "<@U102>" in text_of(summary)


def test_large_think_tank_gets_a_private_channel(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    slack.add_user(FACILITATOR, "fasi")
    for number in range(10):
        user = f"U2{number:02d}"
        slack.add_user(user, user.lower())
        driver.command("/idea", f"Kaupunkiviljely ja yhteisöpuutarha numero {number}", user=user)
    preview = request_preview(driver, slack, min_size=10, max_size=12, diversity=0)
    driver.click(ids.ROUND_CONFIRM, button(preview, ids.ROUND_CONFIRM)["value"], user=FACILITATOR)
    wait_for_round(database, RoundStatus.COMPLETED)
    [created] = slack.calls_to("conversations.create")
    assert created["is_private"] in (True, "true", "1")
    [invite] = slack.calls_to("conversations.invite")
    assert len(invite["users"].split(",")) == 10


def test_preview_rerun_lock_move_and_discard(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    seed_people(driver, database, slack)
    preview = request_preview(driver, slack)
    lock = button(preview, ids.ROUND_LOCK)
    driver.click(ids.ROUND_LOCK, lock["value"], user=FACILITATOR)
    redrawn = driver.click_replies()[-1]
    assert ":lock:" in text_of(redrawn)
    # The old preview's buttons are stale now.
    driver.click(ids.ROUND_DISCARD, button(preview, ids.ROUND_DISCARD)["value"], user=FACILITATOR)
    assert "has changed" in text_of(driver.click_replies(count=2)[-1])
    driver.click(ids.ROUND_RERUN, button(redrawn, ids.ROUND_RERUN)["value"], user=FACILITATOR)
    rerun = driver.click_replies(count=3)[-1]
    assert ":lock:" in text_of(rerun)
    driver.click(ids.ROUND_MOVE, button(rerun, ids.ROUND_MOVE)["value"], user=FACILITATOR)
    move_view = slack.wait_for("views.open", count=2)[-1]["view"]
    person = driver.suggest(move_view, ids.MOVE_FIELDS["person"], user=FACILITATOR)[0]["value"]
    locked_answer = response_json(
        driver.submit(
            move_view,
            {ids.MOVE_FIELDS["person"]: {"option": person}, ids.MOVE_FIELDS["group"]: "2"},
            user=FACILITATOR,
        )
    )
    assert locked_answer["response_action"] == "errors"  # group 1 is locked
    driver.click(ids.ROUND_DISCARD, button(rerun, ids.ROUND_DISCARD)["value"], user=FACILITATOR)
    assert "discarded" in text_of(driver.click_replies(count=4)[-1])
    with database.session() as session:
        assert session.scalars(select(Round.status)).all() == [RoundStatus.DISCARDED]
    assert intros(slack) == []


def test_too_small_pool_notifies_each_person(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    slack.add_user(FACILITATOR, "fasi")
    for user in ("U301", "U302"):
        slack.add_user(user, user.lower())
        driver.command("/idea", "Yksinäinen idea", user=user)
    preview = request_preview(driver, slack)
    assert "fewer than one group" in text_of(preview)
    driver.click(ids.ROUND_CONFIRM, button(preview, ids.ROUND_CONFIRM)["value"], user=FACILITATOR)
    wait_for_round(database, RoundStatus.COMPLETED)
    notices = [
        c
        for c in slack.calls_to("chat.postMessage")
        if "collider-notice" in json.dumps(c.get("metadata") or {})
    ]
    assert len(notices) == 2
    assert "too few participants" in text_of(notices[0])


def test_scheduled_matching_previews_once_per_period(
    driver: SlackDriver, database: Database, slack: LocalSlack, settings: Settings
) -> None:
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from i18n import format_day
    from models.base import utcnow
    from services.local_time import local_day, weeks_later
    from services.round_workflow import run_due_schedules

    seed_people(driver, database, slack)
    reply = text_of(
        response_json(driver.command("/collider", "schedule every 2 weeks", user=FACILITATOR))
    )
    assert "every 2 weeks" in reply and "previews go to facilitators" in reply
    # The first day on the deployment's clock, written as English does (not 2027-01-14).
    zone = ZoneInfo(settings.time_zone)
    assert format_day(local_day(weeks_later(utcnow(), 2, zone), zone), "en") in reply, reply
    gateway = SlackGateway(make_web_client(settings, timeout=2), SlackPacer(speedup=1000))
    assert run_due_schedules(outbound(settings, database, gateway), utcnow()) == []
    # Two weeks on the wall clock: an hour more than fixed weeks when summer time ends between.
    later = utcnow() + timedelta(weeks=2, hours=2)
    [round_id] = run_due_schedules(outbound(settings, database, gateway), later)
    assert run_due_schedules(outbound(settings, database, gateway), later) == []  # claimed once
    preview = wait_for_text(slack, "Think tank preview")
    assert button(preview, ids.ROUND_CONFIRM)
    with database.session() as session:
        assert session.get(Round, round_id).status is RoundStatus.PREVIEW  # type: ignore[union-attr]


def test_scheduled_matching_can_confirm_automatically(
    driver: SlackDriver, database: Database, slack: LocalSlack, settings: Settings
) -> None:
    from datetime import timedelta

    from models.base import utcnow
    from services.round_workflow import run_due_schedules

    seed_people(driver, database, slack)
    driver.command("/collider", "schedule every 1 week auto", user=FACILITATOR)
    gateway = SlackGateway(make_web_client(settings, timeout=2), SlackPacer(speedup=1000))
    [round_id] = run_due_schedules(
        outbound(settings, database, gateway), utcnow() + timedelta(weeks=1, hours=2)
    )
    with database.session() as session:
        assert session.get(Round, round_id).status is RoundStatus.COMPLETED  # type: ignore[union-attr]
    assert len(intros(slack)) == 2
    assert "Usage" in text_of(
        response_json(driver.command("/collider", "schedule sometimes", user=FACILITATOR))
    )
    assert "off" in text_of(
        response_json(driver.command("/collider", "schedule off", user=FACILITATOR))
    )
    assert (
        run_due_schedules(outbound(settings, database, gateway), utcnow() + timedelta(weeks=9))
        == []
    )


def test_match_form_can_limit_the_pool_to_a_theme(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    from datetime import date

    from services import themes

    seed_people(driver, database, slack)
    with database.session() as session:
        theme = themes.open_theme(
            session,
            participants.SlackUser(TEAM_ID, FACILITATOR),
            themes.ThemeInput(
                title="Koulupihat", description="", opens_on=date.today(), closes_on=None
            ),
        )
        theme_id = theme.id
        from models import Idea

        for idea in session.scalars(select(Idea)):
            if idea.author.user_id in ("U104", "U105", "U106"):
                idea.theme_id = theme_id
    view = open_match_form(driver)
    found = driver.suggest(view, ids.MATCH_FIELDS["theme"], "koulu", user=FACILITATOR)
    assert [o["text"]["text"] for o in found] == ["Koulupihat"]
    values = {**form_values(), ids.MATCH_FIELDS["theme"]: {"option": found[0]["value"]}}
    driver.submit(view, values, user=FACILITATOR)
    preview = wait_for_text(slack, "3 people in 1 group")
    shown = text_of(preview)
    assert all(f"<@{u}>" in shown for u in ("U104", "U105", "U106"))
    assert "<@U101>" not in shown


def test_app_home_shows_my_think_tanks_and_matchmaking_status(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    seed_people(driver, database, slack)
    preview = request_preview(driver, slack)
    driver.click(ids.ROUND_CONFIRM, button(preview, ids.ROUND_CONFIRM)["value"], user=FACILITATOR)
    wait_for_round(database, RoundStatus.COMPLETED)
    driver.command("/collider", "pause 3w", user="U101")
    driver.event({"type": "app_home_opened", "user": "U101", "channel": "D1", "tab": "home"})
    [published] = slack.wait_for("views.publish")
    home = text_of(published["view"])
    assert t("rounds.home_think_tanks", "fi") in home
    assert "<@U102>" in home and "app_redirect?channel=G" in home
    assert "tauolla" in home  # paused, in the person's language
