"""`python -m bot` is the `stadtbot` command (for environments without the script)."""

from bot.cli import app

app()
