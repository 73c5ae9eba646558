"""The answer key, and the keys it replaced: a change of key must unlink nothing.

The key hashes who gave an anonymous answer (poll and stage evaluation respondents, see
``services/polls.py``) and signs what forms carry (``services/ideas.py``). The current key is
``COLLIDER_ANSWER_KEY`` when set, else a random key generated once and stored in
``app_secrets``. Earlier keys are those declared in ``COLLIDER_PREVIOUS_ANSWER_KEYS`` and, once
a key is configured, the stored generated one: it is never deleted, so an installation that
follows ``collider doctor``'s advice to set ``COLLIDER_ANSWER_KEY`` loses nothing.

A person's answers are looked up under every key (forget, my-data, their own answers); a new
answer is stored under the current key, and one found under an earlier key moves to the
current key when it is changed. Signatures made under an earlier key are accepted.

A key nobody declared cannot be tried: the answers made under it are lost to forget and
my-data. So the first answer stored under a key records its fingerprint (an HMAC of a fixed
label under the key, never the key) in ``app_secrets``, and ``collider doctor`` and the start
of ``collider run`` say when answers were stored under a key that is neither the current one
nor a known earlier one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Protocol
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, event, exists, select
from sqlalchemy.orm import Session

from models import AppSecret, PollAnswer, StageEvaluationAnswer
from models.base import utcnow
from models.queries import insert_ignoring_conflict

ANSWER_KEY_NAME = "answer_key"
# ``app_secrets`` rows named this and a key's fingerprint: answers were stored under that key.
FINGERPRINT_PREFIX = "answer_key_fingerprint:"
_FINGERPRINT_LABEL = b"idea collider: answer key fingerprint"
_FINGERPRINT_LENGTH = 32  # hex digits: 128 bits tell keys apart, and fit the name column


class KeySettings(Protocol):
    """The settings that name the keys (``bot.settings.Settings`` has them)."""

    @property
    def answer_key(self) -> str | None: ...

    @property
    def previous_answer_keys(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class AnswerKeys:
    """The key new answers and signatures use, and the earlier keys still to be tried."""

    current: bytes = field(repr=False)
    earlier: tuple[bytes, ...] = field(default=(), repr=False)

    @property
    def all(self) -> tuple[bytes, ...]:
        """Every key to try, the current one first."""
        return (self.current, *self.earlier)


def answer_keys(session: Session, settings: KeySettings) -> AnswerKeys:
    """The current key and the earlier ones (no statement once this process has read the
    stored key: every poll answer needs them)."""
    configured = settings.answer_key
    stored = _stored_key(session, create=not configured)
    current = configured.encode() if configured else stored
    assert current is not None
    earlier = [key.encode() for key in settings.previous_answer_keys]
    if configured and stored is not None:
        earlier.append(stored)
    return AnswerKeys(current, tuple(dict.fromkeys(key for key in earlier if key != current)))


# -- the stored key ------------------------------------------------------------------------------
# Per database, read once per process: it is written once (the first insert wins) and nothing
# changes or deletes it after. None: this process found none and, its key being configured,
# made none. Only a key known to be committed is kept: one this session inserted is kept when
# its transaction commits (a rollback leaves nothing stored, and nothing kept).
_stored_keys: WeakKeyDictionary[Engine, bytes | None] = WeakKeyDictionary()
_INSERTED_KEY = "answer key inserted"


def _stored_key(session: Session, *, create: bool) -> bytes | None:
    engine = session.get_bind().engine
    if engine in _stored_keys:
        kept = _stored_keys[engine]
        if kept is not None or not create:
            return kept
    stored = session.scalar(select(AppSecret.value).where(AppSecret.name == ANSWER_KEY_NAME))
    if stored is not None and not session.info.get(_INSERTED_KEY):
        _stored_keys[engine] = stored.encode()
    if stored is None and not create:
        _stored_keys[engine] = None
        return None
    if stored is None:
        # Two processes may race on first use: the unique name keeps the first key for both.
        insert_ignoring_conflict(
            session,
            AppSecret.__table__,  # type: ignore[arg-type]
            {"name": ANSWER_KEY_NAME, "value": secrets.token_hex(32), "created_at": utcnow()},
        )
        stored = session.scalar(select(AppSecret.value).where(AppSecret.name == ANSWER_KEY_NAME))
        assert stored is not None
        session.info[_INSERTED_KEY] = True
        inserted = stored.encode()
        event.listen(
            session,
            "after_commit",
            lambda _session: _stored_keys.__setitem__(engine, inserted),
            once=True,
        )
    return stored.encode()


def forget_kept_answer_keys() -> None:
    """For a database whose ``app_secrets`` was emptied under this process (the tests' clean
    slate between tests; nothing in the app does it): the next use reads the table again."""
    _stored_keys.clear()
    _noted_fingerprints.clear()


# -- fingerprints --------------------------------------------------------------------------------
# Per database, the fingerprints this process knows to be recorded: one statement per process
# and key, on its first answer, not one per answer.
_noted_fingerprints: WeakKeyDictionary[Engine, set[str]] = WeakKeyDictionary()


def fingerprint(key: bytes) -> str:
    """What tells keys apart without saying anything about them."""
    digest = hmac.new(key, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()
    return digest[:_FINGERPRINT_LENGTH]


def note_answers_under(session: Session, keys: AnswerKeys) -> None:
    """Record that answers are stored under the current key (once per process and key)."""
    engine = session.get_bind().engine
    noted = _noted_fingerprints.setdefault(engine, set())
    mark = fingerprint(keys.current)
    if mark in noted:
        return
    insert_ignoring_conflict(
        session,
        AppSecret.__table__,  # type: ignore[arg-type]
        {"name": FINGERPRINT_PREFIX + mark, "value": mark, "created_at": utcnow()},
    )
    event.listen(session, "after_commit", lambda _session: noted.add(mark), once=True)


def undeclared_keys(session: Session, settings: KeySettings) -> int:
    """How many keys stored answers were made under that are neither the current key nor a
    known earlier one (read afresh, and nothing written: for ``collider doctor`` and the
    start). Those answers are lost to forget and my-data until the key is declared."""
    stored = session.scalar(select(AppSecret.value).where(AppSecret.name == ANSWER_KEY_NAME))
    known = {
        fingerprint(key.encode())
        for key in (settings.answer_key, *settings.previous_answer_keys, stored)
        if key
    }
    used = set(
        session.scalars(
            select(AppSecret.value).where(
                AppSecret.name.startswith(FINGERPRINT_PREFIX, autoescape=True)
            )
        )
    )
    unknown = used - known
    if not unknown:
        return 0
    answers = session.scalar(
        select(exists(select(PollAnswer.id)) | exists(select(StageEvaluationAnswer.id)))
    )
    return len(unknown) if answers else 0
