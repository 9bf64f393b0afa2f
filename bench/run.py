"""`make bench`: the app under wrk, next to a bare FastAPI baseline, in one run on this machine.

It makes its own database on the local PostgreSQL, migrates and seeds it, serves the app as
`make run` does (`python main.py`: one uvicorn process, uvloop and httptools) with BCRYPT_ROUNDS
12 and the throttles off, and drives each scenario with wrk (a warm-up, then the measurement).
Every scenario is reported as a ratio to the baseline measured in the same run, because
absolute figures on shared machines drift by 30% or more between runs. It prints a Markdown
report, writes it to bench/results/latest.md and into the README's Benchmark section, and
cleans up (servers, database) whatever happens. The exit code is 0 even when targets are
missed; it is 1 only when the harness itself could not run.

    .venv/bin/python -m bench.run [--no-readme]
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType

from bench import report, wrk
from bench.api import Account, call, expect, signup
from bench.database import (
    bench_database,
    count_tasks,
    migrate,
    seed_bulk,
    seed_tasks,
    server_version,
    vacuum_analyze,
)
from bench.report import Row, Target
from bench.servers import (
    PROJECT_ROOT,
    Server,
    implementations,
    memory_kb,
    start_app,
    start_baseline,
    start_floor,
)
from bench.settle import Settler
from bench.wrk import WrkResult, WrkRun

WARMUP_SECONDS = 3
MEASURE_SECONDS = 10
# Between every two scenarios, the baseline again; a scenario's ratio is to the baseline runs
# just before and just after it: the machine's speed drifts by 30% within one run, so a
# ratio to a baseline minutes away would carry that drift.
ADJACENT_BASELINE_SECONDS = 5
THREADS = 2
CONNECTIONS = 32
LOGIN_CONNECTIONS = 4
LIST_TASKS = 200
BIG_TASKS = 100_000
WRITE_TASKS = 64  # per writing user: 32 per wrk thread, more than its 16 connections
PASSWORD = "bench-Passw0rd!"
ROLES = ("list", "big", "create", "complete", "replace", "login")
BIG_QUERIES = {
    "big_created_at": "sort=created_at",
    "big_updated_at": "sort=updated_at",
    "big_title": "sort=title",
    "big_completed": "sort=completed",
    "big_due_at": "sort=due_at",
    "big_priority": "sort=priority",
    "big_filter": "completed=true",
}
# Search, a tag and a cursor page on the same user, each against its plain first page.
PLAIN_FIRST_PAGE = "big_created_at"
CURSOR_SKIP = 50_000  # the cursor page starts halfway down the list
FIND_QUERIES = {
    "big_search": "q=dentist",
    "big_tag": "tag=health",
}
RESULTS_PATH = PROJECT_ROOT / "bench" / "results" / "latest.md"
README_PATH = PROJECT_ROOT / "README.md"

FLOOR_LEFT_OUT = "no token, middleware, request log, validation or total"

# The targets: ratios to the baseline, latencies, memory.
LIST_MIN_RATIO = 0.12
LIST_MAX_P99_MS = 100
GET_MIN_RATIO = 0.14
WRITE_MIN_RATIO = 0.08
BIG_MAX_P50_FACTOR = 1.5
FIND_MAX_P50_FACTOR = 2
LOGIN_MAX_P99_FACTOR = 3
MAX_PEAK_RSS_MB = 150


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP: unwind like Ctrl-C, so that everything is cleaned up."""


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    run: WrkRun
    # A second load running from a second before the measurement to a second after it,
    # reported as its own row under `background_key`.
    background: WrkRun | None = None
    background_key: str = ""
    background_title: str = ""


@dataclass(frozen=True)
class Fixture:
    """What the scenarios need: the servers and the seeded accounts and tasks."""

    app: Server
    baseline: Server
    floor: Server
    accounts: dict[str, Account]
    list_task_id: str
    complete_ids: list[str]
    replace_ids: list[str]
    middle_cursor: str  # the large user's list after CURSOR_SKIP tasks, in the default sort
    settler: Settler

    def tasks_url(self, role: str, rest: str = "") -> str:
        return f"{self.app.base_url}/api/{self.accounts[role].id}/tasks{rest}"

    def token(self, role: str) -> str:
        return self.accounts[role].token


