"""GDSC cell lines x drugs -> cohort store: genomic features, drug chemistry, ln IC50 pairs.

Config (YAML, see ``configs/data/gdsc.yaml``)::

    builder: gdsc
    data_dir: null           # default $PGXDL_DATA/gdsc
    missing_smiles: drop     # drug policy (pgxdl.gdsc.policy)
    fingerprint: {radius: 2, bits: 2048}
    split: {val_fraction: 0.1, test_fraction: 0.1, tissue_min_cells: 20}
    seed: 0

Subjects are cell lines (COSMIC ids, stored only as salted hashes); their binary genomic
features and MSI status are numeric (binary) tabular features and the tissue a
categorical one and the group key ``tissue``. Drugs carry RDKit canonical SMILES, Morgan
fingerprints (``/drugs/features``), descriptors, targets and pathway. One observation per
measured pair; the splits of :mod:`pgxdl.gdsc.splits`. The policy report (every dropped
drug and pair, counted) goes into the store's provenance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pgxdl.data.cohort import Cohort, Observations
from pgxdl.data.spec import TaskSpec
from pgxdl.data.tabular import FeatureSpec, TabularBlock, TabularSchema
from pgxdl.gdsc import chemistry
from pgxdl.gdsc.policy import select
from pgxdl.gdsc.splits import gdsc_splits
from pgxdl.gdsc.table import CELL_ID, MSI, TISSUE, TISSUE_GROUP, genomic_columns, read_gdsc

TASK = TaskSpec("ln_ic50", "regression", "ln(uM)")
TISSUE_FEATURE = "tissue"
MSI_FEATURE = "msi"


def cell_schema(features: pd.DataFrame, tissues: list[str]) -> TabularSchema:
    """Binary genomic features and MSI (numeric block), tissue (categorical)."""
    specs = [FeatureSpec(name, "binary") for name in genomic_columns(features)]
    specs.append(FeatureSpec(MSI_FEATURE, "binary", column=MSI))
    specs.append(FeatureSpec(TISSUE_FEATURE, "categorical", column=TISSUE,
                             categories=tuple(tissues), unknown="missing"))
    return TabularSchema(specs)


def cell_block(features: pd.DataFrame, schema: TabularSchema, source: str) -> TabularBlock:
    """Encode a genomic-features frame with ``schema`` (a checkpoint's, for new cell lines)."""
    return schema.encode(features, source=source)


def build(config: dict) -> Cohort:
    """Build the GDSC :class:`Cohort` described by ``config`` (see the module doc)."""
    tables = read_gdsc(config.get("data_dir"))
    drugs, pairs, report = select(tables, config.get("missing_smiles", "drop"))
    mols = chemistry.molecules(drugs["smiles"], drugs["label"])
    fp = {"radius": 2, "bits": 2048, **config.get("fingerprint", {})}
    canonical = chemistry.canonical_smiles(mols)

    cells = tables.features[tables.features[CELL_ID].isin(pairs[CELL_ID])]
    cells = cells.sort_values(CELL_ID).reset_index(drop=True)
    tissues = cells[TISSUE].to_numpy(dtype=str)
    schema = cell_schema(cells, sorted(set(tissues)))
    subject_of = pd.Series(np.arange(len(cells)), index=cells[CELL_ID])
    drug_of = pd.Series(np.arange(len(drugs)), index=drugs["drug_id"])
    pairs = pairs.sort_values([CELL_ID, "drug_id"]).reset_index(drop=True)
    pair_cell = subject_of[pairs[CELL_ID]].to_numpy()
    pair_drug = drug_of[pairs["drug_id"]].to_numpy()

    seed = int(config.get("seed", 0))
    subject_splits, pair_splits = gdsc_splits(tissues, pair_drug, np.asarray(canonical),
                                              config.get("split", {}), seed)
    observations = Observations(
        subject_index=pair_cell, drug_index=pair_drug,
        values=pairs["ln_ic50"].to_numpy(np.float32)[:, None], tasks=[TASK],
        drug_names=drugs["label"].tolist(), drug_smiles=canonical,
        drug_features=chemistry.morgan_fingerprints(mols, fp["radius"], fp["bits"]),
        splits=pair_splits,
        drug_columns={"drug_id": drugs["drug_id"].to_numpy(np.int64),
                      "targets": drugs["targets"].to_numpy(str),
                      "pathway": drugs["pathway"].to_numpy(str),
                      "descriptors": chemistry.descriptors(mols)})
    return Cohort(
        subject_ids=cells[CELL_ID].astype(str).tolist(), sequence=None,
        tabular=cell_block(cells, schema, tables.paths["genomic_features_v17.csv.gz"]),
        observations=observations, groups={TISSUE_GROUP: tissues}, splits=subject_splits,
        provenance={"builder": "gdsc", "config": config, "inputs": list(tables.paths.values()),
                    "drug_policy": report, "fingerprint": fp,
                    "descriptor_names": list(chemistry.DESCRIPTORS)})
