"""The Hamberg et al. (2010) warfarin dose-INR model: a second, structurally different simulator.

Hamberg AK, Wadelius M, Lindh JD, Dahl ML, Padrini R, Deloukas P, Rane A, Jonsson EN.
A pharmacometric model describing the relationship between warfarin dose and INR response
with respect to variations in CYP2C9, VKORC1, and age. Clin Pharmacol Ther
2010;87:727-734 (doi:10.1038/clpt.2010.37).

Structure (hours, mg of S-warfarin; half of each racemic tablet is S-warfarin, F = 1)::

    depot'   = -ka depot
    central' =  ka depot - CL/V central,                     C = central / V  (one compartment)
    u(C)     =  1 - Emax C^gamma / (EC50^gamma + C^gamma)
    chain j = 1, 2 of three compartments, rate k_j = 3 / MTT_j:
        A1' = k_j (u - A1),  A2' = k_j (A1 - A2),  A3' = k_j (A2 - A3)
    INR      =  BASE + INRmax (1 - (A3[chain 1] + A3[chain 2]) / 2)      (linear, no lambda)
    CL       =  (CL[allele 1] + CL[allele 2]) (1 - 0.00571 (age - 71))
    EC50     =  EC50[allele 1] + EC50[allele 2]                      (VKORC1 -1639 G or A)

Compared with Hamberg 2007 (:mod:`pgxdl.rl.simulator.parameters`): one PK compartment
instead of two, CYP2C9 and VKORC1 effects additive per allele, a steeper Hill slope
(1.15 vs 0.424), two equal-length chains instead of 6 + 1 compartments, and an INR linear
in the mean of the chains instead of a power of their product.

Sources. The paper itself could not be read here. Every value was read from two
independent open implementations and kept only where they agree:

- **reil** (Anzabi Zadeh, Street and Thomas; ``HambergPKPD2010`` of the ``reil`` package,
  which cites the paper's Tables 2 and 4, dataset C);
- **mipd** (Augustin et al.; ``models/hamberg_warfarin_inr_model.xml`` (SBML) and
  ``..._parameters.csv`` of the ``mipd-warfarin`` repository, built on ``chi``).

=============================  ===================  ==========================================
parameter                      value                sources
=============================  ===================  ==========================================
CL per CYP2C9 allele           *1 0.174, *2 0.0879, reil (per allele, summed); mipd: CL *1/*1
                               *3 0.0422 L/h        exp(-3.716) x 14.3 = 0.348, *2/*2 and
                                                    *3/*3 49.5 and 75.7 % lower, heterozygotes
                                                    halfway: the same numbers
age on CL                      -0.571 %/year from   both (mipd as 1 - tanh(0.00571 (age-71)),
                               71 years             within 1 % of linear at 18-100 years; reil's
                                                    code applies the sign reversed, CL rising
                                                    with age: we follow the stated effect)
V                              14.3 L               both (mipd exp(2.660))
ka                             2 /h                 both
S-fraction of a tablet, F      0.5, 1               reil (halves each racemic dose, F = 1);
                                                    not found in the mipd files read
EC50 per VKORC1 allele         G 2.05, A 0.96 mg/L  reil; mipd: G/G 4.1 (exp(1.411)), A/A 53.2 %
                               (G/G 4.1, G/A 3.01,  lower, G/A halfway: the same to 0.01 mg/L
                               A/A 1.92)
Emax, gamma                    1, 1.15              both
MTT chain 1, chain 2           28.6 h, 118.3 h      reil; mipd rates 0.1049 and 0.02536 /h
                                                    = 3 / MTT; three compartments each in both
INRmax, BASE                   20, 1                both (BASE fixed at 1 in both; reil notes
                                                    that Hamberg 2007 used each patient's
                                                    measured baseline)
INR link                       linear in the mean   both (the SBML and reil's code)
                               of the two chains
=============================  ===================  ==========================================

Not confirmed (the sources disagree or only one has it):

- *Inter-individual variability.* Both give the numbers 0.089 (CL) and 0.054 (V). mipd
  uses them as log-scale SDs (its CL SD is 0.089 once its elimination-rate SD of 0.071 is
  combined with V's 0.054); reil uses them as variances (SD 0.30 and 0.23). EC50: mipd
  0.240 (SD), reil 0.34 (variance, SD 0.58). reil also has variability on a K-PD
  elimination rate (KDE, 0.589) that mipd does not model. We follow mipd (log-scale SDs
  CL 0.089, V 0.054, EC50 0.240; no KDE term): reil's reading would give a stable-dose
  spread of about 0.65 on the log scale within a genotype group, far wider than the IWPC
  table's (``benchmarks/rl_calibration.py`` measures ours). ``params: {iiv_sd: ...}``
  overrides them. MTT1 and MTT2 have no variability in either source.
- *Residual INR error*: 0.19 (mipd, log scale) or 0.20 (reil). The environment's
  ``inr_noise_sd`` (0.18, Hamberg 2007) is used for every simulator.
- *reil's K-PD reading*: it drives the effect by ``V KDE A`` (with ``KDE = CL/V`` times a
  random effect) against ``EDK50 = CL EC50``, which for the typical patient is the same
  ``C / EC50`` as here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from pgxdl.rl.simulator.parameters import (
    AGE_RANGE_YEARS,
    PatientArrays,
    hill,
    transit_chains,
)

#: CYP2C9 alleles of :data:`~pgxdl.rl.simulator.parameters.CYP2C9_GENOTYPES`, per diplotype.
CYP2C9_ALLELES = ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2))
#: VKORC1 -1639 alleles (0 = G, 1 = A) of each of G/G, G/A, A/A.
VKORC1_ALLELES = ((0, 0), (0, 1), (1, 1))
AGE_REFERENCE_YEARS = 71.0
N_PER_CHAIN = 3
EMAX_2010, INR_MAX_2010, BASE_INR_2010 = 1.0, 20.0, 1.0
#: Which standard-normal draw of ``individual_parameters`` each random effect uses.
RANDOM_EFFECT_DRAWS = {"cl": "cl", "v": "v1", "ec50": "ec50"}


@dataclass(frozen=True)
class Hamberg2010Parameters(PatientArrays):
    """Individual Hamberg 2010 parameters of ``N`` patients, each field of shape ``(N,)``.

    ``cl`` L/h, ``v`` L, ``ka`` 1/h, ``ec50`` mg/L of S-warfarin, ``mtt1``/``mtt2`` hours,
    ``gamma`` the Hill slope (the same for everyone unless overridden).
    """

    cl: np.ndarray
    v: np.ndarray
    ka: np.ndarray
    ec50: np.ndarray
    mtt1: np.ndarray
    mtt2: np.ndarray
    gamma: np.ndarray

    @property
    def central_volume(self) -> np.ndarray:
        """Volume (L) of the only compartment, ``(N,)``."""
        return self.v

    def pk_rate_matrix(self) -> np.ndarray:
        """``x' = K x`` for x = (depot, central): ``K`` of shape ``(N, 2, 2)``."""
        k = np.zeros((len(self), 2, 2))
        k[:, 0, 0] = -self.ka
        k[:, 1, 0] = self.ka
        k[:, 1, 1] = -self.cl / self.v
        return k

    def transit_rate_matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """Two chains of three: ``K`` of shape ``(N, 6, 6)``, ``b`` of ``(N, 6)``."""
        return transit_chains(self.mtt1, self.mtt2, N_PER_CHAIN, N_PER_CHAIN)

    def synthesis_fraction(self, concentration: np.ndarray) -> np.ndarray:
        """``u = 1 - Emax C^g / (EC50^g + C^g)`` of concentrations ``(N, S)``."""
        return 1.0 - EMAX_2010 * hill(concentration, self.ec50[:, None], self.gamma[:, None])

    def inr(self, chains: np.ndarray) -> np.ndarray:
        """``INR = BASE + INRmax (1 - mean of the chains' last compartments)``, ``(N,)``."""
        mean = 0.5 * (chains[:, N_PER_CHAIN - 1] + chains[:, 2 * N_PER_CHAIN - 1])
        return BASE_INR_2010 + INR_MAX_2010 * np.clip(1.0 - mean, 0.0, 1.0)


