"""The editors' list of unanswered questions: behind the staff login, similar questions
in one group with their count, citizens' text escaped and personal data masked."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from bot.core.db import make_engine, transaction
from tests.support import CLERK

ASKED = [
    "Wann ist die nächste Ratssitzung?",
    "Ratssitzung: wann ist die nächste?",
    "<script>alert(1)</script> Ratssitzung nächste Woche?",
    "Welche Apotheke hat heute Notdienst? Rückruf bitte unter 0151 23456789",
]


def test_unanswered_questions_are_grouped_for_the_editors(
    client: TestClient, chat, sqlite_url
) -> None:
    for text in ASKED:
        chat("de").send(text)
    assert client.get("/staff/knowledge", follow_redirects=False).status_code == 303
    db = make_engine(sqlite_url)
    with transaction(db) as session:
        CLERK.add(session, ["staff"])
    db.dispose()
    login = client.post(
        "/login",
        data={"username": CLERK.username, "password": CLERK.password},
        follow_redirects=False,
    )
    assert login.status_code == 303, login.text
    page = client.get("/staff/knowledge")
    assert page.status_code == 200
    html = page.text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "23456789" not in html and "Notdienst" in html
    rows = re.findall(r"<tr>\s*<td>(\d+)</td>\s*<td>de</td>\s*<td><ul>(.*?)</ul>", html, re.S)
    council = [int(n) for n, examples in rows if "Ratssitzung" in examples]
    assert council == [3], rows  # the three council questions are one group
    assert any("Apotheke" in examples and n == "1" for n, examples in rows), rows
