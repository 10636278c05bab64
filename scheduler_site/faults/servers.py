"""A PostgreSQL cluster and a Redis of the harness's own, so it can stop and start them.

Never the shared ones on 5432 / 6379: those belong to everyone else on the
machine (and to the rest of the test suite).
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import suppress
from pathlib import Path

READY_TIMEOUT_SECONDS = 30.0


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it; we give it back at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL server binaries (Debian's layout), or FAULTS_PG_BIN."""
    configured = os.environ.get("FAULTS_PG_BIN")
    if configured:
        return Path(configured)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major_version)
    return Path(found[-1]).parent if found else None


def _major_version(path: str) -> int:
    try:
        return int(Path(path).parent.parent.name)
    except ValueError:
        return 0


def missing_servers() -> list[str]:
    """What this machine lacks to run the harness (empty when it can)."""
    missing = []
    pg = postgres_bin()
    if pg is None or not (pg / "pg_ctl").exists():
        missing.append("PostgreSQL server binaries (initdb, pg_ctl)")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    return missing


def _wait(predicate, what: str, timeout: float = READY_TIMEOUT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up within {timeout}s")
        time.sleep(0.1)


def _port_open(port: int) -> bool:
    with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


class PrivatePostgres:
    """One throwaway cluster: trust auth, 127.0.0.1 only, durability off (it is a test)."""

    def __init__(self, base: Path, *, port: int | None = None):
        self.bin = postgres_bin()
        self.port = port or free_port()
        self.dir = base / "postgres"
        self.data = self.dir / "data"
        self.log_path = self.dir / "server.log"

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _as_owner(self, *command: str) -> list[str]:
        # initdb and postgres refuse to run as root; the Debian package's
        # "postgres" user owns the cluster instead.
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *command]
        return list(command)

    def _run(self, *command: str) -> None:
        subprocess.run(  # noqa: S603 - our own fixed command lines
            self._as_owner(*command), check=True, capture_output=True, text=True, timeout=120
        )

    def create(self, database: str) -> None:
        """initdb, start, and create ``database``."""
        self.dir.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
            "--no-instructions",
        )
        self.start()
        self._run(
            str(self.bin / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            database,
        )

    def start(self) -> None:
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.dir}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=200",
            ]
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log_path),
            "-o",
            options,
            "-w",
            "-t",
            str(int(READY_TIMEOUT_SECONDS)),
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """``fast`` disconnects every client and shuts down cleanly, as an operator's stop does."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists() and _port_open(self.port)

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
                self.stop("immediate")


class PrivateRedis:
    """redis-server with no persistence: every restart comes back empty, like a lost node."""

    def __init__(self, base: Path, *, port: int | None = None):
        self.port = port or free_port()
        self.dir = base / "redis"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.starts += 1
        log_path = self.dir / f"redis-{self.starts}.log"
        command = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.dir),
            "--logfile",
            str(log_path),
        ]
        self.process = subprocess.Popen(command, start_new_session=True)  # noqa: S603
        _wait(self.ping, f"redis-server on port {self.port}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL: the node is gone with everything it held (queues, unacked messages)."""
        if self.process is None:
            return
        with suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.process = None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def destroy(self) -> None:
        self.kill()
