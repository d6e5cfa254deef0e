"""Validate the CPIC calls: 1000 Genomes phenotype frequencies and IWPC CYP2C9 diplotypes.

1. 1000 Genomes (``$PGXDL_DATA/1kgp``, phased NYGC 30x, the 2,504 people of the panel):
   CYP2C9, CYP2C19 and CYP2D6 diplotypes by :mod:`pgxdl.clinical.cpic.matcher`,
   phenotypes by pypgx, frequencies per super-population beside CPIC's (panel people
   present in the VCFs)
   (``benchmarks/cpic_reference_frequencies.yaml``: CPIC's "Phenotype frequency" sheets,
   written by ``benchmarks/cpic_reference_extract.py``; its header states the provenance).
   Agreement: the largest absolute difference in percentage points per gene and group; a
   gene or group without a reference entry is reported with ``-`` in the CPIC column.
2. IWPC (``$PGXDL_DATA/iwpc/iwpc.csv``): the site-reported CYP2C9 genotype and, for the
   patients re-genotyped centrally, the QC ``*2``/``*3`` genotypes are turned into
   unphased variant calls and called again; the call is compared with the consensus
   diplotype.

``python benchmarks/cpic_validation.py [--out runs/benchmarks/cpic_validation.json]``
prints the tables and writes JSON.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import report  # noqa: E402
from pgxdl.clinical.cpic.matcher import match_cohort  # noqa: E402
from pgxdl.clinical.cpic.phenotypes import gene_calls  # noqa: E402
from pgxdl.genome.variants.genotype_table import callset_from_genotype_table  # noqa: E402
from pgxdl.genome.variants.vcf import read_vcf  # noqa: E402
from pgxdl.paths import shared_data_dir  # noqa: E402

GENES = ("CYP2C9", "CYP2C19", "CYP2D6")
REFERENCE = Path(__file__).with_name("cpic_reference_frequencies.yaml")
ABBREVIATIONS = {"Ultrarapid Metabolizer": "UM", "Rapid Metabolizer": "RM",
                 "Normal Metabolizer": "NM", "Intermediate Metabolizer": "IM",
                 "Poor Metabolizer": "PM", "Likely Intermediate Metabolizer": "IM",
                 "Likely Poor Metabolizer": "PM", "Indeterminate": "Indet."}


def reference_frequencies(path: Path = REFERENCE) -> dict[str, dict[str, dict[str, float]]]:
    """``{gene: {1kgp group: {UM/RM/NM/IM/PM/Indet.: percent}}}`` from the reference file;
    CPIC's "Likely" phenotypes are added to IM/PM (as the calls are), other keys (the
    source, the CPIC group's name) are skipped, and absent genes or groups stay absent."""
    table: dict[str, dict[str, dict[str, float]]] = {}
    for gene, entry in (yaml.safe_load(path.read_text()) or {}).items():
        for group, values in (entry or {}).items():
            if not isinstance(values, dict):
                continue
            freq: dict[str, float] = {}
            for phenotype, value in values.items():
                if phenotype in ABBREVIATIONS and value is not None:
                    key = ABBREVIATIONS[phenotype]
                    freq[key] = freq.get(key, 0.0) + float(value)
            table.setdefault(gene, {})[group] = freq
    return table


def thousand_genomes(data: Path) -> tuple[list[dict], dict]:
    """Phenotype frequencies per gene and super-population, beside CPIC's."""
    panel = pd.read_csv(data / "1kgp" / "integrated_call_samples_v3.20130502.ALL.panel",
                        sep="\t", usecols=["sample", "super_pop"])
    reference = reference_frequencies()
    rows, timing = [], {}
    for gene in GENES:
        callset = read_vcf(data / "1kgp" / f"{gene}_GRCh38.vcf.gz")
        panel = panel[panel["sample"].isin(callset.samples)].reset_index(drop=True)
        callset = callset.subset_samples(panel["sample"].tolist())
        start = time.perf_counter()
        calls = gene_calls(match_cohort(callset, gene))
        timing[gene] = {"people": callset.n_samples,
                        "seconds": round(time.perf_counter() - start, 1)}
        phenotype = pd.Series([ABBREVIATIONS.get(c.phenotype, c.phenotype) for c in calls])
        for group, members in panel.groupby("super_pop"):
            observed = phenotype[members.index].value_counts(normalize=True) * 100
            rows.append(frequency_row(gene, str(group), len(members), observed,
                                      reference.get(gene, {}).get(group)))
    return rows, timing


