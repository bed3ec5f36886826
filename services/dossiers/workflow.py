"""The dossier state machine (domain.md §4): which action leads from which state to which,
and who may perform it. Pure: no I/O."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from services.dossiers.models import DossierStatus as S
from services.identity.models import Role


class Action(StrEnum):
    ACCEPT = "accept"
    REFUSE = "refuse"
    ASSIGN = "assign"
    REQUEST_SUPPLEMENT = "request-supplement"
    SUPPLEMENT_RECEIVED = "supplement-received"
    REQUEST_PAYMENT = "request-payment"
    PAYMENT_RECEIVED = "payment-received"
    RESOLVE = "resolve"
    RETURN = "return"
    WITHDRAW = "withdraw"
    STOP = "stop"


class _Resume:
    """Target of the actions that end a wait: back to the state the wait started from."""

    def __repr__(self) -> str:
        return "RESUME"


RESUME: Final = _Resume()

_OPEN = (S.RECEIVED, S.IN_PROGRESS, S.SUPPLEMENT_REQUESTED, S.AWAITING_PAYMENT)

TRANSITIONS: Final[dict[Action, dict[S, S | _Resume]]] = {
    Action.ACCEPT: {S.SUBMITTED: S.RECEIVED},
    # Refusal is a decision at reception (Mẫu 03); after appraisal, a "no" is `resolve` with
    # outcome `rejected`, so that it counts as a resolution in the KPIs.
    Action.REFUSE: {S.SUBMITTED: S.REFUSED, S.RECEIVED: S.REFUSED},
    # Assigning again while in progress hands the dossier to another officer or agency.
    Action.ASSIGN: {S.RECEIVED: S.IN_PROGRESS, S.IN_PROGRESS: S.IN_PROGRESS},
    Action.REQUEST_SUPPLEMENT: {
        S.RECEIVED: S.SUPPLEMENT_REQUESTED,
        S.IN_PROGRESS: S.SUPPLEMENT_REQUESTED,
    },
    Action.SUPPLEMENT_RECEIVED: {S.SUPPLEMENT_REQUESTED: RESUME},
    Action.REQUEST_PAYMENT: {S.RECEIVED: S.AWAITING_PAYMENT, S.IN_PROGRESS: S.AWAITING_PAYMENT},
    Action.PAYMENT_RECEIVED: {S.AWAITING_PAYMENT: RESUME},
    Action.RESOLVE: {S.IN_PROGRESS: S.RESOLVED},
    Action.RETURN: {S.RESOLVED: S.RETURNED},
    # An applicant may withdraw until there is a result; a submitted filing may be withdrawn too.
    Action.WITHDRAW: {s: S.WITHDRAWN for s in (S.SUBMITTED, *_OPEN)},
    Action.STOP: {s: S.STOPPED for s in _OPEN},
}

# Entering one of these sets `finished_at` (domain.md §4: the resolution, or the terminal state
# when there is no resolution — `returned` always follows `resolved`).
FINISHING: Final = frozenset({S.REFUSED, S.WITHDRAWN, S.STOPPED, S.RESOLVED})
# The end of the road: nothing more happens to the dossier, so its unfinished steps close.
TERMINAL: Final = frozenset({S.REFUSED, S.WITHDRAWN, S.STOPPED, S.RETURNED})

_OFFICER = frozenset(
    {
        Action.ACCEPT,
        Action.REFUSE,
        Action.ASSIGN,
        Action.REQUEST_SUPPLEMENT,
        Action.SUPPLEMENT_RECEIVED,
        Action.REQUEST_PAYMENT,
        Action.PAYMENT_RECEIVED,
        Action.RETURN,
        Action.WITHDRAW,
    }
)
_SPECIALIST = frozenset({Action.REQUEST_SUPPLEMENT, Action.SUPPLEMENT_RECEIVED, Action.RESOLVE})

ROLE_ACTIONS: Final[dict[Role, frozenset[Action]]] = {
    Role.ADMIN: frozenset(Action),
    Role.LEADER: _OFFICER | _SPECIALIST | {Action.STOP},
    Role.OFFICER: _OFFICER,
    Role.SPECIALIST: _SPECIALIST,
    Role.VIEWER: frozenset(),
}


class TransitionError(Exception):
    def __init__(self, action: Action, status: S) -> None:
        allowed = sorted(s.value for s in TRANSITIONS[action])
        super().__init__(
            f"cannot {action.value} a dossier in status {status.value}; "
            f"allowed from: {', '.join(allowed)}"
        )


def next_status(action: Action, current: S, resume: S | None) -> S:
    """The state after ``action``; raises TransitionError when the table forbids it."""
    target = TRANSITIONS[action].get(current)
    if target is None:
        raise TransitionError(action, current)
    if isinstance(target, _Resume):
        return resume or S.IN_PROGRESS
    return target


def role_may(role: Role, action: Action) -> bool:
    return action in ROLE_ACTIONS[role]


def code_prefix(agency_code: str, local_day_yymmdd: str) -> str:
    """``{agency}-{YYMMDD}-``: the dossier code before its per-day number (domain.md §2)."""
    return f"{agency_code}-{local_day_yymmdd}-"