@dataclass(frozen=True)
class Measured:
    rows: list[Row]
    results: dict[str, WrkResult]
    baselines: dict[str, WrkResult]  # by scenario key: the baseline measured right before it

    def ratio(self, key: str) -> float:
        return self.results[key].rps / self.baselines[key].rps


@dataclass(frozen=True)
class RunInfo:
    date: str
    machine: str
    software: str
    app_impl: dict[str, str]
    baseline_impl: dict[str, str]
    memory: dict[str, int]
    load_before: float
    load_after: float


class Clock:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.load_before = os.getloadavg()[0]  # other work on these cores skews every figure

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def log(self, message: str) -> None:
        print(f"[{self.elapsed:4.0f} s] {message}", flush=True)


# --- setting up -------------------------------------------------------------------------


def app_environment(database_url: str) -> dict[str, str]:
    """Production settings, all set explicitly so that a developer's `.env` cannot change them."""
    return {
        "DATABASE_URL": database_url,
        "MIGRATION_DATABASE_URL": "",  # empty wins over .env: migrate DATABASE_URL itself
        "BETTER_AUTH_SECRET": secrets.token_urlsafe(48),
        "BCRYPT_ROUNDS": "12",
        "LOGIN_MAX_FAILURES": "0",  # the throttles would turn the login scenario into 429s
        "SIGNUP_MAX_PER_IP": "0",
        "JWT_EXPIRE_MINUTES": "10080",
        "CORS_ORIGINS": "http://localhost:3000,http://localhost:5173",
        "MAX_BODY_BYTES": str(1024 * 1024),
        "TRUSTED_PROXIES": "",
    }


