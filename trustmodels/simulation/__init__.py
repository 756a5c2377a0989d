"""Simulated surveys with known truth: the simulator, its parameters, recovery and SBC."""
