"""In-silico mutagenesis: exact effects on a linear model, orientation, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from interpret_fixtures import LinearToyModel, write_variant_store

from pgxdl.data.datamodule import CohortDataModule
from pgxdl.data.store import CohortStore
from pgxdl.genome.encoding import CODE_LETTERS, ONE_HOT_TABLE, iupac_code
from pgxdl.genome.errors import GenomeInputError, ReferenceMismatchError
from pgxdl.interpret.ism import InSilicoMutagenesis, introduce_over_loader, parse_variant
from pgxdl.models import TaskOutput


def setup(path, oriented=False):
    store = write_variant_store(path, oriented=oriented)
    data = CohortDataModule(str(store), batch_size=12)
    model = LinearToyModel(data.spec).eval()
    with CohortStore(store) as cohort:
        ism = InSilicoMutagenesis(TaskOutput(model, "dose"), cohort, chunk_size=7)
        reference = cohort.h5["windows/reference"][:]
    return data, model, ism, reference


@pytest.fixture(scope="module")
def plus(tmp_path_factory):
    return setup(tmp_path_factory.mktemp("ism") / "store.h5")


def weight_change(model, window, position, old_code, new_code):
    """Exact linear effect of changing one stored position from ``old`` to ``new`` code."""
    weights = model.seq_weight.detach().numpy()[window, :, position]
    return float(weights @ (ONE_HOT_TABLE[new_code] - ONE_HOT_TABLE[old_code]))


def test_revert_is_the_weight_difference_at_the_variant(plus):
    data, model, ism, reference = plus
    batch = next(iter(data.dataloader("all")))
    table = ism.revert(batch)
    codes = batch["codes"].numpy()
    assert len(table) > 10
    for _, row in table.iterrows():
        person = int(np.flatnonzero(batch["index"].numpy() == row["observation"])[0])
        window, offset = int(row["window"][1:]), row["pos"] - 1001
        want = weight_change(model, window, offset, reference[window, offset],
                             codes[person, window, 0, offset])
        assert row["ism"] == pytest.approx(want, abs=1e-4)
        assert row["allele_count"] in (1, 2)


@pytest.mark.parametrize("zygosity", ["het", "hom"])
def test_introduce_is_the_weight_difference_for_everyone(plus, zygosity):
    data, model, ism, reference = plus
    batch = next(iter(data.dataloader("all")))
    offset = 7
    ref = CODE_LETTERS[reference[1, offset]]
    alt = "ACGT"[(reference[1, offset] + 2) % 4]
    effects = ism.introduce(batch, "chr2", 1001 + offset, ref, alt, zygosity)
    new = CODE_LETTERS.index(alt) if zygosity == "hom" else iupac_code(ref, alt)
    codes = batch["codes"].numpy()
    want = [weight_change(model, 1, offset, codes[i, 1, 0, offset], new)
            for i in range(len(codes))]
    np.testing.assert_allclose(effects, want, atol=1e-4)
    same = ism.introduce(batch, "2", 1001 + offset, ref.lower(), alt.lower(), zygosity)
    np.testing.assert_allclose(same, effects, atol=1e-6)  # 'chr' prefix and case ignored


def test_introduce_over_a_loader_stops_at_max_observations(plus):
    data, _, ism, reference = plus
    ref = CODE_LETTERS[reference[0, 3]]
    alt = "ACGT"[(reference[0, 3] + 1) % 4]
    table = introduce_over_loader(ism, data.dataloader("all"), "chr1", 1004, ref, alt,
                                  max_observations=17)
    assert table["observation"].tolist() == list(range(17))


def test_oriented_window_edits_the_reversed_complemented_position(tmp_path):
    data, model, ism, stored = setup(tmp_path / "oriented.h5", oriented=True)
    batch = next(iter(data.dataloader("all")))
    length, offset = stored.shape[1], 5
    plus_base = "ACGT"[3 - stored[1, length - 1 - offset]]  # complement of the stored base
    alt = {"A": "G", "C": "T", "G": "A", "T": "C"}[plus_base]
    effects = ism.introduce(batch, "chr2", 1001 + offset, plus_base, alt, "hom")
    stored_alt = CODE_LETTERS.index({"A": "T", "C": "G", "G": "C", "T": "A"}[alt])
    codes = batch["codes"].numpy()
    want = [weight_change(model, 1, length - 1 - offset, codes[i, 1, 0, length - 1 - offset],
                          stored_alt) for i in range(len(codes))]
    np.testing.assert_allclose(effects, want, atol=1e-4)
    table = ism.revert(batch)
    row = table[table["window"] == "w1"].iloc[0]
    person = int(np.flatnonzero(batch["index"].numpy() == row["observation"])[0])
    position = length - 1 - (row["pos"] - 1001)
    assert row["ism"] == pytest.approx(weight_change(
        model, 1, position, stored[1, position], codes[person, 1, 0, position]), abs=1e-4)


def test_introduce_errors_are_clear(plus):
    data, _, ism, reference = plus
    batch = next(iter(data.dataloader("all")))
    wrong = "ACGT"[(reference[0, 4] + 1) % 4]
    with pytest.raises(ReferenceMismatchError, match=r"REF .* does not match the reference "
                                                     r".* of window w0 .* at chr1:1005"):
        ism.introduce(batch, "chr1", 1005, wrong, "ACGT"[reference[0, 4]])
    with pytest.raises(GenomeInputError, match="only substitutions"):
        ism.locate("chr1", 1005, "A", "AT")
    with pytest.raises(GenomeInputError, match="lies in no window"):
        ism.locate("chr1", 2000, "A", "T")
    with pytest.raises(GenomeInputError, match="must be different A/C/G/T"):
        ism.locate("chr1", 1005, "A", "N")
    with pytest.raises(ValueError, match="zygosity must be 'het' or 'hom'"):
        ism.introduce(batch, "chr1", 1005, "A", "T", "tri")
    with pytest.raises(ValueError, match="expected chrom:pos:ref:alt"):
        parse_variant("chr1-1005-A-T")
    assert parse_variant("chr16:31096368:C:T") == ("chr16", 31096368, "C", "T")


def test_effects_do_not_depend_on_chunk_size(plus):
    data, model, ism, _ = plus
    batch = next(iter(data.dataloader("all")))
    with CohortStore(data.store) as cohort:
        whole = InSilicoMutagenesis(TaskOutput(model, "dose"), cohort, chunk_size=1000)
    torch.testing.assert_close(torch.tensor(whole.revert(batch)["ism"].to_numpy()),
                               torch.tensor(ism.revert(batch)["ism"].to_numpy()))
