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
F = 0.9; here CL is the apparent oral clearance and F = 1. The Hamberg et al. 2010 model
(another structure and other estimates) is :mod:`pgxdl.rl.simulator.hamberg2010`.
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
class PatientArrays:
    """Base of individual-parameter sets: every field an array of shape ``(N,)``, all > 0."""

    def __post_init__(self) -> None:
        name = type(self).__name__
        shapes = {f.name: np.shape(getattr(self, f.name)) for f in fields(self)}
        if len(set(shapes.values())) != 1 or len(next(iter(shapes.values()))) != 1:
            raise ValueError(f"{name} fields must be 1-D arrays of one length: {shapes}")
        for field_name in shapes:
            values = getattr(self, field_name)
            if not np.all(np.isfinite(values)) or np.any(values <= 0):
                raise ValueError(f"{name}.{field_name} must be finite and positive")

    def __len__(self) -> int:
        return len(getattr(self, fields(self)[0].name))

    def take(self, index: np.ndarray | int):
        """The parameters of the patients at ``index`` (an int keeps a length-1 batch)."""
        index = np.atleast_1d(index)
        return type(self)(**{f.name: getattr(self, f.name)[index] for f in fields(self)})


@dataclass(frozen=True)
class PKPDParameters(PatientArrays):
    """Individual Hamberg 2007 parameters of ``N`` patients, each field of shape ``(N,)``.

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

    # The model structure, as :class:`pgxdl.rl.simulator.hamberg.HambergSimulator` asks it.
    @property
    def central_volume(self) -> np.ndarray:
        """Volume (L) of the compartment whose concentration drives the effect, ``(N,)``."""
        return self.v1

    def pk_rate_matrix(self) -> np.ndarray:
        """Linear PK ``x' = K x``, x = (depot, central, peripheral): ``K`` of shape (N, 3, 3)."""
        k = np.zeros((len(self), 3, 3))
        k[:, 0, 0] = -self.ka
        k[:, 1, 0] = self.ka
        k[:, 1, 1] = -(self.cl + self.q) / self.v1
        k[:, 1, 2] = self.q / self.v2
        k[:, 2, 1] = self.q / self.v1
        k[:, 2, 2] = -self.q / self.v2
        return k

    def transit_rate_matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """Chains ``A' = K A + b u`` (6 compartments, then 1): K (N, 7, 7), b (N, 7)."""
        return transit_chains(self.mtt1, self.mtt2, N_TRANSIT_CHAIN1, 1)

    def synthesis_fraction(self, concentration: np.ndarray) -> np.ndarray:
        """``u = 1 - Emax C^g / (EC50^g + C^g)`` of concentrations ``(N, S)``."""
        return 1.0 - EMAX * hill(concentration, self.ec50[:, None], GAMMA)

    def inr(self, chains: np.ndarray) -> np.ndarray:
        """``INR = BASE + INRmax (1 - A6 A7)^lambda`` from chain states ``(N, 7)``, ``(N,)``."""
        product = chains[:, N_TRANSIT_CHAIN1 - 1] * chains[:, -1]
        return BASE_INR + INR_MAX * np.power(np.clip(1.0 - product, 0.0, 1.0), LAMBDA)


def hill(concentration: np.ndarray, ec50: np.ndarray, gamma: float) -> np.ndarray:
    """``C^g / (EC50^g + C^g)`` (negative concentrations read as 0); shapes broadcast."""
    c_gamma = np.power(np.maximum(concentration, 0.0), gamma)
    return c_gamma / (np.power(ec50, gamma) + c_gamma)


def transit_chains(mtt1: np.ndarray, mtt2: np.ndarray, n1: int,
                   n2: int) -> tuple[np.ndarray, np.ndarray]:
    """Two transit chains fed by the same input ``u``, ``n1`` then ``n2`` compartments.

    Chain ``j`` has rate ``n_j / MTT_j`` per compartment; returns ``K`` of shape
    ``(N, n1 + n2, n1 + n2)`` and ``b`` of ``(N, n1 + n2)`` for ``A' = K A + b u``.
    """
    size = n1 + n2
    k = np.zeros((len(mtt1), size, size))
    b = np.zeros((len(mtt1), size))
    for start, count, mtt in ((0, n1, mtt1), (n1, n2, mtt2)):
        rate = count / mtt
        for i in range(start, start + count):
            k[:, i, i] = -rate
            if i > start:
                k[:, i, i - 1] = rate
        b[:, start] = rate
    return k, b


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


