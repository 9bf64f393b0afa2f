"""The results as Markdown: the machine, the scenario table, memory, and the targets."""

from __future__ import annotations

import os
import platform
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from bench.wrk import WrkResult

README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"
PACKAGES = ("fastapi", "starlette", "uvicorn", "uvloop", "httptools", "pydantic", "SQLAlchemy", "psycopg2-binary")


@dataclass(frozen=True)
class Row:
    scenario: str
    result: WrkResult
    # The baseline measured around this scenario (just before and just after, together),
    # which its ratio is to; none for the baseline's own rows at the start and end of the run.
    baseline: WrkResult | None = None

    @property
    def ratio(self) -> float | None:
        return self.result.rps / self.baseline.rps if self.baseline and self.baseline.rps else None


@dataclass(frozen=True)
class Target:
    name: str
    measured: str
    goal: str
    met: bool


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor() or "unknown CPU"


def memory_total() -> str:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    return "unknown"


def machine() -> str:
    return f"{os.cpu_count()} cores ({cpu_model()}), {memory_total()} RAM, Linux {platform.release()}"


def software(postgres: str, wrk: str) -> str:
    versions = ", ".join(f"{name} {_version(name)}" for name in PACKAGES)
    return f"Python {platform.python_version()}; {versions}; PostgreSQL {postgres}; {wrk}"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def milliseconds(microseconds: float) -> str:
    ms = microseconds / 1000
    return f"{ms:.2f} ms" if ms < 10 else f"{ms:.1f} ms"


def _table(header: Sequence[str], align: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def scenario_table(rows: Sequence[Row]) -> str:
    return _table(
        ("scenario", "req/s", "p50", "p99", "non-2xx", "baseline around it", "ratio to it"),
        ("---", "---:", "---:", "---:", "---:", "---:", "---:"),
        (
            (
                row.scenario,
                f"{row.result.rps:,.0f}",
                milliseconds(row.result.p50_us) if row.result.requests else "no response",
                milliseconds(row.result.p99_us) if row.result.requests else "no response",
                _failures(row.result),
                f"{row.baseline.rps:,.0f}" if row.baseline else "",
                f"{row.ratio:.3f}" if row.ratio is not None else "",
            )
            for row in rows
        ),
    )


def _failures(result: WrkResult) -> str:
    text = f"{result.non2xx:,}"
    if result.non2xx:
        text += f" (first: {result.first_bad_status})"
    if result.socket_errors:
        text += f" + {result.socket_errors:,} socket errors/timeouts"
    return text


def targets_table(targets: Sequence[Target]) -> str:
    return _table(
        ("target", "measured", "goal", "status"),
        ("---", "---:", "---:", "---"),
        ((t.name, t.measured, t.goal, "met" if t.met else "**missed**") for t in targets),
    )


def update_readme(readme: Path, block: str) -> bool:
    """Replace what stands between the bench markers in the README; False when they are missing."""
    text = readme.read_text()
    pattern = re.compile(re.escape(README_START) + r".*?" + re.escape(README_END), re.DOTALL)
    if not pattern.search(text):
        return False
    readme.write_text(pattern.sub(lambda _: f"{README_START}\n{block}\n{README_END}", text, count=1))
    return True
