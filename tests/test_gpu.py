"""GPU checks, skipped without CUDA: device parity, bf16, training, DDP (NCCL), determinism.

Run them with ``pytest -m gpu`` on a machine with a GPU (``benchmarks/device_check.sh``
runs them with the GPU benchmarks). Stated tolerances:
- fp32 on GPU vs CPU, TF32 off: outputs within rtol 1e-4, atol 1e-5;
- bf16 autocast vs fp32 on the GPU: relative output error (Frobenius) below 5e-2 and the
  loss gradient's cosine similarity to the fp32 gradient above 0.95 (bf16 keeps 8 bits of
  mantissa, ~4e-3 relative per rounding).
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
import yaml
from fakes import build_tiny_store, train_py_fit

from pgxdl.data.batch import model_inputs
from pgxdl.data.datamodule import CohortDataModule
from pgxdl.genome.encoding import N_CODES, one_hot
from pgxdl.interpret.explain import explain_part
from pgxdl.paths import REPO_ROOT
from pgxdl.training import DrugResponseModule, build_module

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]

MODEL_CONFIGS = sorted(p for p in (REPO_ROOT / "configs" / "model").glob("*.yaml")
                       if not p.stem.startswith("gdsc_"))  # need a drug table
CSV_ONLY = "--trainer.logger=[{class_path: pgxdl.training.loggers.RunCSVLogger}]"


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> CohortDataModule:
    store = build_tiny_store(tmp_path_factory.mktemp("store") / "tiny.h5", n_subjects=160)
    return CohortDataModule(store, batch_size=32)


@pytest.fixture
def no_tf32():
    """fp32 matmuls and convolutions in full fp32 (cuDNN allows TF32 by default)."""
    matmul, cudnn = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = matmul, cudnn


def cpu_batch(data: CohortDataModule) -> dict[str, torch.Tensor]:
    return data.on_after_batch_transfer(next(iter(data.val_dataloader())), 0)


def to_gpu(batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.cuda(non_blocking=True) for k, v in batch.items()}


def model(data: CohortDataModule, config) -> DrugResponseModule:
    torch.manual_seed(0)
    return build_module(data.spec, yaml.safe_load(config.read_text()))


def test_one_hot_on_gpu_equals_cpu():
    codes = torch.randint(0, N_CODES, (8, 3, 2, 500), dtype=torch.uint8)
    torch.testing.assert_close(one_hot(codes.cuda()).cpu(), one_hot(codes), rtol=0, atol=0)


def test_loader_pins_batches_for_a_gpu_trainer(data):
    pinned = CohortDataModule(data.store, batch_size=32)
    pinned.trainer = pl.Trainer(accelerator="gpu", devices=1, logger=False)
    batch = next(iter(pinned.train_dataloader()))
    assert pinned.pins_memory and all(v.is_pinned() for v in batch.values())


def assert_gpu_outputs_match_cpu(module: DrugResponseModule, data: CohortDataModule,
                                 rtol: float, atol: float) -> None:
    """A CPU module in eval mode and its copy on the GPU give the same outputs on a batch."""
    batch = cpu_batch(data)
    with torch.no_grad():
        expected = module(*model_inputs(batch))
        got = copy.deepcopy(module).cuda()(*model_inputs(to_gpu(batch)))
    for task, value in expected.items():
        torch.testing.assert_close(got[task].cpu(), value, rtol=rtol, atol=atol)


@pytest.mark.parametrize("config", MODEL_CONFIGS, ids=lambda p: p.stem)
def test_model_on_gpu_matches_cpu(config, data, no_tf32):
    assert_gpu_outputs_match_cpu(model(data, config).eval(), data, rtol=1e-4, atol=1e-5)


def loss_and_gradient(module: DrugResponseModule, batch: dict, dtype: torch.dtype | None):
    """Outputs, loss and flattened parameter gradient, under autocast to ``dtype`` if given."""
    module.zero_grad(set_to_none=True)
    with torch.autocast("cuda", dtype=dtype or torch.float32, enabled=dtype is not None):
        outputs = module(*model_inputs(batch))
        outputs = {k: v.float() for k, v in outputs.items()}
        target = module.scaler.scale_target(batch["target"])
        loss, _ = module.loss(outputs, target, batch["target_mask"])
    loss.backward()
    gradient = torch.cat([p.grad.flatten() for p in module.parameters() if p.grad is not None])
    return outputs, loss.detach(), gradient


def frozen_training_mode(module: torch.nn.Module) -> torch.nn.Module:
    """Training mode (cuDNN RNNs run backward only in it) with dropout off and norm layers
    on their running statistics, so two forward passes compute the same function."""
    module.train()
    for layer in module.modules():
        if isinstance(layer, (torch.nn.Dropout, torch.nn.modules.batchnorm._BatchNorm)):
            layer.eval()
    return module


@pytest.mark.parametrize("config", MODEL_CONFIGS, ids=lambda p: p.stem)
def test_bf16_autocast_stays_close_to_fp32(config, data, no_tf32):
    module = frozen_training_mode(model(data, config).cuda())
    batch = to_gpu(cpu_batch(data))
    full, full_loss, full_grad = loss_and_gradient(module, batch, None)
    half, half_loss, half_grad = loss_and_gradient(module, batch, torch.bfloat16)
    assert torch.isfinite(half_grad).all() and torch.isfinite(half_loss)
    for task in full:
        error = (half[task] - full[task]).norm() / full[task].norm().clamp_min(1e-6)
        assert error < 5e-2, f"{task}: bf16 relative error {error:.3g}"
    cosine = torch.nn.functional.cosine_similarity(half_grad, full_grad, dim=0)
    assert cosine > 0.95, f"bf16 gradient cosine similarity {cosine:.4f}"
    print(f"{config.stem}: loss fp32 {full_loss:.5f} bf16 {half_loss:.5f}, "
          f"gradient cosine {cosine:.5f}")


@pytest.mark.parametrize("config", ["rnn_lstm_concat", "cnn_gated"])
def test_attributions_on_gpu_match_cpu(config, data, no_tf32):
    """Integrated gradients and ISM through explain_part (cuDNN RNNs need their cuDNN-off
    path for backward in eval mode)."""
    module = model(data, REPO_ROOT / "configs" / "model" / f"{config}.yaml").eval()
    found = {device: explain_part(copy.deepcopy(module), data, "dose", "ig", device=device,
                                  ism=True, max_observations=32, n_steps=16)
             for device in ("cpu", "cuda")}
    for table, columns in (("variants", ["attribution", "ism"]), ("features", ["attribution"]),
                           ("predictions", ["prediction"])):
        cpu, gpu = getattr(found["cpu"], table), getattr(found["cuda"], table)
        assert len(cpu) == len(gpu) > 0
        for column in columns:
            np.testing.assert_allclose(gpu[column], cpu[column], rtol=1e-3, atol=1e-5,
                                       err_msg=f"{table}.{column}")


def train(run_dir, data, trainer: str, *overrides: str) -> tuple[dict, str]:
    """``train.py fit`` of cnn_gated for 2 epochs with ``configs/trainer/<trainer>``, in a
    subprocess (DDP and determinism settings are process-wide); returns its
    metrics_fit.json and console output."""
    done = train_py_fit(
        REPO_ROOT, "--trainer", str(REPO_ROOT / "configs" / "trainer" / trainer),
        "--model", str(REPO_ROOT / "configs" / "model" / "cnn_gated.yaml"),
        "--data.class_path=pgxdl.data.datamodule.CohortDataModule",
        f"--data.init_args.store={data.store}", "--data.init_args.batch_size=32",
        CSV_ONLY, "--trainer.max_epochs=2", f"--run_dir={run_dir}", *overrides)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((run_dir / "metrics_fit.json").read_text()), done.stdout + done.stderr


def last_weights(run_dir) -> dict[str, torch.Tensor]:
    return torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu",
                      weights_only=False)["state_dict"]


def test_bf16_training_on_gpu_gives_a_checkpoint_that_runs_on_cpu(data, tmp_path):
    summary, _ = train(tmp_path, data, "gpu.yaml", "--trainer.precision=bf16-mixed")
    assert summary["epoch"] == 2 and torch.isfinite(torch.tensor(summary["metrics"]["val/loss"]))
    loaded = DrugResponseModule.load_from_checkpoint(tmp_path / "checkpoints" / "last.ckpt",
                                                     map_location="cpu").eval()
    assert all(p.device.type == "cpu" and p.dtype == torch.float32 for p in loaded.parameters())
    assert_gpu_outputs_match_cpu(loaded, data, rtol=1e-2, atol=1e-3)  # TF32 allowed here


def test_ddp_config_trains_on_one_gpu_over_nccl(data, tmp_path):
    """``ddp_gpu.yaml`` (SyncBatchNorm on) as one rank: the NCCL process group starts, the
    run trains and checkpoints. Several ranks need several GPUs (the CPU suite checks
    two gloo ranks against one process)."""
    summary, console = train(tmp_path, data, "ddp_gpu.yaml", "--trainer.devices=1")
    assert "distributed_backend=nccl" in console
    assert summary["epoch"] == 2 and torch.isfinite(torch.tensor(summary["metrics"]["val/loss"]))
    assert last_weights(tmp_path).keys() == model(data, REPO_ROOT / "configs" / "model" /
                                                  "cnn_gated.yaml").state_dict().keys()


def test_deterministic_gpu_training_is_repeatable(data, tmp_path):
    runs = [train(tmp_path / name, data, "default.yaml", "--trainer.accelerator=gpu",
                  "--trainer.deterministic=true")[0] for name in ("a", "b")]
    assert runs[0]["metrics"] == runs[1]["metrics"]
    first, second = last_weights(tmp_path / "a"), last_weights(tmp_path / "b")
    for key, value in first.items():
        torch.testing.assert_close(second[key], value, rtol=0, atol=0)
