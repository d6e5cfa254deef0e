"""Membership-inference audit: can an attacker tell the model's training patients apart?

Two attacks on per-patient losses (the attacker queries the model with a patient's
features and known dose):

* **loss threshold** (Yeom et al. 2018): members have lower loss; score ``-loss``.
* **LiRA** (Carlini et al. 2022, offline-and-online with a global variance, as the paper
  advises for few shadows): shadow models trained like the target on random halves of a
  population give, per patient, losses when the patient was IN and OUT of training; the
  score is the Gaussian log-likelihood ratio of the target model's loss (on
  ``log(loss)``).

Both are scored with scikit-learn: ROC AUC and the true-positive rate at 1% false
positives (a rare-but-confident attack is the one that matters, Carlini et al.).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from sklearn.metrics import roc_auc_score, roc_curve

from pgxdl.data.batch import finalize_batch, model_inputs
from pgxdl.data.datamodule import CohortDataModule


@torch.no_grad()
def per_patient_loss(module, data: CohortDataModule, rows: np.ndarray) -> np.ndarray:
    """Squared error ``(R,)`` of each observation row (standardised target units, summed
    over its labelled regression tasks; other task kinds are not scored) under ``module``
    in eval mode."""
    from pgxdl.data.dataset import CohortDataset, collate_batch

    module.eval()
    dataset = CohortDataset(data.store, rows, data._normalisation(), data.with_sequence)
    loader = torch.utils.data.DataLoader(dataset, batch_size=256, collate_fn=collate_batch)
    losses = []
    for batch in loader:
        batch = finalize_batch(batch, data.haplotypes)
        outputs = module(*model_inputs(batch))
        target = module.scaler.scale_target(batch["target"])
        mask = batch["target_mask"]
        error = torch.zeros(target.shape[0])
        for column, kind in enumerate(module.kinds):
            if kind.spec.kind != "regression":
                continue
            prediction = outputs[kind.spec.name][:, 0]
            present = mask[:, column]
            error += torch.where(present, (prediction - target[:, column]) ** 2, 0.0)
        losses.append(error.numpy())
    return np.concatenate(losses)


def attack_scores(scores: np.ndarray, is_member: np.ndarray) -> dict[str, float]:
    """AUC and TPR at 1% and 0.1% FPR of ``scores`` (higher = "member")."""
    fpr, tpr, _ = roc_curve(is_member, scores)
    return {"auc": float(roc_auc_score(is_member, scores)),
            "tpr_at_1pct_fpr": float(np.interp(0.01, fpr, tpr)),
            "tpr_at_0.1pct_fpr": float(np.interp(0.001, fpr, tpr))}


def loss_threshold_attack(member_loss: np.ndarray, nonmember_loss: np.ndarray
                          ) -> dict[str, float]:
    """Yeom et al.'s attack: a lower loss says "member"."""
    scores = -np.concatenate([member_loss, nonmember_loss])
    labels = np.r_[np.ones(len(member_loss)), np.zeros(len(nonmember_loss))]
    return attack_scores(scores, labels)


def lira_attack(target_loss: np.ndarray, is_member: np.ndarray,
                train_shadow: Callable[[np.ndarray], np.ndarray], n_shadows: int = 4,
                seed: int = 0) -> dict[str, float]:
    """LiRA over ``P`` audited patients.

    Parameters
    ----------
    target_loss : ``(P,)`` the target model's loss on each audited patient.
    is_member : ``(P,)`` bool, whether the target trained on the patient (for scoring
        only; shadows never see it).
    train_shadow : trains a shadow model like the target on the audited patients whose
        ``(P,)`` mask is true and returns its ``(P,)`` losses on all of them.
    n_shadows : shadow models; each trains on a random half (so each patient has about
        ``n_shadows / 2`` IN and OUT losses).
    """
    rng = np.random.default_rng(seed)
    inside = np.zeros((n_shadows, len(target_loss)), dtype=bool)
    for shadow in range(n_shadows):  # balanced halves: every patient IN for half the shadows
        inside[shadow] = rng.permutation(len(target_loss)) < len(target_loss) // 2
    statistic = np.log(np.stack([train_shadow(mask) for mask in inside]) + 1e-8)
    observed = np.log(target_loss + 1e-8)
    mu_in = masked_mean(statistic, inside)
    mu_out = masked_mean(statistic, ~inside)
    sigma_in = np.std(statistic[inside] - mu_in[np.nonzero(inside)[1]]) + 1e-6
    sigma_out = np.std(statistic[~inside] - mu_out[np.nonzero(~inside)[1]]) + 1e-6
    score = (log_normal(observed, mu_in, sigma_in) - log_normal(observed, mu_out, sigma_out))
    return attack_scores(score, is_member)


def masked_mean(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Column means ``(P,)`` of ``values (K, P)`` over ``mask``; the overall masked mean
    where a column has no entry."""
    counts = mask.sum(axis=0)
    sums = np.where(mask, values, 0.0).sum(axis=0)
    overall = values[mask].mean()
    return np.where(counts > 0, sums / np.maximum(counts, 1), overall)


def log_normal(x: np.ndarray, mu: np.ndarray, sigma: float) -> np.ndarray:
    return -0.5 * ((x - mu) / sigma) ** 2 - np.log(sigma)
