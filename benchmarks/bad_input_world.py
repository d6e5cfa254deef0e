"""A tiny, self-made cohort (FASTA, windows, VCF, EHR, config) for the bad-input matrix, and an
independent re-parse of what a store should hold.

:class:`World` writes the good inputs into a folder; each case of
:mod:`benchmarks.bad_input_cases` spoils one of them and builds through
:func:`pgxdl.builders.store_build.build_store`. :func:`expected_letters` re-reads the VCF text with
plain string splitting (no cyvcf2, no pgxdl genome code) to say which base each subject
should carry at each site, so a handled case is checked against data, not against itself.
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import os
from contextlib import contextmanager
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import yaml

from pgxdl.builders.store_build import build_store

LENGTH = 40
CHROMS = {name: "".join(np.random.default_rng(seed).choice(list("ACGT"), 120))
          for name, seed in (("chr1", 11), ("chr2", 12))}
WINDOWS = [{"name": "w1", "gene": "GENE1", "chrom": "chr1", "start": 21, "end": 60,
            "strand": "+"},
           {"name": "w2", "gene": "GENE2", "chrom": "chr2", "start": 21, "end": 60,
            "strand": "-"}]
SAMPLES = ["S1", "S2", "S3", "S4", "S5", "S6"]
SALT = "bad-input-matrix"
#: The contig names the matrix uses, as this module reads them (independent of pgxdl's table).
CONTIG_KEYS = {"chr1": "1", "1": "1", "NC_000001.11": "1", "chr2": "2", "2": "2",
               "NC_000002.12": "2"}
IUPAC = {frozenset("AC"): "M", frozenset("AG"): "R", frozenset("AT"): "W",
         frozenset("CG"): "S", frozenset("CT"): "Y", frozenset("GT"): "K"}


def ref_base(chrom: str, pos: int, n: int = 1) -> str:
    """Reference text at 1-based ``pos`` of the tiny FASTA."""
    return CHROMS[chrom][pos - 1:pos - 1 + n]


def alt_base(base: str) -> str:
    """A base other than ``base``."""
    return "ACGT"[("ACGT".index(base) + 1) % 4]


def default_records() -> list[tuple]:
    """``(chrom, pos, id, ref, alt, gts)`` records: two SNVs in w1, one in w2."""
    out = []
    for chrom, pos, gts in (("chr1", 25, ["0/0", "0/1", "1/1", "0/1", "./.", "0/0"]),
                            ("chr1", 44, ["0/1", "0/0", "0/0", "1/1", "0/1", "0/0"]),
                            ("chr2", 30, ["0/1", "0/0", "0/0", "1/1", "0/0", "./."])):
        ref = ref_base(chrom, pos)
        out.append((chrom, pos, f"rs{pos}", ref, alt_base(ref), gts))
    return out


class World:
    """Good inputs in ``folder``; methods spoil one part and build."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.fasta = self.folder / "tiny_GRCh38.fa"
        self.fasta.write_text("".join(f">{c}\n{s}\n" for c, s in CHROMS.items()))
        self.windows_path = self.write_windows(WINDOWS)
        self.samples = list(SAMPLES)
        self.records = default_records()
        self.ehr_frame = pd.DataFrame({
            "subject": SAMPLES, "age": [50, 60, 70, 40, 30, 65],
            "weight_lb": [150, 170, 200, 130, 180, 160], "site": ["a", "a", "b", "b", "c", "c"],
            "dose": [30, 25, 33, 40, 35, 28],
            "response": ["good", "poor", "good", "partial", None, "good"]})
        self.config = {
            "builder": "vcf_ehr", "reference": str(self.fasta), "reference_build": "GRCh38",
            "windows": str(self.windows_path), "vcf": str(self.write_vcf()),
            "ehr": str(self.write_ehr()), "subject_column": "subject",
            "features": [{"name": "age", "kind": "numeric", "units": "years"},
                         {"name": "weight", "kind": "numeric", "column": "weight_lb",
                          "units": "kg", "source_units": "lb"},
                         {"name": "site", "kind": "categorical", "categories": ["a", "b", "c"]}],
            "tasks": [{"name": "dose", "kind": "regression", "units": "mg/week"},
                      {"name": "response", "kind": "multiclass",
                       "classes": ["poor", "partial", "good"]}],
            "groups": ["site"], "split": {"kfold": 3}}
        self.out = self.folder / "out" / "cohort.h5"
        self.printed: list[str] = []

    def write_windows(self, windows: list[dict], build: str | None = "GRCh38",
                      name: str = "windows.yaml") -> Path:
        path = self.folder / name
        document = {"windows": windows} if build is None else {"build": build,
                                                               "windows": windows}
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return path

    def vcf_text(self, records=None, samples=None, header_lines=(), contigs=("chr1", "chr2"),
                 fmt: str = "GT") -> str:
        samples = self.samples if samples is None else samples
        lines = ["##fileformat=VCFv4.2",
                 '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
                 '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">',
                 '##INFO=<ID=END,Number=1,Type=Integer,Description="End">',
                 *(f"##contig=<ID={c}>" for c in contigs), *header_lines,
                 "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO",
                            "FORMAT", *samples])]
        for record in self.records if records is None else records:
            chrom, pos, vid, ref, alt, gts, *rest = record
            info = rest[0] if rest else "."
            record_fmt = rest[1] if len(rest) > 1 else fmt
            lines.append("\t".join([chrom, str(pos), vid, ref, alt, ".", "PASS", info,
                                    record_fmt, *gts]))
        return "\n".join(lines) + "\n"

    def write_vcf(self, text: str | bytes | None = None, name: str = "calls.vcf", **kw) -> Path:
        path = self.folder / name
        text = self.vcf_text(**kw) if text is None else text
        if isinstance(text, str):
            text = text.encode()
        path.write_bytes(text)
        if hasattr(self, "config"):
            self.config["vcf"] = str(path)
        return path

    def write_ehr(self, frame: pd.DataFrame | None = None, text: str | bytes | None = None,
                  name: str = "ehr.csv") -> Path:
        path = self.folder / name
        if text is not None:
            path.write_bytes(text.encode() if isinstance(text, str) else text)
        elif name.endswith(".parquet"):
            (self.ehr_frame if frame is None else frame).to_parquet(path)
        elif name.endswith(".xlsx"):
            (self.ehr_frame if frame is None else frame).to_excel(path, index=False)
        else:
            sep = "\t" if name.endswith(".tsv") else ","
            (self.ehr_frame if frame is None else frame).to_csv(path, index=False, sep=sep)
        if hasattr(self, "config"):
            self.config["ehr"] = str(path)
        return path

    def build(self, out: Path | None = None, **overrides) -> Path:
        """Build the store (at ``out``, default :attr:`out`) with ``overrides`` applied to
        the config; returns its path."""
        config = copy.deepcopy(self.config)
        config.update(overrides)
        with salt_env():
            return build_store(config, out or self.out, echo=self.printed.append,
                               progress=False)

    def good_store(self, **overrides) -> Path:
        """A store built from good inputs away from :attr:`out` (for store-reading cases)."""
        return self.build(out=self.folder / "good" / "good.h5", **overrides)


