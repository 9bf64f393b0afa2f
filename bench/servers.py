"""The servers under test, as real processes, each on a free port: the app (`python main.py`,
as `make run` starts it), the bare FastAPI baseline (bench/baseline.py) and the floor of the
list (bench/floor.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 10
# Compiled modules whose presence in the process's memory map shows what uvicorn picked:
# `loop="auto"` imports uvloop only to run on it, `http="auto"` imports httptools only to parse with it.
IMPLEMENTATION_MARKERS = {
    "loop": (("/uvloop/loop.", "uvloop"), ("", "asyncio")),
    "http": (("/httptools/parser/parser.", "httptools"), ("", "h11")),
}


class ServerError(RuntimeError):
    """A server did not start, or died."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise ServerError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(name: str, argv: list[str], env: dict[str, str], port: int, log_dir: Path, ready_path: str) -> Server:
    """Start `argv` (a Python script, run by this interpreter) and wait for 200 on `ready_path`."""
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:  # a file, never a pipe nobody reads
        process = subprocess.Popen(
            [sys.executable, *argv], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    server = Server(name=name, process=process, port=port, log_path=log_path)
    try:
        _wait_until_ready(server, ready_path)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_until_ready(server: Server, path: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        server.check_alive()
        try:
            with urllib.request.urlopen(server.base_url + path, timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass  # not listening yet
        time.sleep(0.1)
    raise ServerError(f"{server.name}: no 200 from {path} in {STARTUP_TIMEOUT_SECONDS} s:\n{server.log_tail()}")


def start_app(app_env: dict[str, str], log_dir: Path) -> Server:
    port = free_port()
    env = {**os.environ, **app_env, "HOST": "127.0.0.1", "PORT": str(port), "PYTHONUNBUFFERED": "1"}
    return start("app", ["main.py"], env, port, log_dir, "/health/ready")


def start_baseline(log_dir: Path) -> Server:
    port = free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "PYTHONUNBUFFERED": "1"}
    return start("baseline", ["bench/baseline.py"], env, port, log_dir, "/")


def start_floor(database_url: str, log_dir: Path) -> Server:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "PYTHONPATH": str(PROJECT_ROOT),  # it reads the app's own table definition
        "PYTHONUNBUFFERED": "1",
    }
    return start("floor", ["bench/floor.py"], env, port, log_dir, "/")


def implementations(pid: int) -> dict[str, str]:
    """The event loop and HTTP parser a running uvicorn process uses, read off its memory map."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    found: dict[str, str] = {}
    for kind, candidates in IMPLEMENTATION_MARKERS.items():
        found[kind] = next(name for marker, name in candidates if marker in maps)
    return found


def memory_kb(pid: int) -> dict[str, int]:
    """VmHWM (peak resident set) and VmRSS (current), in kB, from /proc/<pid>/status."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            values[key] = int(rest.split()[0])
    return values
