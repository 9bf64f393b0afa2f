"""How log lines look: one JSON object per line (the default), or plain text for humans.
Used for every logger of the process, uvicorn's included (see `logging_config`)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

# What a record carries beyond its message: `logger.info(..., extra={FIELDS: {...}})`.
FIELDS = "fields"
LOG_FORMATS = ("json", "text")


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, FIELDS, None) or {})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"), default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = f"{_timestamp(record)} {record.levelname} {record.name} {record.getMessage()}"
        fields = getattr(record, FIELDS, None)
        if fields:
            text += "".join(f" {name}={value}" for name, value in fields.items() if value is not None)
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` for the whole process, given to uvicorn as `log_config`
    so that its own lines (start-up, errors) look like ours. Uvicorn's access log stays off:
    core/request_log.py writes the one line per request."""
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    handler = {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stdout"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
