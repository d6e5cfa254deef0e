"""Files shipped inside the package: configs (experiments, models, trainers, data, sweeps,
RL runs) and the allele-definition table.

A config is named either by a path that exists (``my/experiment.yaml``) or by its place in
the shipped tree (``experiment/quickstart.yaml``, or ``configs/experiment/quickstart.yaml``
as the README writes it from a checkout). :func:`config_path` resolves both, so every
command works from any folder after ``pip install pgxdl``, not only from a git checkout.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

#: The shipped config tree (``pgxdl/configs``; the checkout's ``configs`` links to it).
CONFIG_ROOT = Path(str(files("pgxdl") / "configs"))
ALLELE_TABLE = CONFIG_ROOT / "data" / "alleles" / "pgx_alleles.yaml"


def shipped_config(name: str | Path) -> Path | None:
    """The shipped config ``name`` (``experiment/quickstart.yaml``, with or without a leading
    ``configs/``), or ``None`` when the package ships none by that name."""
    parts = Path(name).parts
    if parts[:1] == ("configs",):
        parts = parts[1:]
    if not parts or Path(name).is_absolute():
        return None
    candidate = CONFIG_ROOT.joinpath(*parts)
    return candidate if candidate.is_file() else None


def config_path(name: str | Path) -> Path:
    """``name`` itself when that file exists, else the shipped config of that name.

    Raises
    ------
    FileNotFoundError naming the path and the shipped configs of that kind.
    """
    path = Path(name)
    if path.is_file():
        return path
    shipped = shipped_config(name)
    if shipped is not None:
        return shipped
    kind = Path(*[p for p in path.parts if p != "configs"][:1]) if path.parts else Path()
    folder = CONFIG_ROOT / kind
    known = (sorted(str(p.relative_to(CONFIG_ROOT)) for p in folder.glob("*.yaml"))
             if kind.parts and folder.is_dir() else sorted(p.name for p in CONFIG_ROOT.iterdir()))
    raise FileNotFoundError(f"{name}: no such file, and pgxdl ships no config of that name; "
                            f"shipped: {', '.join(known)}")


def list_configs(kind: str) -> list[str]:
    """Names (``<kind>/<file>.yaml``) of the shipped configs of one kind (``experiment``...)."""
    return sorted(str(p.relative_to(CONFIG_ROOT)) for p in (CONFIG_ROOT / kind).glob("*.yaml"))
