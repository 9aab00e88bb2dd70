"""Support: the agent views and decisions on recovery cases (REQUIREMENTS 33-34)."""
