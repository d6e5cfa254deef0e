"""Privacy-preserving training: DP-SGD (Opacus), federated learning, membership inference."""

from pgxdl.privacy.dp import DifferentialPrivacy

__all__ = ["DifferentialPrivacy"]