def seed(database_url: str, servers: list[Server], settler: Settler, clock: Clock) -> Fixture:
    app, baseline, floor = servers
    accounts = {role: signup(app.base_url, f"bench_{role}", PASSWORD) for role in ROLES}
    clock.log(f"signed up {len(accounts)} users over HTTP")
    list_ids = seed_tasks(database_url, accounts["list"].id, LIST_TASKS, "list")
    complete_ids = seed_tasks(database_url, accounts["complete"].id, WRITE_TASKS, "complete")
    replace_ids = seed_tasks(database_url, accounts["replace"].id, WRITE_TASKS, "replace")
    clock.log(f"created {LIST_TASKS} + 2 x {WRITE_TASKS} tasks through the service layer")
    seed_bulk(database_url, accounts["big"].id, BIG_TASKS)
    vacuum_analyze(database_url)
    clock.log(f"inserted {BIG_TASKS:,} tasks for one user (INSERT ... SELECT generate_series), VACUUM ANALYZE")
    middle = walk_to(f"{app.base_url}/api/{accounts['big'].id}/tasks", accounts["big"].token, CURSOR_SKIP)
    clock.log(f"walked {CURSOR_SKIP:,} tasks down the large list by cursor, 100 a page")
    return Fixture(
        app, baseline, floor, accounts, list_ids[LIST_TASKS // 2], complete_ids, replace_ids, middle, settler
    )


def walk_to(tasks_url: str, token: str, skip: int) -> str:
    """The cursor a client holds after reading `skip` tasks of the list (`PLAIN_FIRST_PAGE`'s sort)."""
    cursor = ""
    seen: set[str] = set()
    while len(seen) < skip:
        query = f"?{BIG_QUERIES[PLAIN_FIRST_PAGE]}&limit=100" + (f"&cursor={cursor}" if cursor else "")
        status, page = call("GET", tasks_url + query, token=token)
        expect(status, 200, "a cursor page of the large list", page)
        seen.update(task["id"] for task in page["items"])
        cursor = page["next_cursor"]
    if len(seen) != skip:
        raise RuntimeError(f"cursor walk: expected {skip:,} distinct tasks, saw {len(seen):,}")
    return cursor


def preflight(fixture: Fixture, database_url: str) -> None:
    """A few checked requests before wrk hammers the app: the data is what the scenarios say."""
    status, page = call("GET", fixture.tasks_url("list"), token=fixture.token("list"))
    expect(status, 200, "list", page)
    if page["total"] != LIST_TASKS or len(page["items"]) != 20:
        raise RuntimeError(f"list: expected 20 of {LIST_TASKS}, got {len(page['items'])} of {page['total']}")
    status, page = call("GET", fixture.tasks_url("big", "?sort=title"), token=fixture.token("big"))
    expect(status, 200, "list of the large user", page)
    if page["total"] != BIG_TASKS or count_tasks(database_url, fixture.accounts["big"].id) != BIG_TASKS:
        raise RuntimeError(f"large list: expected a total of {BIG_TASKS}, got {page['total']}")
    for query in [*FIND_QUERIES.values(), f"cursor={fixture.middle_cursor}&{BIG_QUERIES[PLAIN_FIRST_PAGE]}"]:
        status, page = call("GET", fixture.tasks_url("big", f"?{query}"), token=fixture.token("big"))
        expect(status, 200, f"large list, {query[:40]}", page)
        if len(page["items"]) != 20 or not page["next_cursor"]:
            raise RuntimeError(f"large list, {query[:40]}: expected 20 tasks and more, got {len(page['items'])}")
    status, task = call("GET", fixture.tasks_url("list", f"/{fixture.list_task_id}"), token=fixture.token("list"))
    expect(status, 200, "get one", task)
    status, page = call("GET", f"{fixture.floor.base_url}/tasks/{fixture.accounts['list'].id}")
    expect(status, 200, "the floor's list", page)
    if len(page["items"]) != 20:
        raise RuntimeError(f"floor: expected 20 tasks, got {len(page['items'])}")


# --- the scenarios ----------------------------------------------------------------------


def wrk_run(url: str, script: str, *args: str, connections: int = CONNECTIONS) -> WrkRun:
    return WrkRun(url, script, args, threads=THREADS, connections=connections, seconds=MEASURE_SECONDS)


def writes(fixture: Fixture, role: str, script: str, task_ids: list[str]) -> WrkRun:
    account = fixture.accounts[role]
    return wrk_run(fixture.app.base_url, script, account.token, account.id, str(THREADS), ",".join(task_ids))


def login_run(fixture: Fixture) -> WrkRun:
    login = fixture.accounts["login"]
    url = f"{fixture.app.base_url}/api/auth/login"
    return wrk_run(url, "login.lua", login.username, login.password, connections=LOGIN_CONNECTIONS)


def big_list(fixture: Fixture, query: str) -> WrkRun:
    return wrk_run(fixture.tasks_url("big", f"?{query}"), "get.lua", fixture.token("big"))


def scenarios(fixture: Fixture) -> list[Scenario]:
    baseline = wrk_run(fixture.baseline.base_url + "/", "get.lua")
    listing = wrk_run(fixture.tasks_url("list"), "get.lua", fixture.token("list"))
    floor = wrk_run(f"{fixture.floor.base_url}/tasks/{fixture.accounts['list'].id}", "get.lua")
    one_task = wrk_run(fixture.tasks_url("list", f"/{fixture.list_task_id}"), "get.lua", fixture.token("list"))
    create = wrk_run(fixture.app.base_url, "create.lua", fixture.token("create"), fixture.accounts["create"].id)
    big = [
        Scenario(key, f"{BIG_TASKS:,} tasks, first page, {query}", big_list(fixture, query))
        for key, query in BIG_QUERIES.items()
    ]
    finds = [
        Scenario(key, f"{BIG_TASKS:,} tasks, {query}", big_list(fixture, query)) for key, query in FIND_QUERIES.items()
    ]
    cursor_query = f"{BIG_QUERIES[PLAIN_FIRST_PAGE]}&cursor={fixture.middle_cursor}"
    finds.append(
        Scenario(
            "big_cursor",
            f"{BIG_TASKS:,} tasks, {BIG_QUERIES[PLAIN_FIRST_PAGE]}, cursor page after {CURSOR_SKIP:,}",
            big_list(fixture, cursor_query),
        )
    )
    return [
        Scenario("baseline_start", "baseline: bare FastAPI `async def` route (start of run)", baseline),
        Scenario("list", f"list: 20 of {LIST_TASKS} tasks, default sort", listing),
        Scenario("floor", f"floor of the list (`bench/floor.py`): the same 20 rows, {FLOOR_LEFT_OUT}", floor),
        Scenario("get", "get one task", one_task),
        Scenario("create", "create", create),
        Scenario(
            "complete",
            "complete (true/false alternating)",
            writes(fixture, "complete", "complete.lua", fixture.complete_ids),
        ),
        Scenario(
            "replace", "replace (a new title each time)", writes(fixture, "replace", "replace.lua", fixture.replace_ids)
        ),
        Scenario("login", f"login ({LOGIN_CONNECTIONS} connections, bcrypt 12)", login_run(fixture)),
        Scenario(
            "list_login",
            f"list while {LOGIN_CONNECTIONS} clients log in without pause",
            listing,
            background=login_run(fixture),
            background_key="login_background",
            background_title=f"login meanwhile ({LOGIN_CONNECTIONS} connections, a second wrk)",
        ),
        *big,
        *finds,
        Scenario("baseline_end", "baseline: bare FastAPI `async def` route (end of run)", baseline),
    ]


def measure(scenario: Scenario, fixture: Fixture, clock: Clock) -> tuple[WrkResult, WrkResult | None]:
    """Warm up, let the app finish the warm-up's requests, then measure (with the background
    load, if any, under way for a second first) and let the app settle again."""
    wrk.run(scenario.run, WARMUP_SECONDS)
    fixture.settler.wait()
    load = wrk.Background(scenario.background, MEASURE_SECONDS + 2) if scenario.background else None
    try:
        if load:
            time.sleep(1)
        result = wrk.run(scenario.run)
        behind = load.result() if load else None
    finally:
        if load:
            load.stop()
    settled = fixture.settler.wait()
    clock.log(
        f"{scenario.title}: {summary(result)}" + (f" (the app was busy {settled:.1f} s after)" if settled > 1 else "")
    )
    if behind:
        clock.log(f"{scenario.background_title}: {summary(behind)}")
    return result, behind


def summary(result: WrkResult) -> str:
    text = (
        f"{result.rps:,.1f} req/s, p50 {report.milliseconds(result.p50_us)}, p99 {report.milliseconds(result.p99_us)}"
    )
    text += f", {result.non2xx} non-2xx" if result.non2xx else ""
    return text + (f", {result.socket_errors} socket errors" if result.socket_errors else "")


def run_scenarios(fixture: Fixture, clock: Clock) -> Measured:
    rows: list[Row] = []
    results: dict[str, WrkResult] = {}
    baselines: dict[str, WrkResult] = {}
    every = scenarios(fixture)
    baseline_run = every[0].run
    before: WrkResult | None = None
    for scenario in every:
        fixture.app.check_alive()
        if scenario.key.startswith("baseline"):
            results[scenario.key], _ = measure(scenario, fixture, clock)
            rows.append(Row(scenario.title, results[scenario.key]))
            continue
        before = before or wrk.run(baseline_run, ADJACENT_BASELINE_SECONDS)
        results[scenario.key], behind = measure(scenario, fixture, clock)
        after = wrk.run(baseline_run, ADJACENT_BASELINE_SECONDS)
        adjacent = baselines[scenario.key] = _mean_of(before, after)
        rows.append(Row(scenario.title, results[scenario.key], adjacent))
        if behind:
            results[scenario.background_key] = behind
            rows.append(Row(scenario.background_title, behind, adjacent))
        before = after  # the next scenario's "before"
    return Measured(rows, results, baselines)


def _mean_of(first: WrkResult, second: WrkResult) -> WrkResult:
    """The two baseline runs around a scenario as one: their requests over their time."""
    return replace(first, requests=first.requests + second.requests, duration_us=first.duration_us + second.duration_us)


# --- targets and report -----------------------------------------------------------------


NO_ANSWER = "no response"


def ratio_target(measured: Measured, key: str, name: str, goal: float) -> Target:
    value = measured.ratio(key)
    return Target(f"{name}: ratio to baseline", f"{value:.3f}", f">= {goal}", value >= goal)


def latency_factor_target(name: str, value: WrkResult, reference: WrkResult, p99: bool, goal: float) -> Target:
    """`value`'s p50 (or p99) over `reference`'s; missed when either run had no response at all."""
    if not (value.requests and reference.requests):
        return Target(name, NO_ANSWER, f"<= {goal}x", False)
    factor = value.p99_us / reference.p99_us if p99 else value.p50_us / reference.p50_us
    return Target(name, f"{factor:.2f}x", f"<= {goal}x", factor <= goal)


def list_p99_target(listing: WrkResult) -> Target:
    goal = f"< {LIST_MAX_P99_MS} ms"
    if not listing.requests:
        return Target("list: p99", NO_ANSWER, goal, False)
    return Target("list: p99", report.milliseconds(listing.p99_us), goal, listing.p99_us < LIST_MAX_P99_MS * 1000)


def targets(measured: Measured, peak_rss_kb: int) -> list[Target]:
    results = measured.results
    found = [
        ratio_target(measured, "list", "list", LIST_MIN_RATIO),
        list_p99_target(results["list"]),
        ratio_target(measured, "get", "get one", GET_MIN_RATIO),
        ratio_target(measured, "create", "create", WRITE_MIN_RATIO),
        ratio_target(measured, "complete", "complete", WRITE_MIN_RATIO),
        ratio_target(measured, "replace", "replace", WRITE_MIN_RATIO),
    ]
    found += [
        latency_factor_target(
            f"{BIG_TASKS:,} tasks, {query}: p50 / list p50", results[key], results["list"], False, BIG_MAX_P50_FACTOR
        )
        for key, query in BIG_QUERIES.items()
    ]
    plain = results[PLAIN_FIRST_PAGE]
    found += [
        latency_factor_target(
            f"{BIG_TASKS:,} tasks, {what}: p50 / plain first page p50", results[key], plain, False, FIND_MAX_P50_FACTOR
        )
        for key, what in [*FIND_QUERIES.items(), ("big_cursor", f"cursor page after {CURSOR_SKIP:,}")]
    ]
    found.append(
        latency_factor_target(
            "list p99 while 4 clients log in / alone",
            results["list_login"],
            results["list"],
            True,
            LOGIN_MAX_P99_FACTOR,
        )
    )
    peak_mb = peak_rss_kb * 1024 / 1e6
    found.append(
        Target(
            "app peak RSS (VmHWM) after the run",
            f"{peak_mb:.1f} MB",
            f"< {MAX_PEAK_RSS_MB} MB",
            peak_mb < MAX_PEAK_RSS_MB,
        )
    )
    failures = sum(row.result.non2xx + row.result.socket_errors for row in measured.rows)
    silent = sum(1 for row in measured.rows if not row.result.requests)
    found.append(
        Target(
            "every response a 2xx, no socket error, every scenario answered",
            f"{failures:,} failed, {silent} silent",
            "0, 0",
            failures == 0 and silent == 0,
        )
    )
    return found


def render(info: RunInfo, measured: Measured, total_seconds: float) -> str:
    start, end = measured.results["baseline_start"].rps, measured.results["baseline_end"].rps
    drift = (end - start) / start * 100
    adjacent = [result.rps for result in measured.baselines.values()]
    peak, current = info.memory["VmHWM"], info.memory["VmRSS"]
    return "\n".join(
        [
            f"**Run:** {info.date} on {info.machine}.",
            "",
            f"**Software:** {info.software}.",
            "",
            f"**Servers:** the app as `make run` starts it (`python main.py`, one uvicorn process, loop "
            f"{info.app_impl['loop']}, HTTP {info.app_impl['http']}, BCRYPT_ROUNDS=12, throttles off); the "
            f"baseline (`bench/baseline.py`) under the same uvicorn settings (loop {info.baseline_impl['loop']}, "
            f"HTTP {info.baseline_impl['http']}).",
            "",
            f"**Load:** wrk, {THREADS} threads, {CONNECTIONS} connections (login: {LOGIN_CONNECTIONS}), "
            f"{WARMUP_SECONDS} s warm-up then {MEASURE_SECONDS} s measured per scenario, on the same cores as the "
            f"servers (1-minute load average {info.load_before:.2f} before the run, {info.load_after:.2f} at its "
            f"end). Each scenario's ratio is to the baseline measured for {ADJACENT_BASELINE_SECONDS} s just "
            f"before it and {ADJACENT_BASELINE_SECONDS} s just after it, taken together ({min(adjacent):,.0f} to "
            f"{max(adjacent):,.0f} req/s in this run; {start:,.0f} at its start and {end:,.0f} at its end, "
            f"{drift:+.1f}%).",
            "",
            report.scenario_table(measured.rows),
            "",
            f"**The list against its floor:** {measured.ratio('list') / measured.ratio('floor'):.2f} of the floor's "
            f"rate; the floor itself is {measured.ratio('floor'):.3f} of the baseline.",
            "",
            f"**App memory** after the whole run: peak RSS (VmHWM) {peak * 1024 / 1e6:.1f} MB, "
            f"current RSS {current * 1024 / 1e6:.1f} MB.",
            "",
            "**Targets** (evaluated in this run):",
            "",
            report.targets_table(targets(measured, peak)),
            "",
            f"**Total run time:** {total_seconds // 60:.0f} min {total_seconds % 60:.0f} s.",
        ]
    )


def publish(text: str, update_readme: bool) -> None:
    RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_PATH.write_text(f"# Benchmark: the latest run of `make bench`\n\n{text}\n")
    print(f"\nwrote {RESULTS_PATH.relative_to(PROJECT_ROOT)}")
    if update_readme:
        if report.update_readme(README_PATH, text):
            print(f"updated the Benchmark section of {README_PATH.name}")
        else:
            print(f"{README_PATH.name} has no {report.README_START} ... {report.README_END} block: left alone")


# --- the whole run ----------------------------------------------------------------------


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(f"signal {signum}")


def _set_signal_handlers(ignore: bool) -> None:
    """Ctrl-C, SIGTERM and SIGHUP unwind the run (so it cleans up), or are ignored meanwhile."""
    signal.signal(signal.SIGINT, signal.SIG_IGN if ignore else signal.default_int_handler)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN if ignore else _interrupt)


