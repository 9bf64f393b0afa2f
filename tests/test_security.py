"""core.security: the token service's remembered verifications never outlive the token."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest

from core.security import InvalidTokenError, TokenService
from tests.support import TEST_SECRET, make_token


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    tokens = TokenService(TEST_SECRET, expire_minutes=60)
    token = make_token(str(uuid.uuid4()), expires_in=timedelta(seconds=1))
    assert tokens.decode(token).expires_at > time.time()  # verified and remembered

    time.sleep(1.2)

    with pytest.raises(InvalidTokenError):
        tokens.decode(token)


def test_a_refused_token_is_not_remembered_as_valid() -> None:
    tokens = TokenService(TEST_SECRET, expire_minutes=60)
    forged = make_token(str(uuid.uuid4()), secret="another-secret-of-at-least-32-bytes!")

    for _ in range(2):
        with pytest.raises(InvalidTokenError):
            tokens.decode(forged)


def test_the_same_token_decodes_to_the_same_claims_every_time() -> None:
    tokens = TokenService(TEST_SECRET, expire_minutes=60)
    subject, session_id = uuid.uuid4(), uuid.uuid4()
    token = tokens.issue(subject, session_id)

    assert tokens.decode(token) == tokens.decode(token)
    assert (tokens.decode(token).subject, tokens.decode(token).session_id) == (subject, session_id)
