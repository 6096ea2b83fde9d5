"""Where trained models live: `nlu/models/nlu-<hash>.pkl`, keyed by the training data.

The hash covers every data file's path and bytes plus the pipeline's own source files, so
editing a lookup file or changing the code retrains automatically (a pickle of changed
classes is never loaded), and an unchanged checkout reuses the model a previous
`make run` or `make test` trained.
Files are written to a temporary name and renamed, so a concurrent reader never sees
half a pickle.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

#: Bump to force retraining everywhere without a code or data change.
MODEL_VERSION = "1"

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
MODELS_DIR = PACKAGE_DIR / "models"


def extra_dirs() -> tuple[Path, ...]:
    """EXTRA_NLU_DIR (training data from `stadtbot rasa import`), if set."""
    from bot.core.settings import get_settings

    extra = get_settings().extra_nlu_dir
    return (Path(extra),) if extra else ()


def models_dir_for(extra: tuple[Path, ...]) -> Path:
    """Where the model of this data lives: with extra data, next to it, so the model of
    Stadtbot's own data (which `save` would otherwise replace) stays."""
    return extra[0] / ".models" if extra else MODELS_DIR


def _yaml_files(root: Path) -> list[Path]:
    return sorted([*root.rglob("*.yml"), *root.rglob("*.yaml")])


def data_hash(data_dir: Path = DATA_DIR, extra: tuple[Path, ...] = ()) -> str:
    """A stable hash of all YAML files below `data_dir` and the `extra` directories, the
    pipeline code and version."""
    digest = hashlib.sha256(MODEL_VERSION.encode())
    files = [(root, p) for root in (data_dir, *extra) for p in _yaml_files(root)]
    for root, path in files + [(PACKAGE_DIR, p) for p in _code_files()]:
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def _code_files() -> list[Path]:
    """The modules whose classes end up in the pickle (CLI and evaluation excluded)."""
    names = ("normalize", "features", "classifier", "language", "engine", "rasa_io")
    return [PACKAGE_DIR / f"{n}.py" for n in names] + sorted(
        (PACKAGE_DIR / "entities").glob("*.py")
    )


def model_path(digest: str, models_dir: Path = MODELS_DIR) -> Path:
    return models_dir / f"nlu-{digest}.pkl"


def load(digest: str, models_dir: Path = MODELS_DIR) -> Any | None:
    """The stored model for `digest`, or None if absent or unreadable."""
    path = model_path(digest, models_dir)
    if not path.exists():
        return None
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)
    except Exception:  # a truncated or outdated pickle is simply retrained
        return None


def save(obj: Any, digest: str, models_dir: Path = MODELS_DIR) -> Path:
    """Store `obj` atomically and remove models of older data hashes."""
    models_dir.mkdir(parents=True, exist_ok=True)
    target = model_path(digest, models_dir)
    fd, tmp = tempfile.mkstemp(dir=models_dir, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.chmod(tmp, 0o644)  # mkstemp makes 0600; other service users may load the model
    os.replace(tmp, target)
    for old in models_dir.glob("nlu-*.pkl"):
        if old != target:
            old.unlink(missing_ok=True)
    return target
