"""Bounded-memory builds: batched/spilled VCF reads and chunked personal windows give the
same call set and the same store as the in-memory path."""

from __future__ import annotations

import gzip

import h5py
import numpy as np
import pytest
from genome_fixtures import WINDOWS, base, other_base, write_fasta, write_vcf

from pgxdl.data.cohort import Cohort, Observations, SequenceBlock
from pgxdl.data.spec import TaskSpec
from pgxdl.data.store_writer import write_store
from pgxdl.genome.errors import GenomeInputError, MalformedVCFError
from pgxdl.genome.personal.builder import PersonalWindowBuilder
from pgxdl.genome.reference.fasta import ReferenceGenome
from pgxdl.genome.variants import vcf as vcf_module
from pgxdl.genome.variants import vcf_prefetch
from pgxdl.genome.variants.vcf import read_vcf, read_vcf_with_report

N_SAMPLES = 37


def _random_records(seed: int, phased: bool = False):
    """SNVs, a tri-allelic site, an indel and missing calls over both test windows."""
    rng = np.random.default_rng(seed)
    sep = "|" if phased else "/"
    records = []
    positions = [("chr1", p) for p in (12, 14, 17, 20, 23, 27)] + [
        ("chr2", p) for p in (122, 125, 131, 138)]
    for number, (chrom, pos) in enumerate(positions):
        ref = base(chrom, pos)
        n_alt = 2 if number == 3 else 1
        alts = [other_base(ref, k + 1) for k in range(n_alt)]
        if number == 5:  # an indel
            ref, alts = base(chrom, pos, 2), [base(chrom, pos)]
        calls = rng.integers(0, n_alt + 1, size=(N_SAMPLES, 2))
        gts = [f"{a}{sep}{b}" for a, b in calls]
        for missing in rng.choice(N_SAMPLES, 3, replace=False):
            gts[missing] = f".{sep}."
        records.append((chrom, pos, f"rs{number}", ref, ",".join(alts), gts))
    return records


SAMPLES = [f"S{i:02d}" for i in range(N_SAMPLES)]


@pytest.fixture
def tiny_batches(monkeypatch):
    """Convert genotypes every ~2 records, so batches and their joins are exercised."""
    monkeypatch.setattr(vcf_module, "BATCH_BYTES", 2 * N_SAMPLES * 12)


def test_spilled_batched_read_equals_in_memory_read(tmp_path, tiny_batches):
    records = _random_records(0)
    plain = write_vcf(tmp_path, records, SAMPLES)
    indexed = write_vcf(tmp_path, records, SAMPLES, name="idx.vcf", compress=True)
    order = SAMPLES[::-3] + [s for s in SAMPLES if s not in SAMPLES[::-3]]
    memory = read_vcf(plain, samples=order, windows=WINDOWS)
    for path in (plain, indexed):
        spilled, report = read_vcf_with_report(path, samples=order, windows=WINDOWS,
                                               spill=True, spill_folder=tmp_path)
        np.testing.assert_array_equal(spilled.genotypes, memory.genotypes)
        np.testing.assert_array_equal(spilled.phased, memory.phased)
        assert list(spilled.pos) == list(memory.pos) and list(spilled.alt) == list(memory.alt)
        assert report.n_rows == memory.n_variants == 11
    assert not list(tmp_path.glob("pgxdl-genotypes-*"))  # spill files have no name


def _store_datasets(path) -> dict[str, np.ndarray]:
    out = {}
    with h5py.File(path, "r") as h5:
        h5.visititems(lambda name, obj: out.__setitem__(name, obj[()])
                      if isinstance(obj, h5py.Dataset) else None)
    return out


def _cohort(windows, personal, n) -> Cohort:
    values = np.arange(n, dtype=np.float32)[:, None]
    return Cohort(subject_ids=SAMPLES[:n],
                  sequence=SequenceBlock.from_personal(windows, personal), tabular=None,
                  observations=Observations.one_drug(values, [TaskSpec("y", "regression")]),
                  groups={}, splits={}, provenance={"builder": "test"})


@pytest.mark.parametrize("phased,indel_policy,missing_policy,oriented", [
    (False, "skip", "reference", False), (True, "mask", "N", True)])
def test_chunked_store_equals_whole_build_store(tmp_path, tiny_batches, phased, indel_policy,
                                                missing_policy, oriented):
    path = write_vcf(tmp_path, _random_records(1, phased), SAMPLES, compress=True)
    reference = ReferenceGenome(write_fasta(tmp_path))
    builder = PersonalWindowBuilder(reference, WINDOWS, phased=phased,
                                    indel_policy=indel_policy, missing_policy=missing_policy,
                                    oriented=oriented, ref_mismatch_tolerance=0.0)
    whole = builder.stream(read_vcf(path, windows=WINDOWS))
    spilled = read_vcf(path, windows=WINDOWS, spill=True)
    chunked = builder.build_in_chunks(spilled, chunk_bytes=300)  # a few subjects a chunk
    assert chunked.codes.chunk_size < N_SAMPLES // 3
    assert chunked.report == whole.report
    stores = [write_store(tmp_path / f"{name}.h5", _cohort(WINDOWS, p, N_SAMPLES), salt="s",
                          progress=False) for name, p in (("whole", whole), ("chunked", chunked))]
    expected, actual = (_store_datasets(p) for p in stores)
    assert set(actual) == set(expected)
    assert len(expected["variants/subject_index"]) > 50
    for name, values in expected.items():
        np.testing.assert_array_equal(actual[name], values, err_msg=name)


