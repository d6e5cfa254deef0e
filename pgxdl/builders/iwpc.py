"""IWPC warfarin table -> cohort store: clinical features, genotypes as personal windows, dose.

Config (YAML, see ``configs/data/iwpc.yaml``)::

    builder: iwpc
    table: null                 # IWPC CSV/TSV/Excel; default $PGXDL_DATA/iwpc/iwpc.csv
    reference: null             # default $PGXDL_DATA/reference/GRCh38_pgx_regions.fa
    reference_build: GRCh38
    windows: [...]              # equal-length windows inside the VKORC1 / CYP2C9 records
    require: [...]              # patient requirements (default: the IWPC-scoreable set)
    impute_vkorc1: true         # IWPC appendix imputation of rs9923231 from linked SNPs
    missing_genotype: "N"       # "N": unknown calls are N in the windows; or "reference"
    feature_set: extended       # tabular features (pgxdl.iwpc.features.FEATURE_SETS)
    genotypes_in_tabular: false # also store VKORC1/CYP2C9 genotypes as categorical features
    target: sqrt_dose           # stored as sqrt(mg/week), reported in mg/week; or dose
    split: {val_fraction: 0.15, test_fraction: 0.15, kfold: 5, group_by: site}
    protocol_seeds: [0, 1, 2]   # stores cv_s<seed>_<i> and site_out_s<seed>_<i> splits
    seed: 0

Patients follow :mod:`pgxdl.iwpc.policy`: the selection report (every excluded row
counted by reason) and the VKORC1 imputation counts go into the store's provenance.
Genotypes become an unphased call set through the genome layer's genotype-table reader:
the VKORC1 columns on the gene (minus) strand as IWPC reports them, CYP2C9 as star
diplotypes of the allele table; a diplotype with an allele outside the windows (``*6``)
leaves that allele's variant unwritten (counted in provenance).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pgxdl.data.cohort import Cohort, Observations, SequenceBlock
from pgxdl.data.spec import TaskSpec
from pgxdl.data.splits import standard_splits
from pgxdl.data.tabular import FeatureSpec, TabularBlock, TabularSchema
from pgxdl.genome.personal.builder import PersonalWindowBuilder
from pgxdl.genome.reference.fasta import ReferenceGenome
from pgxdl.genome.reference.windows import load_windows
from pgxdl.genome.variants.genotype_table import callset_from_genotype_table
from pgxdl.iwpc.columns import RACES
from pgxdl.iwpc.dose_metrics import DOSE_BAND_NAMES, dose_band
from pgxdl.iwpc.features import (
    FEATURE_SETS,
    GENOTYPE_FEATURES,
    FeatureSet,
    derive_features,
)
from pgxdl.iwpc.folds import PROTOCOLS, protocol_parts, split_name
from pgxdl.iwpc.policy import SCOREABLE, select_patients
from pgxdl.iwpc.table import read_iwpc_table
from pgxdl.paths import shared_data_file

#: Table field -> rsID of the VKORC1 SNPs IWPC reports (gene-strand alleles).
VKORC1_FIELDS = {"vkorc1_rs9923231": "rs9923231", "vkorc1_rs2884737": "rs2884737",
                 "vkorc1_rs9934438": "rs9934438", "vkorc1_rs8050894": "rs8050894",
                 "vkorc1_rs7294": "rs7294", "vkorc1_rs2359612": "rs2359612"}
#: Target name -> transform of the stored values (the units reported are mg/week for both:
#: evaluation and prediction square ``sqrt_dose`` back, see :mod:`pgxdl.tasks.transforms`).
TARGETS = {"sqrt_dose": "sqrt", "dose": "identity"}
_UNITS = {"age_decade": "decades", "height_cm": "cm", "weight_kg": "kg"}
_CATEGORIES = {"race": RACES, "gender": ("male", "female"),
               "vkorc1": ("G/G", "A/G", "A/A"),
               "cyp2c9": ("*1/*1", "*1/*2", "*1/*3", "*2/*2", "*2/*3", "*3/*3", "other")}


def genotype_frame(frame: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    """Genotype columns for the genome layer: VKORC1 SNPs (rs9923231 imputed) and CYP2C9.

    Returns ``(S, 7)`` strings, ``""`` where missing, indexed by ``subject_id``.
    """
    genotypes = pd.DataFrame({rsid: frame[field] for field, rsid in VKORC1_FIELDS.items()})
    genotypes["rs9923231"] = features["vkorc1"].replace("unknown", "")
    genotypes["CYP2C9"] = frame["cyp2c9"]
    genotypes.index = frame["subject_id"].astype(str)
    return genotypes.astype(object).fillna("")


def tabular_block(features: pd.DataFrame, feature_set: FeatureSet,
                  genotypes_in_tabular: bool) -> TabularBlock:
    """Encode the feature set with the project's schema; genotypes only if asked for."""
    categorical = [name for name in feature_set.categorical
                   if genotypes_in_tabular or name not in GENOTYPE_FEATURES]
    specs, table = [], {}
    for name in feature_set.numeric:
        values = features[name]
        binary = set(values.dropna().unique()) <= {0.0, 1.0} and name not in _UNITS
        specs.append(FeatureSpec(name, "binary" if binary else "numeric",
                                 units=_UNITS.get(name, "")))
        table[name] = values.astype("Int64") if binary else values
    for name in categorical:
        values = features[name].astype(object)
        specs.append(FeatureSpec(name, "categorical", categories=_CATEGORIES[name]))
        table[name] = values.where(values != "unknown", None)
    return TabularSchema(specs).encode(pd.DataFrame(table), source="IWPC features")


