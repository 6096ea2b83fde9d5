"""Retrieval quality and cost of the knowledge base (the embedded path, no model).

    .venv/bin/python benchmarks/knowledge_retrieval.py [--rounds 20] [--show]

Quality on tests/data/knowledge_eval.yml (written before the index): recall@1 and @3 on
the answerable questions (an answer counts when one of its pages is among the first k
hits above the threshold), the refusal rate on the unanswerable ones (no hit above the
threshold) and the answerable questions wrongly refused. Cost: the time a turn spends in
the knowledge base (`KnowledgeBase.reply`, retrieval plus the shortened answer), every
question `rounds` times, p50/p99/max in milliseconds, wall clock and thread CPU time.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import yaml

from bot.knowledge.base import KnowledgeBase
from flows.dialogue import DEFINITIONS_DIR
from flows.loader import load_flows

EVAL = Path(__file__).resolve().parents[1] / "tests" / "data" / "knowledge_eval.yml"


def quality(kb: KnowledgeBase, data: dict, show: bool) -> dict[str, float]:
    at1 = at3 = refused_wrongly = 0
    for case in data["answerable"]:
        got = [hit.passage.page.id for hit in kb.search(case["q"], case["lang"], k=3)]
        wanted = set(case["pages"])
        at1 += bool(got[:1] and got[0] in wanted)
        at3 += bool(wanted & set(got))
        refused_wrongly += not got
        if show and not (got[:1] and got[0] in wanted):
            ranked = kb.index.ranked(case["q"], case["lang"], k=3)
            print("MISS", case["q"], [(h.passage.page.id, round(h.score, 3)) for h in ranked])
    refused = 0
    for case in data["unanswerable"]:
        got = kb.search(case["q"], case["lang"], k=1)
        refused += not got
        if show and got:
            print("ANSWERED", case["q"], got[0].passage.page.id, round(got[0].score, 3))
    n, m = len(data["answerable"]), len(data["unanswerable"])
    return {
        "answerable": n,
        "recall@1": at1 / n,
        "recall@3": at3 / n,
        "wrongly refused": refused_wrongly / n,
        "unanswerable": m,
        "refusal rate": refused / m,
    }


def latency(kb: KnowledgeBase, data: dict, rounds: int) -> tuple[list[float], list[float]]:
    cases = data["answerable"] + data["unanswerable"]
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(rounds):
        for case in cases:
            w, c = time.perf_counter(), time.thread_time()
            kb.reply(case["q"], None, case["lang"])
            cpu.append((time.thread_time() - c) * 1000)
            wall.append((time.perf_counter() - w) * 1000)
    return wall, cpu


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if q < 100 else max(values)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--show", action="store_true", help="print misses and false answers")
    args = parser.parse_args()
    data = yaml.safe_load(EVAL.read_text(encoding="utf-8"))
    start = time.perf_counter()
    kb = KnowledgeBase(load_flows((DEFINITIONS_DIR,)).values())
    build = (time.perf_counter() - start) * 1000
    passages = sum(len(p.paragraphs) for p in kb.index.pages.values())
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    print(
        f"index: {len(kb.index.pages)} pages, {passages} passages, built in {build:.0f} ms, "
        f"threshold {kb.index.threshold}"
    )
    for key, value in quality(kb, data, args.show).items():
        print(f"{key}: {value:.3f}" if isinstance(value, float) else f"{key}: {value}")
    wall, cpu = latency(kb, data, args.rounds)
    for name, values in (("wall", wall), ("cpu", cpu)):
        print(
            f"reply ms ({name}, n={len(values)}): p50 {_pct(values, 50):.2f}  "
            f"p99 {_pct(values, 99):.2f}  max {max(values):.2f}"
        )


if __name__ == "__main__":
    main()
