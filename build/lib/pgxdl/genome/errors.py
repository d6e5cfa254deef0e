"""Errors raised on bad genome input; each message names the file, record, column or field.

All derive from :class:`GenomeInputError` (a ``ValueError``) so callers can catch the family.
"""

from __future__ import annotations


class GenomeInputError(ValueError):
    """Base class of every bad-input error of the genome layer."""


class ContigNotFoundError(GenomeInputError):
    """A chromosome is absent from the reference FASTA."""


class RegionOutsideReferenceError(GenomeInputError):
    """A window or region is not covered by any record of the reference FASTA."""


class WindowSpecError(GenomeInputError):
    """A window declaration is invalid (missing field, bad strand, unequal lengths)."""


class BuildMismatchError(GenomeInputError):
    """A variant file and the reference FASTA come from different genome builds."""


class MalformedVCFError(GenomeInputError):
    """A VCF line or record cannot be parsed."""


class SampleNotFoundError(GenomeInputError):
    """Samples named by the cohort are absent from the variant file."""


class ReferenceMismatchError(GenomeInputError):
    """Too many reference alleles differ from the reference FASTA."""


class GenotypeParseError(GenomeInputError):
    """A genotype string of a genotype table cannot be parsed."""


class UnknownStarAlleleError(GenomeInputError):
    """A star allele is not in the allele-definition table."""


class AlleleTableError(GenomeInputError):
    """The allele-definition table (YAML) is invalid."""
