"""core/log_format.py: JSON lines by default, text for humans, and uvicorn's lines alike."""

from __future__ import annotations

import json
import logging
import logging.config
import sys
from collections.abc import Iterator

import pytest

from core.log_format import FIELDS, JsonFormatter, TextFormatter, logging_config


def record(message: str = "GET %s %d", *args: object, **fields: object) -> logging.LogRecord:
    made = logging.LogRecord("todo.request", logging.INFO, __file__, 1, message, args or ("/health", 200), None)
    if fields:
        setattr(made, FIELDS, fields)
    return made


def test_a_json_line_is_one_object_with_time_level_logger_and_message() -> None:
    line = json.loads(JsonFormatter().format(record()))

    assert line["level"] == "info" and line["logger"] == "todo.request"
    assert line["message"] == "GET /health 200"
    assert line["time"].endswith("Z") and "T" in line["time"]


def test_a_json_line_carries_the_record_fields() -> None:
    line = json.loads(JsonFormatter().format(record(request_id="abc", status=200, user_id=None)))

    assert (line["request_id"], line["status"], line["user_id"]) == ("abc", 200, None)


def test_a_json_line_stays_one_line_whatever_the_message_holds() -> None:
    text = JsonFormatter().format(record("odd %s", 'line\nbreak "quoted"'))

    assert "\n" not in text and json.loads(text)["message"] == 'odd line\nbreak "quoted"'


def test_a_json_line_carries_the_exception() -> None:
    try:
        raise RuntimeError("kaboom")
    except RuntimeError:
        failed = logging.LogRecord("todo", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())

    assert "RuntimeError: kaboom" in json.loads(JsonFormatter().format(failed))["exception"]


def test_a_text_line_shows_the_fields_that_are_set_as_key_value() -> None:
    text = TextFormatter().format(record(request_id="abc", status=200, user_id=None))

    assert text.endswith("INFO todo.request GET /health 200 request_id=abc status=200")


@pytest.fixture
def configured_logging() -> Iterator[None]:
    saved = {name: (logger.handlers[:], logger.level, logger.propagate) for name, logger in _loggers().items()}
    yield
    for name, (handlers, level, propagate) in saved.items():
        logger = logging.getLogger(name or None)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


CONFIGURED_LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access")  # "" is the root logger


def _loggers() -> dict[str, logging.Logger]:
    return {name: logging.getLogger(name or None) for name in CONFIGURED_LOGGERS}


@pytest.mark.usefixtures("configured_logging")
def test_uvicorn_lines_go_through_our_format_and_its_access_log_is_silent(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logging.config.dictConfig(logging_config("json", "INFO"))

    logging.getLogger("uvicorn.error").info("Application startup complete.")
    logging.getLogger("uvicorn.access").info("127.0.0.1 - GET / 200")

    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["message"] for line in lines] == ["Application startup complete."]
