"""What a model needs to know about the data: shapes, features and tasks.

A :class:`DataSpec` is read from a cohort store by the DataModule and linked into the
model by LightningCLI (``link_arguments(..., apply_on="instantiate")``), so window shapes,
tabular widths and task lists flow from the data to the model, never by hand. It is also
saved in every checkpoint so evaluation on incompatible data fails clearly.

Batch contract (what every DataLoader of pgxdl yields, a dict of tensors)
-------------------------------------------------------------------------
``sequence``         float32 ``(N, W, C, L)``  one-hot windows (C = 4 dosage, 8 phased)
``numeric``          float32 ``(N, F_num)``    normalised numeric/binary features, 0 if missing
``numeric_missing``  float32 ``(N, F_num)``    1.0 where the raw value was missing
``categorical``      int64   ``(N, F_cat)``    category codes, 0 = missing or unknown
``drug``             int64   ``(N,)``          drug index into the store's drug table
``target``           float32 ``(N, T)``       task values (class index if multiclass), 0 if missing
``target_mask``      bool    ``(N, T)``        True where the label is present
``index``            int64   ``(N,)``          observation row in the store (never a subject ID)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class TaskSpec:
    """One prediction task, as stored in the cohort store and in checkpoints.

    Parameters
    ----------
    name : task name (prediction columns and metrics are named after it).
    kind : a registered task kind (:data:`pgxdl.tasks.KINDS`: regression, binary,
        multiclass); what the kind means lives in :mod:`pgxdl.tasks`.
    units : units of the reported values (after the inverse of ``transform``).
    n_classes : number of classes (multiclass).
    transform : scale the stored values are on (:mod:`pgxdl.tasks.transforms`):
        ``identity`` (default; also what stores written without the field read as) or
        e.g. ``sqrt`` for a target stored as the square root of the dose.
    """

    name: str
    kind: str
    units: str = ""
    n_classes: int = 0
    transform: str = "identity"

    def to_record(self) -> dict:
        """Plain dict for the store; ``transform`` only when it is not the identity, so
        stores (and their fingerprints) without a transform read and hash as before."""
        record = asdict(self)
        if record["transform"] == "identity":
            del record["transform"]
        return record


@dataclass(frozen=True)
class DataSpec:
    """Shapes and vocabularies of a cohort store, as the model sees them."""

    schema_version: int
    window_names: tuple[str, ...]
    window_length: int
    channels: int
    numeric_features: tuple[str, ...]
    categorical_features: tuple[str, ...]
    categorical_cardinalities: tuple[int, ...]
    tasks: tuple[TaskSpec, ...]
    n_drugs: int = 1
    store_fingerprint: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def n_windows(self) -> int:
        return len(self.window_names)

    @property
    def n_numeric(self) -> int:
        return len(self.numeric_features)

    def to_dict(self) -> dict:
        """Plain-Python form, for checkpoints (``hparams``) and JSON."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> DataSpec:
        data = dict(data)
        data["tasks"] = tuple(TaskSpec(**t) for t in data["tasks"])
        for key in ("window_names", "numeric_features", "categorical_features",
                    "categorical_cardinalities"):
            data[key] = tuple(data[key])
        return cls(**data)

    def check_compatible(self, other: DataSpec) -> None:
        """Raise ``ValueError`` naming every field in which ``other`` differs from ``self``."""
        problems = []
        for name in ("window_names", "window_length", "channels", "numeric_features",
                     "categorical_features", "categorical_cardinalities", "tasks", "n_drugs"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine != theirs:
                problems.append(f"{name}: model expects {mine!r}, data has {theirs!r}")
        if problems:
            raise ValueError("data does not fit the model:\n  " + "\n  ".join(problems))
