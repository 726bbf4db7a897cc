"""One error hierarchy: what to retry, what never to retry, and what the caller sent wrong."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.channels.base import PermanentSendError, TransientSendError


class NotifierError(Exception):
    """Base of every error the notifier raises on purpose."""


class DatabaseNotMigrated(NotifierError):
    """The database schema is behind the code: run `notifier db upgrade`."""


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with an event: where (`order.id`) and why."""

    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


class InvalidEvent(NotifierError):
    """An event was rejected; `problems` name each bad field and the reason."""

    def __init__(self, problems: list[FieldProblem], status: int = 422) -> None:
        self.problems = problems
        self.status = status
        super().__init__("; ".join(str(p) for p in problems))


class TransientError(NotifierError, TransientSendError):
    """A failure that may pass: retry with backoff (honouring `retry_after` when given)."""


class PermanentError(NotifierError, PermanentSendError):
    """A failure that will not pass by retrying: record it and move on."""


class TemplateError(PermanentError):
    """A template is missing, does not render, or renders something unusable."""


class ConfigError(NotifierError):
    """A setting is missing or does not fit the command."""
