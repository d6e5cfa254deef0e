"""A short `train.py fit` prints none of the known, harmless library messages, and its W&B
logger takes `--wandb_mode` over the credentials it finds (no network: a fake netrc)."""

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
