"""pgxdl: deep learning for pharmacogenomics.

Personal genome sequence windows + EHR features -> drug response, with explanations.
Every part reads and writes one contract, the cohort store (:mod:`pgxdl.data.store`).
"""

__version__ = "0.1.0"
