"""A short `train.py fit` prints none of the known, harmless library messages, and its W&B
logger takes `--wandb_mode` over the credentials it finds (no network: a fake netrc); a
plain Lightning Trainer (the baselines', the notebooks') is as quiet."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from fakes import build_tiny_store
from test_training_loggers import write_netrc

from pgxdl.paths import REPO_ROOT

KNOWN_NOISE = {
    "torchmetrics' Spearman buffer warning": "will save all targets and predictions",
    "Lightning's litlogger tip": "litlogger",
    "wandb's anonymous-setting warning": "anonymous setting has no effect",
    "torch's pytree deprecation via Lightning": "isinstance(treespec, LeafSpec)",
}


@pytest.mark.slow  # ~25 s: a subprocess fit
def test_short_fit_is_quiet_and_takes_the_wandb_mode_asked_for(tmp_path):
    store = build_tiny_store(tmp_path / "tiny.h5", n_subjects=60, window_length=64)
    home = tmp_path / "home"
    home.mkdir()
    write_netrc(home, "api.wandb.ai")  # logged in: without --wandb_mode this would go online
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "NETRC"))}
    env.update(HOME=str(home), OMP_NUM_THREADS="1", PYTHONPATH=str(REPO_ROOT),
               PYTHONWARNINGS="default")  # show every warning once, as a fresh shell would
    run_dir = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "train.py"), "fit",
         "--config", str(REPO_ROOT / "configs" / "experiment" / "quickstart.yaml"),
         f"--data.init_args.store={store}", "--trainer.max_epochs=1",
         "--trainer.limit_train_batches=2", "--trainer.limit_val_batches=1",
         "--trainer.enable_progress_bar=false", "--wandb_mode=offline", f"--run_dir={run_dir}"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    heard = [name for name, text in KNOWN_NOISE.items() if text in output]
    assert not heard, f"{heard} in:\n{output}"
    assert list((run_dir / "wandb").glob("offline-run-*")), output[-3000:]
    assert "syncing is set to `offline`" in output


PLAIN_TRAINER = """
import pgxdl.training  # what a notebook or a baseline imports before its Trainer
import pytorch_lightning as pl
import torch

class TinyRegression(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)

    def training_step(self, batch, _):
        return torch.nn.functional.mse_loss(self.layer(batch[0]), batch[1])

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)

data = torch.utils.data.TensorDataset(torch.randn(8, 2), torch.randn(8, 1))
trainer = pl.Trainer(max_epochs=1, logger=False, enable_progress_bar=False,
                     enable_model_summary=False, enable_checkpointing=False, accelerator="cpu")
trainer.fit(TinyRegression(), torch.utils.data.DataLoader(data, batch_size=4))
print("steps", trainer.global_step)
"""


@pytest.mark.slow  # ~20 s on a busy machine: a process of its own
def test_plain_trainer_fit_is_quiet(tmp_path):
    """In a process of its own: pytest drops filters set while it imports test modules."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO_ROOT),
           "PYTHONWARNINGS": "default"}
    done = subprocess.run([sys.executable, "-c", PLAIN_TRAINER], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 0 and "steps 2" in output, output[-3000:]
    assert "max_epochs=1` reached" in output  # Lightning still speaks
    heard = [name for name, text in KNOWN_NOISE.items() if text in output]
    assert not heard, f"{heard} in:\n{output}"
