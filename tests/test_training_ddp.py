"""DDP on CPU (2 processes, gloo) ends where one process ends, global batch kept equal.

Setup that makes the two runs the same computation. Rows: one process draws the
permutation ``randperm(64, seed + epoch)`` (the fake data's sampler); under DDP Lightning's
DistributedSampler draws that same permutation and gives rank r its positions r, r+2, ...,
so every global batch holds the same rows. Also: no dropout, no
missing labels (per-rank masked means then average to the global mean) and group
normalisation (SyncBatchNorm needs GPUs; BatchNorm statistics would be per rank).
Stated tolerance: relative 1e-4 on the final validation metrics after 8 steps.
"""

from __future__ import annotations

import json

import pytest
from fakes import train_py_fit

from pgxdl.paths import REPO_ROOT

MODEL = """
network:
  class_path: pgxdl.models.MultimodalModel
  init_args:
    sequence_encoder:
      class_path: pgxdl.models.CNNSequenceEncoder
      init_args: {widths: [8, 8], depth: 1, dropout: 0.0, norm: group}
    tabular_encoder:
      class_path: pgxdl.models.TabularEncoder
      init_args: {hidden: [16], dropout: 0.0}
    fusion:
      class_path: pgxdl.models.GatedFusion
      init_args: {dim: 16}
optimizer:
  class_path: torch.optim.Adam
  init_args: {lr: 0.01}
"""
TOLERANCE = 1e-4


def train(run_dir, model_file, trainer: str, batch_size: int, shuffle: bool) -> dict:
    done = train_py_fit(
        run_dir, "--trainer", str(REPO_ROOT / "configs" / "trainer" / trainer),
        "--model", str(model_file),
        "--trainer.logger=[{class_path: pgxdl.training.loggers.RunCSVLogger}]",
        "--trainer.max_epochs=2", f"--run_dir={run_dir}",
        "--data.class_path=fakes.FakeCohortDataModule", f"--data.init_args.shuffle={shuffle}",
        "--data.init_args.missing_label_rate=0", "--data.init_args.n_train=64",
        "--data.init_args.n_val=32", f"--data.init_args.batch_size={batch_size}")
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((run_dir / "metrics_fit.json").read_text())


@pytest.mark.slow
def test_ddp_two_processes_match_one_process(tmp_path):
    model_file = tmp_path / "model.yaml"
    model_file.write_text(MODEL)
    (tmp_path / "one").mkdir()
    (tmp_path / "ddp").mkdir()
    single = train(tmp_path / "one", model_file, "cpu.yaml", batch_size=16, shuffle=True)
    ddp = train(tmp_path / "ddp", model_file, "ddp_cpu.yaml", batch_size=8, shuffle=False)
    assert single["global_step"] == ddp["global_step"] == 8
    for key in ("val/loss", "val/dose/mae", "val/dose/r2", "val/bleeding/auroc",
                "val/response/accuracy", "train/loss"):
        assert ddp["metrics"][key] == pytest.approx(single["metrics"][key], rel=TOLERANCE), key
