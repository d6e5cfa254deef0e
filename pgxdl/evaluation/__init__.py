"""Evaluation of trained checkpoints: predictions, metrics with bootstrap CIs, subgroups, plots.

``python evaluate.py --ckpt model.ckpt --store store.h5 --out runs/x/eval`` runs
:func:`evaluate_checkpoint`; see docs/evaluation.md.
"""

from pgxdl.evaluation.bootstrap import bootstrap_metrics
from pgxdl.evaluation.evaluate_checkpoint import evaluate_checkpoint
from pgxdl.evaluation.predictions import load_model, predict_store
from pgxdl.evaluation.scoring import score_table

__all__ = ["bootstrap_metrics", "evaluate_checkpoint", "load_model", "predict_store",
           "score_table"]
