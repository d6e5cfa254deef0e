"""The recipes tried for out-of-site warfarin dosing, and the recommended one.

A *recipe* is a :class:`~pgxdl.baselines.site_models.SqrtDoseModel` factory. The
recommended recipe, :class:`RecommendedDoseModel`, is itself a procedure that validates
inside its own training data:

1. impute age, height and weight (:class:`~pgxdl.iwpc.imputation.InputImputer`, fitted on
   the training patients; each fill flagged);
2. score each candidate of :data:`CANDIDATES` on grouped folds of the training *sites*
   (:func:`~pgxdl.iwpc.site_folds.grouped_site_folds`; imputation refitted in each fold),
   and keep the published-formula anchor unless a candidate's out-of-site MAE is lower by
   more than ``margin`` mg/week;
3. refit the chosen candidate on all training patients;
4. calibrate 80% split-conformal intervals on the chosen candidate's out-of-site
   predictions of step 2, separately for patients with and without an imputed input.

Run inside the outer folds of :mod:`pgxdl.baselines.site_protocol`, steps 2-4 are nested:
the test hospital is never seen by the choice of features, recipe or interval width.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge

from pgxdl.baselines.site_models import (
    AnchoredFormula,
    AnchoredMLP,
    GroupDRO,
    MonotoneGBM,
    PublishedFormula,
    RandomIntercept,
    RefitFormula,
    SqrtAverage,
    SqrtDoseModel,
    extra_inputs,
)
from pgxdl.iwpc.conformal import SqrtConformal
from pgxdl.iwpc.features import VKORC1_SNP_COUNTS
from pgxdl.iwpc.formulas import iwpc_sqrt_dose
from pgxdl.iwpc.imputation import IMPUTED_FLAGS, InputImputer
from pgxdl.iwpc.site_folds import grouped_site_folds

#: Clinical inputs beyond the formula's (``_missing``: a missing-value indicator).
CLINICAL_EXTRAS = ("target_inr", "target_inr_missing", "smoker", "diabetes", "heart_failure",
                   "valve_replacement", "aspirin", "simvastatin", "atorvastatin", "male")
#: Genotypes beyond the formula's: the other VKORC1 SNPs (copies, and whether typed) and
#: CYP2C9 diplotypes without a formula term (*5, *6, *8, *11 ...).
GENOTYPE_EXTRAS = (*(f"{name}_count" for name in VKORC1_SNP_COUNTS),
                   *(f"{name}_count_missing" for name in VKORC1_SNP_COUNTS), "cyp2c9_other")
EXTRAS = (*GENOTYPE_EXTRAS, *CLINICAL_EXTRAS)


def _mae(dose: np.ndarray, pred: np.ndarray) -> float:
    return float(np.mean(np.abs(pred - dose)))


#: One inner fold: training rows, test rows, and their (imputed) feature frames.
SiteFold = tuple[np.ndarray, np.ndarray, pd.DataFrame, pd.DataFrame]


def site_folds(features: pd.DataFrame, sites: np.ndarray, n_folds: int = 5, seed: int = 0,
               impute: bool = True) -> list[SiteFold]:
    """Grouped site folds with their feature frames; with ``impute``, ``features`` are raw
    (:func:`derive_features`) and each fold fits its own :class:`InputImputer` on its
    training rows (so imputation is validated out of site too)."""
    folds = []
    for train, test in grouped_site_folds(sites, n_folds, seed):
        train_x, test_x = features.iloc[train], features.iloc[test]
        if impute:
            imputer = InputImputer().fit(train_x)
            train_x, test_x = imputer.transform(train_x), imputer.transform(test_x)
        folds.append((train, test, train_x, test_x))
    return folds


def out_of_site_predictions(make: Callable[[], SqrtDoseModel], folds: Sequence[SiteFold],
                            dose: np.ndarray, sites: np.ndarray) -> np.ndarray:
    """``(N,)`` doses, each predicted by ``make()`` fitted on the other folds' sites."""
    pred = np.empty(len(dose))
    for train, test, train_x, test_x in folds:
        pred[test] = make().fit(train_x, dose[train], sites[train]).predict(test_x)
    return pred


