"""Personal sequence windows: each subject's variants applied to the reference windows."""
