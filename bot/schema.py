"""Every table module, imported once so `SQLModel.metadata` knows the whole schema.

Alembic's env.py and the tests import this module; add a new model module here.
"""

from sqlmodel import SQLModel

import bot.broadcasts.models
import bot.channels.models
import bot.core.fallbacks
import bot.core.keystore
import bot.core.models
import bot.core.subscriptions
import bot.core.throttle
import bot.llm.usage
import bot.rasa.models
import bot.staff
import bot.staff_credentials
import bot.staff_tables  # noqa: F401

metadata = SQLModel.metadata
