"""Hospitals as data holders: a site's own patients, the shared training step, weights.

Centralised, federated and site-alone training all go through :func:`train_local`, the
same ``DrugResponseModule`` training step on a :class:`SiteDataModule` that holds only the
named sites' patients. Federated learning moves the module's ``state_dict`` arrays (a
Flower ``ArrayRecord``), never rows; :func:`get_weights` / :func:`set_weights` are the
same arrays as numpy, in ``state_dict`` order (the federation's ``weights.npz``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytorch_lightning as pl
import torch

from pgxdl.data.datamodule import CohortDataModule
from pgxdl.data.store import CohortStore


def store_sites(store: str, split: str = "default", group: str = "site") -> dict[str, list]:
    """Sites of each part of ``split``: ``{"train": [...], "val": [...], "test": [...]}``
    (a grouped split keeps a site in one part)."""
    data = CohortDataModule(store, split, with_sequence=False, allow_empty=["val", "test"])
    with CohortStore(data.store) as cohort:
        sites = cohort.groups(group)[cohort.observations()["subject_index"]]
    return {part: sorted(set(sites[data.rows[part]].tolist()))
            for part in ("train", "val", "test")}


class SiteDataModule(CohortDataModule):
    """A :class:`CohortDataModule` that holds only the patients of ``sites``.

    Parameters
    ----------
    store, split, ... : as :class:`CohortDataModule` (keyword arguments pass through).
    sites : the group values kept (e.g. IWPC project sites ``["1", "7"]``).
    group : the store's group key naming each patient's site.
    require_train : refuse sites without a patient in the train part (``False`` for a
        module that only evaluates held-out sites).
    """

    def __init__(self, store: str, sites: Sequence[str], split: str = "default",
                 group: str = "site", require_train: bool = True, **kwargs):
        kwargs.setdefault("allow_empty", ["val", "test"])
        super().__init__(store, split, **kwargs)
        with CohortStore(self.store) as cohort:
            if group not in cohort.group_keys:
                raise ValueError(f"{self.store}: no group {group!r} to tell sites apart; "
                                 f"stored groups: {cohort.group_keys}")
            site_of_row = cohort.groups(group)[cohort.observations()["subject_index"]]
        unknown = set(map(str, sites)) - set(site_of_row.astype(str).tolist())
        if unknown:
            raise ValueError(f"{self.store}: group {group!r} has no site {sorted(unknown)}")
        keep = np.isin(site_of_row.astype(str), [str(site) for site in sites])
        self.sites = [str(site) for site in sites]
        self.rows = {part: rows[keep[rows]] for part, rows in self.rows.items()}
        if require_train and not len(self.rows["train"]):
            raise ValueError(f"{self.store}: sites {self.sites} have no patient in the "
                             f"train part of split {split!r}")


def get_weights(module: torch.nn.Module) -> list[np.ndarray]:
    """Every tensor of ``module.state_dict()`` (parameters and buffers) as numpy, in order."""
    return [value.detach().cpu().numpy().copy() for value in module.state_dict().values()]


def set_weights(module: torch.nn.Module, weights: Sequence[np.ndarray]) -> None:
    """Load arrays in :func:`get_weights` order; shapes must match exactly."""
    state = module.state_dict()
    if len(weights) != len(state):
        raise ValueError(f"got {len(weights)} arrays for a model of {len(state)} tensors")
    module.load_state_dict({key: torch.as_tensor(np.asarray(array)).to(value.dtype)
                            for (key, value), array in zip(state.items(), weights,
                                                           strict=True)})


class ProximalTerm(pl.Callback):
    """FedProx's proximal term ``mu / 2 * ||w - w_global||^2``: its gradient
    ``mu * (w - w_global)`` is added to every parameter's gradient before each step."""

    def __init__(self, mu: float, global_parameters: Sequence[torch.Tensor]):
        self.mu = mu
        self.global_parameters = [p.detach().clone() for p in global_parameters]

    def on_before_optimizer_step(self, trainer, pl_module, optimizer) -> None:
        for parameter, anchor in zip(pl_module.parameters(), self.global_parameters,
                                     strict=True):
            if parameter.grad is not None:
                parameter.grad.add_(parameter.detach() - anchor, alpha=self.mu)


def trainer(epochs: int, callbacks: Sequence[pl.Callback] = ()) -> pl.Trainer:
    """The CPU trainer of privacy experiments: no logger, checkpoint or progress bar."""
    return pl.Trainer(max_epochs=epochs, accelerator="cpu", logger=False,
                      enable_checkpointing=False, enable_progress_bar=False,
                      enable_model_summary=False, num_sanity_val_steps=0,
                      limit_val_batches=0, callbacks=list(callbacks))


def train_local(module: pl.LightningModule, data: SiteDataModule, epochs: int,
                proximal_mu: float = 0.0, callbacks: Sequence[pl.Callback] = ()) -> int:
    """Train ``module`` in place on ``data``'s training rows; return how many rows it saw
    per epoch (FedAvg's weight). ``proximal_mu > 0`` adds FedProx's proximal term."""
    extra = list(callbacks)
    if proximal_mu > 0:
        extra.append(ProximalTerm(proximal_mu, list(module.parameters())))
    trainer(epochs, extra).fit(module, datamodule=data)
    return len(data.rows["train"])


def evaluate(module: pl.LightningModule, data: CohortDataModule) -> dict[str, float]:
    """The module's logged metrics on ``data``'s test part (reported units: MAE in
    mg/week for IWPC's dose)."""
    results = trainer(1).test(module, datamodule=data, verbose=False)
    return {key.removeprefix("test/"): float(value) for key, value in results[0].items()}
