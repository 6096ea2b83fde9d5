"""Reading action parameters: one place that turns flow slot values into Python values.

Flows hand over what their slots hold (ISO strings, numbers, sometimes already typed
values). Anything unreadable becomes `ActionError("invalid_param", param=..., value=...)`
so the citizen is asked again instead of the bot crashing.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from typing import Any

from actions.registry import ActionContext, ActionError
from bot.core.db import MAX_ID

_DURATION_ISO = re.compile(r"^P(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?)$", re.IGNORECASE)
_DURATION_HM = re.compile(r"^(?P<h>\d{1,2}):(?P<m>\d{2})$")


def invalid(param: str, value: Any) -> ActionError:
    """The error for a parameter the action cannot use."""
    return ActionError("invalid_param", param=param, value=str(value)[:100])


def required(params: dict[str, Any], name: str) -> Any:
    """A parameter that must be present and non-empty."""
    value = params.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ActionError("missing_param", param=name)
    return value


def as_date(value: Any, param: str = "date") -> date:
    """A date from a `date`, a `datetime` or an ISO string (`2026-07-01`)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise invalid(param, value) from None


def as_time(value: Any, param: str = "time") -> time:
    """A time of day from a `time` or `HH:MM` string."""
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    try:
        return time.fromisoformat(str(value).strip()).replace(second=0, microsecond=0)
    except ValueError:
        raise invalid(param, value) from None


def as_minutes(value: Any, param: str = "duration") -> int:
    """A duration in minutes from an int (minutes), `HH:MM` or ISO 8601 (`PT1H30M`)."""
    if isinstance(value, bool):
        raise invalid(param, value)
    if isinstance(value, int):
        minutes = value
    else:
        text = str(value).strip()
        match = _DURATION_ISO.match(text) or _DURATION_HM.match(text)
        if text.isdigit():
            minutes = int(text)
        elif match and (match.group("h") or match.group("m")):
            minutes = int(match.group("h") or 0) * 60 + int(match.group("m") or 0)
        else:
            raise invalid(param, value)
    if minutes <= 0:
        raise invalid(param, value)
    return minutes


def as_local_datetime(ctx: ActionContext, value: Any, param: str = "start") -> datetime:
    """An aware datetime in the city's zone; naive values are read as local time."""
    if isinstance(value, datetime):
        result = value
    else:
        try:
            result = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise invalid(param, value) from None
    tz = ctx.settings.tz
    return result.replace(tzinfo=tz) if result.tzinfo is None else result.astimezone(tz)


def as_cents(value: Any, param: str = "amount_cents") -> int:
    """A positive amount in integer cents; floats are refused to keep money exact."""
    if isinstance(value, bool | float):
        raise invalid(param, value)
    try:
        cents = int(str(value).strip())
    except ValueError:
        raise invalid(param, value) from None
    if cents <= 0:
        raise ActionError("invalid_amount", amount_cents=cents)
    return cents


def as_int(value: Any, param: str) -> int:
    """An integer id or count (one an INTEGER column can hold)."""
    if isinstance(value, bool):
        raise invalid(param, value)
    try:
        number = int(str(value).strip())
    except ValueError:
        raise invalid(param, value) from None
    if abs(number) > MAX_ID:
        raise invalid(param, value)
    return number


def as_float(value: Any, param: str) -> float:
    """A coordinate or other real number (finite: NaN compares false with every bound)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise invalid(param, value) from None
    if not math.isfinite(number):
        raise invalid(param, value)
    return number
