"""Recalibrate the Hamberg simulator's genotype and age effects to the IWPC stable doses.

Usage (writes the shipped YAML the ``iwpc_recalibrated`` simulator reads)::

    python -m pgxdl.rl.simulator.recalibration [--iwpc PATH] [--population iwpc_all]
        [--out pgxdl/configs/rl/simulators/iwpc_recalibrated.yaml]

Method. IWPC patients with a stable dose, age and a CYP2C9 (\\*1/\\*2/\\*3) and VKORC1
-1639 genotype the model knows are grouped into cells of CYP2C9 x VKORC1 x age decade
(cells with fewer than ``min_cell`` patients are left out). For each cell the simulator
predicts the median stable dose (the constant dose with steady-state INR 2.5,
:func:`~pgxdl.rl.simulator.hamberg.stable_daily_dose`) over ``n_draws`` virtual patients
with Hamberg's inter-individual variability (the same random effects in every cell: common
random numbers, so the fit is smooth). Nine parameters are fitted by weighted least
squares (``scipy.optimize.least_squares``, soft-L1 loss) on the log of the cell medians,
weights ``sqrt(n)``: the EC50 of each VKORC1 genotype (3), the fraction of CL kept by each
variant CYP2C9 diplotype (5) and the age slope of CL (1). CL of \\*1/\\*1 stays at 0.314
L/h: it and the EC50s move the stable dose only through their product, so one of them must
be fixed. Everything else (volumes, transit times, gamma, variability) stays published.

Speed. A stable dose is exactly proportional to EC50 (the PK is linear, the effect depends
on C / EC50), and depends on CL through a smooth function: each variability draw's stable
dose at EC50 = 1 is tabulated once on a grid of typical-CL multipliers and interpolated in
log-log, so an evaluation of the objective costs no simulation.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

from pgxdl.io import write_yaml
from pgxdl.paths import shared_data_dir
from pgxdl.rl.simulator.hamberg import HambergSimulator, stable_daily_dose
from pgxdl.rl.simulator.iwpc_population import StableDoses, iwpc_stable_doses
from pgxdl.rl.simulator.parameters import (
    AGE_RANGE_YEARS,
    AGE_REFERENCE_YEARS,
    CYP2C9_GENOTYPES,
    HAMBERG_2007,
    VKORC1_GENOTYPES,
    TypicalValues,
    individual_parameters,
)

TARGET_INR = 2.5
CL_MULTIPLIER_GRID = np.geomspace(0.02, 3.0, 40)


def decade_age(decade: np.ndarray) -> np.ndarray:
    """Mid-decade age in years (decade 6 -> 65), inside the model's age range."""
    return np.clip(np.asarray(decade, dtype=float) * 10.0 + 5.0, *AGE_RANGE_YEARS)


@dataclass(frozen=True)
class Cells:
    """IWPC cells: ``cyp2c9``, ``vkorc1``, ``age`` (years), ``n`` and observed
    ``log_median`` weekly dose, each ``(C,)``."""

    cyp2c9: np.ndarray
    vkorc1: np.ndarray
    age: np.ndarray
    n: np.ndarray
    log_median: np.ndarray


def make_cells(doses: StableDoses, min_cell: int = 5) -> Cells:
    """Group stable doses by CYP2C9 x VKORC1 x age decade; cells under ``min_cell`` dropped."""
    keys = np.stack([doses.cyp2c9, doses.vkorc1, doses.age_decade.astype(int)], axis=1)
    unique, inverse, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    log_dose = np.log(doses.dose_mg_week)
    medians = np.array([np.median(log_dose[inverse.ravel() == k]) for k in range(len(unique))])
    keep = counts >= min_cell
    return Cells(unique[keep, 0], unique[keep, 1], decade_age(unique[keep, 2]), counts[keep],
                 medians[keep])


class StableDoseTable:
    """Stable weekly doses of ``n_draws`` variability draws, as a function of typical CL.

    ``predict(values, cyp2c9, vkorc1, age)`` gives, per patient type ``(C,)``, the
    stable weekly dose of every draw, shape ``(C, n_draws)``.
    """

    def __init__(self, n_draws: int = 200, seed: int = 0) -> None:
        zeros = np.zeros(n_draws, dtype=np.int64)
        # Random effects of the draws, at the reference age, CYP2C9 *1/*1, EC50 = 1 mg/L.
        base = individual_parameters(zeros, zeros, np.full(n_draws, AGE_REFERENCE_YEARS),
                                     np.random.default_rng(seed))
        self.ec50_eta = base.ec50 / HAMBERG_2007.ec50[0]
        log_table = []
        for multiplier in CL_MULTIPLIER_GRID:
            params = dataclasses.replace(base, cl=base.cl * multiplier, ec50=self.ec50_eta)
            simulator = HambergSimulator(params)
            log_table.append(np.log(7.0 * stable_daily_dose(simulator, TARGET_INR,
                                                            bounds_mg=(1e-3, 1e3))))
        self.log_table = np.stack(log_table, axis=1)  # (n_draws, grid)

    def predict(self, values: TypicalValues, cyp2c9: np.ndarray, vkorc1: np.ndarray,
                age: np.ndarray) -> np.ndarray:
        """Weekly stable doses ``(C, n_draws)`` under ``values`` (CL, EC50, age effect)."""
        kept = 1.0 - np.asarray(values.cl_fraction_lost)[cyp2c9]
        age_factor = np.maximum(1.0 + values.age_cl_slope * (age - AGE_REFERENCE_YEARS), 0.05)
        multiplier = kept * age_factor * values.cl_wild_type / HAMBERG_2007.cl_wild_type
        grid = np.log(CL_MULTIPLIER_GRID)
        log_unit = np.stack([np.interp(np.log(multiplier), grid, row) for row in self.log_table],
                            axis=1)
        return np.exp(log_unit) * np.asarray(values.ec50)[vkorc1][:, None]