@dataclass(frozen=True)
class Hamberg2010Values:
    """Typical values and variability of the Hamberg 2010 model (the module table).

    ``cl_allele`` per CYP2C9 allele (*1, *2, *3) and ``ec50_allele`` per VKORC1 allele
    (G, A) are summed over a patient's two alleles; ``iiv_sd`` holds log-scale SDs.
    """

    name: str = "hamberg2010"
    cl_allele: tuple[float, ...] = (0.174, 0.0879, 0.0422)
    age_cl_slope: float = -0.00571
    v: float = 14.3
    ka: float = 2.0
    ec50_allele: tuple[float, ...] = (2.05, 0.96)
    gamma: float = 1.15
    mtt1: float = 28.6
    mtt2: float = 118.3
    iiv_sd: dict = dataclasses.field(
        default_factory=lambda: {"cl": 0.089, "v": 0.054, "ec50": 0.240})

    def __post_init__(self) -> None:
        object.__setattr__(self, "cl_allele", tuple(float(v) for v in self.cl_allele))
        object.__setattr__(self, "ec50_allele", tuple(float(v) for v in self.ec50_allele))
        object.__setattr__(self, "iiv_sd", {k: float(v) for k, v in self.iiv_sd.items()})
        where = f"simulator {self.name!r}"
        if len(self.cl_allele) != 3 or len(self.ec50_allele) != 2:
            raise ValueError(f"{where}: cl_allele needs 3 values (*1, *2, *3) and ec50_allele 2 "
                             "(G, A)")
        positive = ("v", "ka", "gamma", "mtt1", "mtt2")
        if min(self.cl_allele + self.ec50_allele) <= 0 or any(
                getattr(self, f) <= 0 for f in positive):
            raise ValueError(f"{where}: cl_allele, ec50_allele, {', '.join(positive)} must "
                             "be > 0")
        unknown = sorted(set(self.iiv_sd) - set(RANDOM_EFFECT_DRAWS))
        if unknown or min(self.iiv_sd.values(), default=0.0) < 0:
            raise ValueError(f"{where}: iiv_sd takes non-negative SDs for "
                             f"{sorted(RANDOM_EFFECT_DRAWS)}, got {self.iiv_sd}")

    def typical_clearance(self, cyp2c9: np.ndarray, age: np.ndarray) -> np.ndarray:
        """Typical CL (L/h), ``(N,)``, from CYP2C9 diplotype index and age in years."""
        age = np.asarray(age, dtype=float)
        low, high = AGE_RANGE_YEARS
        if np.any((age < low) | (age > high)):
            raise ValueError(f"age must lie in [{low}, {high}] years, got "
                             f"{age.min()}..{age.max()}")
        alleles = np.asarray(CYP2C9_ALLELES)[np.asarray(cyp2c9)]
        per_allele = np.asarray(self.cl_allele)[alleles].sum(axis=1)
        age_factor = np.maximum(1.0 + self.age_cl_slope * (age - AGE_REFERENCE_YEARS), 0.05)
        return per_allele * age_factor

    def typical_ec50(self, vkorc1: np.ndarray) -> np.ndarray:
        """Typical EC50 (mg/L), ``(N,)``, from VKORC1 genotype index."""
        alleles = np.asarray(VKORC1_ALLELES)[np.asarray(vkorc1)]
        return np.asarray(self.ec50_allele)[alleles].sum(axis=1)

    def individual(self, cyp2c9: np.ndarray, vkorc1: np.ndarray, age: np.ndarray,
                   z: dict[str, np.ndarray], iiv_scale: float = 1.0) -> Hamberg2010Parameters:
        """Parameters of ``N`` patients from standard-normal draws ``z`` (``(N,)`` each).

        ``z`` is keyed by the Hamberg 2007 random-effect names; CL, V and EC50 use the
        draws of the same names (V: ``v1``), so a patient keeps its random effects when the
        simulator changes.
        """
        n = len(cyp2c9)
        factor = {name: np.exp(iiv_scale * self.iiv_sd.get(name, 0.0) * z[draw])
                  for name, draw in RANDOM_EFFECT_DRAWS.items()}
        return Hamberg2010Parameters(
            cl=self.typical_clearance(cyp2c9, age) * factor["cl"],
            v=np.full(n, self.v) * factor["v"], ka=np.full(n, self.ka),
            ec50=self.typical_ec50(vkorc1) * factor["ec50"], mtt1=np.full(n, self.mtt1),
            mtt2=np.full(n, self.mtt2), gamma=np.full(n, self.gamma))


HAMBERG_2010 = Hamberg2010Values()
