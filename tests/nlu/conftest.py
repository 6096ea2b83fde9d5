"""Fixtures for the NLU tests: one trained model per session, a frozen clock."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

import nlu
from flows import services
from flows.dialogue import DEFINITIONS_DIR
from flows.loader import load_flows
from nlu.engine import Nlu

BERLIN = ZoneInfo("Europe/Berlin")
#: Wednesday 1 July 2026, 10:00 in Ahaus: every relative date in the tests counts from here.
NOW = datetime(2026, 7, 1, 10, 0, tzinfo=BERLIN)


@pytest.fixture(scope="session")
def model() -> Nlu:
    """The real model (trained once and cached under nlu/models/ by its data hash), with
    the services of the shipped flow files as its `service` lookup, as the wiring does."""
    lookup = services.nlu_lookup(load_flows([DEFINITIONS_DIR]))
    return nlu.get_nlu().with_lookup("service", lookup)


@pytest.fixture()
def now() -> datetime:
    return NOW
