"""The IWPC warfarin case study: the table and its columns, the missing-value policy, model
features, the published formulas, dose bands and metrics, and validation folds.

Builders (:mod:`pgxdl.builders.iwpc`), baselines and the RL population import it downward.
"""
