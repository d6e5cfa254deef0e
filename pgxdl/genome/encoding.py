"""uint8 nucleotide codes and late one-hot encoding.

Sequences are stored as uint8 codes (compact, as in gReLU and Selene) and turned into
one-hot float tensors per batch. Heterozygous sites of unphased genotypes are stored as
IUPAC ambiguity codes, which one-hot to half of each base (a dosage encoding).

Codes
-----
``A=0 C=1 G=2 T=3 N=4 M(A/C)=5 R(A/G)=6 W(A/T)=7 S(C/G)=8 Y(C/T)=9 K(G/T)=10``
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # torch is imported by one_hot only: builds never need it (2 s of startup)
    import torch

ALPHABET = "ACGT"
CODE_LETTERS = "ACGTNMRWSYK"
N_CODE = 4
N_CODES = len(CODE_LETTERS)

#: IUPAC two-base ambiguity letters, keyed by the unordered pair of bases.
IUPAC_PAIRS = {
    frozenset("AC"): "M",
    frozenset("AG"): "R",
    frozenset("AT"): "W",
    frozenset("CG"): "S",
    frozenset("CT"): "Y",
    frozenset("GT"): "K",
}

#: (N_CODES, 4) float32: the one-hot (or half-half, or uniform for N) row of each code.
ONE_HOT_TABLE = np.zeros((N_CODES, 4), dtype=np.float32)
for _code, _letter in enumerate(CODE_LETTERS):
    if _letter in ALPHABET:
        ONE_HOT_TABLE[_code, ALPHABET.index(_letter)] = 1.0
    elif _letter == "N":
        ONE_HOT_TABLE[_code] = 0.25
    else:
        (_pair,) = [p for p, v in IUPAC_PAIRS.items() if v == _letter]
        for _base in _pair:
            ONE_HOT_TABLE[_code, ALPHABET.index(_base)] = 0.5

#: (256,) uint8: ASCII byte -> code; unknown letters map to N.
_ASCII_TO_CODE = np.full(256, N_CODE, dtype=np.uint8)
for _code, _letter in enumerate(CODE_LETTERS):
    _ASCII_TO_CODE[ord(_letter)] = _code
    _ASCII_TO_CODE[ord(_letter.lower())] = _code

#: (N_CODES,) uint8: code of the complementary base (IUPAC codes complement too).
_COMPLEMENT_LETTER = {"A": "T", "C": "G", "G": "C", "T": "A", "N": "N",
                      "M": "K", "R": "Y", "W": "W", "S": "S", "Y": "R", "K": "M"}
COMPLEMENT_CODE = np.array(
    [CODE_LETTERS.index(_COMPLEMENT_LETTER[c]) for c in CODE_LETTERS], dtype=np.uint8
)


def encode(sequence: str) -> np.ndarray:
    """Encode a DNA string as uint8 codes, shape ``(L,)``; unknown letters become N."""
    return _ASCII_TO_CODE[np.frombuffer(sequence.encode("ascii"), dtype=np.uint8)]


def decode(codes: np.ndarray) -> str:
    """Decode uint8 codes, shape ``(L,)``, back to a string of letters."""
    return "".join(np.asarray(list(CODE_LETTERS))[np.asarray(codes, dtype=np.intp)])


def reverse_complement(codes: np.ndarray) -> np.ndarray:
    """Reverse complement of codes along the last axis, shape preserved."""
    return COMPLEMENT_CODE[np.asarray(codes)][..., ::-1].copy()


def iupac_code(base_a: str, base_b: str) -> int:
    """Code of the IUPAC letter for two bases (the base's own code when they agree)."""
    if base_a == base_b:
        return CODE_LETTERS.index(base_a)
    return CODE_LETTERS.index(IUPAC_PAIRS[frozenset((base_a, base_b))])


@functools.cache
def _table_on(device: torch.device) -> torch.Tensor:
    """The ``(4, N_CODES)`` float32 table by channel (:data:`ONE_HOT_TABLE` transposed) on
    ``device``, made there once."""
    import torch

    return torch.from_numpy(np.ascontiguousarray(ONE_HOT_TABLE.T)).to(device)


def one_hot(codes: torch.Tensor | np.ndarray) -> torch.Tensor:
    """One-hot uint8 codes late, on the codes' device, channels first as Conv1d expects.

    One ``gather`` from the transposed ``(4, N_CODES)`` table writes the channels-first
    output directly (no channels-last intermediate and no transposing copy): about 5x
    faster than indexing the table and moving the axis, see ``benchmarks/loader.py``.

    Parameters
    ----------
    codes : uint8 tensor or array of shape ``(..., L)``.

    Returns
    -------
    contiguous float32 tensor of shape ``(..., 4, L)``.
    """
    import torch

    codes = torch.as_tensor(codes)
    *lead, length = codes.shape
    rows = codes.reshape(math.prod(lead), 1, length).long()  # (M, 1, L)
    table = _table_on(codes.device).expand(len(rows), 4, N_CODES)
    return table.gather(2, rows.expand(-1, 4, -1)).view(*lead, 4, length)