def frequency_row(gene: str, group: str, n: int, observed: pd.Series,
                  cpic: dict[str, float] | None) -> dict:
    """One table row: observed / CPIC percent per phenotype and the largest gap; without
    a CPIC entry (``None``) the CPIC side reads ``-`` and so does the gap."""
    cpic = cpic or {}
    labels = [k for k in ("UM", "RM", "NM", "IM", "PM", "Indet.") if k in cpic or k in observed]
    gap = max(abs(observed.get(k, 0.0) - cpic.get(k, 0.0)) for k in labels) if cpic else None
    return {"gene": gene, "group": group, "n": n,
            **{f"{k} 1kgp/CPIC": f"{observed.get(k, 0):.1f}/"
               + (f"{cpic[k]:.1f}" if k in cpic else "-") for k in labels},
            "max_gap_pp": round(float(gap), 1) if gap is not None else "-"}


def iwpc_cyp2c9(data: Path) -> list[dict]:
    """CYP2C9 calls from IWPC genotypes against the consensus diplotype."""
    table = pd.read_csv(data / "iwpc" / "iwpc.csv", dtype=str, keep_default_na=False)
    table["id"] = [f"row{i}" for i in range(len(table))]
    consensus = table["CYP2C9 consensus"].str.strip()
    rows = []
    sources = {
        "site-reported diplotype": (table[["id"]].assign(
            CYP2C9=table["Cyp2C9 genotypes"].str.strip()), {"CYP2C9": "CYP2C9"}),
        "central QC *2 and *3 genotypes": (table[["id"]].assign(
            rs1799853=_qc_genotype(table["Genotyped QC Cyp2C9*2"], "*2", "C", "T"),
            rs1057910=_qc_genotype(table["Genotyped QC Cyp2C9*3"], "*3", "A", "C")),
            {"rs1799853": "rs1799853", "rs1057910": "rs1057910"}),
    }
    for name, (genotypes, columns) in sources.items():
        given = genotypes.drop(columns="id").ne("").all(axis=1) & consensus.ne("")
        kept = genotypes[given.to_numpy()]
        callset = callset_from_genotype_table(kept, columns, sample_column="id", source=name)
        calls = gene_calls(match_cohort(callset, "CYP2C9"))
        called = np.array([c.diplotype for c in calls])
        status = np.array([c.status for c in calls])
        truth = consensus[given.to_numpy()].to_numpy()
        rows.append({"source": name, "patients": len(kept),
                     "agree": int((called == truth).sum()),
                     "agreement_pct": round(100 * float((called == truth).mean()), 2),
                     "ambiguous": int((status == "ambiguous").sum()),
                     "disagreements": _examples(truth, called)})
    return rows


def _qc_genotype(column: pd.Series, star: str, ref: str, alt: str) -> pd.Series:
    """``*1/*2`` style QC genotype of one variant -> + strand ``C/T`` text ('' missing)."""
    mapping = {"*1/*1": f"{ref}/{ref}", f"*1/{star}": f"{ref}/{alt}",
               f"{star}/{star}": f"{alt}/{alt}"}
    return column.str.strip().map(mapping).fillna("")


def _examples(truth: np.ndarray, called: np.ndarray) -> str:
    pairs = pd.Series([f"{t}->{c}" for t, c in zip(truth, called, strict=True) if t != c])
    return ", ".join(f"{k} x{v}" for k, v in pairs.value_counts().head(4).items())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/benchmarks/cpic_validation.json")
    parser.add_argument("--data", default=None, help="shared data folder (default PGXDL_DATA)")
    args = parser.parse_args(argv)
    data = Path(args.data) if args.data else shared_data_dir()
    frequencies, timing = thousand_genomes(data)
    iwpc = iwpc_cyp2c9(data)
    report("IWPC CYP2C9: calls from genotypes vs consensus diplotype", iwpc,
           Path(args.out).with_name("cpic_validation_iwpc.json"))
    report("1000 Genomes phenotype frequencies (%) vs CPIC; matcher timing "
           + ", ".join(f"{g} {t['seconds']} s/{t['people']} people" for g, t in timing.items()),
           frequencies, args.out, {"timing": timing, "iwpc": iwpc,
                                   "cpic_reference": str(REFERENCE)})


if __name__ == "__main__":
    main()
