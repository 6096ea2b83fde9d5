"""A service file's `team` rule routes handoffs from its flow; the teams file wins."""

from __future__ import annotations

import pytest

from bot.runtime import with_service_teams
from bot.teams import get_teams


def test_a_service_file_names_the_team_of_its_handoffs() -> None:
    teams = with_service_teams(
        get_teams(), {"library_card": {"team": "ordnungsamt"}, "bulky_waste": {"team": "x"}}
    )
    assert teams.route("library_card", None).key == "ordnungsamt"
    assert teams.route("bulky_waste", None).key == "bauhof"  # listed in the teams file


def test_an_unknown_team_stops_the_start() -> None:
    with pytest.raises(ValueError, match="service 'library_card': team 'bibliothek'"):
        with_service_teams(get_teams(), {"library_card": {"team": "bibliothek"}})
