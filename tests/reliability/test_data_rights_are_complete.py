"""Issue 11, items 1 and 2: my-data holds every row about a person, and forget-me leaves nothing
that identifies them: not in any table or column, and on SQLite not in the file or its WAL.

One person touches every table (as participant, author, co-author, think-tank member, poll
respondent and facilitator); the test fails when a table gains rows about people that neither
my-data nor ``NOTHING_PERSONAL`` accounts for. Both tests run twice: once for her reached by
polls, once for her never sent one (the bot then knows her DM only from what it sent her).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    AppSecret,
    Base,
    Charter,
    DeliveryState,
    DoNotMatch,
    Experiment,
    Facilitator,
    HandledRequest,
    Idea,
    IdeaCoauthor,
    IdeaKind,
    IdeaLink,
    IdeaStage,
    MatchSchedule,
    OrganisationType,
    Participant,
    PendingSuggestion,
    Poll,
    PollAnswer,
    PollDelivery,
    PollState,
    PollTemplate,
    Round,
    RoundNotice,
    RoundStatus,
    ScheduledSend,
    SchedulerLease,
    Stage,
    StageEvaluation,
    StageEvaluationAnswer,
    StageEvaluationInvite,
    StrategyGoal,
    Theme,
    ThinkTank,
    ThinkTankMember,
    apscheduler_jobs,
)
from models.base import utcnow
from models.db import Database
from models.sends import claim, mark_sent
from services import personal_data
from services.answer_keys import AnswerKeys
from services.participants import SlackUser
from services.polls import DEFAULT_QUESTIONS, respondent_key
from services.stage_evaluations import respondent_key as evaluation_respondent
from tests.personal_data_search import rows_referring_to, traces

TEAM = "T0RIGHTS"
EEVA = SlackUser(TEAM, "UEEVA42", name="Eeva Everywhere")
ORGANISATION = "Kaikkialla Osakeyhtiö"
DM = "DEEVA42DM"
EMAIL = "eeva.everywhere@example.org"
# Texts only she wrote: none may survive forget-me.
IDEA_BODY = "Eevan salainen resepti kaupunkiviljelyyn"
THEME_LABEL = "Eevan oma teema"
ANSWER_TEXT = "Eeva vastasi avoimesti"
ANONYMOUS_TEXT = "Eeva nimettömänä mutta tunnistettavasti"
STAGE_NOTE = "Eeva vetää pilottia"
EVALUATION_TEXT = "Eevan arvio vaiheesta"
# Where the bot answers her /idea with similar ideas, for a few minutes.
REPLY_URL = "https://hooks.slack.com/commands/eeva"
KEY = b"k" * 32
# Her answers were given under KEY, which has since been replaced: still hers to see and erase.
KEYS = AnswerKeys(current=b"n" * 32, earlier=(KEY,))
# Rows that point at her but are not hers to see, and why.
NOT_HERS = {
    ("do_not_match", "avoided_id"): "another person's private wish not to meet her",
}


@dataclass
class World:
    eeva: int
    other: int
    others_idea: int
    poll_ids: list[int]
    evaluation_id: int
    polled: bool


def _sent(session: Session, key: str, ts: str, *, to: str | None, about: int | None = None) -> None:
    """An outbox row as ``services.delivery`` leaves it: claimed, then sent to ``to``'s DM."""
    assert claim(session, key, holder="test", recipient=to, about_id=about, team_id=TEAM)
    mark_sent(session, key, channel=DM if to == EEVA.user_id else "DOTTO9DM", ts=ts)


