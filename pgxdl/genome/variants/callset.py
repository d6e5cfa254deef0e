"""Variant call sets as a struct of arrays, biallelic after splitting multi-allelic sites.

String fields are numpy object arrays of Python ``str`` (one long indel allele would make a
fixed-width ``<U`` array of every row that wide; object arrays are also what pandas and
h5py's ``string_dtype`` take).

Genotype codes: ``0`` reference allele, ``1`` alternate allele, ``-1`` missing, per haplotype
slot. For unphased calls the two slots are the two alleles in file order; ``phased`` says
which calls carry phase. At a split multi-allelic site, a haplotype carrying another
alternate allele is ``0`` in this row (as ``bcftools norm -m-`` writes it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from pgxdl.genome.errors import GenomeInputError, SampleNotFoundError
from pgxdl.genome.reference.builds import normalise_chrom, normalise_chroms
from pgxdl.genome.reference.windows import WindowSpec

_SHOWN = 10


@dataclass
class CallSet:
    """Biallelic variant calls of ``S`` samples at ``V`` sites.

    Attributes
    ----------
    chrom : object (str) array ``(V,)``, as the source spells it.
    pos : int64 array ``(V,)``, 1-based position of the first REF base.
    ids : object (str) array ``(V,)``, variant IDs (``.`` when absent).
    ref, alt : object (str) arrays ``(V,)``, + strand alleles.
    genotypes : int8 array ``(S, V, 2)``: 0 ref, 1 alt, -1 missing, per haplotype slot.
    phased : bool array ``(S, V)``: whether each call is phased.
    samples : list of ``S`` sample names.
    source : where the calls came from (a file path), used in error messages.
    """

    chrom: np.ndarray
    pos: np.ndarray
    ids: np.ndarray
    ref: np.ndarray
    alt: np.ndarray
    genotypes: np.ndarray
    phased: np.ndarray
    samples: list[str]
    source: str = field(default="<memory>")

    def __post_init__(self) -> None:
        self.chrom, self.ids = string_array(self.chrom), string_array(self.ids)
        self.ref, self.alt = string_array(self.ref), string_array(self.alt)
        self.pos = np.asarray(self.pos, dtype=np.int64)
        self.genotypes = np.asarray(self.genotypes, dtype=np.int8)
        self.phased = np.asarray(self.phased, dtype=bool)
        self.samples = [str(s) for s in self.samples]
        n_samples, n_variants = len(self.samples), len(self.pos)
        for name in ("chrom", "ids", "ref", "alt"):
            if getattr(self, name).shape != (n_variants,):
                raise ValueError(f"CallSet.{name} must have shape ({n_variants},)")
        if self.genotypes.shape != (n_samples, n_variants, 2):
            raise ValueError(f"CallSet.genotypes must have shape ({n_samples}, {n_variants}, 2),"
                             f" got {self.genotypes.shape}")
        if self.phased.shape != (n_samples, n_variants):
            raise ValueError(f"CallSet.phased must have shape ({n_samples}, {n_variants})")

    @property
    def is_indel(self) -> np.ndarray:
        """Bool ``(V,)``: REF and ALT differ in length."""
        return allele_lengths(self.ref) != allele_lengths(self.alt)

    @property
    def n_samples(self) -> int:
        """Number of samples ``S``."""
        return len(self.samples)

    @property
    def n_variants(self) -> int:
        """Number of biallelic variant rows ``V``."""
        return len(self.pos)

    def subset_samples(self, samples: Sequence[str]) -> CallSet:
        """The calls of ``samples``, in that order.

        Raises
        ------
        SampleNotFoundError naming the absent samples and the source file.
        """
        check_samples_present(samples, self.samples, self.source)
        index = {name: i for i, name in enumerate(self.samples)}
        order = np.array([index[str(s)] for s in samples], dtype=np.intp)
        return CallSet(self.chrom, self.pos, self.ids, self.ref, self.alt,
                       self.genotypes[order], self.phased[order], list(samples), self.source)

    def select_variants(self, selector: np.ndarray) -> CallSet:
        """The rows picked by a boolean mask ``(V,)`` or an index array."""
        return CallSet(self.chrom[selector], self.pos[selector], self.ids[selector],
                       self.ref[selector], self.alt[selector], self.genotypes[:, selector],
                       self.phased[:, selector], self.samples, self.source)

    def in_windows(self, windows: Iterable[WindowSpec]) -> np.ndarray:
        """Boolean mask ``(V,)``: the variant's POS lies in at least one window."""
        keys = normalise_chroms(self.chrom)
        mask = np.zeros(self.n_variants, dtype=bool)
        for window in windows:
            mask |= ((keys == normalise_chrom(window.chrom))
                     & (self.pos >= window.start) & (self.pos <= window.end))
        return mask

    def restrict_to_windows(self, windows: Iterable[WindowSpec]) -> CallSet:
        """The variants whose POS lies inside at least one window."""
        return self.select_variants(self.in_windows(windows))

    @classmethod
    def concat_variants(cls, callsets: Sequence[CallSet]) -> CallSet:
        """Stack the variants of call sets over the same samples (e.g. one VCF per gene).

        Raises
        ------
        GenomeInputError when the call sets hold different samples or sample orders.
        """
        first = callsets[0]
        for other in callsets[1:]:
            if other.samples != first.samples:
                raise GenomeInputError(
                    f"cannot concatenate {other.source} with {first.source}: different samples "
                    f"or sample order (subset both with subset_samples first)")
        return cls(
            np.concatenate([c.chrom for c in callsets]), np.concatenate([c.pos for c in callsets]),
            np.concatenate([c.ids for c in callsets]), np.concatenate([c.ref for c in callsets]),
            np.concatenate([c.alt for c in callsets]),
            np.concatenate([c.genotypes for c in callsets], axis=1),
            np.concatenate([c.phased for c in callsets], axis=1),
            first.samples, " + ".join(c.source for c in callsets))


