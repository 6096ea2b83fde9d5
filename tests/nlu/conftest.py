"""Fixtures for the NLU tests: one trained model per session, a frozen clock."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

import nlu
from nlu.engine import Nlu

BERLIN = ZoneInfo("Europe/Berlin")
#: Wednesday 1 July 2026, 10:00 in Ahaus: every relative date in the tests counts from here.
NOW = datetime(2026, 7, 1, 10, 0, tzinfo=BERLIN)


@pytest.fixture(scope="session")
def model() -> Nlu:
    """The real model (trained once and cached under nlu/models/ by its data hash)."""
    return nlu.get_nlu()


@pytest.fixture()
def now() -> datetime:
    return NOW