def test_chunked_phase_error_matches_whole_build(tmp_path):
    records = _random_records(2, phased=False)
    path = write_vcf(tmp_path, records, SAMPLES)
    reference = ReferenceGenome(write_fasta(tmp_path))
    builder = PersonalWindowBuilder(reference, WINDOWS, phased=True)
    with pytest.raises(GenomeInputError) as whole:
        builder.build(read_vcf(path, windows=WINDOWS))
    with pytest.raises(GenomeInputError) as chunked:
        builder.build_in_chunks(read_vcf(path, windows=WINDOWS, spill=True), chunk_bytes=300)
    assert str(chunked.value) == str(whole.value)
    assert "heterozygous calls" in str(whole.value)


@pytest.mark.parametrize("field,bad,message", [
    ("REF", "AXG", r"line 11 \(chr1:20\): field REF 'AXG'"),
    ("FORMAT", "DP", r"line 11 \(chr1:20\): field FORMAT has no GT"),
])
def test_indexed_vcf_read_without_prescan_still_names_the_line(tmp_path, field, bad, message):
    records = _random_records(3)
    path = write_vcf(tmp_path, records, SAMPLES, name="good.vcf")
    lines = path.read_text().splitlines()
    fields = lines[10].split("\t")  # the fourth record: chr1:20 (tri-allelic)
    fields[{"REF": 3, "FORMAT": 8}[field]] = bad
    lines[10] = "\t".join(fields)
    bad_path = tmp_path / "bad.vcf"
    bad_path.write_text("\n".join(lines) + "\n")
    pysam = pytest.importorskip("pysam")
    gz = tmp_path / "bad.vcf.gz"
    pysam.tabix_compress(str(bad_path), str(gz), force=True)
    pysam.tabix_index(str(gz), preset="vcf", force=True)
    with pytest.raises(MalformedVCFError, match=message):
        read_vcf(gz, windows=WINDOWS, spill=True)


def test_indexed_read_skips_the_text_scan(tmp_path, monkeypatch):
    path = write_vcf(tmp_path, _random_records(4), SAMPLES, compress=True)

    def no_scan(_path):
        raise AssertionError("scanned a well-formed indexed VCF")

    monkeypatch.setattr(vcf_module, "scan_vcf_text", no_scan)
    assert read_vcf(path, windows=WINDOWS).n_variants == 11
    with pytest.raises(AssertionError, match="scanned"):
        read_vcf(path)  # without windows the file is streamed, after the scan


@pytest.mark.slow
def test_scale_benchmark_quick_run_writes_rows(tmp_path, capsys):
    import json

    from benchmarks.build_vcf_scale import main

    out = tmp_path / "scale.json"
    main(["--quick", "--memory-path-max", "0", "--out", str(out)])
    result = json.loads(out.read_text())
    builds = [r for r in result["rows"] if r["stage"] == "build (streaming)"]
    assert [r["people"] for r in builds] == [300, 600]
    assert all(r["peak_rss_MB"] >= r["imports_rss_MB"] > 0 for r in builds)
    anchors = [r for r in result["rows"] if r["stage"] == "bcftools query"]
    assert len(anchors) == 2 or result["notes"]  # bcftools present, or said absent
    assert "VCF builds" in capsys.readouterr().out


def test_records_are_decoded_off_the_calling_thread_and_an_error_stops_it(tmp_path):
    import threading

    records = _random_records(5)
    path = write_vcf(tmp_path, records, SAMPLES, compress=True)
    decoding = []
    copy_init = vcf_prefetch.RecordCopy.__init__

    def spying_init(self, *args, **kwargs):
        decoding.append(threading.current_thread().name)
        copy_init(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(vcf_prefetch.RecordCopy, "__init__", spying_init)
        assert read_vcf(path, windows=WINDOWS, spill=True).n_variants > 0
    assert set(decoding) == {"pgxdl-vcf-decode"}
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    data = [i for i, line in enumerate(lines) if not line.startswith("#")]
    lines.insert(data[1] + 1, lines[data[1]])  # the second record, twice
    (tmp_path / "dup.vcf").write_text("\n".join(lines) + "\n")
    pysam = pytest.importorskip("pysam")
    duplicated = tmp_path / "dup.vcf.gz"  # indexed: read first, the reader meets the repeat
    pysam.tabix_compress(str(tmp_path / "dup.vcf"), str(duplicated), force=True)
    pysam.tabix_index(str(duplicated), preset="vcf", force=True)
    with pytest.raises(MalformedVCFError, match="repeats the variant"):
        read_vcf(duplicated, windows=WINDOWS)
    assert not [t for t in threading.enumerate() if t.name == "pgxdl-vcf-decode"]
