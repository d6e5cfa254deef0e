"""Train the recommended dose recipe on one IWPC-format table, validate it on another.

:func:`load_sites` reads a table (any format :func:`read_iwpc_table` reads) and keeps the
rows of the chosen sites; :func:`validate_external` trains
:class:`~pgxdl.baselines.site_recipes.RecommendedDoseModel` on the training table's
patients with a stable dose, predicts **every** patient of the test table (none is left
out for a missing input; imputed inputs are flagged), and scores the patients of the test
table with a stable dose (:data:`~pgxdl.iwpc.policy.STABLE_DOSE`) beside

- the published IWPC pharmacogenetic formula, on the same imputed inputs, and on the
  patients it can score without imputation (:data:`~pgxdl.iwpc.policy.SCOREABLE`);
- the refitted formula: least squares on the formula's terms, fitted on the training table.

Every metric carries a bootstrap CI (over sites when the test table has at least
``min_cluster_sites`` of them, else over patients), per site, race, dose band and input
completeness; paired differences from both formulas; interval coverage per site.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pgxdl.baselines.site_models import PublishedFormula, RefitFormula
from pgxdl.baselines.site_recipes import RecommendedDoseModel
from pgxdl.iwpc.conformal import coverage_by_group
from pgxdl.iwpc.dose_metrics import DOSE_BAND_NAMES, dose_band, evaluate_doses, paired_difference
from pgxdl.iwpc.features import derive_features
from pgxdl.iwpc.policy import SCOREABLE, STABLE_DOSE, select_patients
from pgxdl.iwpc.table import read_iwpc_table


@dataclass
class SiteTable:
    """The rows of some sites of an IWPC table: parsed ``frame``, derived ``features``."""

    path: Path
    sha256: str
    frame: pd.DataFrame
    features: pd.DataFrame

    @property
    def sites(self) -> np.ndarray:
        return self.frame["site"].astype(str).to_numpy()


def load_sites(path: str | Path, sites: Sequence[str] | None = None,
               exclude: Sequence[str] = ()) -> SiteTable:
    """Rows of ``path`` at ``sites`` (default all) minus ``exclude``.

    Raises
    ------
    ValueError
        When a named site is not in the table, or no row is left.
    """
    table = read_iwpc_table(path)
    present = set(table.frame["site"].astype(str))
    named = [*(sites or ()), *exclude]
    absent = sorted(set(map(str, named)) - present)
    if absent:
        raise ValueError(f"{path}: column 'Project Site' has no site {absent}; it has "
                         f"{sorted(present, key=_site_order)}")
    keep = table.frame["site"].astype(str)
    mask = (keep.isin([str(s) for s in sites]) if sites else keep.notna()) & ~keep.isin(
        [str(s) for s in exclude])
    if not mask.any():
        raise ValueError(f"{path}: no patient left after the site filters (sites {sites}, "
                         f"excluded {list(exclude)})")
    frame = table.frame[mask.to_numpy()].reset_index(drop=True)
    return SiteTable(Path(path), table.sha256, frame, derive_features(frame))


def _site_order(site: str):
    return (0, int(site)) if site.isdigit() else (1, site)


def scored_mask(frame: pd.DataFrame) -> np.ndarray:
    """``(N,)`` patients whose prediction can be scored: a stable dose was reached."""
    return select_patients(frame, STABLE_DOSE)[0]


def validate_external(train: SiteTable, test: SiteTable, n_boot: int = 1000, seed: int = 0,
                      min_cluster_sites: int = 5, model: RecommendedDoseModel | None = None
                      ) -> tuple[dict, pd.DataFrame]:
    """Fit on ``train``, predict and score ``test``.

    Returns
    -------
    report : JSON-ready dict (see the module docstring).
    predictions : one row per test patient: ``subject_id``, ``site``, ``scored``, ``dose``
        (recommended, mg/week), ``lower``/``upper`` (its interval), ``published_formula``,
        ``refit_formula``, the imputation flags and the actual dose where scored.

    Raises
    ------
    ValueError
        When the two tables share a patient, or training has fewer than two sites.
    """
    shared = set(train.frame["subject_id"]) & set(test.frame["subject_id"])
    if shared:
        raise ValueError(f"{test.path}: {len(shared)} test patients are also training patients"
                         f" (same PharmGKB Subject ID); pass disjoint sites "
                         "(--test-sites / --exclude-train-sites)")
    train_rows, report_train = select_patients(train.frame, STABLE_DOSE)
    train_x = train.features[train_rows].reset_index(drop=True)
    train_dose = train.frame["dose_mg_week"].to_numpy()[train_rows]
    model = (model or RecommendedDoseModel(seed=seed)).fit(train_x, train_dose,
                                                           train.sites[train_rows])
    predictions = model.predict(test.features)
    imputed_train = model.imputer_.transform(train_x)
    imputed_test = model.imputer_.transform(test.features)
    predictions["published_formula"] = PublishedFormula().predict(imputed_test)
    predictions["refit_formula"] = RefitFormula().fit(imputed_train, train_dose).predict(
        imputed_test)
    scored, report_test = select_patients(test.frame, STABLE_DOSE)
    predictions.insert(0, "site", test.sites)
    predictions.insert(0, "subject_id", test.frame["subject_id"].to_numpy())
    predictions["scored"] = scored.astype(int)
    predictions["actual_dose"] = np.where(scored, test.frame["dose_mg_week"], np.nan)
    report = {
        "train": {"file": str(train.path), "sha256": train.sha256,
                  "sites": sorted(set(train.sites), key=_site_order),
                  "selection": report_train.to_dict()},
        "test": {"file": str(test.path), "sha256": test.sha256,
                 "sites": sorted(set(test.sites), key=_site_order),
                 "n_patients": len(test.frame), "n_predicted": int(np.isfinite(
                     predictions["dose"]).sum()), "selection": report_test.to_dict(),
                 "n_scored_with_imputed_input": int(
                     (scored & predictions["inputs_imputed"].eq(1).to_numpy()).sum())},
        "recipe": {"chosen": model.recipe_, "inner_out_of_site_mae": model.inner_mae_,
                   "interval_half_widths_sqrt": {str(k): v for k, v in
                                                 model.conformal_.half_widths.items()}},
        **score_predictions(predictions[scored], test.frame[scored], n_boot, seed,
                            min_cluster_sites),
    }
    return report, predictions


def score_predictions(predictions: pd.DataFrame, frame: pd.DataFrame, n_boot: int, seed: int,
                      min_cluster_sites: int = 5) -> dict:
    """Metrics of the recommended and formula predictions of scored patients, with CIs,
    paired differences and interval coverage (see :func:`validate_external`)."""
    dose = frame["dose_mg_week"].to_numpy(float)
    sites = predictions["site"].astype(str).to_numpy()
    clusters = sites if len(np.unique(sites)) >= min_cluster_sites else None
    inputs = np.where(predictions["inputs_imputed"].to_numpy() == 1, "imputed", "complete")
    subgroups = {"site": sites, "race": frame["race"].to_numpy().astype(str),
                 "dose_band": np.asarray(DOSE_BAND_NAMES)[dose_band(dose)], "inputs": inputs}
    models = {"recommended": predictions["dose"].to_numpy(),
              "published_formula": predictions["published_formula"].to_numpy(),
              "refit_formula": predictions["refit_formula"].to_numpy()}
    results = {name: evaluate_doses(dose, pred, subgroups, n_boot=n_boot, seed=seed,
                                    clusters=clusters) for name, pred in models.items()}
    formula_set = select_patients(frame, SCOREABLE)[0]
    if formula_set.any():
        results["published_formula_no_imputation"] = evaluate_doses(
            dose[formula_set], models["published_formula"][formula_set], n_boot=n_boot,
            seed=seed, clusters=None if clusters is None else sites[formula_set])
    for reference in ("published_formula", "refit_formula"):
        results["recommended"][f"vs_{reference}"] = paired_difference(
            dose, models["recommended"], models[reference], n_boot=n_boot, seed=seed,
            clusters=clusters)
    imputed = inputs == "imputed"
    if imputed.any() and (~imputed).any():
        mae = np.abs(models["recommended"] - dose)
        results["recommended"]["imputed_minus_complete_mae"] = float(
            mae[imputed].mean() - mae[~imputed].mean())
    bounds = predictions[["lower", "upper"]].to_numpy()
    inside = (dose >= bounds[:, 0]) & (dose <= bounds[:, 1])
    return {"bootstrap": "sites" if clusters is not None else "patients",
            "results": results,
            "interval": {"coverage": float(inside.mean()),
                         "median_width": float(np.median(bounds[:, 1] - bounds[:, 0])),
                         "by_site": coverage_by_group(dose, bounds, sites),
                         "by_inputs": coverage_by_group(dose, bounds, inputs)}}
