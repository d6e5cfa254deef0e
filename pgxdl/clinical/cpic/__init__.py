"""CPIC calls: star-allele diplotypes, phenotypes, activity scores and guideline text.

Allele definitions, allele priority, phenotypes, activity scores and recommendations come
from pypgx's bundled tables and functions (:mod:`pgxdl.clinical.cpic.definitions`,
:mod:`pgxdl.clinical.cpic.phenotypes`); the diplotype matcher over whole cohorts is ours
(:mod:`pgxdl.clinical.cpic.matcher`), because pypgx's ``call_genotypes`` fails under
pandas 3 and its ``predict_alleles`` takes ~40 s per 100 people per gene.
"""
