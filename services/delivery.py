"""The one way a message leaves outside a request: intros, notices, round summaries, previews,
poll DMs, reminders, reports and offers of imported ideas all go through ``deliver``; late
answers to someone's own request (similar ideas, a form's confirmation) through ``reply``; files
(someone's data, charts, full lists a message could only count) through ``deliver_file``.
Nothing else calls Slack's sending methods (tests/test_one_gateway.py).

Exactly once per send key, across double clicks, several processes, restarts and crashes:

1. claim the key in the database and commit (``models.sends.claim``: exactly one caller wins);
2. call the gateway, the message carrying its key as a metadata marker;
3. record the outcome: ``sent`` (with channel and ts), or released when Slack certainly did not
   deliver it (a later call may claim the key again).

APScheduler alone cannot promise "never twice" (it hands a job to its executor before storing
the next run time; two briefly-leading schedulers would both run it): the key decides.

A post that broke off (a timeout, a process killed mid-call) leaves the claim in ``sending``:
the outcome is unknown, so it is never simply sent again. ``settle`` asks Slack for the marker
(``find_marked_message``): found, it is sent; not there, the claim is released and may be sent.

Outcomes and errors are typed: ``Status`` says what happened to a delivery, ``FailureKind`` what
kind of failure a ``DeliveryError`` from the gateway is. The Slack gateway (``bot.slack_gateway``)
implements ``Gateway``; it renders nothing: callers hand it finished Block Kit messages.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from models.base import utcnow
from models.db import Database
from models.scheduling import SendState
from models.sends import claim, find_send, mark_failed, mark_sent, still_here

logger = logging.getLogger(__name__)

Message = dict[str, Any]
Clock = Callable[[], datetime]


class FailureKind(enum.StrEnum):
    PERMANENT = "permanent"  # trying again will not help (a deactivated user, a missing channel)
    TEMPORARY = "temporary"  # Slack certainly did not act; trying later may work
    RETRY_AFTER = "retry_after"  # rate limited past the client's own retries: wait, then retry
    IN_DOUBT = "in_doubt"  # the call broke off mid-way: Slack may have acted on it


class DeliveryError(Exception):
    """A Slack call failed after the gateway's own retries.

    ``user_ids``: the people the failure is about, when known, so the rest can go on.
    ``retry_after``: seconds Slack asked us to wait (``RETRY_AFTER``).
    """

    def __init__(
        self,
        code: str,
        kind: FailureKind,
        *,
        user_ids: Sequence[str] = (),
        retry_after: float | None = None,
    ):
        super().__init__(code)
        self.code = code
        self.kind = kind
        self.user_ids = tuple(user_ids)
        self.retry_after = retry_after

    @property
    def permanent(self) -> bool:
        return self.kind is FailureKind.PERMANENT


class Status(enum.StrEnum):
    SENT = "sent"  # this call sent it
    ALREADY_SENT = "already_sent"  # an earlier call did
    BUSY = "busy"  # another process claimed it moments ago and may be sending it now
    IN_DOUBT = "in_doubt"  # claimed and not finished: maybe sent, so not sent again blindly
    PERMANENT = "permanent"
    TEMPORARY = "temporary"
    RETRY_AFTER = "retry_after"
    # The person asked to be forgotten after the message was made: nothing claimed or sent.
    FORGOTTEN = "forgotten"


@dataclass(frozen=True)
class Posted:
    channel: str | None
    ts: str


@dataclass(frozen=True)
class Outcome:
    status: Status
    channel: str | None = None
    ts: str | None = None
    code: str = ""
    retry_after: float | None = None
    user_ids: tuple[str, ...] = ()
    # True when this says what an earlier claim left (not what this call's own attempt did).
    earlier: bool = False

    @property
    def delivered(self) -> bool:
        return self.status in (Status.SENT, Status.ALREADY_SENT)

    @property
    def failed(self) -> bool:
        """Slack certainly did not deliver it (this time)."""
        return self.status in (Status.PERMANENT, Status.TEMPORARY, Status.RETRY_AFTER)

    @classmethod
    def of_error(cls, error: DeliveryError) -> Outcome:
        return cls(
            Status(error.kind.value),
            code=error.code,
            retry_after=error.retry_after,
            user_ids=error.user_ids,
        )


@dataclass(frozen=True)
class Upload:
    """A file to share: its bytes, name and title, and the message it comes with."""

    content: bytes
    filename: str
    title: str
    comment: str | None = None


class Gateway(Protocol):
    """The outgoing Slack calls, as the domain needs them. Every method raises ``DeliveryError``."""

    def open_conversation(
        self,
        user_ids: Sequence[str],
        name: str,
        *,
        channel: str | None = None,
        created: Callable[[str], None] | None = None,
    ) -> str:
        """The id of a conversation with these people: a group DM (idempotent), or a private
        channel created new under ``name`` or a free variant of it. ``created`` hears a new
        channel's id before anyone is invited; ``channel`` continues with that recorded id."""
        ...

    def dm_channel(self, user_id: str) -> str: ...

    def user_locale(self, user_id: str) -> str | None:
        """The person's Slack locale (``fi-FI``), None when Slack does not say or fails."""
        ...

    def user_email(self, user_id: str) -> str | None:
        """The e-mail on the person's Slack profile, None when Slack does not say."""
        ...

    def find_user_by_email(self, email: str) -> str | None:
        """The id of the Slack member with this e-mail, None when there is none."""
        ...

    def channel_members(self, channel: str) -> tuple[str, ...]: ...

    def find_marked_message(self, channel: str, marker: str) -> str | None:
        """The ts of a message this app posted with ``marker``, if there is one."""
        ...

    def post(self, channel: str, message: Message, marker: str | None = None) -> str: ...

    def post_ephemeral(self, channel: str, user_id: str, message: Message) -> None:
        """A message only ``user_id`` sees, in ``channel``."""
        ...

    def respond(self, response_url: str, message: Message) -> None:
        """Answer on a request's response URL (ephemeral, beside the original)."""
        ...

    def update(self, channel: str, ts: str, message: Message) -> None: ...

    def pin(self, channel: str, ts: str) -> None:
        """Pin a message this app posted (pinning it again is harmless)."""
        ...

    def permalink(self, channel: str, ts: str) -> str | None:
        """A message's permalink, None when Slack gives none (a read: it never raises)."""
        ...

    def upload_file(self, channel: str, upload: Upload) -> None: ...

    def upload_image(self, content: bytes, filename: str, title: str) -> str:
        """Upload an image shared in no channel (private to the app, for its image blocks);
        its file id."""
        ...

    def delete_file(self, file_id: str) -> None:
        """Delete a file the app uploaded; one that is gone already is no error."""
        ...


