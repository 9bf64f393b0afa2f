"""Entity tags and the conditional request headers that carry them (RFC 9110, 8.8.3 and 13.1).

A task's tag is its `version` in quotes (`"3"`), a strong tag: two answers with the same one
are the same bytes. A list's tag is weak (`W/"..."`): a digest of what the page depends on."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

# One entity tag: an optional W/ and an opaque quoted string of visible characters but `"`.
_ENTITY_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)')


# The same grammar for a whole header, as the OpenAPI document states it (ASCII only there).
_TAG = r'(W/)?"[\x21\x23-\x7e]*"'
ENTITY_TAGS_PATTERN = rf"^\s*(\*|{_TAG}(\s*,\s*{_TAG})*)\s*$"


class MalformedConditionalHeader(ValueError):
    """An If-Match or If-None-Match that is neither `*` nor a list of entity tags."""


@dataclass(frozen=True)
class EntityTags:
    """A parsed If-Match or If-None-Match: `*`, or a list of (opaque tag, is weak)."""

    any: bool
    tags: tuple[tuple[str, bool], ...] = ()

    def weak_matches(self, opaque: str) -> bool:
        """If-None-Match's weak comparison: `W/"3"` and `"3"` are the same."""
        return self.any or any(tag == opaque for tag, _weak in self.tags)

    def strong_versions(self) -> frozenset[int]:
        """The task versions the strong tags name (a tag that is not one names none): what
        If-Match's strong comparison can match, since a weak tag never does."""
        return frozenset(int(tag) for tag, weak in self.tags if not weak and tag.isdigit() and len(tag) < 19)


def parse_entity_tags(header: str) -> EntityTags:
    value = header.strip()
    if value == "*":
        return EntityTags(any=True)
    tags: list[tuple[str, bool]] = []
    position = 0
    while position < len(value):
        match = _ENTITY_TAG.match(value, position)
        if match is None:
            raise MalformedConditionalHeader(header)
        tags.append((match.group(2), match.group(1) is not None))
        position = match.end()
    if not tags:
        raise MalformedConditionalHeader(header)
    return EntityTags(any=False, tags=tuple(tags))


def version_tag(version: int) -> str:
    """A task's ETag."""
    return f'"{version}"'


def weak_digest_tag(*parts: object, ids: Iterable[uuid.UUID] = ()) -> str:
    """A weak ETag from what a representation depends on: `parts` as text, and `ids` (the
    tasks of a page, say) as their 16 bytes, which is cheaper than their text."""
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode())
    for id_ in ids:
        digest.update(id_.bytes)
    return f'W/"{digest.hexdigest()[:32]}"'
