"""Ideas waiting for their similar-idea suggestions, and where to send them.

The ``/idea`` transaction adds a row; one elected sweeper (``services/suggestion_sweep.py``)
takes them in batches, sends the suggestions and deletes the rows. A row lives minutes at
most: the response URL it holds is valid for 30 minutes, and older rows are dropped unsent.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class PendingSuggestion(Base):
    __tablename__ = "pending_suggestions"

    idea_id: Mapped[int] = mapped_column(
        ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True
    )
    # The slash command's response_url (5 uses in 30 minutes); None for a form submission.
    reply_url: Mapped[str | None] = mapped_column(String(500))
    # Where the form was opened: the suggestion is shown there (else in the author's DM).
    channel_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A sweeper that took the row; another may take it once this has passed (the first died).
    claimed_until: Mapped[datetime | None]
