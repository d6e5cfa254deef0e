"""The stricter out-of-site protocol: hold out sites, choose everything inside the rest.

For each outer fold of :func:`~pgxdl.iwpc.site_folds.leave_sites_out` (one site, or
``per_fold`` sites at a time over ``repeats`` shuffles), every recipe of
:data:`~pgxdl.baselines.site_recipes.RECIPES` asked for, and the recommended procedure
(:class:`~pgxdl.baselines.site_recipes.RecommendedDoseModel`, whose recipe choice and
interval calibration run on grouped folds of the *training* sites only), is trained on the
training sites' patients with a stable dose and predicts **every** patient of the held-out
sites. Scores are over the held-out patients with a stable dose, with 95% intervals from a
bootstrap over sites (whole hospitals resampled, so they carry between-hospital variation),
and paired site-bootstrap differences from the published and the refitted formula.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from pgxdl.baselines.external_validation import SiteTable, scored_mask
from pgxdl.baselines.site_recipes import RECIPES, RecommendedDoseModel
from pgxdl.iwpc.conformal import coverage_by_group
from pgxdl.iwpc.dose_metrics import DOSE_BAND_NAMES, dose_band, evaluate_doses, paired_difference
from pgxdl.iwpc.imputation import InputImputer
from pgxdl.iwpc.site_folds import leave_sites_out

RECOMMENDED = "recommended"
REFERENCES = ("published_formula", "refit_formula")


def run_site_protocol(table: SiteTable, recipes: Sequence[str] = tuple(RECIPES),
                      per_fold: int = 1, repeats: int = 1, n_boot: int = 1000, seed: int = 0,
                      make_recommended: Callable[[], RecommendedDoseModel] | None = None,
                      log=print) -> tuple[dict, dict[str, np.ndarray]]:
    """Run the protocol on ``table``; return the report and the ``(R, N)`` predictions.

    Raises
    ------
    ValueError
        When a patient of a held-out site gets no finite prediction.
    """
    make_recommended = make_recommended or (lambda: RecommendedDoseModel(seed=seed))
    sites, scored = table.sites, scored_mask(table.frame)
    dose_all = table.frame["dose_mg_week"].to_numpy(float)
    names = [RECOMMENDED, *dict.fromkeys([*REFERENCES, *recipes])]
    n_repeats = repeats if per_fold > 1 else 1
    preds = {name: np.full((n_repeats, len(sites)), np.nan) for name in names}
    bounds = np.full((n_repeats, len(sites), 2), np.nan)
    chosen, seconds = Counter(), Counter()
    for repeat, train, test in leave_sites_out(sites, per_fold, repeats, seed):
        train = train[scored[train]]
        train_x, train_dose = table.features.iloc[train], dose_all[train]
        start = time.perf_counter()
        model = make_recommended().fit(train_x, train_dose, sites[train])
        out = model.predict(table.features.iloc[test])
        seconds[RECOMMENDED] += time.perf_counter() - start
        chosen[model.recipe_] += 1
        preds[RECOMMENDED][repeat, test] = out["dose"]
        bounds[repeat, test] = out[["lower", "upper"]].to_numpy()
        imputer = InputImputer().fit(train_x)
        imputed_train = imputer.transform(train_x)
        imputed_test = imputer.transform(table.features.iloc[test])
        for name in names[1:]:
            start = time.perf_counter()
            preds[name][repeat, test] = RECIPES[name]().fit(
                imputed_train, train_dose, sites[train]).predict(imputed_test)
            seconds[name] += time.perf_counter() - start
        log(f"repeat {repeat} held out {sorted(set(sites[test]))}: chose {model.recipe_}")
    for name, values in preds.items():
        if not np.all(np.isfinite(values)):
            raise ValueError(f"{name}: {int(np.sum(~np.isfinite(values)))} predictions are "
                             "missing or not finite")
    report = score_protocol(table, scored, preds, bounds, n_boot, seed)
    report.update(per_fold=per_fold, repeats=n_repeats, n_patients=len(sites),
                  n_predicted=len(sites), n_scored=int(scored.sum()),
                  chosen_recipes=dict(chosen),
                  seconds={name: round(value, 1) for name, value in seconds.items()})
    return report, preds


def score_protocol(table: SiteTable, scored: np.ndarray, preds: dict[str, np.ndarray],
                   bounds: np.ndarray, n_boot: int, seed: int) -> dict:
    """Site-bootstrap metrics, paired differences and per-site interval coverage."""
    dose = table.frame["dose_mg_week"].to_numpy(float)[scored]
    sites = table.sites[scored]
    imputed = table.features[["age_decade", "height_cm", "weight_kg"]].isna().any(
        axis=1).to_numpy()[scored]
    subgroups = {"site": sites, "race": table.features["race"].to_numpy().astype(str)[scored],
                 "dose_band": np.asarray(DOSE_BAND_NAMES)[dose_band(dose)],
                 "inputs": np.where(imputed, "imputed", "complete")}
    results = {}
    for name, values in preds.items():
        results[name] = evaluate_doses(dose, values[:, scored], subgroups, n_boot=n_boot,
                                       seed=seed, clusters=sites)
        for reference in REFERENCES:
            if reference != name and reference in preds:
                results[name][f"vs_{reference}"] = paired_difference(
                    dose, values[:, scored], preds[reference][:, scored], n_boot=n_boot,
                    seed=seed, clusters=sites)
        mae = np.abs(values[:, scored] - dose).mean(axis=0)
        results[name]["imputed_minus_complete_mae"] = (
            float(mae[imputed].mean() - mae[~imputed].mean()) if imputed.any() else None)
    held = bounds[:, scored]
    by_site = [coverage_by_group(dose, held[r], sites) for r in range(len(held))]
    coverage = {site: {"n": by_site[0][site]["n"],
                       **{key: float(np.mean([entry[site][key] for entry in by_site]))
                          for key in ("coverage", "median_width")}} for site in by_site[0]}
    inside = (dose >= held[..., 0]) & (dose <= held[..., 1])
    return {"bootstrap": "sites", "results": results,
            "interval": {"coverage": float(inside.mean()),
                         "coverage_imputed": float(inside[:, imputed].mean())
                         if imputed.any() else None,
                         "by_site": coverage}}
