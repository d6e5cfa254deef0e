"""Genotype dosage matrix and per-subject targets read from cohort stores."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from explore_fixtures import carried_table
from store_fixtures import tiny_cohort

from pgxdl.data.cohort import Observations
from pgxdl.data.spec import TaskSpec
from pgxdl.data.store import CohortStore, StoreError
from pgxdl.data.store_writer import write_store
from pgxdl.explore.features import FeatureMatrix, subject_targets
from pgxdl.explore.genotypes import dosage_matrix
from pgxdl.genome.encoding import N_CODE
from pgxdl.genome.reference.windows import WindowSpec


def _store(tmp_path, cohort, name="c.h5"):
    return CohortStore(write_store(tmp_path / name, cohort, salt="s", progress=False))


def test_tiny_store_dosages_match_hand_computed(tmp_path):
    # tiny_cohort: subject i carries one heterozygous variant, rs<i>, at window 0 offset i % 16
    with _store(tmp_path, tiny_cohort(n=40)) as store:
        matrix = dosage_matrix(store, min_maf=0.0)
    expected = np.zeros((40, 16))
    expected[np.arange(40), np.arange(40) % 16] = 1
    np.testing.assert_array_equal(matrix.values, expected)
    assert matrix.names.tolist() == [f"chr1:{p}:A:G" for p in range(1, 17)]
    np.testing.assert_array_equal(matrix.subject_index, np.arange(40))


def _hand_cohort():
    """Six subjects, one site with two alt alleles; window w1b overlaps w1 (left empty)."""
    cohort = tiny_cohort(n=6, n_windows=3)
    windows = [WindowSpec("w0", "G0", "chr2", 101, 116, "+"),
               WindowSpec("w1", "G1", "chr1", 501, 516, "+"),
               WindowSpec("w1b", "G1", "chr1", 505, 520, "+")]
    # genotypes (S=6, V=4, 2): V0 chr2:103 C>T, V1 chr2:103 C>G, V2 chr1:510 A>G, V3 chr1:511
    genotypes = np.zeros((6, 4, 2), np.int8)
    genotypes[0, 0] = [1, 1]  # hom-alt
    genotypes[1, 0] = [0, 1]
    genotypes[1, 1] = [1, 0]  # the other alt allele on the other haplotype
    genotypes[2, 2] = [1, 0]
    genotypes[3, 2] = [1, 1]
    genotypes[4, 3] = [0, 1]  # one allele out of 12: MAF 1/12; subject 5 carries nothing
    variants = carried_table(genotypes, np.array([0, 0, 1, 1]), np.array([2, 2, 9, 10]),
                             windows, np.array(["C", "C", "A", "T"]),
                             np.array(["T", "G", "G", "C"]))
    sequence = dataclasses.replace(cohort.sequence, windows=windows, variants=variants)
    return dataclasses.replace(cohort, sequence=sequence)


def test_dosages_keys_and_maf_filter_by_hand(tmp_path):
    with _store(tmp_path, _hand_cohort()) as store:
        everything = dosage_matrix(store, min_maf=0.0)
        common = dosage_matrix(store, min_maf=0.15)
        by_id = dosage_matrix(store, min_maf=0.0, key="id")
    assert everything.names.tolist() == ["chr1:510:A:G", "chr1:511:T:C", "chr2:103:C:G",
                                         "chr2:103:C:T"]
    np.testing.assert_array_equal(everything.values, [[0, 0, 0, 2], [0, 0, 1, 1],
                                                      [1, 0, 0, 0], [2, 0, 0, 0],
                                                      [0, 1, 0, 0], [0, 0, 0, 0]])
    # alt frequencies 3/12, 1/12, 1/12, 3/12: only the first and last pass MAF >= 0.15
    assert common.names.tolist() == ["chr1:510:A:G", "chr2:103:C:T"]
    assert by_id.names.tolist() == ["v2", "v3", "v1", "v0"]


def test_missing_calls_are_mean_imputed(tmp_path):
    cohort = _hand_cohort()
    codes = np.array(cohort.sequence.codes)
    codes[5, 1, 0, 9] = N_CODE  # subject 5 uncalled at chr1:510 (w1 offset 9)
    codes[3, 1, 0, 9] = N_CODE  # subject 3 carries it (hom-alt): the carried call wins
    sequence = dataclasses.replace(cohort.sequence, codes=codes)
    with _store(tmp_path, dataclasses.replace(cohort, sequence=sequence)) as store:
        matrix = dosage_matrix(store, min_maf=0.0)
    column = matrix.names.tolist().index("chr1:510:A:G")
    called = [0, 0, 1, 2, 0]  # subjects 0-4
    np.testing.assert_allclose(matrix.values[:, column], called + [np.mean(called)])
    assert matrix.values[:, matrix.names.tolist().index("chr2:103:C:T")].tolist() == \
        [2, 1, 0, 0, 0, 0]


def test_overlapping_windows_count_a_variant_once(tmp_path):
    cohort = _hand_cohort()
    table = cohort.sequence.variants
    in_w1 = table["window_index"] == 1
    copy = {k: np.concatenate([v, v[in_w1]]) for k, v in table.items()}
    copy["window_index"][len(in_w1):] = 2  # the same variants listed again by w1b
    copy["offset"][len(in_w1):] = copy["pos"][len(in_w1):] - 505
    order = np.argsort(copy["subject_index"], kind="stable")
    copy = {k: v[order] for k, v in copy.items()}
    with _store(tmp_path, dataclasses.replace(
            cohort, sequence=dataclasses.replace(cohort.sequence, variants=copy))) as store:
        matrix = dosage_matrix(store, min_maf=0.0)
    assert matrix.values.max() == 2 and matrix.values.shape == (6, 4)


def test_bad_allele_count_and_key_are_named(tmp_path):
    cohort = _hand_cohort()
    cohort.sequence.variants["allele_count"][0] = 3
    with _store(tmp_path, cohort) as store:
        with pytest.raises(StoreError, match="allele_count holds"):
            dosage_matrix(store)
        with pytest.raises(ValueError, match="key must be"):
            dosage_matrix(store, key="rsid")


def test_subject_targets_follow_the_requested_rows(tmp_path):
    cohort = tiny_cohort(n=12)
    with _store(tmp_path, cohort) as store:
        targets, tasks = subject_targets(store, np.array([5, 0, 11]))
    assert [t.name for t in tasks] == ["dose", "event"]
    np.testing.assert_array_equal(targets.to_numpy(),
                                  cohort.observations.values[[5, 0, 11]])  # row 5 has NaN


def test_multi_drug_store_needs_a_drug(tmp_path):
    cohort = tiny_cohort(n=6)
    values = np.arange(24, dtype=np.float32).reshape(12, 2)
    observations = Observations(np.tile(np.arange(6), 2), np.repeat([0, 1], 6), values,
                                [TaskSpec("dose", "regression"), TaskSpec("y", "regression")],
                                ["a", "b"])
    with _store(tmp_path, dataclasses.replace(cohort, observations=observations)) as store:
        with pytest.raises(ValueError, match="holds 2 drugs"):
            subject_targets(store, np.arange(6))
        with pytest.raises(ValueError, match="no drug 'c'"):
            subject_targets(store, np.arange(6), drug="c")
        targets, _ = subject_targets(store, np.array([2, 4]), drug="b")
    np.testing.assert_array_equal(targets.to_numpy(), values[[8, 10]])


def test_feature_matrix_checks_shapes_and_selects_rows():
    matrix = FeatureMatrix(np.arange(6.0).reshape(3, 2), np.array([4, 7, 9]),
                           np.array(["a", "b"]), "embedding")
    np.testing.assert_array_equal(matrix.rows_of(np.array([9, 4])).values, [[4, 5], [0, 1]])
    with pytest.raises(ValueError, match="lack subject index 5"):
        matrix.rows_of(np.array([5]))
    with pytest.raises(ValueError, match="do not match"):
        FeatureMatrix(np.zeros((3, 2)), np.arange(2), np.array(["a", "b"]), "genotype")
