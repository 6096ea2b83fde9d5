"""`stadtbot nlu …`: train, evaluate, parse, import/export Rasa data, review fallbacks.

Mounted by the main CLI with `app.add_typer(nlu_app, name="nlu")`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from nlu import model_store

nlu_app = typer.Typer(help="Language understanding: train, evaluate, parse, Rasa data.")

IMPORT_DIR = model_store.DATA_DIR / "imported"


@nlu_app.command()
def train() -> None:
    """Train on nlu/data and store the model (also happens automatically on first use)."""
    import nlu
    from nlu.engine import train_dir

    extra = model_store.extra_dirs()
    digest = model_store.data_hash(extra=extra)
    started = time.perf_counter()
    model = train_dir(model_store.DATA_DIR, digest, extra)
    path = model_store.save(model, digest, model_store.models_dir_for(extra))
    nlu.reset()
    seconds = time.perf_counter() - started
    size = path.stat().st_size / 1_000_000
    typer.echo(f"trained in {seconds:.1f} s: {path} ({size:.1f} MB), "
               f"{len(model.intent_model.labels)} intents")


@nlu_app.command()
def evaluate(
    cv: Annotated[bool, typer.Option(help="Also cross-validate on the training data.")] = True,
    errors: Annotated[bool, typer.Option(help="List the misclassified examples.")] = False,
) -> None:
    """Scores on the held-out file: accuracy, macro-F1, per intent, confusions, language."""
    from nlu import get_nlu
    from nlu.evaluate import cross_validate, evaluate, format_report
    from nlu.heldout import REALISTIC_PATH, load_heldout
    from nlu.rasa_io import load_dir

    report = evaluate(get_nlu(), load_heldout())
    realistic = None
    if REALISTIC_PATH.exists():
        realistic = evaluate(get_nlu(), load_heldout(REALISTIC_PATH))
    scores = cross_validate(load_dir(model_store.DATA_DIR)) if cv else None
    typer.echo(format_report(report, scores, realistic))
    if realistic is not None:
        both = evaluate(get_nlu(), load_heldout() + load_heldout(REALISTIC_PATH))
        typer.echo(f"\nthreshold tuned on both files ({both.n} messages): {both.threshold:.2f} "
                   "(nlu.CONFIDENCE_THRESHOLD is set from this)")
    if errors:
        for name, rep in (("held-out", report), ("realistic", realistic)):
            if rep is None:
                continue
            typer.echo(f"\n{name} errors (text | gold -> predicted, confidence):")
            for text, gold, pred, conf in rep.errors:
                typer.echo(f"  {text} | {gold} -> {pred} ({conf:.2f})")


@nlu_app.command()
def parse(
    text: str,
    lang: Annotated[str | None, typer.Option(help="The contact's language (a hint).")] = None,
) -> None:
    """Parse one message and print Rasa's parse JSON."""
    from nlu import parse as do_parse

    typer.echo(json.dumps(do_parse(text, lang=lang), ensure_ascii=False, indent=2))


@nlu_app.command("import")
def import_(
    directory: Path,
    dest: Annotated[Path, typer.Option(help="Where the imported data is written.")] = IMPORT_DIR,
    dry_run: Annotated[bool, typer.Option(help="Only report what would be imported.")] = False,
) -> None:
    """Read a Rasa project's NLU data (all YAML below DIRECTORY) into our data folder."""
    from nlu.rasa_io import export_dir, load_dir

    if not directory.is_dir():
        raise typer.BadParameter(f"{directory} is not a directory")
    data = load_dir(directory)
    typer.echo(
        f"{len(data.examples)} examples in {len(data.intents)} intents, "
        f"{sum(len(e.entities) for e in data.examples)} entity annotations, "
        f"{len(data.synonyms)} synonyms, {len(data.regexes)} regexes, "
        f"{len(data.lookups)} lookups"
    )
    if not dry_run:
        for path in export_dir(data, dest):
            typer.echo(f"wrote {path}")
        typer.echo("the model retrains on next use (the data hash changed)")


@nlu_app.command("export")
def export(directory: Path) -> None:
    """Write our training data as Rasa 3 YAML files into DIRECTORY."""
    from nlu.rasa_io import export_dir, load_dir

    for path in export_dir(load_dir(model_store.DATA_DIR), directory):
        typer.echo(f"wrote {path}")
