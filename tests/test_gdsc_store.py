"""GDSC files -> cohort store: policy counts, chemistry, splits, observation-level parts."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from gdsc_fixtures import EFFECTS, UNRECORDED_DRUG, write_gdsc_files
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

from pgxdl.builders.gdsc import build
from pgxdl.data.datamodule import CohortDataModule
from pgxdl.data.store import CohortStore
from pgxdl.data.store_writer import write_store
from pgxdl.gdsc.table import GDSCFormatError, read_features, read_gdsc, read_responses


@pytest.fixture(scope="module")
def gdsc_dir(tmp_path_factory):
    return write_gdsc_files(tmp_path_factory.mktemp("gdsc"))


@pytest.fixture(scope="module")
def store(gdsc_dir, tmp_path_factory):
    config = {"data_dir": str(gdsc_dir), "split": {"tissue_min_cells": 20}}
    return write_store(tmp_path_factory.mktemp("store") / "gdsc.h5", build(config),
                       salt="s", progress=False)


def test_long_responses_hold_every_measured_value_once(gdsc_dir):
    tables = read_gdsc(gdsc_dir)
    wide = tables.responses.pivot(index="COSMIC_ID", columns="drug_id", values="ln_ic50")
    import pandas as pd
    raw = pd.read_csv(gdsc_dir / "ic50_v17.csv.gz").set_index("COSMIC_ID")
    assert len(tables.responses) == int(raw.notna().sum().sum())
    value = raw.loc[900003, "Drug_1010_IC50"]
    if np.isfinite(value):
        assert wide.loc[900003, 1010] == pytest.approx(value)


def test_policy_drops_and_counts_drugs_without_smiles_or_record(store, gdsc_dir):
    with CohortStore(store) as cohort:
        report = cohort.attrs["provenance"]["drug_policy"]
        names = cohort.drug_names
        obs = cohort.observations()
    assert report["drugs_without_smiles"]["names"] == ["Bleomycin"]
    assert report["drugs_without_record"]["drug_ids"] == [UNRECORDED_DRUG]
    tables = read_gdsc(gdsc_dir)
    kept = tables.responses["drug_id"].isin([1010, 1, 1036, 1047, 5, 6, 7, 1371])
    assert report["pairs_kept"] == int(kept.sum()) == len(obs["values"])
    assert report["pairs_kept"] + report["drugs_without_smiles"]["pairs"] + \
        report["drugs_without_record"]["pairs"] == len(tables.responses)
    assert "PLX-4720 (1036)" in names and "PLX-4720 (1371)" in names


def test_drug_table_holds_rdkit_fingerprints_and_descriptors(store):
    with CohortStore(store) as cohort:
        table = cohort.drug_table()
        spec = cohort.spec("mixed")
    gefitinib = list(table["drug_id"]).index(1010)
    mol = Chem.MolFromSmiles(table["smiles"][gefitinib])
    reference = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    bits = np.zeros(2048)
    DataStructs.ConvertToNumpyArray(reference.GetFingerprint(mol), bits)
    np.testing.assert_array_equal(table["features"][gefitinib], bits)
    assert table["descriptors"][gefitinib][0] == pytest.approx(446.9, abs=0.1)  # mol weight
    assert spec.extra["drug_inputs"]["features"]["on"][gefitinib] == np.flatnonzero(bits).tolist()
    assert table["targets"][gefitinib] == "EGFR"


def test_splits_keep_cells_drugs_and_tissues_apart(store):
    with CohortStore(store) as cohort:
        obs = cohort.observations()
        cells, drugs = obs["subject_index"], obs["drug_index"]
        tissue = cohort.groups("tissue")
        smiles = np.asarray(cohort.drug_table()["smiles"])
        parts = {name: cohort.observation_parts(name) for name in
                 cohort.split_names + cohort.observation_split_names}
    assert {"mixed", "cell_blind", "drug_blind", "tissue_out_skin"} <= set(parts)
    for name, key in (("cell_blind", cells), ("drug_blind", smiles[drugs]),
                      ("tissue_out_skin", tissue[cells])):
        test, train = set(key[parts[name] == 2]), set(key[parts[name] == 0])
        assert test and not test & train, name
    assert set(tissue[cells[parts["tissue_out_skin"] == 2]]) == {"skin"}
    mixed = parts["mixed"]
    assert set(cells[mixed == 2]) <= set(cells[mixed == 0])  # pairs new, cells seen
    assert 0.05 < np.mean(mixed == 2) < 0.2


def test_datamodule_serves_observation_split_rows(store):
    data = CohortDataModule(str(store), split="drug_blind", batch_size=16, with_sequence=False)
    with CohortStore(store) as cohort:
        parts = cohort.observation_parts("drug_blind")
        mean, _ = cohort.normalisation("drug_blind")
        obs = cohort.observations()
        numeric = cohort.h5["tabular/numeric"][:]
    np.testing.assert_array_equal(data.rows["test"], np.flatnonzero(parts == 2))
    train_cells = np.unique(obs["subject_index"][parts == 0])
    np.testing.assert_allclose(mean, numeric[train_cells].mean(0), rtol=1e-5, atol=1e-6)
    stats = data.spec.extra["target_normalisation"]["ln_ic50"]
    assert stats["mean"] == pytest.approx(obs["values"][parts == 0, 0].mean(), rel=1e-5)


def test_cell_features_and_tissue_are_stored(store, gdsc_dir):
    features = read_features(gdsc_dir / "genomic_features_v17.csv.gz")
    with CohortStore(store) as cohort:
        spec = cohort.spec("cell_blind")
        numeric = cohort.h5["tabular/numeric"][:]
    egfr = spec.numeric_features.index("EGFR_mut")
    assert numeric[:, egfr].sum() == features["EGFR_mut"].sum()
    assert spec.numeric_features[-1] == "msi" and spec.categorical_features == ("tissue",)
    assert set(EFFECTS.values()) and spec.n_drugs == 8


def test_bad_files_name_the_line_and_column(tmp_path, gdsc_dir):
    path = tmp_path / "features.csv"
    text = gzip.open(gdsc_dir / "genomic_features_v17.csv.gz", "rt").read().splitlines()
    cells = text[2].split(",")
    cells[5] = "2"
    text[2] = ",".join(cells)
    path.write_text("\n".join(text))
    column = text[0].split(",")[5]
    with pytest.raises(GDSCFormatError, match=f"line 3, column '{column}'.*not 0 or 1"):
        read_features(path)
    ic50 = tmp_path / "ic50.csv"
    ic50.write_text("COSMIC_ID,Drug_1_IC50,Drug_x\n1,0.5,1\n")
    with pytest.raises(GDSCFormatError, match="'Drug_x' is not Drug_<id>_IC50"):
        read_responses(ic50)
    ic50.write_text("COSMIC_ID,Drug_1_IC50\n1,0.5\n1,0.7\n")
    with pytest.raises(GDSCFormatError, match="COSMIC_ID 1 repeated on lines 2 and 3"):
        read_responses(ic50)
    ic50.write_text("COSMIC_ID,Drug_1_IC50\n1,abc\n")
    with pytest.raises(GDSCFormatError, match="line 2, column 'Drug_1_IC50'"):
        read_responses(ic50)


def test_drug_blind_split_has_validation_drugs_even_when_few():
    from pgxdl.gdsc.splits import drug_blind_split
    compounds = np.array(["a", "b", "c", "c", "d", "e", "f", "g"])
    pair_drug = np.repeat(np.arange(8), 5)
    parts = drug_blind_split(pair_drug, compounds, 0.1, 0.1, seed=0)
    per_drug = parts.reshape(8, 5)
    assert (per_drug == per_drug[:, :1]).all()  # a drug's pairs stay together
    assert {0, 1, 2} == set(parts)
    assert per_drug[2, 0] == per_drug[3, 0]  # one compound, one side
