"""wrk from Debian's packages: installing it, running it with our Lua scripts, reading its result."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA_DIR = Path(__file__).resolve().parent / "lua"
RESULT_PREFIX = "BENCH_RESULT "
TIMEOUT = "5s"  # a request slower than this counts as a timeout, not as a latency sample
GRACE_SECONDS = 30  # on top of the run's own duration, before we give up on a wrk process


class WrkError(RuntimeError):
    """wrk is missing and could not be installed, or a run failed."""


@dataclass(frozen=True)
class WrkRun:
    """One wrk invocation: the URL, the Lua script in bench/lua and its arguments."""

    url: str
    script: str
    args: tuple[str, ...] = ()
    threads: int = 2
    connections: int = 32
    seconds: int = 10

    def command(self, seconds: int | None = None) -> list[str]:
        return [
            "wrk",
            f"--threads={self.threads}",
            f"--connections={self.connections}",
            f"--duration={seconds or self.seconds}s",
            f"--timeout={TIMEOUT}",
            f"--script={LUA_DIR / self.script}",
            self.url,
            "--",
            *self.args,
        ]


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_us: int
    p50_us: int
    p99_us: int
    max_us: int
    non2xx: int
    first_bad_status: int
    connect_errors: int
    read_errors: int
    write_errors: int
    timeouts: int

    @property
    def rps(self) -> float:
        return self.requests / (self.duration_us / 1e6) if self.duration_us else 0.0

    @property
    def socket_errors(self) -> int:
        return self.connect_errors + self.read_errors + self.write_errors + self.timeouts


def ensure_wrk() -> str:
    """The path of wrk, installed with apt-get (after an `apt-get update` if need be) when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is not installed: installing Debian's package", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "wrk"]
    if subprocess.run(install, env=env, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        subprocess.run(install, env=env, check=False)
    found = shutil.which("wrk")
    if not found:
        raise WrkError("wrk is missing and `apt-get install wrk` did not install it (run it as root)")
    return found


def wrk_version() -> str:
    completed = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    first_line = (completed.stdout or completed.stderr).splitlines()[:1]
    return " ".join(first_line[0].split()[:2]) if first_line else "unknown"


def parse_result(output: str) -> WrkResult:
    for line in output.splitlines():
        if line.startswith(RESULT_PREFIX):
            values: dict[str, int] = json.loads(line[len(RESULT_PREFIX) :])
            return WrkResult(**values)
    raise WrkError(f"wrk printed no {RESULT_PREFIX.strip()} line:\n{output[-2000:]}")


def run(spec: WrkRun, seconds: int | None = None) -> WrkResult:
    """Run wrk in the foreground and return what its done() hook reported."""
    duration = seconds or spec.seconds
    completed = subprocess.run(
        spec.command(duration), capture_output=True, text=True, timeout=duration + GRACE_SECONDS, check=False
    )
    if completed.returncode != 0:
        raise WrkError(f"wrk exited with {completed.returncode}:\n{completed.stdout}\n{completed.stderr}")
    return parse_result(completed.stdout)


class Background:
    """A wrk run in the background (the load beside a measured scenario)."""

    def __init__(self, spec: WrkRun, seconds: int) -> None:
        self.seconds = seconds
        self.process = subprocess.Popen(
            spec.command(seconds), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )

    def result(self) -> WrkResult:
        output, _ = self.process.communicate(timeout=self.seconds + GRACE_SECONDS)
        if self.process.returncode != 0:
            raise WrkError(f"background wrk exited with {self.process.returncode}:\n{output}")
        return parse_result(output)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