def bench(clock: Clock, log_dir: Path) -> tuple[RunInfo, Measured]:
    """Everything that needs the database and the servers; all of it is torn down on the way out."""
    stack = ExitStack()
    servers: list[Server] = []
    try:
        database_url = stack.enter_context(bench_database())
        clock.log("created the bench database")
        app_env = app_environment(database_url)
        migrate(app_env)
        clock.log("applied the migrations (alembic upgrade head)")
        for server in (start_app(app_env, log_dir), start_baseline(log_dir), start_floor(database_url, log_dir)):
            stack.callback(server.stop)
            servers.append(server)
        app, baseline, _floor = servers
        app_impl, baseline_impl = implementations(app.pid), implementations(baseline.pid)
        clock.log(
            f"app (pid {app.pid}) on {app_impl['loop']} + {app_impl['http']}, "
            f"baseline (pid {baseline.pid}) on {baseline_impl['loop']} + {baseline_impl['http']}"
        )
        if {app_impl["loop"], app_impl["http"]} != {"uvloop", "httptools"}:
            clock.log("WARNING: the app is not on uvloop + httptools, as in production: are they installed?")
        settler = Settler(database_url, app.pid)
        stack.callback(settler.close)
        fixture = seed(database_url, servers, settler, clock)
        preflight(fixture, database_url)
        measured = run_scenarios(fixture, clock)
        app.check_alive()
        info = RunInfo(
            date=report.now_utc(),
            machine=report.machine(),
            software=report.software(server_version(database_url), wrk.wrk_version()),
            app_impl=app_impl,
            baseline_impl=baseline_impl,
            memory=memory_kb(app.pid),
            load_before=clock.load_before,
            load_after=os.getloadavg()[0],
        )
        return info, measured
    except Exception:
        for server in servers:
            print(f"--- the last lines of the {server.name} log ---\n{server.log_tail()}", file=sys.stderr)
        raise
    finally:
        _set_signal_handlers(ignore=True)  # a second Ctrl-C must not cut the clean-up short
        stack.close()
        _set_signal_handlers(ignore=False)
        clock.log("cleaned up: servers stopped, bench database dropped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite the README's results block")
    options = parser.parse_args(argv)
    _set_signal_handlers(ignore=False)
    clock = Clock()
    try:
        wrk.ensure_wrk()
        with tempfile.TemporaryDirectory(prefix="todo-bench-") as log_dir:
            info, measured = bench(clock, Path(log_dir))
    except KeyboardInterrupt:
        print("\nbench: interrupted; everything was cleaned up", file=sys.stderr)
        return 130
    except Exception as error:
        print(f"\nbench: failed: {error}", file=sys.stderr)
        return 1
    text = render(info, measured, clock.elapsed)
    print("\n" + text)
    publish(text, update_readme=not options.no_readme)
    return 0


if __name__ == "__main__":
    sys.exit(main())
