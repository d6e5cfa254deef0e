"""Lightning's known, harmless messages, silenced by their text for every pgxdl Trainer.

Imported by :mod:`pgxdl.training` (so ``train.py``, the baselines' Trainers and the
notebooks' all get it). Each filter names one message; nothing else is hidden.
"""

from __future__ import annotations

import logging
import warnings

# Lightning 2.6's loops build torch's deprecated LeafSpec (torch >= 2.10 warns each fit).
warnings.filterwarnings("ignore", message=r"`isinstance\(treespec, LeafSpec\)` is deprecated",
                        category=FutureWarning, module=r"pytorch_lightning\.utilities\._pytree")


class NoLitLoggerTip(logging.Filter):
    """Drops the advertisement for Lightning's hosted logger that every Trainer prints."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "try installing [litlogger]" not in record.getMessage()


logging.getLogger("pytorch_lightning.utilities.rank_zero").addFilter(NoLitLoggerTip())
