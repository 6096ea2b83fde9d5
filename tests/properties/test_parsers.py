"""Hypothesis on what reads outside input: the channel payload parsers, the NLU entity
parsers and the flow runtime (issue 9). Each may refuse input, but only in the way its
caller handles (a ValueError for a webhook decoder); nothing else escapes, and what
comes back stays inside the text it came from.

Examples are bounded (`EXAMPLES`) so the whole file runs in well under a minute.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine as DbEngine

from bot.channels import telegram, twilio, whatsapp
from bot.core.db import make_engine
from bot.core.messages import InboundMessage
from bot.ingest import ingest
from nlu.entities import patterns
from nlu.entities.numbers import to_int
from nlu.entities.temporal import dateparser_fallback, extract_temporal
from tests.support import keyword_engine

EXAMPLES = 60
BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NOW = datetime(2027, 5, 3, 10, 0, tzinfo=UTC)

# JSON the way a provider (or an attacker with a leaked secret) could send it: any shape,
# with the keys the decoders look for mixed in so the generated data reaches them.
KEYS = st.sampled_from(
    [
        "update_id",
        "message",
        "callback_query",
        "chat",
        "id",
        "type",
        "text",
        "from",
        "date",
        "data",
        "location",
        "latitude",
        "longitude",
        "photo",
        "caption",
        "sticker",
        "object",
        "entry",
        "changes",
        "value",
        "messages",
        "statuses",
        "contacts",
        "wa_id",
        "timestamp",
        "interactive",
        "button_reply",
        "button",
        "payload",
        "status",
        "errors",
        "code",
        "recipient_id",
        "profile",
        "name",
        "metadata",
        "first_name",
        "is_bot",
        "message_id",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(
        [
            "private",
            "group",
            "text",
            "location",
            "whatsapp_business_account",
            "/start",
            "/start abc",
            "h:unknownkey",
            "messages",
            "delivered",
        ]
    ),
)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(KEYS | st.text(max_size=8), children, max_size=6)
    ),
    max_leaves=25,
)
TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=200)
WORDS = st.lists(
    st.sampled_from(
        [
            "morgen",
            "um",
            "15",
            "uhr",
            "tomorrow",
            "at",
            "3pm",
            "12,50",
            "€",
            "euro",
            "AHS-DEMO-0009",
            "info@ahaus.de",
            "+49 2561 72-0",
            "nächsten",
            "montag",
            "2 stunden",
            "half",
            "drei",
            "31.02.",
            "25:99",
            "0",
            "99999999999999999999",
            "e",
            ".",
            "-",
            "tot",
            "om",
            "uur",
        ]
    ),
    max_size=12,
).map(" ".join)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DbEngine]:
    from bot.migrate import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('props') / 'props.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@BOUNDED
@given(data=st.dictionaries(KEYS, JSON, max_size=6))
def test_telegram_decoder_only_raises_value_error(db: DbEngine, data: dict[str, Any]) -> None:
    try:
        decoded = telegram.decode_update(data, db)
    except ValueError:
        return
    if decoded.inbound is not None:
        assert decoded.inbound.channel == telegram.CHANNEL


@BOUNDED
@given(data=st.dictionaries(KEYS, JSON, max_size=6))
def test_whatsapp_decoder_raises_only_what_the_route_handles(data: dict[str, Any]) -> None:
    try:
        events = whatsapp.decode_events(data)
    except (ValueError, KeyError, TypeError, AttributeError):
        return
    assert all(m.provider_message_id for m in events.messages)


FORM_KEYS = st.sampled_from(
    [
        "MessageSid",
        "SmsMessageSid",
        "From",
        "WaId",
        "Body",
        "NumMedia",
        "MediaUrl0",
        "MediaContentType0",
        "Latitude",
        "Longitude",
        "Label",
        "Address",
        "ButtonPayload",
        "ProfileName",
    ]
)
FORM_VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "whatsapp:+4915112345678",
            "+4915112345678",
            "SM123",
            "nan",
            "inf",
            "1e999",
            "-91",
            "3",
            "99999999999999999999",
            "image/jpeg",
            "",
        ]
    ),
)


@BOUNDED
@given(params=st.dictionaries(FORM_KEYS, FORM_VALUES, max_size=10))
def test_twilio_decoder_only_raises_value_error(params: dict[str, str]) -> None:
    try:
        inbound = twilio.decode_form(params)
    except ValueError:
        return
    assert inbound.sender_id.startswith("+")


@BOUNDED
@given(text=st.one_of(TEXT, WORDS))
def test_entity_parsers_stay_inside_the_text(text: str) -> None:
    found = [
        *patterns.amounts(text, []),
        *patterns.emails(text),
        *patterns.phones(text),
    ]
    for entity in found:
        assert 0 <= entity["start"] <= entity["end"] <= len(text)
    for name, _value, start, end in extract_temporal(text.lower(), NOW):
        assert name and 0 <= start <= end <= len(text.lower())
    for token in text.split():
        value = to_int(token)
        assert value is None or isinstance(value, int)


@settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.one_of(TEXT, WORDS), lang=st.sampled_from([None, "de", "en", "nl"]))
def test_dateparser_fallback_never_raises(text: str, lang: str | None) -> None:
    for _name, _value, start, end in dateparser_fallback(text, NOW, lang):
        assert 0 <= start <= end


PAYLOADS = st.one_of(
    st.sampled_from(
        [
            "intent:greet",
            "intent:book_boat",
            "intent:voucher",
            "intent:report_issue",
            "intent:human",
            "intent:cancel",
            "intent:apply_service",
            "flow:subscription_settings",
            "start:shop_1",
            "start:boat_dock",
            "slot:x",
            "intent:",
            "flow:",
            "h:x",
            "nonsense",
        ]
    ),
    st.text(alphabet=string.ascii_letters + ":_-", max_size=30),
)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):
    from bot.core.settings import Settings
    from bot.migrate import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('flows') / 'flows.db'}"
    upgrade(url)
    built = keyword_engine(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
    yield built
    built.db.dispose()


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    turns=st.lists(
        st.one_of(
            TEXT.map(lambda t: ("text", t)),
            WORDS.map(lambda t: ("text", t)),
            PAYLOADS.map(lambda p: ("payload", p)),
        ),
        min_size=1,
        max_size=6,
    ),
    citizen=st.integers(min_value=1, max_value=10**6),
)
def test_the_flow_runtime_answers_every_turn(
    engine, turns: list[tuple[str, str]], citizen: int
) -> None:
    """Any sequence of texts and payloads, known or not, in one conversation: every turn
    is handled without an exception, and a turn with content gets a reply."""
    for kind, value in turns:
        inbound = InboundMessage(
            channel="web",
            sender_id=f"prop-{citizen}",
            text=value if kind == "text" else None,
            payload=value if kind == "payload" else None,
        )
        handled = ingest(engine, inbound)
        if value.strip() if kind == "text" else value:
            assert handled.replies
