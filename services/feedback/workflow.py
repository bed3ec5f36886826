"""The PAKN state machine (domain.md §6): actions, the states they lead from and to, which
classification each needs, and who may perform them. Pure: no I/O."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from services.feedback.models import Classification as C
from services.feedback.models import DueStep
from services.feedback.models import FeedbackState as S
from services.identity.models import Role


class Action(StrEnum):
    CLASSIFY = "classify"
    START = "start"
    ANSWER = "answer"
    PUBLISH = "publish"
    REJECT = "reject"
    FORWARD = "forward"
    REQUEST_INFO = "request-info"
    INFO_RECEIVED = "info-received"


TRANSITIONS: Final[dict[Action, dict[S, S]]] = {
    Action.CLASSIFY: {S.RECEIVED: S.CLASSIFIED},
    Action.START: {S.CLASSIFIED: S.IN_PROGRESS},
    # Handling may go straight from classification to the answer: a short reply needs no
    # separate "in progress" step.
    Action.ANSWER: {S.CLASSIFIED: S.ANSWERED, S.IN_PROGRESS: S.ANSWERED},
    Action.PUBLISH: {S.ANSWERED: S.PUBLISHED},
    # Refusal follows a `not_accepted` classification; it is its own step because the refusal
    # letter (and its 2-day deadline) is what the submitter receives.
    Action.REJECT: {S.CLASSIFIED: S.REJECTED},
    Action.FORWARD: {S.CLASSIFIED: S.FORWARDED},
    # Asking the submitter for more information starts the handling; the reply continues it.
    Action.REQUEST_INFO: {S.CLASSIFIED: S.IN_PROGRESS, S.IN_PROGRESS: S.IN_PROGRESS},
    Action.INFO_RECEIVED: {S.IN_PROGRESS: S.IN_PROGRESS},
}

# The classification an action needs: only handled items are answered, only refused ones
# rejected, only out-of-scope ones forwarded.
REQUIRES: Final[dict[Action, frozenset[C]]] = {
    Action.START: frozenset({C.CONDUCT, C.REGULATION}),
    Action.ANSWER: frozenset({C.CONDUCT, C.REGULATION}),
    Action.REJECT: frozenset({C.NOT_ACCEPTED}),
    Action.FORWARD: frozenset({C.OUT_OF_SCOPE}),
    Action.REQUEST_INFO: frozenset({C.CONDUCT, C.REGULATION}),
    Action.INFO_RECEIVED: frozenset({C.CONDUCT, C.REGULATION}),
}

CLOSED: Final = frozenset({S.PUBLISHED, S.REJECTED, S.FORWARDED})

# The deadline that follows a classification (domain.md §6), counted from reception.
DUE_STEP_AFTER_CLASSIFY: Final[dict[C, DueStep]] = {
    C.NOT_ACCEPTED: DueStep.REFUSE,
    C.OUT_OF_SCOPE: DueStep.FORWARD,
    C.CONDUCT: DueStep.HANDLE,
    C.REGULATION: DueStep.HANDLE,
}

_HANDLERS = (Role.LEADER, Role.OFFICER, Role.SPECIALIST)
ROLE_ACTIONS: Final[dict[Action, frozenset[Role]]] = {
    Action.CLASSIFY: frozenset({Role.LEADER, Role.OFFICER}),
    Action.START: frozenset(_HANDLERS),
    Action.ANSWER: frozenset({Role.LEADER, Role.SPECIALIST}),
    # Publishing is the leader's approval of the answer (or the one-stop officer's posting).
    Action.PUBLISH: frozenset({Role.LEADER, Role.OFFICER}),
    Action.REJECT: frozenset({Role.LEADER, Role.OFFICER}),
    Action.FORWARD: frozenset({Role.LEADER, Role.OFFICER}),
    Action.REQUEST_INFO: frozenset(_HANDLERS),
    Action.INFO_RECEIVED: frozenset(_HANDLERS),
}


class TransitionError(Exception):
    pass


def next_state(action: Action, current: S, classification: C | None) -> S:
    """The state after ``action``; raises TransitionError when the table forbids it."""
    target = TRANSITIONS[action].get(current)
    if target is None:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[action]))
        raise TransitionError(
            f"cannot {action.value} feedback in state {current.value}; allowed from: {allowed}"
        )
    needed = REQUIRES.get(action)
    if needed is not None and classification not in needed:
        raise TransitionError(
            f"cannot {action.value} feedback classified "
            f"{classification.value if classification else 'not yet'}; needs "
            + " or ".join(sorted(c.value for c in needed))
        )
    return target


def role_may(role: Role, action: Action) -> bool:
    return role is Role.ADMIN or role in ROLE_ACTIONS[action]


def code_prefix(local_day_yymmdd: str) -> str:
    return f"PAKN-{local_day_yymmdd}-"