def _values_from(theta: np.ndarray, base: TypicalValues) -> TypicalValues:
    """θ = (log EC50 x3, log CL fraction kept for the 5 variant diplotypes, age slope)."""
    kept = np.concatenate([[1.0], np.exp(theta[3:8])])
    return dataclasses.replace(base, name="iwpc_recalibrated", ec50=tuple(np.exp(theta[:3])),
                               cl_fraction_lost=tuple(1.0 - kept), age_cl_slope=float(theta[8]))


def fit(cells: Cells, table: StableDoseTable, base: TypicalValues = HAMBERG_2007) -> dict:
    """Least-squares fit of the nine parameters; the fitted values and the fit's summary."""
    def residuals(theta: np.ndarray) -> np.ndarray:
        predicted = table.predict(_values_from(theta, base), cells.cyp2c9, cells.vkorc1,
                                  cells.age)
        return np.sqrt(cells.n) * (np.median(np.log(predicted), axis=1) - cells.log_median)

    start = np.concatenate([np.log(base.ec50), np.log(1.0 - np.asarray(base.cl_fraction_lost[1:])),
                            [base.age_cl_slope]])
    lower = np.concatenate([np.full(3, -3.0), np.full(5, np.log(0.03)), [-0.03]])
    upper = np.concatenate([np.full(3, 3.0), np.zeros(5), [0.01]])
    result = least_squares(residuals, start, bounds=(lower, upper), loss="soft_l1", f_scale=1.0)
    weights = cells.n / cells.n.sum()

    def weighted_rmse(theta):
        return float(np.sqrt(np.sum(weights * (residuals(theta) / np.sqrt(cells.n)) ** 2)))

    values = _values_from(result.x, base)
    return {"values": values, "success": bool(result.success), "message": result.message,
            "log_rmse_published": weighted_rmse(start), "log_rmse_fitted": weighted_rmse(result.x),
            "n_cells": len(cells.n), "n_patients": int(cells.n.sum())}


def values_to_yaml(values: TypicalValues) -> dict:
    """The fitted fields as plain YAML-ready numbers."""
    return {"cl_fraction_lost": [round(v, 4) for v in values.cl_fraction_lost],
            "ec50": [round(v, 4) for v in values.ec50],
            "age_cl_slope": round(values.age_cl_slope, 6)}


def main(argv: list[str] | None = None) -> dict:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iwpc", type=Path, default=shared_data_dir() / "iwpc" / "iwpc.csv")
    parser.add_argument("--population", default="iwpc_all")
    parser.add_argument("--n-draws", type=int, default=200)
    parser.add_argument("--min-cell", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[2]
                        / "configs" / "rl" / "simulators" / "iwpc_recalibrated.yaml")
    args = parser.parse_args(argv)
    doses = iwpc_stable_doses(args.iwpc, args.population)
    cells = make_cells(doses, args.min_cell)
    result = fit(cells, StableDoseTable(args.n_draws))
    document = {
        "description": "Hamberg 2007 structure; CYP2C9 CL losses, VKORC1 EC50s and the age "
                       "slope fitted to IWPC stable doses by python -m "
                       "pgxdl.rl.simulator.recalibration (method in its docstring)",
        "data": doses.source, "population": args.population, "target_inr": TARGET_INR,
        "n_draws": args.n_draws, "min_cell": args.min_cell, "n_cells": result["n_cells"],
        "n_patients_in_cells": result["n_patients"],
        "weighted_log_rmse": {"published": round(result["log_rmse_published"], 4),
                              "fitted": round(result["log_rmse_fitted"], 4)},
        "genotypes": {"cyp2c9": list(CYP2C9_GENOTYPES), "vkorc1": list(VKORC1_GENOTYPES)},
        "typical_values": values_to_yaml(result["values"])}
    write_yaml(args.out, document)
    print(f"{result['message']}; weighted RMSE of log cell medians "
          f"{result['log_rmse_published']:.3f} (published) -> "
          f"{result['log_rmse_fitted']:.3f} (fitted); written to {args.out}")
    return document


if __name__ == "__main__":
    main()
