"""Synthetic new patients for tests, docs and the CDS Hooks examples (no real person).

:func:`write_synthetic_cohort` writes a self-contained warfarin-like cohort around the
real GRCh38 positions of VKORC1 rs9923231 and CYP2C9 ``*2``/``*3`` (so allele-table
genotypes and CPIC calls apply), with random flanking sequence:

- ``reference.fa``: one region-slice record per window (``chrom:start-end``), random bases
  with the true reference allele at each key variant;
- ``windows.yaml``: three 64-bp windows;
- ``calls.vcf``: unphased calls (``0/1``) at the key variants and two random SNVs;
- ``ehr.csv``: ``id, age, weight, height, sex, amiodarone, site, dose, sqrt_dose``
  (weekly warfarin dose from an IWPC-like formula plus noise);
- ``bundle.json``: a FHIR R4 Bundle of the first people (Patient, weight/height and
  genotype Observations: the key variants, and reported CYP2C19/CYP2D6 diplotypes;
  MedicationRequests for warfarin and amiodarone);
- ``config.yaml``: the ``vcf_ehr`` builder config over these files.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from pgxdl.genome.variants.alleles import default_allele_table
from pgxdl.io import atomic_write_text

KEY_VARIANTS = ("rs9923231", "rs1799853", "rs1057910")
#: Reported diplotypes of the antidepressant genes given to the FHIR patients.
DIPLOTYPES = {"CYP2C19": ("*1/*1", "*1/*2", "*2/*2", "*1/*17"),
              "CYP2D6": ("*1/*1", "*1/*4", "*4/*10", "*1/*2")}
#: ALT allele frequency of each key variant in the synthetic population.
ALT_FREQUENCY = {"rs9923231": 0.4, "rs1799853": 0.12, "rs1057910": 0.08}
#: Effect of each ALT copy on the square-root weekly dose (IWPC-like magnitudes).
SQRT_EFFECT = {"rs9923231": -0.85, "rs1799853": -0.5, "rs1057910": -0.9}
WINDOW_LENGTH = 64
AS_OF = "2026-01-01"


def write_synthetic_cohort(folder: str | Path, n: int = 80, seed: int = 0,
                           bundle_people: int = 3) -> dict[str, Path]:
    """Write the files of the module doc into ``folder``; returns their paths by name."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    alleles = default_allele_table()
    windows, fasta, extra_sites = _reference(alleles, rng)
    paths = {"reference": folder / "reference.fa", "windows": folder / "windows.yaml",
             "vcf": folder / "calls.vcf", "ehr": folder / "ehr.csv",
             "bundle": folder / "bundle.json", "config": folder / "config.yaml"}
    atomic_write_text(paths["reference"], fasta)
    atomic_write_text(paths["windows"], yaml.safe_dump({"windows": windows}, sort_keys=False))
    ids = [f"NEW{i:04d}" for i in range(n)]
    sites = [(alleles.variants[r].chrom, alleles.variants[r].pos, r, alleles.variants[r].ref,
              alleles.variants[r].alt, ALT_FREQUENCY[r]) for r in KEY_VARIANTS] + extra_sites
    dosage = np.stack([rng.binomial(2, f, n) for *_, f in sites], axis=1)  # (S, V)
    atomic_write_text(paths["vcf"], _vcf_text(sites, dosage, ids))
    ehr = _ehr(ids, dosage[:, :len(KEY_VARIANTS)], rng)
    atomic_write_text(paths["ehr"], ehr.to_csv(index=False))
    genotypes = {r: [_call_text(alleles.variants[r], d) for d in dosage[:, k]]
                 for k, r in enumerate(KEY_VARIANTS)}
    for gene, options in DIPLOTYPES.items():
        genotypes[gene] = list(rng.choice(options, n))
    bundle = fhir_bundle(ehr.head(bundle_people), {r: g[:bundle_people]
                                                   for r, g in genotypes.items()})
    atomic_write_text(paths["bundle"], json.dumps(bundle, indent=1))
    config = {"builder": "vcf_ehr", "reference": str(paths["reference"]),
              "reference_build": "GRCh38", "windows": str(paths["windows"]),
              "vcf": str(paths["vcf"]), "ehr": str(paths["ehr"]), "subject_column": "id",
              "features": FEATURES, "tasks": [{"name": "dose", "kind": "regression",
                                               "column": "dose", "units": "mg/week"}],
              "groups": ["site"], "drug": "warfarin",
              "split": {"val_fraction": 0.2, "test_fraction": 0.2, "kfold": 3}, "seed": seed}
    atomic_write_text(paths["config"], yaml.safe_dump(config, sort_keys=False))
    return paths


