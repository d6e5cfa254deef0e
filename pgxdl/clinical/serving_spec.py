"""What a checkpoint says about the inputs of a new person: :class:`ServingSpec`.

Everything ``pgxdl predict`` needs to turn a VCF and a record into model inputs lives in
the checkpoint's :class:`~pgxdl.data.spec.DataSpec`: windows, feature schema, vocabularies,
normalisation and, under ``extra["serving"]`` (:mod:`pgxdl.data.serving`), the reference
the windows were cut from and aggregate facts about the training subjects (ranges, counts,
carried sites) that the warnings compare a new person with. Checkpoints written before
the serving metadata existed still work: the schema is rebuilt from the feature names and
vocabularies (no units, no allowed range) and the range warnings are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pgxdl.data.serving import SERVING_KEY
from pgxdl.data.spec import DataSpec
from pgxdl.data.tabular import FeatureSpec, TabularSchema
from pgxdl.genome.reference.windows import WindowSpec


@dataclass
class ServingSpec:
    """The inputs a checkpoint expects, read from its :class:`DataSpec`.

    Attributes
    ----------
    spec : the checkpoint's data spec.
    schema : tabular schema (source column, units, allowed range of each feature).
    windows : the ``W`` genome windows, in model order.
    reference : ``{"name": path or label, "build": ...}`` of the training reference.
    missing_policy : how a missing call was written at training (``reference`` or ``N``).
    phased : whether training genotypes kept two haplotype tracks.
    training : aggregate facts about the training subjects (``numeric_ranges``,
        ``category_counts``, ``group_counts``, ``sites``, ``n_train``); empty for old
        checkpoints.
    """

    spec: DataSpec
    schema: TabularSchema
    windows: list[WindowSpec]
    reference: dict = field(default_factory=dict)
    missing_policy: str = "reference"
    phased: bool = False
    training: dict = field(default_factory=dict)

    @classmethod
    def from_spec(cls, spec: DataSpec) -> ServingSpec:
        """Read the serving facts of ``spec`` (rebuilding what an old checkpoint lacks)."""
        serving = spec.extra.get(SERVING_KEY) or {}
        if serving.get("schema") is not None:
            schema = TabularSchema.from_config(serving["schema"])
        else:
            vocabularies = spec.extra.get("vocabularies", {})
            schema = TabularSchema(
                [FeatureSpec(name, "numeric") for name in spec.numeric_features]
                + [FeatureSpec(name, "categorical",
                               categories=tuple(vocabularies.get(name, ())))
                   for name in spec.categorical_features])
        windows = [WindowSpec(**{k: w[k] for k in ("name", "gene", "chrom", "start", "end",
                                                   "strand")})
                   for w in spec.extra.get("windows", [])]
        return cls(spec, schema, windows, dict(serving.get("reference") or {}),
                   str(serving.get("missing_policy", "reference")),
                   int(serving.get("haplotype_tracks", 1)) == 2,
                   {k: v for k, v in serving.items()
                    if k not in ("schema", "reference", "missing_policy", "haplotype_tracks")})

    @property
    def uses_genome(self) -> bool:
        return bool(self.windows) and self.spec.window_length > 0

    def reference_path(self, given: str | Path | None) -> Path:
        """The reference FASTA: ``given``, else the training one when it still exists.

        Raises
        ------
        FileNotFoundError naming both when neither is a file.
        """
        if given is not None:
            path = Path(given)
            if not path.is_file():
                raise FileNotFoundError(f"reference FASTA {path} not found; give --reference the "
                                        f"FASTA the model was trained with "
                                        f"({self.reference_label})")
            return path
        trained = Path(self.reference.get("name", ""))
        if self.reference.get("name") and trained.is_file():
            return trained
        raise FileNotFoundError(f"this model reads genome windows and its training reference "
                                f"({self.reference_label}) is not on this machine; pass "
                                f"--reference PATH to a FASTA of the same build")

    @property
    def reference_label(self) -> str:
        name = self.reference.get("name") or "not recorded"
        build = self.reference.get("build") or "build not recorded"
        return f"{name}, {build}"
