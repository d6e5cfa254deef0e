"""Cohort builders: each turns a config into a :class:`~pgxdl.data.cohort.Cohort`.

:data:`BUILDERS` maps a config's ``builder`` name to the import path of its function
``build(config: dict) -> Cohort``; :mod:`pgxdl.build` looks it up and writes the store.
"""

BUILDERS = {
    "simulated": "pgxdl.datasets.simulated:build",
    "vcf_ehr": "pgxdl.datasets.vcf_ehr:build",
    "iwpc": "pgxdl.datasets.iwpc:build",
}