FEATURES = [{"name": "age", "kind": "numeric", "units": "years", "min": 18, "max": 100},
            {"name": "weight", "kind": "numeric", "units": "kg", "min": 30, "max": 250},
            {"name": "height", "kind": "numeric", "units": "cm", "min": 120, "max": 220},
            {"name": "sex", "kind": "binary"}, {"name": "amiodarone", "kind": "binary"},
            {"name": "site", "kind": "categorical", "categories": ["a", "b", "c"]}]


def _reference(alleles, rng: np.random.Generator):
    windows, records, extra = [], [], []
    for rsid in KEY_VARIANTS:
        variant = alleles.variants[rsid]
        start = variant.pos - WINDOW_LENGTH // 2
        end = start + WINDOW_LENGTH - 1
        bases = rng.choice(list("ACGT"), WINDOW_LENGTH)
        for other in alleles.variants.values():  # every allele-table variant inside
            if other.chrom == variant.chrom and start <= other.pos <= end - len(other.ref):
                bases[other.pos - start:other.pos - start + len(other.ref)] = list(other.ref)
        gene = variant.gene
        windows.append({"name": f"{gene}_{rsid}", "gene": gene, "chrom": variant.chrom,
                        "start": int(start), "end": int(end),
                        "strand": alleles.genes[gene].strand})
        records.append(f">{variant.chrom}:{start}-{end}\n{''.join(bases)}\n")
        if rsid != KEY_VARIANTS[0]:
            continue
        for offset in (10, 50):  # two random SNVs of the first window (no table variant)
            ref = str(bases[offset])
            alt = "ACGT"[("ACGT".index(ref) + 1) % 4]
            extra.append((variant.chrom, int(start + offset), ".", ref, alt, 0.3))
    return windows, "".join(records), extra


def _vcf_text(sites: list, dosage: np.ndarray, ids: list[str]) -> str:
    lines = ["##fileformat=VCFv4.2", "##reference=GRCh38",
             '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
             "##contig=<ID=chr10>", "##contig=<ID=chr16>",
             "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO",
                        "FORMAT", *ids])]
    order = sorted(range(len(sites)), key=lambda v: (sites[v][0], sites[v][1]))
    calls = {0: "0/0", 1: "0/1", 2: "1/1"}
    for v in order:
        chrom, pos, rsid, ref, alt, _ = sites[v]
        lines.append("\t".join([chrom, str(pos), rsid, ref, alt, ".", "PASS", ".", "GT",
                                *(calls[int(d)] for d in dosage[:, v])]))
    return "\n".join(lines) + "\n"


