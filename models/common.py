"""Column and field types shared by the tables and the API schemas."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    GetJsonSchemaHandler,
    PlainSerializer,
    StrictStr,
    WithJsonSchema,
)
from pydantic.config import JsonDict
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema
from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def utc_now() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no offset of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    # Always microseconds and a `Z`: the contract wants at least millisecond precision,
    # and Pydantic's default drops the fraction when it is zero. Printf-style: half the time
    # of `isoformat(timespec=...)` or of an f-string's format specs, and a page of tasks
    # formats 40 to 80 of these.
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (  # noqa: UP031
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
    )


_TIMESTAMP_SCHEMA = {"type": "string", "format": "date-time", "examples": ["2026-01-18T10:00:00.000000Z"]}
Timestamp = Annotated[
    datetime,
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
    WithJsonSchema(_TIMESTAMP_SCHEMA),
]


_DATE_TIME_START = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d")


def _text_only(value: object) -> object:
    # Pydantic would take a number, or a string of digits, as seconds since 1970; the
    # document promises an RFC 3339 date-time.
    if not isinstance(value, datetime) and not (isinstance(value, str) and _DATE_TIME_START.match(value)):
        raise ValueError("must be an RFC 3339 date-time string with an offset")
    return value


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise ValueError("is out of range") from None


# A timestamp a client sends: with an offset (a naive one is ambiguous), kept in UTC.
InputTimestamp = Annotated[
    AwareDatetime,
    BeforeValidator(_text_only),
    AfterValidator(_in_utc),
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
    WithJsonSchema(_TIMESTAMP_SCHEMA),
]


def partial_update_schema(nullable: frozenset[str], example: JsonDict) -> Callable[[JsonDict], None]:
    """For a model of optional fields of which at least one must be given and only those in
    `nullable` may be null (a validator enforces it): the JSON Schema that says the same."""

    def adjust(schema: JsonDict) -> None:
        properties = schema["properties"]
        assert isinstance(properties, dict)
        for name, prop in list(properties.items()):
            assert isinstance(prop, dict)
            prop.pop("default", None)
            choices = prop.get("anyOf")
            if name in nullable or not isinstance(choices, list):
                continue
            kept = [choice for choice in choices if choice != {"type": "null"}]
            rest: JsonDict = {key: value for key, value in prop.items() if key != "anyOf"}
            only = kept[0] if len(kept) == 1 and isinstance(kept[0], dict) else {"anyOf": kept}
            properties[name] = {**rest, **only}
        schema["anyOf"] = [{"required": [name]} for name in properties]  # at least one of them
        schema["examples"] = [example]

    return adjust


def _storable(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and a lone surrogate cannot be encoded to UTF-8:
    # both must be a 400 here rather than a database error later.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode()
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


# Apply after any length rule: constraints placed after a validator see the raw input.
Storable = AfterValidator(_storable)


class SchemaKeys:
    """Documentation only: keys added to (or dropped from) a type's JSON schema, for rules
    that a validator enforces and Pydantic cannot describe. Validation is unchanged."""

    def __init__(self, add: dict[str, Any], drop: tuple[str, ...] = ()) -> None:
        self.add = add
        self.drop = drop

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        for key in self.drop:
            schema.pop(key, None)
        schema.update(self.add)
        return schema


# What `Storable` refuses, as far as JSON Schema can say it: a NUL anywhere. (An unpaired
# surrogate cannot be sent as valid UTF-8 at all; as a `\ud800` escape it is refused too.)
NUL_FREE_PATTERN = r"^[^\u0000]*$"
NulFree = SchemaKeys({"pattern": NUL_FREE_PATTERN})
CleanStr = Annotated[StrictStr, Storable, NulFree]


def exists_on(schema_item: object, dialect: str) -> bool:
    """Whether a table's index (or other item) is created on `dialect`: false for one
    declared with `.ddl_if(dialect=...)` for another database. For comparing the models with
    a migrated database (Alembic's `include_object`)."""
    condition = getattr(schema_item, "_ddl_if", None)
    return condition is None or condition.dialect in (None, dialect)
