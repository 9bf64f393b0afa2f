"""Typed settings, read once from the environment and `.env` (the environment wins)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

from dotenv import dotenv_values

from core.log_format import LOG_FORMATS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "todo.sqlite3"
MIN_SECRET_BYTES = 32
MAX_TRASH_RETENTION_DAYS = 36_500
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(ValueError):
    """A setting is missing or invalid; the service refuses to start."""


def read_environment(env_file: Path | None = PROJECT_ROOT / ".env") -> dict[str, str]:
    """The process environment layered over the `.env` file, if there is one."""
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ)
    return values


def normalize_database_url(url: str) -> str:
    # Plain `postgresql://` (what Neon's console shows) means psycopg 3 to SQLAlchemy 2.1,
    # and `postgres://` means nothing to it; both go to psycopg2, the driver we install.
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg2://" + url[len(scheme) :]
    return url


def database_url(env: Mapping[str, str]) -> str:
    raw = env.get("DATABASE_URL", "").strip()
    return normalize_database_url(raw) if raw else f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _int(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value not in _TRUE + _FALSE:
        raise ConfigError(f"{name} must be true or false, got {raw!r}")
    return value in _TRUE


def parse_networks(env: Mapping[str, str], name: str) -> tuple[IPv4Network | IPv6Network, ...]:
    networks = []
    for item in env.get(name, "").split(","):
        if item.strip():
            try:
                networks.append(ip_network(item.strip(), strict=False))
            except ValueError:
                raise ConfigError(f"{name}: {item.strip()!r} is not an IP address or network") from None
    return tuple(networks)


@dataclass(frozen=True, kw_only=True)
class Settings:
    database_url: str
    secret: str
    jwt_expire_minutes: int = 10080
    refresh_expire_days: int = 30
    cors_origins: tuple[str, ...] = ("http://localhost:3000", "http://localhost:5173")
    max_body_bytes: int = 1024 * 1024
    bcrypt_rounds: int = 12
    host: str = "127.0.0.1"
    port: int = 8000
    # `python main.py serve` (make serve) only: uvicorn processes, and the peers whose
    # X-Forwarded-For and X-Forwarded-Proto uvicorn believes (none when empty).
    workers: int = 2
    forwarded_allow_ips: tuple[IPv4Network | IPv6Network, ...] = (IPv4Network("127.0.0.1/32"),)
    login_max_failures: int = 5
    login_window_seconds: int = 900
    signup_max_per_ip: int = 20
    signup_window_seconds: int = 3600
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = ()
    log_format: str = "json"
    log_level: str = "INFO"
    # Task writes without If-Match are a 428, so that no client can overwrite blindly.
    require_if_match: bool = False
    # How long a deleted task stays restorable; also how old a sync token may be. Fractions
    # are allowed (0.0001 days is about 9 seconds).
    trash_retention_days: float = 30.0

    def __post_init__(self) -> None:
        if not self.secret:
            raise ConfigError(
                "BETTER_AUTH_SECRET is not set: put a random value of at least "
                f"{MIN_SECRET_BYTES} bytes in the environment or in .env (`make run` generates one)"
            )
        if len(self.secret.encode()) < MIN_SECRET_BYTES:
            raise ConfigError(f"BETTER_AUTH_SECRET must be at least {MIN_SECRET_BYTES} bytes long")
        if not 4 <= self.bcrypt_rounds <= 31:
            raise ConfigError("BCRYPT_ROUNDS must be between 4 and 31")
        if not 0 < self.trash_retention_days <= MAX_TRASH_RETENTION_DAYS:  # also refuses NaN
            raise ConfigError(
                f"TRASH_RETENTION_DAYS must be above 0 and at most {MAX_TRASH_RETENTION_DAYS}, "
                f"got {self.trash_retention_days}"
            )
        if self.log_format not in LOG_FORMATS:
            raise ConfigError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, got {self.log_format!r}")
        if self.log_level not in LOG_LEVELS:
            raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {self.log_level!r}")

    @property
    def trash_retention(self) -> timedelta:
        return timedelta(days=self.trash_retention_days)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = read_environment() if env is None else env
        origins = env.get("CORS_ORIGINS")
        return cls(
            database_url=database_url(env),
            secret=env.get("BETTER_AUTH_SECRET", ""),
            jwt_expire_minutes=_int(env, "JWT_EXPIRE_MINUTES", 10080, minimum=1),
            refresh_expire_days=_int(env, "REFRESH_EXPIRE_DAYS", 30, minimum=1),
            cors_origins=(
                tuple(o.strip().rstrip("/") for o in origins.split(",") if o.strip())
                if origins is not None
                else cls.cors_origins
            ),
            max_body_bytes=_int(env, "MAX_BODY_BYTES", 1024 * 1024, minimum=1),
            bcrypt_rounds=_int(env, "BCRYPT_ROUNDS", 12, minimum=4),
            host=env.get("HOST", "").strip() or "127.0.0.1",
            port=_int(env, "PORT", 8000, minimum=1),
            workers=_int(env, "WORKERS", 2, minimum=1),
            forwarded_allow_ips=(
                parse_networks(env, "FORWARDED_ALLOW_IPS") if "FORWARDED_ALLOW_IPS" in env else cls.forwarded_allow_ips
            ),
            login_max_failures=_int(env, "LOGIN_MAX_FAILURES", 5, minimum=0),
            login_window_seconds=_int(env, "LOGIN_WINDOW_SECONDS", 900, minimum=1),
            signup_max_per_ip=_int(env, "SIGNUP_MAX_PER_IP", 20, minimum=0),
            signup_window_seconds=_int(env, "SIGNUP_WINDOW_SECONDS", 3600, minimum=1),
            trusted_proxies=parse_networks(env, "TRUSTED_PROXIES"),
            log_format=env.get("LOG_FORMAT", "").strip().lower() or "json",
            log_level=env.get("LOG_LEVEL", "").strip().upper() or "INFO",
            require_if_match=_bool(env, "REQUIRE_IF_MATCH", False),
            trash_retention_days=_float(env, "TRASH_RETENTION_DAYS", 30.0),
        )

    def __repr__(self) -> str:  # never print the secret or database password
        return f"Settings(database={self.database_backend}, cors_origins={self.cors_origins})"

    @property
    def database_backend(self) -> str:
        return "sqlite" if self.is_sqlite else "postgresql"
