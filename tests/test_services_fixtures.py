"""The throwaway-server fixtures behave: faults can be injected and are healed.

Every test here leaves its server usable (or relies on the fixtures' self-healing),
so the fault tests can run in any order and under pytest-xdist.
"""

from __future__ import annotations

import socket
import struct

import psycopg
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from services import PostgresServer, RedisServer, free_port

SSL_REQUEST = struct.pack("!ii", 8, 80877103)


def _fast_redis(url: str, timeout: float = 0.1) -> redis.Redis:
    """A client that fails after ``timeout`` seconds instead of retrying for minutes."""
    return redis.Redis.from_url(
        url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0)
    )


def _select_one(dsn: str) -> int:
    with psycopg.connect(dsn, connect_timeout=5) as conn:
        row = conn.execute("SELECT 1").fetchone()
    assert row is not None
    return int(row[0])


def _ssl_request(port: int, timeout: float) -> socket.socket:
    """Open a raw connection and send a PostgreSQL SSLRequest; the caller reads the reply."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.sendall(SSL_REQUEST)
    return sock


def test_free_port_is_bindable() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


# --------------------------------------------------------------------------- Redis


def test_redis_ping(redis_url: str, redis_server: RedisServer) -> None:
    assert redis_server.port != 6379
    assert redis_url == f"redis://127.0.0.1:{redis_server.port}/0"
    assert _fast_redis(redis_url, timeout=1.0).ping() is True


def test_redis_url_starts_empty(redis_url: str) -> None:
    client = _fast_redis(redis_url, timeout=1.0)
    assert client.dbsize() == 0
    client.set("left-behind", "1")  # the next test's fixture must flush it


def test_redis_hang_times_out_and_resume_recovers(
    redis_url: str, redis_server: RedisServer
) -> None:
    client = _fast_redis(redis_url)
    assert client.ping()
    redis_server.hang()
    try:
        with pytest.raises(redis.TimeoutError):
            client.ping()
    finally:
        redis_server.resume()
    assert _fast_redis(redis_url, timeout=1.0).ping()


def test_redis_hung_server_is_healed(redis_url: str, redis_server: RedisServer) -> None:
    redis_server.hang()
    redis_server.ensure_ready()  # what the fixture does before the next test
    assert _fast_redis(redis_url, timeout=1.0).ping()


def test_redis_kill_then_fixture_restart_is_empty(
    redis_url: str, redis_server: RedisServer
) -> None:
    _fast_redis(redis_url, timeout=1.0).set("key", "value")
    port = redis_server.port
    redis_server.kill()
    assert not redis_server.is_running()
    with pytest.raises(redis.ConnectionError):
        _fast_redis(redis_url).ping()
    redis_server.ensure_ready()
    assert redis_server.port == port
    client = _fast_redis(redis_url, timeout=1.0)
    assert client.get("key") is None
    assert client.dbsize() == 0


def test_redis_restart_keep_data(redis_url: str, redis_server: RedisServer) -> None:
    _fast_redis(redis_url, timeout=1.0).set("key", "value")
    redis_server.restart(keep_data=True)
    assert _fast_redis(redis_url, timeout=1.0).get("key") == b"value"
    redis_server.restart()
    assert _fast_redis(redis_url, timeout=1.0).get("key") is None


def test_redis_kill_after_keep_data_restart_is_empty(
    redis_url: str, redis_server: RedisServer
) -> None:
    _fast_redis(redis_url, timeout=1.0).set("key", "value")
    redis_server.restart(keep_data=True)
    redis_server.kill()
    redis_server.start()
    assert _fast_redis(redis_url, timeout=1.0).get("key") is None  # no stale dump reloaded


# --------------------------------------------------------------------------- PostgreSQL


def test_postgres_select_one(postgres_dsn: str, postgres_server: PostgresServer) -> None:
    assert postgres_server.port != 5432
    assert postgres_dsn.startswith(f"postgresql://postgres@127.0.0.1:{postgres_server.port}/t_")
    assert _select_one(postgres_dsn) == 1


def test_postgres_hang_does_not_answer_and_resume_recovers(
    postgres_dsn: str, postgres_server: PostgresServer
) -> None:
    postgres_server.hang()
    try:
        with _ssl_request(postgres_server.port, timeout=0.3) as sock:
            with pytest.raises(TimeoutError):
                sock.recv(1)
            postgres_server.resume()
            sock.settimeout(5.0)
            assert sock.recv(1) in (b"N", b"S")  # the queued connection is answered now
    finally:
        postgres_server.resume()
    assert _select_one(postgres_dsn) == 1


def test_postgres_hung_server_is_healed(postgres_dsn: str, postgres_server: PostgresServer) -> None:
    postgres_server.hang()
    postgres_server.ensure_ready()  # what the fixture does before the next test
    assert _select_one(postgres_dsn) == 1


def test_postgres_kill_then_start(postgres_dsn: str, postgres_server: PostgresServer) -> None:
    conn = psycopg.connect(postgres_dsn, connect_timeout=5)
    port = postgres_server.port
    postgres_server.kill()
    assert not postgres_server.is_running()
    with pytest.raises(psycopg.OperationalError):
        conn.execute("SELECT 1")
    conn.close()
    postgres_server.start()
    assert postgres_server.port == port
    assert _select_one(postgres_dsn) == 1


def test_postgres_stopped_server_is_healed(
    postgres_dsn: str, postgres_server: PostgresServer
) -> None:
    postgres_server.stop()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(postgres_dsn, connect_timeout=2)
    postgres_server.ensure_ready()
    assert _select_one(postgres_dsn) == 1


def test_postgres_restart_keeps_data(postgres_dsn: str, postgres_server: PostgresServer) -> None:
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (v int)")
        conn.execute("INSERT INTO kept VALUES (42)")
    postgres_server.restart()
    with psycopg.connect(postgres_dsn) as conn:
        assert conn.execute("SELECT v FROM kept").fetchone() == (42,)


def test_postgres_create_and_drop_database(postgres_server: PostgresServer) -> None:
    postgres_server.ensure_ready()
    dsn = postgres_server.create_database("storeroom_scratch")
    assert _select_one(dsn) == 1
    with psycopg.connect(dsn) as conn:  # left open: drop_database must force it out
        postgres_server.drop_database("storeroom_scratch")
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT 1")
    with psycopg.connect(postgres_server.dsn) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_database WHERE datname = %s", ("storeroom_scratch",)
        ).fetchone()
    assert row == (0,)


def test_postgres_dsn_is_a_fresh_database(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        row = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
    assert row == (0,)
