"""Per-patient dosing reports (JSON + self-contained HTML) and a cohort summary page."""
