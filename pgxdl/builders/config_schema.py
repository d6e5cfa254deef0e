"""The keys each builder's config may hold, checked before any work starts.

A key no builder reads is an error suggesting the nearest known key (``phasedd`` ->
``phased``), so a typo never falls back silently to a default. Nested settings (``split``,
``outcome``, each entry of ``features``, ``tasks`` and an inline ``windows`` list) are
checked the same way; a choice-valued key must hold one of its choices.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from pgxdl.genome.personal.builder import INDEL_POLICIES, MISSING_POLICIES
from pgxdl.genome.reference.builds import canonical_build

#: Keys of ``split`` (a mapping; or ``none`` for a cohort built only to predict).
SPLIT_KEYS = {"val_fraction", "test_fraction", "kfold", "group_by"}
#: Builders that take ``split: none``.
PREDICT_ONLY = {"vcf_ehr"}
FEATURE_KEYS = {"name", "kind", "column", "units", "source_units", "units_column", "min", "max",
                "categories", "unknown"}
TASK_KEYS = {"name", "kind", "column", "units", "classes"}
WINDOW_KEYS = {"name", "gene", "chrom", "start", "end", "center", "length", "strand"}
OUTCOME_KEYS = {"n_additive", "interaction", "h_additive", "h_interaction", "clinical",
                "dose_mean", "dose_sd"}
#: What a window that no VCF record overlaps becomes.
UNCOVERED_POLICIES = ("error", "reference", "N")
EXTRA_SAMPLE_POLICIES = ("report", "error")

_NESTED = {"split": SPLIT_KEYS, "outcome": OUTCOME_KEYS}
#: key -> (types, lowest, highest): the value must be of a type and inside the range.
_VALUES = {"ref_mismatch_tolerance": ((int, float), 0, 1), "min_ref_match": ((int, float), 0, 1),
           "split.val_fraction": ((int, float), 0, 1), "split.test_fraction": ((int, float), 0, 1),
           "split.kfold": ((int,), 0, None), "seed": ((int,), 0, None),
           "phased": ((bool,), None, None), "oriented": ((bool,), None, None),
           "strip_ids": ((bool,), None, None)}
_LISTS = {"features": FEATURE_KEYS, "tasks": TASK_KEYS, "windows": WINDOW_KEYS}
_CHOICES = {"indel_policy": INDEL_POLICIES, "missing_policy": MISSING_POLICIES,
            "extra_vcf_samples": EXTRA_SAMPLE_POLICIES, "missing_genotype": MISSING_POLICIES,
            "background": ("random", "1kgp"),
            "features.kind": ("numeric", "binary", "categorical"),
            "features.unknown": ("error", "missing"),
            "tasks.kind": ("regression", "binary", "multiclass")}

#: builder -> (required keys, optional keys).
SCHEMAS: dict[str, tuple[set[str], set[str]]] = {
    "vcf_ehr": ({"reference", "windows", "vcf", "ehr", "subject_column", "features", "tasks"},
                {"reference_build", "phased", "groups", "split", "seed", "drug",
                 "ref_mismatch_tolerance", "indel_policy", "missing_policy", "oriented",
                 "uncovered_windows", "extra_vcf_samples", "strip_ids", "min_ref_match"}),
    "simulated": (set(), {"seed", "n_subjects", "background", "n_windows", "window_length",
                          "sites_per_window", "populations", "fst", "n_sites", "outcome",
                          "split", "windows", "reference", "data_dir"}),
    "iwpc": ({"windows"}, {"table", "reference", "reference_build", "require", "impute_vkorc1",
                           "missing_genotype", "feature_set", "genotypes_in_tabular", "target",
                           "split", "protocol_seeds", "seed"}),
}


def validate_config(builder: str, settings: Mapping, source: str = "data config") -> None:
    """Raise ``ValueError`` on an unknown, missing or ill-typed key of ``settings``.

    Parameters
    ----------
    builder : a name of :data:`SCHEMAS` (other builders are not checked).
    settings : the config without ``builder`` and ``out``.
    source : the config file, named in messages.
    """
    if builder not in SCHEMAS:
        return
    required, optional = SCHEMAS[builder]
    _unknown(settings, required | optional, f"{source}: builder {builder!r}")
    missing = sorted(required - set(settings))
    if missing:
        raise ValueError(f"{source}: {builder} config lacks {missing}; see "
                         f"configs/data/*.yaml for an example")
    for key, known in _NESTED.items():
        value = settings.get(key)
        if key == "split" and value in ("none", False):
            if builder not in PREDICT_ONLY:
                raise ValueError(f"{source}: split: none (no split, a cohort built only to "
                                 f"predict) is for {sorted(PREDICT_ONLY)}; the {builder} "
                                 f"builder needs a mapping of {sorted(SPLIT_KEYS)}")
            continue
        if value is None:
            continue
        if not isinstance(value, Mapping):
            raise ValueError(f"{source}: {key!r} must be a mapping of {sorted(known)}, got "
                             f"{value!r}")
        _unknown(value, known, f"{source}: {key}")
    for key, known in _LISTS.items():
        value = settings.get(key)
        if value is None or (key == "windows" and isinstance(value, str)):
            continue
        if not isinstance(value, list):
            raise ValueError(f"{source}: {key!r} must be a list of mappings, got "
                             f"{type(value).__name__}")
        for i, entry in enumerate(value):
            where = f"{source}: {key}[{i}]"
            if not isinstance(entry, Mapping):
                raise ValueError(f"{where} must be a mapping with keys from {sorted(known)}")
            _unknown(entry, known, where)
            if key != "windows" and "name" not in entry:
                raise ValueError(f"{where} lacks 'name'")
            for field, choices in _CHOICES.items():
                head, _, sub = field.partition(".")
                if head == key and sub in entry:
                    _choice(entry[sub], choices, f"{where}.{sub}")
    for field, choices in _CHOICES.items():
        if "." not in field and field in settings:
            _choice(settings[field], choices, f"{source}: {field}")
    for field, (types, low, high) in _VALUES.items():
        head, _, sub = field.partition(".")
        holder = settings.get(head) if sub else settings
        key = sub or head
        if isinstance(holder, Mapping) and key in holder:
            _value(holder[key], types, low, high, f"{source}: {field}")
    build = settings.get("reference_build")
    if build is not None and canonical_build(str(build)) is None:
        raise ValueError(f"{source}: reference_build {build!r} is not a known genome build; use "
                         f"GRCh37 or GRCh38 (or an alias: hg19, hg38, b37, ...)")
    if "tasks" in settings and not settings["tasks"]:
        raise ValueError(f"{source}: 'tasks' is empty; declare at least one task (name, kind, "
                         f"column)")


def nearest(word, known) -> str | None:
    """The known word closest to ``word`` (case-insensitive, difflib), or ``None``."""
    lower = {str(k).lower(): k for k in known}
    close = difflib.get_close_matches(str(word).lower(), sorted(lower), n=1, cutoff=0.6)
    return str(lower[close[0]]) if close else None


def _unknown(mapping: Mapping, known: set[str], where: str) -> None:
    for key in mapping:
        if key in known:
            continue
        close = nearest(key, known)
        hint = f"did you mean {close!r}? " if close else ""
        raise ValueError(f"{where}: unknown key {key!r}; {hint}known keys: {sorted(known)}")


def _value(value, types: tuple, low, high, where: str) -> None:
    ok = isinstance(value, types) and (bool not in types) == (not isinstance(value, bool))
    if not ok or (low is not None and value < low) or (high is not None and value > high):
        kind = {bool: "boolean (true or false)", int: "whole number"}.get(types[-1], "number")
        span = f" from {low} to {high}" if high is not None else (
            f" >= {low}" if low is not None else "")
        raise ValueError(f"{where}: {value!r} is not a {kind}{span}")


def _choice(value, choices: tuple, where: str) -> None:
    if value not in choices:
        close = nearest(value, choices)
        hint = f" (did you mean {close!r}?)" if close else ""
        raise ValueError(f"{where}: {value!r} is not one of {list(choices)}{hint}")
