"""Errors the domain raises for people: each carries an i18n key and its parameters."""

from __future__ import annotations


class DomainError(Exception):
    def __init__(self, key: str, **params: object):
        super().__init__(key)
        self.key = key
        self.params = params


class InvalidInput(DomainError):
    """The person's input cannot be accepted as it is; ``field`` names the form field."""

    def __init__(self, key: str, field: str | None = None, **params: object):
        super().__init__(key, **params)
        self.field = field


class NotAllowed(DomainError):
    """The person may not do this (not the author, not a facilitator)."""


class NotFound(DomainError):
    """The thing asked for does not exist (any more)."""
