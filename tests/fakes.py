"""Test helpers: a small DataSpec and a LightningDataModule of random contract batches.

Batches follow the batch contract of :mod:`pgxdl.data.spec`. Targets carry a planted
signal (so a few steps of training lower the loss) and some labels are masked out.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from pgxdl.data.spec import DataSpec, TaskSpec
from pgxdl.genome.encoding import one_hot

# One intra-op thread: on small shared CPUs, torch's default thread pool oversubscribes
# the cores and makes these tiny models ~10x slower.
torch.set_num_threads(1)

TASKS = (TaskSpec("dose", "regression", "mg/week"), TaskSpec("bleeding", "binary"),
         TaskSpec("response", "multiclass", n_classes=3))


def make_spec(n_windows: int = 2, window_length: int = 64, n_numeric: int = 3,
              cardinalities: tuple[int, ...] = (3, 5), n_drugs: int = 2,
              tasks: tuple[TaskSpec, ...] = TASKS, channels: int = 4) -> DataSpec:
    """A small :class:`DataSpec` with the given shapes."""
    return DataSpec(
        schema_version=1,
        window_names=tuple(f"GENE{i}" for i in range(n_windows)),
        window_length=window_length,
        channels=channels,
        numeric_features=tuple(f"num{i}" for i in range(n_numeric)),
        categorical_features=tuple(f"cat{i}" for i in range(len(cardinalities))),
        categorical_cardinalities=tuple(cardinalities),
        tasks=tuple(tasks),
        n_drugs=n_drugs,
        store_fingerprint="fake",
        extra={"normalisation": {"mean": [0.0] * n_numeric, "std": [1.0] * n_numeric},
               "target_normalisation": {t.name: {"mean": 0.5, "std": 2.0}
                                        for t in tasks if t.kind == "regression"}},
    )


def random_batch(spec: DataSpec, n: int, seed: int = 0, missing_label_rate: float = 0.2
                 ) -> dict[str, torch.Tensor]:
    """A batch of ``n`` rows following the contract, with planted signal in the targets."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, size=(n, spec.n_windows, spec.window_length), dtype=np.uint8)
    sequence = one_hot(codes)
    numeric = rng.normal(size=(n, spec.n_numeric)).astype(np.float32)
    numeric_missing = (rng.random(numeric.shape) < 0.1).astype(np.float32)
    numeric[numeric_missing == 1] = 0.0
    categorical = np.stack([rng.integers(0, c, size=n) for c in spec.categorical_cardinalities],
                           axis=1) if spec.categorical_cardinalities else np.zeros((n, 0))
    drug = rng.integers(0, spec.n_drugs, size=n)
    gc = (codes == 1).mean(axis=(1, 2)) + (codes == 2).mean(axis=(1, 2))
    signal = (numeric[:, 0] if spec.n_numeric else 0.0) + 8.0 * (gc - 0.5)
    columns = []
    for task in spec.tasks:
        noisy = signal + 0.3 * rng.normal(size=n)
        if task.kind == "regression":
            columns.append(noisy)
        elif task.kind == "binary":
            columns.append((noisy > 0).astype(float))
        else:
            columns.append(np.digitize(noisy, np.linspace(-1, 1, task.n_classes - 1)))
    target = np.stack(columns, axis=1).astype(np.float32)
    mask = rng.random(target.shape) >= missing_label_rate
    target[~mask] = 0.0
    return {
        "sequence": sequence,
        "numeric": torch.from_numpy(numeric),
        "numeric_missing": torch.from_numpy(numeric_missing),
        "categorical": torch.as_tensor(categorical, dtype=torch.int64),
        "drug": torch.as_tensor(drug, dtype=torch.int64),
        "target": torch.from_numpy(target),
        "target_mask": torch.from_numpy(mask),
        "index": torch.arange(n, dtype=torch.int64),
    }


class RowDataset(Dataset):
    """Rows of a batch dict, one dict per item."""

    def __init__(self, batch: dict[str, torch.Tensor], offset: int = 0):
        self.batch = batch
        self.offset = offset

    def __len__(self) -> int:
        return len(self.batch["index"])

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        item = {k: v[i] for k, v in self.batch.items()}
        item["index"] = item["index"] + self.offset
        return item


class EpochShuffleSampler(Sampler):
    """A permutation drawn from ``seed + epoch``: the same order after a resume."""

    def __init__(self, n: int, seed: int):
        self.n, self.seed, self.epoch = n, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.n

    def __iter__(self):
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        return iter(torch.randperm(self.n, generator=generator).tolist())


class FakeCohortDataModule(pl.LightningDataModule):
    """Random contract batches; ``spec`` is available right after construction.

    Parameters
    ----------
    n_train, n_val : rows in the train and val (also test and predict) parts.
    batch_size : rows per batch (per process under DDP).
    shuffle : shuffle the train part each epoch (seeded by ``seed + epoch``).
    missing_label_rate : fraction of labels masked out.
    n_windows, window_length, n_numeric, n_drugs : shapes of the fake data.
    seed : seed of the data and of the shuffle.
    """

    def __init__(self, n_train: int = 64, n_val: int = 32, batch_size: int = 16,
                 shuffle: bool = True, missing_label_rate: float = 0.2, n_windows: int = 2,
                 window_length: int = 64, n_numeric: int = 3, n_drugs: int = 2, seed: int = 0):
        super().__init__()
        self.spec = make_spec(n_windows=n_windows, window_length=window_length,
                              n_numeric=n_numeric, n_drugs=n_drugs)
        self.batch_size, self.shuffle, self.seed = batch_size, shuffle, seed
        self.train = RowDataset(random_batch(self.spec, n_train, seed, missing_label_rate))
        self.val = RowDataset(random_batch(self.spec, n_val, seed + 1, missing_label_rate),
                              offset=n_train)

    def train_dataloader(self) -> DataLoader:
        sampler = EpochShuffleSampler(len(self.train), self.seed) if self.shuffle else None
        return DataLoader(self.train, batch_size=self.batch_size, sampler=sampler)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(self.val, batch_size=self.batch_size)

    test_dataloader = val_dataloader
    predict_dataloader = val_dataloader


class KillAtStep(pl.Callback):
    """Kill the process with SIGKILL once ``global_step`` reaches ``step`` (crash test)."""

    def __init__(self, step: int):
        self.step = step

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_step >= self.step:
            os.kill(os.getpid(), 9)


def build_tiny_store(path, n_subjects: int = 120, window_length: int = 128,
                     n_windows: int = 4) -> str:
    """Build a small simulated cohort store at ``path`` with ``pgxdl build``'s code."""
    from pgxdl.builders.store_build import build_store, load_config
    from pgxdl.paths import REPO_ROOT

    config = load_config(REPO_ROOT / "configs" / "data" / "simulated.yaml",
                         [f"n_subjects={n_subjects}", f"window_length={window_length}",
                          f"n_windows={n_windows}", "sites_per_window=6"])
    return str(build_store(config, path))


def train_py_fit(cwd, *args: str) -> subprocess.CompletedProcess:
    """``python train.py fit *args`` in a subprocess run from ``cwd``, output captured: one
    torch thread, and this folder, the repo and the caller's PYTHONPATH importable."""
    from pgxdl.paths import REPO_ROOT

    paths = [str(REPO_ROOT), str(REPO_ROOT / "tests"), os.environ.get("PYTHONPATH")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, paths)),
           "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, str(REPO_ROOT / "train.py"), "fit", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
