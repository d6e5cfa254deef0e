"""The embedded default cohort: simulated people, genomes, EHR and drug responses.

Needs no external file. ``background: random`` draws reference windows and
population-structured genotypes (:mod:`pgxdl.builders.simulated_genotypes`);
``background: 1kgp`` uses the real GRCh38 pharmacogene windows and the phased 1000
Genomes haplotypes from ``$PGXDL_DATA`` (real LD and population structure). Either way
EHR covariates and outcomes come from :mod:`pgxdl.builders.simulated_outcomes`, and the
causal variants, their effects and the noise floor are saved in the store's ``/truth``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from pgxdl.builders.simulated_genotypes import random_reference, sample_population_genotypes
from pgxdl.builders.simulated_outcomes import EHR_SCHEMA, TASKS, simulate_ehr, simulate_outcomes
from pgxdl.builders.thousand_genomes import load_1kgp_callset
from pgxdl.data.cohort import Cohort, Observations, SequenceBlock
from pgxdl.data.splits import standard_splits
from pgxdl.data.tabular import TabularSchema
from pgxdl.genome.encoding import decode
from pgxdl.genome.personal.builder import PersonalWindowBuilder
from pgxdl.genome.reference.fasta import ReferenceGenome
from pgxdl.genome.reference.windows import WindowSpec, load_windows
from pgxdl.genome.variants.callset import CallSet

DEFAULTS = {
    "seed": 0,
    "n_subjects": 2000,
    "background": "random",
    "n_windows": 4,
    "window_length": 1000,
    "sites_per_window": 30,
    "populations": ["AFR", "AMR", "EAS", "EUR", "SAS"],
    "fst": 0.1,
    "n_sites": 4,
    "outcome": {},
    "split": {"val_fraction": 0.15, "test_fraction": 0.15, "kfold": 5},
}


def build(config: dict) -> Cohort:
    """Build a simulated :class:`Cohort` from ``config`` (keys as in :data:`DEFAULTS`)."""
    config = {**DEFAULTS, **config}
    rng = np.random.default_rng(config["seed"])
    with tempfile.TemporaryDirectory() as tmp:
        if config["background"] == "random":
            callset, reference, windows, population = _random_background(config, rng, Path(tmp))
        elif config["background"] == "1kgp":
            callset, reference, windows, population = _thousand_genomes_background(config)
        else:
            raise ValueError(f"background must be 'random' or '1kgp', got "
                             f"{config['background']!r}")
        personal = PersonalWindowBuilder(reference, windows, phased=False).stream(callset)
    dosage = np.clip(callset.genotypes, 0, 1).sum(axis=2).astype(np.float64)  # (S, V)
    frequencies = dosage.mean(axis=0) / 2
    snv = np.array([len(r) == 1 and len(a) == 1 for r, a in zip(callset.ref, callset.alt,
                                                                 strict=True)])
    in_window = _site_windows(callset, windows) >= 0
    ehr = simulate_ehr(population, config["n_sites"], rng)
    targets, truth = simulate_outcomes(dosage, frequencies, ehr, rng,
                                       candidates=np.flatnonzero(snv & in_window
                                                                 & (frequencies >= 0.05)
                                                                 & (frequencies <= 0.95)),
                                       **config["outcome"])
    schema = _schema(config["n_sites"])
    tabular = schema.encode(ehr, source="simulated EHR")
    ids = [f"SIM{i:07d}" for i in range(len(population))]
    groups = {"population": population, "site": ehr["site"].to_numpy()}
    return Cohort(
        subject_ids=ids,
        sequence=SequenceBlock.from_personal(windows, personal),
        tabular=tabular,
        observations=Observations.one_drug(targets, TASKS, drug="warfarin (simulated)"),
        groups=groups,
        splits=standard_splits(targets[:, 0], groups, {"group_by": "site", **config["split"]},
                               config["seed"], grouped_default=False),
        truth=_truth_table(callset, windows, truth),
        truth_attrs={**truth["settings"], "background": config["background"]},
        provenance={"builder": "simulated", "config": config,
                    "reference_name": "random" if config["background"] == "random"
                    else str(config.get("reference", "GRCh38_pgx_regions.fa")),
                    "reference_build": "none" if config["background"] == "random"
                    else "GRCh38"},
    )


def _random_background(config: dict, rng: np.random.Generator, tmp: Path):
    length, n_windows = config["window_length"], config["n_windows"]
    reference_codes = random_reference(n_windows, length, rng)
    windows = [WindowSpec(f"window{w}", f"GENE{w + 1}", f"sim{w + 1}", 1, length, "+")
               for w in range(n_windows)]
    fasta = tmp / "reference.fa"
    fasta.write_text("".join(f">{w.chrom}\n{decode(codes)}\n"
                             for w, codes in zip(windows, reference_codes, strict=True)))
    reference = ReferenceGenome(fasta, build="random")
    sim = sample_population_genotypes(reference_codes, config["n_subjects"],
                                      list(config["populations"]), config["sites_per_window"],
                                      config["fst"], rng)
    n_sites = len(sim.offset)
    callset = CallSet(
        chrom=np.array([windows[w].chrom for w in sim.window_index]),
        pos=sim.offset.astype(np.int64) + 1,
        ids=np.array([f"sim{w + 1}:{o + 1}:{r}:{a}" for w, o, r, a in
                      zip(sim.window_index, sim.offset, sim.ref, sim.alt, strict=True)]),
        ref=sim.ref, alt=sim.alt, genotypes=sim.genotypes,
        phased=np.ones((config["n_subjects"], n_sites), dtype=bool),
        samples=[f"SIM{i:07d}" for i in range(config["n_subjects"])],
    )
    return callset, reference, windows, sim.population


def _thousand_genomes_background(config: dict):
    from pgxdl.paths import shared_data_dir

    data = Path(config.get("data_dir") or shared_data_dir())
    reference = ReferenceGenome(data / "reference" / "GRCh38_pgx_regions.fa", build="GRCh38")
    windows = load_windows(config["windows"])
    callset, population = load_1kgp_callset(data / "1kgp", windows, reference,
                                            n_subjects=config.get("n_subjects"),
                                            seed=config["seed"])
    return callset, reference, windows, population


def _site_windows(callset: CallSet, windows: list[WindowSpec]) -> np.ndarray:
    """Index of the window holding each site ``(V,)``, -1 outside every window."""
    where = np.full(len(callset.pos), -1)
    for w, window in enumerate(windows):
        inside = ((np.char.replace(callset.chrom.astype(str), "chr", "")
                   == window.chrom.replace("chr", ""))
                  & (callset.pos >= window.start) & (callset.pos <= window.end))
        where[inside & (where < 0)] = w
    return where


def _schema(n_sites: int) -> TabularSchema:
    items = [dict(item) for item in EHR_SCHEMA]
    items[-1]["categories"] = [f"site{s}" for s in range(n_sites)]
    return TabularSchema.from_config(items)


def _truth_table(callset: CallSet, windows: list[WindowSpec], truth: dict) -> dict:
    causal = truth["causal"]
    window_index = _site_windows(callset, windows)[causal]
    starts = np.array([windows[w].start for w in window_index])
    return {
        "window_index": window_index.astype(np.int32),
        "offset": (callset.pos[causal] - starts).astype(np.int32),
        "pos": callset.pos[causal].astype(np.int64),
        "chrom": callset.chrom[causal],
        "ids": callset.ids[causal],
        "ref": callset.ref[causal],
        "alt": callset.alt[causal],
        "effect": truth["effect"].astype(np.float32),
        "role": truth["role"],
    }
