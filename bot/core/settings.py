"""One settings object, read from the environment and `.env`.

Every key is documented in `.env.example`. Defaults run locally with nothing else
installed: SQLite next to the project, German, Europe/Berlin.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import computed_field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LANGUAGES = ("de", "en", "nl")
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


class Settings(BaseSettings):
    """Stadtbot's configuration; a bad value is refused at start with the key named."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = "sqlite:///./stadtbot.db"
    public_base_url: str = ""
    # Signs the staff pages' CSRF tokens. Empty: a random key is generated on first start
    # and kept in the database (bot/core/keystore.py), so all processes agree.
    secret_key: str = ""
    # Addresses of reverse proxies whose X-Forwarded-For/-Proto are believed (comma-
    # separated IPs or networks, "*" for any). Empty: none, the peer address counts.
    forwarded_allow_ips: str = ""
    timezone: str = "Europe/Berlin"
    default_language: str = "de"
    flow_expiry_minutes: int = 60
    # Flows and NLU data brought in by `stadtbot rasa import` (directories; empty: none).
    extra_flows_dir: str = ""
    extra_nlu_dir: str = ""
    teams_file: str = ""  # staff teams, routing and office hours; empty: bot/teams.yaml
    max_message_chars: int = 4000
    # Anonymous web chat (POST /api/chat and its WebSocket), counted per worker process;
    # 0 switches a limit off. A refusal is a 429 with Retry-After.
    chat_session_messages_per_minute: int = 20
    chat_ip_messages_per_minute: int = 120
    chat_new_sessions_per_ip_per_hour: int = 30
    # Origins whose pages may show /chat in a frame, space-separated; empty: this site only.
    chat_allowed_origins: str = ""
    # Largest request body on any route (413 above it); chat and NLU take far less.
    max_request_bytes: int = 1024 * 1024
    # The city's knowledge pages (Markdown with front matter; empty: the demo pages in
    # actions/data/knowledge/) and the index `stadtbot knowledge index` writes.
    knowledge_dir: str = ""
    knowledge_index: str = "./stadtbot-knowledge.idx"
    # An optional language model of the city's own, behind any OpenAI-compatible endpoint
    # (vLLM, Ollama, llama.cpp server, a LiteLLM gateway); off while LLM_BASE_URL is empty.
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout_seconds: float = 4.0
    llm_monthly_token_budget: int = 2_000_000  # 0: no limit
    llm_long_message_words: int = 12  # longer messages are read by the model too
    # /readyz fails when a due outbox row has waited longer than this (0: never).
    outbox_ready_max_age_seconds: float = 300.0
    # Transcripts, media and NLU review copies are deleted after this many days (0: kept).
    retention_days: int = 90
    # The privacy notice on first contact on Telegram/WhatsApp (off only where the city
    # shows it elsewhere, e.g. in its WhatsApp profile); its link, empty: our /privacy.
    privacy_notice: bool = True
    privacy_notice_url: str = ""
    # An erasure asked for in the chat waits for a person's approval first.
    privacy_erasure_review: bool = False
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"

    telegram_bot_token: str = ""
    telegram_webhook_secret: str = ""
    telegram_api_base_url: str = "https://api.telegram.org"

    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_whatsapp_from: str = ""
    twilio_api_base_url: str = ""

    whatsapp_token: str = ""
    whatsapp_phone_number_id: str = ""
    whatsapp_app_secret: str = ""
    whatsapp_verify_token: str = ""
    whatsapp_api_base_url: str = "https://graph.facebook.com/v21.0"

    # Links in QR codes and providers of live information.
    telegram_bot_username: str = ""  # for t.me links, without @
    whatsapp_display_number: str = ""  # for wa.me links; else taken from TWILIO_WHATSAPP_FROM
    parking_provider: str = "demo"  # "demo" or "package.module:Class"
    weather_provider: str = "demo"  # "demo" or "package.module:Class"

    # Channels: outbound delivery (bot/dispatcher.py) and provider limits.
    telegram_mps: float = 30.0  # Telegram: messages per second over all chats
    telegram_chat_mps: float = 1.0  # Telegram: average messages per second into one chat
    telegram_chat_burst: int = 3  # Telegram: short burst allowed into one chat
    whatsapp_mps: float = 80.0  # per WhatsApp sender (Twilio and Cloud API each)
    # How far ahead a claim reserves send slots (1/rate apart) of those limits: a claim
    # holds about rate × this rows; any one-second window sees at most rate + 1 sends.
    rate_ahead_seconds: float = 0.2
    whatsapp_templates: dict[str, str] = {}  # kind -> Cloud API template, outside 24 h
    whatsapp_template_language: str = "de"
    twilio_content_templates: dict[str, str] = {}  # kind -> Content SID, outside 24 h
    twilio_button_content_sids: dict[str, str] = {}  # "2"/"3" -> quick-reply Content SID
    dispatch_batch_size: int = 50
    dispatch_concurrency: int = 8
    dispatch_lease_seconds: float = 30.0
    dispatch_poll_seconds: float = 0.25
    dispatch_max_attempts: int = 12
    dispatch_backoff_seconds: float = 1.0
    dispatch_backoff_max_seconds: float = 600.0

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _case_insensitive(cls, value: object, info: object) -> object:
        """`LOG_LEVEL=debug` and `LOG_FORMAT=JSON` mean what they say."""
        if not isinstance(value, str):
            return value
        return value.upper() if getattr(info, "field_name", "") == "log_level" else value.lower()

    @field_validator("secret_key")
    @classmethod
    def _not_the_old_public_default(cls, value: str) -> str:
        """The key older versions shipped (and old `.env` files copied) is public: it counts
        as unset, so a key is generated instead."""
        return "" if value == "dev-secret-change-me" else value

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"DEFAULT_LANGUAGE={value!r} is not one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except Exception as exc:  # ZoneInfoNotFoundError or ValueError for odd strings
            raise ValueError(f"TIMEZONE={value!r} is not a known time zone") from exc
        return value

    @field_validator("chat_allowed_origins")
    @classmethod
    def _plain_origins(cls, value: str) -> str:
        """Origins go into a CSP header: scheme, host and port only, nothing else."""
        for origin in value.split():
            if not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"CHAT_ALLOWED_ORIGINS: {origin!r} is not an origin like https://example.org"
                )
        return value

    @computed_field  # type: ignore[prop-decorator]
    @property
    def tz(self) -> ZoneInfo:
        """The city's time zone, for every date a citizen sees."""
        return ZoneInfo(self.timezone)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests build their own `Settings` instead."""
    return Settings()
