"""Accounts: signing up, logging in, changing the password or the profile, leaving."""

from __future__ import annotations

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.security import PasswordHasher, TokenClaims
from models.user import AccountDeletion, ChangePasswordRequest, LoginRequest, ProfileUpdate, SignupRequest, User
from services import sessions
from services.errors import AlreadyTaken, InvalidCredentials, WrongPassword
from services.sessions import Grant, SessionStart
from services.throttle import Throttle


def signup(
    session: Session,
    data: SignupRequest,
    hasher: PasswordHasher,
    throttle: Throttle,
    client_address: str,
    start: SessionStart,
) -> Grant:
    """The account and its first session, in one transaction."""
    throttle.hit(session, f"signup:{client_address}", throttle.signup)
    # Hash with no transaction open, so bcrypt never holds a pooled connection.
    user = User(username=data.username, email=data.email, hashed_password=hasher.hash(data.password))
    session.add(user)
    try:
        session.flush()
        grant = sessions.start(session, user, start)
        session.commit()
    except IntegrityError:
        # The unique indexes decide races; ask which one we lost to, for the message.
        session.rollback()
        raise AlreadyTaken(_taken_message(session, data.username, data.email)) from None
    return grant


def _taken_message(
    session: Session, username: str | None, email: str | None, besides: TokenClaims | None = None
) -> str:
    def taken(user: User | None) -> bool:
        return user is not None and (besides is None or user.id != besides.subject)

    username_taken = username is not None and taken(_find_by_username(session, username))
    email_taken = email is not None and taken(_find_by_email(session, email))
    if username_taken and email_taken:
        return "Username and email are already taken"
    if email_taken:
        return "Email is already registered"
    return "Username is already taken"


def login(
    session: Session, data: LoginRequest, hasher: PasswordHasher, throttle: Throttle, start: SessionStart
) -> Grant:
    user = authenticate(session, data, hasher, throttle)
    try:
        grant = sessions.start(session, user, start)
        session.commit()
    except IntegrityError:  # the account was deleted while its password was being checked
        session.rollback()
        raise InvalidCredentials from None
    return grant


def authenticate(session: Session, data: LoginRequest, hasher: PasswordHasher, throttle: Throttle) -> User:
    identifier = data.username_or_email
    user = _find_by_email(session, identifier) if "@" in identifier else _find_by_username(session, identifier)
    # Every attempt counts as a failure until the password proves right, so concurrent
    # guesses cannot slip past the limit. Unknown names are counted too (by name), so
    # the 429 does not tell which accounts exist.
    key = f"login:{user.id}" if user is not None else f"login:?{identifier.lower()}"
    throttle.hit(session, key, throttle.login)
    session.commit()  # end the transaction: the 240 ms verify below must not hold a pooled connection
    if user is None:
        hasher.waste_time()  # an unknown user takes as long as a wrong password
        raise InvalidCredentials
    if not hasher.verify(data.password, user.hashed_password):
        raise InvalidCredentials
    throttle.clear(session, key, throttle.login)
    return user


def change_password(
    session: Session,
    caller: TokenClaims,
    data: ChangePasswordRequest,
    hasher: PasswordHasher,
    throttle: Throttle,
    start: SessionStart,
) -> Grant:
    """A new password and a fresh session; every other session, the caller's own included,
    is revoked, and so is every token without a session."""
    _confirm_password(session, caller, data.current_password, hasher, throttle)
    new_hash = hasher.hash(data.new_password)  # no transaction open meanwhile
    # Read again in the transaction that writes: the token may have been revoked meanwhile.
    user = sessions.live_user(session, caller)
    user.hashed_password = new_hash
    session.add(user)
    sessions.end_all(session, user.id)
    grant = sessions.start(session, user, start)
    session.commit()
    return grant


def update_profile(session: Session, caller: TokenClaims, data: ProfileUpdate) -> User:
    user = sessions.live_user(session, caller)
    if data.username is not None:
        user.username = data.username
    if data.email is not None:
        user.email = data.email
    session.add(user)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise AlreadyTaken(_taken_message(session, data.username, data.email, besides=caller)) from None
    return user


def delete_account(
    session: Session, caller: TokenClaims, data: AccountDeletion, hasher: PasswordHasher, throttle: Throttle
) -> None:
    """The account, and with it (by cascade) its tasks, counters and sessions."""
    user = _confirm_password(session, caller, data.password, hasher, throttle)
    session.execute(delete(User).where(User.id == user.id))  # type: ignore[arg-type]
    session.commit()


def _confirm_password(
    session: Session, caller: TokenClaims, password: str, hasher: PasswordHasher, throttle: Throttle
) -> User:
    """The caller's account once `password` proves right; a wrong one counts as a failed
    login (and the account's login limit applies: 429 while it is locked)."""
    user = sessions.live_user(session, caller)
    key = f"login:{user.id}"
    throttle.hit(session, key, throttle.login)
    session.commit()  # the 240 ms verify below must not hold a pooled connection
    if not hasher.verify(password, user.hashed_password):
        raise WrongPassword
    throttle.clear(session, key, throttle.login)
    return user


def _find_by_username(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(func.lower(User.username) == username.lower())).first()


def _find_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(func.lower(User.email) == email.lower())).first()
