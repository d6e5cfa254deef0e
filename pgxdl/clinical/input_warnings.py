"""Warnings about a new person's inputs, against what the model saw in training.

Each warning is a dict ``{"code", "message"}``; the messages name features, categories and
variants, never the person. Codes:

``imputed``              features not given (one warning listing them); read as missing
``out_of_training_range``  a numeric value outside the training subjects' [min, max]
``unseen_category`` / ``rare_category``  a category no (or < :data:`RARE_COUNT`) training
                         subject had; unseen ones are read as unknown
``unseen_group`` / ``rare_group``  the same for a group key the record carries (site,
                         population, race) that the model never took as an input
``rare_variant``         a carried variant in the model's windows that fewer than
                         :data:`~pgxdl.data.serving.COMMON_CARRIERS` training subjects
                         carried (none, or a few: the checkpoint lists common sites only)
``no_call``              no call at a key variant (allele-table variant in the windows):
                         unknown, never reference; the model input follows the
                         training's missing-call policy
``ensemble_disagreement``  members' predictions spread by more than
                         :data:`DISAGREEMENT` of the prediction (binary: probability sd)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pgxdl.clinical.serving_spec import ServingSpec
from pgxdl.clinical.tables_cache import allele_table
from pgxdl.data.serving import COMMON_CARRIERS
from pgxdl.data.tabular import TabularSchema
from pgxdl.genome.reference.builds import normalise_chrom
from pgxdl.genome.variants.callset import CallSet

RARE_COUNT = 5
DISAGREEMENT = 0.10


def warning(code: str, message: str) -> dict:
    return {"code": code, "message": message}


def record_warnings(row: pd.Series, numeric: np.ndarray, schema: TabularSchema,
                    serving: ServingSpec, unseen: list[tuple[str, str]]) -> list[dict]:
    """Warnings about one person's record; ``numeric (F_num,)`` in canonical units."""
    out, absent = [], []
    ranges = serving.training.get("numeric_ranges", {})
    for value, feature in zip(numeric, schema.numeric_features, strict=True):
        if np.isnan(value):
            absent.append(feature.name)
            continue
        low_high = ranges.get(feature.name) or []
        if low_high and not low_high[0] <= value <= low_high[1]:
            out.append(warning("out_of_training_range",
                               f"{feature.name} {value:g} {feature.units} is outside the "
                               f"training range [{low_high[0]:g}, {low_high[1]:g}]".replace(
                                   "  ", " ")))
    for feature, value in unseen:
        out.append(warning("unseen_category", f"{feature} {value!r} never seen in training: "
                                              f"read as unknown"))
    counts = serving.training.get("category_counts", {})
    for feature in schema.categorical_features:
        value = row.get(feature.source)
        if pd.isna(value):
            absent.append(feature.name)
            continue
        n = counts.get(feature.name, {}).get(str(value).strip()) if pd.notna(value) else None
        if n is not None and n < RARE_COUNT:
            out.append(warning("rare_category", f"{feature.name} {value!r}: {n} training "
                                                f"subject(s)"))
    if absent:
        out.insert(0, warning("imputed", f"not given, read as missing: {', '.join(absent)}"))
    for key, labels in serving.training.get("group_counts", {}).items():
        if key in {f.source for f in schema.features} or pd.isna(row.get(key, np.nan)):
            continue
        n = labels.get(str(row[key]).strip(), 0)
        if n < RARE_COUNT:
            code = "unseen_group" if n == 0 else "rare_group"
            out.append(warning(code, f"{key} {row[key]!r}: {n} training subject(s)"))
    return out


class GenotypeChecker:
    """Carried-site and no-call warnings, against the training sites of a checkpoint."""

    def __init__(self, serving: ServingSpec):
        sites = serving.training.get("sites") or {}
        self.known = "train_carriers" in sites
        self.train_carriers = {
            (normalise_chrom(c), int(p), r, a): int(n)
            for c, p, r, a, n in zip(sites.get("chrom", []), sites.get("pos", []),
                                     sites.get("ref", []), sites.get("alt", []),
                                     sites.get("train_carriers", []), strict=True)}
        alleles = allele_table()
        self.key_variants = {
            (normalise_chrom(v.chrom), int(v.pos)): rsid for rsid, v in alleles.variants.items()
            if any(normalise_chrom(w.chrom) == normalise_chrom(v.chrom)
                   and w.start <= v.pos <= w.end for w in serving.windows)}

    def warnings(self, callset: CallSet, person: int) -> list[dict]:
        """Warnings for row ``person`` of ``callset`` (sites already inside the windows)."""
        out = []
        genotypes = callset.genotypes[person]  # (V, 2)
        for v in range(callset.n_variants):
            key = (normalise_chrom(callset.chrom[v]), int(callset.pos[v]))
            given = callset.ids[v] if callset.ids[v] not in ("", ".") else None
            name = (self.key_variants.get(key) or given
                    or f"{callset.chrom[v]}:{callset.pos[v]}")
            if (genotypes[v] < 0).any():
                if key in self.key_variants:
                    out.append(warning("no_call", f"no call at {name}: unknown (not assumed "
                                                  f"reference)"))
                continue
            if self.known and (genotypes[v] == 1).any():
                n = self.train_carriers.get((*key, callset.ref[v], callset.alt[v]), 0)
                if n < COMMON_CARRIERS:
                    out.append(warning("rare_variant", f"{name} {callset.ref[v]}>"
                                       f"{callset.alt[v]} carried by fewer than "
                                       f"{COMMON_CARRIERS} training subjects"))
        return out


def disagreement_warnings(combined: dict, index: int) -> list[dict]:
    """Ensemble-disagreement warnings of person ``index`` over every task."""
    out = []
    for task, result in combined.items():
        spread = result.get("ensemble_sd")
        if spread is None or len(result.get("members", [])) < 2:
            continue
        sd = float(spread[index])
        if "prob" in result:
            if sd > DISAGREEMENT:
                out.append(warning("ensemble_disagreement",
                                   f"{task}: member probabilities spread by sd {sd:.2f}"))
        elif sd > DISAGREEMENT * abs(float(result["pred"][index])):
            out.append(warning("ensemble_disagreement",
                               f"{task}: members spread by sd {sd:.3g} {result['units']} "
                               f"(> {DISAGREEMENT:.0%} of the prediction)"))
    return out
