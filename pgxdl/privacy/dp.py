"""DP-SGD for any pgxdl model through Opacus: a Lightning callback set from config.

In a LightningCLI config::

    trainer:
      max_epochs: 20
      callbacks:
        - class_path: pgxdl.privacy.DifferentialPrivacy
          init_args: {target_epsilon: 3.0, delta: 1.0e-5, max_grad_norm: 1.0}

What it does, with Opacus (``PrivacyEngine.make_private``) and nothing written by hand:

* ``setup``: modules Opacus cannot train per sample are replaced by
  ``ModuleValidator.fix`` (BatchNorm -> GroupNorm, LSTM/GRU -> Opacus's DPLSTM/DPGRU, which
  keep the parameter names) before the optimizer sees the parameters; anything else it
  cannot handle, DDP, gradient accumulation and Lightning's own clipping are refused.
* ``on_fit_start``: the optimizer becomes a ``DPOptimizer`` (per-sample clipping to
  ``max_grad_norm``, Gaussian noise ``noise_multiplier * max_grad_norm``), the training
  loader a ``DPDataLoader`` (Poisson sampling at rate ``batch_size / N``), and the
  accountant (RDP or PRV) counts every step. With ``target_epsilon`` the noise is
  calibrated by Opacus for ``trainer.max_epochs`` epochs.
* Every training epoch logs ``privacy/epsilon`` (so CSV, W&B and ``metrics_fit.json``
  carry it); checkpoints carry a ``privacy`` block (epsilon, delta, noise, sample rate,
  steps) and the accountant's history, which a resumed run continues from.
"""

from __future__ import annotations

import warnings

import pytorch_lightning as pl
import torch
from opacus import GradSampleModule, PrivacyEngine
from opacus.validators import ModuleValidator

#: Key of the privacy summary in a checkpoint.
CHECKPOINT_KEY = "privacy"
ACCOUNTANTS = ("rdp", "prv")


def parameters_without_rule(model: torch.nn.Module) -> list[str]:
    """Modules that own parameters directly although they hold other modules, which Opacus
    has no per-sample gradient rule for (it would ``vmap`` their whole forward, which fails
    on tuple outputs and on dropout)."""
    problems = []
    for name, module in model.named_modules():
        inner = {id(value) for child in module.children() for value in child.parameters()}
        own = [p for p, value in module.named_parameters(recurse=False)
               if value.requires_grad and id(value) not in inner]  # not aliases (DPLSTM)
        if own and type(module) not in GradSampleModule.GRAD_SAMPLERS and inner:
            problems.append(f"{name} ({type(module).__name__}) owns parameter(s) {own} that "
                            f"Opacus has no per-sample rule for (for a sequence encoder set "
                            f"shared_windows: false)")
    return problems


