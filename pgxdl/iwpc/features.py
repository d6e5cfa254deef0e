"""Model inputs derived from the parsed IWPC table: the IWPC formula's variables, and more.

Two feature sets share one derivation (:func:`derive_features`):

``iwpc``
    The variables of the IWPC dosing formulas (Klein et al., NEJM 2009): age in decades,
    height (cm), weight (kg), VKORC1 rs9923231 genotype (imputed by the IWPC appendix
    rules, else ``unknown``), CYP2C9 diplotype, race (OMB), enzyme-inducer status
    (carbamazepine, phenytoin or rifampin) and amiodarone status.
``extended``
    ``iwpc`` plus the other documented clinical fields worth using: sex, smoking, target
    INR, diabetes, heart failure, valve replacement, and the interacting drugs of the table.

Conventions (as the IWPC formula uses them): a drug whose column is empty counts as not
taken (0); a CYP2C9 diplotype the formula has no term for (``*5``, ``*6``, ``*11``, ...) is
``other``, which the formula treats as unknown. Numeric inputs keep NaN where missing, for
the model pipelines to impute on the training fold only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pgxdl.iwpc.policy import impute_vkorc1

#: CYP2C9 diplotypes that have a term in the IWPC formula.
FORMULA_CYP2C9 = ("*1/*1", "*1/*2", "*1/*3", "*2/*2", "*2/*3", "*3/*3")
ENZYME_INDUCERS = ("carbamazepine", "phenytoin", "rifampin")
#: The genotype inputs (a cohort store carries them as sequence windows instead).
GENOTYPE_FEATURES = ("vkorc1", "cyp2c9")

#: The other VKORC1 SNPs IWPC typed -> the allele counted (on the gene strand, as reported):
#: the allele that travels with -1639A for the four in strong LD, A for rs7294.
VKORC1_SNP_COUNTS = {"vkorc1_rs2884737": "T", "vkorc1_rs9934438": "T",
                     "vkorc1_rs8050894": "C", "vkorc1_rs2359612": "T", "vkorc1_rs7294": "A"}

#: Binary clinical fields of the ``extended`` set (NaN where the table has no answer).
EXTENDED_BINARY = ("smoker", "diabetes", "heart_failure", "valve_replacement", "aspirin",
                   "acetaminophen", "simvastatin", "atorvastatin", "sulfonamide", "macrolide",
                   "azole_antifungal", "herbal_supplements")


@dataclass(frozen=True)
class FeatureSet:
    """Names of the numeric and categorical model inputs of one feature set."""

    name: str
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]

    @property
    def columns(self) -> list[str]:
        return [*self.numeric, *self.categorical]


_IWPC_NUMERIC = ("age_decade", "height_cm", "weight_kg", "enzyme_inducer", "amiodarone")
_IWPC_CATEGORICAL = (*GENOTYPE_FEATURES, "race")

FEATURE_SETS: dict[str, FeatureSet] = {
    "iwpc": FeatureSet("iwpc", _IWPC_NUMERIC, _IWPC_CATEGORICAL),
    "extended": FeatureSet("extended", (*_IWPC_NUMERIC, "target_inr", *EXTENDED_BINARY),
                           (*_IWPC_CATEGORICAL, "gender")),
}


def derive_features(frame: pd.DataFrame, impute_vkorc1_genotype: bool = True) -> pd.DataFrame:
    """Every model input of every feature set, one row per patient.

    Parameters
    ----------
    frame : :attr:`pgxdl.iwpc.table.IWPCTable.frame` ``(N, ...)`` (or a subset).
    impute_vkorc1_genotype : fill missing rs9923231 by the IWPC appendix rules; when false,
        a missing genotype stays ``unknown``.

    Returns
    -------
    DataFrame ``(N, F)``, same index: numeric columns as float (NaN missing), categorical
    columns as strings (never missing: ``unknown`` stands for it), plus ``vkorc1_source``,
    ``<snp>_count`` (copies of the allele of :data:`VKORC1_SNP_COUNTS`, NaN where not typed)
    and ``cyp2c9_other`` (1.0 for a diplotype without a formula term).
    """
    if impute_vkorc1_genotype:
        vkorc1 = impute_vkorc1(frame)
    else:
        raw = frame["vkorc1_rs9923231"]
        vkorc1 = pd.DataFrame({"vkorc1": raw.astype(object).where(raw.notna(), "unknown"),
                               "vkorc1_source": np.where(raw.notna(), "genotyped", "unknown")},
                              index=frame.index)
    cyp2c9 = frame["cyp2c9"].astype(object)
    cyp2c9 = cyp2c9.where(cyp2c9.isna() | cyp2c9.isin(FORMULA_CYP2C9), "other")
    taken = {name: frame[name].eq(1.0).astype(float) for name in (*ENZYME_INDUCERS, "amiodarone")}
    features = pd.DataFrame({
        "age_decade": frame["age_decade"].astype(float),
        "height_cm": frame["height_cm"].astype(float),
        "weight_kg": frame["weight_kg"].astype(float),
        "enzyme_inducer": np.maximum.reduce([taken[name] for name in ENZYME_INDUCERS]),
        "amiodarone": taken["amiodarone"],
        "vkorc1": vkorc1["vkorc1"].astype(object),
        "vkorc1_source": vkorc1["vkorc1_source"].astype(object),
        "cyp2c9": cyp2c9.where(cyp2c9.notna(), "unknown"),
        "race": frame["race"].astype(object),
        "target_inr": frame["target_inr"].astype(float),
        "gender": frame["gender"].astype(object).where(frame["gender"].notna(), "unknown"),
    }, index=frame.index)
    for name in EXTENDED_BINARY:
        features[name] = frame[name].astype(float)
    for name, allele in VKORC1_SNP_COUNTS.items():
        features[f"{name}_count"] = frame[name].map(
            lambda call, allele=allele: call.count(allele) if isinstance(call, str) else np.nan
        ).astype(float)
    features["cyp2c9_other"] = (cyp2c9 == "other").astype(float)
    return features
