"""Cohorts with planted genetic subgroups for the explore tests (no genome layer needed).

Populations differ in allele frequencies (Balding-Nichols with a large Fst), one variant is
made characteristic of the first population, and the dose target depends on population,
so every part of an exploration has a known answer. Sequence codes are the reference
(exploration reads only the carried-variant table).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pgxdl.builders.simulated_genotypes import random_reference, sample_population_genotypes
from pgxdl.data.cohort import Cohort, Observations, SequenceBlock
from pgxdl.data.spec import TaskSpec
from pgxdl.data.splits import holdout_split
from pgxdl.data.store_writer import write_store
from pgxdl.genome.reference.windows import WindowSpec

POPULATIONS = ["A", "B", "C"]
TASKS = [TaskSpec("dose", "regression", "mg/week"), TaskSpec("event", "binary")]
DOSE_BY_POPULATION = {"A": 20.0, "B": 35.0, "C": 50.0}


def carried_table(genotypes: np.ndarray, window_index: np.ndarray, offset: np.ndarray,
                  windows: list[WindowSpec], ref: np.ndarray, alt: np.ndarray) -> dict:
    """The carried-variant table of phased ``genotypes (S, V, 2)`` (0 ref, 1 alt).

    Windows are on the + strand, so a site's ``seq_offset`` equals its ``offset``.
    """
    subject, variant = np.nonzero(genotypes.sum(axis=2))
    starts = np.array([w.start for w in windows])[window_index[variant]]
    hap = genotypes[subject, variant]
    return {"subject_index": subject.astype(np.int32),
            "window_index": window_index[variant].astype(np.int32),
            "offset": offset[variant].astype(np.int32),
            "seq_offset": offset[variant].astype(np.int32),
            "chrom": np.array([w.chrom for w in windows])[window_index[variant]],
            "pos": (starts + offset[variant]).astype(np.int64),
            "ids": np.array([f"v{v}" for v in variant]), "ref": ref[variant],
            "alt": alt[variant], "allele_count": hap.sum(axis=1).astype(np.int8),
            "hap_mask": (hap[:, 0] | hap[:, 1] << 1).astype(np.uint8)}


def planted_cohort(n: int = 150, sites_per_window: int = 40, fst: float = 0.4,
                   seed: int = 0) -> Cohort:
    """``n`` subjects in three populations over two windows of 200 bases.

    Variant 0 is made characteristic of population ``A`` (frequency 0.9 there, 0.02
    elsewhere); ``dose`` is :data:`DOSE_BY_POPULATION` plus noise (sd 3); ``event`` is
    Bernoulli(0.5) everywhere (no difference between populations).
    """
    rng = np.random.default_rng(seed)
    length = 200
    reference = random_reference(2, length, rng)
    sim = sample_population_genotypes(reference, n, POPULATIONS, sites_per_window, fst, rng)
    first = sim.population == "A"
    frequency = np.where(first, 0.9, 0.02)
    sim.genotypes[:, 0, :] = rng.random((n, 2)) < frequency[:, None]
    windows = [WindowSpec(f"w{w}", f"G{w}", f"chr{w + 1}", 1001, 1000 + length, "+")
               for w in range(2)]
    variants = carried_table(sim.genotypes, sim.window_index, sim.offset, windows, sim.ref,
                             sim.alt)
    dose = np.array([DOSE_BY_POPULATION[p] for p in sim.population]) + rng.normal(0, 3, n)
    event = rng.integers(0, 2, n)
    codes = np.repeat(reference[None, :, None, :], n, axis=0)
    return Cohort(
        subject_ids=[f"PERSON-{i:05d}" for i in range(n)],
        sequence=SequenceBlock(windows, reference, codes, 1, variants),
        tabular=None,
        observations=Observations.one_drug(np.column_stack([dose, event]), TASKS, "warfarin"),
        groups={"population": sim.population, "site": rng.choice(["s0", "s1"], n)},
        splits={"default": holdout_split(n, 0.2, 0.2, seed)},
    )


def write_planted_store(path: str | Path, **settings) -> Path:
    """:func:`planted_cohort` written as a cohort store at ``path``."""
    return write_store(path, planted_cohort(**settings), salt="test", progress=False)
