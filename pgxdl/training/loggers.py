"""Loggers that write into the run directory; W&B online when you are logged in.

The run directory is ``trainer.default_root_dir``; the CLI fills a logger's
``save_dir: null`` with it. The W&B run id is kept in ``<run dir>/wandb_run_id`` so a
requeued or resumed job continues the same W&B run.

The W&B mode (:func:`wandb_mode`), first that applies:

1. the mode asked for (``RunWandbLogger(mode=...)``, ``train.py fit --wandb_mode ...``);
2. wandb's own switches: ``WANDB_MODE``, or ``wandb offline`` / ``wandb disabled`` (a
   ``mode`` in wandb's settings files);
3. ``online`` under a sweep agent (``wandb agent`` sets ``WANDB_SWEEP_ID``);
4. ``online`` when wandb finds credentials (``WANDB_API_KEY``, an identity token file, or
   the netrc entry ``wandb login`` wrote for the W&B host);
5. else ``offline`` (``wandb sync <run dir>/wandb/offline-run-*`` uploads later).
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path
from typing import Literal

from pytorch_lightning.loggers import CSVLogger, WandbLogger
from pytorch_lightning.utilities.rank_zero import rank_zero_only

from pgxdl.io import atomic_write_text

RUN_ID_FILE = "wandb_run_id"
#: Where runs land when the configuration names no ``trainer.default_root_dir``.
DEFAULT_RUN_DIR = "runs/default"
WandbMode = Literal["online", "offline", "disabled"]
WANDB_MODES: tuple[str, ...] = ("online", "offline", "disabled")
#: wandb's older spellings of the same modes.
_MODE_ALIASES = {"dryrun": "offline", "run": "online", "shared": "online"}

log = logging.getLogger(__name__)


def _wandb_settings():
    """wandb's settings as ``wandb.init`` would read them now: settings files, then
    ``WANDB_*`` variables (read afresh: wandb's process-wide copy may be stale)."""
    from pydantic import ValidationError
    from wandb.sdk.wandb_settings import Settings

    settings = Settings()
    config_dir = os.environ.get("WANDB_CONFIG_DIR") or "~/.config/wandb"
    settings.settings_system = str(Path(config_dir).expanduser() / "settings")
    try:
        settings.update_from_system_settings()
        settings.update_from_env_vars(dict(os.environ))
    except ValidationError as error:
        problem = error.errors()[0]
        name = ".".join(str(part) for part in problem["loc"])
        raise ValueError(f"W&B setting {name}={problem['input']!r}: {problem['msg']} (set by "
                         f"WANDB_{name.upper()} or wandb's settings files)") from None
    return settings


def wandb_has_credentials(settings=None) -> bool:
    """Whether wandb would find credentials for its host without prompting.

    Uses wandb's own look-ups: this process's session credentials, ``WANDB_API_KEY`` or
    ``WANDB_IDENTITY_TOKEN_FILE``, an ``api_key`` setting, or the netrc entry for the
    W&B host (``WANDB_BASE_URL`` or the default host; ``NETRC`` or ``~/.netrc``). Nothing
    is sent over the network.
    """
    from wandb.errors import AuthenticationError
    from wandb.sdk.lib import wbauth

    settings = settings or _wandb_settings()
    if os.environ.get("WANDB_API_KEY") or os.environ.get("WANDB_IDENTITY_TOKEN_FILE"):
        return True
    if settings.api_key or wbauth.session_credentials(host=settings.base_url):
        return True
    try:
        return wbauth.read_netrc_auth(host=settings.base_url) is not None
    except AuthenticationError as error:
        log.warning("W&B: ignoring the netrc entry for %s (%s); logging offline",
                    settings.base_url, error)
        return False


def wandb_mode(requested: str | None = None) -> str:
    """The W&B mode of a run: ``online``, ``offline`` or ``disabled`` (see the module doc).

    Parameters
    ----------
    requested : the mode the user asked for (``None``: decide from wandb's switches, a
        sweep agent and credentials).
    """
    if requested is not None:
        if requested not in WANDB_MODES:
            raise ValueError(f"W&B mode {requested!r}: use one of {', '.join(WANDB_MODES)}")
        return requested
    settings = _wandb_settings()
    if "mode" in settings.model_fields_set:  # WANDB_MODE, `wandb offline`/`wandb disabled`
        return _MODE_ALIASES.get(settings.mode, settings.mode)
    if os.environ.get("WANDB_SWEEP_ID"):
        return "online"
    return "online" if wandb_has_credentials(settings) else "offline"


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
    """:class:`WandbLogger` in the run directory, resumable, in the mode :func:`wandb_mode`
    picks.

    Parameters
    ----------
    save_dir : the run directory (``null`` in configs: the CLI sets the run dir).
    project : W&B project (a sweep agent's trials go to the sweep's project).
    name : display name of the run.
    mode : ``online``, ``offline`` or ``disabled`` (``None``: :func:`wandb_mode` decides;
        ``train.py fit --wandb_mode`` sets it).
    tags : W&B tags.

    Checkpoints are never uploaded (``log_model=False``); only rank zero logs.
    """

    def __init__(self, save_dir: str | None = None, project: str = "pgxdl",
                 name: str | None = None, mode: WandbMode | None = None,
                 tags: list[str] | None = None):
        save_dir = save_dir or DEFAULT_RUN_DIR
        self.mode = wandb_mode(mode)
        super().__init__(save_dir=save_dir, project=project, name=name,
                         offline=self.mode == "offline", mode=self.mode,
                         id=persistent_run_id(save_dir), resume="allow", log_model=False,
                         tags=tags)
        # Lightning passes anonymous=None, which wandb >= 0.19 warns about on every run.
        self._wandb_init.pop("anonymous", None)


class RunCSVLogger(CSVLogger):
    """:class:`CSVLogger` writing ``<run dir>/csv/version_<k>/metrics.csv``."""

    def __init__(self, save_dir: str | None = None, name: str = "csv",
                 version: int | str | None = None):
        super().__init__(save_dir=save_dir or DEFAULT_RUN_DIR, name=name, version=version)
