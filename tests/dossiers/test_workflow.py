"""The transition table, checked against the lifecycle of domain.md §4 written out by hand."""

from __future__ import annotations

import itertools

import pytest

from services.dossiers.models import DossierStatus as S
from services.dossiers.workflow import (
    Action,
    TransitionError,
    code_prefix,
    next_status,
    role_may,
)
from services.identity.models import Role

OPEN = {S.RECEIVED, S.IN_PROGRESS, S.SUPPLEMENT_REQUESTED, S.AWAITING_PAYMENT}
EXPECTED: dict[Action, dict[S, S | str]] = {
    Action.ACCEPT: {S.SUBMITTED: S.RECEIVED},
    Action.REFUSE: {S.SUBMITTED: S.REFUSED, S.RECEIVED: S.REFUSED},
    Action.ASSIGN: {S.RECEIVED: S.IN_PROGRESS, S.IN_PROGRESS: S.IN_PROGRESS},
    Action.REQUEST_SUPPLEMENT: {
        S.RECEIVED: S.SUPPLEMENT_REQUESTED,
        S.IN_PROGRESS: S.SUPPLEMENT_REQUESTED,
    },
    Action.SUPPLEMENT_RECEIVED: {S.SUPPLEMENT_REQUESTED: "resume"},
    Action.REQUEST_PAYMENT: {S.RECEIVED: S.AWAITING_PAYMENT, S.IN_PROGRESS: S.AWAITING_PAYMENT},
    Action.PAYMENT_RECEIVED: {S.AWAITING_PAYMENT: "resume"},
    Action.RESOLVE: {S.IN_PROGRESS: S.RESOLVED},
    Action.RETURN: {S.RESOLVED: S.RETURNED},
    Action.WITHDRAW: {s: S.WITHDRAWN for s in OPEN | {S.SUBMITTED}},
    Action.STOP: {s: S.STOPPED for s in OPEN},
}


@pytest.mark.parametrize(("action", "status"), list(itertools.product(Action, S)))
def test_every_action_from_every_state(action: Action, status: S) -> None:
    expected = EXPECTED[action].get(status)
    if expected is None:
        with pytest.raises(TransitionError, match=action.value):
            next_status(action, status, S.RECEIVED)
    elif expected == "resume":
        assert next_status(action, status, S.RECEIVED) is S.RECEIVED
        assert next_status(action, status, S.IN_PROGRESS) is S.IN_PROGRESS
    else:
        assert next_status(action, status, None) is expected


def test_terminal_states_allow_nothing() -> None:
    for status, action in itertools.product(
        (S.REFUSED, S.WITHDRAWN, S.STOPPED, S.RETURNED), Action
    ):
        with pytest.raises(TransitionError):
            next_status(action, status, None)


def test_roles_of_api_md() -> None:
    officer = {
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
    specialist = {Action.REQUEST_SUPPLEMENT, Action.SUPPLEMENT_RECEIVED, Action.RESOLVE}
    for action in Action:
        assert role_may(Role.OFFICER, action) is (action in officer)
        assert role_may(Role.SPECIALIST, action) is (action in specialist)
        assert role_may(Role.LEADER, action) is (action in officer | specialist | {Action.STOP})
        assert role_may(Role.ADMIN, action)
        assert not role_may(Role.VIEWER, action)


def test_code_prefix() -> None:
    assert code_prefix("000.00.31.H56", "261122") == "000.00.31.H56-261122-"
