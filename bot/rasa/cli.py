"""`stadtbot actions serve` and `stadtbot rasa export|import`, mounted by `bot/cli.py`.

The action server needs the optional extra (`pip install 'stadtbot[rasa]'`); export and
import work without it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from bot.core.logs import configure_logging
from bot.core.settings import get_settings

actions_app = typer.Typer(help="The city's actions for a Rasa assistant.", no_args_is_help=True)
rasa_app = typer.Typer(help="Rasa 3 projects: export, import.", no_args_is_help=True)


@actions_app.command("serve")
def serve(
    port: Annotated[int, typer.Option(help="Port (Rasa's default is 5055).")] = 5055,
    host: Annotated[str | None, typer.Option(help="Overrides HOST.")] = None,
    migrate: Annotated[bool, typer.Option(help="Apply database migrations first.")] = True,
) -> None:
    """Serve Rasa's action-server protocol (POST /webhook, GET /health, GET /actions)."""
    try:
        from bot.rasa.sdk import build_executor
        from bot.rasa.server import create_app
    except ImportError as exc:
        typer.echo(f"error: {exc}; install the extra: pip install 'stadtbot[rasa]'", err=True)
        raise typer.Exit(2) from None
    import uvicorn

    from bot.core.db import make_engine
    from bot.migrate import upgrade
    from bot.rasa.bridge import Bridge
    from bot.rasa.flowset import load_city_flows

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    if migrate:
        upgrade(settings.database_url)
    bridge = Bridge(make_engine(settings.database_url), settings, load_city_flows(settings))
    app = create_app(build_executor(bridge))
    uvicorn.run(
        app,
        host=host or settings.host,
        port=port,
        log_level=settings.log_level.lower(),
        log_config=None,  # ours (configure_logging)
        access_log=False,  # access lines would name Rasa's sender ids in no useful way
        timeout_graceful_shutdown=10,
    )
