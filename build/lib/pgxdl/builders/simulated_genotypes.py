"""Random reference windows and population-structured genotypes for simulated cohorts.

Allele frequencies follow the Balding-Nichols model: an ancestral frequency ``p`` per
site and, per population, ``Beta(p (1 - F) / F, (1 - p) (1 - F) / F)`` with fixation
index ``F`` (Fst), so populations differ as real ones do. Haplotypes are drawn
independently per site (no LD on random backgrounds; use the 1000 Genomes background for
real LD).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pgxdl.genome.encoding import ALPHABET


@dataclass
class PopulationGenotypes:
    """Variant sites and phased genotypes of a simulated cohort.

    ``window_index``, ``offset`` (0-based within the window), ``ref``, ``alt`` are ``(V,)``;
    ``genotypes`` is ``(S, V, 2)`` int8 (0 ref, 1 alt); ``population`` is ``(S,)`` str;
    ``frequencies`` is ``(P, V)``, per population.
    """

    window_index: np.ndarray
    offset: np.ndarray
    ref: np.ndarray
    alt: np.ndarray
    genotypes: np.ndarray
    population: np.ndarray
    frequencies: np.ndarray


def random_reference(n_windows: int, length: int, rng: np.random.Generator,
                     gc: float = 0.42) -> np.ndarray:
    """Random reference windows ``(W, L)`` uint8 codes (A C G T) with GC fraction ``gc``."""
    probabilities = np.array([1 - gc, gc, gc, 1 - gc]) / 2
    return rng.choice(4, size=(n_windows, length), p=probabilities).astype(np.uint8)


def sample_population_genotypes(reference: np.ndarray, n_subjects: int, populations: list[str],
                                sites_per_window: int, fst: float, rng: np.random.Generator,
                                min_frequency: float = 0.02) -> PopulationGenotypes:
    """Draw SNV sites on ``reference (W, L)`` and phased genotypes for ``n_subjects``.

    Subjects are spread evenly over ``populations``. Sites avoid the first and last 5% of
    each window, so convolutions see context on both sides.
    """
    if not 0 < fst < 1:
        raise ValueError(f"fst must be in (0, 1), got {fst}")
    n_windows, length = reference.shape
    margin = max(1, length // 20)
    if sites_per_window > length - 2 * margin:
        raise ValueError(f"{sites_per_window} sites do not fit windows of length {length}")
    offsets = np.concatenate([np.sort(rng.choice(np.arange(margin, length - margin),
                                                 sites_per_window, replace=False))
                              for _ in range(n_windows)])
    window_index = np.repeat(np.arange(n_windows), sites_per_window)
    ref_codes = reference[window_index, offsets]
    alt_codes = (ref_codes + rng.integers(1, 4, size=len(offsets))) % 4
    ancestral = rng.uniform(min_frequency, 0.5, size=len(offsets))
    a, b = ancestral * (1 - fst) / fst, (1 - ancestral) * (1 - fst) / fst
    frequencies = rng.beta(a, b, size=(len(populations), len(offsets)))
    frequencies = np.clip(frequencies, 0.0, 0.95)
    population_index = np.arange(n_subjects) % len(populations)
    rng.shuffle(population_index)
    p = frequencies[population_index]  # (S, V)
    genotypes = (rng.random((n_subjects, len(offsets), 2)) < p[..., None]).astype(np.int8)
    letters = np.array(list(ALPHABET))
    return PopulationGenotypes(window_index, offsets, letters[ref_codes], letters[alt_codes],
                               genotypes, np.array(populations)[population_index], frequencies)
