"""Genotype dosage matrix (subjects x variants) from a cohort store's carried-variant table.

A variant is one ``chrom:pos:ref:alt``; a site listed by two overlapping windows is one
column. A subject who does not carry a variant has dosage 0, unless the call was missing:
the store's sequence holds ``N`` at that site (builders with ``missing_genotype: N``, e.g.
IWPC), in which case the dosage is imputed with the variant's mean over called subjects
(the usual mean imputation of genotype PCA).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pgxdl.data.store import CohortStore, StoreError
from pgxdl.explore.features import FeatureMatrix
from pgxdl.genome.encoding import N_CODE

_KEY = ["chrom", "pos", "ref", "alt"]


def alt_frequencies(dosage: np.ndarray) -> np.ndarray:
    """Alternate-allele frequency of each variant ``(V,)`` from dosages ``(N, V)``."""
    return dosage.mean(axis=0) / 2.0


def dosage_matrix(store: CohortStore, min_maf: float = 0.01, key: str = "position"
                  ) -> FeatureMatrix:
    """Alternate-allele dosage of every subject at every carried variant.

    Parameters
    ----------
    store : an open cohort store with a carried-variant table.
    min_maf : keep variants whose minor-allele frequency over all subjects is at least this
        (monomorphic variants are always dropped).
    key : variant names: ``position`` (``chrom:pos:ref:alt``) or ``id`` (the stored ID,
        the position key where the ID is missing or ``.``).

    Returns
    -------
    FeatureMatrix of ``(S, V)`` dosages (0, 1 or 2; missing calls mean-imputed), rows in
    store subject order, variants ordered by chromosome and position.
    """
    if key not in ("position", "id"):
        raise ValueError(f"key must be 'position' or 'id', got {key!r}")
    if "variants" not in store.h5:
        raise StoreError(f"{store.path}: no carried-variant table (/variants); build the store "
                         "from genotypes to explore genotype clusters")
    carried = store.variants()
    counts = np.unique(carried["allele_count"])
    if not np.isin(counts, (1, 2)).all():
        raise StoreError(f"{store.path}: /variants/allele_count holds {counts.tolist()}; "
                         "expected 1 (heterozygous) or 2 (homozygous alternate)")
    sites = _site_table(store)
    column = sites.groupby(_KEY, sort=True).ngroup().to_numpy()  # site -> variant column
    first = sites.drop_duplicates(_KEY).sort_values(_KEY)  # one site per column, in order
    dosage = np.zeros((store.n_subjects, len(first)), dtype=np.float32)
    # maximum, not sum: overlapping windows list one carried variant once per window
    np.maximum.at(dosage, (carried["subject_index"], column[carried["site_index"]]),
                  carried["allele_count"])
    missing = _missing_calls(store, first) & (dosage == 0)
    if missing.any():
        called = np.where(missing, np.nan, dosage)
        dosage = np.where(missing, np.nanmean(called, axis=0), dosage).astype(np.float32)
    names = np.array([_name(row, key) for row in first.itertuples()], dtype=str)
    frequency = alt_frequencies(dosage)
    keep = np.minimum(frequency, 1 - frequency) >= max(min_maf, np.finfo(np.float32).tiny)
    return FeatureMatrix(dosage[:, keep], np.arange(store.n_subjects, dtype=np.int64),
                         names[keep], "genotype")


def _site_table(store: CohortStore) -> pd.DataFrame:
    """Variant sites ``(V_sites,)``: window, sequence offset, chrom, pos, ref, alt, ids."""
    sites = store.variant_sites
    windows = store.windows
    window = np.asarray(sites["window_index"])
    chrom = (sites["chrom"] if "chrom" in sites
             else np.array([windows[w]["chrom"] for w in window], dtype=str))
    return pd.DataFrame({"window": window,
                         "seq_offset": sites.get("seq_offset", np.full(len(window), -1)),
                         "chrom": chrom, "pos": sites["pos"], "ref": sites["ref"],
                         "alt": sites["alt"], "ids": sites["ids"]})


def _missing_calls(store: CohortStore, variants: pd.DataFrame) -> np.ndarray:
    """``(S, V)`` True where the sequence holds ``N`` at the variant on any haplotype.

    Stores whose site table lacks ``seq_offset`` (hand-made tables) report no missing call.
    """
    missing = np.zeros((store.n_subjects, len(variants)), dtype=bool)
    if not store.has_sequence or (variants["seq_offset"] < 0).any():
        return missing
    codes = store.h5["sequence/codes"]  # (S, W, H, L)
    for window, part in variants.reset_index(drop=True).groupby("window"):
        offsets, where = np.unique(part["seq_offset"].to_numpy(), return_inverse=True)
        block = codes[:, int(window), :, offsets.tolist()]  # (S, H, k)
        missing[:, part.index.to_numpy()] = (block == N_CODE).any(axis=1)[:, where]
    return missing


def _name(row, key: str) -> str:
    if key == "id" and row.ids not in ("", "."):
        return str(row.ids)
    return f"{row.chrom}:{int(row.pos)}:{row.ref}:{row.alt}"
