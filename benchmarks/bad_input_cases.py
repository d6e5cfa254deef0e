"""Every case of the bad-input matrix, in one list that the tests and the benchmark share.

``tests/test_bad_inputs.py`` runs each case as a parametrised test;
``python -m benchmarks.bad_inputs`` prints the matrix with each outcome and writes JSON.
"""

from __future__ import annotations

from benchmarks import (
    bad_input_cases_genome,
    bad_input_cases_options,
    bad_input_cases_realdata,
    bad_input_cases_store,
    bad_input_cases_tables,
    bad_input_cases_vcf,
)
from benchmarks.bad_input_case import OUTCOMES, Case, Result, run_case

#: Cases on the tiny self-made inputs (no real data needed).
CASES: list[Case] = [*bad_input_cases_vcf.CASES, *bad_input_cases_options.CASES,
                     *bad_input_cases_genome.CASES,
                     *bad_input_cases_tables.CASES, *bad_input_cases_store.CASES]
#: Cases on the real VCFs of ``$PGXDL_DATA/vcf`` (skipped when absent).
REALDATA_CASES: list[Case] = bad_input_cases_realdata.CASES

__all__ = ["CASES", "OUTCOMES", "REALDATA_CASES", "Case", "Result", "run_case"]
