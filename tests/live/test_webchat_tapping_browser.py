"""The web chat without a keyboard: a boat booked by tapping chips only, the ticket's alt
text, a visible focus ring (≥ 3:1 against what surrounds it) and the site icon."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.live.browser import browser_page
from tests.live.server import running_server

# Chip titles a citizen taps, in order (German browser): menu → boat → day → first hour
# offered → duration → confirmation.
TAPS = ["Boot buchen", "Ruderboot", "Morgen", None, "1 Stunde", "Ja, passt"]


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG contrast ratio of two sRGB colours."""
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def colours(css: str) -> list[tuple[int, int, int]]:
    """Every rgb()/rgba() colour in a computed CSS value, in order."""
    found = re.findall(r"rgba?\((\d+),\s*(\d+),\s*(\d+)", css)
    return [(int(r), int(g), int(b)) for r, g, b in found]


def test_booking_a_boat_by_tapping_only(tmp_path: Path) -> None:
    with (
        running_server(f"sqlite:///{tmp_path / 'tap.db'}", demo=True) as base,
        browser_page() as page,
    ):
        page.goto(f"{base}/chat")
        page.locator("#log .msg.out").first.wait_for()
        page.get_by_label("Ihre Nachricht").fill("Hallo")  # the only typing: the greeting
        page.keyboard.press("Enter")
        for title in TAPS:
            count = page.locator("#log .msg.out").count()
            chips = page.locator("#log .msg.out").last.locator(".chip")
            chips.first.wait_for()
            chip = chips.first if title is None else chips.filter(has_text=title).first
            chip.click()
            page.wait_for_function(
                f"() => document.querySelectorAll('#log .msg.out').length > {count}"
            )
        ticket = page.locator("#log .msg.out img").last
        ticket.wait_for()
        assert re.search(r"B-[0-9A-Z]{6}", page.locator("#log").inner_text())
        assert ticket.get_attribute("alt") == "QR-Code Ihres Tickets: zeigen Sie ihn vor"
        assert page.evaluate(
            "() => { const i = document.querySelector('#log .msg.out img:last-of-type');"
            " return i.complete && i.naturalWidth > 0; }"
        )


def test_focus_ring_contrast_and_site_icon(tmp_path: Path) -> None:
    with running_server(f"sqlite:///{tmp_path / 'focus.db'}") as base, browser_page() as page:
        icon = httpx.get(f"{base}/favicon.ico", timeout=10)
        assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
        assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file

        page.goto(f"{base}/chat")
        page.locator("#log .msg.out").first.wait_for()
        checks = {
            "#text": "document.querySelector('.composer')",  # the input bar (white)
            "#lang": "document.querySelector('.bar')",  # the language menu on the blue bar
        }
        for selector, surround in checks.items():
            page.focus(selector)
            page.keyboard.press("Shift+Tab")
            page.keyboard.press("Tab")  # keyboard focus, so :focus-visible applies
            style = page.evaluate(
                f"() => {{ const s = getComputedStyle(document.querySelector('{selector}'));"
                f" const b = getComputedStyle({surround});"
                " return [s.outlineColor, s.outlineStyle, s.boxShadow, b.backgroundColor]; }"
            )
            outline, outline_style, shadow, background = style
            assert outline_style != "none", selector
            ring = colours(outline) + colours(shadow)
            surface = colours(background)[0]
            best = max(contrast(colour, surface) for colour in ring)
            assert best >= 3.0, (selector, style, best)
