"""Settings: every key documented in .env.example, bad values refused with the key named."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_env_example_documents_every_setting() -> None:
    lines = (ROOT / ".env.example").read_text().splitlines()
    keys = {line.split("=", 1)[0].lower() for line in lines if line and not line.startswith("#")}
    fields = set(Settings.model_fields)
    assert keys == fields, f"undocumented: {fields - keys}; unknown: {keys - fields}"
    for index, line in enumerate(lines):
        if line and not line.startswith("#"):
            assert lines[index - 1].startswith("#") or "=" in lines[index - 1], line


def test_env_example_values_are_valid() -> None:
    Settings(_env_file=ROOT / ".env.example")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [("default_language", "fr", "DEFAULT_LANGUAGE"), ("timezone", "Mars/Olympus", "TIMEZONE")],
)
def test_bad_values_name_the_key(key: str, value: str, named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        Settings(_env_file=None, **{key: value})  # type: ignore[call-arg]


def test_no_fixed_secret_key_by_default() -> None:
    """Empty means: generated and kept in the database on first start (tests/api)."""
    assert Settings(_env_file=None).secret_key == ""  # type: ignore[call-arg]
    old_default = Settings(_env_file=None, secret_key="dev-secret-change-me")  # type: ignore[call-arg]
    assert old_default.secret_key == ""
