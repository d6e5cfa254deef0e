"""Published and classical warfarin dose baselines: IWPC formulas, scikit-learn models, metrics.

- :mod:`pgxdl.iwpc.formulas`: IWPC pharmacogenetic/clinical formulas, fixed dose;
- :mod:`pgxdl.iwpc.features`: model inputs derived from the parsed IWPC table;
- :mod:`pgxdl.baselines.models`: scikit-learn pipelines fitted on training folds only;
- :mod:`pgxdl.iwpc.folds`: k-fold and leave-site-out cross-validation;
- :mod:`pgxdl.iwpc.dose_metrics`: MAE, PW20, R², dose-band accuracy, bootstrap CIs;
- :mod:`pgxdl.baselines.comparison`: every model through every protocol, one table;
- :mod:`pgxdl.baselines.deep_models`: pgxdl deep models trained per fold from the store.
"""
