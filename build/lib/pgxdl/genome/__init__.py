"""Genome layer: reference windows, variants, genotype tables and personal sequences."""