def string_array(values) -> np.ndarray:
    """Object array ``(V,)`` of strings from a list or any numpy string array."""
    return np.asarray(values, dtype=object).reshape(-1)


def allele_lengths(alleles: np.ndarray) -> np.ndarray:
    """int64 ``(V,)``: length of each allele string."""
    return np.fromiter(map(len, alleles), dtype=np.int64, count=len(alleles))


def near_miss_hint(missing: Sequence[str], available: Sequence[str]) -> str:
    """A hint when absent IDs match available names up to case, spaces or leading zeros."""
    def loose(name: str) -> str:
        return name.strip().lower().removesuffix(".0").lstrip("0")

    names = {loose(a) for a in available}
    close = sum(loose(m) in names for m in missing)
    if not close:
        return ""
    return (f" ({close} of the absent IDs match a sample name up to case, spaces, leading "
            f"zeros or a '.0': was an ID column read as a number, or written differently?)")


def check_samples_present(requested: Sequence[str], available: Sequence[str],
                          source: str) -> None:
    """Raise unless every requested sample is available, once each.

    Raises
    ------
    SampleNotFoundError naming the absent samples (the first ten) and ``source``;
    GenomeInputError for a sample requested twice.
    """
    requested = [str(s) for s in requested]
    present = set(available)
    missing = [s for s in requested if s not in present]
    if missing:
        shown = ", ".join(missing[:_SHOWN]) + (" ..." if len(missing) > _SHOWN else "")
        raise SampleNotFoundError(f"{len(missing)} of {len(requested)} requested samples are "
                                  f"absent from {source}: {shown}; subject IDs must equal the "
                                  f"VCF's sample names exactly, as text"
                                  f"{near_miss_hint(missing, available)}")
    if len(set(requested)) != len(requested):
        raise GenomeInputError(f"samples requested from {source} more than once: "
                               f"{sorted({s for s in requested if requested.count(s) > 1})}")
