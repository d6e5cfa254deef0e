"""What the RL simulator takes from the real IWPC warfarin table, read through :mod:`pgxdl.iwpc`.

Two summaries, never patient rows in any output:

- :func:`population_from_iwpc`: a :class:`PopulationModel` (genotype frequencies among
  patients with a genotype the Hamberg model knows, CYP2C9 \\*1/\\*2/\\*3 diplotypes and
  VKORC1 -1639 genotyped or imputed by the IWPC appendix rules; the age-decade histogram;
  mean and SD of log weight and of height);
- :func:`iwpc_stable_doses`: the stable weekly doses with genotype and age decade, held in
  memory for the calibration benchmark and the recalibration fit, which report only
  quantiles and distances.

The table is parsed by :func:`pgxdl.iwpc.table.read_iwpc_table` (malformed values raise
an error naming file, line and column) and VKORC1 is imputed by
:func:`pgxdl.iwpc.features.derive_features`. Source: IWPC (Klein et al., NEJM 2009) via
PharmGKB, CC BY-SA 4.0; read where it lies (``pgxdl.paths.shared_data_dir``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from pgxdl.iwpc.features import derive_features
from pgxdl.iwpc.policy import select_patients
from pgxdl.iwpc.table import read_iwpc_table
from pgxdl.rl.simulator.parameters import CYP2C9_GENOTYPES, VKORC1_GENOTYPES, genotype_indices
from pgxdl.rl.simulator.population import AGE_BINS, DEFAULT_POPULATIONS, PopulationModel

#: Population names accepted by :func:`population_from_iwpc` and the IWPC race they select.
IWPC_RACES = {"iwpc_all": None, "iwpc_white": "White", "iwpc_asian": "Asian",
              "iwpc_black": "Black or African American"}


@dataclass(frozen=True)
class StableDoses:
    """IWPC patients with a stable dose and model-known genotypes, each field ``(N,)``.

    ``cyp2c9``/``vkorc1`` index :data:`CYP2C9_GENOTYPES`/:data:`VKORC1_GENOTYPES`;
    ``age_decade`` is the IWPC decade (6 for 60-69); ``dose_mg_week`` the therapeutic dose.
    """

    cyp2c9: np.ndarray
    vkorc1: np.ndarray
    age_decade: np.ndarray
    dose_mg_week: np.ndarray
    source: str

    def __len__(self) -> int:
        return len(self.dose_mg_week)


def _check_name(name: str) -> str | None:
    if name not in IWPC_RACES:
        raise ValueError(f"unknown IWPC population {name!r}; choose one of {list(IWPC_RACES)}")
    return IWPC_RACES[name]


@lru_cache(maxsize=4)
def _features(path: str) -> pd.DataFrame:
    table = read_iwpc_table(path)
    features = derive_features(table.frame)
    features["dose_mg_week"] = table.frame["dose_mg_week"]
    features["reached_stable_dose"] = table.frame["reached_stable_dose"]
    return features


def _known_indices(values: pd.Series, vocabulary: tuple[str, ...], gene: str) -> np.ndarray:
    """Index into ``vocabulary`` per patient, -1 where the genotype is not in it."""
    known = values.isin({"/".join(sorted(g.split("/"))) for g in vocabulary} | set(vocabulary))
    out = np.full(len(values), -1, dtype=np.int64)
    out[known.to_numpy()] = genotype_indices(values[known].tolist(), vocabulary, gene)
    return out


def _rows_of(features: pd.DataFrame, race: str | None) -> pd.DataFrame:
    return features if race is None else features[features["race"] == race]


@lru_cache(maxsize=8)
def population_from_iwpc(path: str | Path, name: str = "iwpc_white") -> PopulationModel:
    """Estimate the :class:`PopulationModel` called ``name`` (a key of :data:`IWPC_RACES`).

    Raises ``FileNotFoundError`` for a missing table and ``ValueError`` naming the file, line
    and column of a malformed value, or when fewer than 10 patients are usable.
    """
    race = _check_name(name)
    rows = _rows_of(_features(str(path)), race)
    decades = rows["age_decade"].dropna().to_numpy()
    # decade 3 (30-39) is AGE_BINS[1]; decades 1 and 2 share the 18-30 bin
    ages = np.clip(decades.astype(int) - 2, 0, len(AGE_BINS) - 1)
    weights, heights = rows["weight_kg"].dropna(), rows["height_cm"].dropna()
    if min(len(ages), len(weights), len(heights)) < 10:
        raise ValueError(f"{path}: fewer than 10 usable rows for population {name!r}")
    frequencies = {}
    for gene, vocabulary in (("cyp2c9", CYP2C9_GENOTYPES), ("vkorc1", VKORC1_GENOTYPES)):
        index = _known_indices(rows[gene], vocabulary, gene.upper())
        index = index[index >= 0]
        if len(index) == 0:
            raise ValueError(f"{path}: no {gene.upper()} genotype of {vocabulary} among the "
                             f"{name!r} rows")
        frequencies[gene] = np.bincount(index, minlength=len(vocabulary)) / len(index)
    log_weight = np.log(weights.to_numpy())
    return PopulationModel(
        name=name, race=race or DEFAULT_POPULATIONS["european"].race,
        cyp2c9_freq=frequencies["cyp2c9"], vkorc1_freq=frequencies["vkorc1"],
        age_probs=np.bincount(ages, minlength=len(AGE_BINS)) / len(ages),
        weight_log_mean=float(log_weight.mean()), weight_log_sd=float(log_weight.std()),
        height_mean=float(heights.mean()), height_sd=float(heights.std()),
        source=f"estimated from {Path(path).name} ({len(ages)} patients)")


def iwpc_stable_doses(path: str | Path, name: str = "iwpc_all") -> StableDoses:
    """Stable doses of the ``name`` patients with a stable dose, age and known genotypes.

    Patients are selected by :func:`pgxdl.iwpc.policy.select_patients` (therapeutic dose
    reported, stable dose not denied, age present); rarer CYP2C9 alleles and VKORC1
    genotypes neither measured nor imputable are left out. ``source`` says how many remain.
    """
    race = _check_name(name)
    features = _features(str(path))
    keep, report = select_patients(
        features, require=("no_therapeutic_dose", "stable_dose_not_reached", "age_missing"))
    rows = _rows_of(features[keep], race)
    cyp = _known_indices(rows["cyp2c9"], CYP2C9_GENOTYPES, "CYP2C9")
    vkor = _known_indices(rows["vkorc1"], VKORC1_GENOTYPES, "VKORC1")
    known = (cyp >= 0) & (vkor >= 0)
    if known.sum() < 10:
        raise ValueError(f"{path}: fewer than 10 patients with a stable dose and known "
                         f"genotypes for population {name!r}")
    return StableDoses(cyp[known], vkor[known], rows["age_decade"].to_numpy(float)[known],
                       rows["dose_mg_week"].to_numpy(float)[known],
                       f"{Path(path).name}, {name}: {int(known.sum())} of {report.n_rows} "
                       f"patients (stable dose, age, CYP2C9 *1/*2/*3 and VKORC1 -1639 known)")


def resolve_population(name: str, iwpc_path: str | Path | None = None) -> PopulationModel:
    """A population by name: a built-in default, or an ``iwpc_*`` estimate.

    ``iwpc_*`` names fall back to the matching built-in default (``iwpc_all`` and
    ``iwpc_white`` to ``european``) when ``iwpc_path`` is ``None`` or does not exist.
    """
    if name in DEFAULT_POPULATIONS:
        return DEFAULT_POPULATIONS[name]
    if name not in IWPC_RACES:
        raise ValueError(f"unknown population {name!r}; choose one of "
                         f"{sorted(DEFAULT_POPULATIONS) + sorted(IWPC_RACES)}")
    if iwpc_path is not None and Path(iwpc_path).exists():
        return population_from_iwpc(str(iwpc_path), name)
    fallback = {"iwpc_asian": "east_asian", "iwpc_black": "african"}.get(name, "european")
    return DEFAULT_POPULATIONS[fallback]
