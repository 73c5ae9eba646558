"""Who may do what. One place, so that facilitator management can extend it later."""

from __future__ import annotations


def is_facilitator(user_id: str, facilitators: frozenset[str], *, workspace_admin: bool) -> bool:
    """Facilitators are the configured ids (COLLIDER_FACILITATORS) and workspace admins/owners."""
    return user_id in facilitators or workspace_admin
