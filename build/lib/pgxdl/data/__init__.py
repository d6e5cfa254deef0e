"""Cohort store, tabular schema, splits, Dataset and DataModule."""
