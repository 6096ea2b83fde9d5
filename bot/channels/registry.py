"""Which channels are switched on: each one whose credentials are set."""

from __future__ import annotations

from sqlalchemy.engine import Engine as DbEngine

from bot.channels.base import ChannelAdapter
from bot.core.settings import Settings


def build_adapters(settings: Settings, db: DbEngine) -> dict[str, ChannelAdapter]:
    """One adapter per configured channel, keyed by channel name."""
    adapters: dict[str, ChannelAdapter] = {}
    if settings.telegram_bot_token:
        from bot.channels.telegram import TelegramAdapter

        adapters["telegram"] = TelegramAdapter(settings, db)
    if settings.twilio_account_sid and settings.twilio_auth_token:
        from bot.channels.twilio import TwilioAdapter

        adapters["twilio"] = TwilioAdapter(settings, db)
    if settings.whatsapp_token and settings.whatsapp_phone_number_id:
        from bot.channels.whatsapp import WhatsAppCloudAdapter

        adapters["whatsapp"] = WhatsAppCloudAdapter(settings, db)
    return adapters
