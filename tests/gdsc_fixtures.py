"""Synthetic GDSC release files with planted biology, for the GDSC tests.

``write_gdsc_files(folder)`` writes ``ic50_v17.csv.gz``, ``genomic_features_v17.csv.gz``
and ``drugs.csv`` in the GDSC layout: 90 cell lines of 3 tissues, 8 drugs with real
SMILES (plus one without SMILES and one measured drug without a record, which the policy
drops), 24 binary features. ln IC50 = drug level + cell level + planted effects + noise:
EGFR mutation sensitises to gefitinib and erlotinib (-3), BRAF to PLX-4720 (-3), TP53
makes Nutlin-3a resistant (+3). About 8% of pairs are unmeasured (blank).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pgxdl.builders.gdsc import build
from pgxdl.data.store_writer import write_store

DRUGS = [  # drug_id, name, targets, pathway, smiles
    (1010, "Gefitinib", "EGFR", "EGFR signaling",
     "COc1cc2ncnc(Nc3ccc(F)c(Cl)c3)c2cc1OCCCN1CCOCC1"),
    (1, "Erlotinib", "EGFR", "EGFR signaling", "COCCOc1cc2ncnc(Nc3cccc(C#C)c3)c2cc1OCCOC"),
    (1036, "PLX-4720", "BRAF", "ERK MAPK signaling",
     "CCCS(=O)(=O)Nc1ccc(F)c(C(=O)c2c[nH]c3ncc(Cl)cc23)c1F"),
    (1047, "Nutlin-3a (-)", "MDM2", "p53 pathway",
     "COc1ccc(C2=NC(c3ccc(Cl)cc3)C(c3ccc(Cl)cc3)N2C(=O)N2CCNC(=O)C2)c(OC(C)C)c1"),
    (5, "Aspirin", "COX", "Other", "CC(=O)Oc1ccccc1C(=O)O"),
    (6, "Nicotine", "nAChR", "Other", "CN1CCC[C@H]1c1cccnc1"),
    (7, "Caffeine", "PDE", "Other", "Cn1c(=O)c2c(ncn2C)n(C)c1=O"),
    (1371, "PLX-4720", "BRAF", "ERK MAPK signaling",
     "CCCS(=O)(=O)Nc1ccc(F)c(C(=O)c2c[nH]c3ncc(Cl)cc23)c1F"),
    (9, "Bleomycin", "dsDNA break", "DNA replication", ""),
]
UNRECORDED_DRUG = 1003
GENES = ["EGFR_mut", "BRAF_mut", "KRAS_mut", "NRAS_mut", "TP53_mut"] + [
    f"GENE{i}_mut" for i in range(17)] + ["gain_cnaPANCAN1_(MYC)", "loss_cnaPANCAN2_(CDKN2A)"]
TISSUES = ["lung_NSCLC", "skin", "breast"]
EFFECTS = {1010: ("EGFR_mut", -3.0), 1: ("EGFR_mut", -3.0), 1036: ("BRAF_mut", -3.0),
           1371: ("BRAF_mut", -3.0), 1047: ("TP53_mut", 3.0)}


def synthetic_features(n_cells: int = 90, seed: int = 0, first_id: int = 900000
                       ) -> pd.DataFrame:
    """A genomic-features frame in the GDSC layout."""
    rng = np.random.default_rng(seed)
    calls = (rng.random((n_cells, len(GENES))) < 0.15).astype(int)
    calls[:, 0] = rng.random(n_cells) < 0.3  # EGFR, BRAF, TP53 frequent enough to learn
    calls[:, 1] = rng.random(n_cells) < 0.3
    calls[:, 4] = rng.random(n_cells) < 0.4
    frame = pd.DataFrame(calls, columns=GENES)
    frame.insert(0, "MSI_FACTOR", (rng.random(n_cells) < 0.1).astype(int))
    frame.insert(0, "TISSUE_FACTOR", [TISSUES[i % len(TISSUES)] for i in range(n_cells)])
    frame.insert(0, "COSMIC_ID", np.arange(first_id, first_id + n_cells))
    return frame


def synthetic_ic50(features: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """The wide ln IC50 table of ``features``' cell lines (planted effects, see module)."""
    rng = np.random.default_rng(seed + 1)
    n = len(features)
    cell_level = rng.normal(0, 0.5, n)
    table = {"COSMIC_ID": features["COSMIC_ID"].to_numpy()}
    for drug_id, *_ in [*DRUGS, (UNRECORDED_DRUG,)]:
        values = rng.normal(0, 1) + cell_level + rng.normal(0, 0.3, n)
        if drug_id in EFFECTS:
            gene, effect = EFFECTS[drug_id]
            values = values + effect * features[gene].to_numpy()
        values[rng.random(n) < 0.08] = np.nan
        table[f"Drug_{drug_id}_IC50"] = values
    return pd.DataFrame(table)


def write_gdsc_files(folder: Path, n_cells: int = 90, seed: int = 0) -> Path:
    """Write the three GDSC files into ``folder``; returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    features = synthetic_features(n_cells, seed)
    features.to_csv(folder / "genomic_features_v17.csv.gz", index=False)
    synthetic_ic50(features, seed).to_csv(folder / "ic50_v17.csv.gz", index=False)
    drugs = pd.DataFrame(DRUGS, columns=["drug_id", "name", "targets", "pathway", "smiles"])
    drugs.insert(2, "synonyms", "")
    drugs.insert(5, "pubchem_cid", 0)
    drugs.to_csv(folder / "drugs.csv", index=False)
    return folder


def write_gdsc_store(folder: Path) -> Path:
    """The release files of :func:`write_gdsc_files` under ``folder/files`` and the store
    the GDSC builder makes of them, ``folder/gdsc.h5``."""
    files = write_gdsc_files(folder / "files")
    return write_store(folder / "gdsc.h5", build({"data_dir": str(files)}), salt="s",
                       progress=False)
