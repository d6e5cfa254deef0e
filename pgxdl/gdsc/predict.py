"""Predict ln IC50 of new cell lines for every drug a GDSC checkpoint knows.

The checkpoint carries what is needed (its :class:`~pgxdl.data.spec.DataSpec`: feature
names, tissue vocabulary, normalisation, the drug table with GDSC drug ids), so no store
is read. The input is a GDSC-format genomic-features CSV (``COSMIC_ID``,
``TISSUE_FACTOR``, ``MSI_FACTOR``, the binary calls). A call the model was trained on and
the file lacks is an error naming the columns; extra columns are ignored; a tissue the
model never saw is encoded as unknown (the tissue embedding's code 0).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from pgxdl.data.tabular import FeatureSpec, TabularSchema
from pgxdl.gdsc.table import CELL_ID, MSI, TISSUE, GDSCFormatError, read_features
from pgxdl.training import DrugResponseModule

#: Spec feature name -> GDSC column, where they differ (builders.gdsc names them).
COLUMN_OF = {"msi": MSI, "tissue": TISSUE}


def checkpoint_schema(module: DrugResponseModule) -> TabularSchema:
    """The cell-feature schema of a GDSC checkpoint, read from its spec."""
    spec = module.spec
    specs = [FeatureSpec(name, "binary", column=COLUMN_OF.get(name))
             for name in spec.numeric_features]
    vocab = spec.extra.get("vocabularies", {})
    specs += [FeatureSpec(name, "categorical", column=COLUMN_OF.get(name),
                          categories=tuple(vocab[name]), unknown="missing")
              for name in spec.categorical_features]
    return TabularSchema(specs)


def predict_cell_lines(checkpoint: str | Path, features_csv: str | Path,
                       batch_size: int = 4096) -> pd.DataFrame:
    """``(COSMIC_ID, drug_id, drug_name, predicted_ln_ic50)`` for every cell line of
    ``features_csv`` x every drug of the checkpoint, cell lines in file order.

    Raises
    ------
    FileNotFoundError : a missing checkpoint or CSV.
    GDSCFormatError : the CSV lacks calls the model uses, or holds non-binary calls.
    """
    if not Path(checkpoint).is_file():
        raise FileNotFoundError(f"{checkpoint}: checkpoint not found")
    module = DrugResponseModule.load_from_checkpoint(checkpoint, weights_only=False,
                                                     map_location="cpu")
    module.eval()
    spec = module.spec
    drugs = spec.extra.get("drug_inputs", {})
    if "drug_id" not in drugs:
        raise ValueError(f"{checkpoint}: not a GDSC checkpoint (its spec has no drug ids)")
    frame = read_features(features_csv)
    schema = checkpoint_schema(module)
    missing = [f.source for f in schema.features if f.source not in frame.columns]
    if missing:
        raise GDSCFormatError(f"{features_csv}: {len(missing)} column(s) the model uses are "
                              f"missing: {missing[:5]}{' ...' if len(missing) > 5 else ''}; "
                              "give the GDSC genomic-features columns of the training data")
    block = schema.encode(frame, source=str(features_csv))
    norm = spec.extra["normalisation"]
    numeric = (block.numeric - np.asarray(norm["mean"])) / np.asarray(norm["std"])
    n_cells, n_drugs = len(frame), spec.n_drugs
    cell = np.repeat(np.arange(n_cells), n_drugs)
    drug = np.tile(np.arange(n_drugs), n_cells)
    predictions, column = [], module.kinds[0].column("pred")
    with torch.no_grad():
        for start in range(0, len(cell), batch_size):
            c, d = cell[start:start + batch_size], drug[start:start + batch_size]
            batch = {"sequence": torch.zeros((len(c), 0, 4, 0)),
                     "numeric": torch.from_numpy(numeric[c].astype(np.float32)),
                     "numeric_missing": torch.zeros((len(c), spec.n_numeric)),
                     "categorical": torch.from_numpy(block.categorical[c].astype(np.int64)),
                     "drug": torch.from_numpy(d), "index": torch.from_numpy(c)}
            predictions.append(module.predict_step(batch, 0)[column].numpy())
    return pd.DataFrame({CELL_ID: frame[CELL_ID].to_numpy()[cell],
                         "drug_id": np.asarray(drugs["drug_id"])[drug],
                         "drug_name": np.asarray(spec.extra["drugs"])[drug],
                         "predicted_ln_ic50": np.concatenate(predictions)})
