"""Page cursors: a position in a list, signed so that a client can neither forge nor alter
one, and bound to the query it came from.

A cursor is `<payload>.<mac>` in base64url: the payload is JSON holding a digest of the
query (owner, sort, order, filters) and the position (the sort key of the last item seen);
the MAC is HMAC-SHA256 with a key derived from the signing secret. The position is readable
but carries no authority: the list is always the caller's own. A cursor only tells where to
resume."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from services.errors import CursorMismatch, InvalidCursor

_KEY_LABEL = b"todo-api task list cursor v1"
_MAC_BYTES = 16
_QUERY_DIGEST_BYTES = 12


class CursorCodec:
    def __init__(self, secret: str) -> None:
        # Its own key, so that a cursor's MAC can never double as anything else's signature.
        self._key = hmac.new(secret.encode(), _KEY_LABEL, hashlib.sha256).digest()

    def seal(self, query: str, position: list[Any]) -> str:
        payload = json.dumps([_digest(query), position], separators=(",", ":"), ensure_ascii=False).encode()
        return f"{_encode(payload)}.{_encode(self._mac(payload))}"

    def open(self, query: str, cursor: str) -> list[Any]:
        """The position sealed in `cursor`; InvalidCursor unless it is intact and was
        issued for this same `query`."""
        try:
            encoded_payload, encoded_mac = cursor.split(".")
            payload, mac = _decode(encoded_payload), _decode(encoded_mac)
        except (ValueError, binascii.Error):
            raise InvalidCursor from None
        if not hmac.compare_digest(mac, self._mac(payload)):
            raise InvalidCursor
        digest, position = json.loads(payload)  # ours, since the MAC matched
        if digest != _digest(query):
            raise CursorMismatch
        return list(position)

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_MAC_BYTES]


def _digest(query: str) -> str:
    return _encode(hashlib.sha256(query.encode()).digest()[:_QUERY_DIGEST_BYTES])


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    # Only the one spelling we issue: base64 ignores a last character's spare bits, so a
    # changed last character could otherwise decode to the same bytes.
    if not data or _encode(data) != text:
        raise ValueError("not a cursor part")
    return data
