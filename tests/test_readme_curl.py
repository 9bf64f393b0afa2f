"""The README's curl walkthrough, run for real: every ```bash block of README.md, in document
order, as one shell script with real `curl` against a live server on a throwaway PostgreSQL
database. Each curl command names the HTTP status it must answer in the comment that ends it
or follows it (`# 201 ...`); a curl that fails, answers another status or is never reached
fails the test, and so does a route of the app that no walkthrough command calls. The format
is described in an HTML comment at the top of the README's "Endpoints" section."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.config import Settings
from main import create_app
from tests.servers import running_app
from tests.support import PROJECT_ROOT, Database, create_database, drop_database

README = PROJECT_ROOT / "README.md"
# The server the README's examples talk to; the test puts the live server's address in its place.
DOCUMENTED_BASE_URL = "http://127.0.0.1:8000"
RUN_TIMEOUT_SECONDS = 300
BASH_BLOCK = re.compile(r"^```bash\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
CURL_CALL = re.compile(r"(?:^|[\s$(|;&])curl\s")
EXPECTED_STATUS = re.compile(r"#\s*(\d{3})(?!\d)")
VARIABLE = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")
# Every curl of the walkthrough goes through this function: it adds a status line and an exit
# line on standard error, which the test reads back in order.
PRELUDE = r"""set -euo pipefail
curl() {
  local status=0
  command curl --show-error --max-time 30 "$@" --write-out '%{stderr}\nwalkthrough-status %{http_code}\n' || status=$?
  printf 'walkthrough-exit %s\n' "$status" >&2
  return "$status"
}
"""
RECORD = re.compile(r"^walkthrough-(status|exit) (\d+)$", re.MULTILINE)


class WalkthroughFormatError(ValueError):
    """A curl command of the walkthrough does not follow the format the README describes."""


@dataclass(frozen=True)
class Command:
    text: str  # as written, continuation lines included
    expected_status: int

    @property
    def first_line(self) -> str:
        return self.text.splitlines()[0]


def walkthrough(readme: str) -> str:
    """The ```bash blocks of the README, in order, as one script."""
    return "\n".join(block for block in BASH_BLOCK.findall(readme))


def split_comment(line: str) -> tuple[str, str]:
    """(code, comment) of one logical shell line: a `#` that starts a word outside quotes
    starts the comment."""
    quote = None
    escaped = False
    for index, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote is not None:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index], line[index:]
    return line, ""


def logical_lines(script: str) -> list[str]:
    """Physical lines joined where a backslash continues them."""
    lines: list[str] = []
    pending = ""
    for physical in script.splitlines():
        pending += physical
        if physical.endswith("\\"):
            pending += "\n"
            continue
        lines.append(pending)
        pending = ""
    if pending:
        lines.append(pending)
    return lines


def curl_commands(script: str) -> list[Command]:
    """Every curl command of the walkthrough with the status its comment names."""
    commands: list[Command] = []
    problems: list[str] = []
    lines = logical_lines(script)
    for index, line in enumerate(lines):
        code, comment = split_comment(line)
        calls = len(CURL_CALL.findall(code))
        if calls == 0:
            continue
        if calls > 1:
            problems.append(f"more than one curl in one command: {line.splitlines()[0]}")
            continue
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if not comment and following.startswith("#"):
            comment = following
        status = EXPECTED_STATUS.match(comment.strip())
        if status is None:
            problems.append(f"no `# <status>` comment after: {line.splitlines()[0]}")
            continue
        commands.append(Command(line, int(status.group(1))))
    if problems:
        raise WalkthroughFormatError("\n".join(problems))
    return commands


def route_of(command: Command) -> tuple[str, str]:
    """(method, path) the command calls, with every shell variable in the path as `{}`."""
    code, _comment = split_comment(command.text.replace("\\\n", " "))
    words = shlex.split(code)
    start = next(index for index, word in enumerate(words) if word == "curl" or word.endswith("(curl"))
    arguments: list[str] = []
    for word in words[start + 1 :]:
        if word == "|" or word.startswith(")"):
            break
        arguments.append(word)
    url = next(word for word in arguments if word.startswith("$API"))
    path = VARIABLE.sub("{}", url.removeprefix("$API").split("?")[0])
    if "-X" in arguments:
        method = arguments[arguments.index("-X") + 1]
    elif "-G" not in arguments and any(word.startswith(("-d", "--data", "--json")) for word in arguments):
        method = "POST"
    else:
        method = "GET"
    return method.upper(), path


def app_routes(settings: Settings) -> set[tuple[str, str]]:
    paths = create_app(settings).openapi()["paths"]
    return {
        (method.upper(), re.sub(r"\{[^}]+\}", "{}", path))
        for path, operations in paths.items()
        for method in operations
    }


def run_walkthrough(
    script: str, base_url: str, workdir: Path
) -> tuple[subprocess.CompletedProcess[str], list[tuple[int, int]]]:
    """Run it; the (HTTP status, exit code) of each curl, in order."""
    completed = subprocess.run(
        ["bash", "-c", PRELUDE + script.replace(DOCUMENTED_BASE_URL, base_url)],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )
    records = RECORD.findall(completed.stderr)
    calls = []
    for (kind, status), (next_kind, exit_code) in zip(records[::2], records[1::2], strict=False):
        assert (kind, next_kind) == ("status", "exit"), completed.stderr
        calls.append((int(status), int(exit_code)))
    return completed, calls


# --- the format ------------------------------------------------------------------------------


def test_a_status_comment_may_end_the_command_or_follow_it() -> None:
    script = 'curl -s "$API/health"   # 200 ok\ncurl -s -X POST "$API/x" \\\n  -d \'{}\'\n# 201 {"id": 1}\n'

    assert [command.expected_status for command in curl_commands(script)] == [200, 201]


def test_a_hash_inside_quotes_is_not_a_comment() -> None:
    script = 'curl -s -d \'{"title": "# 500 tasks"}\' "$API/x"   # 201\n'

    assert [command.expected_status for command in curl_commands(script)] == [201]


def test_a_curl_without_a_status_comment_is_refused() -> None:
    with pytest.raises(WalkthroughFormatError, match="no `# <status>` comment"):
        curl_commands('curl -s "$API/health"\necho done\n')


def test_the_route_of_a_command_has_its_variables_as_placeholders() -> None:
    (command,) = curl_commands(
        'TASK=$(curl -s -X PATCH "$API/api/$USER_ID/tasks/$TASK_ID?x=1" -H "A: b" \\\n'
        "  | python3 -c 'import sys; print(1)')   # 200\n"
    )

    assert route_of(command) == ("PATCH", "/api/{}/tasks/{}")


def test_every_curl_of_the_readme_walkthrough_names_its_status() -> None:
    script = walkthrough(README.read_text())

    assert DOCUMENTED_BASE_URL in script
    assert len(curl_commands(script)) > 0


def test_every_route_of_the_app_has_a_walkthrough_example(settings: Settings) -> None:
    shown = {route_of(command) for command in curl_commands(walkthrough(README.read_text()))}

    missing = sorted(app_routes(settings) - shown)

    assert missing == [], f"routes without a ```bash example in the README: {missing}"


# --- the walkthrough, live -------------------------------------------------------------------


@pytest.fixture
def live_server(database: Database, tmp_path: Path) -> Iterator[str]:
    if shutil.which("curl") is None:
        pytest.fail("the README walkthrough needs curl on PATH", pytrace=False)
    assert database.admin_url is not None
    name, url = create_database(database.admin_url, prefix="todo_readme")
    try:
        with running_app(url, tmp_path) as base_url:
            yield base_url
    finally:
        drop_database(database.admin_url, name)


@pytest.mark.postgres_only
def test_the_readme_walkthrough_answers_every_status_it_promises(live_server: str, tmp_path: Path) -> None:
    script = walkthrough(README.read_text())
    commands = curl_commands(script)

    completed, calls = run_walkthrough(script, live_server, tmp_path)

    report = "\n".join(
        f"{'ok ' if (status, code) == (command.expected_status, 0) else 'BAD'} expected {command.expected_status}, "
        f"got {status} (curl exit {code}): {command.first_line}"
        for command, (status, code) in zip(commands, calls, strict=False)
    )
    assert completed.returncode == 0 and len(calls) == len(commands), (
        f"the walkthrough stopped after {len(calls)} of {len(commands)} curl commands "
        f"(exit {completed.returncode}):\n{report}\n--- stderr:\n{completed.stderr[-3000:]}"
    )
    assert calls == [(command.expected_status, 0) for command in commands], report
