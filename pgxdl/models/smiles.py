"""SMILES as token sequences for the SMILES CNN and RNN drug encoders.

Tokenisation (not parsing: the structure itself is read by RDKit when the store is built,
and these are RDKit canonical SMILES) uses the regular expression of Schwaller et al. 2019
(Molecular Transformer), which keeps bracket atoms, two-letter elements (``Cl``, ``Br``)
and two-digit ring closures (``%10``) whole.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

SMILES_TOKEN = re.compile(
    r"(\[[^\]]+]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|/|:|~|@|\?|>|\*|\$"
    r"|%[0-9]{2}|[0-9])")
PAD = 0  # code of padding; token codes start at 1


def tokenize(smiles: str) -> list[str]:
    """The tokens of one SMILES; raises ``ValueError`` when characters are left over."""
    tokens = SMILES_TOKEN.findall(smiles)
    if "".join(tokens) != smiles:
        raise ValueError(f"SMILES {smiles!r} has characters outside the SMILES alphabet")
    return tokens


def vocabulary(smiles: Sequence[str]) -> list[str]:
    """Sorted distinct tokens of all ``smiles`` (code ``i + 1`` is token ``i``)."""
    return sorted({token for text in smiles for token in tokenize(text)})


def encode_smiles(smiles: Sequence[str], vocab: Sequence[str], max_length: int) -> np.ndarray:
    """Token codes ``(D, max_length)`` int64, 0-padded; longer SMILES are cut at
    ``max_length`` tokens (count them with :func:`tokenize` to choose it)."""
    index = {token: i + 1 for i, token in enumerate(vocab)}
    codes = np.zeros((len(smiles), max_length), dtype=np.int64)
    for row, text in enumerate(smiles):
        tokens = tokenize(text)[:max_length]
        unknown = [t for t in tokens if t not in index]
        if unknown:
            raise ValueError(f"SMILES {text!r}: tokens {unknown} are not in the vocabulary")
        codes[row, :len(tokens)] = [index[t] for t in tokens]
    return codes