def _programme_sends(session: Session, eeva: int, other: int, ids: dict[str, int]) -> None:
    """What the bot sent her, or told another of her, outside polls (her DM in each result)."""
    own = EEVA.user_id
    _sent(session, f"evaluation:{ids['evaluation']}:invite:{eeva}", "9.1", to=own)
    _sent(session, f"experiment:{ids['experiment']}:result:{eeva}", "9.2", to=own)
    _sent(session, f"experiment:{ids['experiment']}:prompt:{ids['change']}:mover", "9.3", to=own)
    _sent(session, f"stage:{ids['change']}:author", "9.4", to=own)
    _sent(session, f"collider-notice-{ids['notice']}", "9.5", to=own)
    _sent(session, f"collider-summary-{ids['round']}", "9.6", to=own)
    _sent(session, f"collider-preview-{ids['round']}", "9.7", to=own)
    _sent(session, f"poll:{ids['poll']}:failures", "9.8", to=own)
    _sent(session, f"claim:{ids['offered']}:{own}", "7.8", to=own)
    # Otto heard that she joined his idea: his DM, but the message is about her.
    _sent(session, f"coauthor:{ids['withdrawn']}:{ids['others']}", "9.9", to="UOTHER9", about=eeva)


def build_world(database: Database, *, polled: bool = True) -> World:  # noqa: PLR0915 - one row per table
    """Her, everywhere; ``polled=False``: never sent a poll (nor shown a round preview), so no
    delivery records where her DM is."""
    now = utcnow()
    with database.session() as s:
        eeva = Participant(
            team_id=TEAM,
            user_id=EEVA.user_id,
            display_name=EEVA.name,
            organisation=ORGANISATION,
            organisation_type=OrganisationType.COMPANY,
            language="fi",
            slack_locale="fi-FI",
        )
        other = Participant(team_id=TEAM, user_id="UOTHER9", display_name="Otto Other")
        # Imported authors found in Slack by her e-mail: one offered to her as hers, one whose
        # ideas she said are someone else's (that person's name is not hers to erase).
        offered = Participant(
            team_id=TEAM,
            user_id="offline-eeva-1",
            display_name=EEVA.name,
            email=EMAIL,
            is_offline=True,
            claim_offered_to=EEVA.user_id,
        )
        declined = Participant(
            team_id=TEAM,
            user_id="offline-eeva-2",
            display_name="Ella Else",
            email=EMAIL,
            is_offline=True,
            claim_declined_by=EEVA.user_id,
        )
        s.add_all([eeva, other, offered, declined])
        s.flush()
        theme = Theme(team_id=TEAM, title="Goal 3", opens_on=date.today(), created_by_id=eeva.id)
        s.add(theme)
        s.flush()
        mine = Idea(
            author_id=eeva.id,
            kind=IdeaKind.IDEA,
            title="Eevan idea",
            body=IDEA_BODY,
            theme=THEME_LABEL,
            theme_id=theme.id,
            source_url="https://example.slack.com/archives/C1/p1",
            import_key="eeva-import-key",
            search_text=IDEA_BODY.casefold(),
        )
        withdrawn = Idea(author_id=eeva.id, kind=IdeaKind.NEED, title="Joined", body="Eevan tarve")
        others = Idea(author_id=other.id, kind=IdeaKind.IDEA, title="Otto's", body="Otto's idea")
        s.add_all([mine, withdrawn, others])
        s.flush()
        moved = IdeaStage(idea_id=mine.id, stage=Stage.PILOT, note=STAGE_NOTE)
        s.add(moved)
        s.add(IdeaStage(idea_id=others.id, stage=Stage.PILOT, note="ok", changed_by_id=eeva.id))
        s.add(IdeaCoauthor(idea_id=others.id, participant_id=eeva.id, joined_from_id=withdrawn.id))
        low, high = sorted((mine.id, others.id))
        s.add(IdeaLink(idea_id=low, related_id=high, created_by=eeva.id))
        s.add(DoNotMatch(participant_id=eeva.id, avoided_id=other.id))
        s.add(DoNotMatch(participant_id=other.id, avoided_id=eeva.id))
        schedule = MatchSchedule(
            team_id=TEAM, every_weeks=4, created_by=EEVA.user_id, next_run_at=now, note="x"
        )
        s.add(schedule)
        s.flush()
        round_ = Round(
            team_id=TEAM,
            status=RoundStatus.COMPLETED,
            created_by=EEVA.user_id,
            confirmed_by=EEVA.user_id,
            preview_channel=DM if polled else None,
            preview_ts="1.2" if polled else None,
            schedule_id=schedule.id,
        )
        s.add(round_)
        s.flush()
        tank = ThinkTank(round_id=round_.id, number=1, conversation_id="GTANK1")
        s.add(tank)
        s.flush()
        s.add(ThinkTankMember(round_id=round_.id, think_tank_id=tank.id, participant_id=eeva.id))
        s.add(ThinkTankMember(round_id=round_.id, think_tank_id=tank.id, participant_id=other.id))
        notice = RoundNotice(round_id=round_.id, participant_id=eeva.id, reason="no_group")
        s.add(notice)
        s.add(Facilitator(team_id=TEAM, user_id=EEVA.user_id, added_by="UADMIN"))
        s.add(Facilitator(team_id=TEAM, user_id="UNEWFAC", added_by=EEVA.user_id))
        template = PollTemplate(team_id=TEAM, name="Eevan kysely", created_by=EEVA.user_id)
        s.add(template)
        s.flush()
        polls = []
        for anonymous in (False, True):
            poll = Poll(
                team_id=TEAM,
                template_id=template.id,
                questions=DEFAULT_QUESTIONS,
                round_id=round_.id,
                think_tank_id=tank.id,
                opens_at=now,
                closes_at=now + timedelta(days=7),
                anonymous=anonymous,
                state=PollState.OPEN,
                created_by=EEVA.user_id,
            )
            s.add(poll)
            s.flush()
            polls.append(poll)
            if not polled:
                continue
            s.add(
                PollDelivery(
                    poll_id=poll.id,
                    participant_id=eeva.id,
                    think_tank_id=tank.id,
                    state=DeliveryState.SENT,
                    channel=DM,
                    ts="3.4",
                    answered=True,
                )
            )
            respondent = respondent_key(KEY, poll.id, eeva.id)
            owner = None if anonymous else eeva.id
            text = ANONYMOUS_TEXT if anonymous else ANSWER_TEXT
            for question, value in (("useful", "4"), ("helped", text)):
                s.add(
                    PollAnswer(
                        poll_id=poll.id,
                        respondent=respondent,
                        think_tank_id=tank.id,
                        question_key=question,
                        value=value,
                        participant_id=owner,
                    )
                )
            s.add(ScheduledSend(key=f"poll:{poll.id}:to:{eeva.id}", result=f"{DM} 3.4"))
            s.add(ScheduledSend(key=f"poll:{poll.id}:remind:{eeva.id}", result=f"{DM} 5.6"))
        # The programme: a strategy goal, a charter and an experiment card she wrote, and the
        # evaluation of a stage she was asked about and answered.
        s.add(StrategyGoal(team_id=TEAM, title="Hiilineutraali 2030", created_by_id=eeva.id))
        s.add(Charter(think_tank_id=tank.id, goal="Yhteinen tavoite", updated_by_id=eeva.id))
        experiment = Experiment(
            team_id=TEAM, idea_id=mine.id, title="Kokeilu", created_by_id=eeva.id
        )
        s.add(experiment)
        s.flush()
        evaluation = StageEvaluation(
            team_id=TEAM,
            idea_id=mine.id,
            idea_stage_id=moved.id,
            stage=Stage.EXPERIMENT,
            next_stage=Stage.PILOT,
        )
        s.add(evaluation)
        s.flush()
        s.add(StageEvaluationInvite(evaluation_id=evaluation.id, participant_id=eeva.id))
        s.add(
            StageEvaluationAnswer(
                evaluation_id=evaluation.id,
                respondent=evaluation_respondent(KEY, evaluation.id, eeva.id),
                gave=EVALUATION_TEXT,
                rating=4,
            )
        )
        ids = {
            "evaluation": evaluation.id,
            "experiment": experiment.id,
            "change": moved.id,
            "notice": notice.id,
            "round": round_.id,
            "poll": polls[0].id,
            "offered": offered.id,
            "withdrawn": withdrawn.id,
            "others": others.id,
        }
        _programme_sends(s, eeva.id, other.id, ids)
        s.add(PendingSuggestion(idea_id=mine.id, reply_url=REPLY_URL))
        s.add(HandledRequest(key="command:trigger-1", result=str(mine.id)))
        s.add(AppSecret(name="answer_key", value="secret"))
        s.add(SchedulerLease(holder="host:1", expires_at=now, name="scheduler"))
        s.execute(apscheduler_jobs.insert().values(id="collider:sweep", job_state=b"\x80"))
        return World(eeva.id, other.id, others.id, [p.id for p in polls], evaluation.id, polled)


