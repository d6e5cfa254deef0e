"""Evaluation of trained checkpoints: predictions, metrics with bootstrap CIs, subgroups, plots.

Modules (import what you need; this package imports nothing, so the metric and bootstrap
modules stay free of torch and Lightning):

- :mod:`~pgxdl.evaluation.metrics`   metric functions per task kind, vectorised over resamples
- :mod:`~pgxdl.evaluation.bootstrap` seeded percentile bootstrap of any such metric
- :mod:`~pgxdl.evaluation.scoring`   a predictions table -> metrics overall and per subgroup
- :mod:`~pgxdl.evaluation.predictions` a checkpoint + a store -> the predictions table
- :mod:`~pgxdl.evaluation.compatibility` does a store fit a checkpoint's training data
- :mod:`~pgxdl.evaluation.plots`     PNG figures; :mod:`~pgxdl.evaluation.outputs` files out
- :mod:`~pgxdl.commands.evaluate` the ``metrics`` subcommand of ``evaluate.py``
"""
