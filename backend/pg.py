"""PostgreSQL connections that fail within a bounded time.

libpq and psycopg round ``connect_timeout`` up to at least 2 s, and a SIGSTOPped
server accepts TCP connections and then never answers. So before connecting we send
the protocol's 8-byte SSLRequest on a plain socket with our own timeout: a live server
answers one byte at once; a refused or hung one is reported within the budget.
"""

from __future__ import annotations

import math
import socket
import struct
import time
from typing import TYPE_CHECKING, Any

from .errors import BackendUnavailable
from .redact import mask_url

if TYPE_CHECKING:
    import psycopg

_SSL_REQUEST = struct.pack("!ii", 8, 80877103)


def _endpoints(dsn: str) -> list[tuple[str, int]]:
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(dsn)
    hosts = str(params.get("host") or "localhost").split(",")
    ports = str(params.get("port") or "5432").split(",")
    if len(ports) == 1:
        ports = ports * len(hosts)
    return [(h, int(p)) for h, p in zip(hosts, ports, strict=False)]


def probe(dsn: str, timeout: float = 0.25) -> float:
    """Check that a server answers the protocol; returns seconds taken.

    Raises :class:`BackendUnavailable` (refused, unresolvable, or no answer in time).
    """
    start = time.perf_counter()
    try:
        endpoints = _endpoints(dsn)
    except Exception as exc:  # noqa: BLE001 - psycopg raises ProgrammingError on bad DSNs
        raise BackendUnavailable("PostgreSQL", f"bad DSN {mask_url(dsn)}: {exc}",
                                 hint="Fix postgres.dsn in storeroom.yaml.") from None
    errors = []
    for host, port in endpoints:
        remaining = timeout - (time.perf_counter() - start)
        if remaining <= 0:
            break
        try:
            if host.startswith("/"):
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(remaining)
                sock.connect(f"{host}/.s.PGSQL.{port}")
            else:
                sock = socket.create_connection((host, port), timeout=remaining)
            with sock:
                sock.settimeout(max(0.001, timeout - (time.perf_counter() - start)))
                sock.sendall(_SSL_REQUEST)
                answer = sock.recv(1)
            if answer in (b"S", b"N"):
                return time.perf_counter() - start
            errors.append(f"{host}:{port} answered {answer!r}, not PostgreSQL")
        except TimeoutError:
            errors.append(f"{host}:{port} did not answer within {timeout * 1000:.0f} ms (hung?)")
        except OSError as exc:
            errors.append(f"{host}:{port} {exc.strerror or exc}")
    detail = "; ".join(errors) or "no time left to connect"
    raise BackendUnavailable("PostgreSQL", f"{mask_url(dsn)}: {detail}")


def connect(dsn: str, *, timeout: float = 0.25, statement_timeout: float | None = 30.0,
            autocommit: bool = False, **kwargs: Any) -> psycopg.Connection[Any]:
    """Probe, then connect with psycopg; errors come back as :class:`BackendUnavailable`."""
    import psycopg

    probe(dsn, timeout)
    options = kwargs.pop("options", "")
    if statement_timeout:
        options = f"{options} -c statement_timeout={int(statement_timeout * 1000)}".strip()
    try:
        return psycopg.connect(
            dsn,
            autocommit=autocommit,
            connect_timeout=max(2, math.ceil(timeout)),
            options=options or None,
            # Detect a peer that vanished mid-query instead of waiting for TCP's minutes.
            keepalives=1, keepalives_idle=5, keepalives_interval=2, keepalives_count=2,
            tcp_user_timeout=int(max(timeout, 5) * 1000),
            **kwargs,
        )
    except psycopg.OperationalError as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BackendUnavailable("PostgreSQL", f"{mask_url(dsn)}: {message}") from None