def exported_rows(data: dict) -> dict[str, set]:
    """Primary keys per table of the rows the my-data file contains."""
    tables = personal_data.section_tables()
    found: dict[str, set] = {}
    for section, rows in data.items():
        if section not in tables or rows is None:
            continue
        for row in rows if isinstance(rows, list) else [rows]:
            key = row.get("id", row.get("key", row.get("idea_id")))
            found.setdefault(tables[section], set()).add(key)
            for stage in row.get("stages", []) if section == "ideas" else []:
                found.setdefault("idea_stages", set()).add(stage["id"])
    return found


def not_hers(database: Database, world: World) -> dict[str, set]:
    excluded: dict[str, set] = {}
    with database.session() as session:
        for (table_name, column), _reason in NOT_HERS.items():
            table = Base.metadata.tables[table_name]
            ids = session.scalars(select(table.c.id).where(table.c[column] == world.eeva))
            excluded.setdefault(table_name, set()).update(ids)
    return excluded


@pytest.mark.parametrize("polled", [True, False], ids=["polled", "never-polled"])
def test_my_data_holds_every_row_about_the_person(database: Database, polled: bool) -> None:
    world = build_world(database, polled=polled)
    respondents = (
        *(respondent_key(KEY, poll_id, world.eeva) for poll_id in world.poll_ids),
        evaluation_respondent(KEY, world.evaluation_id, world.eeva),
    )
    expected = rows_referring_to(database, world.eeva, (EEVA.user_id, DM, REPLY_URL, *respondents))
    for table, ids in not_hers(database, world).items():
        expected[table] -= ids

    untouched = {
        table.name
        for table in Base.metadata.sorted_tables
        if table.name not in expected and table.name not in personal_data.NOTHING_PERSONAL
    }
    if not polled:  # no polls reached her: nothing of hers there
        untouched -= {"poll_deliveries", "poll_answers"}
    assert untouched == set(), "tables with no row about the person and no reason given"

    with database.session() as session:
        data = personal_data.personal_data(session, EEVA, answer_keys=KEYS)
    assert data is not None
    exported = exported_rows(json.loads(json.dumps(data)))
    missing = {
        table: ids - exported.get(table, set())
        for table, ids in expected.items()
        if ids - exported.get(table, set())
    }
    assert missing == {}
    text = json.dumps(data, ensure_ascii=False)
    answers = (ANSWER_TEXT, ANONYMOUS_TEXT) if polled else ()
    for value in (IDEA_BODY, THEME_LABEL, *answers, EVALUATION_TEXT):
        assert value in text
    assert ORGANISATION in text and DM in text
    assert "Otto" not in text  # nothing of the other person
    avoided = [row for row in data["avoid_list"] if row["participant_id"] == world.eeva]
    assert [row["avoided_id"] for row in avoided] == [world.other]
    assert len(data["avoid_list"]) == 1  # the wish of someone else not to meet her stays theirs


