"""core.config: settings come from the environment layered over `.env`, and the service refuses
to start without a usable signing secret."""

from __future__ import annotations

from ipaddress import ip_network
from pathlib import Path

import pytest

from core.config import DEFAULT_SQLITE_PATH, ConfigError, Settings, read_environment

SECRET = "a-perfectly-good-secret-of-40-bytes-0001"
DEFAULT_ORIGINS = ("http://localhost:3000", "http://localhost:5173")


def from_env(**env: str) -> Settings:
    return Settings.from_env({"BETTER_AUTH_SECRET": SECRET, **env})


# --- the signing secret ------------------------------------------------------------------


def test_settings_refuse_a_missing_secret() -> None:
    with pytest.raises(ConfigError, match="BETTER_AUTH_SECRET"):
        Settings.from_env({})


def test_settings_refuse_an_empty_secret() -> None:
    with pytest.raises(ConfigError):
        Settings(database_url="sqlite://", secret="")


def test_settings_refuse_a_secret_of_31_bytes() -> None:
    with pytest.raises(ConfigError, match="32 bytes"):
        Settings(database_url="sqlite://", secret="s" * 31)


def test_settings_accept_a_secret_of_32_bytes() -> None:
    assert Settings(database_url="sqlite://", secret="s" * 32).secret == "s" * 32


def test_the_secret_length_is_counted_in_bytes_not_characters() -> None:
    Settings(database_url="sqlite://", secret="é" * 16)  # 16 characters, 32 bytes

    with pytest.raises(ConfigError):
        Settings(database_url="sqlite://", secret="é" * 15 + "s")  # 16 characters, 31 bytes


def test_the_config_error_does_not_show_the_rejected_secret() -> None:
    with pytest.raises(ConfigError) as refused:
        Settings(database_url="sqlite://", secret="too-short-Leaky-secret")

    assert "Leaky" not in str(refused.value)


# --- the database URL --------------------------------------------------------------------


def test_from_env_reads_database_url() -> None:
    assert from_env(DATABASE_URL="sqlite:////srv/todo.sqlite3").database_url == "sqlite:////srv/todo.sqlite3"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db.example:5432/todo", "postgresql+psycopg2://u:p@db.example:5432/todo"),
        ("postgresql://u:p@db.example:5432/todo", "postgresql+psycopg2://u:p@db.example:5432/todo"),
        ("postgresql+psycopg2://u:p@db.example:5432/todo", "postgresql+psycopg2://u:p@db.example:5432/todo"),
        (
            "postgresql://u:p@ep-x.neon.tech/todo?sslmode=require",
            "postgresql+psycopg2://u:p@ep-x.neon.tech/todo?sslmode=require",
        ),
    ],
    ids=["postgres", "postgresql", "postgresql+psycopg2", "neon-with-sslmode"],
)
def test_from_env_sends_every_postgresql_url_to_psycopg2(given: str, expected: str) -> None:
    assert from_env(DATABASE_URL=given).database_url == expected


@pytest.mark.parametrize("env", [{}, {"DATABASE_URL": ""}, {"DATABASE_URL": "   "}], ids=["unset", "empty", "blank"])
def test_the_default_database_is_an_sqlite_file_in_the_project(env: dict[str, str]) -> None:
    settings = from_env(**env)

    assert settings.database_url == f"sqlite:///{DEFAULT_SQLITE_PATH}"
    assert settings.is_sqlite


# --- CORS origins ------------------------------------------------------------------------


def test_cors_origins_default_to_the_two_local_dev_servers() -> None:
    assert from_env().cors_origins == DEFAULT_ORIGINS


def test_cors_origins_are_a_comma_separated_list() -> None:
    origins = from_env(CORS_ORIGINS="https://app.example,https://admin.example").cors_origins

    assert origins == ("https://app.example", "https://admin.example")


def test_cors_origins_ignore_spaces_empty_entries_and_trailing_slashes() -> None:
    origins = from_env(CORS_ORIGINS=" https://app.example/ , ,https://admin.example,").cors_origins

    assert origins == ("https://app.example", "https://admin.example")


# --- other numbers -----------------------------------------------------------------------


def test_from_env_reads_the_token_lifetime_and_body_limit() -> None:
    settings = from_env(JWT_EXPIRE_MINUTES="60", MAX_BODY_BYTES="2048")

    assert (settings.jwt_expire_minutes, settings.max_body_bytes) == (60, 2048)


