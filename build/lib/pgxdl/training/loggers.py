"""Loggers that write into the run directory; W&B offline unless the user opts in.

The run directory is ``trainer.default_root_dir``; the CLI fills a logger's
``save_dir: null`` with it. The W&B run id is kept in ``<run dir>/wandb_run_id`` so a
requeued or resumed job continues the same W&B run.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from pytorch_lightning.loggers import CSVLogger, WandbLogger
from pytorch_lightning.utilities.rank_zero import rank_zero_only

from pgxdl.io import atomic_write_text

RUN_ID_FILE = "wandb_run_id"
#: Where runs land when the configuration names no ``trainer.default_root_dir``.
DEFAULT_RUN_DIR = "runs/default"


def wandb_mode() -> str:
    """``WANDB_MODE`` if the user set it, ``online`` with ``WANDB_API_KEY``, else ``offline``."""
    if os.environ.get("WANDB_MODE"):
        return os.environ["WANDB_MODE"]
    return "online" if os.environ.get("WANDB_API_KEY") else "offline"


def persistent_run_id(save_dir: str) -> str:
    """The W&B run id of the run in ``save_dir``.

    ``WANDB_RUN_ID`` when set (a sweep agent sets it), else the id stored in
    ``save_dir``, else a new one; it is stored (on rank zero) for resumed jobs.
    """
    path = Path(save_dir) / RUN_ID_FILE
    if os.environ.get("WANDB_RUN_ID"):
        run_id = os.environ["WANDB_RUN_ID"]
    elif path.is_file():
        return path.read_text().strip()
    else:
        run_id = uuid.uuid4().hex[:12]
    if rank_zero_only.rank == 0:
        atomic_write_text(path, run_id + "\n")
    return run_id


class RunWandbLogger(WandbLogger):
    """:class:`WandbLogger` in the run directory, offline by default, resumable.

    Parameters
    ----------
    save_dir : the run directory (``null`` in configs: the CLI sets the run dir).
    project : W&B project.
    name : display name of the run.
    offline : force offline (``None``: :func:`wandb_mode` decides).
    tags : W&B tags.

    Checkpoints are never uploaded (``log_model=False``); only rank zero logs.
    """

    def __init__(self, save_dir: str | None = None, project: str = "pgxdl",
                 name: str | None = None, offline: bool | None = None,
                 tags: list[str] | None = None):
        save_dir = save_dir or DEFAULT_RUN_DIR
        offline = wandb_mode() == "offline" if offline is None else offline
        super().__init__(save_dir=save_dir, project=project, name=name, offline=offline,
                         id=persistent_run_id(save_dir), resume="allow", log_model=False,
                         tags=tags)


class RunCSVLogger(CSVLogger):
    """:class:`CSVLogger` writing ``<run dir>/csv/version_<k>/metrics.csv``."""

    def __init__(self, save_dir: str | None = None, name: str = "csv",
                 version: int | str | None = None):
        super().__init__(save_dir=save_dir or DEFAULT_RUN_DIR, name=name, version=version)
