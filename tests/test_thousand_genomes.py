"""A store on real 1000 Genomes haplotypes: populations, and codes that match the VCF."""

from __future__ import annotations

import cyvcf2
import numpy as np
import pandas as pd
import pytest

from pgxdl.builders.store_build import build_store
from pgxdl.data.store import CohortStore
from pgxdl.genome.encoding import decode

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


@pytest.fixture(scope="module")
def store(shared_data, tmp_path_factory):
    config = {"builder": "simulated", "background": "1kgp", "n_subjects": None, "seed": 1,
              "windows": "configs/data/windows/grch38_pgx_2kb.yaml", "data_dir": str(shared_data)}
    return build_store(config, tmp_path_factory.mktemp("kg") / "1kgp.h5")


def test_all_people_with_populations_from_the_panel(store, shared_data):
    vcf = cyvcf2.VCF(str(shared_data / "1kgp" / "VKORC1_GRCh38.vcf.gz"))
    panel = pd.read_csv(shared_data / "1kgp" / "integrated_call_samples_v3.20130502.ALL.panel",
                        sep="\t", usecols=[0, 1, 2]).set_index("sample")["super_pop"]
    expected = panel.reindex(vcf.samples).fillna("unknown").to_numpy()
    with CohortStore(store) as cohort:
        assert cohort.n_subjects == 3202
        np.testing.assert_array_equal(cohort.groups("population"), expected)
        assert cohort.attrs["reference_build"] == "GRCh38"


@pytest.mark.parametrize("gene,position,ref,alt", [("VKORC1", 31096368, "C", "T"),
                                                   ("CYP2C9", 94942290, "C", "T"),
                                                   ("CYP2C9", 94981296, "A", "C")])
def test_key_variant_codes_match_vcf_genotypes(store, shared_data, gene, position, ref, alt):
    """rs9923231, CYP2C9 *2 and *3: each person's stored base equals their VCF genotype."""
    with CohortStore(store) as cohort:
        window = next(i for i, w in enumerate(cohort.windows)
                      if w["start"] <= position <= w["end"] and w["gene"] == gene)
        offset = position - cohort.windows[window]["start"]
        assert decode(cohort.h5["windows/reference"][window, offset:offset + 1]) == ref
        stored = np.array(list(decode(cohort.h5["sequence/codes"][:, window, 0, offset])))
    vcf = cyvcf2.VCF(str(shared_data / "1kgp" / f"{gene}_GRCh38.vcf.gz"))
    record = next(r for r in vcf if r.POS == position and r.ALT == [alt])
    assert record.REF == ref
    counts = np.array([max(g[0], 0) + max(g[1], 0) for g in record.genotypes])
    het = {frozenset("CT"): "Y", frozenset("AC"): "M"}[frozenset(ref + alt)]
    expected = np.array([ref, het, alt])[counts]
    np.testing.assert_array_equal(stored, expected)
    assert (counts > 0).sum() > 10
