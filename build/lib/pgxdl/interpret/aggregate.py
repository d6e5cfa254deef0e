"""From nucleotide and feature attributions to named variants, genes, features and cohorts.

A carried variant's attribution is the sum over the C channels of the ``len(ref)``
positions it covers (from ``offset`` on the + strand; reversed in windows stored
reverse-complemented). With a reference baseline,
``x - x0`` is non-zero only at carried variants, so for difference-based methods these
sums hold the whole sequence attribution. A gene's attribution is the sum over every
position and channel of its windows. A numeric feature's attribution includes that of its
missing indicator. Rows are keyed by the store's observation index, never by a subject ID.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pgxdl.data.spec import DataSpec
from pgxdl.data.store import CohortStore

#: Columns naming one variant in every variant table.
VARIANT_KEY = ["variant", "gene", "window", "chrom", "pos", "ref", "alt"]


def variant_label(ids: np.ndarray, chrom: np.ndarray, pos: np.ndarray, ref: np.ndarray,
                  alt: np.ndarray) -> np.ndarray:
    """``(K,)`` names: the ID (e.g. an rsID) where there is one, else ``chrom:pos:ref:alt``."""
    ids = np.asarray(ids).astype(str)
    spelled = np.array([f"{c}:{p}:{r}:{a}" for c, p, r, a in zip(chrom, pos, ref, alt,
                                                                  strict=True)], dtype=object)
    has_id = ~np.isin(np.char.strip(ids), ["", "."])
    return np.where(has_id, ids.astype(object), spelled)


@dataclass
class VariantTable:
    """The carried variants of a store.

    frame : ``(K,)`` rows sorted by subject: ``subject_index``, ``window_index``,
        ``offset`` (+ strand), ``seq_start`` (first index along the stored ``L`` axis),
        ``span`` (bases covered, ``len(ref)``), the :data:`VARIANT_KEY` columns and
        ``allele_count``.
    offsets : ``(S + 1,)`` subject ``s`` owns rows ``offsets[s]:offsets[s + 1]``.
    oriented : ``(W,)`` True for windows stored reverse-complemented (``-`` strand genes
        built with ``oriented=True``), recognised from the stored ``seq_offset``.
    """

    frame: pd.DataFrame
    offsets: np.ndarray
    oriented: np.ndarray

    @classmethod
    def from_store(cls, store: CohortStore) -> VariantTable:
        raw = store.variants()
        windows = store.windows
        window_index = raw["window_index"].astype(np.int64)
        chrom = np.array([windows[w]["chrom"] for w in window_index], dtype=object)
        offset = raw["offset"].astype(np.int64)
        span = np.array([max(1, len(r)) for r in raw["ref"]], dtype=np.int64)
        seq_offset = raw.get("seq_offset", offset).astype(np.int64)
        oriented = np.zeros(len(windows), dtype=bool)
        oriented[window_index[seq_offset != offset]] = True
        frame = pd.DataFrame({
            "subject_index": raw["subject_index"].astype(np.int64),
            "window_index": window_index,
            "offset": offset,
            "seq_start": np.where(oriented[window_index], seq_offset - span + 1, offset),
            "span": span,
            "variant": variant_label(raw["ids"], chrom, raw["pos"], raw["ref"], raw["alt"]),
            "gene": np.array([windows[w]["gene"] for w in window_index], dtype=object),
            "window": np.array([windows[w]["name"] for w in window_index], dtype=object),
            "chrom": chrom,
            "pos": raw["pos"].astype(np.int64),
            "ref": raw["ref"].astype(object),
            "alt": raw["alt"].astype(object),
            "allele_count": raw["allele_count"].astype(np.int64),
        })
        return cls(frame, store.h5["variants/subject_offsets"][:].astype(np.int64), oriented)

    def rows_of(self, subjects: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Variant rows ``(M,)`` carried by ``subjects (N,)`` and each row's batch position."""
        starts, ends = self.offsets[subjects], self.offsets[np.asarray(subjects) + 1]
        counts = ends - starts
        position = np.repeat(np.arange(len(subjects)), counts)
        first = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
        return first + np.arange(counts.sum()), position


