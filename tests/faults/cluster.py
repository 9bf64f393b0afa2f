"""A throwaway PostgreSQL cluster: `initdb` in a temporary directory, served on a free port
of 127.0.0.1 with its own socket directory, stopped and removed at the end.

The fault tests stop and start this cluster at will, so the shared server (the one on
5432 that the rest of the suite uses) is never touched. Running as root, every server
command runs as the `postgres` user (`runuser -u postgres --`), in a directory it owns.
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Literal

from tests.servers import free_port

POSTGRES_ROOT = Path("/usr/lib/postgresql")
SHARED_SERVER_PORT = 5432
SERVER_USER = "postgres"
COMMAND_TIMEOUT_SECONDS = 120
# Seconds pg_ctl waits for the server to start or stop before it gives up.
PG_CTL_WAIT_SECONDS = 60

StopMode = Literal["smart", "fast", "immediate"]


class ClusterError(RuntimeError):
    """The throwaway cluster could not be created, started or stopped."""


def find_bin_dir(root: Path = POSTGRES_ROOT) -> Path | None:
    """The newest `/usr/lib/postgresql/<version>/bin` with `initdb` and `pg_ctl`, if any."""
    candidates: list[tuple[tuple[int, ...], Path]] = []
    if root.is_dir():
        for version_dir in root.iterdir():
            bin_dir = version_dir / "bin"
            if (bin_dir / "initdb").is_file() and (bin_dir / "pg_ctl").is_file():
                version = tuple(int(part) for part in re.findall(r"\d+", version_dir.name)) or (0,)
                candidates.append((version, bin_dir))
    return max(candidates)[1] if candidates else None


def unavailable_reason() -> str | None:
    """Why no throwaway cluster can be made here, or None when one can."""
    if find_bin_dir() is None:
        return f"no PostgreSQL server binaries (initdb, pg_ctl) under {POSTGRES_ROOT}/*/bin"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root and there is no {SERVER_USER!r} user to run the server as"
        if shutil.which("runuser") is None:
            return "running as root and `runuser` is missing"
    return None


class ThrowawayCluster:
    """`with ThrowawayCluster() as cluster:` creates and starts it; `url` reaches its
    `postgres` database as the `postgres` superuser (trust authentication, loopback only).
    Leaving the block, or `cleanup()`, stops it immediately and deletes every file, even
    when the block failed; an `atexit` hook does the same if nobody called it."""

    def __init__(self, bin_dir: Path | None = None) -> None:
        found = bin_dir or find_bin_dir()
        if found is None:
            raise ClusterError(f"no PostgreSQL server binaries (initdb, pg_ctl) under {POSTGRES_ROOT}/*/bin")
        self.bin_dir = found
        self.port = free_port()
        if self.port == SHARED_SERVER_PORT:  # never, since 5432 is taken by the shared server; but be sure
            raise ClusterError("refusing to use the shared server's port")
        self.root = Path(tempfile.mkdtemp(prefix="todo-pg-"))
        self.data_dir = self.root / "data"
        self.socket_dir = self.root / "socket"
        self.log_path = self.root / "postgres.log"
        self._as_root = os.geteuid() == 0
        self._created = False
        self._cleaned = False
        self.running = False
        atexit.register(self.cleanup)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres"

    # --- lifecycle ---------------------------------------------------------------------

    def __enter__(self) -> ThrowawayCluster:
        try:
            self.start()
        except BaseException:
            self.cleanup()
            raise
        return self

    def __exit__(
        self, _type: type[BaseException] | None, _value: BaseException | None, _traceback: TracebackType | None
    ) -> None:
        self.cleanup()

    def start(self) -> None:
        if not self._created:
            self._create()
        self._pg_ctl(
            "start",
            "-w",
            "-t",
            str(PG_CTL_WAIT_SECONDS),
            "-l",
            str(self.log_path),
            "-o",
            " ".join(
                [
                    "-c listen_addresses=127.0.0.1",
                    f"-c port={self.port}",
                    f"-c unix_socket_directories={self.socket_dir}",
                    "-c fsync=off",  # speed; a fast stop still writes everything out
                    "-c full_page_writes=off",
                    "-c max_connections=100",
                ]
            ),
        )
        self.running = True

    def stop(self, mode: StopMode = "fast") -> None:
        """`fast` (the default) ends every session and shuts down cleanly, as a restart by an
        operator does; `immediate` is a crash (recovery runs at the next start)."""
        self._pg_ctl("stop", "-w", "-t", str(PG_CTL_WAIT_SECONDS), "-m", mode)
        self.running = False

    def restart(self, mode: StopMode = "fast") -> None:
        self.stop(mode)
        self.start()

    def cleanup(self) -> None:
        """Stop the server if it runs and delete the directory; safe to call twice."""
        if self._cleaned:
            return
        self._cleaned = True
        atexit.unregister(self.cleanup)
        try:
            if self._created and (self.data_dir / "postmaster.pid").exists():
                self._pg_ctl("stop", "-w", "-t", str(PG_CTL_WAIT_SECONDS), "-m", "immediate", check=False)
        finally:
            self.running = False
            shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # --- plumbing ------------------------------------------------------------------------

    def _create(self) -> None:
        self.socket_dir.mkdir()
        if self._as_root:
            owner = pwd.getpwnam(SERVER_USER)
            for path in (self.root, self.socket_dir):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )
        self._created = True

    def _pg_ctl(self, *args: str, check: bool = True) -> None:
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *args, check=check)

    def _run(self, *command: str, check: bool = True) -> None:
        argv = ["runuser", "-u", SERVER_USER, "--", *command] if self._as_root else list(command)
        # Output to a file, not a pipe: the postmaster that `pg_ctl start` leaves running
        # must not hold a pipe we wait on.
        output_path = self.root / "command.out"
        what = " ".join([Path(command[0]).name, *command[1:]])
        with output_path.open("wb") as output:
            try:
                completed = subprocess.run(
                    argv,
                    cwd=self.root,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    timeout=COMMAND_TIMEOUT_SECONDS,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise ClusterError(f"{what} took over {COMMAND_TIMEOUT_SECONDS} s") from None
        if check and completed.returncode != 0:
            said = output_path.read_text(errors="replace").strip()
            raise ClusterError(f"{what} failed ({completed.returncode}): {said}\n{self.log_tail()}")