#: Groups of extra inputs that forward selection adds or leaves out together.
EXTRA_GROUPS: dict[str, tuple[str, ...]] = {
    "vkorc1_snps": GENOTYPE_EXTRAS[:-1], "cyp2c9_other": ("cyp2c9_other",),
    "target_inr": ("target_inr", "target_inr_missing"),
    **{name: (name,) for name in CLINICAL_EXTRAS[2:]},
}


class ForwardSelectedAnchor(SqrtDoseModel):
    """:class:`AnchoredFormula` on the extra inputs that out-of-site evidence supports.

    Greedy forward selection over :data:`EXTRA_GROUPS`: a group joins when it lowers the
    MAE of grouped-site folds of the training patients by more than ``margin`` mg/week.
    """

    def __init__(self, alpha: float = 300.0, groups: dict | None = None,
                 margin: float = 0.01, n_folds: int = 5):
        self.alpha, self.groups, self.margin, self.n_folds = alpha, groups, margin, n_folds

    def _fit_sqrt(self, features, target, sites):
        groups = self.groups or EXTRA_GROUPS
        names = [name for group in groups.values() for name in group]
        design = extra_inputs(features, names)  # (N, all extras), built once
        columns = {group: [names.index(name) for name in members]
                   for group, members in groups.items()}
        offset, dose = iwpc_sqrt_dose(features), np.square(target)
        folds = grouped_site_folds(sites, self.n_folds)

        def score(chosen):
            pred = offset.copy()
            if chosen:
                picked = design[:, [i for group in chosen for i in columns[group]]]
                for train, test in folds:
                    mean, scale = picked[train].mean(axis=0), picked[train].std(axis=0) + 1e-9
                    ridge = Ridge(alpha=self.alpha, fit_intercept=False).fit(
                        (picked[train] - mean) / scale, target[train] - offset[train])
                    pred[test] += ridge.predict((picked[test] - mean) / scale)
            return _mae(dose, np.square(np.clip(pred, 0.0, None)))

        chosen, best = [], score([])
        while True:
            trials = {group: score([*chosen, group]) for group in groups if group not in chosen}
            if not trials or min(trials.values()) > best - self.margin:
                break
            group = min(trials, key=trials.get)
            chosen.append(group)
            best = trials[group]
        self.selected_ = tuple(chosen)
        extras = tuple(name for group in chosen for name in groups[group])
        self.model_ = (AnchoredFormula(self.alpha, extras, terms=False) if chosen
                       else PublishedFormula()).fit_sqrt(features, target, sites)

    def predict_sqrt(self, features):
        return self.model_.predict_sqrt(features)


#: Every recipe tried on the out-of-site protocol: name -> factory.
RECIPES: dict[str, Callable[[], SqrtDoseModel]] = {
    "published_formula": PublishedFormula,
    "refit_formula": RefitFormula,
    "anchored_clinical": lambda: AnchoredFormula(100.0, CLINICAL_EXTRAS, terms=False),
    "anchored_genotypes": lambda: AnchoredFormula(100.0, GENOTYPE_EXTRAS, terms=False),
    "anchored_extras": lambda: AnchoredFormula(300.0, EXTRAS, terms=False),
    "anchored_selected": ForwardSelectedAnchor,
    "anchored_all_terms": lambda: AnchoredFormula(1000.0, EXTRAS, terms=True, shift=True),
    "random_intercept": RandomIntercept,
    "group_dro": GroupDRO,
    "monotone_gbm": MonotoneGBM,
    "gbm_unconstrained": lambda: MonotoneGBM(monotone=False),
    "monotone_gbm_extras": lambda: MonotoneGBM(extras=EXTRAS),
    "formula_and_random_intercept": lambda: SqrtAverage([PublishedFormula(), RandomIntercept()]),
    "anchored_mlp": lambda: AnchoredMLP(EXTRAS),
    "formula_and_monotone_gbm": lambda: SqrtAverage([PublishedFormula(), MonotoneGBM()]),
}
#: Candidates of the recommended recipe's inner choice; the first is the default anchor.
CANDIDATES = ("published_formula", "anchored_genotypes", "anchored_extras",
              "random_intercept", "formula_and_random_intercept", "monotone_gbm")