@dataclass(frozen=True)
class Recipient:
    """Where a message goes: a conversation, or a person's DM (opened when needed).

    ``user_id`` names the person whenever it goes to their DM, even by its recorded ``channel``,
    and ``team_id`` the workspace they are reached in (``deliver`` records both on the send,
    for forget-me: on an Enterprise Grid one user id is a member of several workspaces); a
    shared conversation has neither. ``participant_id``, when the message was made for a
    participant (a notice, an invitation, a poll), lets the claim refuse a send to someone who
    asked to be forgotten in the meantime (``once``)."""

    channel: str | None = None
    user_id: str | None = None
    team_id: str | None = None
    participant_id: int | None = None

    def resolve(self, gateway: Gateway) -> str:
        if self.channel:
            return self.channel
        assert self.user_id, "a recipient needs a channel or a user"
        return gateway.dm_channel(self.user_id)


@dataclass(frozen=True)
class ReplyTo:
    """Where a later answer to someone's own request goes: the request's response URL, else an
    ephemeral message in the channel they were in, else their DM."""

    user_id: str
    response_url: str | None = None
    channel: str | None = None


def reply(gateway: Gateway, message: Message, to: ReplyTo) -> Outcome:
    """Send a late answer to what someone asked (similar ideas after ``/idea``): no claim, since
    the request is the key and the courtesy is not repeated; the outcome is typed."""
    try:
        if to.response_url:
            gateway.respond(to.response_url, message)
            return Outcome(Status.SENT)
        if to.channel:
            try:
                gateway.post_ephemeral(to.channel, to.user_id, message)
                return Outcome(Status.SENT, to.channel)
            except DeliveryError as error:
                logger.info("ephemeral answer in %s failed (%s): their DM", to.channel, error.code)
        channel = gateway.dm_channel(to.user_id)
        return Outcome(Status.SENT, channel, gateway.post(channel, message))
    except DeliveryError as error:
        return Outcome.of_error(error)


