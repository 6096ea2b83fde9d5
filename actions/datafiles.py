"""The city's data files under `actions/data/`, read once per process.

They are configuration the city edits (boats, opening hours, events, shops), so they
live as YAML next to the code; a missing or broken file fails loudly with its path.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"


@lru_cache
def load(name: str) -> dict[str, Any]:
    """The parsed YAML file `actions/data/<name>.yaml` (cached; treat it as read-only)."""
    path = DATA_DIR / f"{name}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RuntimeError(f"cannot read city data file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise RuntimeError(f"city data file {path} must hold a mapping at the top")
    return data
