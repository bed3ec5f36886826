from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks.webhooks import Webhook

from services.core.clock import utcnow
from services.core.settings import get_settings
from services.webhooks import service
from services.webhooks.models import Delivery, DeliveryState, Subscription
from services.webhooks.service import RETRY_SCHEDULE, next_delay
from tests.conftest import LoginFn
from tests.dossiers.conftest import dossier_body

API = "/api/v1/webhooks"
HOOK = "http://127.0.0.1:9/hook"


@pytest.fixture
def private_urls() -> Iterator[None]:
    settings = get_settings()
    settings.webhook_allow_private_urls = True
    yield
    settings.webhook_allow_private_urls = None


class Receiver:
    """An httpx transport standing in for the integrator's endpoint."""

    def __init__(self, status: int = 204, headers: dict[str, str] | None = None) -> None:
        self.status, self.headers = status, headers or {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, headers=self.headers, text="ok")


async def _relay(session: AsyncSession, receiver: Receiver) -> tuple[int, int]:
    """Fan out and deliver once, inside the test's transaction."""
    settings = get_settings()
    await service.fan_out(session, utcnow(), 1000)
    items = await service.claim(session, utcnow(), settings)
    delivered = 0
    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as http:
        for item in items:
            outcome = await service.post(http, item, settings)
            delivered += await service.record(session, item, outcome, utcnow(), settings)
    return len(items), delivered


