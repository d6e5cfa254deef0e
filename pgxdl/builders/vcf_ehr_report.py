"""The vcf_ehr build report, and the policy for windows no VCF record overlaps.

The report holds counts only (never sample names): it is stored in the store's provenance
(``build_report``) and its ``summary`` lines are printed by ``pgxdl build``.
"""

from __future__ import annotations

from collections.abc import Mapping

from pgxdl.builders.config_schema import UNCOVERED_POLICIES, nearest
from pgxdl.genome.errors import GenomeInputError
from pgxdl.genome.personal.builder import BuildReport
from pgxdl.genome.reference.windows import WindowSpec
from pgxdl.genome.variants.vcf_report import VcfReadReport


def uncovered_policies(setting: str | Mapping, windows: list[WindowSpec],
                       vcf_report: VcfReadReport, vcf: str) -> dict[str, str]:
    """The policy of each window no record overlaps: ``reference`` or ``N``.

    Parameters
    ----------
    setting : one policy for every window (``error``, ``reference``, ``N``), or a mapping
        of window names (and ``default``) to policies.

    Raises
    ------
    GenomeInputError listing the uncovered windows whose policy is ``error`` (the default);
    ValueError for an unknown policy or window name.
    """
    by_name = dict(setting) if isinstance(setting, Mapping) else {"default": setting}
    names = [w.name for w in windows]
    for key, policy in by_name.items():
        if key != "default" and key not in names:
            close = nearest(key, names)
            hint = f" (did you mean {close!r}?)" if close else ""
            raise ValueError(f"uncovered_windows: {key!r} is not a window name{hint}")
        if policy not in UNCOVERED_POLICIES:
            raise ValueError(f"uncovered_windows.{key}: {policy!r} is not one of "
                             f"{list(UNCOVERED_POLICIES)}")
    default = by_name.get("default", "error")
    policies = {name: by_name.get(name, default) for name in vcf_report.uncovered_windows}
    failing = [w for w in windows if policies.get(w.name) == "error"]
    if failing:
        listing = ", ".join(f"{w.name} ({w.region})" for w in failing[:8])
        raise GenomeInputError(
            f"{vcf}: no record overlaps {len(failing)} of {len(windows)} windows: {listing}. "
            f"A VCF that cannot speak for a window would read as homozygous reference there. "
            f"Use a VCF that covers them (all sites or gVCF), remove those windows, or set "
            f"uncovered_windows: reference (keep the reference) or N (unknown), for all "
            f"windows or per window ({{default: error, <window>: N}})")
    return policies


def build_report(n_subjects: int, vcf: VcfReadReport, personal: BuildReport,
                 uncovered: dict[str, str], split_notes: list[str]) -> dict:
    """The report of a vcf_ehr build: a JSON-ready dict with a ``summary`` list of lines."""
    n_extra = vcf.n_file_samples - n_subjects
    ref_check = vcf.ref_check
    summary = [
        f"subjects: {n_subjects} (EHR rows matched to VCF samples); VCF samples without an "
        f"EHR row, not used: {n_extra}",
        f"VCF records read: {vcf.n_records}; inside windows: {vcf.n_in_windows}; "
        f"biallelic rows kept: {vcf.n_rows} ({vcf.n_multiallelic} multi-allelic records "
        f"split); FILTER not PASS, used all the same: {vcf.n_not_pass} (filter the VCF "
        f"first to leave them out)",
        f"dropped: {vcf.n_alts_without_sequence} ALT alleles without sequence (symbolic, *, "
        f"breakend); {vcf.n_reference_only} reference-only records (no ALT)",
        f"variant sites in windows: {personal.n_sites}; substitutions applied: "
        f"{personal.n_substitution_sites}; indels not applied (indel_policy="
        f"{personal.indel_policy}): {personal.n_indel_sites}; REF unlike the reference, "
        f"not applied: {personal.n_ref_mismatch_sites}",
        f"missing calls at variant sites: {personal.n_missing_calls} (missing_policy="
        f"{personal.missing_policy}: written as "
        f"{'N' if personal.missing_policy == 'N' else 'the reference'})",
    ]
    if ref_check is not None:
        summary.append(f"REF alleles checked against the reference: {ref_check.n_checked}, "
                       f"matching: {ref_check.n_match}")
    if uncovered:
        summary.append("windows without any VCF record: " + ", ".join(
            f"{name} -> {policy}" for name, policy in uncovered.items()))
    summary += split_notes
    return {"summary": summary, "vcf": vcf.to_dict(), "sites": personal.__dict__,
            "vcf_samples_not_in_ehr": n_extra, "uncovered_windows": uncovered,
            "split_notes": split_notes}