def protocol_splits(n: int, sites: np.ndarray, seeds: Sequence[int], k: int
                    ) -> dict[str, np.ndarray]:
    """Every fold of both benchmark protocols for each seed, named by :func:`split_name`."""
    return {split_name(protocol, seed, fold): parts
            for protocol in PROTOCOLS for seed in seeds
            for fold, parts in enumerate(protocol_parts(protocol, n, seed, k, sites))}


def build(config: dict) -> Cohort:
    """Build the IWPC :class:`Cohort` described by ``config`` (see the module doc).

    Raises
    ------
    ValueError
        For an unknown target or feature set, or a config without ``windows``.
    """
    target = config.get("target", "sqrt_dose")
    if target not in TARGETS:
        raise ValueError(f"iwpc target {target!r} is not one of {sorted(TARGETS)}")
    feature_set = config.get("feature_set", "extended")
    if feature_set not in FEATURE_SETS:
        raise ValueError(f"iwpc feature_set {feature_set!r} is not one of {sorted(FEATURE_SETS)}")
    if "windows" not in config:
        raise ValueError("iwpc config lacks 'windows' (equal-length VKORC1/CYP2C9 windows)")
    table_path = config.get("table") or shared_data_file("iwpc", "iwpc.csv")
    reference_path = config.get("reference") or shared_data_file("reference",
                                                                 "GRCh38_pgx_regions.fa")
    table = read_iwpc_table(table_path)
    kept, report = select_patients(table.frame, config.get("require") or SCOREABLE)
    frame = table.frame[kept].reset_index(drop=True)
    features = derive_features(frame, bool(config.get("impute_vkorc1", True)))

    callset = callset_from_genotype_table(
        genotype_frame(frame, features),
        {**{rsid: {"rsid": rsid, "strand": "gene"} for rsid in VKORC1_FIELDS.values()},
         "CYP2C9": {"gene": "CYP2C9"}}, source=str(table_path))
    windows = load_windows(config["windows"])
    reference = ReferenceGenome(reference_path, build=config.get("reference_build", "GRCh38"))
    personal = PersonalWindowBuilder(
        reference, windows, phased=False,
        missing_policy=config.get("missing_genotype", "N")).stream(callset)
    outside = ~callset.in_windows(windows)
    carriers_outside = int((callset.genotypes[:, outside] == 1).any(axis=(1, 2)).sum())

    dose = frame["dose_mg_week"].to_numpy(dtype=np.float32)
    values = np.sqrt(dose) if target == "sqrt_dose" else dose
    sites = frame["site"].astype(str).to_numpy()
    groups = {"site": sites, "race": frame["race"].astype(str).to_numpy(),
              "dose_band": np.asarray(DOSE_BAND_NAMES)[dose_band(dose)]}
    split = {"kfold": 5, "group_by": "site", **config.get("split", {})}
    splits = standard_splits(values, groups, split, config.get("seed", 0))
    splits.update(protocol_splits(len(frame), sites, config.get("protocol_seeds", [0]),
                                  split["kfold"]))
    return Cohort(
        subject_ids=frame["subject_id"].astype(str).tolist(),
        sequence=SequenceBlock.from_personal(windows, personal),
        tabular=tabular_block(features, FEATURE_SETS[feature_set],
                              bool(config.get("genotypes_in_tabular", False))),
        observations=Observations.one_drug(
            values, [TaskSpec(target, "regression", "mg/week", transform=TARGETS[target])],
            "warfarin"),
        groups=groups,
        splits=splits,
        provenance={
            "builder": "iwpc", "config": config,
            "inputs": [str(table_path), str(reference_path)],
            "reference_name": str(reference_path),
            "reference_build": config.get("reference_build", "GRCh38"),
            "selection": report.to_dict(),
            "vkorc1_source": features["vkorc1_source"].value_counts().to_dict(),
            "variants_outside_windows": callset.ids[outside].tolist(),
            "subjects_carrying_variants_outside_windows": carriers_outside,
            "missing_calls": personal.report.n_missing_calls,
        },
    )
