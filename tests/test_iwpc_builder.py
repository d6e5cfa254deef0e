"""The IWPC builder: genotypes land as the right bases of the windows; splits match protocols.

The reference is made up (:func:`iwpc_fixtures.write_fake_reference`): no real data needed.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from iwpc_fixtures import patient, synthetic_rows, write_fake_reference, write_iwpc_csv

from pgxdl.builders.iwpc import build
from pgxdl.data.store import CohortStore
from pgxdl.data.store_writer import write_store
from pgxdl.genome.encoding import CODE_LETTERS
from pgxdl.genome.variants.alleles import default_allele_table
from pgxdl.iwpc.folds import protocol_folds, split_name
from pgxdl.paths import REPO_ROOT
from pgxdl.tasks import task_kind

CONFIG = yaml.safe_load((REPO_ROOT / "configs" / "data" / "iwpc.yaml").read_text())
HAND_ROWS = [
    patient("H1", **{"VKORC1 -1639 consensus": "A/A", "CYP2C9 consensus": "*1/*3"}),
    patient("H2", **{"VKORC1 -1639 consensus": "A/G", "CYP2C9 consensus": "*2/*2"}),
    patient("H3", **{"VKORC1 -1639 consensus": "", "VKORC1 2255 consensus": "T/T"}),
    patient("H4", **{"VKORC1 -1639 consensus": "", "CYP2C9 consensus": ""}),
]
# + strand letter at rs9923231 (C ref, T alt; IWPC reports the gene strand G/A) and at
# CYP2C9 *3 rs1057910 (A ref, C alt) and *2 rs1799853 (C ref, T alt); Y = C/T, M = A/C.
EXPECTED = {"H1": ("T", "M", "C"), "H2": ("Y", "A", "T"), "H3": ("T", "A", "C"),
            "H4": ("N", "N", "N")}


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    folder = tmp_path_factory.mktemp("iwpc_build")
    rows = synthetic_rows(60, seed=4, n_sites=3) + HAND_ROWS
    config = {**CONFIG, "table": str(write_iwpc_csv(folder / "iwpc.csv", rows)),
              "reference": str(write_fake_reference(folder / "fake_GRCh38.fa")),
              "protocol_seeds": [0, 1]}
    return build(config), folder


def _letter(cohort, subject: int, rsid: str) -> str:
    variant = default_allele_table().variants[rsid]
    codes = np.asarray(cohort.sequence.codes)
    for w, window in enumerate(cohort.sequence.windows):
        if window.chrom == variant.chrom and window.start <= variant.pos <= window.end:
            code = codes[subject, w, 0, variant.pos - window.start]
            return CODE_LETTERS[code]
    raise AssertionError(f"{rsid} is in no window")


def test_genotypes_become_the_right_bases(cohort):
    cohort, _ = cohort
    for subject, expected in EXPECTED.items():
        index = cohort.subject_ids.index(subject)
        found = tuple(_letter(cohort, index, rsid)
                      for rsid in ("rs9923231", "rs1057910", "rs1799853"))
        assert found == expected, subject
    carried = cohort.sequence.flat_variants
    h1 = carried["subject_index"] == cohort.subject_ids.index("H1")
    assert sorted(carried["ids"][h1]) == ["rs1057910", "rs9923231"]
    assert cohort.provenance["vkorc1_source"]["imputed_rs2359612"] >= 1


def test_tabular_target_and_groups(cohort):
    cohort, _ = cohort
    names = [f.name for f in cohort.tabular.schema.features]
    assert "vkorc1" not in names and "cyp2c9" not in names and "weight_kg" in names
    dose = np.array([35.0] * 4)  # the hand rows' dose
    last = np.array([cohort.subject_ids.index(s) for s in EXPECTED])
    np.testing.assert_allclose(cohort.observations.values[last, 0], np.sqrt(dose), rtol=1e-6)
    assert cohort.observations.tasks[0].name == "sqrt_dose"
    assert set(cohort.groups) == {"site", "race", "dose_band"}
    selection = cohort.provenance["selection"]
    assert selection["n_kept"] == cohort.n_subjects
    assert selection["n_kept"] + sum(selection["excluded"].values()) == 64


def test_stored_protocol_splits_match_the_baseline_folds(cohort):
    cohort, _ = cohort
    sites = cohort.groups["site"]
    for protocol in ("cv", "leave_site_out"):
        for fold in protocol_folds(protocol, cohort.n_subjects, [0, 1], sites=sites):
            parts = cohort.splits[split_name(protocol, fold.seed, fold.fold)]
            np.testing.assert_array_equal(np.flatnonzero(parts == 2), fold.test)


def test_store_round_trip_and_bad_config(cohort):
    cohort, folder = cohort
    path = write_store(folder / "iwpc.h5", cohort, salt="test", progress=False)
    with CohortStore(path) as store:
        spec = store.spec("cv_s0_0", "dosage")
    assert spec.window_length == 32 and spec.n_windows == 11
    assert [t.name for t in spec.tasks] == ["sqrt_dose"]
    # stored as sqrt(mg/week), reported in mg/week: the transform travels in the spec
    task = spec.tasks[0]
    assert (task.units, task.transform) == ("mg/week", "sqrt")
    with CohortStore(path) as store:
        stored = store.observations()["values"][:, 0]
    np.testing.assert_allclose(task_kind(task).reported_target(stored), stored ** 2)
    with pytest.raises(ValueError, match="target 'log_dose'"):
        build({**CONFIG, "target": "log_dose"})
