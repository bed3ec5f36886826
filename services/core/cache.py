"""A small in-process cache for reference data read on every request (keys, procedures,
calendar), so that receiving a dossier costs one statement instead of five.

Entries live ``MOTCUA_REFERENCE_CACHE_SECONDS`` (0 turns caching off). A change made in this
process clears the cache at once; other processes see it when their entry expires.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from services.core.settings import get_settings

V = TypeVar("V")

_ALL: list[TTLCache[object]] = []


class TTLCache(Generic[V]):
    def __init__(self, name: str, max_entries: int = 10_000) -> None:
        self.name = name
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, V]] = {}
        _ALL.append(self)  # type: ignore[arg-type]

    async def get(self, key: Hashable, load: Callable[[], Awaitable[V]]) -> V:
        ttl = get_settings().reference_cache_seconds
        if ttl <= 0:
            return await load()
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = await load()
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (now + ttl, value)
        return value

    def clear(self) -> None:
        self._entries.clear()


def clear_all() -> None:
    for cache in _ALL:
        cache.clear()
