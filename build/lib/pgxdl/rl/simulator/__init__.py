"""The Hamberg 2007 warfarin PK/PD simulator and the virtual populations it doses."""
