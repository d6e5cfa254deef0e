"""Published and classical warfarin dose baselines: IWPC formulas, scikit-learn models, metrics.

- :mod:`pgxdl.iwpc.formulas`: IWPC pharmacogenetic/clinical formulas, fixed dose;
- :mod:`pgxdl.iwpc.features`: model inputs derived from the parsed IWPC table;
- :mod:`pgxdl.baselines.models`: scikit-learn pipelines fitted on training folds only;
- :mod:`pgxdl.iwpc.folds`: k-fold and leave-site-out cross-validation;
- :mod:`pgxdl.iwpc.dose_metrics`: MAE, PW20, R², dose-band accuracy, bootstrap CIs;
- :mod:`pgxdl.baselines.comparison`: every model through every protocol, one table;
- :mod:`pgxdl.baselines.deep_models`: pgxdl deep models trained per fold from the store;
- :mod:`pgxdl.baselines.site_models`: dose models built to transfer between hospitals
  (formula-anchored corrections, monotone boosting, random intercept, group DRO);
- :mod:`pgxdl.baselines.site_recipes`: the recipes and the recommended, nested one;
- :mod:`pgxdl.baselines.site_protocol`: leave-site(s)-out with a bootstrap over sites;
- :mod:`pgxdl.baselines.external_validation`, :mod:`~pgxdl.baselines.external_report`:
  train on one IWPC table, validate on another (``pgxdl external``).
"""
