"""GDSC case study: cancer cell lines x drugs, ln IC50 (Iorio et al. 2016).

Table reading and checks (:mod:`~pgxdl.gdsc.table`), the drug policy
(:mod:`~pgxdl.gdsc.policy`), chemistry with RDKit (:mod:`~pgxdl.gdsc.chemistry`), the
stored split designs (:mod:`~pgxdl.gdsc.splits`), pair-level metrics
(:mod:`~pgxdl.gdsc.metrics`), baselines (:mod:`~pgxdl.gdsc.baselines`), biology sanity
checks (:mod:`~pgxdl.gdsc.sanity`) and prediction for new cell lines
(:func:`predict_cell_lines`). Builders, benchmarks and commands import this package.
"""

from pgxdl.gdsc.predict import predict_cell_lines

__all__ = ["predict_cell_lines"]
