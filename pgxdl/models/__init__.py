"""Encoders, fusion, heads and whole networks (``seq (N, W, C, L)`` + tabular -> tasks)."""

from pgxdl.models.attribution import TaskOutput
from pgxdl.models.cell_drug import CellDrugModel
from pgxdl.models.cell_encoders import CellCNNEncoder, CellMLPEncoder
from pgxdl.models.drug_encoders import FingerprintEncoder, SmilesCNNEncoder, SmilesRNNEncoder
from pgxdl.models.fusion import (
    ConcatFusion,
    CrossAttentionFusion,
    FiLMFusion,
    Fusion,
    GatedFusion,
    ModalityDims,
)
from pgxdl.models.heads import TaskHeads
from pgxdl.models.network import DrugResponseNetwork, LateFusionModel, MultimodalModel
from pgxdl.models.sequence import SequenceEncoder, SequenceFeatures
from pgxdl.models.sequence_cnn import CNNSequenceEncoder
from pgxdl.models.sequence_rnn import RNNSequenceEncoder
from pgxdl.models.tabular import TabularEncoder
from pgxdl.models.wide_deep import PerDrugLinear, WideDeepCellDrugModel

__all__ = [
    "CellCNNEncoder", "CellDrugModel", "CellMLPEncoder", "FingerprintEncoder",
    "SmilesCNNEncoder", "SmilesRNNEncoder",
    "CNNSequenceEncoder", "ConcatFusion", "CrossAttentionFusion", "DrugResponseNetwork",
    "FiLMFusion", "Fusion", "GatedFusion", "LateFusionModel", "ModalityDims",
    "MultimodalModel", "PerDrugLinear", "RNNSequenceEncoder", "SequenceEncoder", "SequenceFeatures",
    "TabularEncoder", "TaskHeads", "TaskOutput", "WideDeepCellDrugModel",
]
