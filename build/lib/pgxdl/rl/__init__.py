"""Adaptive warfarin dosing: the Hamberg 2007 PK/PD simulator, a gymnasium environment,
clinical dosing protocols, reinforcement-learning agents and their evaluation."""
