"""Throwaway Redis and PostgreSQL servers for fault tests.

Each server lives in its own temporary directory, listens on 127.0.0.1 and a free port,
and can be stopped, killed, hung (``SIGSTOP``) and resumed on purpose.  Tests never
touch the machine's own Redis (6379) or PostgreSQL (5432).

The classes are plain Python so they can be used outside pytest too::

    with RedisServer() as server:
        redis.Redis.from_url(server.url).ping()

When a binary is missing, :class:`ServerUnavailable` is raised with an actionable
message; the fixtures in ``conftest.py`` turn it into a skip.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

import psycopg
import redis
from psycopg import sql
from redis.backoff import NoBackoff
from redis.retry import Retry

__all__ = [
    "POSTGRES_MISSING",
    "REDIS_MISSING",
    "PostgresServer",
    "RedisServer",
    "ServerError",
    "ServerUnavailable",
    "find_postgres_bindir",
    "find_redis_server",
    "free_port",
]

REDIS_MISSING = (
    "redis-server not found: install it with `apt-get install redis-server` "
    "(Debian/Ubuntu) or `brew install redis`"
)
POSTGRES_MISSING = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found: install with "
    "`apt-get install postgresql` (Debian/Ubuntu) or `brew install postgresql`"
)

_HOST = "127.0.0.1"
_START_TIMEOUT = 5.0
_STOP_TIMEOUT = 10.0


class ServerUnavailable(RuntimeError):
    """The server cannot be run on this machine (binary missing, no ``postgres`` user...)."""


class ServerError(RuntimeError):
    """The server was found but failed to start or stop; the message carries its log tail."""


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((_HOST, 0))
        return int(sock.getsockname()[1])


def _pid_alive(pid: int) -> bool:
    """True if ``pid`` runs (or is stopped); False if gone or a zombie nobody reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    state = _proc_stat(pid)
    return state is None or state[0] != "Z"


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """``(state, ppid)`` of ``pid`` from ``/proc/PID/stat``, or None if unreadable."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may contain spaces.
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[1])


def _descendants(root: int) -> list[int]:
    """Every live descendant of ``root`` found through ``/proc/*/stat`` (Linux only)."""
    children: dict[int, list[int]] = {}
    for entry in glob.glob("/proc/[0-9]*"):
        pid = int(entry.rsplit("/", 1)[1])
        stat = _proc_stat(pid)
        if stat is not None and stat[0] != "Z":
            children.setdefault(stat[1], []).append(pid)
    found: list[int] = []
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _signal(pid: int, sig: signal.Signals) -> None:
    """Send ``sig`` to ``pid``, ignoring a process that is already gone."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _wait_gone(pids: Sequence[int], timeout: float) -> list[int]:
    """Wait until every pid has exited; return the ones still alive after ``timeout``."""
    deadline = time.monotonic() + timeout
    alive = [pid for pid in pids if _pid_alive(pid)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.02)
        alive = [pid for pid in alive if _pid_alive(pid)]
    return alive


def _tail(path: Path, lines: int = 20) -> str:
    """Last lines of a log file, for error messages."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _load_libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return None


_LIBC = _load_libc()  # loaded up front: never dlopen between fork and exec
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """``preexec_fn``: SIGKILL the child if the test process dies (Linux; no-op elsewhere)."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class _Server:
    """Context-manager and atexit plumbing shared by both servers."""

    def start(self) -> None:
        """Start the server."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop the server and delete its files."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _register_cleanup(self) -> None:
        """Close at interpreter exit too, in case a fixture teardown never runs."""
        atexit.register(self.close)

    def _unregister_cleanup(self) -> None:
        atexit.unregister(self.close)


# --------------------------------------------------------------------------- Redis


def find_redis_server() -> str | None:
    """Path of ``redis-server`` on PATH, in /usr/bin or /usr/sbin; None if absent."""
    found = shutil.which("redis-server")
    if found:
        return found
    for candidate in ("/usr/bin/redis-server", "/usr/sbin/redis-server"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


class RedisServer(_Server):
    """A ``redis-server`` child process on 127.0.0.1 with no persistence.

    The process is a :class:`subprocess.Popen` owned by this object (``daemonize no``),
    so it can be signalled directly.  Data lives only in memory, except that
    :meth:`restart` with ``keep_data=True`` round-trips it through an RDB dump.
    """

    def __init__(self, binary: str | None = None) -> None:
        """Prepare (but do not start) a server; raise :class:`ServerUnavailable` if absent."""
        binary = binary or find_redis_server()
        if binary is None:
            raise ServerUnavailable(REDIS_MISSING)
        self.binary = binary
        self.dir = Path(tempfile.mkdtemp(prefix="storeroom-redis-"))
        self.log_path = self.dir / "redis.log"
        self._dump = self.dir / "dump.rdb"
        self._port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._hung = False
        self._closed = False
        self._register_cleanup()

    # -- properties

    @property
    def port(self) -> int:
        """TCP port; fixed at the first :meth:`start` and kept across restarts."""
        if self._port is None:
            raise ServerError("RedisServer has not been started yet")
        return self._port

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``."""
        return f"redis://{_HOST}:{self.port}/0"

    @property
    def pid(self) -> int | None:
        """Pid of the running server process, or None."""
        return self._proc.pid if self.is_running() and self._proc else None

    @property
    def is_hung(self) -> bool:
        """True between :meth:`hang` and :meth:`resume`."""
        return self._hung

    def is_running(self) -> bool:
        """True if the process exists (it may be hung)."""
        return self._proc is not None and self._proc.poll() is None

    # -- clients

    def client(self, timeout: float = 1.0, **kwargs: object) -> redis.Redis:
        """A redis-py client with short timeouts and no retries (so faults show at once)."""
        options: dict[str, object] = {
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "retry": Retry(NoBackoff(), 0),
        }
        options.update(kwargs)
        return redis.Redis(host=_HOST, port=self.port, **options)  # type: ignore[arg-type]

    def ping(self, timeout: float = 0.5) -> bool:
        """True if the server answers PING within ``timeout`` seconds."""
        if self._port is None:
            return False
        client = self.client(timeout)
        try:
            return bool(client.ping())
        except (redis.RedisError, OSError):
            return False
        finally:
            client.close()

    # -- lifecycle

    def start(self) -> None:
        """Start the server and wait (at most ~5 s) until it answers PING.

        The first start picks a free port and retries with another one if it was
        taken in the meantime; later starts reuse the same port.  The server comes up
        empty; only :meth:`restart` with ``keep_data=True`` reloads data.
        """
        self._start(load_dump=False)

    def _start(self, *, load_dump: bool) -> None:
        if self._closed:
            raise ServerError("RedisServer was closed")
        if self.is_running():
            return
        if not load_dump:
            self._dump.unlink(missing_ok=True)
        first = self._port is None
        for attempt in range(3 if first else 1):
            if first:
                self._port = free_port()
            try:
                self._launch()
                break
            except ServerError:
                if not first or attempt == 2:
                    raise
        self._dump.unlink(missing_ok=True)  # loaded already; never resurrect it later

    def _launch(self) -> None:
        args = [
            self.binary,
            "--port", str(self.port),
            "--bind", _HOST,
            "--dir", str(self.dir),
            "--dbfilename", self._dump.name,
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--protected-mode", "yes",
            "--stop-writes-on-bgsave-error", "no",
        ]  # fmt: skip
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.dir,
                preexec_fn=_die_with_parent,
            )
        self._hung = False
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                break
            if self.ping(timeout=0.2):
                return
            time.sleep(0.02)
        self._reap(signal.SIGKILL)
        raise ServerError(
            f"redis-server on port {self.port} did not answer PING within "
            f"{_START_TIMEOUT:.0f} s; log {self.log_path}:\n{_tail(self.log_path)}"
        )

    def _reap(self, sig: signal.Signals) -> None:
        """Send ``sig`` to the process (resuming it first) and wait for it to exit."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            if self._hung and sig != signal.SIGKILL:
                _signal(proc.pid, signal.SIGCONT)
            _signal(proc.pid, sig)
            try:
                proc.wait(_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(_STOP_TIMEOUT)
        self._proc = None
        self._hung = False

    def stop(self) -> None:
        """Stop the server with SIGTERM (SIGKILL after 10 s) and wait for it."""
        self._reap(signal.SIGTERM)

    def kill(self) -> None:
        """Kill the server with SIGKILL, like a crash: unsaved data is lost."""
        self._reap(signal.SIGKILL)

    def hang(self) -> None:
        """Freeze the server with SIGSTOP: connections are accepted but never answered."""
        if not self.is_running() or self._proc is None:
            raise ServerError("cannot hang redis-server: it is not running")
        _signal(self._proc.pid, signal.SIGSTOP)
        self._hung = True

    def resume(self) -> None:
        """Undo :meth:`hang` with SIGCONT (harmless if not hung)."""
        if self._proc is not None and self._proc.poll() is None:
            _signal(self._proc.pid, signal.SIGCONT)
        self._hung = False

    def restart(self, keep_data: bool = False) -> None:
        """Stop and start again on the same port.

        With ``keep_data=True`` the data is SAVEd to an RDB dump in the server's
        directory before stopping and loaded back on start; otherwise the server
        comes back empty.
        """
        if keep_data:
            if not self.is_running():
                raise ServerError("restart(keep_data=True) needs a running server to SAVE")
            self.resume()
            client = self.client(timeout=10.0)
            try:
                client.save()
            finally:
                client.close()
        self.stop()
        self._start(load_dump=keep_data)

    def ensure_ready(self) -> None:
        """Self-heal after a fault test: resume if hung, (re)start if dead or unresponsive."""
        if self._port is None:
            self.start()
            return
        if self._hung:
            self.resume()
        if self.is_running() and self.ping(timeout=1.0):
            return
        self.stop()
        self.start()

    def flush_all(self) -> None:
        """FLUSHALL: empty every database (allowed only because this server is throwaway)."""
        client = self.client(timeout=5.0)
        try:
            client.flushall()
        finally:
            client.close()

    def close(self) -> None:
        """Stop the server (resuming it if hung) and delete its directory. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._reap(signal.SIGTERM)
        shutil.rmtree(self.dir, ignore_errors=True)
        self._unregister_cleanup()


# --------------------------------------------------------------------------- PostgreSQL


def _version_key(path: str) -> tuple[int, ...]:
    """Sort key for ``/usr/lib/postgresql/<version>/bin``: numeric version parts."""
    return tuple(int(n) for n in re.findall(r"\d+", Path(path).parent.name))


def find_postgres_bindir() -> Path | None:
    """Directory holding ``initdb`` and ``pg_ctl``.

    PATH wins (so a developer can point at any build); otherwise the highest version
    under ``/usr/lib/postgresql/*/bin`` (Debian/Ubuntu layout).  None if not found.
    """
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl and Path(initdb).parent == Path(pg_ctl).parent:
        return Path(initdb).parent
    candidates = [
        d
        for d in glob.glob("/usr/lib/postgresql/*/bin")
        if os.access(os.path.join(d, "initdb"), os.X_OK)
        and os.access(os.path.join(d, "pg_ctl"), os.X_OK)
    ]
    if not candidates:
        return None
    return Path(max(candidates, key=_version_key))


class PostgresServer(_Server):
    """A throwaway PostgreSQL cluster (initdb + pg_ctl) on 127.0.0.1 with fsync off.

    As root the cluster is owned by and run as the ``postgres`` user (PostgreSQL refuses
    to run as root), through ``runuser -u postgres --``.  Authentication is ``trust``
    for the ``postgres`` superuser.
    """

    SUPERUSER = "postgres"

    def __init__(self, bindir: Path | str | None = None) -> None:
        """Find the binaries and a user to run as; do not run initdb yet."""
        found = Path(bindir) if bindir else find_postgres_bindir()
        if found is None:
            raise ServerUnavailable(POSTGRES_MISSING)
        self.bindir = found
        self._as_root = os.geteuid() == 0
        self._owner: pwd.struct_passwd | None = None
        self._runuser = "runuser"
        if self._as_root:
            try:
                self._owner = pwd.getpwnam("postgres")
            except KeyError:
                raise ServerUnavailable(
                    "running as root but there is no `postgres` user to run PostgreSQL as: "
                    "create one with `useradd --system postgres` (installing the "
                    "`postgresql` package does this)"
                ) from None
            runuser = shutil.which("runuser") or next(
                (c for c in ("/usr/sbin/runuser", "/sbin/runuser") if os.access(c, os.X_OK)),
                None,
            )
            if runuser is None:
                raise ServerUnavailable(
                    "running as root but `runuser` is missing: install `util-linux`"
                )
            self._runuser = runuser
        self.base = Path(tempfile.mkdtemp(prefix="storeroom-pg-"))
        self.data_dir = self.base / "data"
        self.socket_dir = self.base / "sock"
        self.log_path = self.base / "postgres.log"
        self._port: int | None = None
        self._initialised = False
        self._hung_pids: list[int] = []
        self._closed = False
        self._register_cleanup()

    # -- properties

    @property
    def port(self) -> int:
        """TCP port; fixed at the first :meth:`start` and kept across restarts."""
        if self._port is None:
            raise ServerError("PostgresServer has not been started yet")
        return self._port

    @property
    def dsn(self) -> str:
        """``postgresql://postgres@127.0.0.1:PORT/postgres``."""
        return self.dsn_for("postgres")

    def dsn_for(self, database: str) -> str:
        """DSN of another database on this server."""
        return f"postgresql://{self.SUPERUSER}@{_HOST}:{self.port}/{database}"

    @property
    def pid(self) -> int | None:
        """Pid of the live postmaster (from ``postmaster.pid``), or None."""
        pid = self._pidfile_pid()
        return pid if pid is not None and _pid_alive(pid) else None

    @property
    def is_hung(self) -> bool:
        """True between :meth:`hang` and :meth:`resume`."""
        return bool(self._hung_pids)

    def is_running(self) -> bool:
        """True if the postmaster process exists (it may be hung)."""
        return self.pid is not None

    # -- running commands as the right user

    def _cmd(self, program: str, *args: str) -> list[str]:
        command = [str(self.bindir / program), *args]
        if self._as_root:
            return [self._runuser, "-u", self.SUPERUSER, "--", *command]
        return command

    def _run(self, program: str, *args: str, timeout: float = 60.0) -> str:
        proc = subprocess.run(
            self._cmd(program, *args),
            cwd=self.base,  # the postgres user may not be allowed into the caller's cwd
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if proc.returncode != 0:
            raise ServerError(
                f"{program} {' '.join(args)} failed ({proc.returncode}):\n"
                f"{proc.stdout}{proc.stderr}\nlog {self.log_path}:\n{_tail(self.log_path)}"
            )
        return proc.stdout

    def _initdb(self) -> None:
        if self._owner is not None:
            os.chown(self.base, self._owner.pw_uid, self._owner.pw_gid)
        self.socket_dir.mkdir(mode=0o700, exist_ok=True)
        if self._owner is not None:
            os.chown(self.socket_dir, self._owner.pw_uid, self._owner.pw_gid)
        self._run(
            "initdb",
            "-D", str(self.data_dir),
            "-A", "trust",
            "-U", self.SUPERUSER,
            "--no-sync",
            "-E", "UTF8",
            "--locale=C",
        )  # fmt: skip
        self._initialised = True

    # -- lifecycle

    def start(self) -> None:
        """initdb on first use, then ``pg_ctl -w start`` on the (kept) port.

        Stale lock files left by :meth:`kill` (``postmaster.pid``, socket lock) go first.
        """
        if self._closed:
            raise ServerError("PostgresServer was closed")
        if not self._initialised:
            self._initdb()
        if self.is_running():
            return
        self._remove_stale_locks()
        first = self._port is None
        for attempt in range(3 if first else 1):
            if first:
                self._port = free_port()
            try:
                self._pg_ctl_start()
                break
            except ServerError:
                if not first or attempt == 2:
                    raise

    def _pg_ctl_start(self) -> None:
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses={_HOST} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl", "-w", "-t", "30",
            "-D", str(self.data_dir),
            "-l", str(self.log_path),
            "-o", options,
            "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop -m MODE`` (smart, fast or immediate); resumes a hung server first."""
        if self.is_hung:
            self.resume()
        if not self.is_running():
            self._remove_stale_locks()
            return
        try:
            self._run("pg_ctl", "-w", "-t", "30", "-D", str(self.data_dir), "-m", mode, "stop")
        except (ServerError, subprocess.TimeoutExpired):
            self.kill()

    def kill(self) -> None:
        """SIGKILL the postmaster, like a crash; then clean up so that :meth:`start` works.

        Orphaned backends notice the postmaster's death and exit on their own; any
        still around after a few seconds are killed, and the stale lock files
        are removed.
        """
        pid = self.pid
        if pid is None:
            self._hung_pids = []
            self._remove_stale_locks()
            return
        children = _descendants(pid)
        _signal(pid, signal.SIGKILL)
        for child in children:  # let stopped backends run so they see the postmaster died
            _signal(child, signal.SIGCONT)
        self._hung_pids = []
        for straggler in _wait_gone(children, timeout=5.0):
            _signal(straggler, signal.SIGKILL)
        _wait_gone([pid, *children], timeout=5.0)
        self._remove_stale_locks()

    def hang(self) -> None:
        """SIGSTOP the postmaster and all its backends: TCP connects succeed, nothing answers."""
        pid = self.pid
        if pid is None:
            raise ServerError("cannot hang PostgreSQL: it is not running")
        _signal(pid, signal.SIGSTOP)  # first, so it forks no new children meanwhile
        children = _descendants(pid)
        for child in children:
            _signal(child, signal.SIGSTOP)
        self._hung_pids = [pid, *children]

    def resume(self) -> None:
        """Undo :meth:`hang` with SIGCONT to every process it stopped."""
        pid = self.pid
        for target in [*self._hung_pids, *(_descendants(pid) if pid else [])]:
            _signal(target, signal.SIGCONT)
        self._hung_pids = []

    def restart(self) -> None:
        """Stop (fast) and start again on the same port; the data is kept."""
        self.stop()
        self.start()

    def ping(self, timeout: int = 2) -> bool:
        """True if ``SELECT 1`` works within about ``timeout`` seconds (libpq minimum 2)."""
        if self._port is None:
            return False
        try:
            with psycopg.connect(self.dsn, connect_timeout=timeout, autocommit=True) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    def ensure_ready(self) -> None:
        """Self-heal after a fault test: resume if hung, (re)start if dead or unresponsive."""
        if self.is_hung:
            self.resume()
        if not self.is_running():
            self.start()
            return
        if not self.ping():
            self.stop(mode="immediate")
            self.start()

    def close(self) -> None:
        """Stop the server (resuming it if hung) and delete its directory. Idempotent."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(ServerError, subprocess.TimeoutExpired):
            self.stop(mode="immediate")
        if self.is_running():
            self.kill()
        shutil.rmtree(self.base, ignore_errors=True)
        self._unregister_cleanup()

    def _pidfile_pid(self) -> int | None:
        try:
            first = (self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0]
            return int(first.strip())
        except (OSError, ValueError):
            return None

    def _remove_stale_locks(self) -> None:
        """Delete lock files of a dead postmaster.

        PostgreSQL would clean them itself, except that a killed postmaster may linger
        as an unreaped zombie whose pid still "exists", which blocks the next start.
        """
        locks = [self.data_dir / "postmaster.pid", *self.socket_dir.glob(".s.PGSQL.*.lock")]
        for lock in locks:
            try:
                pid = int(lock.read_text().split("\n", 1)[0].strip())
            except (OSError, ValueError):
                continue
            if not _pid_alive(pid):
                lock.unlink(missing_ok=True)
                if lock.parent == self.socket_dir:
                    lock.with_suffix("").unlink(missing_ok=True)  # the socket itself

    # -- databases

    def create_database(self, name: str) -> str:
        """CREATE DATABASE ``name`` (a fresh, empty one) and return its DSN."""
        with psycopg.connect(self.dsn, connect_timeout=5, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.dsn_for(name)

    def drop_database(self, name: str) -> None:
        """DROP DATABASE ``name`` if it exists, disconnecting any clients still in it."""
        with psycopg.connect(self.dsn, connect_timeout=5, autocommit=True) as conn:
            ident = sql.Identifier(name)
            if conn.info.server_version >= 130000:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
            else:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (name,),
                )
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(ident))
