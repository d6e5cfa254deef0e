"""Evaluation of trained checkpoints: predictions, metrics with bootstrap CIs, subgroups, plots.

Modules (import what you need; this package imports nothing, so the bootstrap stays free
of torch and Lightning):

- :mod:`~pgxdl.evaluation.bootstrap` seeded percentile bootstrap of any metric of
  :mod:`pgxdl.tasks.metrics` (which metrics a task gets is its kind's: :mod:`pgxdl.tasks`)
- :mod:`~pgxdl.evaluation.scoring`   a predictions table -> metrics overall and per subgroup
- :mod:`~pgxdl.evaluation.predictions` a checkpoint + a store -> the predictions table
  (checkpoint loading and the store check: :mod:`pgxdl.training.restore`)
- :mod:`~pgxdl.evaluation.plots`     PNG figures; :mod:`~pgxdl.evaluation.outputs` files out
- :mod:`~pgxdl.commands.evaluate` the ``metrics`` subcommand of ``evaluate.py``

This package imports nothing from interpret, explore or commands.
"""
