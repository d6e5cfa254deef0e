"""The simulated cohort: stored truth agrees with stored genomes, EHR and outcomes."""

from __future__ import annotations

import numpy as np
import pytest

from pgxdl.builders.store_build import build_store, load_config
from pgxdl.data.store import CohortStore
from pgxdl.genome.encoding import CODE_LETTERS, iupac_code

SMALL = {"builder": "simulated", "n_subjects": 600, "n_windows": 3, "window_length": 200,
         "sites_per_window": 12, "seed": 7}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return build_store(SMALL, tmp_path_factory.mktemp("sim") / "sim.h5")


def causal_dosage(cohort: CohortStore) -> np.ndarray:
    """Alt-allele count of each causal variant per subject, read from the sequence codes."""
    truth = cohort.truth()
    codes = cohort.h5["sequence/codes"][:, :, 0, :]  # (S, W, L)
    dosage = np.zeros((cohort.n_subjects, len(truth["pos"])))
    for j, (w, o, ref, alt) in enumerate(zip(truth["window_index"], truth["offset"],
                                             truth["ref"], truth["alt"], strict=True)):
        letters = np.array(list(CODE_LETTERS))[codes[:, w, o]]
        dosage[:, j] = np.select([letters == ref, letters == CODE_LETTERS[iupac_code(ref, alt)],
                                  letters == alt], [0, 1, 2], default=-1)
    return dosage


def test_sequence_codes_match_carried_variants(store):
    with CohortStore(store) as cohort:
        reference = cohort.h5["windows/reference"][:]
        codes = cohort.h5["sequence/codes"][:, :, 0, :]
        variants = cohort.variants()
    changed = codes != reference[None]
    expected = np.zeros_like(changed)
    expected[variants["subject_index"], variants["window_index"], variants["offset"]] = True
    np.testing.assert_array_equal(changed, expected)


def test_outcome_is_the_stored_truth_plus_noise(store):
    """Regressing dose on causal dosages + covariates leaves about noise_sd of residual."""
    with CohortStore(store) as cohort:
        truth = cohort.truth()
        dosage = causal_dosage(cohort)
        numeric = cohort.h5["tabular/numeric"][:]
        dose = cohort.observations()["values"][:, 0]
        names = [f.name for f in cohort.schema.numeric_features]
    assert (dosage >= 0).all()
    amiodarone = numeric[:, names.index("amiodarone")]
    interaction = dosage[:, -1] * amiodarone
    covariates = np.nan_to_num(numeric[:, [names.index(n) for n in ("age", "weight", "sex")]],
                               nan=np.nanmean(numeric[:, names.index("weight")]))
    design = np.column_stack([np.ones(len(dose)), dosage[:, :-1], interaction, amiodarone,
                              covariates])
    coef, *_ = np.linalg.lstsq(design, dose, rcond=None)
    residual_sd = np.std(dose - design @ coef, ddof=design.shape[1])
    assert residual_sd == pytest.approx(truth["model"]["noise_sd"], rel=0.12)
    standard_error = residual_sd * np.sqrt(np.diag(np.linalg.inv(design.T @ design)))
    additive = slice(1, len(truth["effect"]))
    z = (coef[additive] - truth["effect"][:-1]) / standard_error[additive]
    assert np.abs(z).max() < 4, z
    assert truth["role"].tolist()[-1] == "gene_drug"


def test_weights_in_pounds_are_harmonised(store):
    with CohortStore(store) as cohort:
        names = [f.name for f in cohort.schema.numeric_features]
        weight = cohort.h5["tabular/numeric"][:, names.index("weight")]
        site = cohort.groups("site")
    lb_site, kg_site = weight[site == "site0"], weight[site == "site1"]
    assert abs(np.nanmean(lb_site) - np.nanmean(kg_site)) < 10


def test_same_seed_same_store_bytes_of_data(tmp_path):
    a = build_store(SMALL, tmp_path / "a.h5")
    b = build_store(SMALL, tmp_path / "b.h5")
    with CohortStore(a) as x, CohortStore(b) as y:
        np.testing.assert_array_equal(x.h5["sequence/codes"][:], y.h5["sequence/codes"][:])
        np.testing.assert_array_equal(x.observations()["values"], y.observations()["values"])
        assert x.truth()["pos"].tolist() == y.truth()["pos"].tolist()


def test_config_overrides_and_errors(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("builder: simulated\nn_subjects: 10\noutcome: {h_additive: 0.2}\n")
    loaded = load_config(config, ["n_subjects=50", "outcome.interaction=gene_gene"])
    assert loaded["n_subjects"] == 50 and loaded["outcome"] == {"h_additive": 0.2,
                                                                "interaction": "gene_gene"}
    with pytest.raises(ValueError, match="unknown builder 'nope'"):
        build_store({"builder": "nope"}, tmp_path / "x.h5")
    with pytest.raises(ValueError, match="background: .mars. is not one of"):
        build_store({**SMALL, "background": "mars"}, tmp_path / "x.h5")
    assert not (tmp_path / "x.h5").exists()
