"""The missing-value policy for the IWPC table: which patients are kept, and VKORC1 imputation.

Patients are never dropped silently. :func:`select_patients` applies the requirements in
:data:`REQUIREMENTS` in order and returns an :class:`ExclusionReport` counting every excluded
row by the first requirement it fails, and how many rows fail each requirement on its own.

VKORC1 -1639 G>A (rs9923231) is missing for about a fifth of the IWPC patients.
:func:`impute_vkorc1` fills it from VKORC1 SNPs in strong linkage disequilibrium, by the
rules of the IWPC supplementary appendix (Klein et al., NEJM 2009), applied only where
rs9923231 is missing, the first rule that applies winning:

1. rs2359612 (2255C>T): C/C -> G/G, T/T -> A/A, C/T -> A/G, unless race is Black or
   African American or missing/mixed (``Unknown``);
2. rs9934438 (1173C>T): C/C -> G/G, T/T -> A/A, C/T -> A/G, any race;
3. rs8050894 (1542G>C): G/G -> G/G, C/C -> A/A, C/G -> A/G, unless race is Black or
   African American or ``Unknown``.

A patient none of the rules reaches keeps an unknown genotype, which the IWPC formula has
its own term for and the learned models see as its own category.

Predictable and scoreable are two sets: every patient is *predictable* (:data:`PREDICTABLE`;
missing age, height and weight are imputed and flagged by
:class:`pgxdl.iwpc.imputation.InputImputer`), but a prediction can only be *scored* where a
stable dose was reached (:data:`STABLE_DOSE`). :data:`SCOREABLE` further requires the
formula's inputs, the set on which the published formula is scored without imputation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Races for which the IWPC appendix does not impute rs9923231 from rs2359612 or rs8050894.
_NO_LD_RACES = ("Black or African American", "Unknown")


@dataclass(frozen=True)
class ImputationRule:
    """Impute rs9923231 from the genotype of ``source`` (a field of the IWPC table)."""

    source: str
    mapping: dict[str, str]
    all_races: bool

    @property
    def label(self) -> str:
        """Provenance label stored for each imputed patient, e.g. ``imputed_rs2359612``."""
        return "imputed_" + self.source.removeprefix("vkorc1_")


VKORC1_IMPUTATION_RULES: tuple[ImputationRule, ...] = (
    ImputationRule("vkorc1_rs2359612", {"C/C": "G/G", "T/T": "A/A", "C/T": "A/G"}, False),
    ImputationRule("vkorc1_rs9934438", {"C/C": "G/G", "T/T": "A/A", "C/T": "A/G"}, True),
    ImputationRule("vkorc1_rs8050894", {"G/G": "G/G", "C/C": "A/A", "C/G": "A/G"}, False),
)


def impute_vkorc1(frame: pd.DataFrame) -> pd.DataFrame:
    """rs9923231 genotypes with the IWPC appendix imputation, and where each came from.

    Parameters
    ----------
    frame : DataFrame ``(N, ...)`` with the fields ``race``, ``vkorc1_rs9923231`` and the
        rule sources (see :data:`VKORC1_IMPUTATION_RULES`) of :class:`IWPCTable.frame`.

    Returns
    -------
    DataFrame ``(N, 2)``: ``vkorc1`` (``"A/A"``, ``"A/G"``, ``"G/G"`` or ``"unknown"``) and
    ``vkorc1_source`` (``"genotyped"``, ``"imputed_<rsid>"`` or ``"unknown"``), same index.
    """
    genotype = frame["vkorc1_rs9923231"].astype(object).where(
        frame["vkorc1_rs9923231"].notna(), None)
    source = pd.Series(np.where(genotype.notna(), "genotyped", "unknown"), index=frame.index,
                       dtype=object)
    ld_race = ~frame["race"].isin(_NO_LD_RACES)
    for rule in VKORC1_IMPUTATION_RULES:
        proxy = frame[rule.source].map(rule.mapping)
        fill = genotype.isna() & proxy.notna() & (ld_race | rule.all_races)
        genotype[fill] = proxy[fill]
        source[fill] = rule.label
    return pd.DataFrame({"vkorc1": genotype.fillna("unknown"), "vkorc1_source": source})


def _dose_reported(frame: pd.DataFrame) -> pd.Series:
    return frame["dose_mg_week"].notna() & (frame["dose_mg_week"] > 0)


def _not_unstable(frame: pd.DataFrame) -> pd.Series:
    return frame["reached_stable_dose"].ne(0.0)


def _present(name: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda frame: frame[name].notna()


#: Requirement name -> test ``(frame) -> bool Series``; applied in this order.
REQUIREMENTS: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    "no_therapeutic_dose": _dose_reported,
    "stable_dose_not_reached": _not_unstable,
    "age_missing": _present("age_decade"),
    "height_missing": _present("height_cm"),
    "weight_missing": _present("weight_kg"),
}

#: The IWPC-scoreable set: a stable dose to compare with, and every input the formula needs.
SCOREABLE = tuple(REQUIREMENTS)
#: Patients whose dose a model with imputed inputs is scored on: a stable dose, whatever
#: inputs are missing (:mod:`pgxdl.iwpc.imputation` fills them; each fill is flagged).
STABLE_DOSE = ("no_therapeutic_dose", "stable_dose_not_reached")
#: Patients a dose is predicted for: everyone. Prediction never reads the outcome columns,
#: so no requirement applies; scoring then keeps :data:`STABLE_DOSE`.
PREDICTABLE: tuple[str, ...] = ()


@dataclass
class ExclusionReport:
    """How many rows a selection kept and why the others were excluded.

    ``excluded`` counts each excluded row once, under the first requirement it fails;
    ``failing`` counts, for every requirement, all rows that fail it (rows can fail several).
    """

    n_rows: int
    n_kept: int
    excluded: dict[str, int] = field(default_factory=dict)
    failing: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"n_rows": self.n_rows, "n_kept": self.n_kept, "excluded": dict(self.excluded),
                "failing": dict(self.failing)}

    def summary(self) -> str:
        """One line: kept of rows, then each exclusion reason with its count."""
        reasons = ", ".join(f"{name} {count}" for name, count in self.excluded.items())
        return f"kept {self.n_kept} of {self.n_rows} patients; excluded: {reasons or 'none'}"


def select_patients(frame: pd.DataFrame, require: Sequence[str] = SCOREABLE
                    ) -> tuple[np.ndarray, ExclusionReport]:
    """Boolean mask ``(N,)`` of the patients meeting every requirement, with the report.

    Raises
    ------
    KeyError
        For a requirement not in :data:`REQUIREMENTS` (the known ones are listed).
    """
    unknown = [name for name in require if name not in REQUIREMENTS]
    if unknown:
        raise KeyError(f"unknown requirement(s) {unknown}; known: {list(REQUIREMENTS)}")
    kept = np.ones(len(frame), dtype=bool)
    report = ExclusionReport(n_rows=len(frame), n_kept=0)
    for name in require:
        passes = REQUIREMENTS[name](frame).to_numpy(dtype=bool)
        report.failing[name] = int((~passes).sum())
        report.excluded[name] = int((kept & ~passes).sum())
        kept &= passes
    report.n_kept = int(kept.sum())
    return kept, report
