"""The web chat's session check reads outside any transaction of ours, on both databases."""

from __future__ import annotations

from bot.core.db import make_engine, transaction
from bot.core.models import Contact, Conversation
from bot.transcript import WEB_CHANNEL, web_conversation_id, web_session_known


def test_web_session_known_matches_the_conversation_lookup(db_url: str) -> None:
    db = make_engine(db_url)
    try:
        with transaction(db) as session:
            web = Contact(channel=WEB_CHANNEL, channel_user_id="s-with-chat")
            other = Contact(channel="telegram", channel_user_id="s-telegram")
            lonely = Contact(channel=WEB_CHANNEL, channel_user_id="s-no-conversation")
            session.add_all([web, other, lonely])
            session.flush()
            session.add_all([Conversation(contact_id=web.id), Conversation(contact_id=other.id)])
        with transaction(db) as session:
            for sid in ("s-with-chat", "s-telegram", "s-no-conversation", "nobody"):
                expected = web_conversation_id(session, sid) is not None
                assert web_session_known(db, sid) is expected, sid
        assert web_session_known(db, "s-with-chat")
        assert not web_session_known(db, "s-telegram")
    finally:
        db.dispose()
