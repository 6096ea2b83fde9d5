"""The model's two jobs for one turn, each guarded, counted, logged and allowed to fail.

`understand` runs when the classifier is unsure or the message is long, and only for
messages the bot must not leave to a model: STOP, unsubscribing, asking for a person or
for the bot, and deleting one's data keep the classifier's parse. `write_answer` words an
answer from retrieved passages. Both send the citizen's text masked (`nlu.anonymize`),
share one deadline per turn (LLM_TIMEOUT_SECONDS), stop when the month's token budget is
spent, and log the call's kind, outcome, time and tokens — never the text.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine as DbEngine

from bot.core.metrics import LLM_CALLS, LLM_TOKENS
from bot.core.settings import Settings
from bot.llm import usage
from bot.llm.client import LlmClient, LlmError
from bot.llm.commands import Catalogue, to_parse
from bot.llm.grounded import grounded
from flows.definition import Flow
from nlu.anonymize import anonymize

log = logging.getLogger(__name__)

LANGUAGE_NAMES = {"de": "German", "en": "English", "nl": "Dutch"}
# Messages the bot answers itself, whatever a model would say.
KEPT_FROM_THE_MODEL = re.compile(
    r"\b(?:stop+|stopp|unsubscribe|abmelden|abbestellen|afmelden|uitschrijven|"
    r"mitarbeiter\w*|mensch|person|human|agent|medewerker|bot|chatbot|"
    r"l(?:ö|oe)sch\w*|delete|erase|verwijder\w*|datenschutz|privacy)\b",
    re.IGNORECASE,
)
KEPT_INTENTS = frozenset({"human_handoff", "unsubscribe", "delete_my_data", "cancel"})
UNDERSTAND_TOKENS = 200
ANSWER_TOKENS = 300

UNDERSTAND_PROMPT = """You read one message a citizen wrote to the chat of the town of \
Ahaus and say what it means. Reply with one JSON object and nothing else, one of:
{{"command": "start_flow", "flow": "<flow>", "slots": {{"<slot>": "<value>"}}}}
{{"command": "set_slots", "slots": {{"<slot>": "<value>"}}}}  (answers to a question asked)
{{"command": "answer"}}  (a question about the town, its offices, rules, fees or events)
{{"command": "handoff"}}  (the citizen wants a person)
{{"command": "out_of_scope"}}  (nothing the town's chat is for)
Use only these flows and, for slots, only values the message states; leave the rest out.
Choice slots take one of the listed values; dates are YYYY-MM-DD (today is {today}).
Flows:
{catalogue}"""

ANSWER_PROMPT = """Answer the citizen's question in {language}, in at most three sentences, \
using only the numbered passages from the town of Ahaus below; cite them as [1], [2]. \
Name no number, date, time, phone number, e-mail address or link that is not in them. \
If they do not answer the question, reply exactly NONE.

{passages}"""


class Assistant:
    def __init__(self, settings: Settings, db: DbEngine, flows: dict[str, Flow]) -> None:
        self.settings = settings
        self.db = db
        self.catalogue = Catalogue.of(flows)
        self.client = LlmClient(settings.llm_base_url, settings.llm_model, settings.llm_api_key)

    def deadline(self) -> float:
        """When this turn's model calls must be over (monotonic clock)."""
        return time.monotonic() + self.settings.llm_timeout_seconds

    def understand(
        self, text: str, parse: dict[str, Any], threshold: float, now: datetime, deadline: float
    ) -> dict[str, Any]:
        """The model's reading of an unsure or long message as a parse, else `parse`."""
        intent = parse.get("intent") or {}
        confidence = float(intent.get("confidence") or 0.0)
        unsure = intent.get("name") == "out_of_scope" or confidence < threshold
        long = len(text.split()) > self.settings.llm_long_message_words
        if not text or not (unsure or long) or KEPT_FROM_THE_MODEL.search(text):
            return parse
        if intent.get("name") in KEPT_INTENTS and confidence >= threshold:
            return parse
        system = UNDERSTAND_PROMPT.format(
            today=now.date().isoformat(), catalogue=self.catalogue.describe()
        )
        raw = self._call("understand", system, anonymize(text), True, UNDERSTAND_TOKENS, deadline)
        if raw is None:
            return parse
        proposed = to_parse(raw, parse, self.catalogue, now)
        LLM_CALLS.labels("understand", "accepted" if proposed else "ignored").inc()
        if proposed is None:
            log.info("llm understand: proposal ignored (not in the catalogue)")
            return parse
        return proposed

    def write_answer(
        self, question: str, passages: list[str], lang: str, deadline: float
    ) -> str | None:
        """An answer worded from `passages` (cited [1], [2] …), or None to show the
        passage itself: no answer, a fact not in the passages, or another language."""
        numbered = "\n\n".join(f"[{i}] {text}" for i, text in enumerate(passages, 1))
        system = ANSWER_PROMPT.format(language=LANGUAGE_NAMES.get(lang, lang), passages=numbered)
        raw = self._call("answer", system, anonymize(question), False, ANSWER_TOKENS, deadline)
        if raw is None or not raw.strip() or raw.strip().upper().startswith("NONE"):
            return None
        if not grounded(raw, passages, lang):
            LLM_CALLS.labels("answer", "ungrounded").inc()
            log.info("llm answer: replaced by the passage (fact or language not in the passages)")
            return None
        LLM_CALLS.labels("answer", "accepted").inc()
        return raw.strip()

    def _call(
        self, kind: str, system: str, user: str, json_mode: bool, max_tokens: int, deadline: float
    ) -> str | None:
        """One guarded call: budget, deadline, errors; the text or None."""
        month = usage.month_of(datetime.now())
        budget = self.settings.llm_monthly_token_budget
        if budget and usage.used(self.db, month) >= budget:
            LLM_CALLS.labels(kind, "over_budget").inc()
            return None
        left = deadline - time.monotonic()
        if left <= 0.05:
            LLM_CALLS.labels(kind, "no_time").inc()
            return None
        start = time.monotonic()
        try:
            done = self.client.complete(
                system, user, json_mode=json_mode, max_tokens=max_tokens, timeout=left
            )
        except LlmError as exc:
            LLM_CALLS.labels(kind, "error").inc()
            log.warning("llm %s failed after %.0f ms: %s", kind, _ms(start), exc)
            return None
        usage.add(self.db, month, done.tokens)
        LLM_TOKENS.inc(done.tokens)
        log.info("llm %s answered in %.0f ms, %d tokens", kind, _ms(start), done.tokens)
        return done.text


def _ms(start: float) -> float:
    return (time.monotonic() - start) * 1000
