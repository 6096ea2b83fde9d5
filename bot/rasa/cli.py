"""`stadtbot actions serve` and `stadtbot rasa export|import`, mounted by `bot/cli.py`.

The action server needs the optional extra (`pip install 'stadtbot[rasa]'`); export and
import work without it.
"""

from __future__ import annotations

from pathlib import Path
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


@rasa_app.command("export")
def export(
    directory: Path,
    action_server: Annotated[
        str, typer.Option(help="URL of `stadtbot actions serve` as Rasa reaches it.")
    ] = "http://127.0.0.1:5055/webhook",
) -> None:
    """Write a Rasa 3 project (domain, NLU, rules, config, endpoints) using Stadtbot's actions."""
    from bot.rasa.export import export_project
    from bot.rasa.flowset import load_city_flows
    from nlu.model_store import DATA_DIR
    from nlu.rasa_io import load_dir

    flows = load_city_flows(get_settings())
    for path in export_project(directory, flows, load_dir(DATA_DIR), action_server):
        typer.echo(f"wrote {path}")


@rasa_app.command("import")
def import_(
    directory: Path,
    out: Annotated[Path, typer.Option(help="Writes OUT/flows and OUT/nlu.")] = Path("imported"),
) -> None:
    """Turn a Rasa 3 project's forms and NLU data into Stadtbot flows and training data."""
    from actions.registry import catalogue
    from bot.rasa.flowset import load_city_flows
    from bot.rasa.importer import import_project, write_result
    from flows.dialogue import DEFINITIONS_DIR
    from flows.loader import FlowDefinitionError, load_flows
    from nlu.model_store import DATA_DIR
    from nlu.rasa_io import load_dir

    if not (directory / "domain.yml").exists() and not (directory / "domain").is_dir():
        raise typer.BadParameter(f"{directory} has no domain.yml: not a Rasa project")
    existing = load_city_flows(get_settings())
    result = import_project(directory, existing, set(load_dir(DATA_DIR).intents))
    for path in write_result(result, out):
        typer.echo(f"wrote {path}")
    try:
        load_flows([DEFINITIONS_DIR, out / "flows"], catalogue())
    except FlowDefinitionError as exc:
        typer.echo(f"error: an imported flow does not load: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{len(result.flows)} flows, {len(result.data.examples)} examples imported")
    for message in result.not_converted:
        typer.echo(f"not converted: {message}")
    typer.echo(f"use them: EXTRA_FLOWS_DIR={out / 'flows'} EXTRA_NLU_DIR={out / 'nlu'}")
