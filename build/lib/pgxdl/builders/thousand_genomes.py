"""1000 Genomes phased haplotypes over pharmacogene windows, with populations.

Reads ``<GENE>_GRCh38.vcf.gz`` for each gene that has a window, in one sample order,
and the panel file mapping samples to ``pop`` / ``super_pop``. Samples absent from the
panel (relatives added to the 3,202-sample release) get the population ``unknown``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pgxdl.genome.reference.fasta import ReferenceGenome
from pgxdl.genome.reference.windows import WindowSpec
from pgxdl.genome.variants.callset import CallSet
from pgxdl.genome.variants.vcf import read_vcf

PANEL = "integrated_call_samples_v3.20130502.ALL.panel"


def read_panel(folder: Path) -> pd.DataFrame:
    """The sample panel: columns ``sample``, ``pop``, ``super_pop``, ``gender``."""
    path = Path(folder) / PANEL
    panel = pd.read_csv(path, sep="\t", usecols=[0, 1, 2, 3])
    missing = {"sample", "pop", "super_pop"} - set(panel.columns)
    if missing:
        raise ValueError(f"{path}: panel lacks columns {sorted(missing)}")
    return panel


def load_1kgp_callset(folder: Path, windows: list[WindowSpec], reference: ReferenceGenome,
                      n_subjects: int | None = None, seed: int = 0,
                      level: str = "super_pop") -> tuple[CallSet, np.ndarray]:
    """Phased calls of every window's gene and each sample's population ``(S,)``.

    ``n_subjects`` draws that many samples at random (seeded) instead of all of them.
    """
    folder = Path(folder)
    genes = list(dict.fromkeys(w.gene for w in windows))
    paths = [folder / f"{gene}_GRCh38.vcf.gz" for gene in genes]
    for gene, path in zip(genes, paths, strict=True):
        if not path.exists():
            raise FileNotFoundError(f"{path}: no 1000 Genomes VCF for window gene {gene!r}")
    first = read_vcf(paths[0], windows=[w for w in windows if w.gene == genes[0]],
                     reference=reference)
    samples = list(first.samples)
    if n_subjects is not None and n_subjects < len(samples):
        keep = np.sort(np.random.default_rng(seed).choice(len(samples), n_subjects,
                                                          replace=False))
        samples = [samples[i] for i in keep]
    callsets = [first.subset_samples(samples)] + [
        read_vcf(path, samples=samples, windows=[w for w in windows if w.gene == gene],
                 reference=reference)
        for gene, path in zip(genes[1:], paths[1:], strict=True)]
    panel = read_panel(folder).set_index("sample")[level]
    population = panel.reindex(samples).fillna("unknown").to_numpy(dtype=str)
    return CallSet.concat_variants(callsets), population
