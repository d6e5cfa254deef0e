"""Small cohort stores with known variants and toy models with exact attributions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import nn

from pgxdl.data.cohort import Cohort, Observations, SequenceBlock
from pgxdl.data.spec import DataSpec, TaskSpec
from pgxdl.data.splits import holdout_split
from pgxdl.data.store_writer import write_store
from pgxdl.data.tabular import TabularSchema
from pgxdl.genome.encoding import ALPHABET, iupac_code, reverse_complement
from pgxdl.genome.reference.windows import WindowSpec

SCHEMA = TabularSchema.from_config([
    {"name": "age", "kind": "numeric", "units": "years"},
    {"name": "weight", "kind": "numeric", "units": "kg"},
    {"name": "smoker", "kind": "binary"},
    {"name": "site", "kind": "categorical", "categories": ["a", "b", "c"]},
])
TASKS = [TaskSpec("dose", "regression", "mg/week"), TaskSpec("event", "binary")]


def variant_cohort(n: int = 30, n_windows: int = 2, length: int = 24, sites: int = 5,
                   seed: int = 0, oriented: bool = False) -> Cohort:
    """A dosage-coded cohort whose carried variants match the reference windows.

    Window ``w`` is ``chr{w+1}:1001-(1000+length)``; every window holds ``sites`` SNV
    sites; every other site has an rsID, the others have ``.`` (no ID). With ``oriented``
    the last window is a ``-`` strand window stored reverse-complemented (as
    ``PersonalWindowBuilder(oriented=True)`` writes it, with ``seq_offset``).
    """
    rng = np.random.default_rng(seed)
    windows = [WindowSpec(f"w{w}", f"GENE{w}", f"chr{w + 1}", 1001, 1000 + length,
                          "-" if oriented and w == n_windows - 1 else "+")
               for w in range(n_windows)]
    reference = rng.integers(0, 4, (n_windows, length)).astype(np.uint8)
    codes = np.repeat(reference[None, :, None, :], n, axis=0).copy()
    rows: dict[str, list] = {k: [] for k in ("subject_index", "window_index", "offset", "pos",
                                             "ids", "ref", "alt", "allele_count", "hap_mask")}
    for w in range(n_windows):
        offsets = np.sort(rng.choice(np.arange(2, length - 2), sites, replace=False))
        for s, offset in enumerate(offsets):
            ref = ALPHABET[reference[w, offset]]
            alt = ALPHABET[(reference[w, offset] + 1 + s % 3) % 4]
            genotype = rng.choice(3, n, p=[0.4, 0.4, 0.2])
            genotype[s % n] = max(genotype[s % n], 1)  # every site has a carrier
            for subject in np.flatnonzero(genotype):
                count = int(genotype[subject])
                codes[subject, w, 0, offset] = (iupac_code(ref, alt) if count == 1
                                                else ALPHABET.index(alt))
                rows["subject_index"].append(subject)
                rows["window_index"].append(w)
                rows["offset"].append(offset)
                rows["pos"].append(1001 + offset)
                rows["ids"].append(f"rs{100 * w + s}" if s % 2 == 0 else ".")
                rows["ref"].append(ref)
                rows["alt"].append(alt)
                rows["allele_count"].append(count)
                rows["hap_mask"].append(0)
    variants = {k: np.array(v) for k, v in rows.items()}
    variants["seq_offset"] = variants["offset"].copy()
    if oriented:
        last = n_windows - 1
        reference[last] = reverse_complement(reference[last])
        codes[:, last] = reverse_complement(codes[:, last])
        flip = variants["window_index"] == last
        variants["seq_offset"][flip] = length - 1 - variants["offset"][flip]
    ehr = pd.DataFrame({"age": rng.uniform(20, 80, n), "weight": rng.uniform(50, 110, n),
                        "smoker": rng.integers(0, 2, n), "site": rng.choice(["a", "b", "c"], n)})
    ehr.loc[3, "age"] = np.nan
    values = np.column_stack([rng.normal(30, 10, n), rng.integers(0, 2, n)]).astype(np.float32)
    return Cohort(
        subject_ids=[f"PATIENT-{i:04d}" for i in range(n)],
        sequence=SequenceBlock(windows, reference, codes, 1, variants),
        tabular=SCHEMA.encode(ehr),
        observations=Observations.one_drug(values, TASKS),
        groups={"population": np.array(["AFR", "EUR"])[np.arange(n) % 2]},
        splits={"default": holdout_split(n, 0.2, 0.3, seed)},
    )


def write_variant_store(path, **kwargs):
    """Write :func:`variant_cohort` to ``path`` and return the path."""
    return write_store(path, variant_cohort(**kwargs), salt="test", progress=False)


class LinearToyModel(nn.Module):
    """``dose = <w_seq, seq> + <w_num, numeric> + <w_miss, missing> + e[cat] + b``.

    Every attribution method has an exact answer on it: the contribution of input
    element ``i`` relative to a baseline is ``w_i (x_i - x0_i)``. The ``event`` task is
    the same linear form times -0.5 (a logit).
    """

    def __init__(self, spec: DataSpec, seed: int = 0):
        super().__init__()
        self.spec = spec
        generator = torch.Generator().manual_seed(seed)
        shape = (spec.n_windows, spec.channels, spec.window_length)
        self.seq_weight = nn.Parameter(torch.randn(shape, generator=generator))
        self.num_weight = nn.Parameter(torch.randn(spec.n_numeric, generator=generator))
        self.miss_weight = nn.Parameter(torch.randn(spec.n_numeric, generator=generator))
        self.cat_weight = nn.ParameterList(
            nn.Parameter(torch.randn(card, generator=generator))
            for card in spec.categorical_cardinalities)
        self.bias = nn.Parameter(torch.tensor(30.0))

    def forward(self, sequence, numeric, numeric_missing, categorical, drug):
        out = self.bias.expand(len(numeric))
        if sequence.shape[1]:  # tabular-only data has an empty sequence (N, 0, C, 0)
            out = out + (sequence * self.seq_weight).sum(dim=(1, 2, 3))
        out = out + numeric @ self.num_weight + numeric_missing @ self.miss_weight
        for k, weight in enumerate(self.cat_weight):
            out = out + weight[categorical[:, k]]
        return {"dose": out[:, None], "event": -0.5 * out[:, None]}


class ReluToyModel(nn.Module):
    """A small nonlinear model (conv + ReLU + linear over tabular), for completeness checks."""

    def __init__(self, spec: DataSpec, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.spec = spec
        self.conv = nn.Conv1d(spec.channels, 6, 5, padding=2)
        self.conv_relu = nn.ReLU()
        self.tab = nn.Linear(2 * spec.n_numeric, 6)
        self.tab_relu = nn.ReLU()
        self.out = nn.Linear(6 * spec.n_windows + 6, 1)

    def forward(self, sequence, numeric, numeric_missing, categorical, drug):
        n, w, c, length = sequence.shape
        hidden = self.conv_relu(self.conv(sequence.reshape(n * w, c, length)))
        pooled = hidden.sum(dim=2).reshape(n, w * 6)
        tab = self.tab_relu(self.tab(torch.cat([numeric, numeric_missing], dim=1)))
        out = self.out(torch.cat([pooled, tab], dim=1))
        return {"dose": out, "event": -out}