def _ehr(ids: list[str], key_dosage: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    n = len(ids)
    sex = (rng.random(n) < 0.5).astype(int)
    height = np.where(sex == 1, 176, 163) + rng.normal(0, 7, n)
    weight = np.clip(22 * (height / 100) ** 2 + rng.normal(3, 12, n), 40, 200)
    age = np.clip(rng.normal(62, 12, n), 20, 95)
    amiodarone = (rng.random(n) < 0.15).astype(int)
    effects = np.array([SQRT_EFFECT[r] for r in KEY_VARIANTS])
    sqrt_dose = (5.6 - 0.026 * age + 0.0087 * height + 0.0128 * weight - 0.55 * amiodarone
                 + key_dosage @ effects + rng.normal(0, 0.5, n))
    sqrt_dose = np.clip(sqrt_dose, 1.2, 10)
    return pd.DataFrame({"id": ids, "age": age.round(0), "weight": weight.round(1),
                         "height": height.round(1), "sex": sex, "amiodarone": amiodarone,
                         "site": rng.choice(["a", "b", "c"], n),
                         "dose": np.square(sqrt_dose).round(2), "sqrt_dose": sqrt_dose.round(4)})


def _call_text(variant, dosage: int) -> str:
    return "/".join([variant.ref] * (2 - int(dosage)) + [variant.alt] * int(dosage))


def fhir_bundle(ehr: pd.DataFrame, genotypes: dict[str, list[str]]) -> dict:
    """A FHIR R4 collection Bundle of ``ehr``'s people (see the module doc)."""
    entries = []
    as_of = dt.date.fromisoformat(AS_OF)
    for k, row in enumerate(ehr.itertuples(index=False)):
        pid = str(row.id)
        birth = dt.date(as_of.year - int(row.age) - 1, 7, 1)
        entries.append({"resourceType": "Patient", "id": pid, "birthDate": birth.isoformat(),
                        "gender": "male" if row.sex == 1 else "female"})
        for code, name, value, unit in (("29463-7", "Body weight", row.weight, "kg"),
                                        ("8302-2", "Body height", row.height, "cm")):
            entries.append(observation(pid, f"{pid}-{code}", code, name,
                                       {"valueQuantity": {"value": float(value), "unit": unit,
                                                          "system": "http://unitsofmeasure.org",
                                                          "code": unit}}))
        for name, calls in genotypes.items():
            entries.append(observation(pid, f"{pid}-{name}", "84413-4", "Genotype display name",
                                       {"valueString": f"{name} {calls[k]}"}))
        drugs = ["warfarin"] + (["amiodarone"] if row.amiodarone == 1 else [])
        for drug in drugs:
            entries.append(medication_request(pid, f"{pid}-{drug}", drug))
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"urn:uuid:{e['id']}", "resource": e} for e in entries]}


def observation(patient: str, oid: str, code: str, display: str, value: dict) -> dict:
    """A final FHIR Observation of ``patient`` coded with LOINC ``code``."""
    return {"resourceType": "Observation", "id": oid, "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": code,
                                 "display": display}]},
            "subject": {"reference": f"Patient/{patient}"},
            "effectiveDateTime": f"{AS_OF}T09:00:00Z", **value}


def medication_request(patient: str, rid: str, drug: str, status: str = "active") -> dict:
    """An order of ``drug`` for ``patient`` (medicationCodeableConcept text)."""
    return {"resourceType": "MedicationRequest", "id": rid, "status": status,
            "intent": "order", "medicationCodeableConcept": {"text": drug},
            "subject": {"reference": f"Patient/{patient}"}}


def hook_request(bundle: dict, patient: str, drug: str, hook: str = "order-select") -> dict:
    """A CDS Hooks 2.0 request for ``patient`` of ``bundle`` ordering ``drug``, with the
    prefetch of :data:`pgxdl.clinical.service.hooks.PREFETCH` filled from the bundle."""
    resources = [e["resource"] for e in bundle["entry"]]
    mine = [r for r in resources if (r.get("subject") or {}).get("reference")
            == f"Patient/{patient}"]

    def searchset(kind: str) -> dict:
        found = [r for r in mine if r["resourceType"] == kind]
        return {"resourceType": "Bundle", "type": "searchset", "total": len(found),
                "entry": [{"resource": r} for r in found]}

    order = medication_request(patient, f"draft-{drug}", drug, status="draft")
    return {"hook": hook, "hookInstance": f"00000000-0000-4000-8000-{len(patient):012d}",
            "context": {"userId": "Practitioner/example", "patientId": patient,
                        "draftOrders": {"resourceType": "Bundle", "type": "collection",
                                        "entry": [{"resource": order}]},
                        **({"selections": [f"MedicationRequest/draft-{drug}"]}
                           if hook == "order-select" else {})},
            "prefetch": {"patient": next(r for r in resources if r["resourceType"] == "Patient"
                                         and r["id"] == patient),
                         "observations": searchset("Observation"),
                         "medications": searchset("MedicationRequest")}}
