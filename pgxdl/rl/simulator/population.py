"""Virtual warfarin patients: covariate distributions by population, and cohorts drawn from them.

A :class:`PopulationModel` is a handful of estimated numbers (genotype frequencies, an age
histogram, log-normal weight and normal height), never patient rows. It comes from the
real IWPC table (:mod:`pgxdl.rl.simulator.iwpc_population`) when present, else from the built-in
defaults below (published allele frequencies under Hardy-Weinberg equilibrium):

==========  ==============================  =============  =================================
population  CYP2C9 *2 / *3 allele freq.     VKORC1 -1639A  source
==========  ==============================  =============  =================================
european    0.127 / 0.076                   0.388          CPIC warfarin guideline 2017
                                                           (Johnson et al., CPT 102:397),
                                                           supplementary frequency table
east_asian  0.001 / 0.034                   0.888          same
african     0.024 / 0.013                   0.107          same
==========  ==============================  =============  =================================

Ages, weights and heights of the defaults are round numbers typical of anticoagulation
cohorts (median age about 67 years), not estimates from a named study.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from pgxdl.rl.simulator.parameters import (
    AGE_RANGE_YEARS,
    CYP2C9_GENOTYPES,
    VKORC1_GENOTYPES,
    PKPDParameters,
    individual_parameters,
)

#: Age bins (lower, upper) in years used by every population model.
AGE_BINS = ((18, 30), (30, 40), (40, 50), (50, 60), (60, 70), (70, 80), (80, 90), (90, 100))
WEIGHT_RANGE_KG = (35.0, 200.0)
HEIGHT_RANGE_CM = (135.0, 210.0)


def hardy_weinberg_cyp2c9(freq_2: float, freq_3: float) -> np.ndarray:
    """Frequencies of :data:`CYP2C9_GENOTYPES` from *2 and *3 allele frequencies, shape (6,)."""
    f1 = 1.0 - freq_2 - freq_3
    return np.array([f1 * f1, 2 * f1 * freq_2, 2 * f1 * freq_3, freq_2**2,
                     2 * freq_2 * freq_3, freq_3**2])


def hardy_weinberg_vkorc1(freq_a: float) -> np.ndarray:
    """Frequencies of :data:`VKORC1_GENOTYPES` (G/G, G/A, A/A) from the A allele, shape (3,)."""
    return np.array([(1 - freq_a) ** 2, 2 * freq_a * (1 - freq_a), freq_a**2])


@dataclass(frozen=True)
class PopulationModel:
    """Covariate distribution of one population.

    ``race`` is the IWPC "Race (OMB)" category the IWPC dosing formula is given.
    Frequencies and ``age_probs`` (one per :data:`AGE_BINS`) must each sum to 1.
    """

    name: str
    race: str
    cyp2c9_freq: np.ndarray
    vkorc1_freq: np.ndarray
    age_probs: np.ndarray
    weight_log_mean: float
    weight_log_sd: float
    height_mean: float
    height_sd: float
    source: str = "built-in defaults"

    def __post_init__(self) -> None:
        for name, size in (("cyp2c9_freq", 6), ("vkorc1_freq", 3), ("age_probs", len(AGE_BINS))):
            values = np.asarray(getattr(self, name), dtype=float)
            if values.shape != (size,) or np.any(values < 0) or abs(values.sum() - 1) > 1e-6:
                raise ValueError(f"population {self.name!r}: {name} must be {size} "
                                 f"non-negative numbers summing to 1, got {values}")
            object.__setattr__(self, name, values / values.sum())

    def to_dict(self) -> dict:
        """JSON-ready summary (arrays as lists)."""
        return {f.name: (v.tolist() if isinstance(v := getattr(self, f.name), np.ndarray)
                         else v) for f in fields(self)}


def _typical_adults(name: str, race: str, f2: float, f3: float, fa: float,
                    weight_median: float, height_mean: float) -> PopulationModel:
    return PopulationModel(
        name=name, race=race, cyp2c9_freq=hardy_weinberg_cyp2c9(f2, f3),
        vkorc1_freq=hardy_weinberg_vkorc1(fa),
        age_probs=np.array([0.03, 0.05, 0.10, 0.18, 0.25, 0.27, 0.11, 0.01]),
        weight_log_mean=float(np.log(weight_median)), weight_log_sd=0.22,
        height_mean=height_mean, height_sd=10.0)


DEFAULT_POPULATIONS = {
    "european": _typical_adults("european", "White", 0.127, 0.076, 0.388, 80.0, 171.0),
    "east_asian": _typical_adults("east_asian", "Asian", 0.001, 0.034, 0.888, 62.0, 162.0),
    "african": _typical_adults("african", "Black or African American", 0.024, 0.013, 0.107,
                               86.0, 171.0),
}


@dataclass(frozen=True)
class VirtualCohort:
    """Covariates of ``N`` virtual patients, each field of shape ``(N,)``.

    ``cyp2c9`` and ``vkorc1`` index :data:`CYP2C9_GENOTYPES` and :data:`VKORC1_GENOTYPES`.
    """

    age: np.ndarray
    weight_kg: np.ndarray
    height_cm: np.ndarray
    cyp2c9: np.ndarray
    vkorc1: np.ndarray
    race: np.ndarray

    def __len__(self) -> int:
        return len(self.age)

    def take(self, index: np.ndarray | int) -> VirtualCohort:
        """The covariates of the patients at ``index``."""
        index = np.atleast_1d(index)
        return VirtualCohort(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def record(self, i: int) -> dict:
        """Patient ``i`` as a plain dict with genotype strings (what a clinic would know)."""
        return {"age": float(self.age[i]), "weight_kg": float(self.weight_kg[i]),
                "height_cm": float(self.height_cm[i]), "race": str(self.race[i]),
                "cyp2c9": CYP2C9_GENOTYPES[self.cyp2c9[i]],
                "vkorc1": VKORC1_GENOTYPES[self.vkorc1[i]]}


def sample_cohort(population: PopulationModel, n: int, rng: np.random.Generator) -> VirtualCohort:
    """Draw ``n`` patients' covariates independently from ``population``."""
    bins = np.asarray(AGE_BINS, dtype=float)
    which = rng.choice(len(AGE_BINS), size=n, p=population.age_probs)
    age = rng.uniform(bins[which, 0], bins[which, 1])
    age = np.clip(age, *AGE_RANGE_YEARS)
    weight = np.exp(rng.normal(population.weight_log_mean, population.weight_log_sd, n))
    height = rng.normal(population.height_mean, population.height_sd, n)
    return VirtualCohort(
        age=age, weight_kg=np.clip(weight, *WEIGHT_RANGE_KG),
        height_cm=np.clip(height, *HEIGHT_RANGE_CM),
        cyp2c9=rng.choice(len(CYP2C9_GENOTYPES), size=n, p=population.cyp2c9_freq),
        vkorc1=rng.choice(len(VKORC1_GENOTYPES), size=n, p=population.vkorc1_freq),
        race=np.full(n, population.race, dtype=object))


@dataclass(frozen=True)
class VirtualPatients:
    """Covariates and Hamberg PK/PD parameters of the same ``N`` patients."""

    covariates: VirtualCohort
    params: PKPDParameters = field(repr=False)

    def __len__(self) -> int:
        return len(self.covariates)

    def take(self, index: np.ndarray | int) -> VirtualPatients:
        """The patients at ``index``."""
        return VirtualPatients(self.covariates.take(index), self.params.take(index))


def sample_virtual_patients(population: PopulationModel, n: int, rng: np.random.Generator,
                            eta_clip_sd: float = 2.5, iiv_scale: float = 1.0,
                            model=None) -> VirtualPatients:
    """Draw ``n`` patients: covariates, then individual parameters with random effects.

    ``model`` is the simulator variant (:func:`pgxdl.rl.simulator.variants.resolve_simulator`;
    default Hamberg 2007). The same ``rng`` state gives the same covariates and random
    effects under every variant.
    """
    cohort = sample_cohort(population, n, rng)
    params = individual_parameters(cohort.cyp2c9, cohort.vkorc1, cohort.age, rng,
                                   eta_clip_sd=eta_clip_sd, iiv_scale=iiv_scale, model=model)
    return VirtualPatients(cohort, params)