class RecommendedDoseModel:
    """Impute, choose a recipe out of site inside the training sites, refit, calibrate.

    Parameters
    ----------
    candidates : recipe names (:data:`RECIPES`) to choose among; the first is the default.
    margin : mg/week of inner out-of-site MAE a candidate must gain over the default.
    n_folds : grouped site folds of the inner validation.
    level : coverage of the conformal intervals.
    seed : seed of the inner fold assignment.
    """

    def __init__(self, candidates: Sequence[str] = CANDIDATES, margin: float = 0.02,
                 n_folds: int = 5, level: float = 0.8, seed: int = 0):
        unknown = [name for name in candidates if name not in RECIPES]
        if unknown or not candidates:
            raise ValueError(f"unknown or no candidate recipes {unknown}; known: {list(RECIPES)}")
        self.candidates, self.margin, self.n_folds = tuple(candidates), margin, n_folds
        self.level, self.seed = level, seed

    def fit(self, features: pd.DataFrame, dose: np.ndarray, sites: np.ndarray
            ) -> RecommendedDoseModel:
        """Learn from raw features ``(N, F)`` (:func:`derive_features`), stable doses ``(N,)``
        and training sites ``(N,)`` (at least two)."""
        dose, sites = np.asarray(dose, dtype=float), np.asarray(sites).astype(str)
        folds = site_folds(features, sites, self.n_folds, self.seed)
        self.inner_predictions_ = {
            name: out_of_site_predictions(RECIPES[name], folds, dose, sites)
            for name in self.candidates}
        self.inner_mae_ = {name: _mae(dose, pred)
                           for name, pred in self.inner_predictions_.items()}
        default = self.candidates[0]
        best = min(self.inner_mae_, key=self.inner_mae_.get)
        gain = self.inner_mae_[default] - self.inner_mae_[best]
        self.recipe_ = best if gain > self.margin else default
        self.imputer_ = InputImputer().fit(features)
        imputed = self.imputer_.transform(features)
        self.model_ = RECIPES[self.recipe_]().fit(imputed, dose, sites)
        inner_imputed = np.zeros(len(dose), dtype=bool)
        for _, test, _, test_x in folds:
            inner_imputed[test] = test_x["inputs_imputed"].to_numpy(bool)
        self.conformal_ = SqrtConformal(self.level).fit(
            dose, self.inner_predictions_[self.recipe_], inner_imputed.astype(int))
        return self

    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        """Per patient (same index): ``dose`` and its interval ``lower``/``upper`` (mg/week),
        and the flags ``age_imputed``, ``height_imputed``, ``weight_imputed``,
        ``inputs_imputed``, ``vkorc1_unknown``, ``cyp2c9_unknown`` (0/1)."""
        imputed = self.imputer_.transform(features)
        dose = self.model_.predict(imputed)
        flags = imputed["inputs_imputed"].to_numpy(int)
        bounds = self.conformal_.interval(dose, flags)
        out = pd.DataFrame({"dose": dose, "lower": bounds[:, 0], "upper": bounds[:, 1]},
                           index=features.index)
        for flag in (*IMPUTED_FLAGS.values(), "inputs_imputed"):
            out[flag] = imputed[flag].to_numpy(int)
        out["vkorc1_unknown"] = (imputed["vkorc1"] == "unknown").to_numpy(int)
        out["cyp2c9_unknown"] = imputed["cyp2c9"].isin(["unknown", "other"]).to_numpy(int)
        return out
