"""Window declarations: YAML forms, centre/length arithmetic, errors, shipped configs."""

from __future__ import annotations

import pytest
import yaml

from pgxdl.genome.errors import WindowSpecError
from pgxdl.genome.reference.windows import WindowSpec, check_equal_length, load_windows
from pgxdl.genome.variants.alleles import default_allele_table
from pgxdl.paths import REPO_ROOT

CONFIGS = REPO_ROOT / "configs" / "data" / "windows"


def test_start_end_and_center_length_forms(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text(yaml.safe_dump({"windows": [
        {"name": "a", "gene": "G", "chrom": "chr1", "start": 11, "end": 30, "strand": "+"},
        {"name": "b", "chrom": "chr2", "center": 100, "length": 20, "strand": "-"},
    ]}))
    a, b = load_windows(path)
    assert (a.start, a.end, a.length, a.region) == (11, 30, 20, "chr1:11-30")
    # centre base sits at offset length // 2
    assert (b.start, b.end, b.length, b.gene) == (90, 109, 20, "b")
    assert b.start + b.length // 2 == 100
    assert check_equal_length([a, b]) == 20
    assert load_windows([a.to_dict(), b]) == [a, b]


@pytest.mark.parametrize("entry, message", [
    ({"name": "x", "chrom": "chr1", "start": 1, "strand": "+"}, "start\\+end or center"),
    ({"name": "x", "chrom": "chr1", "start": 1, "end": 5, "strand": "*"}, "strand"),
    ({"name": "x", "chrom": "chr1", "start": 9, "end": 5, "strand": "+"}, "start <= end"),
    ({"name": "x", "start": 1, "end": 5, "strand": "+"}, "lacks chrom"),
    ({"name": "x", "chrom": "c", "start": "one", "end": 5, "strand": "+"}, "non-integer"),
])
def test_bad_window_entries(entry, message):
    with pytest.raises(WindowSpecError, match=message):
        load_windows([entry])


def test_duplicate_names_and_unequal_lengths(tmp_path):
    w = {"name": "x", "chrom": "chr1", "start": 1, "end": 5, "strand": "+"}
    with pytest.raises(WindowSpecError, match="duplicate window names"):
        load_windows([w, w])
    with pytest.raises(WindowSpecError, match="same length.*a=5, b=6"):
        check_equal_length([WindowSpec("a", "g", "c", 1, 5), WindowSpec("b", "g", "c", 1, 6)])
    bad = tmp_path / "bad.yaml"
    bad.write_text("windows: 3\n")
    with pytest.raises(WindowSpecError, match=str(bad)):
        load_windows(bad)


def test_region_config_matches_fasta_records(shared_data):
    windows = load_windows(CONFIGS / "grch38_pgx.yaml")
    fai = (shared_data / "reference" / "GRCh38_pgx_regions.fa.fai").read_text().split("\n")
    records = [line.split("\t")[0] for line in fai if line]
    assert [w.region for w in windows] == records
    strands = {w.gene: w.strand for w in windows}
    assert strands == {"VKORC1": "-", "CYP2C9": "+", "CYP2C19": "+", "CYP2D6": "-"}


def test_2kb_config_centres_on_key_variants():
    windows = load_windows(CONFIGS / "grch38_pgx_2kb.yaml")
    assert check_equal_length(windows) == 2000
    table = default_allele_table()
    key = ["rs9923231", "rs1799853", "rs1057910", "rs12248560", "rs4986893", "rs4244285",
           "rs3892097"]
    for rsid in key:
        variant = table.variants[rsid]
        holding = [w for w in windows if w.chrom == variant.chrom
                   and w.start <= variant.pos <= w.end]
        assert holding, rsid
        assert all(w.gene == variant.gene for w in holding)
        assert {w.strand for w in holding} == {table.genes[variant.gene].strand}
