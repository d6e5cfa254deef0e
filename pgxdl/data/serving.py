"""What serving new people needs from the training data, kept in ``DataSpec.extra``.

A checkpoint must be enough to predict for a person who is in no store (``pgxdl predict``,
the CDS Hooks service). Besides the shapes, vocabularies and normalisation that
:meth:`pgxdl.data.store.CohortStore.spec` already keeps, that needs the declared tabular
schema (source columns, units, allowed ranges), the reference the windows were cut from,
whether genotypes were phased, and what the training subjects looked like, so a new
person outside it can be flagged: numeric ranges, category and group counts, and how many
training subjects carried each variant site. Everything here is aggregate (no subject
appears in it) and plain Python.
"""

from __future__ import annotations

import numpy as np

#: Key of the serving metadata in ``DataSpec.extra``.
SERVING_KEY = "serving"
#: Sites carried by fewer training subjects are not listed (a 1000 Genomes store has
#: thousands of rare ones); a new person's carried site that is not listed is rare or unseen.
COMMON_CARRIERS = 5


def serving_metadata(store, split: str) -> dict:
    """Aggregate facts about ``split``'s training subjects of an open ``CohortStore``.

    Returns
    -------
    dict with ``schema`` (the tabular schema config), ``reference`` (name, build),
    ``missing_policy``,
    ``haplotype_tracks`` (H), ``n_train`` (subjects), ``numeric_ranges`` ``{feature:
    [min, max]}``, ``category_counts`` ``{feature: {category: n}}``, ``group_counts``
    ``{key: {label: n}}`` and ``sites`` (columns ``chrom, pos, ids, ref, alt`` and
    ``train_carriers``, lists over the sites carried by at least :data:`COMMON_CARRIERS`
    training subjects).
    """
    train = store.training_subjects(split)
    attrs = store.attrs
    provenance = attrs["provenance"]
    schema = store.schema
    meta = {
        "schema": schema.to_config(),
        "reference": {"name": str(attrs.get("reference_name", "")),
                      "build": str(attrs.get("reference_build", ""))},
        "missing_policy": _missing_policy(provenance),
        "haplotype_tracks": int(store.h5["sequence/codes"].shape[2]) if store.has_sequence
        else 0,
        "n_train": int(train.sum()),
        "numeric_ranges": {}, "category_counts": {}, "group_counts": {}, "sites": {},
    }
    if store.has_tabular:
        numeric = store.h5["tabular/numeric"][:][train]
        for f, feature in enumerate(schema.numeric_features):
            column = numeric[:, f][~np.isnan(numeric[:, f])]
            meta["numeric_ranges"][feature.name] = ([float(column.min()), float(column.max())]
                                                    if len(column) else [])
        categorical = store.h5["tabular/categorical"][:][train]
        for f, feature in enumerate(schema.categorical_features):
            counts = np.bincount(categorical[:, f], minlength=len(feature.categories) + 1)
            meta["category_counts"][feature.name] = {
                category: int(counts[k + 1]) for k, category in enumerate(feature.categories)}
    for key in store.group_keys:
        labels, counts = np.unique(store.groups(key)[train], return_counts=True)
        meta["group_counts"][key] = {str(a): int(n) for a, n in zip(labels, counts, strict=True)}
    if store.has_sequence and "variants/sites" in store.h5:
        meta["sites"] = _site_carriers(store, train)
    return meta


def _missing_policy(provenance: dict) -> str:
    """How the builder wrote a missing call: ``reference`` (the default of
    :class:`~pgxdl.genome.personal.builder.PersonalWindowBuilder`) or ``N`` (a builder's
    ``missing_genotype`` setting, e.g. the IWPC builder's)."""
    return str((provenance.get("config") or {}).get("missing_genotype", "reference"))


def _site_carriers(store, train: np.ndarray) -> dict[str, list]:
    sites = store.variant_sites
    if not {"chrom", "pos", "ref", "alt"} <= set(sites):
        return {}  # a store whose sites carry no coordinates (hand-made test stores)
    carriers = store.variants()
    in_train = train[carriers["subject_index"]]
    counts = np.bincount(carriers["site_index"][in_train], minlength=len(sites["pos"]))
    common = counts >= COMMON_CARRIERS
    out = {key: np.asarray(sites[key])[common].tolist()
           for key in ("chrom", "pos", "ids", "ref", "alt") if key in sites}
    out["train_carriers"] = counts[common].astype(int).tolist()
    return out
