"""In-silico mutagenesis: predicted effects of removing or adding variants.

Edits are made on the uint8 codes ``(N, W, H, L)`` and one-hot encoded late, as in
training. Effects are in the scalar model's units (regression: the task's units, e.g.
mg/week; binary: log-odds; multiclass: a class logit):

- :meth:`InSilicoMutagenesis.revert`: ``f(person) - f(person with the variant set back to
  the reference)``, the effect of carrying each observed variant (same sign convention
  as attributions against the reference). Every haplotype track of the variant's span is
  reset, so a second allele at the same position is reset too.
- :meth:`InSilicoMutagenesis.introduce`: ``f(person with the variant) - f(person)`` for a
  substitution ``chrom:pos ref>alt`` in every window holding it, heterozygous
  (``ref/alt``) or homozygous (``alt/alt``), replacing the person's genotype there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import nn

from pgxdl.data.batch import codes_to_sequence
from pgxdl.data.store import CohortStore
from pgxdl.genome.encoding import (
    ALPHABET,
    CODE_LETTERS,
    COMPLEMENT_CODE,
    decode,
    iupac_code,
    reverse_complement,
)
from pgxdl.genome.errors import GenomeInputError, ReferenceMismatchError
from pgxdl.interpret.aggregate import VARIANT_KEY, VariantTable
from pgxdl.interpret.batches import limit_batches

OTHER_INPUTS = ("numeric", "numeric_missing", "categorical", "drug")


def _same_chrom(a: str, b: str) -> bool:
    return a.removeprefix("chr") == b.removeprefix("chr")


class InSilicoMutagenesis:
    """Vectorised variant edits on batches of one cohort store.

    Parameters
    ----------
    model : scalar model, ``forward(sequence, numeric, numeric_missing, categorical, drug)
        -> (N,)``, in eval mode.
    store : the cohort store the batches come from.
    haplotypes : how codes become model input (``dosage`` or ``concat``), as in training.
    chunk_size : edited sequences per forward pass.
    """

    def __init__(self, model: nn.Module, store: CohortStore, haplotypes: str = "dosage",
                 chunk_size: int = 256):
        self.model = model
        self.haplotypes = haplotypes
        self.chunk_size = chunk_size
        self.windows = store.windows
        self.reference = torch.from_numpy(store.h5["windows/reference"][:])  # (W, L)
        self.table = VariantTable.from_store(store)
        self.observation_subject = store.observations()["subject_index"]

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @torch.no_grad()
    def predict(self, codes: torch.Tensor, batch: dict[str, torch.Tensor],
                rows: torch.Tensor) -> torch.Tensor:
        """``(P,)`` predictions for ``codes (P, W, H, L)`` with the others of batch ``rows``."""
        outputs = []
        for start in range(0, len(codes), self.chunk_size):
            part = slice(start, start + self.chunk_size)
            chunk_rows = rows[part]
            sequence = codes_to_sequence(codes[part].to(self.device), self.haplotypes)
            others = (batch[k][chunk_rows].to(self.device) for k in OTHER_INPUTS)
            outputs.append(self.model(sequence, *others).float().cpu())
        return torch.cat(outputs) if outputs else torch.zeros(0)

    def revert(self, batch: dict[str, torch.Tensor]) -> pd.DataFrame:
        """One row per (observation, carried variant) of a loader batch, column ``ism``.

        ``batch`` holds ``codes (N, W, H, L)`` uint8 and the other model inputs (a batch
        of :meth:`CohortDataModule.dataloader`, before one-hot encoding).
        """
        codes, index = batch["codes"], batch["index"].numpy()
        everyone = torch.arange(len(codes))
        base = self.predict(codes, batch, everyone)
        rows, position = self.table.rows_of(self.observation_subject[index])
        carried = self.table.frame.iloc[rows]
        window = torch.tensor(carried["window_index"].to_numpy())
        start = torch.tensor(carried["seq_start"].to_numpy())
        span = torch.tensor(carried["span"].to_numpy())
        length = codes.shape[-1]
        effects = np.zeros(len(rows))
        for first in range(0, len(rows), self.chunk_size):
            part = slice(first, first + self.chunk_size)
            owner = torch.from_numpy(position[part])
            edited = codes[owner].clone()
            pair = torch.arange(len(owner))
            for k in range(int(span[part].max())):
                at = start[part] + k
                inside = (k < span[part]) & (at >= 0) & (at < length)
                w, o = window[part][inside], at[inside]
                edited[pair[inside], w, :, o] = self.reference[w, o][:, None]
            effects[part] = (base[owner] - self.predict(edited, batch, owner)).numpy()
        out = carried[VARIANT_KEY + ["allele_count"]].reset_index(drop=True)
        out.insert(0, "observation", index[position])
        out["ism"] = effects
        return out

    def plus_strand_reference(self, window: int) -> np.ndarray:
        """``(L,)`` reference codes of ``window`` on the + strand."""
        codes = self.reference[window].numpy()
        return reverse_complement(codes) if self.table.oriented[window] else codes

    def locate(self, chrom: str, pos: int, ref: str, alt: str) -> list[tuple[int, int]]:
        """``(window index, + strand offset)`` of every window holding ``chrom:pos``.

        Raises
        ------
        GenomeInputError for an indel, a bad allele or a position in no window;
        ReferenceMismatchError when ``ref`` differs from a window's reference there.
        """
        name = f"{chrom}:{pos} {ref}>{alt}"
        ref, alt = ref.upper(), alt.upper()
        if len(ref) != len(alt) or not ref:
            raise GenomeInputError(f"variant {name}: only substitutions can be introduced "
                                   "(windows have a fixed length); REF and ALT differ in length")
        if set(ref + alt) - set(ALPHABET) or ref == alt:
            raise GenomeInputError(f"variant {name}: REF and ALT must be different A/C/G/T "
                                   "strings")
        places = []
        for w, window in enumerate(self.windows):
            if _same_chrom(window["chrom"], chrom) and (
                    window["start"] <= pos and pos + len(ref) - 1 <= window["end"]):
                offset = pos - window["start"]
                found = decode(self.plus_strand_reference(w)[offset:offset + len(ref)])
                if found != ref:
                    raise ReferenceMismatchError(
                        f"variant {name}: REF {ref} does not match the reference "
                        f"{found} of window {window['name']} ({window['chrom']}:"
                        f"{window['start']}-{window['end']}) at {chrom}:{pos}")
                places.append((w, offset))
        if not places:
            spans = ", ".join(f"{x['name']}={x['chrom']}:{x['start']}-{x['end']}"
                              for x in self.windows)
            raise GenomeInputError(f"variant {name} lies in no window of the store "
                                   f"(windows: {spans})")
        return places

    def introduce(self, batch: dict[str, torch.Tensor], chrom: str, pos: int, ref: str,
                  alt: str, zygosity: str = "het") -> np.ndarray:
        """``(N,)`` effect of giving each person of ``batch`` the variant ``ref>alt``."""
        if zygosity not in ("het", "hom"):
            raise ValueError(f"zygosity must be 'het' or 'hom', got {zygosity!r}")
        codes = batch["codes"]
        tracks, length = codes.shape[2], codes.shape[-1]
        # (H, len) codes of the site on the + strand, per haplotype track
        ref_codes = np.array([CODE_LETTERS.index(b) for b in ref.upper()], dtype=np.uint8)
        alt_codes = np.array([CODE_LETTERS.index(b) for b in alt.upper()], dtype=np.uint8)
        if tracks == 1:
            het = np.array([iupac_code(r, a) for r, a in zip(ref.upper(), alt.upper(),
                                                             strict=True)], dtype=np.uint8)
            site = (alt_codes if zygosity == "hom" else het)[None]
        else:
            site = np.repeat(alt_codes[None], tracks, axis=0)
            if zygosity == "het":
                site[1:] = ref_codes
        edited = codes.clone()
        for w, offset in self.locate(chrom, pos, ref, alt):
            at = offset + np.arange(len(ref))
            values = site
            if self.table.oriented[w]:
                at, values = length - 1 - at, COMPLEMENT_CODE[site]
            edited[:, w, :, torch.from_numpy(at)] = torch.from_numpy(values)
        everyone = torch.arange(len(codes))
        return (self.predict(edited, batch, everyone)
                - self.predict(codes, batch, everyone)).numpy()


def parse_variant(text: str) -> tuple[str, int, str, str]:
    """``chrom:pos:ref:alt`` (e.g. ``chr16:31096368:C:T``) as ``(chrom, pos, ref, alt)``."""
    fields = text.strip().split(":")
    if len(fields) != 4 or not fields[1].isdigit():
        raise ValueError(f"variant {text!r}: expected chrom:pos:ref:alt, e.g. "
                         "chr16:31096368:C:T")
    return fields[0], int(fields[1]), fields[2], fields[3]


def introduce_over_loader(mutagenesis: InSilicoMutagenesis, loader, chrom: str, pos: int,
                          ref: str, alt: str, zygosity: str = "het",
                          max_observations: int | None = None) -> pd.DataFrame:
    """``observation``, ``effect``: the effect of the variant for each person of ``loader``."""
    mutagenesis.locate(chrom, pos, ref, alt)  # fail before any batch is read
    frames = [pd.DataFrame({"observation": batch["index"].numpy(),
                            "effect": mutagenesis.introduce(batch, chrom, pos, ref, alt,
                                                            zygosity)})
              for batch in limit_batches(loader, max_observations)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["observation", "effect"])