async def _subscribe(
    client: httpx.AsyncClient, headers: dict[str, str], **kw: Any
) -> dict[str, Any]:
    body = {"url": HOOK, "event_types": ["dossier.received", "dossier.status_changed"], **kw}
    resp = await client.post(API, headers=headers, json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


async def test_signed_delivery_verifies_with_an_independent_implementation(
    client: httpx.AsyncClient,
    login: LoginFn,
    session: AsyncSession,
    procedures: Any,
    private_urls: None,
) -> None:
    leader = await login("leader")
    sub = await _subscribe(client, leader)
    assert sub["secret"].startswith("whsec_")
    stored = (await session.scalars(select(Subscription))).one()
    assert sub["secret"] not in stored.secret_encrypted
    assert "secret" not in (await client.get(f"{API}/{sub['id']}", headers=leader)).json()
    created = (
        await client.post("/api/v1/dossiers", headers=await login("officer"), json=dossier_body())
    ).json()
    receiver = Receiver()
    assert await _relay(session, receiver) == (1, 1)
    request = receiver.requests[0]
    Webhook(sub["secret"]).verify(request.content, dict(request.headers))
    body = json.loads(request.content)
    assert body["type"] == "dossier.received"
    assert body["data"]["dossier"]["code"] == created["code"]
    assert body["data"]["dossier"]["version"] == 1
    assert request.headers["webhook-id"].startswith("msg_")


async def test_agency_isolation_and_type_filter(
    client: httpx.AsyncClient,
    login: LoginFn,
    session: AsyncSession,
    procedures: Any,
    private_urls: None,
) -> None:
    await _subscribe(client, await login("leader"), event_types=["dossier.status_changed"])
    await _subscribe(client, await login("leader2"))
    officer = await login("officer")
    code = (await client.post("/api/v1/dossiers", headers=officer, json=dossier_body())).json()[
        "code"
    ]
    await client.post(f"/api/v1/dossiers/{code}/assign", headers=officer, json={})
    receiver = Receiver()
    await _relay(session, receiver)
    types = [json.loads(r.content)["type"] for r in receiver.requests]
    assert types == ["dossier.status_changed"]  # the other agency's subscription got nothing


def test_retry_schedule() -> None:
    assert RETRY_SCHEDULE == [5, 300, 1800, 7200, 18000, 36000, 36000]
    for attempt, base in enumerate(RETRY_SCHEDULE, start=1):
        delay = next_delay(attempt, None)
        assert delay is not None and base * 0.9 <= delay <= base * 1.1
    assert next_delay(len(RETRY_SCHEDULE) + 1, None) is None
    assert next_delay(1, 120.0) == 120.0  # Retry-After wins when later


async def test_failures_back_off_honour_retry_after_and_410_disables(
    client: httpx.AsyncClient,
    login: LoginFn,
    session: AsyncSession,
    procedures: Any,
    private_urls: None,
) -> None:
    leader = await login("leader")
    sub = await _subscribe(client, leader)
    await client.post("/api/v1/dossiers", headers=await login("officer"), json=dossier_body())
    before = utcnow()
    await _relay(session, Receiver(503, {"Retry-After": "600"}))
    delivery = (await session.scalars(select(Delivery))).one()
    assert delivery.state is DeliveryState.PENDING and delivery.attempts == 1
    assert delivery.next_attempt_at >= before + timedelta(seconds=599)
    listed = (await client.get(f"{API}/{sub['id']}/deliveries", headers=leader)).json()
    assert listed["items"][0]["last_status_code"] == 503
    await session.execute(text("UPDATE webhook_deliveries SET next_attempt_at = now()"))
    await _relay(session, Receiver(410))
    after = (await client.get(f"{API}/{sub['id']}", headers=leader)).json()
    assert after["is_active"] is False and "410" in after["disabled_reason"]
    await session.refresh(delivery)
    assert delivery.state is DeliveryState.FAILED


async def test_consecutive_failures_disable_with_a_reason(
    client: httpx.AsyncClient,
    login: LoginFn,
    session: AsyncSession,
    procedures: Any,
    private_urls: None,
) -> None:
    settings = get_settings()
    settings.webhook_disable_after_failures = 3
    try:
        leader = await login("leader")
        sub = await _subscribe(client, leader)
        officer = await login("officer")
        for _ in range(3):
            await client.post("/api/v1/dossiers", headers=officer, json=dossier_body())
        await _relay(session, Receiver(500))
    finally:
        settings.webhook_disable_after_failures = 20
    shown = (await client.get(f"{API}/{sub['id']}", headers=leader)).json()
    assert shown["is_active"] is False and shown["disabled_reason"].startswith("3 consecutive")
    revived = await client.patch(f"{API}/{sub['id']}", headers=leader, json={"is_active": True})
    assert revived.json()["is_active"] is True and revived.json()["consecutive_failures"] == 0


async def test_a_success_ends_the_run_of_failures(
    client: httpx.AsyncClient,
    login: LoginFn,
    session: AsyncSession,
    procedures: Any,
    private_urls: None,
) -> None:
    """A receiver that sometimes fails (a 429 to a burst) is not switched off by failures that
    successes interrupted: only consecutive ones count."""
    settings = get_settings()
    settings.webhook_disable_after_failures = 3
    leader, officer = await login("leader"), await login("officer")
    try:
        sub = await _subscribe(client, leader)
        statuses = [500, 500, 204, 500, 500, 204, 500, 500]
        for _ in statuses:
            await client.post("/api/v1/dossiers", headers=officer, json=dossier_body())

        def receiver(request: httpx.Request) -> httpx.Response:
            return httpx.Response(statuses.pop(0))

        # One batch, claimed while the subscription had no failure at all.
        assert await _relay(session, receiver) == (8, 2)  # type: ignore[arg-type]
        shown = (await client.get(f"{API}/{sub['id']}", headers=leader)).json()
        assert (shown["is_active"], shown["consecutive_failures"]) == (True, 2)
    finally:
        settings.webhook_disable_after_failures = 20


async def test_one_broken_receiver_does_not_end_the_batch(
    client: httpx.AsyncClient,
    login: LoginFn,
    session: AsyncSession,
    procedures: Any,
    private_urls: None,
) -> None:
    """An exception outside httpx's own (here from the transport) and a Retry-After in epoch
    milliseconds are recorded as that delivery's failure; the other deliveries go out."""
    leader = await login("leader")
    await _subscribe(client, leader)
    await _subscribe(client, leader, url="http://127.0.0.1:9/other")
    await client.post("/api/v1/dossiers", headers=await login("officer"), json=dossier_body())

    def receiver(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/other":
            raise RuntimeError("the receiver's library broke")
        return httpx.Response(503, headers={"Retry-After": "1735689600000"})

    before = utcnow()
    claimed, delivered = await _relay(session, receiver)  # type: ignore[arg-type]
    assert (claimed, delivered) == (2, 0)
    rows = list(await session.scalars(select(Delivery).order_by(Delivery.id)))
    assert all(d.state is DeliveryState.PENDING and d.attempts == 1 for d in rows)
    errors = sorted(d.last_error or "" for d in rows)
    assert errors[-1].startswith("RuntimeError") and rows[0].next_attempt_at is not None
    # The Retry-After was held to a day.
    assert max(d.next_attempt_at for d in rows) <= before + timedelta(days=1, minutes=1)


async def _pending_deliveries(
    client: httpx.AsyncClient, login: LoginFn, session: AsyncSession, count: int
) -> None:
    """One subscription and ``count`` receptions, fanned out: deliveries ready to relay."""
    await _subscribe(client, await login("leader"))
    officer = await login("officer")
    for _ in range(count):
        await client.post("/api/v1/dossiers", headers=officer, json=dossier_body())
    await service.fan_out(session, utcnow(), 1000)


async def test_a_batch_starts_no_delivery_its_lease_could_not_cover(
    client: httpx.AsyncClient,
    login: LoginFn,
    session: AsyncSession,
    sessionmaker: Any,
    procedures: Any,
    private_urls: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Slow receivers ahead in a batch: the rest stay leased, untouched, for the next claim
    after the lease, instead of going out while another worker claims them too."""
    await _pending_deliveries(client, login, session, 3)
    clock = [1000.0]
    monkeypatch.setattr(service.time, "monotonic", lambda: clock[0])

    def slow(request: httpx.Request) -> httpx.Response:
        clock[0] += 200  # this answer took longer than the whole lease
        return httpx.Response(204)

    settings = get_settings().model_copy(update={"webhook_concurrency": 1})
    async with httpx.AsyncClient(transport=httpx.MockTransport(slow)) as http:
        claimed, delivered = await service.relay_batch(sessionmaker, http, settings, utcnow())
    assert (claimed, delivered) == (3, 1)
    rows = list(await session.scalars(select(Delivery).order_by(Delivery.id)))
    assert sorted(d.attempts for d in rows) == [0, 0, 1]


async def test_a_receiver_that_never_finishes_answering_times_out(
    client: httpx.AsyncClient,
    login: LoginFn,
    session: AsyncSession,
    sessionmaker: Any,
    procedures: Any,
    private_urls: None,
) -> None:
    await _pending_deliveries(client, login, session, 1)

    async def stuck(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    settings = get_settings().model_copy(update={"webhook_timeout_seconds": 0.05})
    async with httpx.AsyncClient(transport=httpx.MockTransport(stuck)) as http:
        assert await service.relay_batch(sessionmaker, http, settings, utcnow()) == (1, 0)
    delivery = (await session.scalars(select(Delivery))).one()
    assert delivery.attempts == 1 and delivery.last_error == "timed out"


async def test_replay_retry_recover_and_ping(
    client: httpx.AsyncClient,
    login: LoginFn,
    session: AsyncSession,
    procedures: Any,
    private_urls: None,
) -> None:
    leader = await login("leader")
    sub = await _subscribe(client, leader)
    await client.post("/api/v1/dossiers", headers=await login("officer"), json=dossier_body())
    await _relay(session, Receiver(204))
    delivery = (await session.scalars(select(Delivery))).one()
    url = f"{API}/{sub['id']}/deliveries/{delivery.id}/retry"
    assert (await client.post(url, headers=leader)).json()["state"] == "pending"
    assert (await client.post(url, headers=leader)).status_code == 409  # already due
    receiver = Receiver(204)
    await _relay(session, receiver)
    first_id = receiver.requests[0].headers["webhook-id"]
    assert first_id == delivery.message_id  # the same webhook-id on every retry
    await session.execute(text("UPDATE webhook_deliveries SET state = 'failed'"))
    since = (utcnow() - timedelta(days=1)).isoformat()
    recovered = await client.post(
        f"{API}/{sub['id']}/recover", headers=leader, params={"since": since}
    )
    assert recovered.json() == {"requeued": 1}
    too_old = await client.post(
        f"{API}/{sub['id']}/recover",
        headers=leader,
        params={"since": (utcnow() - timedelta(days=15)).isoformat()},
    )
    assert too_old.status_code == 422
    ping = await client.post(f"{API}/{sub['id']}/test", headers=leader)
    assert ping.status_code == 202
    receiver = Receiver(204)
    await _relay(session, receiver)
    assert sorted(json.loads(r.content)["type"] for r in receiver.requests) == [
        "dossier.received",
        "webhook.test",
    ]


async def test_rotation_signs_with_both_secrets_for_a_day(
    client: httpx.AsyncClient,
    login: LoginFn,
    session: AsyncSession,
    procedures: Any,
    private_urls: None,
) -> None:
    leader = await login("leader")
    sub = await _subscribe(client, leader)
    rotated = await client.post(f"{API}/{sub['id']}/rotate-secret", headers=leader)
    assert rotated.status_code == 200
    await client.post("/api/v1/dossiers", headers=await login("officer"), json=dossier_body())
    receiver = Receiver()
    await _relay(session, receiver)
    request = receiver.requests[0]
    assert len(request.headers["webhook-signature"].split()) == 2
    for secret in (sub["secret"], rotated.json()["secret"]):
        Webhook(secret).verify(request.content, dict(request.headers))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/x",
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "ftp://example.com/x",
        "http://user:pw@example.com/x",
        "http://100.100.100.200/latest/meta-data",  # shared address space (cloud metadata)
        "https://example.com:99999/x",  # was a 500
        "https://exa mple.com/x",
        "https://example.com/\x7f",  # passed creation, then broke every relay batch
        "https://example.com/a\tb",
    ],
)
async def test_ssrf_targets_are_refused(
    client: httpx.AsyncClient, login: LoginFn, url: str
) -> None:
    resp = await client.post(
        API, headers=await login("leader"), json={"url": url, "event_types": ["dossier.received"]}
    )
    assert resp.status_code == 422, resp.text
    assert resp.json()["errors"][0]["loc"][-1] == "url"


async def test_delivery_time_check_refuses_a_private_address(
    client: httpx.AsyncClient,
    login: LoginFn,
    session: AsyncSession,
    procedures: Any,
    private_urls: None,
) -> None:
    await _subscribe(client, await login("leader"))
    await client.post("/api/v1/dossiers", headers=await login("officer"), json=dossier_body())
    get_settings().webhook_allow_private_urls = False  # the DNS answer changed since creation
    receiver = Receiver()
    await _relay(session, receiver)
    assert receiver.requests == []
    delivery = (await session.scalars(select(Delivery))).one()
    assert delivery.last_error is not None and delivery.last_error.startswith("refused")


async def test_subscriptions_are_listed_a_page_at_a_time(
    client: httpx.AsyncClient, login: LoginFn, private_urls: None
) -> None:
    leader = await login("leader")
    made = [(await _subscribe(client, leader, url=f"{HOOK}/{n}"))["id"] for n in range(3)]
    first = await client.get(API, headers=leader, params={"limit": 2})
    assert first.status_code == 200, first.text
    rest = await client.get(
        API, headers=leader, params={"limit": 2, "cursor": first.json()["next_cursor"]}
    )
    pages = [[s["id"] for s in page.json()["items"]] for page in (first, rest)]
    # One transaction here: equal created_at, so the id orders them; each appears once.
    assert [len(p) for p in pages] == [2, 1] and sorted(pages[0] + pages[1]) == sorted(made)
    assert rest.json()["next_cursor"] is None
    assert (await client.get(API, headers=await login("leader2"))).json()["items"] == []
    forged = await client.get(API, headers=leader, params={"cursor": "bm9wZQ"})
    assert forged.status_code == 422


async def test_roles_and_unknown_types(client: httpx.AsyncClient, login: LoginFn) -> None:
    body = {"url": "https://example.com/hook", "event_types": ["dossier.received"]}
    assert (await client.post(API, headers=await login("officer"), json=body)).status_code == 403
    bad = await client.post(
        API, headers=await login("leader"), json={**body, "event_types": ["dossier.exploded"]}
    )
    assert bad.status_code == 422
