"""Published parameters of the Hamberg et al. (2007) S-warfarin PK/PD model, per patient.

Hamberg AK, Dahl ML, Barban M, et al. A PK-PD model for predicting the impact of age,
CYP2C9, and VKORC1 genotype on individualization of warfarin therapy.
Clin Pharmacol Ther 2007;81:529-538 (doi:10.1038/sj.clpt.6100084).

Typical values (a 71-year-old, the study's median age). Units: L, h, mg/L.

==========================  =========================  ==========================================
parameter                   value                      source
==========================  =========================  ==========================================
CL, CYP2C9 *1/*1            0.314 L/h                  Hamberg 2007 (H07) estimates
CL fraction lost *1/*2      0.315                      H07 estimates
CL fraction lost *1/*3      0.453                      H07 estimates
CL fraction lost *2/*2      0.722                      H07 estimates
CL fraction lost *2/*3      0.690                      H07 estimates
CL fraction lost *3/*3      0.852                      H07 estimates
age on CL                   -0.91 % per year from 71   H07 (linear, centred on 71 y)
V1 (central)                13.8 L                     H07 estimates
V2 (peripheral)             6.59 L                     H07 estimates
Q (intercompartmental)      0.131 L/h                  H07 estimates
ka                          2 /h (fixed)               H07 (fixed in the estimation)
F, S-fraction of dose       1 (apparent CL/F), 0.5     racemic tablet: half is S-warfarin
EC50 VKORC1 -1639 G/G       4.61 mg/L                  H07 estimates
EC50 VKORC1 -1639 G/A       3.02 mg/L                  H07 estimates
EC50 VKORC1 -1639 A/A       2.20 mg/L                  H07 estimates
Emax                        1 (fixed)                  H07
gamma (Hill)                0.424                      H07 estimates
MTT1 (chain of 6)           11.6 h                     H07 estimates
MTT2 (chain of 1)           120 h                      H07 estimates
INRmax                      20 (fixed)                 H07
BASE INR                    1 (fixed)                  H07; the issue's INR = 1 + INRmax(...)
lambda                      3.61                       H07 estimates
IIV CL / V1 / V2            31.0 / 26.2 / 99.1 %       H07 estimates, read as CV (see below)
IIV EC50 / MTT1 / MTT2      40.9 / 14.1 / 102 %        H07 estimates, read as CV
residual INR (log scale)    variance 0.0325 (SD 0.18)  H07 estimates
residual conc. (log scale)  variance 0.09 (SD 0.30)    H07 estimates
==========================  =========================  ==========================================

The numbers are those of the paper as reproduced in the open re-implementations used in the
warfarin reinforcement-learning literature (Ravvaz et al., Circ Cardiovasc Genet 2017,
in-silico trial; Anzabi Zadeh, Street and Thomas, J Biomed Inform 2023, ``reil`` package);
they were not re-read from the paper here. Some readings are ours: inter-individual
variability is taken as a coefficient of variation (``omega = sqrt(log(1 + CV**2))``;
``reil`` takes the same numbers as variances, then truncates to the inter-quartile range),
the residual INR error 0.0325 as a variance (``reil`` uses it as the SD), and the age effect
is linear on both sides of 71 years (``reil`` applies it above 71 only). ``reil`` also sets
F = 0.9; here CL is the apparent oral clearance and F = 1. For
comparison, Hamberg et al. 2010 (Clin Pharmacol Ther 87:727) re-estimated a one-compartment
model with per-allele clearances 0.174 (*1), 0.0879 (*2), 0.0422 (*3) L/h, age -0.571 %/year,
EC50 4.1 mg/L (G/G) and gamma 1.15; those values are not used here.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

#: CYP2C9 diplotypes the model knows, in index order.
CYP2C9_GENOTYPES = ("*1/*1", "*1/*2", "*1/*3", "*2/*2", "*2/*3", "*3/*3")
#: VKORC1 -1639 G>A (rs9923231) genotypes, in index order.
VKORC1_GENOTYPES = ("G/G", "G/A", "A/A")

CL_WILD_TYPE_L_PER_H = 0.314
CL_FRACTION_LOST = np.array([0.0, 0.315, 0.453, 0.722, 0.690, 0.852])
AGE_REFERENCE_YEARS = 71.0
AGE_CL_SLOPE_PER_YEAR = -0.0091
EC50_MG_PER_L = np.array([4.61, 3.02, 2.20])
V1_L, V2_L, Q_L_PER_H, KA_PER_H = 13.8, 6.59, 0.131, 2.0
S_FRACTION_OF_DOSE, BIOAVAILABILITY = 0.5, 1.0
GAMMA, EMAX = 0.424, 1.0
MTT1_H, MTT2_H, N_TRANSIT_CHAIN1 = 11.6, 120.0, 6
INR_MAX, BASE_INR, LAMBDA = 20.0, 1.0, 3.61
#: Coefficient of variation of each log-normal individual parameter.
IIV_CV = {"cl": 0.310, "v1": 0.262, "v2": 0.991, "ec50": 0.409, "mtt1": 0.141, "mtt2": 1.02}
INR_RESIDUAL_SD = float(np.sqrt(0.0325))
CONCENTRATION_RESIDUAL_SD = float(np.sqrt(0.09))
AGE_RANGE_YEARS = (18.0, 100.0)


@dataclass(frozen=True)
class PKPDParameters:
    """Individual parameters of ``N`` patients, each field an array of shape ``(N,)``.

    Clearance and volumes in L/h and L, ``ka`` in 1/h, ``ec50`` in mg/L of S-warfarin,
    mean transit times in hours.
    """

    cl: np.ndarray
    v1: np.ndarray
    v2: np.ndarray
    q: np.ndarray
    ka: np.ndarray
    ec50: np.ndarray
    mtt1: np.ndarray
    mtt2: np.ndarray

    def __post_init__(self) -> None:
        shapes = {f.name: np.shape(getattr(self, f.name)) for f in fields(self)}
        if len(set(shapes.values())) != 1 or len(next(iter(shapes.values()))) != 1:
            raise ValueError(f"PKPDParameters fields must be 1-D arrays of one length: {shapes}")
        for name in shapes:
            values = getattr(self, name)
            if not np.all(np.isfinite(values)) or np.any(values <= 0):
                raise ValueError(f"PKPDParameters.{name} must be finite and positive")

    def __len__(self) -> int:
        return len(self.cl)

    def take(self, index: np.ndarray | int) -> PKPDParameters:
        """The parameters of the patients at ``index`` (an int keeps a length-1 batch)."""
        index = np.atleast_1d(index)
        return PKPDParameters(**{f.name: getattr(self, f.name)[index] for f in fields(self)})


def genotype_indices(values, vocabulary: tuple[str, ...], gene: str) -> np.ndarray:
    """Map genotype strings (``G/A`` or ``A/G`` alike) to indices of ``vocabulary``.

    Raises ``ValueError`` naming the first unknown value and its position.
    """
    canonical = {"/".join(sorted(g.split("/"))): i for i, g in enumerate(vocabulary)}
    out = np.empty(len(values), dtype=np.int64)
    for position, value in enumerate(values):
        key = "/".join(sorted(str(value).strip().split("/")))
        if key not in canonical:
            raise ValueError(f"{gene} genotype {value!r} at position {position} is not one of "
                             f"{vocabulary}")
        out[position] = canonical[key]
    return out


def typical_clearance(cyp2c9: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Typical S-warfarin CL (L/h), shape ``(N,)``, from CYP2C9 index and age in years."""
    age = np.asarray(age, dtype=float)
    low, high = AGE_RANGE_YEARS
    if np.any((age < low) | (age > high)):
        raise ValueError(f"age must lie in [{low}, {high}] years, got {age.min()}..{age.max()}")
    age_factor = 1.0 + AGE_CL_SLOPE_PER_YEAR * (age - AGE_REFERENCE_YEARS)
    return CL_WILD_TYPE_L_PER_H * (1.0 - CL_FRACTION_LOST[np.asarray(cyp2c9)]) * age_factor


