"""The one error the backend and the dialogue share: an expected outcome with a code.

Actions raise it ("slot_taken", "wrong_pin", …); a flow step maps the code to what the
citizen hears. It lives in the ground so flows can catch it without knowing `actions`.
"""

from __future__ import annotations

from typing import Any


class ActionError(Exception):
    """An expected outcome the citizen must hear about, named by `code`."""

    def __init__(self, code: str, **details: Any) -> None:
        super().__init__(code)
        self.code = code
        self.details = details