@dataclass(frozen=True)
class TypicalValues:
    """Typical (population) values of a Hamberg-structure model: what a simulator variant sets.

    ``cl_fraction_lost`` has one entry per :data:`CYP2C9_GENOTYPES`, ``ec50`` one per
    :data:`VKORC1_GENOTYPES`; ``age_cl_slope`` is the fractional change of CL per year
    from :data:`AGE_REFERENCE_YEARS`. The defaults are the published Hamberg 2007 values.
    """

    name: str = "hamberg2007"
    cl_wild_type: float = CL_WILD_TYPE_L_PER_H
    cl_fraction_lost: tuple[float, ...] = tuple(CL_FRACTION_LOST.tolist())
    age_cl_slope: float = AGE_CL_SLOPE_PER_YEAR
    ec50: tuple[float, ...] = tuple(EC50_MG_PER_L.tolist())
    v1: float = V1_L
    v2: float = V2_L
    q: float = Q_L_PER_H
    ka: float = KA_PER_H
    mtt1: float = MTT1_H
    mtt2: float = MTT2_H

    def __post_init__(self) -> None:
        object.__setattr__(self, "cl_fraction_lost", tuple(float(v) for v in self.cl_fraction_lost))
        object.__setattr__(self, "ec50", tuple(float(v) for v in self.ec50))
        if len(self.cl_fraction_lost) != len(CYP2C9_GENOTYPES) or len(self.ec50) != len(
                VKORC1_GENOTYPES):
            raise ValueError(f"simulator {self.name!r}: cl_fraction_lost needs "
                             f"{len(CYP2C9_GENOTYPES)} values and ec50 {len(VKORC1_GENOTYPES)}")
        if not all(0.0 <= v < 1.0 for v in self.cl_fraction_lost):
            raise ValueError(f"simulator {self.name!r}: cl_fraction_lost must lie in [0, 1), "
                             f"got {self.cl_fraction_lost}")
        positive = ("cl_wild_type", "v1", "v2", "q", "ka", "mtt1", "mtt2")
        if min(self.ec50) <= 0 or any(getattr(self, f) <= 0 for f in positive):
            raise ValueError(f"simulator {self.name!r}: ec50, {', '.join(positive)} must be > 0")

    def typical(self, cyp2c9: np.ndarray, vkorc1: np.ndarray, age: np.ndarray,
                rng: np.random.Generator | None = None) -> dict[str, np.ndarray]:
        """Typical parameters of ``N`` patients, each ``(N,)`` (``rng`` is not used)."""
        n = len(cyp2c9)
        return {"cl": typical_clearance(cyp2c9, age, self), "v1": np.full(n, self.v1),
                "v2": np.full(n, self.v2), "q": np.full(n, self.q), "ka": np.full(n, self.ka),
                "ec50": np.asarray(self.ec50)[np.asarray(vkorc1)],
                "mtt1": np.full(n, self.mtt1), "mtt2": np.full(n, self.mtt2)}


HAMBERG_2007 = TypicalValues()


def typical_clearance(cyp2c9: np.ndarray, age: np.ndarray,
                      values: TypicalValues | None = None) -> np.ndarray:
    """Typical S-warfarin CL (L/h), shape ``(N,)``, from CYP2C9 index and age in years."""
    values = values or HAMBERG_2007
    age = np.asarray(age, dtype=float)
    low, high = AGE_RANGE_YEARS
    if np.any((age < low) | (age > high)):
        raise ValueError(f"age must lie in [{low}, {high}] years, got {age.min()}..{age.max()}")
    age_factor = np.maximum(1.0 + values.age_cl_slope * (age - AGE_REFERENCE_YEARS), 0.05)
    lost = np.asarray(values.cl_fraction_lost)[np.asarray(cyp2c9)]
    return values.cl_wild_type * (1.0 - lost) * age_factor


def individual_parameters(cyp2c9: np.ndarray, vkorc1: np.ndarray, age: np.ndarray,
                          rng: np.random.Generator | None = None,
                          eta_clip_sd: float = 2.5, iiv_scale: float = 1.0,
                          model=None) -> PKPDParameters:
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
    model : TypicalValues or anything with its ``typical(cyp2c9, vkorc1, age, rng)``
        The simulator variant (default :data:`HAMBERG_2007`). The random effects are drawn
        before the model is asked, so every variant gets the same patients' random effects
        from the same generator state. A model of another structure (e.g.
        :class:`pgxdl.rl.simulator.hamberg2010.Hamberg2010Values`) has
        ``individual(cyp2c9, vkorc1, age, z, iiv_scale)`` instead and gets the same clipped
        standard-normal draws ``z`` (one ``(N,)`` array per name of :data:`IIV_CV`).
    """
    cyp2c9 = np.asarray(cyp2c9, dtype=np.int64)
    vkorc1 = np.asarray(vkorc1, dtype=np.int64)
    n = len(cyp2c9)
    z = {name: (np.zeros(n) if rng is None
                else np.clip(rng.standard_normal(n), -eta_clip_sd, eta_clip_sd))
         for name in IIV_CV}
    model = model or HAMBERG_2007
    if hasattr(model, "individual"):
        return model.individual(cyp2c9, vkorc1, age, z, iiv_scale)
    typical = model.typical(cyp2c9, vkorc1, age, rng)
    omega = {name: iiv_scale * np.sqrt(np.log1p(cv**2)) for name, cv in IIV_CV.items()}
    return PKPDParameters(**{k: v * np.exp(omega[k] * z[k]) if k in z else v
                             for k, v in typical.items()})
