"""FHIR R4 Bundles (Patient, Observation, MedicationRequest) -> one feature row per patient.

Parsed and validated with ``fhir.resources`` (its R4B models, which read R4 Patient,
Observation and MedicationRequest unchanged). What becomes which feature, in the canonical
units of pgxdl's schemas:

==========================  ==========================================================
``Patient.birthDate``       ``age`` (years at ``as_of``) and ``age_decade`` (``age // 10``)
``Patient.gender``          ``gender`` (``male``/``female``) and ``sex`` (``1`` male, ``0`` female)
US Core race extension      ``race`` (OMB category display, IWPC spelling)
Observation LOINC 29463-7   ``weight`` and ``weight_kg`` (kg; ``lb``/``g`` converted)
Observation LOINC 8302-2    ``height`` and ``height_cm`` (cm; ``in``/``m`` converted)
Observation LOINC 72166-2   ``smoker`` (1 unless the answer says never/former smoker)
Observation LOINC 34714-6   ``target_inr`` (INR goal)
Observation LOINC 84413-4   a genotype: ``valueString``/``valueCodeableConcept.text`` of
                            the form ``CYP2C9 *1/*3`` (a diplotype) or
                            ``rs9923231 C/T`` (+ strand alleles of an rsID)
MedicationRequest           ``status`` active/draft/on-hold: the drug is taken; a binary
                            feature named after the drug (``amiodarone``) or a class of
                            them (``enzyme_inducer``) is 1, else 0
==========================  ==========================================================

The latest Observation (by ``effectiveDateTime``) of each code wins. Resources of other
types are ignored; a resource that breaks FHIR raises ``ValueError`` naming the entry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from pydantic import ValidationError

from pgxdl.data.tabular import UNIT_FACTORS
from pgxdl.iwpc.features import ENZYME_INDUCERS

LOINC = "http://loinc.org"
GENOTYPE_CODE = "84413-4"
#: LOINC code -> (feature names, canonical unit) of numeric observations.
QUANTITIES = {"29463-7": (("weight", "weight_kg"), "kg"),
              "8302-2": (("height", "height_cm"), "cm"),
              "34714-6": (("target_inr",), "")}
SMOKING_CODE = "72166-2"
_UCUM = {"kg": "kg", "[lb_av]": "lb", "lb": "lb", "lbs": "lb", "g": "g", "cm": "cm",
         "[in_i]": "in", "in": "in", "m": "m", "mm": "mm"}
_ACTIVE = {"active", "draft", "on-hold"}
_RACE_URL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
_RACES = {"white": "White", "asian": "Asian", "black or african american":
          "Black or African American"}
#: Binary features set from orders: feature -> drugs (lower case) that make it 1.
DRUG_FEATURES = {"amiodarone": ("amiodarone",), "enzyme_inducer": ENZYME_INDUCERS}


@dataclass
class FhirRecords:
    """A Bundle as tables: ``features`` (``id`` + canonical features), ``genotypes``
    (``id`` + one column per gene or rsID) and the drugs ordered per patient."""

    features: pd.DataFrame
    genotypes: pd.DataFrame
    orders: dict[str, list[str]] = field(default_factory=dict)


def read_fhir_bundle(bundle: dict, source: str = "bundle", as_of: str | None = None
                     ) -> FhirRecords:
    """Parse a FHIR R4 Bundle (a dict) into :class:`FhirRecords` (see the module doc)."""
    from fhir.resources.R4B.bundle import Bundle

    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise ValueError(f"{source}: not a FHIR Bundle (resourceType "
                         f"{bundle.get('resourceType') if isinstance(bundle, dict) else None!r})")
    try:
        parsed = Bundle.model_validate(bundle)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ValueError(f"{source}: invalid FHIR Bundle at {where}: {first.get('msg')}") from None
    return resources_to_records([e.resource for e in parsed.entry or [] if e.resource],
                                source, as_of)


def resources_to_records(resources: list, source: str, as_of: str | None = None
                         ) -> FhirRecords:
    """Parsed FHIR resources (Patient, Observation, MedicationRequest) -> records."""
    today = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    rows: dict[str, dict] = {}
    genotypes: dict[str, dict] = {}
    orders: dict[str, list[str]] = {}
    latest: dict[tuple[str, str], str] = {}
    patients = [r for r in resources if r.get_resource_type() == "Patient"]
    if not patients:
        raise ValueError(f"{source}: no Patient resource; the Bundle needs one per person")
    for patient in patients:
        rows[patient.id] = _patient_features(patient, today, source)
        genotypes[patient.id] = {}
        orders[patient.id] = []
    for index, resource in enumerate(resources):
        kind = resource.get_resource_type()
        if kind not in ("Observation", "MedicationRequest"):
            continue
        subject = _subject_id(resource, rows, f"{source}: entry {index} ({kind})")
        if kind == "MedicationRequest":
            if resource.status in _ACTIVE:
                orders[subject].append(_medication_name(resource))
            continue
        code = _loinc(resource)
        when = str(resource.effectiveDateTime or "")
        if code == GENOTYPE_CODE:
            key, call = _genotype(resource, f"{source}: entry {index}")
            genotypes[subject][key] = call
        elif code in QUANTITIES or code == SMOKING_CODE:
            if latest.get((subject, code), "") > when:
                continue
            latest[(subject, code)] = when
            rows[subject].update(_observation_features(resource, code,
                                                       f"{source}: entry {index}"))
    for subject, drugs in orders.items():
        for feature, names in DRUG_FEATURES.items():
            rows[subject][feature] = _flag(any(d in names for d in drugs))
    features = pd.DataFrame([{"id": s, **v} for s, v in rows.items()])
    table = pd.DataFrame([{"id": s, **v} for s, v in genotypes.items()])
    return FhirRecords(features, table, orders)


def _patient_features(patient, today: dt.date, source: str) -> dict:
    row: dict = {}
    if patient.birthDate:
        birth = patient.birthDate
        age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
        row["age"], row["age_decade"] = float(age), float(age // 10)
    if patient.gender in ("male", "female"):
        row["gender"], row["sex"] = patient.gender, _flag(patient.gender == "male")
    for extension in patient.extension or []:
        if extension.url != _RACE_URL:
            continue
        for part in extension.extension or []:
            if part.url == "ombCategory" and part.valueCoding is not None:
                row["race"] = _RACES.get(str(part.valueCoding.display).lower(), "Unknown")
    return row


def _flag(value: bool) -> str:
    """A binary feature as text (``"1"``/``"0"``): binary and numeric schemas both read it."""
    return "1" if value else "0"


def _subject_id(resource, patients: dict, where: str) -> str:
    reference = resource.subject.reference if resource.subject else None
    subject = str(reference or "").removeprefix("Patient/")
    if subject not in patients:
        raise ValueError(f"{where}: subject {'reference' if reference else 'missing'} does "
                         f"not name a Patient of the Bundle (use subject.reference "
                         f"'Patient/<id>')")
    return subject


def _loinc(observation) -> str | None:
    for coding in observation.code.coding or []:
        if coding.system == LOINC:
            return coding.code
    return None


def _medication_name(request) -> str:
    concept = request.medicationCodeableConcept
    if concept is None:
        return ""
    text = concept.text or next((c.display for c in concept.coding or [] if c.display), "")
    return str(text).strip().lower()


def _observation_features(observation, code: str, where: str) -> dict:
    if code == SMOKING_CODE:
        concept = observation.valueCodeableConcept
        text = str(concept.text or next((c.display for c in concept.coding or []), "")
                   if concept else "").lower()
        return {"smoker": _flag(bool(text) and "never" not in text and "former" not in text)}
    names, canonical = QUANTITIES[code]
    quantity = observation.valueQuantity
    if quantity is None or quantity.value is None:
        raise ValueError(f"{where}: Observation {code} has no valueQuantity.value")
    unit = _UCUM.get(str(quantity.code or quantity.unit or canonical), str(quantity.unit))
    factor = 1.0 if not canonical or unit == canonical else UNIT_FACTORS.get((unit, canonical))
    if factor is None:
        raise ValueError(f"{where}: Observation {code} unit {unit!r} cannot be converted to "
                         f"{canonical!r}")
    return {name: float(quantity.value) * factor for name in names}


def _genotype(observation, where: str) -> tuple[str, str]:
    text = observation.valueString or (observation.valueCodeableConcept.text
                                       if observation.valueCodeableConcept else None)
    parts = str(text or "").split()
    if len(parts) != 2:
        raise ValueError(f"{where}: genotype Observation {GENOTYPE_CODE} value {text!r} is "
                         f"not 'GENE *a/*b' or 'rsID A/B'")
    return parts[0], parts[1]
