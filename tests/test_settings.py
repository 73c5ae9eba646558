from __future__ import annotations

import pytest

from bot.settings import DEFAULT_DATABASE_URL, SettingsError, load_settings, settings_from_mapping


def test_defaults_need_no_slack_account() -> None:
    settings = settings_from_mapping({})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.default_language == "en"
    assert settings.facilitators == frozenset()


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_mapping(
            {
                "SLACK_BOT_TOKEN": "xoxp-user-token",
                "SLACK_APP_TOKEN": "nope",
                "DATABASE_URL": "mysql://x",
                "COLLIDER_DEFAULT_LANGUAGE": "de",
                "COLLIDER_FACILITATORS": "U012AB3CD, alice",
                "COLLIDER_LISTENER_THREADS": "many",
                "SLACK_API_URL": "ftp://x",
                "COLLIDER_TIME_ZONE": "Mars/Olympus_Mons",
            }
        )
    message = str(caught.value)
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "DATABASE_URL",
        "COLLIDER_DEFAULT_LANGUAGE",
        "COLLIDER_FACILITATORS",
        "COLLIDER_LISTENER_THREADS",
        "SLACK_API_URL",
        "COLLIDER_TIME_ZONE",
    ):
        assert name in message
    assert "xoxp-user-token" not in message


def test_postgres_url_must_name_psycopg() -> None:
    with pytest.raises(SettingsError, match="postgresql\\+psycopg"):
        settings_from_mapping({"DATABASE_URL": "postgresql://u@h/db"})


def test_valid_values_are_parsed() -> None:
    settings = settings_from_mapping(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "COLLIDER_FACILITATORS": "U012AB3CD, W0ABCDEF",
            "COLLIDER_DEFAULT_LANGUAGE": "FI",
            "SLACK_API_URL": "http://127.0.0.1:9/api",
            "COLLIDER_TIME_ZONE": "Europe/Stockholm",
        }
    )
    assert settings.time_zone == "Europe/Stockholm"
    assert settings.facilitators == {"U012AB3CD", "W0ABCDEF"}
    assert settings.default_language == "fi"
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert "xoxb-1" not in repr(settings)


def test_slack_connection_requirements_name_the_missing_variables() -> None:
    settings = settings_from_mapping({})
    with pytest.raises(SettingsError) as socket_mode:
        settings.require_slack(http=False)
    assert "SLACK_BOT_TOKEN" in str(socket_mode.value) and "SLACK_APP_TOKEN" in str(
        socket_mode.value
    )
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET"):
        settings.require_slack(http=True)


def test_env_file_is_read_and_the_environment_wins(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "COLLIDER_DEFAULT_LANGUAGE=sv\nCOLLIDER_LOG_LEVEL=DEBUG\n", encoding="utf-8"
    )
    monkeypatch.setenv("COLLIDER_LOG_LEVEL", "WARNING")
    monkeypatch.delenv("COLLIDER_DEFAULT_LANGUAGE", raising=False)
    settings = load_settings(env_file)
    assert settings.default_language == "sv"
    assert settings.log_level == "WARNING"


def test_env_example_lists_every_variable_the_settings_read() -> None:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    source = (root / "bot" / "settings.py").read_text(encoding="utf-8")
    read = set(re.findall(r'"((?:SLACK|DATABASE|COLLIDER)_[A-Z_]*)"', source))
    example = (root / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^([A-Z_]+)=", example, re.MULTILINE))
    assert read == listed


def test_previous_answer_keys_are_validated_and_never_shown() -> None:
    old, older = "o" * 40, "p" * 32
    settings = settings_from_mapping({"COLLIDER_PREVIOUS_ANSWER_KEYS": f" {old} ,, {older} "})
    assert settings.previous_answer_keys == (old, older)
    assert old not in repr(settings) and older not in repr(settings)
    short = "too-short-secret"
    with pytest.raises(SettingsError) as caught:
        settings_from_mapping({"COLLIDER_PREVIOUS_ANSWER_KEYS": f"{old},{short}"})
    message = str(caught.value)
    assert "COLLIDER_PREVIOUS_ANSWER_KEYS" in message and "key 2" in message
    assert short not in message and old not in message
