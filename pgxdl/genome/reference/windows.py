"""Sequence windows declared in configuration.

A window is a named slice of one chromosome, 1-based and inclusive at both ends (the
``samtools faidx chrom:start-end`` convention), with the strand of the gene it covers so a
minus-strand gene can be read in transcript orientation.

YAML form (a list, or a mapping with a ``windows:`` list and optionally the ``build:`` its
coordinates belong to, checked against the reference's build)::

    build: GRCh38
    windows:
      - {name: VKORC1, gene: VKORC1, chrom: chr16, start: 31088854, end: 31099955, strand: "-"}
      - {name: VKORC1_rs9923231, gene: VKORC1, chrom: chr16, center: 31096368, length: 2000,
         strand: "-"}

With ``center`` and ``length`` the window is ``start = center - length // 2`` and
``end = start + length - 1``, so the centre base sits at offset ``length // 2``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from pgxdl.genome.errors import BuildMismatchError, WindowSpecError
from pgxdl.genome.reference.builds import BUILD_ALIASES, canonical_build
from pgxdl.resources import config_path

_REQUIRED = ("name", "chrom", "strand")


@dataclass(frozen=True)
class WindowSpec:
    """One window: ``chrom:start-end`` (1-based, inclusive) on ``strand`` of ``gene``."""

    name: str
    gene: str
    chrom: str
    start: int
    end: int
    strand: str = "+"

    def __post_init__(self) -> None:
        if self.strand not in ("+", "-"):
            raise WindowSpecError(f"window {self.name!r}: strand must be '+' or '-', "
                                  f"got {self.strand!r}")
        if not 1 <= self.start <= self.end:
            raise WindowSpecError(f"window {self.name!r}: need 1 <= start <= end, "
                                  f"got start={self.start} end={self.end}")

    @property
    def length(self) -> int:
        """Number of bases, ``end - start + 1``."""
        return self.end - self.start + 1

    @property
    def region(self) -> str:
        """The ``chrom:start-end`` region string."""
        return f"{self.chrom}:{self.start}-{self.end}"

    def to_dict(self) -> dict:
        """Plain mapping (for YAML, JSON or an HDF5 table)."""
        return {"name": self.name, "gene": self.gene, "chrom": self.chrom,
                "start": self.start, "end": self.end, "strand": self.strand}


def window_from_mapping(entry: Mapping, where: str = "window list") -> WindowSpec:
    """Build a :class:`WindowSpec` from a mapping with start/end or center/length.

    Raises
    ------
    WindowSpecError naming ``where`` and the entry when a field is missing or invalid.
    """
    name = entry.get("name", "?")
    missing = [key for key in _REQUIRED if key not in entry]
    has_span = "start" in entry and "end" in entry
    has_center = "center" in entry and "length" in entry
    if not (has_span or has_center):
        missing.append("start+end or center+length")
    if missing:
        raise WindowSpecError(f"{where}: window {name!r} lacks {', '.join(missing)}")
    try:
        if has_span:
            start, end = int(entry["start"]), int(entry["end"])
        else:
            length = int(entry["length"])
            start = int(entry["center"]) - length // 2
            end = start + length - 1
    except (TypeError, ValueError) as err:
        raise WindowSpecError(f"{where}: window {name!r} has a non-integer coordinate "
                              f"({err})") from err
    return WindowSpec(name=str(name), gene=str(entry.get("gene", name)),
                      chrom=str(entry["chrom"]), start=start, end=end,
                      strand=str(entry["strand"]))


def load_windows(source: str | Path | Iterable,
                 reference_build: str | None = None) -> list[WindowSpec]:
    """Windows from a YAML file, or from a list of mappings or :class:`WindowSpec`.

    Parameters
    ----------
    source : path of a YAML file holding a list (or ``{build: ..., windows: [...]}``), or
        the list.
    reference_build : the reference's build; a file's ``build:`` must name the same one.

    Returns
    -------
    list of ``W`` windows in declaration order.

    Raises
    ------
    WindowSpecError when an entry is invalid, two windows share a name or ``build:`` names
    no known build; BuildMismatchError when ``build:`` differs from ``reference_build``.
    """
    where = "window list"
    if isinstance(source, (str, Path)):
        where = str(source)
        with open(config_path(source), encoding="utf-8") as handle:
            source = yaml.safe_load(handle)
        if isinstance(source, Mapping):
            _check_build(source, where, reference_build)
            source = source.get("windows")
        if not isinstance(source, list):
            raise WindowSpecError(f"{where}: expected a list of windows or a 'windows:' list")
    windows = [entry if isinstance(entry, WindowSpec) else window_from_mapping(entry, where)
               for entry in source]
    if not windows:
        raise WindowSpecError(f"{where}: no windows declared; list at least one")
    names = [w.name for w in windows]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise WindowSpecError(f"{where}: duplicate window names {duplicated}")
    return windows


def _check_build(document: Mapping, where: str, reference_build: str | None) -> None:
    if document.get("build") is None:
        return
    build = canonical_build(str(document["build"]))
    if build is None:
        raise WindowSpecError(f"{where}: build {document['build']!r} is not a known genome "
                              f"build; use one of {sorted(BUILD_ALIASES)}")
    reference = canonical_build(reference_build) if reference_build else None
    if reference and build != reference:
        raise BuildMismatchError(f"{where}: windows are in {build} coordinates but the "
                                 f"reference is {reference}; use windows of the reference's "
                                 f"build (or lift them over)")


def check_equal_length(windows: Iterable[WindowSpec]) -> int:
    """The common length ``L`` of all windows (the store keeps one ``(W, L)`` array).

    Raises
    ------
    WindowSpecError listing each window's length when they differ.
    """
    windows = list(windows)
    if not windows:
        raise WindowSpecError("no windows given")
    lengths = {w.length for w in windows}
    if len(lengths) != 1:
        listing = ", ".join(f"{w.name}={w.length}" for w in windows)
        raise WindowSpecError(f"windows must all have the same length for one (W, L) array; "
                              f"got {listing}")
    return lengths.pop()
