from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from services.portal_mock import backend
from services.portal_mock.config import get_mock_settings

SECRET = "whsec_bW90Y3VhLWRldi1wb3J0YWwtd2ViaG9vay1zZWNyZXQ="
ONLINE = {
    "procedure_code": "1.001193",
    "receiving_agency_code": "000.00.31.H56",
    "applicant": {"full_name": "Trần Thị Bình", "phone": "0912345678", "kind": "citizen"},
    "summary": "Đăng ký khai sinh cho con",
}


class Receiver:
    """Stands for the backend's ``/api/v1/inbound/portal``: verifies what it gets."""

    def __init__(self, status: int = 202, answer: Any = None) -> None:
        self.requests: list[httpx.Request] = []
        self.events: list[dict[str, Any]] = []
        self.status = status
        self.answer = {"status": "accepted"} if answer is None else answer

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.events.append(Webhook(SECRET).verify(request.content, dict(request.headers)))
        return httpx.Response(self.status, json=self.answer)

    def factory(self) -> Callable[[], httpx.AsyncClient]:
        return lambda: httpx.AsyncClient(transport=httpx.MockTransport(self.handle))


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Receiver:
    rec = Receiver()
    monkeypatch.setattr(backend, "client_factory", rec.factory())
    monkeypatch.setenv("MOTCUA_API_URL", "http://backend.test:8000/")
    get_mock_settings.cache_clear()
    return rec


async def test_an_online_filing_reaches_the_backend_signed(
    portal: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    resp = await portal.post("/_admin/online-dossiers", json=ONLINE, headers=auth)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["backend_status"] == 202
    assert body["backend_body"] == {"status": "accepted"}
    assert body["msg_id"].startswith("msg_")
    assert body["portal_ref"].startswith("DVC-")

    [request] = receiver.requests
    assert str(request.url) == "http://backend.test:8000/api/v1/inbound/portal"
    assert request.headers["webhook-id"] == body["msg_id"]
    assert request.headers["content-type"] == "application/json"
    [event] = receiver.events
    assert event == body["event"]
    assert event["type"] == "dossier.submitted"
    assert event["timestamp"].endswith("Z")
    data = event["data"]
    assert data["procedure_code"] == "1.001193"
    assert data["receiving_agency_code"] == "000.00.31.H56"
    assert data["applicant"] == ONLINE["applicant"]
    assert data["summary"] == ONLINE["summary"]
    assert data["portal_ref"] == body["portal_ref"]
    assert data["submitted_at"]
    # Vietnamese text travels as UTF-8, not as \u escapes.
    assert "Trần Thị Bình".encode() in request.content


async def test_a_payment_reaches_the_backend_signed(
    portal: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    resp = await portal.post(
        "/_admin/payments",
        json={"dossier_code": "000.00.31.H56-261123-0001", "amount_vnd": 50000},
        headers=auth,
    )
    assert resp.status_code == 200, resp.text
    [event] = receiver.events
    assert event["type"] == "payment.completed"
    assert event["data"]["dossier_code"] == "000.00.31.H56-261123-0001"
    assert event["data"]["amount_vnd"] == 50000
    assert event["data"]["paid_at"]
    assert event["data"]["portal_ref"] == resp.json()["portal_ref"]


async def test_a_msg_id_can_be_replayed(
    portal: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    first = await portal.post("/_admin/online-dossiers", json=ONLINE, headers=auth)
    msg_id = first.json()["msg_id"]
    again = await portal.post(
        "/_admin/online-dossiers", json=ONLINE | {"msg_id": msg_id}, headers=auth
    )
    assert again.json()["msg_id"] == msg_id
    assert [r.headers["webhook-id"] for r in receiver.requests] == [msg_id, msg_id]


async def test_the_backends_refusal_is_passed_on(
    portal: httpx.AsyncClient, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    problem = {"type": "x", "title": "Unprocessable", "status": 422, "detail": "no procedure"}
    rec = Receiver(status=422, answer=problem)
    monkeypatch.setattr(backend, "client_factory", rec.factory())
    resp = await portal.post("/_admin/online-dossiers", json=ONLINE, headers=auth)
    assert resp.status_code == 200
    assert resp.json()["backend_status"] == 422
    assert resp.json()["backend_body"] == problem


async def test_a_non_json_answer_is_passed_on_as_text(
    portal: httpx.AsyncClient, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, text="Internal Server Error")

    monkeypatch.setattr(
        backend,
        "client_factory",
        lambda: httpx.AsyncClient(transport=httpx.MockTransport(handle)),
    )
    resp = await portal.post(
        "/_admin/payments", json={"dossier_code": "X", "amount_vnd": 1}, headers=auth
    )
    assert resp.json()["backend_status"] == 500
    assert resp.json()["backend_body"] == "Internal Server Error"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.mark.parametrize("url", ["http://127.0.0.1:{port}", "not a url", "ftp://127.0.0.1"])
async def test_a_backend_that_is_down_is_502(
    portal: httpx.AsyncClient, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("MOTCUA_API_URL", url.format(port=_closed_port()))
    get_mock_settings.cache_clear()
    resp = await portal.post("/_admin/online-dossiers", json=ONLINE, headers=auth)
    assert resp.status_code == 502
    body = resp.json()
    assert body["error_code"] == 502
    assert "Không gửi được" in body["message"]


async def test_a_real_http_round_trip(
    portal: httpx.AsyncClient, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default client, against a receiver on a real local socket."""
    seen: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        seen.append(head + await reader.readexactly(length))
        payload = json.dumps({"ok": True}).encode()
        writer.write(
            b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
            + payload
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setenv("MOTCUA_API_URL", f"http://127.0.0.1:{port}")
    get_mock_settings.cache_clear()
    try:
        resp = await portal.post("/_admin/online-dossiers", json=ONLINE, headers=auth)
    finally:
        server.close()
        await server.wait_closed()
    assert resp.json()["backend_status"] == 201
    assert resp.json()["backend_body"] == {"ok": True}
    [raw] = seen
    head, body = raw.split(b"\r\n\r\n", 1)
    headers = dict(
        line.decode().split(": ", 1) for line in head.split(b"\r\n")[1:] if b": " in line
    )
    headers = {k.lower(): v for k, v in headers.items()}
    assert Webhook(SECRET).verify(body, headers)["type"] == "dossier.submitted"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/_admin/online-dossiers", {}),
        ("/_admin/online-dossiers", ONLINE | {"applicant": {}}),
        ("/_admin/online-dossiers", ONLINE | {"applicant": {"full_name": "A", "kind": "x"}}),
        ("/_admin/online-dossiers", ONLINE | {"msg_id": "no spaces allowed"}),
        ("/_admin/payments", {"dossier_code": "X"}),
        ("/_admin/payments", {"dossier_code": "X", "amount_vnd": -1}),
    ],
)
async def test_invalid_admin_actions_are_422_and_send_nothing(
    portal: httpx.AsyncClient,
    auth: dict[str, str],
    receiver: Receiver,
    path: str,
    body: dict[str, Any],
) -> None:
    resp = await portal.post(path, json=body, headers=auth)
    assert resp.status_code == 422
    assert receiver.requests == []