def sqlite_bytes(database: Database) -> bytes:
    """The database file and its WAL, read by another process: closing a file descriptor of
    the database in this one would drop every POSIX lock SQLite holds on it here."""
    path = Path(database.engine.url.database or "")
    files = [str(file) for file in (path, Path(f"{path}-wal")) if file.exists()]
    assert files
    read = "import sys\nfor name in sys.argv[1:]: sys.stdout.buffer.write(open(name, 'rb').read())"
    return subprocess.run(
        [sys.executable, "-c", read, *files], capture_output=True, check=True
    ).stdout


@pytest.mark.parametrize("polled", [True, False], ids=["polled", "never-polled"])
def test_forget_me_leaves_nothing_that_identifies_the_person(
    database: Database, polled: bool
) -> None:
    world = build_world(database, polled=polled)
    needles = (EEVA.user_id, EEVA.name or "", ORGANISATION, DM, "fi-FI", REPLY_URL, EMAIL)
    texts = (
        IDEA_BODY,
        THEME_LABEL,
        ANSWER_TEXT,
        ANONYMOUS_TEXT,
        STAGE_NOTE,
        EVALUATION_TEXT,
        "Eevan tarve",
    )
    assert traces(database, *needles, *texts)
    if not polled:
        texts = tuple(text for text in texts if text not in (ANSWER_TEXT, ANONYMOUS_TEXT))
    if database.engine.dialect.name == "sqlite":
        # As SQLite's automatic checkpoints do: her texts are in the main file, not only the WAL.
        with database.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        assert IDEA_BODY.encode() in sqlite_bytes(database)

    with database.session() as session:
        forgotten = personal_data.forget(session, EEVA, "en", answer_keys=KEYS)
    assert forgotten is not None and forgotten.ideas == 2

    assert traces(database, *needles, *texts, "eeva-import-key", "example.slack.com") == []
    # Only her anonymous ideas still point at her tombstone; no row links it to anyone else.
    pointing = rows_referring_to(database, world.eeva, ())
    assert set(pointing) == {"participants", "ideas"}
    with database.session() as session:
        tombstone = session.get(Participant, world.eeva)
        assert tombstone is not None and tombstone.organisation_type is OrganisationType.COMPANY
        # Her scale answers still count, under a key no one can compute from her id.
        answers = session.scalars(select(PollAnswer).order_by(PollAnswer.poll_id)).all()
        assert [(a.question_key, a.value, a.participant_id) for a in answers] == [
            ("useful", "4", None),
            ("useful", "4", None),
        ][: 2 if polled else 0]
        keys = {respondent_key(KEY, poll_id, world.eeva) for poll_id in world.poll_ids}
        assert keys.isdisjoint({answer.respondent for answer in answers})
        assert session.scalars(select(MatchSchedule.active)).all() == [False]
        # Her stage rating still counts, without its text and under a key no one can compute.
        rated = session.scalars(select(StageEvaluationAnswer)).one()
        assert (rated.rating, rated.gave) == (4, "")
        assert rated.respondent != evaluation_respondent(KEY, world.evaluation_id, world.eeva)
        assert session.scalars(select(Facilitator.user_id)).all() == ["UNEWFAC"]
        # Every message sent to her or about her goes, keys naming her tombstone's id with it.
        assert session.scalars(select(ScheduledSend.key)).all() == []
        # The other person's idea and the co-authorship's source are untouched.
        assert session.get(Idea, world.others_idea).body == "Otto's idea"  # type: ignore[union-attr]
        # The imported author she said is someone else keeps their name, no longer linked to her.
        ella = session.scalars(select(Participant).where(Participant.display_name == "Ella Else"))
        assert [(p.email, p.claim_declined_by) for p in ella] == [(None, None)]
    if database.engine.dialect.name == "sqlite":
        content = sqlite_bytes(database)
        for value in (*texts, ORGANISATION, EEVA.name or "", EEVA.user_id):
            assert value.encode() not in content, value
