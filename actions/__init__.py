"""The city's backend actions; importing this package registers every action by name."""

from actions import (  # noqa: F401
    boats,
    cases,
    info,
    merchants,
    office,
    privacy,
    subscriptions,
    vouchers,
    waste,
)
