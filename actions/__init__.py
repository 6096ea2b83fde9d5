"""The city's backend actions; importing this package registers every action by name."""

from actions import boats, cases, info, merchants, office, vouchers, waste  # noqa: F401
