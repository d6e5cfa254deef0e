"""Dosing policies: clinical protocols and trainable agents (Q-learning, stable-baselines3)."""
