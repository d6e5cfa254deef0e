"""Baselines on the stored GDSC splits: each ``fit(pairs, train rows) -> predict(rows)``.

- :class:`DrugMean`: the training mean of each drug (global mean for an unseen drug);
- :class:`SimilarDrugMean`: the same, an unseen drug borrowing the means of its most
  similar training drugs (Tanimoto on Morgan fingerprints): the drug-blind baseline;
- :class:`DrugCellAdditive`: ``mu + a_drug + b_cell`` by ridge-penalised alternating least
  squares (needs every test drug and cell line in training: the mixed design only);
- :class:`PerDrugModels`: one scikit-learn model per drug on the cell-line calls + tissue
  (Iorio et al. 2016 style elastic net, or a random forest); unseen drugs get no model;
- :class:`GlobalBoosting`: one histogram gradient boosting over cell calls, tissue,
  drug fingerprint (SVD-reduced) and descriptors, for every pair.

``fit(pairs, train_rows, val_rows)`` (validation rows are used by the elastic net only)
and ``predict(pairs, rows)``, which returns ``(R,)`` floats, NaN where the baseline cannot
predict.
"""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import ElasticNet
from sklearn.preprocessing import StandardScaler

from pgxdl.gdsc.pairs import GDSCPairs


class DrugMean:
    """Training mean of each drug."""

    name = "drug_mean"

    def fit(self, pairs: GDSCPairs, rows: np.ndarray, val_rows=None) -> DrugMean:
        n = len(pairs.drug_names)
        total = np.bincount(pairs.drug[rows], pairs.ln_ic50[rows], minlength=n)
        count = np.bincount(pairs.drug[rows], minlength=n)
        self.overall = pairs.ln_ic50[rows].mean()
        self.means = np.where(count > 0, total / np.maximum(count, 1), self.overall)
        return self

    def predict(self, pairs: GDSCPairs, rows: np.ndarray) -> np.ndarray:
        return self.means[pairs.drug[rows]]


class SimilarDrugMean(DrugMean):
    """The drug-blind baseline: a drug seen in training gets its mean; an unseen drug the
    mean of the ``k`` training drugs most similar to it (Tanimoto similarity of Morgan
    fingerprints), weighted by similarity."""

    name = "similar_drug_mean"

    def __init__(self, k: int = 3):
        self.k = k

    def fit(self, pairs: GDSCPairs, rows: np.ndarray, val_rows=None) -> SimilarDrugMean:
        super().fit(pairs, rows)
        fp = pairs.fingerprints > 0
        common = fp.astype(float) @ fp.T.astype(float)
        counts = fp.sum(axis=1)
        similarity = common / np.maximum(counts[:, None] + counts[None, :] - common, 1)
        seen = np.isin(np.arange(len(fp)), pairs.drug[rows])
        similarity[:, ~seen] = -1.0
        nearest = np.argsort(-similarity, axis=1)[:, :self.k]
        weights = np.clip(np.take_along_axis(similarity, nearest, axis=1), 1e-6, None)
        borrowed = (weights * self.means[nearest]).sum(axis=1) / weights.sum(axis=1)
        self.means = np.where(seen, self.means, borrowed)
        return self


class DrugCellAdditive:
    """``mu + a_drug + b_cell`` fitted by alternating ridge least squares (``l2`` shrinks
    the effects of drugs and cell lines with few pairs); NaN for an unseen drug or cell."""

    name = "drug_cell_additive"

    def __init__(self, l2: float = 1.0, iterations: int = 20):
        self.l2, self.iterations = l2, iterations

    def fit(self, pairs: GDSCPairs, rows: np.ndarray, val_rows=None) -> DrugCellAdditive:
        y, d, c = pairs.ln_ic50[rows], pairs.drug[rows], pairs.cell[rows]
        n_d, n_c = len(pairs.drug_names), len(pairs.tissue)
        self.mu, a, b = y.mean(), np.zeros(n_d), np.zeros(n_c)
        n_drug, n_cell = np.bincount(d, minlength=n_d), np.bincount(c, minlength=n_c)
        for _ in range(self.iterations):
            a = np.bincount(d, y - self.mu - b[c], minlength=n_d) / (n_drug + self.l2)
            b = np.bincount(c, y - self.mu - a[d], minlength=n_c) / (n_cell + self.l2)
        self.a, self.b = a, b
        self.seen_drug, self.seen_cell = n_drug > 0, n_cell > 0
        return self

    def predict(self, pairs: GDSCPairs, rows: np.ndarray) -> np.ndarray:
        d, c = pairs.drug[rows], pairs.cell[rows]
        pred = self.mu + self.a[d] + self.b[c]
        return np.where(self.seen_drug[d] & self.seen_cell[c], pred, np.nan)


