"""How values read to a citizen: templates, dates, money, durations, the confirmation summary.

Flow texts are templates: `{boat_type}` shows a slot as the citizen reads it,
`{booking.price_cents|money}` digs into an action result and formats it. Formatting
follows the reply language ("28.11.2026" / "28 Nov 2026", "12,50 €" / "€12.50").
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from bot.core.i18n import t
from flows.definition import Flow, Option, SlotDef
from flows.services import flow_title

TEMPLATE_RE = re.compile(r"\{([A-Za-z_][\w.]*)(?:\|(\w+))?\}")
MISSING = object()
LANGUAGES = frozenset({"de", "en", "nl"})


def lookup(path: str, scope: dict[str, Any]) -> Any:
    """The value at a dotted path (`search.boat.name`, `items.0.name`), or MISSING."""
    current: Any = scope
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return MISSING
    return current


def money(cents: Any, lang: str) -> str:
    euros = f"{int(cents) / 100:,.2f}"
    if lang == "en":
        return f"€{euros}"
    local = euros.replace(",", "_").replace(".", ",").replace("_", ".")
    return f"€ {local}" if lang == "nl" else f"{local} €"


def format_date(value: Any, lang: str) -> str:
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    weekday = t(f"weekday.{day.weekday()}", lang)
    if lang == "en":
        return f"{weekday} {day.day} {t(f'month.{day.month}', lang)} {day.year}"
    if lang == "nl":
        return f"{weekday} {day.strftime('%d-%m-%Y')}"
    return f"{weekday}, {day.strftime('%d.%m.%Y')}"


def format_datetime(value: Any, lang: str) -> str:
    moment = datetime.fromisoformat(str(value))
    return f"{format_date(moment.date(), lang)}, {moment.strftime('%H:%M')}"


def duration(minutes: Any, lang: str) -> str:
    minutes = int(minutes)
    if minutes % 60 == 0:
        return t("unit.hours", lang, n=minutes // 60)
    if minutes > 60:
        return t(
            "unit.hours", lang, n=f"{minutes / 60:g}".replace(".", "," if lang != "en" else ".")
        )
    return t("unit.minutes", lang, n=minutes)


def intervals(value: Any, lang: str) -> str:
    """Opening intervals [{from, to}] as "08:00–12:30, 14:00–16:00"."""
    return ", ".join(f"{i['from']}–{i['to']}" for i in value)


def next_day(value: Any, lang: str) -> str:
    return (date.fromisoformat(str(value)[:10]) + timedelta(days=1)).isoformat()


def _label(prefix: str) -> Any:
    """A filter that names a backend code in the citizen's language (`case.status.done`)."""
    return lambda value, lang: t(f"{prefix}{value}", lang)


FILTERS = {
    "intervals": intervals,
    "next_day": next_day,
    "status": _label("case.status."),
    "service": flow_title,
    "weather": _label("weather."),
    "boat": _label("understood.boat."),
    "money": money,
    "date": format_date,
    "datetime": format_datetime,
    "time": lambda value, lang: str(value)[11:16] if "T" in str(value) else str(value)[:5],
    "duration": duration,
    "upper": lambda value, lang: str(value).upper(),
    "isodate": lambda value, lang: str(value)[:10],
}


def display(slot: SlotDef, value: Any, lang: str, options: list[Option] | None = None) -> str:
    """A slot value as the citizen reads it."""
    kind = slot.type
    if value is None:
        return "–"
    if kind == "choice":
        for option in options or slot.options:
            if option.value == value:
                return option.title.get(lang) or option.value
        return str(value)
    if kind == "yes_no":
        return t("word.yes" if value else "word.no", lang)
    if kind == "date":
        return format_date(value, lang)
    if kind == "datetime":
        return format_datetime(value, lang)
    if kind == "duration":
        return duration(value, lang)
    if kind == "amount":
        return money(value, lang)
    if kind == "photo":
        return t("word.photo_attached", lang)
    if kind == "location":
        return str(value.get("address") or f"{value['latitude']:.5f}, {value['longitude']:.5f}")
    if kind == "pin":
        return "••••"
    return str(value)


def apply_filter(name: str | None, value: Any, lang: str) -> Any:
    """`value` through the named filter; unknown names and unfit values pass unchanged."""
    if name not in FILTERS:
        return value
    try:
        return FILTERS[name](value, lang)
    except (TypeError, ValueError, KeyError):
        return str(value)


def render(template: str, scope: dict[str, Any], lang: str) -> str:
    """Fill `{path}` and `{path|filter}` placeholders; unknown paths are left visible."""

    def fill(match: re.Match[str]) -> str:
        path, name = match[1], match[2]
        value = lookup(path, scope)
        if value is MISSING:
            return match[0]
        if value is None:
            return "–"
        if isinstance(value, dict) and lang in value and set(value) <= LANGUAGES:
            value = value[lang]  # a backend text per language ("(ground floor)")
        return str(apply_filter(name, value, lang))

    return TEMPLATE_RE.sub(fill, template)


def slot_scope(
    flow: Flow, values: dict[str, Any], lang: str, options: dict[str, list[Option]]
) -> dict[str, Any]:
    """Slot values as displayed text, for templates (`{boat_type}` → "Rowing boat")."""
    return {
        name: display(flow.slots[name], value, lang, options.get(name))
        for name, value in values.items()
        if name in flow.slots
    }


def summary_lines(
    flow: Flow,
    names: tuple[str, ...],
    values: dict[str, Any],
    lang: str,
    options: dict[str, list[Option]],
) -> str:
    """ "Label: value" per filled slot that belongs in the summary."""
    shown = names or tuple(flow.slots)
    lines = []
    for name in shown:
        slot = flow.slots[name]
        if name in values and values[name] is not None and slot.in_summary:
            lines.append(
                f"• {slot.label[lang]}: {display(slot, values[name], lang, options.get(name))}"
            )
    return "\n".join(lines)
