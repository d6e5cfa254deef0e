"""Cohort builders: each turns a config into a :class:`~pgxdl.data.cohort.Cohort`.

:data:`BUILDERS` maps a config's ``builder`` name to the import path of its function
``build(config: dict) -> Cohort``; :mod:`pgxdl.builders.store_build` looks it up
and writes the store.
"""

BUILDERS = {
    "simulated": "pgxdl.builders.simulated:build",
    "vcf_ehr": "pgxdl.builders.vcf_ehr:build",
    "iwpc": "pgxdl.builders.iwpc:build",
    "gdsc": "pgxdl.builders.gdsc:build",
}