class ValidatedElasticNet:
    """Elastic net on standardised calls (l1_ratio 0.5) whose ``alpha`` is chosen on the
    split's validation pairs along a warm-started path (the deep models stop early on the
    same pairs); without validation pairs the middle of the path is kept."""

    ALPHAS = (0.5, 0.2, 0.1, 0.05, 0.02)

    def __init__(self, seed: int = 0):
        self.seed = seed

    def fit(self, x: np.ndarray, y: np.ndarray, x_val: np.ndarray, y_val: np.ndarray):
        self.scaler = StandardScaler().fit(x)
        x, best = self.scaler.transform(x), (np.inf, None)
        net = ElasticNet(l1_ratio=0.5, warm_start=True, max_iter=2000, tol=1e-3,
                         random_state=self.seed)
        for i, alpha in enumerate(self.ALPHAS):
            net.set_params(alpha=alpha).fit(x, y)
            if len(y_val):
                error = np.mean((net.predict(self.scaler.transform(x_val)) - y_val) ** 2)
            else:
                error = -1.0 if i == len(self.ALPHAS) // 2 else np.inf
            if error < best[0]:
                best = (error, (alpha, net.coef_.copy(), float(net.intercept_)))
        self.alpha, self.coef_, self.intercept_ = best[1]
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.scaler.transform(x) @ self.coef_ + self.intercept_


class ValidatedForest:
    """The per-drug random forest (60 trees, a fifth of the features per split, leaves of
    at least 5 cell lines); validation pairs unused."""

    def __init__(self, seed: int = 0):
        self.model = RandomForestRegressor(n_estimators=60, max_features=0.2,
                                           min_samples_leaf=5, random_state=seed, n_jobs=1)

    def fit(self, x, y, x_val, y_val):
        self.model.fit(x, y)
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.model.predict(x)


class PerDrugModels:
    """One model per drug on :meth:`GDSCPairs.cell_matrix` (drugs with ``>= min_pairs``)."""

    def __init__(self, name: str, make_model, min_pairs: int = 20):
        self.name, self.make_model, self.min_pairs = name, make_model, min_pairs

    def fit(self, pairs: GDSCPairs, rows: np.ndarray, val_rows: np.ndarray | None = None
            ) -> PerDrugModels:
        design = pairs.cell_matrix()
        val_rows = np.zeros(0, dtype=np.int64) if val_rows is None else val_rows
        self.models = {}
        for drug in np.unique(pairs.drug[rows]):
            mine = rows[pairs.drug[rows] == drug]
            val = val_rows[pairs.drug[val_rows] == drug]
            if len(mine) >= self.min_pairs:
                self.models[int(drug)] = self.make_model().fit(
                    design[pairs.cell[mine]], pairs.ln_ic50[mine], design[pairs.cell[val]],
                    pairs.ln_ic50[val])
        return self

    def predict(self, pairs: GDSCPairs, rows: np.ndarray) -> np.ndarray:
        design, pred = pairs.cell_matrix(), np.full(len(rows), np.nan)
        for drug, model in self.models.items():
            mine = pairs.drug[rows] == drug
            if mine.any():
                pred[mine] = model.predict(design[pairs.cell[rows[mine]]])
        return pred


class GlobalBoosting:
    """One gradient-boosting model over pairs: cell calls, tissue (categorical), the drug's
    fingerprint reduced to ``fp_components`` SVD axes (fitted on the training drugs) and
    its descriptors; trained on at most ``max_rows`` random training pairs (memory)."""

    name = "global_boosting"

    def __init__(self, fp_components: int = 32, max_rows: int = 40_000, seed: int = 0,
                 max_iter: int = 200):
        self.fp_components, self.max_rows, self.seed = fp_components, max_rows, seed
        self.max_iter = max_iter

    def _design(self, pairs: GDSCPairs, rows: np.ndarray) -> np.ndarray:
        _, tissue = np.unique(pairs.tissue, return_inverse=True)
        drug = np.hstack([self.svd.transform(pairs.fingerprints), pairs.descriptors])
        c, d = pairs.cell[rows], pairs.drug[rows]
        return np.hstack([pairs.features[c], tissue[c, None], drug[d]]).astype(np.float32)

    def fit(self, pairs: GDSCPairs, rows: np.ndarray, val_rows=None) -> GlobalBoosting:
        rng = np.random.default_rng(self.seed)
        train_drugs = np.unique(pairs.drug[rows])
        self.svd = TruncatedSVD(min(self.fp_components, len(train_drugs) - 1),
                                random_state=self.seed).fit(pairs.fingerprints[train_drugs])
        if len(rows) > self.max_rows:
            rows = rng.choice(rows, self.max_rows, replace=False)
        categorical = np.zeros(pairs.features.shape[1] + 1 + self.svd.n_components
                               + pairs.descriptors.shape[1], dtype=bool)
        categorical[pairs.features.shape[1]] = True
        self.model = HistGradientBoostingRegressor(
            max_iter=self.max_iter, learning_rate=0.1, max_leaf_nodes=63,
            categorical_features=categorical, early_stopping=True, random_state=self.seed)
        self.model.fit(self._design(pairs, rows), pairs.ln_ic50[rows])
        return self

    def predict(self, pairs: GDSCPairs, rows: np.ndarray) -> np.ndarray:
        return self.model.predict(self._design(pairs, rows))


def all_baselines(seed: int = 0) -> list:
    """The benchmark's baselines, in table order."""
    return [DrugMean(), SimilarDrugMean(), DrugCellAdditive(),
            PerDrugModels("per_drug_elastic_net", lambda: ValidatedElasticNet(seed)),
            PerDrugModels("per_drug_random_forest", lambda: ValidatedForest(seed)),
            GlobalBoosting(seed=seed)]
