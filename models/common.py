"""Column and field types shared by the tables and the API schemas."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, GetJsonSchemaHandler, PlainSerializer, StrictStr, WithJsonSchema
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
    # and Pydantic's default drops the fraction when it is zero.
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


Timestamp = Annotated[
    datetime,
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-01-18T10:00:00.000000Z"]}),
]


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
