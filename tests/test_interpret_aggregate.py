"""Aggregation: attributions land on the right person's variants, genes, features, groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from interpret_fixtures import write_variant_store

from pgxdl.data.datamodule import CohortDataModule
from pgxdl.data.store import CohortStore
from pgxdl.interpret.aggregate import (
    VariantTable,
    cohort_summary,
    feature_attributions,
    gene_attributions,
    variant_attributions,
    variant_label,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return write_variant_store(tmp_path_factory.mktemp("aggregate") / "store.h5")


def test_variant_label_prefers_ids_and_spells_out_the_rest():
    labels = variant_label(np.array(["rs9923231", ".", ""]), np.array(["chr16"] * 3),
                           np.array([31096368, 5, 6]), np.array(["C", "A", "G"]),
                           np.array(["T", "G", "C"]))
    assert labels.tolist() == ["rs9923231", "chr16:5:A:G", "chr16:6:G:C"]


def test_rows_of_matches_each_subjects_variants(store):
    with CohortStore(store) as cohort:
        table = VariantTable.from_store(cohort)
        subjects = np.array([4, 0, 4, 17])
        rows, position = table.rows_of(subjects)
        for i, subject in enumerate(subjects):
            mine = table.frame.iloc[rows[position == i]]
            stored = cohort.variants(subject)
            assert mine["offset"].tolist() == stored["offset"].tolist()
            assert (mine["subject_index"] == subject).all()


def test_variant_attributions_read_each_persons_own_positions(store):
    with CohortStore(store) as cohort:
        table = VariantTable.from_store(cohort)
        n_windows, length = cohort.h5["windows/reference"].shape
    subjects = np.array([3, 1, 8])
    observations = np.array([103, 101, 108])
    n, c = len(subjects), 4
    # value = person * 1e6 + window * 1e3 + position, the same on every channel
    maps = (np.arange(n)[:, None, None, None] * 1e6 + np.arange(n_windows)[None, :, None, None]
            * 1e3 + np.arange(length)[None, None, None, :]) * np.ones((n, n_windows, c, length))
    scores = variant_attributions(maps, subjects, observations, table)
    assert len(scores) == sum(len(table.rows_of(np.array([s]))[0]) for s in subjects)
    for _, row in scores.iterrows():
        person = int(np.flatnonzero(observations == row["observation"])[0])
        window = int(row["window"][1:])
        offset = row["pos"] - 1001
        assert row["attribution"] == pytest.approx(c * (person * 1e6 + window * 1e3 + offset))


def test_gene_and_feature_attributions_sum_the_right_parts(store):
    data = CohortDataModule(str(store))
    sequence = np.random.default_rng(0).normal(size=(3, 2, 4, 24))
    genes = gene_attributions(sequence, np.array([7, 8, 9]), ["GENE0", "GENE0"])
    assert genes["gene"].unique().tolist() == ["GENE0"]
    np.testing.assert_allclose(genes.set_index("observation")["attribution"].loc[[7, 8, 9]],
                               sequence.sum(axis=(1, 2, 3)))
    numeric, missing = np.ones((2, 3)), np.array([[0.5, 0, 0], [0, 0, 0]])
    categorical = np.array([[2.0], [3.0]])
    features = feature_attributions(numeric, missing, categorical, np.array([5, 6]), data.spec)
    by_name = features.set_index(["observation", "feature"])["attribution"]
    assert by_name[(5, "age")] == 1.5 and by_name[(6, "age")] == 1.0
    assert by_name[(6, "site")] == 3.0
    assert set(features["kind"]) == {"numeric", "categorical"}
    without = feature_attributions(numeric, missing, None, np.array([5, 6]), data.spec)
    assert "site" not in set(without["feature"])


def test_cohort_summary_against_a_direct_computation():
    scores = pd.DataFrame({"observation": [0, 1, 2, 0, 3],
                           "variant": ["a", "a", "a", "b", "b"],
                           "attribution": [1.0, -3.0, 2.0, 4.0, -4.0]})
    summary = cohort_summary(scores, ["variant"], n_observations=5).set_index("variant")
    assert summary.loc["a", "n"] == 3
    assert summary.loc["a", "mean"] == pytest.approx(0.0)
    assert summary.loc["a", "mean_abs"] == pytest.approx(2.0)
    assert summary.loc["a", "mean_abs_all"] == pytest.approx(6.0 / 5)
    assert summary.index.tolist() == ["b", "a"]  # ranked by mean |attribution|
    groups = pd.Series(["x", "x", "y", "y"], index=[0, 1, 2, 3])
    by_group = cohort_summary(scores, ["variant"], 4, groups=groups,
                              group_sizes=groups.value_counts()).set_index(["group", "variant"])
    assert by_group.loc[("x", "a"), "mean"] == pytest.approx(-1.0)
    assert by_group.loc[("x", "a"), "mean_abs_all"] == pytest.approx(4.0 / 2)
    assert by_group.loc[("y", "b"), "n"] == 1


def test_oriented_windows_read_reversed_positions(tmp_path):
    store = write_variant_store(tmp_path / "oriented.h5", oriented=True)
    with CohortStore(store) as cohort:
        table = VariantTable.from_store(cohort)
        length = cohort.h5["windows/reference"].shape[1]
    assert table.oriented.tolist() == [False, True]
    maps = np.zeros((1, 2, 4, length))
    maps[0, :, 0, :] = np.arange(length)  # value = index along the stored axis
    scores = variant_attributions(maps, np.array([0]), np.array([0]), table)
    for _, row in scores.iterrows():
        offset = row["pos"] - 1001
        stored = length - 1 - offset if row["window"] == "w1" else offset
        assert row["attribution"] == stored