def variant_attributions(sequence: np.ndarray, subjects: np.ndarray, observations: np.ndarray,
                         table: VariantTable, value: str = "attribution") -> pd.DataFrame:
    """One row per (observation, carried variant) with the variant's summed attribution.

    Parameters
    ----------
    sequence : ``(N, W, C, L)`` nucleotide attributions of a batch.
    subjects, observations : ``(N,)`` subject and observation index of each batch row.
    table : the store's carried variants.
    value : name of the score column.
    """
    per_position = np.asarray(sequence).sum(axis=2)  # (N, W, L)
    length = per_position.shape[-1]
    rows, position = table.rows_of(np.asarray(subjects))
    carried = table.frame.iloc[rows]
    start, span = carried["seq_start"].to_numpy(), carried["span"].to_numpy()
    window = carried["window_index"].to_numpy()
    score = np.zeros(len(rows), dtype=np.float64)
    for k in range(int(span.max()) if len(span) else 0):
        covered = (k < span) & (start + k >= 0) & (start + k < length)
        score[covered] += per_position[position[covered], window[covered], start[covered] + k]
    out = carried[VARIANT_KEY + ["allele_count"]].reset_index(drop=True)
    out.insert(0, "observation", np.asarray(observations)[position])
    out[value] = score
    return out


def gene_attributions(sequence: np.ndarray, observations: np.ndarray, genes: list[str]
                      ) -> pd.DataFrame:
    """One row per (observation, gene): the sum of ``sequence (N, W, C, L)`` over its windows."""
    per_window = np.asarray(sequence).sum(axis=(2, 3))  # (N, W)
    frame = pd.DataFrame(per_window, columns=pd.Index(range(len(genes))))
    frame["observation"] = np.asarray(observations)
    long = frame.melt(id_vars="observation", var_name="window_index", value_name="attribution")
    long["gene"] = np.asarray(genes, dtype=object)[long["window_index"].astype(int)]
    return (long.groupby(["observation", "gene"], sort=False)["attribution"].sum()
            .reset_index())


def feature_attributions(numeric: np.ndarray, numeric_missing: np.ndarray,
                         categorical: np.ndarray | None, observations: np.ndarray,
                         spec: DataSpec) -> pd.DataFrame:
    """One row per (observation, tabular feature).

    ``numeric``, ``numeric_missing`` are ``(N, F_num)``; a feature's attribution is the sum
    of both. ``categorical`` ``(N, F_cat)`` is included when the method attributed it.
    """
    blocks = [(np.asarray(numeric) + np.asarray(numeric_missing), spec.numeric_features,
               "numeric")]
    if categorical is not None:
        blocks.append((np.asarray(categorical), spec.categorical_features, "categorical"))
    frames = []
    for values, names, kind in blocks:
        for j, name in enumerate(names):
            frames.append(pd.DataFrame({"observation": np.asarray(observations),
                                        "feature": name, "kind": kind,
                                        "attribution": values[:, j].astype(np.float64)}))
    if not frames:
        return pd.DataFrame(columns=["observation", "feature", "kind", "attribution"])
    return pd.concat(frames, ignore_index=True)


def cohort_summary(scores: pd.DataFrame, keys: list[str], n_observations: int,
                   value: str = "attribution", groups: pd.Series | None = None,
                   group_sizes: pd.Series | None = None) -> pd.DataFrame:
    """Mean attribution per key (a variant, gene or feature), overall or by subgroup.

    Parameters
    ----------
    scores : one row per (observation, key) with a ``value`` column.
    keys : columns naming the key.
    n_observations : number of observations attributed (all, carriers or not).
    groups : the subgroup of each observation (indexed by observation), or ``None``.
    group_sizes : observations attributed per subgroup (required with ``groups``).

    Returns
    -------
    One row per key (and ``group``): ``n`` rows with the key (carriers, for variants),
    ``mean`` and ``mean_abs`` over them, and ``mean_abs_all`` = sum of ``|value|`` over
    all ``n_observations`` (0 for non-carriers), sorted by ``mean_abs`` descending.
    """
    frame = scores.assign(abs_value=scores[value].abs())
    by = list(keys)
    if groups is not None:
        frame["group"] = groups.reindex(frame["observation"]).to_numpy()
        by = ["group", *keys]
    summary = frame.groupby(by, sort=False, dropna=False).agg(
        n=(value, "size"), mean=(value, "mean"), mean_abs=("abs_value", "mean"),
        sum_abs=("abs_value", "sum")).reset_index()
    total = (summary["group"].map(group_sizes) if groups is not None
             else pd.Series(n_observations, index=summary.index))
    summary["mean_abs_all"] = summary.pop("sum_abs") / total.astype(float)
    order = ["group", "mean_abs"] if groups is not None else ["mean_abs"]
    ascending = [True, False] if groups is not None else [False]
    return summary.sort_values(order, ascending=ascending, kind="stable").reset_index(drop=True)
