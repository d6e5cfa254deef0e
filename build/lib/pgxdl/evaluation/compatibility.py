"""Check that a store fits the data a checkpoint was trained on, before predicting.

:meth:`DataSpec.check_compatible` compares shapes, feature names, cardinalities, tasks
and drugs. Two more things must match for codes to mean the same on both sides: the
categorical vocabularies (code ``k`` must be the same category) and the window
coordinates (window ``w`` must be the same stretch of genome). Both are in
``spec.extra``, which the store fills in :meth:`pgxdl.data.store.CohortStore.spec`.
"""

from __future__ import annotations

from pgxdl.data.spec import DataSpec


def check_evaluation_data(trained: DataSpec, data: DataSpec, store: str = "the store") -> None:
    """Raise ``ValueError`` listing every way ``data`` differs from the ``trained`` spec.

    Parameters
    ----------
    trained : the spec stored in the checkpoint.
    data : the spec of the store to evaluate on.
    store : the store's path, named in the message.
    """
    if trained.schema_version != data.schema_version:
        raise ValueError(f"{store}: store schema_version {data.schema_version} differs from "
                         f"the checkpoint's {trained.schema_version}; rebuild the store with "
                         f"the pgxdl version the model was trained with")
    try:
        trained.check_compatible(data)
    except ValueError as error:
        raise ValueError(f"{store}: {error}") from None
    problems = []
    mine, theirs = (spec.extra.get("vocabularies", {}) for spec in (trained, data))
    for feature in sorted(set(mine) & set(theirs)):
        if list(mine[feature]) != list(theirs[feature]):
            problems.append(f"vocabulary of {feature!r}: model expects {list(mine[feature])}, "
                            f"data has {list(theirs[feature])}")
    mine, theirs = (spec.extra.get("windows", []) for spec in (trained, data))
    if mine and theirs:
        for old, new in zip(mine, theirs, strict=True):
            fields = ("chrom", "start", "end", "strand")
            if any(old.get(f) != new.get(f) for f in fields):
                problems.append(f"window {old.get('name')!r}: model expects "
                                f"{[old.get(f) for f in fields]}, data has "
                                f"{[new.get(f) for f in fields]}")
    if problems:
        raise ValueError(f"{store}: data does not fit the model:\n  " + "\n  ".join(problems))


def checkpoint_normalisation(trained: DataSpec) -> dict | None:
    """The numeric-feature statistics ``{"mean", "std"}`` fitted at training time, if any."""
    norm = trained.extra.get("normalisation") or None
    if norm is not None and not {"mean", "std"} <= set(norm):
        raise ValueError(f"checkpoint normalisation lacks mean/std (has {sorted(norm)})")
    return norm
