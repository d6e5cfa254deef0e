"""``pgxdl predict``: doses and risks for new people from checkpoints alone.

:func:`predict_people` reads a record file and/or a genotype file, builds each person's
model inputs from the checkpoint's :class:`~pgxdl.data.spec.DataSpec` (no store, no split,
no data config), runs the ensemble and returns one row per person, keyed by the user's
own ID, with each task in its own units and, where the model has one, a 95% interval. A
person who cannot be predicted gets ``status = failed`` and the reason. IDs are never
logged: the log says how many people were read and failed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from cyvcf2 import VCF

from pgxdl.clinical.ensemble import Ensemble
from pgxdl.clinical.genotype_inputs import (
    GenotypeCalls,
    genotypes_from_table,
    is_vcf,
    read_genotypes,
)
from pgxdl.clinical.input_warnings import GenotypeChecker, disagreement_warnings, record_warnings
from pgxdl.clinical.model_inputs import encode_records, genome_codes, serving_schema
from pgxdl.clinical.records import PatientRecords, from_table, read_records
from pgxdl.clinical.task_units import output_scale
from pgxdl.genome.reference.fasta import ReferenceGenome

logger = logging.getLogger(__name__)


@dataclass
class Predictions:
    """The result of :func:`predict_people`.

    ``table``: one row per person (columns in :func:`prediction_rows`). ``details``: per ID,
    ``warnings`` (list of dicts), ``genotypes`` (rsID/site -> call text), ``record`` (raw
    record values), ``features`` (model features in canonical units / category names) and
    ``members`` (per task, member predictions in units), for reports. ``inputs``: the
    model inputs of the predicted people (``ids``, ``numeric``, ``categorical``,
    ``callset``, ``drug``, ``reference``, and from :func:`predict_people` the ``ensemble`` and
    the ``genotype_table`` the records carried), for explanations and reports.
    """

    table: pd.DataFrame
    details: dict[str, dict] = field(default_factory=dict)
    inputs: dict = field(default_factory=dict)

    @property
    def n_failed(self) -> int:
        return int((self.table["status"] != "ok").sum())


def predict_people(checkpoints: list[str | Path] | Ensemble, records: str | Path | None = None,
                   genotypes: str | Path | None = None, reference: str | Path | None = None,
                   id_column: str = "id", drug: str | None = None,
                   as_of: str | None = None) -> Predictions:
    """Predict every person of ``records`` (or of ``genotypes`` when there is no record).

    Parameters
    ----------
    checkpoints : checkpoint paths (averaged as an ensemble) or a loaded :class:`Ensemble`.
    records : CSV/TSV/Parquet with ``id_column``, or a FHIR R4 Bundle ``.json``.
    genotypes : VCF/BCF, or a table of rsID/gene columns with ``id_column``. Without it, the
        genotype columns (or FHIR genotype observations) of ``records`` are used.
    reference : FASTA the windows are cut from (default: the training reference path).
    drug : drug name of a multi-drug model (its ``extra["drugs"]``).
    as_of : ISO date at which FHIR ages are computed.
    """
    ensemble = checkpoints if isinstance(checkpoints, Ensemble) else Ensemble.load(checkpoints)
    if records is None and genotypes is None:
        raise ValueError("nothing to predict: pass a record file, a genotype file or both")
    patients = read_records(records, id_column, as_of) if records is not None else None
    genome = _reference(ensemble.serving, reference) if ensemble.uses_genome else None
    calls = _genotype_calls(ensemble, patients, genotypes, genome, id_column)
    if patients is None:
        people = calls.callset.samples if calls else _genotype_ids(genotypes, id_column)
        patients = from_table(pd.DataFrame({"id": people}), "id", str(genotypes))
    result = run_ensemble(ensemble, patients, calls, drug, genome)
    result.inputs["ensemble"] = ensemble
    if genotypes is None and patients is not None:
        result.inputs["genotype_table"] = (patients.genotypes if not patients.genotypes.empty
                                           else patients.table)
    return result


def run_ensemble(ensemble: Ensemble, patients: PatientRecords, calls: GenotypeCalls | None,
                 drug: str | None = None, reference: ReferenceGenome | None = None
                 ) -> Predictions:
    """Predict ``patients`` whose genotypes are ``calls`` (``None``: a tabular model)."""
    serving = ensemble.serving
    tabular = encode_records(patients, serving)
    failed = {**tabular.failed, **(calls.failed if calls else {})}
    if calls is not None and serving.spec.channels == 8:
        failed.update(unphased_people(calls.callset))
    ids = patients.ids
    ok = [i for i in ids if i not in failed]
    row_of = {person: r for r, person in enumerate(tabular.ids)}
    rows = np.array([row_of[i] for i in ok], dtype=np.int64)
    numeric, categorical = tabular.numeric[rows], tabular.categorical[rows]
    callset = calls.callset.subset_samples(ok) if calls else None
    if callset is not None and reference is None:
        reference = _reference(serving, None)
    combined = {}
    if ok:
        codes = None
        if callset is not None:
            codes = genome_codes(callset, serving, reference)
        drugs = np.full(len(ok), drug_index(serving.spec.extra.get("drugs", []), drug))
        combined = ensemble.combine(ensemble.member_outputs(codes, numeric, categorical, drugs))
    schema = serving_schema(serving, patients.features_canonical)
    checker = GenotypeChecker(serving) if callset is not None else None
    details = {}
    for k, person in enumerate(ok):
        raw = tabular.raw.iloc[row_of[person]]
        found = record_warnings(raw, numeric[k], schema, serving, tabular.unseen.get(person, []))
        if checker is not None:
            found += checker.warnings(callset, k)
        found += disagreement_warnings(combined, k)
        details[person] = {"warnings": found, "record": raw.drop("id").to_dict(),
                           "features": _feature_values(serving, numeric[k], categorical[k]),
                           "genotypes": _genotype_text(callset, k) if callset else {},
                           "members": {t: r["members"][:, k].tolist()
                                       for t, r in combined.items() if "members" in r}}
    table = prediction_rows(ids, ok, failed, combined, details, patients.table, ensemble)
    logger.info("predicted %d of %d people (%d failed)", len(ok), len(ids), len(failed))
    inputs = {"ids": ok, "numeric": numeric, "categorical": categorical, "callset": callset,
              "drug": drug_index(serving.spec.extra.get("drugs", []), drug),
              "reference": reference}
    return Predictions(table, details, inputs)


def _feature_values(serving, numeric: np.ndarray, categorical: np.ndarray) -> dict:
    """Model features of one person: canonical numbers, category names (None = missing)."""
    vocabularies = serving.spec.extra.get("vocabularies", {})
    out = {name: (None if np.isnan(v) else float(v))
           for name, v in zip(serving.spec.numeric_features, numeric, strict=True)}
    for name, code in zip(serving.spec.categorical_features, categorical, strict=True):
        out[name] = vocabularies.get(name, [])[code - 1] if code > 0 else None
    return out


def prediction_rows(ids: list[str], ok: list[str], failed: dict[str, str], combined: dict,
                    details: dict, record: pd.DataFrame, ensemble: Ensemble) -> pd.DataFrame:
    """The output table: ``id, status, reason``, per task ``<task>.pred`` (``.std``,
    ``.low``, ``.high``, ``.units``, ``.ensemble_sd``; binary ``.prob``; multiclass
    ``.prob.<k>``), ``<task>.observed`` when the record has the outcome column (read on
    the stored scale, as a builder reads it, and reported in the task's units),
    ``n_warnings`` and ``warnings``."""
    position = {person: k for k, person in enumerate(ok)}
    columns: dict[str, list] = {"id": ids, "status": [], "reason": []}
    for person in ids:
        columns["status"].append("ok" if person in position else "failed")
        columns["reason"].append(failed.get(person, ""))
    index = np.array([position.get(p, -1) for p in ids])
    by_id = record.set_index("id")
    for task in ensemble.serving.spec.tasks:
        scale, shown = output_scale(task), task.name
        result = combined.get(task.name, {})
        for key, value in result.items():
            if key == "members":
                continue
            if key == "units":
                columns[f"{shown}.units"] = [value] * len(ids)
            elif key == "probs":
                for c in range(value.shape[1]):
                    columns[f"{shown}.prob.{c}"] = _spread(value[:, c], index)
            else:
                columns[f"{shown}.{key}"] = _spread(value, index)
        if shown in by_id.columns:
            observed = by_id[shown].reindex(ids)  # as the store builder read it
            if task.kind == "regression":
                observed = scale.to_units(pd.to_numeric(observed, errors="coerce").to_numpy())
            columns[f"{shown}.observed"] = list(observed)
    notes = [details.get(p, {}).get("warnings", []) for p in ids]
    columns["n_warnings"] = [len(n) for n in notes]
    columns["warnings"] = ["; ".join(w["message"] for w in n) for n in notes]
    return pd.DataFrame(columns)


def unphased_people(callset) -> dict[str, str]:
    """People with an unphased heterozygous call, which a model reading two phased
    haplotype tracks cannot take (ID -> reason)."""
    het = (callset.genotypes[..., 0] != callset.genotypes[..., 1]) & (
        callset.genotypes >= 0).all(axis=2)
    unphased = het & ~callset.phased  # (S, V)
    return {person: f"unphased heterozygous call at {callset.chrom[v]}:{callset.pos[v]}; "
                    f"this model reads phased haplotypes (give 0|1 calls)"
            for person, row in zip(callset.samples, unphased, strict=True)
            if row.any() for v in [int(np.flatnonzero(row)[0])]}


def _spread(values: np.ndarray, index: np.ndarray) -> list:
    return [values[i].item() if i >= 0 else np.nan for i in index]


def drug_index(drugs: list[str], drug: str | None) -> int:
    """Index of ``drug`` in the model's drug table (the only one when ``None``)."""
    if drug is None:
        if len(drugs) > 1:
            raise ValueError(f"this model covers {len(drugs)} drugs; choose one with --drug "
                             f"(one of {drugs})")
        return 0
    lookup = {d.lower(): i for i, d in enumerate(drugs)}
    if drug.lower() not in lookup:
        raise ValueError(f"drug {drug!r} is not one of the model's drugs {drugs}")
    return lookup[drug.lower()]


def _reference(serving, given) -> ReferenceGenome:
    return ReferenceGenome(serving.reference_path(given),
                           build=serving.reference.get("build") or None)


def _genotype_calls(ensemble: Ensemble, patients: PatientRecords | None,
                    genotypes: str | Path | None, genome: ReferenceGenome | None,
                    id_column: str) -> GenotypeCalls | None:
    serving = ensemble.serving
    if genome is None:
        return None
    ids = patients.ids if patients is not None else None
    if genotypes is not None:
        if ids is None:
            ids = _genotype_ids(genotypes, id_column)
        return read_genotypes(genotypes, ids, serving.windows, genome, id_column)
    carried = patients.genotypes if not patients.genotypes.empty else patients.table
    try:
        return genotypes_from_table(carried, ids, serving.windows, patients.source)
    except ValueError as error:
        raise ValueError(f"{error}; or pass a genotype file (--genotypes)") from None


def _genotype_ids(path: str | Path, id_column: str) -> list[str]:
    if is_vcf(path):
        if not Path(path).is_file():
            raise FileNotFoundError(f"genotype file {path} not found")
        reader = VCF(str(path), lazy=True)
        try:
            return list(reader.samples)
        finally:
            reader.close()
    suffix = Path(path).suffix
    table = (pd.read_parquet(path) if suffix == ".parquet" else
             pd.read_csv(path, sep="\t" if suffix in (".tsv", ".txt") else ",", dtype=str))
    return from_table(table, id_column, str(path)).ids


def _genotype_text(callset, person: int) -> dict[str, str]:
    """Call text per site (``A/G``; ``./.`` for no call) of one person."""
    out = {}
    for v in range(callset.n_variants):
        alleles = [callset.ref[v], callset.alt[v]]
        call = callset.genotypes[person, v]
        sep = "|" if callset.phased[person, v] else "/"
        name = callset.ids[v] if callset.ids[v] not in ("", ".") else \
            f"{callset.chrom[v]}:{callset.pos[v]}"
        out[name] = sep.join("." if a < 0 else alleles[a] for a in call)
    return out

