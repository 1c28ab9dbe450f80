"""Redis clients with strict timeouts and no retry loops.

redis-py's defaults (no socket timeout, several retries with backoff) turn a hung
server into multi-second stalls; every client storeroom makes comes from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import BackendUnavailable
from .redact import mask_url

if TYPE_CHECKING:
    import redis


def make_redis(url: str, *, connect_timeout: float = 0.1, read_timeout: float = 0.1,
               max_connections: int = 16) -> redis.Redis:
    """A client that fails fast: bounded connect/read timeouts, zero retries."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    try:
        return redis.Redis.from_url(
            url,
            socket_connect_timeout=connect_timeout,
            socket_timeout=read_timeout,
            retry=Retry(NoBackoff(), 0),
            retry_on_timeout=False,
            health_check_interval=0,
            max_connections=max_connections,
            client_name="storeroom",
        )
    except ValueError as exc:
        raise BackendUnavailable("Redis", f"bad URL {mask_url(url)}: {exc}",
                                 hint="Fix redis.url in storeroom.yaml.") from None
