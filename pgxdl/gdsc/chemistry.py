"""Drug chemistry with RDKit: canonical SMILES, Morgan fingerprints, descriptors.

Nothing here parses SMILES by hand: RDKit reads and canonicalises every structure, and a
SMILES RDKit cannot read is an error naming the drug.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rdkit import Chem, RDLogger
from rdkit.Chem import Descriptors, rdFingerprintGenerator

#: RDKit descriptors stored per drug (name -> function of a molecule).
DESCRIPTORS = {
    "mol_weight": Descriptors.MolWt, "logp": Descriptors.MolLogP, "tpsa": Descriptors.TPSA,
    "h_donors": Descriptors.NumHDonors, "h_acceptors": Descriptors.NumHAcceptors,
    "rotatable_bonds": Descriptors.NumRotatableBonds, "rings": Descriptors.RingCount,
    "aromatic_rings": Descriptors.NumAromaticRings, "heavy_atoms": Descriptors.HeavyAtomCount,
    "fraction_csp3": Descriptors.FractionCSP3,
}


def molecules(smiles: Sequence[str], names: Sequence[str]) -> list[Chem.Mol]:
    """RDKit molecules of ``smiles``; raises ``ValueError`` naming the drug RDKit rejects."""
    RDLogger.DisableLog("rdApp.*")
    mols = []
    for text, name in zip(smiles, names, strict=True):
        mol = Chem.MolFromSmiles(str(text))
        if mol is None:
            raise ValueError(f"drug {name!r}: RDKit cannot read SMILES {text!r}; correct it in "
                             "drugs.csv or blank it (the drug is then dropped, see policy)")
        mols.append(mol)
    return mols


def canonical_smiles(mols: Sequence[Chem.Mol]) -> list[str]:
    """RDKit canonical (isomeric) SMILES of each molecule."""
    return [Chem.MolToSmiles(mol) for mol in mols]


def morgan_fingerprints(mols: Sequence[Chem.Mol], radius: int = 2, bits: int = 2048
                        ) -> np.ndarray:
    """Morgan (ECFP-like) bit vectors ``(D, bits)`` float32 of 0/1."""
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=bits)
    return np.stack([generator.GetFingerprintAsNumPy(mol) for mol in mols]).astype(np.float32)


def descriptors(mols: Sequence[Chem.Mol]) -> np.ndarray:
    """The :data:`DESCRIPTORS` of each molecule, ``(D, len(DESCRIPTORS))`` float32."""
    return np.array([[fn(mol) for fn in DESCRIPTORS.values()] for mol in mols],
                    dtype=np.float32)
