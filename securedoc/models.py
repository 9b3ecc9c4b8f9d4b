"""What securedoc tells about one file: a :class:`Report`, the same for verify, seal and rotate."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

__all__ = [
    "Status",
    "Action",
    "Change",
    "FieldDiff",
    "Report",
    "UnsealedPolicy",
    "RetiredPolicy",
    "LegacyPolicy",
    "UnboundPolicy",
    "fails",
    "FOLLOW_UP",
]

# Report.extra key of a follow-up report: a later file turned out to carry the same seal as this
# one (securedoc.copies). Its value is the earlier report's (status, whether it failed), or None
# when the file was not reported before (verify --changed: a file that did not change).
FOLLOW_UP = "follow_up"

UnsealedPolicy = Literal["error", "warn", "ignore"]
RetiredPolicy = Literal["warn", "error"]
LegacyPolicy = Literal["accept", "warn", "refuse"]
UnboundPolicy = Literal["error", "warn", "ignore"]
Change = Literal["changed", "missing", "body", "unbound", "path"]


class Status(StrEnum):
    """How an article stands against its seal."""

    OK = "ok"
    MISMATCH = "mismatch"
    UNSEALED = "unsealed"
    ERROR = "error"


class Action(StrEnum):
    """What a command did about a file (``Report.action``); verify leaves it None.

    String-valued: text, JSON and JUnit output show the value, exactly as before it was an enum."""

    SEALED = "sealed"
    UNCHANGED = "unchanged"  # seal: already current; edit: no change
    WOULD_SEAL = "would seal"  # seal --dry-run
    ROTATED = "rotated"
    WOULD_ROTATE = "would rotate"  # rotate --dry-run
    CURRENT = "current"  # rotate: already sealed with the target key
    REFUSED = "refused"  # the file was left as it was, on purpose (it does not verify, or cannot be opened)
    FAILED = "failed"  # the file could not be handled (unreadable, malformed, internal error)
    RESTORED = "restored"  # open --restore
    EDITED = "edited"  # securedoc edit


@dataclass(frozen=True)
class FieldDiff:
    """One field that differs from what was sealed.

    ``change`` is ``changed`` (the visible value differs), ``missing`` (the field is gone; ``line``
    is then the seal's line), ``body`` (the body differs; ``name`` is ``(body)`` and the values
    are digests), ``unbound`` (a visible field the seal does not bind; ``sealed`` is None) or ``path``
    (bind_path: the seal names another path, or none; ``name`` is ``(path)``, ``sealed`` the path
    the seal names or None, ``visible`` the article's path relative to the project root).
    ``sealed`` and ``visible`` are canonical values (JSON-compatible).
    """

    name: str
    line: int | None
    sealed: Any
    visible: Any
    change: Change = "changed"


@dataclass(frozen=True)
class Report:
    """The outcome for one file.

    ``status`` says how the file stood against its seal when securedoc read it. ``action`` is what
    a command did about it (an :class:`Action`); verify leaves it None. ``line`` locates an error or the seal.
    """

    path: str
    status: Status
    message: str = ""
    fields: tuple[FieldDiff, ...] = ()
    line: int | None = None
    kid: str | None = None
    form: str | None = None
    action: Action | None = None
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    hint: str | None = None
    failed: bool | None = None  # set by seal/rotate: whether this file makes the command fail
    extra: dict[str, Any] = field(default_factory=dict)

    def with_(self, **changes: Any) -> Report:
        from dataclasses import replace

        return replace(self, **changes)


def fails(report: Report, unsealed: UnsealedPolicy = "error") -> bool:
    """Whether a report makes the run exit 1 under the given unsealed policy."""
    if report.failed is not None:
        return report.failed
    if report.status is Status.OK:
        return False
    if report.status is Status.UNSEALED:
        return unsealed == "error"
    return True