def deliver_file(gateway: Gateway, upload: Upload, to: Recipient) -> Outcome:
    """Share ``upload`` with ``to`` now (someone's data, a chart, a full list a message could
    only count): a one-off answer to what someone just asked, or one that goes with a message
    just sent, so no claim: asking again is the retry. The outcome is typed, never raised."""
    try:
        channel = to.resolve(gateway)
        gateway.upload_file(channel, upload)
    except DeliveryError as error:
        return Outcome.of_error(error)
    return Outcome(Status.SENT, channel)


def once(
    database: Database,
    key: str,
    action: Callable[[], Posted | None],
    *,
    holder: str,
    due_at: datetime | None = None,
    clock: Clock = utcnow,
    in_doubt_after: timedelta = timedelta(0),
    recipient: str | None = None,
    about: int | None = None,
    team_id: str | None = None,
    participant_id: int | None = None,
) -> Outcome:
    """Run ``action`` (one Slack call) at most once per ``key``; what became of it.

    ``recipient`` is whose DM it goes to (in workspace ``team_id``), ``about`` the participant
    it is about when that is someone else: all are stored with the claim, so forget-me finds it.

    A claim someone else holds is ``BUSY`` while younger than ``in_doubt_after``, ``IN_DOUBT``
    after that. ``action`` raises ``DeliveryError``: in doubt, the claim stays; any other kind
    releases it. Any other exception leaves the claim in doubt and propagates.
    """
    now = clock()
    with database.session() as session:
        # Made for a participant who has since asked to be forgotten: their forget-me has
        # erased what it could find, and a claim now would write their Slack id again.
        if participant_id is not None and not still_here(session, participant_id):
            return Outcome(Status.FORGOTTEN)
        claimed = claim(
            session,
            key,
            holder=holder,
            due_at=due_at,
            now=now,
            recipient=recipient,
            about_id=about,
            team_id=team_id,
        )
        if not claimed:
            return _claimed_elsewhere(session, key, now, in_doubt_after)
    try:
        posted = action()
    except DeliveryError as error:
        if error.kind is FailureKind.IN_DOUBT:
            logger.warning("send %s broke off (%s): in doubt until settled", key, error.code)
        else:
            with database.session() as session:
                mark_failed(session, key, error=error.code)
            logger.warning("send %s not delivered: %s (%s)", key, error.code, error.kind)
        return Outcome.of_error(error)
    except Exception:
        logger.exception("send %s: outcome unknown; left in 'sending', not retried", key)
        raise
    channel, ts = (posted.channel, posted.ts) if posted else (None, None)
    with database.session() as session:
        mark_sent(session, key, channel=channel, ts=ts, now=clock())
    return Outcome(Status.SENT, channel, ts)


def _claimed_elsewhere(session: Any, key: str, now: datetime, in_doubt_after: timedelta) -> Outcome:
    record = find_send(session, key)
    if record is not None and record.state is SendState.SENT:
        return Outcome(Status.ALREADY_SENT, record.channel, record.ts, earlier=True)
    if record is not None and record.claimed_at > now - in_doubt_after:
        return Outcome(Status.BUSY, earlier=True)
    return Outcome(Status.IN_DOUBT, code="sending_interrupted", earlier=True)


