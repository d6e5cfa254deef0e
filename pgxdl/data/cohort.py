"""The in-memory description of a cohort that a builder hands to the store writer.

Builders (simulated, 1000 Genomes, IWPC, GDSC, a user's VCF + EHR) fill a
:class:`Cohort`; :func:`pgxdl.data.store.write_store` writes it. Shapes use
``S`` subjects, ``W`` windows, ``H`` haplotype tracks (1 dosage, 2 phased), ``L`` window
length, ``K`` carried variants, ``O`` observations (subject x drug), ``T`` tasks, ``D`` drugs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from pgxdl.data.spec import TaskSpec
from pgxdl.data.tabular import TabularBlock

#: Fields of a carried-variant table (one row per subject x variant the subject carries).
VARIANT_FIELDS = ("subject_index", "window_index", "offset", "pos", "ids", "ref", "alt",
                  "allele_count", "hap_mask")
#: Fields that describe the variant site, stored once per site rather than per carrier.
SITE_FIELDS = ("window_index", "offset", "seq_offset", "chrom", "pos", "ids", "ref", "alt")


@dataclass
class SequenceBlock:
    """Personal sequence windows.

    ``codes`` is either the whole ``(S, W, H, L)`` uint8 array or an iterable of
    ``(start_subject, chunk (s, W, H, L))`` pairs, for cohorts too large for memory.
    ``variants`` maps each of :data:`VARIANT_FIELDS` to a ``(K,)`` array (one row per
    carrier); when ``sites`` is given instead (the fast path of
    :meth:`from_personal`), ``variants`` holds only carrier fields with a ``site_index``
    into ``sites``.
    """

    windows: list  # list[pgxdl.genome.reference.windows.WindowSpec]
    reference_codes: np.ndarray  # (W, L) uint8
    codes: np.ndarray | Iterable[tuple[int, np.ndarray]]
    haplotypes: int  # H
    variants: dict[str, np.ndarray]
    sites: dict[str, np.ndarray] | None = None

    @property
    def flat_variants(self) -> dict[str, np.ndarray]:
        """One row per carrier with every site field joined in, each ``(K,)``."""
        if self.sites is None:
            return self.variants
        site = np.asarray(self.variants["site_index"])
        return {**{k: np.asarray(v)[site] for k, v in self.sites.items()}, **self.variants}

    @classmethod
    def from_personal(cls, windows: list, personal) -> SequenceBlock:
        """From a :class:`pgxdl.genome.personal.builder.PersonalWindows` of the whole cohort."""
        return cls(windows, personal.reference_codes, personal.codes, personal.codes.shape[2],
                   personal.carriers, personal.sites)


@dataclass
class Observations:
    """Responses of subjects to drugs: one row per (subject, drug) with T task values.

    ``splits`` holds observation-level split schemes ``{name: (O,) int8}`` (0 train, 1 val,
    2 test) for designs that split pairs rather than subjects (random pairs, unseen drugs);
    ``drug_columns`` holds further per-drug columns ``{name: (D,) or (D, k)}`` (targets,
    pathway, descriptors), stored beside the drug names.
    """

    subject_index: np.ndarray  # (O,) int
    drug_index: np.ndarray  # (O,) int
    values: np.ndarray  # (O, T) float, NaN = missing label
    tasks: list[TaskSpec]
    drug_names: list[str] = field(default_factory=lambda: ["drug"])
    drug_smiles: list[str] | None = None
    drug_features: np.ndarray | None = None  # (D, B) float32, e.g. fingerprints
    splits: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (O,) int8
    drug_columns: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (D, ...)

    @classmethod
    def one_drug(cls, values: np.ndarray, tasks: list[TaskSpec], drug: str = "drug"):
        """The single-drug cohort: observation ``i`` is subject ``i``."""
        values = np.asarray(values, dtype=np.float32).reshape(len(values), -1)
        n = len(values)
        return cls(np.arange(n), np.zeros(n, dtype=np.int64), values, tasks, [drug])


@dataclass
class Cohort:
    """Everything a cohort store holds, before writing."""

    subject_ids: list[str]  # raw IDs; the writer stores only salted hashes
    sequence: SequenceBlock | None
    tabular: TabularBlock | None
    observations: Observations
    groups: dict[str, np.ndarray] = field(default_factory=dict)  # key -> (S,) str
    splits: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (S,) int8
    truth: dict[str, np.ndarray] = field(default_factory=dict)  # table of simulated truth
    truth_attrs: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)
    # split -> (mean, std) of the numeric features, fitted on a whole cohort of which this
    # is a shard; empty: the writer fits them on these subjects' training part
    normalisation: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @property
    def n_subjects(self) -> int:
        return len(self.subject_ids)
