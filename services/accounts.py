"""Signing up and logging in."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.security import PasswordHasher
from models.user import LoginRequest, SignupRequest, User
from services.errors import AlreadyTaken, InvalidCredentials
from services.throttle import Throttle


def signup(
    session: Session, data: SignupRequest, hasher: PasswordHasher, throttle: Throttle, client_address: str
) -> User:
    throttle.hit(session, f"signup:{client_address}", throttle.signup)
    # Hash with no transaction open, so bcrypt never holds a pooled connection.
    user = User(username=data.username, email=data.email, hashed_password=hasher.hash(data.password))
    session.add(user)
    try:
        session.commit()
    except IntegrityError:
        # The unique indexes decide races; ask which one we lost to, for the message.
        session.rollback()
        raise AlreadyTaken(_taken_message(session, data.username, data.email)) from None
    return user


def _taken_message(session: Session, username: str, email: str) -> str:
    username_taken = _find_by_username(session, username) is not None
    email_taken = _find_by_email(session, email) is not None
    if username_taken and email_taken:
        return "Username and email are already taken"
    if email_taken:
        return "Email is already registered"
    return "Username is already taken"


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


def _find_by_username(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(func.lower(User.username) == username.lower())).first()


def _find_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(func.lower(User.email) == email.lower())).first()
