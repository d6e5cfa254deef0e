"""A tiny model trained for a few steps on a tiny simulated store, saved as a checkpoint.

For end-to-end tests of what reads checkpoints (evaluation, interpretation, exploration of
embeddings). Each test module chooses its store (``simulated``: a simulated-builder config)
and calls :func:`train_tiny_checkpoint` from a module-scoped fixture.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytorch_lightning as pl

from pgxdl.builders.store_build import build_store
from pgxdl.data.datamodule import CohortDataModule
from pgxdl.training import build_module


class TinyCheckpoint(NamedTuple):
    store: Path
    checkpoint: Path
    module: pl.LightningModule  # the trained module, in eval mode


def tiny_network(heteroscedastic: bool = False) -> dict:
    """Model config: a one-layer CNN of width 8 and a tabular MLP of width 8."""
    init_args = {
        "sequence_encoder": {"class_path": "pgxdl.models.CNNSequenceEncoder",
                             "init_args": {"widths": [8], "depth": 1, "stem_kernel": 5}},
        "tabular_encoder": {"class_path": "pgxdl.models.TabularEncoder",
                            "init_args": {"hidden": [8]}}}
    if heteroscedastic:
        init_args["heteroscedastic"] = True
    return {"network": {"class_path": "pgxdl.models.MultimodalModel", "init_args": init_args}}


def train_tiny_checkpoint(folder: Path, simulated: dict, heteroscedastic: bool = False,
                          train_batches: int = 3,
                          edit_store: Callable[[Path], None] | None = None) -> TinyCheckpoint:
    """Build ``folder/store.h5`` from ``simulated`` (then ``edit_store(path)``, if given),
    train :func:`tiny_network` on it for ``train_batches`` batches of 32 (seed 0, CPU) and
    save ``folder/tiny.ckpt``."""
    store = build_store(simulated, Path(folder) / "store.h5")
    if edit_store is not None:
        edit_store(store)
    pl.seed_everything(0)
    data = CohortDataModule(str(store), batch_size=32)
    trainer = pl.Trainer(max_epochs=1, limit_train_batches=train_batches, limit_val_batches=0,
                         logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, accelerator="cpu")
    module = build_module(data.spec, tiny_network(heteroscedastic))
    trainer.fit(module, datamodule=data)
    checkpoint = Path(folder) / "tiny.ckpt"
    trainer.save_checkpoint(checkpoint)
    return TinyCheckpoint(store, checkpoint, module.eval())
