"""The CDS services this server offers: discovery entries, prefetch templates, drugs.

Four services, one hook each (CDS Hooks binds a service to one hook): warfarin and
antidepressants at ``order-select`` and at ``order-sign``. Every service reads the same
prefetch: the Patient, their Observations (weight, height, genotype results coded LOINC
84413-4, see :mod:`pgxdl.clinical.fhir_records`) and their MedicationRequests.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "observations": "Observation?patient={{context.patientId}}",
    "medications": "MedicationRequest?patient={{context.patientId}}",
}
#: Drugs the antidepressant services give CPIC advice for (pypgx recommendation table).
ANTIDEPRESSANTS = ("citalopram", "escitalopram", "sertraline", "amitriptyline",
                   "nortriptyline", "clomipramine", "doxepin", "imipramine", "trimipramine",
                   "desipramine", "paroxetine", "fluvoxamine")


@dataclass(frozen=True)
class Service:
    """One CDS service: ``id``, its ``hook``, what it is about and which drugs trigger it."""

    id: str
    hook: str
    title: str
    description: str
    drugs: tuple[str, ...]
    uses_model: bool

    def discovery(self) -> dict:
        return {"hook": self.hook, "id": self.id, "title": self.title,
                "description": self.description, "prefetch": PREFETCH}


def services(model_available: bool = True) -> dict[str, Service]:
    """The services by id (warfarin ones only when a dosing model is loaded)."""
    out = {}
    for hook in ("order-select", "order-sign"):
        if model_available:
            out[f"pgxdl-warfarin-{hook}"] = Service(
                f"pgxdl-warfarin-{hook}", hook, "Warfarin dose (pgxdl + CPIC)",
                "Predicted weekly warfarin dose with a 95% interval from the pgxdl model, "
                "the IWPC formula dose, CYP2C9/VKORC1 calls and the CPIC guideline.",
                ("warfarin",), True)
        out[f"pgxdl-antidepressant-{hook}"] = Service(
            f"pgxdl-antidepressant-{hook}", hook, "Antidepressant CPIC advice (pgxdl)",
            "CYP2C19/CYP2D6 diplotypes and phenotypes (pypgx) and the CPIC recommendation "
            "for the SSRI or tricyclic being ordered.", ANTIDEPRESSANTS, False)
    return out
