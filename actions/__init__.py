"""The city's backend actions; importing this package registers every action by name."""

from actions import boats, merchants, vouchers  # noqa: F401
