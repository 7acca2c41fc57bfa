"""The data model's vocabularies: bill statuses, meeting kinds, event kinds, run statuses, the union's positions.

Everything that writes or reads these names imports them from here. They live
with the schema because its columns hold them and its migrations derive them
(a new column is filled from the stored actions by the same rule the store uses).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple, Protocol

# In pipeline order; the end states follow.
STATUS_ORDER = ("introduced", "in_committee", "passed_chamber", "passed_legislature", "enacted")
END_STATES = ("vetoed", "failed", "withdrawn")
STATUSES = STATUS_ORDER + END_STATES

MEETING_KINDS = ("meeting", "hearing", "notice", "request_for_comment", "proposed_rule", "rule",
                 "presidential_document")

EVENT_KINDS = (
    "bill_new",
    "bill_action",
    "bill_status",
    "bill_version",
    "meeting_new",
    "meeting_changed",
    "comment_deadline",
    "hearing_scheduled",
)

RUN_STATUSES = ("running", "ok", "partial", "failed", "skipped")

STANCES = ("support", "oppose", "watch", "neutral")
# Highest first: a digest's ``min_priority`` keeps a priority and those before it.
PRIORITIES = ("high", "medium", "low")
DEFAULT_PRIORITY = "medium"

# Action classifications (Open States' vocabulary, which the federal spider maps onto too).
# Each moves a bill to a status; ``passage`` depends on how many chambers have passed it.
_CLASSIFICATION_STATUS = {
    "introduction": "introduced",
    "filing": "introduced",
    "referral-committee": "in_committee",
    "referral": "in_committee",
    "committee-passage": "in_committee",
    "committee-passage-favorable": "in_committee",
    "reading-1": "introduced",
    "passage": "passed_chamber",
    "executive-receipt": "passed_legislature",
    "executive-signature": "enacted",
    "became-law": "enacted",
    "executive-veto": "vetoed",
    "veto-override-passage": "enacted",
    "failure": "failed",
    "committee-failure": "failed",
    "withdrawal": "withdrawn",
}


def display_id(jurisdiction: str, identifier: str) -> str:
    """``CA AB 1018``, ``US H.R. 2794``: how a person writes a bill's name.

    The one rule for it: the store writes it into ``bills.name`` for pages, feeds, canned queries and
    digests to read, and Python that has a bill in hand calls it.
    """
    return f"{jurisdiction.upper()} {identifier}"


def chambers_needed(jurisdiction: str, classification: str | None) -> int:
    """How many chambers must pass a bill before it leaves the legislature.

    Nebraska's legislature and the DC Council have one chamber; a simple
    resolution is the business of one chamber only, so its passage there is
    the whole of its journey.
    """
    return 1 if jurisdiction.lower() in ("ne", "dc") or classification == "resolution" else 2


class ActionLike(Protocol):
    classification: Sequence[str]
    actor: str | None
    date: str | None


class Progress(NamedTuple):
    """Where a bill stands, as the store derives it from the bill's actions."""

    status: str | None
    status_date: str | None
    # The furthest step of STATUS_ORDER the bill reached: its status while it moves along, and for a
    # bill that ended (vetoed, failed, withdrawn) the step it had reached before it ended.
    reached: str | None


def derive_status(actions: Iterable[ActionLike], chambers: int = 2) -> Progress:
    """The normalised status, its date and the furthest step reached, from a bill's actions in order.

    Later actions win, except that a bill never goes back from an end state
    other than by a veto override, and passage counts the distinct chambers
    that passed the bill: all of them means ``passed_legislature``. A veto
    is overridden only when every chamber has voted to override it.
    """
    status: str | None = None
    status_date: str | None = None
    reached: str | None = None
    passed_by: set[str] = set()
    overridden_by: set[str] = set()
    for action in actions:
        for cls in action.classification:
            new = _CLASSIFICATION_STATUS.get(cls)
            if new is None:
                continue
            if cls == "passage":
                passed_by.add((action.actor or "").lower() or f"chamber-{len(passed_by)}")
                new = "passed_legislature" if len(passed_by) >= chambers else "passed_chamber"
            if cls == "veto-override-passage":
                overridden_by.add((action.actor or "").lower() or f"chamber-{len(overridden_by)}")
                if len(overridden_by) < chambers:
                    continue
            if status in ("enacted",) and new != "enacted":
                continue
            if status in END_STATES and cls != "veto-override-passage" and new in STATUS_ORDER:
                continue
            if status in STATUS_ORDER and new in STATUS_ORDER and STATUS_ORDER.index(new) < STATUS_ORDER.index(status):
                # A late referral after passage (a second chamber's committee) is still progress
                # made, not a step back.
                continue
            status, status_date = new, action.date
        if status not in END_STATES:
            reached = status
    return Progress(status, status_date, reached)