class DifferentialPrivacy(pl.Callback):
    """Train with DP-SGD (Opacus): per-sample clipping, Gaussian noise, Poisson sampling.

    Parameters
    ----------
    target_epsilon : the budget to spend over ``trainer.max_epochs`` epochs; Opacus
        calibrates the noise. Give it or ``noise_multiplier``, not both.
    noise_multiplier : the noise's standard deviation over ``max_grad_norm``.
    delta : the delta of (epsilon, delta)-DP; keep it below 1 / (number of patients).
    max_grad_norm : the L2 bound each patient's gradient is clipped to.
    accountant : ``rdp`` (Renyi DP) or ``prv`` (privacy random variables, tighter).
    seed : seed of the Poisson sampler and of the noise (``secure_mode`` is off: the noise
        is reproducible, which suits research, not a deployment).
    """

    def __init__(self, target_epsilon: float | None = None,
                 noise_multiplier: float | None = None, delta: float = 1e-5,
                 max_grad_norm: float = 1.0, accountant: str = "rdp", seed: int = 0):
        if (target_epsilon is None) == (noise_multiplier is None):
            raise ValueError("privacy: give exactly one of target_epsilon and noise_multiplier "
                             f"(got target_epsilon={target_epsilon}, "
                             f"noise_multiplier={noise_multiplier})")
        if target_epsilon is not None and not target_epsilon > 0:
            raise ValueError(f"privacy: target_epsilon must be > 0, got {target_epsilon}")
        if noise_multiplier is not None and not noise_multiplier > 0:
            raise ValueError(f"privacy: noise_multiplier must be > 0, got {noise_multiplier}")
        if not 0 < delta < 1:
            raise ValueError(f"privacy: delta must be in (0, 1), got {delta}")
        if not max_grad_norm > 0:
            raise ValueError(f"privacy: max_grad_norm must be > 0, got {max_grad_norm}")
        if accountant not in ACCOUNTANTS:
            raise ValueError(f"privacy: accountant must be one of {ACCOUNTANTS}, "
                             f"got {accountant!r}")
        self.target_epsilon, self.noise_multiplier = target_epsilon, noise_multiplier
        self.delta, self.max_grad_norm, self.seed = delta, max_grad_norm, seed
        self.engine = PrivacyEngine(accountant=accountant)
        self.sample_rate: float | None = None
        self.fixed_modules: list[str] = []
        self._grad_sample_module = None

    # -- before the optimizer exists: refuse what cannot work, replace what Opacus can't train
    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage != "fit":
            return
        if trainer.world_size > 1:
            raise ValueError(
                "privacy: DP-SGD with DDP is not supported here (Opacus needs its DPDDP "
                "wrapper and a distributed Poisson sampler, which Lightning's strategy does "
                "not set up); train with trainer.devices: 1")
        if trainer.accumulate_grad_batches != 1:
            raise ValueError("privacy: trainer.accumulate_grad_batches must be 1 with DP-SGD "
                             "(Poisson batches are the privacy unit; raise data.batch_size)")
        if trainer.gradient_clip_val:
            raise ValueError("privacy: unset trainer.gradient_clip_val; DP-SGD clips each "
                             "patient's gradient to privacy.max_grad_norm itself")
        if trainer.datamodule is None:
            raise ValueError("privacy: DP-SGD needs a data module (data: in the config) so "
                             "the training loader can be Poisson-sampled")
        self.fix_modules(pl_module)

    def fix_modules(self, pl_module: pl.LightningModule) -> None:
        """Replace modules Opacus cannot train per sample; raise ``ValueError`` listing those
        it cannot replace either."""
        before = {name: type(module).__name__ for name, module in pl_module.named_modules()}
        for name, child in list(pl_module.named_children()):
            if ModuleValidator.validate(child, strict=False):
                setattr(pl_module, name, ModuleValidator.fix(child))
        after = {name: type(module).__name__ for name, module in pl_module.named_modules()}
        self.fixed_modules = [f"{name}: {kind} -> {after.get(name, '?')}"
                              for name, kind in before.items() if after.get(name) != kind]
        if self.fixed_modules:
            warnings.warn("privacy: replaced for per-sample gradients (Opacus "
                          f"ModuleValidator.fix): {self.fixed_modules}; checkpoints hold the "
                          "replacements (use norm: group in the network config to train and "
                          "reload without them)", stacklevel=2)
        errors = [*ModuleValidator.validate(pl_module, strict=False),
                  *parameters_without_rule(pl_module)]
        if errors:
            raise ValueError(f"privacy: Opacus cannot compute per-sample gradients of this "
                             f"model: {'; '.join(str(e) for e in errors)}")

    # -- once the optimizer exists: make it, the loader and the accounting private
    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if len(trainer.optimizers) != 1:
            raise ValueError(f"privacy: DP-SGD takes one optimizer, the model configures "
                             f"{len(trainer.optimizers)}")
        datamodule = trainer.datamodule
        loader = datamodule.train_dataloader()
        self.sample_rate = 1 / len(loader)
        if self.target_epsilon is not None:
            if trainer.max_epochs is None or trainer.max_epochs < 1:
                raise ValueError("privacy: target_epsilon needs trainer.max_epochs (the "
                                 "noise is calibrated for that many epochs)")
            self.noise_multiplier = self.calibrated_noise(trainer.max_epochs)
        generator = torch.Generator().manual_seed(self.seed)
        module, optimizer, private_loader = self.engine.make_private(
            module=pl_module, optimizer=trainer.optimizers[0], data_loader=loader,
            noise_multiplier=self.noise_multiplier, max_grad_norm=self.max_grad_norm,
            poisson_sampling=True, noise_generator=generator)
        private_loader.batch_sampler.generator = torch.Generator().manual_seed(self.seed + 1)
        self._grad_sample_module = module  # hooks on pl_module's layers; forward unchanged
        trainer.strategy.optimizers = [optimizer]
        datamodule.train_dataloader = lambda: private_loader

    def calibrated_noise(self, epochs: int) -> float:
        """Opacus's noise multiplier spending ``target_epsilon`` in ``epochs`` epochs."""
        from opacus.accountants.utils import get_noise_multiplier

        return get_noise_multiplier(target_epsilon=self.target_epsilon, target_delta=self.delta,
                                    sample_rate=self.sample_rate, epochs=epochs,
                                    accountant=self.engine.accountant.mechanism())

    @property
    def epsilon(self) -> float:
        """Epsilon spent so far at ``delta`` (0 before the first step)."""
        if not len(self.engine.accountant):
            return 0.0
        return float(self.engine.accountant.get_epsilon(delta=self.delta))

    @property
    def steps(self) -> int:
        return sum(steps for _, _, steps in self.engine.accountant.history)

    def summary(self) -> dict:
        """Plain-number summary for checkpoints and reports (no data, no identifiers)."""
        return {"epsilon": self.epsilon, "delta": self.delta,
                "noise_multiplier": self.noise_multiplier, "max_grad_norm": self.max_grad_norm,
                "sample_rate": self.sample_rate, "steps": self.steps,
                "accountant": self.engine.accountant.mechanism(),
                "target_epsilon": self.target_epsilon, "fixed_modules": self.fixed_modules}

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        pl_module.log("privacy/epsilon", self.epsilon, on_epoch=True)
        pl_module.log("privacy/steps", float(self.steps), on_epoch=True)

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Remove Opacus's hooks: the trained module predicts and saves like any other."""
        if self._grad_sample_module is not None:
            self._grad_sample_module._close()
            self._grad_sample_module = None

    def on_save_checkpoint(self, trainer: pl.Trainer, pl_module: pl.LightningModule,
                           checkpoint: dict) -> None:
        checkpoint[CHECKPOINT_KEY] = self.summary()

    def state_dict(self) -> dict:
        return {"accountant": self.engine.accountant.state_dict(),
                "noise_multiplier": self.noise_multiplier}

    def load_state_dict(self, state_dict: dict) -> None:
        """Resume the accounting: a resumed run adds its steps to the stored history."""
        self.engine.accountant.load_state_dict(state_dict["accountant"])
        self.noise_multiplier = state_dict["noise_multiplier"]
