"""Where webhooks may go: https in production, and never into the server's own networks
(SSRF) unless MOTCUA_WEBHOOK_ALLOW_PRIVATE_URLS. Checked at creation and again, against a fresh
DNS answer, before every delivery. The connection itself resolves the name once more: a name
that answers a public address to the check and an internal one a moment later (DNS rebinding
with a zero TTL) is not stopped here; an egress firewall for the worker closes that."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

import httpx

from services.core.settings import Environment, Settings


class UrlRefused(ValueError):
    pass


def check_syntax(url: str, settings: Settings) -> str:
    if any(c.isspace() or not c.isprintable() for c in url):
        raise UrlRefused("must not contain spaces or control characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UrlRefused("must be an absolute http(s) URL")
    try:
        parts.port  # noqa: B018 — raises on a port outside 0–65535
        httpx.URL(url)
    except (ValueError, httpx.InvalidURL) as exc:
        raise UrlRefused(f"is not a valid URL ({exc})") from exc
    if settings.env is Environment.PRODUCTION and parts.scheme != "https":
        raise UrlRefused("must use https in production")
    if parts.username or parts.password:
        raise UrlRefused("must not carry credentials")
    return url


def _forbidden(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (
        not ip.is_global  # also shared address space (100.64.0.0/10), documentation ranges
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


async def check_destination(url: str, settings: Settings) -> None:
    """Resolves the host and refuses it if any address is internal."""
    check_syntax(url, settings)
    if settings.allow_private_webhook_urls:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UrlRefused(f"host {host} does not resolve") from exc
    if any(_forbidden(str(info[4][0])) for info in infos):
        raise UrlRefused(f"host {host} resolves to a private, loopback or link-local address")
