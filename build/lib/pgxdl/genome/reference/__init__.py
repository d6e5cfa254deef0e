"""The reference side: FASTA access, genome builds and their checks, sequence windows."""
