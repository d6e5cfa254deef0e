"""The dosing environment: a clinic's view of virtual patients, day by day (gymnasium)."""
