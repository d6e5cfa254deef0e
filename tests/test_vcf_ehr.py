"""A user's own cohort (FASTA + VCF + EHR CSV) into a store, and its bad inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from genome_fixtures import WINDOWS, base, other_base, write_fasta, write_vcf

from pgxdl.builders.store_build import build_store
from pgxdl.data.store import CohortStore
from pgxdl.data.tabular import TabularValueError
from pgxdl.genome.encoding import CODE_LETTERS, decode, iupac_code
from pgxdl.genome.errors import SampleNotFoundError

SAMPLES = [f"P{i}" for i in range(6)]


def make_inputs(tmp_path, samples=SAMPLES):
    pos = 15
    ref = base("chr1", pos)
    alt = other_base(ref)
    gts = ["0/0", "0/1", "1/1", "0/1", "./.", "0/0"]
    vcf = write_vcf(tmp_path, [("chr1", pos, "rsX", ref, alt, gts)], SAMPLES)
    ehr = pd.DataFrame({"subject": samples, "age": [50, 60, 70, 40, 30, 65],
                        "weight_lb": [150, 170, 200, 130, 180, 160],
                        "site": ["a", "a", "b", "b", "c", "c"],
                        "dose": [30, 25, np.nan, 40, 35, 28],
                        "response": ["good", "poor", "good", "partial", None, "good"]})
    ehr_path = tmp_path / "ehr.csv"
    ehr.to_csv(ehr_path, index=False)
    windows = tmp_path / "windows.yaml"
    windows.write_text(yaml.safe_dump({"windows": [WINDOWS[0].to_dict()]}))
    config = {"builder": "vcf_ehr", "reference": str(write_fasta(tmp_path)),
              "windows": str(windows), "vcf": str(vcf), "ehr": str(ehr_path),
              "subject_column": "subject",
              "features": [{"name": "age", "kind": "numeric", "units": "years"},
                           {"name": "weight", "kind": "numeric", "column": "weight_lb",
                            "units": "kg", "source_units": "lb"},
                           {"name": "site", "kind": "categorical", "categories": ["a", "b", "c"]}],
              "tasks": [{"name": "dose", "kind": "regression", "units": "mg/week"},
                        {"name": "response", "kind": "multiclass",
                         "classes": ["poor", "partial", "good"]}],
              "groups": ["site"], "split": {"kfold": 3, "group_by": "site"}}
    return config, pos, ref, alt


def test_round_trip(tmp_path):
    config, pos, ref, alt = make_inputs(tmp_path)
    path = build_store(config, tmp_path / "mine.h5")
    with CohortStore(path) as store:
        offset = pos - WINDOWS[0].start
        letters = decode(store.h5["sequence/codes"][:, 0, 0, offset])
        het = CODE_LETTERS[iupac_code(ref, alt)]
        assert letters == "".join([ref, het, alt, het, ref, ref])  # ./. keeps the reference
        values = store.observations()["values"]
        assert np.isnan(values[2, 0]) and values[1, 1] == 0 and np.isnan(values[4, 1])
        weight = store.h5["tabular/numeric"][:, 1]
        np.testing.assert_allclose(weight, np.array([150, 170, 200, 130, 180, 160]) * 0.45359237,
                                   rtol=1e-6)
        assert {"site_out_0", "site_out_1", "site_out_2", "kfold_0"} <= set(store.split_names)
        assert len(store.attrs["provenance"]["input_sha256"]) == 3
        variants = store.variants()
        assert variants["subject_index"].tolist() == [1, 2, 3]
        assert variants["allele_count"].tolist() == [1, 2, 1]


def test_subject_absent_from_vcf(tmp_path):
    config, *_ = make_inputs(tmp_path, samples=SAMPLES[:5] + ["P99"])
    with pytest.raises(SampleNotFoundError, match="P99"):
        build_store(config, tmp_path / "mine.h5")
    assert not (tmp_path / "mine.h5").exists()


def test_bad_label_names_row_and_column(tmp_path):
    config, *_ = make_inputs(tmp_path)
    config["tasks"][1]["classes"] = ["poor", "good"]
    with pytest.raises(TabularValueError, match=r"row 4, column 'response': 'partial'"):
        build_store(config, tmp_path / "mine.h5")


def test_missing_config_keys(tmp_path):
    with pytest.raises(ValueError, match=r"lacks \[.*'reference'"):
        build_store({"builder": "vcf_ehr"}, tmp_path / "x.h5")
