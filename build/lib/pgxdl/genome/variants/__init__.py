"""Variant inputs: call sets, VCF/BCF reading, genotype tables, allele definitions."""
