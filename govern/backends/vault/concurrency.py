"""How many requests govern has in flight to Vault at once, and the one way it fans out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Requests in flight at once (threads), and so the size of the connection pool.
LIST_CONCURRENCY = 8


def parallel(
    work: Callable[[T], R],
    items: Sequence[T],
    *,
    limit: int = LIST_CONCURRENCY,
    name: str = "govern-vault",
) -> list[R]:
    """`work` on each item, at most `limit` at a time; results in the order of `items`.
    The first exception is raised once every started call has finished."""
    if len(items) <= 1 or limit <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(limit, len(items)), thread_name_prefix=name) as pool:
        return list(pool.map(work, items))
