"""Which drugs and pairs enter the store, and the count of everything left out.

Policy (documented in ``docs/gdsc.md``):

- a drug measured in the IC50 file but absent from ``drugs.csv`` is dropped (no name,
  target or structure) with its pairs;
- a drug without a SMILES is dropped with its pairs (``missing_smiles: drop``, the only
  policy): every drug encoder reads structure, and a structure-less drug could not be
  scored drug-blind. The GDSC files have 27 such drugs;
- the same compound screened under two GDSC drug ids (e.g. Afatinib 1032 and 1377) stays
  as two drugs (separate screens), named ``name (id)``; they share a canonical SMILES and
  so the drug-blind split keeps them on one side (:mod:`pgxdl.gdsc.splits`);
- pairs of cell lines without genomic features are dropped.
"""

from __future__ import annotations

import pandas as pd

from pgxdl.gdsc.table import CELL_ID, GDSCTables

POLICIES = ("drop",)


def select(tables: GDSCTables, missing_smiles: str = "drop"
           ) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Drugs and pairs kept under the policy, and the report of what was left out.

    Returns
    -------
    drugs : kept rows of ``drugs.csv`` (sorted by ``drug_id``) with a ``label`` column.
    responses : kept pairs ``(COSMIC_ID, drug_id, ln_ic50)``.
    report : counts of drugs and pairs dropped, by reason.
    """
    if missing_smiles not in POLICIES:
        raise ValueError(f"missing_smiles {missing_smiles!r}: the policies are {POLICIES}")
    responses, drugs = tables.responses, tables.drugs
    measured = set(responses["drug_id"])
    unknown = sorted(measured - set(drugs["drug_id"]))
    no_smiles = drugs[drugs["smiles"].isna() & drugs["drug_id"].isin(measured)]
    kept = drugs[drugs["smiles"].notna() & drugs["drug_id"].isin(measured)]
    kept = kept.sort_values("drug_id").reset_index(drop=True)
    repeated = kept["name"].duplicated(keep=False)
    kept["label"] = kept["name"].where(~repeated, kept["name"] + " (" +
                                       kept["drug_id"].astype(str) + ")")
    with_cells = responses[CELL_ID].isin(tables.features[CELL_ID])
    keep_pairs = responses["drug_id"].isin(kept["drug_id"]) & with_cells
    report = {
        "drugs_measured": len(measured),
        "drugs_without_record": {"count": len(unknown), "drug_ids": unknown,
                                 "pairs": int(responses["drug_id"].isin(unknown).sum())},
        "drugs_without_smiles": {
            "count": len(no_smiles), "names": sorted(no_smiles["name"]),
            "pairs": int(responses["drug_id"].isin(no_smiles["drug_id"]).sum())},
        "pairs_without_cell_features": int((~with_cells).sum()),
        "drugs_kept": len(kept), "pairs_kept": int(keep_pairs.sum()),
        "drug_ids_screened_twice": int(repeated.sum()),
    }
    return kept, responses[keep_pairs].reset_index(drop=True), report
