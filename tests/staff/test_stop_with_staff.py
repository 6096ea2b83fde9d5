"""STOP ends every subscription wherever the chat is: with the bot, with staff (the chat
stays with them) and while it is being rated; de/en/nl STOP words alike."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from bot.core.db import transaction
from bot.core.i18n import t
from bot.core.messages import InboundMessage
from bot.core.models import Conversation
from bot.core.subscriptions import Subscription
from bot.engine import Engine
from tests.support import keyword_engine


def send(engine: Engine, text: str, mid: str) -> list[str]:
    inbound = InboundMessage(
        channel="telegram", sender_id="4711", text=text, provider_message_id=mid
    )
    return [r.reply.text for r in engine.handle(inbound).replies]


def subscriptions(engine: Engine) -> int:
    with Session(engine.db) as session:
        return session.exec(select(func.count()).select_from(Subscription)).one()


@pytest.mark.parametrize("word", ["STOP", "Abmelden", "unsubscribe", "uitschrijven"])
def test_stop_while_a_person_has_the_chat(db_url: str, settings_for, word: str) -> None:
    engine = keyword_engine(settings_for(db_url))
    send(engine, "Hallo", "1")
    with transaction(engine.db) as session:
        conversation = session.exec(select(Conversation)).one()
        session.add(Subscription(contact_id=conversation.contact_id, topic="verkehr"))
    send(engine, "Mitarbeiter bitte", "2")
    with Session(engine.db) as session:
        assert session.exec(select(Conversation)).one().mode == "human"
    replies = send(engine, word, "3")
    assert replies == [t("subscriptions.stopped", "de")]
    assert subscriptions(engine) == 0
    with Session(engine.db) as session:  # the person still has the chat
        assert session.exec(select(Conversation)).one().mode == "human"