def individual_parameters(cyp2c9: np.ndarray, vkorc1: np.ndarray, age: np.ndarray,
                          rng: np.random.Generator | None = None,
                          eta_clip_sd: float = 2.5, iiv_scale: float = 1.0) -> PKPDParameters:
    """Parameters of ``N`` patients: typical values, times ``exp(eta)`` when ``rng`` is given.

    Parameters
    ----------
    cyp2c9, vkorc1 : (N,) int
        Indices into :data:`CYP2C9_GENOTYPES` and :data:`VKORC1_GENOTYPES`.
    age : (N,) float
        Years, within :data:`AGE_RANGE_YEARS`.
    rng : numpy Generator, optional
        Draws the log-normal random effects; ``None`` gives the typical patient.
    eta_clip_sd : float
        Random effects are clipped to ``+-eta_clip_sd`` standard deviations.
    iiv_scale : float
        Multiplies every ``omega`` (0 switches variability off, 1 is the published size).
    """
    cyp2c9 = np.asarray(cyp2c9, dtype=np.int64)
    vkorc1 = np.asarray(vkorc1, dtype=np.int64)
    n = len(cyp2c9)
    typical = {
        "cl": typical_clearance(cyp2c9, age), "v1": np.full(n, V1_L), "v2": np.full(n, V2_L),
        "q": np.full(n, Q_L_PER_H), "ka": np.full(n, KA_PER_H), "ec50": EC50_MG_PER_L[vkorc1],
        "mtt1": np.full(n, MTT1_H), "mtt2": np.full(n, MTT2_H),
    }
    if rng is not None:
        for name, cv in IIV_CV.items():
            omega = iiv_scale * np.sqrt(np.log1p(cv**2))
            eta = np.clip(rng.standard_normal(n), -eta_clip_sd, eta_clip_sd) * omega
            typical[name] = typical[name] * np.exp(eta)
    return PKPDParameters(**typical)