@contextmanager
def salt_env():
    """Run with ``PGXDL_ID_SALT`` set to :data:`SALT` (restored afterwards)."""
    before = os.environ.get("PGXDL_ID_SALT")
    os.environ["PGXDL_ID_SALT"] = SALT
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PGXDL_ID_SALT", None)
        else:
            os.environ["PGXDL_ID_SALT"] = before


def id_hashes(ids: list[str]) -> list[bytes]:
    """Salted SHA-256 (first 32 hex digits) of each ID, computed here with hashlib."""
    return [hashlib.sha256(f"{SALT}\x00{i}".encode()).hexdigest()[:32].encode() for i in ids]


def parse_vcf_text(path: Path) -> tuple[list[str], list[tuple[str, int, str, list[str], list]]]:
    """Samples and ``(chrom, pos, ref, alts, gts)`` records by plain text splitting."""
    samples, records = [], []
    data = Path(path).read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    for line in data.decode("utf-8-sig").splitlines():
        if line.startswith("##") or not line.strip():
            continue
        fields = line.rstrip("\r").split("\t")
        if line.startswith("#"):
            samples = fields[9:]
            continue
        keys = fields[8].split(":") if len(fields) > 8 else []
        gts = [g.split(":")[keys.index("GT")] for g in fields[9:]] if "GT" in keys else []
        records.append((fields[0], int(fields[1]), fields[3].upper(),
                        fields[4].upper().split(","), gts))
    return samples, records


def expected_letters(vcf: Path, subjects: list[str], window: dict,
                     missing: str = "reference") -> dict[int, list[str]]:
    """Offset in ``window`` -> the letter each subject should carry there (dosage track),
    for the single-base sites of the VCF in the window (+ strand)."""
    samples, records = parse_vcf_text(vcf)
    column = {s: i for i, s in enumerate(samples)}
    def contig_key(name: str) -> str:
        return CONTIG_KEYS.get(name, name.removeprefix("chr"))

    key = contig_key(window["chrom"])
    out: dict[int, list[str]] = {}
    for chrom, pos, ref, alts, gts in records:
        if contig_key(chrom) != key or not window["start"] <= pos <= window["end"]:
            continue
        if len(ref) != 1 or any(len(a) != 1 for a in alts if a not in (".", "*")):
            continue  # symbolic ALTs and indels: skipped by policy (reference kept)
        alts = [ref if a == "*" else a for a in alts]  # '*' carries no base: reference kept
        letters = []
        for subject in subjects:
            alleles = gts[column[subject]].replace("|", "/").split("/")
            fill = "N" if missing == "N" else ref  # a missing allele, by the policy
            bases = {fill if a == "." else ([ref] + alts)[int(a)] for a in alleles}
            letters.append("N" if "N" in bases else bases.pop() if len(bases) == 1
                           else IUPAC[frozenset(bases)])
        out[pos - window["start"]] = letters
    return out


def stored_letters(store: Path, window_index: int, offset: int, track: int = 0) -> list[str]:
    """Letters stored at one offset of one window for every subject (read with h5py)."""
    with h5py.File(store, "r") as h5:
        codes = h5["sequence/codes"][:, window_index, track, offset]
    return ["ACGTNMRWSYK"[c] for c in codes]


def check_sites(world: World, store: Path, subjects: list[str] | None = None,
                missing: str = "reference", windows: tuple[int, ...] = (0, 1)) -> int:
    """Assert every single-base site of the world's VCF is stored as re-parsed; returns the
    number of (site, subject) calls compared."""
    subjects = subjects or world.samples
    compared = 0
    for w in windows:
        for offset, letters in expected_letters(Path(world.config["vcf"]), subjects,
                                                WINDOWS[w], missing).items():
            stored = stored_letters(store, w, offset)
            assert stored == letters, f"window {w} offset {offset}: {stored} != {letters}"
            compared += len(letters)
    assert compared, "no site compared"
    return compared


def stored_ids(store: Path) -> list[bytes]:
    with h5py.File(store, "r") as h5:
        return list(h5["subjects/id_hash"][:])
