"""Task kinds by name: ``TaskSpec.kind`` -> the class that says what the kind means."""

from __future__ import annotations

from pgxdl.data.spec import TaskSpec
from pgxdl.tasks.base import TaskKind
from pgxdl.tasks.classification import Binary, Multiclass
from pgxdl.tasks.regression import Regression

#: Every registered task kind, by the name stored in ``TaskSpec.kind``.
KINDS: dict[str, type[TaskKind]] = {}


def register_kind(cls: type[TaskKind]) -> type[TaskKind]:
    """Make ``cls`` the kind of every task whose ``kind`` is ``cls.name`` (a decorator)."""
    if cls.name in KINDS and KINDS[cls.name] is not cls:
        raise ValueError(f"task kind {cls.name!r} is already registered as "
                         f"{KINDS[cls.name].__name__}")
    KINDS[cls.name] = cls
    return cls


for _kind in (Regression, Binary, Multiclass):
    register_kind(_kind)


def task_kind(spec: TaskSpec) -> TaskKind:
    """The kind object of ``spec`` (raises ``ValueError`` for an unknown kind)."""
    if spec.kind not in KINDS:
        raise ValueError(f"task {spec.name!r} has unknown kind {spec.kind!r}; registered "
                         f"kinds are {sorted(KINDS)} (pgxdl.tasks.register_kind adds one)")
    return KINDS[spec.kind](spec)
