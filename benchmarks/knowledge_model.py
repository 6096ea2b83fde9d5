"""The optional model's effect on reply time, against a fake OpenAI-compatible server.

    .venv/bin/python benchmarks/knowledge_model.py [--timeout 1.0] [--quick 200]

Real engine (`build_engine`: NLU, dialogue, demo city on a temporary SQLite file), the
fake server of the tests (`tests/fakes/openai.py`) on 127.0.0.1 over real HTTP:

1. bound: the model never answers in time (it sleeps 10 s); a long message's turn is
   timed end to end, 10 times: it must be back within LLM_TIMEOUT_SECONDS + 100 ms;
2. others: `--quick` turns of other citizens (a tapped button, no model) are timed with
   nobody waiting for the model, then again while one turn waits for it in a thread;
   p50/p99 of both show whether a call in flight slows anyone else.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from actions.demo import load_demo  # noqa: E402
from bot.core.db import make_engine, transaction  # noqa: E402
from bot.core.messages import InboundMessage  # noqa: E402
from bot.core.settings import Settings  # noqa: E402
from bot.migrate import upgrade  # noqa: E402
from bot.runtime import build_engine  # noqa: E402
from tests.fakes.openai import Plan, Script, create_fake_openai  # noqa: E402
from tests.fakes.server import ServerThread  # noqa: E402

LONG = (
    "Wir sind am Wochenende mit den Kindern in Ahaus und würden gerne eine Runde auf dem "
    "Wasser am Schloss drehen, geht das irgendwie?"
)


def message(sender: str, text: str = "", payload: str | None = None) -> InboundMessage:
    return InboundMessage(
        channel="web", sender_id=sender, text=text, payload=payload,
        provider_message_id=uuid.uuid4().hex,
    )


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--quick", type=int, default=200)
    args = parser.parse_args()
    script = Script()
    server = ServerThread(create_fake_openai(script)).start()
    url = f"sqlite:///{tempfile.mkdtemp()}/knowledge_model.db"
    upgrade(url)
    db = make_engine(url)
    with transaction(db) as session:
        load_demo(session)
    settings = Settings(
        _env_file=None, database_url=url, llm_base_url=server.url + "/v1",  # type: ignore[call-arg]
        llm_model="bench", llm_timeout_seconds=args.timeout, knowledge_index="",
    )
    engine = build_engine(settings, db)
    engine.handle(message("warm-up", "Hallo"))

    took = []
    for i in range(10):
        script.understand.append(Plan(content='{"command": "out_of_scope"}', delay=10))
        start = time.perf_counter()
        engine.handle(message(f"bound-{i}", LONG))
        took.append(time.perf_counter() - start)
    print(f"bound: timeout {args.timeout:.2f} s; turn with a model that never answers: "
          f"max {max(took) * 1000:.0f} ms, median {statistics.median(took) * 1000:.0f} ms "
          f"(limit {args.timeout * 1000 + 100:.0f} ms)")

    for sender in range(20):
        engine.handle(message(f"quick-{sender}", "Hallo"))

    def quick_turns() -> list[float]:
        times = []
        for i in range(args.quick):
            start = time.perf_counter()
            engine.handle(message(f"quick-{i % 20}", payload="flow:parking"))
            times.append(time.perf_counter() - start)
        return times

    alone = quick_turns()
    stop = threading.Event()

    def keep_waiting() -> None:
        while not stop.is_set():
            script.understand.append(Plan(content='{"command": "out_of_scope"}', delay=10))
            engine.handle(message("slow", LONG))

    waiter = threading.Thread(target=keep_waiting, daemon=True)
    waiter.start()
    time.sleep(0.2)
    during = quick_turns()
    stop.set()
    waiter.join(args.timeout + 5)
    for name, values in (("alone", alone), ("while a model call waits", during)):
        print(f"others ({name}, n={len(values)}): p50 {pct(values, 50):.1f} ms  "
              f"p99 {pct(values, 99):.1f} ms")
    server.stop()


if __name__ == "__main__":
    main()
