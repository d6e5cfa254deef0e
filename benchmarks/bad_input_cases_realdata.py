"""Bad-input cases on the real messy VCFs of ``$PGXDL_DATA/vcf`` (see its README).

- ``getrm_wgs30x_grch38_chr16_VKORC1.vcf.bgz``: 3 samples, 71,021 records over chr16, unphased,
  multi-allelic rows, indels, missing calls; GRCh38 like the reference.
- ``pypgx_1kgp_phase3_VKORC1_GRCh37.vcf.gz``: GRCh37, contig ``16``, 2,504 samples.

Each stored base at a single-base site is checked against a plain-text re-parse of the
file (:func:`benchmarks.bad_input_world.expected_letters`).
"""

from __future__ import annotations

import yaml

from benchmarks.bad_input_case import error_case, handled_case
from benchmarks.bad_input_world import expected_letters, stored_letters
from pgxdl.genome.errors import BuildMismatchError, GenomeInputError
from pgxdl.paths import REPO_ROOT, shared_data_dir

GETRM = "getrm_wgs30x_grch38_chr16_VKORC1.vcf.bgz"
PYPGX = "pypgx_1kgp_phase3_VKORC1_GRCh37.vcf.gz"
GETRM_SAMPLES = ["NA18526", "NA18565", "NA18861"]
WINDOWS_2KB = REPO_ROOT / "pgxdl" / "configs" / "data" / "windows" / "grch38_pgx_2kb.yaml"


def _windows(genes: tuple[str, ...]) -> list[dict]:
    """The 2 kb windows of ``genes`` with start/end worked out here from center/length."""
    out = []
    for entry in yaml.safe_load(WINDOWS_2KB.read_text())["windows"]:
        if entry["gene"] in genes:
            start = entry["center"] - entry["length"] // 2
            out.append({"name": entry["name"], "gene": entry["gene"], "chrom": entry["chrom"],
                        "start": start, "end": start + entry["length"] - 1,
                        "strand": entry["strand"]})
    return out


def _real(vcf: str, subjects: list[str], genes=("VKORC1",), **overrides):
    def run(world):
        data = shared_data_dir()
        world.config["vcf"] = str(data / "vcf" / vcf)
        world.config["reference"] = str(data / "reference" / "GRCh38_pgx_regions.fa")
        world.config["windows"] = str(world.write_windows(_windows(genes)))
        frame = world.ehr_frame.head(len(subjects)).assign(subject=subjects)
        world.write_ehr(frame)
        world.samples = subjects
        return world.build(**{"split": "none", **overrides})
    return run


def _check_real(missing: str = "reference"):
    def check(world, store):
        window = _windows(("VKORC1",))[0]
        sites = expected_letters(world.config["vcf"], world.samples, window, missing)
        assert len(sites) > 20, f"only {len(sites)} single-base sites re-parsed"
        for offset, letters in sites.items():
            assert stored_letters(store, 0, offset) == letters, f"offset {offset}"
    return check


def _check_report(world, store):
    _check_real()(world, store)
    assert any("not used: 1" in line for line in world.printed), world.printed
    assert any("multi-allelic records split" in line for line in world.printed)


CASES = [
    handled_case("real_getrm_unphased_multiallelic", "vcf",
                 _real(GETRM, GETRM_SAMPLES, missing_policy="N"), _check_real("N"),
                 issue="14.6", realdata=True),
    handled_case("real_getrm_sample_absent_from_ehr", "vcf", _real(GETRM, GETRM_SAMPLES[:2]),
                 _check_report, issue="14.5", realdata=True),
    error_case("real_getrm_windows_without_records", "vcf",
               _real(GETRM, GETRM_SAMPLES, genes=("VKORC1", "CYP2C9")), GenomeInputError,
               GETRM, "no record overlaps 2 of 3 windows", "CYP2C9_star2_rs1799853",
               "uncovered_windows", issue="14.3", realdata=True),
    error_case("real_pypgx_grch37_against_grch38", "vcf",
               _real(PYPGX, ["HG00096", "HG00097", "HG00099"]), BuildMismatchError, PYPGX,
               "GRCh37", "GRCh38", realdata=True),
]