def deliver(
    database: Database,
    gateway: Gateway,
    message: Message,
    to: Recipient,
    *,
    key: str | None,
    holder: str = "",
    marked: bool = True,
    due_at: datetime | None = None,
    clock: Clock = utcnow,
    in_doubt_after: timedelta = timedelta(0),
    settle_in_doubt: bool = False,
    about: int | None = None,
) -> Outcome:
    """Send ``message`` to ``to``, once per ``key``.

    ``key=None`` is for a one-off answer to what someone just asked (a report, a "sorry"): no
    claim, since asking again is the retry; the outcome is typed all the same. ``marked`` puts
    the key in the message's metadata so an in-doubt post can be found; ``settle_in_doubt``
    settles one right away (for callers that hold a lease, so nobody else is sending it) and
    sends it when Slack does not have it. A post of this very call that broke off stays in
    doubt: it may still land, so it is settled on a later call. The send records whose DM it
    went to (``to.user_id``, in ``to.team_id``) and ``about``, the participant it is about if
    someone else.
    """

    def post() -> Posted:
        channel = to.resolve(gateway)
        return Posted(channel, gateway.post(channel, message, key if marked else None))

    if key is None:
        try:
            posted = post()
        except DeliveryError as error:
            return Outcome.of_error(error)
        return Outcome(Status.SENT, posted.channel, posted.ts)
    options: dict[str, Any] = {
        "holder": holder,
        "due_at": due_at,
        "clock": clock,
        "recipient": to.user_id,
        "team_id": to.team_id,
        "about": about,
        "participant_id": to.participant_id,
    }
    outcome = once(database, key, post, in_doubt_after=in_doubt_after, **options)
    # Only a claim an earlier attempt left: a post that broke off just now may still land.
    if outcome.status is Status.IN_DOUBT and outcome.earlier and settle_in_doubt and marked:
        outcome = settle(database, gateway, key, to, now=clock())
        if outcome.status is Status.TEMPORARY and outcome.code == NOT_POSTED:
            outcome = once(database, key, post, in_doubt_after=in_doubt_after, **options)
    return outcome


def backoff(attempts: int, longest: timedelta = timedelta(hours=1)) -> timedelta:
    """Wait before the next try after ``attempts`` temporary failures: 1, 2, 4 ... minutes, at
    most ``longest`` (callers that keep their own attempt count: poll deliveries, evaluation
    invitations, App Home's chart deletions). Capped before the pause is built, so a long run
    of failures never overflows it."""
    cap = longest // timedelta(minutes=1)
    exponent = min(max(0, attempts - 1), cap.bit_length())
    return timedelta(minutes=min(cap, 2**exponent))


# Why a settled claim was released: Slack has no message with its marker.
NOT_POSTED = "not_posted"


def settle(
    database: Database, gateway: Gateway, key: str, to: Recipient, *, now: datetime | None = None
) -> Outcome:
    """Settle an in-doubt send by asking Slack for its marker.

    Found: recorded as sent, never sent again (``ALREADY_SENT``). Not there: the claim is
    released (``TEMPORARY`` with code ``NOT_POSTED``) and may be sent again. Slack unreachable:
    still ``IN_DOUBT``. Ask only once a late post would have landed.
    """
    with database.session() as session:
        record = find_send(session, key)
    if record is None or record.state is not SendState.SENDING:
        if record is not None and record.state is SendState.SENT:
            return Outcome(Status.ALREADY_SENT, record.channel, record.ts)
        return Outcome(Status.TEMPORARY, code=NOT_POSTED)  # released already: free to send
    try:
        channel = to.resolve(gateway)
        ts = gateway.find_marked_message(channel, key)
    except DeliveryError as error:
        logger.warning("could not look for %s in Slack: %s", key, error.code)
        return Outcome(Status.IN_DOUBT, code=error.code)
    with database.session() as session:
        if ts is not None:
            mark_sent(session, key, channel=channel, ts=ts, now=now)
            return Outcome(Status.ALREADY_SENT, channel, ts)
        if not mark_failed(session, key, error=NOT_POSTED, attempts=record.attempts):
            # Someone settled or re-sent it meanwhile: look again next time.
            return Outcome(Status.BUSY)
    return Outcome(Status.TEMPORARY, code=NOT_POSTED)
