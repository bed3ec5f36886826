"""``POST /api/v1/dossiers`` reads its inputs itself (core/routing.reads_itself): for every
bad request it must answer exactly what FastAPI answers for the same declared parameters."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.core.idempotency import IdempotencyKey
from services.dossiers.endpoints import Receiver
from services.dossiers.schemas import DossierCreate
from tests.conftest import LoginFn
from tests.dossiers.conftest import dossier_body

REFERENCE = "/reference/dossiers"


@pytest.fixture
def reference(app: Any) -> None:
    """The same declaration served by FastAPI itself; it answers 201 without receiving."""

    async def declared(
        data: DossierCreate, principal: Receiver, idempotency_key: IdempotencyKey = None
    ) -> dict[str, str]:
        return {"ok": "yes"}

    app.post(REFERENCE, status_code=201)(declared)


def _request(body: Any) -> dict[str, Any]:
    return {"json": body} if not isinstance(body, bytes) else {"content": body}


BAD_REQUESTS: list[tuple[str, dict[str, str], Any]] = [
    ("malformed JSON", {"content-type": "application/json"}, b'{"procedure_code": '),
    ("not UTF-8", {"content-type": "application/json"}, b'{"a": "\xff\xfe"}'),
    ("empty body", {"content-type": "application/json"}, b""),
    ("no content type", {}, b'{"procedure_code": "1.004873"}'),
    ("another media type", {"content-type": "text/plain"}, b'{"procedure_code": "1.004873"}'),
    ("+json media type", {"content-type": "application/problem+json"}, b"{}"),
    ("a JSON array", {"content-type": "application/json"}, b"[]"),
    ("wrong fields", {}, dossier_body(channel="fax", applicant={"full_name": ""})),
    ("an unknown field", {}, dossier_body(colour="blue")),
    ("a key too long", {"Idempotency-Key": "k" * 129}, dossier_body()),
    ("an empty key", {"Idempotency-Key": ""}, dossier_body()),
    ("a bad key and body", {"Idempotency-Key": ""}, dossier_body(procedure_code="x")),
]


@pytest.mark.parametrize(
    ("case", "headers", "body"), BAD_REQUESTS, ids=[case for case, _, _ in BAD_REQUESTS]
)
async def test_bad_requests_answer_as_fastapi_would(
    client: httpx.AsyncClient,
    login: LoginFn,
    procedures: Any,
    reference: None,
    case: str,
    headers: dict[str, str],
    body: Any,
) -> None:
    sent = {**await login("officer"), **headers}
    ours = await client.post("/api/v1/dossiers", headers=sent, **_request(body))
    theirs = await client.post(REFERENCE, headers=sent, **_request(body))
    assert ours.status_code == theirs.status_code != 201, case
    assert ours.status_code in (400, 415, 422)
    ours_problem, theirs_problem = ours.json(), theirs.json()
    for problem in (ours_problem, theirs_problem):
        problem.pop("instance")
    assert ours_problem == theirs_problem


@pytest.mark.parametrize(
    ("who", "status"), [(None, 401), ("viewer", 403), ("specialist", 403), ("officer", 201)]
)
async def test_the_caller_is_checked_before_the_body_as_fastapi_does(
    client: httpx.AsyncClient,
    login: LoginFn,
    procedures: Any,
    reference: None,
    who: str | None,
    status: int,
) -> None:
    headers = await login(who) if who else {}
    bad = {**headers, "Idempotency-Key": ""}
    for path in ("/api/v1/dossiers", REFERENCE):
        # A caller who may not receive learns nothing about the body; one who may, learns why.
        resp = await client.post(path, headers=bad, json={"procedure_code": "x"})
        assert resp.status_code == (422 if status == 201 else status), path
        # Malformed JSON is refused first, whoever calls.
        resp = await client.post(
            path, headers={**headers, "content-type": "application/json"}, content=b"{"
        )
        assert resp.status_code == 422, path