@pytest.mark.parametrize(
    ("name", "value"),
    [("JWT_EXPIRE_MINUTES", "a week"), ("JWT_EXPIRE_MINUTES", "0"), ("MAX_BODY_BYTES", "-1"), ("BCRYPT_ROUNDS", "3")],
)
def test_from_env_refuses_a_number_that_is_not_a_number_or_out_of_range(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        from_env(**{name: value})


# --- the environment over .env -----------------------------------------------------------


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    path = tmp_path / ".env"
    path.write_text(
        f"BETTER_AUTH_SECRET={SECRET}\nDATABASE_URL=postgres://from-file@db.example/todo\nJWT_EXPIRE_MINUTES=30\n"
    )
    return path


def test_the_environment_wins_over_the_env_file(env_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://from-environment@db.example/todo")

    settings = Settings.from_env(read_environment(env_file))

    assert settings.database_url == "postgresql+psycopg2://from-environment@db.example/todo"


def test_the_env_file_fills_in_what_the_environment_lacks(env_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BETTER_AUTH_SECRET", "DATABASE_URL", "JWT_EXPIRE_MINUTES"):
        monkeypatch.delenv(name, raising=False)

    settings = Settings.from_env(read_environment(env_file))

    assert settings.secret == SECRET
    assert settings.database_url == "postgresql+psycopg2://from-file@db.example/todo"
    assert settings.jwt_expire_minutes == 30


def test_a_missing_env_file_means_the_environment_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:////srv/only-env.sqlite3")

    values = read_environment(tmp_path / "no-such.env")

    assert values["DATABASE_URL"] == "sqlite:////srv/only-env.sqlite3"


# --- the secret stays secret ----------------------------------------------------------------


def test_repr_of_settings_shows_neither_the_secret_nor_the_database_password() -> None:
    settings = from_env(DATABASE_URL="postgresql://todo:Leaky-db-password@db.example/todo")

    for shown in (repr(settings), str(settings), f"{settings}"):
        assert SECRET not in shown
        assert "Leaky-db-password" not in shown


# --- logging -----------------------------------------------------------------------------


def test_logs_are_json_lines_at_info_by_default() -> None:
    settings = from_env()

    assert (settings.log_format, settings.log_level) == ("json", "INFO")


def test_log_format_and_level_are_read_case_insensitively() -> None:
    settings = from_env(LOG_FORMAT="Text", LOG_LEVEL="warning")

    assert (settings.log_format, settings.log_level) == ("text", "WARNING")


@pytest.mark.parametrize(("name", "value"), [("LOG_FORMAT", "xml"), ("LOG_LEVEL", "LOUD")])
def test_an_unknown_log_format_or_level_refuses_to_start(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        from_env(**{name: value})


def test_if_match_is_not_required_by_default() -> None:
    assert Settings.from_env({"BETTER_AUTH_SECRET": SECRET}).require_if_match is False


@pytest.mark.parametrize(
    ("value", "expected"), [("true", True), ("1", True), ("YES", True), ("false", False), ("0", False)]
)
def test_require_if_match_reads_a_boolean(value: str, expected: bool) -> None:
    settings = Settings.from_env({"BETTER_AUTH_SECRET": SECRET, "REQUIRE_IF_MATCH": value})

    assert settings.require_if_match is expected


def test_require_if_match_that_is_not_a_boolean_refuses_to_start() -> None:
    with pytest.raises(ConfigError, match="REQUIRE_IF_MATCH"):
        Settings.from_env({"BETTER_AUTH_SECRET": SECRET, "REQUIRE_IF_MATCH": "sometimes"})


# --- make serve: workers and trusted proxies ------------------------------------------------


def test_serve_runs_two_workers_and_trusts_only_the_local_proxy_by_default() -> None:
    settings = from_env()

    assert settings.workers == 2
    assert settings.forwarded_allow_ips == (ip_network("127.0.0.1/32"),)


def test_from_env_reads_the_number_of_workers() -> None:
    assert from_env(WORKERS="4").workers == 4


@pytest.mark.parametrize("value", ["0", "-2", "two"])
def test_a_number_of_workers_below_one_or_not_a_number_refuses_to_start(value: str) -> None:
    with pytest.raises(ConfigError, match="WORKERS"):
        from_env(WORKERS=value)


def test_forwarded_allow_ips_are_a_comma_separated_list_of_addresses_and_networks() -> None:
    settings = from_env(FORWARDED_ALLOW_IPS=" 10.0.0.0/8, 192.0.2.7 ,::1")

    assert settings.forwarded_allow_ips == (ip_network("10.0.0.0/8"), ip_network("192.0.2.7"), ip_network("::1"))


def test_an_empty_forwarded_allow_ips_trusts_no_peer() -> None:
    assert from_env(FORWARDED_ALLOW_IPS="").forwarded_allow_ips == ()


@pytest.mark.parametrize("value", ["*", "proxy.example", "127.0.0.1,10.0.0.0/33"])
def test_forwarded_allow_ips_other_than_addresses_and_networks_refuse_to_start(value: str) -> None:
    with pytest.raises(ConfigError, match="FORWARDED_ALLOW_IPS"):
        from_env(FORWARDED_ALLOW_IPS=value)
