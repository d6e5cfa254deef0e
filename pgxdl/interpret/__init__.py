"""Explain pgxdl models: Captum attributions, in-silico mutagenesis, variant scores, plots.

Start with :func:`explain_part` (a model + a store part -> an :class:`Explanation` of
per-observation variant, gene and feature scores) or the command line
``pgxdl attribute``; see docs/interpretation.md.
"""

from pgxdl.data.batch import reference_sequence
from pgxdl.interpret.aggregate import VariantTable, cohort_summary, variant_label
from pgxdl.interpret.explain import Explanation, explain_part
from pgxdl.interpret.ism import InSilicoMutagenesis, introduce_over_loader, parse_variant
from pgxdl.interpret.methods import METHODS, BatchAttribution, attribute_batch
from pgxdl.interpret.reference_inputs import Baselines, make_baselines

__all__ = [
    "METHODS", "BatchAttribution", "Baselines", "Explanation", "InSilicoMutagenesis",
    "VariantTable", "attribute_batch", "cohort_summary", "explain_part",
    "introduce_over_loader", "make_baselines", "parse_variant", "reference_sequence",
    "variant_label",
]
