"""The flows the Rasa side speaks for: Stadtbot's own and the imported ones.

The action server reads slot types, parameters and texts from them; `stadtbot rasa
export` writes them as forms. Loaded with the registered actions, so a flow naming an
unknown action stops the start as it stops `stadtbot serve`.
"""

from __future__ import annotations

from pathlib import Path

import actions  # noqa: F401  registers the actions on import
from actions import service_rules
from actions.registry import catalogue
from bot.core.settings import Settings
from flows import services
from flows.definition import Flow
from flows.dialogue import DEFINITIONS_DIR
from flows.loader import load_flows


def flow_dirs(settings: Settings) -> tuple[Path, ...]:
    """Stadtbot's flow directory and EXTRA_FLOWS_DIR (imported flows), if set."""
    extra = (Path(settings.extra_flows_dir),) if settings.extra_flows_dir else ()
    return (DEFINITIONS_DIR, *extra)


def load_city_flows(settings: Settings) -> dict[str, Flow]:
    """Every flow by name, validated; the services' rules registered with the actions
    (as `bot.runtime.build_engine` does), so `cases.submit` knows every service file."""
    flows = load_flows(flow_dirs(settings), catalogue())
    service_rules.register(services.backend_rules(flows))
    return flows
