"""No secret and no full personal data in the logs, as formatted for production."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from services.core.logging import JsonFormatter
from tests.conftest import AGENCY, PASSWORD
from tests.dossiers.conftest import dossier_body

PHONE = "0987654321"
ID_NUMBER = "079203001234"
EMAIL = "nguyen.thi.hoa@example.vn"
FULL_NAME = "Nguyễn Thị Hoa Lư"
ADDRESS = "Số 7 ngõ Trạm, Hoàn Kiếm"


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Everything logged at INFO and above, formatted by the production formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    # The test's own HTTP client logs full URLs; the server never runs it.
    handler.addFilter(lambda record: not record.name.startswith(("httpx", "httpcore")))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_no_secret_or_personal_data_in_logs(
    client: httpx.AsyncClient, seed: Any, procedures: Any, log_output: io.StringIO
) -> None:
    bad = await client.post(
        "/api/v1/auth/token", data={"username": "officer", "password": PASSWORD + "x"}
    )
    assert bad.status_code == 401
    tokens: dict[str, str] = {}
    for username in ("officer", "admin"):
        resp = await client.post(
            "/api/v1/auth/token", data={"username": username, "password": PASSWORD}
        )
        assert resp.status_code == 200, resp.text
        tokens[username] = resp.json()["access_token"]
    officer = {"Authorization": f"Bearer {tokens['officer']}"}
    admin = {"Authorization": f"Bearer {tokens['admin']}"}

    applicant = {
        **dossier_body()["applicant"],
        "full_name": FULL_NAME,
        "address": ADDRESS,
        "phone": PHONE,
        "id_number": ID_NUMBER,
        "email": EMAIL,
    }
    created = await client.post(
        "/api/v1/dossiers", json=dossier_body(applicant=applicant), headers=officer
    )
    assert created.status_code == 201, created.text
    code = created.json()["code"]
    lookup_token = created.json()["lookup_token"]
    # Invalid input echoing the personal data back must not log it either.
    invalid = await client.post(
        "/api/v1/dossiers",
        json=dossier_body(applicant={**applicant, "kind": "?"}),
        headers=officer,
    )
    assert invalid.status_code == 422

    key_resp = await client.post(
        "/api/v1/api-keys",
        json={"name": "Cổng tỉnh", "agency_code": AGENCY, "scopes": ["dossiers:read"]},
        headers=admin,
    )
    assert key_resp.status_code == 201, key_resp.text
    api_key = key_resp.json()["key"]
    by_key = await client.get(f"/api/v1/dossiers/{code}", headers={"X-API-Key": api_key})
    assert by_key.status_code == 200, by_key.text
    public = await client.get(f"/api/v1/public/dossiers/{code}", params={"token": lookup_token})
    assert public.status_code == 200, public.text

    logged = log_output.getvalue()
    assert logged.count("\n") >= 8, f"too few log lines to prove anything:\n{logged}"
    secrets = {
        "applicant's name": FULL_NAME,
        "address": ADDRESS,
        "phone": PHONE,
        "id number": ID_NUMBER,
        "e-mail": EMAIL,
        "password": PASSWORD,
        "API key": api_key,
        "officer JWT": tokens["officer"],
        "admin JWT": tokens["admin"],
        "lookup token": lookup_token,
    }
    leaked = [name for name, value in secrets.items() if value in logged]
    assert not leaked, f"{leaked} found in the logs:\n{logged}"


async def test_a_failed_statement_logs_no_parameters(engine: Any, log_output: io.StringIO) -> None:
    """An error's message goes to the log as is: SQLAlchemy would append every bound value."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    name, address = "Trần Thị Bích", "12 Hàng Bạc, Hà Nội"
    with pytest.raises(DBAPIError) as failed:
        async with engine.connect() as conn:
            await conn.execute(
                text("SELECT 1 / 0 WHERE :name <> :address"), {"name": name, "address": address}
            )
    logging.getLogger("motcua.test").exception("database error", exc_info=failed.value)
    logged = log_output.getvalue()
    assert "division by zero" in logged
    assert name not in logged and address not in logged
