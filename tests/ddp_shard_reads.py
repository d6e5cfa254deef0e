"""One epoch of Lightning DDP (2 CPU processes, gloo) over a shard index, recording reads.

    python tests/ddp_shard_reads.py INDEX OUT_DIR

Run by ``tests/test_shards_ddp.py`` (Lightning's ``ddp`` strategy starts rank 1 by running
this script again). Each rank writes ``OUT_DIR/rank<r>.json``: the observation rows its
training batches held, the subjects whose codes its dataset read (in read order), and the
sum of each read subject's codes, so the test can check them against the store.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytorch_lightning as pl
import torch

from pgxdl.data import dataset
from pgxdl.data.datamodule import CohortDataModule

READS: list[tuple[int, int]] = []  # (subject, sum of its codes), as read by this process
_read_codes = dataset.CohortDataset.read_codes


def _recording_read(self, subjects):
    codes = _read_codes(self, subjects)
    READS.extend((int(s), int(c.sum())) for s, c in zip(subjects, codes, strict=True))
    return codes


dataset.CohortDataset.read_codes = _recording_read


class RecordingModule(pl.LightningModule):
    """A linear model on the numeric features that records each batch's observation rows."""

    def __init__(self, out_dir: str) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.out_dir = Path(out_dir)
        self.rows: list[int] = []

    def training_step(self, batch, batch_index):
        self.rows.extend(batch["index"].tolist())
        prediction = self.weight * batch["numeric"].sum(dim=1)
        return ((prediction - batch["target"][:, 0]) ** 2).mean()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.0)

    def on_train_end(self) -> None:
        record = {"rank": self.global_rank, "world_size": self.trainer.world_size,
                  "rows": self.rows, "reads": READS}
        (self.out_dir / f"rank{self.global_rank}.json").write_text(json.dumps(record))


def main(index: str, out_dir: str) -> None:
    torch.set_num_threads(1)
    trainer = pl.Trainer(accelerator="cpu", devices=2, strategy="ddp", max_epochs=1,
                         limit_val_batches=0, num_sanity_val_steps=0, logger=False,
                         enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, default_root_dir=out_dir)
    module = CohortDataModule(index, split="default", batch_size=4, seed=0,
                              allow_empty=["val", "test"])
    trainer.fit(RecordingModule(out_dir), datamodule=module)


if __name__ == "__main__":
    main(*sys.argv[1:3])
