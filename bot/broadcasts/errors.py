"""What can go wrong with a broadcast, mapped once to HTTP statuses by the API:

    BroadcastError         base, never raised itself
    ├── NotFound           no such broadcast or image (404)
    ├── Conflict           not possible in its state: sent twice, paused when not
    │                      sending, an Idempotency-Key reused for another body (409)
    └── Invalid            bad input: empty text, too long for a channel, a time in
                           the past, unknown topic, not an image, nobody to send to (422)

Messages are German: the communications team reads them on the compose page.
"""

from __future__ import annotations


class BroadcastError(Exception):
    """Base of broadcast errors; `str(exc)` is the message for the team."""


class NotFound(BroadcastError):
    """No broadcast (or image) with that id."""


class Conflict(BroadcastError):
    """The broadcast's state does not allow this (or the key was used otherwise)."""


class Invalid(BroadcastError):
    """The request cannot be a broadcast as it stands."""
