"""Reference tables read once per process (the allele table, pypgx's CPIC tables).

Each loader of these re-reads its file on every call (~0.1 s for the allele YAML, tens of
ms for pypgx's CSVs); a request path that needs them several times would spend most of
its time there. The tables are read-only, so one copy per process is safe.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from pgxdl.genome.variants.alleles import AlleleTable, default_allele_table


@cache
def allele_table() -> AlleleTable:
    """pgxdl's shipped allele-definition table."""
    return default_allele_table()


@cache
def cpic_table() -> pd.DataFrame:
    """pypgx's CPIC drug-gene table (guideline URLs, CPIC levels)."""
    import pypgx

    return pypgx.load_cpic_table()


@cache
def recommendation_table() -> pd.DataFrame:
    """pypgx's CPIC recommendation table (drug, genes, phenotypes, text)."""
    import pypgx

    return pypgx.load_recommendation_table()
