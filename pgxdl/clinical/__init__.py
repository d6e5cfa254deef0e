"""Serving new patients: predict from a checkpoint alone, CPIC calls, reports, CDS Hooks.

The layer above every other package but the commands: it may import genome, data, models,
training, evaluation, the case studies and interpret; only :mod:`pgxdl.commands` imports it.
"""
