"""From a CDS Hooks request to cards: parse, check prefetch, predict, call, advise."""

from __future__ import annotations

import json

from pgxdl.clinical.cpic.guidelines import guideline
from pgxdl.clinical.ensemble import Ensemble
from pgxdl.clinical.fhir_records import read_fhir_bundle
from pgxdl.clinical.genotype_inputs import genotypes_from_table
from pgxdl.clinical.pharmacogenes import as_gene_calls, calls_for_people
from pgxdl.clinical.predict import run_ensemble
from pgxdl.clinical.records import from_fhir
from pgxdl.clinical.report.patient import patient_report
from pgxdl.clinical.service.cards import (
    antidepressant_card,
    card,
    missing_card,
    warfarin_card,
)
from pgxdl.clinical.service.hooks import PREFETCH, Service
from pgxdl.genome.reference.fasta import ReferenceGenome


class HookRequestError(ValueError):
    """A request that is not a CDS Hooks call (answered 400 with this reason)."""


def parse_request(body: bytes, service: Service) -> dict:
    """The request JSON, checked for ``hook``, ``hookInstance`` and ``context``."""
    try:
        request = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise HookRequestError(f"request body is not JSON: {error}") from None
    if not isinstance(request, dict):
        raise HookRequestError("request body must be a JSON object")
    for field in ("hook", "hookInstance", "context"):
        if field not in request:
            raise HookRequestError(f"request lacks {field!r}")
    if request["hook"] != service.hook:
        raise HookRequestError(f"service {service.id!r} answers hook {service.hook!r}, "
                               f"not {request['hook']!r}")
    if not isinstance(request["context"], dict):
        raise HookRequestError("context must be a JSON object")
    return request


def ordered_drug(request: dict, service: Service) -> str | None:
    """The first of ``service.drugs`` among the draft orders (``None``: not this service's)."""
    orders = request["context"].get("draftOrders") or {}
    for entry in orders.get("entry", []) if isinstance(orders, dict) else []:
        concept = (entry.get("resource") or {}).get("medicationCodeableConcept") or {}
        texts = [concept.get("text") or ""] + [c.get("display") or ""
                                               for c in concept.get("coding", [])]
        text = " ".join(texts).lower()
        drug = next((d for d in service.drugs if d in text), None)
        if drug:
            return drug
    return None


def _resources(prefetch: dict) -> list[dict]:
    resources = [prefetch["patient"]]
    for key in ("observations", "medications"):
        value = prefetch[key]
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            resources += [e["resource"] for e in value.get("entry", []) if "resource" in e]
        elif isinstance(value, list):
            resources += value
    return resources


def assess(request: dict, service: Service, ensemble: Ensemble | None,
           reference: ReferenceGenome | None, as_of: str | None = None) -> list[dict]:
    """The cards answering ``request`` for ``service`` (empty when no drug of it is ordered)."""
    drug = ordered_drug(request, service)
    if drug is None:
        return []
    prefetch = request.get("prefetch") or {}
    missing = [key for key in PREFETCH if not prefetch.get(key)]
    if missing:
        return [missing_card(missing, service.id)]
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": r} for r in _resources(prefetch)]}
    try:
        records = read_fhir_bundle(bundle, "prefetch", as_of)
    except ValueError as error:
        return [card("pgxdl cannot read the prefetch", str(error), "warning")]
    genotypes = records.genotypes
    ids = records.features["id"].tolist()
    has_genotypes = len(genotypes.columns) > 1
    calls = (calls_for_people(genotypes, ids) if has_genotypes else {}).get(ids[0], {})
    if not service.uses_model:
        return [antidepressant_card(drug, calls, guideline(drug, as_gene_calls(calls)))]
    patients = from_fhir(records, "prefetch")
    geno = (genotypes_from_table(genotypes, ids, ensemble.serving.windows, "prefetch")
            if ensemble.uses_genome and has_genotypes else None)
    if ensemble.uses_genome and geno is None:
        return [missing_card(["genotype Observations (LOINC 84413-4)"], service.id)]
    result = run_ensemble(ensemble, patients, geno, None, reference)
    task = next(t.name for t in ensemble.serving.spec.tasks if t.kind == "regression")
    row = result.table.iloc[0]
    report = patient_report(row, result.details.get(ids[0], {}), calls, drug,
                            ensemble.serving.spec, [], {"checkpoints": [
                                p.name for p in ensemble.paths], "members": len(ensemble.paths)})
    return [warfarin_card(report, task)]
