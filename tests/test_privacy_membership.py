"""Membership-inference attacks: scores against references computed another way."""

from __future__ import annotations

import numpy as np
import pytest
import pytorch_lightning as pl
import yaml
from iwpc_fixtures import synthetic_rows, write_fake_reference, write_iwpc_csv

from pgxdl.builders.store_build import build_store
from pgxdl.paths import REPO_ROOT
from pgxdl.privacy.membership import (
    attack_scores,
    lira_attack,
    loss_threshold_attack,
    per_patient_loss,
)
from pgxdl.privacy.sites import SiteDataModule, store_sites, train_local
from pgxdl.training import build_module

TABULAR = {"network": {"class_path": "pgxdl.models.MultimodalModel", "init_args": {
    "sequence_encoder": None,
    "tabular_encoder": {"class_path": "pgxdl.models.TabularEncoder",
                        "init_args": {"hidden": [8], "dropout": 0.0}}}}}


def mann_whitney_auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """P(score of a positive > score of a negative) + half the ties, by brute force."""
    diff = positive[:, None] - negative[None, :]
    return float((diff > 0).mean() + 0.5 * (diff == 0).mean())


def test_loss_threshold_auc_is_the_mann_whitney_statistic():
    rng = np.random.default_rng(0)
    members, others = rng.gamma(2.0, 0.5, 200), rng.gamma(2.0, 0.7, 300)
    result = loss_threshold_attack(members, others)
    assert result["auc"] == pytest.approx(mann_whitney_auc(-members, -others))
    assert 0.5 < result["auc"] < 1
    perfect = attack_scores(np.r_[np.ones(50) * 2, np.zeros(50)], np.r_[np.ones(50), np.zeros(50)])
    assert perfect == {"auc": 1.0, "tpr_at_1pct_fpr": 1.0, "tpr_at_0.1pct_fpr": 1.0}


@pytest.mark.parametrize("gap, low, high", [(1.0, 0.9, 1.0), (0.0, 0.4, 0.6)])
def test_lira_finds_members_exactly_when_training_lowers_their_loss(gap, low, high):
    """Each patient has its own difficulty; training on it lowers its log-loss by ``gap``.
    LiRA calibrates per patient, so it beats the global threshold when difficulty varies."""
    rng = np.random.default_rng(1)
    n = 400
    difficulty = rng.normal(0, 1.5, n)
    is_member = rng.random(n) < 0.5

    def losses(inside: np.ndarray) -> np.ndarray:
        return np.exp(difficulty - gap * inside + rng.normal(0, 0.3, n))

    target = losses(is_member)
    lira = lira_attack(target, is_member, losses, n_shadows=8)
    assert low <= lira["auc"] <= high
    if gap:
        assert lira["auc"] > loss_threshold_attack(target[is_member],
                                                   target[~is_member])["auc"] + 0.05


def test_per_patient_loss_averages_to_the_modules_loss(tmp_path):
    table = write_iwpc_csv(tmp_path / "iwpc.csv", synthetic_rows(80, seed=3))
    config = yaml.safe_load((REPO_ROOT / "configs/data/iwpc.yaml").read_text())
    config.update(table=str(table), reference=str(write_fake_reference(tmp_path / "ref.fa")),
                  genotypes_in_tabular=True, protocol_seeds=[0])
    store = str(build_store(config, tmp_path / "iwpc.h5"))
    pl.seed_everything(0)
    data = SiteDataModule(store, store_sites(store)["train"], with_sequence=False)
    module = build_module(data.spec, TABULAR)
    train_local(module, data, epochs=1)
    rows = data.rows["train"]
    losses = per_patient_loss(module, data, rows)
    assert losses.shape == (len(rows),)
    data.rows["val"], data.datasets = rows, {}  # validate on the training rows
    validated = pl.Trainer(logger=False, enable_progress_bar=False, accelerator="cpu",
                           ).validate(module, datamodule=data, verbose=False)
    # the module's loss is the batch mean of the same squared errors (one batch of <= 64)
    assert len(rows) <= data.batch_size
    assert losses.mean() == pytest.approx(validated[0]["val/loss"], rel=1e-4)
