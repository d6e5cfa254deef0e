"""EHR covariates and drug-response outcomes with known causes, for simulated cohorts.

The latent response of subject ``i`` is (standardised parts, each scaled to a declared
share of variance)::

    z_i = sqrt(h_add) * A_i + sqrt(h_int) * I_i + sqrt(c) * C_i + sqrt(1 - h_add - h_int - c) * e_i
    A_i = sum_j beta_j (g_ij - 2 p_j)             additive causal variants
    I_i = g_ik * amiodarone_i  (gene x drug)      or  g_ia * g_ib  (gene x gene)
    C_i = -0.5 age_i + 0.6 weight_i - 0.6 amiodarone_i + 0.2 sex_i   (z-scored covariates)

``dose = dose_mean + dose_sd * z`` (mg/week), so the oracle RMSE, the noise floor, is
``dose_sd * sqrt(1 - h_add - h_int - c)``. A binary adverse event and a three-band
multiclass task derive from the same latent response.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pgxdl.data.spec import TaskSpec

TASKS = [
    TaskSpec("dose", "regression", "mg/week"),
    TaskSpec("adverse_event", "binary"),
    TaskSpec("dose_band", "multiclass", "", 3),
]

EHR_SCHEMA = [
    {"name": "age", "kind": "numeric", "units": "years", "min": 18, "max": 100},
    {"name": "weight", "kind": "numeric", "units": "kg", "units_column": "weight_units",
     "min": 30, "max": 250},
    {"name": "height", "kind": "numeric", "units": "cm", "min": 120, "max": 220},
    {"name": "sex", "kind": "binary"},
    {"name": "amiodarone", "kind": "binary"},
    {"name": "smoker", "kind": "binary"},
    {"name": "site", "kind": "categorical", "categories": []},
]


def simulate_ehr(population: np.ndarray, n_sites: int, rng: np.random.Generator,
                 missing_rate: float = 0.05, lb_sites: int = 1) -> pd.DataFrame:
    """Raw EHR table ``(S rows)``: covariates loosely tied to population, some sites in lb.

    Each population is served mostly by one site; the first ``lb_sites`` sites report
    weight in pounds (the schema harmonises them). ``missing_rate`` of height and weight
    values are missing.
    """
    n = len(population)
    pops, pop_index = np.unique(population, return_inverse=True)
    home_site = pop_index % n_sites
    site = np.where(rng.random(n) < 0.7, home_site, rng.integers(0, n_sites, n))
    sex = rng.random(n) < 0.5
    height = np.where(sex, 176, 163) + rng.normal(0, 7, n) + (pop_index - len(pops) / 2) * 2
    weight = 22 * (height / 100) ** 2 + rng.normal(3, 12, n)
    weight = np.clip(weight, 35, 240)
    age = np.clip(rng.normal(62, 13, n), 18, 99)
    in_lb = site < lb_sites
    table = pd.DataFrame({
        "age": age.round(1),
        "weight": np.where(in_lb, weight / 0.45359237, weight).round(2),
        "weight_units": np.where(in_lb, "lb", "kg"),
        "height": height.round(1),
        "sex": sex.astype(int),
        "amiodarone": (rng.random(n) < 0.2).astype(int),
        "smoker": (rng.random(n) < 0.15).astype(int),
        "site": [f"site{s}" for s in site],
    })
    for column in ("weight", "height"):
        table.loc[rng.random(n) < missing_rate, column] = np.nan
    return table


def _zscore(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    std = values.std()
    return (values - values.mean()) / (std if std > 0 else 1.0)


def simulate_outcomes(dosage: np.ndarray, frequencies: np.ndarray, ehr: pd.DataFrame,
                      rng: np.random.Generator, n_additive: int = 6,
                      interaction: str = "gene_drug", h_additive: float = 0.35,
                      h_interaction: float = 0.1, clinical: float = 0.25,
                      dose_mean: float = 35.0, dose_sd: float = 12.0,
                      candidates: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    """Targets ``(S, 3)`` (dose, adverse_event, dose_band) and the ground truth.

    Parameters
    ----------
    dosage : ``(S, V)`` alt-allele counts 0/1/2 of every candidate site.
    frequencies : ``(V,)`` cohort alt-allele frequencies.
    ehr : the raw EHR table of :func:`simulate_ehr` (weights in kg after harmonising).
    candidates : indices of sites allowed to be causal (default: all with MAF >= 0.05).

    Returns
    -------
    targets ``(S, 3)`` float32 and a dict: ``causal`` indices into the sites, ``effect``
    per causal site (in dose units per allele, additive part), ``role`` per causal site,
    and the scalar settings (``noise_sd`` in dose units, variance shares).
    """
    noise_share = 1 - h_additive - h_interaction - clinical
    if noise_share <= 0:
        raise ValueError("variance shares h_additive + h_interaction + clinical must be < 1")
    if interaction not in ("gene_drug", "gene_gene"):
        raise ValueError(f"interaction must be 'gene_drug' or 'gene_gene', got {interaction!r}")
    maf = np.minimum(frequencies, 1 - frequencies)
    pool = np.flatnonzero(maf >= 0.05) if candidates is None else np.asarray(candidates)
    n_causal = n_additive + (1 if interaction == "gene_drug" else 2)
    if len(pool) < n_causal:
        raise ValueError(f"only {len(pool)} candidate sites with MAF >= 0.05; need {n_causal}")
    causal = rng.choice(pool, n_causal, replace=False)
    additive, partners = causal[:n_additive], causal[n_additive:]
    beta = rng.normal(0, 1, n_additive) * rng.choice([-1, 1], n_additive)
    centred = dosage[:, additive] - 2 * frequencies[additive]
    a_raw = centred @ beta
    a_scale = a_raw.std() or 1.0
    weight_kg = np.where(ehr["weight_units"] == "lb", ehr["weight"] * 0.45359237, ehr["weight"])
    weight_kg = np.where(np.isnan(weight_kg), np.nanmean(weight_kg), weight_kg)
    amiodarone = ehr["amiodarone"].to_numpy(dtype=float)
    if interaction == "gene_drug":
        i_raw = dosage[:, partners[0]] * amiodarone
    else:
        i_raw = dosage[:, partners[0]] * dosage[:, partners[1]]
    c_raw = (-0.5 * _zscore(ehr["age"]) + 0.6 * _zscore(weight_kg) - 0.6 * _zscore(amiodarone)
             + 0.2 * _zscore(ehr["sex"]))
    latent = (np.sqrt(h_additive) * a_raw / a_scale + np.sqrt(h_interaction) * _zscore(i_raw)
              + np.sqrt(clinical) * _zscore(c_raw)
              + np.sqrt(noise_share) * rng.normal(0, 1, len(ehr)))
    dose = dose_mean + dose_sd * latent
    event_logit = -1.5 + 1.2 * (latent - latent.mean())
    event = (rng.random(len(ehr)) < 1 / (1 + np.exp(-event_logit))).astype(np.float32)
    band = np.digitize(dose, [dose_mean - 0.5 * dose_sd, dose_mean + 0.5 * dose_sd])
    targets = np.column_stack([dose, event, band]).astype(np.float32)
    effect = np.zeros(n_causal)
    effect[:n_additive] = dose_sd * np.sqrt(h_additive) * beta / a_scale
    i_std = i_raw.std() or 1.0
    effect[n_additive:] = dose_sd * np.sqrt(h_interaction) / i_std
    role = ["additive"] * n_additive + [interaction] * (n_causal - n_additive)
    truth = {"causal": causal, "effect": effect, "role": np.array(role),
             "settings": {"noise_sd": float(dose_sd * np.sqrt(noise_share)),
                          "h_additive": h_additive, "h_interaction": h_interaction,
                          "clinical": clinical, "interaction": interaction,
                          "dose_mean": dose_mean, "dose_sd": dose_sd}}
    return targets, truth
